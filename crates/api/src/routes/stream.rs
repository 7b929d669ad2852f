//! `GET /api/v1/stream`: server-sent events of live scores (`score`) and alarm changes
//! (`alarm`), JSON data. A client that falls too far behind gets a `lagged` event with the
//! number of skipped events (everything is in the store: re-read it). Streams end when the
//! server shuts down, so a graceful shutdown does not wait for dashboards to disconnect, and
//! when the credentials that opened them stop being valid (checked every [`RECHECK`]: a token
//! revoked, a session ended by logout, expiry, idleness or a disabled user), as every other
//! request would be refused. The re-check only reads: an open stream is not activity, so a
//! session whose only use is a stream idles out after `session_idle_hours` like any other.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use faultline_auth::Permission;
use futures_util::{Stream, StreamExt, future};
use tokio::sync::watch;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::auth::recheck;
use crate::dto::{LiveDto, StreamQuery};
use crate::extract::Params;
use crate::{ApiError, ApiState};

/// Becomes `true` when the server starts shutting down (`serve` installs it).
#[derive(Clone)]
pub(crate) struct Shutdown(pub watch::Receiver<bool>);

/// Comment lines keep idle connections (and proxies) open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How often an open stream checks its credentials again.
pub(crate) const RECHECK: Duration = Duration::from_secs(5);

/// The event stream.
pub(super) async fn get(
    State(state): State<ApiState>,
    Params(query): Params<StreamQuery>,
    headers: HeaderMap,
    shutdown: Option<Extension<Shutdown>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let only = query.asset.filter(|a| !a.is_empty());
    if let Some(asset) = &only {
        state.known_asset(asset)?;
    }
    let events = BroadcastStream::new(state.engine().subscribe()).filter_map(move |item| {
        future::ready(match item {
            Ok(live) => {
                let dto = LiveDto::from(&live);
                if only.as_deref().is_some_and(|a| a != dto.asset()) {
                    None
                } else {
                    sse_event(&dto)
                }
            }
            Err(BroadcastStreamRecvError::Lagged(skipped)) => Some(Ok(Event::default()
                .event("lagged")
                .data(format!("{{\"skipped\":{skipped}}}")))),
        })
    });
    let stop = async move {
        match shutdown {
            // Stop on the signal, or when `serve` has gone (the sender dropped).
            Some(Extension(Shutdown(mut rx))) => {
                let _stopped = rx.wait_for(|stopped| *stopped).await;
            }
            None => future::pending::<()>().await,
        }
    };
    let revoked = still_allowed(state, headers);
    let end = future::select(Box::pin(stop), Box::pin(revoked));
    Ok(Sse::new(events.take_until(end)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Resolves once the request's credentials no longer authenticate a caller who may read.
async fn still_allowed(state: ApiState, headers: HeaderMap) {
    let mut every = tokio::time::interval(RECHECK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await; // the first tick is now: the guard has just checked
    loop {
        every.tick().await;
        if !may_still_read(&state, &headers).await {
            return;
        }
    }
}

/// One re-check: whether the credentials still authenticate a caller who may read. It writes
/// nothing (not a session's last activity, not a token's last use).
pub(crate) async fn may_still_read(state: &ApiState, headers: &HeaderMap) -> bool {
    matches!(
        recheck(state, headers).await,
        Ok(Some(caller)) if caller.role.allows(Permission::Read)
    )
}

fn sse_event(dto: &LiveDto) -> Option<Result<Event, Infallible>> {
    let event = match dto {
        LiveDto::Score(score) => Event::default().event("score").json_data(score),
        LiveDto::Alarm(change) => Event::default().event("alarm").json_data(change),
    };
    // Serialising these DTOs cannot fail (no maps with non-string keys, no custom impls).
    event.ok().map(Ok)
}
