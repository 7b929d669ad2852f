//! `GET /api/v1/assets`, `.../assets/{asset}/scores` and `.../assets/{asset}/history`: the assets
//! with their live state, their score history and their raw samples.

use axum::Json;
use axum::extract::State;
use faultline_types::Timestamp;

use crate::dto::{AssetDto, HistoryPage, RangeQuery, SampleDto, ScoreDto, ScoresPage};
use crate::extract::{Params, PathParams, limit};
use crate::times::parse_time;
use crate::{ApiError, ApiState};

/// Most rows one score or history request returns.
const MAX_ROWS: usize = 10_000;
/// Default window of a history request without `from`.
const HISTORY_WINDOW_NS: i64 = 3_600 * 1_000_000_000;

/// Every configured asset with its live state.
pub(super) async fn list(State(state): State<ApiState>) -> Json<Vec<AssetDto>> {
    Json(state.engine().assets().into_iter().map(AssetDto::from).collect())
}

/// `from` and `to` as given, each optional.
fn range(query: &RangeQuery) -> Result<(Option<Timestamp>, Option<Timestamp>), ApiError> {
    let from = query.from.as_deref().map(|t| parse_time("from", t)).transpose()?;
    let to = query.to.as_deref().map(|t| parse_time("to", t)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::Invalid("`from` must be before `to`".into()));
    }
    Ok((from, to))
}

/// The `from` of the next page when this one is full.
fn next_from(full: bool, last: Option<Timestamp>) -> Option<i64> {
    if full { last.map(|ts| ts.as_nanos().saturating_add(1)) } else { None }
}

/// Latest scores, or scores in a range.
pub(super) async fn scores(
    State(state): State<ApiState>,
    PathParams(asset): PathParams<String>,
    Params(query): Params<RangeQuery>,
) -> Result<Json<ScoresPage>, ApiError> {
    state.known_asset(&asset)?;
    let (from, to) = range(&query)?;
    let ranged = from.is_some() || to.is_some();
    let limit = limit(query.limit, if ranged { 1000 } else { 100 }, MAX_ROWS)?;
    let name = asset.clone();
    let rows = state
        .read(move |store| {
            if ranged {
                let from = from.unwrap_or(Timestamp::from_nanos(i64::MIN));
                let to = to.unwrap_or(Timestamp::from_nanos(i64::MAX));
                store.scores(&name, from, to, limit)
            } else {
                store.latest_scores(&name, limit)
            }
        })
        .await?;
    let next = next_from(ranged && rows.len() == limit, rows.last().map(|r| r.ts));
    Ok(Json(ScoresPage {
        asset,
        scores: rows.iter().map(ScoreDto::from).collect(),
        next_from: next,
    }))
}

/// Raw samples in a range (by default the hour up to the newest sample).
pub(super) async fn history(
    State(state): State<ApiState>,
    PathParams(asset): PathParams<String>,
    Params(query): Params<RangeQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    state.known_asset(&asset)?;
    let (from, to) = range(&query)?;
    let limit = limit(query.limit, 1000, MAX_ROWS)?;
    let name = asset.clone();
    let (from, to, rows) = state
        .read(move |store| {
            let to = match to {
                Some(to) => to,
                None => match store.last_sample_ts(&name)? {
                    Some(last) => Timestamp::from_nanos(last.as_nanos().saturating_add(1)),
                    None => Timestamp::from_nanos(i64::MAX),
                },
            };
            let from = from.unwrap_or_else(|| {
                Timestamp::from_nanos(to.as_nanos().saturating_sub(HISTORY_WINDOW_NS))
            });
            let rows = if from < to { store.samples(&name, from, to, limit)? } else { Vec::new() };
            Ok((from, to, rows))
        })
        .await?;
    let next = next_from(rows.len() == limit, rows.last().map(|s| s.sample.ts));
    Ok(Json(HistoryPage {
        asset,
        from_ns: from.as_nanos(),
        to_ns: to.as_nanos(),
        samples: rows.into_iter().map(SampleDto::from).collect(),
        next_from: next,
    }))
}
