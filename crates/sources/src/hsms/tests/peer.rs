//! The HSMS source against a scripted equipment on raw TCP: the normal set-up, then malformed,
//! truncated and oversize frames, silence (T3, T6, T7, T8), refusals and separation. Each must
//! give a clear error or a counted drop, a reconnection where the link is lost, and no crash.

use std::time::Duration;

use faultline_types::{Quality, Sample};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::Receiver;

use super::super::frame::{FrameReader, Incoming};
use super::super::header::{Header, SType};
use super::super::*;

const STIME: &str = "2024050112000000";
/// 2024-05-01T12:00:00Z in nanoseconds.
const BASE: i64 = 1_714_564_800_000_000_000;

fn config(address: String) -> HsmsConfig {
    let channels = vec![
        SvChannel { svid: 10, channel: "pressure".into() },
        SvChannel { svid: 11, channel: "power".into() },
    ];
    let mut config = HsmsConfig::new("etch01", address, channels);
    config.timers = Timers {
        t3: Duration::from_millis(800),
        t5: Duration::from_millis(50),
        t6: Duration::from_millis(800),
        t7: Duration::from_millis(800),
        t8: Duration::from_millis(300),
        linktest: None,
    };
    config.trace.period = Duration::from_millis(100);
    config.start_timeout = Duration::from_secs(5);
    config.max_message_bytes = 4096;
    config
}

/// A scripted equipment: one connection at a time, reading frames with the source's reader.
struct Equipment {
    reader: FrameReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    (listener, address)
}

impl Equipment {
    async fn accept(listener: &TcpListener) -> Equipment {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the host did not connect")
            .unwrap();
        Equipment::new(stream)
    }

    fn new(stream: TcpStream) -> Equipment {
        let (read, writer) = stream.into_split();
        Equipment { reader: FrameReader::new(read, 1 << 20), writer }
    }

    async fn recv(&mut self) -> Message {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.reader.next()).await {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(Incoming::Message(message)))) => return message,
                other => panic!("equipment expected a message, got {other:?}"),
            }
        }
    }

    async fn send(&mut self, message: &Message) {
        self.raw(&message.encode().unwrap()).await;
    }

    async fn raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    async fn reply(&mut self, to: &Message, item: Option<Item>) {
        let (s, f) = to.stream_function();
        self.send(&Message::data(0, s, f + 1, false, to.header.system, item)).await;
    }

    /// Answers the host's set-up: select, S1F13 (after sending our own S1F13 first, which the
    /// host must answer), S1F17, S1F3, S2F23. Returns the S2F23 body.
    async fn serve_setup(&mut self) -> Item {
        let select = self.recv().await;
        assert_eq!(select.header.stype(), Some(SType::SelectReq));
        self.send(&Message::control(Header::control(SType::SelectRsp, 0, select.header.system)))
            .await;
        self.send(&Message::data(0, 1, 13, true, 77, Some(Item::List(vec![])))).await;
        let mut answered_ours = false;
        loop {
            let message = self.recv().await;
            match message.stream_function() {
                (1, 14) => {
                    assert_eq!(message.header.system, 77);
                    answered_ours = true;
                }
                (1, 13) => {
                    let id = Item::List(vec![Item::ascii("fake"), Item::ascii("1")]);
                    self.reply(&message, Some(Item::List(vec![Item::binary(0), id]))).await;
                }
                (1, 17) => self.reply(&message, Some(Item::binary(0))).await,
                (1, 3) => {
                    self.reply(
                        &message,
                        Some(Item::List(vec![Item::F8(vec![1.5]), Item::U4(vec![7])])),
                    )
                    .await;
                }
                (2, 23) => {
                    assert!(answered_ours, "the host did not answer the equipment's S1F13");
                    self.reply(&message, Some(Item::binary(0))).await;
                    return message.item.unwrap();
                }
                other => panic!("unexpected {other:?} during set-up"),
            }
        }
    }

    /// Sends one S6F1 W with one sample per value pair and checks the S6F2.
    async fn trace(&mut self, system: u32, smpln: u32, values: &[(f64, u32)]) {
        let svs =
            values.iter().flat_map(|&(p, w)| [Item::F8(vec![p]), Item::U4(vec![w])]).collect();
        self.send(&Message::data(0, 6, 1, true, system, Some(trace_body(smpln, svs)))).await;
        let ack = self.recv().await;
        assert_eq!((ack.stream_function(), ack.header.system), ((6, 2), system));
    }
}

