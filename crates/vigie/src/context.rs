//! What every command needs: the configuration, the geography and the database, chosen once
//! from the command line and the configuration file.

use std::sync::Arc;

use anyhow::Context as _;
use vigie_domain::store::Store;

use crate::config::Config;
use crate::geography::GeographySource;

/// The command's surroundings.
pub struct Context {
    pub config: Config,
    pub geography: GeographySource,
    /// SQLite file path or `postgres://` URL (`--database` wins over `[store] database`).
    pub database: String,
}

impl Context {
    /// Opens the store (creating or migrating it as needed).
    pub fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        vigie_store::open(&self.database)
            .with_context(|| format!("cannot open the database {}", redact_url(&self.database)))
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(database: &str) -> String {
    match (database.find("://"), database.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &database[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    &database[..scheme_end + 3],
                    &database[at..]
                ),
                None => database.to_owned(),
            }
        }
        _ => database.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_database_urls() {
        assert_eq!(
            redact_url("postgres://vigie:s3cret@db:5432/vigie"),
            "postgres://vigie:***@db:5432/vigie"
        );
        assert_eq!(
            redact_url("postgres://vigie@db/vigie"),
            "postgres://vigie@db/vigie"
        );
        assert_eq!(redact_url("data/vigie.sqlite3"), "data/vigie.sqlite3");
    }
}
