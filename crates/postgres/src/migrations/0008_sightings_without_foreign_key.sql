-- Sightings lose their foreign key to versions, as a version's parts did in migration 5.
--
-- The check of that key (a look-up of the version, locking it) took a seventh of the
-- database's time in an ingest of the 100 MB benchmark export with four writers, more than
-- the sightings' insert itself. Sightings are written only by the archive's own code, in the
-- transaction that wrote or found their version, with the version's own channel;
-- `tgscope check` counts sightings whose version does not exist in their channel (so one filed
-- under another channel than its version's is found too). The keys that order the archive
-- stay: versions -> posts and absences -> posts.

ALTER TABLE sightings DROP CONSTRAINT IF EXISTS sightings_version_id_channel_id_fkey;
