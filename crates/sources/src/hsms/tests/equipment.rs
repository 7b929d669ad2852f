//! The HSMS source against the simulated equipment in-process: both ends of this crate, so the
//! equipment's GEM answers (trace, reports, events, `S1F3`, refusals) are checked against the
//! host that the demo and `faultline serve` use.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faultline_types::{ChannelValue, Quality, Sample, Timestamp};

use super::super::equipment::{CollectionEvent, DataVariable, Equipment, StatusVariable, ToolSpec};
use super::super::*;

/// Process samples per wafer of the test process.
const PER_WAFER: u64 = 20;

fn spec(period: Duration) -> ToolSpec {
    let sv =
        |svid, channel: &str| StatusVariable { svid, channel: channel.into(), unit: "u".into() };
    ToolSpec {
        model: "sim-etch".into(),
        software: "2.0".into(),
        device_id: 3,
        period,
        status_variables: vec![sv(10, "count"), sv(11, "double"), sv(12, "absent")],
        data_variables: vec![
            DataVariable { vid: 2001, key: "lot".into() },
            DataVariable { vid: 2002, key: "wafer".into() },
        ],
        events: vec![
            CollectionEvent { ceid: 3001, key: "wafer".into() },
            CollectionEvent { ceid: 3002, key: "lot".into() },
        ],
    }
}

/// A process whose values count its samples: `count` = k, `double` = 2k; the wafer changes
/// every [`PER_WAFER`] samples. `absent` is never in the sample (a status variable the process
/// does not feed). Returns the process and its sample counter.
fn counting_process() -> (impl FnMut(Timestamp) -> Sample + Send + 'static, Arc<AtomicU64>) {
    let taken = Arc::new(AtomicU64::new(0));
    let counter = taken.clone();
    let process = move |ts: Timestamp| {
        let k = counter.fetch_add(1, Ordering::Relaxed) + 1;
        let value = |channel: &str, value: f64| ChannelValue {
            channel: channel.into(),
            value,
            quality: Quality::Good,
        };
        Sample {
            asset: "sim".into(),
            ts,
            values: vec![value("count", k as f64), value("double", 2.0 * k as f64)],
            context: vec![
                ("lot".into(), "LOT-7".into()),
                ("wafer".into(), (k / PER_WAFER + 1).to_string()),
            ],
        }
    };
    (process, taken)
}

fn host(address: String, svids: &[(u32, &str)]) -> HsmsConfig {
    let channels =
        svids.iter().map(|&(svid, channel)| SvChannel { svid, channel: channel.into() }).collect();
    let mut config = HsmsConfig::new("sim", address, channels);
    config.device_id = 3;
    config.trace.period = Duration::from_millis(10);
    config.trace.group_size = 4;
    config.start_timeout = Duration::from_secs(5);
    config.context = Some(ContextConfig {
        rptid: 4000,
        ceids: vec![3001, 3002],
        vars: vec![
            ContextVar { vid: 2001, key: "lot".into() },
            ContextVar { vid: 2002, key: "wafer".into() },
        ],
    });
    config
}

