//! Team mode's limit on failed sign-ins: a client may not try passwords without end.
//!
//! Failed sign-ins are counted per account name (as typed, whether or not an account has it)
//! and per client address, over a sliding window ([`WINDOW`]). Once a name has
//! [`FAILURES_PER_NAME`] failures in the window, or an address [`FAILURES_PER_ADDRESS`], the
//! sign-in form answers `429 Too Many Requests` with `Retry-After` and does not check the
//! password at all (so a right password is refused too) until the oldest of those failures
//! leaves the window. A successful sign-in clears its name's failures (not its address's).
//!
//! The counts live in the memory of one server process: several servers in front of one
//! archive each keep their own, and a restart forgets them. They are bounded: at most
//! [`MAX_TRACKED`] names and as many addresses; when full, entries whose failures have all left
//! the window go first, then the entry whose last failure is oldest.
//!
//! The clock is the caller's (`now` is passed in), so that tests need not wait out a window.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins of one name within [`WINDOW`] after which the name is locked out.
pub const FAILURES_PER_NAME: u32 = 5;

/// Failed sign-ins from one client address within [`WINDOW`] after which it is locked out.
pub const FAILURES_PER_ADDRESS: u32 = 20;

/// How long a failure counts: 15 minutes.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The most names (and, apart, the most addresses) whose failures are kept.
pub const MAX_TRACKED: usize = 10_000;

/// The longest name kept (in characters): longer names are counted by their beginning.
const MAX_KEY_CHARS: usize = 100;

/// The limits: how many failures of a name and of an address, in how long a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failures of one name in the window before it is locked out.
    pub per_name: u32,
    /// Failures from one address in the window before it is locked out.
    pub per_address: u32,
    /// How long a failure counts.
    pub window: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_name: FAILURES_PER_NAME,
            per_address: FAILURES_PER_ADDRESS,
            window: WINDOW,
        }
    }
}

/// What a failure locked out, to be written to the audit log once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lockout {
    /// The name (as counted) has reached its limit.
    Name(String),
    /// The address has reached its limit.
    Address(IpAddr),
}

/// The failures of one name or address: their times, oldest first (at most the limit).
#[derive(Debug, Default)]
struct Failures {
    times: VecDeque<Instant>,
}

impl Failures {
    /// Forgets the failures older than the window.
    fn expire(&mut self, now: Instant, window: Duration) {
        while self
            .times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            self.times.pop_front();
        }
    }

    /// When the lock-out ends, if `limit` failures are in the window.
    fn locked_for(&self, now: Instant, window: Duration, limit: u32) -> Option<Duration> {
        if limit == 0 || self.times.len() < limit as usize {
            return None;
        }
        let oldest = *self.times.front()?;
        Some(window.saturating_sub(now.saturating_duration_since(oldest)))
    }
}

/// One table of failures (names or addresses), bounded in size.
#[derive(Debug)]
struct Table<K> {
    entries: HashMap<K, Failures>,
}

impl<K: Eq + Hash + Clone> Table<K> {
    fn new() -> Table<K> {
        Table {
            entries: HashMap::new(),
        }
    }

    fn locked_for(
        &mut self,
        key: &K,
        now: Instant,
        window: Duration,
        limit: u32,
    ) -> Option<Duration> {
        let failures = self.entries.get_mut(key)?;
        failures.expire(now, window);
        failures.locked_for(now, window, limit)
    }

    /// Records a failure; true when it is the one that reaches the limit.
    fn fail(&mut self, key: &K, now: Instant, window: Duration, limit: u32) -> bool {
        if !self.entries.contains_key(key) && self.entries.len() >= MAX_TRACKED {
            self.make_room(now, window);
        }
        let failures = self.entries.entry(key.clone()).or_default();
        failures.expire(now, window);
        failures.times.push_back(now);
        // Only the newest `limit` failures matter.
        while failures.times.len() > limit.max(1) as usize {
            failures.times.pop_front();
        }
        limit > 0 && failures.times.len() == limit as usize
    }

