//! The copies benchmark: a labelled corpus of Telegram posts with copy chains and hard
//! negatives ([`generate`]), its ground truth, and the measurement of tgscope's copy analysis
//! against it ([`run`]).
//!
//! # The corpus (`copies-corpus`)
//!
//! Channels (one per ~150 posts, 65% Russian, 35% English) each have a habit: a footer or a
//! signature ("Подписаться | @chan", "Subscribe: @chan", "— Name Surname", a bot link), a
//! series header, hashtags, emoji. Posts (5 to ~150 words, mostly 20–80) come in units:
//!
//! - **chains** (~35% of posts): an original and 1–40 reposts in other channels of the same
//!   language, each copied from the original or from an earlier copy, with the edits reposts
//!   make: the footer replaced (or kept and another added), emoji added, hashtags added or
//!   removed, a sentence dropped or added, a source line, a header, a word swapped, and
//!   truncation with "Читать полностью"/"Read in full" and a link;
//! - **template families** (~6%): posts of one channel that differ only by a number or a name
//!   (rates, weather, birthdays): not copies;
//! - **topic groups** (~12%): posts of one channel and topic with the channel's series header
//!   and one shared background sentence: not copies;
//! - **unique posts**: the rest, in the channel's topics (shared vocabulary).
//!
//! Post ids follow time (reposts come after their source). The corpus folder holds
//! `posts.jsonl` (ordered by channel, then post id, so a channel is one run of lines),
//! `corpus.json` (counts), and unless `--no-truth`: `shingles.jsonl` (per post, the shingle
//! sets tgscope compares, computed by the analysis itself with the channel's learned
//! boilerplate, so that peers hash the very same sets) and `truth_pairs.jsonl` (every pair with
//! exact Jaccard ≥ [`Params::jaccard`] on the kind tgscope compares the two posts by, found by
//! an exact all-pairs similarity join with prefix filtering, and pairs of equal compared text
//! among posts too short for shingles).
//!
//! # The measurement (`copies-run`)
//!
//! 1. Single thread, on the sets of `shingles.jsonl` that tgscope signs: MinHash signatures and
//!    band keys ([`Permutations::signature`], [`features::band_keys`]), candidate pairs by
//!    sorting each band's keys (as `CopyState` does, with its hot-bucket limit), and exact
//!    Jaccard verification: times per stage and candidate recall at Jaccard ≥ 0.7.
//! 2. [`CopyState::rebuild`] end to end on every core (features from the text, boilerplate,
//!    exact, near and partial tiers, clusters): time, peak memory, precision and recall of its
//!    pairs against the chains and against exact Jaccard, and cluster quality.
//! 3. [`CopyState::update`] with the newest posts, on a state rebuilt without them, the
//!    archive given by an in-memory map; the result is compared with the full rebuild.
//!
//! `--scale` skips the ground truth: the rebuild streams the posts one channel at a time from
//! `posts.jsonl` (as the engine reads them from the archive) and reports time and peak memory,
//! then the update.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tgscope_analyze::copies::{
    Cluster, ClusterBasis, CopyPost, CopyState, Params, Permutations, Rebuild, ShingleKind,
    Shingles, StateError, features,
};

use crate::rng::Rng;

// ---------------------------------------------------------------------------------------------
// Files

/// What a post of the corpus is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    /// The first post of a chain.
    Original,
    /// A repost in a chain.
    Copy,
    /// A post of a template family (differs from its family by a number or a name).
    Template,
    /// A post of a topic group (same channel, topic, header and a shared sentence).
    Topic,
    /// A standalone post.
    Unique,
}

/// One line of `posts.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostRecord {
    /// Post id (ids follow time).
    pub post_id: i64,
    /// Channel id.
    pub channel_id: i64,
    /// The post's text.
    pub text: String,
    /// The copy chain it belongs to, if any.
    pub chain: Option<u64>,
    /// What it is.
    pub kind: PostKind,
    /// Its template family or topic group, if any.
    #[serde(default)]
    pub family: Option<u64>,
    /// The post of the chain it was copied from (copies only).
    #[serde(default)]
    pub source: Option<i64>,
    /// The edits made to its source (copies only).
    #[serde(default)]
    pub edits: Vec<String>,
}

/// One line of `shingles.jsonl`: a shingle set tgscope compares a post by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShingleRecord {
    /// Post id.
    pub post_id: i64,
    /// `words` (3-word shingles) or `chars` (5-character shingles).
    pub kind: String,
    /// Whether tgscope makes a MinHash signature of it (word sets only for posts of at least
    /// [`Params::word_shingle_min_words`] words; other word sets serve verification only).
    pub signed: bool,
    /// The shingle hashes, ascending and distinct.
    pub hashes: Vec<u32>,
}

/// One line of `truth_pairs.jsonl`: a pair of posts with exact Jaccard ≥ the threshold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthPair {
    /// The lower post id.
    pub a: i64,
    /// The higher post id.
    pub b: i64,
    /// Exact Jaccard of their sets of `kind`.
    pub jaccard: f64,
    /// `words`, `chars`, or `exact` (equal compared text of posts too short for shingles).
    pub kind: String,
}

/// `corpus.json`: what was generated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpusSummary {
    /// The folder.
    pub dir: String,
    /// The seed.
    pub seed: u64,
    /// Posts.
    pub posts: u64,
    /// Channels.
    pub channels: u64,
    /// Copy chains.
    pub chains: u64,
    /// Posts by kind.
    pub kinds: BTreeMap<String, u64>,
    /// Posts in chains of each size.
    pub chain_sizes: BTreeMap<u64, u64>,
    /// Copies with each edit.
    pub edits: BTreeMap<String, u64>,
    /// Mean words per post (whitespace-separated tokens of the text).
    pub mean_words: f64,
    /// Bytes of posts.jsonl.
    pub bytes: u64,
    /// Whether the ground truth was written.
    pub truth: bool,
    /// Pairs with exact Jaccard ≥ 0.7 (when the truth was written), by kind.
    pub truth_pairs: BTreeMap<String, u64>,
    /// Seconds to generate and write the posts.
    pub generate_seconds: f64,
    /// Seconds to compute and write the ground truth.
    pub truth_seconds: f64,
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const RU_FUNCTION: &[&str] = &[
    "в",
    "на",
    "по",
    "из",
    "за",
    "и",
    "но",
    "что",
    "как",
    "не",
    "уже",
    "также",
    "после",
    "перед",
    "около",
    "более",
    "это",
    "его",
    "их",
    "для",
    "при",
    "с",
    "к",
    "о",
    "до",
    "от",
    "так",
    "все",
    "же",
    "бы",
    "или",
    "который",
    "этого",
    "года",
    "время",
    "будет",
    "было",
    "может",
];
const EN_FUNCTION: &[&str] = &[
    "the", "a", "of", "to", "in", "and", "for", "on", "with", "at", "by", "from", "that", "is",
    "was", "it", "as", "be", "are", "has", "have", "will", "after", "before", "about", "more",
    "than", "said", "this", "which", "their", "its", "been", "new", "over", "into",
];
const RU_CONSONANTS: &[&str] = &[
    "б", "в", "г", "д", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ц", "ч", "ш", "ж",
    "ст", "пр", "кр", "тр", "гр",
];
const RU_VOWELS: &[&str] = &["а", "е", "и", "о", "у", "ы", "я", "ю"];
const RU_ENDINGS: &[&str] = &[
    "", "", "ов", "ая", "ие", "ный", "ать", "ость", "ский", "ами", "ного", "ению",
];
const EN_CONSONANTS: &[&str] = &[
    "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "pr", "tr",
    "br", "sh", "ch",
];
const EN_VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ea", "ou"];
const EN_ENDINGS: &[&str] = &[
    "", "", "tion", "ing", "er", "ed", "ly", "s", "ment", "ness", "al",
];
const EMOJI: &[&str] = &[
    "🔥", "⚡️", "❗️", "📌", "👉", "✅", "💥", "📈", "🚨", "🇷🇺", "🌍", "😱", "👀", "💬",
];
const RU_COMMENTS: &[&str] = &[
    "Ждём подробностей.",
    "Как вам такое?",
    "Следим за развитием событий.",
    "Очень важно, прочитайте.",
    "Делимся с вами.",
    "Ну и новости.",
    "Что думаете?",
    "Важно знать каждому.",
];
const EN_COMMENTS: &[&str] = &[
    "More details to follow.",
    "What do you think?",
    "We are following the story.",
    "Worth reading.",
    "Sharing this with you.",
    "Big if true.",
    "Stay tuned.",
    "Important.",
];
const RU_MONTHS: &[&str] = &[
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
];
const EN_MONTHS: &[&str] = &[
    "January", "February", "March", "April", "May", "June", "July", "August",
];

/// One language's words.
struct Language {
    ru: bool,
    function: &'static [&'static str],
    /// Content words (pseudo-words made of the language's syllables).
    words: Vec<String>,
    /// Capitalised names.
    names: Vec<String>,
    /// Each topic's content words (indices into `words`).
    topics: Vec<Vec<usize>>,
    /// Hashtags (without `#`).
    tags: Vec<String>,
}

const TOPICS: usize = 40;
const TOPIC_WORDS: usize = 250;

