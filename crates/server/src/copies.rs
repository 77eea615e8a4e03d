//! Copies on the pages: a post's "Copies" section, the page of a cluster (`/clusters/{id}`),
//! the list of clusters (`/clusters`), and a channel's "Copies from" and "Copied by" tables.
//!
//! "First" is always first seen *in this archive*, and every page says what that rests on: the
//! earliest observed date, an inferred date when no post of the cluster has an observed one,
//! or the archive's order when none is dated.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tgscope_engine::{
    ChannelCopies, ClusterDetail, ClusterFilter, CopyAttribution, CopyCounterpart, CopyItem,
};

use crate::AppState;
use crate::archive;
use crate::chart::{self, Timeline, TimelinePost};
use crate::config::DEFAULT_LIMIT;
use crate::cursor::Paging;
use crate::links;
use crate::pages::{Choice, date_span, error_page, observed, render};
use crate::params::{self, Params, PathText};
use crate::problem::ApiError;

/// How many posts of a cluster a post's page lists (the cluster's page lists them all).
pub const POST_PAGE_COPIES: usize = 50;
/// How many words added or removed a row shows (the JSON and CSV have them all).
const CHANGED_WORDS: usize = 6;
/// How many channels a row of the list of clusters names.
const LISTED_CHANNELS: usize = 4;

/// A duration in words: `45 s`, `12 min`, `1 h 30 min`, `2 d 3 h`.
pub fn duration_text(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A signed delay: `+1 h 30 min` after, `−5 min` before.
pub fn delay_text(seconds: i64) -> String {
    let sign = if seconds < 0 { '−' } else { '+' };
    format!("{sign}{}", duration_text(seconds))
}

/// A share as a whole percentage, never rounded up to 100% (or down to 0%) when it is not.
pub fn percent(share: f64) -> String {
    let p = (share * 100.0).clamp(0.0, 100.0);
    let whole = if share >= 1.0 {
        100.0
    } else if p > 0.0 && p < 1.0 {
        1.0
    } else {
        p.floor().min(99.0)
    };
    format!("{whole:.0}%")
}

/// A post's relation to the first in words.
fn relation_text(relation: &str) -> &'static str {
    match relation {
        "first" => "first seen",
        "forward" => "forward",
        "attributed" => "copy naming its source",
        "unattributed" => "copy without attribution",
        "partial" => "partial copy",
        _ => "copy",
    }
}

/// How a copy names its source, in words.
fn attribution_text(a: &CopyAttribution) -> String {
    match a.kind {
        "forward_header" => format!("forward header: {}", a.names),
        "link" => format!("links to t.me/{}", a.names),
        "mention" => format!("mentions @{}", a.names),
        "source_line" => format!("source line: “{}”", a.names),
        other => format!("{other}: {}", a.names),
    }
}

/// A date as the copies tables show it: observed in UTC, an inferred one with `~`.
fn date_text(date: &Option<String>, inferred: bool) -> String {
    match date {
        None => "undated".into(),
        Some(d) if inferred => format!("~{d}"),
        Some(d) => observed(d),
    }
}

/// What "first seen in this archive" rests on, in words.
fn basis_text(basis: &str) -> &'static str {
    match basis {
        "observed" => "the earliest date a capture gave (an observed date) among these posts",
        "inferred" => {
            "an inferred date: no post here has a date a capture gave, so the earliest date \
             inferred from the captures decides"
        }
        _ => {
            "the archive's order: no post here is dated, so the post archived first (the \
             lowest archive id) is taken"
        }
    }
}

/// A post of a cluster as a row of a table.
pub struct CopyRow {
    pub(crate) id: i64,
    pub(crate) href: String,
    /// The post whose page this is.
    pub(crate) this: bool,
    pub(crate) channel: String,
    pub(crate) channel_href: String,
    pub(crate) date: String,
    pub(crate) inferred: bool,
    pub(crate) delay: String,
    pub(crate) similarity: String,
    pub(crate) relation: &'static str,
    /// The relation's stable name, as a class.
    pub(crate) relation_class: &'static str,
    pub(crate) attribution: Option<String>,
    pub(crate) added: Vec<String>,
    pub(crate) added_more: usize,
    pub(crate) removed: Vec<String>,
    pub(crate) removed_more: usize,
}

