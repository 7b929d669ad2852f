//! HTTP API: axum Router, bearer-token auth, JSON shapes, SSE stream, OpenAPI document,
//! Prometheus metrics.
//!
//! ```text
//!  request ─► security headers ─► route table ─► guard ──────► body limit ─► handler
//!                                  (routes.rs)    (auth.rs:                    (routes/*.rs)
//!                                                  who, may they)
//!                                                                                 │
//!              engine commands (audited) ◄─────── Engine ──────► store reads (blocking pool)
//! ```
//! - `routes.rs` is the one route table: [`app`] registers from it and [`openapi`] documents
//!   from it, so a route cannot exist undocumented or with its authentication undecided.
//! - `dto.rs` holds every JSON shape; engine types are converted, never serialised as they are.
//! - `error.rs` maps every failure to one status and `{"error", "detail"}` ([`ApiError`]).
//! - `auth.rs`: who is calling (session cookie, API token, or the break-glass admin token of
//!   [`prepare_auth`]) and whether the route's access allows it, by the policy table of
//!   `faultline-auth`; every route but `/health` and the login is guarded, and every denial
//!   is audited.
//!
//! **API Boundary:** only this crate knows HTTP and JSON shapes. Changes go through the engine's
//! audited commands or the store's audited methods, with the caller as actor; reads go to the
//! store on blocking threads.
#![deny(missing_docs)]

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use faultline_pipeline::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::timeout::RequestBodyTimeoutLayer;

mod auth;
mod connections;
pub mod dto;
mod error;
mod extract;
mod openapi;
mod routes;
mod state;
mod throttle;
mod times;
mod tls;
mod unknown_logins;
mod web;

pub use auth::{
    ADMIN_ACTOR, AdminToken, CSRF_HEADER, Principal, SESSION_COOKIE, TOKEN_FILE, TOKEN_SETTING,
    Via, prepare_auth,
};
pub use connections::{
    BODY_READ_TIMEOUT, BODY_TOTAL_TIMEOUT, ConnectionLimits, HEADER_READ_TIMEOUT, SHUTDOWN_GRACE,
};
pub use error::ApiError;
pub use openapi::openapi;
pub use state::ApiState;
pub use tls::{TlsError, serve_tls, server_config};

#[cfg(test)]
mod tests;

/// The whole router: every route of the route table with its authentication and body limit,
/// JSON 404/405 answers for everything else, and the security headers on every response.
pub fn app(engine: Engine, token: AdminToken) -> Router {
    let state = ApiState::new(engine, &token);
    let mut router = Router::new();
    for route in routes::ROUTES {
        let mut endpoint =
            (route.handler)(route.method.filter()).layer(DefaultBodyLimit::max(route.body_limit));
        if route.access != routes::Access::Open {
            let guarded = (state.clone(), route.access);
            endpoint = endpoint.route_layer(from_fn_with_state(guarded, auth::guard));
        }
        router = router.route(route.path, endpoint);
    }
    router
        .merge(web::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT))
        .layer(map_response(security_headers))
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, ends the event
/// streams and waits at most [`SHUTDOWN_GRACE`] for requests in flight. At most
/// `limits.total` connections are open at once, `limits.per_client` from one address, each
/// with the timeouts of `connections.rs`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = app.layer(axum::Extension(routes::Shutdown(stopped)));
    let handle = axum_server::Handle::new();
    let signal = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _no_streams = stop.send(true);
        signal.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let server = axum_server::from_tcp(listener.into_std()?)?.handle(handle);
    // The peer address feeds the refusal throttle (`throttle.rs`).
    connections::harden(server, limits)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
}

/// Headers on every response: no MIME sniffing, no framing, no referrer. API answers load
/// nothing and are not cached; a response that brings its own CSP (the dashboard's static
/// files) keeps it and its caching rule.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
