//! `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`: the dashboard's session.
//!
//! Login is where passwords are guessed, so it is the one place with a lockout: after
//! `max_failed_logins` failures of one user name within `lockout_minutes` (counted from the
//! audit trail, since the last success), logins of that name answer 429 with `Retry-After`
//! until the oldest counted failure leaves the window. Unknown names are counted like known
//! ones and cost the same Argon2 verification, so neither the answer, the lockout nor the time
//! taken tells whether a name exists.
//!
//! A name that is no user's is often a password typed into the user name box, so the audit
//! trail never holds it: its records (`login.failure`, `login.locked`, `access.throttled`) name
//! the actor `(unknown user)`, and its failures are counted in memory (`unknown_logins.rs`).
//! A known name is recorded as it is: security staff need to see whose account is attacked.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use faultline_auth::{Role, new_token, token_digest, verify_password};
use faultline_store::{Event, Session};
use faultline_types::Timestamp;

use crate::auth::{
    Caller, ClientAddr, SESSION_COOKIE, Via, count_recorded_refusal, permission_names, printable,
    record_unrecorded, session_cookie, throttled,
};
use crate::dto::{LoginBody, LoginDto, MeDto, PasswordChangeBody};
use crate::extract::{JsonBody, RawBody};
use crate::times::{now, rfc3339};
use crate::unknown_logins::UNKNOWN_USER;
use crate::{ApiError, ApiState};

const NANOS_PER_MINUTE: i64 = 60 * 1_000_000_000;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;

/// Checks user name and password; on success starts a session and sets its cookie.
pub(super) async fn login(
    State(state): State<ApiState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Result<RawBody, ApiError>,
) -> Result<Response, ApiError> {
    record_unrecorded(&state).await;
    // An address that has been refused too often may not try passwords until its minute ends;
    // the attempt is counted (and reported per minute), and costs no Argon2 verification.
    if let Some(retry_after) = state.throttle().refuse_if_throttled(client, Instant::now()) {
        return Err(throttled(retry_after));
    }
    let at = now();
    // A login posted by another site's page (a browser says so in `Sec-Fetch-Site`) would log
    // the browser into the account whose password that page chose: login CSRF. Scripts send no
    // such header and are not affected.
    if headers.get("sec-fetch-site").is_some_and(|site| site.as_bytes() == b"cross-site") {
        let mut event = Event::new(at, "anonymous", "login.failure", "login");
        event.reason = Some("a login posted from another site's page (Sec-Fetch-Site)".into());
        state.write(move |store| store.append_event(&event)).await?;
        count_recorded_refusal(&state, client, "anonymous").await?;
        return Err(ApiError::Forbidden(
            "a login from another site's page is refused; log in on the dashboard".into(),
        ));
    }
    // A body that is not `{username, password}` is a failed login, not a 400: the answer to
    // anything but good credentials is the same. A body that never arrived whole (too slow,
    // 408, or over the route's limit, 413) tried no password: it is answered as on any route,
    // and is no login record.
    let parsed = match body {
        Ok(RawBody(bytes)) => serde_json::from_slice::<LoginBody>(&bytes).ok(),
        Err(error @ (ApiError::Timeout(_) | ApiError::TooLarge(_))) => return Err(error),
        Err(_) => None,
    };
    let Some(LoginBody { username, password }) = parsed else {
        let mut event = Event::new(at, "anonymous", "login.failure", "login");
        event.reason = Some("malformed login request".into());
        state.write(move |store| store.append_event(&event)).await?;
        count_recorded_refusal(&state, client, "anonymous").await?;
        return Err(bad_credentials());
    };
    let name = printable(username.trim(), 64);
    let lookup = name.clone();
    let user = state.read(move |store| store.user(&lookup)).await?;
    // What the records call the name: itself if it is a user's, else `(unknown user)`.
    let known = user.is_some();
    let recorded = if known { name.clone() } else { UNKNOWN_USER.to_string() };
    let lockout = if known {
        check_lockout(&state, &name, at).await
    } else {
        check_unknown_lockout(&state, &name, at).await
    };
    if let Err(locked) = lockout {
        // Audited as `login.locked`; counted like any refusal, so that hammering a locked name
        // is throttled like hammering a wrong password (and stops writing a record per try).
        if matches!(locked, ApiError::Locked { .. }) {
            count_recorded_refusal(&state, client, &recorded).await?;
        }
        return Err(locked);
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matched =
        tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref())).await?;
    let role = user.as_ref().and_then(|u| Role::parse(&u.role));
    let (Some(user), Some(role), true) = (user.filter(|u| !u.disabled), role, matched) else {
        let mut event =
            Event::new(at, recorded.clone(), "login.failure", format!("user/{recorded}"));
        event.reason = Some(if known {
            "wrong user name or password, or the account is disabled".into()
        } else {
            "the user name is no user's (not recorded: it may be a password typed into the \
             wrong box)"
                .into()
        });
        state.write(move |store| store.append_event(&event)).await?;
        if !known {
            state.unknown_logins().failed(&name, at, lockout_since(&state, at));
        }
        count_recorded_refusal(&state, client, &recorded).await?;
        return Err(bad_credentials());
    };
    let security = state.security();
    let expires_at = Timestamp::from_nanos(
        at.as_nanos().saturating_add(i64::from(security.session_hours) * NANOS_PER_HOUR),
    );
    let token = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let digest = token_digest(&token);
    let session = Session {
        username: user.name.clone(),
        created_at: at,
        last_seen: at,
        expires_at,
        revoked: false,
    };
    let mut event =
        Event::new(at, user.name.clone(), "login.success", format!("user/{}", user.name));
    event.new_value = Some(format!("session until {}", rfc3339(expires_at)));
    state.write(move |store| store.start_session(&digest, &session, &event)).await?;
    let body = LoginDto {
        username: user.name,
        role: role.as_str(),
        expires_at: rfc3339(expires_at),
        expires_at_ns: expires_at.as_nanos(),
    };
    let max_age = i64::from(security.session_hours) * 3600;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={max_age}"
    );
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized { detail: "wrong user name or password".into(), invalid_token: false }
}

