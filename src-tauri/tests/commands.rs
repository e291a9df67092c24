//! The commands through Tauri's real IPC path (`tauri::test::mock_builder` + `get_ipc_response`):
//! argument names as the UI sends them (camelCase), the capability checks of
//! capabilities/main.json, and errors as `{code, message}`, against the real reference server
//! on 127.0.0.1. Keys go to the memory store (the keychain has its own tests in roster-core).

use std::sync::Mutex;

use roster_core::{AccountStore, Cache, Http, HttpConfig, Keychain};
use roster_desk::Desk;
use roster_server::seed::SeededAccount;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow};

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    server_url: String,
    /// Kept: dropping it would stop the server.
    _server: roster_server::RunningServer,
    accounts: Vec<SeededAccount>,
    /// Every response and error text the web view received, for the leak check.
    seen: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn start() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("roster.db");
        // The server runs on Tauri's own runtime, which outlives this call.
        let (server, accounts) = tauri::async_runtime::block_on(async {
            let db = roster_server::Db::open(&db_path).unwrap();
            let accounts = roster_server::seed::demo(&db, chrono_now()).unwrap();
            let mut config = roster_server::Config::new(&db_path);
            config.limits = roster_server::Limits::relaxed();
            (roster_server::start_with_db(config, db).await.unwrap(), accounts)
        });
        let store = AccountStore::open_in(dir.path().join("config"), Keychain::memory()).unwrap();
        let desk = Desk::new(
            store,
            Cache::at(dir.path().join("cache")),
            Http::new(HttpConfig::default()).unwrap(),
        );
        let app = roster_desktop::build(mock_builder(), desk, roster_desktop::context())
            .expect("build the app");
        // The window tauri.conf.json declares ("main"; `run` would create it from there).
        let window =
            tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
        Harness {
            _app: app,
            window,
            server_url: server.url.clone(),
            _server: server,
            accounts,
            seen: Mutex::default(),
            _dir: dir,
        }
    }

    /// Invokes `cmd` as the main window's page would (`invoke(cmd, args)`).
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let response = get_ipc_response(&self.window, request(cmd, args))
            .map(|body| body.deserialize::<Value>().unwrap());
        let text = match &response {
            Ok(v) | Err(v) => v.to_string(),
        };
        self.seen.lock().unwrap().push(format!("{cmd}: {text}"));
        response
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args) {
            Ok(v) => panic!("{cmd} should have failed, got {v}"),
            Err(e) => e,
        }
    }

    fn key(&self, preset: &str, role: &str) -> String {
        let account = self.accounts.iter().find(|a| a.preset == preset).unwrap();
        account.keys.iter().find(|k| k.role == role).unwrap().key.clone()
    }

    /// Adds the account of `preset` with `role`'s key; returns its local id.
    fn add(&self, preset: &str, role: &str) -> String {
        let view = self
            .ok("account_add", json!({ "server": self.server_url, "key": self.key(preset, role) }));
        view["active"].as_str().unwrap().to_string()
    }
}

