//! The load test of `tgscope serve` (issue 6): concurrent clients on loopback asking for search
//! pages and post pages; errors and latency percentiles per kind of page.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::search::QUERIES;

/// What `load` prints.
#[derive(Debug, Serialize)]
pub struct LoadMeasure {
    /// Concurrent clients.
    pub clients: usize,
    /// Requests made in all.
    pub requests: u64,
    /// Requests that failed (a network error or a status other than 200).
    pub errors: u64,
    /// The first few failures, for the report.
    pub error_samples: Vec<String>,
    /// Wall time of the whole run.
    pub seconds: f64,
    /// Requests per second.
    pub per_second: f64,
    /// Search pages (`/search?q=` on tgscope): requests, p50, p99 and max latency in ms.
    pub search: Percentiles,
    /// Post pages (`/posts/ID`).
    pub post: Percentiles,
    /// API searches (`/api/v1/search?q=`).
    pub api_search: Percentiles,
}

/// Latency of one kind of request.
#[derive(Debug, Serialize, Default)]
pub struct Percentiles {
    /// Requests of this kind.
    pub requests: u64,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

fn percentiles(mut ms: Vec<f64>) -> Percentiles {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| {
        if ms.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (ms.len() as f64 - 1.0)).round() as usize;
        (ms[rank.min(ms.len() - 1)] * 100.0).round() / 100.0
    };
    Percentiles {
        requests: ms.len() as u64,
        p50_ms: at(50.0),
        p99_ms: at(99.0),
        max_ms: at(100.0),
    }
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The server under load and the paths of its three kinds of request.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:8080`.
    pub base: String,
    /// Search page path with `{q}`.
    pub search_path: String,
    /// Post page path with `{id}`.
    pub post_path: String,
    /// API search path with `{q}`.
    pub api_path: String,
    /// Reduce each query to its plain words (for a peer without tgscope's query language).
    pub plain_queries: bool,
    /// An API token sent as `Authorization: Bearer ...` (a team server signs requests in).
    pub bearer: Option<String>,
}

/// The plain words of a query in tgscope's language: no `field:` filters, no `-` exclusions,
/// no `OR`, quotes, brackets, `=` or `#`. Falls back to the field's value when nothing is left
/// (`tag:sanctions` → `sanctions`).
pub fn plain_words(query: &str) -> String {
    let cleaned: String = query
        .chars()
        .map(|c| {
            if matches!(c, '"' | '(' | ')' | '=' | '#') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|w| !w.starts_with('-') && !w.contains(':') && *w != "OR")
        .collect();
    if !words.is_empty() {
        return words.join(" ");
    }
    cleaned
        .split_whitespace()
        .filter_map(|w| w.split_once(':').map(|(_, v)| v))
        .filter(|v| v.chars().all(char::is_alphabetic) && !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `requests` requests from `clients` threads against `target`: a third each of search
/// pages, post pages (ids 1..=`posts`) and API searches, in a fixed rotation.
pub fn run(
    target: &Target,
    clients: usize,
    requests: u64,
    posts: i64,
) -> anyhow::Result<LoadMeasure> {
    let queries: Arc<Vec<String>> = Arc::new(
        QUERIES
            .iter()
            .map(|q| {
                if target.plain_queries {
                    plain_words(q)
                } else {
                    q.to_string()
                }
            })
            .filter(|q| !q.is_empty())
            .collect(),
    );
    let base = target.base.trim_end_matches('/').to_string();
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..clients.max(1))
        .map(|_| {
            let next = Arc::clone(&next);
            let queries = Arc::clone(&queries);
            let base = base.clone();
            let target = target.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                let (mut search, mut post, mut api) = (Vec::new(), Vec::new(), Vec::new());
                let mut errors = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        break;
                    }
                    let q = encode(&queries[(n / 3) as usize % queries.len()]);
                    let id = (1 + (n as i64 * 7919) % posts.max(1)).to_string();
                    let (path, kind) = match n % 3 {
                        0 => (target.search_path.replace("{q}", &q), 0),
                        1 => (target.post_path.replace("{id}", &id), 1),
                        _ => (target.api_path.replace("{q}", &q), 2),
                    };
                    let url = format!("{base}{path}");
                    let t = Instant::now();
                    let mut request = agent.get(&url);
                    if let Some(token) = &target.bearer {
                        request = request.header("Authorization", &format!("Bearer {token}"));
                    }
                    let outcome = request.call().and_then(|mut r| {
                        let status = r.status().as_u16();
                        r.body_mut().read_to_vec().map(|_| status)
                    });
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    match outcome {
                        Ok(200) => match kind {
                            0 => search.push(ms),
                            1 => post.push(ms),
                            _ => api.push(ms),
                        },
                        Ok(status) => errors.push(format!("{url}: status {status}")),
                        Err(e) => errors.push(format!("{url}: {e}")),
                    }
                }
                (search, post, api, errors)
            })
        })
        .collect();
    let (mut search, mut post, mut api, mut errors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for h in handles {
        let (s, p, a, e) = h
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread failed"))?;
        search.extend(s);
        post.extend(p);
        api.extend(a);
        errors.extend(e);
    }
    let seconds = start.elapsed().as_secs_f64();
    let made = (search.len() + post.len() + api.len() + errors.len()) as u64;
    Ok(LoadMeasure {
        clients,
        requests: made,
        errors: errors.len() as u64,
        error_samples: errors.into_iter().take(5).collect(),
        seconds: (seconds * 100.0).round() / 100.0,
        per_second: (made as f64 / seconds).round(),
        search: percentiles(search),
        post: percentiles(post),
        api_search: percentiles(api),
    })
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn plain_words_drop_the_query_language() {
        assert_eq!(plain_words("санкции -выборы"), "санкции");
        assert_eq!(
            plain_words("(Москвы OR Казани) экономика"),
            "Москвы Казани экономика"
        );
        assert_eq!(plain_words("\"прямой эфир\""), "прямой эфир");
        assert_eq!(plain_words("tag:sanctions"), "sanctions");
        assert_eq!(plain_words("lang:en economy"), "economy");
        assert_eq!(plain_words("date:2024-01-01..2024-03-31"), "");
        assert_eq!(plain_words("#Россия"), "Россия");
    }
}
