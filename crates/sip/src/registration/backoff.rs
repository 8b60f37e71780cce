//! When to refresh (RFC 3261 §10.2.4) and how long to wait after failures (RFC 5626 §4.5,
//! RFC 3261 §20.33 Retry-After). Pure functions of their inputs and the caller's RNG.

use std::time::Duration;

use rand_core::RngCore;

/// RFC 5626 §4.5 `base-time` when every flow failed: 30 s.
pub const BASE_TIME: Duration = Duration::from_secs(30);
/// RFC 5626 §4.5 `max-time`: 1800 s.
pub const MAX_TIME: Duration = Duration::from_secs(1800);
/// The longest Retry-After honoured, in seconds (1 hour); longer values are capped.
pub const MAX_RETRY_AFTER: u32 = 3600;
/// The longest registration interval asked for or taken from a 423 Min-Expires: 1 day.
pub const MAX_EXPIRES: u32 = 86_400;
/// How long before expiry a long binding is refreshed (RFC 3261 §10.2.4 leaves it to the UA).
const REFRESH_MARGIN: Duration = Duration::from_secs(120);
/// The refresh is never later than this before expiry.
const MIN_MARGIN: Duration = Duration::from_secs(5);
/// The refresh is never sooner than this after the 2xx.
const MIN_REFRESH: Duration = Duration::from_secs(1);
/// Doubling stops here: 30 s · 2^7 already exceeds `max-time`.
const MAX_DOUBLINGS: u32 = 16;

/// The upper-bound wait time `W = min(max-time, base-time · 2^consecutive-failures)` of
/// RFC 5626 §4.5 (`failures` counts the failure just seen: the first failure gives 60 s).
pub fn backoff_upper_bound(failures: u32) -> Duration {
    let factor = 1u32 << failures.min(MAX_DOUBLINGS);
    BASE_TIME.saturating_mul(factor).min(MAX_TIME)
}

/// A uniformly random time between 50 % and 100 % of `bound`, drawn from `rng`
/// (RFC 5626 §4.5 "retry delay time").
fn jitter(bound: Duration, rng: &mut (impl RngCore + ?Sized)) -> Duration {
    let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    let half = millis / 2;
    let span = millis - half;
    let extra = (u128::from(span) * u128::from(rng.next_u32())) / u128::from(u32::MAX);
    Duration::from_millis(half + u64::try_from(extra).unwrap_or(span))
}

/// The retry delay after `failures` consecutive failures: uniform in
/// `[W/2, W]` with `W` = [`backoff_upper_bound`] (RFC 5626 §4.5). After the first failure
/// this is 30 to 60 s; from the sixth on, 15 to 30 minutes.
pub fn backoff_delay(failures: u32, rng: &mut (impl RngCore + ?Sized)) -> Duration {
    jitter(backoff_upper_bound(failures), rng)
}

/// The long backoff after a failure a person must fix (403, 404, rejected credentials):
/// uniform in `[max-time/2, max-time]`, 15 to 30 minutes (RFC 5626 §4.5 at its cap), so that a
/// wrong password never causes a REGISTER storm.
pub fn long_delay(rng: &mut (impl RngCore + ?Sized)) -> Duration {
    jitter(MAX_TIME, rng)
}

/// The wait after a response carrying `Retry-After` (RFC 3261 §20.33; RFC 5626 §4.2.1 note,
/// §4.5): capped at [`MAX_RETRY_AFTER`]. On the first failure in a row it is honoured as given
/// (0 means at once); on later consecutive failures it can only lengthen the RFC 5626 backoff
/// ("a 503 ... with a Retry-After header field value may cause the UA to wait longer"), so a
/// registrar answering `503` with `Retry-After: 0` forever cannot cause a storm. Without
/// Retry-After this is [`backoff_delay`].
pub fn retry_after_delay(retry_after: Option<u32>, failures: u32, rng: &mut (impl RngCore + ?Sized)) -> Duration {
    let backoff = backoff_delay(failures, rng);
    match retry_after {
        None => backoff,
        Some(seconds) => {
            let asked = Duration::from_secs(u64::from(seconds.min(MAX_RETRY_AFTER)));
            if failures <= 1 {
                asked
            } else {
                asked.max(backoff)
            }
        }
    }
}

/// When to refresh a binding granted for `granted` seconds, counted from the 2xx:
/// `max(granted/2, granted − 120 s)`, never later than `granted − 5 s`, never sooner than 1 s
/// (RFC 3261 §10.2.4: refresh before the binding lapses).
pub fn refresh_delay(granted: u32) -> Duration {
    let granted = Duration::from_secs(u64::from(granted));
    let preferred = (granted / 2).max(granted.saturating_sub(REFRESH_MARGIN));
    preferred.min(granted.saturating_sub(MIN_MARGIN)).max(MIN_REFRESH)
}
