//! Word-level differences between two versions of a post, for `<ins>`/`<del>` marks.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

/// A stretch of text: the same in both versions, only in the new one, or only in the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffPiece {
    /// `same`, `ins` or `del`.
    pub change: &'static str,
    /// The text.
    pub text: String,
}

/// How long a diff may take before it settles for a coarser answer.
const DIFF_TIME: Duration = Duration::from_millis(200);

/// The differences from `old` to `new`, word by word (Unicode words, with the spaces and
/// punctuation between them), neighbouring pieces of one kind joined.
pub fn words(old: &str, new: &str) -> Vec<DiffPiece> {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME)
        .diff_unicode_words(old, new);
    let mut pieces: Vec<DiffPiece> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => "same",
            ChangeTag::Insert => "ins",
            ChangeTag::Delete => "del",
        };
        let text = change.value();
        match pieces.last_mut() {
            Some(last) if last.change == kind => last.text.push_str(text),
            _ => pieces.push(DiffPiece {
                change: kind,
                text: text.to_string(),
            }),
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(pieces: &[DiffPiece]) -> String {
        pieces
            .iter()
            .map(|p| match p.change {
                "ins" => format!("[+{}]", p.text),
                "del" => format!("[-{}]", p.text),
                _ => p.text.clone(),
            })
            .collect()
    }

    #[test]
    fn a_changed_word_is_deleted_and_inserted() {
        let pieces = words(
            "Министры встретились в Москве.",
            "Министры встретились в Минске.",
        );
        assert_eq!(
            marked(&pieces),
            "Министры встретились в [-Москве][+Минске]."
        );
    }

    #[test]
    fn an_added_clause_is_one_insertion() {
        let pieces = words("Statement of the day", "Statement of the day, corrected");
        assert_eq!(marked(&pieces), "Statement of the day[+, corrected]");
    }
}
