//! Shared harness: a real server on 127.0.0.1:0 with a real SQLite file in a temp dir, the
//! demo accounts seeded, and a small typed HTTP client. No part of the server is faked.
#![allow(dead_code)]

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use roster_server::seed::{SeededAccount, SeededKey};
use roster_server::{Config, Db, Limits, RunningServer};
use serde_json::Value;

pub struct TestServer {
    pub server: RunningServer,
    pub accounts: Vec<SeededAccount>,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A response: status, headers and the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Res {
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    /// The problem+json `code`, asserting the body really is a problem document.
    pub fn code(&self) -> &str {
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "not a problem: {} {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.json["status"].as_u64(),
            Some(self.status.as_u16() as u64),
            "problem status mismatch: {}",
            self.text
        );
        self.json["code"].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "expected success, got {}: {}", self.status, self.text);
        self.json
    }
    #[track_caller]
    pub fn expect(self, status: u16, code: &str) -> Res {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.code(), code, "body: {}", self.text);
        self
    }
}

impl TestServer {
    /// Demo-seeded server with rate limits out of the way.
    pub async fn start() -> TestServer {
        Self::start_with(Limits::relaxed()).await
    }

    pub async fn start_with(limits: Limits) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("roster.db");
        let db = Db::open(&db_path).unwrap();
        let accounts = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
        let mut config = Config::new(&db_path);
        config.limits = limits;
        let server = roster_server::start_with_db(config, db).await.unwrap();
        TestServer { server, accounts, http: reqwest::Client::new(), _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// The folder of the server's database file (and its WAL and token key).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn account(&self, preset: &str) -> &SeededAccount {
        self.accounts
            .iter()
            .find(|a| a.preset == preset)
            .unwrap_or_else(|| panic!("no demo account for {preset}"))
    }

    /// The demo key of `role` in the account of `preset`.
    pub fn key(&self, preset: &str, role: &str) -> String {
        self.role_key(preset, role).key.clone()
    }

    pub fn role_key(&self, preset: &str, role: &str) -> &SeededKey {
        self.account(preset)
            .keys
            .iter()
            .find(|k| k.role == role)
            .unwrap_or_else(|| panic!("no {role} key in {preset}"))
    }

    /// The owner-level key of the preset's demo account (listed first).
    pub fn owner(&self, preset: &str) -> String {
        self.account(preset).keys[0].key.clone()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Res {
        self.call_with(method, path, key, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.http.request(method, self.url(path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res { status, headers, text, json }
    }

    pub async fn get(&self, path: &str, key: &str) -> Res {
        self.call(Method::GET, path, Some(key), None).await
    }
    pub async fn post(&self, path: &str, key: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(key), Some(&body)).await
    }
    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Res {
        self.call(Method::PATCH, path, Some(key), Some(&body)).await
    }
    pub async fn delete(&self, path: &str, key: &str) -> Res {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// Creates an invite as `key`; returns the invite JSON.
    pub async fn invite(&self, key: &str, email: &str, role: &str) -> Value {
        self.post("/v1/invites", key, serde_json::json!({"email": email, "role": role})).await.ok()
    }

    /// Redeems `link` by signing up; returns the raw response.
    pub async fn join_sign_up(&self, link: &str, email: &str, name: &str) -> Res {
        let token = token_of(link);
        self.call(
            Method::POST,
            "/v1/join",
            None,
            Some(&serde_json::json!({"token": token, "mode": "sign_up", "email": email, "name": name, "password": "correct horse battery"})),
        )
        .await
    }

    /// Gives member `user_id` the owner-level `role` as `owner_key`. Where the policy asks for
    /// confirmation, that owner confirms it through the link mailed to them: the only way to
    /// a new owner there, as invites may not carry an owner-level role.
    pub async fn make_owner(&self, owner_key: &str, user_id: &str, role: &str) {
        let up = self
            .patch(&format!("/v1/members/{user_id}"), owner_key, serde_json::json!({"role": role}))
            .await
            .ok();
        if up["promotion"].is_null() {
            assert_eq!(up["member"]["role"], role, "{up}");
            return;
        }
        let requester =
            self.get("/v1/me", owner_key).await.ok()["user"]["email"].as_str().unwrap().to_string();
        // The mail names the member by e-mail, which tells it from other pending promotions.
        let target = format!("({})", up["member"]["email"].as_str().unwrap());
        let mail = self
            .outbox(&requester)
            .into_iter()
            .find(|m| m.kind == "owner_promotion_confirm" && m.body.contains(&target))
            .unwrap_or_else(|| panic!("no confirmation mail to {requester} about {target}"));
        let link = mail
            .body
            .split_whitespace()
            .find(|w| w.contains("/confirm-owner/"))
            .expect("no confirmation link in the mail")
            .to_string();
        let confirmed = self
            .call(
                Method::POST,
                "/v1/owner-promotions/confirm",
                None,
                Some(&serde_json::json!({"token": token_of(&link)})),
            )
            .await
            .ok();
        assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    }

    /// Every page of a list endpoint, following `next_cursor`.
    pub async fn all(&self, path: &str, key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = match &cursor {
                Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
                None => format!("{path}{sep}limit=200"),
            };
            let page = self.get(&p, key).await.ok();
            out.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// The recorded e-mails to `to`, newest first.
    pub fn outbox(&self, to: &str) -> Vec<roster_server::OutboxMail> {
        roster_server::outbox(&self.server.db, Some(to), 100).unwrap()
    }

    pub fn policy_roles(&self, preset: &str) -> Vec<roster_api::Role> {
        roster_server::PRESETS.iter().find(|p| p.id == preset).unwrap().policy.roles.clone()
    }
}

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}

pub fn presets() -> Vec<&'static str> {
    roster_server::PRESETS.iter().map(|p| p.id).collect()
}

pub fn by_email<'a>(list: &'a [Value], email: &str) -> Option<&'a Value> {
    list.iter().find(|m| m["email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(email)))
}

pub type Headers = HashMap<String, String>;
