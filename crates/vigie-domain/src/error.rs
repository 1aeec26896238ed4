use thiserror::Error;

/// A value that does not make sense in the domain, with what was wrong.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    /// A zone id was empty, too long or held characters ids never carry.
    #[error("invalid zone id {id:?}: {reason}")]
    InvalidZoneId {
        /// The rejected text.
        id: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A zone level name that is not one of commune, cercle, region, corridor.
    #[error("unknown zone level {0:?} (expected commune, cercle, region or corridor)")]
    UnknownZoneLevel(String),
    /// A month-day pair that no calendar has.
    #[error("invalid day of year {0:?} (expected MM-DD, e.g. 10-01)")]
    InvalidMonthDay(String),
    /// A corridor buffer that is not a positive, finite number of kilometres.
    #[error("invalid corridor buffer {0} km (expected a finite number above 0 and at most 500)")]
    InvalidBuffer(f64),
}
