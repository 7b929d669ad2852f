//! `ApiState`: what every handler shares: the engine handle, the admin token's hash and a small
//! pool of store connections (queries and audited changes run on blocking threads).

use std::sync::{Arc, Mutex};

use faultline_pipeline::{Engine, SecurityConfig};
use faultline_store::{Store, StoreError};

use crate::throttle::Throttle;
use crate::unknown_logins::UnknownLogins;
use crate::{AdminToken, ApiError};

/// Read connections kept open between requests; more are opened when needed.
const POOLED_READERS: usize = 4;

/// The state behind the router: the engine and the admin token's hash. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    token_hash: String,
    readers: Mutex<Vec<Store>>,
    throttle: Throttle,
    unknown_logins: UnknownLogins,
}

impl ApiState {
    /// State for `engine`, accepting the token whose hash `token` holds.
    pub fn new(engine: Engine, token: &AdminToken) -> ApiState {
        let throttle = Throttle::new(engine.config().security.max_refusals_per_minute);
        ApiState {
            inner: Arc::new(Inner {
                throttle,
                unknown_logins: UnknownLogins::default(),
                engine,
                token_hash: token.hash.to_ascii_lowercase(),
                readers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn token_hash(&self) -> &str {
        &self.inner.token_hash
    }

    /// Runs a store query on a blocking thread with a pooled read connection.
    pub(crate) async fn read<T, F>(&self, query: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = state.inner.readers.lock().ok().and_then(|mut pool| pool.pop());
            let store = match pooled {
                Some(store) => store,
                None => state.inner.engine.reader()?,
            };
            let result = query(&store);
            // A connection that just failed may be broken: let it go.
            if result.is_ok()
                && let Ok(mut pool) = state.inner.readers.lock()
                && pool.len() < POOLED_READERS
            {
                pool.push(store);
            }
            result.map_err(ApiError::from)
        })
        .await?
    }

    /// Runs a store change on a blocking thread with a pooled connection. Store methods that
    /// change anything write their audit record in the same transaction, first.
    pub(crate) async fn write<T, F>(&self, change: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = state.inner.readers.lock().ok().and_then(|mut pool| pool.pop());
            let mut store = match pooled {
                Some(store) => store,
                None => state.inner.engine.reader()?,
            };
            let result = change(&mut store);
            if result.is_ok()
                && let Ok(mut pool) = state.inner.readers.lock()
                && pool.len() < POOLED_READERS
            {
                pool.push(store);
            }
            result.map_err(ApiError::from)
        })
        .await?
    }

    /// Refusals per client address (see `throttle.rs`).
    pub(crate) fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// Failed logins of names that are no user's (see `unknown_logins.rs`).
    pub(crate) fn unknown_logins(&self) -> &UnknownLogins {
        &self.inner.unknown_logins
    }

    /// The `[security]` settings of the configuration.
    pub(crate) fn security(&self) -> &SecurityConfig {
        &self.inner.engine.config().security
    }

    /// Fails with 404 unless `asset` is configured.
    pub(crate) fn known_asset(&self, asset: &str) -> Result<(), ApiError> {
        if self.inner.engine.config().assets.iter().any(|a| a.name == asset) {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("asset `{asset}` is not configured")))
        }
    }
}
