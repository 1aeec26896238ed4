//! Where the zones come from.
//!
//! The store holds the zone set every command and every replica uses: versions of the
//! encoded set, the highest current (`vigie zones publish` adds one). The embedded Mali 2015
//! set, or a file named by `--zones` / `geography.zones`, only seeds it:
//!
//! - no file named: the store's current version; a store that has none is seeded with the
//!   embedded set (so a fresh SQLite file works as before);
//! - a file named: when the store has never seen these bytes, they are published and used
//!   (the operator pointed Vigie at a new file: a restart applies it, as it always did);
//!   when they are the current version, nothing changes; when they are an *older* version,
//!   the store's newer one is kept with a warning. That last case is a replica restarting
//!   with a stale configuration after someone ran `vigie zones publish`: silently going back
//!   would undo the publication on every replica.
//!
//! `serve` then follows the store ([`GeographyWatch`]): on PostgreSQL it listens for
//! publications, and everywhere it looks at the current version every
//! `geography.check_interval_seconds`, rebuilding the index, the commune directory and the
//! feature catalog on its own thread and swapping them in whole.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use vigie_domain::ZoneSet;
use vigie_domain::store::{GeographyVersion, Store};
use vigie_http::SharedGeography;
use vigie_spatial::{IndexOptions, SpatialIndex, codec};
use vigie_store::{GEOGRAPHY_CHANNEL, GEOGRAPHY_LISTEN_APPLICATION, ListenOutcome, Listener};

use crate::config::Config;

/// The Mali 2015 reference geography, built by `vigie zones build-reference` from
/// `data/source/` and checked in as `data/zones/mali-2015.vzs`.
pub static EMBEDDED_ZONES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/zones/mali-2015.vzs"
));

/// The label the embedded set is published under.
const EMBEDDED_LABEL: &str = "embedded mali-2015";

/// Picks the zone set and the index options from the command line and configuration.
#[derive(Debug, Clone)]
pub struct GeographySource {
    zones_file: Option<PathBuf>,
    snap_km: f64,
    check_interval: Duration,
}

/// A loaded zone set with its spatial index.
pub struct Geography {
    pub zones: ZoneSet,
    pub index: SpatialIndex,
}

/// The store's current zone set, decoded.
pub struct StoredZoneSet {
    pub version: GeographyVersion,
    pub zones: ZoneSet,
}

impl GeographySource {
    pub fn new(zones_file: Option<PathBuf>, config: &Config) -> GeographySource {
        GeographySource {
            zones_file: zones_file.or_else(|| config.geography.zones.clone()),
            snap_km: config.geography.snap_km,
            check_interval: Duration::from_secs(config.geography.check_interval_seconds),
        }
    }

    pub fn index_options(&self) -> IndexOptions {
        IndexOptions {
            snap_km: self.snap_km,
            ..IndexOptions::default()
        }
    }

