//! Transport faults, each producing one exact typed error (never a panic, never a hang):
//! a small loopback proxy between `TeamClient` and the real reference server loses, delays
//! or truncates the server's answers; where the server itself is not the point, a tiny raw
//! TCP server answers what a misconfigured proxy or a wrong address would (HTML, a 10 MB
//! body, malformed JSON, a 502 page). Every error must say what to do and never show a key.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use roster_core::api::{
    AuditAction, ErrorCode as S, HealthStatus, InviteStatus, JoinMode, JoinRequest, MemberPatch,
    NewInvite, Problem,
};
use roster_core::client::{AuditQuery, InviteQuery, MemberQuery};
use roster_core::{ApiKey, Error, ErrorCode, HttpConfig, IdempotencyKey, TeamClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The key the raw servers see; it must never show up in an error.
const KEY: &str = "rst_fault_injection_key_5f2a9c7e1b3d";

fn new_invite(email: &str) -> NewInvite {
    NewInvite {
        email: email.into(),
        role: "member".into(),
        delivery: None,
        notification_email: None,
        identity_provider: None,
        require_secure_sign_in: false,
        expires_in_days: None,
    }
}

/// Asserts the error is the expected one for a transport fault: its code, no server code,
/// a message containing `advice` (what to do), and no key anywhere.
#[track_caller]
fn check(e: &Error, code: ErrorCode, advice: &str, keys: &[&str]) {
    assert_eq!(e.code(), code, "{e} ({e:?})");
    assert_eq!(e.server_code(), None, "{e:?}");
    assert!(e.to_string().contains(advice), "the message should say what to do ({advice:?}): {e}");
    assert_no_secret(e, keys);
}

// ---------------------------------------------------------------------------------------
// Minimal HTTP/1.1 framing: enough to tell where a request or response ends.

struct Message {
    /// Head and body, exactly as received.
    bytes: Vec<u8>,
    head_len: usize,
}

impl Message {
    fn head(&self) -> String {
        String::from_utf8_lossy(&self.bytes[..self.head_len]).into_owned()
    }
}

/// Reads one message framed by `Content-Length` (absent = no body); `None` at a clean EOF
/// between messages. `buf` carries bytes read past the message to the next call.
async fn read_message(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Message>> {
    let head_len = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).to_ascii_lowercase();
    assert!(
        !head.contains("transfer-encoding: chunked"),
        "this test proxy frames by Content-Length only: {head}"
    );
    let body_len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().expect("numeric Content-Length"))
        .unwrap_or(0);
    while buf.len() < head_len + body_len {
        let mut chunk = [0u8; 64 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let bytes: Vec<u8> = buf.drain(..head_len + body_len).collect();
    Ok(Some(Message { bytes, head_len }))
}

// ---------------------------------------------------------------------------------------
// The proxy in front of the real server

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Forward everything unchanged (the control).
    None,
    /// Forward the request and read the server's whole answer (so it has committed), then
    /// close the client's connection without sending a byte. First response only: the
    /// client's retry goes through.
    DropFirstResponse,
    /// Hold the first response this long, then forward it (to a client that gave up).
    DelayFirstResponse(Duration),
    /// Hold every response this long.
    DelayEveryResponse(Duration),
    /// Forward the head (with the real Content-Length) and half the body, then close.
    TruncateBody,
}

struct Proxy {
    url: String,
    /// Requests forwarded to the server so far.
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn proxy(upstream: SocketAddr, fault: Fault) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((client, _)) = listener.accept().await {
            connections.spawn(relay(client, upstream, fault, counter.clone()));
        }
    });
    Proxy { url, requests, task }
}

