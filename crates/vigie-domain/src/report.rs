//! Community monitors and their reports.
//!
//! A monitor's phone number is personal data whose exposure can get them killed. It never
//! appears in these types in clear: a reporter is known by a keyed HMAC of the number (for
//! lookup) and an authenticated encryption of it (for the few who may call back), both made by
//! [`crate::PhoneProtector`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{EventLocation, EventType, ZoneId};

/// How a report reached Vigie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportChannel {
    /// Twilio inbound SMS webhook.
    Twilio,
    /// Africa's Talking inbound SMS callback.
    AfricasTalking,
    /// An SMSSync-style Android gateway.
    SmsSync,
    /// The JSON web form (`POST /api/reports`).
    Web,
}

impl ReportChannel {
    /// The lowercase name used in storage and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportChannel::Twilio => "twilio",
            ReportChannel::AfricasTalking => "africastalking",
            ReportChannel::SmsSync => "smssync",
            ReportChannel::Web => "web",
        }
    }
}

impl FromStr for ReportChannel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "twilio" => Ok(ReportChannel::Twilio),
            "africastalking" => Ok(ReportChannel::AfricasTalking),
            "smssync" => Ok(ReportChannel::SmsSync),
            "web" => Ok(ReportChannel::Web),
            other => Err(format!("unknown report channel {other:?}")),
        }
    }
}

/// Where a report stands with the analysts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// From an unknown sender, not yet checked.
    Unverified,
    /// From a registered monitor, or confirmed by an analyst.
    Verified,
    /// Judged false or unusable by an analyst (kept, with the reason, never deleted).
    Rejected,
}

impl ReportStatus {
    /// The lowercase name used in storage and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Unverified => "unverified",
            ReportStatus::Verified => "verified",
            ReportStatus::Rejected => "rejected",
        }
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for ReportStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "unverified" => Ok(ReportStatus::Unverified),
            "verified" => Ok(ReportStatus::Verified),
            "rejected" => Ok(ReportStatus::Rejected),
            other => Err(format!("unknown report status {other:?}")),
        }
    }
}

/// The seat a monitor holds in their monitoring group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorRole {
    /// The women's representative.
    Women,
    /// The youth representative.
    Youth,
    /// The local leader.
    Leader,
}

impl MonitorRole {
    /// The lowercase name used in storage and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorRole::Women => "women",
            MonitorRole::Youth => "youth",
            MonitorRole::Leader => "leader",
        }
    }
}

impl FromStr for MonitorRole {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "women" => Ok(MonitorRole::Women),
            "youth" => Ok(MonitorRole::Youth),
            "leader" => Ok(MonitorRole::Leader),
            other => Err(format!(
                "unknown monitor role {other:?} (expected women, youth or leader)"
            )),
        }
    }
}

/// A sender as the store knows them: never their number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    /// Store id.
    pub id: i64,
    /// Short public handle derived from the HMAC (e.g. `R-3fa9c2d1`), safe to show analysts.
    pub pseudonym: String,
    /// True for registered monitors: their reports count as verified.
    pub trusted: bool,
    /// Their seat in the monitoring group, for monitors.
    pub role: Option<MonitorRole>,
    /// Their monitoring group, for monitors.
    pub group: Option<String>,
    /// The commune they watch, for monitors.
    pub commune: Option<ZoneId>,
    /// When they were first seen or registered.
    pub created_at: DateTime<Utc>,
}

/// A sender to record: the protected forms of the number, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReporter {
    /// Keyed HMAC-SHA256 of the normalised number (32 bytes).
    pub phone_hmac: Vec<u8>,
    /// Authenticated encryption of the normalised number.
    pub phone_sealed: Vec<u8>,
    /// Registered monitor?
    pub trusted: bool,
    /// Seat in the group.
    pub role: Option<MonitorRole>,
    /// Monitoring group.
    pub group: Option<String>,
    /// Commune watched.
    pub commune: Option<ZoneId>,
}

/// What a report says, once its text (or form) is understood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedIncident {
    /// The commune the report names.
    pub commune: ZoneId,
    /// The incident, in ACLED's taxonomy.
    pub event_type: EventType,
    /// ACLED sub-event type, when the words imply one.
    pub sub_event_type: Option<String>,
    /// Deaths reported (0 when none were mentioned).
    pub fatalities: u32,
    /// Injured reported, when mentioned.
    pub injured: Option<u32>,
    /// The day it happened (the day it was received when the report does not say).
    pub occurred_on: NaiveDate,
}

/// A report to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// How it arrived.
    pub channel: ReportChannel,
    /// The provider's message id (Twilio `MessageSid`, Africa's Talking `id`…); the web form
    /// uses a client-supplied or generated id. Reports are unique on (channel, this id):
    /// providers retry webhooks.
    pub provider_message_id: String,
    /// The sender, when known (web reports may be anonymous).
    pub reporter: Option<NewReporter>,
    /// When Vigie received it.
    pub received_at: DateTime<Utc>,
    /// The text as sent (kept for analysts; never public).
    pub text: String,
    /// `fr` or `en`, the language the reply goes out in.
    pub language: String,
    /// What it reports, when understood.
    pub incident: Option<ReportedIncident>,
    /// Why it was not understood (the question sent back), when it was not.
    pub clarification: Option<String>,
    /// Exact coordinates, when the web form gave them.
    pub coordinates: Option<(f64, f64)>,
    /// Where it was placed (from the coordinates, or the named commune).
    pub location: Option<EventLocation>,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Store id (shown to analysts and in replies as `R<id>`).
    pub id: i64,
    /// How it arrived.
    pub channel: ReportChannel,
    /// The sender's pseudonym, when known.
    pub reporter: Option<String>,
    /// Verification state.
    pub status: ReportStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Text as sent.
    pub text: String,
    /// Reply language.
    pub language: String,
    /// What it reports, when understood.
    pub incident: Option<ReportedIncident>,
    /// The clarification asked, when not understood.
    pub clarification: Option<String>,
    /// Exact coordinates, when given.
    pub coordinates: Option<(f64, f64)>,
    /// Its place in the geography.
    pub location: Option<EventLocation>,
}

/// The result of recording a report.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordedReport {
    /// New: stored with this id and status.
    Created {
        /// Store id.
        id: i64,
        /// Verified for monitors, unverified otherwise.
        status: ReportStatus,
    },
    /// A provider retry of a message already recorded: nothing changed.
    Duplicate {
        /// The id recorded the first time.
        id: i64,
    },
}

/// An analyst's decision on a report, kept in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportReview {
    /// Report id.
    pub report: i64,
    /// New status (verified or rejected).
    pub status: ReportStatus,
    /// Who decided (analyst name or key name).
    pub analyst: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}
