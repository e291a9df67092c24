//! Shared harness for roster-core's tests: the real reference server on 127.0.0.1:0 with a
//! real SQLite file in a temp dir (demo accounts seeded: one key per role, owner-level key
//! first), keys and clients by preset and role, and an `Http` with short timeouts so a broken
//! test fails in seconds instead of hanging. Nothing here fakes the server.
//!
//! Used by roster-core's and roster-desk's test binaries (the latter includes this file): the
//! `dead_code` allowance is for the helpers only one of them calls.
#![allow(dead_code)]

use std::fmt::{Debug, Display};
use std::net::SocketAddr;
use std::time::Duration;

use roster_core::api::Role;
use roster_core::{ApiKey, Http, HttpConfig, TeamClient};
use roster_server::seed::{SeededAccount, SeededKey};
use roster_server::{Config, Db, Limits, RunningServer};

/// Timeouts short enough that a hang shows up as a failure within seconds, long enough for a
/// loaded 2-core CI machine. Retries keep the client's default count with a short backoff.
pub fn test_http_config() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        stream_idle_timeout: Duration::from_secs(30),
        max_body_bytes: HttpConfig::default().max_body_bytes,
        attempts: 3,
        backoff: Duration::from_millis(50),
        proxy: roster_core::ProxyUse::Direct,
    }
}

pub fn test_http() -> Http {
    Http::new(test_http_config()).expect("build the HTTP client")
}

/// `test_http_config()` changed by `edit`, e.g. `http_with(|c| c.attempts = 1)`.
pub fn http_with(edit: impl FnOnce(&mut HttpConfig)) -> Http {
    let mut config = test_http_config();
    edit(&mut config);
    Http::new(config).expect("build the HTTP client")
}

pub struct TestServer {
    pub server: RunningServer,
    /// Demo accounts (one per preset) plus whatever a custom seed added.
    pub accounts: Vec<SeededAccount>,
    pub http: Http,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Demo-seeded server with rate limits out of the way.
    pub async fn start() -> TestServer {
        Self::start_with(Limits::relaxed()).await
    }

    /// Demo-seeded server with the given rate limits (`Limits::default()` to hit them).
    pub async fn start_with(limits: Limits) -> TestServer {
        Self::start_seeded(limits, |db| {
            roster_server::seed::demo(db, chrono::Utc::now()).expect("seed the demo accounts")
        })
        .await
    }

    /// A server whose database is seeded by `seed` before it starts (e.g. `seed::scale`).
    pub async fn start_seeded(
        limits: Limits,
        seed: impl FnOnce(&Db) -> Vec<SeededAccount>,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("roster.db");
        let db = Db::open(&db_path).expect("open the database");
        let accounts = seed(&db);
        let mut config = Config::new(&db_path);
        config.limits = limits;
        let server = roster_server::start_with_db(config, db).await.expect("start the server");
        TestServer { server, accounts, http: test_http(), _dir: dir }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn account(&self, preset: &str) -> &SeededAccount {
        self.accounts
            .iter()
            .find(|a| a.preset == preset)
            .unwrap_or_else(|| panic!("no seeded account for preset {preset}"))
    }

    pub fn seeded_key(&self, preset: &str, role: &str) -> &SeededKey {
        self.account(preset)
            .keys
            .iter()
            .find(|k| k.role == role)
            .unwrap_or_else(|| panic!("no {role} key in {preset}"))
    }

    /// The key text of `role` in `preset`'s account, for asserting it never leaks.
    pub fn key_text(&self, preset: &str, role: &str) -> String {
        self.seeded_key(preset, role).key.clone()
    }

    pub fn key(&self, preset: &str, role: &str) -> ApiKey {
        ApiKey::from(self.key_text(preset, role))
    }

    /// The owner-level key of `preset`'s account (seeded first).
    pub fn owner_key_text(&self, preset: &str) -> String {
        self.account(preset).keys[0].key.clone()
    }

    pub fn client_for_key(&self, key: &str) -> TeamClient {
        TeamClient::new(&self.http, self.url(), ApiKey::from(key.to_string()))
            .expect("loopback URL is accepted")
    }

    /// A client of `preset`'s account acting as the demo user holding `role`.
    pub fn client(&self, preset: &str, role: &str) -> TeamClient {
        self.client_for_key(&self.key_text(preset, role))
    }

    /// A client acting as `preset`'s owner-level user.
    pub fn owner(&self, preset: &str) -> TeamClient {
        self.client_for_key(&self.owner_key_text(preset))
    }

    /// Every key of every seeded account, for leak checks.
    pub fn all_key_texts(&self) -> Vec<String> {
        self.accounts.iter().flat_map(|a| a.keys.iter().map(|k| k.key.clone())).collect()
    }
}

/// Preset ids of the reference server, in its order.
pub fn presets() -> Vec<&'static str> {
    roster_server::PRESETS.iter().map(|p| p.id).collect()
}

pub fn policy_roles(preset: &str) -> Vec<Role> {
    roster_server::PRESETS
        .iter()
        .find(|p| p.id == preset)
        .expect("known preset")
        .policy
        .roles
        .clone()
}

/// An address nothing listens on: bound, then released.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// The join token at the end of an invite link.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("a link has a path").to_string()
}

/// Asserts neither `Display` nor `Debug` of `value` contains any of `secrets`.
#[track_caller]
pub fn assert_no_secret<T: Display + Debug>(value: &T, secrets: &[&str]) {
    let shown = value.to_string();
    let debugged = format!("{value:?}");
    for s in secrets {
        assert!(!s.is_empty(), "an empty secret proves nothing");
        assert!(!shown.contains(s), "a key leaked into Display: {shown}");
        assert!(!debugged.contains(s), "a key leaked into Debug: {debugged}");
    }
}

/// Runs `f` and fails the test if it does not finish within `limit` (a hang is a bug).
pub async fn within<F: std::future::Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("{what} did not finish within {limit:?}"),
    }
}

/// Asserts `result` failed with `code` (and the server's own `server_code`, `None` for
/// failures that are not problem documents), that the message is not empty, and that no
/// key in `secrets` shows in its `Display` or `Debug`. Returns the error for further checks.
#[track_caller]
pub fn expect_error<T: Debug>(
    result: roster_core::Result<T>,
    code: roster_core::ErrorCode,
    server_code: Option<roster_core::api::ErrorCode>,
    secrets: &[&str],
) -> roster_core::Error {
    let e = match result {
        Ok(v) => panic!("expected a {code:?} error, got Ok({v:?})"),
        Err(e) => e,
    };
    assert_eq!(e.code(), code, "wrong ErrorCode for: {e} ({e:?})");
    assert_eq!(e.server_code(), server_code, "wrong server code for: {e} ({e:?})");
    assert!(e.to_string().trim().len() > 10, "an error must say what happened: {e:?}");
    assert_no_secret(&e, secrets);
    e
}