impl Language {
    fn new(ru: bool, rng: &mut Rng, vocabulary: usize) -> Language {
        let (cons, vows, ends) = if ru {
            (RU_CONSONANTS, RU_VOWELS, RU_ENDINGS)
        } else {
            (EN_CONSONANTS, EN_VOWELS, EN_ENDINGS)
        };
        let mut seen = HashSet::new();
        // A new word of about `syllables` syllables (one more after a few words already seen).
        let mut make = |rng: &mut Rng, syllables: u64| {
            let mut attempt = 0u64;
            loop {
                let mut w = String::new();
                for _ in 0..syllables.max(1) + attempt / 4 {
                    w.push_str(rng.pick(cons));
                    w.push_str(rng.pick(vows));
                }
                w.push_str(rng.pick(ends));
                if seen.insert(w.clone()) {
                    return w;
                }
                attempt += 1;
            }
        };
        let words: Vec<String> = (0..vocabulary)
            .map(|_| {
                let s = rng.range(1, 5);
                make(rng, s)
            })
            .collect();
        let names: Vec<String> = (0..600)
            .map(|_| {
                let s = rng.range(2, 4);
                capitalise(&make(rng, s))
            })
            .collect();
        let topics = (0..TOPICS)
            .map(|_| {
                (0..TOPIC_WORDS)
                    .map(|_| rng.below(words.len() as u64) as usize)
                    .collect()
            })
            .collect();
        let tags = (0..60)
            .map(|_| {
                let s = rng.range(2, 4);
                make(rng, s)
            })
            .collect();
        Language {
            ru,
            function: if ru { RU_FUNCTION } else { EN_FUNCTION },
            words,
            names,
            topics,
            tags,
        }
    }

    fn name(&self, rng: &mut Rng) -> &str {
        &self.names[zipf(rng, self.names.len())]
    }

    fn number(&self, rng: &mut Rng) -> String {
        match rng.below(6) {
            0 => format!("{}", rng.range(2, 100)),
            1 => format!("{},{}", rng.range(1, 200), rng.range(1, 10)),
            2 => format!("{}%", rng.range(1, 100)),
            3 => format!("{}", rng.range(2015, 2027)),
            4 => {
                let months = if self.ru { RU_MONTHS } else { EN_MONTHS };
                format!("{} {}", rng.range(1, 29), rng.pick(months))
            }
            _ => format!("{}", rng.range(100, 50_000)),
        }
    }

    /// A sentence of `topic`: 6–18 words, maybe a name and a number.
    fn sentence(&self, rng: &mut Rng, topic: usize) -> String {
        let n = rng.range(6, 19) as usize;
        let mut words: Vec<String> = Vec::with_capacity(n + 2);
        for _ in 0..n {
            let r = rng.below(100);
            let w = if r < 35 {
                rng.pick(self.function).to_string()
            } else if r < 82 {
                let t = &self.topics[topic];
                self.words[t[zipf(rng, t.len())]].clone()
            } else {
                self.words[zipf(rng, self.words.len())].clone()
            };
            words.push(w);
        }
        if rng.chance(300) {
            let at = rng.range(1, n as u64) as usize;
            words.insert(at, self.name(rng).to_string());
        }
        if rng.chance(250) {
            let at = rng.range(1, words.len() as u64) as usize;
            words.insert(at, self.number(rng));
        }
        words[0] = capitalise(&words[0]);
        let mut s = String::new();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                s.push_str(if rng.chance(60) { ", " } else { " " });
            }
            s.push_str(w);
        }
        s.push_str(match rng.below(20) {
            0 => "!",
            1 => "?",
            _ => ".",
        });
        s
    }
}

