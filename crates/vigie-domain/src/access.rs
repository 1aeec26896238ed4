//! Who may read what: API roles and keys.
//!
//! A key is 32 random bytes written as `vk_` and their unpadded base64url (43 characters).
//! It is shown once, when created; the store keeps only its SHA-256 ([`api_key_sha256`]) and
//! a short display prefix ([`api_key_display_prefix`]). Drawing the bytes is the caller's
//! job (this crate does no IO): the binary takes them from the operating system's generator.
//!
//! ```
//! use vigie_domain::{api_key_display_prefix, api_key_from_bytes, api_key_sha256, is_api_key};
//!
//! let key = api_key_from_bytes(&[7; 32]);
//! assert!(key.starts_with("vk_") && is_api_key(&key));
//! assert_eq!(api_key_display_prefix(&key), &key[..9]);
//! assert_eq!(api_key_sha256(&key).len(), 32);
//! assert!(!is_api_key("vk_short"));
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a key lets its holder do. Roles are ordered: each may do everything the one before
/// it may. Without a key a caller is the public, which sees aggregates only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiRole {
    /// Event rows (including ACLED-derived ones) and community reports coarsened to their
    /// commune.
    Researcher,
    /// Reports with text and exact location (never reporter identity); reviews reports.
    Analyst,
    /// Committees, keys, silences, rules.
    Admin,
}

impl ApiRole {
    /// Every role, lowest first.
    pub const ALL: [ApiRole; 3] = [ApiRole::Researcher, ApiRole::Analyst, ApiRole::Admin];

    /// The lowercase name used in the database, configuration and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiRole::Researcher => "researcher",
            ApiRole::Analyst => "analyst",
            ApiRole::Admin => "admin",
        }
    }

    /// Reads a role from its lowercase name.
    pub fn parse(name: &str) -> Option<ApiRole> {
        ApiRole::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for ApiRole {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What every key starts with, so that a leaked one is recognisable (secret scanners).
pub const API_KEY_PREFIX: &str = "vk_";

/// Random bytes in a key.
pub const API_KEY_RANDOM_BYTES: usize = 32;

/// Characters of a key after [`API_KEY_PREFIX`]: 32 bytes in unpadded base64url.
const API_KEY_BODY_CHARS: usize = 43;

/// Characters of the body kept for display (36 of the 256 bits: enough to tell keys
/// apart in a list, far too few to guess the rest).
const DISPLAY_BODY_CHARS: usize = 6;

/// The text of the key made of `bytes` (which must come from a cryptographic generator).
pub fn api_key_from_bytes(bytes: &[u8; API_KEY_RANDOM_BYTES]) -> String {
    format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `token` has the shape of a key (prefix, length, alphabet). Anything else can be
/// refused without a look-up.
pub fn is_api_key(token: &str) -> bool {
    token.strip_prefix(API_KEY_PREFIX).is_some_and(|body| {
        body.len() == API_KEY_BODY_CHARS
            && body
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    })
}

/// The SHA-256 of a key's whole text: what the store keeps and looks keys up by.
///
/// A fast unsalted hash is the right tool here, unlike for passwords: a key carries 256
/// random bits, so there is no dictionary to try and a brute-force search is hopeless at any
/// hashing speed, while a deliberately slow hash (argon2, bcrypt) would cost every API
/// request milliseconds of CPU and prevent looking the key up by its hash.
pub fn api_key_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The start of a key shown in lists (`vk_` and 6 characters), to tell keys apart.
pub fn api_key_display_prefix(token: &str) -> &str {
    let end = (API_KEY_PREFIX.len() + DISPLAY_BODY_CHARS).min(token.len());
    token.get(..end).unwrap_or(API_KEY_PREFIX)
}

/// A key about to be stored: never its text, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// Who or what holds it (a person, a team, a script).
    pub name: String,
    /// What it may do.
    pub role: ApiRole,
    /// [`api_key_sha256`] of the key.
    pub secret_sha256: [u8; 32],
    /// [`api_key_display_prefix`] of the key.
    pub prefix: String,
}

/// A stored key, as listed. Serialises without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Store id (what `vigie keys revoke` takes).
    pub id: i64,
    /// Who or what holds it.
    pub name: String,
    /// What it may do.
    pub role: ApiRole,
    /// SHA-256 of the key's text.
    #[serde(skip)]
    pub secret_sha256: Vec<u8>,
    /// The start of the key, for display.
    pub prefix: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was: it then opens nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used, roughly (recorded at most once a minute or so).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key still opens anything.
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_fixed_shape_and_distinct_bytes_give_distinct_hashes() {
        let first = api_key_from_bytes(&[0; 32]);
        let second = api_key_from_bytes(&[255; 32]);
        assert_eq!(first.len(), 3 + 43);
        assert!(is_api_key(&first) && is_api_key(&second));
        assert_ne!(api_key_sha256(&first), api_key_sha256(&second));
        assert!(!is_api_key(&first[1..]));
        assert!(!is_api_key(&format!("{first}x")));
        assert!(!is_api_key(&first.replace('A', "+")));
        assert_eq!(api_key_display_prefix("vk"), "vk");
    }

    #[test]
    fn roles_are_ordered_and_named() {
        assert!(ApiRole::Researcher < ApiRole::Analyst && ApiRole::Analyst < ApiRole::Admin);
        for role in ApiRole::ALL {
            assert_eq!(ApiRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(ApiRole::parse("Admin"), None);
    }
}
