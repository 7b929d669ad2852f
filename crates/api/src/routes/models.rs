//! `GET /api/v1/models`, `POST /api/v1/models?asset=&comment=` (upload) and
//! `POST /api/v1/models/{asset}/{version}/activate`. Upload and activation are the engine's
//! audited commands (actor `admin`); the engine checks the file and that it fits the asset.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use faultline_pipeline::{Command, CommandOutcome};

use crate::auth::ADMIN_ACTOR;
use crate::dto::{CommentBody, ModelDto, ModelsQuery, UploadQuery};
use crate::extract::{JsonBody, Params, PathParams, RawBody, comment};
use crate::{ApiError, ApiState};

/// Registered versions, by asset then version.
pub(super) async fn list(
    State(state): State<ApiState>,
    Params(query): Params<ModelsQuery>,
) -> Result<Json<Vec<ModelDto>>, ApiError> {
    let asset = query.asset.filter(|a| !a.is_empty());
    let models = state.read(move |store| store.models(asset.as_deref())).await?;
    Ok(Json(models.into_iter().map(ModelDto::from).collect()))
}

/// Registers the body as the asset's next model version (not active).
pub(super) async fn upload(
    State(state): State<ApiState>,
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
        Command::UploadModel { asset, bytes: bytes.to_vec(), actor: ADMIN_ACTOR.into(), comment };
    let model = model_outcome(state.engine().command(command).await?)?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// Activates a registered version.
pub(super) async fn activate(
    State(state): State<ApiState>,
    PathParams((asset, version)): PathParams<(String, u32)>,
    JsonBody(body): JsonBody<CommentBody>,
) -> Result<Json<ModelDto>, ApiError> {
    let comment = comment(Some(&body.comment))?;
    let command = Command::ActivateModel { asset, version, actor: ADMIN_ACTOR.into(), comment };
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
