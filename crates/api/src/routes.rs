//! The route table: every route the server answers, with its method, path, documentation,
//! authentication, body limit and handler. `app` registers exactly these routes and `openapi`
//! documents exactly these, so a route cannot exist without being documented (and without its
//! authentication being decided here). The handlers live in `routes/<resource>.rs`.

use axum::routing::{MethodFilter, MethodRouter, on};

use faultline_auth::Permission;

use crate::ApiState;

mod alarms;
mod assets;
mod audit;
mod events;
mod fallback;
mod health;
mod ingest;
mod metrics;
mod models;
mod openapi;
mod rejects;
mod session;
pub(crate) mod stream;
mod users;

pub(crate) use fallback::{method_not_allowed, not_found};
pub(crate) use stream::Shutdown;

const MIB: usize = 1024 * 1024;
/// Body limit of every route but model upload.
pub(crate) const BODY_LIMIT: usize = 4 * MIB;
/// Body limit of the login route: a user name and a password.
pub(crate) const LOGIN_BODY_LIMIT: usize = 16 * 1024;
/// Body limit of model upload (model files of wide assets are large).
pub(crate) const MODEL_BODY_LIMIT: usize = 16 * MIB;

/// Content types used by the table.
pub(crate) const JSON: &str = "application/json";
const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const EVENT_STREAM: &str = "text/event-stream";
const OCTETS: &str = "application/octet-stream";

/// Paths served outside this table without authentication: the dashboard's static files
/// (`web.rs`), the same for everyone and without data. Listed here so that the route-table
/// test knows them, and any other path outside the table stays guarded.
pub(crate) const PUBLIC_STATIC: &[&str] = &["/", "/ui/{*path}"];

/// Whether a path outside the table belongs to the public static files (a missing file there
/// is a plain 404: it reveals nothing about the API).
pub(crate) fn is_public_static(path: &str) -> bool {
    PUBLIC_STATIC.iter().any(|public| match public.strip_suffix("{*path}") {
        Some(prefix) => path.starts_with(prefix),
        None => path == *public,
    })
}

/// HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    Get,
    Post,
}

impl Method {
    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        }
    }

    /// Upper case, as on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Who may call a route. Every route names one, so a route cannot exist with its access
/// undecided; the guard (`auth.rs`) enforces it and `docs/security.md` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone, no credentials (only `/health`).
    Open,
    /// Anyone: the login route, which checks the credentials in its body itself.
    Login,
    /// Any authenticated caller, whatever the role (`me`, `logout`).
    Authenticated,
    /// Callers whose role holds the permission (policy table in `faultline-auth`).
    Permission(Permission),
}

/// The type of a parameter, for the OpenAPI schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
    /// RFC 3339 with offset, or integer epoch nanoseconds.
    Time,
}

/// A path or query parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub description: &'static str,
}

/// A request or response body.
#[derive(Debug)]
pub(crate) struct Content {
    pub content_type: &'static str,
    pub description: &'static str,
}

/// One route.
pub(crate) struct Route {
    pub method: Method,
    /// Full path with `{name}` parameters, as axum 0.8 and OpenAPI write them.
    pub path: &'static str,
    /// OpenAPI `operationId`.
    pub operation: &'static str,
    /// Resource, the OpenAPI tag (and the handler's module).
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// One entry per `{name}` in `path`, in order.
    pub path_params: &'static [Param],
    pub query: &'static [Param],
    pub request: Option<Content>,
    /// Success status and body.
    pub status: u16,
    pub response: Content,
    /// Error statuses beyond 401 and 403 (guarded routes) and 500, which every route may
    /// answer.
    pub errors: &'static [u16],
    pub body_limit: usize,
    /// Builds the handler for the route's method filter.
    pub handler: fn(MethodFilter) -> MethodRouter<ApiState>,
}

const ASSET: Param = Param {
    name: "asset",
    kind: Kind::Text,
    required: true,
    description: "Asset name, as configured.",
};
const USERNAME: Param =
    Param { name: "username", kind: Kind::Text, required: true, description: "User name." };
