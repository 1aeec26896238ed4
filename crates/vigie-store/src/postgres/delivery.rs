//! [`DeliveryStore`] on PostgreSQL.
//!
//! Several dispatchers (replicas, or threads of one) may claim at once: the claim locks the
//! due rows it picks with `FOR UPDATE SKIP LOCKED`, so each skips the rows another is
//! claiming instead of waiting for them or taking them too, and a row it meets after another
//! claim committed is re-checked (its lease now lies in the future: not due).

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use postgres::Row;
use vigie_domain::store::{DeliveryStore, Store, StoreError};
use vigie_domain::{
    NewNotification, NewSilence, Notification, NotificationQuery, NotificationStatus, OpenEpisode,
    OutboxStats, ReceiptStatus, RecordOutcome, Silence, StoredWarning, WarningQuery, WarningRecord,
};

use super::{PgTransaction, PostgresStore, column};
use crate::codec::{count_column, count_from_column};
use crate::delivery::{
    ENGINE_POSITION_KEY, NOTIFICATION_READ_COLUMNS, NotificationRow, SILENCE_READ_COLUMNS,
    SilenceRow, WARNING_READ_COLUMNS, WarningRow, check_new_silence, check_revocable,
    in_claim_order, initial_status_columns, lease_expiry, open_episodes, receipt_target,
};

const INSERT_WARNING: &str = "INSERT INTO warnings (episode, rule, zone_id, zone_level, \
    zone_name, kind, level, previous_level, transition_day, evidence, late, inhibited_by, \
    recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
    ON CONFLICT DO NOTHING RETURNING id";

const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (idempotency_key, committee, \
    recipient, channel, zone_id, level, payload, not_before, status, suppression, \
    next_attempt_at, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $11, $11) \
    ON CONFLICT (idempotency_key) DO NOTHING";

static WARNINGS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {WARNING_READ_COLUMNS} FROM warnings AS w \
         WHERE ($1::TEXT IS NULL OR episode = $1) AND ($2::TEXT IS NULL OR zone_id = $2) \
         AND id > $3 \
         AND (NOT $4 OR NOT EXISTS (SELECT 1 FROM warnings AS c \
              WHERE c.episode = w.episode AND c.kind = 'closed')) \
         ORDER BY id LIMIT $5"
    )
});

static CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE notifications SET status = 'sending', lease_owner = $2, lease_until = $3, \
         next_attempt_at = $3, attempts = attempts + 1, updated_at = $4 \
         WHERE id = ANY($1) RETURNING {NOTIFICATION_READ_COLUMNS}"
    )
});

static NOTIFICATIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {NOTIFICATION_READ_COLUMNS} FROM notifications \
         WHERE ($1::TEXT IS NULL OR status = $1) AND id > $2 ORDER BY id LIMIT $3"
    )
});

static INSERT_SILENCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO silences (rule, zone_id, author, reason, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {SILENCE_READ_COLUMNS}"
    )
});

static SILENCE_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {SILENCE_READ_COLUMNS} FROM silences WHERE id = $1"));

static ALL_SILENCES: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {SILENCE_READ_COLUMNS} FROM silences ORDER BY id"));

static LIVE_SILENCES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {SILENCE_READ_COLUMNS} FROM silences \
         WHERE expires_at > $1 AND revoked_at IS NULL ORDER BY id"
    )
});

fn warning_row(row: &Row) -> Result<StoredWarning, StoreError> {
    const WHAT: &str = "warning row";
    WarningRow {
        id: column(row, 0, WHAT)?,
        episode: column(row, 1, WHAT)?,
        rule: column(row, 2, WHAT)?,
        zone_id: column(row, 3, WHAT)?,
        zone_level: column(row, 4, WHAT)?,
        zone_name: column(row, 5, WHAT)?,
        kind: column(row, 6, WHAT)?,
        level: column(row, 7, WHAT)?,
        previous_level: column(row, 8, WHAT)?,
        day: column(row, 9, WHAT)?,
        evidence: column(row, 10, WHAT)?,
        late: column(row, 11, WHAT)?,
        inhibited_by: column(row, 12, WHAT)?,
        recorded_at: column(row, 13, WHAT)?,
    }
    .into_stored()
}

