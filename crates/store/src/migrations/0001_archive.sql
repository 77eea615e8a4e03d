-- The archive's first schema: channels and their aliases, captures with their provenance,
-- posts, their versions, where each version was seen, and what each version carries.

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    tg_id       INTEGER UNIQUE,
    username    TEXT,
    title       TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE channel_aliases (
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    kind        TEXT NOT NULL CHECK (kind IN ('username', 'title')),
    alias       TEXT NOT NULL,
    alias_key   TEXT NOT NULL,
    alias_loose TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    PRIMARY KEY (kind, alias_key)
);
CREATE INDEX channel_aliases_channel ON channel_aliases(channel_id);
CREATE INDEX channel_aliases_loose ON channel_aliases(alias_loose);

CREATE TABLE captures (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE,
    size            INTEGER NOT NULL,
    format          TEXT NOT NULL,
    reader_version  TEXT NOT NULL,
    source          TEXT NOT NULL,
    url             TEXT,
    http_status     INTEGER,
    fetched_at      TEXT,
    channel_id      INTEGER REFERENCES channels(id),
    raw_kept        INTEGER NOT NULL,
    ingested_at     TEXT NOT NULL,
    completed_at    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('partial', 'complete')),
    posts_seen      INTEGER NOT NULL DEFAULT 0,
    warnings        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE posts (
    id                  INTEGER PRIMARY KEY,
    channel_id          INTEGER NOT NULL REFERENCES channels(id),
    message_id          INTEGER,
    lead_key            TEXT,
    tail_key            TEXT,
    current_version_id  INTEGER,
    first_capture_id    INTEGER NOT NULL REFERENCES captures(id),
    created_at          TEXT NOT NULL,
    UNIQUE (channel_id, message_id)
);
CREATE INDEX posts_lead ON posts(channel_id, lead_key);
CREATE INDEX posts_tail ON posts(channel_id, tail_key);

CREATE TABLE versions (
    id              INTEGER PRIMARY KEY,
    post_id         INTEGER NOT NULL REFERENCES posts(id),
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    seq             INTEGER NOT NULL,
    content_key     TEXT NOT NULL,
    text            TEXT NOT NULL,
    raw_text        TEXT NOT NULL,
    date            TEXT,
    date_inferred   TEXT,
    date_basis      TEXT,
    date_evidence   TEXT,
    date_detail     TEXT,
    edited          INTEGER,
    views           INTEGER,
    author          TEXT,
    unviewable      INTEGER NOT NULL,
    capture_id      INTEGER NOT NULL REFERENCES captures(id),
    created_at      TEXT NOT NULL,
    UNIQUE (post_id, seq),
    UNIQUE (post_id, content_key)
);
CREATE INDEX versions_key ON versions(channel_id, content_key);

CREATE TABLE sightings (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    capture_id  INTEGER NOT NULL REFERENCES captures(id),
    ordinal     INTEGER NOT NULL,
    line_start  INTEGER,
    line_end    INTEGER,
    byte_start  INTEGER,
    byte_end    INTEGER,
    views       INTEGER,
    UNIQUE (capture_id, ordinal)
);
CREATE INDEX sightings_version ON sightings(version_id, capture_id);

CREATE TABLE forwards (
    version_id  INTEGER PRIMARY KEY REFERENCES versions(id),
    channel_id  INTEGER REFERENCES channels(id),
    title       TEXT,
    username    TEXT,
    message_id  INTEGER,
    date        TEXT
);
CREATE INDEX forwards_channel ON forwards(channel_id);

CREATE TABLE media (
    version_id   INTEGER NOT NULL REFERENCES versions(id),
    ord          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    placeholder  TEXT,
    label        TEXT,
    file_name    TEXT,
    mime_type    TEXT,
    size         INTEGER,
    duration     INTEGER,
    PRIMARY KEY (version_id, ord)
);

CREATE TABLE links (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    ord         INTEGER NOT NULL,
    url         TEXT,
    label       TEXT NOT NULL,
    span_start  INTEGER,
    span_end    INTEGER,
    PRIMARY KEY (version_id, ord)
);

CREATE TABLE hashtags (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    ord         INTEGER NOT NULL,
    tag         TEXT NOT NULL,
    tag_key     TEXT NOT NULL,
    span_start  INTEGER NOT NULL,
    span_end    INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);
CREATE INDEX hashtags_key ON hashtags(tag_key);

CREATE TABLE mentions (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    ord         INTEGER NOT NULL,
    username    TEXT NOT NULL,
    username_key TEXT NOT NULL,
    span_start  INTEGER NOT NULL,
    span_end    INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);
CREATE INDEX mentions_key ON mentions(username_key);

CREATE TABLE countries (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    ord         INTEGER NOT NULL,
    code        TEXT NOT NULL,
    span_start  INTEGER NOT NULL,
    span_end    INTEGER NOT NULL,
    PRIMARY KEY (version_id, ord)
);
CREATE INDEX countries_code ON countries(code);
