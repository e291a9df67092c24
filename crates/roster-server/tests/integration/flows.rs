//! Helpers for the lifecycle, guard, member and event tests: redeeming links the way an
//! invitee does (JSON or the HTML form), reading the pages, pulling links out of the outbox,
//! and the few direct SQL reads/writes a test needs to see or set up state the API refuses.
#![allow(dead_code)]

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Res, TestServer, token_of};

/// The password `TestServer::join_sign_up` signs up with.
pub const PASSWORD: &str = "correct horse battery";

async fn into_res(resp: reqwest::Response) -> Res {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res { status, headers, text, json }
}

/// `POST /v1/join` with any mode.
pub async fn join_json(
    t: &TestServer,
    token: &str,
    mode: &str,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> Res {
    let mut body = json!({"token": token, "mode": mode, "email": email, "password": password});
    if let Some(n) = name {
        body["name"] = json!(n);
    }
    t.call(Method::POST, "/v1/join", None, Some(&body)).await
}

/// The join page's form, submitted as a browser would.
pub async fn join_form(
    t: &TestServer,
    token: &str,
    mode: &str,
    email: &str,
    password: &str,
    name: &str,
) -> Res {
    let resp = t
        .http
        .post(t.url(&format!("/join/{token}")))
        .form(&[("mode", mode), ("name", name), ("email", email), ("password", password)])
        .send()
        .await
        .expect("form post failed");
    into_res(resp).await
}

/// An unauthenticated GET (pages, links).
pub async fn open(t: &TestServer, path: &str) -> Res {
    t.call(Method::GET, path, None, None).await
}

/// An unauthenticated POST without a body (the confirmation page's button).
pub async fn press(t: &TestServer, path: &str) -> Res {
    let resp = t
        .http
        .post(t.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("post failed");
    into_res(resp).await
}

/// The path part of a link the server handed out (`http://127.0.0.1:port/join/x` -> `/join/x`).
pub fn path_of(t: &TestServer, link: &str) -> String {
    assert!(
        link.starts_with(&t.server.url),
        "link {link} is not on this server ({})",
        t.server.url
    );
    link[t.server.url.len()..].to_string()
}

pub fn link_token(inv: &Value) -> String {
    token_of(inv["link"].as_str().unwrap_or_else(|| panic!("invite has no link: {inv}")))
}

pub async fn me(t: &TestServer, key: &str) -> Value {
    t.get("/v1/me", key).await.ok()
}

pub async fn user_id(t: &TestServer, key: &str) -> String {
    me(t, key).await["user"]["id"].as_str().unwrap().to_string()
}

/// Audit events of the caller's account, newest first (first page of 200).
pub async fn audit(t: &TestServer, key: &str) -> Vec<Value> {
    t.get("/v1/audit?limit=200", key).await.ok()["data"].as_array().unwrap().clone()
}

/// Index (newest first) of the audit event with `action` on target `target_id`.
pub fn audit_pos(events: &[Value], action: &str, target_id: &str) -> Option<usize> {
    events.iter().position(|e| e["action"] == action && e["target"]["id"] == target_id)
}

/// The first `scheme://...` link in a mail body that contains `marker`.
pub fn link_in(body: &str, marker: &str) -> Option<String> {
    body.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(marker))
        .map(str::to_string)
}

/// Asserts a server HTML page: status, content type, CSP, and no external resource.
#[track_caller]
pub fn assert_page(res: &Res, status: u16) {
    assert_eq!(res.status.as_u16(), status, "page body: {}", res.text);
    assert!(
        res.content_type().starts_with("text/html"),
        "not html: {} {}",
        res.content_type(),
        res.text
    );
    let csp =
        res.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'none'"), "page without a strict CSP: {csp:?}");
    let ext = external_urls(&res.text);
    assert!(ext.is_empty(), "page loads external URLs {ext:?}");
}

/// Values of src/href/action attributes and CSS url() that point off the page's own origin.
pub fn external_urls(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    for attr in ["src=", "href=", "action=", "url(", "srcset=", "@import"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(attr) {
            let start = from + i + attr.len();
            let value: String = lower[start..]
                .trim_start_matches(['"', '\'', ' '])
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ' ' | ')' | '>'))
                .collect();
            if value.starts_with("http") || value.starts_with("//") {
                out.push(value);
            }
            from = start;
        }
    }
    out
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// `SELECT count(*) ...` with one text parameter, straight from the database.
pub fn count(t: &TestServer, sql: &str, param: &str) -> i64 {
    let sql = sql.to_string();
    let param = param.to_string();
    t.server.db.blocking(move |tx| Ok(tx.query_row(&sql, [param], |r| r.get(0))?)).unwrap()
}

