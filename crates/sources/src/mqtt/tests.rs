//! Tests of the MQTT source against a real mosquitto on loopback: delivery in order, redelivery
//! of unacknowledged messages, the in-flight bound, reconnection, and configuration errors.

mod broker;

use std::time::Duration;

use faultline_types::{RejectReason, Timestamp};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc::Receiver;

use self::broker::Broker;
use super::*;

const TOPIC: &str = "faultline/site1/press";

fn config(port: u16, client_id: &str) -> MqttConfig {
    MqttConfig { keep_alive_secs: 5, ..MqttConfig::new("127.0.0.1", port, client_id) }
}

fn payload(i: usize) -> Vec<u8> {
    format!(r#"{{"ts": {i}, "values": {{"x": {i}}}}}"#).into_bytes()
}

/// Publishes every payload with QoS 1 from a second client and returns once the broker has
/// acknowledged them all.
async fn publish_all(port: u16, topic: &str, payloads: Vec<Vec<u8>>) {
    let mut options = MqttOptions::new("test-publisher", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5)).set_max_packet_size(1 << 23, 1 << 23);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let expected = payloads.len();
    let poller = tokio::spawn(async move {
        let mut acked = 0;
        while acked < expected {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(error) => panic!("publisher connection failed: {error}"),
            }
        }
        eventloop
    });
    for payload in payloads {
        client.publish(topic, QoS::AtLeastOnce, false, payload).await.expect("queue publish");
    }
    let mut eventloop = tokio::time::timeout(Duration::from_secs(60), poller)
        .await
        .expect("broker acknowledged every publish in time")
        .expect("publisher task");
    client.disconnect().await.expect("queue disconnect");
    // Let the DISCONNECT go out; the connection then ends with an error, which is expected.
    while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await {
        if event == Event::Outgoing(rumqttc::Outgoing::Disconnect) {
            break;
        }
    }
}

async fn recv(rx: &mut Receiver<MqttMessage>) -> MqttMessage {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a message within 10 s")
        .expect("source still running")
}

