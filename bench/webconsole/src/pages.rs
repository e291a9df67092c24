//! The page itself: the UI build's `index.html` with the IPC shim run first, the build's other
//! files, and the desktop window's CSP.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::Console;

const SHIM: &str = include_str!("../shim.js");
const SHIM_TAG: &str = r#"<script src="/__webconsole/shim.js"></script>"#;

/// The window's CSP (tauri.conf.json, `app.security.csp`) with `connect-src 'self'` for the
/// Tauri IPC origins: the page reaches this console and nothing else, and the shim is a file of
/// its own so `script-src 'self'` holds without an inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
                   media-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";

pub async fn index(State(console): State<Arc<Console>>) -> Response {
    // Read on every request, so a rebuilt UI shows on reload.
    let path = console.ui.join("index.html");
    let html = match tokio::fs::read_to_string(&path).await {
        Ok(html) => html,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read {}: {e}\n", path.display()),
            )
                .into_response();
        }
    };
    match with_shim(&html) {
        Some(page) => {
            ([(header::CONTENT_TYPE, HTML), (header::CONTENT_SECURITY_POLICY, CSP)], page)
                .into_response()
        }
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{} has no <head> to put the IPC shim in\n", path.display()),
        )
            .into_response(),
    }
}

pub async fn shim() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SHIM).into_response()
}

/// Any other GET: that file of the UI build.
pub async fn file(State(console): State<Arc<Console>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(path) = resolve(&console.ui, uri.path()).await else {
        return not_found();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let kind = content_type(&path);
            if kind == HTML {
                ([(header::CONTENT_TYPE, kind), (header::CONTENT_SECURITY_POLICY, CSP)], bytes)
                    .into_response()
            } else {
                ([(header::CONTENT_TYPE, kind)], bytes).into_response()
            }
        }
        Err(_) => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// `index.html` with the shim's tag right after `<head>`, so it runs before the app's module
/// script, whatever the build puts in the head.
fn with_shim(html: &str) -> Option<String> {
    // ASCII lowercasing keeps every byte where it was.
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("<head") {
        let after = from + found + "<head".len();
        let end = match lower.as_bytes().get(after) {
            Some(b'>') => after + 1,
            Some(c) if c.is_ascii_whitespace() => after + lower[after..].find('>')? + 1,
            // `<header>` and the like.
            _ => {
                from = after;
                continue;
            }
        };
        return Some(format!("{}{SHIM_TAG}{}", &html[..end], &html[end..]));
    }
    None
}

/// The file under `root` (canonical) that `url_path` names, or `None` for anything that could
/// lead out of it. Only plain names pass (what Vite writes): no `..`, no hidden files, and no
/// `%` or `\` that could decode into either.
async fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for segment in url_path.strip_prefix('/')?.split('/') {
        let plain = !segment.is_empty()
            && !segment.starts_with('.')
            && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plain {
            return None;
        }
        path.push(segment);
    }
    // A symlink inside the build must not lead out of it either.
    let real = tokio::fs::canonicalize(&path).await.ok()?;
    let is_file = tokio::fs::metadata(&real).await.ok()?.is_file();
    (is_file && real.starts_with(root)).then_some(real)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html") => HTML,
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_goes_right_after_head_whatever_its_attributes() {
        let tagged = |head: &str| {
            with_shim(&format!(
                "<html>{head}<title>x</title></head><body><header>h</header></body></html>"
            ))
            .unwrap()
        };
        assert!(tagged("<head>").contains(&format!("<head>{SHIM_TAG}<title>")));
        assert!(
            tagged("<HEAD data-x=\"1\">")
                .contains(&format!("<HEAD data-x=\"1\">{SHIM_TAG}<title>"))
        );
        assert_eq!(with_shim("<html><header>no head</header></html>"), None);
    }

    #[tokio::test]
    async fn only_plain_names_inside_the_build_resolve() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ui/assets")).unwrap();
        std::fs::write(dir.path().join("ui/assets/app-1_x.js"), "").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "").unwrap();
        let root = dir.path().join("ui").canonicalize().unwrap();
        assert!(resolve(&root, "/assets/app-1_x.js").await.is_some());
        for bad in [
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/assets/.hidden",
            "/assets",
            "//etc/passwd",
            "/a\\b",
        ] {
            assert_eq!(resolve(&root, bad).await, None, "{bad}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type(Path::new("a/index-X.js")), "text/javascript; charset=utf-8");
        assert_eq!(content_type(Path::new("f.WOFF2")), "font/woff2");
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }
}
