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
