//! [`DeliveryStore`] on SQLite.
//!
//! Claims need no row locks: every write, a claim included, is one `BEGIN IMMEDIATE`
//! transaction on the single writer connection, and another process writing the same file
//! waits for the lock, so two claims never see the same due row.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, Row, Transaction, params};
use vigie_domain::store::{DeliveryStore, Store, StoreError};
use vigie_domain::{
    NewNotification, NewSilence, Notification, NotificationQuery, NotificationStatus, OpenEpisode,
    OutboxStats, ReceiptStatus, RecordOutcome, Silence, StoredWarning, WarningQuery, WarningRecord,
};

use super::{
    SqliteStore, WriteKind, collect_rows, parse_date, parse_json, parse_optional_timestamp,
    parse_timestamp, timestamp_text, to_json,
};
use crate::codec::count_column;
use crate::delivery::{
    ENGINE_POSITION_KEY, NOTIFICATION_READ_COLUMNS, NotificationRow, SILENCE_READ_COLUMNS,
    SilenceRow, WARNING_READ_COLUMNS, WarningRow, check_new_silence, check_revocable,
    in_claim_order, initial_status_columns, lease_expiry, open_episodes, receipt_target,
};
use crate::error::ResultExt;

const INSERT_WARNING: &str = "INSERT INTO warnings (episode, rule, zone_id, zone_level, \
    zone_name, kind, level, previous_level, transition_day, evidence, late, inhibited_by, \
    recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
    ON CONFLICT DO NOTHING";

const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (idempotency_key, committee, \
    recipient, channel, zone_id, level, payload, not_before, status, suppression, \
    next_attempt_at, created_at, updated_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?8, ?11, ?11) \
    ON CONFLICT (idempotency_key) DO NOTHING";

/// Transitions of episodes with no `closed` transition (`open_only`), else all, filtered.
fn warnings_sql() -> String {
    format!(
        "SELECT {WARNING_READ_COLUMNS} FROM warnings AS w \
         WHERE (?1 IS NULL OR episode = ?1) AND (?2 IS NULL OR zone_id = ?2) AND id > ?3 \
         AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM warnings AS c \
              WHERE c.episode = w.episode AND c.kind = 'closed')) \
         ORDER BY id LIMIT ?5"
    )
}

fn warning_row(row: &Row<'_>) -> Result<StoredWarning, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("warning row: {error}"));
    WarningRow {
        id: row.get(0).map_err(column)?,
        episode: row.get(1).map_err(column)?,
        rule: row.get(2).map_err(column)?,
        zone_id: row.get(3).map_err(column)?,
        zone_level: row.get(4).map_err(column)?,
        zone_name: row.get(5).map_err(column)?,
        kind: row.get(6).map_err(column)?,
        level: row.get(7).map_err(column)?,
        previous_level: row.get(8).map_err(column)?,
        day: parse_date(&row.get::<_, String>(9).map_err(column)?)?,
        evidence: parse_json(
            "warning evidence",
            &row.get::<_, String>(10).map_err(column)?,
        )?,
        late: row.get(11).map_err(column)?,
        inhibited_by: row.get(12).map_err(column)?,
        recorded_at: parse_timestamp(&row.get::<_, String>(13).map_err(column)?)?,
    }
    .into_stored()
}

fn notification_row(row: &Row<'_>) -> Result<Notification, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("notification row: {error}"));
    let time = |index: usize| parse_timestamp(&row.get::<_, String>(index).map_err(column)?);
    let optional_time = |index: usize| parse_optional_timestamp(row.get(index).map_err(column)?);
    NotificationRow {
        id: row.get(0).map_err(column)?,
        idempotency_key: row.get(1).map_err(column)?,
        committee: row.get(2).map_err(column)?,
        recipient: row.get(3).map_err(column)?,
        channel: row.get(4).map_err(column)?,
        zone_id: row.get(5).map_err(column)?,
        level: row.get(6).map_err(column)?,
        payload: parse_json(
            "notification payload",
            &row.get::<_, String>(7).map_err(column)?,
        )?,
        not_before: time(8)?,
        status: row.get(9).map_err(column)?,
        suppression: row.get(10).map_err(column)?,
        attempts: row.get(11).map_err(column)?,
        next_attempt_at: time(12)?,
        lease_owner: row.get(13).map_err(column)?,
        lease_until: optional_time(14)?,
        provider: row.get(15).map_err(column)?,
        provider_message_id: row.get(16).map_err(column)?,
        group_id: row.get(17).map_err(column)?,
        last_error: row.get(18).map_err(column)?,
        created_at: time(19)?,
        updated_at: time(20)?,
        sent_at: optional_time(21)?,
        delivered_at: optional_time(22)?,
    }
    .into_notification()
}