async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    requests: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    while let Some(request) = read_message(&mut client, &mut from_client).await? {
        let nth = requests.fetch_add(1, Ordering::SeqCst);
        server.write_all(&request.bytes).await?;
        let response = read_message(&mut server, &mut from_server)
            .await?
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        match fault {
            // Returning drops both sockets: the client sees its connection closed.
            Fault::DropFirstResponse if nth == 0 => return Ok(()),
            Fault::DelayFirstResponse(d) if nth == 0 => tokio::time::sleep(d).await,
            Fault::DelayEveryResponse(d) => tokio::time::sleep(d).await,
            Fault::TruncateBody => {
                assert!(response.bytes.len() - response.head_len > 10, "a body worth truncating");
                let cut = response.head_len + (response.bytes.len() - response.head_len) / 2;
                client.write_all(&response.bytes[..cut]).await?;
                return Ok(());
            }
            _ => {}
        }
        client.write_all(&response.bytes).await?;
    }
    Ok(())
}

/// A client of `preset`'s owner that goes through `proxy`.
fn via(t: &TestServer, proxy: &Proxy, preset: &str, config: HttpConfig) -> TeamClient {
    let http = roster_core::Http::new(config).unwrap();
    TeamClient::new(&http, &proxy.url, ApiKey::from(t.owner_key_text(preset))).unwrap()
}

fn short_timeout() -> HttpConfig {
    HttpConfig { request_timeout: Duration::from_millis(500), ..test_http_config() }
}

// ---------------------------------------------------------------------------------------
// The raw server: one canned answer to every request