/// Nothing arrives for a while (used to show that acknowledged messages stay acknowledged and
/// that the in-flight bound holds).
async fn assert_quiet(rx: &mut Receiver<MqttMessage>, millis: u64) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(millis), rx.recv()).await {
        let topic = message.map(|m| m.topic);
        panic!("expected no message, got {topic:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_qos1_messages_arrive_in_order() {
    let broker = Broker::start();
    let (source, mut rx) = MqttSource::start(config(broker.port(), "order")).await.unwrap();
    assert!(source.is_connected());
    let n = 1000;
    let publisher = tokio::spawn(publish_all(broker.port(), TOPIC, (0..n).map(payload).collect()));
    for i in 0..n {
        let message = recv(&mut rx).await;
        assert_eq!(message.topic, TOPIC);
        assert_eq!(message.payload, payload(i), "message {i}");
        let sample = message.decode().unwrap();
        assert_eq!((sample.asset.as_str(), sample.ts), ("press", Timestamp::from_nanos(i as i64)));
        message.ack.ack().unwrap();
    }
    publisher.await.unwrap();
    assert_eq!(source.reconnects(), 0);
    assert_eq!(source.status().unacked(), 0);
    source.stop().await;
}

/// A payload over 1 MiB used to fail the connection at every redelivery, for ever: nothing
/// after it arrived. It is now read, handed on as a `malformed` rejection (payload dropped),
/// and the messages after it arrive on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_payload_is_rejected_and_what_follows_arrives() {
    let broker = Broker::start();
    let (source, mut rx) = MqttSource::start(config(broker.port(), "oversize")).await.unwrap();
    let mut huge = payload(0);
    huge.resize(MAX_PAYLOAD_BYTES + 1000, b' ');
    publish_all(broker.port(), TOPIC, vec![huge, payload(1)]).await;
    let first = recv(&mut rx).await;
    assert!(first.payload.is_empty(), "the oversized payload is not kept");
    let rejected = first.decode().unwrap_err();
    assert_eq!(rejected.reason, RejectReason::Malformed);
    assert!(
        rejected.detail.contains(&format!("{} bytes", MAX_PAYLOAD_BYTES + 1000)),
        "{rejected:?}"
    );
    first.ack.ack().unwrap();
    let second = recv(&mut rx).await;
    assert_eq!(second.decode().unwrap().ts, Timestamp::from_nanos(1));
    second.ack.ack().unwrap();
    assert_eq!(source.reconnects(), 0);
    source.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_messages_are_redelivered_after_a_restart() {
    let broker = Broker::start();
    let (source, mut rx) = MqttSource::start(config(broker.port(), "redeliver")).await.unwrap();
    let n = 40;
    publish_all(broker.port(), TOPIC, (0..n).map(payload).collect()).await;
    let mut unacked = Vec::new();
    for i in 0..n {
        let message = recv(&mut rx).await;
        assert_eq!(message.payload, payload(i));
        if i < n / 2 {
            message.ack.ack().unwrap();
        } else {
            unacked.push(message);
        }
    }
    let status = source.status();
    assert_eq!(status.unacked(), n / 2);
    source.stop().await;
    assert!(!status.is_connected());
    // After the stop an acknowledgement cannot reach the broker, and says so.
    let late = unacked.pop().unwrap();
    assert_eq!(late.ack.ack(), Err(MqttError::Closed));
    drop(unacked);

    let (source, mut rx) = MqttSource::start(config(broker.port(), "redeliver")).await.unwrap();
    for i in n / 2..n {
        let message = recv(&mut rx).await;
        assert_eq!(message.payload, payload(i), "redelivered in order");
        message.ack.ack().unwrap();
    }
    assert_quiet(&mut rx, 300).await;
    source.stop().await;

    // Everything was acknowledged: a third start receives nothing.
    let (source, mut rx) = MqttSource::start(config(broker.port(), "redeliver")).await.unwrap();
    assert_quiet(&mut rx, 500).await;
    source.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_max_inflight_messages_are_out_unacknowledged() {
    let broker = Broker::start();
    let config = MqttConfig { max_inflight: 4, ..config(broker.port(), "bounded") };
    let (source, mut rx) = MqttSource::start(config).await.unwrap();
    publish_all(broker.port(), TOPIC, (0..10).map(payload).collect()).await;
    let mut held = Vec::new();
    for i in 0..4 {
        let message = recv(&mut rx).await;
        assert_eq!(message.payload, payload(i));
        held.push(message);
    }
    assert_quiet(&mut rx, 300).await;
    assert_eq!(source.status().unacked(), 4);
    // Each acknowledgement frees one slot for the next message, and nothing was dropped.
    let mut next = 4;
    for message in held {
        message.ack.ack().unwrap();
        let message = recv(&mut rx).await;
        assert_eq!(message.payload, payload(next));
        next += 1;
        message.ack.ack().unwrap();
    }
    for i in next..10 {
        let message = recv(&mut rx).await;
        assert_eq!(message.payload, payload(i));
        message.ack.ack().unwrap();
    }
    source.stop().await;
}

/// A consumer that acknowledges in groups (as the pipeline does after each journal commit)
/// while the client library's request queue is full must not stall the source. Before
/// acknowledging stopped waiting, a full queue made an acknowledgement wait while the group's
/// other handles held every `max_inflight` slot; the event loop, waiting for a slot, stopped
/// polling and so never drained the queue (`bench ingest` stalled that way at ~70,000 samples).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledging_in_groups_with_a_full_request_queue_does_not_stall() {
    let broker = Broker::start();
    let config = MqttConfig { max_inflight: 8, ..config(broker.port(), "full-queue") };
    let (source, mut rx) = MqttSource::start_with(config, 2).await.unwrap();
    let n = 3000;
    let publisher = tokio::spawn(publish_all(broker.port(), TOPIC, (0..n).map(payload).collect()));
    let mut group = Vec::new();
    let mut next = 0;
    // Each wait is bounded, so a stall fails the test instead of hanging it.
    while next < n {
        let message = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("stalled after {next} of {n} messages"))
            .expect("source still running");
        assert_eq!(message.payload, payload(next), "message {next}");
        next += 1;
        group.push(message);
        if group.len() == 8 || rx.is_empty() {
            for message in group.drain(..) {
                message.ack.ack().unwrap();
            }
        }
    }
    publisher.await.unwrap();
    assert_eq!(source.status().unacked(), 0);
    source.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_reconnects_and_subscribes_again_after_the_broker_restarts() {
    let mut broker = Broker::start();
    let (source, mut rx) = MqttSource::start(config(broker.port(), "reconnect")).await.unwrap();
    publish_all(broker.port(), TOPIC, vec![payload(1)]).await;
    let before = recv(&mut rx).await;

    // The new broker has no session: the subscription must be made again.
    broker.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while source.reconnects() == 0 || !source.is_connected() {
        assert!(tokio::time::Instant::now() < deadline, "no reconnection within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The old connection's packet id is not acknowledged on the new one. The ack task makes
    // that decision after `ack` returns (acknowledging never waits), so wait for its count.
    before.ack.ack().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while source.status().stale_acks() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the stale ack was never counted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(source.status().stale_acks(), 1);

    // Publish until the re-subscription is in place (its SUBACK is not observable from here).
    let mut received = None;
    for attempt in 2..50 {
        publish_all(broker.port(), TOPIC, vec![payload(attempt)]).await;
        if let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        {
            received = Some(message);
            break;
        }
    }
    let message = received.expect("a message after the broker restarted");
    assert!(message.decode().is_ok());
    message.ack.ack().unwrap();
    source.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_payloads_reach_the_consumer_with_their_reason() {
    let broker = Broker::start();
    let (source, mut rx) = MqttSource::start(config(broker.port(), "rejects")).await.unwrap();
    publish_all(broker.port(), "faultline/site1/a", vec![b"{\"ts\": 1, \"values\": {}}".to_vec()])
        .await;
    let message = recv(&mut rx).await;
    assert_eq!(message.decode().unwrap_err().reason, RejectReason::Malformed);
    // A rejected message is acknowledged once counted, or the broker would redeliver it forever.
    message.ack.ack().unwrap();
    source.stop().await;
}

#[tokio::test]
async fn start_fails_when_no_broker_listens() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = MqttSource::start(config(port, "nobody")).await.unwrap_err();
    assert!(matches!(err, MqttError::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[tokio::test]
async fn invalid_configurations_are_refused_before_connecting() {
    let base = config(1, "id");
    for (bad, field) in [
        (MqttConfig { client_id: String::new(), ..base.clone() }, "client_id"),
        (MqttConfig { topic_filter: "faultline/#/x".into(), ..base.clone() }, "topic_filter"),
        (MqttConfig { topic_filter: String::new(), ..base.clone() }, "topic_filter"),
        (MqttConfig { max_inflight: 0, ..base.clone() }, "max_inflight"),
        (MqttConfig { keep_alive_secs: 70_000, ..base.clone() }, "keep_alive_secs"),
        (MqttConfig { host: String::new(), ..base.clone() }, "host"),
    ] {
        let err = MqttSource::start(bad).await.unwrap_err();
        assert!(matches!(&err, MqttError::Config(m) if m.contains(field)), "{field}: {err}");
    }
    let clean_without_id = MqttConfig { client_id: String::new(), clean_session: true, ..base };
    assert_eq!(clean_without_id.validate(), Ok(()));
    assert_eq!(MqttConfig::default().topic_filter, "faultline/+/+");
    assert!(!MqttConfig::default().clean_session);
}
