//! The network benchmark: a synthetic archive with planted coordination ([`generate`]) and the
//! measurement of tgscope's network analysis on it ([`run`]), for the comparison with the
//! coordination-network-toolkit that `benches/network/run.py` makes on the same files.
//!
//! # The corpus (`network-corpus`)
//!
//! Archived channels (one per 500 posts, at least 60) post over 90 days from 2024-01-01 UTC;
//! channels seen only as forward sources (one per ten archived channels, at least 10) are not
//! archived. Each archived channel has an activity weight (1 to 20); a background post's channel
//! is drawn by weight and its time uniformly over the period (a Poisson process per channel, for
//! the number of posts it got). Background posts are:
//!
//! - **forwards** (25%): of an origin post (its source channel, 70% of them only referenced, and
//!   message id) drawn from a pool of one origin per 25 posts with a skew to the popular ones
//!   (index = pool × u²), posted an exponential delay (mean 3 h) after the origin, with the
//!   origin's text; no links. A channel forwards an origin once, but for about 1% of forwards
//!   (an old post forwarded again);
//! - **link posts** (30%): a sentence and one URL (two in 10% of them) from a pool of one URL per
//!   4 posts with the same skew, 15% of shares with tracking parameters (`utm_*`, `fbclid`);
//! - **stock phrases** (3%): one of 40 fixed texts ("Good morning, subscribers!"), the same text
//!   posted again and again by many channels;
//! - **plain posts**: a sentence of 6 to 25 words from a synthetic vocabulary.
//!
//! Link and plain posts mention a channel (`@username`, 8%) and carry hashtags (15%).
//!
//! **Planted coordination**: groups of 3 to 8 archived channels (one group per 10,000 posts, at
//! least 4; no channel in two groups), each with 4 to 8 events of each kind, every member taking
//! part in every event within [`SPREAD`] seconds of the event's start:
//!
//! - co-forwarding: every member forwards the same new origin post;
//! - co-linking: every member posts the same new URL (30% of shares with tracking parameters)
//!   with a text of its own;
//! - co-posting: every member posts the same new text, word for word.
//!
//! Post ids follow time. The folder holds `posts.jsonl` (one `NetworkPost` per line, with the
//! text and the links without tracking parameters beside it), `channels.jsonl` (the channels'
//! facts), `toolkit.csv` (the coordination-network-toolkit 1.5.2's CSV input: `message_id,
//! user_id, username, repost_id, reply_id, message, timestamp, urls`, with `user_id` the channel,
//! `repost_id` the forward origin `channel/message`, `urls` space separated as posted),
//! `toolkit-clean-urls.csv` (the same with each URL without its tracking parameters),
//! `truth.json` (the planted groups) and `corpus.json` (counts).
//!
//! # The measurement (`network-run`)
//!
//! The posts are streamed into a [`NetworkState`] (the build, timed without the reading), then,
//! each timed apart with its peak memory: the channel graph of forwards, mentions and shared links
//! (`max_sharers` at the product's default), and coordination at the window and least count asked
//! for, for each object kind alone (co-forwarding, co-linking, co-posting) and for the three
//! together (with the limit on sharers asked for, and again with the product's default of 50).
//! Identical text stands for the copy analysis: every exact text posted at least twice outside
//! forwards is one copy cluster (its first post the earliest), handed over as [`CopyMember`]s, so
//! that co-posting is the toolkit's `co_tweet` on exact text. The coordination edges of each kind
//! are written to `coordination-KIND.csv` for the comparison, and the planted pairs are checked
//! against them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tgscope_analyze::network::{
    ChannelFacts, CopyMember, EdgeKind, Network, NetworkPost, NetworkQuery, NetworkState,
    ObjectKind, Value,
};

use crate::rng::Rng;

/// The corpus starts on 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200;
/// The corpus spans 90 days.
const SPAN: i64 = 90 * 86_400;
/// Planted shares of one event fall within this many seconds of its start.
pub const SPREAD: i64 = 45;
/// The product's default for objects shared by too many channels (the graph run uses it).
const PRODUCT_MAX_SHARERS: usize = 50;
/// Posts handed to the state at once.
const BATCH: usize = 50_000;

// ---------------------------------------------------------------------------------------------
// Files

/// One line of `posts.jsonl`: a [`NetworkPost`] with its text, and its links without tracking
/// parameters (what the toolkit's cleaned CSV holds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostLine {
    /// Post id (ids follow time).
    pub post_id: i64,
    /// Channel id.
    pub channel_id: i64,
    /// Unix seconds.
    pub date: i64,
    /// Forward origin: source channel id and message id.
    pub forward: Option<(i64, i64)>,
    /// Usernames mentioned (without `@`).
    pub mentions: Vec<String>,
    /// URLs as posted.
    pub links: Vec<String>,
    /// The same URLs without their tracking parameters.
    pub clean_links: Vec<String>,
    /// Hashtags (without `#`).
    pub hashtags: Vec<String>,
    /// The text as posted.
    pub text: String,
}

/// One line of `channels.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelLine {
    /// Channel id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Username.
    pub username: String,
    /// Posts archived (0 for a channel seen only as a forward source).
    pub posts: u64,
    /// First post (Unix seconds), when it has posts.
    pub first: Option<i64>,
    /// Last post, when it has posts.
    pub last: Option<i64>,
}

