//! What the server is told: the archive, how many engines, and its limits.

use std::path::PathBuf;
use std::time::Duration;

/// The server's settings. [`Default`] gives the archive `./tgscope-archive` and limits fit for
/// one analyst on a laptop.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The archive directory (read only: the server never writes to the archive database).
    pub archive: PathBuf,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            archive: PathBuf::from(tgscope_engine::DEFAULT_ARCHIVE),
            engines: 2,
            query_timeout: Duration::from_secs(10),
            max_query_len: 1000,
            max_limit: 100,
            max_download_rows: 10_000,
            max_body_bytes: 16 * 1024,
            max_downloads: 32,
            base_url: None,
        }
    }
}

/// Results per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 20;
