//! Invite tokens at rest: the database file (with its WAL) holds no link token after invites
//! are created, replayed, mailed and resent, and a database from before sealed tokens is
//! migrated on start without losing a pending invite. What must keep working does: copying
//! the link again, joining, revoking, replays.

use crate::common::{TestServer, token_of};

use std::path::Path;

use roster_server::{Config, Db};
use serde_json::{Value, json};

/// Every byte the server keeps on disk beside its key: the database, its WAL and shm.
fn stored_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "key") {
            continue;
        }
        all.extend(std::fs::read(&path).unwrap_or_default());
    }
    all
}

fn holds(bytes: &[u8], token: &str) -> bool {
    bytes.windows(token.len()).any(|w| w == token.as_bytes())
}

#[tokio::test]
async fn given_invites_created_replayed_and_mailed_then_the_database_keeps_no_token_and_links_still_work()
 {
    let t = TestServer::start().await;
    let owner = t.owner("link-email-quotas");
    let key = [("Idempotency-Key", "tokens-at-rest-0001")];
    let body = json!({"email": "rest@kestrel.example", "role": "member"});
    let created = t
        .call_with(reqwest::Method::POST, "/v1/invites", Some(&owner), Some(&body), &key)
        .await
        .ok();
    let link = created["link"].as_str().unwrap().to_string();
    // The replay answers with the same link, though only the invite without it was kept.
    let replay =
        t.call_with(reqwest::Method::POST, "/v1/invites", Some(&owner), Some(&body), &key).await;
    assert_eq!(replay.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(replay.json["link"], link.as_str());
    // An e-mailed invite, resent: two mails with its link in the outbox.
    let mailed = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": "mail@kestrel.example", "role": "member", "delivery": "email"}),
        )
        .await
        .ok();
    let mailed_link = mailed["link"].as_str().unwrap().to_string();
    t.post(&format!("/v1/invites/{}/resend", mailed["id"].as_str().unwrap()), &owner, json!({}))
        .await
        .ok();
    let mails = t.outbox("mail@kestrel.example");
    assert_eq!(mails.len(), 2);
    assert!(
        mails.iter().all(|m| m.body.contains(&mailed_link)),
        "the outbox sends the link: {mails:?}"
    );

    let bytes = stored_bytes(t.data_dir());
    for token in [token_of(&link), token_of(&mailed_link)] {
        assert!(!holds(&bytes, &token), "the token {token} is in the database files");
    }
    // The demo's own pending invites too.
    let pending = t.all("/v1/invites?status=pending", &owner).await;
    assert!(pending.len() > 2);
    for inv in &pending {
        let token = token_of(inv["link"].as_str().unwrap());
        assert!(!holds(&bytes, &token), "{}: its token is in the database files", inv["email"]);
    }

    // Copying again gives the same link; it joins; a revoked one stops at once.
    let id = created["id"].as_str().unwrap();
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["link"], link.as_str());
    let joined = t.join_sign_up(&link, "rest@kestrel.example", "Rest Easy").await;
    assert_eq!(joined.status.as_u16(), 200, "{}", joined.text);
    let mailed_id = mailed["id"].as_str().unwrap();
    t.post(&format!("/v1/invites/{mailed_id}/revoke"), &owner, json!({})).await.ok();
    let gone = t.join_sign_up(&mailed_link, "mail@kestrel.example", "Too Late").await;
    assert_eq!(gone.status.as_u16(), 410, "{}", gone.text);
    // A replay after the invite was accepted: the invite as it was made, its link no longer.
    let late =
        t.call_with(reqwest::Method::POST, "/v1/invites", Some(&owner), Some(&body), &key).await;
    assert_eq!(late.json["id"], created["id"]);
    assert_eq!(late.json["link"], Value::Null, "{}", late.text);
    // The key is the server's own file, readable by it alone.
    let key_file = t.data_dir().join("roster.db.key");
    assert_eq!(std::fs::read(&key_file).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    t.server.shutdown().await;
}

