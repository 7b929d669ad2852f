//! The model registry: every uploaded model artifact per asset, numbered 1, 2, … with its
//! SHA-256, and at most one of them active. Uploading never activates: activation is a separate,
//! audited decision (an engineer's signature, in 21 CFR Part 11 terms).

use faultline_types::Timestamp;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{sql, unsigned, write_tx};
use crate::events::{commit_audited, insert_event};
use crate::{Event, ModelArtifact, Signature, Store, StoreError, TrainingSummary};

/// One stored model version (without its bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// Asset name.
    pub asset: String,
    /// Version number, 1, 2, … per asset.
    pub version: u32,
    /// Detector kind, for example `pca`.
    pub kind: String,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// When it was uploaded (the upload event's time).
    pub created_at: Timestamp,
    /// Whether this is the asset's active model.
    pub active: bool,
    /// Size of the bytes.
    pub size: u64,
    /// The electronic signature of the activation that made this version active (signer,
    /// time, meaning), when it was signed; `None` for versions never activated or activated
    /// from the configuration file.
    #[serde(default)]
    pub activation: Option<Signature>,
}

/// The activation signature comes from the activation's audit record, where the hash chain
/// binds it; it is not copied into the models table, so there is one place to forge, not two.
const COLUMNS: &str = "SELECT asset, version, kind, sha256, created_at_ns, active, \
     length(bytes), e.signer, e.signed_at_ns, e.meaning FROM models \
     LEFT JOIN events e ON e.id = models.activated_event_id";
const COLUMNS_WITH_BYTES: &str = "SELECT asset, version, kind, sha256, created_at_ns, active, \
     length(bytes), e.signer, e.signed_at_ns, e.meaning, bytes FROM models \
     LEFT JOIN events e ON e.id = models.activated_event_id";

impl Store {
    /// Stores `bytes` (a model artifact) as the asset's next version, with `event`, atomically.
    /// The new version is not activated.
    ///
    /// The record's new value always names the bytes' SHA-256 (`v<version> sha256:<hex>` when
    /// `event.new_value` is `None`; appended to it when it does not hold the hash), so the
    /// audit trail says exactly which bytes were uploaded and verification can check them.
    pub fn put_model(
        &mut self,
        asset: &str,
        kind: &str,
        bytes: &[u8],
        event: &Event,
    ) -> Result<ModelVersion, StoreError> {
        let what = format!("store a model for asset {asset}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        let latest: i64 = tx
            .prepare_cached("SELECT coalesce(max(version), 0) FROM models WHERE asset = ?1")
            .and_then(|mut s| s.query_row([asset], |r| r.get(0)))
            .map_err(&err)?;
        let version = u32::try_from(latest + 1).map_err(|_| StoreError::Invalid {
            path: path.clone(),
            what: format!("model for asset {asset}: no version number left"),
        })?;
        let sha256 = hex(&Sha256::digest(bytes));
        let mut event = event.clone();
        // The record names the bytes, whatever else the caller put there (a file path, say):
        // verification checks the stored bytes against it.
        event.new_value = Some(match event.new_value.take() {
            None => format!("v{version} sha256:{sha256}"),
            Some(given) if given.contains(&sha256) => given,
            Some(given) => format!("{given} sha256:{sha256}"),
        });
        let event_id = insert_event(&tx, path, &event, &what)?;
        tx.prepare_cached(
            "INSERT INTO models (asset, version, kind, sha256, created_at_ns, bytes, event_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| {
            s.execute(params![asset, version, kind, sha256, event.at.as_nanos(), bytes, event_id])
        })
        .map_err(&err)?;
        commit_audited(tx, path, &what)?;
        Ok(ModelVersion {
            asset: asset.to_string(),
            version,
            kind: kind.to_string(),
            sha256,
            created_at: event.at,
            active: false,
            size: bytes.len() as u64,
            activation: None,
        })
    }