/// An IPC request from the app's own page (`tauri://localhost`).
fn request(cmd: &str, args: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[test]
fn given_no_accounts_when_listing_then_an_empty_view_says_where_keys_go() {
    let h = Harness::start();
    let view = h.ok("accounts_list", json!({}));
    assert_eq!(view["accounts"], json!([]));
    assert_eq!(view["active"], Value::Null);
    assert_eq!(view["demo"], json!(false));
    assert_eq!(view["keychain"]["kind"], "memory");
    assert!(view["keychain"]["banner"].as_str().unwrap().contains("memory"), "{view}");
}

#[test]
fn given_a_wrong_key_when_adding_then_bad_key_with_a_message_and_nothing_saved() {
    let h = Harness::start();
    let e = h.err("account_add", json!({ "server": h.server_url, "key": "rst_not_a_real_key_000000000000", "label": "Acme" }));
    assert_eq!(e["code"], "bad_key", "{e}");
    assert!(e["message"].as_str().unwrap().len() > 10, "{e}");
    assert_eq!(e.as_object().unwrap().len(), 2, "errors are exactly {{code, message}}: {e}");
    assert!(!e.to_string().contains("rst_not_a_real_key"), "{e}");
    assert_eq!(h.ok("accounts_list", json!({}))["accounts"], json!([]));
    let e = h.err(
        "account_add",
        json!({ "server": "http://team.example.com", "key": h.key("owner-member-link", "owner") }),
    );
    assert_eq!(e["code"], "insecure_url", "{e}");
}

#[test]
fn given_an_owner_account_when_creating_an_invite_then_a_toast_says_it_was_copied_or_what_to_do() {
    let h = Harness::start();
    let id = h.add("owner-member-link", "owner");
    let list = h.ok("accounts_list", json!({}));
    assert_eq!(list["accounts"][0]["account_name"], "Northwind Labs");
    let args = json!({ "id": id, "invite": { "email": "toast@northwind.example", "role": "member" }, "idempotencyKey": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" });
    let created = h.ok("invite_create", args.clone());
    let toast = created["toast"].as_str().unwrap();
    // Under tools/desktop-session the copy must work; elsewhere a probe says whether it can.
    let copies = std::env::var("ROSTER_TEST_SESSION").as_deref() == Ok("1")
        || roster_core::Clipboard::shared().copy("roster test: clipboard probe").is_ok();
    assert_eq!(created["copied"], json!(copies), "{toast}");
    if copies {
        assert!(toast.starts_with("Link copied · expires "), "{toast}");
        let link = created["invite"]["link"].as_str().unwrap();
        assert_eq!(roster_core::Clipboard::shared().text().unwrap().as_deref(), Some(link));
    } else {
        assert!(toast.contains("copy it by hand") && toast.contains("expires"), "{toast}");
    }
    let invite_id = created["invite"]["id"].as_str().unwrap();
    assert!(created["invite"]["link"].as_str().unwrap().contains("/join/"));
    // The UI's retry of the same action (same key) gets the same invite back, not invite_exists.
    assert_eq!(h.ok("invite_create", args)["invite"], created["invite"]);
    let e = h.err("invite_create", json!({ "id": id, "invite": { "email": "garbage@northwind.example", "role": "member" }, "idempotencyKey": "1" }));
    assert_eq!(e["code"], "invalid", "{e}");
    // camelCase arguments reach the snake_case parameters.
    let recopied = h.ok("invite_recopy", json!({ "id": id, "inviteId": invite_id }));
    assert_eq!(recopied["invite"]["id"], invite_id);
    let revoked = h.ok("invite_revoke", json!({ "id": id, "inviteId": invite_id }));
    assert_eq!(revoked["status"], "revoked");
    let e = h.err("invite_recopy", json!({ "id": id, "inviteId": invite_id }));
    assert_eq!(e["code"], "conflict", "{e}");
}

#[test]
fn given_several_addresses_when_inviting_in_bulk_then_every_invite_carries_the_options_and_a_per_person_one_is_refused()
 {
    let h = Harness::start();
    let id = h.add("six-roles-2fa", "owner");
    let options = json!({ "require_secure_sign_in": true, "expires_in_days": 3 });
    let report = h.ok("invite_bulk", json!({ "id": id, "text": "a@bluefin.example\nb@bluefin.example", "role": "", "options": options }));
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    for row in rows {
        assert_eq!(row["outcome"]["kind"], "created", "{report}");
        let invite = &row["outcome"]["invite"];
        assert_eq!(invite["require_secure_sign_in"], json!(true), "{invite}");
        let at = |field: &str| {
            invite[field].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap()
        };
        assert_eq!(at("expires_at") - at("created_at"), chrono::Duration::days(3), "{invite}");
    }
    // The notification e-mail is per person: a bulk run has no field for it, and says so
    // instead of dropping it.
    let e = h.err("invite_bulk", json!({ "id": id, "text": "c@bluefin.example\nd@bluefin.example", "role": "", "options": { "notification_email": "n@bluefin.example" } }));
    assert!(e.to_string().contains("unknown field `notification_email`"), "{e}");
}

#[test]
fn given_a_whole_session_then_no_response_or_error_carries_an_api_key() {
    let h = Harness::start();
    let id = h.add("link-email-quotas", "owner");
    let member = h.add("owner-member-link", "member");
    let view = h.ok("account_switch", json!({ "id": id, "wantCached": true }));
    assert_eq!(view, Value::Null, "nothing cached yet");
    let team = h.ok("team_refresh", json!({ "id": id }));
    assert_eq!(team["stale"], json!(false));
    assert!(team["invites"].as_array().unwrap().iter().all(|i| i["link"].is_null()));
    let cached = h.ok("account_switch", json!({ "id": id, "wantCached": true }));
    assert_eq!(cached["stale"], json!(true));
    // A window that still shows the team asks for nothing.
    assert_eq!(h.ok("account_switch", json!({ "id": id, "wantCached": false })), Value::Null);
    h.ok("team_refresh", json!({ "id": member }));
    h.ok("keychain_doctor", json!({}));
    let user = team["members"].as_array().unwrap().iter().find(|m| m["role"] != "owner").unwrap()["user_id"].as_str().unwrap().to_string();
    let updated =
        h.ok("member_update", json!({ "id": id, "userId": user, "patch": { "quota": 777 } }));
    assert_eq!(updated["member"]["quota"], 777);
    h.ok("invite_create", json!({ "id": id, "invite": { "email": "leak@kestrel.example", "role": "member" }, "idempotencyKey": "3b241101-e2bb-4255-8caf-4136c566a962" }));
    h.ok("invite_bulk", json!({ "id": id, "text": "a@kestrel.example\nb@kestrel.example", "role": "member", "options": {} }));
    let page = h.ok("audit_page", json!({ "id": id, "filter": { "action": "invite_created" } }));
    assert!(page["data"].as_array().unwrap().iter().all(|e| e["action"] == "invite_created"));
    h.ok("promotions_list", json!({ "id": id }));
    h.ok("account_update", json!({ "id": id, "label": "Kestrel", "colour": "#123456" }));
    h.ok("account_reorder", json!({ "ids": [member, id] }));
    let e = h.err("member_remove", json!({ "id": member, "userId": user }));
    assert_eq!(e["code"], "no_permission", "{e}");
    let e = h.err("account_rekey", json!({ "id": member, "key": h.key("six-roles-2fa", "owner") }));
    assert_eq!(e["code"], "invalid", "{e}");
    h.ok("account_rekey", json!({ "id": member, "key": h.key("owner-member-link", "owner") }));
    let e = h.err("team_leave", json!({ "id": id }));
    assert_eq!(e["code"], "last_owner", "{e}");
    let viewer = h.add("four-roles-7day", "viewer");
    let after = h.ok("team_leave", json!({ "id": viewer }));
    assert_eq!(after["accounts"].as_array().unwrap().len(), 2);
    h.ok("account_remove", json!({ "id": member }));

    let seen = h.seen.lock().unwrap();
    assert!(seen.len() > 20);
    for account in &h.accounts {
        for key in &account.keys {
            for response in seen.iter() {
                assert!(!response.contains(&key.key), "a key reached the web view: {response}");
            }
        }
    }
}

#[test]
fn given_the_capability_then_plugin_commands_are_refused_and_pages_open_only_on_the_accounts_server()
 {
    let h = Harness::start();
    let id = h.add("four-roles-7day", "admin");
    for (cmd, args) in [
        ("plugin:opener|open_url", json!({ "url": "https://evil.example" })),
        ("plugin:notification|notify", json!({ "options": { "title": "x" } })),
        ("plugin:window|set_title", json!({ "value": "x" })),
    ] {
        let e = h.err(cmd, args);
        assert!(e.to_string().contains("not allowed"), "{cmd}: {e}");
    }
    for path in ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"] {
        let e = h.err("open_server_page", json!({ "id": id, "path": path }));
        assert_eq!(e["code"], "invalid", "{path}: {e}");
    }
    let e = h.err("open_server_page", json!({ "id": "nope", "path": "/openapi.yaml" }));
    assert_eq!(e["code"], "unknown_account", "{e}");

    // Another window (none exists today) gets no command at all: the capability names "main".
    let other =
        tauri::WebviewWindowBuilder::new(h.window.app_handle(), "other", Default::default())
            .build()
            .unwrap();
    let e = get_ipc_response(&other, request("accounts_list", json!({})))
        .map(|b| b.deserialize::<Value>().unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("not allowed"), "{e}");
}

#[test]
fn given_the_active_account_when_something_happens_in_its_team_then_the_window_gets_an_audit_event()
{
    use tauri::Listener;
    let h = Harness::start();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    h.window.listen_any("audit", move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    let id = h.add("owner-member-link", "owner");
    // Until the stream is connected an event could come before it: retry with new invites.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let payload = (0..).find_map(|n| {
        assert!(std::time::Instant::now() < deadline, "no audit event reached the window");
        let email = format!("live{n}@northwind.example");
        h.ok("invite_create", json!({ "id": id, "invite": { "email": email, "role": "member" }, "idempotencyKey": format!("live-invite-key-{n:08}") }));
        rx.recv_timeout(std::time::Duration::from_millis(1500)).ok().map(|p| serde_json::from_str::<Value>(&p).unwrap())
    });
    let payload = payload.unwrap();
    assert_eq!(payload["account"], json!(id));
    assert_eq!(payload["event"]["action"], "invite_created");
    assert_eq!(
        payload.as_object().unwrap().len(),
        3,
        "{{account, event, notification}}: {payload}"
    );
    assert_eq!(payload["notification"], Value::Null, "only a join has a notification: {payload}");
}

#[test]
fn given_the_command_list_then_the_capability_grants_exactly_its_commands_and_the_events() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities/main.json"))
            .unwrap();
    let capability: Value = serde_json::from_str(&text).unwrap();
    let granted: std::collections::BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let mut expected: std::collections::BTreeSet<String> = roster_desk::ipc::COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    expected
        .extend(["core:event:allow-listen".to_string(), "core:event:allow-unlisten".to_string()]);
    let missing: Vec<_> = expected.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "capabilities/main.json disagrees with roster-desk's command list: missing {missing:?}, not in the list {extra:?}"
    );
}

