use thiserror::Error;

/// Why a committees file was refused. Every variant names the committee (by id, or by
/// position when the id itself is missing), the member where one is at fault, and the key.
#[derive(Debug, Error, PartialEq)]
pub enum CommitteesError {
    /// The text is not TOML, or its top level has keys other than `[defaults]` and
    /// `[[committee]]`.
    #[error("the committees file is not valid: {0}")]
    Syntax(String),
    /// The `[defaults]` table has an unknown key or a wrong value.
    #[error("defaults: {message}")]
    Defaults {
        /// What was wrong, naming the key.
        message: String,
    },
    /// The file defines no committee.
    #[error("the committees file defines no committee")]
    Empty,
    /// Two committees share an id.
    #[error("committee {0:?} is defined twice")]
    DuplicateCommittee(String),
    /// A committee or member could not be read (unknown key, wrong type, missing key).
    #[error("{}: {message}", place(committee, member.as_deref()))]
    Unreadable {
        /// The committee's id, or `#N` (1-based position) when it has none.
        committee: String,
        /// The member's id (or `#N`) when the member is at fault.
        member: Option<String>,
        /// What the TOML reader said, which names the key.
        message: String,
    },
    /// A key has a value that makes no sense.
    #[error("{}: key `{key}`: {reason}", place(committee, member.as_deref()))]
    Invalid {
        /// The committee's id.
        committee: String,
        /// The member's id when the member is at fault.
        member: Option<String>,
        /// The key, dotted from the committee or member (`grouping.sms.group_wait`).
        key: String,
        /// Why the value was refused.
        reason: String,
    },
}

fn place(committee: &str, member: Option<&str>) -> String {
    match member {
        Some(member) => format!("committee {committee:?}, member {member:?}"),
        None => format!("committee {committee:?}"),
    }
}
