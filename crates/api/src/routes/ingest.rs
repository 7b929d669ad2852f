//! `POST /api/v1/ingest`: a JSON batch of samples (docs/ingest.md). The answer comes only after
//! the accepted samples are durable, so a 200 is an acknowledgement the sender may rely on.

use axum::Json;
use axum::extract::State;

use crate::dto::IngestReportDto;
use crate::extract::RawBody;
use crate::{ApiError, ApiState};

/// 200 with the report; 400 when the body is not a batch (the reason in `detail`); 503 when the
/// engine is stopping (nothing of the batch was acknowledged: send it again).
pub(super) async fn post(
    State(state): State<ApiState>,
    RawBody(body): RawBody,
) -> Result<Json<IngestReportDto>, ApiError> {
    let report = state.engine().ingest_json(&body).await?;
    Ok(Json(report.into()))
}
