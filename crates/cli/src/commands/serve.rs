//! `faultline serve --config FILE`: run the configured engine and its API (HTTPS when `[tls]`
//! is configured) until interrupted; a configuration that differs from the last start's is
//! audited first.

use std::net::SocketAddr;
use std::time::Duration;

use std::path::Path;

use anyhow::Context;
use faultline_pipeline::{Config, Engine};
use faultline_store::{Event, Store};
use sha2::{Digest, Sha256};

use crate::args::ServeArgs;

pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    record_config(&args.config, &config)?;
    let listen = config.listen;
    let engine = Engine::start(config).await?;
    serve_engine(engine, listen, None, |_| {}).await
}

/// The setting that holds the SHA-256 of the configuration file of the last start.
const CONFIG_SETTING: &str = "config_sha256";

/// Audits a configuration that differs from the last start's (`config.change`, old and new
/// SHA-256 of the file), so that every change of what the service runs is in the trail.
fn record_config(path: &Path, config: &Config) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let mut store = Store::open(&config.data_dir)?;
    let previous = store.setting(CONFIG_SETTING)?;
    if previous.as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    let mut event = Event::new(super::users::now(), "system", "config.change", "config");
    event.old_value = previous.map(|h| format!("sha256:{h}"));
    event.new_value = Some(format!("sha256:{hash}"));
    event.reason = Some(format!("faultline serve --config {}", path.display()));
    store.set_setting(CONFIG_SETTING, &hash, &event).context("cannot audit the configuration")?;
    Ok(())
}

/// Resolves at Ctrl-C (SIGINT) or SIGTERM, what `systemctl stop` and `kill` send: either one
/// drains the engine before the process ends. (SIGKILL cannot be caught; what was acknowledged
/// is in the journal anyway.)
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
                return;
            }
            Err(error) => eprintln!("faultline: SIGTERM cannot be handled ({error}); Ctrl-C can"),
        }
    }
    let _interrupted = tokio::signal::ctrl_c().await;
}

/// Serves the API of a started engine until Ctrl-C or SIGTERM (or `duration`), then drains the
/// engine.
/// `banner` runs once the listener is bound, with the admin token file path.
pub async fn serve_engine(
    engine: Engine,
    listen: SocketAddr,
    duration: Option<Duration>,
    banner: impl FnOnce(&std::path::Path),
) -> anyhow::Result<()> {
    let token = faultline_api::prepare_auth(&engine).await?;
    // Check the certificate before binding: a bad file is a clear error, not a half-started
    // server.
    let tls = match &engine.config().tls {
        Some(tls) => Some(faultline_api::server_config(tls)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (is another faultline running?)"))?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("faultline API on {scheme}://{address}/api/v1/ (health: {scheme}://{address}/health)");
    if token.created {
        println!("admin token written to {} (mode 0600; shown nowhere else)", token.file.display());
    } else {
        println!("admin token: as created at first start ({})", token.file.display());
    }
    if token.digests_recorded > 0 {
        println!(
            "faultline: named the digests of {} password hash(es) and API token(s) from an older \
             release in the audit trail (audit verify checks them from now on)",
            token.digests_recorded
        );
    }
    banner(&token.file);
    let security = &engine.config().security;
    let limits = faultline_api::ConnectionLimits {
        total: security.max_connections,
        per_client: security.max_connections_per_client,
    };
    let app = faultline_api::app(engine.clone(), token);
    let shutdown = async move {
        let limit = duration.unwrap_or(Duration::MAX);
        tokio::select! {
            () = stop_requested() => {}
            () = tokio::time::sleep(limit) => {}
        }
    };
    match tls {
        Some(config) => {
            let listener = listener.into_std()?;
            faultline_api::serve_tls(listener, app, config, limits, shutdown)
                .await
                .context("HTTPS server")?
        }
        None => {
            faultline_api::serve(listener, app, limits, shutdown).await.context("HTTP server")?
        }
    }
    println!("stopping: draining the processor ...");
    engine.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A start with the same file records nothing; a changed file records old and new hash.
    #[test]
    fn a_changed_configuration_is_audited_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        std::fs::write(&file, "data_dir = \"data\"\n").unwrap();
        let config = Config::load(&file).unwrap();
        let changes = || {
            let store = Store::open(&config.data_dir).unwrap();
            let events = store.events(100, None).unwrap();
            events.into_iter().filter(|(_, e)| e.action == "config.change").collect::<Vec<_>>()
        };
        record_config(&file, &config).unwrap();
        record_config(&file, &config).unwrap();
        assert_eq!(changes().len(), 1);
        assert_eq!(changes()[0].1.old_value, None);
        std::fs::write(&file, "data_dir = \"data\"\nsite = \"fab2\"\n").unwrap();
        record_config(&file, &config).unwrap();
        let all = changes();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].1.old_value, all[0].1.new_value);
        assert_ne!(all[1].1.new_value, all[0].1.new_value);
        assert!(all[1].1.reason.as_deref().unwrap_or_default().contains("serve.toml"));
    }
}
