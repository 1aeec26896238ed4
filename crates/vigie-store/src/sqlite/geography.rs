//! Published zone sets on SQLite. Publications go through the one writer connection in a
//! `BEGIN IMMEDIATE` transaction, so the read of the current version and the insert of the
//! next one cannot interleave with another publication, even from another process.

use chrono::Utc;
use rusqlite::{OptionalExtension, Row, params};
use vigie_domain::store::{GeographyPublication, GeographyVersion, StoreError, StoredGeography};

use super::{SqliteStore, WriteKind, collect_rows, parse_timestamp, timestamp_text};
use crate::error::ResultExt;
use crate::geography::sha256_hex;

const VERSION_COLUMNS: &str = "version, sha256, size_bytes, label, created_at";

fn version_row(row: &Row<'_>) -> Result<GeographyVersion, StoreError> {
    let column =
        |error: rusqlite::Error| StoreError::Corrupt(format!("geography version row: {error}"));
    let size: i64 = row.get(2).map_err(column)?;
    Ok(GeographyVersion {
        version: row.get(0).map_err(column)?,
        sha256: row.get(1).map_err(column)?,
        size_bytes: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("geography size {size}")))?,
        label: row.get(3).map_err(column)?,
        created_at: parse_timestamp(&row.get::<_, String>(4).map_err(column)?)?,
    })
}

fn current_version(
    connection: &rusqlite::Connection,
) -> Result<Option<GeographyVersion>, StoreError> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM geography_versions ORDER BY version DESC LIMIT 1");
    let mut statement = connection
        .prepare_cached(&sql)
        .context("cannot read the geography version")?;
    let rows = statement
        .query([])
        .context("cannot read the geography version")?;
    Ok(collect_rows(rows, "cannot read the geography version", version_row)?.pop())
}

/// The `Store` methods of this module, called from the trait implementation in `mod.rs`.
impl SqliteStore {
    pub(super) fn current_geography_in_sqlite(
        &self,
    ) -> Result<Option<StoredGeography>, StoreError> {
        self.read(|connection| {
            let Some(version) = current_version(connection)? else {
                return Ok(None);
            };
            let bytes: Vec<u8> = connection
                .prepare_cached("SELECT zone_set FROM geography_versions WHERE version = ?1")
                .and_then(|mut statement| {
                    statement
                        .query_row([version.version], |row| row.get(0))
                        .optional()
                })
                .context("cannot read the zone set")?
                .ok_or_else(|| {
                    StoreError::Backend(format!("geography version {} vanished", version.version))
                })?;
            Ok(Some(StoredGeography { version, bytes }))
        })
    }

    pub(super) fn current_geography_version_in_sqlite(
        &self,
    ) -> Result<Option<GeographyVersion>, StoreError> {
        self.read(current_version)
    }

    pub(super) fn geography_versions_in_sqlite(&self) -> Result<Vec<GeographyVersion>, StoreError> {
        self.read(|connection| {
            let sql =
                format!("SELECT {VERSION_COLUMNS} FROM geography_versions ORDER BY version DESC");
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list geography versions")?;
            let rows = statement
                .query([])
                .context("cannot list geography versions")?;
            collect_rows(rows, "cannot list geography versions", version_row)
        })
    }

    pub(super) fn publish_geography_in_sqlite(
        &self,
        bytes: &[u8],
        label: &str,
    ) -> Result<GeographyPublication, StoreError> {
        let sha256 = sha256_hex(bytes);
        let now = timestamp_text(Utc::now());
        let size = i64::try_from(bytes.len())
            .map_err(|_| StoreError::Conflict("the zone set is too large".to_owned()))?;
        self.write(
            WriteKind::Regular,
            "cannot publish the zone set",
            |writer| {
                let transaction = writer.transaction;
                if let Some(current) = current_version(transaction)?
                    && current.sha256 == sha256
                {
                    return Ok(GeographyPublication {
                        version: current,
                        published: false,
                    });
                }
                let sql = format!(
                    "INSERT INTO geography_versions \
                 (version, sha256, size_bytes, label, created_at, zone_set) \
                 VALUES ((SELECT COALESCE(MAX(version), 0) + 1 FROM geography_versions), \
                 ?1, ?2, ?3, ?4, ?5) RETURNING {VERSION_COLUMNS}"
                );
                let mut statement = transaction
                    .prepare_cached(&sql)
                    .context("cannot publish the zone set")?;
                let rows = statement
                    .query(params![sha256, size, label, now, bytes])
                    .context("cannot publish the zone set")?;
                let version = collect_rows(rows, "cannot publish the zone set", version_row)?
                    .pop()
                    .ok_or_else(|| {
                        StoreError::Backend("a published zone set cannot be read back".into())
                    })?;
                Ok(GeographyPublication {
                    version,
                    published: true,
                })
            },
        )
    }
}
