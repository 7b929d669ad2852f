//! Score history: one row per scored frame (T², SPE, their limits, the verdict and the top
//! contributors), for trend charts and for explaining an alarm after the fact.

use faultline_types::{Contributor, Timestamp};
use rusqlite::{Row, params};
use serde::{Deserialize, Serialize};

use crate::db::{sql, sql_limit, write_tx};
use crate::{Store, StoreError};

/// One scored frame as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    /// Asset name.
    pub asset: String,
    /// The frame's timestamp (data time).
    pub ts: Timestamp,
    /// Hotelling's T².
    pub t2: f64,
    /// T² control limit (may be infinite while a detector warms up).
    pub t2_limit: f64,
    /// Squared prediction error.
    pub spe: f64,
    /// SPE control limit (may be infinite while a detector warms up).
    pub spe_limit: f64,
    /// The detector's combined verdict.
    pub alarm: bool,
    /// How many values of the frame were imputed (quality Bad or Missing).
    pub imputed: u32,
    /// The channels that contributed most, largest first.
    pub top: Vec<Contributor>,
}

// A replay after a crash may score frames whose scores were already stored; scoring is
// deterministic, so the stored row is kept and the repeat is skipped (UNIQUE (asset, ts_ns)).
const INSERT: &str = "INSERT INTO scores \
     (asset, ts_ns, t2, t2_limit, spe, spe_limit, alarm, imputed, top) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (asset, ts_ns) DO NOTHING";
const RANGE: &str = "SELECT asset, ts_ns, t2, t2_limit, spe, spe_limit, alarm, imputed, top \
     FROM scores WHERE asset = ?1 AND ts_ns >= ?2 AND ts_ns < ?3 ORDER BY ts_ns LIMIT ?4";
const LATEST: &str = "SELECT asset, ts_ns, t2, t2_limit, spe, spe_limit, alarm, imputed, top \
     FROM scores WHERE asset = ?1 ORDER BY ts_ns DESC LIMIT ?2";

impl Store {
    /// Appends score rows in one transaction. A row for an asset and timestamp that already has
    /// one is skipped (replays score the same frames again). NaN anywhere, or an infinite
    /// statistic or contribution, is refused: it would not read back.
    pub fn append_scores(&mut self, rows: &[ScoreRecord]) -> Result<(), StoreError> {
        const WHAT: &str = "append scores";
        if rows.is_empty() {
            return Ok(());
        }
        let tops = self.score_tops(rows)?;
        let path = &self.path;
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        insert_scores(&tx, path, rows, &tops)?;
        tx.commit().map_err(sql(path, WHAT))
    }

    /// Each row's contributors as stored (JSON), after checking its numbers.
    pub(crate) fn score_tops(&self, rows: &[ScoreRecord]) -> Result<Vec<String>, StoreError> {
        let mut tops = Vec::with_capacity(rows.len());
        for row in rows {
            check_numbers(self, row)?;
            tops.push(serde_json::to_string(&row.top).map_err(|e| invalid(self, row, &e))?);
        }
        Ok(tops)
    }

