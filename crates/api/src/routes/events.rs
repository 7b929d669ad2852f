//! `GET /api/v1/events`: the audit trail, newest first.
//!
//! The store pages the trail oldest first (`events(limit, after_id)`); newest-first pages are
//! read from windows of ids below the end, widened until they hold `limit` events.

use axum::Json;
use axum::extract::State;
use faultline_store::{Event, Store, StoreError};

use crate::dto::{EventDto, EventsQuery};
use crate::extract::{Params, limit};
use crate::{ApiError, ApiState};

/// Newest first: without `after`, the newest `limit` events (below `before`); with `after`,
/// the `limit` events that follow that id (so polling with the newest id seen misses none).
pub(super) async fn list(
    State(state): State<ApiState>,
    Params(query): Params<EventsQuery>,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    let limit = limit(query.limit, 100, 1000)?;
    if query.after.is_some() && query.before.is_some() {
        return Err(ApiError::Invalid("give `after` or `before`, not both".into()));
    }
    let events = state
        .read(move |store| match query.after {
            Some(after) => store.events(limit, Some(after)),
            None => newest(store, limit, query.before),
        })
        .await?;
    Ok(Json(events.into_iter().rev().map(EventDto::from).collect()))
}

/// The newest `limit` events with an id below `before` (all ids when `None`), oldest first.
fn newest(
    store: &Store,
    limit: usize,
    before: Option<u64>,
) -> Result<Vec<(u64, Event)>, StoreError> {
    let end = match before {
        Some(before) => before,
        None => match last_id(store)? {
            Some(last) => last.saturating_add(1),
            None => return Ok(Vec::new()),
        },
    };
    let mut width = limit as u64 + 1;
    loop {
        let start = end.saturating_sub(width);
        // Ids are integers: (start, end) holds at most `end - start - 1` of them.
        let span =
            usize::try_from(end.saturating_sub(start).saturating_sub(1)).unwrap_or(usize::MAX);
        let mut rows = store.events(span, Some(start))?;
        rows.retain(|(id, _)| *id < end);
        if rows.len() >= limit || start == 0 {
            let skip = rows.len().saturating_sub(limit);
            return Ok(rows.split_off(skip));
        }
        width = width.saturating_mul(2);
    }
}

/// The largest event id, found by exponential then binary search over "is there an event
/// after id x" (each probe is one indexed lookup).
fn last_id(store: &Store) -> Result<Option<u64>, StoreError> {
    let after = |x: u64| -> Result<Option<u64>, StoreError> {
        Ok(store.events(1, Some(x))?.first().map(|(id, _)| *id))
    };
    let Some(first) = after(0)? else { return Ok(None) };
    // Invariant: an event with id > lo exists (lo < hi), none with id > hi.
    let (mut lo, mut hi) = (first - 1, first);
    while let Some(next) = after(hi)? {
        lo = next - 1;
        hi = next.saturating_mul(2);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match after(mid)? {
            Some(_) => lo = mid,
            None => hi = mid,
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use faultline_types::Timestamp;

    use super::*;

    fn ids(rows: &[(u64, Event)]) -> Vec<u64> {
        rows.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn newest_pages_back_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(last_id(&store).unwrap(), None);
        assert!(newest(&store, 5, None).unwrap().is_empty());
        for n in 1..=37u64 {
            let event = Event::new(Timestamp::from_nanos(n as i64), "test", "x.y", "t");
            store.append_event(&event).unwrap();
            assert_eq!(last_id(&store).unwrap(), Some(n));
        }
        assert_eq!(ids(&newest(&store, 3, None).unwrap()), vec![35, 36, 37]);
        assert_eq!(ids(&newest(&store, 3, Some(35)).unwrap()), vec![32, 33, 34]);
        assert_eq!(ids(&newest(&store, 5, Some(3)).unwrap()), vec![1, 2]);
        assert!(newest(&store, 5, Some(1)).unwrap().is_empty());
        assert_eq!(newest(&store, 1000, None).unwrap().len(), 37);
        assert_eq!(ids(&newest(&store, 2, Some(1000)).unwrap()), vec![36, 37]);
    }
}
