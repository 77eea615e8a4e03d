-- Migration 5: when each capture was made, and how that is known. Before this, the time a
-- capture's view counts and sightings were observed was its fetch time, else its ingest time
-- (for a saved file, the day it was ingested, however old the file).
--   captured_at       RFC 3339 UTC, or a day (YYYY-MM-DD) when only the day is known
--   captured_basis    user (ingest --captured-at), fetched (a collector's fetch), file (the
--                     capture says it: a saved page's own time, an export folder's date),
--                     ingested (nothing says: the ingest time, a last resort)
--   captured_evidence what says so, as written (the page's saved date, the folder's name, the
--                     URL fetched); NULL for the ingest time
ALTER TABLE captures ADD COLUMN captured_at TEXT;
ALTER TABLE captures ADD COLUMN captured_basis TEXT
    CHECK (captured_basis IN ('user', 'fetched', 'file', 'ingested'));
ALTER TABLE captures ADD COLUMN captured_evidence TEXT;

-- Captures archived before: a fetched page was made when it was first fetched; any other is
-- known only by its ingest time (re-ingesting a Desktop export from its dated folder, or with
-- --captured-at, records better).
UPDATE captures
SET captured_at = (SELECT MIN(f.fetched_at) FROM fetches f WHERE f.capture_id = captures.id),
    captured_basis = 'fetched',
    captured_evidence = (SELECT f.url FROM fetches f WHERE f.capture_id = captures.id
                         ORDER BY f.fetched_at, f.id LIMIT 1)
WHERE EXISTS (SELECT 1 FROM fetches f WHERE f.capture_id = captures.id);
UPDATE captures SET captured_at = ingested_at, captured_basis = 'ingested'
WHERE captured_at IS NULL;
