//! The server: tgscope's HTTP API and web interface over an archive.
//!
//! Place in the pipeline: a front end beside the CLI, on top of the engine (the only crate it
//! imports from the workspace). It answers questions of one archive: full-text search with
//! counts over time, posts with their versions, sightings (with the captures' SHA-256) and
//! absences, copies of posts across channels (clusters, first seen in the archive), networks
//! (who forwards, mentions, copies, links to the same pages as and moves in step with whom),
//! the countries, organisations and people posts name (entities), channels, hashtags and
//! captures, and the evidence itself (a capture's exact bytes,
//! kept media files, by SHA-256); as JSON under `/api/v1/` (described by the
//! OpenAPI 3.1 document at `/api/openapi.json`) and as server-rendered pages (askama templates,
//! charts as inline SVG; JavaScript only where the network page draws its graph, with a script
//! and a graph library the server serves itself).
//!
//! Main items:
//! - [`ServerConfig`]: the archive and the limits (engines, query timeout, query length, page
//!   size, body size).
//! - [`AppState`] and [`app`]: the router, which tests call without a socket.
//! - [`serve`] (on a bound listener) and [`run_blocking`] (its own runtime, until Ctrl-C), over
//!   [`listen`]'s connection loop: time limits on slow clients, a cap on connections, and a
//!   shutdown that does not wait on idle ones.
//! - [`problem`]: the one table of error codes, and errors as `application/problem+json`.
//! - [`pool::EnginePool`]: engines run on blocking threads, each request under a timeout.
//! - [`evidence`]: captures and media files streamed by SHA-256, resumable by [`range`].
//! - [`feeds`]: Atom, RSS and JSON Feed of a query, a channel or a hashtag under `/feeds/`.
//!
//! - [`auth`]: team mode's gate: sign-in (session cookie or API token), roles, CSRF, and the
//!   audit of exports; [`sign_in_limit`]: failed sign-ins limited per name and per address;
//!   [`team_pages`]: sign-in, the account and its API tokens, the admins' accounts and audit
//!   log; [`narrative_edits`], [`saved_searches`], [`upload`] and [`collections`]: what
//!   editors change.
//!
//! Two modes. Over the embedded archive (SQLite, [`ServerConfig::archive`]) the server is a
//! local read-only viewer without sign-in: every route is `GET`, and it never writes to the
//! archive (only the derived search index and analyses are brought up to date). Over the
//! team's archive in PostgreSQL ([`ServerConfig::opener`], [`ServerConfig::team`]) every
//! request but sign-in needs an account: readers browse, search, export and read the saved
//! searches, editors also ingest uploads, collect channels and edit narratives and saved
//! searches, admins also manage accounts and read the audit log, and
//! every change and export is written to the audit log. Each team server keeps its own search
//! index and derived data in its folder, caught up from the archive's mark, so more read
//! servers are more processes. Put a team server behind HTTPS: its cookies are `Secure`.
//!
//! What it does not do: load anything from another site into its pages; talk to Telegram,
//! except for editors' collections in team mode (the collector of `tgscope collect`, to
//! [`ServerConfig::collect_base_url`]); over the embedded archive, write to the archive.

pub mod api;
pub mod archive;
pub mod assets;
pub mod auth;
pub mod chart;
pub mod collections;
pub mod config;
pub mod copies;
pub mod cursor;
pub mod diff;
pub mod download;
pub mod entities;
pub mod entity_pages;
pub mod evidence;
pub mod feeds;
pub mod form;
pub mod links;
pub mod listen;
pub mod narrative_edits;
pub mod narratives;
pub mod network;
pub mod network_pages;
pub mod pages;
pub mod params;
pub mod pool;
pub mod problem;
pub mod range;
pub mod saved_searches;
pub mod security;
pub mod segments;
pub mod sign_in_limit;
pub mod team_pages;
pub mod upload;
pub mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use config::ServerConfig;
pub use pool::{EnginePool, PoolError};
pub use problem::{ApiError, ErrorCode, Problem};

/// The version of tgscope, shown in the pages' footer and the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The archive could not be opened or its index prepared.
    #[error("opening the archive in {}: {source}", .dir.display())]
    Archive {
        /// The archive directory.
        dir: PathBuf,
        /// Why.
        source: PoolError,
    },
    /// Team mode over an archive that keeps no accounts.
    #[error(
        "team mode needs an archive with accounts (the archive in PostgreSQL, --database); this \
         one has none"
    )]
    NoAccounts,
    /// The address could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime or the connection loop failed.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What every request handler shares: the engines and the settings.