/// A planted group: its channels and its events by kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlantedGroup {
    /// Group number.
    pub group: usize,
    /// Its channels (ids, ascending).
    pub channels: Vec<i64>,
    /// Events of each kind (`forward`, `link`, `copy`): objects every member shared.
    pub events: BTreeMap<String, usize>,
}

/// `truth.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    /// Planted shares of one event fall within this many seconds of each other.
    pub spread: i64,
    /// The groups.
    pub groups: Vec<PlantedGroup>,
}

/// `corpus.json`, also printed by `network-corpus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CorpusSummary {
    /// Posts.
    pub posts: usize,
    /// The seed.
    pub seed: u64,
    /// Archived channels.
    pub channels: usize,
    /// Channels seen only as forward sources.
    pub sources: usize,
    /// Planted groups.
    pub groups: usize,
    /// Planted posts.
    pub planted_posts: usize,
    /// Pairs of channels in one group.
    pub planted_pairs: usize,
    /// Forwards (planted and background).
    pub forwards: usize,
    /// Forwards of an origin the channel had forwarded before (background).
    pub repeated_forwards: usize,
    /// Posts with links.
    pub link_posts: usize,
    /// Link shares with tracking parameters.
    pub tracked_links: usize,
    /// Posts of a stock phrase.
    pub stock_posts: usize,
    /// Posts with a mention.
    pub mention_posts: usize,
    /// Posts with hashtags.
    pub hashtag_posts: usize,
    /// Bytes of `posts.jsonl`.
    pub posts_bytes: u64,
    /// Bytes of `toolkit.csv`.
    pub csv_bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// The generator

/// Sizes derived from the number of posts.
#[derive(Debug, Clone, Copy)]
struct Layout {
    channels: usize,
    sources: usize,
    groups: usize,
    origins: usize,
    urls: usize,
}

impl Layout {
    fn of(posts: usize) -> Layout {
        let channels = (posts / 500).max(60);
        Layout {
            channels,
            sources: (channels / 10).max(10),
            groups: (posts / 10_000).clamp(4, channels / 12),
            origins: (posts / 25).max(50),
            urls: (posts / 4).max(200),
        }
    }
}

const STOCK_PHRASES: [&str; 40] = [
    "Good morning, subscribers!",
    "Доброе утро, подписчики!",
    "Breaking news",
    "Срочно",
    "Stay tuned",
    "Подробности позже",
    "Read more in our channel",
    "Читайте в нашем канале",
    "Good night!",
    "Спокойной ночи!",
    "Important!",
    "Важно!",
    "Subscribe and share",
    "Подписывайтесь и делитесь",
    "Live updates",
    "Прямая трансляция",
    "What do you think?",
    "Что думаете?",
    "Thread below",
    "Продолжение ниже",
    "Photo of the day",
    "Фото дня",
    "Video of the day",
    "Видео дня",
    "Happy holidays!",
    "С праздником!",
    "Weekend digest",
    "Дайджест недели",
    "Main news of the day",
    "Главное за день",
    "Morning briefing",
    "Утренний брифинг",
    "Evening briefing",
    "Вечерний брифинг",
    "Poll: vote now",
    "Опрос: голосуйте",
    "Share with friends",
    "Поделитесь с друзьями",
    "Thank you for reading",
    "Спасибо, что читаете",
];

const TRACKING: [&str; 5] = [
    "utm_source=telegram",
    "utm_source=tg&utm_medium=social",
    "utm_campaign=promo&utm_source=telegram",
    "fbclid=IwAR0x7sYn",
    "utm_medium=channel",
];

/// A post being generated (ids are given once all are sorted by time).
#[derive(Debug, Clone)]
struct Draft {
    channel: i64,
    date: i64,
    forward: Option<(i64, i64)>,
    mentions: Vec<String>,
    /// (as posted, without tracking parameters).
    links: Vec<(String, String)>,
    hashtags: Vec<String>,
    text: String,
}

/// An origin post that forwards point to.
struct Origin {
    source: i64,
    message: i64,
    date: i64,
    text: String,
}

struct Generator {
    rng: Rng,
    words: Vec<String>,
    sites: Vec<String>,
    /// Cumulative activity weights of the archived channels.
    activity: Vec<u64>,
    layout: Layout,
    drafts: Vec<Draft>,
    summary: CorpusSummary,
    next_message: i64,
}

fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// An index in `0..n` skewed to the low ones (index = n × u²).
fn skewed(rng: &mut Rng, n: usize) -> usize {
    let u = unit(rng);
    ((n as f64 * u * u) as usize).min(n - 1)
}

fn username(id: i64, layout: &Layout) -> String {
    if id as usize <= layout.channels {
        format!("chan{id}")
    } else {
        format!("source{id}")
    }
}

