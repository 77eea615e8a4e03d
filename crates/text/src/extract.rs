//! Extraction of hashtags, mentions, URLs and flag-emoji countries from text, with byte spans.

use regex::Regex;
use std::sync::LazyLock;
use tgscope_model::{Country, Link, Span, Tag};

/// Longest hashtag accepted, in chars (without '#').
const MAX_HASHTAG_CHARS: usize = 100;

/// The char just before byte `at` of `text`, if any.
fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|s| s.chars().next_back())
}

/// The text from byte `at` on (empty when `at` is out of range or not on a boundary).
fn rest_from(text: &str, at: usize) -> &str {
    text.get(at..).unwrap_or("")
}

/// '#', then a letter, digit or underscore, then letters, digits, underscores and combining
/// marks (a variation selector after '#' makes the keycap emoji #️⃣, not a hashtag).
static HASHTAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"#([\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*)").expect("hashtag pattern compiles")
});

/// Hashtags, in order of appearance (duplicates kept).
///
/// A hashtag is '#' and one or more Unicode letters, digits and underscores (Cyrillic
/// included), not all digits, at most 100 chars, and not preceded by a letter, digit,
/// underscore, '&' (an HTML entity like `&#39;`) or '/' (a URL fragment). `value` excludes the
/// '#'; `span` includes it.
pub fn hashtags(text: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    for caps in HASHTAG.captures_iter(text) {
        let (Some(whole), Some(value)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        if char_before(text, whole.start())
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '&' | '/'))
        {
            continue;
        }
        let value = value.as_str();
        if value.chars().all(char::is_numeric) || value.chars().count() > MAX_HASHTAG_CHARS {
            continue;
        }
        found.push(Tag {
            value: value.to_string(),
            span: Span {
                start: whole.start(),
                end: whole.end(),
            },
        });
    }
    found
}

/// '@' and a run of username characters (validated afterwards).
static MENTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@([A-Za-z0-9_]+)").expect("mention pattern compiles"));

/// Mentions of Telegram usernames, in order of appearance (duplicates kept).
///
/// A mention is '@' and a username: 5 to 32 of `[A-Za-z0-9_]`, starting with a letter, not
/// ending with '_'. It must not be preceded by a letter, digit, underscore, '.' or '/' (so
/// `a.b@example.com` and `medium.com/@user` give none), nor followed by '.' and a letter (an
/// email domain). `value` excludes the '@'; `span` includes it.
pub fn mentions(text: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    for caps in MENTION.captures_iter(text) {
        let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        if char_before(text, whole.start())
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '/'))
        {
            continue;
        }
        let name = name.as_str();
        let valid_shape = (5..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !name.ends_with('_');
        if !valid_shape {
            continue;
        }
        let mut after = rest_from(text, whole.end()).chars();
        if after.next() == Some('.') && after.next().is_some_and(char::is_alphabetic) {
            continue;
        }
        found.push(Tag {
            value: name.to_string(),
            span: Span {
                start: whole.start(),
                end: whole.end(),
            },
        });
    }
    found
}

/// Top-level domains accepted for bare domains written with a path ("mid.ru/ru/...").
const BARE_DOMAIN_TLDS: &[&str] = &[
    "ru", "рф", "su", "com", "org", "net", "gov", "edu", "mil", "int", "info", "biz", "io", "me",
    "ua", "by", "kz", "kg", "uz", "tj", "tm", "am", "az", "ge", "md", "uk", "de", "fr", "it", "es",
    "pt", "nl", "be", "ch", "at", "pl", "cz", "sk", "hu", "ro", "bg", "rs", "gr", "se", "no", "fi",
    "dk", "ee", "lv", "lt", "eu", "us", "ca", "mx", "br", "ar", "cl", "cn", "in", "jp", "kr", "hk",
    "tw", "vn", "th", "id", "my", "sg", "ph", "pk", "ir", "iq", "tr", "il", "ae", "sa", "qa", "eg",
    "za", "ng", "ke", "au", "nz", "tv", "fm", "co", "cc", "ly", "gl", "gg", "ai", "app", "dev",
    "news", "online", "site", "pro", "xyz", "top",
];