    /// Drops the entries whose failures have left the window; when none has, the entry whose
    /// last failure is the oldest.
    fn make_room(&mut self, now: Instant, window: Duration) {
        self.entries.retain(|_, f| {
            f.expire(now, window);
            !f.times.is_empty()
        });
        if self.entries.len() >= MAX_TRACKED {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, f)| f.times.back().copied())
                .map(|(k, _)| k.clone());
            if let Some(key) = oldest {
                self.entries.remove(&key);
            }
        }
    }

    fn clear(&mut self, key: &K) {
        self.entries.remove(key);
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[derive(Debug)]
struct Tables {
    names: Table<String>,
    addresses: Table<IpAddr>,
}

/// The failed sign-ins of one server process (see the module's description).
#[derive(Debug)]
pub struct SignInLimiter {
    limits: SignInLimits,
    tables: Mutex<Tables>,
}

/// The key a name is counted under: trimmed, lower case, at most 100 characters.
pub fn name_key(name: &str) -> String {
    name.trim()
        .chars()
        .take(MAX_KEY_CHARS)
        .collect::<String>()
        .to_lowercase()
}

impl SignInLimiter {
    /// A limiter with no failures yet.
    pub fn new(limits: SignInLimits) -> SignInLimiter {
        SignInLimiter {
            limits,
            tables: Mutex::new(Tables {
                names: Table::new(),
                addresses: Table::new(),
            }),
        }
    }

    /// The limits it applies.
    pub fn limits(&self) -> SignInLimits {
        self.limits
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // A panic while the lock was held leaves counts that are still counts.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(how long)` while the name or the address is locked out: the sign-in must be
    /// refused without checking its password.
    pub fn check(&self, name: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let SignInLimits {
            per_name,
            per_address,
            window,
        } = self.limits;
        let mut tables = self.tables();
        let by_name = tables
            .names
            .locked_for(&name_key(name), now, window, per_name);
        let by_address =
            address.and_then(|a| tables.addresses.locked_for(&a, now, window, per_address));
        match by_name.into_iter().chain(by_address).max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Records a failed sign-in; what it locked out (each lock-out once, when it begins).
    pub fn failed(&self, name: &str, address: Option<IpAddr>, now: Instant) -> Vec<Lockout> {
        let SignInLimits {
            per_name,
            per_address,
            window,
        } = self.limits;
        let key = name_key(name);
        let mut tables = self.tables();
        let mut locked = Vec::new();
        if tables.names.fail(&key, now, window, per_name) {
            locked.push(Lockout::Name(key));
        }
        if let Some(a) = address
            && tables.addresses.fail(&a, now, window, per_address)
        {
            locked.push(Lockout::Address(a));
        }
        locked
    }

    /// A successful sign-in: the name's failures are forgotten.
    pub fn succeeded(&self, name: &str) {
        self.tables().names.clear(&name_key(name));
    }

    /// How many names and addresses have failures on record.
    pub fn tracked(&self) -> (usize, usize) {
        let tables = self.tables();
        (tables.names.len(), tables.addresses.len())
    }
}

/// The client a request comes from: the peer's address, or, when the peer is one of
/// `trusted_proxies`, the last address of its `X-Forwarded-For` (the one that proxy added);
/// `None` when the server was not told its peers' addresses.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .rfind(|a| !a.trim().is_empty())
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    Some(forwarded.unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(SignInLimits {
            per_name: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_name_is_locked_after_its_limit_and_freed_by_the_window() {
        let l = limiter();
        let t0 = Instant::now();
        assert!(l.failed("rita", Some(ADDR), t0).is_empty());
        let t05 = t0 + Duration::from_secs(5);
        assert!(l.failed("Rita ", Some(ADDR), t05).is_empty());
        assert_eq!(l.check("rita", Some(ADDR), t05), Ok(()));
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(
            l.failed("rita", Some(ADDR), t1),
            vec![Lockout::Name("rita".into())],
            "the third failure locks the name out, once"
        );
        assert_eq!(
            l.check("RITA", Some(OTHER), t1),
            Err(Duration::from_secs(50)),
            "from any address, in any case, until the oldest failure leaves the window"
        );
        assert_eq!(l.check("ana", Some(ADDR), t1), Ok(()), "another name");
        // The first failure leaves the window: one more try.
        let t2 = t0 + Duration::from_secs(60);
        assert_eq!(l.check("rita", Some(ADDR), t2), Ok(()));
        assert_eq!(
            l.failed("rita", Some(ADDR), t2),
            vec![Lockout::Name("rita".into())],
            "a new lock-out"
        );
        assert_eq!(l.check("rita", None, t2), Err(Duration::from_secs(5)));
    }

    #[test]
    fn an_address_is_locked_after_its_limit_whatever_the_names() {
        let l = limiter();
        let t = Instant::now();
        let mut locked = Vec::new();
        for i in 0..5 {
            locked.extend(l.failed(&format!("name{i}"), Some(ADDR), t));
        }
        assert_eq!(locked, vec![Lockout::Address(ADDR)]);
        assert!(l.check("fresh", Some(ADDR), t).is_err());
        assert_eq!(l.check("fresh", Some(OTHER), t), Ok(()));
        assert_eq!(l.check("fresh", None, t), Ok(()));
    }

    #[test]
    fn a_success_clears_the_names_failures_only() {
        let l = limiter();
        let t = Instant::now();
        for _ in 0..2 {
            l.failed("rita", Some(ADDR), t);
        }
        l.succeeded("rita");
        assert!(l.failed("rita", Some(ADDR), t).is_empty());
        assert!(l.failed("rita", Some(ADDR), t).is_empty());
        assert_eq!(l.tracked(), (1, 1));
        // The address still holds its four failures: one more locks it.
        assert_eq!(l.failed("ana", Some(ADDR), t), vec![Lockout::Address(ADDR)]);
    }

    #[test]
    fn the_tables_stay_bounded() {
        let l = limiter();
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED {
            l.failed(&format!("n{i}"), None, t0);
        }
        assert_eq!(l.tracked().0, MAX_TRACKED);
        // Full, nothing expired: the oldest goes.
        let t1 = t0 + Duration::from_secs(1);
        l.failed("newcomer", None, t1);
        assert_eq!(l.tracked().0, MAX_TRACKED);
        // Full, everything expired but the newest: the expired go.
        let t2 = t0 + Duration::from_secs(60);
        l.failed("later", None, t2);
        assert_eq!(l.tracked().0, 2);
        // A very long name is kept by its beginning.
        assert_eq!(name_key(&"x".repeat(10_000)).len(), MAX_KEY_CHARS);
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "127.0.0.1".parse().expect("ip");
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_static("203.0.113.9, 192.0.2.1"),
        );
        assert_eq!(client_address(Some(proxy), &headers, &[proxy]), Some(ADDR));
        assert_eq!(
            client_address(Some(OTHER), &headers, &[proxy]),
            Some(OTHER),
            "anyone else's header is not believed"
        );
        assert_eq!(
            client_address(Some(proxy), &axum::http::HeaderMap::new(), &[proxy]),
            Some(proxy)
        );
        assert_eq!(client_address(None, &headers, &[proxy]), None);
    }
}
