use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Corridor, Zone, ZoneId, ZoneLevel};

/// A complete reference geography: the communes, the cercles and regions above them, and the
/// corridors, with where the data came from.
///
/// Zones keep the order they were given in; lookups by id go through [`ZoneSet::find`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneSet {
    /// Short name of the boundary set, e.g. `mali-cod-ab-2015`.
    pub name: String,
    /// Credit line to show wherever the boundaries are shown or served.
    pub attribution: String,
    /// First-level units.
    pub regions: Vec<Zone>,
    /// Second-level units.
    pub cercles: Vec<Zone>,
    /// Third-level units.
    pub communes: Vec<Zone>,
    /// Transhumance corridors.
    pub corridors: Vec<Corridor>,
}

impl ZoneSet {
    /// The administrative zones of one level (empty for corridors: see [`ZoneSet::corridors`]).
    pub fn zones(&self, level: ZoneLevel) -> &[Zone] {
        match level {
            ZoneLevel::Region => &self.regions,
            ZoneLevel::Cercle => &self.cercles,
            ZoneLevel::Commune => &self.communes,
            ZoneLevel::Corridor => &[],
        }
    }

    /// Mutable access to the zones of one administrative level.
    ///
    /// # Panics
    /// For [`ZoneLevel::Corridor`], which has its own list.
    pub fn zones_mut(&mut self, level: ZoneLevel) -> &mut Vec<Zone> {
        match level {
            ZoneLevel::Region => &mut self.regions,
            ZoneLevel::Cercle => &mut self.cercles,
            ZoneLevel::Commune => &mut self.communes,
            ZoneLevel::Corridor => panic!("corridors are not administrative zones"),
        }
    }

    /// The zone of `level` with `id`, by linear search (use [`ZoneSet::index_by_id`] for many
    /// lookups).
    pub fn find(&self, level: ZoneLevel, id: &ZoneId) -> Option<&Zone> {
        self.zones(level).iter().find(|zone| &zone.id == id)
    }

    /// A map from id to position for the zones of one level.
    pub fn index_by_id(&self, level: ZoneLevel) -> HashMap<ZoneId, usize> {
        self.zones(level)
            .iter()
            .enumerate()
            .map(|(position, zone)| (zone.id.clone(), position))
            .collect()
    }

    /// Parent references that point nowhere: `(level, child id, missing parent id)`.
    ///
    /// An empty answer means the hierarchy is consistent.
    pub fn dangling_parents(&self) -> Vec<(ZoneLevel, ZoneId, ZoneId)> {
        let mut dangling = Vec::new();
        for level in [ZoneLevel::Commune, ZoneLevel::Cercle] {
            let Some(parent_level) = level.parent_level() else {
                continue;
            };
            let parents = self.index_by_id(parent_level);
            for zone in self.zones(level) {
                if let Some(parent) = &zone.parent
                    && !parents.contains_key(parent)
                {
                    dangling.push((level, zone.id.clone(), parent.clone()));
                }
            }
        }
        dangling
    }
}
