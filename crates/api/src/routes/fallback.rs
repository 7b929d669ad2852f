//! Answers for paths and methods outside the route table: the token is checked first (so an
//! unauthenticated client learns nothing about which paths exist), then 404 or 405 in JSON.

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};

use crate::{ApiError, ApiState, auth};

/// No route has this path.
pub(crate) async fn not_found(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiError {
    match auth::check(&headers, state.token_hash()) {
        Err(error) => error,
        Ok(()) => ApiError::NotFound(format!("no route {}", uri.path())),
    }
}

/// The path exists, but not with this method.
pub(crate) async fn method_not_allowed(
    State(state): State<ApiState>,
    headers: HeaderMap,
    method: Method,
    uri: Uri,
) -> ApiError {
    match auth::check(&headers, state.token_hash()) {
        Err(error) => error,
        Ok(()) => ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path())),
    }
}
