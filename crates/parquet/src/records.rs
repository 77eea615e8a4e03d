//! The Parquet columns of tgscope's records: posts ([`export_fields`]), search hits
//! ([`search_fields`]), channels, captures, entities and copy clusters. Each list is the
//! record's JSON Lines fields, in their order, with their types and nullability
//! (`docs/export.md`, "Parquet").

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields};
use tgscope_engine::ClusterSummary;
use tgscope_engine::export::{
    CaptureRecord, ChannelRecord, EntityRecord, ExportRecord, SearchRecord,
};

use crate::ParquetRecord;

impl ParquetRecord for ExportRecord {
    fn fields() -> Vec<Field> {
        export_fields()
    }
}

impl ParquetRecord for SearchRecord {
    fn fields() -> Vec<Field> {
        search_fields()
    }
}

impl ParquetRecord for ChannelRecord {
    fn fields() -> Vec<Field> {
        vec![
            int("id", false),
            string("name", false),
            string("username", true),
            string("title", true),
            int("tg_id", true),
            string("kind", true),
            strings("aliases"),
            int("posts", false),
            int("forwards", false),
            int("forwarded_by_others", false),
            string("first_date", true),
            string("last_date", true),
            string("telegram_url", true),
        ]
    }
}

impl ParquetRecord for CaptureRecord {
    fn fields() -> Vec<Field> {
        vec![
            int("id", false),
            string("sha256", false),
            int("size", false),
            string("format", false),
            string("reader_version", false),
            string("source", false),
            boolean("raw_kept", false),
            string("status", false),
            int("posts_seen", false),
            int("warnings", false),
            string("ingested_at", false),
            string("completed_at", true),
            string("captured_at", true),
            string("captured_basis", true),
            string("captured_evidence", true),
        ]
    }
}

impl ParquetRecord for EntityRecord {
    fn fields() -> Vec<Field> {
        vec![
            string("key", false),
            string("kind", false),
            string("id", false),
            boolean("listed", false),
            string("name", false),
            int("posts", false),
            int("mentions", false),
            objects(
                "channels",
                vec![int("id", false), string("name", false), int("posts", false)],
            ),
            object(
                "first",
                true,
                vec![int("post", false), string("date", false)],
            ),
            objects(
                "periods",
                vec![string("period", false), int("posts", false)],
            ),
            objects(
                "with",
                vec![
                    string("key", false),
                    string("name", false),
                    int("posts", false),
                ],
            ),
        ]
    }
}

impl ParquetRecord for ClusterSummary {
    fn fields() -> Vec<Field> {
        vec![
            int("cluster", false),
            list("posts", DataType::Int64),
            int("size", false),
            objects(
                "channels",
                vec![
                    int("id", false),
                    int("tg_id", true),
                    string("username", true),
                    string("title", true),
                    string("kind", true),
                ],
            ),
            int("first_post", false),
            string("first_seen_basis", false),
            string("first_date", true),
            string("last_date", true),
            boolean("last_date_inferred", false),
            int("undated_posts", false),
        ]
    }
}

/// A UTF-8 string column.
pub(crate) fn string(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// An INT64 column.
pub(crate) fn int(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Int64, nullable)
}

/// A BOOLEAN column.
pub(crate) fn boolean(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Boolean, nullable)
}

/// A struct (a JSON object).
fn object(name: &str, nullable: bool, fields: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(fields)), nullable)
}

/// A list that is never null, of items that are never null.
pub(crate) fn list(name: &str, item: DataType) -> Field {
    Field::new_list(name, Field::new("element", item, false), false)
}

/// A list of strings.
fn strings(name: &str) -> Field {
    list(name, DataType::Utf8)
}

/// A list of structs.
fn objects(name: &str, fields: Vec<Field>) -> Field {
    list(name, DataType::Struct(Fields::from(fields)))
}

/// A list of `[start, end]` pairs: two-item INT64 lists.
fn pairs(name: &str) -> Field {
    list(
        name,
        DataType::List(Arc::new(Field::new("element", DataType::Int64, false))),
    )
}

/// A map of strings to strings (Parquet `MAP`: repeated key/value groups), never null.
fn string_map(name: &str) -> Field {
    Field::new_map(
        name,
        "key_value",
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        false,
        false,
    )
}

/// The columns of the export record, in the order of its JSON Lines fields, with their types
/// and nullability (`docs/export.md`, "Parquet").
pub fn export_fields() -> Vec<Field> {
    vec![
        int("id", false),
        string("channel", false),
        string("channel_title", true),
        string("channel_username", true),
        int("message_id", true),
        string("permalink", true),
        string("date", true),
        object(
            "date_inferred",
            true,
            vec![
                string("date", false),
                string("basis", false),
                string("evidence", false),
                string("detail", true),
            ],
        ),
        string("text", false),
        string("raw_text", false),
        object(
            "forwarded_from",
            true,
            vec![
                string("title", true),
                string("username", true),
                int("message_id", true),
                string("date", true),
                string("sender_id", true),
            ],
        ),
        string("author", true),
        strings("hashtags"),
        strings("mentions"),
        objects("links", vec![string("url", true), string("label", false)]),
        objects(
            "media",
            vec![
                string("kind", false),
                string("placeholder", true),
                string("label", true),
                string("file_name", true),
                string("mime_type", true),
                int("size", true),
                int("duration", true),
                int("width", true),
                int("height", true),
                string("path", true),
                string("sha256", true),
                string_map("attrs"),
                object(
                    "poll",
                    true,
                    vec![
                        string("question", false),
                        boolean("closed", true),
                        int("total_voters", true),
                        objects(
                            "answers",
                            vec![
                                string("text", false),
                                int("voters", true),
                                boolean("chosen", true),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        strings("countries"),
        objects(
            "named_entities",
            vec![
                string("kind", false),
                string("id", false),
                string("name", false),
                boolean("listed", false),
                pairs("spans"),
            ],
        ),
        int("views", true),
        boolean("edited", true),
        boolean("unviewable", false),
        int("version", false),
        int("versions", false),
        strings("captures"),
        int("channel_tg_id", true),
        string("channel_kind", true),
        object(
            "sender",
            true,
            vec![string("name", true), string("id", true)],
        ),
        string("edited_at", true),
        object(
            "reply_to",
            true,
            vec![int("message_id", true), int("chat_id", true)],
        ),
        string("via_bot", true),
        string("saved_from", true),
        objects(
            "reactions",
            vec![
                string("kind", false),
                string("emoji", true),
                string("document_id", true),
                int("count", false),
            ],
        ),
        objects(
            "entities",
            vec![
                string("kind", false),
                int("start", false),
                int("end", false),
                string_map("attrs"),
            ],
        ),
        int("cluster", true),
        object(
            "copy_of",
            true,
            vec![int("post", false), string("relation", false)],
        ),
    ]
}

/// The columns of a search hit: the export record's, then `score` (FLOAT, the relevance as
/// JSON Lines gives it), `snippet` (UTF-8) and `highlights` (`[start, end]` byte ranges of the
/// matched words in `snippet`, as in JSON Lines).
pub fn search_fields() -> Vec<Field> {
    let mut fields = export_fields();
    fields.extend([
        Field::new("score", DataType::Float32, false),
        string("snippet", false),
        pairs("highlights"),
    ]);
    fields
}
