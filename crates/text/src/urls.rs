//! Links as keys: the one place where tgscope decides whether two links are the same link and
//! which channel a Telegram link names.
//!
//! - [`clean_url`] puts a URL in the form in which two posts' links are compared: the co-link
//!   network joins channels that post the same [`CleanUrl::canonical`].
//!   `http://www.Example.com/a/?utm_source=tg&id=3#top` and `example.com/a?id=3` are the same
//!   link.
//! - [`telegram_target`] tells what a Telegram link points at ([`TelegramTarget`]): a public
//!   channel (with its [`alias_key`], the key channel aliases and @mentions use) and perhaps one
//!   of its posts, a private channel by id, or an invite. The citation network joins channels
//!   that link each other through these.
//!
//! Both take a URL as [`crate::extract::urls`] finds it in a post or as a text entity carries
//! it: with or without a scheme, in any case, with tracking parameters and a fragment.
//!
//! What they do not do: no I/O. A short link is flagged ([`CleanUrl::short_link`]), never
//! followed, and a host is not converted to or from punycode (IDNA): `xn--d1acufc.xn--p1ai` and
//! `домен.рф` are two hosts here. No function panics on any input.

use crate::names::alias_key;

/// Hosts of link shorteners (compared after the host is cleaned: `www.bit.ly` is `bit.ly`).
///
/// A short link hides the page it leads to: two posts linking the same page through two short
/// links do not share a canonical URL, and the co-link network may want to leave short links
/// out or resolve them first. `youtu.be` is one, but its links name their video: [`clean_url`]
/// rewrites them to `youtube.com/watch?v=ID`, which is no short link.
pub const SHORTENER_HOSTS: &[&str] = &[
    "bit.ly",
    "t.co",
    "goo.gl",
    "tinyurl.com",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "rb.gy",
    "clck.ru",
    "vk.cc",
    "s.id",
    "shorturl.at",
    "tiny.cc",
    "lnkd.in",
    "youtu.be",
    "t.ly",
];

/// Query parameters that record who clicked where, not what is shown: removed from every URL,
/// with every parameter whose name starts with `utm_`. Names are compared in any ASCII case.
const TRACKING_PARAMETERS: &[&str] = &[
    "fbclid", "gclid", "dclid", "yclid", "msclkid", "mc_cid", "mc_eid", "igshid", "si", "ref_src",
    "_ga", "spm",
];

/// Host prefixes that name the same site as the host without them.
const SAME_SITE_HOST_PREFIXES: &[&str] = &["www.", "m.", "mobile."];

/// Telegram's link hosts: all of them are `t.me`.
const TELEGRAM_HOSTS: &[&str] = &["t.me", "telegram.me", "telegram.dog"];

/// The `t.me` host a Telegram link is written with in a canonical URL.
const TELEGRAM_HOST: &str = "t.me";

/// Query parameters of `t.me` links that only change how a post is shown (one album item, the
/// comments, an embedded view): removed.
const TELEGRAM_VIEW_PARAMETERS: &[&str] = &["single", "comment", "embed"];

/// First path segments of `t.me` links that name no channel (stickers, sharing, proxies,
/// instant view, languages, folders, contacts, themes, ...). `boost`, `c`, `joinchat` and `s`
/// are handled on their own by [`telegram_target`].
const TELEGRAM_NOT_CHANNELS: &[&str] = &[
    "share",
    "addstickers",
    "addemoji",
    "addtheme",
    "proxy",
    "socks",
    "iv",
    "setlanguage",
    "addlist",
    "contact",
    "login",
    "confirmphone",
    "invoice",
    "giftcode",
    "nft",
    "bg",
    "m",
];

/// Shortest and longest Telegram username, in chars (4 for old names; 5 for new ones).
const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 4..=32;

/// A URL in the form two posts' links are compared in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CleanUrl {
    /// The URL cleaned by the rules of [`clean_url`], without a scheme: `example.com/a?b=1`.
    /// Two links are the same link when their canonical forms are equal.
    pub canonical: String,
    /// True when the host is a link shortener ([`SHORTENER_HOSTS`]): the page the link leads
    /// to is not known without following it.
    pub short_link: bool,
}

