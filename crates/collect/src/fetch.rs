//! One polite HTTP client: a request at a time, a delay between requests, retries with backoff,
//! `429 Retry-After` honoured, and no redirect followed off the collected site. What no retry
//! can mend (a host that does not resolve, a refused connection) ends the run at once.

use std::time::{Duration, Instant};

use ureq::http::Uri;

use crate::CollectError;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Pause between two requests to the site.
    pub delay: Duration,
    /// Retries of a request that failed (timeout, dropped connection, 5xx, 429) before giving
    /// up. A host that does not resolve and a refused connection are not retried.
    pub retries: u32,
    /// First pause before a retry; doubled at every retry.
    pub backoff: Duration,
    /// Longest pause the client accepts (a `Retry-After` longer than this is an error).
    pub max_wait: Duration,
    /// Time allowed for one request, connection to last byte.
    pub timeout: Duration,
    /// The `User-Agent` sent.
    pub user_agent: String,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            delay: Duration::from_secs(3),
            retries: 5,
            backoff: Duration::from_secs(5),
            max_wait: Duration::from_secs(600),
            timeout: Duration::from_secs(30),
            user_agent: format!(
                "tgscope/{} (archive of public channels; one request at a time)",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }
}

/// A page that came back with status 200.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL it came from (after redirects within the site).
    pub url: String,
    /// Its status (200).
    pub status: u16,
    /// When it arrived (RFC 3339 UTC).
    pub fetched_at: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

/// A request that failed and was retried (or given up), for the archive's record of fetches.
#[derive(Debug, Clone)]
pub struct FailedAttempt {
    /// The URL requested.
    pub url: String,
    /// The status, when the server answered.
    pub status: Option<u16>,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// What went wrong.
    pub error: String,
}

/// Something the client did that a user may want to see (waiting out a 429, retrying).
pub trait FetchEvents {
    /// The client waits `wait` before the next attempt, because of `why`.
    fn waiting(&mut self, wait: Duration, why: &str);
}

/// The polite client of one site.
pub struct Fetcher {
    agent: ureq::Agent,
    policy: FetchPolicy,
    /// `scheme://host[:port]` of the site; nothing else is fetched.
    origin: String,
    last_request: Option<Instant>,
    /// Failed attempts not yet taken by the caller.
    failures: Vec<FailedAttempt>,
}

/// Most redirects followed within the site for one request.
const MAX_REDIRECTS: usize = 5;

impl Fetcher {
    /// A client for the site at `base_url` (`https://t.me` or a mirror or test server).
    pub fn new(base_url: &str, policy: FetchPolicy) -> Result<Fetcher, CollectError> {
        let origin =
            origin_of(base_url).ok_or_else(|| CollectError::BadBaseUrl(base_url.to_string()))?;
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .timeout_global(Some(policy.timeout))
            .user_agent(&policy.user_agent)
            .build();
        Ok(Fetcher {
            agent: config.into(),
            policy,
            origin,
            last_request: None,
            failures: Vec::new(),
        })
    }

    /// `scheme://host[:port]` of the site.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The failed attempts since the last call.
    pub fn take_failures(&mut self) -> Vec<FailedAttempt> {
        std::mem::take(&mut self.failures)
    }

    /// Waits out the delay since the previous request.
    fn wait_turn(&mut self) {
        if let Some(last) = self.last_request {
            let since = last.elapsed();
            if since < self.policy.delay {
                std::thread::sleep(self.policy.delay - since);
            }
        }
        self.last_request = Some(Instant::now());
    }

    fn fail(&mut self, url: &str, status: Option<u16>, error: String) {
        self.failures.push(FailedAttempt {
            url: url.to_string(),
            status,
            at: now_utc(),
            error,
        });
    }

