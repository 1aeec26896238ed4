//! Who is calling: the bearer key of a request, resolved to a role by an [`ApiKeys`] backend.
//!
//! This module decides only "may this request read that"; issuing, hashing and revoking keys
//! belongs to the backend the binary wires in ([`crate::StoreApiKeys`], over the store).

use axum::http::{HeaderMap, header};

use crate::error::AppError;

/// What a key lets its holder do: the domain's [`vigie_domain::ApiRole`] (roles are ordered:
/// each may do everything the one before it may; no key is the public).
pub use vigie_domain::ApiRole as Role;

/// Resolves API keys to roles. The real backend (keys stored hashed, revocable) is wired in by
/// the binary; without one, every keyed collection answers 401.
///
/// Implementations must compare in constant time or by hash, never log the token, and answer
/// `None` for unknown, malformed or revoked keys.
pub trait ApiKeys: Send + Sync {
    /// The role of the key `token` (the text after `Bearer `), if it is a live key.
    fn role_of(&self, token: &str) -> Option<Role>;

    /// The name of the live key `token` (who holds it), recorded with what its holder does
    /// (an analyst's review). `None` by default: the caller then records the role instead.
    fn name_of(&self, token: &str) -> Option<String> {
        let _ = token;
        None
    }
}

/// The bearer token of a request, if it sent one in the `Authorization` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The role a request proves with its key, or a 401 problem: no key, an unknown key, or no key
/// backend configured all look the same to the caller. A key below `minimum` is a 403.
/// `what` names the resource in the problem ("the key list").
pub(crate) fn require_role_for(
    keys: Option<&dyn ApiKeys>,
    headers: &HeaderMap,
    minimum: Role,
    what: &str,
) -> Result<Role, AppError> {
    let role = bearer_token(headers)
        .and_then(|token| keys.and_then(|keys| keys.role_of(token)))
        .ok_or_else(|| {
            AppError::unauthorized(format!(
                "{what} need an API key (header `Authorization: Bearer <key>`)"
            ))
        })?;
    if role < minimum {
        return Err(AppError::forbidden(format!(
            "{what} need the {minimum} role"
        )));
    }
    Ok(role)
}

/// The role of a request that may come without a key: `None` for the public (no
/// `Authorization` header), a 401 problem for a key that is sent but unknown, revoked or
/// malformed (a caller who meant to use a key learns that it does not work, rather than
/// silently getting the public view).
pub(crate) fn optional_role(
    keys: Option<&dyn ApiKeys>,
    headers: &HeaderMap,
    what: &str,
) -> Result<Option<Role>, AppError> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    bearer_token(headers)
        .and_then(|token| keys.and_then(|keys| keys.role_of(token)))
        .map(Some)
        .ok_or_else(|| {
            AppError::unauthorized(format!(
                "{what}: the API key sent is not a live key (header \
                 `Authorization: Bearer <key>`; send none for the public view)"
            ))
        })
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
            require_role_for(Some(&keys), headers, minimum, "events")
                .map_err(|error| error.status())
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
        let no_backend =
            require_role_for(None, &headers("Bearer k-research"), Role::Researcher, "x");
        assert_eq!(no_backend.unwrap_err().status(), 401);
    }

    #[test]
    fn no_key_is_the_public_but_a_bad_key_is_refused() {
        let keys = FixedKeys(HashMap::from([("k-admin", Role::Admin)]));
        let role = |headers: &HeaderMap| {
            optional_role(Some(&keys), headers, "the stream").map_err(|error| error.status())
        };
        assert_eq!(role(&HeaderMap::new()), Ok(None));
        assert_eq!(role(&headers("Bearer k-admin")), Ok(Some(Role::Admin)));
        assert_eq!(role(&headers("Bearer nope")).unwrap_err(), 401);
        assert_eq!(role(&headers("Basic k-admin")).unwrap_err(), 401);
    }
}
