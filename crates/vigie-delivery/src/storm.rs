//! The storm guard: a token bucket per recipient, so that a night of violence across a
//! region becomes a few messages and a summary, not a hundred SMS.
//!
//! Pure: the caller keeps each recipient's [`BucketState`] (one per recipient and channel:
//! a summary is a message on one channel) and passes it in with the time; the guard returns
//! the new state with its decision.

use chrono::{DateTime, TimeDelta, Utc};
use vigie_domain::sms::Language;

/// Thousandths of a token: integer arithmetic keeps replays exact.
const MILLI: u64 = 1_000;

/// A token bucket's settings: a full bucket allows `capacity` messages at once; it refills
/// at `refill_per_hour` messages an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StormGuard {
    /// Messages a full bucket allows in a burst (at least 1).
    pub capacity: u32,
    /// Tokens added per hour (at least 1).
    pub refill_per_hour: u32,
}

/// A recipient's bucket: the tokens left, in thousandths, as of a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketState {
    /// Tokens left, in thousandths of a token.
    pub millitokens: u64,
    /// When `millitokens` was computed.
    pub updated_at: DateTime<Utc>,
}

/// One message ready to go to the recipient, as the guard sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCandidate {
    /// Whether it carries an urgent notification (it is never held).
    pub urgent: bool,
}

/// What the guard lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormDecision {
    /// Candidates (positions) that go as their own messages.
    pub send: Vec<usize>,
    /// Candidates merged into one summary message ("+N autres alertes — voir …"); empty,
    /// or at least two.
    pub summarised: Vec<usize>,
    /// Candidates held back until `retry_at` (their rows stay pending).
    pub held: Vec<usize>,
    /// When the next token is there, if something is held.
    pub retry_at: Option<DateTime<Utc>>,
    /// The bucket after the decision.
    pub state: BucketState,
}

impl StormGuard {
    /// A full bucket, as for a recipient never messaged.
    pub fn full(&self, now: DateTime<Utc>) -> BucketState {
        BucketState {
            millitokens: u64::from(self.capacity) * MILLI,
            updated_at: now,
        }
    }

    /// The bucket at `now`: refilled for the time elapsed, never above capacity. A clock
    /// that went back refills nothing. Time not yet worth a thousandth of a token is carried
    /// over, so frequent calls refill as fast as rare ones.
    pub fn refilled(&self, state: BucketState, now: DateTime<Utc>) -> BucketState {
        let capacity = u64::from(self.capacity) * MILLI;
        let rate = u64::from(self.refill_per_hour.max(1));
        let elapsed_ms = u64::try_from((now - state.updated_at).num_milliseconds()).unwrap_or(0);
        let added = elapsed_ms.saturating_mul(rate) / 3_600;
        let millitokens = state.millitokens.saturating_add(added);
        if millitokens >= capacity {
            return BucketState {
                millitokens: capacity,
                updated_at: now.max(state.updated_at),
            };
        }
        let used_ms = added * 3_600 / rate;
        BucketState {
            millitokens,
            updated_at: state.updated_at
                + TimeDelta::milliseconds(i64::try_from(used_ms).unwrap_or(i64::MAX)),
        }
    }

    /// Decides which of the messages ready for one recipient go now.
    ///
    /// Each message costs a token. Urgent messages always go (taking a token if there is
    /// one). With `t` whole tokens left for `n` other messages: all go if `n ≤ t`; otherwise
    /// `t − 1` go and the rest become one summary message, which takes the last token; with
    /// no token, they wait for the next one. Candidates go in the order given.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use vigie_delivery::{MessageCandidate, StormGuard};
    /// let guard = StormGuard { capacity: 2, refill_per_hour: 6 };
    /// let now = Utc.with_ymd_and_hms(2019, 3, 23, 10, 0, 0).unwrap();
    /// let five = [MessageCandidate { urgent: false }; 5];
    /// let decision = guard.admit(guard.full(now), &five, now);
    /// assert_eq!(decision.send, vec![0]);
    /// assert_eq!(decision.summarised, vec![1, 2, 3, 4]);
    /// ```
    pub fn admit(
        &self,
        state: BucketState,
        candidates: &[MessageCandidate],
        now: DateTime<Utc>,
    ) -> StormDecision {
        let mut state = self.refilled(state, now);
        let take_token = |state: &mut BucketState| {
            state.millitokens = state.millitokens.saturating_sub(MILLI);
        };
        let mut send = Vec::new();
        let mut others = Vec::new();
        for (position, candidate) in candidates.iter().enumerate() {
            if candidate.urgent {
                take_token(&mut state);
                send.push(position);
            } else {
                others.push(position);
            }
        }
        let tokens = usize::try_from(state.millitokens / MILLI).unwrap_or(usize::MAX);
        let mut summarised = Vec::new();
        let mut held = Vec::new();
        if others.len() <= tokens {
            for position in others {
                take_token(&mut state);
                send.push(position);
            }
        } else if tokens >= 1 {
            let alone = tokens - 1;
            for &position in &others[..alone] {
                take_token(&mut state);
                send.push(position);
            }
            take_token(&mut state);
            summarised = others[alone..].to_vec();
        } else {
            held = others;
        }
        send.sort_unstable();
        let retry_at = (!held.is_empty()).then(|| self.next_token_at(&state));
        StormDecision {
            send,
            summarised,
            held,
            retry_at,
            state,
        }
    }

    /// When the bucket next holds a whole token.
    pub fn next_token_at(&self, state: &BucketState) -> DateTime<Utc> {
        if state.millitokens >= MILLI {
            return state.updated_at;
        }
        let missing = MILLI - state.millitokens;
        let rate = u64::from(self.refill_per_hour.max(1));
        let wait_ms = (missing * 3_600).div_ceil(rate);
        state.updated_at + TimeDelta::milliseconds(i64::try_from(wait_ms).unwrap_or(i64::MAX))
    }
}

/// The closing line of a summary message: `+N autres alertes — voir <link>` (French) or
/// `+N more alerts — see <link>` (English).
///
/// ```
/// use vigie_delivery::summary_line;
/// use vigie_domain::sms::Language;
/// assert_eq!(summary_line(12, "https://v.ml/a", Language::French),
///     "+12 autres alertes — voir https://v.ml/a");
/// ```
pub fn summary_line(more: usize, link: &str, language: Language) -> String {
    match language {
        Language::French => format!("+{more} autres alertes — voir {link}"),
        Language::English => format!("+{more} more alerts — see {link}"),
    }
}
