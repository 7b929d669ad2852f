//! The sample journal: every accepted sample, stored durably before its sender is acknowledged,
//! and read back for history queries and for replay after a restart.
//!
//! Each record is `(seq, asset, ts_ns, payload, checksum)`: the payload is the sample's JSON and
//! the checksum its SHA-256, verified on every read, so a damaged or edited record is reported
//! (as [`StoreError::Corrupt`] with its `seq`) instead of being fed to a detector as data.

use faultline_types::{Sample, Timestamp};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::db::{signed, sql, sql_limit, unsigned, write_tx};
use crate::{Store, StoreError};

/// What happened to one sample given to [`Store::append_samples`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Newly stored under this sequence number.
    Stored {
        /// The record's sequence number.
        seq: u64,
    },
    /// A sample of the same asset and timestamp was already stored (for example a broker's
    /// redelivery after a crash); nothing was written. `seq` is the stored record's.
    Duplicate {
        /// The already stored record's sequence number.
        seq: u64,
    },
}

impl AppendOutcome {
    /// The sequence number of the record that holds this sample.
    pub fn seq(self) -> u64 {
        match self {
            AppendOutcome::Stored { seq } | AppendOutcome::Duplicate { seq } => seq,
        }
    }

    /// True when the sample had been stored before.
    pub fn is_duplicate(self) -> bool {
        matches!(self, AppendOutcome::Duplicate { .. })
    }
}

/// A sample read back from the journal, with its sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSample {
    /// Sequence number: increases with every stored sample and is never reused.
    pub seq: u64,
    /// The sample as it was appended.
    pub sample: Sample,
}

// `DO NOTHING` rather than an error: a duplicate is an expected outcome (redelivery), and it
// must not abort the rest of the batch. The UNIQUE (asset, ts_ns) constraint decides, so
// duplicates are caught across restarts, across handles and within one batch alike.
const INSERT: &str = "INSERT INTO samples (asset, ts_ns, payload, checksum) VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (asset, ts_ns) DO NOTHING";
const FIND: &str = "SELECT seq FROM samples WHERE asset = ?1 AND ts_ns = ?2";
const COLUMNS: &str = "SELECT seq, asset, ts_ns, payload, checksum FROM samples";

/// A journal row as read, before verification.
type RawRecord = (i64, String, i64, Vec<u8>, Vec<u8>);

impl Store {
    /// Appends samples in ONE transaction (group commit: one fsync for the batch) and returns,
    /// per sample and in order, `Stored { seq }` or `Duplicate { seq }` (same asset and timestamp
    /// already stored; the first stored copy wins).
    ///
    /// When this returns `Ok`, every sample is durable (WAL fsynced): only then may the sender be
    /// acknowledged. On `Err` nothing of the batch was stored. A sample with a non-finite value
    /// is refused ([`StoreError::Invalid`]) because JSON cannot represent it.
    pub fn append_samples(&mut self, samples: &[Sample]) -> Result<Vec<AppendOutcome>, StoreError> {
        const WHAT: &str = "append samples";
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        // Checked before the transaction so a refused batch costs no lock and no fsync.
        for sample in samples {
            check_finite(self, sample)?;
        }
        let path = &self.path;
        let err = sql(path, WHAT);
        let tx = write_tx(&mut self.conn, path, WHAT)?;
        let mut outcomes = Vec::with_capacity(samples.len());
        {
            let mut insert = tx.prepare_cached(INSERT).map_err(&err)?;
            let mut find = tx.prepare_cached(FIND).map_err(&err)?;
            let mut payload = Vec::with_capacity(1024);
            for sample in samples {
                payload.clear();
                serde_json::to_writer(&mut payload, sample).map_err(|e| StoreError::Invalid {
                    path: path.clone(),
                    what: format!("sample of asset {}: {e}", sample.asset),
                })?;
                let checksum: [u8; 32] = Sha256::digest(&payload).into();
                let ts = sample.ts.as_nanos();
                let inserted =
                    insert.execute(params![sample.asset, ts, payload, checksum]).map_err(&err)?;
                outcomes.push(if inserted == 1 {
                    AppendOutcome::Stored { seq: unsigned(tx.last_insert_rowid()) }
                } else {
                    let seq: i64 =
                        find.query_row(params![sample.asset, ts], |r| r.get(0)).map_err(&err)?;
                    AppendOutcome::Duplicate { seq: unsigned(seq) }
                });
            }
        }
        // The commit is the fsync (synchronous = FULL): the durability point of the batch.
        tx.commit().map_err(&err)?;
        Ok(outcomes)
    }

