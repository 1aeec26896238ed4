//! Protecting a reporter's phone number: the only thing that ties a report to a person.
//!
//! A number is normalised to E.164, then turned into two values and never kept in clear:
//!
//! - a **pseudonym key**, the HMAC-SHA256 of the number under a key derived from the
//!   deployment secret: the same number always gives the same key, so the store can find a
//!   reporter again, but without the secret nobody can test candidate numbers against it;
//! - a **sealed** copy, ChaCha20-Poly1305 under a second, independent key, which the few
//!   people allowed to call a monitor back can open.
//!
//! An unkeyed hash would be worthless here: Mali has about 10^8 possible mobile numbers, and
//! hashing all of them takes seconds. Both derived keys come from one deployment secret through
//! HKDF-SHA256, with distinct labels, so neither key reveals the other.
//!
//! Errors never carry the number they refused: error messages end up in logs.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use crate::{MonitorRole, NewReporter, ZoneId};

type HmacSha256 = Hmac<Sha256>;

/// Mali's country calling code.
const MALI_CALLING_CODE: &str = "223";
/// Digits in a Malian subscriber number.
const MALI_SUBSCRIBER_DIGITS: usize = 8;
/// E.164 allows at most 15 digits after the `+`.
const E164_MAX_DIGITS: usize = 15;
/// The shortest international number accepted (country code and subscriber), in digits.
const E164_MIN_DIGITS: usize = 8;
/// Longer input is refused before it is even scanned.
const MAX_PHONE_INPUT_CHARS: usize = 40;

/// HKDF labels: changing either changes every stored key, so they carry a version.
const HMAC_KEY_LABEL: &[u8] = b"vigie phone pseudonym hmac-sha256 v1";
const SEAL_KEY_LABEL: &[u8] = b"vigie phone seal chacha20-poly1305 v1";
/// Bound into every sealed number, so a ciphertext made for another purpose under the same key
/// can never be opened as a phone number.
const SEAL_ASSOCIATED_DATA: &[u8] = b"vigie reporter phone v1";
/// First byte of a sealed number: the format, for a future change of algorithm.
const SEAL_FORMAT_VERSION: u8 = 1;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Why a text is not a phone number. The refused text is deliberately not included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing but spaces.
    #[error("the phone number is empty")]
    Empty,
    /// Longer than any phone number written with separators.
    #[error("the phone number is too long")]
    TooLong,
    /// Letters or symbols other than `+`, spaces, `-`, `.`, `(` and `)`.
    #[error("the phone number contains characters other than digits and separators")]
    InvalidCharacters,
    /// A `+` anywhere but at the start.
    #[error("the phone number has a misplaced '+'")]
    MisplacedPlus,
    /// Neither a Malian number (8 digits, optionally after +223 or 00223) nor an international
    /// number of 8 to 15 digits after `+` or `00`.
    #[error("the phone number has the wrong number of digits")]
    WrongLength,
    /// A Malian number starting with 0 or 1, which no Malian number does.
    #[error("the phone number is not a valid Malian number")]
    NotMalian,
    /// A country code starting with 0.
    #[error("the phone number has no valid country code")]
    InvalidCountryCode,
}

/// Why a [`PhoneProtector`] could not be built or could not open a sealed number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ProtectorError {
    /// The deployment secret is shorter than 32 bytes.
    #[error("the deployment secret must be at least 32 bytes long (got {length})")]
    SecretTooShort {
        /// Its length in bytes.
        length: usize,
    },
    /// The sealed bytes are too short or of an unknown format.
    #[error("the sealed phone number is malformed")]
    MalformedSeal,
    /// The sealed bytes were altered, or sealed under another secret.
    #[error(
        "the sealed phone number failed authentication (altered, or sealed under another secret)"
    )]
    TamperedSeal,
}

/// Turns a phone number into the only forms Vigie keeps: a keyed pseudonym key for lookup and
/// an authenticated encryption for calling back.
///
/// Built once from the deployment secret; its `Debug` output never shows the keys.
///
/// ```
/// use vigie_domain::PhoneProtector;
/// let protector = PhoneProtector::new(&[7u8; 32]).unwrap();
/// let key = protector.pseudonym_key("76 12 34 56").unwrap();
/// assert_eq!(key, protector.pseudonym_key("+223 76-12-34-56").unwrap());
/// let sealed = protector.seal("76123456").unwrap();
/// assert_eq!(protector.open(&sealed).unwrap(), "+22376123456");
/// assert!(PhoneProtector::pseudonym(&key).starts_with("R-"));
/// ```
pub struct PhoneProtector {
    hmac_key: [u8; 32],
    seal_key: [u8; 32],
}

