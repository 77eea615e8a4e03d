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

/// A piece of post text: plain, a link, or an entity named in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The text.
    pub text: String,
    /// Where it links to, if anywhere.
    pub href: Option<String>,
    /// The link leaves the server (opened with `rel="nofollow noopener noreferrer"`).
    pub external: bool,
    /// The link's class (`entity entity-country` for an entity), if any.
    pub class: Option<&'static str>,
    /// The link's tooltip (an entity's name and key), if any.
    pub title: Option<String>,
}

impl Linked {
    fn plain(text: &str) -> Linked {
        Linked {
            text: text.to_string(),
            href: None,
            external: false,
            class: None,
            title: None,
        }
    }
}

/// An entity named in a post's text: its span (bytes of the clean text), its page, and what
/// the link says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySpan {
    /// Where it starts (bytes).
    pub start: usize,
    /// Where it ends (bytes, exclusive).
    pub end: usize,
    /// The entity's page.
    pub href: String,
    /// The link's class: `entity entity-country`, `entity entity-org`, `entity entity-person`.
    pub class: &'static str,
    /// The tooltip: the entity's name and key (both, for a form that names two).
    pub title: String,
}

/// A span of the text that becomes a link.
struct LinkSpan {
    start: usize,
    end: usize,
    href: String,
    external: bool,
    class: Option<&'static str>,
    title: Option<String>,
}

/// A post's clean text with its hashtags (to their pages), mentions (to the posts mentioning
/// them) and links with a web address made links, and the entities it names linked to their
/// pages. Spans that overlap an earlier one or do not lie on character boundaries are left as
/// text; an entity inside (or across) a hashtag, mention or link is left to that link (a link
/// holds no link), so the markup the text already gets is never cut.
pub fn post_text(
    text: &str,
    hashtags: &[Tag],
    mentions: &[Tag],
    links_in: &[Link],
    entities: &[EntitySpan],
) -> Vec<Linked> {
    let mut spans: Vec<LinkSpan> = Vec::new();
    let link = |start: usize, end: usize, href: String, external: bool| LinkSpan {
        start,
        end,
        href,
        external,
        class: None,
        title: None,
    };
    for tag in hashtags {
        spans.push(link(
            tag.span.start,
            tag.span.end,
            links::hashtag_page(&tag.value),
            false,
        ));
    }
    for mention in mentions {
        spans.push(link(
            mention.span.start,
            mention.span.end,
            links::with_query(
                "/search",
                &[("q", &format!("@{}", mention.value.trim_start_matches('@')))],
            ),
            false,
        ));
    }
    for l in links_in {
        if let (Some(span), Some(url)) = (&l.span, l.url.as_deref())
            && let Some(url) = links::safe_external(url)
        {
            spans.push(link(span.start, span.end, url.to_string(), true));
        }
    }
    let mut kept = disjoint(text, spans, &[]);
    let marks = entities
        .iter()
        .map(|e| LinkSpan {
            start: e.start,
            end: e.end,
            href: e.href.clone(),
            external: false,
            class: Some(e.class),
            title: Some(e.title.clone()),
        })
        .collect();
    let marks = disjoint(text, marks, &kept);
    kept.extend(marks);
    kept.sort_by_key(|s| s.start);
    let mut pieces = Vec::new();
    let mut at = 0;
    for span in kept {
        let (Some(before), Some(inner)) =
            (text.get(at..span.start), text.get(span.start..span.end))
        else {
            continue;
        };
        if !before.is_empty() {
            pieces.push(Linked::plain(before));
        }
        pieces.push(Linked {
            text: inner.to_string(),
            href: Some(span.href),
            external: span.external,
            class: span.class,
            title: span.title,
        });
        at = span.end;
    }
    if let Some(rest) = text.get(at..)
        && !rest.is_empty()
    {
        pieces.push(Linked::plain(rest));
    }
    pieces
}

/// Of `spans`, in text order, those on character boundaries of `text` that overlap neither an
/// earlier one nor any of `taken`.
fn disjoint(text: &str, mut spans: Vec<LinkSpan>, taken: &[LinkSpan]) -> Vec<LinkSpan> {
    spans.sort_by_key(|s| (s.start, s.end));
    let mut kept: Vec<LinkSpan> = Vec::new();
    let mut at = 0;
    for span in spans {
        if span.start < at
            || span.end <= span.start
            || text.get(span.start..span.end).is_none()
            || taken
                .iter()
                .any(|t| span.start < t.end && t.start < span.end)
        {
            continue;
        }
        at = span.end;
        kept.push(span);
    }
    kept
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
        let pieces = post_text(text, &tags, &[], &bad, &[]);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1].href.as_deref(), Some("/hashtags/BRICS"));
        assert_eq!(pieces[2].href, None);
        assert_eq!(pieces[2].text, " and javascript:x");
    }

    fn entity(start: usize, end: usize, key: &str) -> EntitySpan {
        EntitySpan {
            start,
            end,
            href: links::entity_page(key),
            class: "entity entity-country",
            title: key.to_string(),
        }
    }

    #[test]
    fn entities_become_links_unless_other_markup_holds_them() {
        // «в Казахстане и #Россия, https://kz.example/Казахстан»: the first is marked; the tag
        // and the link keep their own links, the entities inside them are not marked.
        let text = "в Казахстане и #Россия, https://kz.example/Казахстан";
        let kz = text.find("Казахстане").expect("kz");
        let tag = text.find('#').expect("tag");
        let url = text.find("https").expect("url");
        let tags = [Tag {
            value: "Россия".into(),
            span: Span {
                start: tag,
                end: tag + "#Россия".len(),
            },
        }];
        let web = [Link {
            url: Some("https://kz.example/Казахстан".into()),
            label: "https://kz.example/Казахстан".into(),
            span: Some(Span {
                start: url,
                end: text.len(),
            }),
        }];
        let marks = [
            entity(kz, kz + "Казахстане".len(), "country:KZ"),
            entity(tag + 1, tag + "#Россия".len(), "country:RU"),
            // Inside the link: left to it.
            entity(url + 8, text.len(), "country:KZ"),
            // The same span twice: the first is kept.
            entity(kz, kz + "Казахстане".len(), "country:XX"),
            // Inside a character: left out.
            entity(kz + 1, kz + 3, "country:KZ"),
        ];
        let pieces = post_text(text, &tags, &[], &web, &marks);
        let shown: Vec<(&str, Option<&str>, Option<&str>)> = pieces
            .iter()
            .map(|p| (p.text.as_str(), p.href.as_deref(), p.class))
            .collect();
        assert_eq!(
            shown,
            [
                ("в ", None, None),
                (
                    "Казахстане",
                    Some("/entities/country:KZ"),
                    Some("entity entity-country")
                ),
                (" и ", None, None),
                (
                    "#Россия",
                    Some("/hashtags/%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F"),
                    None
                ),
                (", ", None, None),
                (
                    "https://kz.example/Казахстан",
                    Some("https://kz.example/Казахстан"),
                    None
                ),
            ]
        );
        assert_eq!(pieces.concat_text(), text);
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }

    impl Concat for Vec<Linked> {
        fn concat_text(&self) -> String {
            self.iter().map(|p| p.text.as_str()).collect()
        }
    }
}
