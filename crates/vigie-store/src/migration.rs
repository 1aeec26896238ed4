//! Schema migrations: ordered SQL scripts embedded in the binary, applied on open.

/// One step of a backend's schema history. Versions start at 1 and increase by 1; a step is
/// never edited once released (a change is a new step).
pub(crate) struct Migration {
    /// Its number, recorded in `schema_migrations` once applied.
    pub version: i64,
    /// What it does, for error messages.
    pub name: &'static str,
    /// The statements, run in one transaction with the recording of the version.
    pub sql: &'static str,
}

/// The error for a database that a newer Vigie has migrated further than this build knows.
pub(crate) fn newer_schema_error(found: i64, known: i64) -> vigie_domain::store::StoreError {
    vigie_domain::store::StoreError::Backend(format!(
        "the database schema is at version {found} but this build of Vigie only knows up to \
         version {known}: upgrade Vigie (or restore a backup made before the upgrade)"
    ))
}

/// Checks that a migration list is numbered 1, 2, 3…
#[cfg(test)]
pub(crate) fn assert_numbered_in_order(migrations: &[Migration]) {
    for (index, migration) in migrations.iter().enumerate() {
        assert_eq!(
            migration.version,
            index as i64 + 1,
            "migration {:?} is out of order",
            migration.name
        );
    }
}