/// Changes the caller's own password: the current one proves it is the account's owner at the
/// keyboard (a wrong one is an audited `password.failure` that counts towards the login
/// lockout, as a failed login does). Every other session of the account ends; the caller's
/// own session, if they came with one, stays. API tokens are not passwords and stay.
pub(super) async fn change_password(
    State(state): State<ApiState>,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<PasswordChangeBody>,
) -> Result<StatusCode, ApiError> {
    let Some(name) = principal.user().map(str::to_string) else {
        return Err(ApiError::Forbidden(
            "the admin token has no password to change; it is replaced by rotating its file".into(),
        ));
    };
    let at = now();
    check_lockout(&state, &name, at).await?;
    let lookup = name.clone();
    let stored = state.read(move |store| store.user(&lookup)).await?.map(|u| u.password_hash);
    let current = body.current_password;
    let matched =
        tokio::task::spawn_blocking(move || verify_password(&current, stored.as_deref())).await?;
    if !matched {
        let mut event =
            Event::new(at, principal.actor(), "password.failure", format!("user/{name}"));
        event.reason = Some("wrong current password when changing it".into());
        state.write(move |store| store.append_event(&event)).await?;
        return Err(ApiError::Unauthorized {
            detail: "the current password is wrong".into(),
            invalid_token: false,
        });
    }
    let hash = super::users::new_password_hash(&state, &name, body.new_password).await?;
    let keep = match principal.via {
        Via::Session(digest) => Some(digest),
        _ => None,
    };
    let mut event = Event::new(now(), principal.actor(), "user.password", format!("user/{name}"));
    event.new_value = Some("password changed by its owner; other sessions ended".into());
    state.write(move |store| store.set_password(&name, &hash, keep.as_ref(), &event)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 429 when `name` has too many recent failures; the refusal is audited as `login.locked`
/// (a denial, not a failure, so it does not extend the lockout).
pub(super) async fn check_lockout(
    state: &ApiState,
    name: &str,
    at: Timestamp,
) -> Result<(), ApiError> {
    let since = lockout_since(state, at);
    let lookup = name.to_string();
    let failures = state.read(move |store| store.failed_logins(&lookup, since)).await?;
    refuse_if_locked(state, &failures, name, name, at).await
}

/// [`check_lockout`] for a login name that is no user's: its failures are counted in memory,
/// and the `login.locked` record names [`UNKNOWN_USER`], not the name.
async fn check_unknown_lockout(
    state: &ApiState,
    name: &str,
    at: Timestamp,
) -> Result<(), ApiError> {
    let failures = state.unknown_logins().failures(name, lockout_since(state, at));
    refuse_if_locked(state, &failures, name, UNKNOWN_USER, at).await
}

/// The start of the lockout window that ends at `at`.
fn lockout_since(state: &ApiState, at: Timestamp) -> Timestamp {
    let window = i64::from(state.security().lockout_minutes) * NANOS_PER_MINUTE;
    Timestamp::from_nanos(at.as_nanos().saturating_sub(window))
}

/// 429 when `failures` (of `name`, oldest first, within the window) reach the limit, with a
/// `login.locked` record whose actor is `recorded`.
async fn refuse_if_locked(
    state: &ApiState,
    failures: &[Timestamp],
    name: &str,
    recorded: &str,
    at: Timestamp,
) -> Result<(), ApiError> {
    let security = state.security();
    let window = i64::from(security.lockout_minutes) * NANOS_PER_MINUTE;
    let max = usize::try_from(security.max_failed_logins).unwrap_or(usize::MAX).max(1);
    if failures.len() < max {
        return Ok(());
    }
    // Locked until enough failures have left the window to be below the limit again.
    let oldest_counted = failures[failures.len() - max];
    let until = oldest_counted.as_nanos().saturating_add(window);
    let retry_after =
        u64::try_from((until - at.as_nanos()).max(0) / 1_000_000_000 + 1).unwrap_or(1);
    let mut event =
        Event::new(at, recorded.to_string(), "login.locked", format!("user/{recorded}"));
    event.reason = Some(format!(
        "{} failed logins within {} minutes; locked for {retry_after} s",
        failures.len(),
        security.lockout_minutes
    ));
    state.write(move |store| store.append_event(&event)).await?;
    Err(ApiError::Locked {
        detail: format!("too many failed logins for `{name}`; try again in {retry_after} s"),
        retry_after,
    })
}

/// Ends the caller's session (if they came with one) and clears the cookie.
pub(super) async fn logout(
    State(state): State<ApiState>,
    Caller(principal): Caller,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Via::Session(digest) = principal.via {
        let event =
            Event::new(now(), principal.actor(), "logout", format!("user/{}", principal.name));
        state.write(move |store| store.end_session(&digest, &event)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if session_cookie(&headers).is_some() || matches!(principal.via, Via::Session(_)) {
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "faultline_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0",
            ),
        );
    }
    Ok(response)
}

/// Who is calling.
pub(super) async fn me(Caller(principal): Caller) -> Json<MeDto> {
    Json(MeDto {
        username: principal.name,
        role: principal.role.as_str(),
        permissions: permission_names(principal.role),
    })
}