/// Candidate URLs: with a scheme; starting with "www."; a bare domain on a known TLD with a
/// path. A URL runs to whitespace, '<', '>', '"' or an emoji; trailing punctuation is trimmed
/// afterwards.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    let tail = r#"[^\s<>"\p{Extended_Pictographic}\p{Regional_Indicator}]"#;
    let label = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?";
    let tlds = BARE_DOMAIN_TLDS.join("|");
    let pattern = format!(
        r"(?i)https?://{tail}+|www\.{label}(?:\.{label})+(?:[/?#:]{tail}*)?|(?:{label}\.)+(?:{tlds})/{tail}*"
    );
    Regex::new(&pattern).expect("url pattern compiles")
});

/// How many times `c` occurs in `s`.
fn count(s: &str, c: char) -> usize {
    s.chars().filter(|x| *x == c).count()
}

/// `url` without trailing punctuation and without unbalanced closing brackets and quotes.
fn trim_url_end(url: &str) -> &str {
    let mut url = url;
    while let Some(last) = url.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '…' | '。' | '，' | '、' | '；' | '：' | '！'
            | '？' => true,
            ')' => count(url, ')') > count(url, '('),
            ']' => count(url, ']') > count(url, '['),
            '}' => count(url, '}') > count(url, '{'),
            '»' => count(url, '»') > count(url, '«'),
            '”' => count(url, '”') > count(url, '“'),
            '’' => count(url, '’') > count(url, '‘'),
            '\'' => count(url, '\'') % 2 == 1,
            _ => false,
        };
        if !strip {
            break;
        }
        url = url.get(..url.len() - last.len_utf8()).unwrap_or("");
    }
    url
}

/// True when `url` starts with "http://" or "https://" (any case).
fn has_scheme(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// URLs, in order of appearance.
///
/// Found: `http(s)://...`; `www....`; bare domains with a path on a list of common TLDs
/// (`mid.ru/ru/foreign_policy/news/1234/`, `t.me/MFARussia`, `telegram.me/...`). Trailing
/// punctuation (`.,;:!?…`) and an unbalanced closing `)` `]` `}` `»` `”` `’` `'` are not part of
/// the URL; a URL also ends at whitespace, `<`, `>`, `"` or an emoji (flags included). A bare or
/// `www.` URL must not follow a letter, digit, '.', '@', '/', '-' or '_' (so e-mail addresses
/// give none).
///
/// `Link.url` is the URL with "https://" prepended when it was written without a scheme;
/// `Link.label` is the URL as written; `Link.span` is where it was written.
pub fn urls(text: &str) -> Vec<Link> {
    let mut found = Vec::new();
    // Every URL holds a '/' or "www." and no whitespace: the pattern runs only over the words
    // (split at ASCII whitespace) that hold one, which finds the same URLs as running it over
    // the whole text, at a fraction of the cost.
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(anchor) = next_url_anchor(bytes, pos) else {
            break;
        };
        let word_start = bytes[pos..anchor]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(pos, |p| pos + p + 1);
        let word_end = bytes[anchor..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(bytes.len(), |p| anchor + p);
        urls_in(text, word_start, word_end, &mut found);
        pos = word_end;
    }
    found
}

/// Where the next '/' or "www." (any case) at or after `from` is.
fn next_url_anchor(bytes: &[u8], from: usize) -> Option<usize> {
    let slash = memchr::memchr(b'/', &bytes[from..]).map(|p| from + p);
    let limit = slash.unwrap_or(bytes.len());
    let www = memchr::memchr2_iter(b'w', b'W', &bytes[from..limit])
        .map(|p| from + p)
        .find(|&p| {
            bytes
                .get(p..p + 4)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"www."))
        });
    www.or(slash)
}

/// The URLs in `text[start..end]` (a run without ASCII whitespace), with spans in `text`.
fn urls_in(text: &str, start: usize, end: usize, found: &mut Vec<Link>) {
    for m in URL.find_iter(&text[start..end]) {
        let m_start = start + m.start();
        let written = trim_url_end(m.as_str());
        let scheme = has_scheme(written);
        let before = char_before(text, m_start);
        let bad_before = if scheme {
            before.is_some_and(char::is_alphanumeric)
        } else {
            before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '@' | '/' | '-' | '_'))
        };
        if bad_before {
            continue;
        }
        if scheme {
            let host = written.split_once("://").map_or("", |(_, rest)| rest);
            if !host.starts_with(|c: char| c.is_alphanumeric()) {
                continue;
            }
        }
        let url = if scheme {
            written.to_string()
        } else {
            format!("https://{written}")
        };
        found.push(Link {
            url: Some(url),
            label: written.to_string(),
            span: Some(Span {
                start: m_start,
                end: m_start + written.len(),
            }),
        });
    }
}

