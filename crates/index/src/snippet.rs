//! Snippets: a stretch of a post's text around the first matches, with the matched words'
//! byte ranges, and how to show them (plain markers or HTML).

use serde::Serialize;

use crate::analysis::{self, Word};
use crate::query::MatchedForms;

/// A stretch of a post's text around its first matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The text: whitespace runs (line breaks too) shown as one space, `…` where the post's
    /// text was cut.
    pub text: String,
    /// Byte ranges in `text` of the words that matched (every form: `России` for `Россия`),
    /// in order, not overlapping, on char boundaries.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The text with each highlight between `open` and `close`, e.g. `marked("[", "]")`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        self.render(open, close, |s, out| out.push_str(s))
    }

    /// The text HTML-escaped, with each highlight between `open` and `close` (inserted as
    /// they are), e.g. `html("<mark>", "</mark>")`.
    pub fn html(&self, open: &str, close: &str) -> String {
        self.render(open, close, escape_html)
    }

    fn render(&self, open: &str, close: &str, push: impl Fn(&str, &mut String)) -> String {
        let mut out = String::with_capacity(self.text.len() + self.highlights.len() * 16);
        let mut at = 0;
        for &(start, end) in &self.highlights {
            let (Some(before), Some(word)) = (self.text.get(at..start), self.text.get(start..end))
            else {
                continue;
            };
            push(before, &mut out);
            out.push_str(open);
            push(word, &mut out);
            out.push_str(close);
            at = end;
        }
        push(self.text.get(at..).unwrap_or_default(), &mut out);
        out
    }
}

fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

const ELLIPSIS: &str = "…";

/// The snippet of `text` for the forms a query matched: at most `max_chars` chars of the text
/// (plus the `…` marks), starting a little before the first match (or at the start when
/// nothing in the text matched, as for a query of filters only).
pub(crate) fn build(text: &str, forms: &MatchedForms, max_chars: usize) -> Snippet {
    if max_chars == 0 {
        return Snippet::default();
    }
    let words = analysis::words(text);
    let matched = matched_words(text, &words, forms);
    let total_chars = text.chars().count();

    let (start, end) = if total_chars <= max_chars {
        (0, text.len())
    } else {
        window(text, &words, &matched, total_chars, max_chars)
    };

    let mut out = SnippetWriter::default();
    if start > 0 {
        out.snippet.text.push_str(ELLIPSIS);
    }
    let mut at = start;
    for (word, _) in words
        .iter()
        .zip(&matched)
        .filter(|(w, m)| **m && w.start >= start && w.end <= end)
    {
        out.plain(&text[at..word.start]);
        out.highlight(&text[word.start..word.end]);
        at = word.end;
    }
    out.plain(&text[at..end]);
    if end < text.len() {
        out.snippet.text.push_str(ELLIPSIS);
    }
    out.snippet
}

/// Writes a snippet's text: whitespace runs as one space (none at the start or the end).
#[derive(Default)]
struct SnippetWriter {
    snippet: Snippet,
    /// Whitespace was seen since the last char written.
    space_pending: bool,
    /// Something of the post's text was written.
    started: bool,
}

impl SnippetWriter {
    fn plain(&mut self, piece: &str) {
        for c in piece.chars() {
            if c.is_whitespace() {
                self.space_pending = true;
            } else {
                self.space_if_pending();
                self.snippet.text.push(c);
            }
        }
    }

    fn highlight(&mut self, word: &str) {
        self.space_if_pending();
        let from = self.snippet.text.len();
        self.snippet.text.push_str(word);
        self.snippet
            .highlights
            .push((from, self.snippet.text.len()));
    }

    fn space_if_pending(&mut self) {
        if self.space_pending && self.started {
            self.snippet.text.push(' ');
        }
        self.space_pending = false;
        self.started = true;
    }
}

