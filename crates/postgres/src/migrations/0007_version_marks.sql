-- The archive's marks move from a column of versions to a table of their own.
--
-- Migration 3 gave each version a mark when its transaction commits, by updating the versions
-- that transaction had just inserted. PostgreSQL writes an updated row anew, whole (its text
-- with it), with an entry in each of the table's indexes: the update wrote as much as the
-- versions' insert itself (88 of 94 MB of write-ahead log on the 100 MB benchmark export), and
-- took a tenth of the database's time. A commit now inserts one narrow row per version
-- (tgscope_postgres::write::MARK_LOCK_KEY still makes marks follow commit order).
--
-- version_marks keeps the version's post, so that "the posts with a version newer than the
-- mark" reads this table alone. It has no key of its own: a version is marked once, by the
-- transaction that added it, and `tgscope check` counts committed versions without a mark.

CREATE TABLE version_marks (
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    post_id     bigint NOT NULL,
    mark        bigint NOT NULL
);

INSERT INTO version_marks (channel_id, version_id, post_id, mark)
SELECT channel_id, id, post_id, mark FROM versions WHERE mark IS NOT NULL ORDER BY mark;

CREATE INDEX version_marks_mark ON version_marks (mark);

DROP INDEX IF EXISTS versions_mark;
ALTER TABLE versions DROP COLUMN mark;
