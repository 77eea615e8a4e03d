//! The index's schema (its fields) and how an [`IndexDoc`] becomes a tantivy document.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{
    Document, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token, Tokenizer};

use crate::IndexDoc;
use crate::analysis::{self, Lang, Word};
use crate::index::InFlight;

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
    // The analysed fields are tokenized by tantivy, in its indexing threads, with tgscope's own
    // analysis ([`WordTokenizer`], registered under these names by `register_tokenizers`).
    let analysed = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
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
            analysed(
                WordTokenizer::EXACT,
                IndexRecordOption::WithFreqsAndPositions,
            ),
        ),
        stem_ru: b.add_text_field(
            names::STEM_RU,
            analysed(WordTokenizer::STEM_RU, IndexRecordOption::WithFreqs),
        ),
        stem_en: b.add_text_field(
            names::STEM_EN,
            analysed(WordTokenizer::STEM_EN, IndexRecordOption::WithFreqs),
        ),
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

/// The tantivy document of a post: its text held once, however many fields analyse it (the body
/// stored, the exact words, the Russian and English stems), and its keys and numbers. tantivy
/// indexes any [`Document`] without converting it, so the text is never copied per field.
pub(crate) struct PostDocument {
    text: String,
    values: Vec<(Field, Slot)>,
    /// The writer's count of bytes queued for its indexing threads, which this document is
    /// part of until tantivy drops it, indexed.
    pub(crate) in_flight: Option<Arc<InFlight>>,
}

/// A value of a [`PostDocument`]: the post's text, or a small value of its own.
enum Slot {
    Text,
    Str(String),
    Static(&'static str),
    I64(i64),
}

impl PostDocument {
    /// Bytes the document holds (its text, keys and values), what it weighs in tantivy's queue.
    pub(crate) fn bytes(&self) -> usize {
        let values: usize = self
            .values
            .iter()
            .map(|(_, slot)| match slot {
                Slot::Str(s) => s.len(),
                _ => 0,
            })
            .sum();
        self.text.len()
            + values
            + self.values.capacity() * std::mem::size_of::<(Field, Slot)>()
            + std::mem::size_of::<Self>()
    }

    fn text(&mut self, field: Field) {
        self.values.push((field, Slot::Text));
    }

    fn str(&mut self, field: Field, value: String) {
        self.values.push((field, Slot::Str(value)));
    }

    fn flag(&mut self, field: Field, value: &'static str) {
        self.values.push((field, Slot::Static(value)));
    }

    fn i64(&mut self, field: Field, value: i64) {
        self.values.push((field, Slot::I64(value)));
    }

    /// Adds each distinct non-empty key once.
    fn keys(&mut self, field: Field, mut keys: Vec<String>) {
        keys.sort_unstable();
        keys.dedup();
        for key in keys.into_iter().filter(|k| !k.is_empty()) {
            self.str(field, key);
        }
    }
}

impl Drop for PostDocument {
    fn drop(&mut self) {
        if let Some(in_flight) = self.in_flight.take() {
            in_flight.release(self.bytes());
        }
    }
}

/// A value of a [`PostDocument`] as tantivy reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PostValue<'a> {
    Str(&'a str),
    I64(i64),
}

impl<'a> Value<'a> for PostValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            PostValue::Str(s) => ReferenceValueLeaf::Str(s),
            PostValue::I64(n) => ReferenceValueLeaf::I64(n),
        })
    }
}

/// The fields and values of a [`PostDocument`], in the order they were added.
pub(crate) struct PostValues<'a> {
    doc: &'a PostDocument,
    at: usize,
}

impl<'a> Iterator for PostValues<'a> {
    type Item = (Field, PostValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (field, slot) = self.doc.values.get(self.at)?;
        self.at += 1;
        let value = match slot {
            Slot::Text => PostValue::Str(&self.doc.text),
            Slot::Str(s) => PostValue::Str(s),
            Slot::Static(s) => PostValue::Str(s),
            Slot::I64(n) => PostValue::I64(*n),
        };
        Some((*field, value))
    }
}

impl Document for PostDocument {
    type Value<'a> = PostValue<'a>;
    type FieldsValuesIter<'a> = PostValues<'a>;

    fn iter_fields_and_values(&self) -> PostValues<'_> {
        PostValues { doc: self, at: 0 }
    }
}

impl std::fmt::Debug for PostDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter_fields_and_values())
            .finish()
    }
}

