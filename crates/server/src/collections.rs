//! Team mode: editors start collections of public channels from the server, with the collector
//! `tgscope collect` uses ([`tgscope_collect::collect`]): `POST /api/v1/collections`
//! (`{"channel": ..., "max_pages": ..., "since": ..., "until": ..., "full": ...}`, the command
//! line's options) or the form of the `/collect` page.
//!
//! - A collection runs in the background on a thread of its own, with a writing engine opened
//!   for it (as an upload's ingest), and pages fetched politely from
//!   [`ServerConfig::collect_base_url`](crate::ServerConfig) (`https://t.me`) with
//!   [`ServerConfig::collect_policy`](crate::ServerConfig). At most [`MAX_RUNNING`] run at
//!   once; more wait their turn (`queued`).
//! - One at a time per channel: starting a channel that this server is collecting (or has
//!   queued) is `409 conflict`.
//! - Progress and results: `GET /api/v1/collections` and the `/collect` page list this
//!   server's collections (status `queued`, `running`, `finished`, `failed`, with pages and
//!   posts so far, the reason it stopped or the error) and the archive's record of collection
//!   runs by every process, the command line's too (`collect_runs`: pages, outcome; a run
//!   without an end is `running` when this server runs it, else `unfinished`: the next
//!   collection of its channel resumes it).
//! - Every collection is written to the audit log when it starts (`collect.start`) and when it
//!   ends (`collect`: channel, options,
//!   pages, posts new and updated, why it stopped or the error).
//!
//! What this server knows of its collections lives in its memory (the newest
//! [`MAX_REMEMBERED`]); a run cut short by the server stopping stays in the archive's record,
//! unfinished, and is resumed by the channel's next collection.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tgscope_collect::fetch::Fetcher;
use tgscope_collect::{Bound, CollectError, CollectOptions, CollectProgress, CollectReport};
use tgscope_engine::archive::team::CollectRunStatus;
use tgscope_engine::{Engine, IngestOptions};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Identity, form_fields, with_team};
use crate::narrative_edits::audit_in;
use crate::pages::{error_page, render};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::team_pages::see_other;

/// Collections that run at once; more wait their turn.
pub const MAX_RUNNING: usize = 4;

/// This server's collections it remembers (the newest).
pub const MAX_REMEMBERED: usize = 100;

/// The archive's collection runs listed (the newest).
const RUNS_LISTED: u64 = 50;

/// Where a collection of this server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for one of the [`MAX_RUNNING`] places.
    Queued,
    /// Fetching pages.
    Running,
    /// Done: `stop` says why it stopped.
    Finished,
    /// Failed: `error` says why; what it fetched is kept, and the next collection of the
    /// channel resumes the run.
    Failed,
}

impl JobStatus {
    /// Its name, as the API gives it.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Finished => "finished",
            JobStatus::Failed => "failed",
        }
    }
}

/// A collection started on this server, as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionView {
    /// Its number on this server (from 1, since the server started).
    pub id: u64,
    /// The channel's username.
    pub channel: String,
    /// Where it is.
    pub status: JobStatus,
    /// The account that started it.
    pub started_by: String,
    /// When it was asked for (RFC 3339 UTC).
    pub requested_at: String,
    /// When it ended (RFC 3339 UTC).
    pub finished_at: Option<String>,
    /// At most this many pages (null: until posts already archived, `since`, or the
    /// channel's first post).
    pub max_pages: Option<u64>,
    /// Stop at this message id or date.
    pub since: Option<String>,
    /// Start at this message id or date.
    pub until: Option<String>,
    /// Back to the channel's first post, past posts already archived.
    pub full: bool,
    /// Pages fetched and ingested so far.
    pub pages: u64,
    /// Posts new to the archive so far.
    pub posts_new: u64,
    /// Posts seen with other text (a new version).
    pub posts_updated: u64,
    /// Posts seen again unchanged.
    pub posts_unchanged: u64,
    /// Whether it continued an interrupted run.
    pub resumed: bool,
    /// Why it stopped (`reached_archived`, `reached_since`, `reached_beginning`, `max_pages`,
    /// `no_progress`), once finished.
    pub stop: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The archive's record of its run (`runs[].id`), once known.
    pub run_id: Option<i64>,
}