#[derive(Clone)]
pub struct AppState {
    pool: Arc<EnginePool>,
    downloads: Arc<tokio::sync::Semaphore>,
    sign_ins: Arc<sign_in_limit::SignInLimiter>,
    collections: Arc<collections::Collections>,
    config: Arc<ServerConfig>,
    /// The home page's facts as of the last archive mark they were read at.
    home: Arc<std::sync::Mutex<Option<Arc<archive::HomeFacts>>>>,
}

impl AppState {
    /// A state over `config.archive`; nothing is opened until a request (or
    /// [`AppState::warm_up`]) needs it.
    pub fn new(config: ServerConfig) -> AppState {
        let pool = EnginePool::with_opener(
            &config.archive,
            config.opener.clone(),
            config.engines,
            config.query_timeout,
        );
        AppState {
            pool: Arc::new(pool),
            downloads: Arc::new(tokio::sync::Semaphore::new(config.max_downloads.max(1))),
            sign_ins: Arc::new(sign_in_limit::SignInLimiter::new(config.sign_in_limits)),
            collections: Arc::new(collections::Collections::default()),
            config: Arc::new(config),
            home: Arc::default(),
        }
    }

    /// Opens the archive and brings its search index up to date (blocking, without the query
    /// timeout; a directory without an archive yet is fine).
    pub fn warm_up(&self) -> Result<(), ServerError> {
        let failed = |source| ServerError::Archive {
            dir: self.config.archive.clone(),
            source,
        };
        self.pool.warm_up().map_err(failed)?;
        if self.config.team
            && !self
                .pool
                .with_engine(|e| e.has_accounts())
                .map_err(failed)?
        {
            return Err(ServerError::NoAccounts);
        }
        Ok(())
    }

    /// Whether there is an archive to serve: the team's archive always is (opening it says
    /// otherwise); the embedded one when its folder holds one.
    pub fn archive_exists(&self) -> bool {
        self.config.opener.is_some() || tgscope_engine::Engine::archive_exists(self.pool.dir())
    }

    /// The engines.
    pub fn pool(&self) -> &EnginePool {
        &self.pool
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Team mode's failed sign-ins of this process.
    pub fn sign_ins(&self) -> &sign_in_limit::SignInLimiter {
        &self.sign_ins
    }

    /// Team mode's collections started on this server.
    pub fn collections(&self) -> &Arc<collections::Collections> {
        &self.collections
    }

    /// A place for one more streamed download, waited for up to the query timeout (else the
    /// problem `timeout`). The download holds it until its body is done or dropped.
    pub async fn download_place(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let timeout = self.config.query_timeout;
        match tokio::time::timeout(timeout, self.downloads.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(&closed)),
            Err(_) => Err(ApiError::timeout(timeout.as_secs_f64())),
        }
    }
}