const ALARM_ID: Param =
    Param { name: "id", kind: Kind::Integer, required: true, description: "Alarm id." };
const TOKEN_ID: Param =
    Param { name: "id", kind: Kind::Integer, required: true, description: "API token id." };
const FROM: Param = Param {
    name: "from",
    kind: Kind::Time,
    required: false,
    description: "Inclusive start: RFC 3339 with offset (2024-05-01T12:00:00Z) or integer epoch \
                  nanoseconds.",
};
const TO: Param = Param {
    name: "to",
    kind: Kind::Time,
    required: false,
    description: "Exclusive end: RFC 3339 with offset or integer epoch nanoseconds.",
};
const COMMENT_BODY: Content = Content {
    content_type: JSON,
    description: "`{\"comment\": \"...\"}`: why; required, not blank, recorded in the audit trail.",
};

/// Every route, in documentation order.
pub(crate) static ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/health",
        operation: "health",
        tag: "health",
        summary: "Liveness: 200 while the server answers. The one route without authentication.",
        access: Access::Open,
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content { content_type: JSON, description: "`{\"status\": \"ok\"}`." },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, health::get),
    },
    Route {
        method: Method::Get,
        path: "/metrics",
        operation: "metrics",
        tag: "metrics",
        summary: "Counters and gauges in the Prometheus text format.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: TEXT,
            description: "faultline_samples_received_total, faultline_samples_stored_total, \
                          faultline_samples_rejected_total{reason} (every reason), \
                          faultline_frames_scored_total, faultline_alarms_raised_total, \
                          faultline_journal_commits_total, faultline_journal_commit_seconds_total, \
                          faultline_alarm_latency_seconds{quantile=\"0.5\"|\"0.99\"}, \
                          faultline_uptime_seconds, faultline_asset_open_alarms{asset}, \
                          faultline_asset_silent_channels{asset}, \
                          faultline_asset_last_sample_age_seconds{asset}.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, metrics::get),
    },
    Route {
        method: Method::Get,
        path: "/api/openapi.json",
        operation: "openapi",
        tag: "openapi",
        summary: "This API's OpenAPI 3.1 document, generated from the route table.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content { content_type: JSON, description: "The OpenAPI document." },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, openapi::get),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/assets",
        operation: "listAssets",
        tag: "assets",
        summary: "Configured assets with their live state, active model, latest score and number \
                  of open alarms.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{name, site, state, channels, model, last_score, \
                          silent_channels, open_alarms, seconds_since_last_sample}`; state is \
                          no_model, waiting, alarm, out_of_control or normal.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, assets::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/assets/{asset}/scores",
        operation: "listScores",
        tag: "assets",
        summary: "Scores of an asset: without from/to the latest `limit` (default 100); with a \
                  range those in [from, to), oldest first (default limit 1000).",
        access: Access::Permission(Permission::Read),
        path_params: &[ASSET],
        query: &[
            FROM,
            TO,
            Param {
                name: "limit",
                kind: Kind::Integer,
                required: false,
                description: "Most scores, 1..=10000.",
            },
        ],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{asset, scores: [{ts, ts_ns, t2, t2_limit, spe, spe_limit, alarm, \
                          imputed, top: [{channel, value}]}], next_from}`, oldest first; \
                          next_from is the `from` of the next page when a range page is full.",
        },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, assets::scores),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/assets/{asset}/history",
        operation: "listSamples",
        tag: "assets",
        summary: "Raw samples of an asset in [from, to), oldest first. Without `to`: up to the \
                  newest sample; without `from`: the hour before `to`.",
        access: Access::Permission(Permission::Read),
        path_params: &[ASSET],
        query: &[
            FROM,
            TO,
            Param {
                name: "limit",
                kind: Kind::Integer,
                required: false,
                description: "Most samples, 1..=10000 (default 1000).",
            },
        ],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{asset, from_ns, to_ns, samples: [{seq, ts, ts_ns, values, quality?, \
                          context?}], next_from}`.",
        },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, assets::history),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/alarms",
        operation: "listAlarms",
        tag: "alarms",
        summary: "Alarms, newest first, optionally filtered by asset and state.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[
            Param {
                name: "asset",
                kind: Kind::Text,
                required: false,
                description: "Only this asset's alarms.",
            },
            Param {
                name: "state",
                kind: Kind::Text,
                required: false,
                description: "Comma-separated states (normal, unacked_active, acked_active, \
                              unacked_returned, shelved, suppressed), or `open` for all but \
                              normal.",
            },
            Param {
                name: "limit",
                kind: Kind::Integer,
                required: false,
                description: "Most alarms, 1..=10000 (default 100).",
            },
        ],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{id, asset, state, priority, raised_at, raised_at_ns, \
                          cleared_at, cleared_at_ns, peak, contributors: [{channel, value}], \
                          fault_class, kind}`; kind is process or silence.",
        },
        errors: &[400],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, alarms::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/alarms/{id}",
        operation: "getAlarm",
        tag: "alarms",
        summary: "One alarm.",
        access: Access::Permission(Permission::Read),
        path_params: &[ALARM_ID],
        query: &[],
        request: None,
        status: 200,
        response: Content { content_type: JSON, description: "The alarm." },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, alarms::get),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/alarms/{id}/ack",
        operation: "acknowledgeAlarm",
        tag: "alarms",
        summary: "Acknowledge an alarm (unacked_active → acked_active, unacked_returned → \
                  normal). Audited as alarm.ack.",
        access: Access::Permission(Permission::AlarmAct),
        path_params: &[ALARM_ID],
        query: &[],
        request: Some(COMMENT_BODY),
        status: 200,
        response: Content { content_type: JSON, description: "The alarm after the change." },
        errors: &[400, 404, 409, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, alarms::ack),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/alarms/{id}/shelve",
        operation: "shelveAlarm",
        tag: "alarms",
        summary: "Shelve an alarm until a time or for some minutes (at most 30 days). Audited as \
                  alarm.shelve.",
        access: Access::Permission(Permission::AlarmAct),
        path_params: &[ALARM_ID],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"comment\": \"...\", \"until\": \"2024-05-01T18:00:00Z\"}` or \
                          `{\"comment\": \"...\", \"minutes\": 60}`: exactly one of until and \
                          minutes.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The alarm after the change." },
        errors: &[400, 404, 409, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, alarms::shelve),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/alarms/{id}/unshelve",
        operation: "unshelveAlarm",
        tag: "alarms",
        summary: "Bring a shelved alarm back (unacked_active while its condition is active, else \
                  normal). Audited as alarm.unshelve.",
        access: Access::Permission(Permission::AlarmAct),
        path_params: &[ALARM_ID],
        query: &[],
        request: Some(COMMENT_BODY),
        status: 200,
        response: Content { content_type: JSON, description: "The alarm after the change." },
        errors: &[400, 404, 409, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, alarms::unshelve),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/models",
        operation: "listModels",
        tag: "models",
        summary: "Registered model versions, by asset then version.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[Param {
            name: "asset",
            kind: Kind::Text,
            required: false,
            description: "Only this asset's models.",
        }],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{asset, version, kind, sha256, size, created_at, \
                          created_at_ns, active, signature}`; signature is the activation's \
                          `{signer, signed_at, signed_at_ns, meaning}` or null.",
        },
        errors: &[400],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, models::list),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/models",
        operation: "uploadModel",
        tag: "models",
        summary: "Register a model file (`faultline fit` output) as the asset's next version. \
                  Not active until activated. Audited as model.upload (model.upload.refused \
                  when the file is refused).",
        access: Access::Permission(Permission::ModelUpload),
        path_params: &[],
        query: &[
            Param {
                name: "asset",
                kind: Kind::Text,
                required: true,
                description: "Asset the model is for.",
            },
            Param {
                name: "comment",
                kind: Kind::Text,
                required: true,
                description: "Why; recorded in the audit trail.",
            },
        ],
        request: Some(Content {
            content_type: OCTETS,
            description: "The model file's bytes (at most 16 MiB).",
        }),
        status: 201,
        response: Content { content_type: JSON, description: "The registered version." },
        errors: &[400, 404, 413, 503],
        body_limit: MODEL_BODY_LIMIT,
        handler: |m| on(m, models::upload),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/models/{asset}/{version}/activate",
        operation: "activateModel",
        tag: "models",
        summary: "Make a registered version the one that scores the asset, signed by an engineer \
                  or admin (password re-entered, meaning stated). Audited as model.activate with \
                  the signature bound to the record (model.activate.refused, with the signature, \
                  when the version is refused).",
        access: Access::Permission(Permission::ModelActivate),
        path_params: &[
            ASSET,
            Param {
                name: "version",
                kind: Kind::Integer,
                required: true,
                description: "Registry version.",
            },
        ],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"comment\": \"...\", \"signature\": {\"password\": \"...\", \
                          \"meaning\": \"approved\"}}`: the signer's password re-entered and \
                          what the signature means.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The activated version." },
        errors: &[400, 404, 429, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, models::activate),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/models/{asset}/refit",
        operation: "refitModel",
        tag: "models",
        summary: "Fit a new model version on a window of the asset's own journaled history (its \
                  new normal, e.g. after maintenance) and register it, inactive: activating it \
                  is the usual signed step. Channels are the active model's; only samples with \
                  every channel measured and usable are used. Audited as model.upload with the \
                  window and the comment (model.upload.refused when the fitted file is \
                  refused).",
        access: Access::Permission(Permission::ModelUpload),
        path_params: &[ASSET],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"from\": \"...\", \"to\": \"...\", \"method\"?: \
                          \"default|pca\", \"comment\": \"...\"}`; times RFC 3339 or epoch ns, \
                          `to` exclusive; method defaults to the active model's kind.",
        }),
        status: 201,
        response: Content {
            content_type: JSON,
            description: "`{model: {...}, rows, incomplete, rejected}`.",
        },
        errors: &[400, 404, 409],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, models::refit),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/rejects",
        operation: "rejectCounters",
        tag: "rejects",
        summary: "Rejected and dropped samples since start, by reason (every reason listed).",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{received, total, by_reason: {malformed, non_finite, unknown_asset, \
                          unknown_channel, out_of_order, duplicate, stale, overload, future}}`.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, rejects::get),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/events",
        operation: "listEvents",
        tag: "events",
        summary: "The audit trail, newest first: the newest `limit` events (below `before`), or \
                  with `after` the `limit` events that follow that id.",
        access: Access::Permission(Permission::AuditRead),
        path_params: &[],
        query: &[
            Param {
                name: "limit",
                kind: Kind::Integer,
                required: false,
                description: "Most events, 1..=1000 (default 100).",
            },
            Param {
                name: "after",
                kind: Kind::Integer,
                required: false,
                description: "Only events with a larger id: poll with the newest id seen.",
            },
            Param {
                name: "before",
                kind: Kind::Integer,
                required: false,
                description: "Only events with a smaller id: page back with the oldest id seen.",
            },
        ],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{id, at, at_ns, actor, action, target, old_value, new_value, \
                          reason}`, newest first.",
        },
        errors: &[400],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, events::list),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/ingest",
        operation: "ingest",
        tag: "ingest",
        summary: "Ingest a JSON batch `{\"samples\": [...]}` (docs/ingest.md). Answers only after \
                  the accepted samples are durable.",
        access: Access::Permission(Permission::Ingest),
        path_params: &[],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"samples\": [{\"asset\": \"...\", \"ts\": \"RFC 3339\" | epoch_ns, \
                          \"values\": {\"channel\": number}, \"quality\"?: {...}, \"context\"?: \
                          {...}}]}`, at most 4 MiB.",
        }),
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{accepted, rejected_total, rejected: {reason: count}}`.",
        },
        errors: &[400, 413, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, ingest::post),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/stream",
        operation: "stream",
        tag: "stream",
        summary: "Server-sent events: `score` for every scored frame, `alarm` for every alarm \
                  change, `lagged` when this client fell behind and events were skipped.",
        access: Access::Permission(Permission::Read),
        path_params: &[],
        query: &[Param {
            name: "asset",
            kind: Kind::Text,
            required: false,
            description: "Only this asset's events.",
        }],
        request: None,
        status: 200,
        response: Content {
            content_type: EVENT_STREAM,
            description: "event `score`: `{asset, ts, ts_ns, t2, t2_limit, spe, spe_limit, alarm, \
                          imputed, top}`; event `alarm`: `{action, from, to, alarm}`; event \
                          `lagged`: `{skipped}`.",
        },
        errors: &[404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, stream::get),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/login",
        operation: "login",
        tag: "session",
        summary: "Log in with user name and password: sets the session cookie. 401 for wrong or \
                  missing credentials, 429 (Retry-After) after too many failures. Audited as \
                  login.success or login.failure.",
        access: Access::Login,
        path_params: &[],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"username\": \"...\", \"password\": \"...\"}`.",
        }),
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{username, role, expires_at, expires_at_ns}` and `Set-Cookie: \
                          faultline_session=...; HttpOnly; Secure; SameSite=Strict; Path=/`.",
        },
        errors: &[401, 413, 429],
        body_limit: LOGIN_BODY_LIMIT,
        handler: |m| on(m, session::login),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/logout",
        operation: "logout",
        tag: "session",
        summary: "End the session (cookie cleared). Audited as logout.",
        access: Access::Authenticated,
        path_params: &[],
        query: &[],
        request: None,
        status: 204,
        response: Content { content_type: JSON, description: "No body." },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, session::logout),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/me",
        operation: "me",
        tag: "session",
        summary: "Who is calling: user name, role and the role's permissions.",
        access: Access::Authenticated,
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{username, role, permissions: [...]}`.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, session::me),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/me/password",
        operation: "changePassword",
        tag: "session",
        summary: "Change your own password. The current password must be right (a wrong one is a \
                  401, audited as password.failure and counted towards the login lockout); the \
                  new one must meet the password rules. Every other session of the account ends, \
                  this one stays; API tokens stay. Audited as user.password. Not for the admin \
                  token (403).",
        access: Access::Authenticated,
        path_params: &[],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"current_password\": \"...\", \"new_password\": \"...\"}`.",
        }),
        status: 204,
        response: Content { content_type: JSON, description: "No body." },
        errors: &[400, 429],
        body_limit: LOGIN_BODY_LIMIT,
        handler: |m| on(m, session::change_password),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/users",
        operation: "listUsers",
        tag: "users",
        summary: "User accounts (never their password hashes).",
        access: Access::Permission(Permission::UserManage),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{username, role, disabled, created_at, created_at_ns}`.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::list),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/users",
        operation: "createUser",
        tag: "users",
        summary: "Create a user. The password must meet the password rules. Audited as \
                  user.create.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"username\": \"...\", \"role\": \"viewer|operator|engineer|admin\", \
                          \"password\": \"...\"}`.",
        }),
        status: 201,
        response: Content { content_type: JSON, description: "The new user." },
        errors: &[400, 409],
        body_limit: LOGIN_BODY_LIMIT,
        handler: |m| on(m, users::create),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/users/{username}/role",
        operation: "setUserRole",
        tag: "users",
        summary: "Change a user's role (takes effect at their next request). Audited as \
                  user.role with old and new role.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[USERNAME],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"role\": \"...\", \"comment\": \"...\"}`.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The user after the change." },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::set_role),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/users/{username}/disable",
        operation: "disableUser",
        tag: "users",
        summary: "Disable a user: no more logins, their sessions and API tokens end. Audited as \
                  user.disable.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[USERNAME],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "Optional `{\"comment\": \"...\"}`.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The user after the change." },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::disable),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/users/{username}/password",
        operation: "resetUserPassword",
        tag: "users",
        summary: "Set a new password for a user who lost theirs (tell them out of band); all \
                  their sessions end. Audited as user.password.reset with the comment, never the \
                  password.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[USERNAME],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"password\": \"...\", \"comment\": \"...\"}`.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The user." },
        errors: &[400, 404],
        body_limit: LOGIN_BODY_LIMIT,
        handler: |m| on(m, users::reset_password),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/tokens",
        operation: "createToken",
        tag: "users",
        summary: "Create an API token for a machine or script, tied to a user and a role no \
                  higher than the user's. The token is in this answer only. Audited as \
                  token.create.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "`{\"label\": \"...\", \"username\"?: \"...\", \"role\"?: \"...\", \
                          \"expires_days\"?: n}`; username defaults to the caller.",
        }),
        status: 201,
        response: Content {
            content_type: JSON,
            description: "`{id, token, username, role, label, expires_at}`.",
        },
        errors: &[400, 404],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::create_token),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/tokens",
        operation: "listTokens",
        tag: "users",
        summary: "API tokens (never their values, which are not stored).",
        access: Access::Permission(Permission::UserManage),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{id, username, role, label, created_at, expires_at, revoked, \
                          last_used_at}`.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::list_tokens),
    },
    Route {
        method: Method::Post,
        path: "/api/v1/tokens/{id}/revoke",
        operation: "revokeToken",
        tag: "users",
        summary: "Revoke an API token: it is refused from its next request on. 409 if it is \
                  already revoked. Audited as token.revoke.",
        access: Access::Permission(Permission::UserManage),
        path_params: &[TOKEN_ID],
        query: &[],
        request: Some(Content {
            content_type: JSON,
            description: "Optional `{\"comment\": \"...\"}`.",
        }),
        status: 200,
        response: Content { content_type: JSON, description: "The token after the change." },
        errors: &[400, 404, 409],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, users::revoke_token),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/audit",
        operation: "listAudit",
        tag: "audit",
        summary: "The audit trail, newest first, with electronic signatures.",
        access: Access::Permission(Permission::AuditRead),
        path_params: &[],
        query: &[
            Param {
                name: "limit",
                kind: Kind::Integer,
                required: false,
                description: "Most records, 1..=1000 (default 100).",
            },
            Param {
                name: "before",
                kind: Kind::Integer,
                required: false,
                description: "Only records with a smaller id: page back with the oldest id seen.",
            },
        ],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{id, at, at_ns, actor, action, target, old_value, new_value, \
                          reason, signature}`, newest first.",
        },
        errors: &[400],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, audit::list),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/audit/verify",
        operation: "verifyAudit",
        tag: "audit",
        summary: "Verify the whole audit trail: hash chain, consecutive ids, signatures and the \
                  anchor (truncation).",
        access: Access::Permission(Permission::AuditRead),
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{ok, records, first_bad, detail}`.",
        },
        errors: &[],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, audit::verify),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_match_the_paths() {
        for route in ROUTES {
            let named: Vec<&str> = route
                .path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            let listed: Vec<&str> = route.path_params.iter().map(|p| p.name).collect();
            assert_eq!(named, listed, "{}", route.path);
            assert!(route.path_params.iter().all(|p| p.required), "{}", route.path);
        }
    }

    #[test]
    fn routes_are_unique_and_only_health_and_login_are_open() {
        let mut seen = std::collections::HashSet::new();
        let mut operations = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "{} twice", route.path);
            assert!(operations.insert(route.operation), "{} twice", route.operation);
            assert_eq!(route.access == Access::Open, route.path == "/health", "{}", route.path);
            assert_eq!(route.access == Access::Login, route.path == "/api/v1/login");
            assert!(route.body_limit >= LOGIN_BODY_LIMIT);
        }
    }
}