/// Which words match the forms: an exact form, a stem, a word of a phrase found in a row, or
/// the word of a hashtag or mention looked for (right after its `#` or `@`).
fn matched_words(text: &str, words: &[Word], forms: &MatchedForms) -> Vec<bool> {
    let mut matched: Vec<bool> = words
        .iter()
        .map(|w| {
            forms.exact.contains(&w.folded)
                || (!forms.stems.is_empty() && w.stem().is_some_and(|s| forms.stems.contains(&s)))
                || (!forms.marked.is_empty()
                    && text[..w.start]
                        .chars()
                        .next_back()
                        .is_some_and(|mark| forms.marked.contains(&(mark, w.folded.clone()))))
        })
        .collect();
    for phrase in &forms.phrases {
        let Some((first_offset, _)) = phrase.first() else {
            continue;
        };
        for i in 0..words.len() {
            let in_a_row = phrase.iter().enumerate().all(|(k, (offset, folded))| {
                words.get(i + k).is_some_and(|w| {
                    w.folded == *folded && w.position == words[i].position + (offset - first_offset)
                })
            });
            if in_a_row {
                for m in matched.iter_mut().skip(i).take(phrase.len()) {
                    *m = true;
                }
            }
        }
    }
    matched
}

/// The byte range of the window: about a fifth of it before the first match, cut at word
/// boundaries; moved back when the text ends before the window is full.
fn window(
    text: &str,
    words: &[Word],
    matched: &[bool],
    total_chars: usize,
    max_chars: usize,
) -> (usize, usize) {
    let anchor = words
        .iter()
        .zip(matched)
        .find(|(_, m)| **m)
        .map(|(w, _)| w.start)
        .unwrap_or(0);
    let anchor_char = text[..anchor].chars().count();
    let before = max_chars / 5;
    let mut start_char = anchor_char.saturating_sub(before);
    if start_char + max_chars > total_chars {
        start_char = total_chars.saturating_sub(max_chars);
    }
    let mut start = byte_at_char(text, start_char);
    // Start at a word: the first one at or after the cut (never after the anchor); at the
    // text's start when that is the first word.
    if start > 0 {
        start = words
            .iter()
            .map(|w| w.start)
            .find(|&s| s >= start)
            .map_or(anchor, |s| s.min(anchor));
        if words.first().is_some_and(|w| w.start == start) {
            start = 0;
        }
    }
    let start_char = text[..start].chars().count();
    let mut end = byte_at_char(text, start_char + max_chars);
    if end < text.len() {
        // End after the last whole word inside the window.
        if let Some(last) = words
            .iter()
            .rev()
            .find(|w| w.end <= end && w.start >= start)
        {
            end = last.end;
        }
    }
    (start, end)
}

