//! Times as the API reads and writes them: query values in RFC 3339 or integer epoch
//! nanoseconds, responses in RFC 3339 (UTC, nanosecond precision) beside the raw nanoseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use faultline_types::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ApiError;

/// `ts` as RFC 3339 in UTC (`2024-05-01T12:00:00.25Z`); the nanoseconds as text if the year is
/// outside what RFC 3339 can show.
pub(crate) fn rfc3339(ts: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts.as_nanos()))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ts.as_nanos().to_string())
}

/// Parses a query value `name=text`: integer epoch nanoseconds, or RFC 3339 with an offset.
///
/// A `+` in an unencoded query string arrives as a space (`...T12:00:00 01:00`), so a space is
/// read as `+` when the text does not parse as it is.
pub(crate) fn parse_time(name: &str, text: &str) -> Result<Timestamp, ApiError> {
    let text = text.trim();
    if let Ok(nanos) = text.parse::<i64>() {
        return Ok(Timestamp::from_nanos(nanos));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|first| {
            OffsetDateTime::parse(&text.replace(' ', "+"), &Rfc3339).map_err(|_| first)
        })
        .map_err(|e| {
            ApiError::Invalid(format!(
                "`{name}` {text:?} is neither integer epoch nanoseconds nor RFC 3339 with an \
                 offset (e.g. 2024-05-01T12:00:00Z): {e}"
            ))
        })?;
    i64::try_from(parsed.unix_timestamp_nanos()).map(Timestamp::from_nanos).map_err(|_| {
        ApiError::Invalid(format!("`{name}` {text:?} is outside the years 1678..2262"))
    })
}

/// Wall-clock now, for shelving deadlines and audit records (never for data).
pub(crate) fn now() -> Timestamp {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    Timestamp::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nanoseconds_and_rfc3339() {
        assert_eq!(
            parse_time("from", "1700000000000000000").unwrap().as_nanos(),
            1_700_000_000_000_000_000
        );
        assert_eq!(parse_time("from", "-5").unwrap().as_nanos(), -5);
        let utc = parse_time("from", "2023-11-14T22:13:20Z").unwrap();
        assert_eq!(utc.as_nanos(), 1_700_000_000_000_000_000);
        let offset = parse_time("from", "2023-11-14T23:13:20.5+01:00").unwrap();
        assert_eq!(offset.as_nanos(), 1_700_000_000_500_000_000);
        // An unencoded `+` arrives as a space.
        let spaced = parse_time("from", "2023-11-14T23:13:20.5 01:00").unwrap();
        assert_eq!(spaced, offset);
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for bad in ["yesterday", "2023-11-14", "1.5e18", ""] {
            let err = parse_time("to", bad).unwrap_err();
            assert!(matches!(&err, ApiError::Invalid(d) if d.starts_with("`to`")), "{err}");
        }
    }

    #[test]
    fn formats_utc_with_nanoseconds() {
        assert_eq!(
            rfc3339(Timestamp::from_nanos(1_700_000_000_000_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            rfc3339(Timestamp::from_nanos(1_700_000_000_000_000_123)),
            "2023-11-14T22:13:20.000000123Z"
        );
        let round = rfc3339(Timestamp::from_nanos(1_234_567_890_123_456_789));
        assert_eq!(parse_time("t", &round).unwrap().as_nanos(), 1_234_567_890_123_456_789);
    }
}
