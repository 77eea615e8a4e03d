-- A version's texts are compressed with LZ4 where the server has it.
--
-- PostgreSQL compresses a text of more than about 2 kB before it stores it, with pglz unless a
-- column says otherwise. pglz is slow both ways, and every text is compressed once by the
-- ingest and decompressed each time derived data (the search index, the copy analysis) reads
-- it. LZ4 (PostgreSQL 14 and later, when built with it, as Debian's and the official packages
-- are) is several times faster at a similar size. A server without it keeps pglz: the
-- statement's error is caught and the migration goes on. Texts written before stay as they
-- were compressed (both kinds are read alike).

DO $$
BEGIN
    EXECUTE 'ALTER TABLE versions ALTER COLUMN text SET COMPRESSION lz4, '
            'ALTER COLUMN raw_text SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'texts stay compressed with pglz: %', SQLERRM;
END
$$;
