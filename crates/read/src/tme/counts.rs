//! Counts as the web preview abbreviates them ("214.4K", "1.2M", "987", "12 345").

/// Reads a count as the page writes it: plain digits (with thin, plain or non-breaking spaces
/// or commas between groups), or a decimal with a `K`, `M` or `B` suffix right after it
/// ("214.4K" -> 214400).
/// Trailing words ("12.3K subscribers") are ignored. `None` when the text starts with no count.
pub fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim();
    let mut whole: u64 = 0;
    let mut fraction: u64 = 0;
    let mut fraction_digits: u32 = 0;
    let mut seen_digit = false;
    let mut in_fraction = false;
    let mut chars = text.char_indices().peekable();
    let mut rest = "";
    while let Some((i, c)) = chars.next() {
        match c {
            '0'..='9' => {
                let d = u64::from(c as u8 - b'0');
                seen_digit = true;
                if in_fraction {
                    // Digits past the third cannot change a count in thousands.
                    if fraction_digits < 9 {
                        fraction = fraction * 10 + d;
                        fraction_digits += 1;
                    }
                } else {
                    whole = whole.checked_mul(10)?.checked_add(d)?;
                }
            }
            '.' if seen_digit && !in_fraction => {
                if chars.peek().is_some_and(|(_, n)| n.is_ascii_digit()) {
                    in_fraction = true;
                } else {
                    rest = text.get(i + 1..).unwrap_or_default();
                    break;
                }
            }
            // Group separators between digits.
            ',' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'
                if seen_digit
                    && !in_fraction
                    && chars.peek().is_some_and(|(_, n)| n.is_ascii_digit()) => {}
            _ => {
                rest = text.get(i..).unwrap_or_default();
                break;
            }
        }
    }
    if !seen_digit {
        return None;
    }
    // A suffix sits right after the digits and ends its word ("1.2M", "12.3K subscribers").
    let mut suffix = rest.chars();
    let unit = suffix.next();
    let word_ends = suffix.next().is_none_or(|c| !c.is_alphanumeric());
    let multiplier: u64 = match unit {
        Some('K' | 'k') if word_ends => 1_000,
        Some('M' | 'm') if word_ends => 1_000_000,
        Some('B' | 'b') if word_ends => 1_000_000_000,
        _ => 1,
    };
    let scale = 10u64.checked_pow(fraction_digits)?;
    let whole_part = whole.checked_mul(multiplier)?;
    // The fraction scaled to the unit, rounded to the nearest whole count.
    let fraction_part = (fraction.checked_mul(multiplier)? + scale / 2) / scale;
    let fraction_part = if multiplier == 1 { 0 } else { fraction_part };
    whole_part.checked_add(fraction_part)
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn abbreviated_and_plain_counts() {
        let cases = [
            ("214.4K", Some(214_400)),
            ("1.2M", Some(1_200_000)),
            ("987", Some(987)),
            ("10K", Some(10_000)),
            ("12.3K subscribers", Some(12_300)),
            ("2.5K", Some(2_500)),
            ("1.25M", Some(1_250_000)),
            ("3B", Some(3_000_000_000)),
            ("3 bytes", Some(3)),
            ("7 Mb", Some(7)),
            ("12 345 subscribers", Some(12_345)),
            ("1,234", Some(1_234)),
            ("0", Some(0)),
            ("  42 views", Some(42)),
            ("1 subscriber", Some(1)),
            ("views", None),
            ("", None),
            ("K", None),
            ("99999999999999999999999", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_count(text), want, "{text:?}");
        }
    }
}
