//! HTTPS end to end: a self-signed certificate made by the `openssl` command, the router served
//! with `serve_tls`, and the system's `curl` and `openssl s_client` as independent clients.
//! TLS 1.3 and 1.2 handshakes succeed; 1.1 is refused; the API answers over it with its
//! security headers.

use std::path::Path;
use std::process::Command;

use faultline_pipeline::TlsConfig;

use super::harness::{Fixture, HARNESS_LIMITS, Server};
use crate::{app, serve_tls, server_config};

fn run(program: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("`{program}` must be installed for this test: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_tls_1_2_and_1_3_only() {
    let fixture = Fixture::new();
    let dir = fixture.dir.path();
    let made = run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        dir,
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let tls = TlsConfig { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    // A key that does not belong to the certificate is refused before serving.
    let wrong = TlsConfig { cert: tls.cert.clone(), key: tls.cert.clone() };
    assert!(server_config(&wrong).is_err());

    let server = Server::start(&fixture).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let router = app(server.engine.clone(), server.admin.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve_tls(
        listener,
        router,
        server_config(&tls).unwrap(),
        HARNESS_LIMITS,
        async {
            let _ = stopped.await;
        },
    ));

    let url = format!("https://localhost:{port}/health");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let dir_owned = dir.to_path_buf();
    let (health, unauthorized, handshakes) = tokio::task::spawn_blocking(move || {
        let dir = dir_owned.as_path();
        let curl = |extra: &[&str], url: &str| {
            let mut args = vec!["-s", "-i", "--cacert", "cert.pem", "--resolve", &resolve];
            args.extend_from_slice(extra);
            args.push(url);
            run("curl", &args, dir)
        };
        let health = curl(&[], &url);
        let assets = url.replace("/health", "/api/v1/assets");
        let unauthorized = curl(&[], &assets);
        let connect = format!("127.0.0.1:{port}");
        let handshakes: Vec<(String, bool, String)> = ["-tls1_3", "-tls1_2", "-tls1_1"]
            .iter()
            .map(|version| {
                let out = run(
                    "openssl",
                    &["s_client", "-connect", &connect, "-CAfile", "cert.pem", version],
                    dir,
                );
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                // "New, TLSv1.3, Cipher is …" is printed for every completed handshake; the
                // session block's "Protocol  :" line only once a TLS 1.3 session ticket has
                // arrived, which races with s_client closing (seen under load).
                let protocol = text
                    .lines()
                    .find_map(|l| l.strip_prefix("New, ").and_then(|r| r.split(',').next()))
                    .or_else(|| {
                        text.lines()
                            .find_map(|l| l.trim().strip_prefix("Protocol  :").map(str::trim))
                    })
                    .or_else(|| text.lines().find_map(|l| l.split("Protocol version: ").nth(1)))
                    .unwrap_or("")
                    .to_string();
                let agreed = text.contains("Verify return code: 0 (ok)") && out.status.success();
                (version.to_string(), agreed, protocol)
            })
            .collect();
        (health, unauthorized, handshakes)
    })
    .await
    .unwrap();

    let health_text = String::from_utf8_lossy(&health.stdout).to_ascii_lowercase();
    assert!(health.status.success(), "{}", String::from_utf8_lossy(&health.stderr));
    assert!(health_text.starts_with("http/1.1 200"), "{health_text}");
    assert!(health_text.contains("x-content-type-options: nosniff"), "{health_text}");
    assert!(health_text.contains("strict-transport-security: max-age=31536000"), "{health_text}");
    let unauthorized = String::from_utf8_lossy(&unauthorized.stdout).to_ascii_lowercase();
    assert!(unauthorized.starts_with("http/1.1 401"), "{unauthorized}");
    for (version, agreed, protocol) in &handshakes {
        match version.as_str() {
            "-tls1_3" => assert!(*agreed && protocol.contains("TLSv1.3"), "{handshakes:?}"),
            "-tls1_2" => assert!(*agreed && protocol.contains("TLSv1.2"), "{handshakes:?}"),
            _ => assert!(!agreed, "TLS 1.1 must be refused: {handshakes:?}"),
        }
    }
    let _ = stop.send(());
    served.await.unwrap().unwrap();
    server.stop().await;
}
