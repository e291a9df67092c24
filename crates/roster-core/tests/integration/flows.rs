//! The invite flows against the real reference server, started in-process on 127.0.0.1 with
//! the demo accounts in a temp SQLite file, and the real X clipboard read back by another
//! process (`xclip`). Server-side checks run everywhere; the clipboard checks need
//! tools/desktop-session (ROSTER_TEST_SESSION=1), and say "skipped" otherwise.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use roster_core::api::{
    Delivery, ErrorCode as ServerCode, InviteStatus, JoinMode, JoinRequest, NewInvite,
};
use roster_core::bulk::{self, BulkOptions, RowOutcome};
use roster_core::client::InviteQuery;
use roster_core::flows::{self, CopyOutcome, CopyTo};
use roster_core::{
    ApiKey, Clipboard, CopyOptions, ErrorCode, Http, HttpConfig, IdempotencyKey, TeamClient,
};
use roster_server::seed::SeededAccount;
use roster_server::{Config, Db, Limits, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct TestServer {
    server: RunningServer,
    accounts: Vec<SeededAccount>,
    http: Http,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("roster.db");
        let db = Db::open(&db_path).unwrap();
        let accounts = roster_server::seed::demo(&db, Utc::now()).unwrap();
        let mut config = Config::new(&db_path);
        config.limits = Limits::relaxed();
        let server = roster_server::start_with_db(config, db).await.unwrap();
        TestServer { server, accounts, http: Http::new(HttpConfig::default()).unwrap(), _dir: dir }
    }

    fn account(&self, preset: &str) -> &SeededAccount {
        self.accounts.iter().find(|a| a.preset == preset).unwrap()
    }

    /// A client with the owner-level key of the preset's demo account.
    fn owner(&self, preset: &str) -> TeamClient {
        self.client_at(&self.server.url, &self.account(preset).keys[0].key)
    }

    fn with_role(&self, preset: &str, role: &str) -> TeamClient {
        let key = &self.account(preset).keys.iter().find(|k| k.role == role).unwrap().key;
        self.client_at(&self.server.url, key)
    }

    fn client_at(&self, url: &str, key: &str) -> TeamClient {
        TeamClient::new(&self.http, url, ApiKey::from(key.to_string())).unwrap()
    }
}

fn session() -> bool {
    crate::session::required(module_path!())
}

/// The process has one clipboard: tests that copy take turns.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn to_clipboard() -> CopyTo<'static> {
    CopyTo::clipboard(Clipboard::shared(), CopyOptions::sensitive())
}

/// What another process gets when it pastes.
fn paste() -> Option<String> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .output()
        .expect("xclip must be installed");
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

fn new_invite(email: &str, role: &str) -> NewInvite {
    NewInvite::new(email, role)
}

async fn invites_for(client: &TeamClient, email: &str) -> Vec<roster_core::api::Invite> {
    let all = client.all_invites(&InviteQuery::default()).await.unwrap();
    all.into_iter().filter(|i| i.email.eq_ignore_ascii_case(email)).collect()
}

#[tokio::test]
async fn given_a_new_invite_when_created_then_the_clipboard_holds_exactly_its_link_which_opens_the_join_page()
 {
    if !session() {
        return;
    }
    let _g = serial().await;
    let t = TestServer::start().await;
    let client = t.owner("owner-member-link");
    let created = flows::create_invite(
        &client,
        &new_invite("zoe@northwind.example", "member"),
        &IdempotencyKey::new(),
        &to_clipboard(),
    )
    .await
    .unwrap();

    assert_eq!(created.copy, CopyOutcome::Copied);
    let link = created.link().unwrap().to_string();
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    assert_eq!(created.emailed_to, None);
    let now = chrono::Local::now();
    assert_eq!(
        created.summary(&now),
        format!("Link copied · expires {}", flows::expiry_date(created.invite.expires_at, &now))
    );
    assert_eq!(flows::expiry_relative(created.invite.expires_at, &now), "in 14 days");

    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Northwind Labs"));
    assert_eq!(invites_for(&client, "zoe@northwind.example").await.len(), 1);
}

