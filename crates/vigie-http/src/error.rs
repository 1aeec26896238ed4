//! The one error type handlers return.
//!
//! Policy: a request Vigie cannot accept is answered with an RFC 9457 problem document
//! (`application/problem+json`) saying what to fix; an internal failure is logged in full and
//! answered with a generic 500, so nothing about the store or the code leaks to callers.
//! Problem details never quote the values sent: a value may be a phone number or a report.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vigie_domain::store::StoreError;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// The caller must change the request.
    Problem {
        /// 4xx status.
        status: StatusCode,
        /// Short, fixed summary of the kind of problem.
        title: &'static str,
        /// What was wrong, without quoting submitted values.
        detail: String,
        /// Extra members of the problem document (e.g. suggestions).
        extra: Option<Value>,
    },
    /// Vigie failed: logged in full, answered generically.
    Internal {
        /// What was being done, for the log.
        context: &'static str,
        /// The failure, for the log.
        error: String,
    },
}

impl AppError {
    /// 400: the request cannot be read at all.
    pub fn bad_request(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::BAD_REQUEST, "bad request", detail)
    }

    /// 422: the request is readable but a field is missing or wrong.
    pub fn invalid_field(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid report", detail)
    }

    /// 403: the caller did not prove it is the gateway.
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 400: a query parameter is unknown or its value cannot be used; the problem document
    /// names the parameter in `detail` and in a `parameter` member.
    pub fn bad_parameter(parameter: &str, detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::BAD_REQUEST, "invalid query parameter", detail)
            .with_extra(json!({ "parameter": parameter }))
    }

    /// 409: the request contradicts the resource's current state (a report already decided).
    pub fn conflict(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 401: the resource needs an API key the request did not prove.
    pub fn unauthorized(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 429: the client sent more requests than its rate limit allows (the caller adds
    /// `Retry-After`).
    pub fn too_many_requests(detail: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::TOO_MANY_REQUESTS, "too many requests", detail)
    }

    /// 404: nothing here (also what a wrong secret URL token gets, so it reveals nothing).
    pub fn not_found() -> AppError {
        AppError::problem(
            StatusCode::NOT_FOUND,
            "not found",
            "no such resource".to_owned(),
        )
    }

    /// 404 with a fixed explanation (never the id asked for).
    pub fn not_found_because(detail: &'static str) -> AppError {
        AppError::problem(StatusCode::NOT_FOUND, "not found", detail)
    }

    /// A failure of Vigie itself.
    pub fn internal(context: &'static str, error: impl std::fmt::Display) -> AppError {
        AppError::Internal {
            context,
            error: error.to_string(),
        }
    }

    fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> AppError {
        AppError::Problem {
            status,
            title,
            detail: detail.into(),
            extra: None,
        }
    }

    /// Adds members to the problem document.
    pub fn with_extra(self, members: Value) -> AppError {
        match self {
            AppError::Problem {
                status,
                title,
                detail,
                ..
            } => AppError::Problem {
                status,
                title,
                detail,
                extra: Some(members),
            },
            internal => internal,
        }
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Problem { status, .. } => *status,
            AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The text a client may see: the detail of a problem, a generic line for internal errors.
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Problem { detail, .. } => detail.clone(),
            AppError::Internal { .. } => "internal error; it has been logged".to_owned(),
        }
    }

    /// Logs an internal error (problems are the caller's, and are not logged).
    pub(crate) fn log(&self) {
        if let AppError::Internal { context, error } = self {
            tracing::error!(context, error = %error, "request failed");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let body = match &self {
            AppError::Problem {
                title,
                detail,
                extra,
                ..
            } => {
                let mut body = json!({
                    "type": "about:blank",
                    "title": title,
                    "status": status.as_u16(),
                    "detail": detail,
                });
                if let (Some(Value::Object(members)), Some(object)) = (extra, body.as_object_mut())
                {
                    for (key, value) in members {
                        object.insert(key.clone(), value.clone());
                    }
                }
                body
            }
            AppError::Internal { .. } => json!({
                "type": "about:blank",
                "title": "internal error",
                "status": status.as_u16(),
                "detail": self.public_detail(),
            }),
        };
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigie\""),
            );
        }
        response
    }
}

/// Turns an error answered outside the handlers into a problem document: the body limit's
/// 413 (plain text), the timeout's 503 and the router's 405 (both empty). Clients then read
/// every refusal the same way, as the OpenAPI document says. Answers that already have a type
/// other than plain text (problems, a gateway's own format) pass unchanged, as do the
/// headers of the original answer (`Allow` on a 405).
pub(crate) async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_none_or(|content_type| content_type.starts_with("text/plain"));
    if !bare || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
        StatusCode::METHOD_NOT_ALLOWED => "this route does not take this method; see `Allow`",
        StatusCode::SERVICE_UNAVAILABLE => "the request took too long; try again later",
        _ => status.canonical_reason().unwrap_or("the request failed"),
    };
    let title = if status.is_server_error() {
        "unavailable"
    } else {
        "bad request"
    };
    let problem = AppError::Problem {
        status,
        title,
        detail: detail.to_owned(),
        extra: None,
    }
    .into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in problem.headers() {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, problem.into_body())
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        AppError::internal("store", error)
    }
}

/// Form bodies that cannot be read. The rejection's own text is not echoed: it is generic,
/// but the policy is not to depend on that.
impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> AppError {
        let status = rejection.status();
        let detail = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                "expected a form body (Content-Type: application/x-www-form-urlencoded)"
            }
            _ => "the form body cannot be decoded",
        };
        client_error(status, detail)
    }
}

/// JSON bodies that cannot be read (syntax, type, size); field-level problems are reported by
/// the handler, which reads the fields itself.
impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        let status = rejection.status();
        let detail = match &rejection {
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
            JsonRejection::MissingJsonContentType(_) => {
                "expected a JSON body (Content-Type: application/json)".to_owned()
            }
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                "the request body is too large".to_owned()
            }
            _ => "the JSON body cannot be read".to_owned(),
        };
        client_error(status, detail)
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> AppError {
        AppError::not_found()
    }
}

fn client_error(status: StatusCode, detail: impl Into<String>) -> AppError {
    if status.is_client_error() {
        AppError::problem(status, "bad request", detail)
    } else {
        AppError::internal("reading the request body", detail.into())
    }
}
