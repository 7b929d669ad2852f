//! The test bench: synthetic correlated data, a model fitted on it, an engine with two assets
//! (`pump1` scored by the model, `fan2` without one) served on `127.0.0.1:0`, and a minimal
//! HTTP/1.1 client over `TcpStream` (no HTTP client crate needed).

use std::f64::consts::TAU;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faultline_pipeline::{Config, Engine};
use faultline_store::TrainingSummary;
use faultline_train::{Method, ModelFile, fit_model};
use faultline_types::{ChannelSchema, Recording};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{AdminToken, ConnectionLimits, app, prepare_auth, serve};

/// Data time of sample index 0.
pub const BASE_NS: i64 = 1_700_000_000_000_000_000;
/// One sample per second of data time.
pub const STEP_NS: i64 = 1_000_000_000;
/// Channels of `pump1`.
pub const CHANNELS: [&str; 4] = ["a", "b", "c", "d"];

/// Deterministic noise in [-0.5, 0.5) (splitmix64 of the index and channel).
fn noise(i: usize, channel: usize) -> f64 {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (channel as u64 + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

/// Row `i` of normal operation: four channels driven by two latent signals plus small noise.
pub fn row(i: usize) -> [f64; 4] {
    let t = i as f64;
    let s1 = (t * TAU / 50.0).sin();
    let s2 = (t * TAU / 37.0).cos();
    let n = |c| 0.1 * noise(i, c);
    [10.0 + s1 + n(0), 20.0 + 2.0 * s1 - 0.5 * s2 + n(1), 5.0 + s2 + n(2), s1 + s2 + n(3)]
}

/// A PCA model fitted on rows `rows`.
pub fn model(rows: std::ops::Range<usize>) -> ModelFile {
    let n = rows.len();
    let values: Vec<f64> = rows.flat_map(row).collect();
    let schema = ChannelSchema::from_names(CHANNELS).unwrap();
    let recording = Recording::new("synthetic", schema, None, values).unwrap();
    let summary =
        TrainingSummary { inputs: vec!["synthetic".into()], rows: n, ..Default::default() };
    fit_model(&recording, Method::Pca, Default::default(), summary).unwrap()
}

/// A data directory and a model file that outlive server restarts.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The `[security]` table of the configuration.
    security: String,
}

impl Fixture {
    /// With the refusal throttle off: most tests send far more refusals from 127.0.0.1 in a
    /// minute than the default budget; `with_security` tests the throttle.
    pub fn new() -> Fixture {
        Fixture::with_security("max_refusals_per_minute = 0")
    }

    /// With `security` as the `[security]` table.
    pub fn with_security(security: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        model(0..500).save(&dir.path().join("pump1.flm")).unwrap();
        Fixture { dir, security: security.to_string() }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn token_file(&self) -> PathBuf {
        self.data_dir().join(crate::TOKEN_FILE)
    }

    fn config(&self) -> Config {
        let text = format!(
            "data_dir = '{}'\nsite = \"test\"\n\n[[assets]]\nname = \"pump1\"\nmodel = '{}'\n\
             channels = [{{ name = \"a\", unit = \"bar\" }}, {{ name = \"b\" }}, {{ name = \"c\" }}, \
             {{ name = \"d\" }}]\n\n[[assets]]\nname = \"fan2\"\n\n[security]\n{}\n",
            self.data_dir().display(),
            self.dir.path().join("pump1.flm").display(),
            self.security
        );
        Config::parse(&text, Path::new("test.toml")).unwrap()
    }
}

/// The harness serves with at most 64 connections, and no cap per address of its own (every
/// test client is 127.0.0.1).
pub const HARNESS_LIMITS: ConnectionLimits = ConnectionLimits { total: 64, per_client: 0 };

/// A running engine and server.
pub struct Server {
    pub addr: SocketAddr,
    pub token: String,
    pub engine: Engine,
    pub admin: AdminToken,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Starts on the fixture; `token` is the admin token to use (read from the token file
    /// when this start created it).
    pub async fn start_with(fixture: &Fixture, token: Option<String>) -> Server {
        Server::start_limited(fixture, token, HARNESS_LIMITS).await
    }

    /// As [`Server::start_with`], with these connection limits.
    pub async fn start_limited(
        fixture: &Fixture,
        token: Option<String>,
        limits: ConnectionLimits,
    ) -> Server {
        let engine = Engine::start(fixture.config()).await.unwrap();
        let admin = prepare_auth(&engine).await.unwrap();
        let token = match token {
            Some(token) => token,
            None => std::fs::read_to_string(&admin.file).unwrap().trim().to_string(),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app(engine.clone(), admin.clone());
        let task = tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        Server { addr, token, engine, admin, stop: Some(stop), task }
    }

    pub async fn start(fixture: &Fixture) -> Server {
        Server::start_with(fixture, None).await
    }

    /// Stops the server (waiting for it, bounded) and the engine.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the server stops within 10 s after the shutdown signal");
        served.unwrap().unwrap();
        self.engine.shutdown().await;
    }

    pub async fn get(&self, path: &str) -> Reply {
        call(self.addr, "GET", path, Some(&self.token), None).await
    }

    pub async fn post(&self, path: &str, body: &[u8]) -> Reply {
        call(self.addr, "POST", path, Some(&self.token), Some(body)).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.post(path, body.to_string().as_bytes()).await
    }

    /// Creates a user with the admin token and logs them in; their session.
    pub async fn user(&self, name: &str, role: &str) -> UserSession {
        let password = format!("tidal-kettle-{}-orbit", name.len() * 7);
        let body = json!({"username": name, "role": role, "password": password});
        let created = self.post_json("/api/v1/users", body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        self.login(name, &password).await
    }

    /// Logs in; the session (the login must succeed).
    pub async fn login(&self, name: &str, password: &str) -> UserSession {
        let body = json!({"username": name, "password": password}).to_string();
        let reply = call(self.addr, "POST", "/api/v1/login", None, Some(body.as_bytes())).await;
        assert_eq!(reply.status, 200, "login of {name}: {}", reply.text());
        let cookie = reply.header("set-cookie").expect("a session cookie").to_string();
        let value = cookie
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("faultline_session="))
            .expect("the faultline_session cookie")
            .to_string();
        UserSession { addr: self.addr, cookie: value, password: password.to_string() }
    }

    /// Ingests rows `rows` of pump1 (each transformed by `f`) and expects them all accepted.
    pub async fn ingest_rows(
        &self,
        rows: std::ops::Range<usize>,
        f: impl Fn([f64; 4]) -> [f64; 4],
    ) {
        let count = rows.len();
        let samples: Vec<Value> = rows.map(|i| sample("pump1", i, f(row(i)))).collect();
        let reply = self.post_json("/api/v1/ingest", json!({ "samples": samples })).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json()["accepted"], count, "{}", reply.text());
    }
}

/// A logged-in user: requests carry the session cookie and, for changes, the CSRF header.
pub struct UserSession {
    pub addr: SocketAddr,
    pub cookie: String,
    pub password: String,
}

impl UserSession {
    pub async fn get(&self, path: &str) -> Reply {
        let cookie = format!("faultline_session={}", self.cookie);
        call_with(self.addr, "GET", path, &[("Cookie", &cookie)], None).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        let cookie = format!("faultline_session={}", self.cookie);
        let headers = [("Cookie", cookie.as_str()), ("X-Requested-With", "faultline")];
        call_with(self.addr, "POST", path, &headers, Some(body.to_string().as_bytes())).await
    }
}

/// An ingest element for `asset` at index `i`.
pub fn sample(asset: &str, i: usize, v: [f64; 4]) -> Value {
    json!({
        "asset": asset,
        "ts": BASE_NS + i as i64 * STEP_NS,
        "values": {"a": v[0], "b": v[1], "c": v[2], "d": v[3]},
    })
}

/// Polls `probe` every 50 ms for up to 15 s until it returns `Some`.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A parsed HTTP response.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// The request head, with `Connection: close` when `close`.
pub fn request_head(
    method: &str,
    path: &str,
    token: Option<&str>,
    length: usize,
    close: bool,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if length > 0 || method == "POST" {
        head.push_str(&format!("Content-Length: {length}\r\nContent-Type: application/json\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// One request on a fresh connection (`Connection: close`); the whole response.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> =
        authorization.iter().map(|value| ("Authorization", value.as_str())).collect();
    call_with(addr, method, path, &headers, body).await
}

/// One request with extra headers on a fresh connection; the whole response.
pub async fn call_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    let body = body.unwrap_or_default();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = request_head(method, path, None, body.len(), true);
    head.truncate(head.len() - 2);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    // The server may answer (413, 401) and close before reading all of a large body.
    let _maybe_cut_short = stream.write_all(&request).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = [0u8; 16384];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("response within 30 s");
    parse(&raw)
        .unwrap_or_else(|| panic!("not an HTTP response: {:?}", String::from_utf8_lossy(&raw)))
}

/// Parses a complete response (`Content-Length` or chunked).
pub fn parse(raw: &[u8]) -> Option<Reply> {
    let end = find(raw, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(rest)? } else { rest.to_vec() };
    Some(Reply { status, headers, body })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
