//! The users API (admin only): list, create, change role, disable, and API tokens for machines
//! and scripts. Every change is one store transaction that writes its audit record first, with
//! the caller as actor; passwords are checked against the rules and hashed (Argon2id) before
//! they reach the store, and a new token's value is in the answer only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faultline_auth::{
    Role, check_password, check_username, hash_password, new_token, token_digest,
};
use faultline_store::{ApiToken, Event, User};
use faultline_types::Timestamp;

use crate::auth::Caller;
use crate::dto::{
    NewTokenBody, NewTokenDto, NewUserBody, OptionalCommentBody, PasswordResetBody, RoleBody,
    TokenDto, UserDto,
};
use crate::extract::{JsonBody, PathParams, RawBody, comment};
use crate::times::{now, rfc3339};
use crate::{ApiError, ApiState};

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// Every user.
pub(super) async fn list(State(state): State<ApiState>) -> Result<Json<Vec<UserDto>>, ApiError> {
    let users = state.read(|store| store.users()).await?;
    Ok(Json(users.into_iter().map(UserDto::from).collect()))
}

fn role(name: &str) -> Result<Role, ApiError> {
    Role::parse(name).ok_or_else(|| {
        ApiError::Invalid(format!("role `{name}` is not one of viewer, operator, engineer, admin"))
    })
}

/// The user called `name`, or a 404 naming it.
async fn existing_user(state: &ApiState, name: &str) -> Result<User, ApiError> {
    let lookup = name.to_string();
    state
        .read(move |store| store.user(&lookup))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user `{name}`")))
}

/// Creates a user.
pub(super) async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    check_username(&body.username).map_err(ApiError::Invalid)?;
    let role = role(&body.role)?;
    let hash = new_password_hash(&state, &body.username, body.password).await?;
    let at = now();
    let user = User {
        name: body.username.clone(),
        role: role.as_str().into(),
        password_hash: hash,
        disabled: false,
        created_at: at,
    };
    let mut event = Event::new(at, caller.actor(), "user.create", format!("user/{}", user.name));
    event.new_value = Some(role.as_str().into());
    let stored = user.clone();
    state.write(move |store| store.add_user(&stored, &event)).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(user))))
}

/// Changes a user's role.
pub(super) async fn set_role(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(name): PathParams<String>,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<Json<UserDto>, ApiError> {
    let role = role(&body.role)?;
    let comment = comment(Some(&body.comment))?;
    let user = existing_user(&state, &name).await?;
    let mut event = Event::new(now(), caller.actor(), "user.role", format!("user/{name}"));
    event.old_value = Some(user.role.clone());
    event.new_value = Some(role.as_str().into());
    event.reason = Some(comment);
    let target = name.clone();
    state.write(move |store| store.set_user_role(&target, role.as_str(), &event)).await?;
    Ok(Json(UserDto::from(User { role: role.as_str().into(), ..user })))
}

/// Disables a user (their sessions and tokens end with it).
pub(super) async fn disable(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(name): PathParams<String>,
    RawBody(bytes): RawBody,
) -> Result<Json<UserDto>, ApiError> {
    let reason = optional_comment(&bytes)?;
    if caller.user() == Some(name.as_str()) {
        return Err(ApiError::Conflict(
            "you cannot disable your own account; another admin can".into(),
        ));
    }
    let user = existing_user(&state, &name).await?;
    let mut event = Event::new(now(), caller.actor(), "user.disable", format!("user/{name}"));
    event.old_value = Some(if user.disabled { "disabled" } else { "enabled" }.into());
    event.new_value = Some("disabled".into());
    event.reason = reason;
    let target = name.clone();
    state.write(move |store| store.disable_user(&target, &event)).await?;
    Ok(Json(UserDto::from(User { disabled: true, ..user })))
}

/// Creates an API token; its value is in this answer only.
pub(super) async fn create_token(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<(StatusCode, Json<NewTokenDto>), ApiError> {
    let label = body.label.trim().to_string();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::Invalid("`label` must have 1 to 100 characters".into()));
    }
    let username = match body.username.or_else(|| caller.user().map(str::to_string)) {
        Some(name) => name,
        None => {
            return Err(ApiError::Invalid(
                "`username` is required: the admin token is not a user a token could act for"
                    .into(),
            ));
        }
    };
    let lookup = username.clone();
    let user = state
        .read(move |store| store.user(&lookup))
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| ApiError::NotFound(format!("user `{username}` (or it is disabled)")))?;
    let user_role = role(&user.role)?;
    let token_role = match body.role.as_deref() {
        Some(name) => role(name)?,
        None => user_role,
    };
    if token_role > user_role {
        return Err(ApiError::Invalid(format!(
            "a token of `{username}` can have at most the role {user_role}"
        )));
    }
    let at = now();
    let expires_at = match body.expires_days {
        Some(0) => return Err(ApiError::Invalid("`expires_days` must be at least 1".into())),
        Some(days) => Some(Timestamp::from_nanos(
            at.as_nanos().saturating_add(i64::from(days).saturating_mul(NANOS_PER_DAY)),
        )),
        None => None,
    };
    let plain = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let digest = token_digest(&plain);
    let token = ApiToken {
        id: 0,
        username: username.clone(),
        role: token_role.as_str().into(),
        label: label.clone(),
        created_at: at,
        expires_at,
        revoked: false,
        last_used: None,
    };
    let mut event = Event::new(at, caller.actor(), "token.create", format!("user/{username}"));
    event.new_value = Some(format!("role {token_role}, label {label}"));
    let id = state.write(move |store| store.add_api_token(&digest, &token, &event)).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenDto {
            id,
            token: plain,
            username,
            role: token_role.as_str().into(),
            label,
            expires_at: expires_at.map(rfc3339),
        }),
    ))
}