/// (row id, sealed token) of every row `sql` selects.
fn sealed_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<(i64, Vec<u8>)> {
    let mut st = conn.prepare(sql).unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

/// Turns a current database back into the schema before sealed tokens (version 4): tokens in
/// `invites.token` and in the outbox's text, as such a server left them.
fn back_to_plain_tokens(path: &Path) -> Vec<String> {
    let db = Db::open(path).unwrap();
    let sealer = db.sealer();
    drop(db);
    let conn = rusqlite::Connection::open(path).unwrap();
    let rows = sealed_rows(&conn, "SELECT id, token_sealed FROM invites");
    let mut tokens = Vec::new();
    for (id, sealed) in rows {
        let token = sealer.open(&sealed).unwrap();
        conn.execute(
            "UPDATE invites SET token_hash = ?2 WHERE id = ?1",
            rusqlite::params![id, token],
        )
        .unwrap();
        tokens.push(token);
    }
    let mails =
        sealed_rows(&conn, "SELECT id, secret_sealed FROM outbox WHERE secret_sealed IS NOT NULL");
    for (id, sealed) in mails {
        let token = sealer.open(&sealed).unwrap();
        conn.execute(
            "UPDATE outbox SET body = replace(body, ?2, ?3) WHERE id = ?1",
            rusqlite::params![id, roster_server::tokens::PLACEHOLDER, token],
        )
        .unwrap();
    }
    conn.execute_batch(
        "ALTER TABLE invites DROP COLUMN token_sealed;
         ALTER TABLE invites RENAME COLUMN token_hash TO token;
         ALTER TABLE outbox DROP COLUMN secret_sealed;
         PRAGMA user_version = 4;",
    )
    .unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    tokens
}

#[tokio::test]
async fn given_a_database_with_tokens_in_the_clear_when_the_server_starts_then_they_are_sealed_and_every_link_still_works()
 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let db = Db::open(&path).unwrap();
    let accounts = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
    let kestrel = accounts.iter().find(|a| a.preset == "link-email-quotas").unwrap();
    let owner = kestrel.keys[0].key.clone();
    // An e-mailed invite, so the outbox holds a link too.
    let server = roster_server::start_with_db(Config::new(&path), db).await.unwrap();
    let http = reqwest::Client::new();
    let mailed: Value = http
        .post(format!("{}/v1/invites", server.url))
        .bearer_auth(&owner)
        .json(&json!({"email": "old@kestrel.example", "role": "member", "delivery": "email"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mailed_link = mailed["link"].as_str().unwrap().to_string();
    server.shutdown().await;

    let tokens = back_to_plain_tokens(&path);
    let before = stored_bytes(dir.path());
    assert!(
        tokens.iter().all(|tok| holds(&before, tok)),
        "the old schema holds every token in the clear"
    );
    assert!(holds(&before, &token_of(&mailed_link)));

    // The new server opens it: migrated on start.
    let db = Db::open(&path).unwrap();
    let after = stored_bytes(dir.path());
    for token in &tokens {
        assert!(
            !holds(&after, token),
            "{token} is still in the database files after the migration"
        );
    }
    let mail = roster_server::outbox(&db, Some("old@kestrel.example"), 1).unwrap().remove(0);
    assert!(
        mail.body.contains(&token_of(&mailed_link)),
        "the mail still sends its link: {}",
        mail.body
    );
    let server = roster_server::start_with_db(Config::new(&path), db).await.unwrap();
    let pending: Value = http
        .get(format!("{}/v1/invites?status=pending&limit=200", server.url))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pending = pending["data"].as_array().unwrap();
    let again = pending
        .iter()
        .find(|i| i["id"] == mailed["id"])
        .expect("the pending invite is still there");
    // Another port this time: the same token is the same link.
    assert_eq!(
        token_of(again["link"].as_str().unwrap()),
        token_of(&mailed_link),
        "copying again gives the same link"
    );
    let joined = http
        .post(format!("{}/v1/join", server.url))
        .json(&json!({"token": token_of(&mailed_link), "mode": "sign_up", "email": "old@kestrel.example", "name": "Old Link", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 200, "the old link joins: {}", joined.text().await.unwrap());
    server.shutdown().await;
}
