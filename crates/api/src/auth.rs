//! Who is calling, and may they: authentication (session cookie, API token, the break-glass
//! admin token) and authorisation (the route's [`Access`] against the policy table of
//! `faultline-auth`), checked by [`guard`] before any handler runs. Every denial is audited.
//!
//! - **Sessions** (the dashboard): `POST /api/v1/login` sets the cookie `faultline_session`
//!   (`HttpOnly; Secure; SameSite=Strict`), 32 random bytes of which the store keeps only the
//!   SHA-256. A session ends at logout, after `session_hours`, after `session_idle_hours`
//!   without a request, or when its user is disabled; its role is the user's role *now*. A
//!   cookie-authenticated request other than GET must carry `X-Requested-With: faultline`:
//!   a cross-site form cannot set that header, so this closes CSRF even where `SameSite` is
//!   not honoured.
//! - **API tokens** (machines, scripts): `Authorization: Bearer <token>`, stored hashed, tied
//!   to a user and a role no higher than the user's; they end when the user is disabled.
//! - **The admin token** (`<data-dir>/admin.token`, generated once at first start, stored
//!   hashed): a break-glass admin credential for first setup and for the day nobody can log
//!   in. Audited as actor `admin-token`. It cannot sign (it is not a person).
//!
//! Presented secrets are hashed and compared as digests (the admin token in constant time;
//! the others by an indexed lookup of the digest), so neither storage nor timing gives away
//! how much of a guess was right.

use std::convert::Infallible;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use faultline_auth::{Permission, Role, constant_time_eq, token_digest};
use faultline_pipeline::Engine;
use faultline_store::{Event, Store};
use faultline_types::Timestamp;
use sha2::{Digest, Sha256};

use crate::routes::Access;
use crate::throttle::{Unrecorded, Verdict, client_target};
use crate::{ApiError, ApiState, times};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "faultline_session";
/// The header (with value `faultline`) that cookie-authenticated changes must carry.
pub const CSRF_HEADER: &str = "x-requested-with";
const CSRF_VALUE: &str = "faultline";
/// How often a session's last activity (for the idle timeout) and an API token's last use are
/// written: often enough to be exact to the minute, rarely enough that reads do not become
/// writes.
const TOUCH_EVERY_NS: i64 = 60 * 1_000_000_000;
const NANOS_PER_HOUR: i64 = 3_600 * 1_000_000_000;

/// The setting that holds the admin token's SHA-256 (lower-case hex).
pub const TOKEN_SETTING: &str = "admin_token_sha256";
/// The file in the data directory that receives the plain token at first start.
pub const TOKEN_FILE: &str = "admin.token";
/// The actor recorded for audited changes made with the break-glass admin token.
pub const ADMIN_ACTOR: &str = "admin-token";

/// The admin token as the server knows it: its hash, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// SHA-256 of the token, lower-case hex.
    pub hash: String,
    /// Where the plain token was written at first start (it may have been deleted since).
    pub file: PathBuf,
    /// True when this start generated the token (and wrote `file`).
    pub created: bool,
    /// Password hashes and API tokens from an older release whose digests this start named
    /// in the audit trail (see `Store::record_missing_digests`), for the start-up log.
    pub digests_recorded: usize,
}

/// Makes sure an admin token exists: returns the stored hash, or at first start generates 32
/// random bytes, writes them hex-encoded to `<data-dir>/admin.token` (mode 0600, created new)
/// and stores their SHA-256 with an audit event (actor `system`, action `token.create`).
///
/// A stored hash is never replaced: if the operator deleted `admin.token`, the token they saved
/// keeps working.
pub async fn prepare_auth(engine: &Engine) -> Result<AdminToken, ApiError> {
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || prepare_blocking(&engine)).await?
}

/// A store whose admin token was created before its record named the hash's digest (before
/// stop 12) gets one record that names it, once, so that `audit verify` can tell a hash
/// swapped from now on. It vouches for the hash as found at this start.
fn record_token_digest(store: &mut Store, stored: &str) -> Result<(), ApiError> {
    if store.setting_is_named(TOKEN_SETTING)? != Some(false) {
        return Ok(());
    }
    let event = Event {
        at: times::now(),
        actor: "system".into(),
        action: "token.digest".into(),
        target: format!("setting/{TOKEN_SETTING}"),
        old_value: None,
        new_value: Some(faultline_store::digest_fingerprint(stored)),
        reason: Some(
            "the admin token's hash, as found at this start, named by its digest for audit \
             verify (its creation record, from an older release, named none)"
                .into(),
        ),
        signature: None,
    };
    store.set_setting(TOKEN_SETTING, stored, &event)?;
    Ok(())
}

