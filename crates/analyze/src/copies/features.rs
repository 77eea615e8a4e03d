//! What the copy analysis compares of a post: its text without the channel's boilerplate, URLs
//! and mentions, folded as the search index folds words (and words made only of Latin/Cyrillic
//! look-alike letters written in the text's script), then hashed three ways (the whole text,
//! MinHash signatures over shingles, and long paragraphs).

use rustc_hash::FxHashSet as HashSet;

use tgscope_text::extract;
use tgscope_text::fold;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::Params;

/// How many of a post's first and last lines are looked at for boilerplate (headers, footers,
/// signatures).
const HEAD_LINES: usize = 1;
const TAIL_LINES: usize = 3;
/// The most header and footer lines a post has.
pub(super) const EDGE_LINES: usize = HEAD_LINES + TAIL_LINES;

/// The seed every MinHash permutation is derived from: fixed, so that the same archive always
/// gives the same signatures (and the same clusters).
const SEED: u64 = 0x7467_7363_6f70_6531;

/// Which shingles a signature was made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ShingleKind {
    /// Word n-grams ([`Params::word_shingle`] words), for longer posts.
    Words,
    /// Character n-grams ([`Params::char_shingle`] characters of the folded words), for
    /// shorter posts, where one changed word would change most word n-grams.
    Chars,
}

impl ShingleKind {
    fn tag(self) -> u64 {
        match self {
            ShingleKind::Words => 1,
            ShingleKind::Chars => 2,
        }
    }
}

/// A 64-bit hash in 32 bits (both halves folded): what the analysis keeps of a shingle or a
/// word. Sets of a few hundred values among 2^32 practically never share a value by chance.
pub fn hash32(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// A set of shingles: sorted, distinct 32-bit hashes ([`hash32`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shingles(pub Vec<u32>);

impl Shingles {
    fn from_hashes(mut hashes: Vec<u32>) -> Shingles {
        hashes.sort_unstable();
        hashes.dedup();
        Shingles(hashes)
    }

    /// How many distinct shingles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many shingles both sets hold.
    pub fn common(&self, other: &Shingles) -> usize {
        common(&self.0, &other.0)
    }

    /// Jaccard similarity |a ∩ b| / |a ∪ b| (0 when both are empty).
    pub fn jaccard(&self, other: &Shingles) -> f64 {
        jaccard(&self.0, &other.0)
    }

    /// Containment of the smaller set in the larger: |a ∩ b| / min(|a|, |b|).
    pub fn containment(&self, other: &Shingles) -> f64 {
        containment(&self.0, &other.0)
    }
}

/// How many values two sorted, distinct sets share.
fn common(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity of two sorted, distinct sets (0 when both are empty).
fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let shared = common(a, b);
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// Containment of the smaller of two sorted, distinct sets in the larger.
fn containment(a: &[u32], b: &[u32]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        0.0
    } else {
        common(a, b) as f64 / smaller as f64
    }
}

/// The MinHash permutations: `h_i(x) = (a_i · x + b_i) >> 32` over 32-bit shingle hashes, with
/// 64-bit `a_i` (odd) and `b_i` (multiply-add-shift, a strongly universal family); fixed by a
/// constant seed.
#[derive(Debug, Clone)]
pub struct Permutations {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl Permutations {
    /// `n` permutations.
    pub fn new(n: usize) -> Permutations {
        let mut state = SEED;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            a.push(next() | 1);
            b.push(next());
        }
        Permutations { a, b }
    }

    /// The signature of a shingle set: per permutation, the least value (`u32::MAX` for none).
    pub fn signature(&self, shingles: &Shingles) -> Vec<u32> {
        let xs = &shingles.0;
        let mut sig = Vec::with_capacity(self.a.len());
        // Four permutations at a time over the shingles, their minimums in registers: each
        // shingle is loaded once per four permutations, and the four chains run side by side.
        let (a4, a_rest) = self.a.as_chunks::<4>();
        let (b4, b_rest) = self.b.as_chunks::<4>();
        for (a, b) in a4.iter().zip(b4) {
            let mut min = [u64::MAX; 4];
            for &x in xs {
                let x = u64::from(x);
                for k in 0..4 {
                    min[k] = min[k].min(a[k].wrapping_mul(x).wrapping_add(b[k]) >> 32);
                }
            }
            sig.extend(min.iter().map(|m| (*m).min(u64::from(u32::MAX)) as u32));
        }
        for (a, b) in a_rest.iter().zip(b_rest) {
            let m = xs
                .iter()
                .map(|x| a.wrapping_mul(u64::from(*x)).wrapping_add(*b) >> 32)
                .min()
                .unwrap_or(u64::MAX);
            sig.push(m.min(u64::from(u32::MAX)) as u32);
        }
        sig
    }
}

/// The LSH band keys of a signature: band `j` hashes rows `j·r .. (j+1)·r` (with the band's
/// number and the shingle kind, so that keys of different bands and kinds never meet).
pub fn band_keys(signature: &[u32], rows: usize, kind: ShingleKind) -> Vec<u32> {
    signature
        .chunks(rows.max(1))
        .enumerate()
        .map(|(band, values)| {
            // The band's values as bytes, on the stack for the usual few rows.
            let mut stack = [0u8; 64];
            let mut heap = Vec::new();
            let bytes: &mut [u8] = if values.len() * 4 <= stack.len() {
                &mut stack[..values.len() * 4]
            } else {
                heap.resize(values.len() * 4, 0);
                &mut heap
            };
            for (chunk, v) in bytes.chunks_exact_mut(4).zip(values) {
                chunk.copy_from_slice(&v.to_le_bytes());
            }
            hash32(xxh3_64_with_seed(bytes, kind.tag() << 32 | band as u64))
        })
        .collect()
}

/// One post as the copy analysis sees it, with everything needed to compare it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Hash of the compared words: posts with the same value have the same text, as far as
    /// copies go (the exact tier). `None` for posts too short to compare.
    pub exact: Option<u64>,
    /// How many words are compared.
    pub words: usize,
    /// Word shingles, for every post with at least [`Params::near_min_words`] words.
    pub word_shingles: Option<Shingles>,
    /// Character shingles, when the post is short enough for them.
    pub char_shingles: Option<Shingles>,
    /// Hashes of the post's long paragraphs (partial reuse).
    pub paragraphs: Vec<u64>,
    /// Hashes of the distinct compared words, sorted: the words one post has of its own
    /// against another.
    pub vocabulary: Vec<u32>,
    /// Hashes of the numbers in the compared text (two posts of one template differ by them).
    pub numbers: Vec<u32>,
    /// Hashes of capitalised words that do not open a sentence: names.
    pub names: Vec<u32>,
    /// Keys of the header and footer lines: what the channel's boilerplate is learned from.
    pub edge_lines: Vec<u32>,
    /// Whether lines were left out as the channel's boilerplate.
    pub boilerplate_removed: bool,
}

