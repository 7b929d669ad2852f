//! The SSE stream: a `score` event arrives after an ingest, filtered by asset, and a server
//! shutdown ends open streams instead of waiting for them.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{BASE_NS, Fixture, STEP_NS, Server, find, request_head};

/// Reads from `stream` into `buf` until `needle` appears after `from` (10 s at most).
async fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, needle: &[u8]) -> usize {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(at) = find(buf, needle) {
                return at;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "stream closed early: {}", String::from_utf8_lossy(buf));
            buf.extend_from_slice(&chunk[..n]);
        }
    });
    found.await.unwrap_or_else(|_| {
        panic!("no {:?} in {}", String::from_utf8_lossy(needle), String::from_utf8_lossy(buf))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_delivers_scores_and_ends_on_shutdown() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    assert_eq!(server.get("/api/v1/stream?asset=nope").await.status, 404);

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = request_head("GET", "/api/v1/stream?asset=pump1", Some(&server.token), 0, false);
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let end = read_until(&mut stream, &mut buf, b"\r\n\r\n").await;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");

    server.ingest_rows(1000..1003, |v| v).await;
    let at = read_until(&mut stream, &mut buf, b"event: score\ndata: ").await;
    let data_start = at + b"event: score\ndata: ".len();
    let data_end = data_start + find(&buf[data_start..], b"\n").unwrap();
    let score: Value = serde_json::from_slice(&buf[data_start..data_end]).unwrap();
    assert_eq!(score["asset"], "pump1");
    assert_eq!(score["ts_ns"], BASE_NS + 1000 * STEP_NS);
    assert!(score["t2"].as_f64().unwrap().is_finite());
    assert!(score["spe_limit"].as_f64().unwrap() > 0.0);
    assert_eq!(score["top"].as_array().unwrap().len(), 3);

    // Shutdown with the stream open: the server ends it and stops (bounded in `stop`).
    server.stop().await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the stream stays open after shutdown");
}

/// An open stream is a request that goes on: once its credentials would be refused (a token
/// revoked here), it ends within the re-check interval instead of streaming for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ends_when_its_token_is_revoked() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let body =
        serde_json::json!({"username": "vic", "role": "viewer", "password": "a-very-good-secret"});
    assert_eq!(server.post_json("/api/v1/users", body).await.status, 201);
    let created = server
        .post_json("/api/v1/tokens", serde_json::json!({"username": "vic", "label": "wallboard"}))
        .await
        .json();
    let token = created["token"].as_str().unwrap().to_string();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = request_head("GET", "/api/v1/stream", Some(&token), 0, false);
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    read_until(&mut stream, &mut buf, b"\r\n\r\n").await;
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
    server.ingest_rows(1000..1002, |v| v).await;
    read_until(&mut stream, &mut buf, b"event: score").await;

    let id = created["id"].as_u64().unwrap();
    let revoked = server.post(&format!("/api/v1/tokens/{id}/revoke"), b"").await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    // The response ends (its last chunk); the connection itself may stay open for reuse.
    let limit = crate::routes::stream::RECHECK + Duration::from_secs(5);
    let ended = tokio::time::timeout(limit, async {
        loop {
            if buf.ends_with(b"\r\n0\r\n\r\n") {
                return;
            }
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed without ending the response");
            buf.extend_from_slice(&chunk[..n]);
        }
    });
    assert!(ended.await.is_ok(), "the stream outlived its revoked token");
    server.stop().await;
}

/// The re-check of an open stream's credentials used to count as the session's activity (it
/// went through the request path, which writes the session's last activity once a minute), so
/// a session with a stream open never idled out. It only reads now: the session's last
/// activity stays what the last request made it, and the idle timeout ends the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streams_recheck_is_not_activity_and_an_idle_session_ends_it() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let uma = server.user("uma", "viewer").await;
    let digest = faultline_auth::token_digest(&uma.cookie);
    let mut headers = axum::http::HeaderMap::new();
    let cookie = format!("faultline_session={}", uma.cookie);
    headers.insert(axum::http::header::COOKIE, cookie.parse().unwrap());
    let state = crate::ApiState::new(server.engine.clone(), &server.admin);
    let mut store = server.engine.reader().unwrap();
    let last_seen =
        |store: &faultline_store::Store| store.session(&digest).unwrap().unwrap().last_seen;
    const MINUTE: i64 = 60 * 1_000_000_000;
    let now = crate::times::now().as_nanos();

    // Last active two minutes ago: a request would write its activity, a re-check does not.
    let two_minutes_ago = faultline_types::Timestamp::from_nanos(now - 2 * MINUTE);
    store.touch_session(&digest, two_minutes_ago).unwrap();
    for _ in 0..3 {
        assert!(crate::routes::stream::may_still_read(&state, &headers).await);
    }
    assert_eq!(last_seen(&store), two_minutes_ago, "the re-check wrote the session's activity");
    assert_eq!(uma.get("/api/v1/me").await.status, 200);
    assert!(last_seen(&store) > two_minutes_ago, "a request is activity");

    // Idle for longer than `session_idle_hours` (8 by default): the re-check ends the stream.
    let idle = faultline_types::Timestamp::from_nanos(now - 8 * 60 * MINUTE - MINUTE);
    store.touch_session(&digest, idle).unwrap();
    assert!(!crate::routes::stream::may_still_read(&state, &headers).await);
    assert_eq!(last_seen(&store), idle);
    server.stop().await;
}
