//! The nouns Vigie reasons with, and nothing else.
//!
//! Zones (communes, cercles, regions) and transhumance corridors, the seasons corridors are
//! active in, and the answer to "where is this point?"; conflict events in ACLED's taxonomy
//! and the rule for re-imported records; community reports and their reporters; warning
//! transitions, the notification outbox and silences as delivery stores them; API roles and
//! keys; the live stream's log; and the storage ports ([`store::Store`],
//! [`store::DeliveryStore`]) the adapters implement. Every other crate speaks these types.
//!
//! This crate must never do IO, spawn threads or depend on an async runtime: it is the part of
//! the product that decides, and it stays testable with plain values.

mod access;
mod corridor;
mod delivery;
mod error;
mod event;
mod fields;
mod location;
mod names;
mod privacy;
mod report;
pub mod sms;
pub mod store;
mod stream;
mod warning;
mod zone;
mod zone_set;

pub use access::{
    API_KEY_PREFIX, API_KEY_RANDOM_BYTES, ApiKey, ApiRole, NewApiKey, api_key_display_prefix,
    api_key_from_bytes, api_key_sha256, is_api_key,
};
pub use corridor::{Corridor, MonthDay, Season};
pub use delivery::{
    Channel, InitialStatus, NewNotification, NewSilence, Notification, NotificationQuery,
    NotificationStatus, OpenEpisode, OutboxStats, ReceiptStatus, RecordOutcome, Silence,
    SilenceMatcher, StoredWarning, SuppressionReason, WarningQuery, WarningRecord,
};
pub use error::DomainError;
pub use event::{
    Deletion, Event, EventFlag, EventLocation, EventSource, EventType, ImportCounts, LocatedEvent,
    QuarantineRecord, StoredVersion, UpsertDecision, decide_upsert, map_legacy_event_type,
};
pub use fields::SourceFields;
pub use location::{CorridorHit, LocateStatus};
pub use names::fold_name;
pub use privacy::{PhoneError, PhoneProtector, ProtectorError, normalize_phone};
pub use report::{
    MonitorRole, NewReport, NewReporter, RecordedReport, Report, ReportChannel, ReportReview,
    ReportStatus, ReportedIncident, Reporter,
};
pub use stream::{StreamEntry, StreamKind, id_ranges};
pub use warning::{TransitionKind, WarningLevel};
pub use zone::{Zone, ZoneId, ZoneLevel, ZoneRef};
pub use zone_set::ZoneSet;