#[tokio::test]
async fn given_email_delivery_when_created_then_the_link_is_still_copied_and_the_summary_says_emailed()
 {
    let _g = serial().await;
    let t = TestServer::start().await;
    let client = t.owner("four-roles-7day");
    let copy = if session() { to_clipboard() } else { CopyTo::Nowhere };
    let created = flows::create_invite(
        &client,
        &new_invite("yuki@atlas.example", "viewer"),
        &IdempotencyKey::new(),
        &copy,
    )
    .await
    .unwrap();
    assert_eq!(created.invite.delivery, Delivery::Email);
    assert_eq!(created.emailed_to.as_deref(), Some("yuki@atlas.example"));
    let link = created.link().expect("managers get the link with e-mail delivery too");
    let summary = created.summary(&chrono::Local::now());
    if session() {
        assert_eq!(created.copy, CopyOutcome::Copied);
        assert_eq!(paste().as_deref(), Some(link));
        assert!(
            summary.starts_with("Invite e-mailed to yuki@atlas.example · link copied · expires "),
            "{summary}"
        );
    } else {
        assert_eq!(created.copy, CopyOutcome::NotRequested);
        assert!(
            summary.starts_with("Invite e-mailed to yuki@atlas.example · expires "),
            "{summary}"
        );
    }
}

#[tokio::test]
async fn given_a_pending_invite_when_recopied_then_its_link_is_copied_and_once_revoked_a_clear_error()
 {
    let _g = serial().await;
    let t = TestServer::start().await;
    let client = t.owner("owner-member-link");
    let created = flows::create_invite(
        &client,
        &new_invite("rev@northwind.example", "member"),
        &IdempotencyKey::new(),
        &CopyTo::Nowhere,
    )
    .await
    .unwrap();
    let id = created.invite.id.clone();
    let link = created.link().unwrap().to_string();

    if session() {
        Clipboard::shared().copy("something else").unwrap();
        let again = flows::recopy_link(&client, &id, &to_clipboard()).await.unwrap();
        assert_eq!(again.copy, CopyOutcome::Copied);
        assert_eq!(paste().as_deref(), Some(link.as_str()));
        assert!(again.summary(&chrono::Local::now()).starts_with("Link copied · expires "));
    }

    client.revoke_invite(&id).await.unwrap();
    let sentinel = format!("copied by the user {}", id);
    if session() {
        Clipboard::shared().copy(&sentinel).unwrap();
    }
    let copy = if session() { to_clipboard() } else { CopyTo::Nowhere };
    let e = flows::recopy_link(&client, &id, &copy).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert_eq!(e.server_code(), Some(ServerCode::InviteNotPending));
    let msg = e.to_string();
    assert!(msg.contains("rev@northwind.example was revoked on "), "{msg}");
    assert!(msg.contains("Create a new invite"), "{msg}");
    if session() {
        assert_eq!(
            paste().as_deref(),
            Some(sentinel.as_str()),
            "a refused re-copy must leave the clipboard alone"
        );
    }
    // The revoked link really is dead on the server.
    assert_eq!(reqwest::get(&link).await.unwrap().status(), 410);
}

#[tokio::test]
async fn given_accepted_or_expired_invites_when_recopied_then_the_error_says_which() {
    let t = TestServer::start().await;
    let client = t.owner("owner-member-link");
    let accepted = flows::create_invite(
        &client,
        &new_invite("acc@northwind.example", "member"),
        &IdempotencyKey::new(),
        &CopyTo::Nowhere,
    )
    .await
    .unwrap();
    let token = accepted.link().unwrap().rsplit('/').next().unwrap().to_string();
    TeamClient::join(
        &t.http,
        &t.server.url,
        &JoinRequest {
            token,
            mode: JoinMode::SignUp,
            email: "acc@northwind.example".into(),
            password: "correct horse battery".into(),
            name: Some("Acc Epted".into()),
        },
    )
    .await
    .unwrap();
    let e = flows::recopy_link(&client, &accepted.invite.id, &CopyTo::Nowhere).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert!(e.to_string().contains("was already accepted by Acc Epted"), "{e}");

    let expiring = flows::create_invite(
        &client,
        &new_invite("exp@northwind.example", "member"),
        &IdempotencyKey::new(),
        &CopyTo::Nowhere,
    )
    .await
    .unwrap();
    t.server.clock.advance(chrono::Duration::days(15));
    let e = flows::recopy_link(&client, &expiring.invite.id, &CopyTo::Nowhere).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert!(e.to_string().contains("exp@northwind.example expired on "), "{e}");
    assert!(e.to_string().contains("Resend it"), "{e}");
}

