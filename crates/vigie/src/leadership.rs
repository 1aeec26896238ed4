//! Which replica runs the warning engine and the dispatcher.
//!
//! On PostgreSQL, several `vigie serve` replicas share one database and every one answers
//! HTTP, but only the holder of an advisory lock ([`vigie_store::LEADER_LOCK_KEY`], taken
//! with `pg_try_advisory_lock` on a connection of its own) evaluates rules and sends
//! notifications. The lock belongs to that connection's session: the server releases it when
//! the session ends, whatever ends it, and a follower, trying every
//! `[cluster] lock_retry_ms`, takes over.
//!
//! Stepping down: the leader checks its lock connection every `[cluster] lock_check_ms`
//! (a round trip, with a one-second statement timeout). The first failed check ends its
//! leadership at once: no new evaluation or dispatcher round starts. A check that hangs
//! counts as failed too: leadership lapses when no check succeeded for twice the period
//! (and half a second).
//! A dispatcher also confirms the lock with a round trip right before each message it sends
//! (the fence): a leader whose connection was cut sends nothing more, even between two
//! periodic checks, and gives back what it had claimed. A replica that lost the lock waits
//! a few retry periods before trying again, so that a healthy follower takes over rather
//! than the replica whose connection just failed.
//!
//! On SQLite there is one process: it is always the leader.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use vigie_store::LeaderLock;

use crate::config::ClusterConfig;

/// Beyond two check periods, how long a confirmation stays good: room for a check delayed by
/// a busy machine, so that load alone does not make the leader step down.
const STALE_MARGIN: Duration = Duration::from_millis(500);

/// How many retry periods a replica that lost the lock lets pass before trying again.
const STEP_DOWN_BACKOFF_PERIODS: u32 = 3;

