//! One module per top-level subcommand.

pub mod bench;
pub mod delivery;
pub mod generate;
pub mod hotspots;
pub mod ingest;
pub mod locate;
pub mod replay;
pub mod reports;
pub mod serve;
pub mod zones;