fn shortened(words: &[String]) -> (Vec<String>, usize) {
    let shown = words.iter().take(CHANGED_WORDS).cloned().collect();
    (shown, words.len().saturating_sub(CHANGED_WORDS))
}

/// Whether the first post of `detail` is dated by an inferred date.
fn first_inferred(detail: &ClusterDetail) -> bool {
    detail
        .posts
        .iter()
        .find(|p| p.first_seen)
        .is_some_and(|p| p.date_inferred)
}

/// A post as a row; `first_inferred`: the first post's date is inferred (so is the delay).
fn copy_row(item: &CopyItem, this: Option<i64>, first_inferred: bool) -> CopyRow {
    let (added, added_more) = shortened(&item.added);
    let (removed, removed_more) = shortened(&item.removed);
    let similarity = if item.first_seen {
        "–".to_string()
    } else if item.relation == "partial" {
        format!(
            "{} ({} contained)",
            percent(item.similarity),
            percent(item.containment)
        )
    } else {
        percent(item.similarity)
    };
    CopyRow {
        id: item.id,
        href: format!("/posts/{}", item.id),
        this: this == Some(item.id),
        channel: item.channel.name(),
        channel_href: links::channel_page(&item.channel),
        date: date_text(&item.date, item.date_inferred),
        inferred: item.date.is_some() && item.date_inferred,
        delay: match (item.first_seen, item.delay_seconds) {
            (true, _) => "first".into(),
            // A delay that rests on an inferred date is as rough as that date.
            (false, Some(s)) if item.date_inferred || first_inferred => {
                format!("~{}", delay_text(s))
            }
            (false, Some(s)) => delay_text(s),
            (false, None) => "–".into(),
        },
        similarity,
        relation: relation_text(item.relation),
        relation_class: item.relation,
        attribution: item.attribution.as_ref().map(attribution_text),
        added,
        added_more,
        removed,
        removed_more,
    }
}

/// The first post seen in this archive, and what that rests on.
pub struct FirstSeen {
    pub(crate) id: i64,
    pub(crate) href: String,
    pub(crate) channel: String,
    pub(crate) channel_href: String,
    pub(crate) date: String,
    pub(crate) inferred: bool,
    pub(crate) basis: &'static str,
}

fn first_seen(detail: &ClusterDetail) -> Option<FirstSeen> {
    let first = detail
        .posts
        .iter()
        .find(|p| p.id == detail.first_post)
        .or_else(|| detail.posts.first())?;
    Some(FirstSeen {
        id: first.id,
        href: format!("/posts/{}", first.id),
        channel: first.channel.name(),
        channel_href: links::channel_page(&first.channel),
        date: date_text(&first.date, first.date_inferred),
        inferred: first.date.is_some() && first.date_inferred,
        basis: basis_text(detail.first_seen_basis),
    })
}

