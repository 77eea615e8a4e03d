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

/// Invisible characters that carry no content: zero width space, BOM / zero width no-break
/// space, word joiner, soft hyphen. (U+200D ZERO WIDTH JOINER is kept: emoji sequences need it.)
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{2060}' | '\u{00AD}')
}

/// Spaces that only differ from ' ' in line breaking: no-break, narrow no-break, figure space.
fn is_space_variant(c: char) -> bool {
    matches!(c, '\u{00A0}' | '\u{202F}' | '\u{2007}')
}

/// The clean form of a text.
///
/// In order: line endings (`\r\n`, `\r`, U+0085, U+2028, U+2029) to `\n`; U+00A0, U+202F and
/// U+2007 to ' '; U+200B, U+FEFF, U+2060 and U+00AD removed (U+200D kept); NFC; trailing
/// whitespace of every line trimmed (spaces, tabs and other Unicode whitespace); leading and
/// trailing blank lines of the whole text removed; runs of blank lines collapsed to one (no more
/// than two `\n` in a row). Leading indentation is kept.
///
/// Idempotent: `clean_text(&clean_text(x)) == clean_text(x)`.
pub fn clean_text(s: &str) -> String {
    // Character mapping comes before NFC: removing an invisible character can bring a base
    // character and a combining mark together, and NFC must see them together.
    let mut mapped = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                mapped.push('\n');
            }
            '\u{0085}' | '\u{2028}' | '\u{2029}' => mapped.push('\n'),
            c if is_space_variant(c) => mapped.push(' '),
            c if is_invisible(c) => {}
            c => mapped.push(c),
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
    use super::*;

    #[test]
    fn clean_text_normalises_line_endings_spaces_and_invisibles() {
        let raw = "\r\n  \nHello\u{00A0}world\u{200B}!  \r\nSecond\u{00AD} line\t\r\n\r\n\r\n\r\nThird\u{FEFF}\n\n";
        assert_eq!(clean_text(raw), "Hello world!\nSecond line\n\nThird");
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
