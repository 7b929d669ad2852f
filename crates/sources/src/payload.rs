//! The JSON sample payload shared by the MQTT source and HTTP ingest: topic names, one sample per
//! message, and batches of samples. `docs/ingest.md` is the user-facing description of the format.
//!
//! The design, and why:
//! - **A payload is judged whole.** A sample with one bad value is rejected as a whole with one
//!   [`RejectReason`], never partly kept: a sample is one instant of one asset, and keeping half
//!   of it would hide the fault that produced the bad half.
//! - **Non-finite numbers get their own reason.** `1e999` (which overflows to infinity), bare
//!   `NaN`/`Infinity` tokens as Python's `json.dumps` writes them, and strings such as `"NaN"` are
//!   counted as [`RejectReason::NonFinite`], not as malformed JSON, so a sensor that emits NaN is
//!   distinguishable from a broken encoder. `serde_json` refuses such numbers, so on a parse
//!   error the text is scanned once ([`mark_non_finite`]) and they are replaced by a marker
//!   before parsing again; valid payloads never pay for the scan.
//! - **Time comes from the payload**: an RFC 3339 string with an offset, or integer epoch
//!   nanoseconds. Floats are refused, because an `f64` cannot hold today's epoch nanoseconds
//!   exactly and a silently rounded timestamp breaks ordering and de-duplication.

use faultline_types::{ChannelValue, Quality, RejectReason, Sample, Timestamp};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[cfg(test)]
mod tests;

/// The first topic level of every sample topic.
pub const TOPIC_ROOT: &str = "faultline";

/// Longest piece of outside input quoted in a [`Rejected::detail`], in characters.
const QUOTE_MAX: usize = 64;

/// What JSON text overflowing to ±infinity, or a bare `NaN`/`Infinity` token, is replaced with
/// before the second parse: a string no sender writes (it starts with a NUL character).
const NON_FINITE_MARK: &str = "\u{0}faultline:non-finite";

/// The same marker as JSON text.
const NON_FINITE_JSON: &[u8] = b"\"\\u0000faultline:non-finite\"";

/// The two variable levels of a sample topic `faultline/<site>/<asset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The site (plant, line or area) level.
    pub site: String,
    /// The asset level: the name samples are keyed by.
    pub asset: String,
}

/// Why a payload or topic was refused: `reason` feeds the reject counters, `detail` is one line
/// for the log that says what was wrong and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {detail}", reason.as_str())]
pub struct Rejected {
    /// The counter this rejection increments.
    pub reason: RejectReason,
    /// One line, for logs: the field or channel and what was wrong with it.
    pub detail: String,
}

impl Rejected {
    fn malformed(detail: impl Into<String>) -> Self {
        Rejected { reason: RejectReason::Malformed, detail: detail.into() }
    }

    fn non_finite(detail: impl Into<String>) -> Self {
        Rejected { reason: RejectReason::NonFinite, detail: detail.into() }
    }
}

/// Splits a topic `faultline/<site>/<asset>` into its site and asset.
///
/// Anything else (another root, fewer or more levels, an empty level, a wildcard) is
/// [`RejectReason::Malformed`].
pub fn parse_topic(topic: &str) -> Result<Topic, Rejected> {
    let shape = || {
        Rejected::malformed(format!("topic {} is not {TOPIC_ROOT}/<site>/<asset>", quote(topic)))
    };
    let mut levels = topic.split('/');
    let (Some(root), Some(site), Some(asset), None) =
        (levels.next(), levels.next(), levels.next(), levels.next())
    else {
        return Err(shape());
    };
    let level_ok = |l: &str| !l.is_empty() && !l.contains(['+', '#']);
    if root != TOPIC_ROOT || !level_ok(site) || !level_ok(asset) {
        return Err(shape());
    }
    Ok(Topic { site: site.to_owned(), asset: asset.to_owned() })
}

/// Decodes one sample payload (an MQTT message body) for `asset`.
///
/// The payload is a JSON object with `ts`, `values` and optionally `quality` and `context`;
/// other keys are ignored. See the module docs and `docs/ingest.md` for the rules.
pub fn decode_sample(asset: &str, payload: &[u8]) -> Result<Sample, Rejected> {
    let document = parse_json(payload)?;
    let object =
        document.as_object().ok_or_else(|| Rejected::malformed("payload is not a JSON object"))?;
    sample_from_object(asset.to_owned(), object)
}

