//! Who is calling: the bearer key of a request, resolved to a role by an [`ApiKeys`] backend.
//!
//! This module decides only "may this request read that collection"; issuing, hashing and
//! revoking keys belongs to the backend the binary wires in.

use std::fmt;

use axum::http::{HeaderMap, header};

use crate::error::AppError;

/// What a key lets its holder do. Roles are ordered: each may do everything the one before
/// it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Event rows (including ACLED-derived ones) and community reports coarsened to their
    /// commune.
    Researcher,
    /// Reports with text and exact location (never reporter identity); reviews reports.
    Analyst,
    /// Committees, keys, silences, rules.
    Admin,
}

impl Role {
    /// The lowercase name used in configuration and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Researcher => "researcher",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Resolves API keys to roles. The real backend (keys stored hashed, revocable) is wired in by
/// the binary; without one, every keyed collection answers 401.
///
/// Implementations must compare in constant time or by hash, never log the token, and answer
/// `None` for unknown, malformed or revoked keys.
pub trait ApiKeys: Send + Sync {
    /// The role of the key `token` (the text after `Bearer `), if it is a live key.
    fn role_of(&self, token: &str) -> Option<Role>;
}

/// The bearer token of a request, if it sent one in the `Authorization` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The role a request proves with its key, or a 401 problem: no key, an unknown key, or no key
/// backend configured all look the same to the caller.
pub(crate) fn require_role(
    keys: Option<&dyn ApiKeys>,
    headers: &HeaderMap,
    minimum: Role,
    collection: &str,
) -> Result<Role, AppError> {
    let role = bearer_token(headers)
        .and_then(|token| keys.and_then(|keys| keys.role_of(token)))
        .ok_or_else(|| {
            AppError::unauthorized(format!(
                "the items of collection `{collection}` need an API key \
                 (header `Authorization: Bearer <key>`)"
            ))
        })?;
    if role < minimum {
        return Err(AppError::forbidden(format!(
            "the items of collection `{collection}` need the {minimum} role"
        )));
    }
    Ok(role)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use axum::http::HeaderValue;

    use super::*;

    /// A fixed map of keys: a unit-test fake for the decision, not a key store.
    struct FixedKeys(HashMap<&'static str, Role>);

    impl ApiKeys for FixedKeys {
        fn role_of(&self, token: &str) -> Option<Role> {
            self.0.get(token).copied()
        }
    }

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        headers
    }

    #[test]
    fn a_known_bearer_key_gives_its_role_and_anything_else_is_refused() {
        let keys = FixedKeys(HashMap::from([("k-research", Role::Researcher)]));
        let decide = |headers: &HeaderMap, minimum| {
            require_role(Some(&keys), headers, minimum, "events").map_err(|error| error.status())
        };
        assert_eq!(
            decide(&headers("Bearer k-research"), Role::Researcher),
            Ok(Role::Researcher)
        );
        assert_eq!(
            decide(&headers("bearer   k-research "), Role::Researcher),
            Ok(Role::Researcher)
        );
        assert_eq!(
            decide(&headers("Bearer k-research"), Role::Analyst).unwrap_err(),
            403
        );
        assert_eq!(
            decide(&headers("Bearer other"), Role::Researcher).unwrap_err(),
            401
        );
        assert_eq!(
            decide(&headers("Basic k-research"), Role::Researcher).unwrap_err(),
            401
        );
        assert_eq!(
            decide(&HeaderMap::new(), Role::Researcher).unwrap_err(),
            401
        );
        let no_backend = require_role(None, &headers("Bearer k-research"), Role::Researcher, "x");
        assert_eq!(no_backend.unwrap_err().status(), 401);
    }
}
