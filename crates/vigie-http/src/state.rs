//! What every handler shares: the store, the geography, the phone protector and the settings.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, PoisonError, RwLock};

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

/// The reference geography as handlers see it: the zone set and what is built from it,
/// built together and replaced together (see [`SharedGeography`]).
pub struct Geography {
    /// The store's version of the zone set, when it came from the store.
    pub version: Option<i64>,
    /// The zone set the index, directory and catalog were built from.
    pub zones: Arc<ZoneSet>,
    /// Locates coordinates in communes and corridors.
    pub index: Arc<SpatialIndex>,
    /// Resolves commune names written in reports.
    pub directory: Arc<CommuneDirectory>,
    /// The research API's collections, with their prepared geometry.
    pub features: Arc<FeatureCatalog>,
}

impl Geography {
    /// Builds the commune directory and the feature catalog from `zones` (a second or so for
    /// Mali: call it on a blocking thread). `index` must be built from the same `zones`.
    pub fn build(zones: Arc<ZoneSet>, index: Arc<SpatialIndex>, version: Option<i64>) -> Geography {
        let directory = Arc::new(CommuneDirectory::new(&zones));
        let features = Arc::new(FeatureCatalog::new(&zones, &directory));
        Geography {
            version,
            zones,
            index,
            directory,
            features,
        }
    }
}

impl fmt::Debug for Geography {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Geography")
            .field("version", &self.version)
            .field("zones", &self.zones.name)
            .field("communes", &self.directory.communes().len())
            .finish_non_exhaustive()
    }
}

/// The geography every handler reads, replaced whole when a new zone set is published (no
/// restart). A request takes the current one once ([`SharedGeography::current`]) and keeps
/// it to the end, so it never mixes an old index with a new directory.
#[derive(Clone, Debug)]
pub struct SharedGeography(Arc<RwLock<Arc<Geography>>>);

impl SharedGeography {
    /// Shares `geography`.
    pub fn new(geography: Geography) -> SharedGeography {
        SharedGeography(Arc::new(RwLock::new(Arc::new(geography))))
    }

    /// The current geography (a pointer copy under a lock held for no longer).
    pub fn current(&self) -> Arc<Geography> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `geography` in place of the current one: requests already running keep the one
    /// they took.
    pub fn replace(&self, geography: Geography) {
        let geography = Arc::new(geography);
        let previous = std::mem::replace(
            &mut *self.0.write().unwrap_or_else(PoisonError::into_inner),
            geography,
        );
        // The old catalog may be the last reference: free it outside the lock.
        drop(previous);
    }

    /// The store version of the current geography.
    pub fn version(&self) -> Option<i64> {
        self.current().version
    }
}

/// The state handlers share; cheap to clone (everything heavy is behind an `Arc`).
#[derive(Clone)]
pub struct AppState {
    /// Where reports go. Synchronous: handlers call it on a blocking thread.
    pub store: Arc<dyn Store>,
    /// The zones, index, commune directory and feature catalog, swappable as a whole.
    pub geography: SharedGeography,
    /// Turns phone numbers into their protected forms at the edge.
    pub protector: Arc<PhoneProtector>,
    /// Gateways and limits.
    pub config: IntakeConfig,
    /// The time source.
    pub clock: Clock,
    /// Resolves API keys; `None` until a key store is wired in, and then every keyed
    /// collection answers 401.
    pub api_keys: Option<Arc<dyn ApiKeys>>,
    /// The warning rules the engine runs, for the thresholds a zone's weekly series shows;
    /// `None`: no thresholds are shown.
    pub rules: Option<Arc<vigie_engine::RuleSet>>,
    /// Whether this replica runs the engine and dispatcher, when the server says
    /// (`vigie_leader` in `/metrics`, `leader` in `/healthz`).
    pub leader: Option<Arc<AtomicBool>>,
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
        AppState::with_geography(
            store,
            SharedGeography::new(Geography::build(zones, index, None)),
            protector,
            config,
        )
    }

    /// Assembles the state around a shared geography (which its owner may replace).
    pub fn with_geography(
        store: Arc<dyn Store>,
        geography: SharedGeography,
        protector: Arc<PhoneProtector>,
        config: IntakeConfig,
    ) -> AppState {
        AppState {
            store,
            geography,
            protector,
            config,
            clock: Clock::system(),
            api_keys: None,
            rules: None,
            leader: None,
        }
    }

    /// The same state showing the thresholds of `rules` (the engine's rule set).
    pub fn with_rules(self, rules: Arc<vigie_engine::RuleSet>) -> AppState {
        AppState {
            rules: Some(rules),
            ..self
        }
    }

    /// The current geography: take it once per request.
    pub fn geography(&self) -> Arc<Geography> {
        self.geography.current()
    }

    /// The same state resolving API keys with `keys`.
    pub fn with_api_keys(self, keys: Arc<dyn ApiKeys>) -> AppState {
        AppState {
            api_keys: Some(keys),
            ..self
        }
    }

    /// The same state reporting this replica's leadership from `leader`.
    pub fn with_leader(self, leader: Arc<AtomicBool>) -> AppState {
        AppState {
            leader: Some(leader),
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
            .field("geography", &self.geography())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