/// Decodes an HTTP ingest body `{"samples": [{"asset": "...", "ts": ..., "values": {...}}, ...]}`.
///
/// A body that is not JSON or lacks the `samples` array is `Err` as a whole. Otherwise each
/// element is decoded on its own, in order: one bad element rejects only itself, so the caller
/// can count every element under its own reason.
pub fn decode_batch(payload: &[u8]) -> Result<Vec<Result<Sample, Rejected>>, Rejected> {
    let document = parse_json(payload)?;
    let samples = document
        .as_object()
        .and_then(|o| o.get("samples"))
        .and_then(Value::as_array)
        .ok_or_else(|| Rejected::malformed("body is not an object with a `samples` array"))?;
    Ok(samples.iter().enumerate().map(|(i, element)| batch_element(i, element)).collect())
}

fn batch_element(index: usize, element: &Value) -> Result<Sample, Rejected> {
    let in_element =
        |r: Rejected| Rejected { detail: format!("samples[{index}]: {}", r.detail), ..r };
    let object = element
        .as_object()
        .ok_or_else(|| Rejected::malformed("not a JSON object"))
        .map_err(in_element)?;
    let asset = match object.get("asset") {
        Some(Value::String(a)) if !a.is_empty() => a.clone(),
        Some(_) => {
            return Err(in_element(Rejected::malformed("`asset` is not a non-empty string")));
        }
        None => return Err(in_element(Rejected::malformed("`asset` is missing"))),
    };
    sample_from_object(asset, object).map_err(in_element)
}

fn sample_from_object(asset: String, object: &Map<String, Value>) -> Result<Sample, Rejected> {
    let ts = timestamp(object.get("ts").ok_or_else(|| Rejected::malformed("`ts` is missing"))?)?;
    let values = match object.get("values") {
        Some(Value::Object(values)) => values,
        Some(_) => return Err(Rejected::malformed("`values` is not an object")),
        None => return Err(Rejected::malformed("`values` is missing")),
    };
    if values.is_empty() {
        return Err(Rejected::malformed("`values` is empty"));
    }
    let mut out = Vec::with_capacity(values.len());
    for (channel, value) in values {
        out.push(ChannelValue {
            channel: channel.clone(),
            value: channel_value(channel, value)?,
            quality: Quality::Good,
        });
    }
    apply_quality(&mut out, object.get("quality"))?;
    let context = context(object.get("context"))?;
    Ok(Sample { asset, ts: Timestamp::from_nanos(ts), values: out, context })
}

/// `ts`: an RFC 3339 string with an offset, or integer nanoseconds since the epoch.
fn timestamp(value: &Value) -> Result<i64, Rejected> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            let what = if n.is_f64() { "a float" } else { "out of range" };
            Rejected::malformed(format!(
                "`ts` {n} is {what}: expected integer epoch nanoseconds or an RFC 3339 string"
            ))
        }),
        Value::String(s) if s != NON_FINITE_MARK => rfc3339_nanos(s),
        _ => Err(Rejected::malformed(
            "`ts` is neither an RFC 3339 string nor integer epoch nanoseconds",
        )),
    }
}

fn rfc3339_nanos(text: &str) -> Result<i64, Rejected> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        Rejected::malformed(format!(
            "`ts` {} is not RFC 3339 with an offset (e.g. 2024-05-01T12:00:00.250Z): {e}",
            quote(text)
        ))
    })?;
    i64::try_from(parsed.unix_timestamp_nanos()).map_err(|_| {
        Rejected::malformed(format!("`ts` {} is outside the years 1678..2262", quote(text)))
    })
}

fn channel_value(channel: &str, value: &Value) -> Result<f64, Rejected> {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(v) if v.is_finite() => Ok(v),
            _ => Err(Rejected::non_finite(format!("channel {} is not finite", quote(channel)))),
        },
        Value::String(s) if is_non_finite_text(s) => Err(Rejected::non_finite(format!(
            "channel {} is {}",
            quote(channel),
            if s == NON_FINITE_MARK { "a number out of range".to_owned() } else { quote(s) }
        ))),
        other => Err(Rejected::malformed(format!(
            "channel {} is {}, expected a number",
            quote(channel),
            json_kind(other)
        ))),
    }
}

