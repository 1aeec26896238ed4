//! What replicas sharing one PostgreSQL database need beside the store: the leader's
//! advisory lock and the stream's notifications, each on a dedicated connection.
//!
//! Neither comes from the pool. A session-level advisory lock lives as long as the session
//! that took it: on a pooled connection it would be held by whichever request used it last,
//! and a `LISTEN` would hear nothing while the connection sat idle in the pool. Each
//! connection says what it is for in `application_name`, so that an operator (or a test)
//! finds it in `pg_stat_activity`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator as _;
use postgres::{Client, Config, NoTls};
use vigie_domain::store::StoreError;

use crate::error::ResultExt;

/// The advisory lock the leader holds (the bytes of "vigie-ld"), distinct from the keys of
/// migrations and field layouts.
pub const LEADER_LOCK_KEY: i64 = 0x7669_6769_652d_6c64;

/// The channel a stream entry's id is notified on when it commits.
pub const STREAM_CHANNEL: &str = "vigie_stream";

/// `application_name` of the leader's lock connection.
pub const LEADER_LOCK_APPLICATION: &str = "vigie-leader-lock";

/// `application_name` of the stream listener's connection.
pub const STREAM_LISTEN_APPLICATION: &str = "vigie-stream-listen";

/// `application_name` of the geography listener's connection.
pub const GEOGRAPHY_LISTEN_APPLICATION: &str = "vigie-geography-listener";

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection configured for a long-lived role: it notices a silent network within
/// seconds (keepalives and a TCP user timeout) rather than the system's two hours.
fn dedicated_config(url: &str, application: &str) -> Result<(Config, String), StoreError> {
    let mut config: Config = url.parse().map_err(|error: postgres::Error| {
        StoreError::Backend(format!("invalid PostgreSQL URL: {error}"))
    })?;
    config
        .application_name(application)
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3)
        .tcp_user_timeout(Duration::from_secs(5));
    let label = super::describe(&config);
    Ok((config, label))
}

/// The leader's lock: one dedicated connection, on which `pg_try_advisory_lock` was (or will
/// be) taken. The lock is the session's: it is released when the connection ends, however
/// it ends (the process killed, the backend terminated, the network cut and the server's
/// keepalives giving up), and another replica can then take it.
pub struct LeaderLock {
    client: Client,
    held: bool,
}

impl std::fmt::Debug for LeaderLock {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LeaderLock")
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl LeaderLock {
    /// Opens the dedicated connection (named [`LEADER_LOCK_APPLICATION`]); no lock yet.
    pub fn connect(url: &str) -> Result<LeaderLock, StoreError> {
        let (config, label) = dedicated_config(url, LEADER_LOCK_APPLICATION)?;
        let mut client = config
            .connect(NoTls)
            .with_context(|| format!("cannot connect to PostgreSQL {label} for the leader lock"))?;
        // A check that the server cannot answer within a second is a failed check.
        client
            .batch_execute("SET statement_timeout = '1s'")
            .context("cannot set the leader lock connection's timeout")?;
        Ok(LeaderLock {
            client,
            held: false,
        })
    }

    /// Tries to take the lock without waiting: `true` when this connection holds it (now or
    /// already).
    pub fn try_acquire(&mut self) -> Result<bool, StoreError> {
        if self.held {
            self.check()?;
            return Ok(true);
        }
        let row = self
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK_KEY])
            .context("cannot try the leader lock")?;
        self.held = row.get(0);
        Ok(self.held)
    }

    /// Whether the session that holds the lock is still alive: a round trip on the lock's
    /// own connection. Any error means the lock may be gone (the server releases it with the
    /// session) and the caller must stop acting as leader.
    pub fn check(&mut self) -> Result<(), StoreError> {
        if self.client.is_closed() {
            return Err(StoreError::Backend(
                "the leader lock's connection is closed".to_owned(),
            ));
        }
        self.client
            .simple_query("SELECT 1")
            .context("the leader lock's connection does not answer")?;
        Ok(())
    }

    /// Whether the lock was taken on this connection.
    pub fn is_held(&self) -> bool {
        self.held
    }
}

/// What [`Listener::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenOutcome {
    /// The listener (re)connected: notifications sent while it was away are lost, so the
    /// caller should look at the store's state now.
    Connected,
    /// Notifications arrived: the highest number among their payloads (a stream id, a
    /// geography version; 0 for a payload that is not a number, which still says that
    /// something happened).
    Notified(i64),
    /// Nothing within the timeout.
    Quiet,
}

