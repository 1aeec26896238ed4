//! Conflict event sources in, Vigie events out.
//!
//! Readers for ACLED (CSV, zipped CSV and JSON exports of every vintage, and the deletion
//! list) and UCDP GED turn each record into a [`vigie_domain::Event`] or, when it cannot be
//! read, into a [`vigie_domain::QuarantineRecord`] naming the line, the column and the reason:
//! a bad record never stops the others and never silently disappears. Records are delivered
//! in batches so that a file of any size is read in constant memory. [`locate`] places events
//! in the reference geography; [`synthetic`] writes realistic ACLED-format test data.
//!
//! This crate reads files and parses records; it never writes to the store (the binary wires
//! readers to the store) and never logs record contents.

pub mod acled;
mod locate;
mod options;
mod record;
pub mod synthetic;
pub mod ucdp;

pub use locate::locate_event;
pub use options::{IngestOptions, RegionOfInterest};
pub use record::{FieldProblem, RawRecord, ReadBatch};
