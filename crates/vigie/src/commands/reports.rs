//! `vigie reports` and `vigie monitors`: the analysts' side of community reports.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use vigie_domain::store::ReportQuery;
use vigie_domain::{MonitorRole, PhoneProtector, Report, ReportReview, ReportStatus, ZoneId};

use crate::context::Context;
use crate::secrets::load_secret;

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// List reports, newest first.
    List {
        /// Only reports with this status: unverified, verified or rejected.
        #[arg(long)]
        status: Option<ReportStatus>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark a report verified (its event then counts as verified).
    Verify(ReviewArgs),
    /// Reject a report (it is kept, its event withdrawn).
    Reject(ReviewArgs),
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The report id (`R12` or `12`).
    id: String,
    /// Why: kept in the audit trail.
    #[arg(long)]
    reason: String,
    /// Who decides (default: the USER environment variable).
    #[arg(long)]
    analyst: Option<String>,
    /// Print the report as JSON afterwards.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MonitorsCommand {
    /// Register a community monitor. Their number is stored only as a keyed HMAC and an
    /// encrypted copy; only their pseudonym is printed.
    Add {
        /// The monitor's phone number, or `-` to read it from standard input (keeps it out of
        /// the shell history).
        #[arg(long)]
        phone: String,
        /// Their seat: women, youth or leader.
        #[arg(long)]
        role: MonitorRole,
        /// Their monitoring group.
        #[arg(long)]
        group: String,
        /// The commune they watch (P-code).
        #[arg(long)]
        commune: ZoneId,
    },
}

fn parse_report_id(text: &str) -> anyhow::Result<i64> {
    let digits = text.trim().trim_start_matches(['R', 'r']);
    digits
        .parse()
        .with_context(|| format!("{text:?} is not a report id (expected R12 or 12)"))
}

fn describe(report: &Report) -> String {
    let what = match &report.incident {
        Some(incident) => format!(
            "{} {} ({} dead) on {}",
            incident.commune, incident.event_type, incident.fatalities, incident.occurred_on
        ),
        None => format!(
            "not understood: {}",
            report
                .clarification
                .as_deref()
                .unwrap_or("no commune or incident")
        ),
    };
    format!(
        "R{}\t{}\t{}\t{}\t{}\t{}",
        report.id,
        report.received_at.format("%Y-%m-%d %H:%M"),
        report.status,
        report.channel.as_str(),
        report.reporter.as_deref().unwrap_or("-"),
        what
    )
}

pub fn run(command: ReportsCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let (args, status) = match command {
        ReportsCommand::List {
            status,
            limit,
            json,
        } => {
            let reports = store.reports(&ReportQuery {
                status,
                limit: Some(limit),
            })?;
            if json {
                say!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                for report in &reports {
                    say!("{}", describe(report));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        ReportsCommand::Verify(args) => (args, ReportStatus::Verified),
        ReportsCommand::Reject(args) => (args, ReportStatus::Rejected),
    };
    if args.reason.trim().is_empty() {
        bail!("--reason must say why (it is kept in the audit trail)");
    }
    let analyst = args
        .analyst
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let report = store.review_report(&ReportReview {
        report: parse_report_id(&args.id)?,
        status,
        analyst,
        reason: args.reason.trim().to_owned(),
        at: Utc::now(),
    })?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        say!("{}", describe(&report));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_monitors(command: MonitorsCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let MonitorsCommand::Add {
        phone,
        role,
        group,
        commune,
    } = command;
    let store = context.open_store()?;
    let geography = context.geography.stored_zone_set(store.as_ref())?.zones;
    if !geography.communes.iter().any(|zone| zone.id == commune) {
        bail!("{commune} is not a commune of the configured geography");
    }
    let phone = if phone == "-" {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else {
        phone
    };
    let protector = PhoneProtector::new(&load_secret(&context.config.privacy)?)
        .context("the deployment secret")?;
    let new_reporter = protector
        .new_reporter(&phone, true, Some(role), Some(group), Some(commune))
        .context("the phone number")?;
    let reporter = store.register_reporter(&new_reporter)?;
    say!(
        "registered monitor {} ({}, group {}, commune {})",
        reporter.pseudonym,
        role.as_str(),
        reporter.group.as_deref().unwrap_or("-"),
        reporter.commune.as_ref().map_or("-", ZoneId::as_str)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_ids_are_read_with_or_without_the_r() {
        assert_eq!(parse_report_id("R12").unwrap(), 12);
        assert_eq!(parse_report_id("12").unwrap(), 12);
        assert!(parse_report_id("twelve").is_err());
    }
}