    /// Samples of `asset` with `from <= ts < to`, oldest first, at most `limit`. Every record's
    /// checksum is verified: a mismatch is [`StoreError::Corrupt`] naming its `seq`.
    pub fn samples(
        &self,
        asset: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredSample>, StoreError> {
        let sql_text = format!(
            "{COLUMNS} WHERE asset = ?1 AND ts_ns >= ?2 AND ts_ns < ?3 ORDER BY ts_ns LIMIT ?4"
        );
        let params = params![asset, from.as_nanos(), to.as_nanos(), sql_limit(limit)];
        self.read_records(&sql_text, params, "read samples")
    }

    /// Up to `limit` samples with `seq > after_seq`, in `seq` order (the order they were
    /// stored): for replaying the journal after a restart. Checksums are verified as in
    /// [`Store::samples`].
    pub fn samples_after(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<StoredSample>, StoreError> {
        let sql_text = format!("{COLUMNS} WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        let params = params![signed(after_seq), sql_limit(limit)];
        self.read_records(&sql_text, params, "read samples for replay")
    }

    /// Number of stored samples, of one asset or of all.
    pub fn sample_count(&self, asset: Option<&str>) -> Result<u64, StoreError> {
        let err = sql(&self.path, "count samples");
        let count: i64 = match asset {
            Some(asset) => self
                .conn
                .prepare_cached("SELECT count(*) FROM samples WHERE asset = ?1")
                .and_then(|mut s| s.query_row([asset], |r| r.get(0))),
            None => self
                .conn
                .prepare_cached("SELECT count(*) FROM samples")
                .and_then(|mut s| s.query_row([], |r| r.get(0))),
        }
        .map_err(err)?;
        Ok(unsigned(count))
    }

    /// The timestamp of the `n`-th newest sample of `asset` stamped at or before `to` (the
    /// oldest such sample's when there are fewer; `None` when there is none): where a read of
    /// the newest `n` samples starts, so that they can be read in chunks, oldest first.
    pub fn nth_newest_sample_ts(
        &self,
        asset: &str,
        to: Timestamp,
        n: usize,
    ) -> Result<Option<Timestamp>, StoreError> {
        let err = sql(&self.path, "find where the newest samples start");
        let offset = i64::try_from(n.max(1) - 1).unwrap_or(i64::MAX);
        let nth: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT ts_ns FROM samples WHERE asset = ?1 AND ts_ns <= ?2 \
                 ORDER BY ts_ns DESC LIMIT 1 OFFSET ?3",
            )
            .and_then(|mut s| s.query_row(params![asset, to.as_nanos(), offset], |r| r.get(0)))
            .optional()
            .map_err(&err)?;
        if let Some(ts) = nth {
            return Ok(Some(Timestamp(ts)));
        }
        let oldest: Option<i64> = self
            .conn
            .prepare_cached("SELECT min(ts_ns) FROM samples WHERE asset = ?1 AND ts_ns <= ?2")
            .and_then(|mut s| s.query_row(params![asset, to.as_nanos()], |r| r.get(0)))
            .map_err(err)?;
        Ok(oldest.map(Timestamp))
    }

    /// Number of stored samples of `asset` stamped in `[from, to]`.
    pub fn sample_count_between(
        &self,
        asset: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM samples WHERE asset = ?1 AND ts_ns >= ?2 AND ts_ns <= ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![asset, from.as_nanos(), to.as_nanos()], |r| r.get(0))
            })
            .map_err(sql(&self.path, "count samples in a window"))?;
        Ok(unsigned(count))
    }

    /// Whether a sample of `asset` at exactly `ts` is stored (a redelivery is then a duplicate,
    /// not an out-of-order sample).
    pub fn has_sample(&self, asset: &str, ts: Timestamp) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM samples WHERE asset = ?1 AND ts_ns = ?2)")
            .and_then(|mut s| s.query_row(rusqlite::params![asset, ts.as_nanos()], |r| r.get(0)))
            .map_err(sql(&self.path, "look up a sample"))
    }

    /// Timestamp of the newest stored sample of `asset`, if any.
    pub fn last_sample_ts(&self, asset: &str) -> Result<Option<Timestamp>, StoreError> {
        let ts: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(ts_ns) FROM samples WHERE asset = ?1")
            .and_then(|mut s| s.query_row([asset], |r| r.get(0)))
            .map_err(sql(&self.path, "read the last sample time"))?;
        Ok(ts.map(Timestamp::from_nanos))
    }

    fn read_records(
        &self,
        sql_text: &str,
        params: &[&dyn rusqlite::ToSql],
        what: &str,
    ) -> Result<Vec<StoredSample>, StoreError> {
        let err = sql(&self.path, what);
        let mut stmt = self.conn.prepare_cached(sql_text).map_err(&err)?;
        let rows = stmt
            .query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.verify(row.map_err(&err)?)?);
        }
        Ok(out)
    }

    /// Checks a record's checksum, decodes it, and checks that the payload agrees with the
    /// indexed columns (which the checksum does not cover).
    fn verify(
        &self,
        (seq, asset, ts_ns, payload, checksum): RawRecord,
    ) -> Result<StoredSample, StoreError> {
        let seq = unsigned(seq);
        let corrupt = |reason: String| StoreError::Corrupt { path: self.path.clone(), seq, reason };
        if Sha256::digest(&payload)[..] != checksum[..] {
            return Err(corrupt("payload does not match its SHA-256 checksum".into()));
        }
        let sample: Sample = serde_json::from_slice(&payload)
            .map_err(|e| corrupt(format!("payload is not a sample: {e}")))?;
        if sample.asset != asset || sample.ts.as_nanos() != ts_ns {
            return Err(corrupt(format!(
                "payload is asset {} at {} ns but the record is indexed as asset {asset} at {ts_ns} ns",
                sample.asset,
                sample.ts.as_nanos()
            )));
        }
        Ok(StoredSample { seq, sample })
    }
}

