//! The web pages (home, search, post, channel, hashtag) rendered with askama templates (the
//! pages and sections about copies are in [`crate::copies`]).
//!
//! Every value is escaped by askama (in text, attributes and SVG); no template marks anything
//! `safe`: markup such as `<mark>`, `<ins>` and `<del>` comes from the templates around escaped
//! pieces.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tgscope_engine::entities::Recognizer;
use tgscope_engine::model::MediaKind;
use tgscope_engine::{
    ChannelInfo, Period, PostDetail, PostRecord, SearchHit, SortBy, VersionRecord,
};

use crate::AppState;
use crate::archive::{self, ChannelAsk, KeptFiles, SearchAsk};
use crate::chart::{self, Chart};
use crate::config::DEFAULT_LIMIT;
use crate::copies::{self, ChannelCopiesView, CopiesSection, PostCopiesView};
use crate::cursor::Paging;
use crate::diff::{self, DiffPiece};
use crate::entity_pages::{self, ChannelEntities, EntityLink, FacetsSection};
use crate::feeds::{self, FeedLink};
use crate::form::{MEDIA_CHOICES, SORT_CHOICES, SearchForm};
use crate::links;
use crate::network_pages::{self, AmplificationSection, CoTagsSection};
use crate::params::{self, Params, PathText};
use crate::problem::{ApiError, ErrorCode};
use crate::segments::{self, Linked, Marked};

/// A choice of a `<select>`.
pub struct Choice {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
    pub(crate) selected: bool,
}

/// The search form as shown.
pub struct FormView {
    q: String,
    channel: String,
    from: String,
    tag: String,
    since: String,
    until: String,
    open: bool,
    media_choices: Vec<Choice>,
    sort_choices: Vec<Choice>,
}

impl From<&SearchForm> for FormView {
    fn from(f: &SearchForm) -> Self {
        let choices = |all: &[(&'static str, &'static str)], value: &str| {
            all.iter()
                .map(|(v, label)| Choice {
                    value: v,
                    label,
                    selected: *v == value.trim(),
                })
                .collect()
        };
        let mut sort_choices = vec![Choice {
            value: "",
            label: "default",
            selected: f.sort.trim().is_empty(),
        }];
        sort_choices.extend(choices(SORT_CHOICES, &f.sort));
        FormView {
            q: f.q.clone(),
            channel: f.channel.clone(),
            from: f.from.clone(),
            tag: f.tag.clone(),
            since: f.since.clone(),
            until: f.until.clone(),
            open: f.has_filters(),
            media_choices: choices(MEDIA_CHOICES, &f.media),
            sort_choices,
        }
    }
}

/// One result in a list of posts.
pub struct HitView {
    pub(crate) id: i64,
    pub(crate) href: String,
    pub(crate) channel: String,
    pub(crate) channel_href: String,
    pub(crate) date: String,
    pub(crate) forwarded_from: Option<String>,
    pub(crate) versions: i64,
    pub(crate) snippet: Vec<Marked>,
}

impl From<&SearchHit> for HitView {
    fn from(hit: &SearchHit) -> Self {
        let post = &hit.post;
        HitView {
            id: post.id,
            href: format!("/posts/{}", post.id),
            channel: post.channel.name(),
            channel_href: links::channel_page(&post.channel),
            date: short_date(&post.current),
            forwarded_from: post
                .current
                .forward
                .as_ref()
                .and_then(|f| f.title.clone().or_else(|| f.username.clone())),
            versions: post.version_count,
            snippet: segments::snippet(&hit.snippet, &hit.highlights),
        }
    }
}

/// An error shown on a page.
pub struct ErrorView {
    pub(crate) title: &'static str,
    pub(crate) detail: String,
}

impl From<&ApiError> for ErrorView {
    fn from(e: &ApiError) -> Self {
        ErrorView {
            title: e.code.row().title,
            detail: e.detail.clone(),
        }
    }
}

/// A channel in a list.
pub struct ChannelRow {
    name: String,
    title: Option<String>,
    href: String,
    posts: u64,
    forwards: u64,
    forwarded_by_others: u64,
    span: Option<String>,
}

/// A hashtag in a list.
pub struct TagRow {
    tag: String,
    href: String,
    posts: u64,
}

