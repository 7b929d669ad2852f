//! `faultline serve --config FILE`: the TOML configuration. Unknown keys are rejected and every
//! error names the file, line and key.
//!
//! ```toml
//! data_dir = "/var/lib/faultline"
//! listen = "127.0.0.1:8080"
//! site = "fab1"
//!
//! [alarms]                 # faultline_alarms::AlarmConfig, every key optional
//! persistence_n = 3
//! persistence_m = 5
//!
//! [[assets]]
//! name = "etch01"
//! model = "models/etch01.flm"      # optional: registered and activated at start
//! channels = [{ name = "pressure", unit = "mTorr", low = 0.0, high = 200.0 }]
//! silent_after_seconds = 300      # a model channel without a measured value this long alarms
//! channel_silent_after_seconds = { pressure = 3600 }   # per channel, by name (0: never)
//!
//! [[sources]]
//! kind = "mqtt"
//! host = "127.0.0.1"
//! port = 1883
//!
//! [[sources]]
//! kind = "replay"
//! asset = "etch01"
//! file = "history.csv"
//! period_ms = 1000
//! speed = 10.0
//!
//! [[sinks]]
//! kind = "log"               # one line per alarm transition on standard output
//!
//! [tls]                      # optional: HTTPS with rustls, TLS 1.2 and 1.3 only
//! cert = "tls/cert.pem"
//! key = "tls/key.pem"
//!
//! [ingest]                   # optional
//! max_ahead_seconds = 300    # samples stamped further ahead of this clock: rejected, `future`
//!
//! [security]                 # every key optional; these are the defaults
//! max_failed_logins = 5      # within lockout_minutes, then 429 until the window passes
//! lockout_minutes = 15
//! session_hours = 12         # absolute session lifetime
//! session_idle_hours = 8     # ends after this long without a request
//! min_password_length = 12
//! max_connections = 512      # API connections open at once; more are closed on arrival
//! max_connections_per_client = 128  # of those, from one address (0: no cap of its own)
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use faultline_alarms::AlarmConfig;
use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the store lives (created if missing).
    pub data_dir: PathBuf,
    /// HTTP listen address.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Site name used for assets that do not name one.
    #[serde(default = "default_site")]
    pub site: String,
    /// Alarm settings.
    #[serde(default)]
    pub alarms: AlarmConfig,
    /// Monitored assets.
    #[serde(default)]
    pub assets: Vec<AssetConfig>,
    /// Where samples come from.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Where results go besides the store.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    /// HTTPS: a certificate and key (PEM). Without it the API speaks plain HTTP, which is only
    /// safe on loopback or behind a TLS-terminating proxy.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Logins, lockout, sessions and passwords.
    #[serde(default)]
    pub security: SecurityConfig,
    /// What ingest accepts beyond the payload's own rules.
    #[serde(default)]
    pub ingest: IngestConfig,
}

/// `[ingest]`: limits on samples that decode but cannot be right.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// A sample from outside (HTTP, MQTT, HSMS equipment) stamped more than this many seconds
    /// ahead of this server's clock is rejected as `future`: one such sample would make every
    /// real sample of its asset `out_of_order` until the clock caught up, across restarts.
    /// Samples faultline stamps itself (the demo, replay sources) are not checked.
    pub max_ahead_seconds: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { max_ahead_seconds: 300 }
    }
}

/// `[tls]`: the server certificate chain and its private key, both PEM files. Served with
/// rustls (ring provider), TLS 1.2 and 1.3 only.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain, leaf first (PEM).
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// `[security]`: every key optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Failed logins of one user name within `lockout_minutes` that lock it out.
    pub max_failed_logins: u32,
    /// The lockout window: logins are refused (429) until the oldest counted failure is this
    /// old.
    pub lockout_minutes: u32,
    /// A session ends this many hours after login, whatever the activity.
    pub session_hours: u32,
    /// A session ends after this many hours without a request.
    pub session_idle_hours: u32,
    /// Shortest accepted password.
    pub min_password_length: usize,
    /// Refusals (denied requests, failed logins) one client address may receive per minute
    /// with an audit record each; beyond that it is answered 429 and the refusals are counted
    /// in one record per minute instead. 0 turns this off.
    pub max_refusals_per_minute: u32,
    /// Connections the API holds open at once (HTTP or HTTPS); more are closed on arrival.
    /// Keep it under the process's file descriptor limit (`LimitNOFILE` under systemd).
    pub max_connections: usize,
    /// Of those, connections one client address may hold; 0: no cap of its own. Behind a reverse proxy every client has the proxy's
    /// address: raise it, or set 0 and let the proxy cap its clients.
    pub max_connections_per_client: usize,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            max_failed_logins: 5,
            lockout_minutes: 15,
            session_hours: 12,
            session_idle_hours: 8,
            min_password_length: 12,
            max_refusals_per_minute: 30,
            max_connections: 512,
            max_connections_per_client: 128,
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_site() -> String {
    "site".to_string()
}