    /// Fetches `url` (on the site), retrying what can be retried.
    pub fn get(
        &mut self,
        url: &str,
        events: &mut dyn FetchEvents,
    ) -> Result<Fetched, CollectError> {
        let mut url = url.to_string();
        let mut redirects = 0usize;
        let mut attempt = 0u32;
        loop {
            if origin_of(&url).as_deref() != Some(self.origin.as_str()) {
                return Err(CollectError::OffSite { url });
            }
            self.wait_turn();
            let result = self.agent.get(&url).call();
            let fetched_at = now_utc();
            let retry_why = match result {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    match status {
                        200 => {
                            let body = response
                                .body_mut()
                                .with_config()
                                .limit(32 << 20)
                                .read_to_vec()
                                .map_err(|e| CollectError::Network {
                                    url: url.clone(),
                                    error: e.to_string(),
                                });
                            match body {
                                Ok(body) => {
                                    return Ok(Fetched {
                                        url,
                                        status,
                                        fetched_at,
                                        body,
                                    });
                                }
                                Err(e) => {
                                    let why = e.to_string();
                                    self.fail(&url, Some(status), why.clone());
                                    Some((why, None))
                                }
                            }
                        }
                        301 | 302 | 303 | 307 | 308 => {
                            let location = response
                                .headers()
                                .get("location")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string();
                            let target = resolve(&url, &location);
                            self.fail(&url, Some(status), format!("redirect to {target}"));
                            if origin_of(&target).as_deref() != Some(self.origin.as_str()) {
                                return Err(CollectError::OffSite { url: target });
                            }
                            if !path_of(&target).starts_with("/s/") {
                                return Err(CollectError::PreviewUnavailable {
                                    url,
                                    location: target,
                                });
                            }
                            redirects += 1;
                            if redirects > MAX_REDIRECTS {
                                return Err(CollectError::Status {
                                    url,
                                    status,
                                    detail: "too many redirects".into(),
                                });
                            }
                            url = target;
                            continue;
                        }
                        429 => {
                            let wait = response
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(retry_after);
                            let why = format!(
                                "429 Too Many Requests{}",
                                wait.map(|w| format!(" (Retry-After {} s)", w.as_secs()))
                                    .unwrap_or_default()
                            );
                            self.fail(&url, Some(status), why.clone());
                            Some((why, wait))
                        }
                        500..=599 => {
                            let why = format!("server error {status}");
                            self.fail(&url, Some(status), why.clone());
                            Some((why, None))
                        }
                        _ => {
                            let detail = format!("status {status}");
                            self.fail(&url, Some(status), detail.clone());
                            return Err(CollectError::Status {
                                url,
                                status,
                                detail,
                            });
                        }
                    }
                }
                Err(e) => {
                    if let Some(fatal) = self.unreachable(&url, &e) {
                        self.fail(&url, None, fatal.to_string());
                        return Err(fatal);
                    }
                    let why = format!("network error: {e}");
                    self.fail(&url, None, why.clone());
                    Some((why, None))
                }
            };
            let Some((why, asked)) = retry_why else {
                continue;
            };
            if attempt >= self.policy.retries {
                return Err(CollectError::GaveUp {
                    url,
                    attempts: attempt + 1,
                    last: why,
                });
            }
            let backoff = self.policy.backoff.saturating_mul(1 << attempt.min(16));
            let wait = asked.unwrap_or(backoff);
            if wait > self.policy.max_wait {
                return Err(CollectError::GaveUp {
                    url,
                    attempts: attempt + 1,
                    last: format!(
                        "{why}; the wait asked for is longer than --max-wait {} s",
                        self.policy.max_wait.as_secs()
                    ),
                });
            }
            events.waiting(wait, &why);
            std::thread::sleep(wait);
            // The pause just taken counts as the delay before the next request.
            self.last_request = Some(Instant::now());
            attempt += 1;
        }
    }
}

impl Fetcher {
    /// The error that ends the run at once when no retry can succeed: the site's host does not
    /// resolve, or nothing accepts connections at its address. `None` for failures that can
    /// pass (timeouts, a connection reset in the middle of a transfer, TLS trouble).
    fn unreachable(&self, url: &str, error: &ureq::Error) -> Option<CollectError> {
        let (host, port) = host_and_port(url)?;
        match error {
            ureq::Error::HostNotFound => Some(CollectError::HostNotFound {
                url: url.to_string(),
                host,
                error: "no address found".to_string(),
            }),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Some(CollectError::ConnectionRefused {
                    url: url.to_string(),
                    address: format!("{host}:{port}"),
                })
            }
            // ureq reports a failed name lookup as a plain I/O error, like a dropped
            // connection: asking the resolver again tells them apart.
            ureq::Error::Io(_) => match lookup(&host, port, self.policy.timeout) {
                Lookup::Failed(why) => Some(CollectError::HostNotFound {
                    url: url.to_string(),
                    host,
                    error: why,
                }),
                Lookup::Resolved | Lookup::NoAnswer => None,
            },
            _ => None,
        }
    }
}

