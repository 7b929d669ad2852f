//! Extractors whose failures are `ApiError`s, so a bad body, query or path parameter gets the
//! same JSON error body as everything else (axum's own rejections answer in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use std::time::Duration;

use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{ApiError, BODY_READ_TIMEOUT, BODY_TOTAL_TIMEOUT};

/// The raw request body, within the route's body limit (413 beyond it) and within
/// [`BODY_TOTAL_TIMEOUT`] (408 beyond it).
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_body(request, state, BODY_TOTAL_TIMEOUT).await.map(RawBody)
    }
}

/// The whole body, if it arrives within `deadline`.
async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
    deadline: Duration,
) -> Result<Bytes, ApiError> {
    let Ok(read) = tokio::time::timeout(deadline, Bytes::from_request(request, state)).await else {
        return Err(ApiError::Timeout(format!(
            "the request body took longer than {} s to arrive",
            deadline.as_secs_f64()
        )));
    };
    read.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(rejection.body_text())
        } else if paused_too_long(&rejection) {
            ApiError::Timeout(format!(
                "the request body paused for longer than {} s",
                BODY_READ_TIMEOUT.as_secs_f64()
            ))
        } else {
            ApiError::Invalid(rejection.body_text())
        }
    })
}

/// Whether buffering failed because the body paused past [`BODY_READ_TIMEOUT`] (the server's
/// `RequestBodyTimeoutLayer`): a 408 like the total deadline, not a malformed request.
fn paused_too_long(rejection: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(rejection);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::{Body, Bytes};
    use axum::extract::Request;
    use futures_util::StreamExt;

    use super::read_body;
    use crate::ApiError;

    /// A body that sends a little and then nothing more (without pausing long enough for the
    /// pause timeout) is cut off at the deadline, not held for as long as its client likes.
    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_refused_with_408() {
        let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("{")) });
        let trickle = first.chain(futures_util::stream::pending());
        let request = Request::new(Body::from_stream(trickle));
        let refused = read_body(request, &(), Duration::from_millis(100)).await.unwrap_err();
        assert!(
            matches!(&refused, ApiError::Timeout(detail) if detail.contains("0.1 s")),
            "{refused}"
        );
        assert_eq!(refused.status().as_u16(), 408);

        // A body that pauses past the server's pause timeout is a 408 too, not a 400.
        let paused = tower_http::timeout::TimeoutBody::new(
            Duration::from_millis(50),
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>()),
        );
        let request = Request::new(Body::new(paused));
        let refused = read_body(request, &(), Duration::from_secs(5)).await.unwrap_err();
        assert!(
            matches!(&refused, ApiError::Timeout(detail) if detail.contains("paused")),
            "{refused}"
        );

        let whole = Request::new(Body::from("{}"));
        let body = read_body(whole, &(), Duration::from_millis(100)).await.unwrap();
        assert_eq!(&body[..], b"{}");
    }
}