fn trace_body(smpln: u32, svs: Vec<Item>) -> Item {
    Item::List(vec![Item::u4(1), Item::u4(smpln), Item::ascii(STIME), Item::List(svs)])
}

/// `n` trace reports (`S6F1 W`, system bytes 1000 + k) in one write's worth of bytes.
fn trace_burst(n: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for k in 0..n {
        let svs = vec![Item::F8(vec![f64::from(k)]), Item::U4(vec![k])];
        let s6f1 = Message::data(0, 6, 1, true, 1000 + k, Some(trace_body(k + 1, svs)));
        bytes.extend(s6f1.encode().unwrap());
    }
    bytes
}

async fn next(samples: &mut Receiver<Sample>) -> Sample {
    tokio::time::timeout(Duration::from_secs(10), samples.recv()).await.unwrap().unwrap()
}

/// Starts the source against a fresh equipment that completes the set-up.
async fn started(
    mut config: HsmsConfig,
    listener: &TcpListener,
) -> (HsmsSource, Receiver<Sample>, Equipment) {
    config.address = listener.local_addr().unwrap().to_string();
    let start = tokio::spawn(HsmsSource::start(config));
    let mut equipment = Equipment::accept(listener).await;
    equipment.serve_setup().await;
    let (source, samples) = start.await.unwrap().unwrap();
    (source, samples, equipment)
}

#[tokio::test]
async fn trace_data_becomes_samples_with_equipment_time() {
    let (listener, address) = bind().await;
    let mut config = config(address);
    config.trace.group_size = 3;
    config.address = listener.local_addr().unwrap().to_string();
    let start = tokio::spawn(HsmsSource::start(config));
    let mut equipment = Equipment::accept(&listener).await;
    let s2f23 = equipment.serve_setup().await;
    // L[TRID 1, DSPER "00000010", TOTSMP, REPGSZ 3, L[10, 11]]
    let fields = s2f23.as_list().unwrap();
    assert_eq!(fields[1], Item::ascii("00000010"));
    assert_eq!(fields[3], Item::u4(3));
    assert_eq!(fields[4], Item::List(vec![Item::u4(10), Item::u4(11)]));
    let (source, mut samples) = start.await.unwrap().unwrap();
    let session = source.status().session().unwrap();
    assert_eq!(session.equipment.model, "fake");
    assert_eq!(session.status[0], (10, "pressure".into(), Item::F8(vec![1.5])));

    equipment.trace(500, 3, &[(1.0, 10), (2.0, 20), (3.0, 30)]).await;
    for (k, expected) in [1.0, 2.0, 3.0].into_iter().enumerate() {
        let sample = next(&mut samples).await;
        assert_eq!(sample.asset, "etch01");
        // STIME is the last sample's time; the others are DSPER (100 ms) apart before it.
        assert_eq!(sample.ts.as_nanos(), BASE - (2 - k as i64) * 100_000_000);
        assert_eq!(sample.values[0].channel, "pressure");
        assert_eq!(sample.values[0].value, expected);
        assert_eq!(sample.values[1].value, expected * 10.0);
    }
    // An empty value (unknown variable) is Missing, text is Bad; neither is dropped.
    let svs = vec![Item::List(vec![]), Item::ascii("n/a")];
    equipment.send(&Message::data(0, 6, 1, false, 501, Some(trace_body(4, svs)))).await;
    let sample = next(&mut samples).await;
    assert_eq!(sample.values[0].quality, Quality::Missing);
    assert_eq!(sample.values[1].quality, Quality::Bad);
    // So is a zero-length numeric item, whatever its format.
    let svs = vec![Item::U4(vec![]), Item::F8(vec![])];
    equipment.send(&Message::data(0, 6, 1, false, 502, Some(trace_body(5, svs)))).await;
    let sample = next(&mut samples).await;
    assert_eq!(sample.values[0].quality, Quality::Missing);
    assert_eq!(sample.values[1].quality, Quality::Missing);
    assert_eq!(source.status().samples(), 5);
    source.stop().await;
    // On stop the host ends the trace (TOTSMP 0) and separates.
    let stop = equipment.recv().await;
    assert_eq!(stop.stream_function(), (2, 23));
    assert_eq!(stop.item.as_ref().unwrap().as_list().unwrap()[2], Item::u4(0));
    equipment.reply(&stop, Some(Item::binary(0))).await;
    assert_eq!(equipment.recv().await.header.stype(), Some(SType::SeparateReq));
}

