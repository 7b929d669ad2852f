//! Where data enters faultline. Today that is data files, in [`file`](mod@file); the wire
//! protocols (MQTT, OPC UA, Modbus, HSMS, NATS) will sit beside it behind cargo features.
//!
//! **Architecture Invariant:** only this crate parses incoming data. Training, scoring and the
//! benchmarks all load history through [`file::read_any`], so a CSV quirk is handled once and
//! every command reports it the same way.
//!
//! The design of [`file`](mod@file), and why:
//! - **Whole files into one [`Recording`](faultline_types::Recording).** History files are read
//!   to fit or score a model, which needs all rows at once; a streaming API would only move the
//!   buffering to every caller. Rows are stored row-major as the detectors consume them.
//! - **Strict, never lossy.** A value that is missing, not a number, NaN or infinite is an error
//!   with `file:line:column` and the column name, never a silently skipped row or a zero: a
//!   model fitted on quietly repaired data would be wrong in a way nobody can see. A text column
//!   is an error that names `--time-col` and `--exclude`, so the user decides what it is.
//! - **One typed error, one line.** [`file::FileError`] has a variant per mistake so callers can
//!   match on it (exit codes, test assertions), and its `Display` is a single line that a
//!   terminal, a log and an API error body can all show as is.
//! - **Small hand-written CSV parser.** The dialect plants export is narrow (header, `,` or `;`,
//!   simple quoting); a parser of ~150 lines that reports exact positions and reuses its buffers
//!   costs less than adapting a general crate's errors and options.
//! - **Formats chosen by extension** in [`file::read_any`], with format quirks (the transposed
//!   TEP `d00.dat`) handled by explicit, documented rules rather than guessed from the data.
#![deny(missing_docs)]

pub mod file;
#[cfg(feature = "hsms")]
pub mod hsms;
#[cfg(feature = "mqtt")]
pub mod mqtt;
pub mod payload;
