//! `GET /api/v1/models`, `POST /api/v1/models?asset=&comment=` (upload) and
//! `POST /api/v1/models/{asset}/{version}/activate`. Upload and activation are the engine's
//! audited commands (the caller is the actor); the engine checks the file and that it fits the
//! asset.
//!
//! Activation carries an electronic signature (21 CFR Part 11 style): the signer re-enters
//! their password and states what the signature means. The password is checked here, before
//! the command; a wrong one is a 401 and an audited `signature.failure` that counts towards
//! the login lockout (it is a password guess like any other). The signature (signer, time,
//! meaning) is stored in the activation's audit record, where the hash chain binds it to that
//! record, and shown with the model version.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faultline_pipeline::{Command, CommandOutcome};

use faultline_auth::verify_password;
use faultline_store::{Event, Signature};

use crate::auth::Caller;
use crate::dto::{ActivateBody, ModelDto, ModelsQuery, TrainingDto, UploadQuery};
use crate::extract::{JsonBody, Params, PathParams, RawBody, comment};
use crate::times::now;
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
    let command =
        Command::UploadModel { asset, bytes: bytes.to_vec(), actor: caller.actor(), comment };
    let model = model_outcome(state.engine().command(command).await?)?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// Activates a registered version, signed by the caller.
pub(super) async fn activate(
    State(state): State<ApiState>,
    Caller(caller): Caller,
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
    let Some(signer) = caller.user().map(str::to_string) else {
        return Err(ApiError::Forbidden(
            "an electronic signature needs a user account; the admin token cannot sign".into(),
        ));
    };
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
    let command = Command::ActivateModel {
        asset,
        version,
        actor: caller.actor(),
        comment,
        signature: Some(signature),
    };
    Ok(Json(model_outcome(state.engine().command(command).await?)?))
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