#[tokio::test]
async fn given_a_role_that_cannot_see_links_when_recopying_then_no_permission() {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let created = flows::create_invite(
        &owner,
        &new_invite("pat@northwind.example", "member"),
        &IdempotencyKey::new(),
        &CopyTo::Nowhere,
    )
    .await
    .unwrap();
    let member = t.with_role("owner-member-link", "member");
    let e = flows::recopy_link(&member, &created.invite.id, &CopyTo::Nowhere).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoPermission);
    assert!(e.to_string().contains("only to roles that manage the team"), "{e}");
}

#[tokio::test]
async fn given_a_pending_invite_when_copied_as_message_then_the_clipboard_holds_the_message() {
    let _g = serial().await;
    let t = TestServer::start().await;
    let client = t.owner("six-roles-2fa");
    let mut new = new_invite("msg@bluefin.example", "billing_viewer");
    new.require_secure_sign_in = true;
    let created = flows::create_invite(&client, &new, &IdempotencyKey::new(), &CopyTo::Nowhere)
        .await
        .unwrap();
    let me = client.me().await.unwrap();
    let copy = if session() { to_clipboard() } else { CopyTo::Nowhere };
    let message =
        flows::copy_invite_message(&client, &created.invite.id, &me, &copy).await.unwrap();
    let link = created.link().unwrap();
    assert!(
        message.text.starts_with(&format!("You're invited to join Bluefin Analytics as Billing viewer on Roster: {link} (link expires ")),
        "{}",
        message.text
    );
    assert!(
        message.text.ends_with(", in 14 days). Two-step sign-in is required"),
        "{}",
        message.text
    );
    if session() {
        assert_eq!(message.copy, CopyOutcome::Copied);
        assert_eq!(paste().as_deref(), Some(message.text.as_str()));
    }
}