/// The router: pages, the JSON API, the OpenAPI document, static files; with the security
/// headers on every response and the limit on request bodies.
pub fn app(state: AppState) -> Router {
    let team = state.config.team;
    let (api_routes, doc) = api::router(team);
    let openapi_json: Arc<String> = Arc::new(doc.to_pretty_json().unwrap_or_default());
    let max_body = usize::try_from(state.config.max_body_bytes).unwrap_or(usize::MAX);
    let mut router = Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/posts/{id}", get(pages::post))
        .route("/channels/{name}", get(pages::channel))
        .route("/hashtags/{tag}", get(pages::hashtag))
        .route("/clusters", get(copies::clusters))
        .route("/clusters/{id}", get(copies::cluster))
        .route("/network", get(network_pages::page))
        .route("/entities", get(entity_pages::index))
        .route("/entities/{key}", get(entity_pages::entity))
        .route("/feeds/{file}", get(feeds::search))
        .route("/feeds/channels/{file}", get(feeds::channel))
        .route("/feeds/hashtags/{file}", get(feeds::hashtag))
        .route("/feeds/narratives/{file}", get(feeds::narrative))
        .route("/narratives", get(narratives::index))
        .route("/narratives/{name}", get(narratives::narrative))
        .route("/static/{file}", get(assets::file))
        .route("/static/vendor/{file}", get(assets::vendor_file))
        .route("/api/problems", get(api::problems))
        .route(
            "/api/openapi.json",
            get(move || {
                let json = openapi_json.clone();
                async move { openapi_response(&json) }
            }),
        )
        .merge(api_routes);
    if team {
        router = team_routes(router, &state.config);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Team mode's routes: sign-in, the account, the admins' pages, and what editors change (the
/// API's are in [`api::router`], but for the upload, which has its own body limit).
fn team_routes(router: Router<AppState>, config: &ServerConfig) -> Router<AppState> {
    let upload_limit =
        DefaultBodyLimit::max(usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX));
    router
        .route(
            "/sign-in",
            get(team_pages::sign_in_form).post(team_pages::sign_in),
        )
        .route("/sign-out", post(team_pages::sign_out))
        .route("/account", get(team_pages::account))
        .route("/account/tokens", post(team_pages::create_token_form))
        .route(
            "/account/tokens/{id}/revoke",
            post(team_pages::revoke_token_form),
        )
        .route(
            "/admin/users",
            get(team_pages::users).post(team_pages::add_user_form),
        )
        .route(
            "/admin/users/{name}/disable",
            post(team_pages::disable_user_form),
        )
        .route(
            "/admin/users/{name}/enable",
            post(team_pages::enable_user_form),
        )
        .route("/admin/audit", get(team_pages::audit))
        .route("/narratives", post(narrative_edits::add_form))
        .route("/narratives/{name}/edit", post(narrative_edits::edit_form))
        .route(
            "/narratives/{name}/remove",
            post(narrative_edits::remove_form),
        )
        .route(
            "/saved",
            get(saved_searches::page).post(saved_searches::add_form),
        )
        .route(
            "/collect",
            get(collections::page).post(collections::start_form),
        )
        .route("/saved/{name}/edit", post(saved_searches::edit_form))
        .route("/saved/{name}/delete", post(saved_searches::delete_form))
        .route(
            "/ingest",
            get(upload::page).post(upload::upload_form.layer(upload_limit)),
        )
        .route(
            "/api/v1/captures",
            post(upload::upload_api.layer(upload_limit)),
        )
}

fn openapi_response(json: &str) -> Response {
    let mut response = json.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Whether `path` is `root` or under it.
fn is_under(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Unknown routes: a problem under `/api/`, a page elsewhere. Over the embedded archive, the
/// team's saved searches and collections say that they exist in team mode only.
async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let team_only = !state.config.team
        && (is_under(&path, "/saved") || is_under(&path, "/api/v1/saved-searches"));
    let error = if team_only {
        ApiError::not_found(saved_searches::NOT_IN_EMBEDDED)
    } else {
        ApiError::not_found(format!("nothing at {path}"))
    };
    if path.starts_with("/api/") {
        error.into_response()
    } else {
        pages::error_page(&error)
    }
}

async fn method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    let detail = if state.config.team {
        format!(
            "{} is not answered at {}: see the OpenAPI document (/api/openapi.json) for the \
             methods of each route",
            request.method(),
            request.uri().path()
        )
    } else {
        format!(
            "{} is not answered here: every route is GET (the server never changes the archive)",
            request.method()
        )
    };
    let mut response = ApiError::new(ErrorCode::MethodNotAllowed, detail).into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// Serves the archive of `config` on `listener` until the process is interrupted (Ctrl-C).
/// The archive is opened and its index brought up to date first.
pub async fn serve(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
) -> Result<(), ServerError> {
    let state = AppState::new(config);
    let warm = state.clone();
    tokio::task::spawn_blocking(move || warm.warm_up())
        .await
        .map_err(|e| ServerError::Io(std::io::Error::other(e)))??;
    serve_state(state, listener).await
}

async fn serve_state(
    state: AppState,
    listener: tokio::net::TcpListener,
) -> Result<(), ServerError> {
    let limits = state.config.connections;
    listen::serve_connections(listener, app(state), limits, async {
        // Without a Ctrl-C handler the server runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await?;
    Ok(())
}

/// Serves the archive of `config` at `bind` on a runtime of its own until Ctrl-C: opens the
/// archive (a directory that is empty or not there yet shows the first-steps page, naming the
/// directory, until something is ingested into it), binds (port 0 picks a free port), calls
/// `on_ready` with the bound address, then serves.
pub fn run_blocking(
    config: ServerConfig,
    bind: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let state = AppState::new(config);
    state.warm_up()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| ServerError::Bind { addr: bind, source })?;
        let addr = listener.local_addr()?;
        on_ready(addr);
        serve_state(state, listener).await
    })
}