/// Listens on one channel on a dedicated connection (not one of the store's pool, whose
/// connections come and go and would hear nothing while idle in it). Blocking: run it on a
/// thread of its own.
///
/// The connection is opened on the first [`wait`](Self::wait) and again after it is lost;
/// the caller decides how long to wait between attempts.
pub struct Listener {
    config: Config,
    label: String,
    channel: &'static str,
    client: Option<Client>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Listener")
            .field("database", &self.label)
            .field("channel", &self.channel)
            .field("connected", &self.client.is_some())
            .finish()
    }
}

impl Listener {
    /// A listener on `channel` of the database at `url`, its connection named `application`
    /// (not connected yet).
    pub fn new(
        url: &str,
        channel: &'static str,
        application: &str,
    ) -> Result<Listener, StoreError> {
        let (config, label) = dedicated_config(url, application)?;
        Ok(Listener {
            config,
            label,
            channel,
            client: None,
        })
    }

    /// Connects if needed (answering [`ListenOutcome::Connected`] at once), else waits up to
    /// `timeout` for notifications. An error means the connection is lost (or could not be
    /// made): the next call tries again.
    pub fn wait(&mut self, timeout: Duration) -> Result<ListenOutcome, StoreError> {
        let Some(client) = self.client.as_mut() else {
            let mut client = self.config.connect(NoTls).with_context(|| {
                format!("cannot connect to PostgreSQL {} to listen", self.label)
            })?;
            client
                .batch_execute(&format!("LISTEN {}", self.channel))
                .with_context(|| format!("cannot listen on PostgreSQL {}", self.label))?;
            self.client = Some(client);
            return Ok(ListenOutcome::Connected);
        };
        let received = highest_notification(client, timeout);
        let closed = client.is_closed();
        match received {
            Ok(Some(highest)) => Ok(ListenOutcome::Notified(highest)),
            Ok(None) if !closed => Ok(ListenOutcome::Quiet),
            Ok(None) => {
                self.client = None;
                Err(StoreError::Backend(format!(
                    "lost the listening connection to PostgreSQL {}",
                    self.label
                )))
            }
            Err(error) => {
                self.client = None;
                Err(StoreError::Backend(format!(
                    "lost the listening connection to PostgreSQL {}: {error}",
                    self.label
                )))
            }
        }
    }
}

/// The highest number among the notifications that arrive within `timeout` (those already
/// queued behind the first are taken without waiting again).
fn highest_notification(
    client: &mut Client,
    timeout: Duration,
) -> Result<Option<i64>, postgres::Error> {
    let mut notifications = client.notifications();
    let Some(first) = notifications.timeout_iter(timeout).next()? else {
        return Ok(None);
    };
    let number = |payload: &str| payload.parse::<i64>().unwrap_or(0);
    let mut highest = number(first.payload());
    let mut queued = notifications.iter();
    while let Some(notification) = queued.next()? {
        highest = highest.max(number(notification.payload()));
    }
    Ok(Some(highest))
}

/// Listens for [`STREAM_CHANNEL`] on a dedicated connection (named
/// [`STREAM_LISTEN_APPLICATION`]) and calls `wake` for every batch of notifications, until
/// `stop` is set. A lost connection is opened again (after `retry`), and `wake` is called
/// once it is back: entries committed while nobody listened are read from the log, not from
/// notifications. Blocks: run it on a thread of its own.
pub fn listen_stream(url: &str, retry: Duration, stop: &AtomicBool, wake: &(dyn Fn() + Sync)) {
    let mut listener = match Listener::new(url, STREAM_CHANNEL, STREAM_LISTEN_APPLICATION) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln_warning(&format!(
                "cannot listen for live stream notifications: {error}"
            ));
            return;
        }
    };
    let mut interrupted = false;
    while !stop.load(Ordering::Relaxed) {
        match listener.wait(Duration::from_millis(500)) {
            // Whatever was committed before the LISTEN took effect is read now.
            Ok(ListenOutcome::Connected | ListenOutcome::Notified(_)) => {
                interrupted = false;
                wake();
            }
            Ok(ListenOutcome::Quiet) => {}
            Err(error) => {
                // Said once per outage, not once per attempt.
                if !interrupted {
                    eprintln_warning(&format!(
                        "live stream notifications interrupted ({error}); reconnecting"
                    ));
                    interrupted = true;
                }
                let mut waited = Duration::ZERO;
                while waited < retry && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    waited += Duration::from_millis(50);
                }
            }
        }
    }
}

/// The crate logs nothing by itself; this one message matters to operators.
fn eprintln_warning(message: &str) {
    eprintln!("vigie: {message}");
}
