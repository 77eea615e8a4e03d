//! Spreadsheet-safe CSV cells: tgscope's one CSV policy against CSV injection.
//!
//! Post texts, channel titles and names come from strangers, and researchers open CSV files in
//! spreadsheets, which run a cell that looks like a formula. Every CSV cell tgscope writes goes
//! through [`spreadsheet_safe`]. It is here, beside the other text functions, so that every
//! writer of CSV (the engine's lists, the network files of `tgscope-analyze`) shares it.

/// `cell`, with a `'` before it when a spreadsheet would read it as a formula (OWASP's advice
/// against CSV injection): it starts with `=`, `+`, `-`, `@`, a tab or a carriage return and is
/// not a plain number (`-1001234`, `-2.5` stay as they are).
///
/// This is tgscope's one CSV policy: every CSV it writes (the command line's exports, searches,
/// lists and counts, the API's downloads, and the node and edge lists of networks) applies it to
/// every cell (`tgscope_engine::export::CsvTable` does for lists). JSON keeps the text as it
/// is.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(
            spreadsheet_safe("=cmd|' /C calc'!A0"),
            "'=cmd|' /C calc'!A0"
        );
        assert_eq!(spreadsheet_safe("+7 495 000"), "'+7 495 000");
        assert_eq!(spreadsheet_safe("-США"), "'-США");
        assert_eq!(spreadsheet_safe("@mid_ru"), "'@mid_ru");
        assert_eq!(spreadsheet_safe("\tcmd"), "'\tcmd");
        assert_eq!(spreadsheet_safe("\rcmd"), "'\rcmd");
        assert_eq!(spreadsheet_safe("-1001234567890"), "-1001234567890");
        assert_eq!(spreadsheet_safe("-2.5"), "-2.5");
        assert_eq!(spreadsheet_safe("Москва"), "Москва");
        assert_eq!(spreadsheet_safe("санкции = 5"), "санкции = 5");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