/// The codes of flags that name a country: the assigned ISO 3166-1 alpha-2 codes (249), plus XK
/// (Kosovo: a user-assigned code, in general use for the country, with its own flag emoji).
///
/// Left out on purpose, though they have flag emoji: EU (the European Union) and UN (the United
/// Nations), organisations; and the exceptionally reserved codes of territories that belong to a
/// country listed here: AC (Ascension Island), CP (Clipperton Island), DG (Diego Garcia), EA
/// (Ceuta and Melilla), IC (the Canary Islands) and TA (Tristan da Cunha).
const FLAG_CODES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW", // the assigned codes end here
    "XK",
];

/// The letter ('A'..='Z') that a regional indicator symbol stands for.
fn regional_indicator_letter(c: char) -> Option<char> {
    let offset = u32::from(c).checked_sub(0x1F1E6)?;
    if offset < 26 {
        char::from_u32(u32::from('A') + offset)
    } else {
        None
    }
}

/// The countries a text names by flag emoji: each country once, in the order of its first flag.
///
/// Regional indicator symbols (U+1F1E6..U+1F1FF) are paired left to right, as they render:
/// "🇷🇺🇰🇬" gives RU then KG. A pair counts when it is a country's flag: an assigned ISO 3166-1
/// alpha-2 code, or XK (Kosovo). The flags of organisations (🇪🇺 EU, 🇺🇳 UN) and of territories
/// with exceptionally reserved codes (🇮🇨 IC, 🇦🇨 AC, ...) are not countries, and a lone
/// indicator counts for nothing. A country flagged several times is listed once: `span` covers
/// the two indicators of its first flag.
pub fn countries(text: &str) -> Vec<Country> {
    let mut found: Vec<Country> = Vec::new();
    // Regional indicators (U+1F1E6..U+1F1FF) all begin with these bytes in UTF-8.
    static PREFIX: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\xF0\x9F\x87"));
    if PREFIX.find(text.as_bytes()).is_none() {
        return found;
    }
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let Some(first) = regional_indicator_letter(c) else {
            continue;
        };
        let Some(&(second_at, second_char)) = chars.peek() else {
            break;
        };
        let Some(second) = regional_indicator_letter(second_char) else {
            continue;
        };
        chars.next();
        let code: String = [first, second].iter().collect();
        if FLAG_CODES.contains(&code.as_str()) && !found.iter().any(|c| c.code == code) {
            found.push(Country {
                code,
                span: Span {
                    start,
                    end: second_at + second_char.len_utf8(),
                },
            });
        }
    }
    found
}

/// Everything [`all`] extracts from one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Hashtags ([`hashtags`]), without those inside a URL.
    pub hashtags: Vec<Tag>,
    /// Mentions ([`mentions`]), without those inside a URL.
    pub mentions: Vec<Tag>,
    /// URLs ([`urls`]).
    pub links: Vec<Link>,
    /// Countries named by flag emoji, each once ([`countries`]).
    pub countries: Vec<Country>,
}

