//! `GET /health`: liveness, without authentication.

use axum::Json;

use crate::dto::HealthDto;

/// Always `{"status": "ok"}` while the server answers.
pub(super) async fn get() -> Json<HealthDto> {
    Json(HealthDto { status: "ok" })
}