impl Features {
    /// The shingles of a kind.
    pub fn shingles(&self, kind: ShingleKind) -> Option<&Shingles> {
        match kind {
            ShingleKind::Words => self.word_shingles.as_ref(),
            ShingleKind::Chars => self.char_shingles.as_ref(),
        }
    }

    /// The kind two posts are compared by: characters when both have them (short posts),
    /// else words (`None` when either is too short to compare but by its exact key).
    pub fn common_kind(&self, other: &Features) -> Option<ShingleKind> {
        self.sketch().common_kind(&other.sketch())
    }

    /// What [`compare`] looks at, borrowed.
    pub fn sketch(&self) -> Sketch<'_> {
        Sketch {
            exact: self.exact,
            words: self.words,
            word_shingles: self.word_shingles.as_ref().map(|s| s.0.as_slice()),
            char_shingles: self.char_shingles.as_ref().map(|s| s.0.as_slice()),
            paragraphs: &self.paragraphs,
            vocabulary: &self.vocabulary,
            numbers: &self.numbers,
            names: &self.names,
        }
    }
}

/// What the verification of a pair compares of a post ([`compare_sketches`]): a view of its
/// [`Features`], or of their packed form ([`Sketch::pack`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sketch<'a> {
    /// [`Features::exact`].
    pub exact: Option<u64>,
    /// [`Features::words`].
    pub words: usize,
    /// [`Features::word_shingles`].
    pub word_shingles: Option<&'a [u32]>,
    /// [`Features::char_shingles`].
    pub char_shingles: Option<&'a [u32]>,
    /// [`Features::paragraphs`].
    pub paragraphs: &'a [u64],
    /// [`Features::vocabulary`].
    pub vocabulary: &'a [u32],
    /// [`Features::numbers`].
    pub numbers: &'a [u32],
    /// [`Features::names`].
    pub names: &'a [u32],
}

