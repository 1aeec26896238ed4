//! What every handler shares: the store, the geography, the phone protector and the settings.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigie_domain::sms::CommuneDirectory;
use vigie_domain::store::Store;
use vigie_domain::{PhoneProtector, ZoneSet};
use vigie_spatial::SpatialIndex;

use crate::config::IntakeConfig;
use crate::features::{ApiKeys, FeatureCatalog};

/// The time source: the system clock in production, a fixed or stepped one in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that always answers `instant`.
    pub fn fixed(instant: DateTime<Utc>) -> Clock {
        Clock(Arc::new(move || instant))
    }

    /// A clock answering whatever `now` answers.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Clock")
    }
}

/// The state handlers share; cheap to clone (everything heavy is behind an `Arc`).
#[derive(Clone)]
pub struct AppState {
    /// Where reports go. Synchronous: handlers call it on a blocking thread.
    pub store: Arc<dyn Store>,
    /// The reference geography the index and directory were built from.
    pub zones: Arc<ZoneSet>,
    /// Locates coordinates in communes and corridors.
    pub index: Arc<SpatialIndex>,
    /// Resolves commune names written in reports.
    pub directory: Arc<CommuneDirectory>,
    /// Turns phone numbers into their protected forms at the edge.
    pub protector: Arc<PhoneProtector>,
    /// Gateways and limits.
    pub config: IntakeConfig,
    /// The time source.
    pub clock: Clock,
    /// The research API's collections, with their prepared geometry.
    pub features: Arc<FeatureCatalog>,
    /// Resolves API keys; `None` until a key store is wired in, and then every keyed
    /// collection answers 401.
    pub api_keys: Option<Arc<dyn ApiKeys>>,
    /// The warning rules the engine runs, for the thresholds a zone's weekly series shows;
    /// `None`: no thresholds are shown.
    pub rules: Option<Arc<vigie_engine::RuleSet>>,
}

impl AppState {
    /// Assembles the state, building the commune directory and the feature catalog from
    /// `zones` (a second or so for Mali: do it once at start-up). `index` must be built from
    /// the same `zones`. No API key backend: see [`AppState::with_api_keys`].
    pub fn new(
        store: Arc<dyn Store>,
        zones: Arc<ZoneSet>,
        index: Arc<SpatialIndex>,
        protector: Arc<PhoneProtector>,
        config: IntakeConfig,
    ) -> AppState {
        let directory = Arc::new(CommuneDirectory::new(&zones));
        let features = Arc::new(FeatureCatalog::new(&zones, &directory));
        AppState {
            store,
            zones,
            index,
            directory,
            protector,
            config,
            clock: Clock::system(),
            features,
            api_keys: None,
            rules: None,
        }
    }

    /// The same state showing the thresholds of `rules` (the engine's rule set).
    pub fn with_rules(self, rules: Arc<vigie_engine::RuleSet>) -> AppState {
        AppState {
            rules: Some(rules),
            ..self
        }
    }

    /// The same state resolving API keys with `keys`.
    pub fn with_api_keys(self, keys: Arc<dyn ApiKeys>) -> AppState {
        AppState {
            api_keys: Some(keys),
            ..self
        }
    }

    /// The same state with another time source.
    pub fn with_clock(self, clock: Clock) -> AppState {
        AppState { clock, ..self }
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AppState")
            .field("store", &self.store.backend())
            .field("zones", &self.zones.name)
            .field("communes", &self.directory.communes().len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
