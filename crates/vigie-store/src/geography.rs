//! What both backends share about published zone sets.

use sha2::{Digest, Sha256};

/// The PostgreSQL notification channel a publication notifies, with the new version's
/// number as payload. Replicas listen on it to reload their geography without a restart.
pub const GEOGRAPHY_CHANNEL: &str = "vigie_geography";

/// SHA-256 of `bytes`, lowercase hex: the digest the store keeps with each published zone
/// set (and that callers compare a file with).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
