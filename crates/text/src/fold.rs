//! Folding: the one form in which tgscope compares words, names and tags (case, `ё`, accents,
//! compatibility forms, Latin/Cyrillic look-alike letters).
//!
//! The search index folds every word of a post and of a query with [`fold_word`]; the name and
//! tag keys of [`crate::names`] are built from it, so that a filter on the command line, in the
//! API and in a search query all compare the same keys.

use std::borrow::Cow;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_segmentation::UnicodeSegmentation;

/// Longest folded word kept, in bytes: longer "words" (a base64 blob, a run of digits) are
/// skipped by [`words`] but keep their position.
pub const MAX_WORD_BYTES: usize = 96;

/// A word of a text as tgscope compares it: where it lies and its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedWord<'a> {
    /// Byte offset of the word in the text.
    pub start: usize,
    /// The word as written.
    pub raw: &'a str,
    /// Its place among the text's words (skipped words count too).
    pub position: usize,
    /// [`fold_word`] of it.
    pub folded: String,
}

/// The words of `text` (Unicode word boundaries, UAX #29), folded with [`fold_word`]: the one
/// notion of a word that the search index and the copy analysis share. Punctuation, emoji and
/// a hashtag's `#` are not words; words longer than [`MAX_WORD_BYTES`] are skipped but keep
/// their position, so that a phrase never matches across them.
pub fn words(text: &str) -> impl Iterator<Item = FoldedWord<'_>> {
    text.unicode_word_indices()
        .enumerate()
        .filter_map(|(position, (start, raw))| {
            let folded = fold_word(raw);
            (!folded.is_empty() && folded.len() <= MAX_WORD_BYTES).then_some(FoldedWord {
                start,
                raw,
                position,
                folded,
            })
        })
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

/// The Latin letter a lower-case Cyrillic letter looks like (`с` → `c`), if any.
pub fn to_latin(c: char) -> Option<char> {
    CYRILLIC_TO_LATIN
        .iter()
        .find(|(cyr, _)| *cyr == c)
        .map(|(_, lat)| *lat)
}

/// The Cyrillic letter a lower-case Latin letter looks like (`p` → `р`), if any.
pub fn to_cyrillic(c: char) -> Option<char> {
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

fn is_cyrillic_block(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

/// Cyrillic letters: the Cyrillic and Cyrillic Supplement blocks without the thousands sign
/// (U+0482) and the combining marks U+0483..U+0489 (every other code point there is a letter;
/// a unit test checks this against `char::is_alphabetic`, which is slow outside ASCII).
pub fn is_cyrillic_letter(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{0481}' | '\u{048A}'..='\u{052F}')
}

/// Latin letters: ASCII letters and the letters of the Latin-1 Supplement, Latin Extended and
/// Latin Extended Additional blocks.
pub fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
            && c.is_alphabetic()
            && c != '×'
            && c != '÷')
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