/// Marks an absent shingle set in a [`PackedSketch`].
const ABSENT: u32 = u32::MAX;

impl<'a> Sketch<'a> {
    /// The shingles of a kind.
    fn shingles(&self, kind: ShingleKind) -> Option<&[u32]> {
        match kind {
            ShingleKind::Words => self.word_shingles,
            ShingleKind::Chars => self.char_shingles,
        }
    }

    /// See [`Features::common_kind`].
    fn common_kind(&self, other: &Sketch<'_>) -> Option<ShingleKind> {
        if self.char_shingles.is_some() && other.char_shingles.is_some() {
            Some(ShingleKind::Chars)
        } else if self.word_shingles.is_some() && other.word_shingles.is_some() {
            Some(ShingleKind::Words)
        } else {
            None
        }
    }

    /// The sketch in one block of 32-bit values, a header of lengths and then each list
    /// (without the paragraphs: the analysis keeps those of every text anyway). A rebuild keeps
    /// this compact form of every text until its pairs are verified ([`Sketch::unpack`]).
    pub fn pack(&self) -> Vec<u32> {
        let len = |s: Option<&[u32]>| s.map_or(ABSENT, |s| s.len() as u32);
        let exact = self.exact.unwrap_or(0);
        let mut v = Vec::with_capacity(
            PACKED_HEADER
                + self.word_shingles.map_or(0, <[u32]>::len)
                + self.char_shingles.map_or(0, <[u32]>::len)
                + self.vocabulary.len()
                + self.numbers.len()
                + self.names.len(),
        );
        v.extend([
            u32::from(self.exact.is_some()),
            exact as u32,
            (exact >> 32) as u32,
            self.words.min(u32::MAX as usize) as u32,
            len(self.word_shingles),
            len(self.char_shingles),
            self.vocabulary.len() as u32,
            self.numbers.len() as u32,
            self.names.len() as u32,
        ]);
        v.extend_from_slice(self.word_shingles.unwrap_or_default());
        v.extend_from_slice(self.char_shingles.unwrap_or_default());
        v.extend_from_slice(self.vocabulary);
        v.extend_from_slice(self.numbers);
        v.extend_from_slice(self.names);
        v
    }

    /// How many values a packed sketch that starts with this header has (`None` when the
    /// header is too short).
    pub fn packed_len(header: &[u32]) -> Option<usize> {
        let h = header.get(..PACKED_HEADER)?;
        let opt = |n: u32| if n == ABSENT { 0 } else { n as usize };
        Some(PACKED_HEADER + opt(h[4]) + opt(h[5]) + h[6] as usize + h[7] as usize + h[8] as usize)
    }

    /// The sketch that [`Sketch::pack`] made `values` of, with the text's paragraph hashes
    /// (`None` when the values are not a packed sketch).
    pub fn unpack(values: &'a [u32], paragraphs: &'a [u64]) -> Option<Sketch<'a>> {
        let v = values;
        if Self::packed_len(v) != Some(v.len()) {
            return None;
        }
        let mut at = PACKED_HEADER;
        let mut take = |n: usize| {
            let s = &v[at..at + n];
            at += n;
            s
        };
        let opt = |n: u32| (n != ABSENT).then_some(n as usize);
        let word_shingles = opt(v[4]).map(&mut take);
        let char_shingles = opt(v[5]).map(&mut take);
        let vocabulary = take(v[6] as usize);
        let numbers = take(v[7] as usize);
        let names = take(v[8] as usize);
        Some(Sketch {
            exact: (v[0] == 1).then(|| u64::from(v[1]) | u64::from(v[2]) << 32),
            words: v[3] as usize,
            word_shingles,
            char_shingles,
            paragraphs,
            vocabulary,
            numbers,
            names,
        })
    }
}

/// The header of a packed sketch: 9 values.
pub(super) const PACKED_HEADER: usize = 9;

