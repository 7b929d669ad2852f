//! HTTP API: axum Router, bearer-token auth, JSON shapes, SSE stream, OpenAPI document,
//! Prometheus metrics.
//!
//! ```text
//!  request ─► security headers ─► route table ─► bearer check ─► body limit ─► handler
//!                                  (routes.rs)    (auth.rs)                    (routes/*.rs)
//!                                                                                 │
//!              engine commands (audited) ◄─────── Engine ──────► store reads (blocking pool)
//! ```
//! - `routes.rs` is the one route table: [`app`] registers from it and [`openapi`] documents
//!   from it, so a route cannot exist undocumented or with its authentication undecided.
//! - `dto.rs` holds every JSON shape; engine types are converted, never serialised as they are.
//! - `error.rs` maps every failure to one status and `{"error", "detail"}` ([`ApiError`]).
//! - `auth.rs`: the admin token ([`prepare_auth`]): generated once, stored hashed, compared in
//!   constant time; every route but `/health` requires it.
//!
//! **API Boundary:** only this crate knows HTTP and JSON shapes. Changes go through the engine's
//! audited commands (actor `admin` until users exist); reads go to the store on blocking
//! threads.
#![deny(missing_docs)]

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use faultline_pipeline::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;

mod auth;
pub mod dto;
mod error;
mod extract;
mod openapi;
mod routes;
mod state;
mod times;

pub use auth::{ADMIN_ACTOR, AdminToken, TOKEN_FILE, TOKEN_SETTING, prepare_auth};
pub use error::ApiError;
pub use openapi::openapi;
pub use state::ApiState;

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
        if route.auth == routes::Auth::Bearer {
            endpoint = endpoint.route_layer(from_fn_with_state(state.clone(), auth::require_token));
        }
        router = router.route(route.path, endpoint);
    }
    router
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(map_response(security_headers))
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, ends the event
/// streams and waits for requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = app.layer(axum::Extension(routes::Shutdown(stopped)));
    let signal = async move {
        shutdown.await;
        let _no_streams = stop.send(true);
    };
    axum::serve(listener, app).with_graceful_shutdown(signal).await
}

/// Headers on every response: no MIME sniffing, no framing, nothing loaded, nothing cached.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