/// A URL in the form two posts' links are compared in, or `None` when it is no web link.
///
/// The rules, in order:
/// - **Scheme.** `http://` and `https://` (any case) are removed: both schemes compare equal,
///   and the canonical form has none. A URL written without a scheme (`example.com/a`,
///   `t.me/x`, `//example.com/a`) is taken as https. Any other scheme (`mailto:`, `tg:`,
///   `ftp://`, `javascript:`) gives `None`.
/// - **Host.** User info before an `@` is removed. The host is lower-cased (Unicode hosts stay
///   Unicode text: no punycode), one trailing `.` is removed, and the leading `www.`, `m.` and
///   `mobile.` are removed (`m.vk.com` is `vk.com`) unless that leaves no dot. The default
///   ports `:80` and `:443` are removed (the scheme is gone, so neither is told apart), as is
///   an empty port; other ports stay (`example.com:8080`). `None` when the host has no dot
///   (`localhost`, `http://foo`), an empty label (`a..b`), a character other than letters,
///   digits, `-` and `_` (an IPv6 literal, a percent sign), a port that is no number up to
///   65535, or ends in a number without being an IPv4 address (`3.5/10`).
/// - **Path.** Kept as written, case and all, except:
///   percent-encoding is normalised: hex digits upper-cased (`%2f` is `%2F`), characters
///   needlessly encoded decoded (the unreserved `A-Z a-z 0-9 - . _ ~`: `%41` is `A`; and
///   UTF-8 sequences of visible non-ASCII characters: `/%D0%BD%D0%B0` is `/на`), and
///   characters that cannot stand in a URL encoded (spaces, controls, `"<>{}` and backquote,
///   invisible and space characters beyond ASCII; a `%` not followed by two hex digits is
///   `%25`), so that a path written with letters and the same path copied from a browser are
///   the same; `.` and `..` segments resolved (`/a/../b` is `/b`); trailing `/`s removed
///   (`example.com/a/` is `example.com/a`, `example.com/` is `example.com`).
/// - **Query.** Parameters are split at `&` and their names and values normalised as the
///   path; empty ones dropped; tracking parameters removed (`utm_*`, `fbclid`, `gclid`,
///   `dclid`, `yclid`, `msclkid`, `mc_cid`, `mc_eid`, `igshid`, `si`, `ref_src`, `_ga`,
///   `spm`, in any case); the rest sorted by name, then value (`?b=2&a=1` is `?a=1&b=2`). A
///   query left empty is dropped with its `?`.
/// - **Fragment.** Dropped (`#top`).
/// - **Telegram.** `t.me`, `telegram.me` and `telegram.dog` (and `NAME.t.me`, which is
///   `t.me/NAME`) are all `t.me`; the web preview's `t.me/s/NAME/...` is `t.me/NAME/...`; a
///   username in the path is lower-cased (usernames are case-insensitive: `t.me/MFARussia` is
///   `t.me/mfarussia`; invite hashes keep their case); the view parameters `single`,
///   `comment` and `embed` are removed (`t.me/x/123?single` is `t.me/x/123`).
/// - **Short links.** `youtu.be/ID` is rewritten to `youtube.com/watch?v=ID` (its other
///   parameters kept, `si` removed). A link on another shortener ([`SHORTENER_HOSTS`]) is kept
///   and flagged [`CleanUrl::short_link`].
///
/// The canonical form is stable: cleaning `https://` and a canonical form gives it back.
pub fn clean_url(url: &str) -> Option<CleanUrl> {
    let parts = split_url(url)?;
    let mut host = parts.host;
    let mut path = clean_path(parts.path);
    let mut parameters = clean_query(parts.query);

    if let Some(name) = telegram_subdomain(&host) {
        path = format!("/{name}{path}");
        host = TELEGRAM_HOST.to_string();
    } else if TELEGRAM_HOSTS.contains(&host.as_str()) {
        host = TELEGRAM_HOST.to_string();
    }
    if host == TELEGRAM_HOST {
        path = clean_telegram_path(&path);
        parameters.retain(|(name, _)| {
            !TELEGRAM_VIEW_PARAMETERS
                .iter()
                .any(|view| name.eq_ignore_ascii_case(view))
        });
    }
    if host == "youtu.be"
        && let Some(video) = youtube_short_video(&path)
    {
        parameters.push(("v".to_string(), Some(video)));
        host = "youtube.com".to_string();
        path = "/watch".to_string();
    }
    parameters.sort();

    let short_link = SHORTENER_HOSTS.contains(&host.as_str());
    let mut canonical = host;
    if let Some(port) = parts.port {
        canonical.push(':');
        canonical.push_str(&port.to_string());
    }
    canonical.push_str(&path);
    for (at, (name, value)) in parameters.iter().enumerate() {
        canonical.push(if at == 0 { '?' } else { '&' });
        canonical.push_str(name);
        if let Some(value) = value {
            canonical.push('=');
            canonical.push_str(value);
        }
    }
    Some(CleanUrl {
        canonical,
        short_link,
    })
}

/// What a t.me link points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TelegramTarget {
    /// A public channel or user by username, optionally one post of it.
    Channel {
        /// The username as written in the link, without `@`.
        username: String,
        /// The username as a key ([`alias_key`]): how channel aliases and @mentions name it.
        key: String,
        /// The post linked to, if the link names one.
        post: Option<i64>,
    },
    /// A private channel by its internal id (`t.me/c/ID/POST`).
    Private {
        /// The channel's internal id, as written in the link (without the `-100` prefix of the
        /// Bot API).
        channel: i64,
        /// The post linked to, if the link names one.
        post: Option<i64>,
    },
    /// An invite link (`t.me/+HASH`, `t.me/joinchat/HASH`): no channel can be told from it.
    Invite,
}

