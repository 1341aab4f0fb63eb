//! Static assets, embedded in the binary. htmx is vendored (see
//! assets/VENDORED.md) and its hash is pinned by a test.
//!
//! Pages link each file by a name that carries a hash of its contents
//! (`app.1f2e3d4c5b6a.css`), so browsers may keep it for a year without
//! asking again: a changed file gets a new name. Text files are gzipped
//! once, at first use, and sent compressed to clients that accept gzip.

use std::io::Write;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
const APP_CSS: &[u8] = include_bytes!("../assets/app.css");
const APP_JS: &[u8] = include_bytes!("../assets/app.js");
const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");

/// Hashed names never change meaning, so they may be cached for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A plain name (an old link) always asks again, so it is never stale.
const REVALIDATE: &str = "no-cache";

struct Asset {
    name: &'static str,
    hashed: String,
    body: &'static [u8],
    gzip: Option<Vec<u8>>,
    mime: &'static str,
}

fn asset(name: &'static str, body: &'static [u8], mime: &'static str, compress: bool) -> Asset {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let hashed = match name.rsplit_once('.') {
        Some((stem, ext)) if stem.ends_with(".min") => format!("{}.{hex}.min.{ext}", stem.trim_end_matches(".min")),
        Some((stem, ext)) => format!("{stem}.{hex}.{ext}"),
        None => format!("{name}.{hex}"),
    };
    Asset { name, hashed, body, gzip: if compress { gzip(body) } else { None }, mime }
}

/// None only if compressing into memory failed: the file is then sent as it is.
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset("htmx.min.js", HTMX, "text/javascript; charset=utf-8", true),
        asset("app.css", APP_CSS, "text/css; charset=utf-8", true),
        asset("app.js", APP_JS, "text/javascript; charset=utf-8", true),
        asset("favicon.svg", FAVICON, "image/svg+xml", true),
    ]
});

/// The path pages use for an asset: `/assets/` and its hashed name.
pub fn url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/assets/{}", a.hashed),
        None => format!("/assets/{name}"),
    }
}

/// Whether the client takes gzip (and did not refuse it with q=0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|part| {
        let mut it = part.split(';').map(str::trim);
        let coding = it.next().unwrap_or_default();
        let refused = it.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let (asset, cache) = match ASSETS.iter().find(|a| a.hashed == file) {
        Some(a) => (a, IMMUTABLE),
        None => match ASSETS.iter().find(|a| a.name == file) {
            Some(a) => (a, REVALIDATE),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let mut res = match (&asset.gzip, accepts_gzip(&headers)) {
        (Some(z), true) => {
            let mut r = z.clone().into_response();
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        _ => asset.body.into_response(),
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use sha2::{Digest, Sha256};

    #[test]
    fn vendored_htmx_is_the_pinned_release() {
        let hex: String = Sha256::digest(super::HTMX).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717", "htmx.min.js changed; see assets/VENDORED.md");
    }

    #[test]
    fn names_carry_the_content_hash() {
        assert_eq!(super::url("htmx.min.js"), "/assets/htmx.d6fdc75f204e.min.js");
        assert!(super::url("app.css").starts_with("/assets/app.") && super::url("app.css").ends_with(".css"));
    }

    #[test]
    fn gzip_only_when_accepted() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert("accept-encoding", v.parse().unwrap());
            m
        };
        assert!(super::accepts_gzip(&h("gzip, deflate, br")));
        assert!(super::accepts_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!super::accepts_gzip(&h("gzip;q=0")));
        assert!(!super::accepts_gzip(&h("identity")));
        assert!(!super::accepts_gzip(&HeaderMap::new()));
    }
}