/// Hashtags, mentions, URLs and flag countries (each country once) of a text. A hashtag or mention that starts
/// inside a URL (`https://example.com/?q=#tag`) is part of the URL and is left out.
pub fn all(text: &str) -> Extracted {
    let links = urls(text);
    let outside_links = |tag: &Tag| {
        !links.iter().any(|link| {
            link.span
                .is_some_and(|s| tag.span.start >= s.start && tag.span.start < s.end)
        })
    };
    let hashtags = hashtags(text).into_iter().filter(outside_links).collect();
    let mentions = mentions(text).into_iter().filter(outside_links).collect();
    Extracted {
        hashtags,
        mentions,
        countries: countries(text),
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Running the URL pattern only over the words that hold '/' or "www." finds what
        /// running it over the whole text finds.
        #[test]
        fn urls_by_words_match_a_scan_of_the_whole_text(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "https://", "http://", "www.", "WWW.", "mid", "ru", "t.me", ".", "/", "рф", "ya",
                " ", "\n", "\u{00A0}", "\u{3000}", "(", ")", "@", "#", "🇷🇺", "a-b", "é", "?x=1",
                ",", "com", "_", "w", "ww",
            ]), 0..20)
        ) {
            let text = parts.concat();
            let mut whole = Vec::new();
            urls_in(&text, 0, text.len(), &mut whole);
            prop_assert_eq!(urls(&text), whole);
        }
    }

    fn values(tags: &[Tag]) -> Vec<&str> {
        tags.iter().map(|t| t.value.as_str()).collect()
    }

    fn slices<'a>(text: &'a str, tags: &[Tag]) -> Vec<&'a str> {
        tags.iter()
            .map(|t| &text[t.span.start..t.span.end])
            .collect()
    }

    fn labels(links: &[Link]) -> Vec<&str> {
        links.iter().map(|l| l.label.as_str()).collect()
    }

    fn target_urls(links: &[Link]) -> Vec<&str> {
        links.iter().filter_map(|l| l.url.as_deref()).collect()
    }

    fn codes(found: &[Country]) -> Vec<&str> {
        found.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn hashtags_in_english_and_russian_with_spans() {
        let text = "#CSTO, the #EAEU и #Россия2024";
        let tags = hashtags(text);
        assert_eq!(values(&tags), ["CSTO", "EAEU", "Россия2024"]);
        assert_eq!(slices(text, &tags), ["#CSTO", "#EAEU", "#Россия2024"]);
    }

    #[test]
    fn hashtags_keep_duplicates_and_underscores() {
        let text = "#UNCharterIsOurRules\n#CIS #CIS #мид_россии.";
        assert_eq!(
            values(&hashtags(text)),
            ["UNCharterIsOurRules", "CIS", "CIS", "мид_россии"]
        );
    }

    #[test]
    fn not_hashtags_entities_numbers_fragments_and_words() {
        assert!(hashtags("It&#39;s &#x27;quoted&#x27;").is_empty());
        assert!(hashtags("Issue #2024 and #1").is_empty());
        assert!(hashtags("see example.com/#section and C#sharp").is_empty());
        assert!(hashtags("#️⃣ keycap").is_empty());
        let long = format!("#{}", "a".repeat(101));
        assert!(hashtags(&long).is_empty());
        let max = format!("#{}", "я".repeat(100));
        assert_eq!(hashtags(&max).len(), 1);
    }

    #[test]
    fn mentions_of_usernames() {
        let text = "Subscribe: @MFARussia, @mid_rf и @MID_Russia!";
        let tags = mentions(text);
        assert_eq!(values(&tags), ["MFARussia", "mid_rf", "MID_Russia"]);
        assert_eq!(
            slices(text, &tags),
            ["@MFARussia", "@mid_rf", "@MID_Russia"]
        );
    }

    #[test]
    fn emails_and_malformed_usernames_are_not_mentions() {
        assert!(mentions("mail me at a.b@example.com").is_empty());
        assert!(mentions("write to @example.com or info@mid.ru").is_empty());
        assert!(mentions("@abc @1abcde @abcde_ @_abcde").is_empty());
        let too_long = format!("@a{}", "b".repeat(32));
        assert!(mentions(&too_long).is_empty());
        assert!(mentions("medium.com/@someone").is_empty());
        // A sentence ending right after the mention is still a mention.
        assert_eq!(
            values(&mentions("Follow @MFARussia. Thanks")),
            ["MFARussia"]
        );
    }

    #[test]
    fn urls_with_scheme_www_and_bare_domains() {
        let text = "Read: https://mid.ru/ru/foreign_policy/news/1893364/, www.kremlin.ru and \
                    mid.ru/ru/foreign_policy/news/1234/ or t.me/MFARussia.";
        let links = urls(text);
        assert_eq!(
            labels(&links),
            [
                "https://mid.ru/ru/foreign_policy/news/1893364/",
                "www.kremlin.ru",
                "mid.ru/ru/foreign_policy/news/1234/",
                "t.me/MFARussia",
            ]
        );
        assert_eq!(
            target_urls(&links),
            [
                "https://mid.ru/ru/foreign_policy/news/1893364/",
                "https://www.kremlin.ru",
                "https://mid.ru/ru/foreign_policy/news/1234/",
                "https://t.me/MFARussia",
            ]
        );
        for link in &links {
            let span = link.span.expect("span set");
            assert_eq!(&text[span.start..span.end], link.label);
        }
    }

    #[test]
    fn urls_drop_trailing_punctuation_and_unbalanced_closers() {
        let links =
            urls("(see https://en.wikipedia.org/wiki/CSTO_(organization)) and «http://x.org/a»!");
        assert_eq!(
            labels(&links),
            [
                "https://en.wikipedia.org/wiki/CSTO_(organization)",
                "http://x.org/a"
            ]
        );
        let links = urls("Ссылка: https://mid.ru/ru/новости?id=1…");
        assert_eq!(labels(&links), ["https://mid.ru/ru/новости?id=1"]);
        let links = urls("[telegram.me/mfarussia] “https://t.me/s/MFARussia”");
        assert_eq!(
            labels(&links),
            ["telegram.me/mfarussia", "https://t.me/s/MFARussia"]
        );
    }

    #[test]
    fn not_urls() {
        assert!(urls("info@mid.ru/x and mid.ru alone, 3.5/10, e.g./").is_empty());
        assert!(urls("https:// nothing").is_empty());
        assert!(urls("Россия.рус/x").is_empty());
    }

    #[test]
    fn urls_end_at_emoji() {
        assert_eq!(labels(&urls("t.me/MFARussia🇷🇺")), ["t.me/MFARussia"]);
    }

    #[test]
    fn countries_from_flag_pairs() {
        let text = "🇷🇺🇰🇬 The ministers of Russia and Kyrgyzstan";
        let found = countries(text);
        assert_eq!(codes(&found), ["RU", "KG"]);
        assert_eq!(&text[found[0].span.start..found[0].span.end], "🇷🇺");
        assert_eq!(&text[found[1].span.start..found[1].span.end], "🇰🇬");
        assert_eq!(codes(&countries("🇽🇰 Pristina")), ["XK"]);
    }

    #[test]
    fn organisation_and_territory_flags_are_not_countries() {
        assert_eq!(codes(&countries("🇷🇺🇺🇳 On July 1")), ["RU"]);
        assert_eq!(codes(&countries("🇪🇺 и 🇨🇳")), ["CN"]);
        // Exceptionally reserved codes with flag emoji: Ascension, Clipperton, Diego Garcia,
        // Ceuta and Melilla, the Canary Islands, Tristan da Cunha.
        assert!(countries("🇦🇨 🇨🇵 🇩🇬 🇪🇦 🇮🇨 🇹🇦 🇺🇳🇪🇺").is_empty());
        // A non-country pair is still a pair: the indicators after it pair on their own.
        let text = "🇺🇳🇰🇿 Astana";
        let found = countries(text);
        assert_eq!(codes(&found), ["KZ"]);
        assert_eq!(&text[found[0].span.start..found[0].span.end], "🇰🇿");
    }

    #[test]
    fn a_country_is_listed_once_with_its_first_flag() {
        let text = "🇷🇺🇨🇳 Talks. 🇷🇺 Russia and 🇨🇳 China 🇷🇺";
        let found = countries(text);
        assert_eq!(codes(&found), ["RU", "CN"]);
        assert_eq!((found[0].span.start, found[1].span.start), (0, 8));
        assert_eq!(&text[found[1].span.start..found[1].span.end], "🇨🇳");
        assert_eq!(codes(&all(text).countries), ["RU", "CN"]);
    }

    #[test]
    fn countries_skip_unassigned_and_lone_indicators() {
        // AA is not assigned; the pair is consumed, then RU is found.
        assert_eq!(codes(&countries("🇦🇦🇷🇺")), ["RU"]);
        assert!(countries("🇷 x 🇺").is_empty());
        // Three indicators: the first two pair, the third is alone.
        assert_eq!(codes(&countries("🇷🇺🇺")), ["RU"]);
    }

    #[test]
    fn flag_code_list_has_every_assigned_code() {
        assert_eq!(FLAG_CODES.len(), 249 + 1);
        for not_a_country in ["EU", "UN", "AC", "CP", "DG", "EA", "IC", "TA", "UK"] {
            assert!(!FLAG_CODES.contains(&not_a_country), "{not_a_country}");
        }
        let mut sorted = FLAG_CODES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), FLAG_CODES.len());
    }

    #[test]
    fn all_leaves_out_tags_inside_urls() {
        let text = "🇷🇺 #CSTO @MFARussia https://x.com/search?q=#BRICS&u=@someone";
        let got = all(text);
        assert_eq!(values(&got.hashtags), ["CSTO"]);
        assert_eq!(values(&got.mentions), ["MFARussia"]);
        assert_eq!(got.links.len(), 1);
        assert_eq!(codes(&got.countries), ["RU"]);
    }
}