/// The key of a line for boilerplate: its folded words, hashed (`None` for a line without
/// words, with more than `max_words`, or with a number).
fn line_key(line: &str, max_words: usize) -> Option<u32> {
    let mut joined = String::new();
    let mut n = 0;
    for w in fold::words(line) {
        n += 1;
        // A line with a number is content (a count, a date, a score), never boilerplate: a
        // template's varying line must stay in the comparison.
        if n > max_words || w.folded.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(&w.folded);
    }
    (n > 0).then(|| xxh3_64(joined.as_bytes()) as u32)
}

/// The keys of a text's header and footer lines: its first line and last three lines with
/// words, each of at most `max_words` words. A one-line post has
/// none (its line is its content).
pub fn edge_lines(text: &str, max_words: usize) -> Vec<u32> {
    EdgeLines::of(text, max_words).keys
}

/// A text's header and footer lines ([`edge_lines`]): where they are among its lines, with
/// their keys. Computed once per post: the channel's boilerplate is learned from the keys, and
/// [`features_with_edges`] leaves out the lines that are boilerplate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeLines {
    /// Places among the text's lines (`str::lines`), ascending, with the line's key.
    at: Vec<(usize, Option<u32>)>,
    /// The distinct keys, in the lines' order.
    keys: Vec<u32>,
}

impl EdgeLines {
    /// The header and footer lines of a text.
    pub fn of(text: &str, max_words: usize) -> EdgeLines {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = EdgeLines::default();
        for at in edge_positions(&lines) {
            let key = line_key(lines[at], max_words);
            if let Some(k) = key
                && !out.keys.contains(&k)
            {
                out.keys.push(k);
            }
            out.at.push((at, key));
        }
        out
    }

    /// The distinct keys of the lines.
    pub fn keys(&self) -> &[u32] {
        &self.keys
    }

    /// Whether line `at` is a header or footer line whose key is in `boilerplate`.
    fn is_boilerplate(&self, at: usize, boilerplate: &HashSet<u32>) -> bool {
        self.at
            .binary_search_by_key(&at, |(line, _)| *line)
            .ok()
            .and_then(|i| self.at[i].1)
            .is_some_and(|k| boilerplate.contains(&k))
    }
}

/// Where the header and footer lines of [`edge_lines`] are among `lines` (a text's lines),
/// ascending.
fn edge_positions(lines: &[&str]) -> Vec<usize> {
    let with_words: Vec<usize> = (0..lines.len())
        .filter(|i| fold::words(lines[*i]).next().is_some())
        .collect();
    if with_words.len() < 2 {
        return Vec::new();
    }
    let tail_from = with_words.len().saturating_sub(TAIL_LINES).max(HEAD_LINES);
    with_words
        .iter()
        .enumerate()
        .filter(|(n, _)| *n < HEAD_LINES || *n >= tail_from)
        .map(|(_, at)| *at)
        .collect()
}

/// The script of a text's letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
}

/// The Cyrillic look-alike of a Latin letter (the pairs `tgscope_text::fold` folds).
fn latin_lookalike(c: char) -> Option<char> {
    fold::to_cyrillic(c)
}

/// The Latin look-alike of a Cyrillic letter.
fn cyrillic_lookalike(c: char) -> Option<char> {
    fold::to_latin(c)
}

/// The script of most of the folded words' letters that have no look-alike in the other
/// script (`n`, `r`, `s` against `и`, `л`, `я`): a copy that swaps look-alike letters keeps
/// it. `None` when even.
fn main_script<'a>(folded: impl Iterator<Item = &'a str>) -> Option<Script> {
    let (mut latin, mut cyrillic) = (0usize, 0usize);
    for c in folded.flat_map(str::chars) {
        if fold::is_latin_letter(c) && latin_lookalike(c).is_none() {
            latin += 1;
        } else if fold::is_cyrillic_letter(c) && cyrillic_lookalike(c).is_none() {
            cyrillic += 1;
        }
    }
    match latin.cmp(&cyrillic) {
        std::cmp::Ordering::Greater => Some(Script::Latin),
        std::cmp::Ordering::Less => Some(Script::Cyrillic),
        std::cmp::Ordering::Equal => None,
    }
}

