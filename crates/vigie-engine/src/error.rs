use thiserror::Error;

/// Why a rules file was refused. Every variant names the rule (by id, or by position when the
/// id itself is missing) and, where one is at fault, the key.
#[derive(Debug, Error, PartialEq)]
pub enum RulesError {
    /// The text is not TOML, or its top level has keys other than `[[rule]]`.
    #[error("the rules file is not valid: {0}")]
    Syntax(String),
    /// The file defines no rule at all.
    #[error("the rules file defines no rule")]
    Empty,
    /// Two rules share an id.
    #[error("rule {0:?} is defined twice")]
    DuplicateId(String),
    /// A rule could not be read (unknown key, wrong type, missing key).
    #[error("rule {rule}: {message}")]
    Unreadable {
        /// The rule's id, or `#N` (1-based position) when it has none.
        rule: String,
        /// What the TOML reader said, which names the key.
        message: String,
    },
    /// A key of a rule has a value that makes no sense.
    #[error("rule {rule}: key `{key}`: {reason}")]
    Invalid {
        /// The rule's id.
        rule: String,
        /// The key, dotted from the rule (`alerte.exit.events`).
        key: String,
        /// Why the value was refused.
        reason: String,
    },
}
