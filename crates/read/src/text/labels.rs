//! The interface labels of Telegram's web and desktop views (English and Russian) that plain-text
//! captures carry, and what each one means.

use std::sync::LazyLock;

use regex::Regex;
use tgscope_model::{MediaKind, Placeholder};

/// What one line of a plain-text capture is, when it is not the post's own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// "Forwarded from X" (web view) or "[Forwarded from X]" (Desktop copy, `bracketed`).
    ForwardedFrom {
        /// The origin's display name as the capture shows it.
        name: String,
        /// True for the Desktop copy's bracketed form, which follows a message header.
        bracketed: bool,
    },
    /// "[In reply to X]" of a Desktop copy.
    InReplyTo(String),
    /// "Name, [25/06/2022 07:25]": the header of a message in a Telegram Desktop copy.
    DesktopHeader(DesktopHeader),
    /// A media placeholder ("Media is too big", "\[ Photo \]").
    Media(MediaKind, Placeholder),
    /// "Please open Telegram to view this post": the whole post is hidden from the web view.
    OpenInTelegram,
    /// "VIEW IN TELEGRAM": the button under a placeholder.
    ViewInTelegram,
    /// The footer of a web-view post: view count, "edited" mark and time of day, any of them.
    Footer {
        /// The view count, expanded ("214.4K" -> 214400).
        views: Option<u64>,
        /// Whether the "edited" mark is there.
        edited: bool,
    },
    /// A day separator of the web view ("February 27", "27 февраля", "May 9, 2023").
    DaySeparator {
        /// Month, 1-12.
        month: u32,
        /// Day of the month.
        day: u32,
        /// Year, when the separator gives one.
        year: Option<i32>,
    },
    /// The label of a link whose target the capture lost ("Read in full", "Watch").
    LostLink(String),
}

/// The parsed header line of a Telegram Desktop copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopHeader {
    /// Sender name (for a channel post, the channel's title).
    pub name: String,
    /// The date and time text inside the brackets, as written.
    pub stamp: String,
    /// First number of the date.
    pub a: u32,
    /// Second number of the date.
    pub b: u32,
    /// Year (two-digit years are taken as 20YY).
    pub year: i32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// The separator between date numbers ('.' or '/').
    pub sep: char,
    /// Whether the time had AM/PM (a US locale: month first).
    pub twelve_hour: bool,
}

static FORWARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:forwarded from|переслано от|переслано из|пересланное сообщение от)[\s\u{a0}:]+(.+)$")
        .expect("static regex")
});
static FORWARD_DESKTOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\[(?:forwarded from|переслано от|переслано из)\s+(.+)\]$")
        .expect("static regex")
});
static REPLY_DESKTOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\[(?:in reply to|в ответ на)\s+(.+)\]$").expect("static regex")
});
static DESKTOP_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(.+), \[((\d{1,2})([./])(\d{1,2})[./](\d{2}|\d{4}),? (\d{1,2}):(\d{2})(?::\d{2})?(?:\s?([ap])\.?m\.?)?)\]$",
    )
    .expect("static regex")
});
static DESKTOP_MEDIA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[ (.+) \]$").expect("static regex"));
static FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        (?:(\d+(?:[.,]\d+)?)\s?([km]|тыс\.?|млн\.?)?\s*(?:views?|просмотр(?:ов|а)?))?
        \s*(edited|изменено|ред\.)?
        \s*(\d{1,2}:\d{2}(?:\s?[ap]m)?)?
        $",
    )
    .expect("static regex")
});
static LOST_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:read in full|read more|continue reading|full text|watch|watch the video|listen|more details|details|читать полностью|читать далее|читать|полностью|подробнее|далее|смотреть|смотреть видео|слушать)$",
    )
    .expect("static regex")
});

