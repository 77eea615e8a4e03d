//! The server's URLs, Telegram links, and which outside links may become `href`s.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tgscope_engine::ChannelInfo;
use tgscope_engine::model::looks_like_username;

/// Everything but the unreserved characters of RFC 3986 is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s` as one path segment (`/` and everything else outside the unreserved set encoded).
pub fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The name of a channel in this server's paths: its username when it looks like one, else its
/// archive id (titles have spaces and emoji, and ids never change).
pub fn channel_key(c: &ChannelInfo) -> String {
    match &c.username {
        Some(u) if looks_like_username(u) => u.clone(),
        _ => c.id.to_string(),
    }
}

/// The page of a channel.
pub fn channel_page(c: &ChannelInfo) -> String {
    format!("/channels/{}", path_segment(&channel_key(c)))
}

/// The page of a channel known by a name only (a forward source the archive has no id for).
pub fn channel_page_by_name(name: &str) -> String {
    format!("/channels/{}", path_segment(name))
}

/// The page of a hashtag (given with or without `#`).
pub fn hashtag_page(tag: &str) -> String {
    format!("/hashtags/{}", path_segment(tag.trim_start_matches('#')))
}

/// Everything a path segment encodes but the `:` of an entity key (RFC 3986 allows it in a
/// segment, and `/entities/country:KZ` reads as written).
const ENTITY_SEGMENT: &AsciiSet = &SEGMENT.remove(b':');

/// The page of an entity by its key: `/entities/country:KZ`, `/entities/org:sco`,
/// `/entities/person:~%D1%82...` (a person on no list, by the folded name).
pub fn entity_page(key: &str) -> String {
    format!("/entities/{}", utf8_percent_encode(key, ENTITY_SEGMENT))
}

/// The API route of an entity by its key: `/api/v1/entities/country:KZ`.
pub fn entity_api(key: &str) -> String {
    format!(
        "/api/v1/entities/{}",
        utf8_percent_encode(key, ENTITY_SEGMENT)
    )
}

/// The query filter that selects an entity's posts: `country:KZ`, `org:sco`, and for a name
/// with spaces (a person on no list) `person:"~такэси ивая"`.
pub fn entity_filter(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id))
            if id
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"')) =>
        {
            format!("{kind}:\"{}\"", id.replace('"', " "))
        }
        _ => key.to_string(),
    }
}

/// `https://t.me/s/<username>` of a channel with a username.
pub fn telegram_channel(c: &ChannelInfo) -> Option<String> {
    tgscope_engine::export::records::telegram_channel_url(c.username.as_deref())
}

/// `https://t.me/<username>/<id>` of a post, when both are known.
pub use tgscope_engine::export::records::telegram_post_url as telegram_post;

/// A path with a query string built from the pairs whose value is not empty.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (name, value) in pairs {
        if !value.is_empty() {
            query.append_pair(name, value);
            any = true;
        }
    }
    if any {
        format!("{path}?{}", query.finish())
    } else {
        path.to_string()
    }
}

/// An outside link that may be an `href`: `http` and `https` only (never `javascript:`,
/// `data:` or anything else a post might carry).
pub fn safe_external(url: &str) -> Option<&str> {
    let trimmed = url.trim();
    let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(username: Option<&str>) -> ChannelInfo {
        ChannelInfo {
            id: 7,
            tg_id: None,
            username: username.map(str::to_string),
            title: Some("Russian MFA 🇷🇺".into()),
            kind: None,
        }
    }

    #[test]
    fn channels_are_named_by_username_else_by_id() {
        assert_eq!(
            channel_page(&channel(Some("mfa_test"))),
            "/channels/mfa_test"
        );
        assert_eq!(channel_page(&channel(None)), "/channels/7");
        assert_eq!(
            channel_page_by_name("МИД России"),
            "/channels/%D0%9C%D0%98%D0%94%20%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D0%B8"
        );
        assert_eq!(hashtag_page("#a/b"), "/hashtags/a%2Fb");
    }

    #[test]
    fn entities_are_named_by_key_in_paths_and_filters() {
        assert_eq!(entity_page("country:KZ"), "/entities/country:KZ");
        assert_eq!(
            entity_page("person:~ив ая"),
            "/entities/person:~%D0%B8%D0%B2%20%D0%B0%D1%8F"
        );
        assert_eq!(entity_page("org:a/b"), "/entities/org:a%2Fb");
        assert_eq!(entity_filter("org:sco"), "org:sco");
        assert_eq!(
            entity_filter("person:~такэси ивая"),
            "person:\"~такэси ивая\""
        );
    }

    #[test]
    fn only_web_links_become_hrefs() {
        assert_eq!(safe_external("https://t.me/x"), Some("https://t.me/x"));
        assert_eq!(
            safe_external("HTTP://EXAMPLE.ORG"),
            Some("HTTP://EXAMPLE.ORG")
        );
        assert_eq!(safe_external("javascript:alert(1)"), None);
        assert_eq!(safe_external(" data:text/html,x"), None);
        assert_eq!(safe_external("http"), None);
    }

    #[test]
    fn queries_skip_empty_values_and_encode_the_rest() {
        assert_eq!(
            with_query("/search", &[("q", "a&b \"c\""), ("cursor", "")]),
            "/search?q=a%26b+%22c%22"
        );
        assert_eq!(with_query("/search", &[("q", "")]), "/search");
    }
}
