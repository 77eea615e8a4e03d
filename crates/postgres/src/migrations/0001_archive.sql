-- The archive on PostgreSQL: everything the embedded SQLite archive holds after its migration 7
-- (crates/store/src/migrations/0001..0007), in one schema, ready to be distributed by channel on
-- a Citus cluster (docs/team.md, "Citus").
--
-- Conventions, and why:
-- - Integers are bigint everywhere: the store binds every integer as i64, and the PostgreSQL
--   client refuses an i64 for an integer (int4) column. Flags are boolean.
-- - Generated ids come from bigserial sequences (bigint columns whose default is nextval of an
--   owned sequence). Citus distributes tables with such sequences and keeps values unique when
--   rows are inserted on several nodes (each node draws from its own range of the bigint
--   sequence); it supports GENERATED ... AS IDENTITY only for bigint and not in
--   alter_distributed_table or undistribute_table.
-- - Times the archive records itself (created_at, ingested_at, completed_at, fetched_at,
--   first_seen, started_at, finished_at, updated_at, removed_at) and the observed times of posts
--   (versions.date, versions.edited_at, forwards.date, events.date) are timestamptz: the SQLite
--   archive keeps them as RFC 3339 UTC text with whole seconds (`2023-02-28T14:17:15Z`, years 1
--   to 9999: what the store's clock and every reader write), which timestamptz holds exactly
--   and gives back as the same text with to_char(t AT TIME ZONE 'UTC',
--   'YYYY-MM-DD"T"HH24:MI:SS"Z"'). Writers pass these times explicitly (not now(), which has
--   fractions of a second).
-- - Two date columns stay text, because their values are not all instants:
--   versions.date_inferred (a day, a local time without offset, or a UTC time) and
--   captures.captured_at (a UTC time, or only a day).
-- - JSON that SQLite keeps as text is jsonb (media.attrs, media.poll, entities.attrs,
--   events.details, narrative_versions.queries): every one is read back into Rust values, and
--   the ordered name-value lists are JSON arrays, whose order jsonb keeps.
--
-- Citus: the post-level tables (posts, versions, sightings, absences, events, and every table
-- hanging off a version) carry channel_id, the distribution column. Each of their primary keys
-- and unique constraints includes channel_id, and each foreign key between them pairs
-- channel_id with channel_id, so that a post, its versions and everything they carry live on
-- one shard and join there. The other tables are small and become reference tables (a copy on
-- every node); distributed tables may point to them, never the other way round. The lists are
-- tgscope_postgres::citus::{DISTRIBUTED, REFERENCE}; tests/citus.rs checks these rules on the
-- catalog.

-- Reference tables -------------------------------------------------------------------------

CREATE TABLE channels (
    id          bigserial PRIMARY KEY,
    tg_id       bigint UNIQUE,
    username    text,
    title       text,
    kind        text,
    description text,
    subscribers bigint,
    created_at  timestamptz NOT NULL
);

CREATE TABLE channel_aliases (
    channel_id  bigint NOT NULL REFERENCES channels (id),
    kind        text NOT NULL CHECK (kind IN ('username', 'title')),
    alias       text NOT NULL,
    alias_key   text NOT NULL,
    alias_loose text NOT NULL,
    first_seen  timestamptz NOT NULL,
    PRIMARY KEY (kind, alias_key)
);
CREATE INDEX channel_aliases_channel ON channel_aliases (channel_id);
CREATE INDEX channel_aliases_loose ON channel_aliases (alias_loose);

CREATE TABLE captures (
    id                bigserial PRIMARY KEY,
    sha256            text NOT NULL UNIQUE,
    size              bigint NOT NULL,
    format            text NOT NULL,
    reader_version    text NOT NULL,
    source            text NOT NULL,
    url               text,
    http_status       bigint,
    fetched_at        timestamptz,
    channel_id        bigint REFERENCES channels (id),
    raw_kept          boolean NOT NULL,
    ingested_at       timestamptz NOT NULL,
    completed_at      timestamptz,
    status            text NOT NULL CHECK (status IN ('partial', 'complete')),
    posts_seen        bigint NOT NULL DEFAULT 0,
    warnings          bigint NOT NULL DEFAULT 0,
    events_seen       bigint NOT NULL DEFAULT 0,
    -- When the capture was made: RFC 3339 UTC, or a day (YYYY-MM-DD) when only the day is
    -- known (text: a day is not an instant).
    captured_at       text,
    captured_basis    text CHECK (captured_basis IN ('user', 'fetched', 'file', 'ingested')),
    captured_evidence text
);

-- Every request a collector made, answered or not. A page that was read is a capture.
CREATE TABLE fetches (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL,
    status      bigint,
    fetched_at  timestamptz NOT NULL,
    capture_id  bigint REFERENCES captures (id),
    error       text
);
CREATE INDEX fetches_capture ON fetches (capture_id);

-- A collection run of one channel: where it is, so that an interrupted run resumes.
CREATE TABLE collect_runs (
    id           bigserial PRIMARY KEY,
    channel      text NOT NULL,
    base_url     text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    next_before  bigint,
    stop_at      bigint,
    -- `full` on SQLite; FULL is a reserved word in PostgreSQL.
    full_run     boolean NOT NULL DEFAULT false,
    pages        bigint NOT NULL DEFAULT 0,
    outcome      text
);
CREATE INDEX collect_runs_channel ON collect_runs (channel, finished_at);

-- Settings of the archive that users choose (the copy analysis's parameters, ...).
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Narratives: named, described, versioned sets of search queries. Never deleted: removing one
-- sets removed_at, and adding it again continues its versions.
CREATE TABLE narratives (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    -- The name's key (case-insensitive, tgscope-text's alias_key).
    name_key    text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    removed_at  timestamptz
);

-- Every version of a narrative's definition, never updated or deleted.
CREATE TABLE narrative_versions (
    narrative_id bigint NOT NULL REFERENCES narratives (id),
    version      bigint NOT NULL,
    description  text NOT NULL,
    -- The queries, a JSON array of strings in the order given.
    queries      jsonb NOT NULL CHECK (jsonb_typeof(queries) = 'array'),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (narrative_id, version)
);

-- Distributed tables (distribution column: channel_id) ---------------------------------------
--
-- Keys lead with the row's own id (id, channel_id) or its version (version_id, ord,
-- channel_id): the store looks rows up by id, and a key that starts with it serves those
-- look-ups on one PostgreSQL and on every shard alike.

