//! What clients may hold of the server: time to send a request's headers and each piece of a
//! body, at most `max_connections` connections all together, and at most
//! `max_connections_per_client` from one address. Without these, connections that send half a
//! header (anonymous: neither the audit trail nor the refusal throttle sees them) hold a file
//! descriptor each for ever, until the process runs out and `/health` stops answering; and
//! without the second cap one machine can take every place under the first.
//!
//! Both the HTTP and the HTTPS server go through [`harden`]; the body timeout is a layer of the
//! router (`lib.rs`).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::Server;
use axum_server::accept::Accept;
use futures_util::future::{self, BoxFuture};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most time from a connection's start (after the TLS handshake) to its first request's
/// headers, and for the headers of every later request on it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Most time a request body may pause between two pieces of data.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Most time a whole request body may take (the largest, a 16 MiB model, at 140 kB/s). The
/// pause timeout alone lets a client that sends one byte every 29 s hold a connection for
/// hours.
pub const BODY_TOTAL_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a shutdown waits for requests in flight before it closes their connections (live
/// streams end at once).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Connections refused because `max_connections` were open, or `max_connections_per_client`
/// from the connecting address (for `/metrics`).
pub(crate) static REFUSED_CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// How many connections the server holds open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// All together (`[security] max_connections`).
    pub total: usize,
    /// From one client address (`[security] max_connections_per_client`; 0: no cap of its
    /// own).
    pub per_client: usize,
}

/// The timeouts and the connection caps on a server, HTTP or HTTPS.
pub(crate) fn harden<A, Acc>(
    mut server: Server<A, Acc>,
    limits: ConnectionLimits,
) -> Server<A, Capped<Acc>>
where
    A: axum_server::Address,
{
    server.http_builder().http1().header_read_timeout(HEADER_READ_TIMEOUT);
    // HTTP/1.1 only: the dashboard and scripts speak it, and an HTTP/2 connection (cleartext
    // h2c) would escape the header timeout while idle.
    let server = server.http1_only().first_request_timeout(HEADER_READ_TIMEOUT);
    let permits = Arc::new(Semaphore::new(limits.total.max(1)));
    let clients = Arc::new(Mutex::new(HashMap::new()));
    let per_client = limits.per_client;
    server.map(|inner| Capped { inner, permits, clients, per_client })
}

/// The address a raw connection comes from (the acceptor sees the TCP stream before TLS).
pub(crate) trait PeerIp {
    fn peer_ip(&self) -> Option<IpAddr>;
}

impl PeerIp for tokio::net::TcpStream {
    fn peer_ip(&self) -> Option<IpAddr> {
        // The whole address (an IPv4-mapped one as IPv4): on a plant LAN one /64 is often the
        // whole control room, which the refusal throttle's /64 would put under one cap. A
        // socket whose peer cannot be read is already gone; it counts under the total cap only.
        self.peer_addr().ok().map(|addr| addr.ip().to_canonical())
    }
}

/// An acceptor that takes a connection only while fewer than the caps are open (in all, and
/// from its address); the rest are closed at once (the client sees a reset and may retry), so
/// they cost no file descriptor.
#[derive(Clone, Debug)]
pub(crate) struct Capped<A> {
    inner: A,
    permits: Arc<Semaphore>,
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
    per_client: usize,
}

impl<A> Capped<A> {
    /// A place for one more connection from `ip`, or `None` when it holds its cap.
    fn client_slot(&self, ip: Option<IpAddr>) -> Option<ClientSlot> {
        let Some(ip) = ip.filter(|_| self.per_client > 0) else {
            return Some(ClientSlot { clients: None, ip: None });
        };
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let open = clients.entry(ip).or_insert(0);
        if *open >= self.per_client {
            return None;
        }
        *open += 1;
        Some(ClientSlot { clients: Some(self.clients.clone()), ip: Some(ip) })
    }
}

impl<A, I, S> Accept<I, S> for Capped<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
    I: PeerIp,
{
    type Stream = Counted<A::Stream>;
    type Service = A::Service;
    type Future = BoxFuture<'static, io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let Some(slot) = self.client_slot(stream.peer_ip()) else {
            REFUSED_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            let refused = io::Error::other("connection limit of the client address reached");
            return Box::pin(future::ready(Err(refused)));
        };
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            REFUSED_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            return Box::pin(future::ready(Err(io::Error::other("connection limit reached"))));
        };
        let accepted = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            Ok((Counted { stream, _permit: permit, _slot: slot }, service))
        })
    }
}

/// A connection's place under its address's cap, given back when it is dropped.
#[derive(Debug)]
pub(crate) struct ClientSlot {
    clients: Option<Arc<Mutex<HashMap<IpAddr, usize>>>>,
    ip: Option<IpAddr>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let (Some(clients), Some(ip)) = (&self.clients, self.ip) else { return };
        let mut clients = clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(open) = clients.get_mut(&ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                clients.remove(&ip);
            }
        }
    }
}

/// A connection's stream holding its places under the caps until it is dropped.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    stream: S,
    _permit: OwnedSemaphorePermit,
    _slot: ClientSlot,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
