//! The embedded dashboard: the page and its files are served without authentication, with
//! the dashboard's own CSP, their MIME types and cache rules; gzip when accepted; unknown
//! files are 404.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Fixture, Reply, Server, call, parse};
use crate::web::CSP;

/// A GET without a token, with extra request header lines.
async fn get_with(server: &Server, path: &str, extra: &str) -> Reply {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    parse(&raw).expect("an HTTP response")
}

/// The `/ui/...` paths the page loads.
fn linked_files(page: &str) -> Vec<String> {
    page.split('"').filter(|part| part.starts_with("/ui/")).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_is_served_without_a_token_with_its_csp() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;

    let page = call(server.addr, "GET", "/", None, None).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("content-security-policy"), Some(CSP));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let text = page.text();
    assert!(text.contains("<div id=\"app\""), "{text}");

    let files = linked_files(&text);
    assert!(files.iter().any(|f| f.ends_with(".js")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with(".css")), "{files:?}");
    for file in &files {
        let reply = call(server.addr, "GET", file, None, None).await;
        assert_eq!(reply.status, 200, "{file}");
        assert!(!reply.body.is_empty(), "{file}");
        assert_eq!(reply.header("content-security-policy"), Some(CSP), "{file}");
        assert!(reply.header("cache-control").unwrap_or_default().contains("immutable"));
        assert_eq!(reply.header("content-encoding"), None, "{file}: not asked for gzip");
        let kind = reply.header("content-type").unwrap_or_default();
        let want = match file.rsplit('.').next() {
            Some("js") => "javascript",
            Some("css") => "text/css",
            _ => "image/svg+xml",
        };
        assert!(kind.contains(want), "{file}: {kind}");
    }

    // The page revalidates by ETag.
    let etag = page.header("etag").expect("an ETag").to_string();
    let again = get_with(&server, "/", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(again.status, 304);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_gzipped_when_accepted_and_unknown_files_are_404() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    let page = call(server.addr, "GET", "/", None, None).await;
    let script = linked_files(&page.text()).into_iter().find(|f| f.ends_with(".js")).unwrap();
    let plain = call(server.addr, "GET", &script, None, None).await;
    let gzip = get_with(&server, &script, "Accept-Encoding: gzip, br\r\n").await;
    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("vary"), Some("Accept-Encoding"));
    assert_eq!(&gzip.body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(gzip.body.len() < plain.body.len() / 2);

    for path in ["/ui/nope.js", "/ui/", "/ui/../Cargo.toml", "/ui/index.html.missing"] {
        let reply = call(server.addr, "GET", path, None, None).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert_eq!(reply.json()["error"], "not_found", "{path}");
    }
    // The API next to it still needs authentication.
    let api = call(server.addr, "GET", "/api/v1/assets", None, None).await;
    assert_eq!(api.status, 401);
    server.stop().await;
}
