-- A version's parts (its forward, media, links, hashtags, mentions, countries, reactions and
-- entities) lose their foreign keys to versions.
--
-- PostgreSQL checks a foreign key row by row, and each check locks the referenced version
-- (SELECT ... FOR KEY SHARE): a post with a dozen entities and reactions locked its own new
-- version a dozen times, and the checks took half of an ingest's time. The parts are written
-- only together with their version, in the same transaction, by the archive's own code, and
-- `tgscope check` counts any part whose version does not exist (as it counts posts without a
-- current version). The keys that order the archive stay: versions -> posts,
-- sightings -> versions, absences -> posts.

ALTER TABLE forwards DROP CONSTRAINT IF EXISTS forwards_version_id_channel_id_fkey;
ALTER TABLE media DROP CONSTRAINT IF EXISTS media_version_id_channel_id_fkey;
ALTER TABLE links DROP CONSTRAINT IF EXISTS links_version_id_channel_id_fkey;
ALTER TABLE hashtags DROP CONSTRAINT IF EXISTS hashtags_version_id_channel_id_fkey;
ALTER TABLE mentions DROP CONSTRAINT IF EXISTS mentions_version_id_channel_id_fkey;
ALTER TABLE countries DROP CONSTRAINT IF EXISTS countries_version_id_channel_id_fkey;
ALTER TABLE reactions DROP CONSTRAINT IF EXISTS reactions_version_id_channel_id_fkey;
ALTER TABLE entities DROP CONSTRAINT IF EXISTS entities_version_id_channel_id_fkey;