impl Generator {
    fn new(posts: usize, seed: u64) -> Generator {
        let mut rng = Rng::new(seed);
        let layout = Layout::of(posts);
        const SYLLABLES: [&str; 24] = [
            "ka", "ro", "mi", "ne", "tu", "sa", "lo", "vi", "de", "po", "ra", "zu", "ba", "li",
            "go", "te", "na", "shi", "mo", "re", "va", "di", "ko", "pe",
        ];
        let mut seen = BTreeSet::new();
        let mut words = Vec::new();
        while words.len() < 3000 {
            let n = rng.range(1, 5);
            let w: String = (0..n).map(|_| rng.pick(&SYLLABLES)).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let sites: Vec<String> = (0..200)
            .map(|i| {
                let www = if i % 3 == 0 { "www." } else { "" };
                format!("{www}{}{i}.example.org", words[i * 7])
            })
            .collect();
        let mut activity = Vec::with_capacity(layout.channels);
        let mut total = 0;
        for _ in 0..layout.channels {
            total += rng.range(1, 21);
            activity.push(total);
        }
        Generator {
            rng,
            words,
            sites,
            activity,
            layout,
            drafts: Vec::with_capacity(posts),
            summary: CorpusSummary {
                posts,
                seed,
                channels: layout.channels,
                sources: layout.sources,
                ..CorpusSummary::default()
            },
            next_message: 1,
        }
    }

    fn sentence(&mut self, lo: u64, hi: u64) -> String {
        let n = self.rng.range(lo, hi + 1);
        let mut out = String::new();
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let w = &self.words[self.rng.below(self.words.len() as u64) as usize];
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(w);
            }
        }
        out.push('.');
        out
    }

    /// A channel drawn by activity.
    fn channel(&mut self) -> i64 {
        let total = *self.activity.last().unwrap_or(&1);
        let r = self.rng.below(total);
        self.activity.partition_point(|c| *c <= r) as i64 + 1
    }

    /// A share of a URL: (as posted, clean), with tracking parameters at `per_mille`.
    fn share(&mut self, clean: &str, per_mille: u64) -> (String, String) {
        if self.rng.chance(per_mille) {
            self.summary.tracked_links += 1;
            let t = self.rng.pick(&TRACKING);
            (format!("{clean}?{t}"), clean.to_string())
        } else {
            (clean.to_string(), clean.to_string())
        }
    }

    fn url(&self, i: usize) -> String {
        let site = &self.sites[i % self.sites.len()];
        let section = &self.words[(i / self.sites.len()) % 50 + 100];
        format!("https://{site}/{section}/{i}")
    }

    fn origin(&mut self, date: i64) -> Origin {
        let source = if self.rng.chance(700) {
            (self.layout.channels + 1 + self.rng.below(self.layout.sources as u64) as usize) as i64
        } else {
            self.rng.below(self.layout.channels as u64) as i64 + 1
        };
        let message = self.next_message;
        self.next_message += 1;
        let text = self.sentence(8, 30);
        Origin {
            source,
            message,
            date,
            text,
        }
    }

    fn push(&mut self, d: Draft) {
        if d.forward.is_some() {
            self.summary.forwards += 1;
        }
        if !d.links.is_empty() {
            self.summary.link_posts += 1;
        }
        if !d.mentions.is_empty() {
            self.summary.mention_posts += 1;
        }
        if !d.hashtags.is_empty() {
            self.summary.hashtag_posts += 1;
        }
        self.drafts.push(d);
    }

    fn plain(channel: i64, date: i64, text: String) -> Draft {
        Draft {
            channel,
            date,
            forward: None,
            mentions: Vec::new(),
            links: Vec::new(),
            hashtags: Vec::new(),
            text,
        }
    }

    /// Planted groups and their events; returns the truth.
    fn plant(&mut self) -> Truth {
        let mut order: Vec<i64> = (1..=self.layout.channels as i64).collect();
        for i in (1..order.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let mut groups = Vec::new();
        let mut taken = 0;
        for g in 0..self.layout.groups {
            let k = self.rng.range(3, 9) as usize;
            let mut channels: Vec<i64> = order[taken..taken + k].to_vec();
            taken += k;
            channels.sort_unstable();
            let mut events = BTreeMap::new();
            for kind in ["forward", "link", "copy"] {
                let n = self.rng.range(4, 9) as usize;
                events.insert(kind.to_string(), n);
                for e in 0..n {
                    let start = START + self.rng.below((SPAN - 3_600) as u64) as i64;
                    // The object of the event: an origin, a URL or a text.
                    let object = match kind {
                        "forward" => {
                            let lead = self.rng.range(60, 3_600) as i64;
                            let o = self.origin(start - lead);
                            (Some((o.source, o.message)), o.text)
                        }
                        "link" => {
                            let site = self.rng.below(self.sites.len() as u64) as usize;
                            let word = self.rng.below(self.words.len() as u64) as usize;
                            let url = format!(
                                "https://{}/story/{}-{g}-{e}",
                                self.sites[site], self.words[word]
                            );
                            (None, url)
                        }
                        _ => (None, self.sentence(12, 20)),
                    };
                    for c in &channels {
                        let date = start + self.rng.below(SPREAD as u64 + 1) as i64;
                        let d = match kind {
                            "forward" => Draft {
                                forward: object.0,
                                ..Self::plain(*c, date, object.1.clone())
                            },
                            "link" => {
                                let shared = self.share(&object.1, 300);
                                let own = self.sentence(6, 20);
                                Draft {
                                    text: format!("{own} {}", shared.0),
                                    links: vec![shared],
                                    ..Self::plain(*c, date, String::new())
                                }
                            }
                            _ => Self::plain(*c, date, object.1.clone()),
                        };
                        self.summary.planted_posts += 1;
                        self.push(d);
                    }
                }
            }
            self.summary.planted_pairs += k * (k - 1) / 2;
            groups.push(PlantedGroup {
                group: g,
                channels,
                events,
            });
        }
        self.summary.groups = groups.len();
        Truth {
            spread: SPREAD,
            groups,
        }
    }

    fn background(&mut self, count: usize) {
        let origins: Vec<Origin> = (0..self.layout.origins)
            .map(|_| {
                let date = START + self.rng.below((SPAN - 86_400) as u64) as i64;
                self.origin(date)
            })
            .collect();
        let all_channels = (self.layout.channels + self.layout.sources) as u64;
        let mut forwarded: HashSet<(i64, usize)> = HashSet::new();
        for _ in 0..count {
            let channel = self.channel();
            let r = self.rng.below(1000);
            if r < 250 {
                // A channel forwards an origin once, but for 1% of forwards (an old post
                // forwarded again) and when eight draws find only origins it forwarded.
                let again = self.rng.chance(10);
                let mut pick = skewed(&mut self.rng, origins.len());
                for _ in 0..8 {
                    if again || !forwarded.contains(&(channel, pick)) {
                        break;
                    }
                    pick = skewed(&mut self.rng, origins.len());
                }
                if !forwarded.insert((channel, pick)) {
                    self.summary.repeated_forwards += 1;
                }
                let o = &origins[pick];
                let delay = (-10_800.0 * (1.0 - unit(&mut self.rng)).ln()) as i64;
                let date = (o.date + 1 + delay).min(START + SPAN - 1);
                let d = Draft {
                    forward: Some((o.source, o.message)),
                    ..Self::plain(channel, date, o.text.clone())
                };
                self.push(d);
                continue;
            }
            let date = START + self.rng.below(SPAN as u64) as i64;
            if (550..580).contains(&r) {
                self.summary.stock_posts += 1;
                let text = self.rng.pick(&STOCK_PHRASES).to_string();
                let d = Self::plain(channel, date, text);
                self.push(d);
                continue;
            }
            let mut text = self.sentence(6, 25);
            let mut d = Self::plain(channel, date, String::new());
            if self.rng.chance(80) {
                let name = if self.rng.chance(900) {
                    let id = skewed(&mut self.rng, all_channels as usize) as i64 + 1;
                    username(id, &self.layout)
                } else {
                    format!("nobody{}", self.rng.below(100))
                };
                text.push_str(&format!(" @{name}"));
                d.mentions.push(name);
            }
            if self.rng.chance(150) {
                for _ in 0..self.rng.range(1, 4) {
                    let tag = format!("tag{}", skewed(&mut self.rng, 500));
                    text.push_str(&format!(" #{tag}"));
                    d.hashtags.push(tag);
                }
            }
            if r < 550 {
                let n = if self.rng.chance(100) { 2 } else { 1 };
                for _ in 0..n {
                    let i = skewed(&mut self.rng, self.layout.urls);
                    let url = self.url(i);
                    let shared = self.share(&url, 150);
                    text.push(' ');
                    text.push_str(&shared.0);
                    d.links.push(shared);
                }
            }
            d.text = text;
            self.push(d);
        }
    }
}

