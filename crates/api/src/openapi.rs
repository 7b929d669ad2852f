//! The OpenAPI 3.1 document, generated from the route table (`routes::ROUTES`): every route
//! the router registers appears here with its summary, parameters, body, responses and
//! security, because both are built from the same table.

use serde_json::{Map, Value, json};

use crate::routes::{Access, JSON, Kind, Param, ROUTES, Route};

/// The whole document.
pub fn openapi() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths.entry(route.path).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(route.method.as_str().to_ascii_lowercase(), operation(route));
        }
    }
    let mut tags: Vec<&str> = Vec::new();
    for route in ROUTES {
        if !tags.contains(&route.tag) {
            tags.push(route.tag);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "faultline API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Process monitoring: assets, scores, alarms, models, ingest, audit \
                            trail, live events. Every route but /health and /api/v1/login needs \
                            a session cookie (POST /api/v1/login) or `Authorization: Bearer \
                            <token>` (an API token, or the admin token), and a role whose \
                            permissions include the route's `x-permission`. Times are RFC 3339 \
                            or integer epoch nanoseconds; errors are {\"error\", \"detail\"}.",
        },
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (POST /api/v1/tokens) or the admin token.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "faultline_session",
                    "description": "Set by POST /api/v1/login. Requests other than GET also \
                                    need the header `X-Requested-With: faultline`.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {
                        "error": {
                            "type": "string",
                            "enum": ["invalid", "unauthorized", "forbidden", "locked", "throttled", "not_found",
                                     "method_not_allowed", "conflict", "timeout", "too_large", "stopping",
                                     "store", "internal"],
                        },
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    })
}

fn operation(route: &Route) -> Value {
    let parameters: Vec<Value> = route
        .path_params
        .iter()
        .map(|p| parameter(p, "path"))
        .chain(route.query.iter().map(|p| parameter(p, "query")))
        .collect();
    let mut responses = Map::new();
    responses.insert(
        route.status.to_string(),
        json!({
            "description": route.response.description,
            "content": {route.response.content_type: {}},
        }),
    );
    let mut errors: Vec<u16> = route.errors.to_vec();
    // A route that reads a body (and may find it too large) may also find it too slow.
    if errors.contains(&413) {
        errors.push(408);
    }
    match route.access {
        Access::Open => {}
        Access::Login => errors.push(401),
        Access::Authenticated => errors.extend([401, 403]),
        Access::Permission(_) => errors.extend([401, 403]),
    }
    errors.push(500);
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        responses.insert(
            status.to_string(),
            json!({
                "description": error_description(status),
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
            }),
        );
    }
    let mut op = json!({
        "operationId": route.operation,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "responses": responses,
        "security": match route.access {
            Access::Open | Access::Login => json!([]),
            Access::Authenticated | Access::Permission(_) => {
                json!([{"bearer": []}, {"session": []}])
            }
        },
        "x-permission": match route.access {
            Access::Permission(p) => Value::from(p.as_str()),
            Access::Authenticated => Value::from("authenticated"),
            Access::Login => Value::from("login"),
            Access::Open => Value::from("open"),
        },
        "x-body-limit-bytes": route.body_limit,
    });
    if let Some(body) = &route.request {
        op["requestBody"] = json!({
            "required": true,
            "description": body.description,
            "content": {body.content_type: {}},
        });
    }
    op
}

fn parameter(param: &Param, place: &str) -> Value {
    let schema = match param.kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Integer => json!({"type": "integer", "minimum": 0}),
        Kind::Time => json!({"oneOf": [
            {"type": "string", "format": "date-time"},
            {"type": "integer", "description": "epoch nanoseconds"},
        ]}),
    };
    json!({
        "name": param.name,
        "in": place,
        "required": param.required,
        "description": param.description,
        "schema": schema,
    })
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "Invalid request (body, query or path parameter); `detail` says which.",
        401 => "No credentials, or not valid ones (`WWW-Authenticate: Bearer`).",
        403 => {
            "The caller's role lacks the route's permission, or a cookie-authenticated \
                change lacks `X-Requested-With: faultline`."
        }
        429 => {
            "Too many failed logins for this user name (`locked`), or too many refused \
                requests from this address in a minute (`throttled`); see `Retry-After`."
        }
        404 => "No such asset, alarm or model version.",
        409 => "Not allowed in the alarm's current state.",
        408 => "The request body paused for more than 30 s or took longer than 120 s in all.",
        413 => "Request body over the route's limit.",
        503 => "The engine is stopping; retry after the restart.",
        _ => "The store or the server failed; nothing was changed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_security() {
        let doc = openapi();
        for route in ROUTES {
            let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            assert_eq!(op["operationId"], route.operation, "{}", route.path);
            let secured = !op["security"].as_array().unwrap().is_empty();
            let guarded = matches!(route.access, Access::Permission(_) | Access::Authenticated);
            assert_eq!(secured, guarded, "{}", route.path);
            assert!(op["responses"][route.status.to_string()].is_object(), "{}", route.path);
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(names.len(), route.path.matches('{').count(), "{}", route.path);
        }
        let operations: usize =
            doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(operations, ROUTES.len());
    }
}
