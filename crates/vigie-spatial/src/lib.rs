//! Where is this point? Vigie's spatial core.
//!
//! [`SpatialIndex`] answers, for a WGS84 lon/lat point, its commune (and through the hierarchy
//! its cercle and region) and every transhumance corridor whose buffer holds it, exactly and at
//! tens of millions of points per second. Around it: exact predicates ([`segment`]), distances
//! on the sphere ([`sphere`]), the binary form of a zone set ([`codec`]), and the geometry work
//! that builds reference data: repair, dissolve and corridor buffers ([`geometry`]).
//!
//! This crate is pure and synchronous: no files, no network, no threads, no async. Callers
//! hand it values and get values back.

mod commune_index;
mod corridor_index;
mod grid;
mod index;

pub mod codec;
pub mod geometry;
pub mod naive;
pub mod sample;
pub mod segment;
pub mod sphere;

pub use commune_index::{Census, CommuneMatch};
pub use index::{CorridorHits, IndexOptions, IndexStats, Location, SpatialIndex};