fn notification_row(row: &Row) -> Result<Notification, StoreError> {
    const WHAT: &str = "notification row";
    NotificationRow {
        id: column(row, 0, WHAT)?,
        idempotency_key: column(row, 1, WHAT)?,
        committee: column(row, 2, WHAT)?,
        recipient: column(row, 3, WHAT)?,
        channel: column(row, 4, WHAT)?,
        zone_id: column(row, 5, WHAT)?,
        level: column(row, 6, WHAT)?,
        payload: column(row, 7, WHAT)?,
        not_before: column(row, 8, WHAT)?,
        status: column(row, 9, WHAT)?,
        suppression: column(row, 10, WHAT)?,
        attempts: column(row, 11, WHAT)?,
        next_attempt_at: column(row, 12, WHAT)?,
        lease_owner: column(row, 13, WHAT)?,
        lease_until: column(row, 14, WHAT)?,
        provider: column(row, 15, WHAT)?,
        provider_message_id: column(row, 16, WHAT)?,
        group_id: column(row, 17, WHAT)?,
        last_error: column(row, 18, WHAT)?,
        created_at: column(row, 19, WHAT)?,
        updated_at: column(row, 20, WHAT)?,
        sent_at: column(row, 21, WHAT)?,
        delivered_at: column(row, 22, WHAT)?,
    }
    .into_notification()
}

fn silence_row(row: &Row) -> Result<Silence, StoreError> {
    const WHAT: &str = "silence row";
    SilenceRow {
        id: column(row, 0, WHAT)?,
        rule: column(row, 1, WHAT)?,
        zone_id: column(row, 2, WHAT)?,
        author: column(row, 3, WHAT)?,
        reason: column(row, 4, WHAT)?,
        created_at: column(row, 5, WHAT)?,
        expires_at: column(row, 6, WHAT)?,
        revoked_by: column(row, 7, WHAT)?,
        revoked_at: column(row, 8, WHAT)?,
        revoke_reason: column(row, 9, WHAT)?,
    }
    .into_silence()
}

fn ids_of(rows: &[Row], what: &str) -> Result<Vec<i64>, StoreError> {
    rows.iter().map(|row| column(row, 0, what)).collect()
}

fn load_silence(
    transaction: &mut PgTransaction<'_>,
    id: i64,
) -> Result<Option<Silence>, StoreError> {
    transaction
        .query_opt(SILENCE_BY_ID.as_str(), &[&id], "cannot read a silence")?
        .map(|row| silence_row(&row))
        .transpose()
}

/// Stores a transition; its store id, or `None` when it was already stored.
fn insert_warning(
    transaction: &mut PgTransaction<'_>,
    warning: &WarningRecord,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let row = transaction.query_opt(
        INSERT_WARNING,
        &[
            &warning.episode,
            &warning.rule,
            &warning.zone.as_str(),
            &warning.zone_level.as_str(),
            &warning.zone_name,
            &warning.kind.as_str(),
            &warning.level.map(|level| level.as_str()),
            &warning.previous_level.map(|level| level.as_str()),
            &warning.at,
            &warning.evidence,
            &warning.late,
            &warning.inhibited_by,
            &now,
        ],
        "cannot store a warning transition",
    )?;
    row.map(|row| column(&row, 0, "warning id")).transpose()
}

fn insert_notification(
    transaction: &mut PgTransaction<'_>,
    notification: &NewNotification,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (status, suppression) = initial_status_columns(notification.status);
    transaction.execute(
        INSERT_NOTIFICATION,
        &[
            &notification.idempotency_key,
            &notification.committee,
            &notification.recipient,
            &notification.channel.as_str(),
            &notification.zone.as_str(),
            &notification.level.as_str(),
            &notification.payload,
            &notification.not_before,
            &status,
            &suppression,
            &now,
        ],
        "cannot store a notification",
    )
}

impl DeliveryStore for PostgresStore {
    fn record_warnings(
        &self,
        warnings: &[WarningRecord],
        notifications: &[NewNotification],
    ) -> Result<RecordOutcome, StoreError> {
        let now = Utc::now();
        self.write(false, "cannot record warnings", |writer| {
            let mut outcome = RecordOutcome::default();
            let mut stored = Vec::new();
            for warning in warnings {
                if let Some(id) = insert_warning(writer, warning, now)? {
                    stored.push((id, warning));
                    outcome.warnings += 1;
                }
            }
            for notification in notifications {
                outcome.notifications += insert_notification(writer, notification, now)?;
            }
            // Only new transitions reach the stream: recording one again is not news.
            for (id, warning) in stored {
                let payload = crate::stream::warning_payload(id, warning);
                super::access::append_stream(
                    writer,
                    vigie_domain::StreamKind::Warning,
                    id,
                    &payload,
                    now,
                )?;
            }
            Ok(outcome)
        })
    }

