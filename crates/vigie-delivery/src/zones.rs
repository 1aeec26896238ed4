//! The parts of the reference geography routing needs: which level each zone id is at and
//! which zone encloses it. Built once from a [`ZoneSet`], queried for every transition.

use std::collections::HashMap;

use vigie_domain::{ZoneId, ZoneLevel, ZoneSet};

/// Every zone id of a [`ZoneSet`] (regions, cercles, communes, corridors) with its level and,
/// for communes and cercles, its parent. No geometry.
///
/// ```
/// # use vigie_domain::{ZoneId, ZoneLevel, ZoneSet};
/// # let zones = ZoneSet { name: "none".into(), attribution: String::new(),
/// #     regions: vec![], cercles: vec![], communes: vec![], corridors: vec![] };
/// let hierarchy = vigie_delivery::ZoneHierarchy::from_zone_set(&zones);
/// assert_eq!(hierarchy.level(&ZoneId::new("ML05").unwrap()), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneHierarchy {
    zones: HashMap<ZoneId, (ZoneLevel, Option<ZoneId>)>,
}

impl ZoneHierarchy {
    /// Indexes a zone set. Should an id appear at two levels, the higher level wins (P-codes
    /// have one length per level, so real sets never do this).
    pub fn from_zone_set(set: &ZoneSet) -> ZoneHierarchy {
        let mut zones = HashMap::new();
        for level in [ZoneLevel::Region, ZoneLevel::Cercle, ZoneLevel::Commune] {
            for zone in set.zones(level) {
                zones
                    .entry(zone.id.clone())
                    .or_insert((level, zone.parent.clone()));
            }
        }
        for corridor in &set.corridors {
            zones
                .entry(corridor.id.clone())
                .or_insert((ZoneLevel::Corridor, None));
        }
        ZoneHierarchy { zones }
    }

    /// The level of a known zone.
    pub fn level(&self, id: &ZoneId) -> Option<ZoneLevel> {
        self.zones.get(id).map(|(level, _)| *level)
    }

    /// The enclosing zone one level up (a commune's cercle, a cercle's region).
    pub fn parent(&self, id: &ZoneId) -> Option<&ZoneId> {
        self.zones.get(id).and_then(|(_, parent)| parent.as_ref())
    }

    /// The zone itself, then its parent, then its parent's parent: every zone that contains
    /// it, innermost first.
    pub fn ancestry<'a>(&'a self, id: &'a ZoneId) -> Vec<&'a ZoneId> {
        let mut chain = vec![id];
        let mut current = id;
        // Three levels at most; the bound also stops a cycle in broken data.
        while chain.len() < 4
            && let Some(parent) = self.parent(current)
        {
            chain.push(parent);
            current = parent;
        }
        chain
    }

    /// Whether `outer` is `inner` or contains it.
    pub fn contains(&self, outer: &ZoneId, inner: &ZoneId) -> bool {
        self.ancestry(inner).contains(&outer)
    }

    /// How many zones are indexed.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether no zone is indexed.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}