/// Writes a pending invite straight into the database (bypassing the seat check, which is
/// the point: tests use it to build an over-committed team). Returns the token.
pub fn insert_pending_invite(
    t: &TestServer,
    account_public_id: &str,
    email: &str,
    role: &str,
    now: DateTime<Utc>,
) -> String {
    let token = format!("direct{:032x}", rand::random::<u128>());
    let public_id = format!("inv_direct{:016x}", rand::random::<u64>());
    let (account, email, role) =
        (account_public_id.to_string(), email.to_string(), role.to_string());
    // As the server keeps a token: its hash, and the token sealed with the server's key.
    let (hash, sealed) = (roster_server::tokens::hash(&token), t.server.db.sealer().seal(&token));
    t.server
        .db
        .blocking(move |tx| {
            let acc: i64 = tx.query_row("SELECT id FROM accounts WHERE public_id = ?1", [&account], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO invites (public_id, account_id, email, role, delivery, status, token_hash, token_sealed, created_at, expires_at, lifetime_days, times_sent, last_sent_at)
                 VALUES (?1, ?2, ?3, ?4, 'link', 'pending', ?5, ?8, ?6, ?7, 14, 1, ?6)",
                rusqlite::params![public_id, acc, email, role, hash, ts(now), ts(now + chrono::Duration::days(14)), sealed],
            )?;
            Ok(())
        })
        .unwrap();
    token
}

/// Server-sent events read off a streaming response.
pub struct Sse {
    stream: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buf: String,
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Value,
}

impl Sse {
    pub async fn connect(t: &TestServer, key: &str, last_event_id: Option<&str>) -> Sse {
        let mut req = t.http.get(t.url("/v1/events")).bearer_auth(key);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.expect("events request failed");
        assert_eq!(resp.status().as_u16(), 200, "events stream refused");
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "events content type {ct}");
        use futures::StreamExt;
        Sse {
            stream: Box::pin(resp.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` if none arrives within `secs`.
    pub async fn next(&mut self, secs: u64) -> Option<SseEvent> {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = SseEvent { id: None, event: None, data: Value::Null };
                let mut data = String::new();
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => ev.id = Some(value.to_string()),
                        "event" => ev.event = Some(value.to_string()),
                        "data" => data.push_str(value),
                        _ => {}
                    }
                }
                if ev.id.is_some() || ev.event.is_some() || !data.is_empty() {
                    ev.data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                    return Some(ev);
                }
            }
            // A timeout, the end of the stream or a broken connection: no (further) event.
            let chunk = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        }
    }

    /// Reads events until one matches; panics after `secs`.
    pub async fn until(
        &mut self,
        secs: u64,
        what: impl Fn(&SseEvent) -> bool,
    ) -> (SseEvent, Vec<SseEvent>) {
        let mut seen = Vec::new();
        loop {
            match self.next(secs).await {
                Some(e) if what(&e) => return (e, seen),
                Some(e) => seen.push(e),
                None => panic!("no matching event within {secs} s; saw {seen:?}"),
            }
        }
    }
}

/// Shuts the server down, failing (instead of hanging the suite) if it takes over 5 s.
pub async fn stop(server: roster_server::RunningServer) {
    tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
        .await
        .expect("the server did not shut down within 5 s");
}
