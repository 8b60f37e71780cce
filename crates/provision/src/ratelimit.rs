//! Per-client rate limiting, sans-IO: a token bucket per client address, the clock passed in.
//!
//! Each request takes a token; a failed authentication takes [`RateLimitSettings::failed_auth_cost`]
//! more, so that guessing passwords slows down much sooner than fetching files. A bucket may
//! go into debt (down to minus its burst): a client that keeps failing waits longer.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The `[rate_limit]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Tokens added per second (sustained requests per second).
    pub per_second: f64,
    /// The bucket's size: requests a client may make at once after a pause.
    pub burst: f64,
    /// Extra tokens a failed authentication costs.
    pub failed_auth_cost: f64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings { per_second: 5.0, burst: 20.0, failed_auth_cost: 5.0 }
    }
}

/// Buckets kept before full ones are forgotten (a full bucket is the same as none).
const MAX_BUCKETS: usize = 16_384;

/// The buckets of all clients.
#[derive(Debug)]
pub struct RateLimiter {
    settings: RateLimitSettings,
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// No client has used anything yet.
    pub fn new(settings: RateLimitSettings) -> RateLimiter {
        RateLimiter { settings, buckets: HashMap::new() }
    }

    /// Takes a token for one request of `client`; when there is none, how long until there is.
    pub fn allow(&mut self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let settings = self.settings;
        let bucket = self.refilled(client, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            let rate = settings.per_second.max(f64::MIN_POSITIVE);
            Err(Duration::from_secs_f64((missing / rate).clamp(0.001, 86_400.0)))
        }
    }

    /// Charges `client` for a failed authentication.
    pub fn failed_auth(&mut self, client: IpAddr, now: Instant) {
        let (cost, floor) = (self.settings.failed_auth_cost, -self.settings.burst);
        let bucket = self.refilled(client, now);
        bucket.tokens = (bucket.tokens - cost).max(floor);
    }

    /// The client's bucket, topped up for the time since it was last used.
    fn refilled(&mut self, client: IpAddr, now: Instant) -> &mut Bucket {
        if self.buckets.len() >= MAX_BUCKETS && !self.buckets.contains_key(&client) {
            self.forget_full(now);
        }
        let RateLimitSettings { per_second, burst, .. } = self.settings;
        let bucket = self.buckets.entry(client).or_insert(Bucket { tokens: burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.updated = now;
        bucket
    }

    /// Drops the buckets that have refilled (all of them if that frees nothing: a flood of
    /// addresses must not grow memory without bound).
    fn forget_full(&mut self, now: Instant) {
        let RateLimitSettings { per_second, burst, .. } = self.settings;
        self.buckets.retain(|_, bucket| {
            bucket.tokens + now.saturating_duration_since(bucket.updated).as_secs_f64() * per_second < burst
        });
        if self.buckets.len() >= MAX_BUCKETS {
            self.buckets.clear();
        }
    }

    /// How many clients have a bucket (for tests).
    pub fn clients(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimitSettings { per_second: 5.0, burst: 20.0, failed_auth_cost: 5.0 })
    }

    #[test]
    fn burst_then_sustained_rate() {
        let mut limiter = limiter();
        let start = Instant::now();
        for i in 0..20 {
            assert_eq!(limiter.allow(A, start), Ok(()), "request {i} of the burst");
        }
        let wait = limiter.allow(A, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(200));
        assert_eq!(limiter.allow(B, start), Ok(()), "another client has its own bucket");
        assert_eq!(limiter.allow(A, start + Duration::from_millis(200)), Ok(()));
        assert!(limiter.allow(A, start + Duration::from_millis(250)).is_err());
        let later = start + Duration::from_secs(10);
        for _ in 0..20 {
            assert_eq!(limiter.allow(A, later), Ok(()), "refilled to the burst, not beyond");
        }
        assert!(limiter.allow(A, later).is_err());
    }

    #[test]
    fn failed_authentications_cost_more_and_go_into_debt() {
        let mut limiter = limiter();
        let start = Instant::now();
        for _ in 0..10 {
            limiter.failed_auth(A, start);
        }
        // Down to -20 (not -50): 21 tokens to earn back at 5/s.
        assert_eq!(limiter.allow(A, start).unwrap_err(), Duration::from_secs_f64(21.0 / 5.0));
        assert!(limiter.allow(A, start + Duration::from_secs(4)).is_err());
        assert_eq!(limiter.allow(A, start + Duration::from_millis(4200)), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let mut limiter = limiter();
        let start = Instant::now();
        let client = |i: u32| IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        for i in 0..MAX_BUCKETS as u32 {
            let _ = limiter.allow(client(i), start);
        }
        assert_eq!(limiter.clients(), MAX_BUCKETS);
        let _ = limiter.allow(A, start + Duration::from_secs(1));
        assert_eq!(limiter.clients(), 1, "refilled buckets are forgotten");
        for i in 0..MAX_BUCKETS as u32 + 10 {
            let _ = limiter.allow(client(i), start + Duration::from_secs(1));
        }
        assert!(limiter.clients() <= MAX_BUCKETS, "a flood of addresses at once: {}", limiter.clients());
    }
}