/// The collections of this server: the newest remembered, the channels at work, and the
/// places for running ones.
#[derive(Debug, Default)]
pub struct Collections {
    jobs: Mutex<Jobs>,
    places: Mutex<usize>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct Jobs {
    next_id: u64,
    /// Newest last.
    recent: VecDeque<Arc<Mutex<CollectionView>>>,
    /// The channels (lower case) queued or running, with their job.
    busy: HashMap<String, Arc<Mutex<CollectionView>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while the lock was held leaves a record that is still a record.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Collections {
    /// This server's collections, newest first.
    pub fn list(&self) -> Vec<CollectionView> {
        lock(&self.jobs)
            .recent
            .iter()
            .rev()
            .map(|j| lock(j).clone())
            .collect()
    }

    /// Registers a collection of `view.channel`; `None` when the channel is queued or running.
    fn register(&self, mut view: CollectionView) -> Option<Arc<Mutex<CollectionView>>> {
        let mut jobs = lock(&self.jobs);
        let key = view.channel.to_lowercase();
        if jobs.busy.contains_key(&key) {
            return None;
        }
        jobs.next_id += 1;
        view.id = jobs.next_id;
        let job = Arc::new(Mutex::new(view));
        jobs.busy.insert(key, job.clone());
        jobs.recent.push_back(job.clone());
        while jobs.recent.len() > MAX_REMEMBERED {
            jobs.recent.pop_front();
        }
        Some(job)
    }

    /// The channel is free again.
    fn release(&self, channel: &str) {
        lock(&self.jobs).busy.remove(&channel.to_lowercase());
    }

    /// Waits for a place among the [`MAX_RUNNING`].
    fn take_place(&self) {
        let mut running = lock(&self.places);
        while *running >= MAX_RUNNING {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
    }

    fn give_place(&self) {
        let mut running = lock(&self.places);
        *running = running.saturating_sub(1);
        self.freed.notify_one();
    }

    /// Whether this server is collecting (or has queued) the channel.
    fn is_busy(&self, channel: &str) -> bool {
        lock(&self.jobs).busy.contains_key(&channel.to_lowercase())
    }
}

/// A collection to start: the command line's options of `tgscope collect`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewCollection {
    /// The channel: a username (`mid_russia`, `@mid_russia`) or a link
    /// (`https://t.me/s/mid_russia`).
    pub channel: String,
    /// Fetch at most this many pages.
    pub max_pages: Option<u64>,
    /// Stop at this message id or date (`2024-03-01`) instead of at posts already archived.
    pub since: Option<String>,
    /// Start at this message id (or walk down to this date) instead of at the newest post.
    pub until: Option<String>,
    /// Go back to the channel's first post, past posts already archived.
    #[serde(default)]
    pub full: bool,
}

/// The collection's options checked as `tgscope collect` checks them.
fn options_of(state: &AppState, ask: &NewCollection) -> Result<(String, CollectOptions), ApiError> {
    let channel = tgscope_collect::channel_username(&ask.channel)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let bound = |name: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| Bound::parse(v).map_err(|e| ApiError::bad_request(format!("{name} {e}"))))
            .transpose()
    };
    if ask.max_pages == Some(0) {
        return Err(ApiError::bad_request("max_pages must be at least 1"));
    }
    let config = state.config();
    let options = CollectOptions {
        base_url: config.collect_base_url.clone(),
        since: bound("since", &ask.since)?,
        until: bound("until", &ask.until)?,
        max_pages: ask.max_pages,
        full: ask.full,
        policy: config.collect_policy.clone(),
        ingest: IngestOptions {
            format: Some(tgscope_engine::model::Format::TmeHtml),
            keep_raw: true,
            keep_media: false,
            ..IngestOptions::default()
        },
    };
    Ok((channel, options))
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What the audit log records of a collection run's options (its start and its end add theirs).
fn run_details(channel: &str, options: &CollectOptions) -> serde_json::Value {
    serde_json::json!({
        "channel": channel,
        "max_pages": options.max_pages,
        "since": bound_text(&options.since),
        "until": bound_text(&options.until),
        "full": options.full,
    })
}

fn bound_text(b: &Option<Bound>) -> Option<String> {
    b.as_ref().map(|b| match b {
        Bound::Id(id) => id.to_string(),
        Bound::Date(d) => d.clone(),
    })
}

/// Starts a collection in the background: its record, or `409 conflict` when the channel is
/// already being collected here.
impl CollectionView {
    /// A collection asked for now and not started yet (its id is given when it is registered).
    fn queued(
        channel: String,
        started_by: String,
        max_pages: Option<u64>,
        since: Option<String>,
        until: Option<String>,
        full: bool,
    ) -> CollectionView {
        CollectionView {
            id: 0,
            channel,
            status: JobStatus::Queued,
            started_by,
            requested_at: now(),
            finished_at: None,
            max_pages,
            since,
            until,
            full,
            pages: 0,
            posts_new: 0,
            posts_updated: 0,
            posts_unchanged: 0,
            resumed: false,
            stop: None,
            error: None,
            run_id: None,
        }
    }
}

async fn start(
    state: &AppState,
    identity: &Identity,
    ask: NewCollection,
) -> Result<CollectionView, ApiError> {
    let Some(opener) = state.config().opener.clone() else {
        return Err(ApiError::not_found("collections run in team mode only"));
    };
    let (channel, options) = options_of(state, &ask)?;
    let view = CollectionView::queued(
        channel.clone(),
        identity.account.name.clone(),
        options.max_pages,
        bound_text(&options.since),
        bound_text(&options.until),
        options.full,
    );
    let collections = state.collections().clone();
    let Some(job) = collections.register(view) else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "{channel} is being collected on this server; wait for that collection to end \
                 (GET /api/v1/collections)"
            ),
        ));
    };
    let started = lock(&job).clone();
    let identity = identity.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("collect {channel}"))
        .spawn({
            let job = job.clone();
            let collections = collections.clone();
            move || {
                let mut done = Done {
                    collections: collections.clone(),
                    channel: channel.clone(),
                    job: job.clone(),
                    placed: false,
                };
                collections.take_place();
                done.placed = true;
                lock(&job).status = JobStatus::Running;
                let outcome = run(&opener, &identity, &channel, &options, &job);
                // The record is written before `done` frees the channel.
                let mut view = lock(&job);
                view.finished_at = Some(now());
                match outcome {
                    Ok(()) => view.status = JobStatus::Finished,
                    Err(e) => {
                        tracing::warn!("collecting {channel}: {e}");
                        view.status = JobStatus::Failed;
                        view.error = Some(e);
                    }
                }
                drop(view);
                drop(done);
            }
        });
    if let Err(e) = spawned {
        collections.release(&started.channel);
        lock(&job).status = JobStatus::Failed;
        return Err(ApiError::internal(&format!("starting a collection: {e}")));
    }
    Ok(started)
}