/// What a Telegram link points at, or `None` when it is no Telegram link or names no channel.
///
/// Recognised:
/// - `t.me`, `telegram.me` and `telegram.dog` links, with or without a scheme, `www.` or the
///   web preview's `/s/`, and `NAME.t.me` (whose username is the lower-cased host label);
/// - `t.me/NAME` and `t.me/NAME/POST` give [`TelegramTarget::Channel`]. The username is 4 to
///   32 of `[A-Za-z0-9_]` starting with a letter (Telegram's rule; 4 chars for old names), or
///   the link gives `None`. A post id is a positive integer: `t.me/NAME/123?single` is post
///   123, a comment link `t.me/NAME/123/456` is post 123 too; a second segment that is no post
///   id (a bot's app name) gives no post. A bot's `t.me/NAME?start=...` is a channel target
///   like any other;
/// - `t.me/boost/NAME` is the channel NAME (and `t.me/boost?c=ID` the private channel ID);
/// - `t.me/c/ID` and `t.me/c/ID/POST` give [`TelegramTarget::Private`];
/// - `t.me/+HASH` and `t.me/joinchat/HASH` give [`TelegramTarget::Invite`] (`t.me/+PHONE`, all
///   digits, is a phone number: `None`);
/// - `tg://resolve?domain=NAME&post=N`, `tg://privatepost?channel=ID&post=N` and
///   `tg://join?invite=HASH`.
///
/// Paths that name no channel give `None`: `t.me/share/...`, `t.me/addstickers/...`,
/// `t.me/addemoji/...`, `t.me/proxy`, `t.me/socks`, `t.me/iv`, `t.me/setlanguage/...`,
/// `t.me/addlist/...`, `t.me/contact/...` and the like, and `t.me` alone.
pub fn telegram_target(url: &str) -> Option<TelegramTarget> {
    let url = url.trim();
    if let Some(rest) = strip_prefix_ignore_case(url, "tg:") {
        return tg_scheme_target(rest.strip_prefix("//").unwrap_or(rest));
    }
    let parts = split_url(url)?;
    let path = clean_path(parts.path);
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let subdomain = telegram_subdomain(&parts.host);
    if let Some(name) = subdomain {
        segments.insert(0, name);
    } else if !TELEGRAM_HOSTS.contains(&parts.host.as_str()) {
        return None;
    }
    while segments.len() > 1 && segments[0].eq_ignore_ascii_case("s") {
        segments.remove(0);
    }
    let first = *segments.first()?;
    if let Some(hash) = first.strip_prefix('+') {
        let phone = hash.bytes().all(|b| b.is_ascii_digit());
        return (!phone).then_some(TelegramTarget::Invite);
    }
    let post = segments.get(1).and_then(|s| positive_id(s));
    match first.to_ascii_lowercase().as_str() {
        "joinchat" => segments.get(1).map(|_| TelegramTarget::Invite),
        "c" => Some(TelegramTarget::Private {
            channel: positive_id(segments.get(1)?)?,
            post: segments.get(2).and_then(|s| positive_id(s)),
        }),
        "boost" => match segments.get(1) {
            Some(name) => channel_target(name, None),
            None => Some(TelegramTarget::Private {
                channel: positive_id(query_value(parts.query, "c")?)?,
                post: None,
            }),
        },
        word if TELEGRAM_NOT_CHANNELS.contains(&word) => None,
        _ => channel_target(first, post),
    }
}

/// The target of a `tg:` link, from what follows `tg:` or `tg://`.
fn tg_scheme_target(rest: &str) -> Option<TelegramTarget> {
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
    let post = query_value(query, "post").and_then(positive_id);
    match action.trim_end_matches('/').to_ascii_lowercase().as_str() {
        "resolve" => channel_target(query_value(query, "domain")?, post),
        "privatepost" => Some(TelegramTarget::Private {
            channel: positive_id(query_value(query, "channel")?)?,
            post,
        }),
        "join" => query_value(query, "invite")
            .filter(|hash| !hash.is_empty())
            .map(|_| TelegramTarget::Invite),
        _ => None,
    }
}

/// A channel target when `username` is a valid Telegram username.
fn channel_target(username: &str, post: Option<i64>) -> Option<TelegramTarget> {
    is_username(username).then(|| TelegramTarget::Channel {
        username: username.to_string(),
        key: alias_key(username),
        post,
    })
}

/// Telegram's username rule: 4 to 32 of `[A-Za-z0-9_]`, starting with a letter.
fn is_username(name: &str) -> bool {
    USERNAME_CHARS.contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(is_word_byte)
}

/// True for the bytes of `[A-Za-z0-9_]`.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A positive integer written in ASCII digits, or `None`.
fn positive_id(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The value of the first `name=value` parameter of a query (without `?`).
fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|parameter| parameter.split_once('='))
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// `text` without `prefix`, compared in any ASCII case.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A web URL taken apart: the host cleaned ([`clean_host`]), the port unless a default one,
/// the path and query as written (the fragment dropped).
struct UrlParts<'a> {
    host: String,
    port: Option<u16>,
    path: &'a str,
    query: &'a str,
}

/// Takes a web URL apart; `None` when it has another scheme or an invalid host or port.
fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let rest = strip_web_scheme(url.trim())?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_and_port.rsplit_once(':') {
        Some((host, port)) => (host, parse_port(port)?),
        None => (host_and_port, None),
    };
    Some(UrlParts {
        host: clean_host(host)?,
        port,
        path,
        query,
    })
}