/// Classifies one line (already trimmed) of a plain-text capture. `None` means the line is the
/// post's own text.
pub fn classify(line: &str) -> Option<Label> {
    if line.is_empty() {
        return None;
    }
    let lower = line.to_lowercase();
    match lower.as_str() {
        "media is too big"
        | "медиафайл слишком большой"
        | "медиа слишком большое"
        | "файл слишком большой" => {
            return Some(Label::Media(MediaKind::Video, Placeholder::TooBig));
        }
        "this media is not supported in your browser"
        | "этот медиафайл не поддерживается вашим браузером"
        | "медиа не поддерживается вашим браузером" => {
            return Some(Label::Media(MediaKind::Unknown, Placeholder::NotSupported));
        }
        "please open telegram to view this post"
        | "откройте telegram, чтобы посмотреть этот пост"
        | "откройте telegram, чтобы просмотреть этот пост"
        | "чтобы посмотреть этот пост, откройте telegram" => {
            return Some(Label::OpenInTelegram);
        }
        "view in telegram"
        | "открыть в telegram"
        | "смотреть в telegram"
        | "посмотреть в telegram" => {
            return Some(Label::ViewInTelegram);
        }
        _ => {}
    }
    if let Some(c) = FORWARD_DESKTOP.captures(line) {
        return Some(Label::ForwardedFrom {
            name: c[1].trim().to_string(),
            bracketed: true,
        });
    }
    if let Some(c) = REPLY_DESKTOP.captures(line) {
        return Some(Label::InReplyTo(c[1].trim().to_string()));
    }
    if let Some(c) = FORWARD.captures(line) {
        return Some(Label::ForwardedFrom {
            name: c[1].trim().to_string(),
            bracketed: false,
        });
    }
    if let Some(h) = desktop_header(line) {
        return Some(Label::DesktopHeader(h));
    }
    if let Some(c) = DESKTOP_MEDIA.captures(line)
        && let Some(kind) = desktop_media_kind(&c[1])
    {
        return Some(Label::Media(kind, Placeholder::NotIncluded));
    }
    if let Some(footer) = footer(line) {
        return Some(footer);
    }
    if let Some(sep) = day_separator(line) {
        return Some(sep);
    }
    let bare = strip_decoration(line);
    if LOST_LINK.is_match(bare) {
        return Some(Label::LostLink(bare.to_string()));
    }
    None
}

/// The line without the emoji, symbols and punctuation that decorate its start ("📖 Read in
/// full" -> "Read in full").
fn strip_decoration(line: &str) -> &str {
    line.trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches(|c: char| c.is_whitespace() || c == ':' || c == '…' || c == '.')
}

