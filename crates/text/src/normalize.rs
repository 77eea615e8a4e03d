//! Normalisation of text: the clean form, comparison keys, words and similarity.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::LazyLock;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// NFC of `s`, borrowing when `s` is already in NFC (most text: the quick check is much cheaper
/// than composing).
fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Characters that carry no content: zero width space, BOM / zero width no-break space, word
/// joiner, soft hyphen, and U+0000 (which no PostgreSQL text can hold). U+200D ZERO WIDTH
/// JOINER is kept: emoji sequences need it. Other control characters are kept as the data they
/// are: what shows them (a terminal, a feed) escapes or replaces them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{FEFF}' | '\u{2060}' | '\u{00AD}' | '\u{0}'
    )
}

/// Spaces that only differ from ' ' in line breaking: no-break, narrow no-break, figure space.
fn is_space_variant(c: char) -> bool {
    matches!(c, '\u{00A0}' | '\u{202F}' | '\u{2007}')
}

/// What [`clean_text`] makes of one character before NFC and line trimming: `None` when it is
/// removed, `'\n'` for a line end (`\r`, U+0085, U+2028, U+2029; a `\r` before `\n` is one
/// line end with it, which the caller pairs), `' '` for a space variant, else the character.
/// The one home of this mapping: readers that align spans with the clean text use it.
pub fn clean_char(c: char) -> Option<char> {
    match c {
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' => Some('\n'),
        c if is_space_variant(c) => Some(' '),
        c if is_invisible(c) => None,
        c => Some(c),
    }
}

/// The clean form of a text.
///
/// In order: line endings (`\r\n`, `\r`, U+0085, U+2028, U+2029) to `\n`; U+00A0, U+202F and
/// U+2007 to ' '; U+200B, U+FEFF, U+2060, U+00AD and U+0000 removed (U+200D kept; see
/// [`clean_char`]); NFC; trailing
/// whitespace of every line trimmed (spaces, tabs and other Unicode whitespace); leading and
/// trailing blank lines of the whole text removed; runs of blank lines collapsed to one (no more
/// than two `\n` in a row). Leading indentation is kept.
///
/// Idempotent: `clean_text(&clean_text(x)) == clean_text(x)`.
pub fn clean_text(s: &str) -> String {
    if is_clean(s) {
        return s.to_owned();
    }
    clean_text_slow(s)
}

/// [`clean_text`], borrowing when the text is already clean (most text is).
pub fn clean_text_cow(s: &str) -> Cow<'_, str> {
    if is_clean(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(clean_text_slow(s))
    }
}

/// Characters whose presence proves nothing against NFC: they have no canonical decomposition
/// that NFC would apply and combine with nothing before them (combining class 0, quick check
/// Yes). A conservative set: Latin up to U+02FF, Cyrillic letters U+0400..U+0482, general
/// punctuation U+2010..U+2027 and U+2030..U+205E, currency signs, `№`, arrows, symbols and
/// dingbats, variation selectors, and the emoji and symbol planes from U+1F000. Anything else sends the text to the full check.
fn nfc_stable(c: char) -> bool {
    c < '\u{0300}'
        || ('\u{0400}'..='\u{0482}').contains(&c)
        || ('\u{2010}'..='\u{2027}').contains(&c)
        || ('\u{2030}'..='\u{205E}').contains(&c)
        || ('\u{20A0}'..='\u{20BF}').contains(&c)
        || c == '\u{2116}'
        || ('\u{2190}'..='\u{21FF}').contains(&c)
        || ('\u{2460}'..='\u{27BF}').contains(&c)
        || ('\u{2B00}'..='\u{2BFF}').contains(&c)
        || ('\u{FE00}'..='\u{FE0F}').contains(&c)
        || ('\u{1F000}'..='\u{1FAFF}').contains(&c)
}

