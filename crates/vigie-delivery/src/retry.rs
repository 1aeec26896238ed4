//! When a failed send is tried again: exponential backoff with full jitter, a provider's
//! `Retry-After` honoured when it asks for longer, and a dead letter after the last attempt.
//!
//! The random part is a value the caller provides (a number in `[0, 1)`), so that tests and
//! replays are deterministic; [`jitter_unit`] derives one from the idempotency key and the
//! attempt number when no random source is wanted.

use chrono::{DateTime, TimeDelta, Utc};

/// How failed sends are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first retry's delay; it doubles with every attempt.
    pub base_delay: TimeDelta,
    /// The largest ceiling, whatever the attempt.
    pub max_delay: TimeDelta,
    /// Attempts in all (the first send included); after the last failure the row is dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 10 s doubling up to 15 min, 12 attempts: about an hour and a half of trying before a
    /// row is dead-lettered, enough to outlast a gateway outage of ten minutes many times
    /// over.
    fn default() -> Self {
        RetryPolicy {
            base_delay: TimeDelta::seconds(10),
            max_delay: TimeDelta::minutes(15),
            max_attempts: 12,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: move the row to the dead-letter state, where the outbox shows it.
    DeadLetter,
}

impl RetryPolicy {
    /// The ceiling of the delay after failed attempt number `attempt` (1 for the first
    /// send): `min(max_delay, base_delay × 2^(attempt − 1))`.
    pub fn ceiling(&self, attempt: u32) -> TimeDelta {
        let doublings = attempt.saturating_sub(1).min(30);
        let base_ms = self.base_delay.num_milliseconds().max(0);
        let ceiling_ms = base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay.num_milliseconds().max(0));
        TimeDelta::milliseconds(ceiling_ms)
    }

    /// Decides after failed attempt number `attempt` (1 for the first send), at `now`.
    ///
    /// Full jitter: the delay is `unit × ceiling(attempt)` with `unit` in `[0, 1)` (values
    /// outside are clamped), so that many rows failing together do not retry together. A
    /// provider's `retry_after` wins when it is longer.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use vigie_delivery::{RetryDecision, RetryPolicy};
    /// let policy = RetryPolicy { base_delay: TimeDelta::seconds(10),
    ///     max_delay: TimeDelta::minutes(15), max_attempts: 3 };
    /// let now = Utc.with_ymd_and_hms(2019, 3, 23, 10, 0, 0).unwrap();
    /// assert_eq!(policy.after_failure(2, 0.5, None, now),
    ///     RetryDecision::RetryAt(now + TimeDelta::seconds(10)));
    /// assert_eq!(policy.after_failure(3, 0.5, None, now), RetryDecision::DeadLetter);
    /// ```
    pub fn after_failure(
        &self,
        attempt: u32,
        unit: f64,
        retry_after: Option<TimeDelta>,
        now: DateTime<Utc>,
    ) -> RetryDecision {
        if attempt >= self.max_attempts {
            return RetryDecision::DeadLetter;
        }
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let ceiling_ms = self.ceiling(attempt).num_milliseconds();
        // Below 2^53 ms the conversion is exact; the product is at most the ceiling.
        let jittered_ms = ((ceiling_ms as f64) * unit).floor() as i64;
        let mut delay = TimeDelta::milliseconds(jittered_ms.min(ceiling_ms));
        if let Some(asked) = retry_after
            && asked > delay
        {
            delay = asked;
        }
        RetryDecision::RetryAt(now + delay)
    }
}

/// A deterministic number in `[0, 1)` from an idempotency key and an attempt number
/// (SplitMix64 over FNV-1a): the same row retries at the same offsets on every run, and
/// different rows spread out.
///
/// ```
/// use vigie_delivery::jitter_unit;
/// let unit = jitter_unit("civilians/ML050308/2019-03-23|opened|2019-03-23|awa|sms", 1);
/// assert!((0.0..1.0).contains(&unit));
/// assert_eq!(unit, jitter_unit("civilians/ML050308/2019-03-23|opened|2019-03-23|awa|sms", 1));
/// ```
pub fn jitter_unit(key: &str, attempt: u32) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain(attempt.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut mixed = hash.wrapping_add(0x9e37_79b9_7f4a_7c15);
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    mixed ^= mixed >> 31;
    // The top 53 bits make an exact double in [0, 1).
    (mixed >> 11) as f64 / (1_u64 << 53) as f64
}
