//! API keys and the stream log on SQLite.
//!
//! Stream ids need no lock to increase in commit order: every write goes through the one
//! writer connection in a `BEGIN IMMEDIATE` transaction, and `AUTOINCREMENT` never reuses an
//! id, even the newest one's after a rollback.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use vigie_domain::store::StoreError;
use vigie_domain::{ApiKey, ApiRole, NewApiKey, StreamEntry, StreamKind};

use super::{SqliteStore, WriteKind, collect_rows, parse_json, parse_optional_timestamp};
use super::{parse_timestamp, timestamp_text, to_json};
use crate::error::ResultExt;
use crate::stream::{check_publishable, parse_kind};

const API_KEY_COLUMNS: &str =
    "id, name, role, secret_sha256, prefix, created_at, revoked_at, last_used_at";

fn api_key_row(row: &Row<'_>) -> Result<ApiKey, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("api key row: {error}"));
    let role: String = row.get(2).map_err(column)?;
    Ok(ApiKey {
        id: row.get(0).map_err(column)?,
        name: row.get(1).map_err(column)?,
        role: ApiRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown api key role {role:?}")))?,
        secret_sha256: row.get(3).map_err(column)?,
        prefix: row.get(4).map_err(column)?,
        created_at: parse_timestamp(&row.get::<_, String>(5).map_err(column)?)?,
        revoked_at: parse_optional_timestamp(row.get(6).map_err(column)?)?,
        last_used_at: parse_optional_timestamp(row.get(7).map_err(column)?)?,
    })
}

fn stream_row(row: &Row<'_>) -> Result<StreamEntry, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("stream row: {error}"));
    Ok(StreamEntry {
        id: row.get(0).map_err(column)?,
        kind: parse_kind(&row.get::<_, String>(1).map_err(column)?)?,
        ref_id: row.get(2).map_err(column)?,
        created_at: parse_timestamp(&row.get::<_, String>(3).map_err(column)?)?,
        payload: parse_json("stream payload", &row.get::<_, String>(4).map_err(column)?)?,
    })
}

fn key_by_id(transaction: &Transaction<'_>, id: i64) -> Result<Option<ApiKey>, StoreError> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = ?1");
    let mut statement = transaction
        .prepare_cached(&sql)
        .context("cannot read an api key")?;
    let rows = statement.query([id]).context("cannot read an api key")?;
    Ok(collect_rows(rows, "cannot read an api key", api_key_row)?.pop())
}

/// Appends a stream entry inside `transaction`; returns its id.
pub(super) fn append_stream(
    transaction: &Transaction<'_>,
    kind: StreamKind,
    ref_id: i64,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let payload = to_json(payload)?;
    transaction
        .prepare_cached(
            "INSERT INTO stream_log (kind, ref_id, created_at, payload) \
             VALUES (?1, ?2, ?3, ?4) RETURNING id",
        )
        .and_then(|mut statement| {
            statement.query_row(
                params![kind.as_str(), ref_id, timestamp_text(now), payload],
                |row| row.get(0),
            )
        })
        .context("cannot append to the stream log")
}

/// The `Store` methods of this module, called from the trait implementation in `mod.rs`.
impl SqliteStore {
    pub(super) fn create_api_key_in_sqlite(&self, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        let now = timestamp_text(Utc::now());
        self.write(WriteKind::Regular, "cannot create an api key", |writer| {
            let transaction = writer.transaction;
            let taken = transaction
                .prepare_cached("SELECT 1 FROM api_keys WHERE secret_sha256 = ?1")
                .and_then(|mut statement| {
                    statement
                        .query_row([key.secret_sha256.as_slice()], |_| Ok(()))
                        .optional()
                })
                .context("cannot look up an api key")?;
            if taken.is_some() {
                return Err(StoreError::Conflict(
                    "an api key with this hash is already stored".to_owned(),
                ));
            }
            let sql = format!(
                "INSERT INTO api_keys (name, role, secret_sha256, prefix, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {API_KEY_COLUMNS}"
            );
            let mut statement = transaction
                .prepare_cached(&sql)
                .context("cannot create an api key")?;
            let rows = statement
                .query(params![
                    key.name,
                    key.role.as_str(),
                    key.secret_sha256.as_slice(),
                    key.prefix,
                    now
                ])
                .context("cannot create an api key")?;
            collect_rows(rows, "cannot create an api key", api_key_row)?
                .pop()
                .ok_or_else(|| StoreError::Backend("a new api key cannot be read back".into()))
        })
    }

    pub(super) fn api_key_by_hash_in_sqlite(
        &self,
        secret_sha256: &[u8],
    ) -> Result<Option<ApiKey>, StoreError> {
        self.read(|connection| {
            let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = ?1");
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot look up an api key")?;
            let rows = statement
                .query([secret_sha256])
                .context("cannot look up an api key")?;
            Ok(collect_rows(rows, "cannot look up an api key", api_key_row)?.pop())
        })
    }

    pub(super) fn api_keys_in_sqlite(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|connection| {
            let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id");
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list api keys")?;
            let rows = statement.query([]).context("cannot list api keys")?;
            collect_rows(rows, "cannot list api keys", api_key_row)
        })
    }

    pub(super) fn revoke_api_key_in_sqlite(&self, id: i64) -> Result<ApiKey, StoreError> {
        let now = timestamp_text(Utc::now());
        self.write(WriteKind::Regular, "cannot revoke an api key", |writer| {
            let transaction = writer.transaction;
            let key = key_by_id(transaction, id)?
                .ok_or_else(|| StoreError::NotFound(format!("api key {id}")))?;
            if !key.is_live() {
                return Err(StoreError::Conflict(format!(
                    "api key {id} is already revoked"
                )));
            }
            transaction
                .prepare_cached("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1")
                .and_then(|mut statement| statement.execute(params![id, now]))
                .with_context(|| format!("cannot revoke api key {id}"))?;
            key_by_id(transaction, id)?
                .ok_or_else(|| StoreError::Backend(format!("api key {id} vanished")))
        })
    }

    pub(super) fn record_api_key_use_in_sqlite(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = timestamp_text(at);
        self.write(
            WriteKind::Regular,
            "cannot record an api key's use",
            |writer| {
                writer
                    .transaction
                    .prepare_cached(
                        "UPDATE api_keys SET last_used_at = ?2 \
                     WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
                    )
                    .and_then(|mut statement| statement.execute(params![id, at]))
                    .with_context(|| format!("cannot record the use of api key {id}"))?;
                Ok(())
            },
        )
    }

    pub(super) fn stream_since_in_sqlite(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT id, kind, ref_id, created_at, payload FROM stream_log \
                     WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .context("cannot read the stream log")?;
            let rows = statement
                .query(params![after_id, limit])
                .context("cannot read the stream log")?;
            collect_rows(rows, "cannot read the stream log", stream_row)
        })
    }

    pub(super) fn stream_head_in_sqlite(&self) -> Result<i64, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM stream_log")
                .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
                .context("cannot read the stream log's head")
        })
    }

    pub(super) fn publish_stream_in_sqlite(
        &self,
        kind: StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        check_publishable(kind)?;
        let now = Utc::now();
        self.write(
            WriteKind::Regular,
            "cannot publish to the stream",
            |writer| append_stream(writer.transaction, kind, ref_id, payload, now),
        )
    }
}