/// One monitored asset (a tool, a chamber, a robot joint, a bioreactor).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// Asset name: the last MQTT topic level.
    pub name: String,
    /// Site, when not the configuration's default.
    #[serde(default)]
    pub site: Option<String>,
    /// Model file to register and activate at start.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// Fault classifier (`faultline fit --method classify`): alarms then carry the suspected
    /// fault class with a confidence.
    #[serde(default)]
    pub classifier: Option<PathBuf>,
    /// Channels with units and engineering limits (defaults to the model's schema).
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    /// A model channel that delivers no measured value (absent from the asset's samples, or
    /// `bad` or `missing`) for longer than this many seconds of data time is **silent**: the
    /// detector is scoring its last value carried forward, so the asset's silence alarm is
    /// raised and names it. 0 turns the check off.
    #[serde(default = "default_silent_after_seconds")]
    pub silent_after_seconds: u64,
    /// Per channel, by name, a limit instead of `silent_after_seconds` (0: never): give a
    /// report-by-exception channel the longest time it may legitimately hold still.
    #[serde(default)]
    pub channel_silent_after_seconds: BTreeMap<String, u64>,
}

/// Five minutes of data time: long enough for a channel sent less often than the others, short
/// enough that a monitor blind on a channel is noticed within the shift.
pub const DEFAULT_SILENT_AFTER_SECONDS: u64 = 300;

fn default_silent_after_seconds() -> u64 {
    DEFAULT_SILENT_AFTER_SECONDS
}

/// A channel of an asset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Name as in payloads.
    pub name: String,
    /// Engineering unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// Lower engineering limit.
    #[serde(default)]
    pub low: Option<f64>,
    /// Upper engineering limit.
    #[serde(default)]
    pub high: Option<f64>,
}

/// A source of samples.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// An MQTT broker (topics `faultline/<site>/<asset>`, QoS 1).
    Mqtt {
        /// Broker host.
        #[serde(default = "default_host")]
        host: String,
        /// Broker port.
        #[serde(default = "default_mqtt_port")]
        port: u16,
        /// Client id; the broker keeps this session's unacknowledged messages across restarts.
        #[serde(default = "default_client_id")]
        client_id: String,
        /// Subscription.
        #[serde(default = "default_topic_filter")]
        topic_filter: String,
    },
    /// A semiconductor tool speaking SECS/GEM over HSMS: trace data collection of status
    /// variables (see docs/hsms.md).
    Hsms {
        /// Asset the samples belong to.
        asset: String,
        /// `host:port` of the tool (active mode) or where to listen (passive mode).
        address: String,
        /// `active` (faultline connects, the default) or `passive` (the tool connects).
        #[serde(default)]
        passive: bool,
        /// HSMS device id.
        #[serde(default)]
        device_id: u16,
        /// Trace sample period in milliseconds (a multiple of 10).
        #[serde(default = "default_period_ms")]
        period_ms: u64,
        /// Samples per trace report (REPGSZ).
        #[serde(default = "default_group_size")]
        group_size: u32,
        /// Status variables and the channels they feed.
        channels: Vec<SvChannelConfig>,
        /// Collection events (CEIDs) whose reports carry context, e.g. wafer start and step
        /// change; needs `context`.
        #[serde(default)]
        context_events: Vec<u32>,
        /// Variables reported with those events and the context key each value travels
        /// under with every later sample (`{ vid = 2001, key = "lot" }`).
        #[serde(default)]
        context: Vec<ContextVarConfig>,
        /// The tool clock's offset east of UTC in minutes, for STIME without a zone (a tool
        /// that reports local time: 480 for UTC+8). Default 0.
        #[serde(default)]
        clock_utc_offset_minutes: i32,
    },
    /// A data file replayed at a speed factor, for demonstrations and back-testing.
    Replay {
        /// Asset the rows belong to.
        asset: String,
        /// CSV, TEP .dat or Parquet file.
        file: PathBuf,
        /// Sample period of the file, in milliseconds of data time.
        #[serde(default = "default_period_ms")]
        period_ms: u64,
        /// Replay speed (2.0 = twice real time).
        #[serde(default = "default_speed")]
        speed: f64,
        /// Time column to skip (replayed samples are stamped from the wall clock at start).
        #[serde(default)]
        time_col: Option<String>,
    },
}

