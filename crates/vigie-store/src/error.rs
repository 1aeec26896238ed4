//! Backend errors as [`StoreError`]s that say what the store was doing.
//!
//! Messages name the operation and the database's own explanation, never the values bound to
//! the query: a parameter may be a phone number's protected forms or a monitor's report text.

use std::fmt::Display;

use vigie_domain::store::StoreError;

/// Adds the operation to a backend error.
pub(crate) trait ResultExt<T> {
    /// Maps the error to [`StoreError::Backend`] prefixed with `context`.
    fn context(self, context: &str) -> Result<T, StoreError>;

    /// Like [`ResultExt::context`], building the context only on error.
    fn with_context<C: Display>(self, context: impl FnOnce() -> C) -> Result<T, StoreError>;
}

impl<T> ResultExt<T> for Result<T, rusqlite::Error> {
    fn context(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::Backend(format!("{context}: {error}")))
    }

    fn with_context<C: Display>(self, context: impl FnOnce() -> C) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::Backend(format!("{}: {error}", context())))
    }
}

impl<T> ResultExt<T> for Result<T, postgres::Error> {
    fn context(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|error| {
            StoreError::Backend(format!("{context}: {}", describe_postgres(&error)))
        })
    }

    fn with_context<C: Display>(self, context: impl FnOnce() -> C) -> Result<T, StoreError> {
        self.map_err(|error| {
            StoreError::Backend(format!("{}: {}", context(), describe_postgres(&error)))
        })
    }
}

/// A PostgreSQL error without its DETAIL line, which repeats key values (a unique violation
/// prints the conflicting key).
fn describe_postgres(error: &postgres::Error) -> String {
    if let Some(database_error) = error.as_db_error() {
        return format!(
            "{} {} ({})",
            database_error.severity(),
            database_error.message(),
            database_error.code().code()
        );
    }
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// A JSON column that does not parse.
pub(crate) fn corrupt_json(what: &str, error: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} is not valid JSON: {error}"))
}
