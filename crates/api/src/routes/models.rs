//! `GET /api/v1/models`, `POST /api/v1/models?asset=&comment=` (upload) and
//! `POST /api/v1/models/{asset}/{version}/activate`. Upload and activation are the engine's
//! audited commands (the caller is the actor); the engine checks the file and that it fits the
//! asset.
//!
//! Activation carries an electronic signature (21 CFR Part 11 style): the signer re-enters
//! their password and states what the signature means. The password is checked here, before
//! the command; a wrong one is a 401 and an audited `signature.failure` that counts towards
//! the login lockout (it is a password guess like any other), and a locked account cannot
//! sign until its lockout ends. Only a login session signs: not the admin token (not a
//! person) and not an API token (a script is not its owner at the keyboard). The signature (signer, time,
//! meaning) is stored in the activation's audit record, where the hash chain binds it to that
//! record, and shown with the model version.
//!
//! A well-formed, authorised command that the engine refuses (a file that is not a model or
//! does not fit the asset, an unknown version) changes nothing, yet who tried what is for the
//! audit trail to say: it writes `model.upload.refused` or `model.activate.refused` with the
//! reason (cut short: it may quote the file) and the comment, the refused activation with its
//! signature.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use faultline_pipeline::{Command, CommandOutcome};

use faultline_auth::verify_password;
use faultline_store::{Event, ModelArtifact, Signature};
use faultline_train::{RefitMethod, history_rows, refit_bytes};
use faultline_types::Timestamp;

use super::session::check_lockout;
use crate::auth::{Caller, ClientAddr, Via, forbid, printable, sha256_hex};
use crate::dto::{
    ActivateBody, ModelDto, ModelsQuery, RefitBody, RefitDto, TrainingDto, UploadQuery,
};
use crate::extract::{JsonBody, Params, PathParams, RawBody, comment};
use crate::times::{now, parse_time, rfc3339};
use crate::{ApiError, ApiState};

/// Registered versions, by asset then version.
pub(super) async fn list(
    State(state): State<ApiState>,
    Params(query): Params<ModelsQuery>,
) -> Result<Json<Vec<ModelDto>>, ApiError> {
    let asset = query.asset.filter(|a| !a.is_empty());
    let listed = state
        .read(move |store| {
            let mut listed = Vec::new();
            for model in store.models(asset.as_deref())? {
                let training = store.model_training(&model.asset, model.version)?;
                listed.push((model, training));
            }
            Ok(listed)
        })
        .await?;
    let dto = |(model, training): (_, Option<_>)| ModelDto {
        training: training.map(TrainingDto::from),
        ..ModelDto::from(model)
    };
    Ok(Json(listed.into_iter().map(dto).collect()))
}

/// Registers the body as the asset's next model version (not active).
pub(super) async fn upload(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Params(query): Params<UploadQuery>,
    RawBody(bytes): RawBody,
) -> Result<(StatusCode, Json<ModelDto>), ApiError> {
    let asset = query
        .asset
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::Invalid("the query parameter `asset` is required".into()))?;
    let comment = comment(query.comment.as_deref())?;
    if bytes.is_empty() {
        return Err(ApiError::Invalid("the body must be the model file's bytes".into()));
    }
    let refused = |reason| upload_refused(caller.actor(), &asset, sha256_hex(&bytes), reason);
    let command = Command::UploadModel {
        asset: asset.clone(),
        bytes: bytes.to_vec(),
        actor: caller.actor(),
        comment: comment.clone(),
    };
    let model = engine_command(&state, command, &comment, refused).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// Activates a registered version, signed by the caller.