fn prepare_blocking(engine: &Engine) -> Result<AdminToken, ApiError> {
    let file = engine.data_dir().join(TOKEN_FILE);
    let mut store = engine.reader()?;
    let digests_recorded = store.record_missing_digests(times::now())?;
    if let Some(stored) = store.setting(TOKEN_SETTING)? {
        let hash = stored.trim().to_ascii_lowercase();
        if !is_sha256_hex(&hash) {
            return Err(ApiError::Internal(format!(
                "setting `{TOKEN_SETTING}` is not a SHA-256 hex digest: the store is damaged"
            )));
        }
        record_token_digest(&mut store, &stored)?;
        return Ok(AdminToken { hash, file, created: false, digests_recorded });
    }
    let token = generate_token()?;
    let hash = sha256_hex(token.as_bytes());
    write_token_file(&file, &token)?;
    let event = Event {
        at: times::now(),
        actor: "system".into(),
        action: "token.create".into(),
        target: format!("setting/{TOKEN_SETTING}"),
        old_value: None,
        // The digest of the stored hash: verification can tell a swapped hash by it, and it
        // grants nothing.
        new_value: Some(faultline_store::digest_fingerprint(&hash)),
        reason: Some(format!(
            "admin token generated at first start, written to {}",
            file.display()
        )),
        signature: None,
    };
    if let Err(error) = store.set_setting(TOKEN_SETTING, &hash, &event) {
        // Without its hash the token grants nothing; do not leave it lying around.
        let _already_gone = fs::remove_file(&file);
        return Err(error.into());
    }
    Ok(AdminToken { hash, file, created: true, digests_recorded })
}

/// 32 random bytes from the operating system, hex-encoded (64 characters).
fn generate_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("cannot generate the admin token: {e}")))?;
    Ok(hex(&bytes))
}

/// Writes the token to a new file readable by the owner only. A file left by an earlier start
/// that failed before storing the hash holds a token that never worked: it is replaced.
fn write_token_file(file: &Path, token: &str) -> Result<(), ApiError> {
    let io = |e: std::io::Error| {
        ApiError::Internal(format!("{}: cannot write the admin token: {e}", file.display()))
    };
    match fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let mut out =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(file).map_err(io)?;
    out.write_all(format!("{token}\n").as_bytes()).map_err(io)?;
    out.sync_all().map_err(io)?;
    if let Some(dir) = file.parent() {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Compares the SHA-256 of a presented token with a stored hex digest, in constant time.
fn matches_hash(token: &str, expected_hash: &str) -> bool {
    constant_time_eq(sha256_hex(token.trim().as_bytes()).as_bytes(), expected_hash.as_bytes())
}

/// How a caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The break-glass admin token.
    AdminToken,
    /// An API token (its id).
    ApiToken(u64),
    /// A login session (the SHA-256 of its cookie).
    Session([u8; 32]),
}

/// An authenticated caller: who, with which role, how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user name (`admin-token` for the admin token).
    pub name: String,
    /// The role requests are judged by.
    pub role: Role,
    /// How they authenticated.
    pub via: Via,
}

impl Principal {
    /// The actor recorded in audit records: the user name, `<user>/token-<id>` for an API
    /// token, `admin-token` for the admin token.
    pub fn actor(&self) -> String {
        match self.via {
            Via::ApiToken(id) => format!("{}/token-{id}", self.name),
            _ => self.name.clone(),
        }
    }

    /// The user account behind the caller (`None` for the admin token, which is not a person).
    pub fn user(&self) -> Option<&str> {
        (self.via != Via::AdminToken).then_some(self.name.as_str())
    }
}

/// A request the guard refused: the error to answer and who asked (for the audit record).
struct Denial {
    actor: String,
    error: ApiError,
}

fn unauthorized(detail: &str, invalid_token: bool) -> ApiError {
    ApiError::Unauthorized { detail: detail.to_string(), invalid_token }
}

/// Whether checking credentials is a request's activity or only a look at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// A request: it keeps a session from idling out and marks an API token used.
    Request,
    /// A re-check of credentials already admitted (an open stream's, every
    /// `routes::stream::RECHECK`): it changes nothing, so a session whose only activity is an
    /// open stream idles out like any other.
    Recheck,
}