/// True when `clean_text_slow` would return `s` unchanged, decided in one pass without
/// allocating. `false` may also mean "not sure" (a character outside `nfc_stable`).
pub fn is_clean(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'\n') || bytes.last() == Some(&b'\n') {
        return false;
    }
    // Whether the previous character was whitespace, and how many `\n` came in a row.
    let mut prev_space = false;
    let mut newlines = 0u8;
    let mut i = 0;
    while i < bytes.len() {
        // The common case, 32 bytes at a time: printable ASCII and spaces, and the bytes of
        // Cyrillic letters U+0400..U+047F (lead bytes 0xD0 and 0xD1, then continuation bytes),
        // which are all NFC-stable. No line break inside, so only the last byte matters.
        if let Some(chunk) = bytes.get(i..i + 32) {
            let common = chunk.iter().fold(true, |all, &b| {
                all & ((b.wrapping_sub(0x20) < 0x5F) | (b & 0xC0 == 0x80) | (b & 0xFE == 0xD0))
            });
            if common {
                newlines = 0;
                prev_space = chunk[31] == b' ';
                i += 32;
                continue;
            }
        }
        let b = bytes[i];
        if b & 0xC0 == 0x80 {
            // The rest of a Cyrillic letter whose lead byte ended the last chunk.
            newlines = 0;
            prev_space = false;
            i += 1;
            continue;
        }
        if b < 0x80 {
            match b {
                b'\n' => {
                    if prev_space || newlines == 2 {
                        return false;
                    }
                    newlines += 1;
                    prev_space = false;
                }
                b'\r' => return false,
                0 => return false,
                _ => {
                    newlines = 0;
                    prev_space = char::from(b).is_whitespace();
                }
            }
            i += 1;
            continue;
        }
        let width = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        let Some(c) = s.get(i..i + width).and_then(|t| t.chars().next()) else {
            return false;
        };
        if !nfc_stable(c)
            || matches!(c, '\u{0085}' | '\u{2028}' | '\u{2029}')
            || is_space_variant(c)
            || is_invisible(c)
        {
            return false;
        }
        newlines = 0;
        prev_space = c.is_whitespace();
        i += width;
    }
    !prev_space
}

/// The clean form, computed in full (see [`clean_text`]).
fn clean_text_slow(s: &str) -> String {
    // Character mapping comes before NFC: removing an invisible character can bring a base
    // character and a combining mark together, and NFC must see them together.
    let mut mapped = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
        }
        if let Some(m) = clean_char(c) {
            mapped.push(m);
        }
    }
    let composed = nfc(&mapped);

    let mut out = String::with_capacity(composed.len());
    let mut blank_pending = false;
    for line in composed.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            // Blank lines before the first content line are dropped; later ones are remembered
            // and written (once) only if more content follows.
            blank_pending = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_pending {
                out.push('\n');
            }
        }
        blank_pending = false;
        out.push_str(line);
    }
    out
}

/// Every run of whitespace to one space, trimmed.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Key to compare two lines for "is this the same line repeated": [`clean_text`] of the line,
/// trimmed, every run of whitespace collapsed to one space. Case is kept.
pub fn line_key(line: &str) -> String {
    collapse_whitespace(&clean_text(line))
}

/// Identity key of a post's text within a channel: the text without invisible characters
/// (as [`clean_text`] removes them), NFC, lowercased (Unicode), 'ё' to 'е', every run of
/// whitespace to one space, trimmed; then SHA-256 as lowercase hex (64 chars).
///
/// Two captures of the same post that differ only in case, spacing, line breaks or 'ё' give the
/// same key.
pub fn content_key(text: &str) -> String {
    // Text of NFC-stable characters stays NFC when lowercased (U+0130 aside, which lowercases
    // to two characters): then the key is built in one pass, with no intermediate strings.
    if text.chars().all(|c| nfc_stable(c) && c != '\u{0130}') {
        let mut key = String::with_capacity(text.len());
        let mut space = false;
        for c in text.chars().filter(|c| !is_invisible(*c)) {
            lowercase(c, |lower| {
                if lower.is_whitespace() {
                    space = !key.is_empty();
                } else {
                    if space {
                        key.push(' ');
                        space = false;
                    }
                    key.push(fold_yo(lower));
                }
            });
        }
        return hex::encode(Sha256::digest(key.as_bytes()));
    }
    content_key_slow(text)
}

/// `c` lowercased, as [`char::to_lowercase`] gives it, without its table search for ASCII and
/// the Russian alphabet (most of what posts are written in).
fn lowercase(c: char, mut each: impl FnMut(char)) {
    let shifted = |by: u32| char::from_u32(c as u32 + by).unwrap_or(c);
    match c {
        'A'..='Z' => each(c.to_ascii_lowercase()),
        // А-Я to а-я; Ѐ-Џ (Ё among them) to ѐ-џ.
        '\u{0410}'..='\u{042F}' => each(shifted(0x20)),
        '\u{0400}'..='\u{040F}' => each(shifted(0x50)),
        '\0'..='\u{7F}' | '\u{0430}'..='\u{045F}' => each(c),
        _ => c.to_lowercase().for_each(each),
    }
}

