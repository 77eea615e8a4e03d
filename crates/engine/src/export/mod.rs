//! The export record: one post as JSON Lines or CSV. Its field names are a contract (see
//! `docs/export.md`): add fields, never rename or remove them.

use std::io::Write;

use serde::Serialize;
use std::collections::BTreeMap;

use tgscope_archive::PostRecord;
use tgscope_model::{Entity, Forward, Link, Media, Poll, Reaction, Reply, Sender};

use crate::error::Result;

pub mod records;
pub mod sink;

pub use records::{
    CaptureRecord, ChannelRecord, EntityChannelView, EntityFirstView, EntityPeriodView,
    EntityRecord, EntityWithView, SearchRecord,
};
pub use sink::{CsvSink, JsonlSink, RecordSink, SinkFormat, TableRecord, text_sink};

/// The inferred date of an export record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportInferredDate {
    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` local time for a Desktop copy header.
    pub date: String,
    /// How it was inferred (`text_date`, `text_day_month_neighbour_year`, `day_separator`,
    /// `desktop_copy_header`).
    pub basis: String,
    /// The text it came from.
    pub evidence: String,
    /// More detail, when there is any.
    pub detail: Option<String>,
}

/// The forward source of an export record; every field null when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportForward {
    /// Display name of the origin.
    pub title: Option<String>,
    /// Username of the origin.
    pub username: Option<String>,
    /// The origin post's id.
    pub message_id: Option<i64>,
    /// The origin post's date.
    pub date: Option<String>,
    /// The origin's Telegram id as the capture writes it (`channel123`).
    pub sender_id: Option<String>,
}

impl From<&Forward> for ExportForward {
    fn from(f: &Forward) -> Self {
        ExportForward {
            title: f.title.clone(),
            username: f.username.clone(),
            message_id: f.message_id,
            date: f.date.clone(),
            sender_id: f.sender_id.clone(),
        }
    }
}

/// A formatting or meaning entity of an export record, with offsets in Unicode code points
/// (what Python's and R's string indexing count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportEntity {
    /// The entity's type (`bold`, `text_link`, `blockquote`, ... or a type tgscope does not
    /// know, kept as the capture names it).
    pub kind: String,
    /// First code point.
    pub start: usize,
    /// One past the last code point.
    pub end: usize,
    /// Its attributes (`href`, `language`, `document_id`, `collapsed`, `user_id`).
    pub attrs: BTreeMap<String, String>,
}

impl ExportEntity {
    fn new(e: &Entity, text: &str) -> ExportEntity {
        let chars = |byte: usize| text.get(..byte).map_or(0, |t| t.chars().count());
        ExportEntity {
            kind: e.kind.clone(),
            start: chars(e.span.start),
            end: chars(e.span.end),
            attrs: e.attrs.iter().cloned().collect(),
        }
    }
}

/// A link of an export record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportLink {
    /// The target; null when the capture lost it.
    pub url: Option<String>,
    /// The visible text.
    pub label: String,
}

impl From<&Link> for ExportLink {
    fn from(l: &Link) -> Self {
        ExportLink {
            url: l.url.clone(),
            label: l.label.clone(),
        }
    }
}

/// A media item of an export record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportMedia {
    /// Kind (`photo`, `video`, `document`, ..., `unknown`).
    pub kind: String,
    /// Why only a placeholder stands there (`too_big`, `not_supported`, `open_in_telegram`,
    /// `not_included`), or null.
    pub placeholder: Option<String>,
    /// The interface text of the placeholder.
    pub label: Option<String>,
    /// File name.
    pub file_name: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Duration in seconds.
    pub duration: Option<u32>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// The file's path inside the export, when the export names one.
    pub path: Option<String>,
    /// SHA-256 of the file, when the archive keeps it (`media/<aa>/<sha256>`).
    pub sha256: Option<String>,
    /// Small facts: a sticker's emoji, a song's performer and title, a place's coordinates.
    pub attrs: BTreeMap<String, String>,
    /// The poll, for a poll.
    pub poll: Option<Poll>,
}

impl From<&Media> for ExportMedia {
    fn from(m: &Media) -> Self {
        ExportMedia {
            kind: m.kind.as_str().to_string(),
            placeholder: m.placeholder.map(|p| p.as_str().to_string()),
            label: m.label.clone(),
            file_name: m.file_name.clone(),
            mime_type: m.mime_type.clone(),
            size: m.size,
            duration: m.duration,
            width: m.width,
            height: m.height,
            path: m.path.clone(),
            sha256: m.sha256.clone(),
            attrs: m.attrs.iter().cloned().collect(),
            poll: m.poll.clone(),
        }
    }
}

/// One post, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRecord {
    /// The archive's id of the post.
    pub id: i64,
    /// The channel's username, else its title.
    pub channel: String,
    /// The channel's title, when known.
    pub channel_title: Option<String>,
    /// The channel's username, when known.
    pub channel_username: Option<String>,
    /// Telegram's message id, when the format gives one.
    pub message_id: Option<i64>,
    /// `https://t.me/<username>/<message_id>` when both are known.
    pub permalink: Option<String>,
    /// Observed date, RFC 3339 UTC.
    pub date: Option<String>,
    /// Inferred date with its basis.
    pub date_inferred: Option<ExportInferredDate>,
    /// Clean text.
    pub text: String,
    /// Raw text as captured.
    pub raw_text: String,
    /// Forward source, null when not a forward.
    pub forwarded_from: Option<ExportForward>,
    /// Sender or signature, when the capture shows one.
    pub author: Option<String>,
    /// Hashtags without `#`, in order, repeats kept.
    pub hashtags: Vec<String>,
    /// Mentioned usernames without `@`.
    pub mentions: Vec<String>,
    /// Links.
    pub links: Vec<ExportLink>,
    /// Media and placeholders.
    pub media: Vec<ExportMedia>,
    /// The countries the text names (by name, adjective, abbreviation, flag emoji or hashtag;
    /// ISO 3166-1 alpha-2 codes), each once, in the order of their first mention.
    pub countries: Vec<String>,
    /// The countries, organisations and people the text names (`docs/entities.md`), each once,
    /// in the order of their first mention, with every span.
    pub named_entities: Vec<ExportNamedEntity>,
    /// Views, null where the format has none.
    pub views: Option<u64>,
    /// Edited mark, null where the format has none.
    pub edited: Option<bool>,
    /// True when the capture showed only "Please open Telegram to view this post".
    pub unviewable: bool,
    /// Which version of the post this is (1 = first seen).
    pub version: i64,
    /// How many versions the archive holds.
    pub versions: i64,
    /// SHA-256 of every capture that saw the post.
    pub captures: Vec<String>,
    /// Telegram's numeric id of the channel, when known.
    pub channel_tg_id: Option<i64>,
    /// The chat's kind (`public_channel`, `private_supergroup`, `personal_chat`, ...).
    pub channel_kind: Option<String>,
    /// Who sent it (`from` / `from_id` of an export), when the capture says.
    pub sender: Option<Sender>,
    /// When it was last edited (RFC 3339 UTC), when the capture says.
    pub edited_at: Option<String>,
    /// The message it replies to.
    pub reply_to: Option<Reply>,
    /// The bot it was sent via.
    pub via_bot: Option<String>,
    /// Where a saved message was saved from.
    pub saved_from: Option<String>,
    /// Reactions with their counts.
    pub reactions: Vec<Reaction>,
    /// Formatting and meaning entities of `text`.
    pub entities: Vec<ExportEntity>,
    /// The copy cluster the post is in (its id), null when the archive holds no copy of it.
    pub cluster: Option<i64>,
    /// The first post seen in this archive of its cluster and the post's relation to it
    /// (`first` for that post itself), null when the post has no copies.
    pub copy_of: Option<crate::copies::CopyOf>,
}

