-- Narratives: named, described, versioned sets of search queries (user data). A narrative is
-- never deleted: removing it marks it removed, and adding it again continues its versions.
CREATE TABLE narratives (
    id INTEGER PRIMARY KEY,
    -- The name as first written, and its key (case-insensitive, tgscope-text's alias_key).
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- When it was removed (NULL while it is current).
    removed_at TEXT
);

-- Every version of a narrative's definition, never updated or deleted.
CREATE TABLE narrative_versions (
    narrative_id INTEGER NOT NULL REFERENCES narratives(id),
    -- 1 for the first definition, 2 for the next edit, ...
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    -- The queries as a JSON array of strings, in the order given.
    queries TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (narrative_id, version)
);
