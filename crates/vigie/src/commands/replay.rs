//! `vigie replay`: the stored events of a period through the warning engine, as the
//! transitions it would have produced. Same events and rules, same bytes.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Duration, NaiveDate};
use clap::Args;
use vigie_domain::store::{EventQuery, Store, StoredEvent};
use vigie_engine::{Incident, RuleSet, Transition, TransitionKind, ZoneTable, replay};

use crate::context::Context;

/// Events read from the store per query.
const PAGE_SIZE: u64 = 50_000;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// First day evaluated.
    #[arg(long)]
    from: NaiveDate,
    /// Last day evaluated (inclusive).
    #[arg(long)]
    to: NaiveDate,
    /// Rules file (default: the rules shipped in config/rules.toml, built in).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// One JSON object per transition and line, instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Reads and validates the rules file, or the built-in defaults.
pub fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<RuleSet> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            RuleSet::from_toml(&text).with_context(|| format!("rules file {}", path.display()))
        }
        None => Ok(RuleSet::defaults()),
    }
}

/// Every stored event dated in `from..=to`, by store id, in pages.
pub fn read_events(
    store: &dyn Store,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<StoredEvent>> {
    let mut events = Vec::new();
    let mut after_id = None;
    loop {
        let page = store.events(&EventQuery {
            from: Some(from),
            to: Some(to),
            limit: Some(PAGE_SIZE),
            after_id,
            ..EventQuery::default()
        })?;
        let Some(last) = page.last() else { break };
        after_id = Some(last.id);
        let full = page.len() as u64 == PAGE_SIZE;
        events.extend(page);
        if !full {
            break;
        }
    }
    Ok(events)
}

pub fn run(args: ReplayArgs, context: &Context) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.from <= args.to,
        "--from {} is after --to {}",
        args.from,
        args.to
    );
    let rules = load_rules(args.rules.as_deref())?;
    let store = context.open_store()?;
    let zones = ZoneTable::from_zone_set(&context.geography.stored_zone_set(store.as_ref())?.zones);
    // The first days need the windows and baselines before them.
    let history_from = args.from - Duration::days(i64::from(rules.lookback_days()));
    let events = read_events(store.as_ref(), history_from, args.to)?;
    let transitions = replay(
        &rules,
        &zones,
        events.iter().filter_map(Incident::from_stored),
        args.from,
        args.to,
    );
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.json {
        for transition in &transitions {
            // Through io::Error, so that a closed pipe (`| head`) is recognised as one.
            serde_json::to_writer(&mut out, transition).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
    } else {
        write_summary(&mut out, &rules, &transitions, events.len(), &args)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_summary(
    out: &mut impl Write,
    rules: &RuleSet,
    transitions: &[Transition],
    events: usize,
    args: &ReplayArgs,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} → {}: {events} events read, {} transitions",
        args.from,
        args.to,
        transitions.len()
    )?;
    for rule in rules.rules() {
        let of_rule = || transitions.iter().filter(|t| t.rule == rule.id());
        let opened = of_rule()
            .filter(|t| t.transition == TransitionKind::Opened)
            .count();
        let late = of_rule().filter(|t| t.late).count();
        let inhibited = of_rule()
            .filter(|t| t.transition == TransitionKind::Opened && t.inhibited_by.is_some())
            .count();
        writeln!(
            out,
            "  {:<12} {opened:>5} warnings opened ({inhibited} inhibited by their cercle, {late} late)",
            rule.id()
        )?;
    }
    for transition in transitions.iter().filter(|t| {
        t.transition == TransitionKind::Opened || t.transition == TransitionKind::Escalated
    }) {
        writeln!(
            out,
            "  {} {:<12} {:<9} {:<8} {} ({}), {} events, {} dead",
            transition.at,
            transition.transition.as_str(),
            transition.level.map_or("", |level| level.as_str()),
            transition.zone.level.as_str(),
            transition.zone.name,
            transition.zone.id,
            transition.evidence.events,
            transition.evidence.fatalities
        )?;
    }
    Ok(())
}
