//! `POST /api/reports/{id}/review`: an analyst verifies or rejects a community report.
//!
//! Body: `{"decision": "verified" | "rejected", "reason": "…"}` (reason required, at most
//! [`MAX_REASON_CHARS`] characters: it is kept in the audit trail). Answers the report as the
//! `reports` collection shows it (a GeoJSON Feature, coarsened to its commune), with its new
//! status. Needs an analyst or admin key; the decision is recorded under the key's name.
//!
//! Only a report still `unverified` can be decided here: a report already verified (by an
//! analyst, or because a registered monitor sent it) or rejected is a 409, so two analysts
//! working the same queue do not silently overrule each other. A correction goes through
//! `vigie reports verify|reject`, which may overrule.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};
use vigie_domain::store::StoreError;
use vigie_domain::{ReportReview, ReportStatus};

use super::auth::{bearer_token, require_role_for};
use super::render::{GEOJSON, feature_json};
use super::reports::{REPORTS, ReportsCollection};
use super::{Role, base_url, item_links, with_type};
use crate::caching::CachePolicy;
use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;

/// The longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A 400 naming the body field at fault.
fn bad_field(field: &str, detail: &str) -> AppError {
    AppError::bad_request(detail.to_owned()).with_extra(json!({ "field": field }))
}

/// The decision and reason of a review body.
fn read_body(body: &Value) -> Result<(ReportStatus, String), AppError> {
    let object = body
        .as_object()
        .ok_or_else(|| bad_field("decision", "the body must be a JSON object"))?;
    let decision = match object.get("decision").and_then(Value::as_str) {
        Some("verified") => ReportStatus::Verified,
        Some("rejected") => ReportStatus::Rejected,
        _ => {
            return Err(bad_field(
                "decision",
                "`decision` must be \"verified\" or \"rejected\"",
            ));
        }
    };
    let reason = object
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .ok_or_else(|| {
            bad_field(
                "reason",
                "`reason` must say why, as text (it is kept in the audit trail)",
            )
        })?;
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(bad_field(
            "reason",
            &format!("`reason` must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok((decision, reason.to_owned()))
}

pub(crate) async fn review_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let role = require_role_for(
        state.api_keys.as_deref(),
        &headers,
        Role::Analyst,
        "report reviews",
    )?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found_because("no such report"))?;
    let Json(body) = body?;
    let (decision, reason) = read_body(&body)?;
    let token = bearer_token(&headers).unwrap_or_default().to_owned();
    let base = base_url(&headers);
    let feature = blocking(move || {
        let analyst = state
            .api_keys
            .as_deref()
            .and_then(|keys| keys.name_of(&token))
            .unwrap_or_else(|| format!("{role} key"));
        let report = match state.store.report(id) {
            Ok(report) => report,
            Err(StoreError::NotFound(_)) => {
                return Err(AppError::not_found_because("no such report"));
            }
            Err(error) => return Err(error.into()),
        };
        if report.status != ReportStatus::Unverified {
            return Err(AppError::conflict(format!(
                "this report is already {}; only unverified reports are reviewed here",
                report.status
            )));
        }
        let reviewed = match state.store.review_report(&ReportReview {
            report: id,
            status: decision,
            analyst,
            reason,
            at: Utc::now(),
        }) {
            Ok(report) => report,
            Err(StoreError::NotFound(_)) => {
                return Err(AppError::not_found_because("no such report"));
            }
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::conflict(
                    "this report cannot take this decision".to_owned(),
                ));
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(report = id, decision = %decision, "report reviewed");
        Ok(ReportsCollection::new(state.geography().directory.clone()).public_feature(reviewed))
    })
    .await?;
    let links = item_links(&base, REPORTS.id, &feature, "This report");
    let mut response = with_type(feature_json(&feature, Some(&links)), GEOJSON);
    CachePolicy::Keyed.apply(&mut response);
    debug_assert_eq!(response.status(), StatusCode::OK);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_field_by_field() {
        let field_of = |body: Value| match read_body(&body).unwrap_err() {
            AppError::Problem { extra, status, .. } => {
                assert_eq!(status, 400);
                extra.unwrap()["field"].as_str().unwrap().to_owned()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            read_body(&json!({"decision": "verified", "reason": " seen by the prefect "})).unwrap(),
            (ReportStatus::Verified, "seen by the prefect".to_owned())
        );
        assert_eq!(
            field_of(json!({"decision": "unverified", "reason": "x"})),
            "decision"
        );
        assert_eq!(field_of(json!({"reason": "x"})), "decision");
        assert_eq!(field_of(json!({"decision": "rejected"})), "reason");
        assert_eq!(
            field_of(json!({"decision": "rejected", "reason": "  "})),
            "reason"
        );
        assert_eq!(
            field_of(json!({"decision": "rejected", "reason": 3})),
            "reason"
        );
        assert_eq!(
            field_of(json!({"decision": "rejected", "reason": "é".repeat(501)})),
            "reason"
        );
        assert!(read_body(&json!({"decision": "rejected", "reason": "é".repeat(500)})).is_ok());
        assert_eq!(field_of(json!(["verified"])), "decision");
    }
}