/// The URL after `http://`, `https://` or `//`, or the whole URL when it has no scheme;
/// `None` for any other scheme.
fn strip_web_scheme(url: &str) -> Option<&str> {
    if let Some(rest) = url.strip_prefix("//") {
        return Some(rest);
    }
    if let Some((scheme, after)) = url.split_once(':') {
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if is_scheme {
            if let Some(rest) = after.strip_prefix("//") {
                let web =
                    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
                return web.then_some(rest);
            }
            // `mailto:a@b`, `tg:resolve`, `javascript:...`; a dotted name before the colon is
            // a host and its port (`example.com:8080/a`).
            if !scheme.contains('.') {
                return None;
            }
        }
    }
    Some(url)
}

/// The port written after the host's `:`: `Some(None)` when empty or a default port (80,
/// 443), `None` when no port number.
fn parse_port(port: &str) -> Option<Option<u16>> {
    if port.is_empty() {
        return Some(None);
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = port.parse::<u16>().ok()?;
    Some((number != 80 && number != 443).then_some(number))
}

/// The host lower-cased, without a trailing dot and a same-site prefix; `None` when no valid
/// host with a dot.
fn clean_host(host: &str) -> Option<String> {
    let mut host = host.to_lowercase();
    if host.ends_with('.') {
        host.pop();
    }
    let labels: Vec<&str> = host.split('.').collect();
    let valid_labels = labels.len() > 1
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    if !valid_labels {
        return None;
    }
    let numeric = |label: &&str| label.bytes().all(|b| b.is_ascii_digit());
    if labels.last().is_some_and(numeric) {
        let ipv4 = labels.len() == 4
            && labels
                .iter()
                .all(|label| numeric(label) && label.len() <= 3 && label.parse::<u8>().is_ok());
        if !ipv4 {
            return None;
        }
    } else {
        while let Some(rest) = SAME_SITE_HOST_PREFIXES
            .iter()
            .find_map(|prefix| host.strip_prefix(prefix))
            .filter(|rest| rest.contains('.'))
        {
            host = rest.to_string();
        }
    }
    Some(host)
}

/// The username of a `NAME.t.me` host.
fn telegram_subdomain(host: &str) -> Option<&str> {
    host.strip_suffix(".t.me")
        .filter(|name| !name.is_empty() && name.bytes().all(is_word_byte))
}

/// The path with percent-encoding normalised, dot segments resolved and no trailing `/`.
fn clean_path(path: &str) -> String {
    let normalised = normalise_percent_encoding(path);
    let mut segments: Vec<&str> = Vec::new();
    for segment in normalised.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut cleaned = String::with_capacity(normalised.len());
    for segment in segments {
        cleaned.push('/');
        cleaned.push_str(segment);
    }
    cleaned.truncate(cleaned.trim_end_matches('/').len());
    cleaned
}

/// A cleaned `t.me` path without the web preview's `s` segments, its username lower-cased.
fn clean_telegram_path(path: &str) -> String {
    let mut segments: Vec<String> = path.split('/').skip(1).map(str::to_string).collect();
    let lower_if_word = |segment: &mut String| {
        if segment.bytes().all(is_word_byte) {
            segment.make_ascii_lowercase();
        }
    };
    while let Some(first) = segments.first_mut() {
        lower_if_word(first);
        if first != "s" || segments.len() == 1 {
            break;
        }
        segments.remove(0);
    }

    if segments.first().is_some_and(|first| first == "boost")
        && let Some(name) = segments.get_mut(1)
    {
        lower_if_word(name);
    }
    segments
        .iter()
        .map(|segment| format!("/{segment}"))
        .collect()
}

/// The video id of a cleaned `youtu.be` path (`/ID`), when it is one (`[A-Za-z0-9_-]+`).
fn youtube_short_video(path: &str) -> Option<String> {
    let video = path.strip_prefix('/')?.split('/').next()?;
    let valid = !video.is_empty()
        && video
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| video.to_string())
}

/// The query's parameters, names and values normalised, empty and tracking ones left out.
fn clean_query(query: &str) -> Vec<(String, Option<String>)> {
    query
        .split('&')
        .filter(|parameter| !parameter.is_empty())
        .filter_map(|parameter| {
            let (name, value) = match parameter.split_once('=') {
                Some((name, value)) => (name, Some(normalise_percent_encoding(value))),
                None => (parameter, None),
            };
            let name = normalise_percent_encoding(name);
            (!is_tracking_parameter(&name)).then_some((name, value))
        })
        .collect()
}

/// True for `utm_*` and the other [`TRACKING_PARAMETERS`], in any ASCII case.
fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMETERS.contains(&name.as_str())
}

/// A path or query part with every character in one form: encoded when it cannot stand in a
/// URL ([`must_be_encoded`]), otherwise as itself. Encoded unreserved ASCII characters and
/// UTF-8 sequences of other characters are decoded; other encoded bytes keep their encoding
/// with upper-case hex digits; a `%` that starts no encoded byte is encoded (`%25`).
fn normalise_percent_encoding(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let mut decoded = Vec::new();
            while let Some(byte) = encoded_byte_at(bytes, at) {
                decoded.push(byte);
                at += 3;
            }
            if decoded.is_empty() {
                out.push_str("%25");
                at += 1;
            } else {
                push_decoded(&decoded, &mut out);
            }
            continue;
        }
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        push_char(c, &mut out);
        at += c.len_utf8();
    }
    out
}