/// An index in `0..n`, lower ones far likelier (about 1/(rank+1)).
fn zipf(rng: &mut Rng, n: usize) -> usize {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let r = ((n as f64 + 1.0).ln() * u).exp() - 1.0;
    (r as usize).min(n - 1)
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Channels and posts

struct Channel {
    id: i64,
    user: String,
    ru: bool,
    topics: Vec<usize>,
    /// The footer lines every post of the channel ends with (mostly).
    footer: Vec<String>,
    /// Share (per mille) of its posts with the footer.
    footer_rate: u64,
    /// The header of its series posts.
    series: String,
    /// Its hashtags and how often (per mille) a post has them.
    tags: Vec<String>,
    tag_rate: u64,
    emoji_rate: u64,
}

impl Channel {
    fn new(i: usize, rng: &mut Rng, ru: &Language, en: &Language) -> Channel {
        let is_ru = rng.chance(650);
        let lang = if is_ru { ru } else { en };
        let user = format!(
            "{}_{}",
            translit(&lang.words[rng.below(lang.words.len() as u64) as usize]),
            i
        );
        let title = format!("{} {}", lang.name(rng), lang.name(rng));
        let author = format!("{} {}", lang.name(rng), lang.name(rng));
        let footer: Vec<String> = match (is_ru, rng.below(8)) {
            (_, 0) => Vec::new(),
            (true, 1) => vec![format!("Подписаться | @{user}")],
            (true, 2) => vec![format!("Подпишись на «{title}»: @{user}")],
            (true, 3) => vec![format!("👉 @{user}")],
            (true, 4) => vec![format!("Наш канал: t.me/{user}")],
            (true, 5) => vec![format!("— {author}")],
            (true, 6) => vec![
                format!("Прислать новость: @{user}_bot"),
                format!("Подписаться | @{user}"),
            ],
            (true, _) => vec![format!("❤️ {title} | Подписаться")],
            (false, 1) => vec![format!("Subscribe: @{user}")],
            (false, 2) => vec![format!("Follow {title}: @{user}")],
            (false, 3) => vec![format!("👉 t.me/{user}")],
            (false, 4) => vec![format!("Send us news: @{user}_bot")],
            (false, 5) => vec![format!("— {author}")],
            (false, 6) => vec![
                format!("Send us news: @{user}_bot"),
                format!("Subscribe: @{user}"),
            ],
            (false, _) => vec![format!("{title} | Subscribe")],
        };
        let series = if is_ru {
            rng.pick(&[
                "Главное к этому часу:",
                "Коротко о главном:",
                "Итоги дня:",
                "Утренняя сводка:",
                "Что происходит:",
            ])
        } else {
            rng.pick(&[
                "Top stories this hour:",
                "In brief:",
                "Day in review:",
                "Morning briefing:",
                "What is happening:",
            ])
        }
        .to_string();
        let topic_count = rng.range(1, 3) as usize;
        let topics = (0..topic_count)
            .map(|_| rng.below(TOPICS as u64) as usize)
            .collect();
        let tags = (0..rng.range(1, 4))
            .map(|_| lang.tags[zipf(rng, lang.tags.len())].clone())
            .collect();
        Channel {
            id: 1000 + i as i64,
            user,
            ru: is_ru,
            topics,
            footer,
            footer_rate: rng.range(700, 1000),
            series,
            tags,
            tag_rate: rng.pick(&[0, 0, 100, 300, 600]),
            emoji_rate: rng.pick(&[0, 100, 300, 600]),
        }
    }
}

/// Latin letters for a channel's username.
fn translit(w: &str) -> String {
    const MAP: &[(char, &str)] = &[
        ('а', "a"),
        ('б', "b"),
        ('в', "v"),
        ('г', "g"),
        ('д', "d"),
        ('е', "e"),
        ('ж', "zh"),
        ('з', "z"),
        ('и', "i"),
        ('й', "y"),
        ('к', "k"),
        ('л', "l"),
        ('м', "m"),
        ('н', "n"),
        ('о', "o"),
        ('п', "p"),
        ('р', "r"),
        ('с', "s"),
        ('т', "t"),
        ('у', "u"),
        ('ф', "f"),
        ('х', "h"),
        ('ц', "ts"),
        ('ч', "ch"),
        ('ш', "sh"),
        ('ы', "y"),
        ('ь', ""),
        ('ю', "yu"),
        ('я', "ya"),
    ];
    w.chars()
        .map(|c| {
            MAP.iter()
                .find(|(k, _)| *k == c)
                .map_or_else(|| c.to_string(), |(_, v)| (*v).to_string())
        })
        .collect()
}

/// A post before it is written out: its parts, so that a repost can edit them.
#[derive(Debug, Clone, Default)]
struct Draft {
    header: Option<String>,
    lead_emoji: Option<String>,
    /// Paragraphs of sentences.
    paragraphs: Vec<Vec<String>>,
    tags: Vec<String>,
    footer: Vec<String>,
    /// The "read in full" line of a truncated repost.
    more: Option<String>,
}

impl Draft {
    fn render(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        if let Some(h) = &self.header {
            lines.push(h.clone());
        }
        for (i, p) in self.paragraphs.iter().enumerate() {
            if i > 0 || self.header.is_some() {
                lines.push(String::new());
            }
            let mut text = p.join(" ");
            if i == 0
                && let Some(e) = &self.lead_emoji
            {
                text = format!("{e} {text}");
            }
            lines.push(text);
        }
        if let Some(m) = &self.more {
            lines.push(String::new());
            lines.push(m.clone());
        }
        if !self.tags.is_empty() {
            lines.push(String::new());
            lines.push(
                self.tags
                    .iter()
                    .map(|t| format!("#{t}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if !self.footer.is_empty() {
            lines.push(String::new());
            lines.extend(self.footer.iter().cloned());
        }
        lines.join("\n")
    }

    fn sentence_count(&self) -> usize {
        self.paragraphs.iter().map(Vec::len).sum()
    }
}

/// Words of a body: mostly 20–80, a tenth 5–19, some up to ~150.
fn body_length(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=9 => rng.range(5, 20) as usize,
        10..=84 => rng.range(20, 81) as usize,
        _ => rng.range(81, 151) as usize,
    }
}

/// Paragraphs of sentences of `topic` until about `words` words.
fn body(lang: &Language, rng: &mut Rng, topic: usize, words: usize) -> Vec<Vec<String>> {
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    let mut count = 0;
    while count < words {
        let mut p = Vec::new();
        for _ in 0..rng.range(1, 4) {
            if count >= words {
                break;
            }
            let mut s = lang.sentence(rng, topic);
            let n = s.split_whitespace().count();
            if count + n > words + 3 {
                // Cut the last sentence to the length wanted.
                let keep = (words - count).max(3);
                let cut: Vec<&str> = s.split_whitespace().take(keep).collect();
                s = format!("{}.", cut.join(" ").trim_end_matches([',', '.', '!', '?']));
            }
            count += s.split_whitespace().count();
            p.push(s);
        }
        paragraphs.push(p);
    }
    paragraphs
}

/// A post being generated, before ids are given.
struct Pending {
    time: u64,
    seq: u64,
    channel: usize,
    text: String,
    chain: Option<u64>,
    kind: PostKind,
    family: Option<u64>,
    /// Index (into the unit's posts) of the source, for copies.
    source: Option<usize>,
    /// Index of the first of its unit in the pending list.
    unit_start: usize,
    edits: Vec<String>,
}

struct Generator {
    rng: Rng,
    ru: Language,
    en: Language,
    channels: Vec<Channel>,
    ru_channels: Vec<usize>,
    en_channels: Vec<usize>,
    pending: Vec<Pending>,
    seq: u64,
}

const TIME_SPAN: u64 = 1_000_000_000;

impl Generator {
    fn lang(&self, channel: usize) -> &Language {
        if self.channels[channel].ru {
            &self.ru
        } else {
            &self.en
        }
    }

    fn push(&mut self, p: Pending) {
        self.pending.push(p);
        self.seq += 1;
    }

    fn pick_channel(&mut self) -> usize {
        self.rng.below(self.channels.len() as u64) as usize
    }

    /// An original post of a channel (a chain's first post or a unique one).
    fn original_draft(&mut self, channel: usize, topic: usize, words: usize) -> Draft {
        let mut rng = Rng::new(self.rng.next_u64());
        let lang = self.lang(channel);
        let ch = &self.channels[channel];
        let mut d = Draft {
            paragraphs: body(lang, &mut rng, topic, words),
            ..Draft::default()
        };
        if rng.chance(ch.emoji_rate) {
            d.lead_emoji = Some(rng.pick(EMOJI).to_string());
        }
        if rng.chance(ch.tag_rate) {
            d.tags = ch.tags.clone();
        }
        if rng.chance(ch.footer_rate) {
            d.footer = ch.footer.clone();
        }
        d
    }

    fn chain(&mut self, chain_id: u64, size: usize) {
        let channel = self.pick_channel();
        let ru = self.channels[channel].ru;
        let topic = self.rng.pick(&self.channels[channel].topics.clone());
        let words = body_length(&mut self.rng);
        let original = self.original_draft(channel, topic, words);
        let start = self.pending.len();
        let t0 = self.rng.below(TIME_SPAN);
        let mut drafts: Vec<(Draft, usize, u64)> = vec![(original.clone(), channel, t0)];
        let seq = self.seq;
        self.push(Pending {
            time: t0,
            seq,
            channel,
            text: original.render(),
            chain: Some(chain_id),
            kind: PostKind::Original,
            family: None,
            source: None,
            unit_start: start,
            edits: Vec::new(),
        });
        let pool = if ru {
            self.ru_channels.clone()
        } else {
            self.en_channels.clone()
        };
        let mut used: HashSet<usize> = HashSet::from([channel]);
        for _ in 1..size {
            let mut to = self.rng.pick(&pool);
            for _ in 0..8 {
                if !used.contains(&to) {
                    break;
                }
                to = self.rng.pick(&pool);
            }
            used.insert(to);
            let from = if self.rng.chance(700) {
                0
            } else {
                self.rng.below(drafts.len() as u64) as usize
            };
            let (src, src_channel, src_time) = drafts[from].clone();
            let (draft, edits) = self.repost(&src, src_channel, to, topic);
            let t = src_time + 1 + zipf(&mut self.rng, 10_000_000) as u64;
            let seq = self.seq;
            self.push(Pending {
                time: t,
                seq,
                channel: to,
                text: draft.render(),
                chain: Some(chain_id),
                kind: PostKind::Copy,
                family: None,
                source: Some(from),
                unit_start: start,
                edits,
            });
            drafts.push((draft, to, t));
        }
    }

    /// A repost of `src` (of channel `from`) in channel `to`, with the edits reposts make.
    fn repost(
        &mut self,
        src: &Draft,
        from: usize,
        to: usize,
        topic: usize,
    ) -> (Draft, Vec<String>) {
        let mut rng = Rng::new(self.rng.next_u64());
        let lang = self.lang(to);
        let ch = &self.channels[to];
        let src_user = self.channels[from].user.clone();
        let mut d = src.clone();
        let mut edits: Vec<String> = Vec::new();
        d.more = None;
        // The footer: the channel's own in place of the source's, or both.
        if rng.chance(100) && !d.footer.is_empty() {
            edits.push("footer_kept".into());
        } else {
            d.footer.clear();
        }
        if rng.chance(ch.footer_rate) && !ch.footer.is_empty() {
            d.footer.extend(ch.footer.iter().cloned());
            edits.push("footer".into());
        }
        if rng.chance(300) {
            d.lead_emoji = Some(rng.pick(EMOJI).to_string());
            if rng.chance(300)
                && let Some(p) = d.paragraphs.last_mut()
                && let Some(s) = p.last_mut()
            {
                s.push(' ');
                s.push_str(rng.pick(EMOJI));
            }
            edits.push("emoji".into());
        }
        if !d.tags.is_empty() && rng.chance(400) {
            d.tags.clear();
            edits.push("hashtags_removed".into());
        } else if rng.chance(150) {
            d.tags = ch.tags.clone();
            edits.push("hashtags_added".into());
        }
        if d.sentence_count() >= 3 && rng.chance(200) {
            let mut at = rng.below(d.sentence_count() as u64) as usize;
            for p in &mut d.paragraphs {
                if at < p.len() {
                    p.remove(at);
                    break;
                }
                at -= p.len();
            }
            d.paragraphs.retain(|p| !p.is_empty());
            edits.push("sentence_dropped".into());
        }
        if rng.chance(150) {
            let s = if rng.chance(700) {
                rng.pick(if lang.ru { RU_COMMENTS } else { EN_COMMENTS })
                    .to_string()
            } else {
                lang.sentence(&mut rng, topic)
            };
            if rng.chance(500) {
                d.paragraphs.push(vec![s]);
            } else {
                d.paragraphs.insert(0, vec![s]);
            }
            edits.push("sentence_added".into());
        }
        if rng.chance(100) {
            // One word swapped for another of the topic.
            let n = d.sentence_count();
            if n > 0 {
                let at = rng.below(n as u64) as usize;
                let t = &lang.topics[topic];
                let word = lang.words[t[rng.below(t.len() as u64) as usize]].clone();
                if let Some(s) = d.paragraphs.iter_mut().flatten().nth(at) {
                    let mut ws: Vec<String> = s.split(' ').map(str::to_string).collect();
                    if ws.len() > 2 {
                        let i = rng.range(1, ws.len() as u64 - 1) as usize;
                        ws[i] = word;
                        *s = ws.join(" ");
                        edits.push("word_swapped".into());
                    }
                }
            }
        }
        if rng.chance(150) {
            d.footer.insert(
                0,
                if lang.ru {
                    format!("Источник: @{src_user}")
                } else {
                    format!("Source: @{src_user}")
                },
            );
            edits.push("source_line".into());
        }
        if rng.chance(50) {
            d.header = Some(if lang.ru {
                format!("Репост из @{src_user}:")
            } else {
                format!("Via @{src_user}:")
            });
            edits.push("header".into());
        }
        let words: usize = d
            .paragraphs
            .iter()
            .flatten()
            .map(|s| s.split_whitespace().count())
            .sum();
        if words >= 30 && rng.chance(70) {
            // Truncated, with a link to the rest.
            let keep = words * rng.range(40, 71) as usize / 100;
            let mut left = keep;
            let mut paragraphs: Vec<Vec<String>> = Vec::new();
            'outer: for p in &d.paragraphs {
                let mut q = Vec::new();
                for s in p {
                    let n = s.split_whitespace().count();
                    if n >= left {
                        let cut: Vec<&str> = s.split_whitespace().take(left).collect();
                        q.push(format!("{}…", cut.join(" ")));
                        paragraphs.push(q);
                        break 'outer;
                    }
                    left -= n;
                    q.push(s.clone());
                }
                paragraphs.push(q);
            }
            d.paragraphs = paragraphs;
            let post = rng.range(100, 99_999);
            d.more = Some(if lang.ru {
                format!(
                    "{}: https://t.me/{src_user}/{post}",
                    rng.pick(&["Читать полностью", "Подробнее", "Читать далее"])
                )
            } else {
                format!(
                    "{}: https://t.me/{src_user}/{post}",
                    rng.pick(&["Read in full", "Read more", "Full story"])
                )
            });
            edits.push("truncated".into());
        }
        (d, edits)
    }

    /// Posts of one channel that differ only by numbers or names in 1–3 places.
    fn template_family(&mut self, family: u64, size: usize) {
        let channel = self.pick_channel();
        let topic = self.rng.pick(&self.channels[channel].topics.clone());
        let mut rng = Rng::new(self.rng.next_u64());
        let lang = self.lang(channel);
        let words = rng.range(8, 41) as usize;
        let base: Vec<Vec<String>> = body(lang, &mut rng, topic, words)
            .iter()
            .map(|p| p.join(" ").split(' ').map(str::to_string).collect())
            .collect();
        let by_name = rng.chance(350);
        // Slots: (paragraph, word), never a paragraph's first word.
        let slots: Vec<(usize, usize)> = (0..rng.range(1, 4))
            .filter_map(|_| {
                let p = rng.below(base.len() as u64) as usize;
                let n = base[p].len();
                (n >= 2).then(|| (p, rng.range(1, n as u64) as usize))
            })
            .collect();
        let start = self.pending.len();
        let footer = self.channels[channel].footer.clone();
        let mut texts = Vec::new();
        let mut used: HashSet<String> = HashSet::new();
        for _ in 0..size {
            let mut ws = base.clone();
            for &(p, i) in &slots {
                let value = loop {
                    let v = if by_name {
                        lang.name(&mut rng).to_string()
                    } else {
                        lang.number(&mut rng)
                    };
                    if used.insert(v.clone()) {
                        break v;
                    }
                };
                // Keep the punctuation after the slot.
                let tail: String = ws[p][i]
                    .chars()
                    .rev()
                    .take_while(|c| !c.is_alphanumeric())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                ws[p][i] = format!("{value}{tail}");
            }
            let mut text = ws
                .iter()
                .map(|p| p.join(" "))
                .collect::<Vec<_>>()
                .join("\n\n");
            if !footer.is_empty() {
                text.push_str("\n\n");
                text.push_str(&footer.join("\n"));
            }
            texts.push(text);
        }
        let t0 = self.rng.below(TIME_SPAN);
        for (i, text) in texts.into_iter().enumerate() {
            let seq = self.seq;
            let time = t0 + i as u64 * (86_400 + self.rng.below(3600));
            self.push(Pending {
                time,
                seq,
                channel,
                text,
                chain: None,
                kind: PostKind::Template,
                family: Some(family),
                source: None,
                unit_start: start,
                edits: Vec::new(),
            });
        }
    }

    /// Posts of one channel and topic with the series header and one shared sentence.
    fn topic_group(&mut self, group: u64, size: usize) {
        let channel = self.pick_channel();
        let topic = self.rng.pick(&self.channels[channel].topics.clone());
        let shared = {
            let mut rng = Rng::new(self.rng.next_u64());
            self.lang(channel).sentence(&mut rng, topic)
        };
        let start = self.pending.len();
        let t0 = self.rng.below(TIME_SPAN);
        for i in 0..size {
            let words = body_length(&mut self.rng).max(20);
            let mut d = self.original_draft(channel, topic, words);
            d.header = Some(self.channels[channel].series.clone());
            // The shared sentence inside a paragraph (not a paragraph of its own).
            if let Some(p) = d.paragraphs.last_mut() {
                p.push(shared.clone());
            }
            let seq = self.seq;
            let time = t0 + i as u64 * (3600 + self.rng.below(86_400));
            self.push(Pending {
                time,
                seq,
                channel,
                text: d.render(),
                chain: None,
                kind: PostKind::Topic,
                family: Some(group),
                source: None,
                unit_start: start,
                edits: Vec::new(),
            });
        }
    }

    fn unique(&mut self) {
        let channel = self.pick_channel();
        let topic = self.rng.pick(&self.channels[channel].topics.clone());
        let words = body_length(&mut self.rng);
        let mut d = self.original_draft(channel, topic, words);
        if self.rng.chance(100) {
            d.header = Some(self.channels[channel].series.clone());
        }
        let start = self.pending.len();
        let seq = self.seq;
        let time = self.rng.below(TIME_SPAN);
        self.push(Pending {
            time,
            seq,
            channel,
            text: d.render(),
            chain: None,
            kind: PostKind::Unique,
            family: None,
            source: None,
            unit_start: start,
            edits: Vec::new(),
        });
    }
}

fn chain_size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=49 => 2,
        50..=84 => rng.range(3, 6) as usize,
        85..=96 => rng.range(6, 16) as usize,
        _ => rng.range(16, 41) as usize,
    }
}