fn posts_text(posts: usize, channels: usize) -> String {
    let times = match posts {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let channels = match channels {
        1 => "1 channel".to_string(),
        n => format!("{n} channels"),
    };
    format!("{times} in {channels}")
}

/// The "Copies" section of a post's page.
pub struct PostCopiesView {
    pub(crate) cluster: i64,
    pub(crate) cluster_href: String,
    pub(crate) summary: String,
    pub(crate) first: Option<FirstSeen>,
    pub(crate) rows: Vec<CopyRow>,
    /// Posts of the cluster not listed (the cluster's page lists them).
    pub(crate) more: usize,
    pub(crate) json_url: String,
    pub(crate) csv_url: String,
}

/// The "Copies" section of the page of post `post` in cluster `detail`.
pub fn post_copies(detail: &ClusterDetail, post: i64) -> PostCopiesView {
    PostCopiesView {
        cluster: detail.cluster,
        cluster_href: format!("/clusters/{}", detail.cluster),
        summary: posts_text(detail.posts.len(), detail.channel_count),
        first: first_seen(detail),
        rows: detail
            .posts
            .iter()
            .take(POST_PAGE_COPIES)
            .map(|p| copy_row(p, Some(post), first_inferred(detail)))
            .collect(),
        more: detail.posts.len().saturating_sub(POST_PAGE_COPIES),
        json_url: format!("/api/v1/posts/{post}/copies"),
        csv_url: format!("/api/v1/clusters/{}?format=csv", detail.cluster),
    }
}

/// What a page shows of the copy analysis: its answer, or why there is none.
pub struct CopiesSection<T> {
    /// The answer, when there is one.
    pub view: Option<T>,
    /// What to say instead (no copies, or the analysis failed).
    pub note: Option<String>,
    /// Whether an ingest at work is still bringing the analysis up to the archive.
    pub catching_up: bool,
}

/// A post's "Copies" section: its cluster, "no copies", or why the analysis did not answer
/// (the rest of the page is shown either way).
pub async fn post_section(state: &AppState, id: i64) -> CopiesSection<PostCopiesView> {
    match archive::copies_of(state, id).await {
        Ok(found) => CopiesSection {
            note: found
                .answer
                .is_none()
                .then(|| "No copies of this post in the archive.".to_string()),
            view: found.answer.map(|c| post_copies(&c.detail, id)),
            catching_up: found.catching_up,
        },
        Err(e) => CopiesSection {
            view: None,
            note: Some(format!("The copy analysis did not answer: {}", e.detail)),
            catching_up: false,
        },
    }
}

/// A channel of a cluster, with its posts in it.
struct ClusterChannelRow {
    name: String,
    href: String,
    posts: usize,
    first_date: String,
    relations: String,
}

fn cluster_channels(detail: &ClusterDetail) -> Vec<ClusterChannelRow> {
    let mut order: Vec<i64> = Vec::new();
    for p in &detail.posts {
        if !order.contains(&p.channel.id) {
            order.push(p.channel.id);
        }
    }
    order
        .iter()
        .filter_map(|id| {
            let posts: Vec<&CopyItem> = detail
                .posts
                .iter()
                .filter(|p| p.channel.id == *id)
                .collect();
            let first = posts.first()?;
            let mut relations: Vec<(&str, usize)> = Vec::new();
            for p in &posts {
                let name = relation_text(p.relation);
                match relations.iter_mut().find(|(r, _)| *r == name) {
                    Some((_, n)) => *n += 1,
                    None => relations.push((name, 1)),
                }
            }
            Some(ClusterChannelRow {
                name: first.channel.name(),
                href: links::channel_page(&first.channel),
                posts: posts.len(),
                first_date: date_text(&first.date, first.date_inferred),
                relations: relations
                    .iter()
                    .map(|(r, n)| {
                        if *n == 1 {
                            r.to_string()
                        } else {
                            format!("{n} × {r}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "cluster.html")]
struct ClusterPage {
    id: i64,
    summary: String,
    excerpt: String,
    first: Option<FirstSeen>,
    span: Option<String>,
    timeline: Option<Timeline>,
    channels: Vec<ClusterChannelRow>,
    rows: Vec<CopyRow>,
    search_href: String,
    json_url: String,
    csv_url: String,
    catching_up: bool,
}

fn cluster_page(detail: &ClusterDetail, catching_up: bool) -> ClusterPage {
    let posts: Vec<TimelinePost> = detail
        .posts
        .iter()
        .map(|p| TimelinePost {
            href: format!("/posts/{}", p.id),
            lane: p.channel.id,
            lane_name: p.channel.name(),
            date: p.date.clone(),
            inferred: p.date_inferred,
            kind: p.relation,
            label: format!(
                "#{} · {} · {}{} · {}",
                p.id,
                p.channel.name(),
                date_text(&p.date, p.date_inferred),
                if p.date_inferred {
                    " (inferred date)"
                } else {
                    ""
                },
                relation_text(p.relation)
            ),
        })
        .collect();
    let dated: Vec<(i64, &CopyItem)> = detail
        .posts
        .iter()
        .filter_map(|p| Some((chart::seconds_of(p.date.as_deref()?)?, p)))
        .collect();
    let earliest = dated.iter().min_by_key(|d| d.0).map(|d| &d.1);
    let latest = dated.iter().max_by_key(|d| d.0).map(|d| &d.1);
    let day = |p: Option<&&CopyItem>| p.map(|p| list_date(&p.date, p.date_inferred));
    let search_query = format!("cluster:{}", detail.cluster);
    let api = format!("/api/v1/clusters/{}", detail.cluster);
    ClusterPage {
        id: detail.cluster,
        summary: posts_text(detail.posts.len(), detail.channel_count),
        excerpt: detail
            .posts
            .first()
            .map(|p| p.excerpt.clone())
            .unwrap_or_default(),
        first: first_seen(detail),
        span: date_span(&day(earliest), &day(latest)),
        timeline: chart::timeline(
            format!("Posts of cluster {} over time, by channel", detail.cluster),
            &posts,
        ),
        channels: cluster_channels(detail),
        rows: detail
            .posts
            .iter()
            .map(|p| copy_row(p, None, first_inferred(detail)))
            .collect(),
        search_href: links::with_query("/search", &[("q", &search_query)]),
        csv_url: links::with_query(&api, &[("format", "csv")]),
        json_url: api,
        catching_up,
    }
}

/// `/clusters/{id}`: a cluster of copies: its timeline per channel, its channels, the first
/// post seen in this archive and what that rests on, and every post in time order.
pub async fn cluster(State(state): State<AppState>, id: Result<PathText, ApiError>) -> Response {
    let result = async {
        let PathText(id) = id?;
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| ApiError::not_found(format!("no cluster with id {id:?}")))?;
        archive::cluster(&state, id).await
    }
    .await;
    match result {
        Ok(found) => render(
            &cluster_page(&found.answer, found.catching_up),
            StatusCode::OK,
        ),
        Err(e) => error_page(&e),
    }
}

/// The form of the list of clusters.
#[derive(Debug, Default, Deserialize)]
pub struct ClustersForm {
    /// `size`, `channels` or `first`.
    #[serde(default)]
    pub sort: String,
    /// At least this many channels.
    #[serde(default)]
    pub min_channels: String,
    /// First seen on or after this day.
    #[serde(default)]
    pub since: String,
    /// First seen before this day.
    #[serde(default)]
    pub until: String,
    /// The paging cursor.
    #[serde(default)]
    pub cursor: String,
}

const CLUSTER_SORTS: &[(&str, &str)] = &[
    ("size", "most posts"),
    ("channels", "most channels"),
    ("first", "earliest first"),
];

const MIN_CHANNELS: &[(&str, &str)] = &[
    ("", "any"),
    ("2", "2 or more"),
    ("3", "3 or more"),
    ("5", "5 or more"),
    ("10", "10 or more"),
];

/// A channel named in a list.
struct NamedLink {
    name: String,
    href: String,
}

/// A cluster as the list shows it.
struct ClusterRow {
    id: i64,
    href: String,
    size: usize,
    channel_count: usize,
    channels: Vec<NamedLink>,
    channels_more: usize,
    first_date: String,
    first_inferred: bool,
    last_date: String,
    excerpt: String,
}

#[derive(Template)]
#[template(path = "clusters.html")]
struct ClustersPage {
    sort_choices: Vec<Choice>,
    min_choices: Vec<Choice>,
    since: String,
    until: String,
    total_text: String,
    undated_note: Option<String>,
    rows: Vec<ClusterRow>,
    prev: Option<String>,
    next: Option<String>,
    json_url: String,
    csv_url: String,
    catching_up: bool,
}

fn choices(all: &[(&'static str, &'static str)], value: &str) -> Vec<Choice> {
    all.iter()
        .map(|(v, label)| Choice {
            value: v,
            label,
            selected: *v == value,
        })
        .collect()
}

/// The day of a date in a list, `~` before an inferred one.
fn list_date(date: &Option<String>, inferred: bool) -> String {
    match date {
        None => "undated".into(),
        Some(d) => {
            let day = d.get(..10).unwrap_or(d);
            if inferred {
                format!("~{day}")
            } else {
                day.to_string()
            }
        }
    }
}

/// `/clusters`: the clusters of copies, largest first (or by channels, or by date), paged,
/// with how many there are.
pub async fn clusters(
    State(state): State<AppState>,
    form: Result<Params<ClustersForm>, ApiError>,
) -> Response {
    match clusters_page(&state, form).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

async fn clusters_page(
    state: &AppState,
    form: Result<Params<ClustersForm>, ApiError>,
) -> Result<ClustersPage, ApiError> {
    let Params(form) = form?;
    let (sort, sort_name) = params::cluster_sort(Some(&form.sort))?;
    let min_text = form.min_channels.trim().to_string();
    let min_channels: usize = if min_text.is_empty() {
        0
    } else {
        min_text.parse().map_err(|_| {
            ApiError::bad_request(format!("min_channels {min_text:?} is not a number"))
        })?
    };
    let since = params::date_bound("since", Some(&form.since))?;
    let until = params::date_bound("until", Some(&form.until))?;
    let since_text = since.clone().unwrap_or_default();
    let until_text = until.clone().unwrap_or_default();
    let limit = DEFAULT_LIMIT.min(state.config.max_limit);
    let paging = Paging::from_cursor(
        Some(&form.cursor),
        &[
            "clusters-page",
            &min_text,
            &since_text,
            &until_text,
            sort_name,
        ],
    )?;
    let found = archive::clusters(
        state,
        ClusterFilter {
            min_channels,
            since,
            until,
            sort,
            limit: Some(limit),
            offset: paging.offset,
        },
        true,
    )
    .await?;
    let (page, firsts) = found.answer;
    let filters: Vec<(&str, &str)> = vec![
        ("sort", if sort_name == "size" { "" } else { sort_name }),
        ("min_channels", &min_text),
        ("since", &since_text),
        ("until", &until_text),
    ];
    let page_url = |cursor: String| {
        let mut pairs = filters.clone();
        pairs.push(("cursor", &cursor));
        links::with_query("/clusters", &pairs)
    };
    let rows = page
        .clusters
        .iter()
        .map(|c| {
            let first = firsts.iter().find(|p| p.post.id == c.first_post);
            ClusterRow {
                id: c.cluster,
                href: format!("/clusters/{}", c.cluster),
                size: c.size,
                channel_count: c.channels.len(),
                channels: c
                    .channels
                    .iter()
                    .take(LISTED_CHANNELS)
                    .map(|ch| NamedLink {
                        name: ch.name(),
                        href: links::channel_page(ch),
                    })
                    .collect(),
                channels_more: c.channels.len().saturating_sub(LISTED_CHANNELS),
                first_date: list_date(&c.first_date, c.first_seen_basis == "inferred"),
                first_inferred: c.first_seen_basis == "inferred",
                last_date: list_date(&c.last_date, c.last_date_inferred),
                excerpt: first
                    .map(|p| excerpt(&p.post.current.text))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut api_pairs = vec![
        ("min_channels", min_text.as_str()),
        ("since", since_text.as_str()),
        ("until", until_text.as_str()),
        ("sort", sort_name),
    ];
    let json_url = links::with_query("/api/v1/clusters", &api_pairs);
    api_pairs.push(("format", "csv"));
    Ok(ClustersPage {
        sort_choices: choices(CLUSTER_SORTS, sort_name),
        min_choices: choices(MIN_CHANNELS, &min_text),
        since: since_text.clone(),
        until: until_text.clone(),
        total_text: match page.total {
            0 => "No clusters of copies".to_string(),
            1 => "1 cluster of copies".to_string(),
            n => format!("{n} clusters of copies"),
        },
        undated_note: match page.undated_left_out {
            0 => None,
            1 => Some("1 cluster whose first post has no date is left out by the dates.".into()),
            n => Some(format!(
                "{n} clusters whose first post has no date are left out by the dates."
            )),
        },
        rows,
        prev: paging.previous(limit).map(page_url),
        next: paging.next(limit, page.total as u64).map(page_url),
        json_url,
        csv_url: links::with_query("/api/v1/clusters", &api_pairs),
        catching_up: found.catching_up,
    })
}

/// The first line of a text with words, up to 120 characters.
fn excerpt(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// A channel that copies or is copied, as a row.
pub struct CounterpartRow {
    pub(crate) name: String,
    pub(crate) href: String,
    pub(crate) posts: u64,
    pub(crate) forward: String,
    pub(crate) attributed: String,
    pub(crate) unattributed: String,
    pub(crate) partial: String,
    pub(crate) median_delay: String,
}

fn share(n: u64, of: u64) -> String {
    if n == 0 || of == 0 {
        "–".into()
    } else {
        format!("{n} ({})", percent(n as f64 / of as f64))
    }
}

fn counterpart_row(c: &CopyCounterpart) -> CounterpartRow {
    CounterpartRow {
        name: c.channel.name(),
        href: links::channel_page(&c.channel),
        posts: c.posts,
        forward: share(c.forward, c.posts),
        attributed: share(c.attributed, c.posts),
        unattributed: share(c.unattributed, c.posts),
        partial: share(c.partial, c.posts),
        median_delay: c
            .median_delay_seconds
            .map(|s| {
                if s < 0 {
                    delay_text(s)
                } else {
                    duration_text(s)
                }
            })
            .unwrap_or_else(|| "–".into()),
    }
}

/// A channel's "Copies" section.
pub struct ChannelCopiesView {
    pub(crate) clusters: usize,
    pub(crate) from: Vec<CounterpartRow>,
    pub(crate) by: Vec<CounterpartRow>,
    pub(crate) search_href: String,
    pub(crate) json_url: String,
    pub(crate) csv_url: String,
}

/// A channel's "Copies" section: whom it copies from and who copies it (the rest of the page
/// is shown whatever the analysis answers).
pub async fn channel_section(
    state: &AppState,
    channel_id: i64,
) -> CopiesSection<ChannelCopiesView> {
    match archive::channel_copies(state, channel_id.to_string()).await {
        Ok(found) => CopiesSection {
            note: (found.answer.clusters == 0)
                .then(|| "No post of this channel has copies in the archive.".to_string()),
            view: Some(channel_copies(&found.answer)),
            catching_up: found.catching_up,
        },
        Err(e) => CopiesSection {
            view: None,
            note: Some(format!("The copy analysis did not answer: {}", e.detail)),
            catching_up: false,
        },
    }
}

fn channel_copies(c: &ChannelCopies) -> ChannelCopiesView {
    let api = format!("/api/v1/channels/{}/copies", c.channel.id);
    let query = format!("has:copies {}", archive::channel_query(c.channel.id));
    ChannelCopiesView {
        clusters: c.clusters,
        from: c.copies_from.iter().map(counterpart_row).collect(),
        by: c.copied_by.iter().map(counterpart_row).collect(),
        search_href: links::with_query("/search", &[("q", &query), ("sort", "date")]),
        csv_url: links::with_query(&api, &[("format", "csv")]),
        json_url: api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_as_durations() {
        assert_eq!(delay_text(45), "+45 s");
        assert_eq!(delay_text(5400), "+1 h 30 min");
        assert_eq!(delay_text(7200), "+2 h");
        assert_eq!(delay_text(83_700), "+23 h 15 min");
        assert_eq!(delay_text(2 * 86_400 + 3 * 3600 + 59), "+2 d 3 h");
        assert_eq!(delay_text(-300), "−5 min");
        assert_eq!(duration_text(0), "0 s");
    }

    #[test]
    fn shares_are_never_rounded_to_all_or_nothing() {
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.9999), "99%");
        assert_eq!(percent(0.9166), "91%");
        assert_eq!(percent(0.004), "1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(share(1, 3), "1 (33%)");
        assert_eq!(share(0, 3), "–");
    }
}