/// Finds the caller: `Ok(None)` when the request carries no credentials at all, `Err` when it
/// carries credentials that are not (or no longer) valid. It is the request's activity: a
/// session's last activity and an API token's last use are updated.
pub(crate) async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    check_credentials(state, headers, Check::Request).await
}

/// As [`authenticate`], but read-only: for checking again credentials that a request was
/// admitted with. Nothing is written, so this is not activity for the idle timeout.
pub(crate) async fn recheck(
    state: &ApiState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    check_credentials(state, headers, Check::Recheck).await
}

async fn check_credentials(
    state: &ApiState,
    headers: &HeaderMap,
    check: Check,
) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text", true))?;
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return Err(unauthorized("the Authorization header must be `Bearer <token>`", false));
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthorized("the Authorization scheme must be Bearer", false));
        }
        return bearer(state, token.trim(), check).await.map(Some);
    }
    match session_cookie(headers) {
        Some(cookie) => session(state, &cookie, check).await.map(Some),
        None => Ok(None),
    }
}

/// The admin token, else an API token.
async fn bearer(state: &ApiState, token: &str, check: Check) -> Result<Principal, ApiError> {
    if matches_hash(token, state.token_hash()) {
        return Ok(Principal { name: ADMIN_ACTOR.into(), role: Role::Admin, via: Via::AdminToken });
    }
    let invalid = || unauthorized("the bearer token is not valid", true);
    let digest = token_digest(token);
    let found = state
        .read(move |store| {
            let Some(token) = store.api_token(&digest)? else { return Ok(None) };
            let user = store.user(&token.username)?;
            Ok(Some((token, user)))
        })
        .await?;
    let Some((token, Some(user))) = found else { return Err(invalid()) };
    let now = times::now();
    if token.revoked || user.disabled || token.expires_at.is_some_and(|end| end <= now) {
        return Err(unauthorized("the bearer token was revoked or has expired", true));
    }
    let (Some(token_role), Some(user_role)) = (Role::parse(&token.role), Role::parse(&user.role))
    else {
        return Err(ApiError::Internal(format!("API token {} names an unknown role", token.id)));
    };
    // When it was last used, to the minute, so that administrators see which tokens are idle.
    if check == Check::Request
        && token
            .last_used
            .is_none_or(|last| now.as_nanos().saturating_sub(last.as_nanos()) >= TOUCH_EVERY_NS)
    {
        let id = token.id;
        state.write(move |store| store.touch_api_token(id, now)).await?;
    }
    // Never more than the user holds now.
    Ok(Principal { name: user.name, role: token_role.min(user_role), via: Via::ApiToken(token.id) })
}

/// A login session, checked for revocation, absolute and idle expiry and a disabled user.
async fn session(state: &ApiState, cookie: &str, check: Check) -> Result<Principal, ApiError> {
    let digest = token_digest(cookie);
    let found = state
        .read(move |store| {
            let Some(session) = store.session(&digest)? else { return Ok(None) };
            let user = store.user(&session.username)?;
            Ok(Some((session, user)))
        })
        .await?;
    let expired = || unauthorized("the session has ended; log in again", true);
    let Some((session, Some(user))) = found else { return Err(expired()) };
    let now = times::now();
    let idle = i64::from(state.security().session_idle_hours) * NANOS_PER_HOUR;
    if session.revoked
        || user.disabled
        || session.expires_at <= now
        || session.last_seen.as_nanos().saturating_add(idle) <= now.as_nanos()
    {
        return Err(expired());
    }
    let role = Role::parse(&user.role)
        .ok_or_else(|| ApiError::Internal(format!("user {} has an unknown role", user.name)))?;
    if check == Check::Request
        && now.as_nanos().saturating_sub(session.last_seen.as_nanos()) >= TOUCH_EVERY_NS
    {
        state.write(move |store| store.touch_session(&digest, now)).await?;
    }
    Ok(Principal { name: user.name, role, via: Via::Session(digest) })
}

