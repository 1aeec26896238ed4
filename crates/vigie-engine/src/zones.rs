//! The zones the engine keeps a state machine for: ids, names, the hierarchy and corridor
//! seasons, without geometry.

use std::collections::HashMap;

use vigie_domain::{Season, ZoneId, ZoneLevel, ZoneSet};

/// One zone as the engine knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneEntry {
    /// P-code or corridor id.
    pub id: ZoneId,
    /// Display name.
    pub name: String,
    /// Level (region, cercle, commune or corridor).
    pub level: ZoneLevel,
    /// Position of the enclosing zone one level up in the table, if known.
    pub parent: Option<u32>,
    /// For corridors: when herds use it (rules on corridors only run in season).
    pub season: Option<Season>,
}

/// Every zone of a [`ZoneSet`] in a fixed order — regions, cercles, communes, corridors, each
/// level sorted by id — so that output order never depends on the order of a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneTable {
    zones: Vec<ZoneEntry>,
    positions: [HashMap<ZoneId, u32>; 4],
}

fn level_slot(level: ZoneLevel) -> usize {
    match level {
        ZoneLevel::Region => 0,
        ZoneLevel::Cercle => 1,
        ZoneLevel::Commune => 2,
        ZoneLevel::Corridor => 3,
    }
}

impl ZoneTable {
    /// The table of a zone set (geometry is not kept).
    pub fn from_zone_set(set: &ZoneSet) -> ZoneTable {
        let mut zones: Vec<ZoneEntry> = Vec::new();
        for level in [ZoneLevel::Region, ZoneLevel::Cercle, ZoneLevel::Commune] {
            let mut of_level: Vec<ZoneEntry> = set
                .zones(level)
                .iter()
                .map(|zone| ZoneEntry {
                    id: zone.id.clone(),
                    name: zone.name.clone(),
                    level,
                    parent: None,
                    season: None,
                })
                .collect();
            of_level.sort_by(|a, b| a.id.cmp(&b.id));
            zones.extend(of_level);
        }
        let mut corridors: Vec<ZoneEntry> = set
            .corridors
            .iter()
            .map(|corridor| ZoneEntry {
                id: corridor.id.clone(),
                name: corridor.name.clone(),
                level: ZoneLevel::Corridor,
                parent: None,
                season: Some(corridor.season),
            })
            .collect();
        corridors.sort_by(|a, b| a.id.cmp(&b.id));
        zones.extend(corridors);
        let mut positions: [HashMap<ZoneId, u32>; 4] = Default::default();
        for (position, zone) in zones.iter().enumerate() {
            positions[level_slot(zone.level)].insert(zone.id.clone(), position as u32);
        }
        let mut table = ZoneTable { zones, positions };
        for level in [ZoneLevel::Cercle, ZoneLevel::Commune] {
            for zone in set.zones(level) {
                let Some(parent_level) = level.parent_level() else {
                    continue;
                };
                let parent = zone
                    .parent
                    .as_ref()
                    .and_then(|parent| table.position(parent_level, parent));
                if let Some(position) = table.position(level, &zone.id) {
                    table.zones[position as usize].parent = parent;
                }
            }
        }
        table
    }

    /// Every zone, in table order.
    pub fn zones(&self) -> &[ZoneEntry] {
        &self.zones
    }

    /// The zone at a position.
    pub fn get(&self, position: u32) -> &ZoneEntry {
        &self.zones[position as usize]
    }

    /// The position of the zone of `level` with `id`.
    pub fn position(&self, level: ZoneLevel, id: &ZoneId) -> Option<u32> {
        self.positions[level_slot(level)].get(id).copied()
    }

    /// How many zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether the table has no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}
