//! What one client may hold of the server: a connection that never finishes its headers is
//! closed, and connections beyond the cap are closed on arrival, so the server keeps answering.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Fixture, Server};
use crate::ConnectionLimits;
use crate::HEADER_READ_TIMEOUT;

/// Reads until the peer closes (or errors); how long that took, at most `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let closed = closed_within(&mut slow, HEADER_READ_TIMEOUT + Duration::from_secs(5)).await;
    let after = closed.expect("a half-sent request head holds its connection for ever");
    assert!(after >= HEADER_READ_TIMEOUT - Duration::from_secs(1), "closed after {after:?}");
    assert_eq!(server.get("/health").await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_closed_on_arrival_and_counted() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    // The harness serves with a cap of 64: hold them all with connections that say nothing.
    let mut held = Vec::new();
    for _ in 0..64 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    let closed = closed_within(&mut extra, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "the 65th connection was kept");
    // Once one is given back, the server answers again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics = server.get("/metrics").await.text();
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("faultline_connections_refused_total "))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no refused-connections counter in {metrics}"));
    assert!(refused >= 1, "{refused}");
    drop(held);
    server.stop().await;
}

/// One address holds at most `per_client` connections, so that one machine cannot take every
/// place under the global cap; others (here: the same server's global places) stay open, and
/// a connection given back makes room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_own_cap() {
    let fixture = Fixture::new();
    let limits = ConnectionLimits { total: 64, per_client: 8 };
    let server = Server::start_limited(&fixture, None, limits).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ninth = TcpStream::connect(server.addr).await.unwrap();
    let closed = closed_within(&mut ninth, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "the ninth connection from one address was kept");
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.get("/health").await.status, 200, "a place given back is taken again");
    drop(held);
    server.stop().await;
}