/// A folded word as compared in a text of `script`. A word whose letters all have a
/// look-alike in the other script (`москва`, `a`, `to`) may be written in either script, or in
/// both, and folding a word alone cannot tell which it is (`тo` folds to `то`, `mосква` stays
/// Latin): it is written in the text's script. Other words stay as folded.
fn in_script(folded: String, script: Option<Script>) -> String {
    let Some(script) = script else {
        return folded;
    };
    let mut letters = 0;
    for c in folded.chars() {
        if fold::is_latin_letter(c) {
            if latin_lookalike(c).is_none() {
                return folded;
            }
            letters += 1;
        } else if fold::is_cyrillic_letter(c) {
            if cyrillic_lookalike(c).is_none() {
                return folded;
            }
            letters += 1;
        }
    }
    if letters == 0 {
        return folded;
    }
    folded
        .chars()
        .map(|c| match script {
            Script::Latin => cyrillic_lookalike(c).unwrap_or(c),
            Script::Cyrillic => latin_lookalike(c).unwrap_or(c),
        })
        .collect()
}

/// The sentences of a line when it has more than one: split after `.`, `!`, `?`, `…` or `:`
/// followed by a space (an abbreviation splits too: only long sentences are used).
fn sentences(line: &str) -> impl Iterator<Item = &str> {
    let mut cuts = vec![0];
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '…' | ':')
            && chars.peek().is_some_and(|(_, n)| n.is_whitespace())
        {
            cuts.push(i + c.len_utf8());
        }
    }
    cuts.push(line.len());
    let several = cuts.len() > 2;
    cuts.windows(2)
        .filter(move |_| several)
        .map(move |w| line[w[0]..w[1]].trim())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Whether the char before byte `at` ends a sentence or a line (or there is none): a
/// capitalised word there is a sentence's or a line's first word (a headline's, a footer's),
/// not a name.
fn opens_sentence(text: &str, at: usize) -> bool {
    for c in text[..at].chars().rev() {
        if c == '\n' {
            return true;
        }
        if c.is_whitespace() || matches!(c, '«' | '"' | '(' | '“' | '„' | '\'' | '—' | '-') {
            continue;
        }
        return matches!(c, '.' | '!' | '?' | ':' | '…' | '•' | '*') || !c.is_alphanumeric();
    }
    true
}

/// Computes a post's features, given its channel's boilerplate (the keys of lines learned to
/// recur in the channel, see [`super::Boilerplate`]).
pub fn features(
    text: &str,
    boilerplate: &HashSet<u32>,
    params: &Params,
    perms: &Permutations,
) -> (Features, Vec<(ShingleKind, Vec<u32>)>) {
    let edges = EdgeLines::of(text, params.boilerplate_max_words);
    features_with_edges(text, &edges, boilerplate, params, perms)
}

