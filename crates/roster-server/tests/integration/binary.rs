//! The `roster-server` binary as a user runs it: `serve --demo` prints one JSON line with the
//! URL and keys once it accepts connections, the keys work, and the log (at the most verbose
//! level) never holds a key, an invite token or a password.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_roster-server"))
}

#[tokio::test]
async fn given_serve_demo_when_used_with_printed_keys_then_it_works_and_logs_hold_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut child = bin()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let started: Value = serde_json::from_str(&line).expect("first stdout line is JSON");
    let url = started["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let accounts = started["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), roster_server::PRESETS.len(), "one demo account per preset");
    for acc in accounts {
        let preset = roster_server::PRESETS.iter().find(|p| p.id == acc["preset"]).unwrap();
        let roles: Vec<&str> =
            acc["keys"].as_array().unwrap().iter().map(|k| k["role"].as_str().unwrap()).collect();
        assert_eq!(roles.len(), preset.policy.roles.len(), "a key for every role of {}", preset.id);
        assert!(
            preset.policy.role(roles[0]).unwrap().is_owner,
            "the owner-level key is listed first"
        );
    }

    let http = reqwest::Client::new();
    let owner = accounts[0]["keys"][0]["key"].as_str().unwrap().to_string();
    // Accepting connections already: no retry loop.
    let me: Value = http
        .get(format!("{url}/v1/me"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account"]["name"], accounts[0]["name"]);

    let invite: Value = http
        .post(format!("{url}/v1/invites"))
        .bearer_auth(&owner)
        .json(&json!({"email": "log.check@example.com", "role": "member"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = invite["link"].as_str().unwrap().to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let password = "a-very-secret-password-123";
    let joined = http
        .post(format!("{url}/v1/join"))
        .json(&json!({"token": token, "mode": "sign_up", "name": "Log Check", "email": "log.check@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 200);
    let wrong = http
        .get(format!("{url}/v1/me"))
        .bearer_auth("rst_not-a-real-key-but-looks-like-one")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    // SIGINT is what Ctrl+C sends; the server shuts down cleanly on it.
    unsafe { libc_kill(child.id() as i32, 2) };
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on Ctrl+C, got {status}");
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains("listening"), "the log says it is listening");
    assert!(log.contains("invite redeemed"), "the log records the join");
    for acc in accounts {
        for k in acc["keys"].as_array().unwrap() {
            assert!(!log.contains(k["key"].as_str().unwrap()), "an API key leaked into the log");
        }
    }
    assert!(!log.contains(&token), "an invite token leaked into the log");
    assert!(!log.contains(password), "a password leaked into the log");
    assert!(!log.contains("rst_not-a-real-key"), "a presented key leaked into the log");
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn given_a_database_with_accounts_when_serving_demo_then_it_refuses_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("real.db");
    let out = bin()
        .args([
            "create-account",
            "--name",
            "Acme",
            "--preset",
            "admin-member-idp",
            "--owner-email",
            "boss@acme.example",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(acc["keys"][0]["role"], "administrator");
    assert!(acc["keys"][0]["key"].as_str().unwrap().starts_with("rst_"));

    let out = bin()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already has accounts"), "{err}");

    let out = bin()
        .args([
            "create-account",
            "--name",
            "X",
            "--preset",
            "nope",
            "--owner-email",
            "a@b.example",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown preset nope; one of: owner-member-link")
    );
}

#[tokio::test]
async fn given_seed_command_when_run_then_a_scale_team_exists_with_a_working_owner_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scale.db");
    let out = bin()
        .args(["seed", "--members", "2000", "--invites", "400", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(acc["keys"][0]["role"], "owner");
    let path = db;
    let db = roster_server::Db::open(&path).unwrap();
    let (members, invites): (i64, i64) = db
        .blocking(|tx| {
            Ok((
                tx.query_row("SELECT count(*) FROM memberships", [], |r| r.get(0))?,
                tx.query_row("SELECT count(*) FROM invites", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!((members, invites), (2000, 400));
    let server = roster_server::start_with_db(roster_server::Config::new(&path), db).await.unwrap();
    let me: Value = reqwest::Client::new()
        .get(format!("{}/v1/me", server.url))
        .bearer_auth(acc["keys"][0]["key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["seats"]["members"], 2000);
    server.shutdown().await;
}