/// Quotes a CSV field (always, as Python's `csv.QUOTE_ALL` does).
fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn file(path: &Path) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(path).with_context(|| format!("creating {}", path.display()))?,
    ))
}

/// Writes the corpus of `posts` posts into `out` (see the module's documentation).
pub fn generate(out: &Path, posts: usize, seed: u64) -> anyhow::Result<CorpusSummary> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut g = Generator::new(posts, seed);
    let truth = g.plant();
    anyhow::ensure!(
        g.drafts.len() <= posts,
        "{posts} posts are too few for the {} planted ones",
        g.drafts.len()
    );
    g.background(posts - g.drafts.len());
    let layout = g.layout;
    let mut summary = g.summary;
    let mut drafts = g.drafts;
    // Ids follow time (ties by channel, then by the order of generation).
    drafts.sort_by_key(|d| (d.date, d.channel));

    let mut facts: BTreeMap<i64, ChannelLine> = (1..=(layout.channels + layout.sources) as i64)
        .map(|id| {
            let name = username(id, &layout);
            (
                id,
                ChannelLine {
                    id,
                    title: if id as usize <= layout.channels {
                        format!("Channel {id}")
                    } else {
                        format!("Source {id}")
                    },
                    username: name,
                    posts: 0,
                    first: None,
                    last: None,
                },
            )
        })
        .collect();
    let mut jsonl = file(&out.join("posts.jsonl"))?;
    let mut csv_raw = file(&out.join("toolkit.csv"))?;
    let mut csv_clean = file(&out.join("toolkit-clean-urls.csv"))?;
    let header = "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n";
    csv_raw.write_all(header.as_bytes())?;
    csv_clean.write_all(header.as_bytes())?;
    for (i, d) in drafts.into_iter().enumerate() {
        let f = facts.get_mut(&d.channel).context("a post of no channel")?;
        f.posts += 1;
        f.first = Some(f.first.map_or(d.date, |x| x.min(d.date)));
        f.last = Some(f.last.map_or(d.date, |x| x.max(d.date)));
        let name = f.username.clone();
        let line = PostLine {
            post_id: i as i64 + 1,
            channel_id: d.channel,
            date: d.date,
            forward: d.forward,
            mentions: d.mentions,
            links: d.links.iter().map(|l| l.0.clone()).collect(),
            clean_links: d.links.iter().map(|l| l.1.clone()).collect(),
            hashtags: d.hashtags,
            text: d.text,
        };
        serde_json::to_writer(&mut jsonl, &line)?;
        jsonl.write_all(b"\n")?;
        let repost = line
            .forward
            .map_or(String::new(), |(c, m)| format!("{c}/{m}"));
        for (w, links) in [
            (&mut csv_raw, &line.links),
            (&mut csv_clean, &line.clean_links),
        ] {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{}",
                line.post_id,
                line.channel_id,
                csv_field(&name),
                csv_field(&repost),
                csv_field(""),
                csv_field(&line.text),
                line.date,
                csv_field(&links.join(" "))
            )?;
        }
    }
    jsonl.flush()?;
    csv_raw.flush()?;
    csv_clean.flush()?;
    let mut channels = file(&out.join("channels.jsonl"))?;
    for f in facts.values() {
        serde_json::to_writer(&mut channels, f)?;
        channels.write_all(b"\n")?;
    }
    channels.flush()?;
    std::fs::write(out.join("truth.json"), serde_json::to_vec_pretty(&truth)?)?;
    summary.posts_bytes = std::fs::metadata(out.join("posts.jsonl"))?.len();
    summary.csv_bytes = std::fs::metadata(out.join("toolkit.csv"))?.len();
    std::fs::write(
        out.join("corpus.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Measurement

/// Peak resident memory of this process so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    status_kb("VmHWM:") * 1024
}

/// Resident memory now (VmRSS), in bytes.
fn rss() -> u64 {
    status_kb("VmRSS:") * 1024
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user and system) of this process so far (from `/proc`, in the kernel's USER_HZ
/// of 100 ticks a second).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
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

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Time, CPU time and memory of one stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cost {
    /// Wall seconds.
    pub seconds: f64,
    /// CPU seconds of the process (user and system) in the stage.
    pub cpu_seconds: f64,
    /// Resident memory when the stage began.
    pub rss_before_bytes: u64,
    /// Peak resident memory during the stage (VmHWM, reset when it began; the peak of the
    /// process so far when the kernel refuses the reset).
    pub peak_rss_bytes: u64,
}

/// Runs `f` and measures it.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    reset_peak_rss();
    let rss_before_bytes = rss();
    let cpu = cpu_seconds();
    let start = Instant::now();
    let out = f();
    let cost = Cost {
        seconds: round4(start.elapsed().as_secs_f64()),
        cpu_seconds: round4(cpu_seconds() - cpu),
        rss_before_bytes,
        peak_rss_bytes: peak_rss(),
    };
    (out, cost)
}

/// Loading the posts into the state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildStage {
    /// Posts.
    pub posts: usize,
    /// `NetworkWriter::push` and `finish` calls only (the posts handed over in batches of
    /// 50,000, the state written to `network-state.bin` beside the run's files).
    pub seconds: f64,
    /// CPU seconds of those calls.
    pub cpu_seconds: f64,
    /// Reading and parsing `posts.jsonl` (not part of the build).
    pub read_seconds: f64,
    /// Peak resident memory while reading and building.
    pub peak_rss_bytes: u64,
    /// Resident memory once built (the state, the channels and the copy clusters).
    pub rss_after_bytes: u64,
    /// Exact texts posted at least twice outside forwards (the stand-in copy clusters).
    pub text_clusters: usize,
    /// Posts in those clusters.
    pub clustered_posts: usize,
}