fn default_host() -> String {
    "127.0.0.1".into()
}
fn default_mqtt_port() -> u16 {
    1883
}
fn default_client_id() -> String {
    "faultline".into()
}
fn default_topic_filter() -> String {
    "faultline/+/+".into()
}
fn default_period_ms() -> u64 {
    1000
}
fn default_speed() -> f64 {
    1.0
}
fn default_group_size() -> u32 {
    1
}

/// One status variable of an HSMS source and the channel it feeds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvChannelConfig {
    /// Status variable id (SVID).
    pub svid: u32,
    /// Channel name.
    pub channel: String,
}

/// A variable of an HSMS source's event reports and the context key its value travels under.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextVarConfig {
    /// Variable id (VID).
    pub vid: u32,
    /// Context key (`lot`, `wafer`, `recipe`, `step` …).
    pub key: String,
}

/// Where results go besides the store.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkConfig {
    /// One line per alarm transition on standard output.
    Log,
}

/// A configuration that could not be read or is inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {error}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        error: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrong type, with its place.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong (names the key).
        message: String,
    },
    /// Parsed, but contradicts itself.
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads and validates a configuration file. Relative paths inside it are resolved against
    /// the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigError::Read { path: path.to_path_buf(), error })?;
        let mut config = Config::parse(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        Ok(config)
    }

    /// Parses configuration text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| {
            let (line, column) =
                error.span().map(|span| line_column(text, span.start)).unwrap_or((1, 1));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: error.message().replace('\n', " "),
            }
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let security = &self.security;
        if security.max_failed_logins == 0 || security.lockout_minutes == 0 {
            return Err(invalid(
                "[security] max_failed_logins and lockout_minutes must be at least 1".into(),
            ));
        }
        if security.session_hours == 0 || security.session_idle_hours == 0 {
            return Err(invalid(
                "[security] session_hours and session_idle_hours must be at least 1".into(),
            ));
        }
        if security.min_password_length < 8 {
            return Err(invalid("[security] min_password_length must be at least 8".into()));
        }
        if security.max_connections < 8 {
            return Err(invalid(
                "[security] max_connections must be at least 8 (a dashboard alone holds several)"
                    .into(),
            ));
        }
        if (1..8).contains(&security.max_connections_per_client) {
            return Err(invalid(
                "[security] max_connections_per_client must be 0 (no cap of its own) or at least \
                 8 (a dashboard alone holds several)"
                    .into(),
            ));
        }
        let mut names: Vec<&str> = self.assets.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!("asset `{}` is configured twice", pair[0])));
        }
        for asset in &self.assets {
            if asset.name.is_empty() || asset.name.contains(['/', '+', '#']) {
                return Err(invalid(format!(
                    "asset name `{}` must be non-empty without / + #",
                    asset.name
                )));
            }
        }
        for source in &self.sources {
            if let SourceConfig::Hsms { asset, channels, context_events, context, .. } = source {
                if !self.assets.iter().any(|a| &a.name == asset) {
                    return Err(invalid(format!("hsms source names unknown asset `{asset}`")));
                }
                if channels.is_empty() {
                    return Err(invalid(format!("hsms source of `{asset}` lists no channels")));
                }
                if context_events.is_empty() != context.is_empty() {
                    return Err(invalid(format!(
                        "hsms source of `{asset}`: `context_events` and `context` go together \
                         (the events whose reports carry the context variables)"
                    )));
                }
            }
            if let SourceConfig::Replay { asset, speed, .. } = source {
                if !self.assets.iter().any(|a| &a.name == asset) {
                    return Err(invalid(format!("replay source names unknown asset `{asset}`")));
                }
                if !(*speed > 0.0 && speed.is_finite()) {
                    return Err(invalid(format!("replay speed must be positive, got {speed}")));
                }
            }
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.data_dir);
        if let Some(tls) = &mut self.tls {
            resolve(&mut tls.cert);
            resolve(&mut tls.key);
        }
        for asset in &mut self.assets {
            if let Some(model) = &mut asset.model {
                resolve(model);
            }
            if let Some(classifier) = &mut asset.classifier {
                resolve(classifier);
            }
        }
        for source in &mut self.sources {
            if let SourceConfig::Replay { file, .. } = source {
                resolve(file);
            }
        }
    }

    /// The site of an asset.
    pub fn site_of<'a>(&'a self, asset: &'a AssetConfig) -> &'a str {
        asset.site.as_deref().unwrap_or(&self.site)
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("serve.toml"))
    }

    #[test]
    fn a_full_configuration_parses() {
        let config = parse(
            r#"
data_dir = "data"
listen = "127.0.0.1:9000"
site = "fab1"
[alarms]
persistence_n = 2
[[assets]]
name = "etch01"
channels = [{ name = "pressure", unit = "mTorr", high = 200.0 }]
[[sources]]
kind = "mqtt"
port = 1884
[[sources]]
kind = "replay"
asset = "etch01"
file = "h.csv"
speed = 10.0
[[sources]]
kind = "hsms"
asset = "etch01"
address = "10.0.0.5:5000"
period_ms = 100
channels = [{ svid = 1001, channel = "pressure" }]
context_events = [3001]
context = [{ vid = 2001, key = "lot" }]
clock_utc_offset_minutes = 480
[[sinks]]
kind = "log"
"#,
        )
        .unwrap();
        assert!(
            matches!(&config.sources[2], SourceConfig::Hsms { period_ms: 100, channels, .. } if channels[0].svid == 1001)
        );
        assert!(matches!(
            &config.sources[2],
            SourceConfig::Hsms { context_events, context, clock_utc_offset_minutes: 480, .. }
                if context_events == &[3001] && context[0].key == "lot"
        ));
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.alarms.persistence_n, 2);
        assert_eq!(config.assets[0].channels[0].high, Some(200.0));
        assert!(matches!(config.sources[0], SourceConfig::Mqtt { port: 1884, .. }));
        assert!(matches!(config.sources[1], SourceConfig::Replay { .. }));
    }

    #[test]
    fn silence_limits_default_to_five_minutes_and_a_channel_may_set_its_own() {
        let config = parse(
            "data_dir = \"d\"\n[[assets]]\nname = \"a\"\n[[assets]]\nname = \"b\"\n\
             silent_after_seconds = 0\nchannel_silent_after_seconds = { flow = 3600, level = 0 }\n",
        )
        .unwrap();
        assert_eq!(config.assets[0].silent_after_seconds, DEFAULT_SILENT_AFTER_SECONDS);
        assert_eq!(DEFAULT_SILENT_AFTER_SECONDS, 300);
        assert_eq!(config.assets[1].silent_after_seconds, 0);
        let limits = &config.assets[1].channel_silent_after_seconds;
        assert_eq!((limits["flow"], limits["level"]), (3600, 0));
        assert!(config.assets[1].channels.is_empty(), "no channel list needed for a limit");
        let err = parse("data_dir = \"d\"\n[[assets]]\nname = \"a\"\nsilent_after_seconds = -1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":4:") && err.contains("expected u64"), "{err}");
    }

    #[test]
    fn security_and_tls_have_safe_defaults_and_are_checked() {
        let config = parse("data_dir = \"d\"\n").unwrap();
        assert_eq!(config.security, SecurityConfig::default());
        assert_eq!((config.security.max_failed_logins, config.security.lockout_minutes), (5, 15));
        assert!(config.tls.is_none());
        let config = parse(
            "data_dir = \"d\"\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n[security]\n\
             max_failed_logins = 3\nsession_hours = 2\n",
        )
        .unwrap();
        assert_eq!(config.tls.unwrap().cert, PathBuf::from("c.pem"));
        assert_eq!((config.security.max_failed_logins, config.security.lockout_minutes), (3, 15));
        let err = parse("data_dir = \"d\"\n[security]\nmin_password_length = 4\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("min_password_length"), "{err}");
        let per_client = |n: u32| {
            parse(&format!("data_dir = \"d\"\n[security]\nmax_connections_per_client = {n}\n"))
        };
        let err = per_client(4).unwrap_err().to_string();
        assert!(err.contains("max_connections_per_client must be 0"), "{err}");
        assert_eq!(per_client(0).unwrap().security.max_connections_per_client, 0);
        assert_eq!(per_client(16).unwrap().security.max_connections_per_client, 16);
        let err = parse("data_dir = \"d\"\n[tls]\ncert = \"c.pem\"\n").unwrap_err().to_string();
        assert!(err.contains("key"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_line_and_key() {
        let err = parse("data_dir = \"d\"\n\n[[assets]]\nname = \"a\"\nmodle = \"x.flm\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("serve.toml:5:"), "{err}");
        assert!(err.contains("modle"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn wrong_types_and_contradictions_are_named() {
        let err = parse("data_dir = \"d\"\nlisten = 8080\n").unwrap_err().to_string();
        assert!(err.starts_with("serve.toml:2:"), "{err}");
        let err = parse(
            "data_dir = \"d\"\n[[sources]]\nkind = \"replay\"\nasset = \"nope\"\nfile = \"f.csv\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown asset `nope`"), "{err}");
        let err = parse("data_dir = \"d\"\n[[assets]]\nname = \"a\"\n[[assets]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("configured twice"), "{err}");
    }
}
