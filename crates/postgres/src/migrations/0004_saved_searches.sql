-- Team mode's saved searches: a name for a search of the search page (its query string, the
-- query box and filters as /search takes them), with a note, who saved it and when. A small
-- table, a Citus reference table like the other team tables; it points only to `accounts`.

CREATE TABLE saved_searches (
    id              bigserial PRIMARY KEY,
    -- The name as written.
    name            text NOT NULL CHECK (name <> ''),
    -- The name trimmed and in lower case (tgscope_archive::team::saved_search_key), unique:
    -- names differing only in case are one saved search.
    name_key        text NOT NULL UNIQUE CHECK (name_key <> ''),
    -- The search page's query string without the `?` (`q=...&channel=...`).
    query           text NOT NULL CHECK (query <> ''),
    note            text NOT NULL DEFAULT '',
    -- The account that saved it; NULL for the command line (or an account gone).
    created_by_id   bigint REFERENCES accounts (id),
    -- Who saved it, as named at the time.
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
