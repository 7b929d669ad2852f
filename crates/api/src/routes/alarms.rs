//! `GET /api/v1/alarms`, `GET /api/v1/alarms/{id}` and the operator actions `ack`, `shelve` and
//! `unshelve`. Actions go through the engine's audited commands (the caller is the actor); which
//! transitions are legal is the engine's decision, answered here as 409 when refused.

use axum::Json;
use axum::extract::State;
use faultline_pipeline::{Command, CommandOutcome};
use faultline_store::AlarmFilter;
use faultline_types::{Alarm, Timestamp};

use crate::auth::Caller;
use crate::dto::{AlarmDto, AlarmsQuery, CommentBody, ShelveBody, parse_states};
use crate::extract::{JsonBody, Params, PathParams, comment, limit};
use crate::times::{now, parse_time};
use crate::{ApiError, ApiState};

/// Longest shelving: ISA-18.2 wants shelving to end by itself.
const MAX_SHELVE_MINUTES: u64 = 30 * 24 * 60;
const NANOS_PER_MINUTE: i64 = 60 * 1_000_000_000;

/// Alarms, newest first.
pub(super) async fn list(
    State(state): State<ApiState>,
    Params(query): Params<AlarmsQuery>,
) -> Result<Json<Vec<AlarmDto>>, ApiError> {
    let states = query.state.as_deref().map(parse_states).transpose().map_err(ApiError::Invalid)?;
    let filter = AlarmFilter {
        asset: query.asset.filter(|a| !a.is_empty()),
        states: states.unwrap_or_default(),
        limit: limit(query.limit, 100, 10_000)?,
    };
    let alarms = state.read(move |store| store.alarms(&filter)).await?;
    Ok(Json(alarms.iter().map(AlarmDto::from).collect()))
}

/// One alarm.
pub(super) async fn get(
    State(state): State<ApiState>,
    PathParams(id): PathParams<u64>,
) -> Result<Json<AlarmDto>, ApiError> {
    let alarm = state.read(move |store| store.alarm(id)).await?;
    alarm.map(|a| Json(AlarmDto::from(&a))).ok_or_else(|| ApiError::NotFound(format!("alarm {id}")))
}

/// Acknowledge.
pub(super) async fn ack(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(id): PathParams<u64>,
    JsonBody(body): JsonBody<CommentBody>,
) -> Result<Json<AlarmDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    run(&state, Command::Acknowledge { id, actor: caller.actor(), comment }).await
}

/// Shelve until a time or for some minutes.
pub(super) async fn shelve(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(id): PathParams<u64>,
    JsonBody(body): JsonBody<ShelveBody>,
) -> Result<Json<AlarmDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    let until = shelve_until(&body, now())?;
    run(&state, Command::Shelve { id, until, actor: caller.actor(), comment }).await
}

/// Unshelve.
pub(super) async fn unshelve(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(id): PathParams<u64>,
    JsonBody(body): JsonBody<CommentBody>,
) -> Result<Json<AlarmDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    run(&state, Command::Unshelve { id, actor: caller.actor(), comment }).await
}

/// The deadline of a shelve request: exactly one of `until` and `minutes`, in the future and
/// at most [`MAX_SHELVE_MINUTES`] away.
fn shelve_until(body: &ShelveBody, now: Timestamp) -> Result<Timestamp, ApiError> {
    let latest = now.as_nanos().saturating_add(MAX_SHELVE_MINUTES as i64 * NANOS_PER_MINUTE);
    let until = match (&body.until, body.minutes) {
        (Some(until), None) => parse_time("until", until)?,
        (None, Some(minutes)) if (1..=MAX_SHELVE_MINUTES).contains(&minutes) => {
            Timestamp::from_nanos(now.as_nanos().saturating_add(minutes as i64 * NANOS_PER_MINUTE))
        }
        (None, Some(minutes)) => {
            return Err(ApiError::Invalid(format!(
                "`minutes` {minutes} must be between 1 and {MAX_SHELVE_MINUTES} (30 days)"
            )));
        }
        _ => return Err(ApiError::Invalid("give exactly one of `until` and `minutes`".into())),
    };
    if until <= now {
        return Err(ApiError::Invalid("`until` must be in the future".into()));
    }
    if until.as_nanos() > latest {
        return Err(ApiError::Invalid("`until` must be at most 30 days ahead".into()));
    }
    Ok(until)
}

async fn run(state: &ApiState, command: Command) -> Result<Json<AlarmDto>, ApiError> {
    match state.engine().command(command).await? {
        CommandOutcome::Alarm(alarm) => Ok(Json(AlarmDto::from(&alarm))),
        other => Err(unexpected(other)),
    }
}

fn unexpected(outcome: CommandOutcome) -> ApiError {
    let what = match outcome {
        CommandOutcome::Alarm(Alarm { id, .. }) => format!("alarm {id}"),
        CommandOutcome::Model(m) => format!("model {} v{}", m.asset, m.version),
    };
    ApiError::Internal(format!("the engine answered an alarm command with {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(until: Option<&str>, minutes: Option<u64>) -> ShelveBody {
        ShelveBody { comment: "c".into(), until: until.map(str::to_string), minutes }
    }

    #[test]
    fn shelve_deadline_rules() {
        let now = Timestamp::from_nanos(1_700_000_000_000_000_000);
        let in_an_hour = shelve_until(&body(None, Some(60)), now).unwrap();
        assert_eq!(in_an_hour.nanos_since(now), 3_600_000_000_000);
        let until = shelve_until(&body(Some("2023-11-15T00:00:00Z"), None), now).unwrap();
        assert!(until > now);
        for bad in [
            body(None, None),
            body(Some("2023-11-15T00:00:00Z"), Some(5)),
            body(None, Some(0)),
            body(None, Some(MAX_SHELVE_MINUTES + 1)),
            body(Some("2020-01-01T00:00:00Z"), None),
            body(Some("2030-01-01T00:00:00Z"), None),
            body(Some("soon"), None),
        ] {
            assert!(matches!(shelve_until(&bad, now), Err(ApiError::Invalid(_))), "{bad:?}");
        }
    }
}
