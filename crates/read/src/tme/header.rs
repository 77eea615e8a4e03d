//! The channel a page shows: its header, else its meta tags and addresses.

use scraper::{ElementRef, Html};
use tgscope_text::normalize;

use super::body::body_rich;
use super::counts::parse_count;
use crate::desktop_html::rich::{finish, flat_text, has_class};

/// What a page says about its channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageHeader {
    /// The username (without `@`).
    pub username: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The description, as clean text.
    pub description: Option<String>,
    /// Subscribers (or members), as the counters show them.
    pub subscribers: Option<u64>,
}

/// The first element under `root` (in document order) with the class `class`.
pub fn first_with_class<'a>(root: ElementRef<'a>, class: &str) -> Option<ElementRef<'a>> {
    root.descendent_elements()
        .find(|e| has_class(e.value(), class))
}

/// The whitespace-collapsed text of the first element under `root` with the class `class`,
/// when it is not empty.
pub fn text_of_class(root: ElementRef<'_>, class: &str) -> Option<String> {
    first_with_class(root, class)
        .map(|e| flat_text(e, |_| false))
        .filter(|t| !t.is_empty())
}

/// The `content` of a `<meta property=...>` or `<meta name=...>` tag.
fn meta(root: ElementRef<'_>, name: &str) -> Option<String> {
    root.descendent_elements()
        .filter(|e| e.value().name() == "meta")
        .find(|e| e.value().attr("property") == Some(name) || e.value().attr("name") == Some(name))
        .and_then(|e| e.value().attr("content"))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// A username as a page writes it (`@feedjam`, `feedjam`), when it has the shape of one.
fn username_of(text: &str) -> Option<String> {
    let name = text.split_whitespace().next()?.trim_start_matches('@');
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

/// The username in the page's addresses: `tg://resolve?domain=<name>`, the canonical
/// `/s/<name>?before=...` link, `main[data-url="/<name>"]`.
fn username_from_addresses(root: ElementRef<'_>) -> Option<String> {
    for key in ["al:android:url", "al:ios:url", "twitter:app:url:iphone"] {
        if let Some(domain) = meta(root, key)
            .as_deref()
            .and_then(|u| u.split_once("domain="))
            .map(|(_, rest)| rest.split('&').next().unwrap_or_default().to_string())
            .and_then(|d| username_of(&d))
        {
            return Some(domain);
        }
    }
    for el in root.descendent_elements() {
        let v = el.value();
        let address = match v.name() {
            "link" if v.attr("rel") == Some("canonical") => v.attr("href"),
            "main" if has_class(v, "tgme_main") => v.attr("data-url"),
            _ => None,
        };
        let Some(address) = address else { continue };
        let path = address.split(['?', '#']).next().unwrap_or_default();
        let path = path
            .rsplit_once("t.me")
            .map_or(path, |(_, rest)| rest)
            .trim_start_matches('/');
        let path = path.strip_prefix("s/").unwrap_or(path);
        if let Some(name) = path.split('/').next().and_then(username_of) {
            return Some(name);
        }
    }
    None
}

/// True when a counter's type counts subscribers ("subscribers", "members").
fn is_subscriber_count(kind: &str) -> bool {
    let kind = kind.trim().to_lowercase();
    ["subscriber", "member", "подписчик", "участник"]
        .iter()
        .any(|k| kind.starts_with(k))
}

/// Reads what `doc` says about its channel. `history` tells whether the page is a channel's
/// history (`t.me/s/<channel>`), whose `og:description` is the channel's description (on a
/// single-post page it is the post's text).
pub fn read_header(doc: &Html, history: bool) -> PageHeader {
    let root = doc.root_element();
    let info = first_with_class(root, "tgme_channel_info");
    let scope = info.unwrap_or(root);
    let mut header = PageHeader {
        title: text_of_class(scope, "tgme_channel_info_header_title")
            .or_else(|| text_of_class(root, "tgme_header_title"))
            .or_else(|| text_of_class(root, "tgme_page_title"))
            .or_else(|| meta(root, "og:title"))
            .or_else(|| meta(root, "twitter:title")),
        username: text_of_class(scope, "tgme_channel_info_header_username")
            .as_deref()
            .and_then(username_of)
            .or_else(|| username_from_addresses(root)),
        ..PageHeader::default()
    };
    if let Some(el) = first_with_class(scope, "tgme_channel_info_description") {
        header.description = Some(finish(&body_rich(el)).0).filter(|d| !d.is_empty());
    } else if history {
        header.description = meta(root, "og:description")
            .or_else(|| meta(root, "twitter:description"))
            .map(|d| normalize::clean_text(&d))
            .filter(|d| !d.is_empty());
    }
    header.subscribers = scope
        .descendent_elements()
        .filter(|e| has_class(e.value(), "tgme_channel_info_counter"))
        .find_map(|counter| {
            let kind = text_of_class(counter, "counter_type")?;
            let value = text_of_class(counter, "counter_value")?;
            is_subscriber_count(&kind)
                .then(|| parse_count(&value))
                .flatten()
        })
        .or_else(|| {
            ["tgme_header_counter", "tgme_page_extra"]
                .iter()
                .filter_map(|class| text_of_class(root, class))
                .find_map(|text| {
                    let count = parse_count(&text)?;
                    let kind = text.trim_start_matches(|c: char| !c.is_alphabetic());
                    // "10K subscribers": the word after the count, past any suffix letter.
                    let word = kind
                        .split_whitespace()
                        .find(|w| w.chars().count() > 1)
                        .unwrap_or_default();
                    is_subscriber_count(word).then_some(count)
                })
        });
    header
}