    /// Makes `version` the asset's one active model (deactivating the previous one), with
    /// `event`, atomically. An unknown version is [`StoreError::NotFound`] and changes nothing.
    ///
    /// When `event.old_value` / `new_value` are `None` they are recorded as the previously
    /// active version (`v2`, or `none`) and the new one (`v3`).
    pub fn activate_model(
        &mut self,
        asset: &str,
        version: u32,
        event: &Event,
    ) -> Result<(), StoreError> {
        let what = format!("activate model {asset} v{version}");
        let path = &self.path;
        let err = sql(path, &what);
        let tx = write_tx(&mut self.conn, path, &what)?;
        let exists = tx
            .prepare_cached("SELECT 1 FROM models WHERE asset = ?1 AND version = ?2")
            .and_then(|mut s| s.query_row(params![asset, version], |_| Ok(())).optional())
            .map_err(&err)?;
        if exists.is_none() {
            let what = format!("model {asset} v{version}");
            return Err(StoreError::NotFound { path: path.clone(), what });
        }
        let previous: Option<u32> = tx
            .prepare_cached("SELECT version FROM models WHERE asset = ?1 AND active = 1")
            .and_then(|mut s| s.query_row([asset], |r| r.get(0)).optional())
            .map_err(&err)?;
        let mut event = event.clone();
        event.old_value.get_or_insert_with(|| previous.map_or("none".into(), |v| format!("v{v}")));
        event.new_value.get_or_insert_with(|| format!("v{version}"));
        let event_id = insert_event(&tx, path, &event, &what)?;
        // Deactivate first: the partial unique index allows one active row per asset at every
        // statement boundary.
        tx.prepare_cached("UPDATE models SET active = 0 WHERE asset = ?1 AND active = 1")
            .and_then(|mut s| s.execute([asset]))
            .map_err(&err)?;
        tx.prepare_cached(
            "UPDATE models SET active = 1, activated_event_id = ?3 \
             WHERE asset = ?1 AND version = ?2",
        )
        .and_then(|mut s| s.execute(params![asset, version, event_id]))
        .map_err(&err)?;
        commit_audited(tx, path, &what)
    }

    /// Stored model versions, of one asset or of all, by asset then version.
    pub fn models(&self, asset: Option<&str>) -> Result<Vec<ModelVersion>, StoreError> {
        let err = sql(&self.path, "list models");
        let (query, values) = match asset {
            Some(asset) => (format!("{COLUMNS} WHERE asset = ?1 ORDER BY version"), vec![asset]),
            None => (format!("{COLUMNS} ORDER BY asset, version"), vec![]),
        };
        let mut stmt = self.conn.prepare_cached(&query).map_err(&err)?;
        let rows =
            stmt.query_map(rusqlite::params_from_iter(values), read_version).map_err(&err)?;
        rows.map(|row| row.map_err(&err)).collect()
    }

    /// The asset's active model and its bytes, if one is active. The bytes are checked against
    /// their stored SHA-256.
    pub fn active_model(&self, asset: &str) -> Result<Option<(ModelVersion, Vec<u8>)>, StoreError> {
        let query = format!("{COLUMNS_WITH_BYTES} WHERE asset = ?1 AND active = 1");
        self.model_with_bytes(&query, params![asset], "read the active model")
    }

    /// One stored version of the asset's models and its bytes (checked like
    /// [`Store::active_model`]'s), whether active or not; `None` when there is no such version.
    pub fn model_version(
        &self,
        asset: &str,
        version: u32,
    ) -> Result<Option<(ModelVersion, Vec<u8>)>, StoreError> {
        let query = format!("{COLUMNS_WITH_BYTES} WHERE asset = ?1 AND version = ?2");
        self.model_with_bytes(&query, params![asset, version], "read a model version")
    }

    fn model_with_bytes(
        &self,
        query: &str,
        values: impl rusqlite::Params,
        what: &str,
    ) -> Result<Option<(ModelVersion, Vec<u8>)>, StoreError> {
        let found = self
            .conn
            .prepare_cached(query)
            .and_then(|mut s| {
                s.query_row(values, |r| Ok((read_version(r)?, r.get::<_, Vec<u8>>(10)?))).optional()
            })
            .map_err(sql(&self.path, what))?;
        let Some((version, bytes)) = found else { return Ok(None) };
        // The artifact has its own checksum too; this one catches a row whose bytes and
        // recorded hash disagree, i.e. damage or an edit inside the database.
        if hex(&Sha256::digest(&bytes)) != version.sha256 {
            return Err(StoreError::Damaged {
                path: self.path.clone(),
                record: format!("model {} v{}", version.asset, version.version),
                reason: "bytes do not match the recorded SHA-256".into(),
            });
        }
        Ok(Some((version, bytes)))
    }

    /// How a stored version was trained: the summary inside its model file. The detector's
    /// parameters are skipped, not decoded, so listing stays cheap for large models. `None`
    /// when no such version exists.
    pub fn model_training(
        &self,
        asset: &str,
        version: u32,
    ) -> Result<Option<TrainingSummary>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT bytes FROM models WHERE asset = ?1 AND version = ?2")
            .and_then(|mut s| s.query_row(params![asset, version], |r| r.get(0)).optional())
            .map_err(sql(&self.path, "read a model file"))?;
        let Some(bytes) = bytes else { return Ok(None) };
        let place = std::path::PathBuf::from(format!("model {asset} v{version}"));
        let artifact =
            ModelArtifact::<serde::de::IgnoredAny>::from_bytes(&bytes, &place).map_err(|e| {
                StoreError::Damaged {
                    path: self.path.clone(),
                    record: format!("model {asset} v{version}"),
                    reason: e.to_string(),
                }
            })?;
        Ok(Some(artifact.training))
    }
}