/// The byte encoded as `%XX` at `at`, if one is.
fn encoded_byte_at(bytes: &[u8], at: usize) -> Option<u8> {
    if bytes.get(at) != Some(&b'%') {
        return None;
    }
    let high = char::from(*bytes.get(at + 1)?).to_digit(16)?;
    let low = char::from(*bytes.get(at + 2)?).to_digit(16)?;
    u8::try_from(high * 16 + low).ok()
}

/// Decoded bytes in their one form: unreserved ASCII and characters that need no encoding as
/// themselves, the rest (other ASCII, invalid UTF-8) encoded.
fn push_decoded(decoded: &[u8], out: &mut String) {
    for chunk in decoded.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() && !is_unreserved(c) {
                push_encoded(c, out);
            } else {
                push_char(c, out);
            }
        }
        for byte in chunk.invalid() {
            push_encoded_byte(*byte, out);
        }
    }
}

/// The unreserved characters of RFC 3986: the same encoded or not.
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// True for characters that cannot stand in a URL as themselves: ASCII controls, space and
/// `"<>{}` and backquote (the URL standard's path set), and, beyond ASCII, controls, spaces and
/// invisible formatting characters (which would make two keys that look the same differ).
fn must_be_encoded(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control() || matches!(c, ' ' | '"' | '<' | '>' | '`' | '{' | '}');
    }
    c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFF}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// `c` as itself, or encoded when it must be.
fn push_char(c: char, out: &mut String) {
    if must_be_encoded(c) {
        push_encoded(c, out);
    } else {
        out.push(c);
    }
}

/// `c` percent-encoded, byte by byte of its UTF-8 form.
fn push_encoded(c: char, out: &mut String) {
    let mut buffer = [0u8; 4];
    for byte in c.encode_utf8(&mut buffer).bytes() {
        push_encoded_byte(byte, out);
    }
}

