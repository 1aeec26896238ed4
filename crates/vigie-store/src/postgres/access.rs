//! API keys and the stream log on PostgreSQL.
//!
//! Stream ids come from a sequence, and a sequence hands ids out in call order, not commit
//! order: a transaction that took id 7 may commit after one that took id 8, and a reader
//! that saw 8 and resumes "after 8" would never see 7. Appends therefore take a
//! transaction-level advisory lock first, held until commit: appends (and so their ids)
//! commit one after the other. Every append is the last statement before its commit, so
//! the lock is held for an insert and a commit.

use chrono::{DateTime, Utc};
use postgres::Row;
use postgres::types::Json;
use vigie_domain::store::StoreError;
use vigie_domain::{ApiKey, ApiRole, NewApiKey, StreamEntry, StreamKind};

use super::{PgTransaction, PostgresStore, column};
use crate::stream::{check_publishable, parse_kind};

/// The advisory lock key that serialises stream appends (the bytes of "vigie-sl").
const STREAM_LOCK_KEY: i64 = 0x7669_6769_652d_736c;

const SELECT_KEY_BY_HASH: &str = "SELECT id, name, role, secret_sha256, prefix, created_at, \
    revoked_at, last_used_at FROM api_keys WHERE secret_sha256 = $1";
const SELECT_KEY_BY_ID: &str = "SELECT id, name, role, secret_sha256, prefix, created_at, \
    revoked_at, last_used_at FROM api_keys WHERE id = $1";
const SELECT_KEYS: &str = "SELECT id, name, role, secret_sha256, prefix, created_at, \
    revoked_at, last_used_at FROM api_keys ORDER BY id";
const INSERT_KEY: &str = "INSERT INTO api_keys (name, role, secret_sha256, prefix, created_at) \
    VALUES ($1, $2, $3, $4, $5) RETURNING id, name, role, secret_sha256, prefix, created_at, \
    revoked_at, last_used_at";

fn api_key_row(row: &Row) -> Result<ApiKey, StoreError> {
    const WHAT: &str = "api key row";
    let role: String = column(row, 2, WHAT)?;
    Ok(ApiKey {
        id: column(row, 0, WHAT)?,
        name: column(row, 1, WHAT)?,
        role: ApiRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown api key role {role:?}")))?,
        secret_sha256: column(row, 3, WHAT)?,
        prefix: column(row, 4, WHAT)?,
        created_at: column(row, 5, WHAT)?,
        revoked_at: column(row, 6, WHAT)?,
        last_used_at: column(row, 7, WHAT)?,
    })
}

fn stream_row(row: &Row) -> Result<StreamEntry, StoreError> {
    const WHAT: &str = "stream row";
    Ok(StreamEntry {
        id: column(row, 0, WHAT)?,
        kind: parse_kind(&column::<String>(row, 1, WHAT)?)?,
        ref_id: column(row, 2, WHAT)?,
        created_at: column(row, 3, WHAT)?,
        payload: column::<Json<serde_json::Value>>(row, 4, WHAT)?.0,
    })
}

/// Appends a stream entry inside `transaction` (see the module documentation for the lock);
/// returns its id.
pub(super) fn append_stream(
    transaction: &mut PgTransaction<'_>,
    kind: StreamKind,
    ref_id: i64,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    transaction.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&STREAM_LOCK_KEY],
        "cannot lock the stream log",
    )?;
    let row = transaction
        .query_opt(
            "INSERT INTO stream_log (kind, ref_id, created_at, payload) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&kind.as_str(), &ref_id, &now, &Json(payload)],
            "cannot append to the stream log",
        )?
        .ok_or_else(|| StoreError::Backend("a stream entry has no id".to_owned()))?;
    let id: i64 = column(&row, 0, "stream entry id")?;
    // Delivered at commit, to the listeners of every replica: they read the entry from the
    // log (the notification carries its id only, and is a wake-up, not the message).
    transaction.execute(
        "SELECT pg_notify($1, $2)",
        &[&super::cluster::STREAM_CHANNEL, &id.to_string()],
        "cannot notify the stream's listeners",
    )?;
    Ok(id)
}

