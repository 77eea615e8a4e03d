//! Names of channels and forward sources, hashtags and mentions as keys: the one place where
//! tgscope decides whether a name a user typed names a channel.
//!
//! Every front end and every filter goes through these keys: `posts --channel`, `--from` and
//! `--tag` (the archive stores the keys), the API's filters, and the search query language's
//! `channel:`, `from:`, `tag:` and `@mention` (the index folds with the same [`fold_word`]).
//!
//! Two keys of a channel name, from strict to loose:
//! - [`alias_key`]: the name as written, case-folded, without a leading `@` or `#` and without
//!   surrounding spaces. The archive recognises a channel it already knows by it (a username
//!   or a title seen before), and a filter whose key is one channel's alias names that channel.
//! - [`name_key`]: the name's words folded ([`fold_word`]: case, `ё`, accents, look-alike
//!   letters) and joined, letters and digits only, so that `Russian MFA` names the channel
//!   titled `Russian MFA 🇷🇺` and `@russian_mfa` names `RussianMFA`. It is a key of the whole
//!   name, never a part of one: `test` does not name `test_channel`.

use unicode_segmentation::UnicodeSegmentation;

use crate::fold::fold_word;

/// The strict key of a channel name: trimmed, without a leading `@` or `#`, lower-cased.
pub fn alias_key(name: &str) -> String {
    name.trim().trim_start_matches(['@', '#']).to_lowercase()
}

/// A name (channel username or title, forward source) as a key: its words folded and joined,
/// letters and digits only. `Russian MFA 🇷🇺` and `@russian_mfa` both give `russianmfa`.
pub fn name_key(name: &str) -> String {
    let mut key = String::new();
    for word in name.unicode_words() {
        key.extend(fold_word(word).chars().filter(|c| c.is_alphanumeric()));
    }
    key
}

/// A hashtag or mention as a key: without its leading `#` or `@`, folded as one word.
pub fn tag_key(tag: &str) -> String {
    fold_word(tag.trim().trim_start_matches(['#', '@']))
}

/// The channel a name or link written by a user names: `https://t.me/s/MFARussia/`,
/// `t.me/MFARussia`, `telegram.me/MFARussia` and `@MFARussia` all give `MFARussia`; any other
/// name is returned trimmed.
pub fn bare_name(written: &str) -> &str {
    let mut s = written.trim();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    for prefix in ["t.me/s/", "t.me/", "telegram.me/s/", "telegram.me/"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_end_matches('/');
            break;
        }
    }
    s.trim_start_matches('@').trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tags_as_keys() {
        assert_eq!(name_key("Russian MFA 🇷🇺"), "russianmfa");
        assert_eq!(name_key("@Russian_MFA"), "russianmfa");
        assert_eq!(name_key("МИД России"), "мидроссии");
        assert_eq!(
            name_key("МИД Рoссии"),
            "мидроссии",
            "a Latin o in a Russian word"
        );
        assert_eq!(name_key("Ёлки-Палки"), "елкипалки");
        assert_eq!(tag_key("#Россия"), "россия");
        assert_eq!(tag_key("Новости_Ёлки"), "новости_елки");
        assert_eq!(tag_key("@MID_Russia"), "mid_russia");
        assert_eq!(tag_key("#Café"), "cafe");
    }

    #[test]
    fn a_key_is_of_the_whole_name_never_a_part() {
        assert_ne!(name_key("test"), name_key("test_channel"));
        assert_ne!(name_key("OnlineVerdan"), name_key("OnlineVerdan Reserve"));
        assert_eq!(alias_key(" @MFARussia "), "mfarussia");
        assert_ne!(alias_key("test"), alias_key("test_channel"));
    }

    #[test]
    fn links_and_at_signs_name_the_channel() {
        assert_eq!(bare_name("https://t.me/s/MFARussia"), "MFARussia");
        assert_eq!(bare_name("t.me/MFARussia/"), "MFARussia");
        assert_eq!(bare_name("@MFARussia"), "MFARussia");
        assert_eq!(bare_name("http://telegram.me/s/MFARussia/"), "MFARussia");
        assert_eq!(bare_name(" Russian MFA 🇷🇺 "), "Russian MFA 🇷🇺");
    }
}
