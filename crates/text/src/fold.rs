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
    word_indices(text)
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

/// The words of `text` with their byte offsets: exactly `text.unicode_word_indices()`, faster.
///
/// Text of [simple](SimpleClass::of) characters only (most of a Russian or English post) is
/// split here, by the UAX #29 rules for them ([`next_simple_word`]). From the last space before
/// any other character to the first space after it, the text is split by `unicode-segmentation`
/// (its words that were already taken are skipped). Cutting before spaces changes no word: no
/// rule joins a space to what comes before it (but another space, and spaces are no word), and
/// no rule that looks past a break or behind one sees a letter or a digit through a space.
fn word_indices(text: &str) -> WordIndices<'_> {
    WordIndices {
        text,
        at: 0,
        last_cut: 0,
        taken_until: 0,
        general: None,
    }
}

/// Iterator of [`word_indices`].
struct WordIndices<'a> {
    text: &'a str,
    /// Where the search for the next word of simple characters goes on.
    at: usize,
    /// The last place before `at` where the text can be cut: the last space seen, or where the
    /// text or the last piece split by `unicode-segmentation` ended.
    last_cut: usize,
    /// Where the last word returned ends.
    taken_until: usize,
    /// The piece being split by `unicode-segmentation`, if any.
    general: Option<GeneralPiece<'a>>,
}

/// A piece of the text with characters that are not simple, and its words.
struct GeneralPiece<'a> {
    start: usize,
    end: usize,
    words: unicode_segmentation::UnicodeWordIndices<'a>,
}

impl<'a> Iterator for WordIndices<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(piece) = &mut self.general {
                match piece.words.next() {
                    Some((offset, word)) => {
                        let start = piece.start + offset;
                        if start < self.taken_until {
                            continue;
                        }
                        self.taken_until = start + word.len();
                        return Some((start, word));
                    }
                    None => {
                        (self.at, self.last_cut) = (piece.end, piece.end);
                        self.general = None;
                    }
                }
            }
            match next_simple_word(self.text, &mut self.at, &mut self.last_cut) {
                SimpleWord::Word(start) => {
                    self.taken_until = self.at;
                    return Some((start, &self.text[start..self.at]));
                }
                SimpleWord::End => return None,
                SimpleWord::NotSimple(at) => {
                    let bytes = self.text.as_bytes();
                    let end = memchr::memchr(b' ', &bytes[at..]).map_or(bytes.len(), |i| at + i);
                    self.general = Some(GeneralPiece {
                        start: self.last_cut,
                        end,
                        words: self.text[self.last_cut..end].unicode_word_indices(),
                    });
                }
            }
        }
    }
}

/// The word-break classes of the simple characters: the characters whose UAX #29 rules
/// [`next_simple_word`] implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SimpleClass {
    /// ALetter: ASCII and Russian letters.
    Letter,
    /// Numeric: ASCII digits.
    Digit,
    /// ExtendNumLet: `_`.
    Underscore,
    /// MidNumLet and Single_Quote: `.`, `'`, `‘`, `’`.
    MidNumLet,
    /// MidNum: `,`, `;`.
    MidNum,
    /// MidLetter: `:`.
    MidLetter,
    /// Any other that no rule joins to a letter or a digit: the other ASCII characters, the
    /// no-break space, `«»“”„`, dashes, `…`, `№`, `•`, `°`, `₽`, the minus sign.
    Other,
}

impl SimpleClass {
    /// The class of `c`, if it is simple.
    fn of(c: char) -> Option<Self> {
        Some(match c {
            'a'..='z' | 'A'..='Z' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => Self::Letter,
            '0'..='9' => Self::Digit,
            '_' => Self::Underscore,
            '.' | '\'' | '\u{2018}' | '\u{2019}' => Self::MidNumLet,
            ',' | ';' => Self::MidNum,
            ':' => Self::MidLetter,
            '\0'..='\x7F'
            | '\u{00A0}'
            | '«'
            | '»'
            | '°'
            | '\u{2010}'..='\u{2014}'
            | '“'
            | '”'
            | '„'
            | '…'
            | '№'
            | '•'
            | '₽'
            | '\u{2212}' => Self::Other,
            _ => return None,
        })
    }