    /// The configured file's bytes, or the embedded set's, with a label for the store.
    pub fn configured_bytes(&self) -> anyhow::Result<(Cow<'static, [u8]>, String)> {
        match &self.zones_file {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read zone set {}", path.display()))?;
                Ok((Cow::Owned(bytes), file_label(path)))
            }
            None => Ok((Cow::Borrowed(EMBEDDED_ZONES), EMBEDDED_LABEL.to_owned())),
        }
    }

    /// Decodes the configured zone set (file or embedded), without the store and without
    /// building an index: for the commands that work on files (`zones`, `locate`).
    pub fn zone_set(&self) -> anyhow::Result<ZoneSet> {
        match &self.zones_file {
            Some(path) => {
                let (bytes, _) = self.configured_bytes()?;
                codec::decode(&bytes).with_context(|| format!("zone set {}", path.display()))
            }
            None => codec::decode(EMBEDDED_ZONES).context(
                "the embedded zone set is unreadable; rebuild it with `vigie zones build-reference`",
            ),
        }
    }

    /// Decodes the configured zone set and builds its index.
    pub fn load(&self) -> anyhow::Result<Geography> {
        let zones = self.zone_set()?;
        let index = SpatialIndex::build(&zones, self.index_options());
        Ok(Geography { zones, index })
    }

    /// The store's current zone set, after seeding the store or publishing the configured
    /// file as the module documentation says.
    pub fn stored_zone_set(&self, store: &dyn Store) -> anyhow::Result<StoredZoneSet> {
        self.reconcile(store)?;
        let stored = store
            .current_geography()?
            .context("the store has no zone set after seeding it")?;
        let zones = codec::decode(&stored.bytes).with_context(|| {
            format!(
                "the store's zone set (version {}, {}) is unreadable",
                stored.version.version, stored.version.label
            )
        })?;
        Ok(StoredZoneSet {
            version: stored.version,
            zones,
        })
    }

    /// The store's current zone set and its index.
    pub fn load_from_store(&self, store: &dyn Store) -> anyhow::Result<(Geography, i64)> {
        let stored = self.stored_zone_set(store)?;
        let index = SpatialIndex::build(&stored.zones, self.index_options());
        Ok((
            Geography {
                zones: stored.zones,
                index,
            },
            stored.version.version,
        ))
    }

    /// Seeds an empty store, or publishes a named file the store has not seen.
    fn reconcile(&self, store: &dyn Store) -> anyhow::Result<()> {
        let Some(path) = &self.zones_file else {
            if store.current_geography_version()?.is_none() {
                let publication = store.publish_geography(EMBEDDED_ZONES, EMBEDDED_LABEL)?;
                if publication.published {
                    tracing::info!(
                        version = publication.version.version,
                        "the store had no zone set: seeded it with the embedded Mali 2015 set"
                    );
                }
            }
            return Ok(());
        };
        let (bytes, label) = self.configured_bytes()?;
        let digest = vigie_store::geography_digest(&bytes);
        let versions = store.geography_versions()?;
        match versions.first() {
            Some(current) if current.sha256 == digest => Ok(()),
            Some(current) if versions.iter().any(|version| version.sha256 == digest) => {
                tracing::warn!(
                    file = %path.display(),
                    current = current.version,
                    "the configured zone set is an older version than the store's: using the \
                     store's version {} ({}); remove --zones / geography.zones, or run `vigie \
                     zones publish {}` to go back to it",
                    current.version,
                    current.label,
                    path.display()
                );
                Ok(())
            }
            _ => {
                // Refuse to publish what no replica could read.
                codec::decode(&bytes).with_context(|| format!("zone set {}", path.display()))?;
                let publication = store.publish_geography(&bytes, &label)?;
                if publication.published {
                    eprintln!(
                        "published zone set {} as geography version {}",
                        path.display(),
                        publication.version.version
                    );
                }
                Ok(())
            }
        }
    }

    /// Publishes `bytes` (checked to decode) as the store's new current zone set.
    pub fn publish(
        store: &dyn Store,
        bytes: &[u8],
        label: &str,
    ) -> anyhow::Result<vigie_domain::store::GeographyPublication> {
        codec::decode(bytes).with_context(|| format!("zone set {label} is not readable"))?;
        Ok(store.publish_geography(bytes, label)?)
    }

    /// The seconds between two looks at the store's current version.
    pub fn check_interval(&self) -> Duration {
        self.check_interval
    }
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Builds what handlers share from a zone set (index, directory, catalog: seconds of CPU for
/// Mali; call it off the async runtime).
pub fn build_shared(
    zones: ZoneSet,
    index: SpatialIndex,
    version: Option<i64>,
) -> vigie_http::Geography {
    vigie_http::Geography::build(Arc::new(zones), Arc::new(index), version)
}

/// Keeps a [`SharedGeography`] at the store's current version, for `serve`.
pub struct GeographyWatch {
    store: Arc<dyn Store>,
    /// The `postgres://` URL to listen on, when the store is PostgreSQL.
    listen_url: Option<String>,
    shared: SharedGeography,
    index_options: IndexOptions,
    check_interval: Duration,
}

/// How long to wait before connecting the listener again after losing it.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// The longest a wait lasts, so that a stop request is seen promptly.
const STOP_POLL: Duration = Duration::from_millis(500);

impl GeographyWatch {
    pub fn new(
        store: Arc<dyn Store>,
        database: &str,
        shared: SharedGeography,
        source: &GeographySource,
    ) -> GeographyWatch {
        let listen_url = vigie_store::is_postgres_url(database).then(|| database.to_owned());
        GeographyWatch {
            store,
            listen_url,
            shared,
            index_options: source.index_options(),
            check_interval: source.check_interval(),
        }
    }

    /// Runs until `stop` is set: reloads on each publication heard and whenever the slow
    /// check finds another version.
    pub fn run(self, stop: &AtomicBool) {
        let listen =
            |url: &str| Listener::new(url, GEOGRAPHY_CHANNEL, GEOGRAPHY_LISTEN_APPLICATION);
        let mut listener = match self.listen_url.as_deref().map(listen) {
            Some(Ok(listener)) => Some(listener),
            Some(Err(error)) => {
                tracing::error!("geography: cannot listen for publications: {error}");
                None
            }
            None => None,
        };
        let mut next_check = Instant::now() + self.check_interval;
        let mut listener_down = false;
        while !stop.load(Ordering::Relaxed) {
            let wait = next_check
                .saturating_duration_since(Instant::now())
                .min(STOP_POLL);
            let mut check_now = Instant::now() >= next_check;
            match listener.as_mut() {
                Some(listener) => match listener.wait(wait) {
                    Ok(ListenOutcome::Notified(version)) => {
                        tracing::debug!(version, "geography: publication heard");
                        check_now = true;
                    }
                    Ok(ListenOutcome::Connected) => {
                        if listener_down {
                            tracing::info!("geography: listening for publications again");
                        }
                        listener_down = false;
                        // Whatever was published while not listening is looked for now.
                        check_now = true;
                    }
                    Ok(ListenOutcome::Quiet) => {}
                    Err(error) => {
                        if !listener_down {
                            tracing::warn!(
                                "geography: {error}; reconnecting (the {} s check goes on)",
                                self.check_interval.as_secs()
                            );
                        }
                        listener_down = true;
                        crate::leadership::pause(RECONNECT_DELAY, stop);
                    }
                },
                None => std::thread::sleep(wait),
            }
            if check_now {
                next_check = Instant::now() + self.check_interval;
                if let Err(error) = self.reload_if_changed() {
                    tracing::error!(
                        "geography: reload failed, serving the previous one: {error:#}"
                    );
                }
            }
        }
    }

    /// Loads the store's current version when it is not the one served.
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let Some(current) = self.store.current_geography_version()? else {
            return Ok(false);
        };
        if Some(current.version) == self.shared.version() {
            return Ok(false);
        }
        let started = Instant::now();
        let stored = self
            .store
            .current_geography()?
            .context("the store's zone set vanished")?;
        let zones = codec::decode(&stored.bytes).with_context(|| {
            format!(
                "the store's zone set version {} ({}) is unreadable",
                stored.version.version, stored.version.label
            )
        })?;
        let index = SpatialIndex::build(&zones, self.index_options);
        let communes = zones.communes.len();
        let geography = build_shared(zones, index, Some(stored.version.version));
        let previous = self.shared.version();
        self.shared.replace(geography);
        // On standard error like `serve`'s other notices: an operator who published wants to
        // see each replica take it, whatever the log filter.
        eprintln!(
            "geography reloaded: version {} ({}, {communes} communes) in place of {}, built in {} ms",
            stored.version.version,
            stored.version.label,
            previous.map_or_else(|| "none".to_owned(), |version| version.to_string()),
            started.elapsed().as_millis()
        );
        Ok(true)
    }
}
