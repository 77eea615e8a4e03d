//! The index's schema (its fields) and how an [`IndexDoc`] becomes a tantivy document.

use std::cell::RefCell;
use std::rc::Rc;

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token, Tokenizer};

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
    let languages = analysis::languages(&words);
    for lang in &languages {
        d.add_text(fields.lang, lang.code());
    }
    // The words themselves are analysed again by each field's tokenizer, in tantivy's indexing
    // threads (handing tantivy pre-tokenized text made it serialise every token and read it
    // back: a quarter of an ingest's time).
    d.add_text(fields.exact, &doc.text);
    let (mut cyrillic, mut latin) = (false, false);
    for word in &words {
        match word.script.stem_lang() {
            Some(Lang::Ru) => cyrillic = true,
            Some(Lang::En) => latin = true,
            None => {}
        }
    }
    if cyrillic {
        d.add_text(fields.stem_ru, &doc.text);
    }
    if latin {
        d.add_text(fields.stem_en, &doc.text);
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
