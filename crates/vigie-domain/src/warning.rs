//! Warning levels and what can happen to a warning episode: the words the engine, delivery
//! and the API share.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A warning level, in French first as committees use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningLevel {
    /// Vigilance: something is building up (CAP severity `Moderate`).
    Vigilance,
    /// Alerte: violence is likely to continue or spread (CAP severity `Severe`).
    Alerte,
    /// Urgence: mass violence is under way or imminent (CAP severity `Extreme`).
    Urgence,
}

impl WarningLevel {
    /// Every level, from the lowest.
    pub const ALL: [WarningLevel; 3] = [
        WarningLevel::Vigilance,
        WarningLevel::Alerte,
        WarningLevel::Urgence,
    ];

    /// The lowercase French name used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningLevel::Vigilance => "vigilance",
            WarningLevel::Alerte => "alerte",
            WarningLevel::Urgence => "urgence",
        }
    }

    /// Reads a level from its name (`vigilance`, `alerte`, `urgence`).
    ///
    /// ```
    /// use vigie_domain::WarningLevel;
    /// assert_eq!(WarningLevel::parse("alerte"), Some(WarningLevel::Alerte));
    /// assert_eq!(WarningLevel::parse("orange"), None);
    /// ```
    pub fn parse(name: &str) -> Option<WarningLevel> {
        WarningLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == name)
    }

    /// The CAP 1.2 `severity` this level maps to.
    ///
    /// ```
    /// use vigie_domain::WarningLevel;
    /// assert_eq!(WarningLevel::Alerte.cap_severity(), "Severe");
    /// ```
    pub fn cap_severity(self) -> &'static str {
        match self {
            WarningLevel::Vigilance => "Moderate",
            WarningLevel::Alerte => "Severe",
            WarningLevel::Urgence => "Extreme",
        }
    }

    /// 0 for vigilance, 1 for alerte, 2 for urgence: an index into per-level tables.
    pub fn rank(self) -> usize {
        self as usize
    }
}

impl fmt::Display for WarningLevel {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What happened to a warning episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// A warning opened.
    Opened,
    /// It rose to a higher level (at once, no hold).
    Escalated,
    /// It fell to a lower level after the hold.
    DeEscalated,
    /// It closed after the hold (or at the end of its corridor's season).
    Closed,
    /// Events that arrived late fall inside this episode: it is annotated, not rewritten.
    LateEvidence,
}

impl TransitionKind {
    /// Every kind.
    pub const ALL: [TransitionKind; 5] = [
        TransitionKind::Opened,
        TransitionKind::Escalated,
        TransitionKind::DeEscalated,
        TransitionKind::Closed,
        TransitionKind::LateEvidence,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Opened => "opened",
            TransitionKind::Escalated => "escalated",
            TransitionKind::DeEscalated => "de_escalated",
            TransitionKind::Closed => "closed",
            TransitionKind::LateEvidence => "late_evidence",
        }
    }

    /// Reads a kind from its snake_case name.
    pub fn parse(name: &str) -> Option<TransitionKind> {
        TransitionKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for TransitionKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for level in WarningLevel::ALL {
            assert_eq!(WarningLevel::parse(level.as_str()), Some(level));
        }
        for kind in TransitionKind::ALL {
            assert_eq!(TransitionKind::parse(kind.as_str()), Some(kind));
        }
        assert!(WarningLevel::Vigilance < WarningLevel::Urgence);
    }
}