/// A name with a link and a count.
pub struct NamedCount {
    name: String,
    href: String,
    posts: u64,
}

pub(crate) fn date_span(first: &Option<String>, last: &Option<String>) -> Option<String> {
    match (first, last) {
        (Some(a), Some(b)) if a == b => Some(a.clone()),
        (Some(a), Some(b)) => Some(format!("{a} – {b}")),
        _ => None,
    }
}

/// Renders a template, or the failure as a plain 500.
pub(crate) fn render<T: Template>(page: &T, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering a page failed: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    detail: String,
    code: &'static str,
    status: u16,
}

/// An error as a page, with the status of its code.
pub fn error_page(e: &ApiError) -> Response {
    let row = e.code.row();
    let page = ErrorPage {
        title: row.title,
        detail: e.detail.clone(),
        code: row.code,
        status: row.status,
    };
    render(&page, e.code.status())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    form: FormView,
    empty: bool,
    archive: String,
    posts: u64,
    channels: Vec<ChannelRow>,
    sources: Vec<ChannelRow>,
    tags: Vec<TagRow>,
    /// How many captures there are.
    capture_count: usize,
    /// The newest captures, newest first.
    captures: Vec<CaptureRow>,
}

/// How many captures the home page lists.
const HOME_CAPTURES: u64 = 20;

/// A capture as the home page lists it.
struct CaptureRow {
    sha256: String,
    format: String,
    source: String,
    posts: u64,
    warnings: u64,
    ingested_at: String,
    /// Its bytes, when the archive keeps them.
    raw: Option<String>,
}

