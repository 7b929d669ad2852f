//! HTTP API: axum router, bearer-token auth, JSON shapes, SSE stream, OpenAPI document, Prometheus metrics.
