//! `GET /api/v1/audit` (the trail, newest first, with signatures) and `GET
//! /api/v1/audit/verify` (the whole trail checked: chain, ids, signatures, anchor).

use axum::Json;
use axum::extract::State;

use crate::dto::{AuditQuery, EventDto, VerifyDto};
use crate::extract::{Params, limit};
use crate::{ApiError, ApiState};

/// Newest first, paged back with `before`.
pub(super) async fn list(
    State(state): State<ApiState>,
    Params(query): Params<AuditQuery>,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    let limit = limit(query.limit, 100, 1000)?;
    let events = state.read(move |store| store.events_newest(limit, query.before)).await?;
    Ok(Json(events.into_iter().map(EventDto::from).collect()))
}

/// Verifies the whole trail.
pub(super) async fn verify(State(state): State<ApiState>) -> Result<Json<VerifyDto>, ApiError> {
    let report = state.read(|store| store.audit_report()).await?;
    Ok(Json(VerifyDto {
        ok: report.ok(),
        records: report.records,
        first_bad: report.first_bad,
        detail: report.detail,
    }))
}
