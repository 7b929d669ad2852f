//! What clients may hold of the server: time to send a request's headers and each piece of a
//! body, and (all together) at most `max_connections` connections. Without these, connections that send half a
//! header (anonymous: neither the audit trail nor the refusal throttle sees them) hold a file
//! descriptor each for ever, until the process runs out and `/health` stops answering.
//!
//! Both the HTTP and the HTTPS server go through [`harden`]; the body timeout is a layer of the
//! router (`lib.rs`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// How long a shutdown waits for requests in flight before it closes their connections (live
/// streams end at once).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Connections refused because `max_connections` were open (for `/metrics`).
pub(crate) static REFUSED_CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// The timeouts and the connection cap on a server, HTTP or HTTPS.
pub(crate) fn harden<A, Acc>(
    mut server: Server<A, Acc>,
    max_connections: usize,
) -> Server<A, Capped<Acc>>
where
    A: axum_server::Address,
{
    server.http_builder().http1().header_read_timeout(HEADER_READ_TIMEOUT);
    // HTTP/1.1 only: the dashboard and scripts speak it, and an HTTP/2 connection (cleartext
    // h2c) would escape the header timeout while idle.
    let server = server.http1_only().first_request_timeout(HEADER_READ_TIMEOUT);
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    server.map(|inner| Capped { inner, permits })
}

/// An acceptor that takes a connection only while fewer than the cap are open; the rest are
/// closed at once (the client sees a reset and may retry), so they cost no file descriptor.
#[derive(Clone, Debug)]
pub(crate) struct Capped<A> {
    inner: A,
    permits: Arc<Semaphore>,
}

impl<A, I, S> Accept<I, S> for Capped<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Counted<A::Stream>;
    type Service = A::Service;
    type Future = BoxFuture<'static, io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            REFUSED_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            return Box::pin(future::ready(Err(io::Error::other("connection limit reached"))));
        };
        let accepted = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            Ok((Counted { stream, _permit: permit }, service))
        })
    }
}

/// A connection's stream holding its place under the cap until it is dropped.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    stream: S,
    _permit: OwnedSemaphorePermit,
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
