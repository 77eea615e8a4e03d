//! Text analysis: words on Unicode boundaries, folding (case, `ё`, diacritics, Latin/Cyrillic
//! look-alikes), Russian and English stems, and the languages of a post.
//!
//! The same functions analyse the posts when they are indexed and the words of a query, so that
//! both sides always agree on what a word is.

use std::cell::RefCell;

use frostem::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
/// Words longer than this (in bytes, after folding) are not indexed: they are base64, hashes or
/// runs of letters, never something a person searches for.
pub use tgscope_text::fold::MAX_WORD_BYTES;
pub use tgscope_text::fold::{fold_lookalikes, fold_word};
use tgscope_text::fold::{is_cyrillic_letter, is_latin_letter};
pub use tgscope_text::names::{name_key, tag_key};

/// A language with its own stemmed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Russian (and, for now, every other language written in Cyrillic).
    Ru,
    /// English (and, for now, every other language written in Latin letters).
    En,
}

impl Lang {
    /// The code used in the query language (`lang:ru`) and in the index.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language of a code (`ru`, `en`), case-insensitive.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub(crate) fn stemmer(self) -> Stemmer {
        match self {
            Lang::Ru => Stemmer::new(Algorithm::Russian),
            Lang::En => Stemmer::new(Algorithm::English),
        }
    }
}

/// The script a folded word is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Latin letters only (digits and joiners allowed).
    Latin,
    /// Cyrillic letters only (digits and joiners allowed).
    Cyrillic,
    /// Both, after look-alikes were folded (a letter without a look-alike kept them apart).
    Mixed,
    /// No Latin or Cyrillic letter: digits, or another script.
    Other,
}

impl Script {
    /// The language whose stemmer applies to words of this script, if any.
    pub fn stem_lang(self) -> Option<Lang> {
        match self {
            Script::Cyrillic => Some(Lang::Ru),
            Script::Latin => Some(Lang::En),
            Script::Mixed | Script::Other => None,
        }
    }
}

/// One word of a text, analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte range of the word in the analysed text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// The word's position among the text's words (0, 1, 2, ...).
    pub position: usize,
    /// The folded form: what the exact field holds.
    pub folded: String,
    /// The script of the folded form.
    pub script: Script,
}

impl Word {
    /// The stem of the word in its script's language, when it has one.
    pub fn stem(&self) -> Option<(Lang, String)> {
        stem(&self.folded, self.script)
    }
}

/// The words of `text` (Unicode word boundaries, UAX #29), folded, with their byte ranges and
/// positions. Words longer than [`MAX_WORD_BYTES`] are skipped but keep their position, so that
/// a phrase never matches across them.
pub fn words(text: &str) -> Vec<Word> {
    tgscope_text::fold::words(text)
        .map(|w| {
            let script = script_of(&w.folded);
            Word {
                start: w.start,
                end: w.start + w.raw.len(),
                position: w.position,
                folded: w.folded,
                script,
            }
        })
        .collect()
}

/// The stem of a folded word: Russian for Cyrillic words, English for Latin ones, none for
/// other words (digits, other scripts, mixed scripts).
pub fn stem(folded: &str, script: Script) -> Option<(Lang, String)> {
    let lang = script.stem_lang()?;
    let stemmed = STEMS.with(|stems| {
        let mut stems = stems.borrow_mut();
        let known = &mut stems[lang as usize];
        if let Some(stemmed) = known.get(folded) {
            return stemmed.clone();
        }
        let stemmed = lang.stemmer().stem(folded).into_owned();
        if known.len() >= STEMS_KEPT {
            known.clear();
        }
        known.insert(folded.to_string(), stemmed.clone());
        stemmed
    });
    Some((lang, stemmed))
}

/// How many stems a thread keeps per language before it starts again.
const STEMS_KEPT: usize = 1 << 16;

thread_local! {
    /// The stems this thread made, per language ([`Lang`] as index) by folded word: the words
    /// of posts repeat, and looking a stem up costs a fraction of stemming the word again.
    static STEMS: RefCell<[FxHashMap<String, String>; 2]> = RefCell::default();
}

/// The languages of a post: the language of the script that holds most of its letters, and the
/// other one too when it holds at least a quarter of them (a mixed post). Empty when the text
/// has no Latin or Cyrillic letter.
pub fn languages(words: &[Word]) -> Vec<Lang> {
    let (mut latin, mut cyrillic) = (0usize, 0usize);
    for word in words {
        for c in word.folded.chars() {
            if is_latin_letter(c) {
                latin += 1;
            } else if is_cyrillic_letter(c) {
                cyrillic += 1;
            }
        }
    }
    let total = latin + cyrillic;
    if total == 0 {
        return Vec::new();
    }
    let share = |n: usize| n * 4 >= total;
    let mut langs = Vec::with_capacity(2);
    if cyrillic >= latin || share(cyrillic) {
        langs.push(Lang::Ru);
    }
    if latin > cyrillic || share(latin) {
        langs.push(Lang::En);
    }
    langs
}