/// The channel graph of forwards, mentions and shared links.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GraphStage {
    /// Its cost (measures included: degrees, PageRank, Louvain).
    pub cost: Cost,
    /// Nodes.
    pub nodes: usize,
    /// Edges by kind.
    pub edges: BTreeMap<String, usize>,
    /// Summed weights by kind (forwards, posts naming, shared URLs).
    pub weights: BTreeMap<String, f64>,
    /// URLs shared by more than the product's 50 channels (no link edges).
    pub objects_left_out: u64,
    /// Forwards whose source has no name (none in this corpus).
    pub unknown_sources: u64,
}

/// The planted pairs against coordination edges.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recovery {
    /// Planted pairs (two channels of one group).
    pub planted_pairs: usize,
    /// Of them with an edge.
    pub recovered: usize,
    /// Of them with an edge at least as heavy as the group's events of the kind.
    pub recovered_full_weight: usize,
    /// Edges in all.
    pub edges: usize,
    /// recovered / planted pairs.
    pub recall: f64,
    /// edges between planted pairs / edges (the rest is background coincidence).
    pub precision: f64,
}

/// Coordination for one object kind (or all three).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoordinationStage {
    /// Its cost.
    pub cost: Cost,
    /// Edges.
    pub edges: usize,
    /// Summed weights.
    pub weight: f64,
    /// Objects shared by more than `max_sharers` channels (left out).
    pub objects_left_out: u64,
    /// The planted groups against the edges.
    pub planted: Recovery,
    /// The edge file (`coordination-KIND.csv`).
    pub file: Option<PathBuf>,
}

