//! `GET /api/v1/rejects`: rejected and dropped samples by reason.

use axum::Json;
use axum::extract::State;

use crate::ApiState;
use crate::dto::RejectsDto;

/// Every reason with its count since start.
pub(super) async fn get(State(state): State<ApiState>) -> Json<RejectsDto> {
    Json(RejectsDto::from(&state.engine().metrics()))
}
