//! Text cut into pieces for the templates: marked snippets, post text with its links.

use tgscope_engine::model::{Link, Tag};

use crate::links;

/// A piece of a snippet: marked (a match) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The text.
    pub text: String,
    /// Whether it matched the query.
    pub mark: bool,
}

/// A snippet cut at its highlights (byte ranges); ranges that overlap, run past the end or
/// fall inside a character are skipped.
pub fn snippet(text: &str, highlights: &[(usize, usize)]) -> Vec<Marked> {
    let mut ranges: Vec<(usize, usize)> = highlights.to_vec();
    ranges.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = 0;
    for (start, end) in ranges {
        if start < at || end <= start {
            continue;
        }
        let (Some(before), Some(matched)) = (text.get(at..start), text.get(start..end)) else {
            continue;
        };
        if !before.is_empty() {
            pieces.push(Marked {
                text: before.to_string(),
                mark: false,
            });
        }
        pieces.push(Marked {
            text: matched.to_string(),
            mark: true,
        });
        at = end;
    }
    if let Some(rest) = text.get(at..)
        && !rest.is_empty()
    {
        pieces.push(Marked {
            text: rest.to_string(),
            mark: false,
        });
    }
    pieces
}

/// A piece of post text: plain, or a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The text.
    pub text: String,
    /// Where it links to, if anywhere.
    pub href: Option<String>,
    /// The link leaves the server (opened with `rel="nofollow noopener noreferrer"`).
    pub external: bool,
}

/// A post's clean text with its hashtags (to their pages), mentions (to the posts mentioning
/// them) and links with a web address made links. Spans that overlap an earlier one or do not
/// lie on character boundaries are left as text.
pub fn post_text(text: &str, hashtags: &[Tag], mentions: &[Tag], links_in: &[Link]) -> Vec<Linked> {
    let mut spans: Vec<(usize, usize, String, bool)> = Vec::new();
    for tag in hashtags {
        spans.push((
            tag.span.start,
            tag.span.end,
            links::hashtag_page(&tag.value),
            false,
        ));
    }
    for mention in mentions {
        spans.push((
            mention.span.start,
            mention.span.end,
            links::with_query(
                "/search",
                &[("q", &format!("@{}", mention.value.trim_start_matches('@')))],
            ),
            false,
        ));
    }
    for link in links_in {
        if let (Some(span), Some(url)) = (&link.span, link.url.as_deref())
            && let Some(url) = links::safe_external(url)
        {
            spans.push((span.start, span.end, url.to_string(), true));
        }
    }
    spans.sort_by_key(|s| (s.0, s.1));
    let mut pieces = Vec::new();
    let mut at = 0;
    for (start, end, href, external) in spans {
        if start < at || end <= start {
            continue;
        }
        let (Some(before), Some(inner)) = (text.get(at..start), text.get(start..end)) else {
            continue;
        };
        if !before.is_empty() {
            pieces.push(Linked {
                text: before.to_string(),
                href: None,
                external: false,
            });
        }
        pieces.push(Linked {
            text: inner.to_string(),
            href: Some(href),
            external,
        });
        at = end;
    }
    if let Some(rest) = text.get(at..)
        && !rest.is_empty()
    {
        pieces.push(Linked {
            text: rest.to_string(),
            href: None,
            external: false,
        });
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgscope_engine::model::Span;

    #[test]
    fn highlights_become_marked_pieces() {
        let pieces = snippet("Россия и Китай", &[(0, 12), (16, 26), (3, 5)]);
        let shown: Vec<(&str, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.mark)).collect();
        assert_eq!(shown, [("Россия", true), (" и ", false), ("Китай", true)]);
        // A range inside a character is skipped, not a panic.
        assert_eq!(snippet("Россия", &[(1, 3)]).len(), 1);
    }

    #[test]
    fn tags_and_web_links_become_links_and_other_schemes_do_not() {
        let text = "see #BRICS and javascript:x";
        let tags = [Tag {
            value: "BRICS".into(),
            span: Span { start: 4, end: 10 },
        }];
        let bad = [Link {
            url: Some("javascript:alert(1)".into()),
            label: "javascript:x".into(),
            span: Some(Span { start: 15, end: 27 }),
        }];
        let pieces = post_text(text, &tags, &[], &bad);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1].href.as_deref(), Some("/hashtags/BRICS"));
        assert_eq!(pieces[2].href, None);
        assert_eq!(pieces[2].text, " and javascript:x");
    }
}
