//! One module per top-level subcommand.

pub mod bench;
pub mod generate;
pub mod locate;
pub mod zones;