/// Harbor Health (admin-member-idp) has 10 seats; the demo uses 7 (5 members, 2 pending).
#[tokio::test]
async fn given_a_csv_with_duplicates_bad_rows_and_too_few_seats_when_bulk_invited_then_each_row_matches_the_server()
 {
    let _g = serial().await;
    let t = TestServer::start().await;
    let client = t.owner("admin-member-idp");
    let me = client.me().await.unwrap();
    assert_eq!(
        (me.seats.used, me.seats.limit),
        (7, Some(10)),
        "the demo seed changed; adjust this test"
    );
    let before = client.all_invites(&InviteQuery::default()).await.unwrap();

    let csv = "email,role
# new hires, Q4
new1@harbor.example,member
new2@harbor.example,Administrator
NEW1@harbor.example,member
not-an-email,member
new3@harbor.example,superuser
ana@harbor.example,member
dara@harbor.example,member

new4@harbor.example
new5@harbor.example,member
new6@harbor.example,member
new1@harbor.example
new7@harbor.example
";
    let plan = bulk::plan_bulk(csv, &me.policy, None);
    let copy = if session() { to_clipboard() } else { CopyTo::Nowhere };
    let report = bulk::bulk_invite(&client, &plan, &BulkOptions::default(), &copy).await;

    let got: Vec<(usize, &str, String)> = report
        .rows
        .iter()
        .map(|r| {
            let what = match &r.outcome {
                RowOutcome::Created { .. } => "created".to_string(),
                RowOutcome::Duplicate { first_line } => format!("duplicate of {first_line}"),
                RowOutcome::Refused { server_code, .. } => {
                    format!("refused {}", server_code.map(|c| c.as_str()).unwrap_or("-"))
                }
                RowOutcome::NotAttempted { reason } => format!("not attempted: {reason}"),
            };
            (r.line, r.email.as_str(), what)
        })
        .collect();
    let want: Vec<(usize, &str, String)> = [
        (3, "new1@harbor.example", "created"),
        (4, "new2@harbor.example", "created"),
        (5, "NEW1@harbor.example", "duplicate of 3"),
        (6, "not-an-email", "refused validation_failed"),
        (7, "new3@harbor.example", "refused unknown_role"),
        (8, "ana@harbor.example", "refused already_member"),
        (9, "dara@harbor.example", "refused invite_exists"),
        (11, "new4@harbor.example", "created"),
        (12, "new5@harbor.example", "refused seat_limit_reached"),
        (13, "new6@harbor.example", "not attempted: seats full"),
        (14, "new1@harbor.example", "duplicate of 3"),
        (15, "new7@harbor.example", "not attempted: seats full"),
    ]
    .into_iter()
    .map(|(l, e, w)| (l, e, w.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(report.rows[1].role, "administrator", "display names map to role ids");
    let stop = report.stopped.as_ref().unwrap();
    assert_eq!((stop.line, stop.code), (12, ErrorCode::SeatLimit));
    assert_eq!(
        report.retry_input(),
        "new5@harbor.example,member\nnew6@harbor.example,member\nnew7@harbor.example,member\n"
    );
    if let RowOutcome::Refused { message, .. } = &report.rows[8].outcome {
        assert!(message.contains("seats"), "{message}");
    }

    // The server holds exactly one invite per created row, and nothing for the others.
    let after = client.all_invites(&InviteQuery::default()).await.unwrap();
    assert_eq!(after.len(), before.len() + 3);
    for row in &report.rows {
        let on_server: Vec<_> =
            after.iter().filter(|i| i.email.eq_ignore_ascii_case(&row.email)).collect();
        match &row.outcome {
            RowOutcome::Created { invite } => {
                assert_eq!(on_server.len(), 1, "{}", row.email);
                assert_eq!(on_server[0].id, invite.id);
                assert_eq!(on_server[0].status, InviteStatus::Pending);
                assert_eq!(on_server[0].role, row.role);
                assert_eq!(on_server[0].link, invite.link);
            }
            RowOutcome::Duplicate { .. } => assert_eq!(on_server.len(), 1, "{}", row.email),
            RowOutcome::Refused { .. } | RowOutcome::NotAttempted { .. } => {
                let before_n =
                    before.iter().filter(|i| i.email.eq_ignore_ascii_case(&row.email)).count();
                assert_eq!(on_server.len(), before_n, "{}: nothing new on the server", row.email);
            }
        }
    }
    assert_eq!(client.me().await.unwrap().seats.used, 10);

    let links = report.links().join("\n");
    assert_eq!(report.links().len(), 3);
    assert_eq!(
        report.summary().split(" · ").take(4).collect::<Vec<_>>(),
        ["3 invited", "2 duplicates skipped", "5 refused", "2 not attempted (seats full)"]
    );
    if session() {
        assert_eq!(report.copy, CopyOutcome::Copied);
        assert_eq!(paste().as_deref(), Some(links.as_str()));
        assert!(report.summary().ends_with(" · 3 links copied"));
    }
}

#[tokio::test]
async fn given_a_refused_key_when_bulk_inviting_then_the_first_row_says_so_and_the_rest_are_not_attempted()
 {
    let t = TestServer::start().await;
    let client = t.client_at(&t.server.url, "rst_this_key_does_not_exist_0000000000");
    let policy = roster_server::PRESETS[0].policy.clone();
    let plan = bulk::plan_bulk("a@x.example\nb@x.example\na@x.example", &policy, None);
    let report = bulk::bulk_invite(&client, &plan, &BulkOptions::default(), &CopyTo::Nowhere).await;
    assert!(
        matches!(&report.rows[0].outcome, RowOutcome::Refused { code: ErrorCode::BadKey, .. }),
        "{:?}",
        report.rows[0]
    );
    assert!(
        matches!(&report.rows[1].outcome, RowOutcome::NotAttempted { reason } if reason == "the API key was refused")
    );
    assert!(matches!(&report.rows[2].outcome, RowOutcome::Duplicate { first_line: 1 }));
    assert_eq!(report.copy, CopyOutcome::NotRequested);
}

// ------------------------------------------------------------------------------------------
// A lost answer: the proxy forwards the first invite creation, lets the server answer it,
// then closes the client's connection without passing the answer on.

struct LosingProxy {
    url: String,
    /// The Idempotency-Key of every `POST /v1/invites` that went through.
    create_keys: Arc<Mutex<Vec<String>>>,
    dropped: Arc<AtomicUsize>,
}

async fn losing_proxy(upstream: SocketAddr) -> LosingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let create_keys = Arc::new(Mutex::new(Vec::new()));
    let dropped = Arc::new(AtomicUsize::new(0));
    let armed = Arc::new(AtomicBool::new(true));
    let (keys, drops) = (create_keys.clone(), dropped.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, upstream, armed.clone(), keys.clone(), drops.clone()));
        }
    });
    LosingProxy { url, create_keys, dropped }
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    armed: Arc<AtomicBool>,
    keys: Arc<Mutex<Vec<String>>>,
    dropped: Arc<AtomicUsize>,
) {
    let server = TcpStream::connect(upstream).await.unwrap();
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let swallow = Arc::new(AtomicBool::new(false));
    let swallow_next = swallow.clone();
    let upstream_task = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            // Requests start on a fresh read: HTTP/1.1 clients send the next request only
            // after the previous answer.
            if chunk.starts_with(b"POST /v1/invites ") {
                let head = String::from_utf8_lossy(chunk).to_lowercase();
                let key = head
                    .lines()
                    .find_map(|l| l.strip_prefix("idempotency-key:"))
                    .map(|k| k.trim().to_string())
                    .unwrap_or_default();
                keys.lock().unwrap().push(key);
                if armed.swap(false, Ordering::SeqCst) {
                    swallow_next.store(true, Ordering::SeqCst);
                }
            }
            if to_server.write_all(chunk).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut held = Vec::new();
    loop {
        let n = match from_server.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !swallow.load(Ordering::SeqCst) {
            if to_client.write_all(&buf[..n]).await.is_err() {
                break;
            }
            continue;
        }
        // Read the server's whole answer (so it has certainly committed), then hang up.
        held.extend_from_slice(&buf[..n]);
        if response_complete(&held) {
            dropped.fetch_add(1, Ordering::SeqCst);
            break;
        }
    }
    upstream_task.abort();
    drop(to_client);
}

