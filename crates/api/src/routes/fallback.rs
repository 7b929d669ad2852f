//! Answers for paths and methods outside the route table: the caller is checked first (so an
//! unauthenticated client learns nothing about which paths exist, and the attempt is audited),
//! then 404 or 405 in JSON.

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};

use crate::auth::ClientAddr;
use crate::{ApiError, ApiState, auth};

/// No route has this path.
pub(crate) async fn not_found(
    State(state): State<ApiState>,
    ClientAddr(client): ClientAddr,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> ApiError {
    if super::is_public_static(uri.path()) {
        return ApiError::NotFound(format!("no file {}", uri.path()));
    }
    match auth::require_caller(&state, &method, &headers, uri.path(), client).await {
        Err(error) => error,
        Ok(()) => ApiError::NotFound(format!("no route {}", uri.path())),
    }
}

/// The path exists, but not with this method.
pub(crate) async fn method_not_allowed(
    State(state): State<ApiState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    method: Method,
    uri: Uri,
) -> ApiError {
    match auth::require_caller(&state, &method, &headers, uri.path(), client).await {
        Err(error) => error,
        Ok(()) => ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path())),
    }
}
