//! Service messages: the action a sentence like "X pinned this message" stands for.
//!
//! The HTML export writes a sentence where the JSON export writes an `action` field; the names
//! given here are the JSON export's, so that both formats of one chat give the same events.

use std::sync::LazyLock;

use regex::Regex;

/// A service message read from its sentence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Action {
    /// The JSON export's name of the action (`create_channel`, `pin_message`, ...), or
    /// `service` when the sentence is not recognised.
    pub action: String,
    /// Who did it, when the sentence names them.
    pub actor: Option<String>,
    /// The action's own fields (`title`, `members`, `inviter`, ...).
    pub details: Vec<(String, String)>,
}

/// One sentence form: its pattern, the action, and the names of its capture groups after the
/// first (the first is the actor when `with_actor`).
struct Form {
    pattern: Regex,
    action: &'static str,
    with_actor: bool,
    fields: &'static [&'static str],
}

fn form(
    pattern: &str,
    action: &'static str,
    with_actor: bool,
    fields: &'static [&'static str],
) -> Form {
    Form {
        pattern: Regex::new(pattern).expect("service pattern compiles"),
        action,
        with_actor,
        fields,
    }
}

/// The sentences Telegram Desktop writes for service messages, most specific first.
static FORMS: LazyLock<Vec<Form>> = LazyLock::new(|| {
    vec![
        form(
            r"^Channel «(.*)» created$",
            "create_channel",
            false,
            &["title"],
        ),
        form(
            r"^(.+?) created group «(.*)» with members (.+)$",
            "create_group",
            true,
            &["title", "members"],
        ),
        form(
            r"^(.+?) created group «(.*)»$",
            "create_group",
            true,
            &["title"],
        ),
        form(
            r"^Channel title changed to «(.*)»$",
            "edit_group_title",
            false,
            &["title"],
        ),
        form(
            r"^(.+?) changed group title to «(.*)»$",
            "edit_group_title",
            true,
            &["title"],
        ),
        form(r"^Channel photo changed$", "edit_group_photo", false, &[]),
        form(
            r"^(.+?) changed group photo$",
            "edit_group_photo",
            true,
            &[],
        ),
        form(r"^Channel photo removed$", "delete_group_photo", false, &[]),
        form(
            r"^(.+?) removed group photo$",
            "delete_group_photo",
            true,
            &[],
        ),
        form(
            r"^(.+?) invited (.+) to the voice chat$",
            "invite_to_group_call",
            true,
            &["members"],
        ),
        form(
            r"^(.+?) joined group by link from (.+)$",
            "join_group_by_link",
            true,
            &["inviter"],
        ),
        form(
            r"^(.+?) joined group by request$",
            "join_group_by_request",
            true,
            &[],
        ),
        form(
            r"^(.+?) converted this group to a supergroup$",
            "migrate_to_supergroup",
            true,
            &[],
        ),
        form(
            r"^(.+?) converted a basic group to this supergroup «(.*)»$",
            "migrate_from_group",
            true,
            &["title"],
        ),
        form(r"^(.+?) pinned (.+)$", "pin_message", true, &[]),
        form(r"^History cleared$", "clear_history", false, &[]),
        form(
            r"^(.+?) scored (\d+) in (.+)$",
            "score_in_game",
            true,
            &["score"],
        ),
        form(r"^(.+?) took a screenshot$", "take_screenshot", true, &[]),
        form(r"^(.+?) joined Telegram$", "joined_telegram", true, &[]),
        form(
            r"^Voice chat scheduled for (.+)$",
            "group_call_scheduled",
            false,
            &["schedule_date"],
        ),
        form(
            r"^(.+?) scheduled a voice chat for (.+)$",
            "group_call_scheduled",
            true,
            &["schedule_date"],
        ),
        form(
            r"^Voice chat(?: \((\d+) seconds\))?$",
            "group_call",
            false,
            &["duration"],
        ),
        form(
            r"^(.+?) started voice chat(?: \((\d+) seconds\))?$",
            "group_call",
            true,
            &["duration"],
        ),
        form(
            r"^New messages will (?:not )?auto-delete(?: in (.+))?$",
            "set_messages_ttl",
            false,
            &["period"],
        ),
        form(
            r"^(.+?) has set messages (?:not )?to auto-delete(?: in (.+))?$",
            "set_messages_ttl",
            true,
            &["period"],
        ),
        form(
            r"^Channel theme was (?:disabled|changed to (.+))$",
            "edit_chat_theme",
            false,
            &["emoticon"],
        ),
        form(
            r"^(.+?) (?:disabled chat theme|changed chat theme to (.+))$",
            "edit_chat_theme",
            true,
            &["emoticon"],
        ),
        form(
            r"^(.+?) created topic «(.*)»$",
            "topic_created",
            true,
            &["title"],
        ),
        form(
            r"^(.+?) changed topic (.+)$",
            "topic_edit",
            true,
            &["change"],
        ),
        form(
            r"^(.+?) set (?:a new|the same) background for this chat$",
            "set_chat_wallpaper",
            true,
            &[],
        ),
        form(
            r"^(.+?) requested your phone number$",
            "requested_phone_number",
            true,
            &[],
        ),
        form(
            r"^(?:You have successfully transferred|You were charged) .*$",
            "send_payment",
            false,
            &[],
        ),
        form(
            r"^(.+?) invited (.+)$",
            "invite_members",
            true,
            &["members"],
        ),
        form(
            r"^(.+?) removed (.+)$",
            "remove_members",
            true,
            &["members"],
        ),
    ]
});

/// The action of a service sentence (whitespace already collapsed). `linked` is the message
/// id its link points to (the pinned message), when it has one.
pub fn classify(text: &str, linked: Option<i64>) -> Action {
    for f in FORMS.iter() {
        let Some(caps) = f.pattern.captures(text) else {
            continue;
        };
        let mut groups = caps.iter().skip(1);
        let actor = if f.with_actor {
            groups.next().flatten().map(|m| m.as_str().to_string())
        } else {
            None
        };
        let mut details: Vec<(String, String)> = f
            .fields
            .iter()
            .zip(groups)
            .filter_map(|(name, m)| Some((name.to_string(), m?.as_str().to_string())))
            .collect();
        if let Some(id) = linked {
            let key = match f.action {
                "score_in_game" => "game_message_id",
                _ => "message_id",
            };
            details.push((key.to_string(), id.to_string()));
        }
        return Action {
            action: f.action.to_string(),
            actor,
            details,
        };
    }
    Action {
        action: "service".to_string(),
        actor: None,
        details: linked
            .map(|id| vec![("message_id".to_string(), id.to_string())])
            .unwrap_or_default(),
    }
}

/// The message id a `go_to_message` link points to: `#go_to_message123`,
/// `messages2.html#go_to_message123`, or an `onclick` of `return GoToMessage(123)`.
pub fn linked_message(href: Option<&str>, onclick: Option<&str>) -> Option<i64> {
    if let Some(id) = href
        .and_then(|h| h.rsplit_once("#go_to_message"))
        .and_then(|(_, id)| id.trim().parse().ok())
    {
        return Some(id);
    }
    onclick
        .and_then(|o| o.split_once("GoToMessage("))
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(id, _)| id.trim().parse().ok())
}