/// Generates the corpus: `posts` posts from `seed` into `out`, with the ground truth unless
/// `truth` is false.
pub fn generate(out: &Path, posts: usize, seed: u64, truth: bool) -> anyhow::Result<CorpusSummary> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let vocabulary = 30_000;
    let ru = Language::new(true, &mut rng, vocabulary);
    let en = Language::new(false, &mut rng, vocabulary);
    let channel_count = (posts / 150).max(8);
    let channels: Vec<Channel> = (0..channel_count)
        .map(|i| Channel::new(i, &mut rng, &ru, &en))
        .collect();
    let ru_channels = (0..channel_count).filter(|i| channels[*i].ru).collect();
    let en_channels = (0..channel_count).filter(|i| !channels[*i].ru).collect();
    let mut g = Generator {
        rng,
        ru,
        en,
        channels,
        ru_channels,
        en_channels,
        pending: Vec::with_capacity(posts),
        seq: 0,
    };
    let chain_target = posts * 35 / 100;
    let template_target = posts * 6 / 100;
    let topic_target = posts * 12 / 100;
    let mut chains = 0u64;
    let mut families = 0u64;
    while g.pending.len() < chain_target {
        let size = chain_size(&mut g.rng)
            .min(chain_target - g.pending.len())
            .max(2);
        g.chain(chains, size);
        chains += 1;
    }
    let until = g.pending.len() + template_target;
    while g.pending.len() + 2 <= until {
        let size = (g.rng.range(3, 9) as usize).min(until - g.pending.len());
        g.template_family(families, size);
        families += 1;
    }
    let until = g.pending.len() + topic_target;
    while g.pending.len() + 2 <= until {
        let size = (g.rng.range(2, 5) as usize).min(until - g.pending.len());
        g.topic_group(families, size);
        families += 1;
    }
    while g.pending.len() < posts {
        g.unique();
    }
    g.pending.truncate(posts);

    // Ids follow time.
    let mut order: Vec<usize> = (0..g.pending.len()).collect();
    order.sort_unstable_by_key(|i| (g.pending[*i].time, g.pending[*i].seq));
    let mut id_of = vec![0i64; g.pending.len()];
    for (rank, i) in order.iter().enumerate() {
        id_of[*i] = rank as i64 + 1;
    }
    let mut records: Vec<PostRecord> = g
        .pending
        .iter()
        .enumerate()
        .map(|(i, p)| PostRecord {
            post_id: id_of[i],
            channel_id: g.channels[p.channel].id,
            text: p.text.clone(),
            chain: p.chain,
            kind: p.kind,
            family: p.family,
            source: p.source.map(|s| id_of[p.unit_start + s]),
            edits: p.edits.clone(),
        })
        .collect();
    drop(g.pending);
    records.sort_unstable_by_key(|r| (r.channel_id, r.post_id));

    let mut summary = CorpusSummary {
        dir: out.display().to_string(),
        seed,
        posts: records.len() as u64,
        channels: channel_count as u64,
        chains,
        kinds: BTreeMap::new(),
        chain_sizes: BTreeMap::new(),
        edits: BTreeMap::new(),
        mean_words: 0.0,
        bytes: 0,
        truth,
        truth_pairs: BTreeMap::new(),
        generate_seconds: 0.0,
        truth_seconds: 0.0,
    };
    let mut chain_len: HashMap<u64, u64> = HashMap::new();
    let mut words = 0u64;
    let path = out.join("posts.jsonl");
    let mut w = BufWriter::new(File::create(&path)?);
    for r in &records {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
        *summary.kinds.entry(kind_name(r.kind).into()).or_default() += 1;
        if let Some(c) = r.chain {
            *chain_len.entry(c).or_default() += 1;
        }
        for e in &r.edits {
            *summary.edits.entry(e.clone()).or_default() += 1;
        }
        words += r.text.split_whitespace().count() as u64;
    }
    w.flush()?;
    for n in chain_len.values() {
        *summary.chain_sizes.entry(*n).or_default() += n;
    }
    summary.mean_words = (words as f64 / records.len().max(1) as f64 * 10.0).round() / 10.0;
    summary.bytes = std::fs::metadata(&path)?.len();
    summary.generate_seconds = started.elapsed().as_secs_f64();

    if truth {
        let started = Instant::now();
        let posts: Vec<CopyPost> = records.iter().map(copy_post).collect();
        drop(records);
        let truth = ground_truth(&posts, &Params::default())?;
        let mut w = BufWriter::new(File::create(out.join("shingles.jsonl"))?);
        for s in &truth.sets {
            serde_json::to_writer(&mut w, s)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        let mut w = BufWriter::new(File::create(out.join("truth_pairs.jsonl"))?);
        for p in &truth.pairs {
            serde_json::to_writer(&mut w, p)?;
            w.write_all(b"\n")?;
            *summary.truth_pairs.entry(p.kind.clone()).or_default() += 1;
        }
        w.flush()?;
        summary.truth_seconds = started.elapsed().as_secs_f64();
    }
    std::fs::write(
        out.join("corpus.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    Ok(summary)
}

fn kind_name(k: PostKind) -> &'static str {
    match k {
        PostKind::Original => "original",
        PostKind::Copy => "copy",
        PostKind::Template => "template",
        PostKind::Topic => "topic",
        PostKind::Unique => "unique",
    }
}

fn copy_post(r: &PostRecord) -> CopyPost {
    CopyPost {
        post_id: r.post_id,
        channel_id: r.channel_id,
        text: r.text.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Ground truth

struct Truth {
    sets: Vec<ShingleRecord>,
    pairs: Vec<TruthPair>,
}

/// The shingle sets tgscope compares (computed by a rebuilt state, so with each channel's
/// learned boilerplate) and every pair with exact Jaccard ≥ the threshold.
fn ground_truth(posts: &[CopyPost], params: &Params) -> anyhow::Result<Truth> {
    let state = rebuild_in_memory(posts, params.clone());
    let mut sets = Vec::new();
    let mut words: Vec<(i64, Shingles)> = Vec::new();
    let mut chars: Vec<(i64, Shingles)> = Vec::new();
    let mut has_chars: HashSet<i64> = HashSet::new();
    let mut exact_only: HashMap<u64, Vec<i64>> = HashMap::new();
    for p in posts {
        let f = state.features_of(p);
        if let Some(s) = &f.word_shingles {
            sets.push(ShingleRecord {
                post_id: p.post_id,
                kind: "words".into(),
                signed: f.words >= params.word_shingle_min_words,
                hashes: s.0.clone(),
            });
            words.push((p.post_id, s.clone()));
        }
        if let Some(s) = &f.char_shingles {
            sets.push(ShingleRecord {
                post_id: p.post_id,
                kind: "chars".into(),
                signed: true,
                hashes: s.0.clone(),
            });
            chars.push((p.post_id, s.clone()));
            has_chars.insert(p.post_id);
        }
        if f.word_shingles.is_none()
            && f.char_shingles.is_none()
            && let Some(e) = f.exact
        {
            exact_only.entry(e).or_default().push(p.post_id);
        }
    }
    let mut pairs = Vec::new();
    for (a, b, j) in similarity_join(&words, params.jaccard) {
        if !(has_chars.contains(&a) && has_chars.contains(&b)) {
            pairs.push(TruthPair {
                a,
                b,
                jaccard: j,
                kind: "words".into(),
            });
        }
    }
    for (a, b, j) in similarity_join(&chars, params.jaccard) {
        pairs.push(TruthPair {
            a,
            b,
            jaccard: j,
            kind: "chars".into(),
        });
    }
    for ids in exact_only.values() {
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                pairs.push(TruthPair {
                    a: (*a).min(*b),
                    b: (*a).max(*b),
                    jaccard: 1.0,
                    kind: "exact".into(),
                });
            }
        }
    }
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    Ok(Truth { sets, pairs })
}

/// Every pair of sets with exact Jaccard ≥ `t` (as [`Shingles::jaccard`] computes it): an
/// all-pairs join with prefix filtering (a pair with Jaccard ≥ t shares a token among the
/// first `|x| − ⌈t·|x|⌉ + 1` tokens of each set in a global order, rarest first), each
/// candidate verified exactly. Returns (lower id, higher id, Jaccard).
fn similarity_join(sets: &[(i64, Shingles)], t: f64) -> Vec<(i64, i64, f64)> {
    let mut freq: HashMap<u32, u32> = HashMap::new();
    for (_, s) in sets {
        for x in &s.0 {
            *freq.entry(*x).or_default() += 1;
        }
    }
    // Sets by size, each with its tokens in the global order.
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_unstable_by_key(|i| (sets[*i].1.len(), sets[*i].0));
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut seen = vec![usize::MAX; sets.len()];
    let mut out = Vec::new();
    for &x in &order {
        let (id_x, sx) = &sets[x];
        let n = sx.len();
        if n == 0 {
            continue;
        }
        let mut tokens: Vec<u32> = sx.0.clone();
        tokens.sort_unstable_by_key(|tok| (freq[tok], *tok));
        // Least overlap a partner needs: ⌈t·n⌉, taken a hair low so that no pair is lost to
        // rounding (the prefix only grows).
        let overlap = ((t * n as f64) - 1e-9).ceil().max(1.0) as usize;
        let prefix = n - overlap.min(n) + 1;
        let least = (t * n as f64 - 1e-9).ceil() as usize;
        for tok in &tokens[..prefix] {
            if let Some(list) = index.get(tok) {
                for &y in list {
                    if seen[y] == x {
                        continue;
                    }
                    seen[y] = x;
                    let sy = &sets[y].1;
                    // Sets come by size: |y| ≤ |x|, and Jaccard ≥ t needs |y| ≥ t·|x|.
                    if sy.len() < least {
                        continue;
                    }
                    let j = sx.jaccard(sy);
                    if j >= t {
                        let id_y = sets[y].0;
                        out.push((id_x.min(&id_y).to_owned(), (*id_x).max(id_y), j));
                    }
                }
            }
        }
        for tok in &tokens[..prefix] {
            index.entry(*tok).or_default().push(x);
        }
    }
    out
}

fn rebuild_in_memory(posts: &[CopyPost], params: Params) -> CopyState {
    let mut by_channel: BTreeMap<i64, Vec<CopyPost>> = BTreeMap::new();
    for p in posts {
        by_channel.entry(p.channel_id).or_default().push(p.clone());
    }
    let batches = by_channel.into_values().map(Ok::<_, StateError>);
    CopyState::rebuild(params, 1, batches).expect("an in-memory rebuild")
}

// ---------------------------------------------------------------------------------------------
// Measurement

/// Peak resident memory of this process so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory now (VmRSS), in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU seconds (user and system) of this process, or of the calling thread, so far (from
/// `/proc`, in the kernel's USER_HZ of 100 ticks a second).
fn cpu_seconds(thread: bool) -> f64 {
    let path = if thread {
        "/proc/thread-self/stat"
    } else {
        "/proc/self/stat"
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            // Fields after the command's closing parenthesis: state is field 3, utime 14.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = f.get(11)?.parse().ok()?;
            let system: f64 = f.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Resets the peak (VmHWM) to the current resident memory; false when the kernel refuses.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::with_capacity(1 << 20, f).lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), n + 1))?,
        );
    }
    Ok(out)
}

