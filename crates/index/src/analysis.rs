//! Text analysis: words on Unicode boundaries, folding (case, `ё`, diacritics, Latin/Cyrillic
//! look-alikes), Russian and English stems, and the languages of a post.
//!
//! The same functions analyse the posts when they are indexed and the words of a query, so that
//! both sides always agree on what a word is.

use std::borrow::Cow;

use frostem::{Algorithm, Stemmer};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_segmentation::UnicodeSegmentation;

/// Words longer than this (in bytes, after folding) are not indexed: they are base64, hashes or
/// runs of letters, never something a person searches for.
pub const MAX_WORD_BYTES: usize = 96;

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

    fn stemmer(self) -> Stemmer {
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
    let mut out = Vec::new();
    for (position, (start, raw)) in text.unicode_word_indices().enumerate() {
        let folded = fold_word(raw);
        if folded.is_empty() || folded.len() > MAX_WORD_BYTES {
            continue;
        }
        let script = script_of(&folded);
        out.push(Word {
            start,
            end: start + raw.len(),
            position,
            folded,
            script,
        });
    }
    out
}

/// The stem of a folded word: Russian for Cyrillic words, English for Latin ones, none for
/// other words (digits, other scripts, mixed scripts).
pub fn stem(folded: &str, script: Script) -> Option<(Lang, String)> {
    let lang = script.stem_lang()?;
    let stemmed = lang.stemmer().stem(folded).into_owned();
    Some((lang, stemmed))
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

/// Folds a word (or a hashtag, or a name) to the form the index compares:
///
/// 1. composed (NFC), then lower-cased (Cyrillic too);
/// 2. `ё` as `е` (and the Bulgarian stress letters `ѐ`, `ѝ` as `е`, `и`); other Cyrillic letters
///    are kept as they are (`й` stays `й`, `ї` stays `ї`);
/// 3. diacritics of other letters removed (`é` → `e`, `ñ` → `n`, compatibility forms such as
///    ligatures and full-width letters decomposed), stress marks removed, a few letters spelled
///    out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `ł` → `l`); typographic apostrophes as `'`;
/// 4. Latin/Cyrillic look-alike letters folded to the word's main script (see
///    [`fold_lookalikes`]).
pub fn fold_word(word: &str) -> String {
    let composed: Cow<'_, str> =
        if word.is_ascii() || is_nfc_quick(word.chars()) == IsNormalized::Yes {
            Cow::Borrowed(word)
        } else {
            Cow::Owned(word.nfc().collect())
        };
    let mut out = String::with_capacity(composed.len());
    for c in composed.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        // Russian letters directly (most of the text): А..Я to а..я, Ё and ё to е.
        match c {
            'а'..='я' => {
                out.push(c);
                continue;
            }
            'А'..='Я' => {
                out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c));
                continue;
            }
            'Ё' | 'ё' => {
                out.push('е');
                continue;
            }
            _ => {}
        }
        for lower in c.to_lowercase() {
            fold_char(lower, &mut out);
        }
    }
    if out.is_ascii() {
        return out;
    }
    fold_lookalikes_of(out)
}

/// A name (channel username or title, forward source) as a key: its words folded and joined,
/// letters and digits only. `Russian MFA 🇷🇺` and `@russian_mfa` both give `russianmfa`.
pub fn name_key(name: &str) -> String {
    let mut key = String::new();
    for word in name.unicode_words() {
        key.extend(fold_word(word).chars().filter(|c| c.is_alphanumeric()));
    }
    key
}

/// A hashtag or mention as the index keeps it: without its leading `#` or `@`, folded as one
/// word.
pub fn tag_key(tag: &str) -> String {
    fold_word(tag.trim().trim_start_matches(['#', '@']))
}

fn fold_char(c: char, out: &mut String) {
    match c {
        'ё' | 'ѐ' => out.push('е'),
        'ѝ' => out.push('и'),
        _ if is_cyrillic_block(c) && !is_combining_mark(c) => out.push(c),
        _ if is_combining_mark(c) => {}
        _ => {
            if let Some(spelled) = spelled_out(c) {
                out.push_str(spelled);
                return;
            }
            decompose_compatible(c, |d| {
                for lower in d.to_lowercase() {
                    if let Some(spelled) = spelled_out(lower) {
                        out.push_str(spelled);
                    } else if !is_combining_mark(lower) {
                        out.push(lower);
                    }
                }
            });
        }
    }
}

