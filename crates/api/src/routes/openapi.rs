//! `GET /api/openapi.json`: the OpenAPI document built from the route table.

use axum::Json;

/// The document.
pub(super) async fn get() -> Json<serde_json::Value> {
    Json(crate::openapi())
}