#[test]
fn given_a_misspelt_argument_when_invoking_then_the_command_refuses_it() {
    let h = Harness::start();
    let id = h.add("owner-member-link", "owner");
    let e = h.err("team_refresh", json!({ "accountId": id }));
    assert!(e.to_string().contains("invalid arguments for team_refresh"), "{e}");
    let e = h.err("invite_revoke", json!({ "id": id, "invite_id": "inv_1" }));
    assert!(e.to_string().contains("inviteId"), "the field's name as the UI must write it: {e}");
}

#[test]
fn given_every_command_of_the_list_when_invoked_through_ipc_then_each_reaches_desk_with_its_arguments()
 {
    let h = Harness::start();
    // Bluefin confirms new owners by e-mail: a promotion to cancel.
    let id = h.add("six-roles-2fa", "owner");
    let owner_key = h.key("six-roles-2fa", "owner");
    h.ok("accounts_list", json!({}));
    h.ok("account_rekey", json!({ "id": id, "key": owner_key }));
    h.ok("account_update", json!({ "id": id, "label": "Bluefin here", "colour": "#336699" }));
    h.ok("account_reorder", json!({ "ids": [id] }));
    h.ok("keychain_doctor", json!({}));
    let first = h.ok("team_first_page", json!({ "id": id }));
    assert_eq!(first["partial"], true, "{first}");
    assert_eq!(h.ok("team_cached", json!({ "id": id })), Value::Null, "nothing cached yet");
    let team = h.ok("team_refresh", json!({ "id": id }));
    let cached = h.ok("team_cached", json!({ "id": id }));
    assert_eq!(cached["stale"], true, "{cached}");
    assert_eq!(cached["members"], team["members"]);
    assert_eq!(h.ok("account_switch", json!({ "id": id, "wantCached": true }))["account"], id);

    let me = team["me"]["user"]["id"].clone();
    let members = team["members"].as_array().unwrap();
    let others: Vec<&Value> = members.iter().filter(|m| m["user_id"] != me).collect();
    let (promoted, changed) = (others[0]["user_id"].clone(), others[1]["user_id"].clone());
    let update = h
        .ok("member_update", json!({ "id": id, "userId": promoted, "patch": { "role": "owner" } }));
    let promotion = update["promotion"]["id"].as_str().expect("a pending promotion").to_string();
    assert_eq!(h.ok("promotions_list", json!({ "id": id }))[0]["id"], promotion);
    let cancelled = h.ok("promotion_cancel", json!({ "id": id, "promotionId": promotion }));
    assert_eq!(cancelled["status"], "cancelled");
    h.ok("member_update", json!({ "id": id, "userId": changed, "patch": { "role": "modifier" } }));
    h.ok("member_remove", json!({ "id": id, "userId": changed }));

    let args = json!({ "id": id, "invite": { "email": "every@bluefin.example", "role": "member" }, "idempotencyKey": "0b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" });
    let invite = h.ok("invite_create", args)["invite"]["id"].as_str().unwrap().to_string();
    h.ok(
        "invite_bulk",
        json!({ "id": id, "text": "bulk1@bluefin.example", "role": "", "options": {} }),
    );
    assert_eq!(
        h.ok("invite_recopy", json!({ "id": id, "inviteId": invite }))["invite"]["id"],
        invite
    );
    let message = h.ok("invite_copy_message", json!({ "id": id, "inviteId": invite }));
    assert!(message["text"].as_str().unwrap().contains("Bluefin Analytics"), "{message}");
    assert_eq!(h.ok("invite_resend", json!({ "id": id, "inviteId": invite }))["times_sent"], 2);
    assert_eq!(h.ok("invite_revoke", json!({ "id": id, "inviteId": invite }))["status"], "revoked");
    let page = h.ok("audit_page", json!({ "id": id, "filter": { "q": "every@" } }));
    assert!(!page["data"].as_array().unwrap().is_empty(), "{page}");
    // No browser under the test runtime: Desk itself says so, past the argument check.
    let e = h.err("open_server_page", json!({ "id": id, "path": "/openapi.yaml" }));
    assert!(e["message"].as_str().unwrap().contains("no browser"), "{e}");

    // A member's key may leave; its account is then gone here.
    let member = h.add("owner-member-link", "member");
    let left = h.ok("team_leave", json!({ "id": member }));
    assert!(left["accounts"].as_array().unwrap().iter().all(|a| a["id"] != member), "{left}");
    h.ok("account_remove", json!({ "id": id }));

    let invoked: std::collections::BTreeSet<String> = h
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|line| line.split(':').next().unwrap().to_string())
        .collect();
    let listed: std::collections::BTreeSet<String> =
        roster_desk::ipc::COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(invoked, listed, "every command of the list, through Tauri's IPC");
}