/// The script of a folded word.
pub fn script_of(folded: &str) -> Script {
    let (mut latin, mut cyrillic) = (false, false);
    for c in folded.chars() {
        if is_latin_letter(c) {
            latin = true;
        } else if is_cyrillic_letter(c) {
            cyrillic = true;
        }
    }
    match (latin, cyrillic) {
        (true, false) => Script::Latin,
        (false, true) => Script::Cyrillic,
        (true, true) => Script::Mixed,
        (false, false) => Script::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.folded).collect()
    }

    fn stem_of(word: &str) -> String {
        let f = fold_word(word);
        stem(&f, script_of(&f)).map(|(_, s)| s).unwrap_or(f)
    }

    #[test]
    fn words_split_on_unicode_boundaries() {
        assert_eq!(
            folded("Россия, США и ЕС: «санкции»!"),
            ["россия", "сша", "и", "ес", "санкции"]
        );
        assert_eq!(
            folded("collective West—again"),
            ["collective", "west", "again"]
        );
        assert_eq!(folded("Северо-Западный"), ["северо", "западный"]);
        // A hashtag's word and a mention's word are words of the text.
        assert_eq!(folded("#Новости @mid_russia"), ["новости", "mid_russia"]);
        assert!(folded("🇷🇺 — !!!").is_empty());
    }

    #[test]
    fn word_ranges_and_positions_point_into_the_text() {
        let text = "Привет, world";
        let ws = words(text);
        assert_eq!(&text[ws[0].start..ws[0].end], "Привет");
        assert_eq!(&text[ws[1].start..ws[1].end], "world");
        assert_eq!((ws[0].position, ws[1].position), (0, 1));
    }

    #[test]
    fn case_is_folded_in_both_scripts() {
        assert_eq!(fold_word("МОСКВА"), "москва");
        assert_eq!(fold_word("Washington"), "washington");
        assert_eq!(fold_word("ЯНДЕКС"), "яндекс");
    }

    #[test]
    fn yo_is_ye() {
        assert_eq!(fold_word("Ёлка"), "елка");
        assert_eq!(fold_word("её"), "ее");
        // Decomposed ё (е + combining diaeresis) too.
        assert_eq!(fold_word("е\u{0308}ж"), "еж");
    }

    #[test]
    fn latin_diacritics_are_removed() {
        assert_eq!(fold_word("Café"), "cafe");
        assert_eq!(fold_word("naïve"), "naive");
        assert_eq!(fold_word("Ñoño"), "nono");
        assert_eq!(fold_word("Straße"), "strasse");
        assert_eq!(fold_word("Łódź"), "lodz");
        assert_eq!(fold_word("ﬁnance"), "finance");
        assert_eq!(fold_word("ＲＵＳＳＩＡ"), "russia");
    }

    #[test]
    fn cyrillic_short_i_is_kept() {
        assert_eq!(fold_word("Йошкар"), "йошкар");
        assert_eq!(fold_word("российский"), "российский");
        // Decomposed й (и + combining breve) composes to й, not to и.
        assert_eq!(fold_word("и\u{0306}од"), "йод");
        assert_ne!(fold_word("мой"), fold_word("мои"));
        // Ukrainian ї is a letter of its own.
        assert_eq!(fold_word("Україна"), "україна");
    }

    #[test]
    fn stress_marks_are_removed() {
        assert_eq!(fold_word("Росси\u{0301}я"), "россия");
        assert_eq!(fold_word("за\u{0301}мок"), "замок");
    }

    #[test]
    fn typographic_apostrophes_are_plain() {
        assert_eq!(fold_word("Russia’s"), "russia's");
    }

    #[test]
    fn mostly_latin_words_fold_cyrillic_lookalikes_to_latin() {
        // Cyrillic С in China.
        assert_eq!(fold_word("Сhina"), "china");
        // Cyrillic о and а.
        assert_eq!(fold_word("Wаshingtоn"), "washington");
        // Cyrillic е, р, у, х, к, м, т, н, в, і each alone in a Latin word.
        for (spoofed, plain) in [
            ("sanctiоns", "sanctions"),
            ("Sеnate", "senate"),
            ("Ukrаine", "ukraine"),
            ("рarliament", "parliament"),
            ("Kyуv", "kyyv"),
            ("Bоxing", "boxing"),
            ("хenon", "xenon"),
            ("кremlin", "kremlin"),
            ("мinistry", "ministry"),
            ("тrump", "trump"),
            ("Нouse", "house"),
            ("Вiden", "biden"),
            ("іnflation", "inflation"),
        ] {
            assert_eq!(fold_word(spoofed), plain, "{spoofed}");
        }
    }

    #[test]
    fn mostly_cyrillic_words_fold_latin_lookalikes_to_cyrillic() {
        // Latin P in Россия.
        assert_eq!(fold_word("Pоссия"), "россия");
        assert_eq!(fold_word("Mосква"), "москва");
        assert_eq!(fold_word("Kиев"), "киев");
        assert_eq!(fold_word("сaнкции"), "санкции");
        assert_eq!(fold_word("Нетанияху"), "нетанияху");
        // Latin H and B (look alike in upper case).
        assert_eq!(fold_word("HАТО"), "нато");
        assert_eq!(fold_word("Bласть"), "власть");
    }

    #[test]
    fn even_lookalike_words_fold_to_cyrillic() {
        // Т and А Latin, С С Cyrillic: all four letters have look-alikes.
        assert_eq!(fold_word("TAСС"), "тасс");
    }

    #[test]
    fn single_script_words_are_unchanged_by_lookalike_folding() {
        assert_eq!(fold_lookalikes("china"), "china");
        assert_eq!(fold_lookalikes("россия"), "россия");
        // A letter without a look-alike keeps the word mixed.
        assert_eq!(fold_word("Яndex"), "яndex");
        assert_eq!(script_of("яndex"), Script::Mixed);
    }

    #[test]
    fn scripts() {
        assert_eq!(script_of("россия"), Script::Cyrillic);
        assert_eq!(script_of("covid19"), Script::Latin);
        assert_eq!(script_of("2024"), Script::Other);
        assert_eq!(script_of("αθήνα"), Script::Other);
    }

    #[test]
    fn russian_stems_join_the_forms_of_a_word() {
        let russia = stem_of("Россия");
        for form in ["России", "Россию", "Россией", "россии", "РОССИЯ"]
        {
            assert_eq!(stem_of(form), russia, "{form}");
        }
        assert_ne!(stem_of("российский"), russia);
        assert_ne!(stem_of("Российская"), russia);
        assert_eq!(stem_of("санкции"), stem_of("санкциями"));
        assert_eq!(stem_of("Ёлка"), stem_of("елки"));
    }

    #[test]
    fn english_stems_join_the_forms_of_a_word() {
        let sanction = stem_of("sanction");
        for form in ["sanctions", "Sanctioned", "sanctioning"] {
            assert_eq!(stem_of(form), sanction, "{form}");
        }
        assert_eq!(stem_of("Russia’s"), stem_of("Russia"));
        assert_ne!(stem_of("Russian"), stem_of("Russia"));
    }

    #[test]
    fn words_get_the_stemmer_of_their_script() {
        assert_eq!(
            stem("россии", Script::Cyrillic).map(|s| s.0),
            Some(Lang::Ru)
        );
        assert_eq!(
            stem("sanctions", Script::Latin).map(|s| s.0),
            Some(Lang::En)
        );
        assert_eq!(stem("2024", Script::Other), None);
        assert_eq!(stem("яndex", Script::Mixed), None);
    }

    #[test]
    fn languages_of_posts() {
        assert_eq!(
            languages(&words("Москва заявила о новых санкциях")),
            [Lang::Ru]
        );
        assert_eq!(
            languages(&words("Moscow announced new sanctions")),
            [Lang::En]
        );
        assert_eq!(
            languages(&words("Breaking: Москва заявила о sanctions against EU")),
            [Lang::Ru, Lang::En]
        );
        // A link in a Russian post does not make it English.
        assert_eq!(
            languages(&words(
                "Заявление министра по итогам переговоров в Женеве t.me/mfa"
            )),
            [Lang::Ru]
        );
        assert!(languages(&words("2024 🇷🇺")).is_empty());
    }

    #[test]
    fn overlong_words_are_skipped_but_keep_their_place() {
        let long = "a".repeat(MAX_WORD_BYTES + 1);
        let ws = words(&format!("one {long} two"));
        assert_eq!(ws.len(), 2);
        assert_eq!((ws[0].position, ws[1].position), (0, 2));
    }

    proptest::proptest! {
        #[test]
        fn words_of_any_text_lie_on_char_boundaries_and_fold_idempotently(text in "\\PC{0,60}") {
            for word in words(&text) {
                proptest::prop_assert!(text.is_char_boundary(word.start));
                proptest::prop_assert!(text.is_char_boundary(word.end));
                proptest::prop_assert!(word.start < word.end);
                proptest::prop_assert_eq!(fold_word(&word.folded), word.folded.clone());
            }
        }
    }
}
