//! `vigie warn`, `vigie dispatch`, `vigie outbox`, `vigie silences` and `vigie notify`: the
//! warnings recorded with their notifications, and the outbox sent to committees.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use vigie_domain::{NewSilence, NotificationQuery, NotificationStatus, SilenceMatcher, ZoneId};
use vigie_notify::compose::{EmailContent, html_escape};
use vigie_notify::{EmailMessage, IdempotencyKey, SmsMessage};

use crate::channels::Channels;
use crate::context::Context;
use crate::delivery::{Dispatcher, Pipeline, Round, evaluate};
use vigie_delivery::{
    Channel, CommitteeEdit, CommitteeKind, NewCommittee, NewMember, ZoneHierarchy, edit_committees,
};
use vigie_domain::WarningLevel;
use vigie_domain::sms::Language;

#[derive(Debug, Args)]
pub struct WarnArgs {
    /// Evaluate up to this day (default: today, UTC).
    #[arg(long)]
    until: Option<NaiveDate>,
    /// Print what was recorded as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the engine over the stored events and records new transitions and notifications.
pub fn warn(args: WarnArgs, context: &Context) -> anyhow::Result<ExitCode> {
    let pipeline = Pipeline::load(context)?;
    let store = context.open_store()?;
    let until = args.until.unwrap_or_else(|| Utc::now().date_naive());
    let evaluation = evaluate(store.as_ref(), &pipeline, until, Utc::now())?;
    if args.json {
        say!("{}", serde_json::to_string(&evaluation)?);
    } else {
        say!(
            "{} → {}: {} transitions ({} new), {} news, {} notifications recorded{}",
            evaluation.from,
            evaluation.until,
            evaluation.transitions,
            evaluation.new_warnings,
            evaluation.fresh_transitions,
            evaluation.new_notifications,
            if pipeline.committees.is_none() {
                " (no committees file: nobody to notify)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// Stop once nothing is waiting in the outbox (pending, failed or being sent) instead of
    /// running until interrupted.
    #[arg(long)]
    until_idle: bool,
    /// Stop after this many seconds in any case.
    #[arg(long)]
    max_seconds: Option<u64>,
    /// Print the totals as JSON when stopping.
    #[arg(long)]
    json: bool,
}

/// Sends the outbox until idle, interrupted, or out of time.
pub fn dispatch(args: DispatchArgs, context: &Context) -> anyhow::Result<ExitCode> {
    let pipeline = Pipeline::load(context)?;
    let Some(committees) = &pipeline.committees else {
        bail!("no committees file ([delivery] committees in the configuration): nobody to send to");
    };
    let store = context.open_store()?;
    let channels = Channels::from_config(&context.config.delivery)?;
    let dispatcher = Dispatcher::new(
        store.as_ref(),
        committees.clone(),
        channels,
        &context.config.delivery,
    );
    let poll = Duration::from_millis(context.config.delivery.poll_interval_ms);
    let started = Instant::now();
    let mut total = Round::default();
    loop {
        let round = dispatcher.round(Utc::now())?;
        total.claimed += round.claimed;
        total.messages += round.messages;
        total.sent += round.sent;
        total.failed += round.failed;
        total.deferred += round.deferred;
        if args
            .max_seconds
            .is_some_and(|limit| started.elapsed() >= Duration::from_secs(limit))
        {
            break;
        }
        if round.claimed == 0 {
            if args.until_idle {
                let stats = store.outbox_stats(Utc::now())?;
                if stats.waiting() == 0 {
                    break;
                }
            }
            std::thread::sleep(poll);
        }
    }
    if args.json {
        say!("{}", serde_json::to_string(&total)?);
    } else {
        say!(
            "{} messages sent for {} notifications; {} failed attempts; {} deferred",
            total.messages,
            total.sent,
            total.failed,
            total.deferred
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// The outbox's rows: status, attempts, channel, recipient (a member id, never an
    /// address), last error.
    List {
        /// Only rows in this status (pending, sending, sent, delivered, failed, dead,
        /// suppressed).
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// As a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Counts by status and the age of the oldest due row.
    Stats {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn outbox(command: OutboxCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    match command {
        OutboxCommand::List {
            status,
            limit,
            json,
        } => {
            let status = status
                .map(|name| {
                    NotificationStatus::parse(&name)
                        .with_context(|| format!("--status {name:?} is not a notification status"))
                })
                .transpose()?;
            let rows = store.notifications(&NotificationQuery {
                status,
                limit: Some(limit),
                ..NotificationQuery::default()
            })?;
            if json {
                let listed: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|row| {
                        json!({
                            "id": row.id,
                            "status": row.status.as_str(),
                            "suppression": row.suppression.map(|reason| reason.as_str()),
                            "attempts": row.attempts,
                            "channel": row.channel.as_str(),
                            "recipient": row.recipient,
                            "committee": row.committee,
                            "zone": row.zone,
                            "level": row.level.as_str(),
                            "idempotency_key": row.idempotency_key,
                            "next_attempt_at": row.next_attempt_at,
                            "provider": row.provider,
                            "provider_message_id": row.provider_message_id,
                            "group_id": row.group_id,
                            "last_error": row.last_error,
                            "created_at": row.created_at,
                            "sent_at": row.sent_at,
                        })
                    })
                    .collect();
                say!("{}", serde_json::to_string(&listed)?);
            } else {
                for row in rows {
                    say!(
                        "{:>6} {:<10} {:<5} {:<16} {:<10} attempts {} {}",
                        row.id,
                        row.status.as_str(),
                        row.channel.as_str(),
                        row.recipient,
                        row.zone,
                        row.attempts,
                        row.last_error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        OutboxCommand::Stats { json } => {
            let stats = store.outbox_stats(Utc::now())?;
            if json {
                let by_status: serde_json::Map<String, serde_json::Value> = stats
                    .by_status
                    .iter()
                    .map(|(status, count)| (status.as_str().to_owned(), json!(count)))
                    .collect();
                say!(
                    "{}",
                    json!({"by_status": by_status, "oldest_due_age_seconds": stats.oldest_due_age_seconds})
                );
            } else {
                for (status, count) in &stats.by_status {
                    say!("{:<10} {count}", status.as_str());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum SilencesCommand {
    /// Mute the warnings of a zone (and everything inside it), of a rule, or of a rule in a
    /// zone, until an expiry. Audited: who, why, when.
    Add {
        /// The zone's P-code or corridor id.
        #[arg(long)]
        zone: Option<String>,
        /// The rule's id.
        #[arg(long)]
        rule: Option<String>,
        /// Why (kept).
        #[arg(long)]
        reason: String,
        /// Who decides (default: the USER environment variable).
        #[arg(long)]
        author: Option<String>,
        /// For how many hours.
        #[arg(long)]
        hours: u32,
    },
    /// Silences not yet expired nor revoked (`--all` for every one ever made).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Lift a silence before its expiry.
    Revoke {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        by: Option<String>,
    },
}

fn person(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn silences(command: SilencesCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let now = Utc::now();
    match command {
        SilencesCommand::Add {
            zone,
            rule,
            reason,
            author,
            hours,
        } => {
            let zone = zone
                .map(|id| ZoneId::new(&id).with_context(|| format!("--zone {id:?}")))
                .transpose()?;
            let Some(matcher) = SilenceMatcher::from_parts(rule, zone) else {
                bail!("a silence needs --zone, --rule, or both");
            };
            if reason.trim().is_empty() || hours == 0 {
                bail!("a silence needs a --reason and at least one hour");
            }
            let silence = store.add_silence(
                &NewSilence {
                    matcher,
                    author: person(author),
                    reason,
                    expires_at: now + chrono::Duration::hours(i64::from(hours)),
                },
                now,
            )?;
            say!("{}", serde_json::to_string(&silence)?);
        }
        SilencesCommand::List { all, json } => {
            let listed = store.silences(all, now)?;
            if json {
                say!("{}", serde_json::to_string(&listed)?);
            } else {
                for silence in listed {
                    say!(
                        "{:>4} {:?} until {} by {}: {}",
                        silence.id,
                        silence.matcher,
                        silence.expires_at,
                        silence.author,
                        silence.reason
                    );
                }
            }
        }
        SilencesCommand::Revoke { id, reason, by } => {
            let silence = store.revoke_silence(id, &person(by), &reason, now)?;
            say!("{}", serde_json::to_string(&silence)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message through every channel of every member of a committee, now,
    /// bypassing the outbox, and print what each gateway answered.
    Test {
        /// The committee's id (from the committees file).
        #[arg(long)]
        committee: String,
    },
}

/// A CAP 1.2 message with status `Test` addressed to the committee: what its members' systems
/// would receive, marked as an exercise nobody must act on.
fn test_alert(
    committee: &vigie_delivery::Committee,
    id: &str,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<String> {
    use vigie_notify::cap::{
        CapAlert, CapArea, CapCertainty, CapGeocode, CapInfo, CapMessageType, CapScope,
        CapSeverity, CapStatus, CapUrgency,
    };
    let alert = CapAlert {
        identifier: format!("urn:vigie:test:{id}:{}", now.format("%Y%m%dT%H%M%S")),
        sender: vigie_notify::cap::DEFAULT_CAP_SENDER.to_owned(),
        sent: now,
        status: CapStatus::Test,
        message_type: CapMessageType::Alert,
        scope: CapScope::Restricted {
            restriction: format!("{} : essai de la chaîne d'alerte", committee.name),
        },
        note: Some("Message d'essai : aucune action requise.".to_owned()),
        references: Vec::new(),
        infos: vec![CapInfo {
            language: Language::French,
            event: "Essai".to_owned(),
            urgency: CapUrgency::Unknown,
            severity: CapSeverity::Minor,
            certainty: CapCertainty::Unknown,
            effective: None,
            expires: Some(now + chrono::Duration::hours(1)),
            sender_name: Some("Vigie".to_owned()),
            headline: Some(format!("VIGIE TEST {}", committee.name)),
            description: Some("Message d'essai de la chaîne d'alerte.".to_owned()),
            instruction: Some("Aucune action requise.".to_owned()),
            web: None,
            areas: vec![CapArea {
                area_desc: committee.name.clone(),
                polygons: Vec::new(),
                circles: Vec::new(),
                geocodes: committee
                    .zones
                    .iter()
                    .map(|zone| CapGeocode::pcode(zone.to_string()))
                    .collect(),
            }],
        }],
    };
    alert.to_xml().context("the committee's CAP test message")
}

pub fn notify(command: NotifyCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let NotifyCommand::Test { committee } = command;
    let pipeline = Pipeline::load(context)?;
    let Some(committees) = &pipeline.committees else {
        bail!("no committees file ([delivery] committees in the configuration)");
    };
    let Some(found) = committees.get(&committee) else {
        bail!("no committee {committee:?} in the committees file");
    };
    let channels = Channels::from_config(&context.config.delivery)?;
    let now = Utc::now();
    let stamp = now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let cap = test_alert(found, &committee, now)?;
    let mut failures = 0;
    for member in &found.members {
        for &channel in &member.channels {
            let Some(address) = member.address(channel) else {
                continue;
            };
            let key = IdempotencyKey::new(format!(
                "test|{committee}|{}|{}|{stamp}",
                member.id,
                channel.as_str()
            ))?;
            let text = format!(
                "VIGIE TEST {}: message d'essai, aucune action requise.",
                found.name
            );
            let result = match channel {
                Channel::Sms => match &channels.sms {
                    Some(gateway) => gateway
                        .send(&SmsMessage {
                            to: address.to_owned(),
                            text: text.clone(),
                            idempotency_key: key,
                        })
                        .map_err(|error| error.to_string()),
                    None => Err("no SMS gateway configured".to_owned()),
                },
                Channel::Email => match &channels.email {
                    Some(server) => server
                        .send(&EmailMessage {
                            to: address.to_owned(),
                            content: EmailContent {
                                subject: format!("[VIGIE TEST] {}", found.name),
                                html: format!(
                                    "<p>{}</p><pre>{}</pre>",
                                    html_escape(&text),
                                    html_escape(&cap)
                                ),
                                text: format!("{text}\n\nMessage CAP 1.2 (Test):\n\n{cap}"),
                            },
                            idempotency_key: key,
                        })
                        .map_err(|error| error.to_string()),
                    None => Err("no email server configured".to_owned()),
                },
            };
            match result {
                Ok(id) => say!("{} {}: sent ({id})", member.id, channel.as_str()),
                Err(error) => {
                    failures += 1;
                    say!("{} {}: FAILED: {error}", member.id, channel.as_str());
                }
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Debug, Subcommand)]
pub enum CommitteesCommand {
    /// Check the committees file (`[delivery] committees`) against the geography and list
    /// what it defines: committees, zones, levels, members and their channels — never a
    /// phone number or an address.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a committee with its first member. A running `vigie serve` picks the change up
    /// within seconds.
    Add {
        /// Its id (lowercase letters, digits, '-', '_', '.').
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// regional, cercle or communal.
        #[arg(long, value_parser = from_name::<CommitteeKind>)]
        kind: CommitteeKind,
        /// A P-code or corridor id it covers (repeat for several).
        #[arg(long, required = true)]
        zone: Vec<String>,
        /// vigilance, alerte or urgence.
        #[arg(long, value_parser = from_name::<WarningLevel>)]
        min_level: Option<WarningLevel>,
        /// fr or en.
        #[arg(long, value_parser = from_name::<Language>)]
        language: Option<Language>,
        /// "22:00-06:00": messages below urgence wait for its end.
        #[arg(long)]
        quiet_hours: Option<String>,
        #[command(flatten)]
        member: MemberArgs,
    },
    /// Remove a committee and its members.
    Remove {
        #[arg(long)]
        committee: String,
    },
    /// Replace the zones a committee covers.
    SetZones {
        #[arg(long)]
        committee: String,
        #[arg(long, required = true)]
        zone: Vec<String>,
    },
    /// Add a member to a committee.
    AddMember {
        #[arg(long)]
        committee: String,
        #[command(flatten)]
        member: MemberArgs,
    },
    /// Remove a member from one committee.
    RemoveMember {
        #[arg(long)]
        committee: String,
        #[arg(long)]
        member: String,
    },
}

#[derive(Debug, Args)]
pub struct MemberArgs {
    /// The member's id (the same on every committee the person sits on).
    #[arg(long)]
    member_id: String,
    #[arg(long)]
    member_name: String,
    /// International number (+223…), needed for SMS.
    #[arg(long)]
    phone: Option<String>,
    /// Needed for email.
    #[arg(long)]
    email: Option<String>,
    /// sms or email (repeat for both).
    #[arg(long = "channel", required = true, value_parser = from_name::<Channel>)]
    channels: Vec<Channel>,
    /// fr or en, when it differs from the committee's.
    #[arg(long, value_parser = from_name::<Language>)]
    member_language: Option<Language>,
}

impl MemberArgs {
    fn into_member(self) -> NewMember {
        NewMember {
            id: self.member_id,
            name: self.member_name,
            phone: self.phone,
            email: self.email,
            channels: self.channels,
            language: self.member_language,
        }
    }
}

/// Parses a name the way the committees file spells it.
fn from_name<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("\"{text}\" is not one of the accepted names"))
}

/// Lists the committees, or edits the committees file: the edit is validated against the
/// geography and the rest of the file before the file is replaced (atomically).
pub fn committees(command: CommitteesCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let (edit, done) = match command {
        CommitteesCommand::List { json: as_json } => return list_committees(context, as_json),
        CommitteesCommand::Add {
            id,
            name,
            kind,
            zone: zones,
            min_level,
            language,
            quiet_hours,
            member,
        } => (
            CommitteeEdit::AddCommittee(NewCommittee {
                id: id.clone(),
                name,
                kind,
                zones,
                min_level,
                language,
                quiet_hours,
                members: vec![member.into_member()],
            }),
            format!("committee {id} added"),
        ),
        CommitteesCommand::Remove { committee } => (
            CommitteeEdit::RemoveCommittee {
                committee: committee.clone(),
            },
            format!("committee {committee} removed with its members"),
        ),
        CommitteesCommand::SetZones {
            committee,
            zone: zones,
        } => (
            CommitteeEdit::SetZones {
                committee: committee.clone(),
                zones: zones.clone(),
            },
            format!("committee {committee} now covers {}", zones.join(", ")),
        ),
        CommitteesCommand::AddMember { committee, member } => {
            let member = member.into_member();
            let done = format!("member {} added to {committee}", member.id);
            (CommitteeEdit::AddMember { committee, member }, done)
        }
        CommitteesCommand::RemoveMember { committee, member } => (
            CommitteeEdit::RemoveMember {
                committee: committee.clone(),
                member: member.clone(),
            },
            format!("member {member} removed from {committee}"),
        ),
    };
    let Some(path) = &context.config.delivery.committees else {
        bail!("no committees file ([delivery] committees in the configuration)");
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read committees file {}", path.display()))?;
    let hierarchy = ZoneHierarchy::from_zone_set(&context.geography.zone_set()?);
    let (edited, _) = edit_committees(&text, &edit, &hierarchy)
        .with_context(|| format!("committees file {} left unchanged", path.display()))?;
    write_atomically(path, &edited)?;
    tracing::info!(path = %path.display(), "{done}");
    say!("{done} ({})", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes beside the file then renames over it, so a crash or a full disk leaves the old
/// file or the new one, never half of one, and `serve` never reads a partial file.
fn write_atomically(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(directory)
        .with_context(|| format!("cannot write in {}", directory.display()))?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(temporary.path(), metadata.permissions())?;
    }
    temporary
        .persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

fn list_committees(context: &Context, as_json: bool) -> anyhow::Result<ExitCode> {
    let pipeline = Pipeline::load(context)?;
    let Some(committees) = &pipeline.committees else {
        bail!("no committees file ([delivery] committees in the configuration)");
    };
    let listed: Vec<serde_json::Value> = committees
        .committees()
        .iter()
        .map(|committee| {
            json!({
                "id": committee.id,
                "name": committee.name,
                "kind": committee.kind.as_str(),
                "zones": committee.zones.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "min_level": committee.min_level.as_str(),
                "quiet_hours": committee.quiet_hours.map(|hours| hours.to_string()),
                "members": committee.members.iter().map(|member| json!({
                    "id": member.id,
                    "channels": member.channels.iter().map(|channel| channel.as_str()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    if as_json {
        say!("{}", serde_json::to_string(&listed)?);
    } else {
        for committee in committees.committees() {
            say!(
                "{:<16} {:<9} {:<9} zones {:<24} {} members",
                committee.id,
                committee.kind.as_str(),
                committee.min_level.as_str(),
                committee
                    .zones
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                committee.members.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
