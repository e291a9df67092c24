//! The few HTML pages the server serves to people without the app (the invitee's join page,
//! the owner's confirmation page): self-contained, no external assets, a strict CSP.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #f6f7f9; --card: #fff; --line: #d9dde3; --accent: #3a5bd9; --bad: #b42318; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8eaed; --muted: #a0a7b1; --bg: #15171a; --card: #1e2125; --line: #33373d; --accent: #7d97ff; --bad: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 440px; margin: 8vh auto; padding: 28px; background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
h1 { font-size: 20px; margin: 0 0 8px; }
p { margin: 8px 0; }
.muted { color: var(--muted); font-size: 13px; }
.bad { color: var(--bad); }
fieldset { border: 0; padding: 0; margin: 16px 0 0; }
legend { font-weight: 600; margin-bottom: 6px; }
label { display: block; margin: 10px 0 4px; font-size: 13px; }
input[type=text], input[type=email], input[type=password] { width: 100%; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; font: inherit; }
.modes label { display: inline; margin-right: 16px; font-size: 15px; }
button { margin-top: 16px; width: 100%; padding: 10px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.role { padding: 10px 12px; border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; }
"#;

pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{} · Roster</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    // The page URL carries a token: keep it out of Referer headers and shared caches.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    res
}

pub fn problem_page(err: &crate::ApiError) -> Response {
    let title = match err.code {
        roster_api::ErrorCode::InviteGone => "This invite link no longer works",
        roster_api::ErrorCode::NotFound => "Link not found",
        roster_api::ErrorCode::RateLimited => "Too many attempts",
        _ => "Could not complete this",
    };
    let mut res = page(
        err.status,
        title,
        &format!("<h1>{}</h1><p class=\"bad\">{}</p>", esc(title), esc(&err.detail)),
    );
    if let Some(secs) = err.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}
