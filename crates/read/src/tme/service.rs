//! Service messages of the web preview ("Channel photo updated"): the action each stands for.

use std::sync::LazyLock;

use regex::Regex;

use crate::desktop_html::service::{Action, classify};

/// One sentence form: its pattern, the action, and the names of its capture groups.
struct Form {
    pattern: Regex,
    action: &'static str,
    fields: &'static [&'static str],
}

fn form(pattern: &str, action: &'static str, fields: &'static [&'static str]) -> Form {
    Form {
        pattern: Regex::new(pattern).expect("service pattern compiles"),
        action,
        fields,
    }
}

/// The sentences of t.me's service messages in channels, most specific first.
static FORMS: LazyLock<Vec<Form>> = LazyLock::new(|| {
    vec![
        form(r"^Channel created$", "create_channel", &[]),
        form(r"^Channel «(.*)» created$", "create_channel", &["title"]),
        form(
            r"^Channel photo (?:updated|changed)$",
            "edit_group_photo",
            &[],
        ),
        form(
            r"^Channel photo (?:removed|deleted)$",
            "delete_group_photo",
            &[],
        ),
        form(
            r"^Channel (?:name|title) (?:was )?changed to «(.*)»$",
            "edit_group_title",
            &["title"],
        ),
        form(
            r"^(?:Live stream|Video chat|Voice chat) (?:started|ended)(?: \((.+)\))?$",
            "group_call",
            &["duration"],
        ),
        form(
            r"^(?:Live stream|Video chat|Voice chat) scheduled (?:for|on) (.+)$",
            "group_call_scheduled",
            &["schedule_date"],
        ),
    ]
});

/// The action of a service sentence (whitespace collapsed). `linked` is the post id a link in
/// it points to (the pinned post), when it has one.
///
/// Actions are named as the Desktop JSON export names them (`create_channel`,
/// `edit_group_photo`, `pin_message`, ...), so that one channel's events read the same from
/// every format; a sentence not known here falls back to the Desktop HTML reader's sentences,
/// else to `service`.
pub fn classify_service(text: &str, linked: Option<i64>) -> Action {
    for f in FORMS.iter() {
        let Some(caps) = f.pattern.captures(text) else {
            continue;
        };
        let mut details: Vec<(String, String)> = f
            .fields
            .iter()
            .zip(caps.iter().skip(1))
            .filter_map(|(name, m)| Some((name.to_string(), m?.as_str().to_string())))
            .collect();
        if let Some(id) = linked {
            details.push(("message_id".to_string(), id.to_string()));
        }
        return Action {
            action: f.action.to_string(),
            actor: None,
            details,
        };
    }
    classify(text, linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_their_actions() {
        let cases = [
            ("Channel created", "create_channel"),
            ("Channel photo updated", "edit_group_photo"),
            ("Channel photo removed", "delete_group_photo"),
            ("Channel name was changed to «Harbor»", "edit_group_title"),
            ("Live stream started", "group_call"),
            ("Harbor Notes pinned «Ferry timetable»", "pin_message"),
            ("Something new happened", "service"),
        ];
        for (text, action) in cases {
            assert_eq!(classify_service(text, None).action, action, "{text}");
        }
        let renamed = classify_service("Channel name was changed to «Harbor»", None);
        assert_eq!(
            renamed.details,
            [("title".to_string(), "Harbor".to_string())]
        );
        let pinned = classify_service("Harbor Notes pinned «Ferry timetable»", Some(101));
        assert_eq!(pinned.actor.as_deref(), Some("Harbor Notes"));
        assert_eq!(
            pinned.details,
            [("message_id".to_string(), "101".to_string())]
        );
    }
}
