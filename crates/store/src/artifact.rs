//! The model artifact: one file holding a fitted model, the channel schema it expects and how it
//! was trained, guarded by a checksum.
//!
//! # Layout, format version 1
//! ```text
//! offset  size  content
//!      0     8  magic  b"FLTMODEL"
//!      8     4  format version, u32 little-endian (1)
//!     12     8  payload length in bytes, u64 little-endian
//!     20    32  SHA-256 of the payload
//!     52     n  payload: UTF-8 JSON of `ModelArtifact` (kind, schema, training, parameters)
//! ```
//! JSON keeps the artifact readable with standard tools (`tail -c +53 model.flm | jq`) and
//! serde_json round-trips every f64 exactly. Loading checks magic, version, length, checksum and
//! the payload's shape, in that order, and names the first that fails.
//!
//! Files are written to a temporary sibling, fsynced and renamed, so a crash never leaves a
//! half-written model under the final name.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use faultline_types::ChannelSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// First bytes of every model artifact.
pub const MAGIC: [u8; 8] = *b"FLTMODEL";
/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// How a model was trained: enough to judge, a year later, whether it still fits the line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSummary {
    /// Training files, as given.
    pub inputs: Vec<String>,
    /// Training rows read (before any lag embedding).
    pub rows: usize,
    /// Name of the time column, when one was used.
    pub time_column: Option<String>,
    /// Columns excluded on request.
    pub excluded: Vec<String>,
    /// Share of training rows the fitted model alarms on, in % (about 100 − confidence when
    /// limits are empirical).
    pub training_alarm_rate: f64,
    /// Version of faultline that wrote the artifact.
    pub faultline_version: String,
}

/// A model with its metadata. `P` is the detector's parameter type (for example a PCA model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelArtifact<P> {
    /// Detector kind, for example `pca` or `dpca`.
    pub kind: String,
    /// Channels the model expects, in frame order.
    pub schema: ChannelSchema,
    /// How it was trained.
    pub training: TrainingSummary,
    /// The detector's fitted parameters.
    pub parameters: P,
}

/// Why an artifact could not be written or trusted.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// File path.
        path: PathBuf,
        /// The IO error.
        error: std::io::Error,
    },
    /// The file does not start with the artifact magic: not a faultline model.
    #[error("{path}: not a faultline model file (bad magic bytes)")]
    BadMagic {
        /// File path.
        path: PathBuf,
    },
    /// Written by a newer or unknown format version.
    #[error(
        "{path}: model format version {found} is not supported (this build reads {FORMAT_VERSION})"
    )]
    UnsupportedVersion {
        /// File path.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
    },
    /// The file is shorter or longer than its header says.
    #[error(
        "{path}: model file is truncated or has trailing bytes (payload {expected} bytes, found {found})"
    )]
    Length {
        /// File path.
        path: PathBuf,
        /// Payload length from the header.
        expected: u64,
        /// Payload bytes present.
        found: u64,
    },
    /// The payload does not match its checksum: the file was altered or damaged.
    #[error("{path}: model file checksum mismatch (the file is damaged or was edited)")]
    Checksum {
        /// File path.
        path: PathBuf,
    },
    /// The payload is not a model of the expected kind and shape.
    #[error("{path}: model payload is invalid: {message}")]
    Payload {
        /// File path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl<P: Serialize> ModelArtifact<P> {
    /// Encodes header and payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs of numbers and strings cannot fail; a failure would be a
        // bug in a parameter type (for example a map with non-string keys).
        let payload = serde_json::to_vec(self).expect("model parameters serialise to JSON");
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(&payload));
        bytes.extend_from_slice(&payload);
        bytes
    }

    /// Writes the artifact atomically (temporary file, fsync, rename). The temporary file is
    /// this process's own, so two processes saving to one path do not write into each other's
    /// (the last rename wins, whole).
    pub fn save(&self, path: &Path) -> Result<(), ArtifactError> {
        let io = |error| ArtifactError::Io { path: path.to_path_buf(), error };
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let mut file = File::create(&tmp).map_err(io)?;
        file.write_all(&self.to_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }
}