fn silence_row(row: &Row<'_>) -> Result<Silence, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("silence row: {error}"));
    SilenceRow {
        id: row.get(0).map_err(column)?,
        rule: row.get(1).map_err(column)?,
        zone_id: row.get(2).map_err(column)?,
        author: row.get(3).map_err(column)?,
        reason: row.get(4).map_err(column)?,
        created_at: parse_timestamp(&row.get::<_, String>(5).map_err(column)?)?,
        expires_at: parse_timestamp(&row.get::<_, String>(6).map_err(column)?)?,
        revoked_by: row.get(7).map_err(column)?,
        revoked_at: parse_optional_timestamp(row.get(8).map_err(column)?)?,
        revoke_reason: row.get(9).map_err(column)?,
    }
    .into_silence()
}

fn insert_warning(
    transaction: &Transaction<'_>,
    warning: &WarningRecord,
    now: &str,
) -> Result<u64, StoreError> {
    let evidence = to_json(&warning.evidence)?;
    let changed = transaction
        .prepare_cached(INSERT_WARNING)
        .and_then(|mut statement| {
            statement.execute(params![
                warning.episode,
                warning.rule,
                warning.zone.as_str(),
                warning.zone_level.as_str(),
                warning.zone_name,
                warning.kind.as_str(),
                warning.level.map(|level| level.as_str()),
                warning.previous_level.map(|level| level.as_str()),
                warning.at.to_string(),
                evidence,
                warning.late,
                warning.inhibited_by,
                now
            ])
        })
        .context("cannot store a warning transition")?;
    Ok(changed as u64)
}

fn insert_notification(
    transaction: &Transaction<'_>,
    notification: &NewNotification,
    now: &str,
) -> Result<u64, StoreError> {
    let payload = to_json(&notification.payload)?;
    let (status, suppression) = initial_status_columns(notification.status);
    let changed = transaction
        .prepare_cached(INSERT_NOTIFICATION)
        .and_then(|mut statement| {
            statement.execute(params![
                notification.idempotency_key,
                notification.committee,
                notification.recipient,
                notification.channel.as_str(),
                notification.zone.as_str(),
                notification.level.as_str(),
                payload,
                timestamp_text(notification.not_before),
                status,
                suppression,
                now
            ])
        })
        .context("cannot store a notification")?;
    Ok(changed as u64)
}

/// Runs `sql` (an update of the rows whose ids are in the JSON list `?1` and whose lease
/// owner is `?2`, with more parameters after, `RETURNING id`); returns the ids it changed.
fn update_leased(
    transaction: &Transaction<'_>,
    sql: &str,
    ids: &[i64],
    owner: &str,
    more: &[&dyn rusqlite::ToSql],
    what: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut statement = transaction.prepare_cached(sql).context(what)?;
    let ids = id_list(ids);
    let mut parameters: Vec<&dyn rusqlite::ToSql> = vec![&ids, &owner];
    parameters.extend_from_slice(more);
    let rows = statement.query(parameters.as_slice()).context(what)?;
    let mut updated = collect_rows(rows, what, |row| {
        row.get(0)
            .map_err(|error| StoreError::Corrupt(format!("notification id: {error}")))
    })?;
    updated.sort_unstable();
    Ok(updated)
}

