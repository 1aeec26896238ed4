//! One module per top-level subcommand.

pub mod bench;
pub mod bench_delivery;
pub mod bench_sse;
pub mod delivery;
pub mod demo;
pub mod generate;
pub mod hotspots;
pub mod ingest;
pub mod keys;
pub mod locate;
pub mod replay;
pub mod reports;
pub mod serve;
pub mod zones;
