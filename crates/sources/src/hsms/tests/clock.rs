//! STIME parsing in every E5 form, DSPER formatting, and their inverses that the simulated
//! equipment uses.

use std::time::Duration;

use faultline_types::Timestamp;

use super::super::clock::{dsper, format_stime, parse_dsper, parse_stime};

const NS: i64 = 1_000_000_000;
/// 2024-05-01T12:00:00Z.
const BASE: i64 = 1_714_564_800 * NS;

#[test]
fn parses_the_three_time_formats() {
    assert_eq!(parse_stime("240501120000", 0).unwrap().as_nanos(), BASE);
    assert_eq!(parse_stime("2024050112000025", 0).unwrap().as_nanos(), BASE + NS / 4);
    assert_eq!(parse_stime("2024-05-01T12:00:00.25Z", 0).unwrap().as_nanos(), BASE + NS / 4);
    assert_eq!(parse_stime("2024-05-01T14:00:00+02:00", 0).unwrap().as_nanos(), BASE);
    // Years 70-99 are the 1900s.
    assert_eq!(parse_stime("700101000000", 0).unwrap().as_nanos(), 0);
}

#[test]
fn applies_the_equipment_clock_offset_to_zoneless_times() {
    assert_eq!(parse_stime("240501140000", 120).unwrap().as_nanos(), BASE);
    assert_eq!(parse_stime("2024050110000000", -120).unwrap().as_nanos(), BASE);
}

#[test]
fn refuses_what_is_not_a_time() {
    for bad in [
        "",
        "24050112000",
        "2405011200000",
        "24130112000",
        "240532120000",
        "2405011260000000",
        "24050112000x",
        "2024-05-01 12:00:00",
        "24050124000000",
        "ab0501120000",
        "+40501120000",
    ] {
        assert_eq!(parse_stime(bad, 0), None, "{bad:?}");
    }
}

#[test]
fn dsper_is_hhmmss_or_hhmmsscc() {
    assert_eq!(dsper(Duration::from_secs(1)).as_deref(), Some("000001"));
    assert_eq!(dsper(Duration::from_millis(10)).as_deref(), Some("00000001"));
    assert_eq!(dsper(Duration::from_millis(1_250)).as_deref(), Some("00000125"));
    assert_eq!(dsper(Duration::from_secs(3_723)).as_deref(), Some("010203"));
    assert_eq!(dsper(Duration::from_secs(99 * 3600 + 59 * 60 + 59)).as_deref(), Some("995959"));
    for bad in [0, 5, 15, 100 * 3_600_000] {
        assert_eq!(dsper(Duration::from_millis(bad)), None, "{bad} ms");
    }
    assert_eq!(dsper(Duration::from_nanos(10_000_001)), None);
}

#[test]
fn dsper_parses_back_to_its_period_and_refuses_the_rest() {
    for millis in [10, 1_250, 1_000, 3_723_000, 359_999_000] {
        let period = Duration::from_millis(millis);
        assert_eq!(parse_dsper(&dsper(period).unwrap()), Some(period), "{millis} ms");
    }
    for bad in ["", "000000", "00000000", "0001", "006000", "000060", "0000001", "00000a", "-00001"]
    {
        assert_eq!(parse_dsper(bad), None, "{bad:?}");
    }
}

#[test]
fn stime_formats_to_what_parse_stime_reads() {
    let at = Timestamp::from_nanos(BASE + NS / 4);
    assert_eq!(format_stime(at).as_deref(), Some("2024050112000025"));
    assert_eq!(parse_stime(&format_stime(at).unwrap(), 0), Some(at));
    // Below centiseconds is cut, as 16 characters cannot hold it.
    let odd = Timestamp::from_nanos(BASE + 7_000_000);
    assert_eq!(format_stime(odd).as_deref(), Some("2024050112000000"));
}