impl fmt::Debug for PhoneProtector {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PhoneProtector")
            .finish_non_exhaustive()
    }
}

impl PhoneProtector {
    /// The shortest deployment secret accepted, in bytes.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// Derives the HMAC key and the sealing key from the deployment secret (at least 32 bytes,
    /// e.g. 32 random bytes stored outside the database).
    pub fn new(secret: &[u8]) -> Result<PhoneProtector, ProtectorError> {
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(ProtectorError::SecretTooShort {
                length: secret.len(),
            });
        }
        let derivation = Hkdf::<Sha256>::new(None, secret);
        let mut hmac_key = [0u8; 32];
        let mut seal_key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: expansion cannot fail.
        derivation
            .expand(HMAC_KEY_LABEL, &mut hmac_key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        derivation
            .expand(SEAL_KEY_LABEL, &mut seal_key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Ok(PhoneProtector { hmac_key, seal_key })
    }

    /// The keyed HMAC-SHA256 of the normalised number: what the store looks reporters up by.
    pub fn pseudonym_key(&self, phone: &str) -> Result<[u8; 32], PhoneError> {
        let normalised = normalize_phone(phone)?;
        Ok(self.hmac_of_normalised(&normalised))
    }

    fn hmac_of_normalised(&self, normalised: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.hmac_key)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts the normalised number: `version (1 byte) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
    ///
    /// The nonce is the first 12 bytes of the number's pseudonym key rather than random bytes,
    /// which keeps this crate free of randomness and makes sealing deterministic. That is safe
    /// because ChaCha20-Poly1305 only breaks when one nonce encrypts two *different*
    /// plaintexts under one key: here the nonce is a pseudo-random function of the plaintext,
    /// so equal nonces mean equal numbers (giving an identical ciphertext, which reveals only
    /// that the number is the same — the pseudonym key already says so), and two different
    /// numbers share a nonce with probability about 2^-96 per pair. This is the synthetic-IV
    /// construction (as in AES-SIV), with the nonce stored in the clear as it needs no secrecy.
    pub fn seal(&self, phone: &str) -> Result<Vec<u8>, PhoneError> {
        let normalised = normalize_phone(phone)?;
        Ok(self.seal_normalised(&normalised, &self.hmac_of_normalised(&normalised)))
    }

    fn seal_normalised(&self, normalised: &str, pseudonym_key: &[u8; 32]) -> Vec<u8> {
        let mut nonce_bytes = [0u8; NONCE_BYTES];
        nonce_bytes.copy_from_slice(&pseudonym_key[..NONCE_BYTES]);
        let nonce = Nonce::from(nonce_bytes);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: normalised.as_bytes(),
                    aad: SEAL_ASSOCIATED_DATA,
                },
            )
            // ChaCha20-Poly1305 refuses only messages above 256 GiB; a phone number is 16 bytes.
            .expect("a phone number is far below ChaCha20-Poly1305's length limit");
        let mut sealed = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        sealed.push(SEAL_FORMAT_VERSION);
        sealed.extend_from_slice(&nonce_bytes);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a number sealed by [`PhoneProtector::seal`] under the same secret.
    pub fn open(&self, sealed: &[u8]) -> Result<String, ProtectorError> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(ProtectorError::MalformedSeal);
        };
        if version != SEAL_FORMAT_VERSION || rest.len() < NONCE_BYTES + TAG_BYTES {
            return Err(ProtectorError::MalformedSeal);
        }
        let (nonce_bytes, ciphertext) = rest.split_at(NONCE_BYTES);
        let mut nonce_array = [0u8; NONCE_BYTES];
        nonce_array.copy_from_slice(nonce_bytes);
        let plaintext = self
            .cipher()
            .decrypt(
                &Nonce::from(nonce_array),
                Payload {
                    msg: ciphertext,
                    aad: SEAL_ASSOCIATED_DATA,
                },
            )
            .map_err(|_| ProtectorError::TamperedSeal)?;
        // Authenticated plaintext came from `seal`, which only seals normalised text.
        String::from_utf8(plaintext).map_err(|_| ProtectorError::MalformedSeal)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new_from_slice(&self.seal_key)
            .expect("the sealing key is 32 bytes, ChaCha20-Poly1305's key size")
    }

    /// The short public handle of a reporter, from their pseudonym key: `R-` and the first
    /// four bytes in hex (e.g. `R-3fa9c2d1`). Safe to show analysts and to log.
    ///
    /// ```
    /// use vigie_domain::PhoneProtector;
    /// assert_eq!(PhoneProtector::pseudonym(&[0x3f, 0xa9, 0xc2, 0xd1, 0x00]), "R-3fa9c2d1");
    /// ```
    pub fn pseudonym(phone_hmac: &[u8]) -> String {
        let mut handle = String::from("R-");
        for byte in phone_hmac.iter().take(4) {
            handle.push_str(&format!("{byte:02x}"));
        }
        handle
    }

    /// The protected forms of a sender, ready for [`crate::store::Store::register_reporter`]
    /// or a [`crate::NewReport`].
    pub fn new_reporter(
        &self,
        phone: &str,
        trusted: bool,
        role: Option<MonitorRole>,
        group: Option<String>,
        commune: Option<ZoneId>,
    ) -> Result<NewReporter, PhoneError> {
        let normalised = normalize_phone(phone)?;
        let phone_hmac = self.hmac_of_normalised(&normalised);
        Ok(NewReporter {
            phone_sealed: self.seal_normalised(&normalised, &phone_hmac),
            phone_hmac: phone_hmac.to_vec(),
            trusted,
            role,
            group,
            commune,
        })
    }
}

/// A phone number in E.164 form (`+` and digits), Malian by default.
///
/// Accepts a Malian number of 8 digits written with spaces, dashes, dots or parentheses
/// (`76 12 34 56`), after `+223`, `00223` or `223`; and any other international number after
/// `+` or `00`, kept as it is once its separators are removed.
///
/// ```
/// use vigie_domain::normalize_phone;
/// assert_eq!(normalize_phone("76 12 34 56").unwrap(), "+22376123456");
/// assert_eq!(normalize_phone("0022376123456").unwrap(), "+22376123456");
/// assert_eq!(normalize_phone("+33 6 12 34 56 78").unwrap(), "+33612345678");
/// assert!(normalize_phone("call me").is_err());
/// ```
pub fn normalize_phone(text: &str) -> Result<String, PhoneError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if trimmed.chars().count() > MAX_PHONE_INPUT_CHARS {
        return Err(PhoneError::TooLong);
    }
    let mut digits = String::with_capacity(16);
    let mut international = false;
    for character in trimmed.chars() {
        match character {
            '0'..='9' => digits.push(character),
            // `+223…` or `(+223) …`: a plus before any digit, once.
            '+' if digits.is_empty() && !international => international = true,
            '+' => return Err(PhoneError::MisplacedPlus),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' | '\u{202f}' => {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    if !international && let Some(rest) = digits.strip_prefix("00") {
        digits = rest.to_owned();
        international = true;
    }
    if !international
        && digits.len() == MALI_CALLING_CODE.len() + MALI_SUBSCRIBER_DIGITS
        && digits.starts_with(MALI_CALLING_CODE)
    {
        international = true;
    }
    if !international {
        return malian_subscriber(&digits);
    }
    if let Some(subscriber) = digits.strip_prefix(MALI_CALLING_CODE) {
        return malian_subscriber(subscriber);
    }
    if digits.starts_with('0') {
        return Err(PhoneError::InvalidCountryCode);
    }
    if !(E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&digits.len()) {
        return Err(PhoneError::WrongLength);
    }
    Ok(format!("+{digits}"))
}

fn malian_subscriber(digits: &str) -> Result<String, PhoneError> {
    if digits.len() != MALI_SUBSCRIBER_DIGITS {
        return Err(PhoneError::WrongLength);
    }
    if digits.starts_with(['0', '1']) {
        return Err(PhoneError::NotMalian);
    }
    Ok(format!("+{MALI_CALLING_CODE}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a deployment secret of at least thirty-two bytes";

    fn protector() -> PhoneProtector {
        PhoneProtector::new(SECRET).unwrap()
    }

    #[test]
    fn malian_numbers_normalise_in_every_usual_spelling() {
        for spelling in [
            "76 12 34 56",
            "76123456",
            "0022376123456",
            "+223 76-12-34-56",
            "+22376123456",
            "22376123456",
            " (+223) 76.12.34.56 ",
            "00 223 76 12 34 56",
        ] {
            assert_eq!(
                normalize_phone(spelling).unwrap(),
                "+22376123456",
                "{spelling}"
            );
        }
    }

    #[test]
    fn other_international_numbers_are_kept() {
        assert_eq!(
            normalize_phone("+33 6 12 34 56 78").unwrap(),
            "+33612345678"
        );
        assert_eq!(normalize_phone("0033612345678").unwrap(), "+33612345678");
        assert_eq!(normalize_phone("+226 70 12 34 56").unwrap(), "+22670123456");
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let cases = [
            ("", PhoneError::Empty),
            ("   ", PhoneError::Empty),
            ("7612345", PhoneError::WrongLength),
            ("761234567", PhoneError::WrongLength),
            ("06123456", PhoneError::NotMalian),
            ("+223 7612345", PhoneError::WrongLength),
            ("+223761234567", PhoneError::WrongLength),
            ("76 12 34 5x", PhoneError::InvalidCharacters),
            ("'; DROP TABLE reporters; --", PhoneError::InvalidCharacters),
            ("76+123456", PhoneError::MisplacedPlus),
            ("+0123456789", PhoneError::InvalidCountryCode),
            ("+1234567", PhoneError::WrongLength),
            ("+1234567890123456", PhoneError::WrongLength),
            ("Orange", PhoneError::InvalidCharacters),
        ];
        for (text, expected) in cases {
            let error = normalize_phone(text).unwrap_err();
            assert_eq!(error, expected, "{text:?}");
            assert!(!error.to_string().contains("7612345"), "{error}");
        }
        assert_eq!(
            normalize_phone(&"7".repeat(100)).unwrap_err(),
            PhoneError::TooLong
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            PhoneProtector::new(&[1u8; 31]).unwrap_err(),
            ProtectorError::SecretTooShort { length: 31 }
        );
        assert!(PhoneProtector::new(&[1u8; 32]).is_ok());
    }

    #[test]
    fn protection_is_deterministic_across_spellings_and_instances() {
        let first = protector();
        let second = protector();
        let key = first.pseudonym_key("76 12 34 56").unwrap();
        assert_eq!(key, second.pseudonym_key("0022376123456").unwrap());
        assert_eq!(
            first.seal("76123456").unwrap(),
            second.seal("+223 76-12-34-56").unwrap()
        );
        let reporter = first
            .new_reporter("76123456", true, Some(MonitorRole::Women), None, None)
            .unwrap();
        assert_eq!(reporter.phone_hmac, key.to_vec());
        assert_eq!(reporter.phone_sealed, first.seal("76123456").unwrap());
        assert_ne!(key, first.pseudonym_key("76123457").unwrap());
    }

    #[test]
    fn different_secrets_give_unrelated_keys_and_seals() {
        let first = protector();
        let second = PhoneProtector::new(b"another deployment secret, also 32+ bytes").unwrap();
        assert_ne!(
            first.pseudonym_key("76123456").unwrap(),
            second.pseudonym_key("76123456").unwrap()
        );
        let sealed = first.seal("76123456").unwrap();
        assert_ne!(sealed, second.seal("76123456").unwrap());
        assert_eq!(
            second.open(&sealed).unwrap_err(),
            ProtectorError::TamperedSeal
        );
        // The HMAC key and the sealing key are independent derivations.
        assert_ne!(first.hmac_key, first.seal_key);
    }

    #[test]
    fn sealed_numbers_open_and_refuse_tampering() {
        let protector = protector();
        let sealed = protector.seal("+223 76 12 34 56").unwrap();
        assert_eq!(protector.open(&sealed).unwrap(), "+22376123456");
        for position in 0..sealed.len() {
            let mut altered = sealed.clone();
            altered[position] ^= 0x01;
            assert!(protector.open(&altered).is_err(), "byte {position}");
        }
        assert_eq!(
            protector.open(&sealed[..sealed.len() - 1]).unwrap_err(),
            ProtectorError::TamperedSeal
        );
        assert_eq!(
            protector.open(&[]).unwrap_err(),
            ProtectorError::MalformedSeal
        );
        assert_eq!(
            protector.open(&sealed[..10]).unwrap_err(),
            ProtectorError::MalformedSeal
        );
    }

    #[test]
    fn protected_forms_never_contain_the_digits() {
        let protector = protector();
        let reporter = protector
            .new_reporter("76 12 34 56", false, None, None, None)
            .unwrap();
        for needle in ["76123456", "22376123456", "+22376123456"] {
            for haystack in [&reporter.phone_hmac, &reporter.phone_sealed] {
                let hex: String = haystack.iter().map(|byte| format!("{byte:02x}")).collect();
                assert!(!contains(haystack, needle.as_bytes()), "{needle}");
                assert!(!hex.contains(needle), "{needle} in hex");
            }
        }
        let pseudonym = PhoneProtector::pseudonym(&reporter.phone_hmac);
        assert!(
            pseudonym.starts_with("R-") && pseudonym.len() == 10,
            "{pseudonym}"
        );
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let printed = format!("{:?}", protector());
        assert_eq!(printed, "PhoneProtector { .. }");
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }
}