/// When a collection's thread ends, however it ends: its place and its channel are free again,
/// and a collection that did not get to say how it ended (a panic) is marked failed.
struct Done {
    collections: Arc<Collections>,
    channel: String,
    job: Arc<Mutex<CollectionView>>,
    placed: bool,
}

impl Drop for Done {
    fn drop(&mut self) {
        {
            let mut view = lock(&self.job);
            if matches!(view.status, JobStatus::Queued | JobStatus::Running) {
                view.status = JobStatus::Failed;
                view.finished_at = Some(now());
                view.error =
                    Some("the collection stopped unexpectedly; the server's log says why".into());
            }
        }
        if self.placed {
            self.collections.give_place();
        }
        self.collections.release(&self.channel);
    }
}

/// The job's progress, from the collector's reports.
struct Progress<'a>(&'a Mutex<CollectionView>);

impl CollectProgress for Progress<'_> {
    fn page(&mut self, _url: &str, _posts_on_page: usize, pages: u64, _posts: u64) {
        lock(self.0).pages = pages;
    }
}

/// Runs one collection with a writing engine of its own and writes it to the audit log; the
/// error as the job shows it.
fn run(
    opener: &crate::config::ArchiveOpener,
    identity: &Identity,
    channel: &str,
    options: &CollectOptions,
    job: &Mutex<CollectionView>,
) -> Result<(), String> {
    let archive = opener.open().map_err(|e| e.to_string())?;
    let mut engine = Engine::open_archive(archive).map_err(|e| e.to_string())?;
    // The run the collector will continue or start, so that the job can name it.
    let origin = Fetcher::new(&options.base_url, options.policy.clone())
        .map(|f| f.origin().to_string())
        .map_err(|e| e.to_string())?;
    let resumed = engine
        .unfinished_collect_run(channel, &origin)
        .map_err(|e| e.to_string())?
        .map(|r| r.id);
    let newest_before = newest_run_id(&engine);
    // Written before the run, so that a run the server never sees end (it was stopped) is in
    // the log too; a run whose start cannot be written does not start.
    audit_in(&engine, identity, "collect.start", {
        let mut details = run_details(channel, options);
        details["resumes_run"] = resumed.into();
        details
    })
    .map_err(|e| format!("the audit log did not take the collection's start: {e}"))?;
    let result = tgscope_collect::collect(&mut engine, channel, options, &mut Progress(job));
    let run_id = resumed.or_else(|| own_run(&engine, channel, &origin, newest_before));
    let details = {
        let mut view = lock(job);
        view.run_id = run_id;
        let mut details = run_details(channel, options);
        details["run"] = run_id.into();
        match &result {
            Ok(report) => {
                fill(&mut view, report);
                details["pages"] = report.pages.into();
                details["posts_new"] = report.posts_new.into();
                details["posts_updated"] = report.posts_updated.into();
                details["stop"] = report.stop.as_str().into();
            }
            Err(e) => {
                details["pages"] = view.pages.into();
                details["error"] = e.to_string().into();
            }
        }
        details
    };
    let audited = audit_in(&engine, identity, "collect", details);
    let result = result.map(|_| ()).map_err(|e| error_text(&e));
    audited.map_err(|e| format!("the audit log did not take the collection: {e}"))?;
    result
}

