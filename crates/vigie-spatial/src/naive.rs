//! The straightforward index, kept as the calibration baseline for benchmarks: an R-tree of
//! commune envelopes, then `geo`'s `Contains` on each candidate polygon. Correct for points
//! inside communes, with no snapping and no border convention of its own.

use geo::{BoundingRect, Contains};
use geo_types::{Coord, Point};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use vigie_domain::ZoneSet;

type Envelope = GeomWithData<geo_types::Rect<f64>, u32>;

/// R-tree of envelopes plus exact tests with `geo`.
pub struct NaiveIndex<'a> {
    zones: &'a ZoneSet,
    tree: RTree<Envelope>,
}

impl<'a> NaiveIndex<'a> {
    /// Indexes the communes' bounding boxes.
    pub fn build(zones: &'a ZoneSet) -> NaiveIndex<'a> {
        let envelopes = zones
            .communes
            .iter()
            .enumerate()
            .filter_map(|(position, commune)| {
                Some(GeomWithData::new(
                    commune.geometry.bounding_rect()?,
                    position as u32,
                ))
            })
            .collect();
        NaiveIndex {
            zones,
            tree: RTree::bulk_load(envelopes),
        }
    }

    /// The first commune (in R-tree order) whose polygon holds the point.
    pub fn locate(&self, point: Coord<f64>) -> Option<u32> {
        let envelope = AABB::from_point(Point(point));
        self.tree
            .locate_in_envelope_intersecting(&envelope)
            .find(|candidate| {
                self.zones.communes[candidate.data as usize]
                    .geometry
                    .contains(&Point(point))
            })
            .map(|candidate| candidate.data)
    }
}
