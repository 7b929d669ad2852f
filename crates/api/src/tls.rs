//! HTTPS: the `[tls]` certificate and key served with rustls on the **ring** provider only,
//! TLS 1.2 and 1.3 only (rustls implements nothing older), through axum-server.
//!
//! The provider is passed explicitly instead of installed process-wide, so this server never
//! depends on which provider another crate happened to install first.
//!
//! Every HTTPS answer carries `Strict-Transport-Security` (one year): a browser that has seen
//! the dashboard once over HTTPS refuses a plain-HTTP downgrade of that host afterwards. It is
//! not sent over plain HTTP, where it would mean nothing (RFC 6797 §7.2).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::map_response;
use axum::response::Response;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use faultline_pipeline::TlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::watch;

use crate::ConnectionLimits;
use crate::routes;

/// Why TLS could not be set up; names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is unreadable or holds no PEM certificate.
    #[error("{path}: cannot read the TLS certificate (PEM): {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The key file is unreadable or holds no PEM private key.
    #[error("{path}: cannot read the TLS private key (PEM PKCS#8, PKCS#1 or SEC1): {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the pair (for example the key does not match the certificate).
    #[error("the TLS certificate and key do not form a usable pair: {0}")]
    Config(String),
}

/// The rustls server configuration for `[tls]`: ring provider, TLS 1.2 and 1.3, HTTP/1.1.
pub fn server_config(tls: &TlsConfig) -> Result<ServerConfig, TlsError> {
    let cert_path = tls.cert.display().to_string();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| TlsError::Certificate { path: cert_path.clone(), reason: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::Certificate {
            path: cert_path,
            reason: "no CERTIFICATE block found".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| TlsError::Key {
        path: tls.key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `app` over HTTPS on `listener` until `shutdown` completes, then ends the event
/// streams and waits (at most [`crate::SHUTDOWN_GRACE`]) for requests in flight, with the
/// same connection cap and timeouts as [`crate::serve`].
pub async fn serve_tls(
    listener: std::net::TcpListener,
    app: Router,
    config: ServerConfig,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = app
        .layer(axum::Extension(routes::Shutdown(stopped)))
        .layer(map_response(strict_transport_security));
    let handle = Handle::new();
    let signal = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _no_streams = stop.send(true);
        signal.graceful_shutdown(Some(crate::SHUTDOWN_GRACE));
    });
    listener.set_nonblocking(true)?;
    let server =
        axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(Arc::new(config)))?
            .handle(handle);
    crate::connections::harden(server, limits)
        .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
}

/// HSTS for a year on every HTTPS answer (no `includeSubDomains`: other hosts of the plant's
/// domain are not ours to decide about).
async fn strict_transport_security(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, "not pem").unwrap();
        let tls = TlsConfig { cert: cert.clone(), key: PathBuf::from("/nonexistent/key.pem") };
        let err = server_config(&tls).unwrap_err().to_string();
        assert!(err.contains("cert.pem") && err.contains("no CERTIFICATE"), "{err}");
        let tls = TlsConfig { cert: PathBuf::from("/nonexistent/cert.pem"), key: cert };
        let err = server_config(&tls).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