/// Precision, recall and counts of a set of found pairs against true pairs.
#[derive(Debug, Default, Serialize)]
pub struct PairScore {
    /// Pairs found.
    pub found: u64,
    /// True pairs.
    pub truth: u64,
    /// Found pairs that are true.
    pub correct: u64,
    /// correct / found.
    pub precision: f64,
    /// correct / truth.
    pub recall: f64,
}

impl PairScore {
    fn new(found: u64, truth: u64, correct: u64) -> PairScore {
        PairScore {
            found,
            truth,
            correct,
            precision: ratio(correct, found),
            recall: ratio(correct, truth),
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        (a as f64 / b as f64 * 1e5).round() / 1e5
    }
}

fn secs(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1e4).round() / 1e4
}

/// Pairwise scores of a clustering against the chains: pairs in one cluster against pairs in
/// one chain (by counts, without listing the pairs).
fn cluster_pair_score(cluster_of: &HashMap<i64, i64>, chain_of: &HashMap<i64, u64>) -> PairScore {
    let c2 = |n: u64| n * n.saturating_sub(1) / 2;
    let mut clusters: HashMap<i64, u64> = HashMap::new();
    for c in cluster_of.values() {
        *clusters.entry(*c).or_default() += 1;
    }
    let mut chains: HashMap<u64, u64> = HashMap::new();
    for c in chain_of.values() {
        *chains.entry(*c).or_default() += 1;
    }
    let mut both: HashMap<(i64, u64), u64> = HashMap::new();
    for (p, c) in cluster_of {
        if let Some(ch) = chain_of.get(p) {
            *both.entry((*c, *ch)).or_default() += 1;
        }
    }
    PairScore::new(
        clusters.values().map(|n| c2(*n)).sum(),
        chains.values().map(|n| c2(*n)).sum(),
        both.values().map(|n| c2(*n)).sum(),
    )
}

/// Connected components of pairs: post → component (lowest post id).
fn components(pairs: impl Iterator<Item = (i64, i64)>) -> HashMap<i64, i64> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(parent: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let mut r = x;
        while let Some(&p) = parent.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        let mut y = x;
        while y != r {
            let next = parent[&y];
            parent.insert(y, r);
            y = next;
        }
        r
    }
    for (a, b) in pairs {
        parent.entry(a).or_insert(a);
        parent.entry(b).or_insert(b);
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    }
    let keys: Vec<i64> = parent.keys().copied().collect();
    keys.into_iter()
        .map(|k| (k, find(&mut parent, k)))
        .collect()
}