/// More primaries at once than the connection's queue to the handler holds (64): the handler
/// answers each through the connection task, so that task must keep writing while it holds
/// off reading. It used to wait on the full queue while the handler waited on it: no reply,
/// no timer, no linktest, for good.
#[tokio::test]
async fn a_burst_of_primaries_beyond_the_queue_is_answered_in_full() {
    let (listener, address) = bind().await;
    let (source, mut samples, mut equipment) = started(config(address), &listener).await;
    const BURST: u32 = 300;
    let drain = tokio::spawn(async move {
        let mut count = 0;
        while count < BURST && next(&mut samples).await.values.len() == 2 {
            count += 1;
        }
        count
    });
    equipment.raw(&trace_burst(BURST)).await;
    for k in 0..BURST {
        let ack = equipment.recv().await;
        assert_eq!((ack.stream_function(), ack.header.system), ((6, 2), 1000 + k));
    }
    assert_eq!(drain.await.unwrap(), BURST);
    // The link is alive: a linktest is answered.
    equipment.send(&Message::control(Header::control(SType::LinktestReq, 0, 9))).await;
    let rsp = equipment.recv().await;
    assert_eq!((rsp.header.stype(), rsp.header.system), (Some(SType::LinktestRsp), 9));
    source.stop().await;
}

/// While the connection holds off reading (its consumer is slow), the peer's replies cannot
/// arrive: it must not send a linktest and then fail it by T6 (found by review). Here the
/// consumer stalls for three linktest periods and T6 twice over; the link survives.
#[tokio::test]
async fn a_stalled_consumer_does_not_fail_the_link_by_its_own_linktest() {
    let (listener, address) = bind().await;
    let mut config = config(address);
    config.timers.linktest = Some(Duration::from_millis(300));
    config.capacity = 16; // the consumer's queue: full after 16 samples
    let (source, mut samples, mut equipment) = started(config, &listener).await;
    const BURST: u32 = 200;
    equipment.raw(&trace_burst(BURST)).await;
    let mut drain = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1800)).await;
        let mut count = 0;
        while count < BURST && next(&mut samples).await.values.len() == 2 {
            count += 1;
        }
        (count, samples)
    });
    // The equipment acknowledges nothing itself but answers every linktest, until the
    // consumer has taken the whole burst.
    let mut acks = 0;
    let (count, _samples) = loop {
        tokio::select! {
            drained = &mut drain => break drained.unwrap(),
            message = equipment.recv() => {
                if message.header.stype() == Some(SType::LinktestReq) {
                    let rsp = Header::control(SType::LinktestRsp, 0, message.header.system);
                    equipment.send(&Message::control(rsp)).await;
                    continue;
                }
                let expected = ((6, 2), 1000 + acks);
                assert_eq!((message.stream_function(), message.header.system), expected);
                acks += 1;
            }
        }
    };
    assert_eq!(count, BURST);
    assert_eq!(source.status().sessions(), 1, "{:?}", source.status().last_error());
    assert!(source.status().is_selected(), "{:?}", source.status().last_error());
    source.stop().await;
}

