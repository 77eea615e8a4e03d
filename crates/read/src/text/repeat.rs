//! Finding the repeated copy of a post's body that plain-text captures of the web view carry.
//!
//! A captured post often reads `T A B C ... A B C ...`: its body, then the body again (whole or in
//! part, usually without its first line). The repeat is a subsequence of the body that starts at
//! one of the body's first lines and ends on its last line. Lines that really occur twice in the
//! body stay: only a block that repeats the body in order, anchored at both ends, is dropped.

/// Where a repeat lies in a run of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// The body is `lines[..body_end]`.
    pub body_end: usize,
    /// The repeat is `lines[body_end..repeat_end]`; lines from `repeat_end` on belong to the
    /// next post.
    pub repeat_end: usize,
}

/// How far into the body a repeat may start: the first lines are a title or a place-and-date
/// line that the repeated copy tends to leave out.
const MAX_SKIPPED_LEAD: usize = 3;

/// The most non-blank lines a post's body can have: Telegram caps a post at 4,096 characters,
/// so at most 2,048 lines of one character each.
pub const MAX_BODY_LINES: usize = 2048;

/// Finds the repeat in `keys` (one comparison key per line, blank lines already removed).
///
/// Among all splits `body = keys[..k]`, `repeat = keys[k..e]` where `repeat` is an in-order
/// subsequence of `body[s..]` with `repeat[0] == body[s]` (`s < 3`), the chosen one ends on the
/// body's last line if any does, then covers the most lines. A repeat must end on the body's last line, unless it runs to the end of `keys`
/// (a capture cut short), in which case it must hold at least two lines and a third of
/// `body[s..]`.
pub fn find(keys: &[&str]) -> Option<Repeat> {
    find_in(keys, false)
}

/// [`find`] over the first lines of a longer run: `more_follows` says that lines follow `keys`,
/// so no repeat can be "cut short at the end".
pub fn find_in(keys: &[&str], more_follows: bool) -> Option<Repeat> {
    // Candidates by growing body length. Once a whole repeat (ending on its body's last line)
    // is known to end at `first_whole_end`, a longer body reaching past that point would hold
    // a whole repeat of its own: it is two posts, not one, and ranks below any body that is one
    // post, so the search stops there. This keeps the work proportional to the post's size.
    let mut all = Vec::new();
    let mut first_whole_end = usize::MAX;
    let bound = keys.len().min(MAX_BODY_LINES + 1);
    let mut k = 1;
    while k < bound && k < first_whole_end {
        for s in 0..k.min(MAX_SKIPPED_LEAD) {
            if keys[k] != keys[s] {
                continue;
            }
            if let Some((end, last)) = match_subsequence(keys, k, s) {
                if last == k - 1 {
                    first_whole_end = first_whole_end.min(end);
                }
                all.push((k, s, end, last));
            }
        }
        k += 1;
    }
    let mut best: Option<(Repeat, (bool, usize, usize))> = None;
    for (k, s, end, last) in all {
        let matched = end - k;
        let ends_on_last = last == k - 1;
        let cut_short = !more_follows && end == keys.len() && matched >= 2 && matched * 3 >= k - s;
        if !(ends_on_last || cut_short) || k >= first_whole_end {
            continue;
        }
        // Prefer a repeat that ends on the body's last line over one cut short; then the
        // repeat that reaches furthest; then the longest.
        let rank = (ends_on_last, end, matched);
        if best.is_none_or(|(_, b)| rank > b) {
            best = Some((
                Repeat {
                    body_end: k,
                    repeat_end: end,
                },
                rank,
            ));
        }
    }
    best.map(|(r, _)| r)
}

/// Matches `keys[k..]` greedily as a subsequence of `keys[s..k]`. Returns the end of the matched
/// run in `keys` and the index in `keys` of the last body line matched.
fn match_subsequence(keys: &[&str], k: usize, s: usize) -> Option<(usize, usize)> {
    let mut i = k;
    let mut j = s;
    let mut last = None;
    while i < keys.len() {
        match (j..k).find(|&jj| keys[jj] == keys[i]) {
            Some(jj) => {
                last = Some(jj);
                j = jj + 1;
                i += 1;
            }
            None => break,
        }
    }
    last.map(|l| (i, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Option<(Vec<&str>, Vec<&str>, Vec<&str>)> {
        let keys: Vec<&str> = text.split(' ').collect();
        find(&keys).map(|r| {
            (
                keys[..r.body_end].to_vec(),
                keys[r.body_end..r.repeat_end].to_vec(),
                keys[r.repeat_end..].to_vec(),
            )
        })
    }

    #[test]
    fn whole_and_partial_repeats_are_found() {
        assert_eq!(
            split("T a b c a b c"),
            Some((vec!["T", "a", "b", "c"], vec!["a", "b", "c"], vec![]))
        );
        assert_eq!(
            split("a b c a b c"),
            Some((vec!["a", "b", "c"], vec!["a", "b", "c"], vec![]))
        );
        // A repeat that skips lines of the body but keeps its first and last.
        assert_eq!(
            split("T k b1 b2 b3 r h k r h"),
            Some((
                vec!["T", "k", "b1", "b2", "b3", "r", "h"],
                vec!["k", "r", "h"],
                vec![]
            ))
        );
    }

    #[test]
    fn lines_after_the_repeat_start_the_next_post() {
        assert_eq!(
            split("T a b R a b R U p q R2 p q R2"),
            Some((
                vec!["T", "a", "b", "R"],
                vec!["a", "b", "R"],
                vec!["U", "p", "q", "R2", "p", "q", "R2"]
            ))
        );
    }

    #[test]
    fn lines_that_really_occur_twice_stay() {
        // "x" occurs twice in the body and the body is then repeated.
        assert_eq!(
            split("T a x b x c a x b x c"),
            Some((
                vec!["T", "a", "x", "b", "x", "c"],
                vec!["a", "x", "b", "x", "c"],
                vec![]
            ))
        );
        // A refrain that does not repeat the body is not a repeat.
        assert_eq!(split("A B A"), None);
        assert_eq!(split("T a x b x"), None);
        assert_eq!(split("T a b c d a"), None);
    }

    #[test]
    fn a_whole_repeat_wins_over_a_longer_cut_short_one() {
        // "A k a R" repeated without its title, then a new post "B k b R" whose lines "k" and
        // "R" ("Key talking points:", "Read in full") also occur in the first.
        assert_eq!(
            split("A k a R k a R B k b R k b R"),
            Some((
                vec!["A", "k", "a", "R"],
                vec!["k", "a", "R"],
                vec!["B", "k", "b", "R", "k", "b", "R"]
            ))
        );
        // A post repeated whole, then a post sharing only an ellipsis line with it, repeated
        // without its title.
        assert_eq!(
            split("n0 e n1 n0 e n1 m0 e m1 e m1"),
            Some((
                vec!["n0", "e", "n1"],
                vec!["n0", "e", "n1"],
                vec!["m0", "e", "m1", "e", "m1"]
            ))
        );
    }

    #[test]
    fn a_repeat_cut_short_at_the_end_of_the_capture() {
        assert_eq!(
            split("T a b c d a b"),
            Some((vec!["T", "a", "b", "c", "d"], vec!["a", "b"], vec![]))
        );
        // One line is too little evidence when the repeat does not reach the body's end.
        assert_eq!(split("T a b c d e f a"), None);
    }
}