CREATE TABLE posts (
    id                  bigserial,
    channel_id          bigint NOT NULL REFERENCES channels (id),
    message_id          bigint,
    lead_key            text,
    tail_key            text,
    -- The post's current version (no foreign key: posts and versions would point at each
    -- other; `tgscope check` verifies it, as on SQLite).
    current_version_id  bigint,
    first_capture_id    bigint NOT NULL REFERENCES captures (id),
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (id, channel_id),
    UNIQUE (channel_id, message_id)
);
CREATE INDEX posts_lead ON posts (channel_id, lead_key);
CREATE INDEX posts_tail ON posts (channel_id, tail_key);

CREATE TABLE versions (
    id                  bigserial,
    post_id             bigint NOT NULL,
    channel_id          bigint NOT NULL REFERENCES channels (id),
    seq                 bigint NOT NULL,
    content_key         text NOT NULL,
    text                text NOT NULL,
    raw_text            text NOT NULL,
    date                timestamptz,
    -- A day, a local time without offset or a UTC time (model::InferredDate): text.
    date_inferred       text,
    date_basis          text,
    date_evidence       text,
    date_detail         text,
    edited              boolean,
    views               bigint,
    author              text,
    unviewable          boolean NOT NULL,
    capture_id          bigint NOT NULL REFERENCES captures (id),
    created_at          timestamptz NOT NULL,
    edited_at           timestamptz,
    sender_name         text,
    sender_id           text,
    reply_to_message_id bigint,
    reply_to_chat_id    bigint,
    via_bot             text,
    saved_from          text,
    PRIMARY KEY (id, channel_id),
    UNIQUE (post_id, seq, channel_id),
    UNIQUE (post_id, content_key, channel_id),
    FOREIGN KEY (post_id, channel_id) REFERENCES posts (id, channel_id)
);
CREATE INDEX versions_key ON versions (channel_id, content_key);

