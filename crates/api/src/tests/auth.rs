//! Authentication: `/health` is open, every route of the table refuses a missing or wrong
//! token, and the admin token is created once, privately, and stored only as a hash.

use std::os::unix::fs::PermissionsExt;

use super::harness::{Fixture, Server, call};
use crate::auth::sha256_hex;
use crate::routes::{Auth, Method, ROUTES};

/// A concrete path for a route: parameters replaced by plausible values.
fn concrete(path: &str) -> String {
    path.replace("{asset}", "pump1").replace("{id}", "1").replace("{version}", "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_open_and_every_other_route_needs_the_token() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;

    let health = call(server.addr, "GET", "/health", None, None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), serde_json::json!({"status": "ok"}));

    let wrong = "0".repeat(64);
    for route in ROUTES {
        let path = concrete(route.path);
        let method = route.method.as_str();
        let body = (route.method == Method::Post).then_some(&b"{}"[..]);
        if route.auth == Auth::Open {
            let reply = call(server.addr, method, &path, None, body).await;
            assert_eq!(reply.status, 200, "{method} {path} without token");
            continue;
        }
        for (token, invalid) in [(None, false), (Some(wrong.as_str()), true), (Some("x"), true)] {
            let reply = call(server.addr, method, &path, token, body).await;
            assert_eq!(reply.status, 401, "{method} {path} with {token:?}");
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(challenge.starts_with("Bearer"), "{method} {path}: {challenge}");
            assert_eq!(challenge.contains("invalid_token"), invalid, "{challenge}");
            let json = reply.json();
            assert_eq!(json["error"], "unauthorized");
            assert!(json["detail"].as_str().is_some_and(|d| !d.is_empty()));
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        }
        // The right token passes the check (the stream would stay open: checked elsewhere).
        if path != "/api/v1/stream" {
            let reply = call(server.addr, method, &path, Some(&server.token), body).await;
            assert_ne!(reply.status, 401, "{method} {path} with the token: {}", reply.text());
        }
    }
    // The stored hash is not the token.
    let reply = call(server.addr, "GET", "/api/v1/assets", Some(&server.admin.hash), None).await;
    assert_eq!(reply.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_is_written_once_privately_and_stored_hashed() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    assert!(server.admin.created);
    assert_eq!(server.admin.file, fixture.token_file());
    let meta = std::fs::metadata(fixture.token_file()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let content = std::fs::read_to_string(fixture.token_file()).unwrap();
    assert_eq!(content, format!("{}\n", server.token));
    assert_eq!(server.token.len(), 64);
    assert!(server.token.bytes().all(|b| b.is_ascii_hexdigit()));

    let stored = server.engine.reader().unwrap().setting(crate::TOKEN_SETTING).unwrap();
    assert_eq!(stored.as_deref(), Some(sha256_hex(server.token.as_bytes()).as_str()));
    assert_eq!(server.admin.hash, sha256_hex(server.token.as_bytes()));
    let events = server.get("/api/v1/events?limit=1000").await.json();
    let created: Vec<_> =
        events.as_array().unwrap().iter().filter(|e| e["action"] == "token.create").collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["actor"], "system");
    // The audit record does not carry the secret or its hash.
    assert!(!created[0].to_string().contains(&server.token));
    assert!(!created[0].to_string().contains(&server.admin.hash));
    let token = server.token.clone();
    server.stop().await;

    // Restart: the hash exists, nothing is regenerated, the token keeps working.
    let server = Server::start_with(&fixture, Some(token.clone())).await;
    assert!(!server.admin.created);
    assert_eq!(server.admin.hash, sha256_hex(token.as_bytes()));
    assert_eq!(std::fs::read_to_string(fixture.token_file()).unwrap(), format!("{token}\n"));
    assert_eq!(server.get("/api/v1/assets").await.status, 200);
    server.stop().await;

    // The operator deleted the file after saving the token: it still works, no new file.
    std::fs::remove_file(fixture.token_file()).unwrap();
    let server = Server::start_with(&fixture, Some(token.clone())).await;
    assert!(!server.admin.created);
    assert!(!fixture.token_file().exists());
    assert_eq!(server.get("/api/v1/assets").await.status, 200);
    let events = server.get("/api/v1/events?limit=1000").await.json();
    let created =
        events.as_array().unwrap().iter().filter(|e| e["action"] == "token.create").count();
    assert_eq!(created, 1);
    server.stop().await;
}
