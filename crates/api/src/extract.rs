//! Extractors whose failures are `ApiError`s, so a bad body, query or path parameter gets the
//! same JSON error body as everything else (axum's own rejections answer in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The raw request body, within the route's body limit (413 beyond it).
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state).await.map(RawBody).map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(rejection.body_text())
            } else {
                ApiError::Invalid(rejection.body_text())
            }
        })
    }
}

/// A JSON body, whatever its `Content-Type` says (so `curl -d` works without `-H`).
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::Invalid(format!("request body: {e}")))
    }
}

/// Query parameters; unknown ones are refused (a typo must not silently mean "no filter").
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|rejection| ApiError::Invalid(rejection.body_text()))
    }
}

/// Path parameters.
pub(crate) struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| PathParams(p))
            .map_err(|rejection| ApiError::Invalid(rejection.body_text()))
    }
}

/// A required, non-blank comment for the audit trail (at most 2000 characters).
pub(crate) fn comment(text: Option<&str>) -> Result<String, ApiError> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::Invalid(
            "a non-empty `comment` is required: it is recorded in the audit trail".into(),
        ));
    }
    if text.chars().count() > 2000 {
        return Err(ApiError::Invalid("`comment` is longer than 2000 characters".into()));
    }
    Ok(text.to_string())
}

/// A `limit` parameter: `default` when absent, 1 ..= `max` otherwise.
pub(crate) fn limit(value: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::Invalid(format!("`limit` {n} must be between 1 and {max}"))),
    }
}