    /// The class of the character at byte `at` of `text` (if it is simple) and its length.
    fn at(text: &str, at: usize) -> (Option<Self>, usize) {
        match text.as_bytes()[at] {
            byte @ 0..=0x7F => (Self::of(char::from(byte)), 1),
            _ => {
                let c = text[at..].chars().next().unwrap_or_default();
                (Self::of(c), c.len_utf8())
            }
        }
    }

    fn is_word(self) -> bool {
        matches!(self, Self::Letter | Self::Digit | Self::Underscore)
    }

    /// Whether a character of this class between `before` and `after` joins them into one
    /// word (UAX #29 WB6, WB7, WB11, WB12): `e.g`, `it's`, `1,000`, `3.14`.
    fn joins(self, before: Self, after: Self) -> bool {
        let letters = before == Self::Letter && after == Self::Letter;
        let digits = before == Self::Digit && after == Self::Digit;
        match self {
            Self::MidNumLet => letters || digits,
            Self::MidNum => digits,
            Self::MidLetter => letters,
            _ => false,
        }
    }
}

/// What [`next_simple_word`] found.
enum SimpleWord {
    /// A word from this byte to the new `at`.
    Word(usize),
    /// The end of the text.
    End,
    /// A character that is not simple, at this byte, before the next word could be told.
    NotSimple(usize),
}

/// The next word in `text[*at..]` if the text up to its end, and the character after it (and
/// the one after that if it may join), are simple: a run of word characters and the characters
/// that join them, with a letter or a digit in it (a run of `_` is no word). Moves `at` past
/// it, and `last_cut` to each space passed.
fn next_simple_word(text: &str, at: &mut usize, last_cut: &mut usize) -> SimpleWord {
    let end = text.len();
    let mut i = *at;
    while i < end {
        let (class, length) = SimpleClass::at(text, i);
        let Some(class) = class else {
            return SimpleWord::NotSimple(i);
        };
        if !class.is_word() {
            // A run of spaces is one segment (UAX #29, WB3d): a cut is where a run starts, so
            // that a mark after the run joins it whole (WB4).
            let bytes = text.as_bytes();
            if bytes[i] == b' ' && (i == 0 || bytes[i - 1] != b' ') {
                *last_cut = i;
            }
            i += length;
            continue;
        }
        let start = i;
        let mut alphanumeric = class != SimpleClass::Underscore;
        let mut last = class;
        i += length;
        while i < end {
            let (class, length) = SimpleClass::at(text, i);
            let Some(class) = class else {
                return SimpleWord::NotSimple(i);
            };
            if !class.is_word() {
                if i + length == end
                    || !matches!(
                        class,
                        SimpleClass::MidNumLet | SimpleClass::MidNum | SimpleClass::MidLetter
                    )
                {
                    break;
                }
                let Some(after) = SimpleClass::at(text, i + length).0 else {
                    return SimpleWord::NotSimple(i + length);
                };
                if !class.joins(last, after) {
                    break;
                }
            }
            alphanumeric |= matches!(class, SimpleClass::Letter | SimpleClass::Digit);
            last = class;
            i += length;
        }
        if alphanumeric {
            *at = i;
            return SimpleWord::Word(start);
        }
    }
    *at = end;
    SimpleWord::End
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
    // Most words are ASCII and basic Russian letters (and typographic apostrophes): already
    // composed, each letter lower-cased on its own; any other letter takes the general rule.
    let mut out = String::with_capacity(word.len());
    let (mut has_latin, mut has_cyrillic) = (false, false);
    for c in word.chars() {
        match c {
            'a'..='z' => {
                out.push(c);
                has_latin = true;
            }
            'A'..='Z' => {
                out.push(c.to_ascii_lowercase());
                has_latin = true;
            }
            '\0'..='\x7F' => out.push(c),
            'а'..='я' => {
                out.push(c);
                has_cyrillic = true;
            }
            'А'..='Я' => {
                out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c));
                has_cyrillic = true;
            }
            'Ё' | 'ё' => {
                out.push('е');
                has_cyrillic = true;
            }
            '\u{2018}' | '\u{2019}' => out.push('\''),
            _ => {
                out.clear();
                return fold_word_general(word, out);
            }
        }
    }
    // A word in one script has no look-alike letters to fold.
    if has_latin && has_cyrillic {
        fold_lookalikes_of(out)
    } else {
        out
    }
}