impl<P: DeserializeOwned> ModelArtifact<P> {
    /// Decodes and verifies bytes read from `path` (used in error messages only).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ArtifactError> {
        let path = || path.to_path_buf();
        if bytes.len() < 8 || bytes[..8] != MAGIC {
            return Err(ArtifactError::BadMagic { path: path() });
        }
        if bytes.len() < HEADER_LEN {
            let found = bytes.len() as u64;
            return Err(ArtifactError::Length { path: path(), expected: HEADER_LEN as u64, found });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if version != FORMAT_VERSION {
            return Err(ArtifactError::UnsupportedVersion { path: path(), found: version });
        }
        let expected = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
        let payload = &bytes[HEADER_LEN..];
        if payload.len() as u64 != expected {
            return Err(ArtifactError::Length {
                path: path(),
                expected,
                found: payload.len() as u64,
            });
        }
        if Sha256::digest(payload)[..] != bytes[20..52] {
            return Err(ArtifactError::Checksum { path: path() });
        }
        serde_json::from_slice(payload)
            .map_err(|e| ArtifactError::Payload { path: path(), message: e.to_string() })
    }

    /// Reads and verifies an artifact file.
    pub fn load(path: &Path) -> Result<Self, ArtifactError> {
        let bytes = fs::read(path)
            .map_err(|error| ArtifactError::Io { path: path.to_path_buf(), error })?;
        Self::from_bytes(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModelArtifact<Vec<f64>> {
        ModelArtifact {
            kind: "test".into(),
            schema: ChannelSchema::from_names(["a", "b"]).unwrap(),
            training: TrainingSummary { rows: 10, ..TrainingSummary::default() },
            parameters: vec![0.1, 1.0 / 3.0, -2.5e-300],
        }
    }

    fn decode(bytes: &[u8]) -> Result<ModelArtifact<Vec<f64>>, ArtifactError> {
        ModelArtifact::from_bytes(bytes, Path::new("m.flm"))
    }

    #[test]
    fn round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.flm");
        sample().save(&path).unwrap();
        assert_eq!(ModelArtifact::<Vec<f64>>::load(&path).unwrap(), sample());
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["m.flm"], "no temporary file is left");
    }

    #[test]
    fn every_kind_of_damage_is_named() {
        let good = sample().to_bytes();
        let mut magic = good.clone();
        magic[0] = b'X';
        assert!(matches!(decode(&magic), Err(ArtifactError::BadMagic { .. })));
        let mut version = good.clone();
        version[8] = 9;
        assert!(matches!(
            decode(&version),
            Err(ArtifactError::UnsupportedVersion { found: 9, .. })
        ));
        assert!(matches!(decode(&good[..good.len() - 1]), Err(ArtifactError::Length { .. })));
        assert!(matches!(decode(&good[..30]), Err(ArtifactError::Length { .. })));
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(decode(&flipped), Err(ArtifactError::Checksum { .. })));
        let wrong_type = ModelArtifact::<String>::from_bytes(&good, Path::new("m.flm"));
        assert!(matches!(wrong_type, Err(ArtifactError::Payload { .. })));
        let message = decode(&flipped).unwrap_err().to_string();
        assert!(message.starts_with("m.flm: ") && !message.contains('\n'), "{message}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = ModelArtifact::<Vec<f64>>::load(Path::new("/nonexistent/x.flm")).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/x.flm: "), "{err}");
    }

    /// The stored version-1 fixture (a real PCA model written by `faultline fit`) must keep
    /// loading: a format change that breaks it has to bump `FORMAT_VERSION` deliberately.
    #[test]
    fn stored_v1_fixture_still_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/model_v1.flm");
        let artifact = ModelArtifact::<serde_json::Value>::load(&path).unwrap();
        assert_eq!(artifact.kind, "pca");
        assert_eq!(artifact.schema.len(), 4);
        assert!(artifact.parameters.get("loadings").is_some());
    }
}
