//! Community reports by SMS: the grammar monitors write in, the commune directory it resolves
//! names against, the replies Vigie sends back, and the GSM-7 arithmetic that keeps every reply
//! to one SMS.
//!
//! The pipeline for one message: [`parse_report`] cuts the text into words, sets aside the
//! keyword, incident words ([`IncidentKind`], mapped onto ACLED's taxonomy), casualty counts
//! and dates, and resolves the commune among the words left with a [`CommuneDirectory`]; the
//! result is an [`SmsParse`], understood or a [`Clarification`] to ask; [`reply_for`] turns it
//! into the answer. Nothing here does IO, and no text, however hostile, makes it fail.

mod directory;
mod grammar;
pub mod gsm7;
mod reply;
mod tokens;
mod vocabulary;

pub use directory::{CommuneDirectory, CommuneEntry, CommuneLookup};
pub use grammar::{
    Clarification, ClarificationRequest, CommuneOption, PartialReport, SmsParse, UnderstoodReport,
    parse_report, parse_report_with_default,
};
pub use reply::reply_for;
pub use vocabulary::{IncidentKind, Language};

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::OnceLock;

    use super::CommuneDirectory;
    use crate::ZoneSet;

    /// The shipped Mali 2015 geography (`data/zones/mali-2015.vzs`: an 8-byte magic, a
    /// little-endian format version, then the zone set in postcard).
    pub(crate) fn mali_zones() -> &'static ZoneSet {
        static ZONES: OnceLock<ZoneSet> = OnceLock::new();
        ZONES.get_or_init(|| {
            let bytes = include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/zones/mali-2015.vzs"
            ));
            assert_eq!(&bytes[..8], b"VIGIEZS\0", "not a zone set");
            postcard::from_bytes(&bytes[12..]).expect("the shipped zone set decodes")
        })
    }

    /// A directory of the 701 Mali communes, built once for all tests.
    pub(crate) fn mali() -> &'static CommuneDirectory {
        static DIRECTORY: OnceLock<CommuneDirectory> = OnceLock::new();
        DIRECTORY.get_or_init(|| CommuneDirectory::new(mali_zones()))
    }
}
