//! Tests of the JSON sample payload: every accepted form and every reject reason.

use super::*;

fn reason_of(payload: &str) -> RejectReason {
    match decode_sample("a1", payload.as_bytes()) {
        Ok(sample) => panic!("accepted {payload}: {sample:?}"),
        Err(rejected) => {
            assert!(!rejected.detail.contains('\n'), "detail is one line: {rejected:?}");
            rejected.reason
        }
    }
}

fn decode(payload: &str) -> Sample {
    match decode_sample("a1", payload.as_bytes()) {
        Ok(sample) => sample,
        Err(rejected) => panic!("rejected {payload}: {rejected}"),
    }
}

fn value(sample: &Sample, channel: &str) -> (f64, Quality) {
    let v = sample.values.iter().find(|v| v.channel == channel).expect("channel present");
    (v.value, v.quality)
}

#[test]
fn topic_has_three_levels_under_the_root() {
    assert_eq!(
        parse_topic("faultline/plant1/press-4").unwrap(),
        Topic { site: "plant1".into(), asset: "press-4".into() }
    );
    for bad in [
        "",
        "faultline",
        "faultline/plant1",
        "faultline/plant1/",
        "faultline//a",
        "faultline/plant1/a/extra",
        "other/plant1/a",
        "faultline/+/a",
        "faultline/p/#",
        "/faultline/p/a",
    ] {
        let err = parse_topic(bad).unwrap_err();
        assert_eq!(err.reason, RejectReason::Malformed, "{bad}");
    }
}

#[test]
fn full_payload_decodes_with_quality_and_context() {
    let s = decode(
        r#"{"ts": "2024-05-01T12:00:00.250+02:00",
            "values": {"p": 1.5, "t": -3, "f": 1e3},
            "quality": {"t": "uncertain", "f": "bad"},
            "context": {"lot": "L1", "recipe": "R7"},
            "extra": [1, 2]}"#,
    );
    assert_eq!(s.asset, "a1");
    // 2024-05-01T10:00:00.250Z
    assert_eq!(s.ts, Timestamp::from_nanos(1_714_557_600_250_000_000));
    assert_eq!(value(&s, "p"), (1.5, Quality::Good));
    assert_eq!(value(&s, "t"), (-3.0, Quality::Uncertain));
    assert_eq!(value(&s, "f"), (1000.0, Quality::Bad));
    assert_eq!(s.values.len(), 3);
    let mut context = s.context.clone();
    context.sort();
    assert_eq!(context, vec![("lot".into(), "L1".into()), ("recipe".into(), "R7".into())]);
}

