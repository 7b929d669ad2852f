//! Shared helpers of the live-service integration tests: a `faultline serve` child process on a
//! free port with a generated configuration, a minimal HTTP/1.1 client, and an MQTT publisher.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use faultline_testkit::broker::free_port;
use faultline_testkit::{Plant, PlantConfig};

/// Channels of the test plant.
pub const CHANNELS: usize = 6;

/// The seeded plant every live test uses.
pub fn plant() -> Plant {
    Plant::new(PlantConfig { channels: CHANNELS, factors: 2, ..PlantConfig::default() })
}

/// Fits a model with the real binary on a CSV of normal data; returns the model path.
pub fn fit_model(dir: &Path) -> PathBuf {
    let plant = plant();
    let run = plant.normal_run(2_000, 1);
    let mut csv = plant.channel_names().join(",");
    csv.push('\n');
    for row in run.iter_rows() {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let data = dir.join("normal.csv");
    std::fs::write(&data, csv).unwrap();
    let model = dir.join("model.flm");
    let status = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["fit", "--input"])
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    model
}

/// A running `faultline serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub config: PathBuf,
    pub data_dir: PathBuf,
}

/// Writes a configuration with one MQTT source and the given assets (name, model path).
pub fn write_config(
    dir: &Path,
    broker_port: u16,
    client_id: &str,
    assets: &[(&str, &Path)],
) -> PathBuf {
    let port = free_port().unwrap();
    let mut text = format!(
        "data_dir = \"{}\"\nlisten = \"127.0.0.1:{port}\"\nsite = \"test\"\n",
        dir.join("data").display()
    );
    for (name, model) in assets {
        text.push_str(&format!(
            "\n[[assets]]\nname = \"{name}\"\nmodel = \"{}\"\n",
            model.display()
        ));
    }
    text.push_str(&format!(
        "\n[[sources]]\nkind = \"mqtt\"\nport = {broker_port}\nclient_id = \"{client_id}\"\n"
    ));
    let path = dir.join("serve.toml");
    std::fs::write(&path, text).unwrap();
    path
}

impl Server {
    /// Starts the server and waits until `/health` answers.
    pub fn start(config: &Path) -> Server {
        let text = std::fs::read_to_string(config).unwrap();
        let port: u16 = text
            .lines()
            .find_map(|l| l.strip_prefix("listen = \"127.0.0.1:"))
            .and_then(|rest| rest.trim_end_matches('"').parse().ok())
            .unwrap();
        let data_dir = config.parent().unwrap().join("data");
        let child = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(["serve", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, port, config: config.to_path_buf(), data_dir };
        let started = Instant::now();
        while get(server.port, "/health", None).map(|r| r.0) != Some(200) {
            assert!(started.elapsed() < Duration::from_secs(30), "faultline serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The admin token written at first start.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("admin.token")).unwrap().trim().to_string()
    }

    /// GET with the admin token; panics unless 200; returns the JSON body.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = get(self.port, path, Some(&self.token())).unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// Kills the server with SIGKILL, as a power cut would.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.kill().is_ok() {
            let _reaped = self.child.wait();
        }
    }
}

/// A minimal HTTP/1.1 GET; returns (status, body) or None when nothing listens.
pub fn get(port: u16, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// A JSON payload for one sample.
pub fn payload(ts_ns: i64, names: &[String], values: &[f64]) -> String {
    let cells: Vec<String> =
        names.iter().zip(values).map(|(n, v)| format!("\"{n}\":{v}")).collect();
    format!("{{\"ts\":{ts_ns},\"values\":{{{}}}}}", cells.join(","))
}

/// Polls `check` until it returns Some, or panics after `limit`.
pub fn wait_until<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A QoS 1 MQTT publisher (rumqttc's blocking client) that counts the broker's PUBACKs.
pub struct Publisher {
    client: rumqttc::Client,
    acked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Publisher {
    /// Connects to the broker on loopback.
    pub fn connect(port: u16, id: &str) -> Publisher {
        let mut options = rumqttc::MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_inflight(500);
        let (client, mut connection) = rumqttc::Client::new(options, 1000);
        let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = acked.clone();
        std::thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) => {
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        });
        Publisher { client, acked }
    }

    /// Publishes at QoS 1.
    pub fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client.publish(topic, rumqttc::QoS::AtLeastOnce, false, payload.into()).unwrap();
    }

    /// Waits until the broker acknowledged `n` messages in all.
    pub fn wait_acked(&self, n: usize) {
        wait_until(Duration::from_secs(120), "broker PUBACKs", || {
            (self.acked.load(std::sync::atomic::Ordering::SeqCst) >= n).then_some(())
        });
    }
}
