//! The `roster-webconsole` binary as a bench runs it: the real reference server on 127.0.0.1
//! (demo teams, real SQLite), an account added through roster-core's `AccountStore` with its key
//! in a key file (no keychain daemon needed), then the bridge with the same config, cache and
//! key file, asked over real HTTP what the UI's shim would ask. Every answer is checked for the
//! API key, which must never leave the bridge.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, ORIGIN};
use roster_core::{AccountStore, ApiKey, Http, HttpConfig, Keychain};
use roster_server::{Config, Db, Limits, RunningServer};
use serde_json::{Value, json};

const NORTHWIND: &str = "owner-member-link";
const SHIM_TAG: &str = r#"<script src="/__webconsole/shim.js"></script>"#;
/// In a file next to the UI folder: no request may read it.
const OUTSIDE: &str = "outside-the-ui-folder-4f1c";

struct Bench {
    /// Runs on the test's runtime, and ends with it.
    server: RunningServer,
    /// The owner key the account was added with.
    key: String,
    /// Local id of that account.
    account: String,
    url: String,
    bridge: Child,
    log: PathBuf,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Bench {
    /// Server, account (Northwind Labs through its owner key) and bridge.
    async fn start() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("roster.db");
        let db = Db::open(&db_path).unwrap();
        let seeded = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
        let mut config = Config::new(&db_path);
        config.limits = Limits::relaxed();
        let server = roster_server::start_with_db(config, db).await.unwrap();
        let key = seeded.iter().find(|a| a.preset == NORTHWIND).unwrap().keys[0].key.clone();

        let mut store = AccountStore::open_in(
            dir.path().join("config"),
            Keychain::file(dir.path().join("keys")),
        )
        .unwrap();
        let http = Http::new(HttpConfig::default()).unwrap();
        let account = store
            .add(&http, &server.url, ApiKey::from(key.clone()), None, None)
            .await
            .unwrap()
            .account
            .id;

        let ui = dir.path().join("ui");
        std::fs::create_dir_all(ui.join("assets")).unwrap();
        std::fs::write(ui.join("index.html"), "<!doctype html><html><head><title>t</title></head><body><div id=\"app\"></div></body></html>").unwrap();
        std::fs::write(ui.join("assets/app-1.js"), "console.log('app');").unwrap();
        std::fs::write(dir.path().join("secret.txt"), OUTSIDE).unwrap();

        let log = dir.path().join("bridge.log");
        let mut bridge = Command::new(env!("CARGO_BIN_EXE_roster-webconsole"))
            .arg("--ui")
            .arg(&ui)
            .env("ROSTER_CONFIG_DIR", dir.path().join("config"))
            .env("ROSTER_CACHE_DIR", dir.path().join("cache"))
            .env("ROSTER_KEY_FILE", dir.path().join("keys"))
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(bridge.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let started: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("the first stdout line is JSON ({e}): {line:?}; log: {}", read(&log))
        });
        assert_eq!(started.as_object().map(|o| o.len()), Some(1), "{started}");
        let url = started["url"].as_str().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");

        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        Bench { server, key, account, url, bridge, log, http, dir }
    }

    /// `GET path`: status, headers, body (checked for the key).
    async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .http
            .get(format!("{}{}", self.url, path.trim_start_matches('/')))
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, self.checked(res.text().await.unwrap()))
    }

    /// `POST /ipc/{cmd}` as the shim sends it.
    async fn ipc(&self, cmd: &str, args: Value) -> (StatusCode, Value) {
        let res =
            self.http.post(format!("{}ipc/{cmd}", self.url)).json(&args).send().await.unwrap();
        self.json(res).await
    }

    async fn json(&self, res: reqwest::Response) -> (StatusCode, Value) {
        let status = res.status();
        let text = self.checked(res.text().await.unwrap());
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
    }

    #[track_caller]
    fn checked(&self, body: String) -> String {
        assert!(!body.contains(&self.key), "the API key left the bridge: {body}");
        body
    }

    /// Stops the bridge with `signal` and returns its exit status and whole log.
    fn stop(&mut self, signal: i32) -> (std::process::ExitStatus, String) {
        unsafe { libc_kill(self.bridge.id() as i32, signal) };
        let status = self.bridge.wait().unwrap();
        let log = read(&self.log);
        assert!(!log.contains(&self.key), "the API key reached the log");
        (status, log)
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.bridge.kill();
        let _ = self.bridge.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

const SIGTERM: i32 = 15;

#[track_caller]
fn assert_app_error(body: &Value, code: &str, says: &str) {
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "an AppError is {{code, message}}: {body}"
    );
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(says), "the message should say {says:?}: {message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_ui_build_when_the_page_loads_then_the_shim_comes_first_under_a_strict_csp() {
    let b = Bench::start().await;
    for path in ["/", "/index.html"] {
        let (status, headers, body) = b.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(
            body.starts_with(&format!("<!doctype html><html><head>{SHIM_TAG}<title>")),
            "{path}: {body}"
        );
        let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self';",
            "connect-src 'self';",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    let (status, headers, shim) = b.get("/__webconsole/shim.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert!(
        shim.contains("__TAURI_INTERNALS__") && shim.contains("__TAURI_EVENT_PLUGIN_INTERNALS__")
    );

    let (status, headers, app) = b.get("/assets/app-1.js").await;
    assert_eq!((status, app.as_str()), (StatusCode::OK, "console.log('app');"));
    assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(b.get("/assets/missing.js").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_added_account_when_the_ui_lists_and_refreshes_then_it_gets_the_account_and_its_members()
 {
    let b = Bench::start().await;
    let (status, view) = b.ipc("accounts_list", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let accounts = view["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{view}");
    assert_eq!(
        (accounts[0]["id"].as_str(), accounts[0]["account_name"].as_str()),
        (Some(b.account.as_str()), Some("Northwind Labs"))
    );
    assert_eq!(view["active"], b.account.as_str());
    assert_eq!(view["keychain"]["kind"], "file", "ROSTER_KEY_FILE is honoured");

    let (status, team) = b.ipc("team_refresh", json!({"id": b.account})).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(
        (team["account"].as_str(), team["stale"].as_bool()),
        (Some(b.account.as_str()), Some(false))
    );
    let members = team["members"].as_array().unwrap();
    assert!(members.len() > 1, "{team}");
    assert!(members.iter().any(|m| m["email"] == "owner@northwind.example"), "{team}");
    assert!(
        team["invites"].as_array().unwrap().iter().all(|i| i["link"].is_null()),
        "links stay out of team views"
    );

    // Now cached: switching answers with it at once.
    let (status, cached) =
        b.ipc("account_switch", json!({"id": b.account, "wantCached": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cached["stale"], true, "{cached}");

    // camelCase arguments, as Tauri names them.
    let pending = team["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "pending")
        .expect("the demo team has a pending invite");
    let (status, revoked) =
        b.ipc("invite_revoke", json!({"id": b.account, "inviteId": pending["id"]})).await;
    assert_eq!(
        (status, revoked["status"].as_str()),
        (StatusCode::OK, Some("revoked")),
        "{revoked}"
    );
    let (status, page) =
        b.ipc("audit_page", json!({"id": b.account, "filter": {"action": "invite_revoked"}})).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page["data"].as_array().unwrap().iter().any(|e| e["target"]["email"] == pending["email"]),
        "{page}"
    );

    // Bulk invites take the command's `options`, applied to every row.
    let bulk = json!({"id": b.account, "text": "bulk1@northwind.example\nbulk2@northwind.example", "role": "", "options": {"expires_in_days": 3}});
    let (status, report) = b.ipc("invite_bulk", bulk).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"].as_array().unwrap().len(), 2, "{report}");
    for row in report["rows"].as_array().unwrap() {
        assert_eq!(row["outcome"]["kind"], "created", "{report}");
        let invite = &row["outcome"]["invite"];
        let at = |field: &str| {
            invite[field].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap()
        };
        assert_eq!(at("expires_at") - at("created_at"), chrono::Duration::days(3), "{report}");
    }
    let per_person = json!({"id": b.account, "text": "bulk3@northwind.example", "role": "", "options": {"notification_email": "n@northwind.example"}});
    let (status, refused) = b.ipc("invite_bulk", per_person).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&refused, "invalid", "unknown field `notification_email`");

    let (status, reports) = b.ipc("keychain_doctor", json!(null)).await;
    assert_eq!(
        (status, reports[0]["state"].as_str()),
        (StatusCode::OK, Some("present")),
        "{reports}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_command_the_bridge_does_not_answer_when_invoked_then_an_app_error_names_it() {
    let b = Bench::start().await;
    let (status, body) = b.ipc("frobnicate", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "frobnicate is not available in the browser stand-in");

    // The key would have to cross HTTP: refused before anything is read.
    let (status, body) = b
        .ipc(
            "account_add",
            json!({"server": b.server.url, "key": "rst_typed-into-the-browser-0000"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "account_add is not available in the browser stand-in");
    assert!(!body.to_string().contains("rst_typed-into-the-browser"));
    let (status, body) = b.ipc("account_rekey", json!({"id": b.account, "key": b.key})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "account_rekey is not available in the browser stand-in");

    let (status, body) = b.ipc("team_refresh", json!({"account": b.account})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "id");
    // The command ran and Desk said no: its own AppError.
    let (status, body) = b.ipc("team_refresh", json!({"id": "acc_nobody"})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_app_error(&body, "unknown_account", "acc_nobody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_path_out_of_the_ui_folder_when_requested_then_it_is_refused() {
    let b = Bench::start().await;
    // reqwest would resolve `..` before sending: a raw request says it as an attacker would.
    let addr = b.url.trim_start_matches("http://").trim_end_matches('/').to_string();
    for target in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"] {
        let mut socket = std::net::TcpStream::connect(&addr).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(socket, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        let answer = b.checked(answer);
        assert!(answer.starts_with("HTTP/1.1 404"), "{target}: {answer}");
        assert!(!answer.contains(OUTSIDE), "{target} read a file outside the UI folder");
    }
    for path in
        ["/..%2fsecret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets%5c..%5c..%5csecret.txt"]
    {
        let (status, _, body) = b.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains(OUTSIDE), "{path} read a file outside the UI folder");
    }
    assert!(b.dir.path().join("secret.txt").is_file(), "the file is there to be found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_request_from_another_site_when_it_calls_a_command_then_it_is_refused() {
    let b = Bench::start().await;
    let ipc = format!("{}ipc/accounts_list", b.url);
    // A form or a no-cors fetch: no preflight, so JSON is required.
    let res = b.http.post(&ipc).header(CONTENT_TYPE, "text/plain").body("{}").send().await.unwrap();
    let (status, body) = b.json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "application/json");

    let res = b
        .http
        .post(&ipc)
        .header(ORIGIN, "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = b.json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_app_error(&body, "invalid", "http://evil.example");

    // A rebound DNS name: the browser thinks it is evil.example's own origin.
    let res = b
        .http
        .post(&ipc)
        .header(HOST, "evil.example")
        .header(ORIGIN, "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!b.checked(res.text().await.unwrap()).contains("Northwind"));

    let own = b.url.trim_end_matches('/').to_string();
    let res = b.http.post(&ipc).header(ORIGIN, own).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the console's own page is answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_running_bridge_when_sent_sigterm_then_it_exits_cleanly_and_logged_no_key() {
    let mut b = Bench::start().await;
    assert_eq!(b.ipc("team_refresh", json!({"id": b.account})).await.0, StatusCode::OK);
    let (status, log) = b.stop(SIGTERM);
    assert!(status.success(), "clean exit on SIGTERM, got {status}; log: {log}");
    assert!(log.contains("listening") && log.contains("shutting down"), "{log}");
}
