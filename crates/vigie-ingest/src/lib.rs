//! Conflict event sources in, Vigie events out.
//!
//! Readers for ACLED ([`acled`]: CSV, zipped CSV and JSON exports of every vintage, API
//! records, and the deletion list) and UCDP GED ([`ucdp`]) turn each record into a
//! [`vigie_domain::Event`] or, when it cannot be read, into a
//! [`vigie_domain::QuarantineRecord`] naming the line, the column and the reason: a bad
//! record never stops the others and never silently disappears. Records are delivered in
//! batches so that a file of any size is read in constant memory. [`locate_event`] places
//! events in the reference geography; [`synthetic`] writes realistic ACLED-format test data.
//!
//! The pipeline of a read: open the file and hash it, tell zip from JSON from CSV by content,
//! split records (a hand-written CSV splitter that reports quoting faults and recovers from
//! unbalanced quotes), decode each record as UTF-8 or else Windows-1252, bind the source's
//! columns by name once per table, normalise row by row, and hand over batches.
//!
//! This crate reads files and parses records; it never writes to the store (the binary wires
//! readers to the store) and never logs record contents.

pub mod acled;
pub mod acled_api;
mod batch;
mod error;
mod events;
mod input;
mod locate;
mod options;
mod record;
mod summary;
pub mod synthetic;
pub mod ucdp;
mod values;

pub use error::ReadError;
pub use locate::locate_event;
pub use options::{IngestOptions, RegionOfInterest};
pub use record::{FieldProblem, RawRecord, ReadBatch};
pub use summary::{AcledVintage, DataFormat, FileSummary, PartSummary, TextEncoding};
