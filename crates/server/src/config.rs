//! What the server is told: the archive (a folder of the embedded archive, or an opener of
//! another backend's, with whether it has accounts), how many engines, and its limits (team
//! mode's limit on failed sign-ins among them).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tgscope_engine::archive::ArchiveError;
use tgscope_engine::archive::backend::Archive;

use tgscope_collect::fetch::FetchPolicy;

use crate::listen::ConnectionLimits;
use crate::sign_in_limit::SignInLimits;

/// The function that opens the archive for an engine of the pool, when it is not the
/// embedded archive of [`ServerConfig::archive`] (the team's archive in PostgreSQL). Each call
/// opens a new connection; the archive's folder is this process's own (search index, derived
/// data), caught up from the archive's mark as an engine opens it.
#[derive(Clone)]
pub struct ArchiveOpener(Arc<dyn Fn() -> Result<Box<dyn Archive>, ArchiveError> + Send + Sync>);

impl ArchiveOpener {
    /// An opener calling `open`.
    pub fn new(
        open: impl Fn() -> Result<Box<dyn Archive>, ArchiveError> + Send + Sync + 'static,
    ) -> ArchiveOpener {
        ArchiveOpener(Arc::new(open))
    }

    /// Opens the archive.
    pub fn open(&self) -> Result<Box<dyn Archive>, ArchiveError> {
        (self.0)()
    }
}

impl std::fmt::Debug for ArchiveOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchiveOpener")
    }
}

/// The server's settings. [`Default`] gives the archive `./tgscope-archive` and limits fit for
/// one analyst on a laptop.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The archive directory: the embedded archive (read only: its server never writes to the
    /// archive database), or, with an [`ArchiveOpener`], this process's folder of derived data.
    pub archive: PathBuf,
    /// Opens the archive when it is not the embedded archive in `archive` (team mode's
    /// PostgreSQL archive).
    pub opener: Option<ArchiveOpener>,
    /// Team mode: every request but sign-in needs an account's session or API token, roles
    /// decide what each may do, editors may change the archive, and changes and exports are
    /// written to the audit log. Needs an archive with accounts (`opener`).
    pub team: bool,
    /// The largest capture an editor may upload, in bytes (team mode; every other request body
    /// is held to `max_body_bytes`).
    pub max_upload_bytes: u64,
    /// Engines (open archives) serving requests at once; each runs one query at a time.
    pub engines: usize,
    /// How long a request may wait for an engine and run its query before it is cut off with
    /// the problem `timeout` (503).
    pub query_timeout: Duration,
    /// The longest search query accepted, in characters (longer: problem `query_too_long`).
    pub max_query_len: usize,
    /// The most results one JSON page or web page holds (a larger `limit` is lowered to it).
    pub max_limit: usize,
    /// The most rows one CSV download holds.
    pub max_download_rows: usize,
    /// The largest request body accepted, in bytes (the API only reads; larger: problem
    /// `body_too_large`).
    pub max_body_bytes: u64,
    /// Downloads of captures and media files streamed at once. A further download waits for
    /// one to end, up to `query_timeout`, then is answered with the problem `timeout`. A
    /// download holds no thread while its client is slow to read, only this place.
    pub max_downloads: usize,
    /// The address the server is reached at from outside (`https://archive.example`), from
    /// which feeds make their links; `None`: from each request's `Host`.
    pub base_url: Option<String>,
    /// Team mode: how many failed sign-ins of a name and from an address, in how long a
    /// window, before the sign-in form answers 429 ([`crate::sign_in_limit`]).
    pub sign_in_limits: SignInLimits,
    /// Team mode: the addresses of reverse proxies whose `X-Forwarded-For` names the client (its
    /// last address, the one the proxy added) for the sign-in limit per address; a request
    /// from any other peer is counted under the peer's own address. Loopback by default (a
    /// proxy on the same machine).
    pub trusted_proxies: Vec<IpAddr>,
    /// Team mode: the site editors' collections fetch from (`https://t.me`; a test server in
    /// tests). Only the process that starts the server sets it: no request can.
    pub collect_base_url: String,
    /// Team mode: how the collector of editors' collections behaves (delay between requests,
    /// retries, timeouts), as `tgscope collect`'s defaults.
    pub collect_policy: FetchPolicy,
    /// The connection loop's limits: time allowed to slow clients, connections at once, the
    /// grace at shutdown ([`ConnectionLimits`]).
    pub connections: ConnectionLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            archive: PathBuf::from(tgscope_engine::DEFAULT_ARCHIVE),
            opener: None,
            team: false,
            max_upload_bytes: 64 * 1024 * 1024,
            engines: 2,
            query_timeout: Duration::from_secs(10),
            max_query_len: 1000,
            max_limit: 100,
            max_download_rows: 10_000,
            max_body_bytes: 16 * 1024,
            max_downloads: 32,
            base_url: None,
            sign_in_limits: SignInLimits::default(),
            trusted_proxies: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            collect_base_url: tgscope_collect::DEFAULT_BASE_URL.to_string(),
            collect_policy: FetchPolicy::default(),
            connections: ConnectionLimits::default(),
        }
    }
}

/// Results per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 20;
