//! `vigie keys`: API keys for researchers, analysts and admins.
//!
//! A key is 32 bytes from the operating system's random generator, printed once as
//! `vk_<base64url>`; the database keeps only its SHA-256 and a display prefix. Lost keys are
//! not recoverable: revoke and create another.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use rand::TryRng as _;
use rand::rngs::SysRng;
use vigie_domain::{
    API_KEY_RANDOM_BYTES, ApiKey, ApiRole, NewApiKey, api_key_display_prefix, api_key_from_bytes,
    api_key_sha256,
};

use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it, once: store it now, it cannot be shown again.
    Create {
        /// What it may do: researcher, analyst or admin.
        #[arg(long, value_parser = parse_role)]
        role: ApiRole,
        /// Who holds it (a person, a team, a script).
        #[arg(long)]
        name: String,
        /// Print JSON (the key in member `key`).
        #[arg(long)]
        json: bool,
    },
    /// List keys (id, name, role, prefix, dates; never the key).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key: it stops working within seconds on every server.
    Revoke {
        /// The key's id (see `vigie keys list`).
        id: i64,
    },
}

fn parse_role(text: &str) -> Result<ApiRole, String> {
    ApiRole::parse(&text.to_ascii_lowercase())
        .ok_or_else(|| format!("{text:?} is not a role (researcher, analyst or admin)"))
}

/// A new key's text, from the operating system's generator.
fn new_key_text() -> anyhow::Result<String> {
    let mut bytes = [0_u8; API_KEY_RANDOM_BYTES];
    SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| anyhow::anyhow!("the system random generator failed: {error}"))?;
    Ok(api_key_from_bytes(&bytes))
}

fn describe(key: &ApiKey) -> String {
    let state = match (key.revoked_at, key.last_used_at) {
        (Some(revoked), _) => format!("revoked {}", revoked.format("%Y-%m-%d %H:%M")),
        (None, Some(used)) => format!("last used {}", used.format("%Y-%m-%d %H:%M")),
        (None, None) => "never used".to_owned(),
    };
    format!(
        "{:>4}  {:<10}  {}…  {}  created {}  {}",
        key.id,
        key.role.as_str(),
        key.prefix,
        key.name,
        key.created_at.format("%Y-%m-%d"),
        state
    )
}

pub fn run(command: KeysCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    match command {
        KeysCommand::Create { role, name, json } => {
            let name = name.trim().to_owned();
            if name.is_empty() {
                bail!("--name must not be empty");
            }
            let text = new_key_text()?;
            let key = store
                .create_api_key(&NewApiKey {
                    name,
                    role,
                    secret_sha256: api_key_sha256(&text),
                    prefix: api_key_display_prefix(&text).to_owned(),
                })
                .context("cannot store the new key")?;
            if json {
                let mut value = serde_json::to_value(&key)?;
                value["key"] = serde_json::Value::from(text);
                say!("{value}");
            } else {
                say!("{text}");
                eprintln!(
                    "created api key {} ({} role, {}): it is shown only now, store it safely",
                    key.id, key.role, key.name
                );
            }
        }
        KeysCommand::List { json } => {
            let keys = store.api_keys().context("cannot list the keys")?;
            if json {
                say!("{}", serde_json::to_string_pretty(&keys)?);
            } else if keys.is_empty() {
                eprintln!("no api keys; create one with `vigie keys create --role … --name …`");
            } else {
                for key in &keys {
                    say!("{}", describe(key));
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let key = store
                .revoke_api_key(id)
                .with_context(|| format!("cannot revoke api key {id}"))?;
            say!("revoked api key {} ({}, {})", key.id, key.role, key.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_well_formed_and_distinct() {
        let first = new_key_text().unwrap();
        let second = new_key_text().unwrap();
        assert!(vigie_domain::is_api_key(&first));
        assert_ne!(first, second);
    }

    #[test]
    fn roles_parse_in_any_case() {
        assert_eq!(parse_role("Analyst"), Ok(ApiRole::Analyst));
        assert!(parse_role("root").is_err());
    }
}