impl From<&PostRecord> for ExportRecord {
    fn from(p: &PostRecord) -> Self {
        let v = &p.current;
        let permalink = records::telegram_post_url(p.channel.username.as_deref(), p.message_id);
        ExportRecord {
            id: p.id,
            channel: p.channel.name(),
            channel_title: p.channel.title.clone(),
            channel_username: p.channel.username.clone(),
            message_id: p.message_id,
            permalink,
            date: v.date.clone(),
            date_inferred: v.date_inferred.as_ref().map(|d| ExportInferredDate {
                date: d.date.clone(),
                basis: d.basis.as_str().to_string(),
                evidence: d.evidence.clone(),
                detail: d.detail.clone(),
            }),
            text: v.text.clone(),
            raw_text: v.raw_text.clone(),
            forwarded_from: v.forward.as_ref().map(ExportForward::from),
            author: v.author.clone(),
            hashtags: v.hashtags.iter().map(|t| t.value.clone()).collect(),
            mentions: v.mentions.iter().map(|t| t.value.clone()).collect(),
            links: v.links.iter().map(ExportLink::from).collect(),
            media: v.media.iter().map(ExportMedia::from).collect(),
            countries: v.countries.iter().map(|c| c.code.clone()).collect(),
            named_entities: Vec::new(),
            views: v.views,
            edited: v.edited,
            unviewable: v.unviewable,
            version: v.seq,
            versions: p.version_count,
            captures: p.captures.clone(),
            channel_tg_id: p.channel.tg_id,
            channel_kind: p.channel.kind.clone(),
            sender: v.sender.clone(),
            edited_at: v.edited_at.clone(),
            reply_to: v.reply_to.clone(),
            via_bot: v.via_bot.clone(),
            saved_from: v.saved_from.clone(),
            reactions: v.reactions.clone(),
            entities: v
                .entities
                .iter()
                .map(|e| ExportEntity::new(e, &v.text))
                .collect(),
            cluster: None,
            copy_of: None,
        }
    }
}

