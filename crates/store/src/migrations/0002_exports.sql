-- What Telegram Desktop exports add: chat kinds, senders, edit times, replies, bots, saved-from,
-- forward origins' ids, richer media (dimensions, files kept by hash, polls), reactions,
-- formatting entities, the element path of a sighting, and service events of channels.

ALTER TABLE channels ADD COLUMN kind TEXT;

ALTER TABLE versions ADD COLUMN edited_at TEXT;
ALTER TABLE versions ADD COLUMN sender_name TEXT;
ALTER TABLE versions ADD COLUMN sender_id TEXT;
ALTER TABLE versions ADD COLUMN reply_to_message_id INTEGER;
ALTER TABLE versions ADD COLUMN reply_to_chat_id INTEGER;
ALTER TABLE versions ADD COLUMN via_bot TEXT;
ALTER TABLE versions ADD COLUMN saved_from TEXT;

ALTER TABLE forwards ADD COLUMN sender_id TEXT;

ALTER TABLE media ADD COLUMN width INTEGER;
ALTER TABLE media ADD COLUMN height INTEGER;
ALTER TABLE media ADD COLUMN path TEXT;
ALTER TABLE media ADD COLUMN sha256 TEXT;
ALTER TABLE media ADD COLUMN attrs TEXT;
ALTER TABLE media ADD COLUMN poll TEXT;
CREATE INDEX media_sha256 ON media(sha256);

ALTER TABLE sightings ADD COLUMN locator TEXT;

CREATE TABLE reactions (
    version_id   INTEGER NOT NULL REFERENCES versions(id),
    ord          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    emoji        TEXT,
    document_id  TEXT,
    count        INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);

CREATE TABLE entities (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    ord         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    span_start  INTEGER NOT NULL,
    span_end    INTEGER NOT NULL,
    attrs       TEXT,
    PRIMARY KEY (version_id, ord)
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    capture_id  INTEGER NOT NULL REFERENCES captures(id),
    ordinal     INTEGER NOT NULL,
    message_id  INTEGER,
    date        TEXT,
    actor_name  TEXT,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    text        TEXT NOT NULL,
    details     TEXT,
    locator     TEXT,
    line_start  INTEGER,
    line_end    INTEGER,
    byte_start  INTEGER,
    byte_end    INTEGER,
    UNIQUE (capture_id, ordinal)
);
CREATE INDEX events_channel ON events(channel_id, message_id);

ALTER TABLE captures ADD COLUMN events_seen INTEGER NOT NULL DEFAULT 0;
