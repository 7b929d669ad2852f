//! The OpenAPI document lists every route of the table; answers outside the table are JSON
//! too; every response carries the security headers.

use super::harness::{Fixture, Server, call};
use crate::routes::ROUTES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_route_and_errors_are_json() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;

    let reply = server.get("/api/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
        assert_eq!(op["summary"], route.summary, "{} {}", route.method.as_str(), route.path);
    }
    assert_eq!(doc, crate::openapi());

    for reply in [
        server.get("/api/v1/nothing").await,
        call(server.addr, "DELETE", "/api/v1/assets", Some(&server.token), None).await,
        call(server.addr, "GET", "/nothing", None, None).await,
        server.get("/health").await,
        server.get("/api/v1/assets").await,
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            reply.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert!(reply.header("content-type").unwrap().starts_with("application/json"));
    }
    let missing = server.get("/api/v1/nothing").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "not_found");
    let wrong_method =
        call(server.addr, "DELETE", "/api/v1/assets", Some(&server.token), None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.json()["error"], "method_not_allowed");
    // Without the token nothing tells which paths exist.
    assert_eq!(call(server.addr, "GET", "/nothing", None, None).await.status, 401);
    assert_eq!(call(server.addr, "DELETE", "/api/v1/assets", None, None).await.status, 401);
    server.stop().await;
}