#[tokio::test]
async fn malformed_and_oversize_messages_are_counted_and_the_session_goes_on() {
    let (listener, address) = bind().await;
    let (source, mut samples, mut equipment) = started(config(address), &listener).await;
    // A body that is not an item (U4 with 3 bytes), W-bit set: the host aborts it with S6F0.
    let mut frame = Message::data(0, 6, 1, true, 900, None).encode().unwrap();
    frame.extend([0xB1, 3, 0, 0, 1]);
    frame[3] += 5;
    equipment.raw(&frame).await;
    let abort = equipment.recv().await;
    assert_eq!((abort.stream_function(), abort.header.system), ((6, 0), 900));
    // A frame over max_message_bytes (4096): skipped, aborted, session intact.
    let big = Item::Binary(vec![0; 10_000]);
    equipment.send(&Message::data(0, 6, 1, true, 901, Some(big))).await;
    let abort = equipment.recv().await;
    assert_eq!((abort.stream_function(), abort.header.system), ((6, 0), 901));
    // A trace report of the wrong shape: counted, acknowledged, no sample.
    let wrong = Item::List(vec![Item::u4(1)]);
    equipment.send(&Message::data(0, 6, 1, true, 902, Some(wrong))).await;
    assert_eq!(equipment.recv().await.stream_function(), (6, 2));
    // An unknown stream with W-bit: SxF0. An undefined SType: Reject.req reason 1.
    equipment.send(&Message::data(0, 64, 1, true, 903, None)).await;
    assert_eq!(equipment.recv().await.stream_function(), (64, 0));
    let mut odd = Header::control(SType::LinktestReq, 0, 904);
    odd.stype = 42;
    equipment.send(&Message::control(odd)).await;
    let reject = equipment.recv().await;
    assert_eq!((reject.header.stype(), reject.header.byte3), (Some(SType::RejectReq), 1));
    // A linktest from the equipment is answered.
    equipment.send(&Message::control(Header::control(SType::LinktestReq, 0, 905))).await;
    let rsp = equipment.recv().await;
    assert_eq!((rsp.header.stype(), rsp.header.system), (Some(SType::LinktestRsp), 905));
    // The session still works.
    equipment.trace(906, 1, &[(4.0, 40)]).await;
    assert_eq!(next(&mut samples).await.values[0].value, 4.0);
    assert_eq!(source.status().malformed(), 3);
    assert_eq!(source.status().sessions(), 1);
    source.stop().await;
}

#[tokio::test]
async fn broken_framing_and_silence_reconnect() {
    let (listener, address) = bind().await;
    let (source, mut samples, mut equipment) = started(config(address), &listener).await;
    let status = source.status();

    // 1. A length below the 10 header bytes: the connection is dropped, the host comes back.
    equipment.raw(&[0, 0, 0, 3, 1, 2, 3]).await;
    let mut equipment = Equipment::accept(&listener).await;
    equipment.serve_setup().await;
    equipment.trace(1, 1, &[(1.0, 1)]).await;
    assert_eq!(next(&mut samples).await.values[0].value, 1.0);
    assert!(
        status.last_error().unwrap().contains("malformed HSMS frame"),
        "{:?}",
        status.last_error()
    );

    // 2. A truncated message that stalls: T8 drops the connection.
    equipment.raw(&[0, 0, 0, 100, 0, 0, 6, 1]).await;
    let mut equipment = Equipment::accept(&listener).await;
    assert!(status.last_error().unwrap().contains("T8"), "{:?}", status.last_error());
    equipment.serve_setup().await;
    // One report first, so the host is past its set-up when the next fault comes.
    equipment.trace(10, 1, &[(1.0, 1)]).await;
    next(&mut samples).await;

    // 3. The equipment closes mid-message.
    equipment.raw(&[0, 0, 0, 100, 0]).await;
    drop(equipment);
    let mut equipment = Equipment::accept(&listener).await;
    equipment.serve_setup().await;
    assert!(status.last_error().unwrap().contains("closed"), "{:?}", status.last_error());
    equipment.trace(11, 1, &[(1.0, 1)]).await;
    next(&mut samples).await;

    // 4. Separate.req from the equipment.
    equipment.send(&Message::control(Header::control(SType::SeparateReq, 0, 5))).await;
    let mut equipment = Equipment::accept(&listener).await;
    equipment.serve_setup().await;
    assert!(status.last_error().unwrap().contains("Separate.req"), "{:?}", status.last_error());
    equipment.trace(2, 2, &[(2.0, 2)]).await;
    assert_eq!(next(&mut samples).await.values[0].value, 2.0);
    assert_eq!(status.sessions(), 5);
    source.stop().await;
}

#[tokio::test]
async fn linktest_without_answer_drops_the_connection() {
    let (listener, address) = bind().await;
    let mut config = config(address);
    config.timers.linktest = Some(Duration::from_millis(200));
    let (source, _samples, mut equipment) = started(config, &listener).await;
    let linktest = equipment.recv().await;
    assert_eq!(linktest.header.stype(), Some(SType::LinktestReq));
    // No answer: T6 (800 ms) ends the connection and the host reconnects.
    let _again = Equipment::accept(&listener).await;
    assert!(source.status().last_error().unwrap().contains("T6"));
    source.stop().await;
}

