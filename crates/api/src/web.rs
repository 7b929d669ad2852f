//! The dashboard: `web/dist` (built from `web/` by esbuild and committed, so building the binary
//! never needs node) embedded at compile time and served at `/` (the page) and `/ui/{*path}`
//! (its scripts, styles and icon).
//!
//! These routes need no authentication: the files are the same for everyone and carry no data.
//! Every piece of data the page shows comes from `/api/v1/*`, which checks the session on each
//! request. That is also why they sit outside the route table (and the OpenAPI document): they
//! are not part of the API.
//!
//! Responses carry their own `Content-Security-Policy` (the page loads only its own scripts,
//! styles and the event stream; no inline code, no framing), the MIME type, an `ETag`, and a
//! `Cache-Control` that lets browsers keep the content-hashed `/ui/*` files for a year while
//! the page itself is revalidated on every load. Scripts and styles are sent gzip-compressed
//! (precompressed by the build, `<name>.gz`) to clients that accept it.

use std::borrow::Cow;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::ApiError;

/// The built dashboard (`web/dist`, committed; rebuilt and checked by `scripts/test`).
#[derive(Embed)]
#[folder = "../../web/dist/"]
struct Dist;

/// The dashboard's policy: its own origin only, no inline script or style, no framing.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                              img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                              base-uri 'none'; form-action 'self'";

/// File names under `/ui/` carry a content hash (`main-2MELGFDI.js`), so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The page names the current hashed files, so it is revalidated (cheaply, by `ETag`).
const REVALIDATE: &str = "no-cache";

/// The dashboard's routes; merged into [`crate::app`]'s router, with no authentication.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

/// Answers with the embedded file `path`, or 404.
fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(file) = Dist::get(path) else {
        return ApiError::NotFound(format!("no dashboard file {path}")).into_response();
    };
    let etag = etag(&file.metadata.sha256_hash());
    let cache = if path == "index.html" { REVALIDATE } else { IMMUTABLE };
    let mut response = if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let gzip = accepts_gzip(request).then(|| Dist::get(&format!("{path}.gz"))).flatten();
        let (body, encoded): (Cow<'static, [u8]>, bool) = match gzip {
            Some(gz) => (gz.data, true),
            None => (file.data, false),
        };
        let mut response = body.into_response();
        let headers = response.headers_mut();
        let mime = file.metadata.mimetype();
        let mime = match mime {
            "text/html"
            | "text/css"
            | "text/javascript"
            | "application/javascript"
            | "image/svg+xml" => format!("{mime}; charset=utf-8"),
            _ => mime.to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&mime) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if encoded {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// A strong entity tag from the file's SHA-256 (the first 16 bytes are plenty).
fn etag(sha256: &[u8; 32]) -> String {
    let hex: String = sha256[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `Accept-Encoding` allows gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()).is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_dist_folder_has_a_page_and_its_files() {
        let index = Dist::get("index.html").expect("web/dist/index.html is committed");
        let page = std::str::from_utf8(&index.data).unwrap();
        for name in Dist::iter().filter(|n| n.ends_with(".js") || n.ends_with(".css")) {
            assert!(page.contains(&format!("/ui/{name}")), "index.html does not load {name}");
            assert!(Dist::get(&format!("{name}.gz")).is_some(), "{name} has no .gz");
        }
        // No inline script or style: the CSP would block them.
        assert!(!page.contains("<script>") && !page.contains("<style") && !page.contains("style="));
    }
}