/// What the job shows of a collection that failed.
fn error_text(e: &CollectError) -> String {
    match e {
        CollectError::Engine(inner) if inner.kind() == tgscope_engine::ErrorKind::Internal => {
            tracing::error!("a collection failed: {inner}");
            "the archive failed; the server's log says why (run it again to resume)".into()
        }
        other => other.to_string(),
    }
}

fn fill(view: &mut CollectionView, report: &CollectReport) {
    view.pages = report.pages;
    view.posts_new = report.posts_new;
    view.posts_updated = report.posts_updated;
    view.posts_unchanged = report.posts_unchanged;
    view.resumed = report.resumed;
    view.stop = Some(report.stop.as_str().to_string());
}

/// The newest collection run's id in the archive (0 when there is none).
fn newest_run_id(engine: &Engine) -> i64 {
    engine
        .team()
        .and_then(|t| t.collect_runs(1))
        .ok()
        .and_then(|runs| runs.first().map(|r| r.run.id))
        .unwrap_or(0)
}

/// The run of `channel` from `origin` that this collection started: the first newer than
/// `before`.
fn own_run(engine: &Engine, channel: &str, origin: &str, before: i64) -> Option<i64> {
    let runs = engine
        .team()
        .and_then(|t| t.collect_runs(RUNS_LISTED))
        .ok()?;
    runs.iter()
        .rev()
        .find(|r| {
            r.run.id > before
                && r.run.base_url == origin
                && r.run.channel.eq_ignore_ascii_case(channel)
        })
        .map(|r| r.run.id)
}

/// A collection run in the archive's record, as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    /// The run's id.
    pub id: i64,
    /// The channel's username.
    pub channel: String,
    /// The site it was collected from.
    pub base_url: String,
    /// `finished`, `running` (this server runs it), or `unfinished` (interrupted, or run by
    /// another process: the channel's next collection resumes it).
    pub status: String,
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Pages fetched.
    pub pages: u64,
    /// Why it stopped.
    pub outcome: Option<String>,
    /// Back to the channel's first post.
    pub full: bool,
}

fn run_view(state: &AppState, r: CollectRunStatus) -> RunView {
    let status = if r.finished_at.is_some() {
        "finished"
    } else if state.collections().is_busy(&r.run.channel) {
        "running"
    } else {
        "unfinished"
    };
    RunView {
        id: r.run.id,
        channel: r.run.channel,
        base_url: r.run.base_url,
        status: status.to_string(),
        started_at: r.run.started_at,
        finished_at: r.finished_at,
        pages: r.run.pages,
        outcome: r.outcome,
        full: r.run.full,
    }
}

/// This server's collections and the archive's collection runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionsResponse {
    /// The collections started on this server, newest first (the newest 100).
    pub collections: Vec<CollectionView>,
    /// The archive's collection runs by every process, newest first (the newest 50).
    pub runs: Vec<RunView>,
}

