//! Published zone sets on PostgreSQL, and the listener replicas use to hear of new ones.
//!
//! A publication takes a transaction-level advisory lock before reading the current version,
//! so two replicas seeding an empty database at once make one version, not two; its
//! `pg_notify` is delivered to listeners only when the transaction commits, by which time the
//! new row is visible to them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls, Row};
use vigie_domain::store::{GeographyPublication, GeographyVersion, StoreError, StoredGeography};

use super::{CONNECT_TIMEOUT, PgTransaction, PostgresStore, column, describe};
use crate::error::ResultExt;
use crate::geography::{GEOGRAPHY_CHANNEL, sha256_hex};

/// The advisory lock key that serialises publications ("vigie-gv").
const GEOGRAPHY_LOCK_KEY: i64 = 0x7669_6769_652d_6776;

const SELECT_CURRENT: &str = "SELECT version, sha256, size_bytes, label, created_at \
    FROM geography_versions ORDER BY version DESC LIMIT 1";

fn version_row(row: &Row) -> Result<GeographyVersion, StoreError> {
    const WHAT: &str = "geography version row";
    let size: i64 = column(row, 2, WHAT)?;
    Ok(GeographyVersion {
        version: column(row, 0, WHAT)?,
        sha256: column(row, 1, WHAT)?,
        size_bytes: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("geography size {size}")))?,
        label: column(row, 3, WHAT)?,
        created_at: column::<DateTime<Utc>>(row, 4, WHAT)?,
    })
}

fn current_version(
    transaction: &mut PgTransaction<'_>,
) -> Result<Option<GeographyVersion>, StoreError> {
    transaction
        .query_opt(SELECT_CURRENT, &[], "cannot read the geography version")?
        .as_ref()
        .map(version_row)
        .transpose()
}

/// The `Store` methods of this module, called from the trait implementation in `mod.rs`.
impl PostgresStore {
    pub(super) fn current_geography_in_postgres(
        &self,
    ) -> Result<Option<StoredGeography>, StoreError> {
        self.read("cannot read the zone set", |reader| {
            let Some(version) = current_version(reader)? else {
                return Ok(None);
            };
            let row = reader
                .query_opt(
                    "SELECT zone_set FROM geography_versions WHERE version = $1",
                    &[&version.version],
                    "cannot read the zone set",
                )?
                .ok_or_else(|| {
                    StoreError::Backend(format!("geography version {} vanished", version.version))
                })?;
            let bytes: Vec<u8> = column(&row, 0, "zone set")?;
            Ok(Some(StoredGeography { version, bytes }))
        })
    }

    pub(super) fn current_geography_version_in_postgres(
        &self,
    ) -> Result<Option<GeographyVersion>, StoreError> {
        self.read("cannot read the geography version", current_version)
    }

    pub(super) fn geography_versions_in_postgres(
        &self,
    ) -> Result<Vec<GeographyVersion>, StoreError> {
        self.read("cannot list geography versions", |reader| {
            reader
                .query(
                    "SELECT version, sha256, size_bytes, label, created_at \
                     FROM geography_versions ORDER BY version DESC",
                    &[],
                    "cannot list geography versions",
                )?
                .iter()
                .map(version_row)
                .collect()
        })
    }