-- Where a capture showed a version.
CREATE TABLE sightings (
    id          bigserial,
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    capture_id  bigint NOT NULL REFERENCES captures (id),
    ordinal     bigint NOT NULL,
    line_start  bigint,
    line_end    bigint,
    byte_start  bigint,
    byte_end    bigint,
    views       bigint,
    locator     text,
    edited      boolean,
    PRIMARY KEY (id, channel_id),
    -- On SQLite (capture_id, ordinal) is unique; a capture's ordinal is one post of one
    -- channel, so with channel_id the key says the same.
    UNIQUE (capture_id, ordinal, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX sightings_version ON sightings (version_id, capture_id);

-- A post archived before that a capture covering its id did not show.
CREATE TABLE absences (
    id           bigserial,
    channel_id   bigint NOT NULL,
    post_id      bigint NOT NULL,
    capture_id   bigint NOT NULL REFERENCES captures (id),
    range_start  bigint NOT NULL,
    range_end    bigint NOT NULL,
    PRIMARY KEY (id, channel_id),
    UNIQUE (post_id, capture_id, channel_id),
    FOREIGN KEY (post_id, channel_id) REFERENCES posts (id, channel_id)
);
CREATE INDEX absences_capture ON absences (capture_id);

-- Service events of a channel (created, renamed, pinned, ...), as captures showed them.
CREATE TABLE events (
    id          bigserial,
    channel_id  bigint NOT NULL REFERENCES channels (id),
    capture_id  bigint NOT NULL REFERENCES captures (id),
    ordinal     bigint NOT NULL,
    message_id  bigint,
    date        timestamptz,
    actor_name  text,
    actor_id    text,
    action      text NOT NULL,
    text        text NOT NULL,
    details     jsonb,
    locator     text,
    line_start  bigint,
    line_end    bigint,
    byte_start  bigint,
    byte_end    bigint,
    PRIMARY KEY (id, channel_id),
    UNIQUE (capture_id, ordinal, channel_id)
);
CREATE INDEX events_channel ON events (channel_id, message_id);

-- What a version carries. channel_id is the post's channel (the distribution column); the
-- forward's origin is source_channel_id (channel_id on SQLite).
CREATE TABLE forwards (
    channel_id        bigint NOT NULL,
    version_id        bigint NOT NULL,
    source_channel_id bigint REFERENCES channels (id),
    title             text,
    username          text,
    message_id        bigint,
    date              timestamptz,
    sender_id         text,
    PRIMARY KEY (version_id, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX forwards_source ON forwards (source_channel_id);

CREATE TABLE media (
    channel_id   bigint NOT NULL,
    version_id   bigint NOT NULL,
    ord          bigint NOT NULL,
    kind         text NOT NULL,
    placeholder  text,
    label        text,
    file_name    text,
    mime_type    text,
    size         bigint,
    duration     bigint,
    width        bigint,
    height       bigint,
    path         text,
    sha256       text,
    -- [[name, value], ...] in the capture's order.
    attrs        jsonb,
    poll         jsonb,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX media_sha256 ON media (sha256);

CREATE TABLE links (
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    ord         bigint NOT NULL,
    url         text,
    label       text NOT NULL,
    span_start  bigint,
    span_end    bigint,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);

CREATE TABLE hashtags (
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    ord         bigint NOT NULL,
    tag         text NOT NULL,
    tag_key     text NOT NULL,
    span_start  bigint NOT NULL,
    span_end    bigint NOT NULL,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX hashtags_key ON hashtags (tag_key);

CREATE TABLE mentions (
    channel_id   bigint NOT NULL,
    version_id   bigint NOT NULL,
    ord          bigint NOT NULL,
    username     text NOT NULL,
    username_key text NOT NULL,
    span_start   bigint NOT NULL,
    span_end     bigint NOT NULL,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX mentions_key ON mentions (username_key);

CREATE TABLE countries (
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    ord         bigint NOT NULL,
    code        text NOT NULL,
    span_start  bigint NOT NULL,
    span_end    bigint NOT NULL,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
CREATE INDEX countries_code ON countries (code);

CREATE TABLE reactions (
    channel_id   bigint NOT NULL,
    version_id   bigint NOT NULL,
    ord          bigint NOT NULL,
    kind         text NOT NULL,
    emoji        text,
    document_id  text,
    count        bigint NOT NULL,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);

-- Formatting entities of the text (bold, links, custom emoji, ...), as exports give them.
CREATE TABLE entities (
    channel_id  bigint NOT NULL,
    version_id  bigint NOT NULL,
    ord         bigint NOT NULL,
    kind        text NOT NULL,
    span_start  bigint NOT NULL,
    span_end    bigint NOT NULL,
    -- [[name, value], ...] in the export's order.
    attrs       jsonb,
    PRIMARY KEY (version_id, ord, channel_id),
    FOREIGN KEY (version_id, channel_id) REFERENCES versions (id, channel_id)
);
