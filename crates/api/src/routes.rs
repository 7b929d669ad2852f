//! The route table: every route the server answers, with its method, path, documentation,
//! authentication, body limit and handler. `app` registers exactly these routes and `openapi`
//! documents exactly these, so a route cannot exist without being documented (and without its
//! authentication being decided here). The handlers live in `routes/<resource>.rs`.

use axum::routing::{MethodFilter, MethodRouter, on};

use crate::ApiState;

mod alarms;
mod assets;
mod events;
mod fallback;
mod health;
mod ingest;
mod metrics;
mod models;
mod openapi;
mod rejects;
mod stream;

pub(crate) use fallback::{method_not_allowed, not_found};
pub(crate) use stream::Shutdown;

const MIB: usize = 1024 * 1024;
/// Body limit of every route but model upload.
pub(crate) const BODY_LIMIT: usize = 4 * MIB;
/// Body limit of model upload (model files of wide assets are large).
pub(crate) const MODEL_BODY_LIMIT: usize = 16 * MIB;

/// Content types used by the table.
pub(crate) const JSON: &str = "application/json";
const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const EVENT_STREAM: &str = "text/event-stream";
const OCTETS: &str = "application/octet-stream";

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

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Anyone (only `/health`).
    Open,
    /// `Authorization: Bearer <admin token>`.
    Bearer,
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
    pub auth: Auth,
    /// One entry per `{name}` in `path`, in order.
    pub path_params: &'static [Param],
    pub query: &'static [Param],
    pub request: Option<Content>,
    /// Success status and body.
    pub status: u16,
    pub response: Content,
    /// Error statuses beyond 401 (bearer routes) and 500, which every route may answer.
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
const ALARM_ID: Param =
    Param { name: "id", kind: Kind::Integer, required: true, description: "Alarm id." };
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
        auth: Auth::Open,
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
        auth: Auth::Bearer,
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
                          faultline_uptime_seconds, faultline_asset_open_alarms{asset}.",
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
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "Array of `{name, site, state, channels, model, last_score, \
                          open_alarms}`; state is no_model, waiting, alarm, out_of_control or \
                          normal.",
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
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
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
                          fault_class}`.",
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
        auth: Auth::Bearer,
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
                  normal). Audited as alarm.ack by admin.",
        auth: Auth::Bearer,
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
                  alarm.shelve by admin.",
        auth: Auth::Bearer,
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
                  normal). Audited as alarm.unshelve by admin.",
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
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
                          created_at_ns, active}`.",
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
                  Not active until activated. Audited as model.upload by admin.",
        auth: Auth::Bearer,
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
        summary: "Make a registered version the one that scores the asset. Audited as \
                  model.activate by admin.",
        auth: Auth::Bearer,
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
        request: Some(COMMENT_BODY),
        status: 200,
        response: Content { content_type: JSON, description: "The activated version." },
        errors: &[400, 404, 503],
        body_limit: BODY_LIMIT,
        handler: |m| on(m, models::activate),
    },
    Route {
        method: Method::Get,
        path: "/api/v1/rejects",
        operation: "rejectCounters",
        tag: "rejects",
        summary: "Rejected and dropped samples since start, by reason (every reason listed).",
        auth: Auth::Bearer,
        path_params: &[],
        query: &[],
        request: None,
        status: 200,
        response: Content {
            content_type: JSON,
            description: "`{received, total, by_reason: {malformed, non_finite, unknown_asset, \
                          unknown_channel, out_of_order, duplicate, stale, overload}}`.",
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
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
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
        auth: Auth::Bearer,
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
    fn routes_are_unique_and_only_health_is_open() {
        let mut seen = std::collections::HashSet::new();
        let mut operations = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "{} twice", route.path);
            assert!(operations.insert(route.operation), "{} twice", route.operation);
            assert_eq!(route.auth == Auth::Open, route.path == "/health", "{}", route.path);
            assert!(route.body_limit >= BODY_LIMIT);
        }
    }
}