/// Strings that spell a non-finite number, as encoders write them (`NaN`, `inf`, `-Infinity`),
/// and the marker for number tokens that overflowed.
fn is_non_finite_text(s: &str) -> bool {
    if s == NON_FINITE_MARK {
        return true;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    ["nan", "inf", "infinity"].iter().any(|w| unsigned.eq_ignore_ascii_case(w))
}

fn apply_quality(values: &mut [ChannelValue], quality: Option<&Value>) -> Result<(), Rejected> {
    let labels = match quality {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(labels)) => labels,
        Some(_) => return Err(Rejected::malformed("`quality` is not an object")),
    };
    for (channel, label) in labels {
        let quality = match label.as_str() {
            Some("good") => Quality::Good,
            Some("uncertain") => Quality::Uncertain,
            Some("bad") => Quality::Bad,
            Some("missing") => Quality::Missing,
            _ => {
                return Err(Rejected::malformed(format!(
                    "quality of channel {} is {}, expected good, uncertain, bad or missing",
                    quote(channel),
                    label.as_str().map_or_else(|| json_kind(label).to_owned(), quote)
                )));
            }
        };
        let target = values.iter_mut().find(|v| v.channel == *channel).ok_or_else(|| {
            Rejected::malformed(format!(
                "quality given for channel {}, which is not in `values`",
                quote(channel)
            ))
        })?;
        target.quality = quality;
    }
    Ok(())
}

fn context(context: Option<&Value>) -> Result<Vec<(String, String)>, Rejected> {
    let entries = match context {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err(Rejected::malformed("`context` is not an object")),
    };
    entries
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) if s != NON_FINITE_MARK => Ok((key.clone(), s.clone())),
            other => Err(Rejected::malformed(format!(
                "context {} is {}, expected a string",
                quote(key),
                json_kind(other)
            ))),
        })
        .collect()
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::String(s) if s == NON_FINITE_MARK => "a number out of range",
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses JSON; on failure retries once with non-finite number tokens marked, so that they are
/// reported as [`RejectReason::NonFinite`] where they stand instead of failing the whole text.
fn parse_json(bytes: &[u8]) -> Result<Value, Rejected> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(first) => {
            let invalid = || Rejected::malformed(format!("invalid JSON: {first}"));
            let marked = mark_non_finite(bytes).ok_or_else(invalid)?;
            serde_json::from_slice(&marked).map_err(|_| invalid())
        }
    }
}

/// Rewrites number tokens outside strings that overflow an `f64` (`1e999`), and the bare tokens
/// `NaN`, `Infinity` and `-Infinity`, into the [`NON_FINITE_MARK`] string. Returns `None` when
/// there is nothing to rewrite. It is a lexical pass only: the result is parsed again by
/// `serde_json`, which judges everything else.
fn mark_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'-' | b'0'..=b'9' | b'N' | b'I' => {
                let end = token_end(bytes, i);
                let token = &bytes[i..end];
                if is_non_finite_token(token) {
                    out.extend_from_slice(&bytes[copied..i]);
                    out.extend_from_slice(NON_FINITE_JSON);
                    copied = end;
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return None;
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

/// Index just past the string starting at `start` (a `"`), honouring backslash escapes.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// End of a number or bare-word token: the run of characters that can appear in one.
fn token_end(bytes: &[u8], start: usize) -> usize {
    let run = bytes[start..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .unwrap_or(bytes.len() - start);
    start + run
}

fn is_non_finite_token(token: &[u8]) -> bool {
    if matches!(token, b"NaN" | b"Infinity" | b"-Infinity") {
        return true;
    }
    std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_some_and(|v| !v.is_finite())
}

/// Outside input for a log line: escaped so it stays on one line, cut to [`QUOTE_MAX`] chars.
fn quote(text: &str) -> String {
    let mut out = String::from("`");
    for (n, c) in text.chars().enumerate() {
        if n == QUOTE_MAX {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('`');
    out
}