#[tokio::test]
async fn the_host_traces_the_simulated_tool_with_context() {
    let (process, taken) = counting_process();
    let equipment =
        Equipment::start("127.0.0.1:0", spec(Duration::from_millis(10)), process).await.unwrap();
    let config = host(equipment.address().to_string(), &[(10, "count"), (11, "double")]);
    let (source, mut samples) = HsmsSource::start(config).await.unwrap();
    let session = source.status().session().unwrap();
    assert_eq!(session.equipment.model, "sim-etch");
    assert_eq!(session.equipment.software, "2.0");
    assert!(matches!(&session.status[0].2, Item::F8(v) if v.len() == 1 && v[0] >= 1.0));

    let mut received = Vec::new();
    while received.len() < 200 {
        let sample = tokio::time::timeout(Duration::from_secs(5), samples.recv()).await;
        received.push(sample.expect("a sample within 5 s").expect("the source runs"));
    }
    // The equipment's clock: STIME 10 ms apart, exactly.
    for pair in received.windows(2) {
        assert_eq!(pair[1].ts.as_nanos() - pair[0].ts.as_nanos(), 10_000_000);
    }
    // Values are the process's latest sample: `double` is twice `count`, which never goes back.
    for sample in &received {
        let v: Vec<f64> = sample.values.iter().map(|v| v.value).collect();
        assert_eq!(sample.values[0].quality, Quality::Good);
        assert_eq!(v[1], 2.0 * v[0], "{sample:?}");
    }
    assert!(received.windows(2).all(|p| p[1].values[0].value >= p[0].values[0].value));
    // Context from the event reports: the wafer of the sample's count. The host applies an
    // event to the whole `S6F1` that follows it, so with REPGSZ 4 the samples taken just
    // before a change may carry the new wafer (at most the 3 before it in the group).
    let first_with_context = received.iter().position(|s| !s.context.is_empty()).unwrap();
    assert!(first_with_context <= 4, "the events enabled at set-up report at once");
    let mut wafers = std::collections::BTreeSet::new();
    for sample in &received[first_with_context..] {
        let get = |key: &str| sample.context.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        assert_eq!(get("lot").map(String::as_str), Some("LOT-7"));
        let wafer: u64 = get("wafer").unwrap().parse().unwrap();
        let count = sample.values[0].value as u64;
        let group = 4;
        assert!(
            wafer == count / PER_WAFER + 1 || wafer == (count + group - 1) / PER_WAFER + 1,
            "{sample:?}"
        );
        wafers.insert(wafer);
    }
    assert!(wafers.len() >= 5, "{wafers:?}");
    assert!(source.status().malformed() == 0 && source.status().refused() == 0);
    source.stop().await;
    assert_eq!(equipment.sessions(), 1);
    assert!(equipment.trace_samples() >= 200);
    assert!(equipment.event_reports() >= 5);
    assert!(taken.load(Ordering::Relaxed) > 0);
    equipment.stop().await;
}

#[tokio::test]
async fn a_second_host_and_a_reconnecting_host_are_served_too() {
    let (process, _) = counting_process();
    let equipment =
        Equipment::start("127.0.0.1:0", spec(Duration::from_millis(10)), process).await.unwrap();
    let address = equipment.address().to_string();
    let (first, mut first_samples) =
        HsmsSource::start(host(address.clone(), &[(10, "count")])).await.unwrap();
    for round in 0..2 {
        let (second, mut samples) =
            HsmsSource::start(host(address.clone(), &[(11, "double")])).await.unwrap();
        for _ in 0..20 {
            let sample = tokio::time::timeout(Duration::from_secs(5), samples.recv()).await;
            assert!(sample.unwrap().is_some(), "round {round}");
        }
        second.stop().await;
    }
    // The first host kept collecting while the others came and went.
    for _ in 0..20 {
        let sample = tokio::time::timeout(Duration::from_secs(5), first_samples.recv()).await;
        assert!(sample.unwrap().is_some());
    }
    first.stop().await;
    assert_eq!(equipment.sessions(), 3);
    equipment.stop().await;
}

#[tokio::test]
async fn what_the_tool_does_not_have_is_refused_with_the_code() {
    let (process, _) = counting_process();
    let equipment =
        Equipment::start("127.0.0.1:0", spec(Duration::from_millis(10)), process).await.unwrap();
    let address = equipment.address().to_string();
    let unknown_sv =
        HsmsSource::start(host(address.clone(), &[(10, "count"), (99, "nope")])).await.unwrap_err();
    assert!(unknown_sv.to_string().contains("TIAACK = 4"), "{unknown_sv}");

    let mut unknown_vid = host(address.clone(), &[(10, "count")]);
    unknown_vid.context.as_mut().unwrap().vars.push(ContextVar { vid: 9, key: "x".into() });
    let error = HsmsSource::start(unknown_vid).await.unwrap_err();
    assert!(error.to_string().contains("DRACK = 4"), "{error}");

    let mut unknown_event = host(address.clone(), &[(10, "count")]);
    unknown_event.context.as_mut().unwrap().ceids = vec![3001, 3999];
    let error = HsmsSource::start(unknown_event).await.unwrap_err();
    assert!(error.to_string().contains("LRACK = 4"), "{error}");

    // A status variable the process does not feed arrives as `missing`, not as a number.
    let (source, mut samples) =
        HsmsSource::start(host(address.clone(), &[(12, "absent")])).await.unwrap();
    let sample = tokio::time::timeout(Duration::from_secs(5), samples.recv()).await.unwrap();
    assert_eq!(sample.unwrap().values[0].quality, Quality::Missing);
    source.stop().await;

    let mut wrong_device = host(address, &[(10, "count")]);
    wrong_device.device_id = 4;
    wrong_device.context = None;
    let error = HsmsSource::start(wrong_device).await.unwrap_err();
    assert!(
        error.to_string().contains("S1F13 W: it answered S9F1 (unrecognized device id)"),
        "{error}"
    );
    equipment.stop().await;
}