/// [`features`] of a text whose header and footer lines are already known.
pub fn features_with_edges(
    text: &str,
    edges: &EdgeLines,
    boilerplate: &HashSet<u32>,
    params: &Params,
    perms: &Permutations,
) -> (Features, Vec<(ShingleKind, Vec<u32>)>) {
    // Leave out the header and footer lines that are boilerplate (those the channel's counts
    // are learned from: a line elsewhere in the post is content), unless nothing with words
    // would be left.
    let mut kept: Vec<&str> = Vec::new();
    let mut removed = false;
    if !boilerplate.is_empty() && !edges.keys.is_empty() {
        for (at, line) in text.lines().enumerate() {
            if edges.is_boilerplate(at, boilerplate) {
                removed = true;
            } else {
                kept.push(line);
            }
        }
        if !kept.iter().any(|l| fold::words(l).next().is_some()) {
            kept = text.lines().collect();
            removed = false;
        }
    } else {
        kept = text.lines().collect();
    }
    let joined_lines = kept.join("\n");
    // URLs and mentions are left out (copies swap them; attribution looks at them apart): each
    // is written over with spaces, so that every other word keeps its place.
    let found = extract::all(&joined_lines);
    let mut spans: Vec<std::ops::Range<usize>> = found
        .links
        .iter()
        .filter_map(|l| l.span)
        .chain(found.mentions.iter().map(|m| m.span))
        .map(|s| s.start..s.end)
        .filter(|r| {
            r.start <= r.end
                && joined_lines.is_char_boundary(r.start)
                && joined_lines.is_char_boundary(r.end)
        })
        .collect();
    spans.sort_unstable_by_key(|r| (r.start, r.end));
    let content = if spans.is_empty() {
        joined_lines
    } else {
        let mut out = String::with_capacity(joined_lines.len());
        let mut at = 0;
        for r in spans {
            if r.end <= at {
                continue;
            }
            let start = r.start.max(at);
            out.push_str(&joined_lines[at..start]);
            out.extend(std::iter::repeat_n(' ', r.end - start));
            at = r.end;
        }
        out.push_str(&joined_lines[at..]);
        out
    };

    let folded: Vec<fold::FoldedWord<'_>> = fold::words(&content).collect();
    let script = main_script(folded.iter().map(|w| w.folded.as_str()));
    let mut words: Vec<String> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut vocabulary: Vec<u32> = Vec::new();
    let mut numbers: Vec<u32> = Vec::new();
    let mut names: Vec<u32> = Vec::new();
    for w in folded {
        let word = in_script(w.folded, script);
        let h = hash32(xxh3_64(word.as_bytes()));
        if word.chars().any(|c| c.is_ascii_digit()) {
            numbers.push(h);
        } else if w.raw.chars().next().is_some_and(char::is_uppercase)
            && !opens_sentence(&content, w.start)
        {
            names.push(h);
        }
        vocabulary.push(h);
        starts.push(w.start);
        words.push(word);
    }
    vocabulary.sort_unstable();
    vocabulary.dedup();
    numbers.sort_unstable();
    numbers.dedup();
    names.sort_unstable();
    names.dedup();

    let mut f = Features {
        words: words.len(),
        vocabulary,
        numbers,
        names,
        edge_lines: edges.keys.clone(),
        boilerplate_removed: removed,
        ..Features::default()
    };
    if words.len() < params.min_words {
        return (f, Vec::new());
    }
    let joined = words.join(" ");
    f.exact = Some(xxh3_64(joined.as_bytes()));

    // Long paragraphs (lines) and long sentences, for partial reuse: a quoted sentence is
    // often set inside a line of the quoting post's own words. The words of each are those of
    // the content already folded, taken by their place (no word is folded twice).
    let mut unit = String::new();
    let mut line_start = 0;
    for line in content.split('\n') {
        let line_end = line_start + line.len();
        let units = std::iter::once(line).chain(sentences(line));
        for part in units {
            // Where the part lies in the content (it is a slice of `line`).
            let at = line_start + (part.as_ptr() as usize - line.as_ptr() as usize);
            let end = at + part.len();
            unit.clear();
            let first = starts.partition_point(|s| *s < at);
            for (start, word) in starts[first..].iter().zip(&words[first..]) {
                if *start >= end || *start >= line_end {
                    break;
                }
                if !unit.is_empty() {
                    unit.push(' ');
                }
                unit.push_str(word);
            }
            if unit.chars().count() >= params.paragraph_min_chars {
                let h = xxh3_64_with_seed(unit.as_bytes(), 3);
                if !f.paragraphs.contains(&h) {
                    f.paragraphs.push(h);
                }
            }
        }
        line_start = line_end + 1;
    }
    f.paragraphs.sort_unstable();

    if words.len() < params.near_min_words {
        return (f, Vec::new());
    }
    let mut bands = Vec::new();
    // Word shingles for every post compared (containment and longer posts' Jaccard); a
    // signature of them only for posts long enough that one changed word leaves most intact.
    let n = params.word_shingle.max(1);
    let hashes = if words.len() <= n {
        vec![hash32(xxh3_64_with_seed(
            joined.as_bytes(),
            ShingleKind::Words.tag(),
        ))]
    } else {
        let mut shingle = String::new();
        words
            .windows(n)
            .map(|w| {
                shingle.clear();
                for (i, word) in w.iter().enumerate() {
                    if i > 0 {
                        shingle.push('\u{1f}');
                    }
                    shingle.push_str(word);
                }
                hash32(xxh3_64_with_seed(
                    shingle.as_bytes(),
                    ShingleKind::Words.tag(),
                ))
            })
            .collect()
    };
    let s = Shingles::from_hashes(hashes);
    if words.len() >= params.word_shingle_min_words {
        bands.push((
            ShingleKind::Words,
            band_keys(&perms.signature(&s), params.rows, ShingleKind::Words),
        ));
    }
    f.word_shingles = Some(s);
    if words.len() < params.char_shingle_max_words {
        // Every n characters of the joined words, hashed where they lie.
        let mut bounds: Vec<usize> = joined.char_indices().map(|(i, _)| i).collect();
        bounds.push(joined.len());
        let n = params.char_shingle.max(1);
        let hashes = if bounds.len() - 1 <= n {
            vec![hash32(xxh3_64_with_seed(
                joined.as_bytes(),
                ShingleKind::Chars.tag(),
            ))]
        } else {
            bounds
                .windows(n + 1)
                .map(|w| {
                    hash32(xxh3_64_with_seed(
                        &joined.as_bytes()[w[0]..w[n]],
                        ShingleKind::Chars.tag(),
                    ))
                })
                .collect()
        };
        let s = Shingles::from_hashes(hashes);
        bands.push((
            ShingleKind::Chars,
            band_keys(&perms.signature(&s), params.rows, ShingleKind::Chars),
        ));
        f.char_shingles = Some(s);
    }
    (f, bands)
}