/// [`content_key`] step by step, for any text.
fn content_key_slow(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    let lowered = nfc(&visible).to_lowercase();
    let folded: String = nfc(&lowered).chars().map(fold_yo).collect();
    let key = collapse_whitespace(&folded);
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// 'ё' to 'е' (after lowercasing).
fn fold_yo(c: char) -> char {
    if c == 'ё' { 'е' } else { c }
}

/// A word: a letter or digit, then letters, digits and combining marks.
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*").expect("word pattern compiles"));

/// Words of a text for similarity: runs of Unicode letters and digits (with combining marks),
/// lowercased, NFC, 'ё' to 'е'. Punctuation, emoji and spaces separate words.
pub fn words(text: &str) -> Vec<String> {
    let lowered: String = nfc(&nfc(text).to_lowercase())
        .chars()
        .map(fold_yo)
        .collect();
    WORD.find_iter(&lowered)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Jaccard similarity (0.0..=1.0) of the sets of word 3-shingles of two texts (see [`words`]).
///
/// When either text has fewer than 3 words, the sets of words are compared instead. Two texts
/// without words give 1.0; one text without words and one with give 0.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    let words_a = words(a);
    let words_b = words(b);
    if words_a.len() < 3 || words_b.len() < 3 {
        jaccard(
            words_a.iter().map(String::as_str).collect(),
            words_b.iter().map(String::as_str).collect(),
        )
    } else {
        jaccard(words_a.windows(3).collect(), words_b.windows(3).collect())
    }
}

/// |a ∩ b| / |a ∪ b|; 1.0 for two empty sets.
fn jaccard<T: Eq + Hash>(a: HashSet<T>, b: HashSet<T>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(&b).count();
    let union = a.len() + b.len() - common;
    common as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// Texts built from the characters that matter to cleaning: line breaks of every kind,
    /// spaces and their variants, invisibles, combining marks, Cyrillic, emoji.
    fn cleaning_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "a",
                "b",
                "е",
                "ё",
                "й",
                "é",
                "e\u{0301}",
                "\n",
                "\n",
                "\r",
                " ",
                "\t",
                "\u{0B}",
                "\u{0}",
                "\u{1B}",
                "\u{7F}",
                "\u{9C}",
                "\u{00A0}",
                "\u{200B}",
                "\u{00AD}",
                "\u{2028}",
                "\u{3000}",
                "\u{2001}",
                "—",
                "🇷🇺",
                "👨\u{200D}👩",
                "\u{0483}",
                "A",
                "Ё",
                "İ",
                "Σ",
                "ς",
                "\u{023A}",
                "ß",
            ]),
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    #[test]
    fn every_nfc_stable_character_is_nfc_alone_and_combines_with_nothing() {
        use unicode_normalization::char::canonical_combining_class;
        let mut checked = 0;
        for c in (0..=0x1FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| nfc_stable(c))
        {
            assert_eq!(
                is_nfc_quick(std::iter::once(c)),
                IsNormalized::Yes,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
            checked += 1;
        }
        assert!(checked > 5000, "{checked}");
    }

    #[test]
    fn content_keys_of_the_one_pass_and_the_full_path_agree() {
        for text in [
            "ΟΔΟΣ",
            "Σ",
            "aΣ b",
            "Привет, Ёлка!",
            "İstanbul",
            "Straße  \n ok",
        ] {
            assert_eq!(content_key(text), content_key_slow(text), "{text}");
        }
    }

    #[test]
    fn the_quick_lowercase_is_the_standard_one() {
        for c in ('\0'..='\u{0600}').chain(['\u{1E9E}', '\u{2126}', '\u{212A}']) {
            let mut quick = String::new();
            lowercase(c, |l| quick.push(l));
            assert_eq!(quick, c.to_lowercase().to_string(), "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_full_cleaning(text in cleaning_text()) {
            let slow = clean_text_slow(&text);
            if is_clean(&text) {
                prop_assert_eq!(&slow, &text);
            }
            prop_assert_eq!(clean_text(&text), slow.clone());
            prop_assert_eq!(clean_text_cow(&text).into_owned(), slow.clone());
            prop_assert_eq!(content_key(&text), content_key_slow(&text));
            prop_assert_eq!(content_key(&slow), content_key_slow(&slow));
            // Clean text of ordinary characters is recognised as clean: the fast path is taken.
            if slow.chars().all(nfc_stable) {
                prop_assert!(is_clean(&slow), "{:?} not recognised as clean", slow);
            }
        }
    }

    use super::*;

    #[test]
    fn clean_text_normalises_line_endings_spaces_and_invisibles() {
        let raw = "\r\n  \nHello\u{00A0}world\u{200B}!  \r\nSecond\u{00AD} line\t\r\n\r\n\r\n\r\nThird\u{FEFF}\n\n";
        assert_eq!(clean_text(raw), "Hello world!\nSecond line\n\nThird");
    }

    #[test]
    fn clean_text_removes_nul_and_keeps_other_control_characters() {
        let raw = "Mini\u{0}ster\u{1B}[0m said\u{7F}\u{9C}:\tyes\u{0085}no\u{1}";
        assert_eq!(
            clean_text(raw),
            "Minister\u{1B}[0m said\u{7F}\u{9C}:\tyes\nno\u{1}"
        );
        assert!(!is_clean("a\u{0}b"));
        assert_eq!(clean_char('\u{0}'), None);
        assert_eq!(clean_char('\r'), Some('\n'));
    }

    #[test]
    fn clean_text_keeps_zwj_emoji_sequences_and_indentation() {
        let family = "👨\u{200D}👩\u{200D}👧";
        assert_eq!(clean_text(family), family);
        assert_eq!(clean_text("  • item\n    sub"), "  • item\n    sub");
    }

    #[test]
    fn clean_text_composes_to_nfc_even_across_removed_characters() {
        // 'е' + combining diaeresis, separated by a soft hyphen.
        let raw = "Ёлка и е\u{00AD}\u{0308}ж";
        let once = clean_text(raw);
        assert_eq!(once, "Ёлка и ёж");
        assert_eq!(clean_text(&once), once);
    }

    #[test]
    fn clean_text_russian_paragraphs() {
        let raw = "Заявление МИД России\u{202F}\r\n\r\n\r\n\r\nМосква, 17\u{00A0}мая 2023 г.  ";
        assert_eq!(
            clean_text(raw),
            "Заявление МИД России\n\nМосква, 17 мая 2023 г."
        );
    }

    #[test]
    fn clean_text_of_blank_text_is_empty() {
        assert_eq!(clean_text(" \n\t\r\n\u{00A0}\n"), "");
        assert_eq!(clean_text(""), "");
    }

    #[test]
    fn line_key_ignores_spacing_but_not_case() {
        assert_eq!(
            line_key("  Key   talking\u{00A0}points:  "),
            line_key("Key talking points:")
        );
        assert_ne!(
            line_key("Key talking points:"),
            line_key("key talking points:")
        );
        assert_eq!(line_key("🔹 Мы  больше\tне"), "🔹 Мы больше не");
    }

    #[test]
    fn content_key_is_stable_across_case_spacing_and_yo() {
        let a = content_key("Ещё одно  заявление\nМИД");
        let b = content_key("  еще одно заявление мид ");
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, content_key("Ещё одно заявление МИД России"));
        assert_eq!(
            content_key("The WEST   has made its choice."),
            content_key("the west has made its choice.")
        );
    }

    #[test]
    fn content_key_of_empty_text_is_sha256_of_nothing() {
        assert_eq!(
            content_key(" \n "),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn words_are_lowercase_alphanumeric_runs() {
        assert_eq!(
            words("🇷🇺 Russia's #BRICS, 2023!"),
            vec!["russia", "s", "brics", "2023"]
        );
        assert_eq!(words("Ещё ОДНО—слово"), vec!["еще", "одно", "слово"]);
        assert!(words("… 🔹 —").is_empty());
    }

    #[test]
    fn similarity_of_identical_and_disjoint_texts() {
        let t = "We will no longer rely on the West as a partner";
        assert_eq!(similarity(t, t), 1.0);
        assert_eq!(similarity(t, "Совсем другой текст о чём-то ещё"), 0.0);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("", "word"), 0.0);
    }

    #[test]
    fn similarity_uses_shingles_so_order_matters() {
        // Same words, different order: word sets equal, shingles differ.
        let a = "one two three four";
        let b = "four three two one";
        assert!(similarity(a, b) < 0.01);
        // One edit at the end of a long text keeps most shingles.
        let a = "the west has made its choice they insist that russia must suffer";
        let b = "the west has made its choice they insist that russia must lose";
        let s = similarity(a, b);
        assert!(s > 0.8 && s < 1.0, "{s}");
    }

    #[test]
    fn similarity_falls_back_to_word_sets_for_short_texts() {
        assert_eq!(similarity("Lavrov Wang", "Wang Lavrov"), 1.0);
        assert_eq!(similarity("Лавров", "лавров Ван"), 0.5);
    }
}
