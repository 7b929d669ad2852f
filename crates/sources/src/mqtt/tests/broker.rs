//! A real mosquitto on a free loopback port, killed on drop: the peer the MQTT tests talk to.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts the broker; `PATH` is searched as well.
const CANDIDATES: &[&str] = &["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"];

/// One mosquitto process with its own config directory.
pub struct Broker {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Broker {
    /// Starts mosquitto on a free port, retrying with another port on a collision.
    pub fn start() -> Broker {
        let dir = tempfile::tempdir().expect("temporary directory");
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = spawn(&dir, port) {
                return Broker { child, port, dir };
            }
        }
        panic!("mosquitto did not start on any of 5 free ports; see {}", dir.path().display());
    }

    /// The broker's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the broker and starts a fresh one (no sessions: persistence is off) on the same port.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = spawn(&self.dir, self.port) {
                self.child = child;
                return;
            }
            assert!(Instant::now() < deadline, "mosquitto did not restart on port {}", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        // Already gone is fine: a test may have killed it.
        if self.child.kill().is_ok() {
            let _ = self.child.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn mosquitto() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("mosquitto")).collect::<Vec<_>>())
        .unwrap_or_default();
    CANDIDATES
        .iter()
        .map(PathBuf::from)
        .chain(on_path)
        .find(|p| p.is_file())
        .expect("mosquitto not found: install it (apt-get install -y mosquitto); scripts/test does")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Spawns mosquitto on `port` and waits until it accepts; `None` if it exited (port taken).
fn spawn(dir: &tempfile::TempDir, port: u16) -> Option<Child> {
    let config = write_config(dir.path(), port);
    let log = std::fs::File::create(dir.path().join(format!("mosquitto-{port}.log"))).ok()?;
    let mut child = Command::new(mosquitto())
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn mosquitto");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return None;
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join(format!("mosquitto-{port}.conf"));
    let mut file = std::fs::File::create(&path).expect("create mosquitto.conf");
    // Queue more than the tests publish: mosquitto drops QoS 1 messages beyond the queue limit.
    writeln!(
        file,
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
         max_queued_messages 100000\n"
    )
    .expect("write mosquitto.conf");
    path
}