/// `/`: the archive's channels with counts, its hashtags, and the search box; or the first
/// steps when nothing is archived yet.
pub async fn home(State(state): State<AppState>) -> Response {
    match home_page(&state).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

async fn home_page(state: &AppState) -> Result<HomePage, ApiError> {
    let facts = archive::home_facts(state, 30, HOME_CAPTURES).await?;
    let all = facts.channels.clone().unwrap_or_default();
    let posts: u64 = all.iter().map(|c| c.posts).sum();
    let tags = &facts.hashtags;
    let (capture_count, captures) = (facts.captures.0, &facts.captures.1);
    let row = |c: &tgscope_engine::ChannelSummary| ChannelRow {
        name: c.channel.name(),
        title: c
            .channel
            .title
            .clone()
            .filter(|t| c.channel.username.is_some() && Some(t) != c.channel.username.as_ref()),
        href: links::channel_page(&c.channel),
        posts: c.posts,
        forwards: c.forwards,
        forwarded_by_others: c.forwarded_by_others,
        span: date_span(&c.first_date, &c.last_date),
    };
    Ok(HomePage {
        form: FormView::from(&SearchForm::default()),
        empty: posts == 0,
        archive: state.pool.dir().display().to_string(),
        posts,
        channels: all.iter().filter(|c| c.posts > 0).map(row).collect(),
        sources: all.iter().filter(|c| c.posts == 0).map(row).collect(),
        tags: tags
            .iter()
            .map(|t| TagRow {
                tag: t.tag.clone(),
                href: links::hashtag_page(&t.tag),
                posts: t.posts,
            })
            .collect(),
        capture_count: usize::try_from(capture_count).unwrap_or(usize::MAX),
        captures: captures
            .iter()
            .map(|c| CaptureRow {
                sha256: c.sha256.clone(),
                format: c.format.clone(),
                source: c.source.clone(),
                posts: c.posts_seen,
                warnings: c.warnings,
                ingested_at: c.ingested_at.clone(),
                raw: c
                    .raw_kept
                    .then(|| format!("/api/v1/captures/{}/raw", c.sha256)),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    form: FormView,
    query: String,
    error: Option<ErrorView>,
    empty: bool,
    searched: bool,
    total_text: String,
    chart: Option<Chart>,
    hits: Vec<HitView>,
    start: usize,
    prev: Option<String>,
    next: Option<String>,
    json_url: String,
    csv_url: String,
    /// The chart's counts per period as CSV.
    chart_csv: String,
    /// The order of the results when it is not the one asked for, and why.
    order_note: Option<&'static str>,
    /// The entities of every match, per kind.
    facets: Option<FacetsSection>,
    /// The feeds of the query.
    feeds: Vec<FeedLink>,
    /// Team mode, for an editor: the "Save this search" form.
    save: Option<SaveSearchForm>,
}

/// The "Save this search" form beside the results (team mode, editors).
struct SaveSearchForm {
    /// The session's CSRF token.
    csrf: String,
    /// The search's query string, as a saved search keeps it.
    query: String,
}

/// What the search page says when relevance was asked for and the query has only filters.
pub const UNRANKED_NOTE: &str =
    "Sorted by date, newest first: the query has no words to rank by (only filters).";

fn total_text(total: u64) -> String {
    match total {
        0 => "No posts match".to_string(),
        1 => "1 post matches".to_string(),
        n => format!("{n} posts match"),
    }
}

/// `/search`: the form, and for a query its results with highlighted snippets, paging, and a
/// chart of matches over time.
pub async fn search(
    State(state): State<AppState>,
    form: Result<Params<SearchForm>, ApiError>,
) -> Response {
    let form = match form {
        Ok(Params(form)) => form,
        Err(e) => return error_page(&e),
    };
    let mut page = SearchPage {
        form: FormView::from(&form),
        query: String::new(),
        error: None,
        empty: !state.archive_exists(),
        searched: false,
        total_text: String::new(),
        chart: None,
        hits: Vec::new(),
        start: 1,
        prev: None,
        next: None,
        json_url: String::new(),
        csv_url: String::new(),
        chart_csv: String::new(),
        order_note: None,
        facets: None,
        feeds: Vec::new(),
        save: None,
    };
    let status = match run_search(&state, &form, &mut page).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            page.searched = false;
            page.error = Some(ErrorView::from(&e));
            e.code.status()
        }
    };
    render(&page, status)
}

async fn run_search(
    state: &AppState,
    form: &SearchForm,
    page: &mut SearchPage,
) -> Result<(), ApiError> {
    let query = form.combined().map_err(ApiError::bad_request)?;
    page.query = query.clone();
    if query.is_empty() {
        return Ok(());
    }
    params::query(&query, &state.config)?;
    page.feeds = feeds::search_links(&query);
    // Relevance by default; a query of filters only has nothing to rank by, and the engine
    // gives its results newest first.
    let (sort, sort_name) = params::sort(Some(form.sort.as_str()))?;
    let by = params::period(Some(&form.by), None)?;
    let limit = DEFAULT_LIMIT.min(state.config.max_limit);
    let paging = Paging::from_cursor(Some(&form.cursor), &["search", &query, sort_name])?;
    let found = archive::search(
        state,
        SearchAsk {
            query: query.clone(),
            sort,
            limit,
            offset: paging.offset,
            by: None,
            copies: false,
        },
    )
    .await?;
    let (by, counts) = archive::counts_for_chart(state, query.clone(), by).await?;
    let pairs = form.pairs();
    page.chart = chart::chart(
        format!("Posts per {} matching {query}", by.as_str()),
        by,
        &counts,
        &pairs,
    )
    .map(|c| c.of_posts(found.page.total));
    page.searched = true;
    page.save = crate::auth::editor_csrf().map(|csrf| SaveSearchForm {
        csrf,
        query: crate::saved_searches::query_string(form),
    });
    page.order_note = (sort == SortBy::Relevance && !found.page.ranked).then_some(UNRANKED_NOTE);
    page.total_text = total_text(found.page.total);
    page.hits = found.page.hits.iter().map(HitView::from).collect();
    page.start = paging.offset + 1;
    let page_url = |cursor: String| {
        let mut with_cursor = pairs.clone();
        with_cursor.push(("cursor", &cursor));
        links::with_query("/search", &with_cursor)
    };
    page.next = paging.next(limit, found.page.total).map(page_url);
    page.prev = paging.previous(limit).map(page_url);
    let api = |format: &str| {
        links::with_query(
            "/api/v1/search",
            &[
                ("q", &query),
                ("sort", sort_name),
                ("by", if format == "csv" { "" } else { by.as_str() }),
                ("format", format),
            ],
        )
    };
    page.json_url = api("");
    page.csv_url = api("csv");
    page.chart_csv = chart_csv_url(&query, by);
    if found.page.total > 0 {
        page.facets = Some(entity_pages::facets_section(state, form, &query).await);
    }
    Ok(())
}

/// A date as the pages show it, with how it is known.
struct DateView {
    text: String,
    basis: String,
}

pub(crate) fn observed(date: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(date) {
        Ok(at) => at
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => date.to_string(),
    }
}

fn basis_text(basis: &str) -> &'static str {
    match basis {
        "text_date" => "a date written in the text",
        "text_day_month_neighbour_year" => {
            "a day and month in the text, the year from neighbouring posts"
        }
        "day_separator" => "the day separator above it in the capture",
        "desktop_copy_header" => "the Telegram Desktop copy header (the copying computer's clock)",
        "export_local_time" => "the export's local time (its UTC offset unknown)",
        _ => "inferred",
    }
}

fn date_view(v: &VersionRecord) -> DateView {
    if let Some(date) = &v.date {
        return DateView {
            text: observed(date),
            basis: "observed: the capture gave the time".into(),
        };
    }
    if let Some(d) = &v.date_inferred {
        let mut basis = format!("inferred from {}", basis_text(d.basis.as_str()));
        if !d.evidence.is_empty() {
            basis.push_str(&format!(": “{}”", d.evidence));
        }
        if let Some(detail) = &d.detail {
            basis.push_str(&format!("; {detail}"));
        }
        return DateView {
            text: format!("~{}", d.date),
            basis,
        };
    }
    DateView {
        text: "unknown".into(),
        basis: "no date in the capture or the text".into(),
    }
}

fn short_date(v: &VersionRecord) -> String {
    match (&v.date, &v.date_inferred) {
        (Some(d), _) => observed(d),
        (None, Some(i)) => format!("~{}", i.date),
        (None, None) => "undated".into(),
    }
}

/// A forward source as the post page shows it.
struct ForwardView {
    name: String,
    href: String,
    original: Option<String>,
    date: Option<String>,
}

/// A media item as the post page shows it.
struct MediaView {
    kind: &'static str,
    placeholder: Option<String>,
    details: Vec<String>,
    link: Option<String>,
    sha256: Option<String>,
    /// The kept file, when the archive has it (`/api/v1/media/SHA`).
    file: Option<String>,
    /// Whether to show the file as an image on the page.
    image: bool,
}

/// A link of the post.
struct LinkView {
    label: String,
    href: Option<String>,
    target: Option<String>,
}

/// A version with its differences from the one before.
struct VersionView {
    seq: i64,
    current: bool,
    date: String,
    first_capture: String,
    archived_at: String,
    views: Option<u64>,
    /// Telegram's "edited" mark in words.
    edited: Option<&'static str>,
    text: String,
    diff: Vec<DiffPiece>,
}

/// A sighting row.
struct SightingRow {
    version: i64,
    sha256: String,
    /// The capture's bytes, when the archive keeps them.
    raw: Option<String>,
    format: String,
    source: String,
    place: String,
    views: String,
    edited: String,
    observed_at: String,
}

/// An absence row.
struct AbsenceRow {
    sha256: String,
    source: String,
    first_id: i64,
    last_id: i64,
    observed_at: String,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    id: i64,
    channel: String,
    channel_href: String,
    message_id: Option<i64>,
    date: DateView,
    permalink: Option<String>,
    no_permalink: &'static str,
    views: Option<u64>,
    /// Telegram's "edited" mark in words.
    edited: Option<&'static str>,
    author: Option<String>,
    forward: Option<ForwardView>,
    unviewable: bool,
    text: Vec<Linked>,
    raw_text: String,
    media: Vec<MediaView>,
    links: Vec<LinkView>,
    versions: Vec<VersionView>,
    sightings: Vec<SightingRow>,
    absences: Vec<AbsenceRow>,
    json_url: String,
    /// Its copies in the archive.
    copies: CopiesSection<PostCopiesView>,
    /// The entities its text names, each once with its mentions, in the order first named.
    entities: Vec<EntityLink>,
}

/// Telegram's "edited" mark as a reader says it (the capture may not tell).
fn edited_mark(edited: Option<bool>) -> Option<&'static str> {
    edited.map(|e| {
        if e {
            "marked “edited” by Telegram"
        } else {
            "not marked “edited”"
        }
    })
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

fn media_view(m: &tgscope_engine::model::Media, kept: &KeptFiles) -> MediaView {
    let mut details = Vec::new();
    if let Some(name) = &m.file_name {
        details.push(name.clone());
    }
    if let Some(mime) = &m.mime_type {
        details.push(mime.clone());
    }
    if let Some(size) = m.size {
        details.push(size_text(size));
    }
    if let Some(d) = m.duration {
        details.push(format!("{}:{:02}", d / 60, d % 60));
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        details.push(format!("{w}×{h}"));
    }
    let mut link = None;
    for (key, value) in &m.attrs {
        match key.as_str() {
            "url" => link = links::safe_external(value).map(str::to_string),
            "image" | "document_id" => {}
            _ => details.push(format!("{key}: {value}")),
        }
    }
    if let Some(poll) = &m.poll
        && let Ok(json) = serde_json::to_string(poll)
    {
        details.push(format!("poll: {json}"));
    }
    MediaView {
        kind: if m.kind == MediaKind::Unknown {
            "media"
        } else {
            m.kind.as_str()
        },
        placeholder: m
            .label
            .clone()
            .or_else(|| m.placeholder.map(|p| p.as_str().to_string())),
        details,
        link,
        sha256: m.sha256.clone(),
        file: m
            .sha256
            .as_deref()
            .filter(|sha| kept.media(sha))
            .map(|sha| format!("/api/v1/media/{sha}")),
        // The server sends a kept file as an image only when its bytes are one.
        image: matches!(m.kind, MediaKind::Photo)
            || m.mime_type.as_deref().is_some_and(|t| {
                matches!(t, "image/jpeg" | "image/png" | "image/gif" | "image/webp")
            }),
    }
}

fn post_page(
    detail: &PostDetail,
    kept: &KeptFiles,
    copies: CopiesSection<PostCopiesView>,
    recognizer: &Recognizer,
) -> PostPage {
    let post: &PostRecord = &detail.post;
    let v = &post.current;
    let (marks, entities) = entity_pages::text_marks(recognizer, &v.text);
    let permalink = links::telegram_post(post.channel.username.as_deref(), post.message_id);
    let no_permalink = match (&post.channel.username, post.message_id) {
        (_, None) => "the captures gave no message id",
        (None, _) => "the channel's username is not known",
        _ => "the channel's name is not a Telegram username",
    };
    let forward = v.forward.as_ref().map(|f| {
        let name = f
            .title
            .clone()
            .or_else(|| f.username.clone())
            .unwrap_or_else(|| "an unknown source".into());
        let href = match (&f.username, &f.title) {
            (Some(u), _) => links::channel_page_by_name(u),
            (None, Some(t)) => links::channel_page_by_name(t),
            (None, None) => "/".into(),
        };
        ForwardView {
            name,
            href,
            original: links::telegram_post(f.username.as_deref(), f.message_id),
            date: f.date.as_deref().map(observed),
        }
    });
    let mut versions = Vec::with_capacity(detail.versions.len());
    let mut previous: Option<&VersionRecord> = None;
    for version in &detail.versions {
        versions.push(VersionView {
            seq: version.seq,
            current: version.id == v.id,
            date: short_date(version),
            first_capture: version.first_capture.clone(),
            archived_at: version.archived_at.clone(),
            views: version.views,
            edited: edited_mark(version.edited),
            text: version.text.clone(),
            diff: previous
                .map(|p| diff::words(&p.text, &version.text))
                .unwrap_or_default(),
        });
        previous = Some(version);
    }
    let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
    PostPage {
        id: post.id,
        channel: post.channel.name(),
        channel_href: links::channel_page(&post.channel),
        message_id: post.message_id,
        date: date_view(v),
        permalink,
        no_permalink,
        views: v.views,
        edited: edited_mark(v.edited),
        author: v.author.clone(),
        forward,
        unviewable: v.unviewable,
        text: segments::post_text(&v.text, &v.hashtags, &v.mentions, &v.links, &marks),
        raw_text: v.raw_text.clone(),
        media: v.media.iter().map(|m| media_view(m, kept)).collect(),
        links: v
            .links
            .iter()
            .map(|l| LinkView {
                label: l.label.clone(),
                href: l
                    .url
                    .as_deref()
                    .and_then(links::safe_external)
                    .map(str::to_string),
                target: match &l.url {
                    None => Some("(the capture lost the link's target)".into()),
                    Some(url) if links::safe_external(url).is_none() => Some(url.clone()),
                    Some(url) if url != &l.label => Some(url.clone()),
                    Some(_) => None,
                },
            })
            .collect(),
        versions,
        sightings: detail
            .sightings
            .iter()
            .map(|s| SightingRow {
                version: s.version_seq,
                sha256: s.capture_sha256.clone(),
                raw: kept
                    .capture(&s.capture_sha256)
                    .then(|| format!("/api/v1/captures/{}/raw", s.capture_sha256)),
                format: s.format.clone(),
                source: s.capture_source.clone(),
                place: match (s.line_start, s.line_end, &s.locator) {
                    (_, _, Some(locator)) => locator.clone(),
                    (Some(a), Some(b), None) if a == b => format!("line {a}"),
                    (Some(a), Some(b), None) => format!("lines {a}–{b}"),
                    _ => format!("item {}", s.ordinal + 1),
                },
                views: opt(s.views),
                edited: s
                    .edited
                    .map(|e| if e { "yes" } else { "no" }.to_string())
                    .unwrap_or_else(|| "–".into()),
                observed_at: s.observed_at.clone(),
            })
            .collect(),
        absences: detail
            .absences
            .iter()
            .map(|a| AbsenceRow {
                sha256: a.capture_sha256.clone(),
                source: a.capture_source.clone(),
                first_id: a.range.0,
                last_id: a.range.1,
                observed_at: a.observed_at.clone(),
            })
            .collect(),
        json_url: format!("/api/v1/posts/{}", post.id),
        copies,
        entities,
    }
}

/// `/posts/{id}`: a post with its text, media, links, versions and their differences, every
/// sighting with its capture's hash, absences, its Telegram permalink, and its copies.
pub async fn post(State(state): State<AppState>, id: Result<PathText, ApiError>) -> Response {
    let result = async {
        let PathText(id) = id?;
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| ApiError::not_found(format!("no post with id {id:?}")))?;
        let (detail, kept, recognizer) = archive::post_with_files(&state, id).await?;
        let copies = copies::post_section(&state, id).await;
        Ok::<_, ApiError>((detail, kept, copies, recognizer))
    }
    .await;
    match result {
        Ok((detail, kept, copies, recognizer)) => render(
            &post_page(&detail, &kept, copies, &recognizer),
            StatusCode::OK,
        ),
        Err(e) => error_page(&e),
    }
}

/// Paging parameters of a page's post list.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    /// The paging cursor.
    #[serde(default)]
    pub cursor: String,
}