async fn listing(state: &AppState) -> Result<CollectionsResponse, ApiError> {
    let runs = with_team(state, |team| team.collect_runs(RUNS_LISTED)).await?;
    Ok(CollectionsResponse {
        collections: state.collections().list(),
        runs: runs.into_iter().map(|r| run_view(state, r)).collect(),
    })
}

/// This server's collections (with their progress) and the archive's collection runs
/// (editors).
#[utoipa::path(
    get,
    path = "/api/v1/collections",
    tag = "team",
    responses(
        (status = 200, description = "The collections and runs", body = CollectionsResponse),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not an editor", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_api(
    State(state): State<AppState>,
) -> Result<Json<CollectionsResponse>, ApiError> {
    Ok(Json(listing(&state).await?))
}

/// Starts a collection of a public channel in the background (editors); follow it with
/// `GET /api/v1/collections`.
#[utoipa::path(
    post,
    path = "/api/v1/collections",
    tag = "team",
    request_body = NewCollection,
    responses(
        (status = 202, description = "Started (or queued)", body = CollectionView),
        (status = 400, description = "`bad_request`: not a channel username, a bound that is \
            neither a message id nor a date, max_pages 0", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (not an editor) or `csrf`", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the channel is being collected on this server",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_api(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ask: NewCollection = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the JSON expected: {e}")))?;
    let view = start(&state, &identity, ask).await?;
    Ok((StatusCode::ACCEPTED, Json(view)).into_response())
}

#[derive(Template)]
#[template(path = "collect.html")]
struct CollectPage {
    csrf: String,
    collections: Vec<CollectionView>,
    runs: Vec<RunView>,
    error: Option<String>,
    base_url: String,
}

async fn collect_page(
    state: &AppState,
    identity: &Identity,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let listed = match listing(state).await {
        Ok(listed) => listed,
        Err(e) => return error_page(&e),
    };
    render(
        &CollectPage {
            csrf: identity.csrf().unwrap_or_default().to_string(),
            collections: listed.collections,
            runs: listed.runs,
            error,
            base_url: state.config().collect_base_url.clone(),
        },
        status,
    )
}

/// `GET /collect`: the form, this server's collections and the archive's runs (editors).
pub async fn page(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
) -> Response {
    collect_page(&state, &identity, None, StatusCode::OK).await
}

/// `POST /collect`: starts a collection from the form; back to the page.
pub async fn start_form(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> Response {
    let mut fields = form_fields(&body);
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let max_pages = match text(fields.remove("max_pages")).map(|v| v.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return collect_page(
                &state,
                &identity,
                Some("max pages is a whole number".into()),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let ask = NewCollection {
        channel: fields.remove("channel").unwrap_or_default(),
        max_pages,
        since: text(fields.remove("since")),
        until: text(fields.remove("until")),
        full: fields.remove("full").is_some_and(|v| !v.is_empty()),
    };
    match start(&state, &identity, ask).await {
        Ok(_) => see_other("/collect"),
        Err(e) if matches!(e.code, ErrorCode::BadRequest | ErrorCode::Conflict) => {
            let status = e.code.status();
            collect_page(&state, &identity, Some(e.detail), status).await
        }
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(channel: &str) -> CollectionView {
        CollectionView::queued(channel.into(), "eddie".into(), None, None, None, false)
    }

    #[test]
    fn one_collection_per_channel_at_a_time() {
        let c = Collections::default();
        let first = c.register(view("harbor_notes")).expect("free");
        assert_eq!(lock(&first).id, 1);
        assert!(c.register(view("Harbor_Notes")).is_none(), "any case");
        assert!(c.is_busy("HARBOR_NOTES"));
        let other = c.register(view("fjord_news")).expect("another channel");
        assert_eq!(lock(&other).id, 2);
        c.release("harbor_notes");
        assert!(c.register(view("harbor_notes")).is_some());
        let ids: Vec<u64> = c.list().iter().map(|v| v.id).collect();
        assert_eq!(ids, vec![3, 2, 1], "newest first");
    }

    #[test]
    fn only_the_newest_are_remembered() {
        let c = Collections::default();
        for i in 0..(MAX_REMEMBERED + 5) {
            let job = c.register(view(&format!("chan{i:04}"))).expect("free");
            c.release(&lock(&job).channel.clone());
        }
        let listed = c.list();
        assert_eq!(listed.len(), MAX_REMEMBERED);
        assert_eq!(listed[0].id, (MAX_REMEMBERED + 5) as u64);
    }
}