/// [`fold_word`] of any word, into `out` (empty).
fn fold_word_general(word: &str, mut out: String) -> String {
    let composed: Cow<'_, str> = if is_nfc_quick(word.chars()) == IsNormalized::Yes {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.nfc().collect())
    };
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

/// First and last Cyrillic letter of [`CYRILLIC_TO_LATIN`]: the range [`to_latin`] looks up.
const CYRILLIC_LOOKALIKES_FIRST: char = 'а';
const CYRILLIC_LOOKALIKES_LAST: char = 'ԝ';

/// [`CYRILLIC_TO_LATIN`] indexed by code point from [`CYRILLIC_LOOKALIKES_FIRST`].
const LATIN_OF_CYRILLIC: [Option<char>;
    CYRILLIC_LOOKALIKES_LAST as usize - CYRILLIC_LOOKALIKES_FIRST as usize + 1] = {
    let mut index =
        [None; CYRILLIC_LOOKALIKES_LAST as usize - CYRILLIC_LOOKALIKES_FIRST as usize + 1];
    let mut i = 0;
    while i < CYRILLIC_TO_LATIN.len() {
        let (cyrillic, latin) = CYRILLIC_TO_LATIN[i];
        assert!(cyrillic >= CYRILLIC_LOOKALIKES_FIRST && cyrillic <= CYRILLIC_LOOKALIKES_LAST);
        index[cyrillic as usize - CYRILLIC_LOOKALIKES_FIRST as usize] = Some(latin);
        i += 1;
    }
    index
};

/// [`LATIN_TO_CYRILLIC`] indexed by the letter's place in the alphabet.
const CYRILLIC_OF_LATIN: [Option<char>; 26] = {
    let mut index = [None; 26];
    let mut i = 0;
    while i < LATIN_TO_CYRILLIC.len() {
        let (latin, cyrillic) = LATIN_TO_CYRILLIC[i];
        assert!(latin.is_ascii_lowercase());
        index[(latin as u8 - b'a') as usize] = Some(cyrillic);
        i += 1;
    }
    index
};

/// The Latin letter a lower-case Cyrillic letter looks like (`с` → `c`), if any.
pub fn to_latin(c: char) -> Option<char> {
    let offset = (c as usize).wrapping_sub(CYRILLIC_LOOKALIKES_FIRST as usize);
    LATIN_OF_CYRILLIC.get(offset).copied().flatten()
}

