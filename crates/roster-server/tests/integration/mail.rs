//! E-mail delivery: with `smtp_url` set, invite mail really goes out over SMTP (to a minimal
//! SMTP sink on loopback) and the outbox row is marked sent; without it, the outbox keeps it.

use std::time::Duration;

use roster_server::{Config, Db, Limits};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Accepts SMTP sessions and sends each received message (envelope recipient, data) on `tx`.
async fn smtp_sink(tx: mpsc::UnboundedSender<(String, String)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let (mut rcpt, mut data, mut in_data) = (String::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            tx.send((rcpt.clone(), std::mem::take(&mut data))).unwrap();
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt = line[8..].trim().trim_matches(['<', '>']).to_string();
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn given_smtp_configured_when_an_email_invite_is_created_then_it_is_delivered_and_marked_sent()
 {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let port = smtp_sink(tx).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let db = Db::open(&path).unwrap();
    let accounts = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
    let mut config = Config::new(&path);
    config.limits = Limits::relaxed();
    config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    let server = roster_server::start_with_db(config, db).await.unwrap();
    let four_roles = accounts.iter().find(|a| a.preset == "four-roles-7day").unwrap();

    let invite: Value = reqwest::Client::new()
        .post(format!("{}/v1/invites", server.url))
        .bearer_auth(&four_roles.keys[0].key)
        .json(&json!({"email": "new.dev@atlas.example", "role": "developer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = invite["link"].as_str().unwrap();

    let (to, data) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no mail within 10 s")
        .unwrap();
    assert_eq!(to, "new.dev@atlas.example");
    // Quoted-printable or not, the token survives unbroken on one line of a short mail.
    let unfolded = data.replace("=\n", "");
    assert!(unfolded.contains(link), "the mail holds the link: {data}");
    assert!(data.contains("Atlas Studio"), "the mail names the team");

    // The outbox row is marked sent (the mailer marks it right after the SMTP answer).
    let mut sent = None;
    for _ in 0..50 {
        sent = roster_server::outbox(&server.db, Some("new.dev@atlas.example"), 1).unwrap()[0]
            .sent_at
            .clone();
        if sent.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sent.is_some(), "outbox row not marked sent");
    server.shutdown().await;
}

#[tokio::test]
async fn given_smtp_unreachable_when_an_email_invite_is_created_then_the_invite_stands_and_the_mail_stays_in_the_outbox()
 {
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let db = Db::open(&path).unwrap();
    let accounts = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
    let mut config = Config::new(&path);
    config.smtp_url = Some(format!("smtp://127.0.0.1:{dead}"));
    let server = roster_server::start_with_db(config, db).await.unwrap();
    let four_roles = accounts.iter().find(|a| a.preset == "four-roles-7day").unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/v1/invites", server.url))
        .bearer_auth(&four_roles.keys[0].key)
        .json(&json!({"email": "later@atlas.example", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "a mail failure never undoes the invite");
    // Wait for the attempt itself (its error is recorded), not for a guessed time.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mail = loop {
        let mail =
            roster_server::outbox(&server.db, Some("later@atlas.example"), 1).unwrap().remove(0);
        if mail.error.is_some() || std::time::Instant::now() > deadline {
            break mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(mail.error.is_some(), "the mailer tried and recorded why it failed: {mail:?}");
    assert!(mail.sent_at.is_none(), "not marked sent");
    assert!(mail.body.contains("/join/"), "the mail with its link is kept in the outbox");
    server.shutdown().await;
}
