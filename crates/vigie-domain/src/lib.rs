//! The nouns Vigie reasons with, and nothing else.
//!
//! Zones (communes, cercles, regions) and transhumance corridors, the seasons corridors are
//! active in, and the answer to "where is this point?". Every other crate speaks these types.
//!
//! This crate must never do IO, spawn threads or depend on an async runtime: it is the part of
//! the product that decides, and it stays testable with plain values.

mod corridor;
mod error;
mod location;
mod names;
mod zone;
mod zone_set;

pub use corridor::{Corridor, MonthDay, Season};
pub use error::DomainError;
pub use location::{CorridorHit, LocateStatus};
pub use names::fold_name;
pub use zone::{Zone, ZoneId, ZoneLevel, ZoneRef};
pub use zone_set::ZoneSet;