/// What the system's resolver said about a host.
#[derive(Debug, PartialEq, Eq)]
enum Lookup {
    /// It has an address.
    Resolved,
    /// It has none: the resolver's message.
    Failed(String),
    /// No answer in time: nothing can be concluded.
    NoAnswer,
}

/// Asks the system's resolver for `host`, waiting at most `timeout`.
fn lookup(host: &str, port: u16, timeout: Duration) -> Lookup {
    use std::net::ToSocketAddrs;
    let target = format!("{host}:{port}");
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    // A lookup cannot be cancelled; a thread lets the caller stop waiting for it.
    std::thread::spawn(move || {
        let answer = match target.to_socket_addrs().map(|mut addrs| addrs.next()) {
            Ok(Some(_)) => Lookup::Resolved,
            Ok(None) => Lookup::Failed("no address found".to_string()),
            Err(e) => Lookup::Failed(e.to_string()),
        };
        tx.send(answer).ok();
    });
    rx.recv_timeout(timeout).unwrap_or(Lookup::NoAnswer)
}

/// The host (IPv6 addresses in brackets) and port of a URL, the port from the scheme when the
/// URL has none.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let uri: Uri = url.parse().ok()?;
    let host = uri.host()?.to_string();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    Some((host, port))
}

/// The time now, RFC 3339 UTC.
pub(crate) fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `scheme://host[:port]` of a URL, lowercased.
fn origin_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    Some(format!("{scheme}://{authority}").to_lowercase())
}

fn path_of(url: &str) -> String {
    url.parse::<Uri>()
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

/// A `Location` resolved against the URL that gave it.
fn resolve(from: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let origin = origin_of(from).unwrap_or_default();
    if let Some(rest) = location.strip_prefix("//") {
        let scheme = from.split("://").next().unwrap_or("https");
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{origin}{location}");
    }
    let path = path_of(from);
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    format!("{origin}{dir}/{location}")
}

/// A `Retry-After` value: seconds, or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_resolution() {
        assert_eq!(
            origin_of("https://T.me/s/mid?before=5").as_deref(),
            Some("https://t.me")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/s/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("not a url"), None);
        assert_eq!(resolve("https://t.me/s/mid", "/mid"), "https://t.me/mid");
        assert_eq!(
            resolve("https://t.me/s/mid", "https://evil.example/x"),
            "https://evil.example/x"
        );
        assert_eq!(
            resolve("https://t.me/s/mid", "//cdn.example/x"),
            "https://cdn.example/x"
        );
        assert_eq!(
            resolve("https://t.me/s/mid", "other"),
            "https://t.me/s/other"
        );
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(
            host_and_port("https://t.me/s/mid"),
            Some(("t.me".to_string(), 443))
        );
        assert_eq!(
            host_and_port("http://127.0.0.1:9/s/mid"),
            Some(("127.0.0.1".to_string(), 9))
        );
        assert_eq!(
            host_and_port("http://[::1]/s/mid"),
            Some(("[::1]".to_string(), 80))
        );
        assert_eq!(host_and_port("not a url"), None);
    }

    #[test]
    fn lookups_of_addresses_and_of_names_that_never_resolve() {
        let timeout = Duration::from_secs(120);
        assert_eq!(lookup("127.0.0.1", 80, timeout), Lookup::Resolved);
        assert_eq!(lookup("[::1]", 80, timeout), Lookup::Resolved);
        // RFC 2606: `.invalid` never resolves, with or without a network.
        assert!(matches!(
            lookup("tgscope-test.invalid", 443, timeout),
            Lookup::Failed(_)
        ));
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }
}
