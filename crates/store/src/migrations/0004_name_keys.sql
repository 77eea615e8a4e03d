-- Migration 4: names, tags and mentions are matched by the keys of tgscope-text's `names`
-- module (folded as the search index folds words: case, ё, accents, Latin/Cyrillic look-alike
-- letters). No table changes: the Rust step of this migration (`migrate::rekey_names`)
-- recomputes `channel_aliases.alias_loose`, `hashtags.tag_key` and `mentions.username_key` of
-- the rows written by earlier versions.
SELECT 1;
