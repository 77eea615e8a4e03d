//! The search form: query box and filter fields combined into one query.

use serde::Deserialize;

/// The media filter's choices: (value, label). `any` and `none` are "with any media" and
/// "without media"; the others are media kinds.
pub const MEDIA_CHOICES: &[(&str, &str)] = &[
    ("", "any or none"),
    ("any", "with media"),
    ("none", "without media"),
    ("photo", "photo"),
    ("video", "video"),
    ("document", "document"),
    ("audio", "audio"),
    ("voice", "voice message"),
    ("poll", "poll"),
    ("link_preview", "link preview"),
    ("sticker", "sticker"),
    ("animation", "animation"),
];

/// The orders offered: (value, label).
pub const SORT_CHOICES: &[(&str, &str)] = &[
    ("relevance", "best match"),
    ("date", "newest first"),
    ("date-asc", "oldest first"),
];

/// The fields of the search form, as the request gives them (all optional text).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchForm {
    /// The query box.
    #[serde(default)]
    pub q: String,
    /// Channel (username or title).
    #[serde(default)]
    pub channel: String,
    /// Forward source (username or title).
    #[serde(default)]
    pub from: String,
    /// Hashtag, with or without `#`.
    #[serde(default)]
    pub tag: String,
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub since: String,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub until: String,
    /// A value of [`MEDIA_CHOICES`].
    #[serde(default)]
    pub media: String,
    /// A value of [`SORT_CHOICES`]; empty: by relevance, or newest first for filters alone.
    #[serde(default)]
    pub sort: String,
    /// Chart per `day`, `week` or `month`; empty: chosen by the span.
    #[serde(default)]
    pub by: String,
    /// The paging cursor.
    #[serde(default)]
    pub cursor: String,
}

/// A filter's value inside the quotes of `name:"value"` (the query language has no escape for
/// a quote, so quotes become spaces).
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', " ").trim())
}

/// A day from a date field, or why not.
fn day(name: &str, value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| Some(d.format("%Y-%m-%d").to_string()))
        .map_err(|_| format!("{name} {value:?} is not a date: write YYYY-MM-DD"))
}

impl SearchForm {
    /// The query the form asks: the query box, then each filter filled in. An error names a
    /// field whose value cannot be used.
    pub fn combined(&self) -> Result<String, String> {
        let mut parts: Vec<String> = Vec::new();
        let q = self.q.trim();
        if !q.is_empty() {
            parts.push(q.to_string());
        }
        let channel = self.channel.trim();
        if !channel.is_empty() {
            parts.push(format!("channel:{}", quoted(channel)));
        }
        let from = self.from.trim();
        if !from.is_empty() {
            parts.push(format!("from:{}", quoted(from)));
        }
        let tag = self.tag.trim().trim_start_matches('#');
        if !tag.is_empty() {
            parts.push(format!("tag:{}", quoted(tag)));
        }
        let since = day("since", &self.since)?;
        let until = day("until", &self.until)?;
        match (since, until) {
            (None, None) => {}
            (a, b) => parts.push(format!(
                "date:{}..{}",
                a.unwrap_or_default(),
                b.unwrap_or_default()
            )),
        }
        match self.media.trim() {
            "" => {}
            "any" => parts.push("has:media".into()),
            "none" => parts.push("-has:media".into()),
            kind if MEDIA_CHOICES.iter().any(|(v, _)| *v == kind) => {
                parts.push(format!("media:{kind}"));
            }
            other => return Err(format!("media {other:?} is not a choice of the form")),
        }
        Ok(parts.join(" "))
    }

    /// The form's fields as URL pairs (for links to other pages of the same search).
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.q.as_str()),
            ("channel", self.channel.as_str()),
            ("from", self.from.as_str()),
            ("tag", self.tag.as_str()),
            ("since", self.since.as_str()),
            ("until", self.until.as_str()),
            ("media", self.media.as_str()),
            ("sort", self.sort.as_str()),
            ("by", self.by.as_str()),
        ]
    }

    /// Whether any filter field (not the query box) is filled in.
    pub fn has_filters(&self) -> bool {
        [
            &self.channel,
            &self.from,
            &self.tag,
            &self.since,
            &self.until,
            &self.media,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_query_filters() {
        let form = SearchForm {
            q: "санкции".into(),
            channel: "Russian MFA".into(),
            from: "МИД \"России\"".into(),
            tag: "#BRICS".into(),
            since: "2024-03-01".into(),
            media: "video".into(),
            ..SearchForm::default()
        };
        assert_eq!(
            form.combined().expect("combined"),
            "санкции channel:\"Russian MFA\" from:\"МИД  России\" tag:\"BRICS\" \
             date:2024-03-01.. media:video"
        );
        let bad = SearchForm {
            until: "March".into(),
            ..SearchForm::default()
        };
        assert!(bad.combined().is_err());
    }
}
