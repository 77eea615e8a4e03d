-- Settings of the archive that users choose (the copy analysis's parameters, ...): user data,
-- kept in the archive so that derived data rebuilt from scratch is rebuilt with them.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