/// What `network-run` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// Coordination window (seconds).
    pub window: i64,
    /// Least shared objects of a coordination edge.
    pub min_shared: usize,
    /// Objects shared by more channels link none (coordination runs).
    pub max_sharers: usize,
    /// Whether the peak memory could be reset before each stage.
    pub peak_reset: bool,
    /// Loading.
    pub build: BuildStage,
    /// The graph of forwards, mentions and links.
    pub graph: GraphStage,
    /// Coordination by object kind (`forward`, `link`, `copy`), for the three (`all`), and for
    /// the three with the product's default of 50 sharers at most per object
    /// (`all_max_sharers_50`).
    pub coordination: BTreeMap<String, CoordinationStage>,
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        if !line.is_empty() {
            out.push(
                serde_json::from_str(&line)
                    .with_context(|| format!("{} line {}", path.display(), n + 1))?,
            );
        }
    }
    Ok(out)
}

fn text_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The state built from `posts.jsonl`, and the stand-in copy clusters.
fn build(
    dir: &Path,
    out: &Path,
    stage: &mut BuildStage,
) -> anyhow::Result<(NetworkState, Vec<CopyMember>)> {
    let path = dir.join("posts.jsonl");
    let f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = BufReader::with_capacity(1 << 20, f).lines().enumerate();
    let empty = NetworkState::new();
    let mut writer = empty.writer(&out.join("network-state.bin"))?;
    // Per exact text (outside forwards): posts, and the earliest (date, post).
    let mut texts: HashMap<u64, (u32, (i64, i64))> = HashMap::new();
    let mut text_of: Vec<(i64, u64)> = Vec::new();
    let start = Instant::now();
    let (mut build_secs, mut build_cpu) = (0.0, 0.0);
    let mut batch = Vec::with_capacity(BATCH);
    let mut done = false;
    while !done {
        batch.clear();
        for (n, line) in lines.by_ref() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            let p: PostLine = serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), n + 1))?;
            if p.forward.is_none() {
                let h = text_hash(&p.text);
                let e = texts.entry(h).or_insert((0, (p.date, p.post_id)));
                e.0 += 1;
                e.1 = e.1.min((p.date, p.post_id));
                text_of.push((p.post_id, h));
            }
            batch.push(NetworkPost {
                post_id: p.post_id,
                channel_id: p.channel_id,
                date: Some(p.date),
                date_inferred: false,
                forward: p.forward.map(|(c, m)| (Some(c), Some(m))),
                mentions: p.mentions,
                links: p.links,
                hashtags: p.hashtags,
            });
            if batch.len() == BATCH {
                break;
            }
        }
        if batch.len() < BATCH {
            done = true;
        }
        stage.posts += batch.len();
        let cpu = cpu_seconds();
        let t = Instant::now();
        for p in batch.drain(..) {
            writer.push(&p)?;
        }
        build_secs += t.elapsed().as_secs_f64();
        build_cpu += cpu_seconds() - cpu;
    }
    let cpu = cpu_seconds();
    let t = Instant::now();
    let state = writer.finish(stage.posts as i64)?;
    build_secs += t.elapsed().as_secs_f64();
    build_cpu += cpu_seconds() - cpu;
    stage.seconds = round4(build_secs);
    stage.cpu_seconds = round4(build_cpu);
    stage.read_seconds = round4(start.elapsed().as_secs_f64() - build_secs);
    // Clusters: exact texts posted at least twice, numbered by their first post.
    let mut cluster_of: HashMap<u64, (i64, i64)> = HashMap::new();
    for (h, (n, (_, first))) in &texts {
        if *n >= 2 {
            cluster_of.insert(*h, (*first, *first));
        }
    }
    let members: Vec<CopyMember> = text_of
        .iter()
        .filter_map(|(post, h)| {
            let (cluster, first) = cluster_of.get(h)?;
            Some(CopyMember {
                post_id: *post,
                cluster: *cluster,
                first_post: *first,
                relation: if post == first {
                    "first"
                } else {
                    "unattributed"
                },
            })
        })
        .collect();
    stage.text_clusters = cluster_of.len();
    stage.clustered_posts = members.len();
    Ok((state, members))
}

/// A coordination edge's integer attribute.
fn attr(net: &Network, edge: usize, id: &str) -> i64 {
    let Some(i) = net.graph.edge_attrs.iter().position(|a| a.id == id) else {
        return 0;
    };
    match net.graph.edges[edge].values.get(i) {
        Some(Some(Value::Integer(v))) => *v,
        _ => 0,
    }
}

/// Writes a network's coordination edges as CSV: `source,target,weight,source_first,
/// target_first,simultaneous,min_delay` (channel ids, the lower one first).
fn write_edges(net: &Network, path: &Path) -> anyhow::Result<()> {
    let mut w = file(path)?;
    writeln!(
        w,
        "source,target,weight,source_first,target_first,simultaneous,min_delay"
    )?;
    for (i, e) in net.graph.edges.iter().enumerate() {
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            e.source,
            e.target,
            e.weight,
            attr(net, i, "source_first"),
            attr(net, i, "target_first"),
            attr(net, i, "simultaneous"),
            attr(net, i, "min_delay")
        )?;
    }
    w.flush()?;
    Ok(())
}