/// JSON writes NaN and infinities as `null`, which would not read back as a number: refuse them
/// here rather than store a record that can never be replayed. Decoders already reject them, so
/// this only fires on a bug upstream.
fn check_finite(store: &Store, sample: &Sample) -> Result<(), StoreError> {
    match sample.values.iter().find(|v| !v.value.is_finite()) {
        None => Ok(()),
        Some(v) => Err(StoreError::Invalid {
            path: store.path.clone(),
            what: format!(
                "sample of asset {} at {} ns: channel {} is {} (only finite values can be stored)",
                sample.asset,
                sample.ts.as_nanos(),
                v.channel,
                v.value
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn ts(n: i64) -> Timestamp {
        Timestamp::from_nanos(n)
    }

    #[test]
    fn append_and_read_back_every_way() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut with_context = sample("a", 30, 3);
        with_context.context = vec![("lot".into(), "L7".into())];
        let batch = vec![sample("a", 20, 3), sample("b", 10, 2), sample("a", 10, 3), with_context];
        let outcomes = store.append_samples(&batch).unwrap();
        let seqs: Vec<u64> = outcomes.iter().map(|o| o.seq()).collect();
        assert!(outcomes.iter().all(|o| !o.is_duplicate()));
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

        // Range queries are per asset, half-open and oldest first, whatever the append order.
        let got = store.samples("a", ts(10), ts(31), 10).unwrap();
        let times: Vec<i64> = got.iter().map(|s| s.sample.ts.as_nanos()).collect();
        assert_eq!(times, vec![10, 20, 30]);
        assert_eq!(got[0], StoredSample { seq: seqs[2], sample: batch[2].clone() });
        assert_eq!(got[2].sample, batch[3]);
        assert_eq!(store.samples("a", ts(10), ts(30), 10).unwrap().len(), 2);
        assert_eq!(store.samples("a", ts(0), ts(100), 1).unwrap()[0].sample.ts, ts(10));
        assert!(store.samples("a", ts(0), ts(100), 0).unwrap().is_empty());

        // Replay is in storage order.
        let replay = store.samples_after(seqs[0], 100).unwrap();
        assert_eq!(replay.iter().map(|s| s.seq).collect::<Vec<_>>(), seqs[1..]);
        assert_eq!(store.samples_after(0, 2).unwrap().len(), 2);
        assert!(store.samples_after(u64::MAX, 10).unwrap().is_empty());

        assert_eq!(store.sample_count(None).unwrap(), 4);
        assert_eq!(store.sample_count(Some("a")).unwrap(), 3);
        assert_eq!(store.sample_count(Some("zz")).unwrap(), 0);
        assert_eq!(store.last_sample_ts("a").unwrap(), Some(ts(30)));
        assert_eq!(store.last_sample_ts("zz").unwrap(), None);
        assert!(store.append_samples(&[]).unwrap().is_empty());

        // Where the newest n samples up to a time start, and how many lie in a closed window.
        assert_eq!(store.nth_newest_sample_ts("a", ts(30), 1).unwrap(), Some(ts(30)));
        assert_eq!(store.nth_newest_sample_ts("a", ts(30), 2).unwrap(), Some(ts(20)));
        assert_eq!(store.nth_newest_sample_ts("a", ts(25), 1).unwrap(), Some(ts(20)));
        assert_eq!(store.nth_newest_sample_ts("a", ts(30), 9).unwrap(), Some(ts(10)), "fewer");
        assert_eq!(store.nth_newest_sample_ts("a", ts(5), 1).unwrap(), None);
        assert_eq!(store.nth_newest_sample_ts("zz", ts(30), 1).unwrap(), None);
        assert_eq!(store.sample_count_between("a", ts(10), ts(20)).unwrap(), 2);
        assert_eq!(store.sample_count_between("a", ts(11), ts(100)).unwrap(), 2);
        assert_eq!(store.sample_count_between("b", ts(11), ts(100)).unwrap(), 0);
    }

    #[test]
    fn duplicates_are_detected_within_a_batch_and_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let mut store = Store::open(dir.path()).unwrap();
            store.append_samples(&[sample("a", 1, 2), sample("a", 2, 2)]).unwrap()
        };
        let mut store = Store::open(dir.path()).unwrap();
        let mut changed = sample("a", 2, 2);
        changed.values[0].value = 99.0;
        let again = store
            .append_samples(&[sample("a", 1, 2), changed, sample("a", 3, 2), sample("a", 3, 2)])
            .unwrap();
        assert_eq!(again[0], AppendOutcome::Duplicate { seq: first[0].seq() });
        assert_eq!(again[1], AppendOutcome::Duplicate { seq: first[1].seq() });
        assert!(matches!(again[2], AppendOutcome::Stored { .. }));
        assert_eq!(again[3], AppendOutcome::Duplicate { seq: again[2].seq() });
        assert_eq!(store.sample_count(None).unwrap(), 3);
        // The first stored copy wins.
        let stored = store.samples("a", ts(2), ts(3), 1).unwrap();
        assert_eq!(stored[0].sample, sample("a", 2, 2));
    }

    #[test]
    fn appended_rows_are_visible_to_a_second_store_and_a_fresh_connection() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path()).unwrap();
        let reader = Store::open(dir.path()).unwrap();
        writer.append_samples(&[sample("a", 1, 4), sample("a", 2, 4)]).unwrap();
        // Both handles stay open: WAL lets the reader see the writer's commit at once.
        assert_eq!(reader.sample_count(Some("a")).unwrap(), 2);
        assert_eq!(reader.samples("a", ts(0), ts(9), 9).unwrap()[1].sample, sample("a", 2, 4));
        // A connection opened after the call returned (as after a crash) sees the rows.
        let count: i64 =
            raw(dir.path()).query_row("SELECT count(*) FROM samples", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 2);
    }

    #[test]
    fn a_damaged_record_is_reported_with_its_seq() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let seqs: Vec<u64> = store
            .append_samples(&[sample("a", 1, 2), sample("a", 2, 2), sample("a", 3, 2)])
            .unwrap()
            .iter()
            .map(|o| o.seq())
            .collect();
        let conn = raw(dir.path());
        let payload: Vec<u8> = conn
            .query_row("SELECT payload FROM samples WHERE seq = ?1", [seqs[1] as i64], |r| r.get(0))
            .unwrap();
        let original = String::from_utf8(payload).unwrap();
        let edited = original.replace("\"quality\":\"good\"", "\"quality\":\"bad\"");
        assert_ne!(edited, original);
        conn.execute(
            "UPDATE samples SET payload = ?1 WHERE seq = ?2",
            params![edited.as_bytes(), seqs[1] as i64],
        )
        .unwrap();

        let err = store.samples("a", ts(0), ts(9), 9).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq, .. } if seq == seqs[1]), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("seq {}", seqs[1])) && message.contains("checksum"),
            "{message}"
        );
        assert!(
            matches!(store.samples_after(0, 9), Err(StoreError::Corrupt { seq, .. }) if seq == seqs[1])
        );
        // Records before the damage still read.
        assert_eq!(store.samples_after(0, 1).unwrap()[0].seq, seqs[0]);

        // Moving a record to another time (columns are not under the checksum) is caught too.
        conn.execute("UPDATE samples SET ts_ns = 9 WHERE seq = ?1", [seqs[2] as i64]).unwrap();
        let err = store.samples_after(seqs[1], 9).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq, .. } if seq == seqs[2]), "{err}");
    }

    #[test]
    fn non_finite_values_are_refused_and_nothing_of_the_batch_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut bad = sample("a", 2, 3);
        bad.values[1].value = f64::NAN;
        let err = store.append_samples(&[sample("a", 1, 3), bad]).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("c1"), "{err}");
        assert_eq!(store.sample_count(None).unwrap(), 0);
    }

    #[test]
    fn a_batch_that_fails_half_way_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        raw(dir.path())
            .execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON samples WHEN NEW.asset = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
            )
            .unwrap();
        let batch = [sample("a", 1, 2), sample("a", 2, 2), sample("boom", 3, 2)];
        let err = store.append_samples(&batch).unwrap_err();
        assert!(err.to_string().contains("append samples failed: disk on fire"), "{err}");
        assert_eq!(store.sample_count(None).unwrap(), 0);
        // The transaction was rolled back, not left open: the next batch commits.
        store.append_samples(&batch[..2]).unwrap();
        assert_eq!(
            raw(dir.path())
                .query_row("SELECT count(*) FROM samples", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            2
        );
    }

    #[test]
    fn a_writer_and_readers_on_other_threads_do_not_get_in_each_others_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        Store::open(&path).unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for b in 0..40 {
                    let batch: Vec<Sample> = (0..50).map(|i| sample("a", b * 50 + i, 4)).collect();
                    store.append_samples(&batch).unwrap();
                }
            })
        };
        let auditor = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                for _ in 0..40 {
                    store.append_event(&event("config.load")).unwrap();
                }
            })
        };
        let reader = Store::open(&path).unwrap();
        let mut last = 0;
        while !writer.is_finished() {
            let count = reader.sample_count(Some("a")).unwrap();
            assert!(
                count >= last && count.is_multiple_of(50),
                "a reader sees whole batches only: {count}"
            );
            last = count;
            reader.samples_after(0, 100).unwrap();
        }
        writer.join().unwrap();
        auditor.join().unwrap();
        assert_eq!(reader.sample_count(None).unwrap(), 2000);
        assert_eq!(reader.verify_events().unwrap(), 40);
    }
}
