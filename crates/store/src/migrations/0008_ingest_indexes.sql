-- Indexes that an ingest of an export no longer writes at every post. Their keys (a post's first
-- and last lines, a text's SHA-256) are random: an insert lands on a random page of an index as
-- large as its table, and every commit wrote most of those pages again into the log (at 473,000
-- posts that was several GB of writes for a 1 GB export). They serve only posts without a message
-- id (a plain-text capture's), and now hold only what those need.

-- Posts are matched by their first and last lines only while they have no message id (a post of
-- a plain-text capture that may be an edit of one archived before).
DROP INDEX posts_lead;
DROP INDEX posts_tail;
CREATE INDEX posts_lead ON posts(channel_id, lead_key) WHERE message_id IS NULL;
CREATE INDEX posts_tail ON posts(channel_id, tail_key) WHERE message_id IS NULL;

-- A post without a message id is matched by its text's key among every version of its channel.
-- That look-up reads content_keys, which the writer brings up to the versions table (every
-- version with an id up to content_keys_mark.covered) when a look-up needs it: in one pass, in
-- key order, rather than one random page per version written.
DROP INDEX versions_key;
CREATE TABLE content_keys (
    channel_id  INTEGER NOT NULL,
    content_key TEXT NOT NULL,
    version_id  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, content_key, version_id)
) WITHOUT ROWID;
CREATE TABLE content_keys_mark (
    covered INTEGER NOT NULL
);
INSERT INTO content_keys_mark (covered) VALUES (0);
