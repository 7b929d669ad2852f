//! A real mosquitto broker on loopback, for integration tests and `faultline bench ingest`.
//!
//! No mocks where the real thing can run: the broker is Debian's `mosquitto` binary
//! (`scripts/test` installs it when missing), started on a free port with a generated
//! configuration and killed when the value is dropped.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running mosquitto, killed on drop.
#[derive(Debug)]
pub struct Mosquitto {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// Where Debian installs the broker.
const CANDIDATES: [&str; 2] = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"];

impl Mosquitto {
    /// Starts a broker on a free loopback port. Queues for persistent sessions are unlimited,
    /// so a subscriber that is down (killed in a crash test) loses nothing while it restarts;
    /// in-flight messages per client are limited to 1000, as docs/ingest.md recommends.
    pub fn start() -> io::Result<Mosquitto> {
        let binary = CANDIDATES.iter().find(|p| std::path::Path::new(p).exists()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "mosquitto is not installed (apt-get install mosquitto; scripts/test does this)",
            )
        })?;
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("faultline-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages 0\nmax_inflight_messages 1000\nlog_dest none\n"
            ),
        )?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let broker = Mosquitto { child, port, dir };
        broker.wait_until_listening(Duration::from_secs(10))?;
        Ok(broker)
    }

    /// The broker's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_until_listening(&self, limit: Duration) -> io::Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, "mosquitto did not start listening"))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        // Best effort: the process may already have exited.
        if self.child.kill().is_ok() {
            let _reaped = self.child.wait();
        }
        let _removed = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_accepts_connections_and_stops_on_drop() {
        let broker = match Mosquitto::start() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                println!("notice: {e}; broker test skipped");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let port = broker.port();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(broker);
        std::thread::sleep(Duration::from_millis(100));
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