/// `%XX` with upper-case hex digits.
fn push_encoded_byte(byte: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0F)]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The canonical form of `url`, or `None`.
    fn canonical(url: &str) -> Option<String> {
        clean_url(url).map(|clean| clean.canonical)
    }

    fn channel(username: &str, post: Option<i64>) -> Option<TelegramTarget> {
        Some(TelegramTarget::Channel {
            username: username.to_string(),
            key: alias_key(username),
            post,
        })
    }

    #[test]
    fn clean_url_rules() {
        let table: &[(&str, Option<&str>)] = &[
            // The module doc's example: scheme, www., case, trailing slash, tracking, fragment.
            (
                "https://www.Example.com/a/?utm_source=tg&id=3#top",
                Some("example.com/a?id=3"),
            ),
            // Scheme: http, https and none compare equal; any case.
            ("http://example.com/a?b=1", Some("example.com/a?b=1")),
            ("HTTPS://example.com/a?b=1", Some("example.com/a?b=1")),
            ("example.com/a?b=1", Some("example.com/a?b=1")),
            ("//example.com/a", Some("example.com/a")),
            ("  https://example.com/a \n", Some("example.com/a")),
            // Other schemes, hosts without a dot, garbage: none.
            ("mailto:press@mid.ru", None),
            ("tg://resolve?domain=MFARussia", None),
            ("ftp://example.com/file", None),
            ("javascript:alert(1)", None),
            ("http:example.com", None),
            ("localhost", None),
            ("http://localhost:8080/a", None),
            ("https://foo/bar", None),
            ("", None),
            ("   ", None),
            ("https://", None),
            ("/a/b", None),
            ("https://a..b/x", None),
            ("https://.example.com", None),
            ("https://exa mple.com", None),
            ("https://exa%6Dple.com", None),
            ("https://[::1]/a", None),
            ("https://example.com:http/a", None),
            ("https://example.com:70000/a", None),
            ("3.5/10", None),
            ("1.2.3.4.5/a", None),
            ("300.1.1.1/a", None),
            // Host: case, www./m./mobile., trailing dot, ports, user info, Unicode.
            ("https://WWW.EXAMPLE.COM/Path", Some("example.com/Path")),
            ("https://m.vk.com/wall-1_2", Some("vk.com/wall-1_2")),
            ("https://mobile.twitter.com/x", Some("twitter.com/x")),
            ("https://www.m.example.com/x", Some("example.com/x")),
            ("https://www.com/x", Some("www.com/x")),
            ("https://m.example/x", Some("m.example/x")),
            ("https://example.com./a", Some("example.com/a")),
            ("http://example.com:80/a", Some("example.com/a")),
            ("https://example.com:443/a", Some("example.com/a")),
            ("https://example.com:/a", Some("example.com/a")),
            ("https://example.com:8080/a", Some("example.com:8080/a")),
            ("example.com:08080/a", Some("example.com:8080/a")),
            ("https://user:secret@example.com/a", Some("example.com/a")),
            ("https://МИД.РФ/Новости", Some("мид.рф/Новости")),
            ("http://192.168.0.1/a", Some("192.168.0.1/a")),
            (
                "https://xn--d1acufc.xn--p1ai/",
                Some("xn--d1acufc.xn--p1ai"),
            ),
            // Path: case kept, trailing slashes, dot segments.
            ("https://example.com/A/b", Some("example.com/A/b")),
            ("https://example.com/a/", Some("example.com/a")),
            ("https://example.com/", Some("example.com")),
            ("https://example.com", Some("example.com")),
            ("https://example.com/a//", Some("example.com/a")),
            ("https://example.com/a//b", Some("example.com/a//b")),
            ("https://example.com/a/./b/../c", Some("example.com/a/c")),
            ("https://example.com/../a", Some("example.com/a")),
            // Percent-encoding: hex case, needless encoding, characters that must be encoded.
            ("https://example.com/a%2fb", Some("example.com/a%2Fb")),
            ("https://example.com/%41%62%2D%7e", Some("example.com/Ab-~")),
            ("https://example.com/a%2Eb/%2e%2E/c", Some("example.com/c")),
            ("https://example.com/a%20b", Some("example.com/a%20b")),
            ("https://example.com/a b", Some("example.com/a%20b")),
            ("https://example.com/100%", Some("example.com/100%25")),
            ("https://example.com/%zz", Some("example.com/%25zz")),
            (
                "https://ru.wikipedia.org/wiki/%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F",
                Some("ru.wikipedia.org/wiki/Россия"),
            ),
            (
                "https://ru.wikipedia.org/wiki/Россия",
                Some("ru.wikipedia.org/wiki/Россия"),
            ),
            ("https://example.com/a%FFb", Some("example.com/a%FFb")),
            (
                "https://example.com/a\u{200B}b",
                Some("example.com/a%E2%80%8Bb"),
            ),
            (
                "https://example.com/a%e2%80%8bb",
                Some("example.com/a%E2%80%8Bb"),
            ),
            // Query: tracking parameters, sorting, empty parameters and queries.
            (
                "https://example.com/a?utm_source=tg&utm_medium=social&UTM_Campaign=x&id=3",
                Some("example.com/a?id=3"),
            ),
            (
                "https://example.com/?fbclid=1&gclid=2&dclid=3&yclid=4&msclkid=5&mc_cid=6\
                 &mc_eid=7&igshid=8&si=9&ref_src=10&_ga=11&spm=12&page=2",
                Some("example.com?page=2"),
            ),
            (
                "https://example.com/a?b=2&a=1&c",
                Some("example.com/a?a=1&b=2&c"),
            ),
            (
                "https://example.com/a?x=2&x=1&x",
                Some("example.com/a?x&x=1&x=2"),
            ),
            ("https://example.com/a?", Some("example.com/a")),
            ("https://example.com/a?&&", Some("example.com/a")),
            ("https://example.com/a?utm_source=tg", Some("example.com/a")),
            (
                "https://example.com/a?q=%d0%b0+b&%75tm_x=1",
                Some("example.com/a?q=а+b"),
            ),
            (
                "https://example.com/a?next=/b?c=d",
                Some("example.com/a?next=/b?c=d"),
            ),
            (
                "https://example.com/a?k=a%26b",
                Some("example.com/a?k=a%26b"),
            ),
            // Fragments.
            ("https://example.com/a#top", Some("example.com/a")),
            ("https://example.com/a?b=1#c?d=2", Some("example.com/a?b=1")),
            ("https://example.com#", Some("example.com")),
            // Telegram.
            ("https://t.me/MFARussia", Some("t.me/mfarussia")),
            ("t.me/s/mfa_russia/123", Some("t.me/mfa_russia/123")),
            (
                "https://t.me/S/MFA_Russia/123/",
                Some("t.me/mfa_russia/123"),
            ),
            ("https://telegram.me/MFARussia/5", Some("t.me/mfarussia/5")),
            ("http://www.telegram.dog/MFARussia", Some("t.me/mfarussia")),
            ("https://mfarussia.t.me/", Some("t.me/mfarussia")),
            (
                "https://t.me/mfarussia/123?single",
                Some("t.me/mfarussia/123"),
            ),
            (
                "https://t.me/mfarussia/123?comment=456&embed=1",
                Some("t.me/mfarussia/123"),
            ),
            (
                "https://t.me/SomeBot?start=ABC",
                Some("t.me/somebot?start=ABC"),
            ),
            ("https://t.me/+AbCdEf123", Some("t.me/+AbCdEf123")),
            (
                "https://t.me/joinchat/AbCdEf123",
                Some("t.me/joinchat/AbCdEf123"),
            ),
            ("https://t.me/c/1234567/89", Some("t.me/c/1234567/89")),
            ("https://t.me/boost/MFARussia", Some("t.me/boost/mfarussia")),
            ("https://t.me/s", Some("t.me/s")),
            // Short links: youtu.be rewritten, others flagged (see the test below).
            (
                "https://youtu.be/dQw4w9WgXcQ?si=abc&t=42",
                Some("youtube.com/watch?t=42&v=dQw4w9WgXcQ"),
            ),
            (
                "https://m.youtube.com/watch?v=dQw4w9WgXcQ&si=x",
                Some("youtube.com/watch?v=dQw4w9WgXcQ"),
            ),
            ("http://bit.ly/xyz", Some("bit.ly/xyz")),
            ("https://www.bit.ly/XyZ/", Some("bit.ly/XyZ")),
        ];
        for (input, expected) in table {
            assert_eq!(canonical(input).as_deref(), *expected, "{input:?}");
        }
    }

    #[test]
    fn links_written_differently_are_one_link() {
        let same = [
            "https://www.example.com/a?utm_source=tg&id=3#top",
            "http://example.com/a/?id=3",
            "EXAMPLE.com/a?fbclid=x&id=3",
            "https://example.com:443/%61?id=3",
        ];
        for url in same {
            assert_eq!(
                canonical(url).as_deref(),
                Some("example.com/a?id=3"),
                "{url}"
            );
        }
        let telegram = [
            "https://t.me/s/MFARussia/123",
            "t.me/mfarussia/123?single",
            "https://telegram.me/MFARussia/123/",
            "http://www.telegram.dog/mfarussia/123#x",
        ];
        for url in telegram {
            assert_eq!(
                canonical(url).as_deref(),
                Some("t.me/mfarussia/123"),
                "{url}"
            );
        }
        // The path is case-sensitive everywhere but in a Telegram username.
        assert_ne!(canonical("example.com/A"), canonical("example.com/a"));
    }

    #[test]
    fn short_links_are_flagged_and_youtu_be_is_not_one() {
        for host in SHORTENER_HOSTS.iter().filter(|h| **h != "youtu.be") {
            let clean = clean_url(&format!("https://{host}/abc")).expect("a short link");
            assert!(clean.short_link, "{host}");
            assert_eq!(clean.canonical, format!("{host}/abc"));
        }
        let video = clean_url("https://youtu.be/dQw4w9WgXcQ").expect("a video");
        assert!(!video.short_link);
        assert_eq!(video.canonical, "youtube.com/watch?v=dQw4w9WgXcQ");
        // A youtu.be link that names no video stays a short link.
        let odd = clean_url("https://youtu.be/a%20b").expect("a link");
        assert!(odd.short_link);
        assert_eq!(odd.canonical, "youtu.be/a%20b");
        assert!(
            !clean_url("https://example.com/bit.ly")
                .expect("a link")
                .short_link
        );
        assert!(!clean_url("https://t.me/x_y_z").expect("a link").short_link);
    }

    #[test]
    fn telegram_targets() {
        let private =
            |channel: i64, post: Option<i64>| Some(TelegramTarget::Private { channel, post });
        let table: &[(&str, Option<TelegramTarget>)] = &[
            ("https://t.me/MFARussia", channel("MFARussia", None)),
            ("t.me/MFARussia/", channel("MFARussia", None)),
            (
                "https://t.me/s/mfa_russia/123",
                channel("mfa_russia", Some(123)),
            ),
            ("http://www.t.me/s/mfa_russia", channel("mfa_russia", None)),
            (
                "https://telegram.me/MFARussia/5",
                channel("MFARussia", Some(5)),
            ),
            ("telegram.dog/MFARussia/5#x", channel("MFARussia", Some(5))),
            (
                "https://T.ME/MFARussia/123?single",
                channel("MFARussia", Some(123)),
            ),
            (
                "https://t.me/MFARussia/123?comment=9",
                channel("MFARussia", Some(123)),
            ),
            (
                "https://t.me/MFARussia/123/456",
                channel("MFARussia", Some(123)),
            ),
            ("https://t.me/MFARussia/0", channel("MFARussia", None)),
            ("https://t.me/MFARussia/-5", channel("MFARussia", None)),
            (
                "https://t.me/MFARussia/99999999999999999999",
                channel("MFARussia", None),
            ),
            (
                "https://t.me/SomeBot/app?startapp=1",
                channel("SomeBot", None),
            ),
            ("https://t.me/SomeBot?start=ABC", channel("SomeBot", None)),
            ("https://mfarussia.t.me", channel("mfarussia", None)),
            ("https://t.me/boost/MFARussia", channel("MFARussia", None)),
            ("https://t.me/boost?c=1234567", private(1234567, None)),
            ("https://t.me/c/1234567/89", private(1234567, Some(89))),
            ("https://t.me/c/1234567", private(1234567, None)),
            ("https://t.me/c/1234567/89/90", private(1234567, Some(89))),
            ("https://t.me/c/abc/89", None),
            ("https://t.me/c", None),
            ("https://t.me/+AbCdEf123-_", Some(TelegramTarget::Invite)),
            (
                "https://telegram.me/joinchat/AbCdEf123",
                Some(TelegramTarget::Invite),
            ),
            ("https://t.me/joinchat", None),
            ("https://t.me/+79991234567", None),
            (
                "tg://resolve?domain=MFARussia&post=7",
                channel("MFARussia", Some(7)),
            ),
            ("TG://resolve?domain=MFARussia", channel("MFARussia", None)),
            (
                "tg:resolve?post=x&domain=MFARussia",
                channel("MFARussia", None),
            ),
            ("tg://resolve?domain=ab", None),
            ("tg://resolve?phone=79991234567", None),
            (
                "tg://privatepost?channel=1234567&post=89",
                private(1234567, Some(89)),
            ),
            ("tg://join?invite=AbCdEf", Some(TelegramTarget::Invite)),
            ("tg://settings", None),
            // Paths that name no channel.
            ("https://t.me/share/url?url=https://example.com", None),
            ("https://t.me/addstickers/SomePack", None),
            ("https://t.me/addemoji/SomePack", None),
            ("https://t.me/proxy?server=1.2.3.4&port=443&secret=x", None),
            ("https://t.me/socks?server=1.2.3.4&port=1080", None),
            ("https://t.me/iv?url=https://example.com&rhash=1", None),
            ("https://t.me/setlanguage/ru", None),
            ("https://t.me/addlist/AbCdEf", None),
            ("https://t.me/contact/AbCdEf", None),
            ("https://t.me", None),
            ("https://t.me/", None),
            ("https://t.me/s", None),
            // Usernames: 4 to 32 of [A-Za-z0-9_], starting with a letter.
            ("https://t.me/abcd", channel("abcd", None)),
            ("https://t.me/abc", None),
            ("https://t.me/1abcde", None),
            ("https://t.me/_abcde", None),
            ("https://t.me/abc-def", None),
            ("https://t.me/abc%2Ddef", None),
            (
                "https://t.me/%4DFARussia/./1",
                channel("MFARussia", Some(1)),
            ),
            (
                &*format!("https://t.me/a{}", "b".repeat(31)),
                channel(&format!("a{}", "b".repeat(31)), None),
            ),
            (&*format!("https://t.me/a{}", "b".repeat(32)), None),
            // Not Telegram links.
            ("https://example.com/MFARussia", None),
            ("https://nott.me/MFARussia", None),
            ("https://t.me.example.com/MFARussia", None),
            ("mailto:x@t.me", None),
            ("@MFARussia", None),
            ("", None),
        ];
        for (input, expected) in table {
            assert_eq!(&telegram_target(input), expected, "{input:?}");
        }
    }

    #[test]
    fn a_channel_key_is_the_alias_key_of_mentions() {
        let Some(TelegramTarget::Channel { username, key, .. }) =
            telegram_target("https://t.me/s/MFA_Russia/1")
        else {
            panic!("a channel link");
        };
        assert_eq!(username, "MFA_Russia");
        assert_eq!(key, alias_key("@MFA_Russia"));
        assert_eq!(key, "mfa_russia");
    }

    #[test]
    fn links_found_in_text_clean_and_resolve() {
        let text = "См. https://t.me/s/MFARussia/123?single и mid.ru/ru/foreign_policy/news/1/ \
                    (www.kremlin.ru/events/?utm_source=tg)";
        let cleaned: Vec<Option<String>> = crate::extract::urls(text)
            .iter()
            .map(|link| canonical(link.url.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(
            cleaned,
            [
                Some("t.me/mfarussia/123".to_string()),
                Some("mid.ru/ru/foreign_policy/news/1".to_string()),
                Some("kremlin.ru/events".to_string()),
            ]
        );
    }

    /// URL-like strings built from the pieces the rules act on.
    fn url_like() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "https://",
                "HTTP://",
                "//",
                "tg://",
                "www.",
                "m.",
                "mobile.",
                "WWW.",
                "t.me",
                "telegram.me",
                "youtu.be",
                "bit.ly",
                "example",
                ".com",
                ".",
                "..",
                "/",
                "//",
                "/s/",
                "/S",
                "/c/",
                "/+",
                "/joinchat/",
                "/boost/",
                "MFARussia",
                "abc_d",
                "123",
                "-1",
                "0",
                ":",
                ":80",
                ":443",
                ":8080",
                "@",
                "?",
                "&",
                "=",
                "#",
                "%",
                "%2",
                "%2f",
                "%41",
                "%D0",
                "%BD",
                "%e2%80%8b",
                "utm_source=x",
                "single",
                "si=1",
                "v=",
                "a=1",
                "b",
                "Ё",
                "рф",
                "\u{200B}",
                " ",
                "\t",
                "İ",
                "ß",
                "~",
                "'",
                "\"",
                "\\",
                "[",
                "]",
            ]),
            0..16,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// Checks that `url` cleans without panicking to a canonical form that cleans to itself.
    fn check_stable(url: &str) -> Result<(), TestCaseError> {
        if let Some(clean) = clean_url(url) {
            let again = clean_url(&format!("https://{}", clean.canonical));
            prop_assert_eq!(again.as_ref(), Some(&clean), "{:?}", url);
            let bare = canonical(&clean.canonical);
            prop_assert_eq!(bare.as_ref(), Some(&clean.canonical), "{:?}", url);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn clean_url_never_panics_and_is_stable_on_any_text(url in any::<String>()) {
            check_stable(&url)?;
            let _ = telegram_target(&url);
        }

        #[test]
        fn clean_url_is_stable_on_url_like_text(url in url_like()) {
            check_stable(&url)?;
        }

        #[test]
        fn telegram_target_never_panics_and_agrees_with_the_canonical_form(url in url_like()) {
            let target = telegram_target(&url);
            // A channel link still names the channel once cleaned (with its username
            // lower-cased).
            if let (Some(TelegramTarget::Channel { key, post, .. }), Some(clean)) =
                (&target, clean_url(&url))
                && !url.trim_start().to_ascii_lowercase().starts_with("tg:")
            {
                let Some(TelegramTarget::Channel { key: clean_key, post: clean_post, .. }) =
                    telegram_target(&clean.canonical)
                else {
                    return Err(TestCaseError::fail(format!("{url:?} -> {}", clean.canonical)));
                };
                prop_assert_eq!(&clean_key, key);
                prop_assert_eq!(&clean_post, post);
            }
        }
    }
}