/// The single-thread stage: signatures, candidates and verification on the shingle sets.
#[derive(Debug, Default, Serialize)]
pub struct SignatureStage {
    /// Sets signed (word and character sets of all posts).
    pub sets: u64,
    /// Shingles in them.
    pub shingles: u64,
    /// MinHash signatures and band keys.
    pub signature_seconds: f64,
    /// Candidate pairs from the bands (sort per band, hot-bucket limit).
    pub candidate_seconds: f64,
    /// Signatures and candidates together.
    pub signature_and_candidate_seconds: f64,
    /// CPU seconds of the thread for signatures and candidates (the wall time can include
    /// waiting for a core on a busy machine).
    pub signature_and_candidate_cpu_seconds: f64,
    /// Exact Jaccard of every candidate pair on the kind the two posts are compared by.
    pub verify_seconds: f64,
    /// Distinct candidate pairs of posts.
    pub candidates: u64,
    /// Candidates with exact Jaccard ≥ the threshold.
    pub verified: u64,
    /// Candidates (raw) against the exact-Jaccard truth (word and character pairs).
    pub raw_vs_jaccard: PairScore,
    /// Verified pairs against the exact-Jaccard truth.
    pub verified_vs_jaccard: PairScore,
    /// Verified pairs against the chains (pairs of the same chain).
    pub verified_vs_chains: PairScore,
    /// Components of the verified pairs against the chains (pairwise).
    pub components_vs_chains: PairScore,
}

/// What the full analysis gave against the truth.
#[derive(Debug, Default, Serialize)]
pub struct Accuracy {
    /// Pairs of posts in one cluster against pairs of one chain.
    pub clusters_vs_chains: PairScore,
    /// Direct full pairs (same compared text, or a verified full edge) against the
    /// exact-Jaccard truth.
    pub full_pairs_vs_jaccard: PairScore,
    /// The same, leaving out true pairs of one template family (tgscope rejects those on
    /// purpose: they differ by a number or a name).
    pub full_pairs_vs_jaccard_without_templates: PairScore,
    /// True pairs of one template family.
    pub template_truth_pairs: u64,
    /// Direct full pairs against the chains.
    pub full_pairs_vs_chains: PairScore,
    /// Clusters.
    pub clusters: u64,
    /// Chains.
    pub chains: u64,
    /// Chains whose posts form exactly one cluster, nothing more.
    pub chains_exact: u64,
    /// Chains spread over more than one cluster, or with posts left out.
    pub chains_split: u64,
    /// Clusters holding posts of more than one chain, or posts of no chain.
    pub clusters_impure: u64,
    /// Posts of no chain that are in a cluster, by kind.
    pub negatives_clustered: BTreeMap<String, u64>,
    /// Per edit: copies with it, and how many are in their source's cluster.
    pub copies_by_edit: BTreeMap<String, (u64, u64)>,
}

/// The full rebuild.
#[derive(Debug, Default, Serialize)]
pub struct RebuildStage {
    /// Posts.
    pub posts: u64,
    /// Worker threads available.
    pub threads: u64,
    /// Wall seconds of `CopyState::rebuild` (posts read one channel at a time included in
    /// `--scale` runs; see `read_seconds`).
    pub seconds: f64,
    /// CPU seconds of the rebuild (all threads).
    pub cpu_seconds: f64,
    /// Reading and parsing the posts alone (`--scale`: one pass over posts.jsonl).
    pub read_seconds: f64,
    /// `--scale`: wall seconds of reading the channels and adding them (features, signatures,
    /// boilerplate), and of the finish (candidates, verification, clusters).
    pub add_seconds: f64,
    pub finish_seconds: f64,
    /// Peak resident memory during the rebuild (VmHWM after a reset just before it).
    pub peak_rss_bytes: u64,
    /// Resident memory before the rebuild.
    pub rss_before_bytes: u64,
    /// Resident memory after it (the state held).
    pub rss_after_bytes: u64,
    /// Distinct compared texts.
    pub texts: u64,
    /// Verified pairs of texts.
    pub pairs: u64,
    /// Clusters.
    pub clusters: u64,
    /// Posts in clusters.
    pub clustered_posts: u64,
    /// Approximate heap bytes of the state by part.
    pub heap_bytes: BTreeMap<String, u64>,
}

/// The update.
#[derive(Debug, Default, Serialize)]
pub struct UpdateStage {
    /// Posts of the state before the update.
    pub base_posts: u64,
    /// Posts added.
    pub new_posts: u64,
    /// Seconds of the rebuild of the base.
    pub base_rebuild_seconds: f64,
    /// Seconds of `CopyState::update`.
    pub seconds: f64,
    /// CPU seconds of the update (all threads).
    pub cpu_seconds: f64,
    /// Posts the update (re)compared.
    pub compared: u64,
    /// Whether the update asked for a rebuild.
    pub needs_rebuild: bool,
    /// Fetch calls and posts fetched.
    pub fetches: u64,
    /// Posts fetched.
    pub fetched_posts: u64,
    /// Whether the updated state equals the full rebuild (accuracy runs only).
    pub equals_rebuild: Option<bool>,
}

/// What `copies-run` prints.
#[derive(Debug, Default, Serialize)]
pub struct RunSummary {
    /// The corpus folder.
    pub corpus: String,
    /// Posts.
    pub posts: u64,
    /// Whether peak memory could be reset between stages.
    pub peak_reset: bool,
    /// The single-thread signature stage (accuracy runs).
    pub signatures: Option<SignatureStage>,
    /// The full rebuild.
    pub rebuild: RebuildStage,
    /// Its accuracy (accuracy runs).
    pub accuracy: Option<Accuracy>,
    /// The update.
    pub update: UpdateStage,
}

/// The shingle sets of a corpus, by post.
struct SetsOf {
    words: HashMap<i64, Shingles>,
    chars: HashMap<i64, Shingles>,
    /// Signed sets: (post, kind, set).
    signed: Vec<(i64, ShingleKind)>,
}

fn load_sets(dir: &Path) -> anyhow::Result<SetsOf> {
    let records: Vec<ShingleRecord> = read_jsonl(&dir.join("shingles.jsonl"))?;
    let mut sets = SetsOf {
        words: HashMap::new(),
        chars: HashMap::new(),
        signed: Vec::new(),
    };
    for r in records {
        let kind = if r.kind == "chars" {
            ShingleKind::Chars
        } else {
            ShingleKind::Words
        };
        if r.signed {
            sets.signed.push((r.post_id, kind));
        }
        let s = Shingles(r.hashes);
        match kind {
            ShingleKind::Words => sets.words.insert(r.post_id, s),
            ShingleKind::Chars => sets.chars.insert(r.post_id, s),
        };
    }
    Ok(sets)
}

impl SetsOf {
    /// Exact Jaccard of two posts on the kind tgscope compares them by.
    fn jaccard(&self, a: i64, b: i64) -> Option<f64> {
        if let (Some(x), Some(y)) = (self.chars.get(&a), self.chars.get(&b)) {
            return Some(x.jaccard(y));
        }
        match (self.words.get(&a), self.words.get(&b)) {
            (Some(x), Some(y)) => Some(x.jaccard(y)),
            _ => None,
        }
    }
}

fn pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