#[tokio::test]
async fn silence_and_refusals_fail_the_start_with_one_line() {
    // T6: the equipment accepts TCP but never answers Select.req.
    let (listener, address) = bind().await;
    let quiet = tokio::spawn(async move { Equipment::accept(&listener).await });
    let error = HsmsSource::start(config(address)).await.unwrap_err();
    assert!(matches!(error, HsmsError::Timeout { timer: Timer::T6, .. }), "{error}");
    assert!(error.to_string().contains("waiting for Select.rsp"), "{error}");
    drop(quiet);

    // T3: S1F13 is never answered.
    let (listener, address) = bind().await;
    let peer = tokio::spawn(async move {
        let mut equipment = Equipment::accept(&listener).await;
        let select = equipment.recv().await;
        equipment
            .send(&Message::control(Header::control(SType::SelectRsp, 0, select.header.system)))
            .await;
        let _s1f13 = equipment.recv().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    });
    let error = HsmsSource::start(config(address)).await.unwrap_err();
    assert!(matches!(error, HsmsError::Timeout { timer: Timer::T3, .. }), "{error}");
    assert!(error.to_string().contains("S1F13"), "{error}");
    peer.abort();

    // Select refused, and S2F23 answered with S9F5 (as secsgem 0.3.0's equipment does).
    let (listener, address) = bind().await;
    let peer = tokio::spawn(async move {
        let mut equipment = Equipment::accept(&listener).await;
        let select = equipment.recv().await;
        equipment
            .send(&Message::control(Header::control(SType::SelectRsp, 1, select.header.system)))
            .await;
    });
    let error = HsmsSource::start(config(address)).await.unwrap_err();
    assert!(matches!(error, HsmsError::SelectRefused { status: 1, .. }), "{error}");
    peer.await.unwrap();

    let (listener, address) = bind().await;
    let peer = tokio::spawn(async move {
        let mut equipment = Equipment::accept(&listener).await;
        let select = equipment.recv().await;
        equipment
            .send(&Message::control(Header::control(SType::SelectRsp, 0, select.header.system)))
            .await;
        loop {
            let message = equipment.recv().await;
            match message.stream_function() {
                (1, 13) => {
                    let id = Item::List(vec![Item::ascii("fake"), Item::ascii("1")]);
                    equipment.reply(&message, Some(Item::List(vec![Item::binary(0), id]))).await;
                }
                (1, 17) => equipment.reply(&message, Some(Item::binary(0))).await,
                (1, 3) => {
                    let values = Item::List(vec![Item::F8(vec![1.0]), Item::U4(vec![1])]);
                    equipment.reply(&message, Some(values)).await;
                }
                _ => {
                    // S9F5 with the offending header as MHEAD, under the equipment's own system bytes.
                    let mhead = Item::Binary(message.header.encode().to_vec());
                    equipment.send(&Message::data(0, 9, 5, false, 4242, Some(mhead))).await;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    return;
                }
            }
        }
    });
    let error = HsmsSource::start(config(address)).await.unwrap_err();
    assert!(matches!(error, HsmsError::NotSupported { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "the equipment at {} does not support S2F23 W: it answered S9F5 (unrecognized \
             function)",
            match &error {
                HsmsError::NotSupported { address, .. } => address.clone(),
                _ => unreachable!(),
            }
        )
    );
    peer.abort();
}

#[tokio::test]
async fn passive_mode_waits_for_the_equipment_and_t7_ends_an_unselected_connection() {
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = probe.local_addr().unwrap().to_string();
    drop(probe);
    let mut config = config(address.clone());
    config.mode = ConnectMode::Passive;
    let start = tokio::spawn(HsmsSource::start(config));
    // The first equipment connects and never selects: T7.
    let mut first = None;
    for _ in 0..100 {
        if let Ok(stream) = TcpStream::connect(&address).await {
            first = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = first.expect("the passive host did not listen");
    let error = start.await.unwrap().unwrap_err();
    assert!(matches!(error, HsmsError::Timeout { timer: Timer::T7, .. }), "{error}");
    drop(first);

    // Now an equipment that selects and answers: the passive host sets up as usual.
    let mut config = self::config(address.clone());
    config.mode = ConnectMode::Passive;
    let start = tokio::spawn(HsmsSource::start(config));
    let mut equipment = loop {
        if let Ok(stream) = TcpStream::connect(&address).await {
            break Equipment::new(stream);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A stray Reject.req first (system bytes 0, as the passive host's own select would have):
    // not answered (E37 never answers one) and not taken for a refusal of a select it never sent.
    equipment.send(&Message::control(Header::control(SType::RejectReq, 4, 0))).await;
    equipment.send(&Message::control(Header::control(SType::SelectReq, 0, 1))).await;
    let rsp = equipment.recv().await;
    assert_eq!((rsp.header.stype(), rsp.header.byte3), (Some(SType::SelectRsp), 0));
    loop {
        let message = equipment.recv().await;
        match message.stream_function() {
            (1, 13) => {
                let id = Item::List(vec![Item::ascii("fake"), Item::ascii("1")]);
                equipment.reply(&message, Some(Item::List(vec![Item::binary(0), id]))).await;
            }
            (1, 17) => equipment.reply(&message, Some(Item::binary(2))).await,
            (1, 3) => {
                let values = Item::List(vec![Item::F8(vec![1.0]), Item::U4(vec![1])]);
                equipment.reply(&message, Some(values)).await;
            }
            (2, 23) => {
                equipment.reply(&message, Some(Item::binary(0))).await;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let (source, mut samples) = start.await.unwrap().unwrap();
    equipment.trace(3, 1, &[(9.0, 9)]).await;
    assert_eq!(next(&mut samples).await.values[0].value, 9.0);
    source.stop().await;
}

#[tokio::test]
async fn context_from_event_reports_travels_with_samples() {
    let (listener, address) = bind().await;
    let mut config = config(address);
    config.address = listener.local_addr().unwrap().to_string();
    config.context = Some(ContextConfig {
        rptid: 4000,
        ceids: vec![3001],
        vars: vec![
            ContextVar { vid: 2001, key: "lot".into() },
            ContextVar { vid: 2002, key: "wafer".into() },
        ],
    });
    let start = tokio::spawn(HsmsSource::start(config));
    let mut equipment = Equipment::accept(&listener).await;
    let select = equipment.recv().await;
    equipment
        .send(&Message::control(Header::control(SType::SelectRsp, 0, select.header.system)))
        .await;
    let mut seen = Vec::new();
    loop {
        let message = equipment.recv().await;
        let sf = message.stream_function();
        seen.push(sf);
        match sf {
            (1, 13) => {
                let id = Item::List(vec![Item::ascii("fake"), Item::ascii("1")]);
                equipment.reply(&message, Some(Item::List(vec![Item::binary(0), id]))).await;
            }
            (1, 3) => {
                let values = Item::List(vec![Item::F8(vec![1.0]), Item::U4(vec![1])]);
                equipment.reply(&message, Some(values)).await;
            }
            // Refuse the clean-up steps (as secsgem does when nothing is linked): harmless.
            (2, 37) if seen.iter().filter(|s| **s == (2, 37)).count() == 1 => {
                equipment.reply(&message, Some(Item::binary(1))).await;
            }
            (1, 17) | (2, 33) | (2, 35) | (2, 37) => {
                equipment.reply(&message, Some(Item::binary(0))).await;
            }
            (2, 23) => {
                equipment.reply(&message, Some(Item::binary(0))).await;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen,
        [(1, 13), (1, 17), (1, 3), (2, 37), (2, 33), (2, 33), (2, 35), (2, 37), (2, 23)]
    );
    let (source, mut samples) = start.await.unwrap().unwrap();
    let report = Item::List(vec![
        Item::u4(1),
        Item::u4(3001),
        Item::List(vec![Item::List(vec![
            Item::u4(4000),
            Item::List(vec![Item::ascii("LOT-7"), Item::U2(vec![12])]),
        ])]),
    ]);
    equipment.send(&Message::data(0, 6, 11, true, 50, Some(report))).await;
    let ack = equipment.recv().await;
    assert_eq!((ack.stream_function(), ack.header.system), ((6, 12), 50));
    equipment.trace(51, 1, &[(5.0, 5)]).await;
    let sample = next(&mut samples).await;
    assert_eq!(sample.context, [("lot".into(), "LOT-7".into()), ("wafer".into(), "12".into())]);
    source.stop().await;
}
