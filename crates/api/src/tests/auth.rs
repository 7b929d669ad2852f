//! Authentication and authorisation end to end. The route-table test is built from the router
//! itself: every route of the table, with no credentials, a bad token, a bad cookie, an
//! expired session, a revoked session and every role that lacks the route's permission, must
//! be refused (401 or 403), each refusal audited exactly once; every route must be in the
//! classification below, so a new route that nobody classified fails here. Then the login
//! flow, lockout, CSRF, users and tokens, and the admin token's bootstrap.

use std::os::unix::fs::PermissionsExt;

use faultline_auth::{Permission, Role, token_digest};
use faultline_store::{Event, Session};
use faultline_types::Timestamp;
use serde_json::json;

use super::harness::{Fixture, Server, call, call_with};
use crate::auth::sha256_hex;
use crate::routes::{Access, Method, PUBLIC_STATIC, ROUTES};

/// Every route and who may call it, written out by hand: the table must match it exactly.
const CLASSIFIED: &[(&str, &str, &str)] = &[
    ("GET", "/health", "open"),
    ("GET", "/metrics", "read"),
    ("GET", "/api/openapi.json", "read"),
    ("GET", "/api/v1/assets", "read"),
    ("GET", "/api/v1/assets/{asset}/scores", "read"),
    ("GET", "/api/v1/assets/{asset}/history", "read"),
    ("GET", "/api/v1/alarms", "read"),
    ("GET", "/api/v1/alarms/{id}", "read"),
    ("POST", "/api/v1/alarms/{id}/ack", "alarm.act"),
    ("POST", "/api/v1/alarms/{id}/shelve", "alarm.act"),
    ("POST", "/api/v1/alarms/{id}/unshelve", "alarm.act"),
    ("GET", "/api/v1/models", "read"),
    ("POST", "/api/v1/models", "model.upload"),
    ("POST", "/api/v1/models/{asset}/{version}/activate", "model.activate"),
    ("POST", "/api/v1/models/{asset}/refit", "model.upload"),
    ("GET", "/api/v1/rejects", "read"),
    ("GET", "/api/v1/events", "audit.read"),
    ("POST", "/api/v1/ingest", "ingest"),
    ("GET", "/api/v1/stream", "read"),
    ("POST", "/api/v1/login", "login"),
    ("POST", "/api/v1/logout", "authenticated"),
    ("GET", "/api/v1/me", "authenticated"),
    ("POST", "/api/v1/me/password", "authenticated"),
    ("GET", "/api/v1/users", "user.manage"),
    ("POST", "/api/v1/users", "user.manage"),
    ("POST", "/api/v1/users/{username}/role", "user.manage"),
    ("POST", "/api/v1/users/{username}/disable", "user.manage"),
    ("POST", "/api/v1/users/{username}/password", "user.manage"),
    ("POST", "/api/v1/tokens", "user.manage"),
    ("GET", "/api/v1/tokens", "user.manage"),
    ("POST", "/api/v1/tokens/{id}/revoke", "user.manage"),
    ("GET", "/api/v1/audit", "audit.read"),
    ("GET", "/api/v1/audit/verify", "audit.read"),
];

/// A way of calling with credentials that must be refused: what it is, its headers, and
/// whether the challenge says `invalid_token`.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, bool);

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Open => "open",
        Access::Login => "login",
        Access::Authenticated => "authenticated",
        Access::Permission(p) => p.as_str(),
    }
}

/// A concrete path for a route: parameters replaced by plausible values (a token id that does
/// not exist: the admin's pass through the guard must not revoke the test's own tokens).
fn concrete(path: &str) -> String {
    path.replace("/tokens/{id}", "/tokens/999")
        .replace("{asset}", "pump1")
        .replace("{id}", "1")
        .replace("{version}", "1")
        .replace("{username}", "nobody")
}

#[test]
fn the_route_table_is_classified() {
    let table: Vec<(&str, &str, &str)> =
        ROUTES.iter().map(|r| (r.method.as_str(), r.path, access_name(r.access))).collect();
    for route in &table {
        assert!(CLASSIFIED.contains(route), "route {route:?} is not classified in this test");
    }
    for expected in CLASSIFIED {
        assert!(table.contains(expected), "classified route {expected:?} is not in the table");
    }
    // The public static paths are exactly the dashboard's, and none is in the table.
    assert_eq!(PUBLIC_STATIC, &["/", "/ui/{*path}"]);
    for path in PUBLIC_STATIC {
        assert!(ROUTES.iter().all(|r| r.path != *path), "{path} is public and in the table");
    }
}