/// A country, organisation or person the text names, with its spans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportNamedEntity {
    /// `country`, `org` or `person`.
    pub kind: String,
    /// Its id: ISO 3166-1 alpha-2 for a country (`KZ`), a short id for an organisation
    /// (`sco`) or a person (`lavrov`); `~` and the name folded for a person not on the lists.
    pub id: String,
    /// Its name (English); the name as written for a person not on the lists.
    pub name: String,
    /// Whether it is on the lists (`false`: a person found after a role phrase: inferred).
    pub listed: bool,
    /// Where the text names it: `[start, end)` in code points of `text`.
    pub spans: Vec<[usize; 2]>,
}

impl ExportRecord {
    /// The record of a post with its place among copies (from [`crate::Engine::copy_relations`])
    /// and the entities its text names (by the archive's recognizer,
    /// [`crate::Engine::recognizer`]).
    pub fn with_copies(
        p: &PostRecord,
        copies: &crate::copies::CopyRelations,
        recognizer: &tgscope_analyze::entities::Recognizer,
    ) -> ExportRecord {
        let mut record = ExportRecord::from(p);
        if let Some((cluster, of)) = copies.get(&p.id) {
            record.cluster = Some(*cluster);
            record.copy_of = Some(of.clone());
        }
        record.named_entities = named_entities(&record.text, recognizer);
        // The countries the text names, flags among them; a flag the lists do not know stays.
        let mut countries: Vec<String> = record
            .named_entities
            .iter()
            .filter(|e| e.kind == "country")
            .map(|e| e.id.clone())
            .collect();
        for flag in std::mem::take(&mut record.countries) {
            if !countries.contains(&flag) {
                countries.push(flag);
            }
        }
        record.countries = countries;
        record
    }
}

/// The entities a text names, each once in the order of its first mention, spans in code
/// points.
pub fn named_entities(
    text: &str,
    recognizer: &tgscope_analyze::entities::Recognizer,
) -> Vec<ExportNamedEntity> {
    let mut out: Vec<ExportNamedEntity> = Vec::new();
    let mut chars = 0;
    let mut at = 0;
    let mut to_chars = |byte: usize| {
        if byte >= at {
            chars += text.get(at..byte).map_or(0, |t| t.chars().count());
        } else {
            chars = text.get(..byte).map_or(0, |t| t.chars().count());
        }
        at = byte;
        chars
    };
    for m in recognizer.recognize(text) {
        let span = [to_chars(m.start), to_chars(m.end)];
        let kind = m.kind.as_str();
        match out.iter_mut().find(|e| e.kind == kind && e.id == m.id) {
            Some(e) => e.spans.push(span),
            None => out.push(ExportNamedEntity {
                kind: kind.to_string(),
                id: m.id,
                name: m.name,
                listed: m.listed,
                spans: vec![span],
            }),
        }
    }
    out
}

/// The columns of the CSV export, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "channel",
    "channel_title",
    "channel_username",
    "message_id",
    "permalink",
    "date",
    "date_inferred",
    "date_inferred_basis",
    "date_inferred_evidence",
    "date_inferred_detail",
    "text",
    "raw_text",
    "forwarded_from_title",
    "forwarded_from_username",
    "forwarded_from_message_id",
    "forwarded_from_date",
    "author",
    "hashtags",
    "mentions",
    "links",
    "media",
    "countries",
    "named_entities",
    "views",
    "edited",
    "unviewable",
    "version",
    "versions",
    "captures",
    "channel_tg_id",
    "channel_kind",
    "sender_name",
    "sender_id",
    "edited_at",
    "reply_to_message_id",
    "reply_to_chat_id",
    "via_bot",
    "saved_from",
    "forwarded_from_sender_id",
    "reactions",
    "entities",
    "cluster",
    "copy_of",
    "copy_relation",
];

