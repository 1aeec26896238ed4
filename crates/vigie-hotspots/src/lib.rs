//! Where is violence gathering? Space–time clusters and hotspot statistics for Vigie.
//!
//! Two tools, both pure functions of their input:
//! - [`st_dbscan`] groups events that are close on the sphere (km) **and** in time (days)
//!   into clusters, with a grid of `eps`-sized cells for neighbour search, numbering clusters
//!   in input order;
//!   [`hotspots`] turns each cluster into a [`Hotspot`] (hull, centroid, counts, fatalities,
//!   dates, dominant types, communes and corridors), ready for GeoJSON.
//! - [`getis_ord_gi_star`] scores each commune's count against its neighbours' over the
//!   [`CommuneAdjacency`] computed once from the boundaries, with z-scores, p-values and hot
//!   and cold spots.
//!
//! This crate must never do IO, spawn threads or depend on an async runtime: callers read
//! events and zones, hand them over as values, and get values back. The same input always
//! gives the same output, in the same order.

mod adjacency;
mod distance;
mod error;
mod features;
mod getis_ord;
pub mod normal;
pub mod sample;
mod st_dbscan;

pub use adjacency::{AdjacencyOptions, CommuneAdjacency};
pub use distance::SpaceTimePoint;
pub use error::HotspotError;
pub use features::{
    Hotspot, HotspotEvent, HotspotShape, TypeCount, ZoneCount, feature_collection, hotspots,
};
pub use getis_ord::{GiStar, Spot, getis_ord_gi_star};
pub use st_dbscan::{Clustering, PointRole, StDbscanParameters, reference, st_dbscan};