fn desktop_header(line: &str) -> Option<DesktopHeader> {
    let c = DESKTOP_HEADER.captures(line)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let mut year = c.get(6)?.as_str().parse::<i32>().ok()?;
    if year < 100 {
        year += 2000;
    }
    let mut hour = num(7)?;
    let twelve_hour = c.get(9).is_some();
    if let Some(ap) = c.get(9) {
        if hour > 12 || hour == 0 {
            return None;
        }
        let pm = ap.as_str().eq_ignore_ascii_case("p");
        hour = match (pm, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    let minute = num(8)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    Some(DesktopHeader {
        name: c[1].trim().to_string(),
        stamp: c[2].to_string(),
        a: num(3)?,
        b: num(5)?,
        year,
        hour,
        minute,
        sep: c[4].chars().next()?,
        twelve_hour,
    })
}

fn desktop_media_kind(name: &str) -> Option<MediaKind> {
    let lower = name.to_lowercase();
    let first = lower.split([':', ' ']).next().unwrap_or("");
    Some(match lower.as_str() {
        "photo" | "фотография" | "фото" => MediaKind::Photo,
        "video" | "видео" | "видеозапись" => MediaKind::Video,
        "album" | "альбом" => MediaKind::Album,
        "file" | "файл" | "document" | "документ" => MediaKind::Document,
        "voice message" | "голосовое сообщение" => MediaKind::Voice,
        "video message" | "видеосообщение" => MediaKind::VideoMessage,
        "gif" => MediaKind::Animation,
        "audio" | "music" | "аудио" | "аудиофайл" | "музыка" => {
            MediaKind::Audio
        }
        "location" | "геопозиция" | "местоположение" => MediaKind::Location,
        "contact" | "контакт" => MediaKind::Contact,
        _ => match first {
            "sticker" | "стикер" => MediaKind::Sticker,
            "poll" | "опрос" => MediaKind::Poll,
            "location" | "геопозиция" => MediaKind::Location,
            _ => return None,
        },
    })
}

fn footer(line: &str) -> Option<Label> {
    let c = FOOTER.captures(line)?;
    if c.get(1).is_none() && c.get(3).is_none() && c.get(4).is_none() {
        return None;
    }
    // A bare time of day ("12:30") is a footer only when it looks like one: the regex allows it,
    // and posts whose whole line is a time are vanishingly rare.
    let views = match c.get(1) {
        Some(num) => Some(expand_count(num.as_str(), c.get(2).map(|m| m.as_str()))?),
        None => None,
    };
    Some(Label::Footer {
        views,
        edited: c.get(3).is_some(),
    })
}

/// Expands an abbreviated count: "214.4" + "K" -> 214400, "1,2" + "млн" -> 1200000.
pub fn expand_count(number: &str, suffix: Option<&str>) -> Option<u64> {
    let number = number.replace(',', ".");
    let multiplier: f64 = match suffix.map(|s| s.trim_end_matches('.').to_lowercase()) {
        None => 1.0,
        Some(s) if s == "k" || s == "тыс" => 1_000.0,
        Some(s) if s == "m" || s == "млн" => 1_000_000.0,
        Some(_) => return None,
    };
    if suffix.is_none() {
        // A plain number may use '.' or ',' as a thousands separator ("1,234 views").
        let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
        return digits.parse().ok();
    }
    let value: f64 = number.parse().ok()?;
    Some((value * multiplier).round() as u64)
}

fn day_separator(line: &str) -> Option<Label> {
    let found = tgscope_text::dates::date_line(line)?;
    Some(Label::DaySeparator {
        month: found.month,
        day: found.day,
        year: found.year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_headers_in_both_languages_and_both_views() {
        let fwd = |name: &str, bracketed| {
            Some(Label::ForwardedFrom {
                name: name.into(),
                bracketed,
            })
        };
        assert_eq!(
            classify("Forwarded from Russian MFA 🇷🇺"),
            fwd("Russian MFA 🇷🇺", false)
        );
        assert_eq!(
            classify("Переслано от МИД России"),
            fwd("МИД России", false)
        );
        assert_eq!(
            classify("[Forwarded from Russian MFA]"),
            fwd("Russian MFA", true)
        );
        assert_eq!(classify("He forwarded from the desk"), None);
    }

    #[test]
    fn placeholders_and_buttons() {
        assert_eq!(
            classify("Media is too big"),
            Some(Label::Media(MediaKind::Video, Placeholder::TooBig))
        );
        assert_eq!(classify("VIEW IN TELEGRAM"), Some(Label::ViewInTelegram));
        assert_eq!(
            classify("Please open Telegram to view this post"),
            Some(Label::OpenInTelegram)
        );
        assert_eq!(
            classify("[ Photo ]"),
            Some(Label::Media(MediaKind::Photo, Placeholder::NotIncluded))
        );
        assert_eq!(
            classify("[ Стикер 😀 ]"),
            Some(Label::Media(MediaKind::Sticker, Placeholder::NotIncluded))
        );
        assert_eq!(classify("[ not a media line ]"), None);
    }

    #[test]
    fn footers_expand_view_counts() {
        assert_eq!(
            classify("214.4K views"),
            Some(Label::Footer {
                views: Some(214_400),
                edited: false
            })
        );
        assert_eq!(
            classify("1.2M views edited 07:20"),
            Some(Label::Footer {
                views: Some(1_200_000),
                edited: true
            })
        );
        assert_eq!(
            classify("1,234 views"),
            Some(Label::Footer {
                views: Some(1_234),
                edited: false
            })
        );
        assert_eq!(
            classify("1,2 тыс. просмотров"),
            Some(Label::Footer {
                views: Some(1_200),
                edited: false
            })
        );
        assert_eq!(
            classify("07:20"),
            Some(Label::Footer {
                views: None,
                edited: false
            })
        );
    }

    #[test]
    fn day_separators_and_lost_links() {
        assert_eq!(
            classify("February 27"),
            Some(Label::DaySeparator {
                month: 2,
                day: 27,
                year: None
            })
        );
        assert_eq!(
            classify("9 мая 2023"),
            Some(Label::DaySeparator {
                month: 5,
                day: 9,
                year: Some(2023)
            })
        );
        assert_eq!(classify("February 30"), None);
        assert_eq!(
            classify("📖 Read in full"),
            Some(Label::LostLink("Read in full".into()))
        );
        assert_eq!(
            classify("READ IN FULL"),
            Some(Label::LostLink("READ IN FULL".into()))
        );
        assert_eq!(classify("🎥 Watch"), Some(Label::LostLink("Watch".into())));
        assert_eq!(classify("Watch this space, said the minister"), None);
    }

    #[test]
    fn desktop_headers_in_several_locales() {
        let Some(Label::DesktopHeader(h)) = classify("Russian MFA 🇷🇺, [25/06/2022 07:25]")
        else {
            panic!("not a header")
        };
        assert_eq!((h.a, h.b, h.year, h.hour, h.minute), (25, 6, 2022, 7, 25));
        assert_eq!(h.name, "Russian MFA 🇷🇺");
        let Some(Label::DesktopHeader(h)) = classify("МИД России, [25.06.2022 19:05]")
        else {
            panic!("not a header")
        };
        assert_eq!((h.sep, h.hour), ('.', 19));
        let Some(Label::DesktopHeader(h)) = classify("Jane, Doe, [6/25/22 7:25 PM]") else {
            panic!("not a header")
        };
        assert_eq!((h.name.as_str(), h.year, h.hour), ("Jane, Doe", 2022, 19));
        assert!(h.twelve_hour);
    }
}