#[test]
fn timestamps_are_rfc3339_or_integer_nanoseconds() {
    let z = decode(r#"{"ts": "1970-01-01T00:00:01.000000001Z", "values": {"x": 0}}"#);
    assert_eq!(z.ts, Timestamp::from_nanos(1_000_000_001));
    let n = decode(r#"{"ts": 1714557600250000000, "values": {"x": 0}}"#);
    assert_eq!(n.ts, Timestamp::from_nanos(1_714_557_600_250_000_000));
    let before_epoch = decode(r#"{"ts": -5, "values": {"x": 0}}"#);
    assert_eq!(before_epoch.ts, Timestamp::from_nanos(-5));
    let no_quality = decode(r#"{"ts": 0, "values": {"x": 0}, "quality": null}"#);
    assert_eq!(value(&no_quality, "x").1, Quality::Good);
}

#[test]
fn malformed_payloads_are_rejected_as_malformed() {
    for bad in [
        "",
        "not json",
        r#"{"ts": 0, "values": {"x": 1}"#,
        "[1, 2]",
        r#"{"values": {"x": 1}}"#,
        r#"{"ts": 0}"#,
        r#"{"ts": 0, "values": {}}"#,
        r#"{"ts": 0, "values": [1]}"#,
        r#"{"ts": 0, "values": {"x": "1.5"}}"#,
        r#"{"ts": 0, "values": {"x": null}}"#,
        r#"{"ts": 0, "values": {"x": true}}"#,
        r#"{"ts": 0, "values": {"x": {"v": 1}}}"#,
        r#"{"ts": 1.5, "values": {"x": 1}}"#,
        r#"{"ts": 1e18, "values": {"x": 1}}"#,
        r#"{"ts": 1e999, "values": {"x": 1}}"#,
        r#"{"ts": 9223372036854775808, "values": {"x": 1}}"#,
        r#"{"ts": "2024-05-01T12:00:00", "values": {"x": 1}}"#,
        r#"{"ts": "2024-05-01", "values": {"x": 1}}"#,
        r#"{"ts": "yesterday", "values": {"x": 1}}"#,
        r#"{"ts": "9999-01-01T00:00:00Z", "values": {"x": 1}}"#,
        r#"{"ts": true, "values": {"x": 1}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "quality": {"x": "great"}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "quality": {"x": 1}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "quality": {"y": "bad"}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "quality": ["bad"]}"#,
        r#"{"ts": 0, "values": {"x": 1}, "context": {"lot": 7}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "context": {"lot": 1e999}}"#,
        r#"{"ts": 0, "values": {"x": 1}, "context": "L1"}"#,
    ] {
        assert_eq!(reason_of(bad), RejectReason::Malformed, "{bad}");
    }
}

#[test]
fn non_finite_values_are_rejected_as_non_finite() {
    for bad in [
        r#"{"ts": 0, "values": {"x": 1e999}}"#,
        r#"{"ts": 0, "values": {"x": -1e999}}"#,
        r#"{"ts": 0, "values": {"x": 1, "y": 1E+400}}"#,
        r#"{"ts": 0, "values": {"x": NaN}}"#,
        r#"{"ts": 0, "values": {"x": Infinity}}"#,
        r#"{"ts": 0, "values": {"x": -Infinity}}"#,
        r#"{"ts": 0, "values": {"x": "NaN"}}"#,
        r#"{"ts": 0, "values": {"x": "nan"}}"#,
        r#"{"ts": 0, "values": {"x": "-inf"}}"#,
        r#"{"ts": 0, "values": {"x": "Infinity"}}"#,
    ] {
        assert_eq!(reason_of(bad), RejectReason::NonFinite, "{bad}");
    }
}

#[test]
fn marking_ignores_look_alikes_inside_strings() {
    // A string that looks like an overflowing number is left alone; the document stays invalid
    // JSON (trailing comma) and is reported as such.
    let text = r#"{"ts": "1e999", "values": {"NaN": 1,},}"#;
    assert_eq!(mark_non_finite(text.as_bytes()), None);
    assert_eq!(reason_of(text), RejectReason::Malformed);
    let escaped = r#"{"ts": "a\"1e999", "values": {"x": 1e999}}"#;
    let marked = String::from_utf8(mark_non_finite(escaped.as_bytes()).unwrap()).unwrap();
    assert_eq!(marked, r#"{"ts": "a\"1e999", "values": {"x": "\u0000faultline:non-finite"}}"#);
}

#[test]
fn details_name_the_channel_on_one_line() {
    let err = decode_sample("a1", br#"{"ts": 0, "values": {"line\nbreak": "oops"}}"#).unwrap_err();
    assert_eq!(err.reason, RejectReason::Malformed);
    assert!(err.detail.contains(r"line\nbreak"), "{}", err.detail);
    assert!(!err.detail.contains('\n'));
    let long = format!(r#"{{"ts": 0, "values": {{"{}": NaN}}}}"#, "c".repeat(500));
    let err = decode_sample("a1", long.as_bytes()).unwrap_err();
    assert!(err.detail.len() < 200, "{}", err.detail);
    assert_eq!(err.to_string(), format!("non_finite: {}", err.detail));
}

#[test]
fn batch_elements_are_decoded_independently() {
    let body = br#"{"samples": [
        {"asset": "a1", "ts": 1, "values": {"x": 1}},
        {"asset": "a2", "ts": 2, "values": {"x": 1e999}},
        {"ts": 3, "values": {"x": 1}},
        {"asset": "", "ts": 3, "values": {"x": 1}},
        7,
        {"asset": "a3", "ts": "1970-01-01T00:00:00Z", "values": {"y": 2}, "quality": {"y": "missing"}}
    ]}"#;
    let results = decode_batch(body).unwrap();
    assert_eq!(results.len(), 6);
    let first = results[0].as_ref().unwrap();
    assert_eq!((first.asset.as_str(), first.ts), ("a1", Timestamp::from_nanos(1)));
    let reasons: Vec<_> = results[1..5].iter().map(|r| r.as_ref().unwrap_err().reason).collect();
    assert_eq!(
        reasons,
        [
            RejectReason::NonFinite,
            RejectReason::Malformed,
            RejectReason::Malformed,
            RejectReason::Malformed
        ]
    );
    assert!(results[2].as_ref().unwrap_err().detail.starts_with("samples[2]: "));
    let last = results[5].as_ref().unwrap();
    assert_eq!((last.asset.as_str(), last.values[0].quality), ("a3", Quality::Missing));
}

#[test]
fn batch_body_must_hold_a_samples_array() {
    for bad in ["", "{}", "[]", r#"{"samples": {}}"#, r#"{"samples": [1,]}"#] {
        assert_eq!(decode_batch(bad.as_bytes()).unwrap_err().reason, RejectReason::Malformed);
    }
    assert_eq!(decode_batch(br#"{"samples": []}"#).unwrap(), vec![]);
}