/// This replica's leadership, shared by the workers, the metrics and the thread that keeps
/// it ([`Leadership::keep`]).
#[derive(Clone)]
pub struct Leadership {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None`: always the leader (SQLite).
    url: Option<String>,
    leader: Arc<AtomicBool>,
    /// When the lock was last confirmed.
    confirmed_at: Mutex<Option<Instant>>,
    lock: Mutex<Option<LeaderLock>>,
    retry: Duration,
    check: Duration,
}

impl Leadership {
    /// The only process: always the leader.
    pub fn always() -> Leadership {
        Leadership::with(None, &ClusterConfig::default(), true)
    }

    /// A replica of a PostgreSQL deployment: a follower until [`Leadership::keep`] takes the
    /// lock.
    pub fn postgres(url: &str, config: &ClusterConfig) -> Leadership {
        Leadership::with(Some(url.to_owned()), config, false)
    }

    fn with(url: Option<String>, config: &ClusterConfig, leader: bool) -> Leadership {
        Leadership {
            inner: Arc::new(Inner {
                url,
                leader: Arc::new(AtomicBool::new(leader)),
                confirmed_at: Mutex::new(None),
                lock: Mutex::new(None),
                retry: Duration::from_millis(config.lock_retry_ms),
                check: Duration::from_millis(config.lock_check_ms),
            }),
        }
    }

    /// Whether leadership is decided by a lock (PostgreSQL) rather than given.
    pub fn is_contended(&self) -> bool {
        self.inner.url.is_some()
    }

    /// The flag the metrics report (`vigie_leader`).
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.inner.leader.clone()
    }

    /// Whether this replica may start an evaluation or a dispatcher round: it holds the lock
    /// and a check confirmed it within two check periods.
    pub fn is_leader(&self) -> bool {
        let inner = &self.inner;
        if !inner.leader.load(Ordering::SeqCst) {
            return false;
        }
        if inner.url.is_none() {
            return true;
        }
        let fresh = inner
            .confirmed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < inner.check * 2 + STALE_MARGIN);
        if !fresh {
            self.step_down("no check of the leader lock succeeded in time");
        }
        fresh
    }

    /// The fence before a message leaves: a round trip on the lock's connection, now. A
    /// failure steps down.
    pub fn confirm(&self) -> bool {
        if !self.is_leader() {
            return false;
        }
        if self.inner.url.is_none() {
            return true;
        }
        match self.check_lock() {
            Ok(()) => {
                self.confirmed();
                // The flag again: the keeper may have stepped down meanwhile.
                self.inner.leader.load(Ordering::SeqCst)
            }
            Err(reason) => {
                self.step_down(&reason);
                false
            }
        }
    }

    /// A round trip on the lock's connection (waiting for one in progress).
    fn check_lock(&self) -> Result<(), String> {
        match self
            .inner
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(lock) => lock.check().map_err(|error| error.to_string()),
            None => Err("no lock connection".to_owned()),
        }
    }

    fn confirmed(&self) {
        *self
            .inner
            .confirmed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// Ends this replica's leadership now; closing the lock's connection releases the lock
    /// on the server if its session still lives.
    fn step_down(&self, reason: &str) {
        if self.inner.leader.swap(false, Ordering::SeqCst) {
            tracing::warn!(reason, "leadership lost: engine and dispatcher stop here");
        }
        // Without waiting: the keeper may be in the middle of a check that hangs, and it
        // closes the connection itself when it sees the flag down.
        if let Ok(mut lock) = self.inner.lock.try_lock() {
            drop(lock.take());
        }
    }

    /// Closes the lock's connection (waiting for a check in progress).
    fn close_lock(&self) {
        let closed = self
            .inner
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(closed);
    }

    /// Keeps (or seeks) the lock until `stop` is set: the thread body of a PostgreSQL
    /// replica. Releases the lock on return.
    pub fn keep(&self, stop: &AtomicBool) {
        let Some(url) = self.inner.url.clone() else {
            return;
        };
        let inner = &self.inner;
        let mut not_before: Option<Instant> = None;
        let mut reported_failure = false;
        while !stop.load(Ordering::Relaxed) {
            if inner.leader.load(Ordering::SeqCst) {
                pause(inner.check, stop);
                match self.check_lock() {
                    Ok(()) => self.confirmed(),
                    Err(reason) => {
                        self.step_down(&reason);
                        not_before = Some(Instant::now() + inner.retry * STEP_DOWN_BACKOFF_PERIODS);
                    }
                }
                if !inner.leader.load(Ordering::SeqCst) {
                    // Stepped down, here or elsewhere (a failed fence, a stale check): the
                    // session must end for the lock to be free.
                    self.close_lock();
                    not_before
                        .get_or_insert(Instant::now() + inner.retry * STEP_DOWN_BACKOFF_PERIODS);
                }
                continue;
            }
            if let Some(until) = not_before.take() {
                pause(until.saturating_duration_since(Instant::now()), stop);
                continue;
            }
            match self.try_lead(&url) {
                Ok(true) => {
                    reported_failure = false;
                    tracing::info!("leadership taken: this replica runs the engine and dispatcher");
                }
                Ok(false) => reported_failure = false,
                Err(error) => {
                    if !reported_failure {
                        tracing::warn!("cannot try the leader lock: {error}");
                        reported_failure = true;
                    }
                }
            }
            if !inner.leader.load(Ordering::SeqCst) {
                pause(inner.retry, stop);
            }
        }
        self.step_down("the server is stopping");
        self.close_lock();
    }

    /// One attempt at the lock, connecting first if needed.
    fn try_lead(&self, url: &str) -> Result<bool, vigie_store::StoreError> {
        let mut lock = self
            .inner
            .lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if lock.is_none() {
            *lock = Some(LeaderLock::connect(url)?);
        }
        let attempt = lock.as_mut().map(LeaderLock::try_acquire);
        match attempt {
            Some(Ok(true)) => {
                drop(lock);
                self.confirmed();
                self.inner.leader.store(true, Ordering::SeqCst);
                Ok(true)
            }
            Some(Ok(false)) | None => Ok(false),
            Some(Err(error)) => {
                *lock = None;
                Err(error)
            }
        }
    }
}

/// Sleeps up to `total`, waking early when `stop` is set.
pub fn pause(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}