/// The tantivy document of a post.
pub(crate) fn document(fields: &Fields, doc: &IndexDoc) -> PostDocument {
    let mut d = PostDocument {
        text: doc.text.clone(),
        values: Vec::with_capacity(16),
        in_flight: None,
    };
    d.i64(fields.post_id, doc.post_id);
    d.i64(fields.channel_id, doc.channel_id);
    if let Some(date) = doc.date {
        d.i64(fields.date, date);
        d.flag(fields.flag, flags::DATE);
    }
    d.text(fields.body);

    let words = analysis::words(&doc.text);
    let languages = analysis::languages(&words);
    for lang in &languages {
        d.flag(fields.lang, lang.code());
    }
    // The words themselves are analysed again by each field's tokenizer, in tantivy's indexing
    // threads (handing tantivy pre-tokenized text made it serialise every token and read it
    // back: a quarter of an ingest's time).
    d.text(fields.exact);
    let (mut cyrillic, mut latin) = (false, false);
    for word in &words {
        match word.script.stem_lang() {
            Some(Lang::Ru) => cyrillic = true,
            Some(Lang::En) => latin = true,
            None => {}
        }
    }
    if cyrillic {
        d.text(fields.stem_ru);
    }
    if latin {
        d.text(fields.stem_en);
    }

    d.str(fields.channel, doc.channel_id.to_string());
    if let Some(source) = doc.forward_channel_id {
        d.str(fields.from, source.to_string());
    }
    d.keys(
        fields.tag,
        doc.hashtags.iter().map(|t| analysis::tag_key(t)).collect(),
    );
    d.keys(
        fields.mention,
        doc.mentions.iter().map(|m| analysis::tag_key(m)).collect(),
    );
    d.keys(
        fields.media,
        doc.media_kinds
            .iter()
            .map(|k| k.trim().to_lowercase())
            .collect(),
    );
    if !doc.media_kinds.is_empty() {
        d.flag(fields.flag, flags::MEDIA);
    }
    if doc.has_link {
        d.flag(fields.flag, flags::LINK);
    }
    if doc.forwarded {
        d.flag(fields.flag, flags::FORWARD);
    }
    if doc.edited {
        d.flag(fields.flag, flags::EDITED);
    }
    d.keys(fields.entity, doc.entities.clone());
    d
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

/// tgscope's analysis as a tantivy tokenizer: the words of a text ([`analysis::words`]: folded,
/// with their byte ranges and positions, over-long words skipped but counted), as they are
/// (the exact field) or stemmed, keeping only the words a language's stemmer applies to (the
/// stemmed fields; positions stay those of the whole text). A query is analysed by the same
/// functions (`compile`), so both sides agree on every word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordTokenizer {
    stem: Option<Lang>,
}

impl WordTokenizer {
    /// The exact field's tokenizer.
    pub(crate) const EXACT: &'static str = "tgscope_exact";
    /// The Russian stems' tokenizer.
    pub(crate) const STEM_RU: &'static str = "tgscope_stem_ru";
    /// The English stems' tokenizer.
    pub(crate) const STEM_EN: &'static str = "tgscope_stem_en";

    /// Registers the three tokenizers with an index (at every open: tantivy keeps only their
    /// names).
    pub(crate) fn register(index: &tantivy::Index) {
        let tokenizers = index.tokenizers();
        tokenizers.register(Self::EXACT, WordTokenizer { stem: None });
        tokenizers.register(
            Self::STEM_RU,
            WordTokenizer {
                stem: Some(Lang::Ru),
            },
        );
        tokenizers.register(
            Self::STEM_EN,
            WordTokenizer {
                stem: Some(Lang::En),
            },
        );
    }
}

thread_local! {
    /// The last text this thread's tokenizers split, with its words: tantivy hands a post's
    /// text to the exact field's tokenizer, then to the stemmed fields' ones, on one thread,
    /// which split and fold it once instead of three times.
    static LAST_WORDS: RefCell<(String, Rc<[Word]>)> = RefCell::new((String::new(), Rc::from([])));
}

/// The words of `text` ([`analysis::words`]), split again only when the text is not the one
/// this thread split last.
fn words_of(text: &str) -> Rc<[Word]> {
    LAST_WORDS.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != text {
            last.1 = analysis::words(text).into();
            last.0.clear();
            last.0.push_str(text);
        }
        Rc::clone(&last.1)
    })
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = PreTokenizedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreTokenizedStream {
        let words = words_of(text);
        let tokens = match self.stem {
            None => words
                .iter()
                .map(|w| {
                    let folded = w.folded.clone();
                    token(w, folded)
                })
                .collect(),
            Some(lang) => words
                .iter()
                .filter_map(|w| match w.stem() {
                    Some((l, stemmed)) if l == lang => Some(token(w, stemmed)),
                    _ => None,
                })
                .collect(),
        };
        PreTokenizedStream::from(PreTokenizedString {
            text: String::new(),
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenStream;

    fn tokens(tokenizer: &mut WordTokenizer, text: &str) -> Vec<(usize, usize, usize, String)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.offset_from, t.offset_to, t.position, t.text.clone()));
        }
        out
    }

    /// What the tokenizers yield, worked out afresh for each text: no word kept from the text
    /// before, and no stem kept from another language.
    fn expected(stem: Option<Lang>, text: &str) -> Vec<(usize, usize, usize, String)> {
        analysis::words(text)
            .iter()
            .filter_map(|w| match stem {
                None => Some((w.start, w.end, w.position, w.folded.clone())),
                Some(lang) => {
                    let script = w.script.stem_lang()?;
                    (script == lang).then(|| {
                        let stemmed = lang.stemmer().stem(&w.folded).into_owned();
                        (w.start, w.end, w.position, stemmed)
                    })
                }
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn tokenizers_answer_each_text_as_if_it_were_the_first(
            texts in proptest::collection::vec("(Москва|заявила|sanctions|announced|Moscow|\\PC{0,12}| ){0,12}", 1..6)
        ) {
            let mut tokenizers = [None, Some(Lang::Ru), Some(Lang::En)]
                .map(|stem| (stem, WordTokenizer { stem }));
            // Each text through every field's tokenizer, then again: the words and stems kept
            // for one text never answer for another.
            for text in texts.iter().chain(texts.iter().rev()) {
                for (stem, tokenizer) in &mut tokenizers {
                    proptest::prop_assert_eq!(tokens(tokenizer, text), expected(*stem, text));
                }
            }
        }
    }
}