    pub(super) fn publish_geography_in_postgres(
        &self,
        bytes: &[u8],
        label: &str,
    ) -> Result<GeographyPublication, StoreError> {
        let sha256 = sha256_hex(bytes);
        let now = Utc::now();
        let size = i64::try_from(bytes.len())
            .map_err(|_| StoreError::Conflict("the zone set is too large".to_owned()))?;
        self.write(false, "cannot publish the zone set", |writer| {
            writer.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&GEOGRAPHY_LOCK_KEY],
                "cannot lock the geography",
            )?;
            if let Some(current) = current_version(writer)?
                && current.sha256 == sha256
            {
                return Ok(GeographyPublication {
                    version: current,
                    published: false,
                });
            }
            let row = writer
                .query_opt(
                    "INSERT INTO geography_versions \
                     (version, sha256, size_bytes, label, created_at, zone_set) \
                     VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM geography_versions), \
                     $1, $2, $3, $4, $5) \
                     RETURNING version, sha256, size_bytes, label, created_at",
                    &[&sha256, &size, &label, &now, &bytes],
                    "cannot publish the zone set",
                )?
                .ok_or_else(|| {
                    StoreError::Backend("a published zone set cannot be read back".into())
                })?;
            let version = version_row(&row)?;
            writer.execute(
                "SELECT pg_notify($1, $2)",
                &[&GEOGRAPHY_CHANNEL, &version.version.to_string()],
                "cannot notify the new geography",
            )?;
            Ok(GeographyPublication {
                version,
                published: true,
            })
        })
    }
}

/// What [`GeographyListener::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenOutcome {
    /// The listener (re)connected: notifications sent while it was away are lost, so the
    /// caller should look at the current version now.
    Connected,
    /// A new version was published (the highest number among the notifications pending).
    Published(i64),
    /// Nothing within the timeout.
    Quiet,
}

/// Listens on [`GEOGRAPHY_CHANNEL`] on a connection of its own (not one of the store's
/// pool, whose connections come and go). Blocking: run it on a thread of its own.
///
/// The connection is opened on the first [`wait`](Self::wait) and again after it is lost;
/// the caller decides how long to wait between attempts.
pub struct GeographyListener {
    config: Config,
    label: String,
    client: Option<Client>,
}

impl std::fmt::Debug for GeographyListener {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GeographyListener")
            .field("database", &self.label)
            .field("connected", &self.client.is_some())
            .finish()
    }
}

impl GeographyListener {
    /// A listener for the database at `url` (not connected yet).
    pub fn new(url: &str) -> Result<GeographyListener, StoreError> {
        let mut config: Config = url.parse().map_err(|error: postgres::Error| {
            StoreError::Backend(format!("invalid PostgreSQL URL: {error}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // An idle listening connection is where a silently dropped network path shows last:
        // keepalives make the kernel notice within a couple of minutes.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("vigie-geography-listener");
        }
        let label = describe(&config);
        Ok(GeographyListener {
            config,
            label,
            client: None,
        })
    }

    /// Connects if needed (answering [`ListenOutcome::Connected`] at once), else waits up to
    /// `timeout` for a publication. An error means the connection is lost (or could not be
    /// made): the next call tries again.
    pub fn wait(&mut self, timeout: Duration) -> Result<ListenOutcome, StoreError> {
        let Some(client) = self.client.as_mut() else {
            let mut client = self
                .config
                .connect(NoTls)
                .with_context(|| format!("cannot connect to PostgreSQL {}", self.label))?;
            client
                .batch_execute(&format!("LISTEN {GEOGRAPHY_CHANNEL}"))
                .with_context(|| format!("cannot listen on PostgreSQL {}", self.label))?;
            self.client = Some(client);
            return Ok(ListenOutcome::Connected);
        };
        let received = newest_notification(client, timeout);
        let closed = client.is_closed();
        match received {
            Ok(Some(version)) => Ok(ListenOutcome::Published(version)),
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

/// The highest version among the notifications that arrive within `timeout` (those already
/// queued behind the first are taken without waiting again).
fn newest_notification(
    client: &mut Client,
    timeout: Duration,
) -> Result<Option<i64>, postgres::Error> {
    let mut notifications = client.notifications();
    let Some(first) = notifications.timeout_iter(timeout).next()? else {
        return Ok(None);
    };
    // A payload that is not a number still says "something was published".
    let version = |payload: &str| payload.parse::<i64>().unwrap_or(0);
    let mut newest = version(first.payload());
    let mut queued = notifications.iter();
    while let Some(notification) = queued.next()? {
        newest = newest.max(version(notification.payload()));
    }
    Ok(Some(newest))
}