    fn warnings(&self, query: &WarningQuery) -> Result<Vec<StoredWarning>, StoreError> {
        let limit = query.limit.map(count_column);
        let zone = query.zone.as_ref().map(|zone| zone.as_str());
        let after = query.after_id.unwrap_or(i64::MIN);
        self.read("cannot list warnings", |reader| {
            let rows = reader.query(
                WARNINGS.as_str(),
                &[&query.episode, &zone, &after, &query.open_only, &limit],
                "cannot list warnings",
            )?;
            rows.iter().map(warning_row).collect()
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
            .map(|text| {
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|error| {
                    StoreError::Corrupt(format!("engine position {text:?}: {error}"))
                })
            })
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
        let until = lease_expiry(now, lease)?;
        let limit = i64::from(limit);
        self.write(false, WHAT, |writer| {
            let due = writer.query(
                "SELECT id FROM notifications \
                 WHERE status IN ('pending', 'failed', 'sending') AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&now, &limit],
                WHAT,
            )?;
            let due = ids_of(&due, "notification id")?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            let rows = writer.query(CLAIM.as_str(), &[&due, &owner, &until, &now], WHAT)?;
            let claimed = rows
                .iter()
                .map(notification_row)
                .collect::<Result<Vec<_>, _>>()?;
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
        const WHAT: &str = "cannot mark notifications sent";
        self.write(false, WHAT, |writer| {
            let rows = writer.query(
                "UPDATE notifications SET status = 'sent', provider = $3, \
                 provider_message_id = $4, group_id = $5, sent_at = $6, updated_at = $6, \
                 lease_until = NULL, last_error = NULL \
                 WHERE id = ANY($1) AND lease_owner = $2 AND status = 'sending' RETURNING id",
                &[
                    &ids,
                    &owner,
                    &provider,
                    &provider_message_id,
                    &group_id,
                    &now,
                ],
                WHAT,
            )?;
            sorted(ids_of(&rows, "notification id")?)
        })
    }

    fn mark_failed(
        &self,
        ids: &[i64],
        owner: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        const WHAT: &str = "cannot record a failed attempt";
        self.write(false, WHAT, |writer| {
            let rows = writer.query(
                "UPDATE notifications SET \
                 status = CASE WHEN $4::TIMESTAMPTZ IS NULL THEN 'dead' ELSE 'failed' END, \
                 next_attempt_at = COALESCE($4, next_attempt_at), last_error = $3, \
                 lease_until = NULL, updated_at = $5 \
                 WHERE id = ANY($1) AND lease_owner = $2 AND status = 'sending' RETURNING id",
                &[&ids, &owner, &error, &next_attempt_at, &now],
                WHAT,
            )?;
            sorted(ids_of(&rows, "notification id")?)
        })
    }

    fn release(
        &self,
        ids: &[i64],
        owner: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        const WHAT: &str = "cannot release notifications";
        self.write(false, WHAT, |writer| {
            let rows = writer.query(
                "UPDATE notifications SET \
                 status = CASE WHEN last_error IS NULL THEN 'pending' ELSE 'failed' END, \
                 attempts = GREATEST(attempts - 1, 0), next_attempt_at = $4, \
                 lease_until = NULL, updated_at = $3 \
                 WHERE id = ANY($1) AND lease_owner = $2 AND status = 'sending' RETURNING id",
                &[&ids, &owner, &now, &due_at],
                WHAT,
            )?;
            sorted(ids_of(&rows, "notification id")?)
        })
    }

    fn expire_foreign_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        const WHAT: &str = "cannot take over other dispatchers' leases";
        self.write(false, WHAT, |writer| {
            writer.execute(
                "UPDATE notifications SET next_attempt_at = $2, lease_until = $2, \
                 updated_at = $2 \
                 WHERE status = 'sending' AND lease_owner IS DISTINCT FROM $1 \
                 AND next_attempt_at > $2",
                &[&owner, &now],
                WHAT,
            )
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
        const WHAT: &str = "cannot apply a delivery receipt";
        let target = receipt_target(status).as_str();
        self.write(false, WHAT, |writer| {
            writer.execute(
                "UPDATE notifications SET status = $3, updated_at = $5, \
                 delivered_at = CASE WHEN $3 = 'delivered' THEN $5 ELSE delivered_at END, \
                 last_error = CASE WHEN $3 = 'dead' \
                     THEN COALESCE($4, 'the provider reported it undeliverable') \
                     ELSE last_error END \
                 WHERE provider = $1 AND provider_message_id = $2 AND status = 'sent'",
                &[&provider, &provider_message_id, &target, &detail, &now],
                WHAT,
            )
        })
    }

    fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>, StoreError> {
        let status = query.status.map(NotificationStatus::as_str);
        let after = query.after_id.unwrap_or(i64::MIN);
        let limit = query.limit.map(count_column);
        self.read("cannot list notifications", |reader| {
            let rows = reader.query(
                NOTIFICATIONS.as_str(),
                &[&status, &after, &limit],
                "cannot list notifications",
            )?;
            rows.iter().map(notification_row).collect()
        })
    }

    fn outbox_stats(&self, now: DateTime<Utc>) -> Result<OutboxStats, StoreError> {
        const WHAT: &str = "cannot count notifications";
        self.read(WHAT, |reader| {
            let mut stats = OutboxStats::default();
            let rows = reader.query(
                "SELECT status, COUNT(*) FROM notifications GROUP BY status",
                &[],
                WHAT,
            )?;
            for row in &rows {
                let name: String = column(row, 0, "outbox count")?;
                let count: i64 = column(row, 1, "outbox count")?;
                let status = NotificationStatus::parse(&name).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown notification status {name:?}"))
                })?;
                stats
                    .by_status
                    .insert(status, count_from_column(count, "notification count")?);
            }
            let oldest: Option<DateTime<Utc>> = match reader.query_opt(
                "SELECT MIN(next_attempt_at) FROM notifications \
                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1",
                &[&now],
                WHAT,
            )? {
                Some(row) => column(&row, 0, "oldest due notification")?,
                None => None,
            };
            stats.oldest_due_age_seconds =
                oldest.map(|due| (now - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6);
            Ok(stats)
        })
    }

    fn add_silence(&self, silence: &NewSilence, now: DateTime<Utc>) -> Result<Silence, StoreError> {
        check_new_silence(silence, now)?;
        self.write(false, "cannot add a silence", |writer| {
            let row = writer
                .query_opt(
                    INSERT_SILENCE.as_str(),
                    &[
                        &silence.matcher.rule(),
                        &silence.matcher.zone().map(|zone| zone.as_str()),
                        &silence.author,
                        &silence.reason,
                        &now,
                        &silence.expires_at,
                    ],
                    "cannot add a silence",
                )?
                .ok_or_else(|| StoreError::Backend("a new silence cannot be read back".into()))?;
            silence_row(&row)
        })
    }

    fn revoke_silence(
        &self,
        id: i64,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Silence, StoreError> {
        self.write(false, "cannot revoke a silence", |writer| {
            // Locked, so that two revocations at once do not both succeed.
            writer.execute(
                "SELECT 1 FROM silences WHERE id = $1 FOR UPDATE",
                &[&id],
                "cannot lock a silence",
            )?;
            check_revocable(id, load_silence(writer, id)?.as_ref())?;
            writer.execute(
                "UPDATE silences SET revoked_by = $2, revoked_at = $3, revoke_reason = $4 \
                 WHERE id = $1",
                &[&id, &by, &now, &reason],
                "cannot revoke a silence",
            )?;
            load_silence(writer, id)?.ok_or_else(|| StoreError::NotFound(format!("silence {id}")))
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
        self.read("cannot list silences", |reader| {
            let rows = reader.query(ALL_SILENCES.as_str(), &[], "cannot list silences")?;
            rows.iter().map(silence_row).collect()
        })
    }

    fn active_silences(&self, now: DateTime<Utc>) -> Result<Vec<Silence>, StoreError> {
        let live = self.read("cannot list active silences", |reader| {
            let rows = reader.query(
                LIVE_SILENCES.as_str(),
                &[&now],
                "cannot list active silences",
            )?;
            rows.iter().map(silence_row).collect::<Result<Vec<_>, _>>()
        })?;
        Ok(live
            .into_iter()
            .filter(|silence| silence.is_active(now))
            .collect())
    }
}

/// Ids in increasing order (`RETURNING` gives them in no particular order).
fn sorted(mut ids: Vec<i64>) -> Result<Vec<i64>, StoreError> {
    ids.sort_unstable();
    Ok(ids)
}