/// Ids as one JSON array parameter, read back with `json_each`: one statement updates them
/// all. A statement per row cost a statement journal per row, which dominated the outbox's
/// claims and marks at tens of thousands of rows.
fn id_list(ids: &[i64]) -> String {
    let mut text = String::with_capacity(ids.len() * 8 + 2);
    text.push('[');
    for (position, id) in ids.iter().enumerate() {
        if position > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push(']');
    text
}

fn load_silence(connection: &Connection, id: i64) -> Result<Option<Silence>, StoreError> {
    let sql = format!("SELECT {SILENCE_READ_COLUMNS} FROM silences WHERE id = ?1");
    let mut statement = connection
        .prepare_cached(&sql)
        .context("cannot read a silence")?;
    let rows = statement.query([id]).context("cannot read a silence")?;
    Ok(collect_rows(rows, "cannot read a silence", silence_row)?.pop())
}

impl DeliveryStore for SqliteStore {
    fn record_warnings(
        &self,
        warnings: &[WarningRecord],
        notifications: &[NewNotification],
    ) -> Result<RecordOutcome, StoreError> {
        let now_time = Utc::now();
        let now = timestamp_text(now_time);
        self.write(WriteKind::Regular, "cannot record warnings", |writer| {
            let mut outcome = RecordOutcome::default();
            let mut stored = Vec::new();
            for warning in warnings {
                let inserted = insert_warning(writer.transaction, warning, &now)?;
                if inserted > 0 {
                    stored.push((writer.transaction.last_insert_rowid(), warning));
                }
                outcome.warnings += inserted;
            }
            for notification in notifications {
                outcome.notifications +=
                    insert_notification(writer.transaction, notification, &now)?;
            }
            // Only new transitions reach the stream: recording one again is not news.
            for (id, warning) in stored {
                let payload = crate::stream::warning_payload(id, warning);
                super::access::append_stream(
                    writer.transaction,
                    vigie_domain::StreamKind::Warning,
                    id,
                    &payload,
                    now_time,
                )?;
            }
            Ok(outcome)
        })
    }

    fn warnings(&self, query: &WarningQuery) -> Result<Vec<StoredWarning>, StoreError> {
        let limit = query.limit.map_or(-1, count_column);
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached(&warnings_sql())
                .context("cannot list warnings")?;
            let rows = statement
                .query(params![
                    query.episode,
                    query.zone.as_ref().map(|zone| zone.as_str()),
                    query.after_id.unwrap_or(i64::MIN),
                    query.open_only,
                    limit
                ])
                .context("cannot list warnings")?;
            collect_rows(rows, "cannot list warnings", warning_row)
        })
    }

    fn open_episodes(&self) -> Result<Vec<OpenEpisode>, StoreError> {
        let open = self.warnings(&WarningQuery {
            open_only: true,
            ..WarningQuery::default()
        })?;
        Ok(open_episodes(open))
    }

    fn engine_position(&self) -> Result<Option<NaiveDate>, StoreError> {
        Store::sync_state(self, ENGINE_POSITION_KEY)?
            .as_deref()
            .map(parse_date)
            .transpose()
    }

    fn set_engine_position(&self, day: NaiveDate) -> Result<(), StoreError> {
        Store::set_sync_state(self, ENGINE_POSITION_KEY, &day.to_string())
    }

    fn claim_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        const WHAT: &str = "cannot claim notifications";
        let until = timestamp_text(lease_expiry(now, lease)?);
        let now = timestamp_text(now);
        self.write(WriteKind::Regular, WHAT, |writer| {
            let transaction = writer.transaction;
            let due: Vec<i64> = {
                let mut statement = transaction
                    .prepare_cached(
                        "SELECT id FROM notifications \
                         WHERE status IN ('pending', 'failed', 'sending') \
                         AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
                    )
                    .context(WHAT)?;
                let rows = statement.query(params![now, limit]).context(WHAT)?;
                collect_rows(rows, WHAT, |row| {
                    row.get(0)
                        .map_err(|error| StoreError::Corrupt(format!("notification id: {error}")))
                })?
            };
            let sql = format!(
                "UPDATE notifications SET status = 'sending', lease_owner = ?2, \
                 lease_until = ?3, next_attempt_at = ?3, attempts = attempts + 1, \
                 updated_at = ?4 WHERE id IN (SELECT value FROM json_each(?1)) \
                 RETURNING {NOTIFICATION_READ_COLUMNS}"
            );
            let mut statement = transaction.prepare_cached(&sql).context(WHAT)?;
            let rows = statement
                .query(params![id_list(&due), owner, until, now])
                .context(WHAT)?;
            let claimed = collect_rows(rows, WHAT, notification_row)?;
            Ok(in_claim_order(claimed, &due))
        })
    }

    fn mark_sent(
        &self,
        ids: &[i64],
        owner: &str,
        provider: &str,
        provider_message_id: Option<&str>,
        group_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = timestamp_text(now);
        self.write(
            WriteKind::Regular,
            "cannot mark notifications sent",
            |writer| {
                update_leased(
                    writer.transaction,
                    "UPDATE notifications SET status = 'sent', provider = ?3, \
                 provider_message_id = ?4, group_id = ?5, sent_at = ?6, updated_at = ?6, \
                 lease_until = NULL, last_error = NULL \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND lease_owner = ?2 AND status = 'sending' RETURNING id",
                    ids,
                    owner,
                    &[&provider, &provider_message_id, &group_id, &now],
                    "cannot mark a notification sent",
                )
            },
        )
    }

    fn mark_failed(
        &self,
        ids: &[i64],
        owner: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = timestamp_text(now);
        let next = next_attempt_at.map(timestamp_text);
        self.write(
            WriteKind::Regular,
            "cannot record a failed attempt",
            |writer| {
                update_leased(
                    writer.transaction,
                    "UPDATE notifications SET \
                 status = CASE WHEN ?4 IS NULL THEN 'dead' ELSE 'failed' END, \
                 next_attempt_at = COALESCE(?4, next_attempt_at), last_error = ?3, \
                 lease_until = NULL, updated_at = ?5 \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND lease_owner = ?2 AND status = 'sending' RETURNING id",
                    ids,
                    owner,
                    &[&error, &next, &now],
                    "cannot record a failed attempt",
                )
            },
        )
    }

    fn release(
        &self,
        ids: &[i64],
        owner: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let now = timestamp_text(now);
        let due_at = timestamp_text(due_at);
        self.write(
            WriteKind::Regular,
            "cannot release notifications",
            |writer| {
                update_leased(
                    writer.transaction,
                    "UPDATE notifications SET \
                 status = CASE WHEN last_error IS NULL THEN 'pending' ELSE 'failed' END, \
                 attempts = MAX(attempts - 1, 0), next_attempt_at = ?4, lease_until = NULL, \
                 updated_at = ?3 \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND lease_owner = ?2 AND status = 'sending' RETURNING id",
                    ids,
                    owner,
                    &[&now, &due_at],
                    "cannot release a notification",
                )
            },
        )
    }

    fn expire_foreign_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        const WHAT: &str = "cannot take over other dispatchers' leases";
        let now = timestamp_text(now);
        self.write(WriteKind::Regular, WHAT, |writer| {
            let changed = writer
                .transaction
                .execute(
                    "UPDATE notifications SET next_attempt_at = ?2, lease_until = ?2, \
                     updated_at = ?2 \
                     WHERE status = 'sending' AND lease_owner IS NOT ?1 AND next_attempt_at > ?2",
                    rusqlite::params![owner, now],
                )
                .context(WHAT)?;
            Ok(changed as u64)
        })
    }

    fn apply_delivery_receipt(
        &self,
        provider: &str,
        provider_message_id: &str,
        status: ReceiptStatus,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let now = timestamp_text(now);
        let target = receipt_target(status).as_str();
        self.write(
            WriteKind::Regular,
            "cannot apply a delivery receipt",
            |writer| {
                let changed = writer
                    .transaction
                    .prepare_cached(
                        "UPDATE notifications SET status = ?3, updated_at = ?5, \
                     delivered_at = CASE WHEN ?3 = 'delivered' THEN ?5 ELSE delivered_at END, \
                     last_error = CASE WHEN ?3 = 'dead' \
                         THEN COALESCE(?4, 'the provider reported it undeliverable') \
                         ELSE last_error END \
                     WHERE provider = ?1 AND provider_message_id = ?2 AND status = 'sent'",
                    )
                    .and_then(|mut statement| {
                        statement.execute(params![
                            provider,
                            provider_message_id,
                            target,
                            detail,
                            now
                        ])
                    })
                    .context("cannot apply a delivery receipt")?;
                Ok(changed as u64)
            },
        )
    }

    fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>, StoreError> {
        let limit = query.limit.map_or(-1, count_column);
        self.read(|connection| {
            let sql = format!(
                "SELECT {NOTIFICATION_READ_COLUMNS} FROM notifications \
                 WHERE (?1 IS NULL OR status = ?1) AND id > ?2 ORDER BY id LIMIT ?3"
            );
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list notifications")?;
            let rows = statement
                .query(params![
                    query.status.map(NotificationStatus::as_str),
                    query.after_id.unwrap_or(i64::MIN),
                    limit
                ])
                .context("cannot list notifications")?;
            collect_rows(rows, "cannot list notifications", notification_row)
        })
    }

    fn outbox_stats(&self, now: DateTime<Utc>) -> Result<OutboxStats, StoreError> {
        const WHAT: &str = "cannot count notifications";
        let now_text = timestamp_text(now);
        self.read(|connection| {
            // One snapshot for both statements.
            let transaction = connection.unchecked_transaction().context(WHAT)?;
            let mut stats = OutboxStats::default();
            let mut statement = transaction
                .prepare_cached("SELECT status, COUNT(*) FROM notifications GROUP BY status")
                .context(WHAT)?;
            let rows = statement.query([]).context(WHAT)?;
            for (status, count) in collect_rows(rows, WHAT, |row| {
                let column =
                    |error: rusqlite::Error| StoreError::Corrupt(format!("outbox count: {error}"));
                Ok((
                    row.get::<_, String>(0).map_err(column)?,
                    row.get::<_, i64>(1).map_err(column)?,
                ))
            })? {
                let status = NotificationStatus::parse(&status).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown notification status {status:?}"))
                })?;
                stats.by_status.insert(
                    status,
                    crate::codec::count_from_column(count, "notification count")?,
                );
            }
            let oldest: Option<String> = transaction
                .prepare_cached(
                    "SELECT MIN(next_attempt_at) FROM notifications \
                     WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?1",
                )
                .and_then(|mut statement| statement.query_row([&now_text], |row| row.get(0)))
                .context(WHAT)?;
            stats.oldest_due_age_seconds = parse_optional_timestamp(oldest)?
                .map(|due| (now - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6);
            Ok(stats)
        })
    }

    fn add_silence(&self, silence: &NewSilence, now: DateTime<Utc>) -> Result<Silence, StoreError> {
        check_new_silence(silence, now)?;
        let now = timestamp_text(now);
        self.write(WriteKind::Regular, "cannot add a silence", |writer| {
            let sql = format!(
                "INSERT INTO silences (rule, zone_id, author, reason, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING {SILENCE_READ_COLUMNS}"
            );
            let mut statement = writer
                .transaction
                .prepare_cached(&sql)
                .context("cannot add a silence")?;
            let rows = statement
                .query(params![
                    silence.matcher.rule(),
                    silence.matcher.zone().map(|zone| zone.as_str()),
                    silence.author,
                    silence.reason,
                    now,
                    timestamp_text(silence.expires_at)
                ])
                .context("cannot add a silence")?;
            collect_rows(rows, "cannot add a silence", silence_row)?
                .pop()
                .ok_or_else(|| StoreError::Backend("a new silence cannot be read back".into()))
        })
    }

    fn revoke_silence(
        &self,
        id: i64,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Silence, StoreError> {
        let now = timestamp_text(now);
        self.write(WriteKind::Regular, "cannot revoke a silence", |writer| {
            let transaction = writer.transaction;
            check_revocable(id, load_silence(transaction, id)?.as_ref())?;
            transaction
                .prepare_cached(
                    "UPDATE silences SET revoked_by = ?2, revoked_at = ?3, revoke_reason = ?4 \
                     WHERE id = ?1",
                )
                .and_then(|mut statement| statement.execute(params![id, by, now, reason]))
                .context("cannot revoke a silence")?;
            load_silence(transaction, id)?
                .ok_or_else(|| StoreError::NotFound(format!("silence {id}")))
        })
    }

    fn silences(
        &self,
        include_expired: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Silence>, StoreError> {
        if !include_expired {
            return self.active_silences(now);
        }
        self.read(|connection| {
            let sql = format!("SELECT {SILENCE_READ_COLUMNS} FROM silences ORDER BY id");
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list silences")?;
            let rows = statement.query([]).context("cannot list silences")?;
            collect_rows(rows, "cannot list silences", silence_row)
        })
    }

    fn active_silences(&self, now: DateTime<Utc>) -> Result<Vec<Silence>, StoreError> {
        let now_text = timestamp_text(now);
        let live = self.read(|connection| {
            let sql = format!(
                "SELECT {SILENCE_READ_COLUMNS} FROM silences \
                 WHERE expires_at > ?1 AND revoked_at IS NULL ORDER BY id"
            );
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list active silences")?;
            let rows = statement
                .query([now_text])
                .context("cannot list active silences")?;
            collect_rows(rows, "cannot list active silences", silence_row)
        })?;
        Ok(live
            .into_iter()
            .filter(|silence| silence.is_active(now))
            .collect())
    }
}
