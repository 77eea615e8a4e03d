-- versions.raw_text is kept only when cleaning changed the text.
--
-- The raw text (what the capture said before interface leftovers were cleaned away) repeated
-- `text` whenever cleaning changed nothing: for most posts. On the 100 MB benchmark export it
-- was a third of the versions' bytes, written twice (table and write-ahead log). A NULL
-- raw_text now means "the same as text"; readers ask for COALESCE(raw_text, text). Versions
-- written before keep their copy (rewriting them would rewrite the whole table).

ALTER TABLE versions ALTER COLUMN raw_text DROP NOT NULL;
