//! `faultline serve --config FILE`: run the configured engine and its API until interrupted.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use faultline_pipeline::{Config, Engine};

use crate::args::ServeArgs;

pub async fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let listen = config.listen;
    let engine = Engine::start(config).await?;
    serve_engine(engine, listen, None, |_| {}).await
}

/// Serves the API of a started engine until Ctrl-C (or `duration`), then drains the engine.
/// `banner` runs once the listener is bound, with the admin token file path.
pub async fn serve_engine(
    engine: Engine,
    listen: SocketAddr,
    duration: Option<Duration>,
    banner: impl FnOnce(&std::path::Path),
) -> anyhow::Result<()> {
    let token = faultline_api::prepare_auth(&engine).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (is another faultline running?)"))?;
    let address = listener.local_addr()?;
    println!("faultline API on http://{address}/api/v1/ (health: http://{address}/health)");
    if token.created {
        println!("admin token written to {} (mode 0600; shown nowhere else)", token.file.display());
    } else {
        println!("admin token: as created at first start ({})", token.file.display());
    }
    banner(&token.file);
    let app = faultline_api::app(engine.clone(), token);
    let shutdown = async move {
        match duration {
            Some(limit) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = tokio::time::sleep(limit) => {}
                }
            }
            None => {
                let _interrupted = tokio::signal::ctrl_c().await;
            }
        }
    };
    faultline_api::serve(listener, app, shutdown).await.context("HTTP server")?;
    println!("stopping: draining the processor ...");
    engine.shutdown().await;
    Ok(())
}
