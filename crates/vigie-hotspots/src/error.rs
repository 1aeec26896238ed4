//! What can go wrong: only bad parameters, since the crate does no IO.

use thiserror::Error;

/// A refused input.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum HotspotError {
    /// A parameter outside its domain, named, with why.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name as the caller knows it (`eps_km`, `alpha`…).
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
}