/// Letters written as other letters (lower case), and typographic apostrophes as `'`.
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{FF07}' => "'",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Cyrillic letters that look like a Latin letter, with that letter (lower case; a pair counts
/// when either its upper or its lower case forms look alike: `Н`/`H`, `В`/`B`, `Т`/`T`).
const CYRILLIC_TO_LATIN: &[(char, char)] = &[
    ('а', 'a'),
    ('в', 'b'),
    ('е', 'e'),
    ('і', 'i'),
    ('ј', 'j'),
    ('к', 'k'),
    ('м', 'm'),
    ('н', 'h'),
    ('һ', 'h'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('ѕ', 's'),
    ('т', 't'),
    ('у', 'y'),
    ('х', 'x'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
];

/// Latin letters that look like a Cyrillic letter, with that letter.
const LATIN_TO_CYRILLIC: &[(char, char)] = &[
    ('a', 'а'),
    ('b', 'в'),
    ('c', 'с'),
    ('e', 'е'),
    ('h', 'н'),
    ('i', 'і'),
    ('k', 'к'),
    ('m', 'м'),
    ('o', 'о'),
    ('p', 'р'),
    ('t', 'т'),
    ('x', 'х'),
    ('y', 'у'),
];

fn to_latin(c: char) -> Option<char> {
    CYRILLIC_TO_LATIN
        .iter()
        .find(|(cyr, _)| *cyr == c)
        .map(|(_, lat)| *lat)
}

fn to_cyrillic(c: char) -> Option<char> {
    LATIN_TO_CYRILLIC
        .iter()
        .find(|(lat, _)| *lat == c)
        .map(|(_, cyr)| *cyr)
}

/// Folds the look-alike letters of a lower-cased word that mixes Latin and Cyrillic letters to
/// the word's main script: `сhina` (Cyrillic `с`) → `china`, `pоссия` (Latin `p`) → `россия`.
///
/// The main script is the one with more letters that have no look-alike in the other script
/// (`n` in `china`, `и` and `я` in `россия`); when that is even, the one with more letters;
/// when that is even too, Cyrillic (the archive's channels mostly write Russian). A word in one
/// script only is returned unchanged.
pub fn fold_lookalikes(word: &str) -> String {
    fold_lookalikes_of(word.to_owned())
}

fn fold_lookalikes_of(word: String) -> String {
    let (mut latin, mut latin_distinct, mut cyrillic, mut cyrillic_distinct) = (0, 0, 0, 0);
    for c in word.chars() {
        if is_latin_letter(c) {
            latin += 1;
            if to_cyrillic(c).is_none() {
                latin_distinct += 1;
            }
        } else if is_cyrillic_letter(c) {
            cyrillic += 1;
            if to_latin(c).is_none() {
                cyrillic_distinct += 1;
            }
        }
    }
    if latin == 0 || cyrillic == 0 {
        return word;
    }
    let to_latin_script = match latin_distinct.cmp(&cyrillic_distinct) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => latin > cyrillic,
    };
    word.chars()
        .map(|c| {
            if to_latin_script {
                to_latin(c).unwrap_or(c)
            } else {
                to_cyrillic(c).unwrap_or(c)
            }
        })
        .collect()
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

fn is_cyrillic_block(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

/// Cyrillic letters: the Cyrillic and Cyrillic Supplement blocks without the thousands sign
/// (U+0482) and the combining marks U+0483..U+0489 (every other code point there is a letter;
/// a unit test checks this against `char::is_alphabetic`, which is slow outside ASCII).
fn is_cyrillic_letter(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{0481}' | '\u{048A}'..='\u{052F}')
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
            && c.is_alphabetic()
            && c != '×'
            && c != '÷')
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
    fn cyrillic_letters_are_the_alphabetic_code_points_of_the_blocks() {
        for c in ('\u{0400}'..='\u{052F}').chain(['a', 'я', '1', '\u{0300}']) {
            assert_eq!(
                is_cyrillic_letter(c),
                is_cyrillic_block(c) && c.is_alphabetic(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn russian_letters_fold_as_the_general_rule_folds_them() {
        for c in ('А'..='я').chain(['Ё', 'ё']) {
            let direct = fold_word(&c.to_string());
            let mut general = String::new();
            for lower in c.to_lowercase() {
                fold_char(lower, &mut general);
            }
            assert_eq!(direct, general, "{c}");
        }
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
    fn names_and_tags_as_keys() {
        assert_eq!(name_key("Russian MFA 🇷🇺"), "russianmfa");
        assert_eq!(name_key("@Russian_MFA"), "russianmfa");
        assert_eq!(name_key("МИД России"), "мидроссии");
        assert_eq!(tag_key("#Россия"), "россия");
        assert_eq!(tag_key("Новости_Ёлки"), "новости_елки");
        assert_eq!(tag_key("@MID_Russia"), "mid_russia");
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