impl ExportRecord {
    /// The record as one CSV row (see [`CSV_COLUMNS`]): lists of names joined by `;`, links and
    /// media as JSON arrays, nulls as empty cells.
    pub fn csv_row(&self) -> Vec<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let fwd = self.forwarded_from.as_ref();
        let inferred = self.date_inferred.as_ref();
        vec![
            self.id.to_string(),
            self.channel.clone(),
            opt(&self.channel_title),
            opt(&self.channel_username),
            num(self.message_id),
            opt(&self.permalink),
            opt(&self.date),
            inferred.map(|d| d.date.clone()).unwrap_or_default(),
            inferred.map(|d| d.basis.clone()).unwrap_or_default(),
            inferred.map(|d| d.evidence.clone()).unwrap_or_default(),
            inferred.and_then(|d| d.detail.clone()).unwrap_or_default(),
            self.text.clone(),
            self.raw_text.clone(),
            fwd.and_then(|f| f.title.clone()).unwrap_or_default(),
            fwd.and_then(|f| f.username.clone()).unwrap_or_default(),
            num(fwd.and_then(|f| f.message_id)),
            fwd.and_then(|f| f.date.clone()).unwrap_or_default(),
            opt(&self.author),
            self.hashtags.join(";"),
            self.mentions.join(";"),
            serde_json::to_string(&self.links).unwrap_or_default(),
            serde_json::to_string(&self.media).unwrap_or_default(),
            self.countries.join(";"),
            self.named_entities
                .iter()
                .map(|e| format!("{}:{}", e.kind, e.id))
                .collect::<Vec<_>>()
                .join(";"),
            self.views.map(|v| v.to_string()).unwrap_or_default(),
            self.edited.map(|e| e.to_string()).unwrap_or_default(),
            self.unviewable.to_string(),
            self.version.to_string(),
            self.versions.to_string(),
            self.captures.join(";"),
            num(self.channel_tg_id),
            opt(&self.channel_kind),
            self.sender
                .as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_default(),
            self.sender
                .as_ref()
                .and_then(|s| s.id.clone())
                .unwrap_or_default(),
            opt(&self.edited_at),
            num(self.reply_to.as_ref().and_then(|r| r.message_id)),
            num(self.reply_to.as_ref().and_then(|r| r.chat_id)),
            opt(&self.via_bot),
            opt(&self.saved_from),
            fwd.and_then(|f| f.sender_id.clone()).unwrap_or_default(),
            serde_json::to_string(&self.reactions).unwrap_or_default(),
            serde_json::to_string(&self.entities).unwrap_or_default(),
            num(self.cluster),
            num(self.copy_of.as_ref().map(|c| c.post)),
            self.copy_of
                .as_ref()
                .map(|c| c.relation.to_string())
                .unwrap_or_default(),
        ]
    }
}

pub use tgscope_text::spreadsheet::spreadsheet_safe;

/// A CSV table being written: a header row, then rows whose every cell is made
/// [`spreadsheet_safe`].
pub struct CsvTable<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvTable<W> {
    /// A table with these columns, written to `out`.
    pub fn new<S: AsRef<str>>(out: W, columns: &[S]) -> Result<CsvTable<W>> {
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(columns.iter().map(AsRef::as_ref))
            .map_err(csv_error)?;
        Ok(CsvTable { writer })
    }

    /// Adds a row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        self.writer
            .write_record(
                cells
                    .iter()
                    .map(|c| spreadsheet_safe(c.as_ref()).into_owned()),
            )
            .map_err(csv_error)
    }

    /// Flushes the table and gives back its output.
    pub fn finish(self) -> Result<W> {
        self.writer
            .into_inner()
            .map_err(|e| crate::EngineError::Output(std::io::Error::other(e.to_string())))
    }
}

fn csv_error(e: csv::Error) -> crate::EngineError {
    crate::EngineError::Output(std::io::Error::other(e))
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn every_cell_of_a_table_is_defused() {
        let mut table = CsvTable::new(Vec::new(), &["a", "b"]).expect("table");
        table.row(&["=1+1", "ok"]).expect("row");
        let bytes = table.finish().expect("finish");
        assert_eq!(String::from_utf8(bytes).expect("utf-8"), "a,b\n'=1+1,ok\n");
    }
}
