-- The archive's mark in commit order, observed times as the captures wrote them, and the order
-- in which a channel's names were seen.
--
-- 1. versions.mark. Derived data (the search index, the analyses) is caught up from the
--    archive's mark: it reads the versions newer than the mark it recorded. On SQLite the mark
--    is the newest version id, which is safe because SQLite has one writer at a time. Here ids
--    are handed out in one order and committed in another: a reader that read up to id 12
--    while the transaction holding id 11 had not committed would never read version 11. So a
--    version's mark is drawn from versions_mark_seq at the end of the transaction that added
--    it, under a transaction-level advisory lock that its commit releases
--    (tgscope_postgres::write::MARK_LOCK_KEY): marks follow commit order, and the archive's
--    mark is max(mark). A version has no mark only until its transaction commits. Versions
--    written before this migration take their ids as marks.
--
-- 2. versions.date, versions.edited_at, forwards.date and events.date become text. They are
--    what the captures say, and not all of it is an instant: a Desktop export written without
--    its UTC offset gives an edit time as a local time (`2024-07-01T10:00:00`), and an event
--    without an exact date takes its inferred one (a day, or a local time). timestamptz would
--    read those as UTC instants and give them back in another form than the SQLite archive
--    does; as text they are kept as written, as on SQLite, and compared as text (the observed
--    dates are RFC 3339 UTC, which sort as text).
--
-- 3. channel_aliases.id: the order in which a channel's names were recorded, which breaks the
--    ties of first_seen (whole seconds) the way SQLite's row order does.

CREATE SEQUENCE versions_mark_seq AS bigint;

ALTER TABLE versions ADD COLUMN mark bigint;

UPDATE versions SET mark = id;

SELECT setval('versions_mark_seq', COALESCE((SELECT MAX(id) FROM versions), 0) + 1, false);

CREATE INDEX versions_mark ON versions (mark);

ALTER TABLE versions
    ALTER COLUMN date TYPE text
        USING to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    ALTER COLUMN edited_at TYPE text
        USING to_char(edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

ALTER TABLE forwards
    ALTER COLUMN date TYPE text
        USING to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

ALTER TABLE events
    ALTER COLUMN date TYPE text
        USING to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

ALTER TABLE channel_aliases ADD COLUMN id bigserial;