#[tokio::test]
async fn a_bad_tool_spec_is_a_clear_error() {
    let (process, _) = counting_process();
    let mut bad = spec(Duration::from_millis(10));
    bad.data_variables.push(DataVariable { vid: 10, key: "dup".into() });
    let error = Equipment::start("127.0.0.1:0", bad, process).await.unwrap_err();
    assert!(error.to_string().contains("variable id 10 is used twice"), "{error}");
    let (again, _) = counting_process();
    let error = Equipment::start("not an address", spec(Duration::from_millis(10)), again)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot listen"), "{error}");
}

/// A raw host link to the simulated tool, to send what the GEM host never would; with the
/// receiver of the tool's primaries and the connection task, which the caller keeps alive.
async fn raw_link(
    equipment: &Equipment,
) -> (
    super::super::connection::Link,
    tokio::sync::mpsc::Receiver<Message>,
    tokio::task::JoinHandle<Result<(), HsmsError>>,
) {
    use super::super::connection::{LinkSettings, establish};
    let stream = tokio::net::TcpStream::connect(equipment.address()).await.unwrap();
    let settings = LinkSettings {
        address: "equipment".into(),
        device_id: 3,
        timers: Timers { t3: Duration::from_secs(5), ..Timers::default() },
        max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        equipment: false,
    };
    establish(stream, ConnectMode::Active, settings, Arc::default()).await.unwrap()
}

#[tokio::test]
async fn unknown_messages_and_bad_bodies_are_answered_with_s9_and_codes() {
    let (process, _) = counting_process();
    let equipment =
        Equipment::start("127.0.0.1:0", spec(Duration::from_millis(10)), process).await.unwrap();
    let (link, _primaries, _connection) = raw_link(&equipment).await;
    let error = |result: Result<_, HsmsError>| result.unwrap_err().to_string();
    let unknown_function = error(link.request(1, 21, None).await);
    assert!(unknown_function.contains("S1F21 W: it answered S9F5"), "{unknown_function}");
    let unknown_stream = error(link.request(12, 1, None).await);
    assert!(unknown_stream.contains("S9F3 (unrecognized stream)"), "{unknown_stream}");
    let bad_trace = link.request(2, 23, Some(Item::u4(1))).await;
    assert!(error(bad_trace).contains("S9F7 (illegal data)"));

    // S1F11: names and units; S1F3: an unknown SVID is an empty item.
    let names = link.request(1, 11, Some(Item::empty_list())).await.unwrap().item.unwrap();
    let names = names.as_list().unwrap();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0].as_list().unwrap()[1].as_text().as_deref(), Some("count"));
    let values = link.request(1, 3, Some(Item::List(vec![Item::u4(11), Item::u4(99)]))).await;
    let values = values.unwrap().item.unwrap();
    assert!(matches!(&values.as_list().unwrap()[0], Item::F8(v) if v.len() == 1));
    assert_eq!(values.as_list().unwrap()[1], Item::empty_list());

    // S2F33: a report defined twice is DRACK 3; S2F23 with a bad period is TIAACK 3.
    let report = |rptid: u32| {
        Some(Item::List(vec![
            Item::u4(0),
            Item::List(vec![Item::List(vec![Item::u4(rptid), Item::List(vec![Item::u4(2001)])])]),
        ]))
    };
    assert_eq!(link.request(2, 33, report(5)).await.unwrap().item, Some(Item::binary(0)));
    assert_eq!(link.request(2, 33, report(5)).await.unwrap().item, Some(Item::binary(3)));
    let trace = Item::List(vec![
        Item::u4(1),
        Item::ascii("006000"),
        Item::u4(10),
        Item::u4(1),
        Item::List(vec![Item::u4(10)]),
    ]);
    assert_eq!(link.request(2, 23, Some(trace)).await.unwrap().item, Some(Item::binary(3)));
    equipment.stop().await;
}
