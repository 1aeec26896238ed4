//! What one grouped message says, as a neutral value: the channel adapters turn it into an
//! SMS text or an email (the binary maps it onto `vigie_notify::compose::WarningNotice`).

use serde::Serialize;
use vigie_domain::sms::Language;
use vigie_domain::{TransitionKind, WarningLevel, ZoneId};

use crate::routing::PlannedNotification;

/// One zone of a grouped message with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneLine {
    /// Display name.
    pub name: String,
    /// P-code or corridor id.
    pub pcode: ZoneId,
    /// Events counted in the window.
    pub events: u32,
    /// Fatalities counted in the window.
    pub fatalities: u32,
}

/// One message covering one or more notifications of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupedMessage {
    /// The highest level among the rows (for a closing, the level the warning had).
    pub level: WarningLevel,
    /// The transition the message leads with: the most pressing among the rows (escalated,
    /// then opened, de-escalated, closed, late evidence).
    pub transition: TransitionKind,
    /// How many rows of each kind the message covers, in the same order of importance.
    pub transitions: Vec<(TransitionKind, usize)>,
    /// The zones, most serious first (level, then fatalities, then events, then name); one
    /// line per zone even if several rules warned about it (the most serious row's figures).
    pub zones: Vec<ZoneLine>,
    /// The longest counting window among the rows, in days.
    pub window_days: u32,
    /// The recipient's language.
    pub language: Language,
    /// True when the storm guard merged several messages into this one: the channel ends it
    /// with [`crate::summary_line`] rather than listing everything.
    pub summary: bool,
    /// The idempotency keys of the rows it covers, to mark them sent together.
    pub keys: Vec<String>,
}

fn importance(kind: TransitionKind) -> u8 {
    match kind {
        TransitionKind::Escalated => 0,
        TransitionKind::Opened => 1,
        TransitionKind::DeEscalated => 2,
        TransitionKind::Closed => 3,
        TransitionKind::LateEvidence => 4,
    }
}

/// Builds the message for rows sent together (as chosen by [`crate::plan_group`], or
/// merged by the storm guard with `summary`). `None` for no rows.
///
/// The language is the first row's (rows of one group share a recipient).
pub fn grouped_message(rows: &[&PlannedNotification], summary: bool) -> Option<GroupedMessage> {
    let first = rows.first()?;
    let mut ordered: Vec<&PlannedNotification> = rows.to_vec();
    ordered.sort_by(|a, b| {
        let (a, b) = (&a.content, &b.content);
        b.shown_level()
            .cmp(&a.shown_level())
            .then(importance(a.kind).cmp(&importance(b.kind)))
            .then(b.fatalities.cmp(&a.fatalities))
            .then(b.events.cmp(&a.events))
            .then(a.zone_name.cmp(&b.zone_name))
            .then(a.zone_id.cmp(&b.zone_id))
    });
    let mut zones: Vec<ZoneLine> = Vec::new();
    for row in &ordered {
        if zones.iter().any(|line| line.pcode == row.content.zone_id) {
            continue;
        }
        zones.push(ZoneLine {
            name: row.content.zone_name.clone(),
            pcode: row.content.zone_id.clone(),
            events: row.content.events,
            fatalities: row.content.fatalities,
        });
    }
    let mut transitions: Vec<(TransitionKind, usize)> = Vec::new();
    for row in rows {
        match transitions
            .iter_mut()
            .find(|(kind, _)| *kind == row.content.kind)
        {
            Some((_, count)) => *count += 1,
            None => transitions.push((row.content.kind, 1)),
        }
    }
    transitions.sort_by_key(|(kind, _)| importance(*kind));
    Some(GroupedMessage {
        level: rows
            .iter()
            .map(|row| row.content.shown_level())
            .max()
            .unwrap_or(WarningLevel::Vigilance),
        transition: transitions[0].0,
        transitions,
        zones,
        window_days: rows
            .iter()
            .map(|row| row.content.window_days)
            .max()
            .unwrap_or(1),
        language: first.language,
        summary,
        keys: ordered.iter().map(|row| row.key.clone()).collect(),
    })
}
