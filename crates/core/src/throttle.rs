//! Throttling of failed password logins, per account and per source address, with `governor`'s
//! keyed GCRA limiters. Only failures are counted: each one takes a cell from the account's and
//! the source's bucket; a failure the bucket has no cell for starts a lockout that lasts until
//! the next cell is back. While either is locked, every password attempt for that account or
//! from that source is refused before the password is checked, a correct one too (otherwise
//! guessing would just go on). Other accounts from other sources are not affected.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How often (in failures) the limiters forget keys back to a full bucket.
const PRUNE_EVERY: u32 = 1024;

/// One limit: a burst of failures, then one more failure per `refill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    /// Failures allowed in a row before the first lockout.
    pub burst: NonZeroU32,
    /// The time in which one allowed failure comes back.
    pub refill: Duration,
}

impl FailureLimit {
    /// A limit of `burst` failures, then one per `refill` (at least a millisecond).
    pub fn new(burst: NonZeroU32, refill: Duration) -> Self {
        Self {
            burst,
            refill: refill.max(Duration::from_millis(1)),
        }
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.refill)
            .expect("the refill period is at least a millisecond")
            .allow_burst(self.burst)
    }
}

/// The limits of [`LoginThrottle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per account name (whether or not the account exists).
    pub per_account: FailureLimit,
    /// Failures per source address.
    pub per_source: FailureLimit,
}

impl Default for ThrottleConfig {
    /// 10 failures per account, then one per 30 s; 30 per source address, then one per 2 s.
    fn default() -> Self {
        Self {
            per_account: FailureLimit::new(NonZeroU32::new(10).unwrap(), Duration::from_secs(30)),
            per_source: FailureLimit::new(NonZeroU32::new(30).unwrap(), Duration::from_secs(2)),
        }
    }
}

/// Which limit refused an attempt, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Until the attempt may be made again.
    pub retry_after: Duration,
    /// Whether the account's limit (rather than the source's) is the one that holds longest.
    pub account: bool,
}

impl Lockout {
    /// The wait in whole seconds, rounded up and at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

/// One keyed limiter and the lockouts it started.
struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    locked: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(limit: FailureLimit) -> Self {
        Self {
            limiter: RateLimiter::keyed(limit.quota()),
            locked: Mutex::default(),
        }
    }

    /// The time left of `key`'s lockout, if it is locked now.
    fn remaining(&self, key: &K, now: Instant) -> Option<Duration> {
        let mut locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        match locked.get(key) {
            Some(until) if *until > now => Some(*until - now),
            Some(_) => {
                locked.remove(key);
                None
            }
            None => None,
        }
    }

    /// Counts one failure; the lockout it starts, if the bucket is empty.
    fn fail(&self, key: &K, now: Instant) -> Option<Duration> {
        let refused = self.limiter.check_key(key).err()?;
        let until = refused.earliest_possible();
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), until);
        Some(until.saturating_duration_since(now))
    }

    fn prune(&self, now: Instant) {
        self.limiter.retain_recent();
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
    }
}

/// The failed-login limiters of one server process.
pub struct LoginThrottle {
    accounts: Keyed<String>,
    sources: Keyed<IpAddr>,
    failures: AtomicU32,
}

impl LoginThrottle {
    /// Limiters with the given limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            accounts: Keyed::new(config.per_account),
            sources: Keyed::new(config.per_source),
            failures: AtomicU32::new(0),
        }
    }

    /// The lockout that refuses a password attempt for `account` from `source` now, if any.
    pub fn check(&self, account: &str, source: Option<IpAddr>) -> Option<Lockout> {
        let now = Instant::now();
        let by_account = self.accounts.remaining(&account_key(account), now);
        let by_source = source.and_then(|ip| self.sources.remaining(&ip, now));
        longest(by_account, by_source)
    }

    /// Records a failed password attempt; the lockout it starts, if it was one too many.
    pub fn failed(&self, account: &str, source: Option<IpAddr>) -> Option<Lockout> {
        let now = Instant::now();
        if self.failures.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.accounts.prune(now);
            self.sources.prune(now);
        }
        let by_account = self.accounts.fail(&account_key(account), now);
        let by_source = source.and_then(|ip| self.sources.fail(&ip, now));
        longest(by_account, by_source)
    }
}

/// Account names are case-insensitive.
fn account_key(account: &str) -> String {
    account.to_lowercase()
}

fn longest(by_account: Option<Duration>, by_source: Option<Duration>) -> Option<Lockout> {
    match (by_account, by_source) {
        (Some(a), Some(s)) if s > a => Some(Lockout {
            retry_after: s,
            account: false,
        }),
        (Some(a), _) => Some(Lockout {
            retry_after: a,
            account: true,
        }),
        (None, Some(s)) => Some(Lockout {
            retry_after: s,
            account: false,
        }),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(account: (u32, u64), source: (u32, u64)) -> LoginThrottle {
        let limit = |(burst, ms): (u32, u64)| {
            FailureLimit::new(NonZeroU32::new(burst).unwrap(), Duration::from_millis(ms))
        };
        LoginThrottle::new(ThrottleConfig {
            per_account: limit(account),
            per_source: limit(source),
        })
    }

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3)));

    #[test]
    fn an_account_is_locked_after_its_burst_of_failures_and_only_it() {
        let t = throttle((3, 60_000), (100, 60_000));
        for _ in 0..3 {
            assert_eq!(t.check("alice", A), None);
            assert_eq!(t.failed("alice", A), None);
        }
        let lockout = t.failed("alice", A).expect("the fourth failure locks");
        assert!(lockout.account);
        assert!(lockout.retry_after > Duration::from_secs(50));
        assert_eq!(lockout.retry_after_secs(), 60);
        // Locked for every source, in any case of the name; other accounts are not.
        assert!(t.check("ALICE", B).is_some());
        assert_eq!(t.check("bob", A), None);
    }

    #[test]
    fn a_source_is_locked_for_every_account() {
        let t = throttle((100, 60_000), (2, 60_000));
        assert_eq!(t.failed("a", A), None);
        assert_eq!(t.failed("b", A), None);
        let lockout = t.failed("c", A).expect("the third failure from A locks A");
        assert!(!lockout.account);
        assert!(t.check("someone-else", A).is_some());
        assert_eq!(t.check("someone-else", B), None);
        assert_eq!(t.check("a", None), None);
    }

    #[test]
    fn a_lockout_ends_when_a_failure_is_back() {
        let t = throttle((1, 200), (100, 60_000));
        assert_eq!(t.failed("alice", A), None);
        assert!(t.failed("alice", A).is_some());
        assert!(t.check("alice", A).is_some());
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(t.check("alice", A), None);
        // One failure came back, and one only.
        assert_eq!(t.failed("alice", A), None);
        assert!(t.failed("alice", A).is_some());
    }

    #[test]
    fn retry_after_rounds_up() {
        let l = |ms| Lockout {
            retry_after: Duration::from_millis(ms),
            account: true,
        };
        assert_eq!(l(1).retry_after_secs(), 1);
        assert_eq!(l(2000).retry_after_secs(), 2);
        assert_eq!(l(2001).retry_after_secs(), 3);
    }
}
