//! `ReadOptions` and the one place that turns a file's column names plus those options into a
//! plan: which column is the time column, which are channels, which are skipped. CSV and Parquet
//! share it, so both reject the same mistakes with the same messages.

use std::collections::HashSet;

use faultline_types::{Channel, ChannelSchema, Recording};

use super::error::{FileError, Location, Place, list_columns};

/// How to turn a tabular file into a recording.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Name of the column holding time stamps; kept as text labels, never a channel.
    pub time_col: Option<String>,
    /// Names of columns to leave out. Naming a column the file lacks is an error, so a typo is
    /// never silently ignored.
    pub exclude: Vec<String>,
}

/// What a reader does with one column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The time column: kept as text.
    Time,
    /// A channel: parsed as a finite f64.
    Channel,
    /// Excluded by the caller: not looked at.
    Skip,
}

/// The role of every column of a file, and the channel names in column order.
#[derive(Debug)]
pub(crate) struct ColumnPlan {
    /// One role per column of the file.
    pub roles: Vec<Role>,
    /// Names of the `Role::Channel` columns, in column order.
    pub channels: Vec<String>,
    /// Name of the time column, when there is one.
    pub time: Option<String>,
}

impl ColumnPlan {
    /// The channel schema; names are unique because `plan_columns` checked them.
    pub fn schema(&self) -> ChannelSchema {
        ChannelSchema { channels: self.channels.iter().map(Channel::named).collect() }
    }
}

/// Checks the column names against `opts` and assigns each column a role. `place` is where the
/// names live (line 1 of a CSV file, the schema of a Parquet file), for error locations.
pub(crate) fn plan_columns(
    file: &str,
    names: &[String],
    place: Place,
    opts: &ReadOptions,
) -> Result<ColumnPlan, FileError> {
    check_names(file, names, place)?;
    let columns = || list_columns(names.iter().map(String::as_str));
    let time = match &opts.time_col {
        Some(name) => Some(names.iter().position(|n| n == name).ok_or_else(|| {
            FileError::UnknownTimeColumn {
                file: file.into(),
                name: name.clone(),
                columns: columns(),
            }
        })?),
        None => None,
    };
    if let Some(name) = opts.exclude.iter().find(|e| !names.contains(e)) {
        return Err(FileError::UnknownExclude {
            file: file.into(),
            name: name.clone(),
            columns: columns(),
        });
    }
    let roles: Vec<Role> = (0..names.len())
        .map(|j| match () {
            _ if Some(j) == time => Role::Time,
            _ if opts.exclude.contains(&names[j]) => Role::Skip,
            _ => Role::Channel,
        })
        .collect();
    let channels: Vec<String> = names
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r == Role::Channel)
        .map(|(n, _)| n.clone())
        .collect();
    if channels.is_empty() {
        return Err(FileError::NoChannels { file: file.into() });
    }
    Ok(ColumnPlan { roles, channels, time: time.map(|j| names[j].clone()) })
}

/// Rejects empty and duplicate column names.
fn check_names(file: &str, names: &[String], place: Place) -> Result<(), FileError> {
    let mut seen = HashSet::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let at = || Location {
            file: file.into(),
            place,
            column: j + 1,
            name: (!name.is_empty()).then(|| name.clone()),
        };
        if name.is_empty() {
            return Err(FileError::UnnamedColumn { at: at() });
        }
        if !seen.insert(name.as_str()) {
            return Err(FileError::DuplicateColumn { at: at() });
        }
    }
    Ok(())
}

/// Applies `opts` to a recording whose columns are all channels (a TEP file): such a file has
/// no time column, so asking for one is an error; excluded channels are dropped.
pub(crate) fn apply_to_recording(
    recording: Recording,
    opts: &ReadOptions,
) -> Result<Recording, FileError> {
    if let Some(name) = &opts.time_col {
        return Err(FileError::UnknownTimeColumn {
            file: recording.origin.clone(),
            name: name.clone(),
            columns: "none, this format has no time column".into(),
        });
    }
    if opts.exclude.is_empty() {
        return Ok(recording);
    }
    let names: Vec<String> = recording.schema.names().map(String::from).collect();
    let plan = plan_columns(&recording.origin, &names, Place::Schema, opts)?;
    recording
        .select(&plan.schema())
        .map_err(|_| FileError::NoChannels { file: recording.origin.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn opts(time: Option<&str>, exclude: &[&str]) -> ReadOptions {
        ReadOptions { time_col: time.map(String::from), exclude: names(exclude) }
    }

    #[test]
    fn roles_follow_time_and_exclude() {
        let plan = plan_columns(
            "f",
            &names(&["t", "a", "b", "c"]),
            Place::Line(1),
            &opts(Some("t"), &["b"]),
        )
        .unwrap();
        assert_eq!(plan.roles, vec![Role::Time, Role::Channel, Role::Skip, Role::Channel]);
        assert_eq!(plan.channels, names(&["a", "c"]));
        assert_eq!(plan.time.as_deref(), Some("t"));
    }

    #[test]
    fn mistakes_are_named() {
        let cols = names(&["t", "a"]);
        let place = Place::Line(1);
        let err = plan_columns("f", &cols, place, &opts(Some("time"), &[])).unwrap_err();
        assert!(matches!(err, FileError::UnknownTimeColumn { ref name, .. } if name == "time"));
        let err = plan_columns("f", &cols, place, &opts(None, &["x"])).unwrap_err();
        assert!(matches!(err, FileError::UnknownExclude { ref name, .. } if name == "x"));
        let err = plan_columns("f", &cols, place, &opts(Some("t"), &["a"])).unwrap_err();
        assert!(matches!(err, FileError::NoChannels { .. }));
        let err = plan_columns("f", &names(&["a", ""]), place, &opts(None, &[])).unwrap_err();
        assert!(matches!(err, FileError::UnnamedColumn { at } if at.column == 2));
    }

    #[test]
    fn time_column_is_refused_where_there_is_none() {
        let schema = ChannelSchema::from_names(["a", "b"]).unwrap();
        let rec = Recording::new("f.dat", schema, None, vec![1.0, 2.0]).unwrap();
        let err = apply_to_recording(rec.clone(), &opts(Some("a"), &[])).unwrap_err();
        assert!(matches!(err, FileError::UnknownTimeColumn { .. }), "{err}");
        let kept = apply_to_recording(rec, &opts(None, &["a"])).unwrap();
        assert_eq!(kept.values, vec![2.0]);
    }
}