/// The Cyrillic letter a lower-case Latin letter looks like (`p` → `р`), if any.
pub fn to_cyrillic(c: char) -> Option<char> {
    let offset = (c as usize).wrapping_sub('a' as usize);
    CYRILLIC_OF_LATIN.get(offset).copied().flatten()
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

/// [`fold_lookalikes`] of a word it owns: returned as it is when nothing changes.
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
    let lookalike = if to_latin_script {
        to_latin
    } else {
        to_cyrillic
    };
    let Some((first_changed, _)) = word.char_indices().find(|(_, c)| lookalike(*c).is_some())
    else {
        return word;
    };
    let mut folded = String::with_capacity(word.len());
    folded.push_str(&word[..first_changed]);
    folded.extend(
        word[first_changed..]
            .chars()
            .map(|c| lookalike(c).unwrap_or(c)),
    );
    folded
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
    use proptest::prelude::*;

    /// `fold_word` as it was before its fast path: the reference the fast one must equal.
    fn reference_fold_word(word: &str) -> String {
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
        reference_fold_lookalikes(out)
    }

    /// `fold_lookalikes` as it was: pairs looked up by a search of the tables.
    fn reference_fold_lookalikes(word: String) -> String {
        let (mut latin, mut latin_distinct, mut cyrillic, mut cyrillic_distinct) = (0, 0, 0, 0);
        for c in word.chars() {
            if is_latin_letter(c) {
                latin += 1;
                if reference_to_cyrillic(c).is_none() {
                    latin_distinct += 1;
                }
            } else if is_cyrillic_letter(c) {
                cyrillic += 1;
                if reference_to_latin(c).is_none() {
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
                    reference_to_latin(c).unwrap_or(c)
                } else {
                    reference_to_cyrillic(c).unwrap_or(c)
                }
            })
            .collect()
    }

    fn reference_to_latin(c: char) -> Option<char> {
        CYRILLIC_TO_LATIN
            .iter()
            .find(|(cyr, _)| *cyr == c)
            .map(|(_, lat)| *lat)
    }

    fn reference_to_cyrillic(c: char) -> Option<char> {
        LATIN_TO_CYRILLIC
            .iter()
            .find(|(lat, _)| *lat == c)
            .map(|(_, cyr)| *cyr)
    }

    /// Characters of Russian and English posts and the ones that test the rules' edges: Latin,
    /// Cyrillic (Russian, `ё`/`Ё`, other Cyrillic, look-alikes), accented and precomposed
    /// letters, combining marks, digits, apostrophes and word joiners, punctuation, spaces,
    /// line breaks, emoji with their joiners and modifiers, flags, ligatures and full-width
    /// letters, Hebrew and Katakana (letters with rules of their own), a soft hyphen.
    fn mixed_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            2 => prop::char::range('A', 'Z'),
            4 => prop::char::range('а', 'я'),
            2 => prop::char::range('А', 'Я'),
            1 => prop::char::range('\u{0400}', '\u{052F}'),
            1 => prop::char::range('\u{00C0}', '\u{024F}'),
            1 => prop::char::range('\u{1E00}', '\u{1EFF}'),
            1 => prop::char::range('\u{0300}', '\u{036F}'),
            1 => prop::char::range('0', '9'),
            3 => prop::sample::select(vec![
                'ё', 'Ё', 'е', 'Е', 'ѐ', 'ѝ', 'й', 'И', '\u{0306}', '\u{0308}', '\u{0301}',
                'а', 'в', 'с', 'о', 'р', 'н', 'т', 'у', 'х', 'і', 'ј', 'ѕ', 'һ', 'ԁ', 'ԛ', 'ԝ',
                'a', 'b', 'c', 'o', 'p', 'h', 't', 'y', 'x', 'i', 'k', 'm', 'e', 'n', 'я',
                '\'', '\u{2018}', '\u{2019}', '\u{02BC}', '\u{FF07}', '.', ',', ';', ':', '_',
                '-', '\u{00B7}', '\u{2027}', '\u{00AD}', ' ', ' ', '\u{00A0}', '\u{2003}',
                '\n', '\r', '\t', '«', '»', '“', '”', '„', '—', '–', '…', '№', '•', '°',
                '₽', '\u{2212}', '#', '@', '/', '"', '(', ')', '!', '?', '🎉', '🇷', '🇺',
                '\u{200D}', '\u{FE0F}', '\u{1F3FB}', '©', 'ß', 'æ', 'œ', 'ø', 'ł', 'đ',
                'ð', 'þ', 'ı', 'ﬁ', 'Ａ', 'ｚ', '１', '²', '½', 'ǅ', 'İ', 'Σ', 'ς', 'א',
                'ア', '\u{FB1D}', 'é', 'É', 'ñ', 'ç', 'ü',
            ]),
        ]
    }

    /// Short words of look-alike letters and letters that fold to one (`ё`, `е`, `Е`, `E`).
    fn lookalike_word() -> impl Strategy<Value = String> {
        let letters = prop::sample::select(vec![
            'ё', 'Ё', 'е', 'Е', 'ѐ', 'a', 'A', 'e', 'E', 'o', 'O', 'p', 'n', 'а', 'о', 'р', 'я',
            'Я', 'і', 'é', '\u{0308}', '1', '\'', '\u{2019}',
        ]);
        prop::collection::vec(letters, 0..6).prop_map(|chars| chars.into_iter().collect())
    }

    fn mixed_text(len: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(mixed_char(), 0..len).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fold_word_equals_the_reference_on_mixed_words(word in mixed_text(16)) {
            prop_assert_eq!(fold_word(&word), reference_fold_word(&word));
        }

        #[test]
        fn fold_word_equals_the_reference_on_lookalike_words(word in lookalike_word()) {
            prop_assert_eq!(fold_word(&word), reference_fold_word(&word));
        }

        #[test]
        fn fold_word_equals_the_reference_on_any_string(word in any::<String>()) {
            prop_assert_eq!(fold_word(&word), reference_fold_word(&word));
        }

        #[test]
        fn fold_lookalikes_equals_the_reference(word in mixed_text(16)) {
            let lower = word.to_lowercase();
            prop_assert_eq!(fold_lookalikes(&lower), reference_fold_lookalikes(lower.clone()));
        }

        #[test]
        fn words_are_unicode_segmentation_words_on_mixed_text(text in mixed_text(64)) {
            let ours: Vec<_> = word_indices(&text).collect();
            let theirs: Vec<_> = text.unicode_word_indices().collect();
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn words_are_unicode_segmentation_words_on_any_string(text in any::<String>()) {
            let ours: Vec<_> = word_indices(&text).collect();
            let theirs: Vec<_> = text.unicode_word_indices().collect();
            prop_assert_eq!(ours, theirs);
        }
    }

    /// One character of each word-break class the simple pieces hold, and a few that they do
    /// not (a combining mark, an emoji, a wide space, a soft hyphen, a Hebrew letter).
    const WORD_BREAK_CLASSES: &[char] = &[
        'a', 'Я', '1', '_', '.', '\'', '\u{2019}', ':', ',', ';', ' ', '\n', '\r', '«', '-',
        '\u{0301}', '🎉', '\u{2003}', '\u{00AD}', 'א',
    ];

    /// Found by the property test: a letter that is a combining mark (U+0363, combining Latin
    /// small a) after two spaces joins the whole run of spaces, as one word with them.
    #[test]
    fn a_combining_letter_after_a_run_of_spaces_takes_the_whole_run() {
        for text in ["  \u{363}", "x  \u{363}", "ab   \u{363}c d"] {
            let ours: Vec<(usize, &str)> = word_indices(text).collect();
            let theirs: Vec<(usize, &str)> = text.unicode_word_indices().collect();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn words_are_unicode_segmentation_words_on_every_short_text_of_the_classes() {
        let classes = WORD_BREAK_CLASSES;
        let mut text = String::new();
        for length in 0..=4u32 {
            for mut n in 0..classes.len().pow(length) {
                text.clear();
                for _ in 0..length {
                    text.push(classes[n % classes.len()]);
                    n /= classes.len();
                }
                let ours: Vec<_> = word_indices(&text).collect();
                let theirs: Vec<_> = text.unicode_word_indices().collect();
                assert_eq!(ours, theirs, "{text:?}");
            }
        }
    }

    #[test]
    fn every_simple_character_breaks_words_as_unicode_segmentation_does() {
        let simple = ('\0'..='\u{FFFF}').filter(|c| SimpleClass::of(*c).is_some());
        let mut text = String::new();
        for c in simple {
            for before in WORD_BREAK_CLASSES {
                for after in WORD_BREAK_CLASSES {
                    for context in [['a', 'a'], ['1', '1'], ['Я', ' ']] {
                        text.clear();
                        text.extend([context[0], *before, c, *after, context[1]]);
                        let ours: Vec<_> = word_indices(&text).collect();
                        let theirs: Vec<_> = text.unicode_word_indices().collect();
                        assert_eq!(ours, theirs, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn lookalike_pairs_are_the_tables_pairs() {
        for c in '\0'..=char::MAX {
            assert_eq!(to_latin(c), reference_to_latin(c), "U+{:04X}", c as u32);
            assert_eq!(
                to_cyrillic(c),
                reference_to_cyrillic(c),
                "U+{:04X}",
                c as u32
            );
        }
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
}