fn response_complete(bytes: &[u8]) -> bool {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else { return false };
    let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    bytes.len() >= end + 4 + length
}

#[tokio::test]
async fn given_the_first_answer_is_lost_when_the_flow_retries_then_the_server_holds_exactly_one_invite()
 {
    let t = TestServer::start().await;
    let proxy = losing_proxy(t.server.addr).await;
    let key = &t.account("owner-member-link").keys[0].key;
    let through_proxy = t.client_at(&proxy.url, key);

    let created = flows::create_invite(
        &through_proxy,
        &new_invite("lost@northwind.example", "member"),
        &IdempotencyKey::new(),
        &CopyTo::Nowhere,
    )
    .await
    .expect("the flow must succeed through its retry");

    assert_eq!(
        proxy.dropped.load(Ordering::SeqCst),
        1,
        "the proxy must have lost one committed answer"
    );
    let keys = proxy.create_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2, "one lost attempt and one retry");
    assert!(
        !keys[0].is_empty() && keys[0] == keys[1],
        "the retry must carry the same Idempotency-Key: {keys:?}"
    );

    let direct = t.owner("owner-member-link");
    let on_server = invites_for(&direct, "lost@northwind.example").await;
    assert_eq!(on_server.len(), 1, "exactly one invite despite the retry");
    assert_eq!(on_server[0].id, created.invite.id);
    assert_eq!(on_server[0].status, InviteStatus::Pending);
}
