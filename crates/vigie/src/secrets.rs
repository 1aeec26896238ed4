//! The deployment secret that keys the protection of reporters' phone numbers.
//!
//! Read from the environment variable named in `[privacy] secret_env` (hex), else from the
//! file named in `[privacy] secret_file`, which is created with 32 random bytes and mode 0600
//! on first use so that the embedded default needs no setup. Losing or changing the secret
//! breaks every pseudonym and sealed number already stored: back the file up with the database.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use crate::config::PrivacyConfig;

/// The smallest secret accepted, in bytes.
const MINIMUM_SECRET_BYTES: usize = 32;

/// The secret's bytes.
pub fn load_secret(config: &PrivacyConfig) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::env::var(&config.secret_env) {
        return decode(text.trim())
            .with_context(|| format!("environment variable {}", config.secret_env));
    }
    let path = &config.secret_file;
    match std::fs::read_to_string(path) {
        Ok(text) => decode(text.trim()).with_context(|| format!("secret file {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(error) => {
            Err(error).with_context(|| format!("cannot read secret file {}", path.display()))
        }
    }
}

fn decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = hex::decode(text).context("the secret must be hexadecimal")?;
    if bytes.len() < MINIMUM_SECRET_BYTES {
        bail!("the secret must be at least {MINIMUM_SECRET_BYTES} bytes (64 hex digits)");
    }
    Ok(bytes)
}

fn create(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; MINIMUM_SECRET_BYTES];
    rand::fill(&mut bytes[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create secret file {}", path.display()))?;
    writeln!(file, "{}", hex::encode(&bytes))?;
    file.sync_all()?;
    tracing::warn!(path = %path.display(), "created a new deployment secret; back it up with the database");
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_created_once_and_read_back() {
        let directory = tempfile::tempdir().unwrap();
        let config = PrivacyConfig {
            secret_env: "VIGIE_TEST_SECRET_THAT_IS_NOT_SET".into(),
            secret_file: directory.path().join("vigie.secret"),
        };
        let first = load_secret(&config).unwrap();
        let second = load_secret(&config).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&config.secret_file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn short_or_garbled_secrets_are_refused() {
        assert!(
            decode("abcd")
                .unwrap_err()
                .to_string()
                .contains("at least 32 bytes")
        );
        assert!(decode(&"zz".repeat(32)).is_err());
    }
}
