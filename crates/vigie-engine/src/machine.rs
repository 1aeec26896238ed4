//! The life cycle of the warnings of one (rule, zone): idle → open at a level → escalated at
//! once, de-escalated or closed only after the hold.

use crate::rules::WarningLevel;
use crate::series::Day;

/// What the machine did on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Opened(WarningLevel),
    Escalated {
        from: WarningLevel,
        to: WarningLevel,
    },
    DeEscalated {
        from: WarningLevel,
        to: WarningLevel,
    },
    Closed {
        from: WarningLevel,
        out_of_season: bool,
    },
}

/// The hold under way: since when the measures are below the open level, and the highest
/// level they have kept meanwhile (the level to fall back to when the hold ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hold {
    since: Day,
    highest: Option<WarningLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle {
        pending_since: Option<Day>,
    },
    Open {
        level: WarningLevel,
        hold: Option<Hold>,
    },
}

/// One state machine. `for_days` and `keep_for_days` come from the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Machine {
    phase: Phase,
}

impl Default for Machine {
    fn default() -> Self {
        Machine {
            phase: Phase::Idle {
                pending_since: None,
            },
        }
    }
}

impl Machine {
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle { .. })
    }

    /// An idle machine with an empty window: only forgets a pending opening.
    pub(crate) fn rest(&mut self) {
        if let Phase::Idle { pending_since } = &mut self.phase {
            *pending_since = None;
        }
    }

    /// Opens at `level` now, whatever the measures (late data: see the engine).
    pub(crate) fn force_open(&mut self, level: WarningLevel) {
        self.phase = Phase::Open { level, hold: None };
    }

    /// One day. `entered`: highest level whose enter condition holds; `held`: highest level
    /// whose exit condition holds; `active`: false outside a corridor's season.
    pub(crate) fn step(
        &mut self,
        day: Day,
        entered: Option<WarningLevel>,
        held: Option<WarningLevel>,
        active: bool,
        for_days: u32,
        keep_for_days: u32,
    ) -> Option<Change> {
        match &mut self.phase {
            Phase::Idle { pending_since } => {
                let (Some(level), true) = (entered, active) else {
                    *pending_since = None;
                    return None;
                };
                let since = *pending_since.get_or_insert(day);
                if day - since >= for_days as Day {
                    self.phase = Phase::Open { level, hold: None };
                    return Some(Change::Opened(level));
                }
                None
            }
            Phase::Open { level, hold } => {
                let from = *level;
                if !active {
                    self.phase = Phase::Idle {
                        pending_since: None,
                    };
                    return Some(Change::Closed {
                        from,
                        out_of_season: true,
                    });
                }
                if let Some(to) = entered
                    && to > from
                {
                    *level = to;
                    *hold = None;
                    return Some(Change::Escalated { from, to });
                }
                let kept = entered.max(held);
                if kept >= Some(from) {
                    *hold = None;
                    return None;
                }
                let current = hold.get_or_insert(Hold {
                    since: day,
                    highest: kept,
                });
                current.highest = current.highest.max(kept);
                if day - current.since < keep_for_days as Day {
                    return None;
                }
                match current.highest {
                    Some(to) => {
                        *level = to;
                        *hold = None;
                        Some(Change::DeEscalated { from, to })
                    }
                    None => {
                        self.phase = Phase::Idle {
                            pending_since: None,
                        };
                        Some(Change::Closed {
                            from,
                            out_of_season: false,
                        })
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WarningLevel::{Alerte, Urgence, Vigilance};

    /// Runs a machine over (entered, held) per day and returns the changes with their day.
    fn run(
        days: &[(Option<WarningLevel>, Option<WarningLevel>)],
        for_days: u32,
        keep_for_days: u32,
    ) -> Vec<(Day, Change)> {
        let mut machine = Machine::default();
        days.iter()
            .enumerate()
            .filter_map(|(day, (entered, held))| {
                machine
                    .step(day as Day, *entered, *held, true, for_days, keep_for_days)
                    .map(|change| (day as Day, change))
            })
            .collect()
    }

    #[test]
    fn escalation_is_immediate_and_de_escalation_waits_for_the_hold() {
        let mut days = vec![(None, None); 2];
        days.push((Some(Vigilance), Some(Vigilance)));
        days.push((Some(Urgence), Some(Urgence)));
        days.extend(vec![(Some(Alerte), Some(Alerte)); 5]);
        days.extend(vec![(None, None); 5]);
        let changes = run(&days, 0, 3);
        assert_eq!(
            changes,
            vec![
                (2, Change::Opened(Vigilance)),
                (
                    3,
                    Change::Escalated {
                        from: Vigilance,
                        to: Urgence
                    }
                ),
                // Below urgence from day 4: the hold of 3 days ends on day 7.
                (
                    7,
                    Change::DeEscalated {
                        from: Urgence,
                        to: Alerte
                    }
                ),
                // Nothing from day 9: closes on day 12.
                (
                    12,
                    Change::Closed {
                        from: Alerte,
                        out_of_season: false
                    }
                ),
            ]
        );
    }

    #[test]
    fn for_days_requires_persistence_before_opening() {
        let blip = [
            (Some(Alerte), None),
            (None, None),
            (Some(Alerte), None),
            (Some(Alerte), None),
            (Some(Alerte), None),
        ];
        assert_eq!(run(&blip, 2, 0), vec![(4, Change::Opened(Alerte))]);
        assert_eq!(run(&blip, 0, 0)[0], (0, Change::Opened(Alerte)));
    }

    #[test]
    fn a_series_hovering_at_the_threshold_does_not_flap() {
        // Enter reached every other day; exit (the lower threshold) holds throughout.
        let days: Vec<_> = (0..60)
            .map(|day| {
                if day % 2 == 0 {
                    (Some(Vigilance), Some(Vigilance))
                } else {
                    (None, Some(Vigilance))
                }
            })
            .collect();
        assert_eq!(run(&days, 0, 0), vec![(0, Change::Opened(Vigilance))]);
        // Without the exit threshold, the hold alone stops the flapping.
        let bare: Vec<_> = days
            .iter()
            .map(|(entered, _)| (*entered, *entered))
            .collect();
        assert_eq!(run(&bare, 0, 2), vec![(0, Change::Opened(Vigilance))]);
    }

    #[test]
    fn the_hold_falls_back_to_the_highest_level_kept_during_it() {
        let mut days = vec![(Some(Urgence), Some(Urgence))];
        days.push((None, Some(Alerte)));
        days.push((None, None));
        days.push((None, None));
        let changes = run(&days, 0, 2);
        assert_eq!(
            changes[1],
            (
                3,
                Change::DeEscalated {
                    from: Urgence,
                    to: Alerte
                }
            )
        );
    }

    #[test]
    fn leaving_the_season_closes_at_once() {
        let mut machine = Machine::default();
        machine.step(0, Some(Alerte), Some(Alerte), true, 0, 30);
        assert_eq!(
            machine.step(1, Some(Alerte), Some(Alerte), false, 0, 30),
            Some(Change::Closed {
                from: Alerte,
                out_of_season: true
            })
        );
        assert_eq!(
            machine.step(2, Some(Alerte), Some(Alerte), false, 0, 30),
            None
        );
    }
}
