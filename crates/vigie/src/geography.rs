//! Where the zones come from: the embedded Mali 2015 set or a zone-set file.

use anyhow::Context;
use std::path::PathBuf;
use vigie_domain::ZoneSet;
use vigie_spatial::{IndexOptions, SpatialIndex, codec};

use crate::config::Config;

/// The Mali 2015 reference geography, built by `vigie zones build-reference` from
/// `data/source/` and checked in as `data/zones/mali-2015.vzs`.
pub static EMBEDDED_ZONES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/zones/mali-2015.vzs"
));

/// Picks the zone set and the index options from the command line and configuration.
#[derive(Debug, Clone)]
pub struct GeographySource {
    zones_file: Option<PathBuf>,
    snap_km: f64,
}

/// A loaded zone set with its spatial index.
pub struct Geography {
    pub zones: ZoneSet,
    pub index: SpatialIndex,
}

impl GeographySource {
    pub fn new(zones_file: Option<PathBuf>, config: &Config) -> GeographySource {
        GeographySource {
            zones_file: zones_file.or_else(|| config.geography.zones.clone()),
            snap_km: config.geography.snap_km,
        }
    }

    pub fn index_options(&self) -> IndexOptions {
        IndexOptions {
            snap_km: self.snap_km,
            ..IndexOptions::default()
        }
    }

    /// Decodes the zone set, without building an index.
    pub fn zone_set(&self) -> anyhow::Result<ZoneSet> {
        match &self.zones_file {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read zone set {}", path.display()))?;
                codec::decode(&bytes).with_context(|| format!("zone set {}", path.display()))
            }
            None => codec::decode(EMBEDDED_ZONES).context(
                "the embedded zone set is unreadable; rebuild it with `vigie zones build-reference`",
            ),
        }
    }

    /// Decodes the zone set and builds its index.
    pub fn load(&self) -> anyhow::Result<Geography> {
        let zones = self.zone_set()?;
        let index = SpatialIndex::build(&zones, self.index_options());
        Ok(Geography { zones, index })
    }
}