/// Whether two posts are of one template: each has words of its own (words the other lacks),
/// and numbers or names make at least half of them (the same text with another number, or
/// another name in place of a name). A copy that also left out or added other words (a
/// sentence, its channel's footer) is not.
fn one_template(a: &Sketch<'_>, b: &Sketch<'_>) -> bool {
    /// How many of `x`'s own words against `y` are numbers or names, and how many are not.
    fn own_words(x: &Sketch<'_>, y: &Sketch<'_>) -> (usize, usize) {
        let (mut marked, mut other) = (0, 0);
        for w in x.vocabulary {
            if y.vocabulary.binary_search(w).is_ok() {
                continue;
            }
            if x.numbers.binary_search(w).is_ok() || x.names.binary_search(w).is_ok() {
                marked += 1;
            } else {
                other += 1;
            }
        }
        (marked, other)
    }
    let (a_marked, a_other) = own_words(a, b);
    let (b_marked, b_other) = own_words(b, a);
    a_marked > 0 && b_marked > 0 && a_other <= a_marked && b_other <= b_marked
}

/// Whether every value of sorted `small` is in sorted `large`.
fn all_in(small: &[u32], large: &[u32]) -> bool {
    small.iter().all(|x| large.binary_search(x).is_ok())
}

/// How two posts' texts relate, when they do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Match {
    /// The same text or nearly (Jaccard at least [`Params::jaccard`]).
    Full {
        /// Jaccard similarity of the shingles.
        jaccard: f64,
        /// Containment of the smaller shingle set in the larger.
        containment: f64,
    },
    /// One text reused inside a longer one: a shared long paragraph, or the smaller text's
    /// shingles at least [`Params::containment`] contained in the larger's.
    Partial {
        /// Jaccard similarity of the shingles (0 when no kind is common).
        jaccard: f64,
        /// Containment of the smaller shingle set in the larger.
        containment: f64,
    },
}

impl Match {
    /// The Jaccard similarity.
    pub fn jaccard(&self) -> f64 {
        match self {
            Match::Full { jaccard, .. } | Match::Partial { jaccard, .. } => *jaccard,
        }
    }

    /// The containment.
    pub fn containment(&self) -> f64 {
        match self {
            Match::Full { containment, .. } | Match::Partial { containment, .. } => *containment,
        }
    }
}

/// Compares two posts exactly (the verification of every candidate pair): `None` when they
/// are not copies of each other.
///
/// Two posts of one template (the same text with another number, or another name in place of
/// a name) are not copies: a full match needs them not to differ mainly by numbers or names on
/// both sides (see `one_template`), and a partial one needs the smaller text's numbers and
/// names in the larger.
pub fn compare(a: &Features, b: &Features, params: &Params) -> Option<Match> {
    compare_sketches(&a.sketch(), &b.sketch(), params)
}