pub(super) async fn activate(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    method: Method,
    uri: Uri,
    ClientAddr(client): ClientAddr,
    PathParams((asset, version)): PathParams<(String, u32)>,
    JsonBody(body): JsonBody<ActivateBody>,
) -> Result<Json<ModelDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    let meaning = body.signature.meaning.trim().to_string();
    if meaning.is_empty() || meaning.chars().count() > 200 {
        return Err(ApiError::Invalid(
            "`signature.meaning` must say what the signature means (1 to 200 characters), e.g. \
             `approved`"
                .into(),
        ));
    }
    let refusal = match caller.via {
        Via::Session(_) => None,
        Via::AdminToken => {
            Some("an electronic signature needs a user account; the admin token cannot sign")
        }
        Via::ApiToken(_) => Some(
            "an electronic signature is given in a login session (the dashboard, or POST \
             /api/v1/login), not with an API token: a token kept in a script is not its owner \
             at the keyboard",
        ),
    };
    if let Some(detail) = refusal {
        let path = uri.path();
        return Err(forbid(&state, &caller, detail.into(), &method, path, client).await);
    }
    let signer = caller.name.clone();
    // The password is a guess like a login's: a locked account may not try it here either.
    check_lockout(&state, &signer, now()).await?;
    let lookup = signer.clone();
    let user = state.read(move |store| store.user(&lookup)).await?;
    let stored = user.map(|u| u.password_hash);
    let password = body.signature.password;
    let matched =
        tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref())).await?;
    let at = now();
    if !matched {
        let mut event =
            Event::new(at, caller.actor(), "signature.failure", format!("user/{signer}"));
        event.new_value = Some(format!("model.activate {asset} v{version}"));
        event.reason = Some("wrong password for the electronic signature".into());
        state.write(move |store| store.append_event(&event)).await?;
        return Err(ApiError::Unauthorized {
            detail: "the signature's password is wrong".into(),
            invalid_token: false,
        });
    }
    let signature = Signature { signer, signed_at: at, meaning };
    let refused = |reason| {
        let target = printable(&asset, REFUSAL_CHARS);
        let mut event = Event::new(at, caller.actor(), "model.activate.refused", target);
        event.new_value = Some(version.to_string());
        event.reason = Some(reason);
        event.signature = Some(signature.clone());
        event
    };
    let command = Command::ActivateModel {
        asset: asset.clone(),
        version,
        actor: caller.actor(),
        comment: comment.clone(),
        signature: Some(signature.clone()),
    };
    Ok(Json(engine_command(&state, command, &comment, refused).await?))
}

/// Longest refusal text (and asset name) kept in a `model.*.refused` record: the engine's
/// reason can quote the refused file (serde names an unknown field word for word), the asset
/// name is the caller's, and the trail keeps every record for good.
const REFUSAL_CHARS: usize = 500;

/// Runs a model command; when the engine refuses it (a 4xx: nothing changed), writes the record
/// `refused` builds from the reason (the refusal, cut to [`REFUSAL_CHARS`] printable
/// characters, and the caller's comment) before answering. A refusal whose record cannot be
/// written is answered with that failure instead (still refused, and visible).
async fn engine_command(
    state: &ApiState,
    command: Command,
    comment: &str,
    refused: impl FnOnce(String) -> Event,
) -> Result<ModelDto, ApiError> {
    let error = match state.engine().command(command).await {
        Ok(outcome) => return model_outcome(outcome),
        Err(error) => ApiError::from(error),
    };
    if !error.status().is_client_error() {
        return Err(error);
    }
    let event =
        refused(format!("{} (comment: {comment})", printable(&error.detail(), REFUSAL_CHARS)));
    state.write(move |store| store.append_event(&event)).await?;
    Err(error)
}

/// The `model.upload.refused` record of an upload or refit the engine refused.
fn upload_refused(actor: String, asset: &str, sha256: String, reason: String) -> Event {
    let target = printable(asset, REFUSAL_CHARS);
    let mut event = Event::new(now(), actor, "model.upload.refused", target);
    event.new_value = Some(sha256);
    event.reason = Some(reason);
    event
}

fn model_outcome(outcome: CommandOutcome) -> Result<ModelDto, ApiError> {
    match outcome {
        CommandOutcome::Model(version) => Ok(version.into()),
        CommandOutcome::Alarm(alarm) => Err(ApiError::Internal(format!(
            "the engine answered a model command with alarm {}",
            alarm.id
        ))),
    }
}

/// Most journaled samples one refit reads: a window beyond this is refused (narrow it) rather
/// than silently cut.
const REFIT_MAX_SAMPLES: usize = 200_000;

