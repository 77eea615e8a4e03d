//! Addresses on t.me: which channel and post a link (`https://t.me/<channel>/<id>`) names.

/// What a t.me link names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TmeLink {
    /// The channel's username (`durov` in `https://t.me/durov/42`).
    pub username: Option<String>,
    /// The channel's numeric id of a private link (`https://t.me/c/1234/42`).
    pub channel_id: Option<i64>,
    /// The post's id, when the link names a post.
    pub message_id: Option<i64>,
}

/// Paths of t.me that are not channels.
const NOT_CHANNELS: &[&str] = &[
    "joinchat",
    "addstickers",
    "addemoji",
    "addtheme",
    "share",
    "proxy",
    "socks",
    "iv",
    "login",
    "setlanguage",
    "bg",
    "boost",
    "contact",
    "invoice",
    "giftcode",
];

/// Reads a link to t.me (`https://t.me/chan/12?single`, `//t.me/s/chan/12`, `t.me/chan`,
/// `https://telegram.me/chan`, `https://t.me/c/1234/12`); `None` for any other address.
pub fn parse_tme_link(href: &str) -> Option<TmeLink> {
    let href = href.trim();
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("//"))
        .unwrap_or(href);
    let rest = ["t.me/", "www.t.me/", "telegram.me/", "www.telegram.me/"]
        .iter()
        .find_map(|host| {
            rest.get(..host.len())
                .filter(|h| h.eq_ignore_ascii_case(host))
                .and_then(|_| rest.get(host.len()..))
        })?;
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let mut first = parts.next()?;
    if first == "s" {
        first = parts.next()?;
    }
    if first == "c" {
        let channel_id = parts.next()?.parse().ok()?;
        let message_id = parts.next().and_then(post_id);
        return Some(TmeLink {
            username: None,
            channel_id: Some(channel_id),
            message_id,
        });
    }
    if first.starts_with('+') || NOT_CHANNELS.contains(&first.to_ascii_lowercase().as_str()) {
        return None;
    }
    if !first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(TmeLink {
        username: Some(first.to_string()),
        channel_id: None,
        message_id: parts.next().and_then(post_id),
    })
}

/// A post id: a positive number.
fn post_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

/// Splits a `data-post` value (`chan/123`) into the channel's username and the post id.
pub fn parse_data_post(value: &str) -> Option<(String, i64)> {
    let (channel, id) = value.trim().rsplit_once('/')?;
    let channel = channel.trim_matches('/');
    let id = post_id(id.trim())?;
    if channel.is_empty() || channel.contains(char::is_whitespace) {
        return None;
    }
    Some((channel.to_string(), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(username: Option<&str>, channel_id: Option<i64>, message_id: Option<i64>) -> TmeLink {
        TmeLink {
            username: username.map(str::to_string),
            channel_id,
            message_id,
        }
    }

    #[test]
    fn links_name_channels_and_posts() {
        let cases = [
            (
                "https://t.me/dimsmirnov175/44604",
                Some(link(Some("dimsmirnov175"), None, Some(44604))),
            ),
            (
                "https://t.me/test_channel/1002?single",
                Some(link(Some("test_channel"), None, Some(1002))),
            ),
            (
                "http://t.me/infantmilitario/93419",
                Some(link(Some("infantmilitario"), None, Some(93419))),
            ),
            (
                "//t.me/s/feedjam/3",
                Some(link(Some("feedjam"), None, Some(3))),
            ),
            (
                "https://t.me/feedjam",
                Some(link(Some("feedjam"), None, None)),
            ),
            (
                "https://T.ME/Durov/7#x",
                Some(link(Some("Durov"), None, Some(7))),
            ),
            (
                "https://t.me/c/1234567/89",
                Some(link(None, Some(1_234_567), Some(89))),
            ),
            ("https://t.me/joinchat/AAAA", None),
            ("https://t.me/+AbCdEf", None),
            ("https://example.org/t.me/x/1", None),
            ("?q=%23tag", None),
            ("", None),
        ];
        for (href, want) in cases {
            assert_eq!(parse_tme_link(href), want, "{href}");
        }
    }

    #[test]
    fn data_post_values() {
        assert_eq!(
            parse_data_post("oper_goblin/22358"),
            Some(("oper_goblin".to_string(), 22358))
        );
        assert_eq!(parse_data_post("x/0"), None);
        assert_eq!(parse_data_post("x/abc"), None);
        assert_eq!(parse_data_post("/5"), None);
        assert_eq!(parse_data_post("nochannel"), None);
    }
}