/// The planted pairs against a network's edges; `events` picks the events a pair should weigh
/// at least (per group).
fn recovery(truth: &Truth, net: &Network, events: &dyn Fn(&PlantedGroup) -> usize) -> Recovery {
    let mut planted: HashMap<(String, String), usize> = HashMap::new();
    for g in &truth.groups {
        for (i, a) in g.channels.iter().enumerate() {
            for b in &g.channels[i + 1..] {
                let (x, y) = if a.to_string() < b.to_string() {
                    (a.to_string(), b.to_string())
                } else {
                    (b.to_string(), a.to_string())
                };
                planted.insert((x, y), events(g));
            }
        }
    }
    let mut out = Recovery {
        planted_pairs: planted.len(),
        edges: net.graph.edges.len(),
        ..Recovery::default()
    };
    for e in &net.graph.edges {
        let key = if e.source < e.target {
            (e.source.clone(), e.target.clone())
        } else {
            (e.target.clone(), e.source.clone())
        };
        if let Some(least) = planted.get(&key) {
            out.recovered += 1;
            if e.weight >= *least as f64 {
                out.recovered_full_weight += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| {
        if b == 0 {
            1.0
        } else {
            (a as f64 / b as f64 * 1e5).round() / 1e5
        }
    };
    out.recall = ratio(out.recovered, out.planted_pairs);
    out.precision = ratio(out.recovered, out.edges);
    out
}

/// Measures tgscope's network analysis on a corpus (see the module's documentation); writes the
/// coordination edges into `out` (the corpus folder when `None`).
pub fn run(
    dir: &Path,
    window: i64,
    min_shared: usize,
    max_sharers: usize,
    out: Option<&Path>,
) -> anyhow::Result<RunSummary> {
    let out = out.unwrap_or(dir);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let truth: Truth = serde_json::from_slice(
        &std::fs::read(dir.join("truth.json")).context("reading truth.json")?,
    )?;
    let channels: Vec<ChannelFacts> = read_lines::<ChannelLine>(&dir.join("channels.jsonl"))?
        .into_iter()
        .map(|c| ChannelFacts {
            id: c.id,
            title: Some(c.title),
            username: Some(c.username),
            posts: c.posts,
            first: c.first,
            last: c.last,
        })
        .collect();
    let mut summary = RunSummary {
        window,
        min_shared,
        max_sharers,
        peak_reset: reset_peak_rss(),
        ..RunSummary::default()
    };

    let mut stage = BuildStage::default();
    let (built, cost) = measure(|| build(dir, out, &mut stage));
    let (state, members) = built?;
    stage.peak_rss_bytes = cost.peak_rss_bytes;
    stage.rss_after_bytes = rss();
    summary.build = stage;

    let graph_query = NetworkQuery {
        kinds: vec![EdgeKind::Forward, EdgeKind::Mention, EdgeKind::Link],
        max_sharers: PRODUCT_MAX_SHARERS,
        ..NetworkQuery::default()
    };
    let (net, cost) = measure(|| state.network(&graph_query, &channels, &[]));
    let net = net?;
    let mut graph = GraphStage {
        cost,
        nodes: net.graph.nodes.len(),
        objects_left_out: net.objects_left_out,
        unknown_sources: net.unknown_sources,
        ..GraphStage::default()
    };
    for e in &net.graph.edges {
        *graph.edges.entry(e.kind.to_string()).or_default() += 1;
        *graph.weights.entry(e.kind.to_string()).or_default() += e.weight;
    }
    summary.graph = graph;
    drop(net);

    let three = vec![ObjectKind::Forward, ObjectKind::Link, ObjectKind::Copy];
    let runs: [(&str, Vec<ObjectKind>, usize); 5] = [
        ("forward", vec![ObjectKind::Forward], max_sharers),
        ("link", vec![ObjectKind::Link], max_sharers),
        ("copy", vec![ObjectKind::Copy], max_sharers),
        ("all", three.clone(), max_sharers),
        ("all_max_sharers_50", three, PRODUCT_MAX_SHARERS),
    ];
    for (name, objects, max_sharers) in runs {
        let q = NetworkQuery {
            kinds: vec![EdgeKind::Coordination],
            window,
            min_shared,
            max_sharers,
            objects,
            ..NetworkQuery::default()
        };
        let (net, cost) = measure(|| state.network(&q, &channels, &members));
        let net = net?;
        let planted = recovery(&truth, &net, &|g| {
            if name.starts_with("all") {
                g.events.values().sum()
            } else {
                g.events.get(name).copied().unwrap_or(0)
            }
        });
        let file = (!name.starts_with("all")).then(|| out.join(format!("coordination-{name}.csv")));
        if let Some(path) = &file {
            write_edges(&net, path)?;
        }
        summary.coordination.insert(
            name.to_string(),
            CoordinationStage {
                cost,
                edges: net.graph.edges.len(),
                weight: net.graph.edges.iter().map(|e| e.weight).sum(),
                objects_left_out: net.objects_left_out,
                planted,
                file,
            },
        );
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_writes_the_same_corpus() {
        let a = tempfile::tempdir().expect("temp dir");
        let b = tempfile::tempdir().expect("temp dir");
        let c = tempfile::tempdir().expect("temp dir");
        generate(a.path(), 3000, 5).expect("corpus");
        generate(b.path(), 3000, 5).expect("corpus");
        generate(c.path(), 3000, 6).expect("corpus");
        for f in [
            "posts.jsonl",
            "channels.jsonl",
            "toolkit.csv",
            "toolkit-clean-urls.csv",
            "truth.json",
            "corpus.json",
        ] {
            let x = std::fs::read(a.path().join(f)).expect("read");
            let y = std::fs::read(b.path().join(f)).expect("read");
            assert!(x == y, "{f} differs for the same seed");
        }
        let x = std::fs::read(a.path().join("posts.jsonl")).expect("read");
        let z = std::fs::read(c.path().join("posts.jsonl")).expect("read");
        assert!(x != z, "another seed gives the same posts");
    }

    #[test]
    fn the_corpus_holds_what_it_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = generate(dir.path(), 3000, 5).expect("corpus");
        let posts: Vec<PostLine> = read_lines(&dir.path().join("posts.jsonl")).expect("posts");
        assert_eq!(posts.len(), 3000);
        assert_eq!(s.posts, 3000);
        assert!(posts.windows(2).all(|w| w[0].post_id + 1 == w[1].post_id));
        assert!(
            posts.windows(2).all(|w| w[0].date <= w[1].date),
            "ids follow time"
        );
        assert!(s.forwards > 500 && s.link_posts > 500 && s.stock_posts > 20);
        assert!(s.tracked_links > 0 && s.mention_posts > 0 && s.hashtag_posts > 0);
        let csv = std::fs::read_to_string(dir.path().join("toolkit.csv")).expect("csv");
        assert_eq!(csv.lines().count(), 3001);
        assert!(csv.contains("utm_"));
        let clean =
            std::fs::read_to_string(dir.path().join("toolkit-clean-urls.csv")).expect("clean csv");
        let url_column = |line: &str| line.rsplit(",\"").next().unwrap_or("").to_string();
        assert!(!clean.lines().any(|l| url_column(l).contains("utm_")));
        // Every planted member posted every event of its group.
        let truth: Truth =
            serde_json::from_slice(&std::fs::read(dir.path().join("truth.json")).expect("truth"))
                .expect("truth json");
        assert_eq!(truth.groups.len(), s.groups);
        for g in &truth.groups {
            assert!((3..=8).contains(&g.channels.len()));
            let expected: usize = g.events.values().sum();
            for c in &g.channels {
                let own = posts.iter().filter(|p| p.channel_id == *c).count();
                assert!(
                    own >= expected,
                    "channel {c} has {own} posts, fewer than planted"
                );
            }
        }
    }

    #[test]
    fn planted_groups_are_recovered_at_the_planted_window() {
        let dir = tempfile::tempdir().expect("temp dir");
        generate(dir.path(), 6000, 11).expect("corpus");
        let out = tempfile::tempdir().expect("temp dir");
        let s = run(dir.path(), 60, 3, usize::MAX, Some(out.path())).expect("run");
        assert_eq!(s.build.posts, 6000);
        for kind in ["forward", "link", "copy", "all"] {
            let c = &s.coordination[kind];
            assert!(c.planted.planted_pairs > 0);
            assert_eq!(
                c.planted.recovered, c.planted.planted_pairs,
                "{kind}: planted pairs missed"
            );
            assert_eq!(
                c.planted.recovered_full_weight, c.planted.planted_pairs,
                "{kind}: a planted pair weighs less than its events"
            );
            // At a one-minute window, background coincidences stay rare.
            assert!(c.planted.precision >= 0.9, "{kind}: {:?}", c.planted);
        }
        // The edge files hold the edges.
        let forward =
            std::fs::read_to_string(out.path().join("coordination-forward.csv")).expect("edges");
        assert_eq!(forward.lines().count(), s.coordination["forward"].edges + 1);
        // Every forward became a forward edge (sources are named in this corpus).
        assert_eq!(s.graph.unknown_sources, 0);
        assert!(s.graph.edges.get("forward").copied().unwrap_or(0) > 0);
        assert!(s.graph.edges.get("mention").copied().unwrap_or(0) > 0);
        assert!(s.graph.edges.get("link").copied().unwrap_or(0) > 0);
        let corpus: CorpusSummary = serde_json::from_slice(
            &std::fs::read(dir.path().join("corpus.json")).expect("corpus.json"),
        )
        .expect("corpus json");
        assert_eq!(
            s.graph.weights.get("forward").copied().unwrap_or(0.0),
            corpus.forwards as f64 - self_forwards(dir.path())
        );
    }

    /// Forwards of a channel's own posts (no edge: self-loops are left out).
    fn self_forwards(dir: &Path) -> f64 {
        let posts: Vec<PostLine> = read_lines(&dir.join("posts.jsonl")).expect("posts");
        posts
            .iter()
            .filter(|p| p.forward.is_some_and(|(c, _)| c == p.channel_id))
            .count() as f64
    }
}