fn signature_stage(
    sets: &SetsOf,
    params: &Params,
    truth: &HashSet<(i64, i64)>,
    chain_of: &HashMap<i64, u64>,
    chain_truth_pairs: u64,
) -> SignatureStage {
    let perms = Permutations::new(params.permutations());
    let mut stage = SignatureStage {
        sets: sets.signed.len() as u64,
        ..SignatureStage::default()
    };
    let set_of = |post: i64, kind: ShingleKind| match kind {
        ShingleKind::Words => &sets.words[&post],
        ShingleKind::Chars => &sets.chars[&post],
    };
    stage.shingles = sets
        .signed
        .iter()
        .map(|(p, k)| set_of(*p, *k).len() as u64)
        .sum();
    let cpu = cpu_seconds(true);
    let start = Instant::now();
    let keys: Vec<Vec<u32>> = sets
        .signed
        .iter()
        .map(|(p, k)| features::band_keys(&perms.signature(set_of(*p, *k)), params.rows, *k))
        .collect();
    stage.signature_seconds = secs(start);
    let start = Instant::now();
    let mut pairs: Vec<(i64, i64)> = Vec::new();
    let mut entries: Vec<(u32, i64)> = Vec::with_capacity(keys.len());
    for kind in [ShingleKind::Words, ShingleKind::Chars] {
        for band in 0..params.bands {
            entries.clear();
            for ((p, k), ks) in sets.signed.iter().zip(&keys) {
                if *k == kind
                    && let Some(key) = ks.get(band)
                {
                    entries.push((*key, *p));
                }
            }
            entries.sort_unstable();
            let mut i = 0;
            while i < entries.len() {
                let mut j = i + 1;
                while j < entries.len() && entries[j].0 == entries[i].0 {
                    j += 1;
                }
                let run = &entries[i..j];
                if run.len() >= 2 && run.len() <= params.max_bucket {
                    for (x, a) in run.iter().enumerate() {
                        for b in &run[x + 1..] {
                            pairs.push(pair(a.1, b.1));
                        }
                    }
                }
                i = j;
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
    }
    stage.candidate_seconds = secs(start);
    stage.signature_and_candidate_cpu_seconds = cpu_seconds(true) - cpu;
    stage.signature_and_candidate_seconds = stage.signature_seconds + stage.candidate_seconds;
    stage.candidates = pairs.len() as u64;
    let start = Instant::now();
    let verified: Vec<(i64, i64)> = pairs
        .iter()
        .copied()
        .filter(|(a, b)| sets.jaccard(*a, *b).is_some_and(|j| j >= params.jaccard))
        .collect();
    stage.verify_seconds = secs(start);
    stage.verified = verified.len() as u64;
    let lsh_truth = truth.len() as u64;
    let correct = |ps: &[(i64, i64)]| ps.iter().filter(|p| truth.contains(p)).count() as u64;
    stage.raw_vs_jaccard = PairScore::new(pairs.len() as u64, lsh_truth, correct(&pairs));
    stage.verified_vs_jaccard =
        PairScore::new(verified.len() as u64, lsh_truth, correct(&verified));
    let same_chain = verified
        .iter()
        .filter(|(a, b)| chain_of.get(a).is_some_and(|c| chain_of.get(b) == Some(c)))
        .count() as u64;
    stage.verified_vs_chains = PairScore::new(verified.len() as u64, chain_truth_pairs, same_chain);
    stage.components_vs_chains =
        cluster_pair_score(&components(verified.iter().copied()), chain_of);
    stage
}

/// Measures tgscope's copy analysis on a corpus (see the module's docs).
pub fn run(dir: &Path, update_posts: usize, scale: bool) -> anyhow::Result<RunSummary> {
    let corpus: CorpusSummary = serde_json::from_str(
        &std::fs::read_to_string(dir.join("corpus.json"))
            .with_context(|| format!("reading {}/corpus.json", dir.display()))?,
    )?;
    let params = Params::default();
    let peak_reset = reset_peak_rss();
    let mut summary = RunSummary {
        corpus: dir.display().to_string(),
        posts: corpus.posts,
        peak_reset,
        ..RunSummary::default()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let newest = corpus.posts as i64 - update_posts as i64;
    if scale {
        // A pass over the file alone: the reading part of the rebuild's time.
        let start = Instant::now();
        for batch in ChannelBatches::open(dir, i64::MAX)? {
            batch?;
        }
        summary.rebuild.read_seconds = secs(start);
        let rss_before = rss();
        reset_peak_rss();
        let cpu = cpu_seconds(false);
        let start = Instant::now();
        // As the engine rebuilds: the sketches wait in a temporary file beside the corpus.
        let mut batches = ChannelBatches::open(dir, newest)?;
        let mut rebuild = Rebuild::spilling(params.clone(), 1, dir)?;
        for batch in &mut batches {
            rebuild.add_channel(batch?)?;
        }
        summary.rebuild.add_seconds = secs(start);
        let finish = Instant::now();
        let state = rebuild.finish()?;
        summary.rebuild.finish_seconds = secs(finish);
        summary.rebuild.seconds = secs(start);
        summary.rebuild.cpu_seconds = cpu_seconds(false) - cpu;
        summary.rebuild.peak_rss_bytes = peak_rss();
        summary.rebuild.rss_before_bytes = rss_before;
        summary.rebuild.rss_after_bytes = rss();
        summary.rebuild.posts = state.post_count() as u64;
        summary.rebuild.threads = threads;
        fill_rebuild(&mut summary.rebuild, &state);
        let held = std::mem::take(&mut batches.held);
        // The archive, for the update's fetches.
        let mut archive: HashMap<i64, CopyPost> = HashMap::with_capacity(corpus.posts as usize);
        for batch in ChannelBatches::open(dir, i64::MAX)? {
            for p in batch? {
                archive.insert(p.post_id, p);
            }
        }
        summary.update = update_stage(state, held, &archive, summary.rebuild.seconds, None)?;
        return Ok(summary);
    }

    let records: Vec<PostRecord> = read_jsonl(&dir.join("posts.jsonl"))?;
    let truth_pairs: Vec<TruthPair> = read_jsonl(&dir.join("truth_pairs.jsonl"))?;
    let sets = load_sets(dir)?;
    let chain_of: HashMap<i64, u64> = records
        .iter()
        .filter_map(|r| r.chain.map(|c| (r.post_id, c)))
        .collect();
    let c2 = |n: u64| n * n.saturating_sub(1) / 2;
    let mut chain_len: HashMap<u64, u64> = HashMap::new();
    for c in chain_of.values() {
        *chain_len.entry(*c).or_default() += 1;
    }
    let chain_truth_pairs: u64 = chain_len.values().map(|n| c2(*n)).sum();
    let lsh_truth: HashSet<(i64, i64)> = truth_pairs
        .iter()
        .filter(|p| p.kind != "exact")
        .map(|p| (p.a, p.b))
        .collect();
    summary.signatures = Some(signature_stage(
        &sets,
        &params,
        &lsh_truth,
        &chain_of,
        chain_truth_pairs,
    ));
    drop(sets);

    // The full rebuild, every core.
    let posts: Vec<CopyPost> = records.iter().map(copy_post).collect();
    let rss_before = rss();
    reset_peak_rss();
    let cpu = cpu_seconds(false);
    let start = Instant::now();
    let state = rebuild_in_memory(&posts, params.clone());
    summary.rebuild.seconds = secs(start);
    summary.rebuild.cpu_seconds = cpu_seconds(false) - cpu;
    summary.rebuild.peak_rss_bytes = peak_rss();
    summary.rebuild.rss_before_bytes = rss_before;
    summary.rebuild.rss_after_bytes = rss();
    summary.rebuild.posts = posts.len() as u64;
    summary.rebuild.threads = threads;
    fill_rebuild(&mut summary.rebuild, &state);
    summary.accuracy = Some(accuracy(&state, &records, &truth_pairs, &chain_of));

    // The update: the newest posts added to a state rebuilt without them.
    let (base, held): (Vec<CopyPost>, Vec<CopyPost>) =
        posts.iter().cloned().partition(|p| p.post_id <= newest);
    let start = Instant::now();
    let base_state = rebuild_in_memory(&base, params.clone());
    let base_seconds = secs(start);
    let archive: HashMap<i64, CopyPost> = posts.iter().map(|p| (p.post_id, p.clone())).collect();
    summary.update = update_stage(base_state, held, &archive, base_seconds, Some(&state))?;
    Ok(summary)
}

fn fill_rebuild(r: &mut RebuildStage, state: &CopyState) {
    r.texts = state.text_count() as u64;
    r.pairs = state.pair_count() as u64;
    r.clusters = state.cluster_count() as u64;
    let mut clustered = 0u64;
    state.for_each_cluster(&mut |c| clustered += c.posts.len() as u64);
    r.clustered_posts = clustered;
    r.heap_bytes = state
        .heap_bytes()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v as u64))
        .collect();
}

fn update_stage(
    mut state: CopyState,
    held: Vec<CopyPost>,
    archive: &HashMap<i64, CopyPost>,
    base_seconds: f64,
    full: Option<&CopyState>,
) -> anyhow::Result<UpdateStage> {
    let mut stage = UpdateStage {
        base_posts: state.post_count() as u64,
        new_posts: held.len() as u64,
        base_rebuild_seconds: base_seconds,
        ..UpdateStage::default()
    };
    let (mut fetches, mut fetched) = (0u64, 0u64);
    let mut fetch = |ids: &[i64]| -> Result<Vec<CopyPost>, std::convert::Infallible> {
        fetches += 1;
        fetched += ids.len() as u64;
        Ok(ids
            .iter()
            .filter_map(|id| archive.get(id).cloned())
            .collect())
    };
    let cpu = cpu_seconds(false);
    let start = Instant::now();
    let report = match state.update(2, held, &mut fetch) {
        Ok(r) => r,
        Err(e) => match e {},
    };
    stage.seconds = secs(start);
    stage.cpu_seconds = cpu_seconds(false) - cpu;
    stage.compared = report.compared;
    stage.needs_rebuild = report.needs_rebuild;
    stage.fetches = fetches;
    stage.fetched_posts = fetched;
    stage.equals_rebuild = full.map(|f| f.fingerprint() == state.fingerprint());
    Ok(stage)
}

fn accuracy(
    state: &CopyState,
    records: &[PostRecord],
    truth_pairs: &[TruthPair],
    chain_of: &HashMap<i64, u64>,
) -> Accuracy {
    let mut acc = Accuracy::default();
    let mut clusters: Vec<Cluster> = Vec::with_capacity(state.cluster_count());
    state.for_each_cluster(&mut |c| clusters.push(c.clone()));
    let cluster_of: HashMap<i64, i64> = clusters
        .iter()
        .flat_map(|c| c.posts.iter().map(move |p| (*p, c.id)))
        .collect();
    acc.clusters_vs_chains = cluster_pair_score(&cluster_of, chain_of);
    acc.clusters = state.cluster_count() as u64;
    let record_of: HashMap<i64, &PostRecord> = records.iter().map(|r| (r.post_id, r)).collect();

    // Direct full pairs: within each cluster, same text or a full edge.
    let is_full =
        |a: i64, b: i64| state.same_text(a, b) || state.edge(a, b).is_some_and(|e| e.full);
    let mut full_pairs: Vec<(i64, i64)> = Vec::new();
    for c in &clusters {
        for (i, a) in c.posts.iter().enumerate() {
            for b in &c.posts[i + 1..] {
                if is_full(*a, *b) {
                    full_pairs.push(pair(*a, *b));
                }
            }
        }
    }
    let truth: HashSet<(i64, i64)> = truth_pairs.iter().map(|p| (p.a, p.b)).collect();
    let same_family = |a: i64, b: i64| {
        let (ra, rb) = (record_of[&a], record_of[&b]);
        ra.kind == PostKind::Template && ra.family.is_some() && ra.family == rb.family
    };
    let correct = full_pairs.iter().filter(|p| truth.contains(p)).count() as u64;
    acc.full_pairs_vs_jaccard =
        PairScore::new(full_pairs.len() as u64, truth.len() as u64, correct);
    acc.template_truth_pairs = truth.iter().filter(|(a, b)| same_family(*a, *b)).count() as u64;
    let found_templates = full_pairs
        .iter()
        .filter(|(a, b)| truth.contains(&(*a, *b)) && same_family(*a, *b))
        .count() as u64;
    acc.full_pairs_vs_jaccard_without_templates = PairScore::new(
        full_pairs.len() as u64 - found_templates,
        truth.len() as u64 - acc.template_truth_pairs,
        correct - found_templates,
    );
    let c2 = |n: u64| n * n.saturating_sub(1) / 2;
    let mut chain_len: HashMap<u64, u64> = HashMap::new();
    for c in chain_of.values() {
        *chain_len.entry(*c).or_default() += 1;
    }
    acc.chains = chain_len.len() as u64;
    let same_chain = full_pairs
        .iter()
        .filter(|(a, b)| chain_of.get(a).is_some_and(|c| chain_of.get(b) == Some(c)))
        .count() as u64;
    acc.full_pairs_vs_chains = PairScore::new(
        full_pairs.len() as u64,
        chain_len.values().map(|n| c2(*n)).sum(),
        same_chain,
    );

    // Chains and clusters.
    let mut chain_clusters: HashMap<u64, HashSet<Option<i64>>> = HashMap::new();
    for (p, c) in chain_of {
        chain_clusters
            .entry(*c)
            .or_default()
            .insert(cluster_of.get(p).copied());
    }
    let mut cluster_members: HashMap<i64, Vec<i64>> = HashMap::new();
    for c in clusters {
        cluster_members.insert(c.id, c.posts);
    }
    for (chain, cs) in &chain_clusters {
        let only = cs.iter().next().copied().flatten();
        match (cs.len(), only) {
            (1, Some(cid)) => {
                let members = &cluster_members[&cid];
                if members.len() as u64 == chain_len[chain] {
                    acc.chains_exact += 1;
                }
            }
            _ => acc.chains_split += 1,
        }
    }
    for members in cluster_members.values() {
        let chains: HashSet<Option<u64>> =
            members.iter().map(|p| chain_of.get(p).copied()).collect();
        if chains.len() > 1 || chains.contains(&None) {
            acc.clusters_impure += 1;
        }
        for p in members {
            let r = record_of[p];
            if r.chain.is_none() {
                *acc.negatives_clustered
                    .entry(kind_name(r.kind).into())
                    .or_default() += 1;
            }
        }
    }
    for r in records {
        if r.kind != PostKind::Copy {
            continue;
        }
        let with_source = r.source.is_some_and(|s| {
            cluster_of
                .get(&s)
                .is_some_and(|c| cluster_of.get(&r.post_id) == Some(c))
        });
        let mut edits: Vec<&str> = r.edits.iter().map(String::as_str).collect();
        edits.push("all");
        if r.edits.iter().all(|e| e == "footer") {
            edits.push("footer_only_or_none");
        }
        for e in edits {
            let slot = acc.copies_by_edit.entry(e.to_string()).or_default();
            slot.0 += 1;
            slot.1 += u64::from(with_source);
        }
    }
    acc
}

/// The posts of `posts.jsonl`, one channel per batch (the file is ordered by channel); posts
/// with an id above `until` are held back (in `held`) for the update.
struct ChannelBatches {
    lines: std::io::Lines<BufReader<File>>,
    until: i64,
    next: Option<CopyPost>,
    held: Vec<CopyPost>,
    done: bool,
}

impl ChannelBatches {
    fn open(dir: &Path, until: i64) -> anyhow::Result<ChannelBatches> {
        let path = dir.join("posts.jsonl");
        let f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        Ok(ChannelBatches {
            lines: BufReader::with_capacity(1 << 20, f).lines(),
            until,
            next: None,
            held: Vec::new(),
            done: false,
        })
    }

    fn read_one(&mut self) -> anyhow::Result<Option<CopyPost>> {
        loop {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            let line = line?;
            if line.is_empty() {
                continue;
            }
            let r: PostRecord = serde_json::from_str(&line)?;
            let p = CopyPost {
                post_id: r.post_id,
                channel_id: r.channel_id,
                text: r.text,
            };
            if p.post_id > self.until {
                self.held.push(p);
                continue;
            }
            return Ok(Some(p));
        }
    }
}

impl Iterator for ChannelBatches {
    type Item = anyhow::Result<Vec<CopyPost>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let first = match self.next.take() {
            Some(p) => p,
            None => match self.read_one() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            },
        };
        let channel = first.channel_id;
        let mut batch = vec![first];
        loop {
            match self.read_one() {
                Ok(Some(p)) if p.channel_id == channel => batch.push(p),
                Ok(Some(p)) => {
                    self.next = Some(p);
                    break;
                }
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        Some(Ok(batch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_corpus(posts: usize) -> (tempfile::TempDir, CorpusSummary) {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = generate(dir.path(), posts, 3, true).expect("corpus");
        (dir, s)
    }

    #[test]
    fn the_same_seed_writes_the_same_corpus() {
        let (a, _) = small_corpus(600);
        let b = tempfile::tempdir().expect("temp dir");
        generate(b.path(), 600, 3, true).expect("corpus");
        for f in ["posts.jsonl", "shingles.jsonl", "truth_pairs.jsonl"] {
            let x = std::fs::read(a.path().join(f)).expect("read");
            let y = std::fs::read(b.path().join(f)).expect("read");
            assert!(x == y, "{f} differs");
        }
    }

    #[test]
    fn the_corpus_has_every_kind_and_ids_follow_copies() {
        let (dir, s) = small_corpus(1500);
        assert_eq!(s.posts, 1500);
        for k in ["original", "copy", "template", "topic", "unique"] {
            assert!(s.kinds.get(k).copied().unwrap_or(0) > 0, "no {k} posts");
        }
        let records: Vec<PostRecord> = read_jsonl(&dir.path().join("posts.jsonl")).expect("read");
        let mut ids: Vec<i64> = records.iter().map(|r| r.post_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=1500).collect::<Vec<_>>());
        for r in records.iter().filter(|r| r.kind == PostKind::Copy) {
            let src = r.source.expect("a copy has a source");
            assert!(src < r.post_id, "a copy comes after its source");
        }
        let words: Vec<usize> = records
            .iter()
            .map(|r| r.text.split_whitespace().count())
            .collect();
        assert!(words.iter().all(|w| *w >= 5));
        let mid = words.iter().filter(|w| (20..=100).contains(*w)).count();
        assert!(mid * 2 > words.len(), "most posts have 20 to 100 words");
    }

    #[test]
    fn the_join_finds_exactly_the_brute_force_pairs() {
        let (dir, _) = small_corpus(800);
        let sets = load_sets(dir.path()).expect("sets");
        let truth: Vec<TruthPair> =
            read_jsonl(&dir.path().join("truth_pairs.jsonl")).expect("read");
        let found: HashSet<(i64, i64)> = truth
            .iter()
            .filter(|p| p.kind != "exact")
            .map(|p| (p.a, p.b))
            .collect();
        let mut ids: Vec<i64> = sets
            .words
            .keys()
            .chain(sets.chars.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut brute = HashSet::new();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                if sets.jaccard(*a, *b).is_some_and(|j| j >= 0.7) {
                    brute.insert(pair(*a, *b));
                }
            }
        }
        assert!(!brute.is_empty());
        assert_eq!(found, brute);
    }

    #[test]
    fn a_run_scores_the_corpus_and_the_update_equals_the_rebuild() {
        let (dir, _) = small_corpus(2000);
        let s = run(dir.path(), 100, false).expect("run");
        let sig = s.signatures.expect("signature stage");
        assert!(sig.verified_vs_jaccard.precision == 1.0);
        assert!(
            sig.verified_vs_jaccard.recall > 0.9,
            "{:?}",
            sig.verified_vs_jaccard
        );
        let acc = s.accuracy.expect("accuracy");
        assert!(
            acc.clusters_vs_chains.recall > 0.5,
            "{:?}",
            acc.clusters_vs_chains
        );
        assert_eq!(s.update.new_posts, 100);
        assert_eq!(s.update.equals_rebuild, Some(true));
        let scaled = run(dir.path(), 100, true).expect("scale run");
        assert_eq!(scaled.rebuild.posts, 1900);
        assert_eq!(scaled.update.new_posts, 100);
        assert!(scaled.rebuild.clusters > 0 && !scaled.update.needs_rebuild);
    }

    #[test]
    fn cluster_scores_count_pairs() {
        let cluster_of: HashMap<i64, i64> = [(1, 1), (2, 1), (3, 1), (4, 4), (5, 4)].into();
        let chain_of: HashMap<i64, u64> = [(1, 0), (2, 0), (4, 1), (5, 1), (6, 1)].into();
        let s = cluster_pair_score(&cluster_of, &chain_of);
        // Cluster pairs: 3 + 1; chain pairs: 1 + 3; both: (1,2) and (4,5).
        assert_eq!((s.found, s.truth, s.correct), (4, 4, 2));
    }
}