/// A page's list of posts: newest first, paged.
pub(crate) struct PostList {
    pub(crate) hits: Vec<HitView>,
    pub(crate) start: usize,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) total: u64,
}

/// The posts matching `query`, newest first: the page of `cursor`, with links to the pages
/// before and after it (on `path`).
pub(crate) async fn post_list(
    state: &AppState,
    query: String,
    path: &str,
    cursor: &str,
) -> Result<PostList, ApiError> {
    let limit = DEFAULT_LIMIT.min(state.config.max_limit);
    let paging = Paging::from_cursor(Some(cursor), &["page", &query])?;
    let found = archive::search(
        state,
        SearchAsk {
            query,
            sort: SortBy::Newest,
            limit,
            offset: paging.offset,
            by: None,
            copies: false,
        },
    )
    .await?;
    let url = |cursor: String| links::with_query(path, &[("cursor", &cursor)]);
    Ok(PostList {
        hits: found.page.hits.iter().map(HitView::from).collect(),
        start: paging.offset + 1,
        prev: paging.previous(limit).map(url),
        next: paging.next(limit, found.page.total).map(url),
        total: found.page.total,
    })
}

#[derive(Template)]
#[template(path = "channel.html")]
struct ChannelPage {
    name: String,
    title: Option<String>,
    telegram: Option<String>,
    aliases: String,
    kind: Option<String>,
    posts: u64,
    forwards: u64,
    forwarded_by_others: u64,
    span: Option<String>,
    search_href: String,
    api_url: String,
    chart: Option<Chart>,
    activity_json: String,
    activity_csv: String,
    tags: Vec<TagRow>,
    tags_json: String,
    tags_csv: String,
    sources: Vec<NamedCount>,
    sources_json: String,
    sources_csv: String,
    hits: Vec<HitView>,
    start: usize,
    prev: Option<String>,
    next: Option<String>,
    posts_json: String,
    posts_csv: String,
    /// Whom it copies and who copies it.
    copies: CopiesSection<ChannelCopiesView>,
    /// Whom it amplifies and who amplifies it.
    amplification: AmplificationSection,
    /// The countries, organisations and people its posts name most.
    entities: ChannelEntities,
    /// The feeds of its posts.
    feeds: Vec<FeedLink>,
}

