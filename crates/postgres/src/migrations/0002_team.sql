-- Team mode: who may use a shared archive, how they are signed in, and what they did. Only the
-- PostgreSQL archive has these (the embedded archive's `serve` is a local viewer without
-- sign-in). All four are small and become Citus reference tables; none points to a post-level
-- table. No secret is stored in clear: passwords as argon2 hashes (PHC strings), session and
-- API tokens as the SHA-256 (hex) of the token handed out.

CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    -- The sign-in name, as written; unique.
    name          text NOT NULL UNIQUE CHECK (name <> ''),
    -- argon2 hash in PHC string form ($argon2id$v=19$...).
    password_hash text NOT NULL,
    -- reader: browse, search, export; editor: also ingest, collect, narratives and saved
    -- searches; admin: also accounts.
    role          text NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

-- A signed-in browser: the cookie carries the token, the table its hash.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    -- The token every form of this session must send back (CSRF protection).
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Tokens for the API (Authorization: Bearer ...): created, listed, revoked, never shown again.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    -- What its owner called it ("nightly export").
    name        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    -- When it was revoked; NULL while it works.
    revoked_at  timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Every change and every export: who, what, when. Rows are only ever added.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    -- The account that acted; NULL for the command line run on the server itself.
    account_id  bigint REFERENCES accounts (id),
    -- Who, as named at the time (an account's name, or `cli:<system user>`), so that the entry
    -- reads the same after the account is renamed or gone.
    actor       text NOT NULL,
    -- What, as a stable name (`ingest`, `export`, `user.add`, `token.revoke`, ...).
    action      text NOT NULL,
    -- The particulars (capture, filter, account concerned, ...); never a password or token.
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_account ON audit_log (account_id, at);