/// The byte index of the char at `n` (the text's length past its end).
fn byte_at_char(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    fn snippet(text: &str, query: &str, max_chars: usize) -> Snippet {
        let q = parse_query(query).expect("query parses");
        build(text, &q.matched_forms(), max_chars)
    }

    fn highlighted(s: &Snippet) -> Vec<&str> {
        s.highlights.iter().map(|&(a, b)| &s.text[a..b]).collect()
    }

    #[test]
    fn every_form_of_a_word_is_highlighted() {
        let s = snippet(
            "Россия и России: санкции против Россией. Российский флаг.",
            "Россия",
            200,
        );
        assert_eq!(highlighted(&s), ["Россия", "России", "Россией"]);
        assert_eq!(
            s.marked("[", "]"),
            "[Россия] и [России]: санкции против [Россией]. Российский флаг."
        );
    }

    #[test]
    fn exact_queries_highlight_only_the_exact_form() {
        let s = snippet("Россия и России, РОССИЯ", "=Россия", 200);
        assert_eq!(highlighted(&s), ["Россия", "РОССИЯ"]);
    }

    #[test]
    fn phrases_are_highlighted_only_in_a_row() {
        let s = snippet(
            "The West is collective. The collective West said.",
            "\"collective West\"",
            200,
        );
        assert_eq!(
            s.marked("[", "]"),
            "The West is collective. The [collective] [West] said."
        );
    }

    #[test]
    fn excluded_words_are_not_highlighted() {
        let s = snippet("sanctions on Russia", "sanction -Russia", 200);
        assert_eq!(highlighted(&s), ["sanctions"]);
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let filler = "word ".repeat(100);
        let text = format!("{filler}the sanctions were extended {filler}");
        let s = snippet(&text, "sanctions", 60);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert_eq!(highlighted(&s), ["sanctions"]);
        let shown = s.text.trim_matches('…');
        assert!(shown.chars().count() <= 60, "{}", s.text);
        assert!(
            shown.starts_with("word") && shown.ends_with("word"),
            "{}",
            s.text
        );
        // Some context before the match.
        let before = &s.text[..s.highlights[0].0];
        assert!(before.chars().count() >= 8, "{}", s.text);
    }

    #[test]
    fn a_match_near_the_end_fills_the_window_backwards() {
        let text = format!("{} final sanctions", "word ".repeat(100));
        let s = snippet(&text, "sanctions", 40);
        assert!(
            s.text.starts_with('…') && !s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(s.text.ends_with("final sanctions"), "{}", s.text);
        assert!(s.text.chars().count() >= 30, "{}", s.text);
    }

    #[test]
    fn without_a_match_the_snippet_is_the_start_of_the_text() {
        let text = format!("First line\n\nsecond   line {}", "word ".repeat(50));
        let s = snippet(&text, "has:media", 30);
        assert!(s.text.starts_with("First line second line"), "{}", s.text);
        assert!(s.text.ends_with('…'));
        assert!(s.highlights.is_empty());
    }

    #[test]
    fn whitespace_runs_become_one_space() {
        let s = snippet("a\n\n  sanctions\tb", "sanctions", 200);
        assert_eq!(s.marked("<", ">"), "a <sanctions> b");
    }

    #[test]
    fn html_is_escaped_but_markers_are_not() {
        let s = snippet("<b>sanctions</b> & \"more\"", "sanctions", 200);
        assert_eq!(
            s.html("<mark>", "</mark>"),
            "&lt;b&gt;<mark>sanctions</mark>&lt;/b&gt; &amp; &quot;more&quot;"
        );
    }

    #[test]
    fn zero_chars_give_an_empty_snippet() {
        assert_eq!(snippet("sanctions", "sanctions", 0), Snippet::default());
    }

    #[test]
    fn highlights_are_on_char_boundaries_of_the_snippet() {
        let text = format!("{}Ёлка ёлки елка{}", "я ".repeat(200), " ё".repeat(200));
        let s = snippet(&text, "ёлка", 50);
        assert_eq!(highlighted(&s), ["Ёлка", "ёлки", "елка"]);
    }

    #[test]
    fn hashtags_and_mentions_looked_for_are_highlighted_as_tags_only() {
        let s = snippet(
            "Россия: #Россия и @mid_russia, mid_russia",
            "#россия @MID_Russia",
            200,
        );
        assert_eq!(
            s.marked("[", "]"),
            "Россия: #[Россия] и @[mid_russia], mid_russia"
        );
    }

    #[test]
    fn an_ellipsis_in_the_text_keeps_its_spaces() {
        let s = snippet("Wait… what sanctions", "sanctions", 200);
        assert_eq!(s.marked("[", "]"), "Wait… what [sanctions]");
    }

    proptest::proptest! {
        #[test]
        fn snippets_of_any_text_have_valid_highlights(
            text in "(\\PC|[ \n]|Россия|России|sanctions|ё){0,80}",
            query in proptest::sample::select(vec!["Россия", "=России", "sanction", "\"Россия sanctions\"", "-ё"]),
            max_chars in 0usize..60,
        ) {
            let s = snippet(&text, query, max_chars);
            let mut last_end = 0;
            for &(a, b) in &s.highlights {
                proptest::prop_assert!(a >= last_end && a < b && b <= s.text.len());
                proptest::prop_assert!(s.text.is_char_boundary(a) && s.text.is_char_boundary(b));
                last_end = b;
            }
            let shown = s.text.trim_start_matches(ELLIPSIS).trim_end_matches(ELLIPSIS);
            proptest::prop_assert!(shown.chars().count() <= max_chars);
        }
    }
}