/// [`compare`] of two sketches.
pub fn compare_sketches(a: &Sketch<'_>, b: &Sketch<'_>, params: &Params) -> Option<Match> {
    let (Some(ea), Some(eb)) = (a.exact, b.exact) else {
        return None;
    };
    if ea == eb {
        return Some(Match::Full {
            jaccard: 1.0,
            containment: 1.0,
        });
    }
    let (jaccard, containment) = match a.common_kind(b) {
        Some(kind) => {
            let (sa, sb) = (a.shingles(kind)?, b.shingles(kind)?);
            (jaccard(sa, sb), containment(sa, sb))
        }
        None => (0.0, 0.0),
    };
    if jaccard >= params.jaccard && !one_template(a, b) {
        return Some(Match::Full {
            jaccard,
            containment,
        });
    }
    let (small, large) = if a.words <= b.words { (a, b) } else { (b, a) };
    let template_free = all_in(small.numbers, large.numbers) && all_in(small.names, large.names);
    let shared_paragraph = a
        .paragraphs
        .iter()
        .any(|p| b.paragraphs.binary_search(p).is_ok());
    if shared_paragraph
        || (containment >= params.containment
            && small.words >= params.near_min_words
            && template_free)
    {
        return Some(Match::Partial {
            jaccard,
            containment,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(text: &str) -> Features {
        let params = Params::default();
        features(
            text,
            &HashSet::default(),
            &params,
            &Permutations::new(params.permutations()),
        )
        .0
    }

    #[test]
    fn case_yo_lookalikes_emoji_urls_and_hash_signs_do_not_change_the_exact_key() {
        let a = feats("Сергей Лавров провёл переговоры с министром иностранных дел Китая #СНГ");
        let b = feats(
            "🇷🇺 СЕРГЕЙ ЛАВРОВ провел переговоры с министрoм иностранных дел Китая СНГ https://t.me/x/1",
        );
        assert!(a.exact.is_some());
        assert_eq!(a.exact, b.exact);
    }

    #[test]
    fn very_short_posts_have_nothing_to_compare() {
        for text in [
            "👍",
            "Video",
            "",
            "   ",
            "🔥🔥🔥",
            "https://example.com/a",
            "@channel",
        ] {
            let f = feats(text);
            assert_eq!(f.exact, None, "{text:?}");
            assert!(f.word_shingles.is_none() && f.char_shingles.is_none());
        }
    }

    #[test]
    fn jaccard_and_containment_of_shingle_sets() {
        let a = Shingles::from_hashes(vec![1, 2, 3, 4]);
        let b = Shingles::from_hashes(vec![3, 4, 5, 6]);
        assert_eq!(a.common(&b), 2);
        assert!((a.jaccard(&b) - 2.0 / 6.0).abs() < 1e-9);
        assert!((a.containment(&b) - 0.5).abs() < 1e-9);
        let c = Shingles::from_hashes(vec![2, 3]);
        assert!((c.containment(&a) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn signatures_estimate_jaccard() {
        let perms = Permutations::new(256);
        let a = Shingles::from_hashes(
            (0..200u64)
                .map(|x| hash32(xxh3_64(&x.to_le_bytes())))
                .collect(),
        );
        let b = Shingles::from_hashes(
            (50..250u64)
                .map(|x| hash32(xxh3_64(&x.to_le_bytes())))
                .collect(),
        );
        let (sa, sb) = (perms.signature(&a), perms.signature(&b));
        let same = sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / 256.0;
        let exact = a.jaccard(&b);
        assert!((same - exact).abs() < 0.1, "estimate {same} vs {exact}");
    }

    #[test]
    fn numbers_and_names_that_differ_on_both_sides_make_a_template_not_a_copy() {
        let base = "Air raid alert in the region. Everyone must go to the nearest shelter now \
                    and stay there until the all clear is given by the regional administration \
                    of the city, reported at 14:00 today by the duty officer";
        let a = feats(base);
        let b = feats(&base.replace("14:00", "16:30"));
        assert_eq!(compare(&a, &b, &Params::default()), None);
        let c = feats(&format!("{base}. Stay safe."));
        assert!(matches!(
            compare(&a, &c, &Params::default()),
            Some(Match::Full { .. })
        ));
    }

    #[test]
    fn a_sentence_opening_capital_is_not_a_name() {
        let f = feats("Today the minister met Lavrov. Then he left for Moscow and spoke");
        assert_eq!(f.names.len(), 2, "Lavrov and Moscow, not Today or Then");
    }
}