fn read_version(r: &Row<'_>) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        asset: r.get(0)?,
        version: r.get(1)?,
        kind: r.get(2)?,
        sha256: r.get(3)?,
        created_at: Timestamp::from_nanos(r.get(4)?),
        active: r.get(5)?,
        size: unsigned(r.get(6)?),
        activation: match (r.get::<_, Option<String>>(7)?, r.get::<_, Option<i64>>(8)?) {
            (Some(signer), Some(at)) => Some(Signature {
                signer,
                signed_at: Timestamp::from_nanos(at),
                meaning: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

/// Lower-case hex, as `sha256sum` prints it.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn versions_count_per_asset_and_upload_does_not_activate() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let v1 = store.put_model("a", "pca", b"one", &event("model.upload")).unwrap();
        let v2 = store.put_model("a", "dpca", b"two!", &event("model.upload")).unwrap();
        let b1 = store.put_model("b", "pca", b"bee", &event("model.upload")).unwrap();
        assert_eq!((v1.version, v2.version, b1.version), (1, 2, 1));
        assert_eq!(v2.size, 4);
        assert_eq!(v1.sha256, "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed");
        assert!(!v1.active && !v2.active);
        assert_eq!(store.models(Some("a")).unwrap(), vec![v1.clone(), v2.clone()]);
        assert_eq!(store.models(None).unwrap(), vec![v1.clone(), v2.clone(), b1.clone()]);
        assert!(store.models(Some("zz")).unwrap().is_empty());
        assert_eq!(store.active_model("a").unwrap(), None);

        let upload = &store.events(10, None).unwrap()[0].1;
        assert_eq!(upload.new_value.as_deref(), Some(format!("v1 sha256:{}", v1.sha256).as_str()));
    }

    #[test]
    fn exactly_one_version_is_active() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        for bytes in [&b"one"[..], b"two", b"three"] {
            store.put_model("a", "pca", bytes, &event("model.upload")).unwrap();
        }
        store.activate_model("a", 2, &event("model.activate")).unwrap();
        store.activate_model("a", 3, &event("model.activate")).unwrap();
        let (active, bytes) = store.active_model("a").unwrap().unwrap();
        assert_eq!((active.version, active.active, bytes), (3, true, b"three".to_vec()));
        let (older, bytes) = store.model_version("a", 2).unwrap().unwrap();
        assert_eq!((older.version, older.active, bytes), (2, false, b"two".to_vec()));
        assert_eq!(store.model_version("a", 9).unwrap(), None);
        assert_eq!(store.model_version("b", 2).unwrap(), None);
        let flags: Vec<bool> = store.models(Some("a")).unwrap().iter().map(|m| m.active).collect();
        assert_eq!(flags, vec![false, false, true]);
        let last = store.events(100, None).unwrap().pop().unwrap().1;
        assert_eq!(
            (last.old_value.as_deref(), last.new_value.as_deref()),
            (Some("v2"), Some("v3"))
        );

        // Unknown version: NotFound, nothing changes, nothing is audited.
        let events = store.events(100, None).unwrap().len();
        let err = store.activate_model("a", 9, &event("model.activate")).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("model a v9 does not exist"), "{err}");
        assert_eq!(store.active_model("a").unwrap().unwrap().0.version, 3);
        assert_eq!(store.events(100, None).unwrap().len(), events);

        // A failed audit write leaves the active version as it was.
        let mut anonymous = event("model.activate");
        anonymous.actor.clear();
        assert!(store.activate_model("a", 1, &anonymous).is_err());
        assert_eq!(store.active_model("a").unwrap().unwrap().0.version, 3);

        // The file itself refuses a second active row, whoever writes it.
        let conn = raw(dir.path());
        assert!(conn.execute("UPDATE models SET active = 1 WHERE version = 1", []).is_err());
    }

    #[test]
    fn damaged_model_bytes_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.put_model("a", "pca", b"one", &event("model.upload")).unwrap();
        store.activate_model("a", 1, &event("model.activate")).unwrap();
        raw(dir.path()).execute("UPDATE models SET bytes = x'00'", []).unwrap();
        for err in [store.active_model("a").unwrap_err(), store.model_version("a", 1).unwrap_err()]
        {
            assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
            assert!(err.to_string().contains("model a v1"), "{err}");
        }
    }
}