/// A session that ended by time, written straight into the store.
fn expired_session(server: &Server, user: &str) -> String {
    let token = "e".repeat(64);
    let mut store = server.engine.reader().unwrap();
    let at = Timestamp::from_nanos(1_000);
    let session = Session {
        username: user.into(),
        created_at: at,
        last_seen: at,
        expires_at: Timestamp::from_nanos(2_000),
        revoked: false,
    };
    let event = Event::new(at, user, "login.success", format!("user/{user}"));
    store.start_session(&token_digest(&token), &session, &event).unwrap();
    token
}

fn denials(server: &Server) -> usize {
    let store = server.engine.reader().unwrap();
    store
        .events(usize::MAX, None)
        .unwrap()
        .iter()
        .filter(|(_, e)| e.action == "access.denied")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_missing_bad_expired_and_wrong_role_credentials() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let vera = server.user("vera", "viewer").await;
    let otto = server.user("otto", "operator").await;
    let erin = server.user("erin", "engineer").await;
    let anna = server.user("anna", "admin").await;
    let sessions = [(Role::Viewer, &vera), (Role::Operator, &otto), (Role::Engineer, &erin)];
    let expired = format!("faultline_session={}", expired_session(&server, "anna"));
    let ended = server.login("anna", &anna.password).await;
    let logout = ended.post_json("/api/v1/logout", json!({})).await;
    assert_eq!(logout.status, 204, "{}", logout.text());
    let ended = format!("faultline_session={}", ended.cookie);
    let viewer_token = server
        .post_json("/api/v1/tokens", json!({"username": "otto", "role": "viewer", "label": "t"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = denials(&server);
    let mut refused = 0;

    let wrong = format!("Bearer {}", "0".repeat(64));
    let viewer_bearer = format!("Bearer {viewer_token}");
    for route in ROUTES {
        let path = concrete(route.path);
        let method = route.method.as_str();
        let body = (route.method == Method::Post).then_some(&b"{}"[..]);
        let what = format!("{method} {path}");
        match route.access {
            Access::Open => {
                let reply = call(server.addr, method, &path, None, body).await;
                assert_eq!(reply.status, 200, "{what} without credentials");
                continue;
            }
            Access::Login => {
                let reply = call(server.addr, method, &path, None, body).await;
                assert_eq!(reply.status, 401, "{what} with an empty login");
                continue;
            }
            _ => {}
        }
        let csrf = ("X-Requested-With", "faultline");
        let cases: [Case; 5] = [
            ("no credentials", vec![], false),
            ("a wrong bearer token", vec![("Authorization", wrong.as_str())], true),
            ("a made-up cookie", vec![("Cookie", "faultline_session=abc"), csrf], true),
            ("an expired session", vec![("Cookie", expired.as_str()), csrf], true),
            ("a session ended by logout", vec![("Cookie", ended.as_str()), csrf], true),
        ];
        for (case, headers, invalid) in cases {
            let reply = call_with(server.addr, method, &path, &headers, body).await;
            assert_eq!(reply.status, 401, "{what} with {case}: {}", reply.text());
            refused += 1;
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
            assert_eq!(challenge.contains("invalid_token"), invalid, "{what} {case}: {challenge}");
            assert_eq!(reply.json()["error"], "unauthorized");
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        }
        // Every role that lacks the permission is refused with 403, by session and by token.
        if let Access::Permission(permission) = route.access {
            let lacking: Vec<_> = sessions.iter().filter(|(r, _)| !r.allows(permission)).collect();
            if permission == Permission::Read {
                assert!(lacking.is_empty(), "every role may read");
            }
            for (role, session) in lacking {
                let cookie = format!("faultline_session={}", session.cookie);
                let headers = [("Cookie", cookie.as_str()), csrf];
                let reply = call_with(server.addr, method, &path, &headers, body).await;
                assert_eq!(reply.status, 403, "{what} as {role}: {}", reply.text());
                assert_eq!(reply.json()["error"], "forbidden");
                refused += 1;
            }
            if !Role::Viewer.allows(permission) {
                let headers = [("Authorization", viewer_bearer.as_str())];
                let reply = call_with(server.addr, method, &path, &headers, body).await;
                assert_eq!(reply.status, 403, "{what} with a viewer token: {}", reply.text());
                refused += 1;
            }
        }
        // A cookie-authenticated change without the CSRF header is refused.
        if route.method == Method::Post {
            let cookie = format!("faultline_session={}", anna.cookie);
            let reply = call_with(server.addr, method, &path, &[("Cookie", &cookie)], body).await;
            assert_eq!(reply.status, 403, "{what} without X-Requested-With: {}", reply.text());
            refused += 1;
        }
        // The right credentials pass the guard (the stream would stay open: checked elsewhere).
        if path != "/api/v1/stream" && path != "/api/v1/logout" {
            let reply = call(server.addr, method, &path, Some(&server.token), body).await;
            assert!(![401, 403].contains(&reply.status), "{what} as admin: {}", reply.text());
        }
    }
    // Each refusal wrote exactly one audit record.
    assert_eq!(denials(&server) - before, refused);
    // The stored hash is not the token.
    let reply = call(server.addr, "GET", "/api/v1/assets", Some(&server.admin.hash), None).await;
    assert_eq!(reply.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_in_the_openapi_document_needs_credentials() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let doc = server.get("/api/openapi.json").await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_ascii_uppercase();
            let path = concrete(path);
            let reply = call(server.addr, &method, &path, None, None).await;
            let expected = if path == "/health" { 200 } else { 401 };
            assert_eq!(reply.status, expected, "{method} {path} without credentials");
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len());
    // Outside the table: the dashboard's files are public, anything else needs credentials.
    let page = call(server.addr, "GET", "/", None, None).await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or_default().to_string();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // HSTS only over HTTPS (tests/tls.rs); over plain HTTP it would mean nothing.
    assert_eq!(page.header("strict-transport-security"), None);
    assert_ne!(call(server.addr, "GET", "/ui/missing.js", None, None).await.status, 401);
    assert_eq!(call(server.addr, "GET", "/api/v1/secret", None, None).await.status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sessions_csrf_and_lockout() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let created = server
        .post_json(
            "/api/v1/users",
            json!({"username": "lena", "role": "engineer", "password": "a-very-good-secret"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());

    // Login: the cookie and the answer of the contract.
    let body = json!({"username": "lena", "password": "a-very-good-secret"}).to_string();
    let reply = call(server.addr, "POST", "/api/v1/login", None, Some(body.as_bytes())).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let cookie = reply.header("set-cookie").unwrap().to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let value = cookie.split(';').next().unwrap().strip_prefix("faultline_session=").unwrap();
    assert_eq!(value.len(), 64);
    let login = reply.json();
    assert_eq!(
        (login["username"].as_str(), login["role"].as_str()),
        (Some("lena"), Some("engineer"))
    );
    assert!(login["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(login["expires_at_ns"].as_i64().unwrap() > 0);
    // The store has the digest, not the cookie.
    let store = server.engine.reader().unwrap();
    assert!(store.session(&token_digest(value)).unwrap().is_some());

    let lena = server.login("lena", "a-very-good-secret").await;
    let me = lena.get("/api/v1/me").await.json();
    assert_eq!(me["username"], "lena");
    assert_eq!(me["role"], "engineer");
    assert!(me["permissions"].as_array().unwrap().contains(&json!("model.activate")));
    assert!(!me["permissions"].as_array().unwrap().contains(&json!("user.manage")));
    let admin_me = server.get("/api/v1/me").await.json();
    assert_eq!(admin_me["username"], "admin-token");

    // Wrong, missing and malformed credentials are all a plain 401, each audited.
    for body in [
        json!({"username": "lena", "password": "wrong"}).to_string(),
        json!({"username": "nobody", "password": "a-very-good-secret"}).to_string(),
        "".into(),
        "not json".into(),
        json!({"username": "lena"}).to_string(),
    ] {
        let reply = call(server.addr, "POST", "/api/v1/login", None, Some(body.as_bytes())).await;
        assert_eq!(reply.status, 401, "{body}: {}", reply.text());
        assert_eq!(reply.json()["error"], "unauthorized");
    }
    let failures = |store: &faultline_store::Store| {
        store
            .events(usize::MAX, None)
            .unwrap()
            .iter()
            .filter(|(_, e)| e.action == "login.failure")
            .count()
    };
    assert_eq!(failures(&store), 5);
    // A body over the route's limit tried no password: 413, as the OpenAPI says, and no record.
    let huge = vec![b'x'; crate::routes::LOGIN_BODY_LIMIT + 1];
    let reply = call(server.addr, "POST", "/api/v1/login", None, Some(&huge)).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"], "too_large");
    assert_eq!(failures(&store), 5);

    // Four more wrong passwords make five since the last success: locked, even for the right
    // password, with Retry-After; the lockout is audited and does not extend itself.
    let wrong = json!({"username": "lena", "password": "still wrong"}).to_string();
    for _ in 0..4 {
        let reply = call(server.addr, "POST", "/api/v1/login", None, Some(wrong.as_bytes())).await;
        assert_eq!(reply.status, 401);
    }
    let right = json!({"username": "lena", "password": "a-very-good-secret"}).to_string();
    let locked = call(server.addr, "POST", "/api/v1/login", None, Some(right.as_bytes())).await;
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert_eq!(locked.json()["error"], "locked");
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let events = store.events(usize::MAX, None).unwrap();
    assert!(events.iter().any(|(_, e)| e.action == "login.locked" && e.target == "user/lena"));
    // Other users are not affected; the existing session keeps working.
    assert_eq!(lena.get("/api/v1/me").await.status, 200);

    // CSRF: a cookie-authenticated change needs the header; with it, it passes the guard.
    let cookie_header = format!("faultline_session={}", lena.cookie);
    let bare =
        call_with(server.addr, "POST", "/api/v1/logout", &[("Cookie", &cookie_header)], None).await;
    assert_eq!(bare.status, 403);
    let out = lena.post_json("/api/v1/logout", json!({})).await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(lena.get("/api/v1/me").await.status, 401);
    let events = store.events(usize::MAX, None).unwrap();
    assert_eq!(events.iter().filter(|(_, e)| e.action == "login.success").count(), 2);
    assert_eq!(events.iter().filter(|(_, e)| e.action == "logout").count(), 1);
    assert!(store.audit_report().unwrap().ok());
    server.stop().await;
}

fn actions(server: &Server, action: &str) -> Vec<Event> {
    let store = server.engine.reader().unwrap();
    let events = store.events(usize::MAX, None).unwrap();
    events.into_iter().map(|(_, e)| e).filter(|e| e.action == action).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_refusals_is_throttled_per_address_counted_and_summarised_in_the_trail() {
    let fixture = Fixture::with_security("max_refusals_per_minute = 4");
    let server = Server::start(&fixture).await;
    let created = server
        .post_json(
            "/api/v1/users",
            json!({"username": "ines", "role": "operator", "password": "a-very-good-secret"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());

    // Within the budget: refused and recorded one by one, as always.
    for _ in 0..2 {
        assert_eq!(call(server.addr, "GET", "/api/v1/assets", None, None).await.status, 401);
    }
    let wrong = json!({"username": "ines", "password": "not-her-password"}).to_string();
    for _ in 0..2 {
        let reply = call(server.addr, "POST", "/api/v1/login", None, Some(wrong.as_bytes())).await;
        assert_eq!(reply.status, 401, "{}", reply.text());
    }
    assert_eq!(actions(&server, "access.denied").len(), 2);
    assert_eq!(actions(&server, "login.failure").len(), 2);
    assert!(actions(&server, "access.throttled").is_empty());

    // The fifth refusal crosses the budget: 429 with Retry-After and one record saying so.
    let crossing = call(server.addr, "GET", "/api/v1/alarms", Some("made-up"), None).await;
    assert_eq!(crossing.status, 429, "{}", crossing.text());
    assert_eq!(crossing.json()["error"], "throttled");
    let retry: u64 = crossing.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    let throttled = actions(&server, "access.throttled");
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].target, "client/127.0.0.1");
    let reason = throttled[0].reason.as_deref().unwrap();
    assert!(reason.contains("more than 4 refusals") && reason.contains("GET /api/v1/alarms"));

    // Then counted, not recorded: unauthenticated calls, unknown paths and logins alike. A
    // throttled address cannot try passwords, not even the right one.
    for path in ["/api/v1/assets", "/api/v1/no-such-route"] {
        let reply = call(server.addr, "GET", path, None, None).await;
        assert_eq!((reply.status, reply.json()["error"].as_str()), (429, Some("throttled")));
    }
    let right = json!({"username": "ines", "password": "a-very-good-secret"}).to_string();
    let login = call(server.addr, "POST", "/api/v1/login", None, Some(right.as_bytes())).await;
    assert_eq!(login.status, 429, "{}", login.text());
    assert!(login.header("set-cookie").is_none());
    assert_eq!(actions(&server, "access.denied").len(), 2);
    assert_eq!(actions(&server, "login.failure").len(), 2);
    assert_eq!(actions(&server, "login.success").len(), 0);

    // Valid credentials from the same address are not throttled.
    let assets = server.get("/api/v1/assets").await;
    assert_eq!(assets.status, 200, "{}", assets.text());
    let metrics = server.get("/metrics").await.text();
    assert!(metrics.contains("faultline_refusals_unrecorded_total 3\n"), "{metrics}");

    // When the window has ended, its count becomes one record (the server's own throttle is
    // 60 s; a state on the same engine with a window that started a minute ago stands in).
    let state = crate::ApiState::new(server.engine.clone(), &server.admin);
    let long_ago = std::time::Instant::now() - std::time::Duration::from_secs(61);
    let client = Some(std::net::IpAddr::from([192, 0, 2, 7]));
    for _ in 0..7 {
        state.throttle().refusal(client, long_ago, Timestamp::from_nanos(1_000));
    }
    crate::auth::record_unrecorded(&state).await;
    let summary = actions(&server, "access.unrecorded");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].target, "client/192.0.2.7");
    assert_eq!(summary[0].new_value.as_deref(), Some("2"));
    assert!(summary[0].reason.as_deref().unwrap().starts_with("2 refusals from client/192.0.2.7"));
    crate::auth::record_unrecorded(&state).await;
    assert_eq!(actions(&server, "access.unrecorded").len(), 1, "reported once");
    assert!(server.engine.reader().unwrap().audit_report().unwrap().ok());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_of_a_locked_name_are_throttled_and_cross_site_logins_refused() {
    let fixture = Fixture::with_security("max_refusals_per_minute = 4\nmax_failed_logins = 2");
    let server = Server::start(&fixture).await;
    for name in ["jo", "kim"] {
        let body = json!({"username": name, "role": "viewer", "password": "a-very-good-secret"});
        assert_eq!(server.post_json("/api/v1/users", body).await.status, 201);
    }
    // A login posted by another site's page is refused whatever its password; a browser on
    // the dashboard's own page (same-origin) and a script (no header) log in.
    let right = json!({"username": "kim", "password": "a-very-good-secret"}).to_string();
    let login_from = |site: &'static str| {
        let headers = [("Sec-Fetch-Site", site)];
        let body = right.clone();
        let addr = server.addr;
        async move { call_with(addr, "POST", "/api/v1/login", &headers, Some(body.as_bytes())).await }
    };
    let cross = login_from("cross-site").await;
    assert_eq!(cross.status, 403, "{}", cross.text());
    assert!(cross.header("set-cookie").is_none());
    assert_eq!(login_from("same-origin").await.status, 200);
    server.login("kim", "a-very-good-secret").await;
    assert_eq!(actions(&server, "login.failure").len(), 1);

    // Two wrong passwords lock jo (refusals 2 and 3 of this address's 4 a minute); trying the
    // locked name is a refusal too: the 4th is recorded, the 5th crosses the budget (recorded,
    // and one `access.throttled`), and from then on nothing more is written.
    let wrong = json!({"username": "jo", "password": "not-his-password"}).to_string();
    for _ in 0..2 {
        let reply = call(server.addr, "POST", "/api/v1/login", None, Some(wrong.as_bytes())).await;
        assert_eq!(reply.status, 401);
    }
    let mut answers = Vec::new();
    for _ in 0..8 {
        let reply = call(server.addr, "POST", "/api/v1/login", None, Some(wrong.as_bytes())).await;
        answers.push(reply.json()["error"].as_str().unwrap().to_string());
    }
    assert_eq!(answers[..2], ["locked", "locked"]);
    assert!(answers[2..].iter().all(|e| e == "throttled"), "{answers:?}");
    assert_eq!(actions(&server, "login.locked").len(), 2);
    assert_eq!(actions(&server, "access.throttled").len(), 1);
    assert!(server.engine.reader().unwrap().audit_report().unwrap().ok());
    server.stop().await;
}

/// Users sometimes type their password into the user name box. A name that is no user's
/// used to be recorded as typed (actor and target of `login.failure`, `login.locked` and
/// `access.throttled`); it is recorded as `(unknown user)` now, and still locked out like a
/// known name. A known name is still recorded as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_name_that_is_no_user_s_never_reaches_the_audit_trail() {
    let fixture = Fixture::with_security("max_refusals_per_minute = 5\nmax_failed_logins = 2");
    let server = Server::start(&fixture).await;
    let body = json!({"username": "lena", "role": "viewer", "password": "a-very-good-secret"});
    assert_eq!(server.post_json("/api/v1/users", body).await.status, 201);
    let login = |name: &str, password: &str| {
        let body = json!({"username": name, "password": password}).to_string();
        let addr = server.addr;
        async move {
            let reply = call(addr, "POST", "/api/v1/login", None, Some(body.as_bytes())).await;
            reply.json()["error"].as_str().unwrap_or_default().to_string()
        }
    };
    // A known user's failure (refusal 1 of 5), then the password typed as the name: two
    // failures lock it (2, 3), the locked name is refused (4, 5), the next crosses the budget
    // (one `access.throttled`), and the address is throttled from then on.
    assert_eq!(login("lena", "not-her-password").await, "unauthorized");
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(login("hunter2-secret", "lena").await);
    }
    assert_eq!(
        answers,
        ["unauthorized", "unauthorized", "locked", "locked", "locked", "throttled"]
    );

    let unknown = |action: &str| {
        let records = actions(&server, action);
        let unknown = records.iter().filter(|e| e.actor == "(unknown user)").count();
        (records.len(), unknown)
    };
    assert_eq!(unknown("login.failure"), (3, 2));
    assert_eq!(unknown("login.locked"), (3, 3));
    assert_eq!(unknown("access.throttled"), (1, 1));
    let failures = actions(&server, "login.failure");
    let lena = failures.iter().find(|e| e.actor == "lena").expect("lena's failure, by name");
    assert_eq!(lena.target, "user/lena");
    assert!(failures.iter().any(|e| e.target == "user/(unknown user)"));

    // Nowhere in the trail, whether read from the store or through the API.
    let store = server.engine.reader().unwrap();
    for (_, event) in store.events(usize::MAX, None).unwrap() {
        assert!(!format!("{event:?}").contains("hunter2"), "{event:?}");
    }
    let listed = server.get("/api/v1/audit?limit=1000").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.text().contains("(unknown user)"));
    assert!(!listed.text().contains("hunter2"), "{}", listed.text());
    assert!(store.audit_report().unwrap().ok());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_roles_and_tokens_are_managed_by_admins_and_audited() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let new = |name: &str, role: &str, password: &str| -> serde_json::Value {
        json!({"username": name, "role": role, "password": password})
    };
    for (body, status) in [
        (new("sam", "viewer", "short"), 400),
        (new("sam", "viewer", "password1234"), 400),
        (new("Sam", "viewer", "a-very-good-secret"), 400),
        (new("sam", "root", "a-very-good-secret"), 400),
        (new("sam", "viewer", "a-very-good-secret"), 201),
        (new("sam", "admin", "another-good-secret"), 409),
    ] {
        let reply = server.post_json("/api/v1/users", body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text());
    }
    let users = server.get("/api/v1/users").await.json();
    assert_eq!(users[0]["username"], "sam");
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert!(!users.to_string().contains("argon2"), "no hashes in the API: {users}");

    let sam = server.login("sam", "a-very-good-secret").await;
    assert_eq!(sam.post_json("/api/v1/alarms/1/ack", json!({"comment": "x"})).await.status, 403);
    let promoted = server
        .post_json("/api/v1/users/sam/role", json!({"role": "operator", "comment": "on shift"}))
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text());
    // The new role counts at the next request of the same session.
    assert_eq!(sam.get("/api/v1/me").await.json()["role"], "operator");
    assert_eq!(sam.post_json("/api/v1/alarms/999/ack", json!({"comment": "x"})).await.status, 404);
    let unknown = server
        .post_json("/api/v1/users/nobody/role", json!({"role": "admin", "comment": "x"}))
        .await;
    assert_eq!(unknown.status, 404);

    // The last active admin account cannot be demoted or disabled.
    let ada = json!({"username": "ada", "role": "admin", "password": "a-very-good-secret"});
    assert_eq!(server.post_json("/api/v1/users", ada).await.status, 201);
    let demote = json!({"role": "viewer", "comment": "x"});
    assert_eq!(server.post_json("/api/v1/users/ada/role", demote).await.status, 409);
    assert_eq!(server.post("/api/v1/users/ada/disable", b"").await.status, 409);
    // With a second admin, ada may disable bo but never herself.
    let bo = json!({"username": "bo", "role": "admin", "password": "a-very-good-secret"});
    assert_eq!(server.post_json("/api/v1/users", bo).await.status, 201);
    let ada = server.login("ada", "a-very-good-secret").await;
    let herself = ada.post_json("/api/v1/users/ada/disable", json!({})).await;
    assert_eq!(herself.status, 409, "{}", herself.text());
    assert!(herself.text().contains("your own account"), "{}", herself.text());
    assert_eq!(ada.post_json("/api/v1/users/bo/disable", json!({})).await.status, 200);
    let last = ada.post_json("/api/v1/users/ada/role", json!({"role": "viewer", "comment": "x"}));
    assert_eq!(last.await.status, 409);

    // Tokens: at most the user's role; the value is shown once and works as a bearer token.
    let too_high = server
        .post_json("/api/v1/tokens", json!({"username": "sam", "role": "admin", "label": "x"}))
        .await;
    assert_eq!(too_high.status, 400, "{}", too_high.text());
    let no_user = server.post_json("/api/v1/tokens", json!({"label": "x"})).await;
    assert_eq!(no_user.status, 400, "{}", no_user.text());
    let created =
        server.post_json("/api/v1/tokens", json!({"username": "sam", "label": "scraper"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let token = created.json()["token"].as_str().unwrap().to_string();
    assert_eq!(created.json()["role"], "operator");
    let me = call(server.addr, "GET", "/api/v1/me", Some(&token), None).await.json();
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("sam"), Some("operator")));

    // Disabling ends the sessions and the tokens at once.
    let disabled = server.post("/api/v1/users/sam/disable", b"").await;
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    assert_eq!(sam.get("/api/v1/me").await.status, 401);
    assert_eq!(call(server.addr, "GET", "/api/v1/me", Some(&token), None).await.status, 401);
    let body = json!({"username": "sam", "password": "a-very-good-secret"}).to_string();
    let login = call(server.addr, "POST", "/api/v1/login", None, Some(body.as_bytes())).await;
    assert_eq!(login.status, 401);

    // Every change is in the trail, by the admin token, with old and new values.
    let events = server.get("/api/v1/audit?limit=1000").await.json();
    let find = |action: &str| {
        let about_sam = |e: &&serde_json::Value| e["action"] == action && e["target"] == "user/sam";
        events.as_array().unwrap().iter().find(about_sam).cloned().unwrap()
    };
    assert_eq!(find("user.create")["actor"], "admin-token");
    // The role, and the digest of the password hash (never the hash) for `audit verify`.
    let created = find("user.create")["new_value"].as_str().unwrap().to_string();
    assert!(created.starts_with("viewer; password digest sha256:"), "{created}");
    let role = find("user.role");
    assert_eq!(
        (role["old_value"].as_str(), role["new_value"].as_str()),
        (Some("viewer"), Some("operator"))
    );
    assert_eq!(role["reason"], "on shift");
    assert_eq!(find("user.disable")["target"], "user/sam");
    assert!(!find("token.create").to_string().contains(&token), "the token is not audited");
    let ids: Vec<u64> =
        events.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let page = server.get(&format!("/api/v1/audit?limit=2&before={}", ids[0])).await.json();
    assert_eq!(page[0]["id"].as_u64(), Some(ids[1]));
    let verify = server.get("/api/v1/audit/verify").await.json();
    assert_eq!(verify, json!({"ok": true, "records": ids[0], "first_bad": null, "detail": null}));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_changed_by_owners_reset_by_admins_and_tokens_revoked_with_audit() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let erin = server.user("erin", "engineer").await;
    let elsewhere = server.login("erin", &erin.password).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    // A wrong current password: 401, nothing changed, one password.failure record.
    let wrong = erin.post_json("/api/v1/me/password", change("guess", "brand-new-secret-1")).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    // A new password that breaks the rules: 400.
    let weak = erin.post_json("/api/v1/me/password", change(&erin.password, "short")).await;
    assert_eq!(weak.status, 400, "{}", weak.text());
    // The owner changes it: this session stays, the other one ends, the old password is gone.
    let changed =
        erin.post_json("/api/v1/me/password", change(&erin.password, "brand-new-secret-1")).await;
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_eq!(erin.get("/api/v1/me").await.status, 200);
    assert_eq!(elsewhere.get("/api/v1/me").await.status, 401);
    let old = json!({"username": "erin", "password": erin.password}).to_string();
    assert_eq!(
        call(server.addr, "POST", "/api/v1/login", None, Some(old.as_bytes())).await.status,
        401
    );
    server.login("erin", "brand-new-secret-1").await;
    // The admin token has no password to change.
    let admin = server.post_json("/api/v1/me/password", change("x", "brand-new-secret-2")).await;
    assert_eq!(admin.status, 403, "{}", admin.text());

    // Wrong current passwords count towards the lockout like failed logins.
    for _ in 0..5 {
        let reply = erin.post_json("/api/v1/me/password", change("guess", "whatever-secret")).await;
        assert!([401, 429].contains(&reply.status), "{}", reply.text());
    }
    let locked = erin.post_json("/api/v1/me/password", change("guess", "whatever-secret")).await;
    assert_eq!(locked.status, 429, "{}", locked.text());

    // An administrator resets it (a comment is required); every session of erin ends.
    let reset = |body| server.post_json("/api/v1/users/erin/password", body);
    let no_comment = reset(json!({"password": "reset-secret-42", "comment": " "})).await;
    assert_eq!(no_comment.status, 400, "{}", no_comment.text());
    let unknown = server
        .post_json(
            "/api/v1/users/nobody/password",
            json!({"password": "reset-secret-42", "comment": "x"}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    let done = reset(json!({"password": "reset-secret-42", "comment": "ticket 7"})).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(erin.get("/api/v1/me").await.status, 401);

    // Tokens are listed without their values and revoked once.
    let created =
        server.post_json("/api/v1/tokens", json!({"username": "erin", "label": "historian"})).await;
    let id = created.json()["id"].as_u64().unwrap();
    let token = created.json()["token"].as_str().unwrap().to_string();
    let unused = server.get("/api/v1/tokens").await.json();
    assert_eq!(unused[0]["last_used_at"], serde_json::Value::Null, "never used: {unused}");
    let before = crate::times::now();
    assert_eq!(call(server.addr, "GET", "/api/v1/me", Some(&token), None).await.status, 200);
    let listed = server.get("/api/v1/tokens").await.json();
    assert_eq!(listed[0]["id"].as_u64(), Some(id));
    assert_eq!(listed[0]["revoked"], false);
    let last_used = server.engine.reader().unwrap().api_tokens().unwrap()[0].last_used;
    assert!(last_used.is_some_and(|at| at >= before), "{last_used:?}");
    assert!(listed[0]["last_used_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{listed}");
    assert!(!listed.to_string().contains(&token), "no token values in the list: {listed}");
    let path = format!("/api/v1/tokens/{id}/revoke");
    let revoked = server.post_json(&path, json!({"comment": "historian retired"})).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert_eq!(revoked.json()["revoked"], true);
    assert_eq!(call(server.addr, "GET", "/api/v1/me", Some(&token), None).await.status, 401);
    assert_eq!(server.post(&path, b"").await.status, 409);
    assert_eq!(server.post("/api/v1/tokens/999/revoke", b"").await.status, 404);

    // Each change is one audit record; no password, hash or token value is in the trail.
    let events = server.get("/api/v1/audit?limit=1000").await.json();
    let events = events.as_array().unwrap();
    let count = |action: &str| events.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("user.password"), 1);
    assert_eq!(count("user.password.reset"), 1);
    assert_eq!(count("token.revoke"), 1);
    assert!(count("password.failure") >= 5, "{}", count("password.failure"));
    let reset = events.iter().find(|e| e["action"] == "user.password.reset").unwrap();
    assert_eq!(
        (reset["actor"].as_str(), reset["reason"].as_str()),
        (Some("admin-token"), Some("ticket 7"))
    );
    let revoke = events.iter().find(|e| e["action"] == "token.revoke").unwrap();
    assert_eq!(revoke["reason"], "historian retired");
    let trail = serde_json::Value::Array(events.clone()).to_string();
    for secret in ["brand-new-secret-1", "reset-secret-42", token.as_str(), "argon2"] {
        assert!(!trail.contains(secret), "{secret} is in the audit trail");
    }
    assert_eq!(server.get("/api/v1/audit/verify").await.json()["ok"], true);
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

/// An admin token created by a release whose record named no digest of its hash gets one
/// `token.digest` record at the next start (once), and from then on a hash swapped in the
/// table fails `audit verify`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_admin_token_gets_its_digest_recorded_once() {
    let fixture = Fixture::new();
    let token = "ab".repeat(32);
    {
        std::fs::create_dir_all(fixture.data_dir()).unwrap();
        let mut store = faultline_store::Store::open(&fixture.data_dir()).unwrap();
        let mut old = Event::new(Timestamp::from_nanos(1), "system", "token.create", "x");
        old.target = format!("setting/{}", crate::TOKEN_SETTING);
        store.set_setting(crate::TOKEN_SETTING, &sha256_hex(token.as_bytes()), &old).unwrap();
    }
    let digests = |server: &Server| {
        let events = server.engine.reader().unwrap().events(1000, None).unwrap();
        events.iter().filter(|(_, e)| e.action == "token.digest").count()
    };
    for _ in 0..2 {
        let server = Server::start_with(&fixture, Some(token.clone())).await;
        assert_eq!(digests(&server), 1, "one record, at the first start only");
        assert_eq!(server.get("/api/v1/assets").await.status, 200);
        assert_eq!(server.get("/api/v1/audit/verify").await.json()["ok"], true);
        server.stop().await;
    }
    let db = rusqlite::Connection::open(fixture.data_dir().join(faultline_store::DB_FILE)).unwrap();
    let swapped = sha256_hex(b"mallory's own token");
    db.execute("UPDATE settings SET value = ?1 WHERE key = ?2", [&swapped, crate::TOKEN_SETTING])
        .unwrap();
    let report = faultline_store::Store::open_read_only(&fixture.data_dir())
        .unwrap()
        .audit_report()
        .unwrap();
    assert!(report.detail.unwrap_or_default().contains("its value is not the one record"));
}