/// The `Store` methods of this module, called from the trait implementation in `mod.rs`.
impl PostgresStore {
    pub(super) fn create_api_key_in_postgres(&self, key: &NewApiKey) -> Result<ApiKey, StoreError> {
        let now = Utc::now();
        self.write(false, "cannot create an api key", |writer| {
            let hash = key.secret_sha256.as_slice();
            if writer
                .query_opt(SELECT_KEY_BY_HASH, &[&hash], "cannot look up an api key")?
                .is_some()
            {
                return Err(StoreError::Conflict(
                    "an api key with this hash is already stored".to_owned(),
                ));
            }
            let row = writer
                .query_opt(
                    INSERT_KEY,
                    &[&key.name, &key.role.as_str(), &hash, &key.prefix, &now],
                    "cannot create an api key",
                )?
                .ok_or_else(|| StoreError::Backend("a new api key cannot be read back".into()))?;
            api_key_row(&row)
        })
    }

    pub(super) fn api_key_by_hash_in_postgres(
        &self,
        secret_sha256: &[u8],
    ) -> Result<Option<ApiKey>, StoreError> {
        self.read("cannot look up an api key", |reader| {
            reader
                .query_opt(
                    SELECT_KEY_BY_HASH,
                    &[&secret_sha256],
                    "cannot look up an api key",
                )?
                .as_ref()
                .map(api_key_row)
                .transpose()
        })
    }

    pub(super) fn api_keys_in_postgres(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.read("cannot list api keys", |reader| {
            reader
                .query(SELECT_KEYS, &[], "cannot list api keys")?
                .iter()
                .map(api_key_row)
                .collect()
        })
    }

    pub(super) fn revoke_api_key_in_postgres(&self, id: i64) -> Result<ApiKey, StoreError> {
        let now = Utc::now();
        self.write(false, "cannot revoke an api key", |writer| {
            let key = writer
                .query_opt(
                    "SELECT id, name, role, secret_sha256, prefix, created_at, revoked_at, \
                     last_used_at FROM api_keys WHERE id = $1 FOR UPDATE",
                    &[&id],
                    "cannot read an api key",
                )?
                .as_ref()
                .map(api_key_row)
                .transpose()?
                .ok_or_else(|| StoreError::NotFound(format!("api key {id}")))?;
            if !key.is_live() {
                return Err(StoreError::Conflict(format!(
                    "api key {id} is already revoked"
                )));
            }
            writer.execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE id = $1",
                &[&id, &now],
                "cannot revoke an api key",
            )?;
            writer
                .query_opt(SELECT_KEY_BY_ID, &[&id], "cannot read an api key")?
                .as_ref()
                .map(api_key_row)
                .transpose()?
                .ok_or_else(|| StoreError::Backend(format!("api key {id} vanished")))
        })
    }

    pub(super) fn record_api_key_use_in_postgres(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(true, "cannot record an api key's use", |writer| {
            writer.execute(
                "UPDATE api_keys SET last_used_at = $2 \
                 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
                &[&id, &at],
                "cannot record an api key's use",
            )?;
            Ok(())
        })
    }

    pub(super) fn stream_since_in_postgres(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        let limit = i64::from(limit);
        self.read("cannot read the stream log", |reader| {
            reader
                .query(
                    "SELECT id, kind, ref_id, created_at, payload FROM stream_log \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after_id, &limit],
                    "cannot read the stream log",
                )?
                .iter()
                .map(stream_row)
                .collect()
        })
    }

    pub(super) fn stream_head_in_postgres(&self) -> Result<i64, StoreError> {
        self.read("cannot read the stream log's head", |reader| {
            let row = reader
                .query_opt(
                    "SELECT COALESCE(MAX(id), 0)::BIGINT FROM stream_log",
                    &[],
                    "cannot read the stream log's head",
                )?
                .ok_or_else(|| StoreError::Backend("no stream head".to_owned()))?;
            column(&row, 0, "stream head")
        })
    }

    pub(super) fn publish_stream_in_postgres(
        &self,
        kind: StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        check_publishable(kind)?;
        let now = Utc::now();
        self.write(false, "cannot publish to the stream", |writer| {
            append_stream(writer, kind, ref_id, payload, now)
        })
    }
}
