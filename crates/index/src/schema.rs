//! The index's schema (its fields) and how an [`IndexDoc`] becomes a tantivy document.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};

use crate::IndexDoc;
use crate::analysis::{self, Lang, Word};

/// Field names (also the names the fast fields are read by).
pub(crate) mod names {
    pub const POST_ID: &str = "post_id";
    pub const CHANNEL_ID: &str = "channel_id";
    pub const DATE: &str = "date";
    pub const BODY: &str = "body";
    pub const EXACT: &str = "exact";
    pub const STEM_RU: &str = "stem_ru";
    pub const STEM_EN: &str = "stem_en";
    pub const CHANNEL: &str = "channel";
    pub const FROM: &str = "from";
    pub const TAG: &str = "tag";
    pub const MENTION: &str = "mention";
    pub const LANG: &str = "lang";
    pub const MEDIA: &str = "media";
    pub const FLAG: &str = "flag";
    pub const ENTITY: &str = "entity";
}

/// Values of the `flag` field: what a post has (`has:` and `edited:` in queries).
pub(crate) mod flags {
    pub const MEDIA: &str = "media";
    pub const LINK: &str = "link";
    pub const FORWARD: &str = "forward";
    pub const DATE: &str = "date";
    pub const EDITED: &str = "edited";
}

/// The fields of the index.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    /// The archive's post id: the document's key (indexed for deletes, fast for results).
    pub post_id: Field,
    /// The channel's numeric id in the archive (fast only: `channel:<id>` uses the `channel`
    /// keys).
    pub channel_id: Field,
    /// Unix seconds (UTC), absent when unknown: ranges, sorting, counts.
    pub date: Field,
    /// The post's text as given, stored for snippets; not indexed.
    pub body: Field,
    /// Every word folded, unstemmed, with positions: `=word`, phrases, and exact matches.
    pub exact: Field,
    /// Cyrillic words, folded and stemmed by the Russian stemmer.
    pub stem_ru: Field,
    /// Latin words, folded and stemmed by the English stemmer.
    pub stem_en: Field,
    /// Name keys of the channel (username, titles).
    pub channel: Field,
    /// Name keys of the forward source.
    pub from: Field,
    /// Hashtags, folded.
    pub tag: Field,
    /// Mentions, folded.
    pub mention: Field,
    /// The post's languages (`ru`, `en`).
    pub lang: Field,
    /// Media kinds, lower case.
    pub media: Field,
    /// What the post has: see [`flags`].
    pub flag: Field,
    /// The entities the post names, as keys (`country:KZ`, `org:sco`, `person:lavrov`):
    /// indexed for the entity filters, fast for counting them over a query's matches.
    pub entity: Field,
}

impl Fields {
    /// The stemmed field of a language.
    pub fn stem(&self, lang: Lang) -> Field {
        match lang {
            Lang::Ru => self.stem_ru,
            Lang::En => self.stem_en,
        }
    }
}

/// Builds the schema and its fields.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // The analysed fields are fed pre-tokenized (the analysis runs once per post, in
    // `analysis`); tantivy only needs a registered tokenizer name for them.
    let analysed = |record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(record),
        )
    };
    let fields = Fields {
        post_id: b.add_i64_field(names::POST_ID, INDEXED | FAST),
        channel_id: b.add_i64_field(names::CHANNEL_ID, FAST),
        date: b.add_i64_field(names::DATE, INDEXED | FAST),
        body: b.add_text_field(names::BODY, STORED),
        exact: b.add_text_field(
            names::EXACT,
            analysed(IndexRecordOption::WithFreqsAndPositions),
        ),
        stem_ru: b.add_text_field(names::STEM_RU, analysed(IndexRecordOption::WithFreqs)),
        stem_en: b.add_text_field(names::STEM_EN, analysed(IndexRecordOption::WithFreqs)),
        channel: b.add_text_field(names::CHANNEL, STRING),
        from: b.add_text_field(names::FROM, STRING),
        tag: b.add_text_field(names::TAG, STRING),
        mention: b.add_text_field(names::MENTION, STRING),
        lang: b.add_text_field(names::LANG, STRING),
        media: b.add_text_field(names::MEDIA, STRING),
        flag: b.add_text_field(names::FLAG, STRING),
        entity: b.add_text_field(names::ENTITY, STRING | FAST),
    };
    (b.build(), fields)
}

/// The tantivy document of a post.
pub(crate) fn document(fields: &Fields, doc: &IndexDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_i64(fields.post_id, doc.post_id);
    d.add_i64(fields.channel_id, doc.channel_id);
    if let Some(date) = doc.date {
        d.add_i64(fields.date, date);
        d.add_text(fields.flag, flags::DATE);
    }
    d.add_text(fields.body, &doc.text);

    let words = analysis::words(&doc.text);
    for lang in analysis::languages(&words) {
        d.add_text(fields.lang, lang.code());
    }
    let (ru, en) = stemmed_tokens(&words);
    d.add_pre_tokenized_text(fields.exact, pre_tokenized(exact_tokens(&words)));
    if !ru.is_empty() {
        d.add_pre_tokenized_text(fields.stem_ru, pre_tokenized(ru));
    }
    if !en.is_empty() {
        d.add_pre_tokenized_text(fields.stem_en, pre_tokenized(en));
    }

    d.add_text(fields.channel, doc.channel_id.to_string());
    if let Some(source) = doc.forward_channel_id {
        d.add_text(fields.from, source.to_string());
    }
    add_keys(
        &mut d,
        fields.tag,
        doc.hashtags.iter().map(|t| analysis::tag_key(t)).collect(),
    );
    add_keys(
        &mut d,
        fields.mention,
        doc.mentions.iter().map(|m| analysis::tag_key(m)).collect(),
    );
    add_keys(
        &mut d,
        fields.media,
        doc.media_kinds
            .iter()
            .map(|k| k.trim().to_lowercase())
            .collect(),
    );
    if !doc.media_kinds.is_empty() {
        d.add_text(fields.flag, flags::MEDIA);
    }
    if doc.has_link {
        d.add_text(fields.flag, flags::LINK);
    }
    if doc.forwarded {
        d.add_text(fields.flag, flags::FORWARD);
    }
    if doc.edited {
        d.add_text(fields.flag, flags::EDITED);
    }
    add_keys(&mut d, fields.entity, doc.entities.clone());
    d
}

/// Adds each distinct non-empty key once.
fn add_keys(d: &mut TantivyDocument, field: Field, mut keys: Vec<String>) {
    keys.sort_unstable();
    keys.dedup();
    for key in keys.into_iter().filter(|k| !k.is_empty()) {
        d.add_text(field, key);
    }
}

fn token(word: &Word, text: String) -> Token {
    Token {
        offset_from: word.start,
        offset_to: word.end,
        position: word.position,
        text,
        position_length: 1,
    }
}

fn exact_tokens(words: &[Word]) -> Vec<Token> {
    words.iter().map(|w| token(w, w.folded.clone())).collect()
}

/// The stems of the Cyrillic words (Russian) and of the Latin words (English).
fn stemmed_tokens(words: &[Word]) -> (Vec<Token>, Vec<Token>) {
    let (mut ru, mut en) = (Vec::new(), Vec::new());
    for word in words {
        match word.stem() {
            Some((Lang::Ru, s)) => ru.push(token(word, s)),
            Some((Lang::En, s)) => en.push(token(word, s)),
            None => {}
        }
    }
    (ru, en)
}

fn pre_tokenized(tokens: Vec<Token>) -> PreTokenizedString {
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}
