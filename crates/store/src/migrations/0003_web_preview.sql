-- What the web preview (t.me/s) and live collection add: the "edited" mark as each sighting
-- showed it, what a channel's page header says, every HTTP fetch, posts found missing from a
-- later capture that covers their ids, and the state of collection runs (to resume them).

ALTER TABLE sightings ADD COLUMN edited INTEGER;

ALTER TABLE channels ADD COLUMN description TEXT;
ALTER TABLE channels ADD COLUMN subscribers INTEGER;

-- Every request a collector made, answered or not. A page that was read is a capture.
CREATE TABLE fetches (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    status      INTEGER,
    fetched_at  TEXT NOT NULL,
    capture_id  INTEGER REFERENCES captures(id),
    error       TEXT
);
CREATE INDEX fetches_capture ON fetches(capture_id);

-- A post archived before that a capture covering its id did not show.
CREATE TABLE absences (
    id           INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES posts(id),
    capture_id   INTEGER NOT NULL REFERENCES captures(id),
    range_start  INTEGER NOT NULL,
    range_end    INTEGER NOT NULL,
    UNIQUE (post_id, capture_id)
);
CREATE INDEX absences_capture ON absences(capture_id);

-- A collection run of one channel: where it is, so that an interrupted run resumes.
CREATE TABLE collect_runs (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    base_url     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    next_before  INTEGER,
    stop_at      INTEGER,
    full         INTEGER NOT NULL DEFAULT 0,
    pages        INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT
);
CREATE INDEX collect_runs_channel ON collect_runs(channel, finished_at);
