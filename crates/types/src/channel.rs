//! Channels (one sensor or actuator signal each) and the ordered schema a model is fitted on.

use serde::{Deserialize, Serialize};

/// One signal of an asset, for example `reactor_pressure` in kPa.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Name as it appears in the data (CSV header, Parquet column, generated `x1`… for TEP).
    pub name: String,
    /// Engineering unit, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Channel {
    /// A channel with a name and no unit.
    pub fn named(name: impl Into<String>) -> Self {
        Channel { name: name.into(), unit: None }
    }
}

/// The ordered list of channels a model expects. Frames are dense vectors in this order, so the
/// order is part of the contract between a data file and a model: scoring checks it by name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChannelSchema {
    /// Channels in frame order.
    pub channels: Vec<Channel>,
}

/// Why a schema could not be built or matched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// Two channels share a name.
    #[error("channel `{0}` appears twice")]
    Duplicate(String),
    /// Data lacks a channel the model was fitted on.
    #[error("channel `{0}` is missing from the data")]
    Missing(String),
}

impl ChannelSchema {
    /// Builds a schema from names, rejecting duplicates.
    pub fn from_names<I, S>(names: I) -> Result<Self, SchemaError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut channels: Vec<Channel> = Vec::new();
        for name in names {
            let name = name.into();
            if channels.iter().any(|c| c.name == name) {
                return Err(SchemaError::Duplicate(name));
            }
            channels.push(Channel::named(name));
        }
        Ok(ChannelSchema { channels })
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// True when the schema has no channel.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// Channel names in frame order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| c.name.as_str())
    }

    /// Position of a channel by name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    /// For each channel of `self`, its column in `other`: how to reorder data laid out as
    /// `other` into this schema's order. Extra channels in `other` are ignored.
    pub fn mapping_from(&self, other: &ChannelSchema) -> Result<Vec<usize>, SchemaError> {
        self.channels
            .iter()
            .map(|c| other.position(&c.name).ok_or_else(|| SchemaError::Missing(c.name.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_are_rejected() {
        let err = ChannelSchema::from_names(["a", "b", "a"]).unwrap_err();
        assert_eq!(err, SchemaError::Duplicate("a".into()));
    }

    #[test]
    fn mapping_reorders_by_name_and_reports_missing() {
        let model = ChannelSchema::from_names(["b", "a"]).unwrap();
        let data = ChannelSchema::from_names(["a", "x", "b"]).unwrap();
        assert_eq!(model.mapping_from(&data).unwrap(), vec![2, 0]);
        let short = ChannelSchema::from_names(["a"]).unwrap();
        assert_eq!(model.mapping_from(&short).unwrap_err(), SchemaError::Missing("b".into()));
    }
}