struct Canned {
    url: String,
    requests: Arc<AtomicUsize>,
    /// Every request head it received, in order.
    heads: Arc<std::sync::Mutex<Vec<String>>>,
    /// Bytes of the answer written to the socket (the kernel accepted them).
    written: Arc<AtomicUsize>,
    /// Writing the answer failed: the client closed the connection before taking it all.
    cut_off: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Canned {
    /// The last request head it received.
    fn last_head(&self) -> String {
        self.heads.lock().unwrap().last().cloned().unwrap_or_default()
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Answer {
    bytes: Arc<Vec<u8>>,
    /// Close the connection after writing (else wait for the next request on it).
    close: bool,
    /// Write in 64 KiB pieces with a pause between, as a real server streams a body.
    paced: bool,
}

fn answer(status: &str, content_type: &str, body: &[u8]) -> Answer {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Answer { bytes: Arc::new(bytes), close: false, paced: false }
}

async fn canned(answer: Answer) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let written = Arc::new(AtomicUsize::new(0));
    let cut_off = Arc::new(AtomicBool::new(false));
    let (r, h, w, c) = (requests.clone(), heads.clone(), written.clone(), cut_off.clone());
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let (answer, r, h, w, c) = (answer.clone(), r.clone(), h.clone(), w.clone(), c.clone());
            connections.spawn(async move {
                let mut buf = Vec::new();
                // Read the whole request first: closing on unread data would reset the
                // connection and hide the answer.
                while let Ok(Some(request)) = read_message(&mut stream, &mut buf).await {
                    r.fetch_add(1, Ordering::SeqCst);
                    h.lock().unwrap().push(request.head());
                    let pieces: Vec<&[u8]> = if answer.paced {
                        answer.bytes.chunks(64 * 1024).collect()
                    } else {
                        vec![&answer.bytes[..]]
                    };
                    for piece in pieces {
                        if stream.write_all(piece).await.is_err() {
                            c.store(true, Ordering::SeqCst);
                            return;
                        }
                        w.fetch_add(piece.len(), Ordering::SeqCst);
                        if answer.paced {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                    if answer.close {
                        return;
                    }
                }
            });
        }
    });
    Canned { url, requests, heads, written, cut_off, task }
}

fn client_of(url: &str, config: HttpConfig) -> TeamClient {
    TeamClient::new(&roster_core::Http::new(config).unwrap(), url, ApiKey::from(KEY.to_string()))
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Faults between the client and the real server

#[tokio::test]
async fn given_a_pass_through_proxy_when_calling_then_the_client_works_as_without_it() {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::None).await;
    let c = via(&t, &p, "owner-member-link", test_http_config());
    assert_eq!(c.me().await.unwrap(), t.owner("owner-member-link").me().await.unwrap());
    c.create_invite(&new_invite("through.proxy@example.com"), &IdempotencyKey::new())
        .await
        .unwrap();
    c.remove_member(&t.client("owner-member-link", "member").me().await.unwrap().user.id)
        .await
        .unwrap();
    assert_eq!(p.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn given_the_response_is_lost_after_the_server_committed_when_create_invite_retries_then_exactly_one_invite_exists_and_the_call_succeeds()
 {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::DropFirstResponse).await;
    let c = via(&t, &p, "owner-member-link", test_http_config());
    let email = "lost.response@example.com";

    let started = Instant::now();
    let inv = within(
        Duration::from_secs(5),
        "create_invite",
        c.create_invite(&new_invite(email), &IdempotencyKey::new()),
    )
    .await
    .unwrap();
    eprintln!("lost response recovered in {:?}", started.elapsed());

    assert_eq!(
        p.requests.load(Ordering::SeqCst),
        2,
        "the first attempt reached the server, the retry went through the proxy again"
    );
    let direct = t.owner("owner-member-link");
    let on_server =
        direct.all_invites(&InviteQuery { status: None, q: Some(email.into()) }).await.unwrap();
    assert_eq!(on_server, vec![inv], "one invite, and it is the one the client was given");
    let created = direct
        .audit(
            &AuditQuery {
                action: Some(AuditAction::InviteCreated),
                actor: None,
                q: Some(email.into()),
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(created.data.len(), 1, "one invite_created event");
}

#[tokio::test]
async fn given_the_response_is_lost_after_the_server_committed_when_joining_then_one_membership_exists_and_the_join_succeeds()
 {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::DropFirstResponse).await;
    let owner = t.owner("owner-member-link");
    let email = "lost.join@example.com";
    let inv = owner.create_invite(&new_invite(email), &IdempotencyKey::new()).await.unwrap();
    let req = JoinRequest {
        token: token_of(inv.link.as_deref().unwrap()),
        mode: JoinMode::SignUp,
        email: email.into(),
        password: "correct horse battery".into(),
        name: Some("Lost Join".into()),
    };
    let http = roster_core::Http::new(test_http_config()).unwrap();

    // Sign-up hashes the password, and the replay checks it again: more time than an invite.
    let joined = within(Duration::from_secs(10), "join", TeamClient::join(&http, &p.url, &req))
        .await
        .unwrap();

    assert_eq!(
        p.requests.load(Ordering::SeqCst),
        2,
        "the first attempt joined on the server, the retry went through the proxy again"
    );
    assert_eq!(
        (joined.user.email.as_str(), joined.user.name.as_str(), joined.role.as_str()),
        (email, "Lost Join", "member")
    );
    let members = owner
        .all_members(&MemberQuery { q: Some(email.into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(
        members.iter().map(|m| m.user_id.as_str()).collect::<Vec<_>>(),
        [joined.user.id.as_str()],
        "one membership, the user the client was given"
    );
    let accepted = owner.invite(&inv.id).await.unwrap();
    assert_eq!(accepted.status, InviteStatus::Accepted);
    assert_eq!(accepted.accepted_by.map(|u| u.id), Some(joined.user.id));
    let events = owner
        .audit(
            &AuditQuery {
                action: Some(AuditAction::InviteAccepted),
                actor: None,
                q: Some(email.into()),
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(events.data.len(), 1, "one invite_accepted event");
}

#[tokio::test]
async fn given_the_response_to_a_non_idempotent_change_is_lost_when_calling_then_unreachable_without_a_retry()
 {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::DropFirstResponse).await;
    let c = via(&t, &p, "owner-member-link", test_http_config());
    let target = t.client("owner-member-link", "member").me().await.unwrap().user.id;

    let e = within(
        Duration::from_secs(5),
        "update_member",
        c.update_member(&target, &MemberPatch { role: Some("owner".into()), quota: None }),
    )
    .await
    .unwrap_err();
    check(&e, ErrorCode::Unreachable, "retry", &[&t.owner_key_text("owner-member-link")]);
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    assert_eq!(
        p.requests.load(Ordering::SeqCst),
        1,
        "a PATCH is never repeated behind the user's back"
    );
    // It did happen on the server: the app refreshes rather than assumes.
    assert_eq!(t.owner("owner-member-link").member(&target).await.unwrap().role, "owner");
}

#[tokio::test]
async fn given_the_first_response_arrives_after_the_timeout_when_create_invite_retries_then_exactly_one_invite_exists()
 {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::DelayFirstResponse(Duration::from_secs(3))).await;
    let c = via(&t, &p, "owner-member-link", short_timeout());
    let email = "slow.response@example.com";

    let inv = within(
        Duration::from_secs(5),
        "create_invite",
        c.create_invite(&new_invite(email), &IdempotencyKey::new()),
    )
    .await
    .unwrap();

    assert_eq!(p.requests.load(Ordering::SeqCst), 2);
    let on_server = t
        .owner("owner-member-link")
        .all_invites(&InviteQuery { status: None, q: Some(email.into()) })
        .await
        .unwrap();
    assert_eq!(on_server, vec![inv]);
}

#[tokio::test]
async fn given_responses_slower_than_the_request_timeout_when_calling_then_a_timeout_error_within_a_bounded_time()
 {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::DelayEveryResponse(Duration::from_secs(30))).await;
    let c = via(&t, &p, "owner-member-link", short_timeout());
    let key = t.owner_key_text("owner-member-link");

    let started = Instant::now();
    let e = within(Duration::from_secs(10), "me", c.me()).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "no hang: {took:?}");
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    check(&e, ErrorCode::Unreachable, "did not answer within", &[&key]);
    assert!(e.to_string().contains("Retry"), "{e}");
    assert_eq!(p.requests.load(Ordering::SeqCst), 3, "a read is retried before giving up");

    let started = Instant::now();
    let target = t.client("owner-member-link", "member").me().await.unwrap().user.id;
    let e = within(
        Duration::from_secs(10),
        "update_member",
        c.update_member(&target, &MemberPatch { role: Some("owner".into()), quota: None }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a change is tried once: {:?}",
        started.elapsed()
    );
    assert_eq!(p.requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn given_a_body_cut_off_before_its_content_length_when_calling_then_truncated() {
    let t = TestServer::start().await;
    let p = proxy(t.addr(), Fault::TruncateBody).await;
    let c = via(&t, &p, "owner-member-link", test_http_config());
    let e = within(Duration::from_secs(5), "me", c.me()).await.unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "cut off", &[&t.owner_key_text("owner-member-link")]);
    assert!(e.to_string().contains("Retry"), "{e}");
    assert_eq!(p.requests.load(Ordering::SeqCst), 3, "a cut-off read is worth retrying");
}

// ---------------------------------------------------------------------------------------
// Answers that are not the Team API

#[tokio::test]
async fn given_a_raw_server_that_closes_early_when_calling_then_truncated() {
    // Announces 1000 bytes, sends 40, closes.
    let mut bytes =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(br#"{"account": {"id": "acc_1", "name": "Nor"#);
    let s = canned(Answer { bytes: Arc::new(bytes), close: true, paced: false }).await;
    let e = within(Duration::from_secs(5), "me", client_of(&s.url, test_http_config()).me())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Truncated { .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "Retry", &[KEY]);
    assert!(s.last_head().contains(&format!("Bearer {KEY}")), "the key was really sent");
}

#[tokio::test]
async fn given_an_html_page_with_200_when_calling_then_not_json() {
    let s = canned(answer(
        "200 OK",
        "text/html; charset=utf-8",
        b"<!doctype html><title>Welcome to nginx!</title>",
    ))
    .await;
    let e = within(Duration::from_secs(5), "me", client_of(&s.url, test_http_config()).me())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotJson { status: 200, content_type, .. } if content_type == "text/html"),
        "{e:?}"
    );
    check(&e, ErrorCode::BadResponse, "Is this the right server address?", &[KEY]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 1, "a wrong server is not retried");

    let s = canned(answer("404 Not Found", "text/html", b"<h1>Not Found</h1>")).await;
    let e = client_of(&s.url, test_http_config()).member("usr_1").await.unwrap_err();
    assert!(matches!(e, Error::NotJson { status: 404, .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "right server address", &[KEY]);
}

/// Exactly `len` bytes of a JSON members page, the padding in one long name.
fn json_body_of(len: usize) -> Vec<u8> {
    let head = br#"{"data": [{"name": ""#;
    let tail = br#""}], "next_cursor": null}"#;
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(head);
    body.resize(len - tail.len(), b'x');
    body.extend_from_slice(tail);
    body
}

const TEN_MB: usize = 10 * 1024 * 1024;

/// Waits until the raw server has noticed the client hung up (or a deadline).
async fn wait_cut_off(s: &Canned) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !s.cut_off.load(Ordering::SeqCst) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn given_a_10_mb_body_with_its_content_length_when_calling_then_too_large_before_reading_it()
{
    let mut a = answer("200 OK", "application/json", &json_body_of(TEN_MB));
    a.paced = true;
    let s = canned(a).await;
    let cap = HttpConfig::default().max_body_bytes;
    let started = Instant::now();
    let e = within(
        Duration::from_secs(5),
        "members",
        client_of(&s.url, test_http_config()).members(&Default::default(), None, None),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit_bytes, .. } if limit_bytes == cap), "{e:?}");
    check(&e, ErrorCode::BadResponse, "Is this the right server address?", &[KEY]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused on the header: {:?}",
        started.elapsed()
    );
    wait_cut_off(&s).await;
    assert!(s.cut_off.load(Ordering::SeqCst), "the client hung up instead of draining the body");
    assert!(
        s.written.load(Ordering::SeqCst) < TEN_MB,
        "written {}",
        s.written.load(Ordering::SeqCst)
    );
    assert_eq!(s.requests.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn given_a_10_mb_chunked_body_without_a_length_when_calling_then_too_large_after_reading_only_up_to_the_cap()
 {
    // Chunked: the size is unknown until it arrives, so only the streaming cap can stop it.
    let body = json_body_of(TEN_MB);
    let mut bytes =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for piece in body.chunks(16 * 1024) {
        bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        bytes.extend_from_slice(piece);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    let s = canned(Answer { bytes: Arc::new(bytes), close: false, paced: true }).await;
    let cap = 256 * 1024;
    let config = HttpConfig { max_body_bytes: cap, ..test_http_config() };

    let e = within(
        Duration::from_secs(5),
        "members",
        client_of(&s.url, config).members(&Default::default(), None, None),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit_bytes, .. } if limit_bytes == cap), "{e:?}");
    check(&e, ErrorCode::BadResponse, "larger than 262144 bytes", &[KEY]);
    wait_cut_off(&s).await;
    let written = s.written.load(Ordering::SeqCst);
    assert!(s.cut_off.load(Ordering::SeqCst), "the client stopped reading at the cap and hung up");
    assert!(
        written < TEN_MB / 2,
        "the server got rid of only {written} bytes: the client did not read it all"
    );
}

#[tokio::test]
async fn given_malformed_or_misshapen_json_when_calling_then_unexpected_shape() {
    let s = canned(answer("200 OK", "application/json", br#"{"account": oops, "user": }"#)).await;
    let e = within(Duration::from_secs(5), "me", client_of(&s.url, test_http_config()).me())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedShape { .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "The server may run a different API version", &[KEY]);

    let s =
        canned(answer("200 OK", "application/json; charset=utf-8", br#"{"hello": "world"}"#)).await;
    let e = client_of(&s.url, test_http_config()).me().await.unwrap_err();
    assert!(
        matches!(&e, Error::UnexpectedShape { detail, .. } if detail.contains("missing field")),
        "{e:?}"
    );
    check(&e, ErrorCode::BadResponse, "different API version", &[KEY]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn given_a_502_html_page_from_a_proxy_when_calling_then_server_error_after_retrying_reads_only()
 {
    let page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let s = canned(answer("502 Bad Gateway", "text/html", page)).await;
    let c = client_of(&s.url, test_http_config());

    let e = within(Duration::from_secs(5), "me", c.me()).await.unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    check(&e, ErrorCode::ServerError, "Retry later", &[KEY]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 3, "a read is retried");

    let e = c.revoke_invite("inv_1").await.unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    assert_eq!(s.requests.load(Ordering::SeqCst), 4, "a change is not");
    let e =
        c.create_invite(&new_invite("x@example.com"), &IdempotencyKey::new()).await.unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    assert_eq!(s.requests.load(Ordering::SeqCst), 7, "an idempotent create is retried");
}

#[tokio::test]
async fn given_a_refused_connection_when_calling_then_unreachable() {
    let url = dead_url();
    let c = client_of(&url, test_http_config());
    let started = Instant::now();
    let e = within(Duration::from_secs(5), "me", c.me()).await.unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    check(
        &e,
        ErrorCode::Unreachable,
        "Check that the server is running and the address is right",
        &[KEY],
    );
    assert!(e.to_string().to_lowercase().contains("refused"), "says why: {e}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn given_a_server_that_accepts_but_never_answers_when_calling_then_timeout() {
    // Accepts and reads, never writes.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let c = client_of(&url, HttpConfig { attempts: 1, ..short_timeout() });
    let e = within(Duration::from_secs(5), "me", c.me()).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    check(&e, ErrorCode::Unreachable, "Retry", &[KEY]);

    // The event stream has no total timeout, but it does not wait forever for an answer.
    let c = client_of(
        &url,
        HttpConfig { stream_idle_timeout: Duration::from_millis(500), ..test_http_config() },
    );
    let e = within(Duration::from_secs(5), "events", c.events(None)).await.map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");
    assert_no_secret(&e, &[KEY]);
    hold.abort();
}

#[tokio::test]
async fn given_a_body_that_stalls_halfway_when_calling_then_timeout_naming_the_real_limit() {
    // Headers and the start of the body arrive at once; the rest never does.
    let mut bytes =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(br#"{"account":"#);
    let s = canned(Answer { bytes: Arc::new(bytes), close: false, paced: false }).await;
    let c = client_of(
        &s.url,
        HttpConfig { attempts: 1, request_timeout: Duration::from_secs(1), ..test_http_config() },
    );
    let started = Instant::now();
    let e = within(Duration::from_secs(5), "me", c.me()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(matches!(e, Error::Timeout { seconds: 1, .. }), "{e:?}");
    check(&e, ErrorCode::Unreachable, "did not answer within 1 s. Retry", &[KEY]);
}

#[tokio::test]
async fn given_a_server_that_repeats_its_page_cursor_when_collecting_all_members_then_unexpected_shape_not_an_endless_loop()
 {
    let s =
        canned(answer("200 OK", "application/json", br#"{"data": [], "next_cursor": "c1-again"}"#))
            .await;
    let c = client_of(&s.url, test_http_config());
    let e = within(Duration::from_secs(5), "all_members", c.all_members(&Default::default()))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::UnexpectedShape { detail, .. } if detail.contains("same page cursor")),
        "{e:?}"
    );
    check(&e, ErrorCode::BadResponse, "different API version", &[KEY]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn given_a_redirect_when_calling_then_it_is_not_followed_and_not_json() {
    // Following it would send the key wherever the redirect points.
    let mut a = answer(
        "301 Moved Permanently",
        "text/html",
        b"<a href=\"https://elsewhere.example/v1/me\">moved</a>",
    );
    let text = String::from_utf8(a.bytes.to_vec()).unwrap().replacen(
        "\r\n",
        "\r\nlocation: http://127.0.0.1:9/v1/me\r\n",
        1,
    );
    a.bytes = Arc::new(text.into_bytes());
    let s = canned(a).await;
    let e = within(Duration::from_secs(5), "me", client_of(&s.url, test_http_config()).me())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotJson { status: 301, .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "Is this the right server address?", &[KEY]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 1);
}

/// A problem document as the server writes it.
fn problem_answer(status: &str, code: S, detail: &str) -> (Problem, Answer) {
    let problem = Problem {
        type_: format!("urn:roster:problem:{}", code.as_str()),
        title: status[4..].to_string(),
        status: status[..3].parse().unwrap(),
        detail: detail.to_string(),
        code,
        errors: vec![],
    };
    let body = serde_json::to_vec(&problem).unwrap();
    (problem, answer(status, "application/problem+json", &body))
}

#[tokio::test]
async fn given_problem_answers_core_cannot_provoke_from_the_real_server_when_calling_then_each_maps_to_its_code_and_keeps_the_servers()
 {
    // The reference server answers these only to broken requests, bodies or routes that
    // TeamClient never sends; a proxy in front of it, or another server, may still say them.
    let cases = [
        ("500 Internal Server Error", S::Internal, ErrorCode::ServerError),
        ("413 Payload Too Large", S::PayloadTooLarge, ErrorCode::Invalid),
        ("415 Unsupported Media Type", S::UnsupportedMediaType, ErrorCode::Invalid),
        ("405 Method Not Allowed", S::MethodNotAllowed, ErrorCode::Invalid),
    ];
    for (status, server_code, code) in cases {
        let detail = format!("The server says {}: do what it says.", server_code.as_str());
        let (problem, a) = problem_answer(status, server_code, &detail);
        let s = canned(a).await;
        let e = within(Duration::from_secs(5), status, client_of(&s.url, test_http_config()).me())
            .await
            .unwrap_err();
        assert!(matches!(&e, Error::Api { problem: p, .. } if *p == problem), "{status}: {e:?}");
        assert_eq!(e.code(), code, "{status}");
        assert_eq!(e.server_code(), Some(server_code), "{status}");
        assert_eq!(e.to_string(), detail, "{status}: the server's own words");
        assert_no_secret(&e, &[KEY]);
        // Only the server's own failure is worth repeating a read for.
        let transient = code == ErrorCode::ServerError;
        assert_eq!(e.is_transient(), transient, "{status}");
        assert_eq!(s.requests.load(Ordering::SeqCst), if transient { 3 } else { 1 }, "{status}");
    }
}

#[tokio::test]
async fn given_the_calls_without_a_key_when_answered_or_failing_then_no_key_is_sent_and_only_the_health_read_is_retried()
 {
    let http = roster_core::Http::new(test_http_config()).unwrap();
    let s = canned(answer("200 OK", "application/json", br#"{"status": "ok"}"#)).await;
    assert_eq!(TeamClient::health(&http, &s.url).await.unwrap().status, HealthStatus::Ok);
    let head = s.last_head().to_ascii_lowercase();
    assert!(head.starts_with("get /healthz ") && !head.contains("authorization"), "{head}");

    let s = canned(answer("502 Bad Gateway", "text/html", b"<h1>502 Bad Gateway</h1>")).await;
    let e = within(Duration::from_secs(5), "health", TeamClient::health(&http, &s.url))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    assert_eq!(s.requests.load(Ordering::SeqCst), 3, "a read is retried");
    let token = "a-confirmation-token-from-the-mail";
    let e = within(
        Duration::from_secs(5),
        "confirm",
        TeamClient::confirm_owner_promotion(&http, &s.url, token),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    assert_no_secret(&e, &[token]);
    assert_eq!(
        s.requests.load(Ordering::SeqCst),
        4,
        "a confirmation is sent once: a repeat would be refused although the first took effect"
    );
    let head = s.last_head().to_ascii_lowercase();
    assert!(
        head.starts_with("post /v1/owner-promotions/confirm ") && !head.contains("authorization"),
        "{head}"
    );
}

#[tokio::test]
async fn given_a_failing_server_when_joining_then_the_attempts_of_one_call_share_one_idempotency_key_and_a_new_call_makes_another()
 {
    let http = roster_core::Http::new(test_http_config()).unwrap();
    let s = canned(answer("502 Bad Gateway", "text/html", b"<h1>502 Bad Gateway</h1>")).await;
    let req = JoinRequest {
        token: "a-join-token-from-the-link".into(),
        mode: JoinMode::SignIn,
        email: "ana@example.com".into(),
        password: "the invitee's password".into(),
        name: None,
    };
    let key_of = |head: &str| {
        head.lines().find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("idempotency-key:").map(|v| v.trim().to_string())
        })
    };

    let e = within(Duration::from_secs(5), "join", TeamClient::join(&http, &s.url, &req))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
    assert_no_secret(&e, &[&req.password, &req.token]);
    let heads = s.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 3, "a join is retried like a read");
    for head in &heads {
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("post /v1/join ") && !head.contains("authorization"), "{head}");
    }
    let keys: Vec<String> = heads
        .iter()
        .map(|h| key_of(h).expect("every attempt carries an Idempotency-Key"))
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "one key for every attempt of the call: {keys:?}");

    within(Duration::from_secs(5), "join again", TeamClient::join(&http, &s.url, &req))
        .await
        .unwrap_err();
    assert_eq!(s.requests.load(Ordering::SeqCst), 6);
    assert_ne!(
        key_of(&s.last_head()).unwrap(),
        keys[0],
        "another call is another join, with its own key"
    );
}

// ---------------------------------------------------------------------------------------
// The event stream

fn sse_answer(events: &str) -> Answer {
    let bytes = format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n{events}").into_bytes();
    Answer { bytes: Arc::new(bytes), close: true, paced: false }
}

const AUDIT_EVENT: &str = r#"{"id":"evt_7","action":"invite_created","actor":null,"target":{"kind":"invite","id":"inv_1","email":"a@example.com"},"details":{"role":"member"},"created_at":"2025-01-01T00:00:00Z"}"#;

#[tokio::test]
async fn given_an_event_stream_that_closes_when_reading_it_then_the_events_then_unreachable_then_the_end()
 {
    let s = canned(sse_answer(&format!(":keep-alive\n\nevent: other\ndata: {{}}\n\nid: evt_7\nevent: audit\ndata: {AUDIT_EVENT}\n\n"))).await;
    let c = client_of(&s.url, test_http_config());
    let mut events =
        Box::pin(within(Duration::from_secs(5), "events", c.events(None)).await.unwrap());
    let first =
        within(Duration::from_secs(5), "first event", events.next()).await.unwrap().unwrap();
    assert_eq!(first.id, "evt_7");
    assert_eq!(first.action, AuditAction::InviteCreated);
    let closed = within(Duration::from_secs(5), "end", events.next()).await.unwrap().unwrap_err();
    check(&closed, ErrorCode::Unreachable, "Check that the server is running", &[KEY]);
    assert!(
        within(Duration::from_secs(5), "none", events.next()).await.is_none(),
        "the stream ends after its error"
    );
}

#[tokio::test]
async fn given_an_event_stream_that_goes_silent_when_reading_it_then_a_timeout_error_not_a_hang() {
    let mut a = sse_answer(&format!("event: audit\ndata: {AUDIT_EVENT}\n\n"));
    a.close = false;
    let s = canned(a).await;
    let c = client_of(
        &s.url,
        HttpConfig { stream_idle_timeout: Duration::from_millis(500), ..test_http_config() },
    );
    let mut events = Box::pin(c.events(None).await.unwrap());
    within(Duration::from_secs(5), "first event", events.next()).await.unwrap().unwrap();
    let started = Instant::now();
    let silent = within(Duration::from_secs(5), "idle", events.next()).await.unwrap().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(
        matches!(silent, Error::Timeout { .. }),
        "an idle stream is a timeout (reconnect), not a bad server: {silent:?}"
    );
    check(&silent, ErrorCode::Unreachable, "Retry", &[KEY]);
}

#[tokio::test]
async fn given_an_html_page_where_the_event_stream_should_be_when_subscribing_then_not_json() {
    let s =
        canned(answer("200 OK", "text/html", b"<html>Please sign in to the Wi-Fi</html>")).await;
    let c = client_of(&s.url, test_http_config());
    let e = within(Duration::from_secs(5), "events", c.events(None)).await.map(|_| ()).unwrap_err();
    assert!(matches!(e, Error::NotJson { status: 200, .. }), "{e:?}");
    check(&e, ErrorCode::BadResponse, "right server address", &[KEY]);
}