/// The comment of an optional `{"comment": "..."}` body, trimmed; an empty body or a blank
/// comment is none.
fn optional_comment(bytes: &[u8]) -> Result<Option<String>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body: OptionalCommentBody = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Invalid(format!("request body: {e}")))?;
    Ok(body.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()))
}

/// Checks `password` against the rules for `username` and hashes it (Argon2id, off the async
/// threads: hashing takes tens of milliseconds on purpose).
pub(super) async fn new_password_hash(
    state: &ApiState,
    username: &str,
    password: String,
) -> Result<String, ApiError> {
    check_password(username, &password, state.security().min_password_length)
        .map_err(ApiError::Invalid)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Sets a new password for a user who lost theirs; all their sessions end. The password never
/// reaches the audit record, only who reset it and why.
pub(super) async fn reset_password(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(name): PathParams<String>,
    JsonBody(body): JsonBody<PasswordResetBody>,
) -> Result<Json<UserDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    let user = existing_user(&state, &name).await?;
    let hash = new_password_hash(&state, &name, body.password).await?;
    let mut event =
        Event::new(now(), caller.actor(), "user.password.reset", format!("user/{name}"));
    event.new_value = Some("new password set by an administrator; sessions ended".into());
    event.reason = Some(comment);
    let target = name.clone();
    state.write(move |store| store.set_password(&target, &hash, None, &event)).await?;
    Ok(Json(UserDto::from(user)))
}

/// Every API token, by id (never their values).
pub(super) async fn list_tokens(
    State(state): State<ApiState>,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let tokens = state.read(|store| store.api_tokens()).await?;
    Ok(Json(tokens.into_iter().map(TokenDto::from).collect()))
}

/// Revokes an API token (a leaked one, or one whose machine is gone). Revoking a revoked token
/// is a 409, so that each revocation has exactly one audit record.
pub(super) async fn revoke_token(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(id): PathParams<u64>,
    RawBody(bytes): RawBody,
) -> Result<Json<TokenDto>, ApiError> {
    let reason = optional_comment(&bytes)?;
    let token = state
        .read(|store| store.api_tokens())
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("API token {id}")))?;
    if token.revoked {
        return Err(ApiError::Conflict(format!("API token {id} is already revoked")));
    }
    let target = format!("user/{}", token.username);
    let mut event = Event::new(now(), caller.actor(), "token.revoke", target);
    event.old_value = Some(format!("token-{id} ({}) active", token.label));
    event.new_value = Some(format!("token-{id} revoked"));
    event.reason = reason;
    state.write(move |store| store.revoke_api_token(id, &event)).await?;
    Ok(Json(TokenDto::from(ApiToken { revoked: true, ..token })))
}
