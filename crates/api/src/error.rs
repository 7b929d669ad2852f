//! `ApiError`: every way a request can fail, mapped to one HTTP status and one JSON body
//! `{"error": "<code>", "detail": "<one line>"}` in a single place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use faultline_pipeline::{CommandError, EngineError};
use faultline_store::StoreError;

use crate::dto::ErrorBody;

/// Why a request failed. Each variant has one status and one stable `error` code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid`: the request is malformed (body, query or path parameter).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// 401 `unauthorized`: no bearer token, or not a valid one.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// What was wrong with the credentials.
        detail: String,
        /// A token was presented but did not match (RFC 6750 `error="invalid_token"`).
        invalid_token: bool,
    },
    /// 403 `forbidden`: authenticated, but the role does not hold the route's permission (or a
    /// cookie-authenticated change lacks the CSRF header).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 429 `locked`: too many failed logins for this user name; retry after the seconds given.
    #[error("locked: {detail}")]
    Locked {
        /// What happened.
        detail: String,
        /// Seconds until a login may succeed again (`Retry-After`).
        retry_after: u64,
    },
    /// 429 `throttled`: this client address was refused too often in the last minute; retry
    /// after the seconds given (requests with valid credentials are not throttled).
    #[error("throttled: {detail}")]
    Throttled {
        /// What happened.
        detail: String,
        /// Seconds until the address's window ends (`Retry-After`).
        retry_after: u64,
    },
    /// 404 `not_found`: no such asset, alarm, model version or path.
    #[error("not found: {0}")]
    NotFound(String),
    /// 405 `method_not_allowed`: the path exists, but not with this method.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// 409 `conflict`: the change is not allowed in the current state (for example
    /// acknowledging an alarm that is already acknowledged).
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413 `too_large`: the request body exceeds the route's limit.
    #[error("request body too large: {0}")]
    TooLarge(String),
    /// 408 `timeout`: the request body did not arrive in time (see
    /// [`crate::BODY_TOTAL_TIMEOUT`]).
    #[error("request body too slow: {0}")]
    Timeout(String),
    /// 503 `stopping`: the engine is shutting down; retry against the restarted service.
    #[error("the engine is stopping")]
    Stopping,
    /// 500 `store`: the store failed; nothing was changed.
    #[error("store error: {0}")]
    Store(String),
    /// 500 `internal`: anything else that is the server's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Locked { .. } | ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Stopping => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable `error` code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "invalid",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Locked { .. } => "locked",
            ApiError::Throttled { .. } => "throttled",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Timeout(_) => "timeout",
            ApiError::Stopping => "stopping",
            ApiError::Store(_) => "store",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The one-line `detail` of the JSON body.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Invalid(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::MethodNotAllowed(d)
            | ApiError::Conflict(d)
            | ApiError::TooLarge(d)
            | ApiError::Timeout(d)
            | ApiError::Store(d)
            | ApiError::Internal(d) => d.replace('\n', " "),
            ApiError::Unauthorized { detail, .. }
            | ApiError::Locked { detail, .. }
            | ApiError::Throttled { detail, .. } => detail.clone(),
            ApiError::Stopping => "the engine is stopping; retry after the restart".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.code(), detail: self.detail() };
        let mut response = (self.status(), axum::Json(body)).into_response();
        match &self {
            ApiError::Unauthorized { invalid_token, .. } => {
                let challenge = if *invalid_token {
                    "Bearer realm=\"faultline\", error=\"invalid_token\""
                } else {
                    "Bearer realm=\"faultline\""
                };
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            ApiError::Stopping => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Locked { retry_after, .. } | ApiError::Throttled { retry_after, .. } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::NotFound(what) => ApiError::NotFound(what),
            CommandError::Invalid(what) => ApiError::Invalid(what),
            CommandError::Conflict(what) => ApiError::Conflict(what),
            CommandError::Store(what) => ApiError::Store(what),
            CommandError::Stopped => ApiError::Stopping,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Rejected(rejected) => ApiError::Invalid(rejected.to_string()),
            EngineError::Stopped => ApiError::Stopping,
            EngineError::Store(error) => ApiError::from(error),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, .. } => ApiError::NotFound(what),
            StoreError::Exists { what, .. } => ApiError::Conflict(format!("{what} exists already")),
            StoreError::Conflict { what, .. } => ApiError::Conflict(what),
            other => ApiError::Store(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        ApiError::Internal(format!("a blocking store task failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status_and_code() {
        let cases = [
            (ApiError::Invalid("x".into()), 400, "invalid"),
            (
                ApiError::Unauthorized { detail: "x".into(), invalid_token: false },
                401,
                "unauthorized",
            ),
            (ApiError::Forbidden("x".into()), 403, "forbidden"),
            (ApiError::Locked { detail: "x".into(), retry_after: 9 }, 429, "locked"),
            (ApiError::Throttled { detail: "x".into(), retry_after: 9 }, 429, "throttled"),
            (ApiError::NotFound("x".into()), 404, "not_found"),
            (ApiError::MethodNotAllowed("x".into()), 405, "method_not_allowed"),
            (ApiError::Conflict("x".into()), 409, "conflict"),
            (ApiError::TooLarge("x".into()), 413, "too_large"),
            (ApiError::Timeout("x".into()), 408, "timeout"),
            (ApiError::Stopping, 503, "stopping"),
            (ApiError::Store("x".into()), 500, "store"),
            (ApiError::Internal("x".into()), 500, "internal"),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error}");
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn command_errors_map_to_statuses() {
        let status = |e: CommandError| ApiError::from(e).status().as_u16();
        assert_eq!(status(CommandError::NotFound("alarm 9".into())), 404);
        assert_eq!(status(CommandError::Conflict("acked".into())), 409);
        assert_eq!(status(CommandError::Invalid("bad".into())), 400);
        assert_eq!(status(CommandError::Store("disk".into())), 500);
        assert_eq!(status(CommandError::Stopped), 503);
    }

    #[test]
    fn unauthorized_carries_the_bearer_challenge() {
        let response = ApiError::Unauthorized { detail: "no token".into(), invalid_token: true }
            .into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"));
    }
}
