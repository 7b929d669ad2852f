//! Time on the SECS wire: the sample time STIME of trace data (E5 TIME formats) to UTC
//! nanoseconds, and the trace period DSPER (`hhmmss` or `hhmmsscc`) from a duration.

use std::time::Duration;

use faultline_types::Timestamp;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses a clock value as E5 allows it:
/// - 12 characters `YYMMDDhhmmss` (years 70–99 are 19xx, 00–69 are 20xx),
/// - 16 characters `YYYYMMDDhhmmsscc` (`cc`: centiseconds),
/// - TIMEFORMAT 2, ISO 8601 with an offset (`2024-05-01T12:00:00.25Z`).
///
/// The first two carry no zone: they are read in the equipment's clock, `utc_offset_minutes`
/// east of UTC. `None` when the text is none of these.
pub fn parse_stime(text: &str, utc_offset_minutes: i32) -> Option<Timestamp> {
    let text = text.trim();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (year, rest, centis) = match text.len() {
        12 => {
            let yy = i32::try_from(digits(0..2)?).ok()?;
            (if yy >= 70 { 1900 + yy } else { 2000 + yy }, 2, 0)
        }
        16 => (i32::try_from(digits(0..4)?).ok()?, 4, digits(14..16)?),
        _ => {
            let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
            return i64::try_from(parsed.unix_timestamp_nanos()).ok().map(Timestamp::from_nanos);
        }
    };
    let month = Month::try_from(u8::try_from(digits(rest..rest + 2)?).ok()?).ok()?;
    let day = u8::try_from(digits(rest + 2..rest + 4)?).ok()?;
    let hour = u8::try_from(digits(rest + 4..rest + 6)?).ok()?;
    let minute = u8::try_from(digits(rest + 6..rest + 8)?).ok()?;
    let second = u8::try_from(digits(rest + 8..rest + 10)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_milli(hour, minute, second, u16::try_from(centis * 10).ok()?).ok()?;
    let offset = UtcOffset::from_whole_seconds(utc_offset_minutes.checked_mul(60)?).ok()?;
    let instant = PrimitiveDateTime::new(date, time).assume_offset(offset);
    i64::try_from(instant.unix_timestamp_nanos()).ok().map(Timestamp::from_nanos)
}

/// DSPER for a sample period: `hhmmss` for whole seconds, `hhmmsscc` otherwise. `None` when
/// the period is zero, not a multiple of 10 ms, or 100 hours or more.
pub fn dsper(period: Duration) -> Option<String> {
    let millis = period.as_millis();
    if millis == 0 || !millis.is_multiple_of(10) || !period.subsec_nanos().is_multiple_of(1_000_000)
    {
        return None;
    }
    let centis = millis / 10;
    let (hours, minutes, seconds, cc) =
        (centis / 360_000, centis / 6_000 % 60, centis / 100 % 60, centis % 100);
    if hours > 99 {
        return None;
    }
    Some(if cc == 0 {
        format!("{hours:02}{minutes:02}{seconds:02}")
    } else {
        format!("{hours:02}{minutes:02}{seconds:02}{cc:02}")
    })
}

/// The period of a DSPER (`hhmmss` or `hhmmsscc`, the inverse of [`dsper`]); `None` when the
/// text is neither, minutes or seconds exceed 59, or the period is zero.
pub fn parse_dsper(text: &str) -> Option<Duration> {
    let text = text.trim();
    if !(text.len() == 6 || text.len() == 8) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |i: usize| text.get(i..i + 2).and_then(|p| p.parse::<u64>().ok());
    let (hours, minutes, seconds) = (part(0)?, part(2)?, part(4)?);
    let centis = if text.len() == 8 { part(6)? } else { 0 };
    if minutes > 59 || seconds > 59 {
        return None;
    }
    let millis = ((hours * 60 + minutes) * 60 + seconds) * 1000 + centis * 10;
    (millis > 0).then(|| Duration::from_millis(millis))
}

/// STIME `YYYYMMDDhhmmsscc` (16 characters, UTC) of an instant, as an equipment sends it
/// (below a centisecond is cut). `None` outside the years 0000–9999, which no `i64` of
/// nanoseconds reaches today; the check keeps the 16 characters a promise.
pub fn format_stime(ts: Timestamp) -> Option<String> {
    let instant = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts.as_nanos())).ok()?;
    if !(0..=9999).contains(&instant.year()) {
        return None;
    }
    Some(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:02}",
        instant.year(),
        u8::from(instant.month()),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second(),
        instant.millisecond() / 10
    ))
}