/// The value of the session cookie, if the request has one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// Decides a request for a route with `access`: the caller (`None` for open routes) or why not.
async fn admit(
    state: &ApiState,
    access: Access,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Denial> {
    let permission = match access {
        Access::Open | Access::Login => return Ok(None),
        Access::Authenticated => None,
        Access::Permission(permission) => Some(permission),
    };
    let anonymous = |error| Denial { actor: "anonymous".into(), error };
    let principal = match authenticate(state, headers).await {
        Ok(Some(principal)) => principal,
        Ok(None) => {
            return Err(anonymous(unauthorized(
                "log in (POST /api/v1/login) or send `Authorization: Bearer <token>`",
                false,
            )));
        }
        Err(error) => return Err(anonymous(error)),
    };
    let deny =
        |detail: String| Denial { actor: principal.actor(), error: ApiError::Forbidden(detail) };
    if matches!(principal.via, Via::Session(_))
        && method != Method::GET
        && method != Method::HEAD
        && headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some(CSRF_VALUE)
    {
        return Err(deny(format!(
            "a request with the session cookie other than GET needs the header \
             `X-Requested-With: {CSRF_VALUE}`"
        )));
    }
    if let Some(permission) = permission
        && !principal.role.allows(permission)
    {
        return Err(deny(format!(
            "role {} does not have the permission `{}`",
            principal.role,
            permission.as_str()
        )));
    }
    Ok(Some(principal))
}

/// Writes the audit record of a denial, then answers with the denial. If the record cannot be
/// written the answer is a 500 instead: still a refusal, and a visible one.
///
/// A client address over its refusal budget (`throttle.rs`) is answered 429 instead: the
/// first time with an `access.throttled` record, after that counted, not recorded.
async fn refuse(
    state: &ApiState,
    denial: Denial,
    method: &Method,
    path: &str,
    client: Option<IpAddr>,
) -> ApiError {
    record_unrecorded(state).await;
    let at = times::now();
    let request = format!("{method} {}", printable(path, 200));
    let status = denial.error.status().as_u16().to_string();
    let (event, answer) = match state.throttle().refusal(client, Instant::now(), at) {
        Verdict::Record => {
            let mut event = Event::new(at, denial.actor, "access.denied", request);
            event.new_value = Some(status);
            event.reason = Some(denial.error.detail());
            (event, denial.error)
        }
        Verdict::Throttle { retry_after } => {
            let reason = format!(
                "{}; the last was {request} ({status}: {})",
                throttle_reason(state, client, retry_after),
                denial.error.detail()
            );
            (throttled_event(at, denial.actor, client, reason), throttled(retry_after))
        }
        Verdict::Count { retry_after } => return throttled(retry_after),
    };
    match state.write(move |store| store.append_event(&event)).await {
        Ok(_) => answer,
        Err(error) => error,
    }
}

/// The 429 for a throttled client address.
pub(crate) fn throttled(retry_after: u64) -> ApiError {
    ApiError::Throttled {
        detail: format!(
            "too many refused requests from this address; try again in {retry_after} s \
             (requests with valid credentials are not affected)"
        ),
        retry_after,
    }
}

fn throttle_reason(state: &ApiState, client: Option<IpAddr>, retry_after: u64) -> String {
    format!(
        "more than {} refusals for {} within a minute: further refusals are answered 429 and \
         counted for the next {retry_after} s, then recorded as one `access.unrecorded` record",
        state.security().max_refusals_per_minute,
        client_target(client)
    )
}

fn throttled_event(at: Timestamp, actor: String, client: Option<IpAddr>, reason: String) -> Event {
    let mut event = Event::new(at, actor, "access.throttled", client_target(client));
    event.new_value = Some("429".into());
    event.reason = Some(reason);
    event
}

/// Counts a refusal that has its own record already (a failed login) towards its client's
/// budget; the one that crosses the budget adds the `access.throttled` record.
pub(crate) async fn count_recorded_refusal(
    state: &ApiState,
    client: Option<IpAddr>,
    actor: &str,
) -> Result<(), ApiError> {
    let at = times::now();
    let Some(retry_after) = state.throttle().recorded_refusal(client, Instant::now(), at) else {
        return Ok(());
    };
    let reason = throttle_reason(state, client, retry_after);
    let event = throttled_event(at, actor.to_string(), client, reason);
    state.write(move |store| store.append_event(&event)).await.map(|_| ())
}

/// Writes one `access.unrecorded` record for each ended throttling window that counted
/// refusals without recording them. Reports whose record could not be written go back to the
/// throttle and are tried again at the next call (each record is its own transaction, so the
/// ones written are not written twice); the request itself goes on either way.
pub(crate) async fn record_unrecorded(state: &ApiState) {
    let finished = state.throttle().take_finished(Instant::now(), times::now());
    if finished.is_empty() {
        return;
    }
    let reports = finished.clone();
    let written = state
        .write(move |store| {
            // How many were written before the first failure.
            Ok(reports
                .iter()
                .take_while(|r| store.append_event(&unrecorded_event(r)).is_ok())
                .count())
        })
        .await
        .unwrap_or(0);
    let unwritten: Vec<Unrecorded> = finished.into_iter().skip(written).collect();
    if !unwritten.is_empty() {
        state.throttle().put_back(unwritten);
    }
}

fn unrecorded_event(report: &Unrecorded) -> Event {
    let client = client_target(report.client);
    let mut event = Event::new(times::now(), "system", "access.unrecorded", client.clone());
    event.new_value = Some(report.count.to_string());
    event.reason = Some(format!(
        "{} refusals from {client} between {} and {} were answered 429 (throttled) without a \
         record each",
        report.count,
        times::rfc3339(report.from),
        times::rfc3339(report.to)
    ));
    event
}

/// The client's address (the TCP peer), when the server was started with it, as the refusal
/// throttle counts it: an IPv4-mapped IPv6 address as IPv4, any other IPv6 address as its /64
/// (one host usually holds a whole /64, so counting single IPv6 addresses would let it rotate).
pub(crate) fn client_addr(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|info| client_key(info.0.ip()))
}

fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

/// The client's address as an extractor (`None` when the server runs without peer addresses,
/// as in-process router tests do).
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr(client_addr(&parts.extensions)))
    }
}

/// Middleware on every route of the table: admits or refuses (audited) by the route's access,
/// and hands the caller to the handler as a request extension.
pub(crate) async fn guard(
    State((state, access)): State<(ApiState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    record_unrecorded(&state).await;
    match admit(&state, access, request.method(), request.headers()).await {
        Ok(Some(principal)) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Ok(None) => next.run(request).await,
        Err(denial) => {
            let path = request.uri().path().to_string();
            let client = client_addr(request.extensions());
            refuse(&state, denial, request.method(), &path, client).await.into_response()
        }
    }
}

/// A refusal decided in a handler rather than by the route's access (the admin token or an API
/// token trying to give an electronic signature): a 403 audited as `access.denied`, under the
/// same refusal throttle as the guard's.
pub(crate) async fn forbid(
    state: &ApiState,
    caller: &Principal,
    detail: String,
    method: &Method,
    path: &str,
    client: Option<IpAddr>,
) -> ApiError {
    let denial = Denial { actor: caller.actor(), error: ApiError::Forbidden(detail) };
    refuse(state, denial, method, path, client).await
}

/// For answers outside the route table (404, 405): refuses (audited) unless the caller is
/// authenticated, so that an unauthenticated client cannot find out which paths exist.
pub(crate) async fn require_caller(
    state: &ApiState,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    client: Option<IpAddr>,
) -> Result<(), ApiError> {
    match admit(state, Access::Authenticated, method, headers).await {
        Ok(_) => Ok(()),
        Err(denial) => Err(refuse(state, denial, method, path, client).await),
    }
}

/// The authenticated caller, for handlers behind [`guard`].
pub(crate) struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::Internal("the route has no authentication guard".into()))
    }
}

/// The role's permission names, from the policy table.
pub(crate) fn permission_names(role: Role) -> Vec<&'static str> {
    role.permissions().iter().map(|p: &Permission| p.as_str()).collect()
}

/// `text` cut to `max` characters with control characters replaced, for audit targets built
/// from request data (a user name typed at the login form, a path).
pub(crate) fn printable(text: &str, max: usize) -> String {
    text.chars().take(max).map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_throttle_counts_ipv4_as_is_and_ipv6_by_its_64_prefix() {
        let key = |text: &str| client_key(text.parse().unwrap()).to_string();
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::1"), "::");
    }

    #[test]
    fn session_cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; faultline_session=abc ; b=2"));
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::COOKIE, HeaderValue::from_static("faultline_session="));
        assert_eq!(session_cookie(&h), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&sha256_hex(b"")));
        assert!(!is_sha256_hex("ABCD"));
        assert!(matches_hash(" s3cret ", &sha256_hex(b"s3cret")));
        assert!(!matches_hash("s3creT", &sha256_hex(b"s3cret")));
        let token = generate_token().unwrap();
        assert_eq!(token.len(), 64);
        assert_ne!(token, generate_token().unwrap());
        assert_eq!(printable("a\nb", 10), "a?b");
        assert_eq!(printable("abcdef", 3), "abc");
        let p = Principal { name: "bob".into(), role: Role::Viewer, via: Via::ApiToken(3) };
        assert_eq!((p.actor(), p.user()), ("bob/token-3".to_string(), Some("bob")));
    }
}