/// The counts per `by` of the posts matching `query`, as CSV (the data behind a chart).
pub(crate) fn chart_csv_url(query: &str, by: Period) -> String {
    links::with_query(
        "/api/v1/search",
        &[("q", query), ("by", by.as_str()), ("format", "csv")],
    )
}

/// The JSON and CSV URLs of `path` with the `extra` parameters.
pub(crate) fn api_pair(path: &str, extra: &[(&str, &str)]) -> (String, String) {
    let mut csv: Vec<(&str, &str)> = extra.to_vec();
    csv.push(("format", "csv"));
    (
        links::with_query(path, extra),
        links::with_query(path, &csv),
    )
}

/// `/channels/{name}`: a channel's counts, activity chart, top hashtags, the channels it
/// forwards most, whom it copies and amplifies and who copies and amplifies it, and its posts,
/// newest first.
pub async fn channel(
    State(state): State<AppState>,
    name: Result<PathText, ApiError>,
    paging: Result<Params<PageParams>, ApiError>,
) -> Response {
    match channel_page(&state, name, paging).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

async fn channel_page(
    state: &AppState,
    name: Result<PathText, ApiError>,
    paging: Result<Params<PageParams>, ApiError>,
) -> Result<ChannelPage, ApiError> {
    let PathText(name) = name?;
    let Params(paging) = paging?;
    let facts = archive::channel(
        state,
        name,
        ChannelAsk {
            by: None,
            hashtags: 15,
            sources: 15,
        },
    )
    .await?;
    let c: &ChannelInfo = &facts.summary.channel;
    let key = links::channel_key(c);
    let page_path = links::channel_page(c);
    let list = post_list(
        state,
        archive::channel_query(c.id),
        &page_path,
        &paging.cursor,
    )
    .await?;
    let api = format!("/api/v1/channels/{}", links::path_segment(&key));
    let (by, counts) = &facts.activity;
    let (activity_json, activity_csv) =
        api_pair(&format!("{api}/activity"), &[("by", by.as_str())]);
    let (tags_json, tags_csv) = api_pair(&format!("{api}/hashtags"), &[]);
    let (sources_json, sources_csv) = api_pair(&format!("{api}/forwards"), &[]);
    let posts_query = archive::channel_query(c.id);
    let (posts_json, posts_csv) =
        api_pair("/api/v1/search", &[("q", &posts_query), ("sort", "date")]);
    let copies = copies::channel_section(state, c.id).await;
    let amplification = network_pages::channel_section(state, c.id, &key).await;
    let entities = entity_pages::channel_section(state, c.id, &key).await;
    Ok(ChannelPage {
        name: c.name(),
        title: c.title.clone().filter(|t| Some(t) != c.username.as_ref()),
        telegram: links::telegram_channel(c),
        aliases: facts.summary.aliases.join(", "),
        kind: c.kind.clone(),
        posts: facts.summary.posts,
        forwards: facts.summary.forwards,
        forwarded_by_others: facts.summary.forwarded_by_others,
        span: date_span(&facts.summary.first_date, &facts.summary.last_date),
        search_href: links::with_query("/search", &[("channel", &key)]),
        api_url: api,
        chart: chart::chart(
            format!("Posts of {} per {}", c.name(), by.as_str()),
            *by,
            counts,
            &[("channel", &key), ("sort", "date")],
        )
        .map(|chart| chart.of_posts(facts.summary.posts)),
        activity_json,
        activity_csv,
        tags: facts
            .hashtags
            .iter()
            .map(|t| TagRow {
                tag: t.tag.clone(),
                href: links::hashtag_page(&t.tag),
                posts: t.posts,
            })
            .collect(),
        tags_json,
        tags_csv,
        sources: facts
            .sources
            .iter()
            .map(|s| NamedCount {
                name: s.name.clone(),
                href: match (s.channel_id, &s.username) {
                    (_, Some(u)) => links::channel_page_by_name(u),
                    (Some(id), None) => format!("/channels/{id}"),
                    (None, None) => links::channel_page_by_name(&s.name),
                },
                posts: s.posts,
            })
            .collect(),
        sources_json,
        sources_csv,
        hits: list.hits,
        start: list.start,
        prev: list.prev,
        next: list.next,
        posts_json,
        posts_csv,
        copies,
        amplification,
        entities,
        feeds: feeds::channel_links(&key, &c.name()),
    })
}

#[derive(Template)]
#[template(path = "hashtag.html")]
struct HashtagPage {
    tag: String,
    total_text: String,
    search_href: String,
    chart: Option<Chart>,
    channels: Vec<NamedCount>,
    hits: Vec<HitView>,
    start: usize,
    prev: Option<String>,
    next: Option<String>,
    json_url: String,
    csv_url: String,
    /// The chart's counts per period as CSV.
    chart_csv: String,
    /// The tags used in the same posts.
    co_tags: CoTagsSection,
    /// The feeds of its posts.
    feeds: Vec<FeedLink>,
}

/// `/hashtags/{tag}`: a hashtag's use over time, the channels using it, the tags used with it,
/// and its posts.
pub async fn hashtag(
    State(state): State<AppState>,
    tag: Result<PathText, ApiError>,
    paging: Result<Params<PageParams>, ApiError>,
) -> Response {
    match hashtag_page(&state, tag, paging).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

async fn hashtag_page(
    state: &AppState,
    tag: Result<PathText, ApiError>,
    paging: Result<Params<PageParams>, ApiError>,
) -> Result<HashtagPage, ApiError> {
    let PathText(tag) = tag?;
    let Params(paging) = paging?;
    let tag = tag.trim().trim_start_matches('#').to_string();
    let missing = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no post uses the hashtag #{tag}"),
        )
    };
    if !params::plausible_hashtag(&tag) {
        return Err(missing());
    }
    let Some((found, channels)) = archive::hashtag(state, tag.clone()).await? else {
        return Err(missing());
    };
    let query = archive::hashtag_query(&found.key);
    let path = links::hashtag_page(&found.tag);
    let list = post_list(state, query.clone(), &path, &paging.cursor).await?;
    let (by, counts) = archive::counts_for_chart(state, query.clone(), None).await?;
    let chart_csv = chart_csv_url(&query, by);
    let co_tags = network_pages::co_tags(state, &found.key).await;
    let (json_url, csv_url) = api_pair(
        &format!("/api/v1/hashtags/{}", links::path_segment(&found.tag)),
        &[("by", by.as_str())],
    );
    Ok(HashtagPage {
        total_text: match list.total {
            1 => "1 post uses it".to_string(),
            n => format!("{n} posts use it"),
        },
        search_href: links::with_query("/search", &[("tag", &found.tag)]),
        chart: chart::chart(
            format!("Posts with #{} per {}", found.tag, by.as_str()),
            by,
            &counts,
            &[("tag", &found.tag), ("sort", "date")],
        )
        .map(|chart| chart.of_posts(list.total)),
        channels: channels
            .iter()
            .map(|c| NamedCount {
                name: c.channel.name(),
                href: links::channel_page(&c.channel),
                posts: c.posts,
            })
            .collect(),
        hits: list.hits,
        start: list.start,
        prev: list.prev,
        next: list.next,
        json_url,
        csv_url,
        chart_csv,
        co_tags,
        feeds: feeds::hashtag_links(&found.tag),
        tag: found.tag,
    })
}