    /// Scores of `asset` with `from <= ts < to`, oldest first, at most `limit`.
    pub fn scores(
        &self,
        asset: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<ScoreRecord>, StoreError> {
        let params = params![asset, from.as_nanos(), to.as_nanos(), sql_limit(limit)];
        self.read_scores(RANGE, params)
    }

    /// The newest `n` scores of `asset`, returned oldest first.
    pub fn latest_scores(&self, asset: &str, n: usize) -> Result<Vec<ScoreRecord>, StoreError> {
        let mut rows = self.read_scores(LATEST, params![asset, sql_limit(n)])?;
        rows.reverse();
        Ok(rows)
    }

    fn read_scores(
        &self,
        sql_text: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<ScoreRecord>, StoreError> {
        let err = sql(&self.path, "read scores");
        let mut stmt = self.conn.prepare_cached(sql_text).map_err(&err)?;
        let rows = stmt.query_map(params, read_row).map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (mut record, top) = row.map_err(&err)?;
            record.top = serde_json::from_str(&top).map_err(|e| StoreError::Damaged {
                path: self.path.clone(),
                record: format!("score of asset {} at {} ns", record.asset, record.ts.as_nanos()),
                reason: format!("contributors are not valid JSON: {e}"),
            })?;
            out.push(record);
        }
        Ok(out)
    }
}

/// A row with its contributors still as JSON text (decoded by the caller, which can name the
/// record in an error).
fn read_row(r: &Row<'_>) -> rusqlite::Result<(ScoreRecord, String)> {
    let record = ScoreRecord {
        asset: r.get(0)?,
        ts: Timestamp::from_nanos(r.get(1)?),
        t2: r.get(2)?,
        t2_limit: r.get(3)?,
        spe: r.get(4)?,
        spe_limit: r.get(5)?,
        alarm: r.get(6)?,
        imputed: r.get(7)?,
        top: Vec::new(),
    };
    Ok((record, r.get(8)?))
}

/// Limits may be infinite (a warming-up detector has no limit yet; SQLite stores ±∞ as REAL),
/// but NaN is stored as NULL and contributions go through JSON, which has no infinities.
/// Inserts score rows (with their contributors as JSON) inside the caller's write transaction.
pub(crate) fn insert_scores(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    rows: &[ScoreRecord],
    tops: &[String],
) -> Result<(), StoreError> {
    let err = sql(path, "append scores");
    let mut insert = tx.prepare_cached(INSERT).map_err(&err)?;
    for (row, top) in rows.iter().zip(tops) {
        insert
            .execute(params![
                row.asset,
                row.ts.as_nanos(),
                row.t2,
                row.t2_limit,
                row.spe,
                row.spe_limit,
                row.alarm,
                row.imputed,
                top
            ])
            .map_err(&err)?;
    }
    Ok(())
}

impl ScoreRecord {
    /// Whether the store takes this row: every statistic and contribution finite, the limits
    /// not NaN (they may be infinite while a detector warms up).
    pub fn is_storable(&self) -> bool {
        let limits_ok = !self.t2_limit.is_nan() && !self.spe_limit.is_nan();
        let values_ok = self.t2.is_finite() && self.spe.is_finite();
        limits_ok && values_ok && self.top.iter().all(|c| c.value.is_finite())
    }
}

fn check_numbers(store: &Store, row: &ScoreRecord) -> Result<(), StoreError> {
    if row.is_storable() {
        return Ok(());
    }
    Err(invalid(store, row, &"a statistic, limit or contribution is not a finite number"))
}

fn invalid(store: &Store, row: &ScoreRecord, why: &dyn std::fmt::Display) -> StoreError {
    StoreError::Invalid {
        path: store.path.clone(),
        what: format!("score of asset {} at {} ns: {why}", row.asset, row.ts.as_nanos()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn scores_round_trip_by_range_and_latest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut warming = score("a", 5);
        warming.t2_limit = f64::INFINITY;
        warming.spe_limit = f64::INFINITY;
        let rows =
            vec![score("a", 30), score("a", 10), score("b", 10), score("a", 20), warming.clone()];
        store.append_scores(&rows).unwrap();
        store.append_scores(&[]).unwrap();

        let ts = Timestamp::from_nanos;
        let got = store.scores("a", ts(10), ts(30), 10).unwrap();
        assert_eq!(got, vec![rows[1].clone(), rows[3].clone()]);
        assert_eq!(store.scores("a", ts(0), ts(100), 1).unwrap(), vec![warming]);
        let latest = store.latest_scores("a", 2).unwrap();
        assert_eq!(latest, vec![rows[3].clone(), rows[0].clone()]);
        assert_eq!(store.latest_scores("a", 100).unwrap().len(), 4);
        assert!(store.latest_scores("zz", 5).unwrap().is_empty());

        // Scoring the same frame again (a replay) keeps the stored row.
        let mut again = score("a", 10);
        again.t2 = 1e9;
        store.append_scores(&[again]).unwrap();
        assert_eq!(store.scores("a", ts(10), ts(11), 9).unwrap(), vec![rows[1].clone()]);
    }

    #[test]
    fn nan_scores_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut bad = score("a", 2);
        bad.spe = f64::NAN;
        let err = store.append_scores(&[score("a", 1), bad]).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(store.latest_scores("a", 9).unwrap().is_empty());
    }
}