/// A time given in a JSON body: RFC 3339 text or integer epoch nanoseconds.
fn body_time(name: &str, value: &serde_json::Value) -> Result<Timestamp, ApiError> {
    match value {
        serde_json::Value::String(text) => parse_time(name, text),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Timestamp::from_nanos)
            .ok_or_else(|| ApiError::Invalid(format!("`{name}` must be whole epoch nanoseconds"))),
        _ => Err(ApiError::Invalid(format!("`{name}` must be RFC 3339 text or epoch nanoseconds"))),
    }
}

/// Fits a new version of the asset's model on a window of its own journaled history and
/// registers it (audited like an upload, the window and the reason in the comment). It does
/// not activate it: that stays the signed decision of `activate`. The channels are the active
/// model's, so the new version fits the asset as configured.
pub(super) async fn refit(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    PathParams(asset): PathParams<String>,
    JsonBody(body): JsonBody<RefitBody>,
) -> Result<(StatusCode, Json<RefitDto>), ApiError> {
    let reason = comment(Some(&body.comment))?;
    let (from, to) = (body_time("from", &body.from)?, body_time("to", &body.to)?);
    if to <= from {
        return Err(ApiError::Invalid("`to` must be after `from`".into()));
    }
    let status = state.engine().assets().into_iter().find(|a| a.name == asset);
    let status = status.ok_or_else(|| ApiError::NotFound(format!("asset `{asset}`")))?;
    let method_name = match (&body.method, &status.model) {
        (Some(name), _) => name.clone(),
        (None, Some((_, kind))) if RefitMethod::parse(kind).is_some() => kind.clone(),
        (None, _) => "default".into(),
    };
    let method = RefitMethod::parse(&method_name).ok_or_else(|| {
        ApiError::Invalid(format!("`method` `{method_name}` is not one of default, pca"))
    })?;
    let lookup = asset.clone();
    let (active, samples) = state
        .read(move |store| {
            let active = store.active_model(&lookup)?;
            Ok((active, store.samples(&lookup, from, to, REFIT_MAX_SAMPLES + 1)?))
        })
        .await?;
    let Some((version, bytes)) = active else {
        return Err(ApiError::Conflict(format!(
            "`{asset}` has no active model to take its channels from; upload one first"
        )));
    };
    if samples.len() > REFIT_MAX_SAMPLES {
        return Err(ApiError::Invalid(format!(
            "the window holds more than {REFIT_MAX_SAMPLES} samples; narrow it"
        )));
    }
    let place = std::path::PathBuf::from(format!("model {asset} v{}", version.version));
    let schema = ModelArtifact::<serde::de::IgnoredAny>::from_bytes(&bytes, &place)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .schema;
    let window = format!("journal {asset} {} .. {}", rfc3339(from), rfc3339(to));
    let fitted = {
        let window = window.clone();
        tokio::task::spawn_blocking(move || {
            let samples: Vec<_> = samples.into_iter().map(|s| s.sample).collect();
            let rows = history_rows(&window, &schema, &samples);
            if rows.recording.rows() == 0 {
                return Err(ApiError::Invalid(format!(
                    "{window} holds no sample with every channel measured ({} samples, {} \
                     incomplete); pick a window in which the asset was recording",
                    samples.len(),
                    rows.incomplete
                )));
            }
            let bytes =
                refit_bytes(&rows, method, window).map_err(|e| ApiError::Invalid(e.to_string()))?;
            Ok((rows, bytes))
        })
        .await?
    };
    let (rows, bytes) = fitted?;
    let comment = format!("refit ({method_name}) on {window}: {reason}");
    let sha256 = sha256_hex(&bytes);
    let refused = |reason| upload_refused(caller.actor(), &asset, sha256, reason);
    let command = Command::UploadModel {
        asset: asset.clone(),
        bytes,
        actor: caller.actor(),
        comment: comment.clone(),
    };
    let model = engine_command(&state, command, &comment, refused).await?;
    Ok((
        StatusCode::CREATED,
        Json(RefitDto {
            model,
            rows: rows.recording.rows(),
            incomplete: rows.incomplete,
            rejected: rows.rejected,
        }),
    ))
}
