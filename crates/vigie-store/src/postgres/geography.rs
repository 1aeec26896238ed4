//! Published zone sets on PostgreSQL (replicas hear of new ones with a
//! [`Listener`](super::cluster::Listener) on [`GEOGRAPHY_CHANNEL`]).
//!
//! A publication takes a transaction-level advisory lock before reading the current version,
//! so two replicas seeding an empty database at once make one version, not two; its
//! `pg_notify` is delivered to listeners only when the transaction commits, by which time the
//! new row is visible to them.

use chrono::{DateTime, Utc};
use postgres::Row;
use vigie_domain::store::{GeographyPublication, GeographyVersion, StoreError, StoredGeography};

use super::{PgTransaction, PostgresStore, column};
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
