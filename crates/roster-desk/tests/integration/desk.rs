//! `Desk`, the desktop session, against the real reference server on 127.0.0.1 (real HTTP,
//! real SQLite): accounts, cached switching, refresh with stale fallback, the live event
//! stream with reconnects, invite flows through the clipboard, and the embedded demo.
//! Keys go to the memory store unless a test is about the keychain; those run under
//! `tools/desktop-session` (the real Secret Service) and say "skipped" elsewhere, like the
//! clipboard checks that need its X display.

use crate::{common, session};

use std::time::Duration;

use common::{TestServer, dead_url, token_of, within};
use roster_core::api::{
    AuditAction, Delivery, IdentityProvider, IdentityProviderRestriction, Invite, InviteStatus,
    JoinMode, JoinRequest, MemberPatch, NewInvite,
};
use roster_core::{
    AccountStore, ApiKey, BulkOptions, BulkReport, Cache, ErrorCode, Http, IdempotencyKey,
    KeyStore, Keychain, TeamClient,
};
use roster_desk::{AuditNotice, Desk, DeskEvent, KeychainKind};
use tokio::sync::broadcast;

const NORTHWIND: &str = "owner-member-link";

struct Setup {
    desk: Desk,
    _dir: tempfile::TempDir,
}

/// A desk over a fresh account list (keys in memory) and cache.
fn desk_with(http: Http) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = AccountStore::open_in(dir.path().join("config"), Keychain::memory()).unwrap();
    Setup { desk: Desk::new(store, Cache::at(dir.path().join("cache")), http), _dir: dir }
}

fn desk(t: &TestServer) -> Setup {
    desk_with(t.http.clone())
}

fn new_invite(email: &str, role: &str) -> NewInvite {
    NewInvite::new(email, role)
}

/// The key the UI makes for one invite the user asks for.
fn fresh_key() -> String {
    IdempotencyKey::new().as_str().to_string()
}

async fn join(t: &TestServer, link: &str, email: &str, name: &str) {
    let req = JoinRequest {
        token: token_of(link),
        mode: JoinMode::SignUp,
        email: email.into(),
        password: "correct horse battery".into(),
        name: Some(name.into()),
    };
    TeamClient::join(&t.http, t.url(), &req).await.expect("join");
}

/// Waits until the live stream of `account` is connected; fails after 15 s.
async fn connected(events: &mut broadcast::Receiver<DeskEvent>, account: &str) {
    within(Duration::from_secs(15), "the live stream to connect", async {
        loop {
            if let DeskEvent::LiveConnected { account: a } =
                events.recv().await.expect("the desk's events")
                && a == account
            {
                return;
            }
        }
    })
    .await
}

/// The next live audit event of `action`, skipping others; fails after 15 s.
async fn next_audit(
    events: &mut broadcast::Receiver<DeskEvent>,
    action: AuditAction,
) -> AuditNotice {
    within(Duration::from_secs(15), "a live audit event", async {
        loop {
            match events.recv().await.expect("the desk's events") {
                DeskEvent::Audit(n) if n.event.action == action => return *n,
                _ => continue,
            }
        }
    })
    .await
}

#[track_caller]
fn assert_no_key(json: &impl serde::Serialize, keys: &[String]) {
    let text = serde_json::to_string(json).unwrap();
    for k in keys {
        assert!(!text.contains(k.as_str()), "a key leaked into {text}");
    }
}

// ---------------------------------------------------------------------------- accounts

#[tokio::test]
async fn given_an_owner_key_when_adding_then_the_account_is_saved_active_and_listed() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let empty = s.desk.accounts_list().await.unwrap();
    assert!(empty.accounts.is_empty() && empty.active.is_none() && !empty.demo);
    assert_eq!(empty.keychain.kind, KeychainKind::Memory);
    assert!(
        empty.keychain.banner.as_deref().is_some_and(|b| b.contains("memory")),
        "{:?}",
        empty.keychain
    );

    let first = s.desk.account_add(t.url(), t.key("six-roles-2fa", "owner"), None).await.unwrap();
    let view = s
        .desk
        .account_add(t.url(), t.key(NORTHWIND, "owner"), Some("  Northwind  "))
        .await
        .unwrap();
    assert_eq!(view.accounts.len(), 2);
    let added = &view.accounts[1];
    assert_eq!(added.label, "Northwind");
    assert_eq!(added.account_name, "Northwind Labs");
    assert_eq!((added.role.as_str(), added.role_name.as_str()), ("owner", "Owner"));
    assert_eq!(
        view.active.as_deref(),
        Some(added.id.as_str()),
        "the account just added is the active one"
    );
    assert_ne!(first.accounts[0].colour, added.colour);
    assert_no_key(&view, &t.all_key_texts());
}

#[tokio::test]
async fn given_a_refused_key_or_plain_http_when_adding_then_the_error_says_so_and_nothing_is_saved()
{
    let t = TestServer::start().await;
    let s = desk(&t);
    let bad = "rst_thisisnotakey000000000000000";
    let e = s.desk.account_add(t.url(), ApiKey::from(bad.to_string()), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadKey, "{e}");
    assert!(!e.to_string().contains(bad));
    let e = s
        .desk
        .account_add("http://roster.example.com", t.key(NORTHWIND, "owner"), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsecureUrl, "{e}");
    let e = s.desk.account_add(&dead_url(), t.key(NORTHWIND, "owner"), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e}");
    assert!(s.desk.accounts_list().await.unwrap().accounts.is_empty());
}

#[tokio::test]
async fn given_a_key_of_another_account_when_rekeying_then_refused_and_the_right_one_is_taken() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    let e = s.desk.account_rekey(&id, t.key("six-roles-2fa", "owner")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    assert!(e.to_string().contains("belongs to the account \"Bluefin Analytics\""), "{e}");
    // Another user's key of the same account is accepted: the account now acts as that user.
    let view = s.desk.account_rekey(&id, t.key(NORTHWIND, "member")).await.unwrap();
    assert_eq!(view.accounts[0].role, "member");
    assert_eq!(
        s.desk.team_refresh(&id).await.unwrap().me.role,
        "member",
        "the old client is not reused"
    );
}

#[tokio::test]
async fn given_accounts_when_reordering_renaming_and_removing_then_the_list_follows() {
    let t = TestServer::start().await;
    let s = desk(&t);
    for preset in ["owner-member-link", "six-roles-2fa", "four-roles-7day"] {
        s.desk
            .account_add(t.url(), t.key(preset, &t.account(preset).keys[0].role), None)
            .await
            .unwrap();
    }
    let ids: Vec<String> =
        s.desk.accounts_list().await.unwrap().accounts.iter().map(|a| a.id.clone()).collect();
    let view = s.desk.account_reorder(vec![ids[2].clone(), ids[0].clone()]).await.unwrap();
    let order: Vec<&str> = view.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(order, [ids[2].as_str(), ids[0].as_str(), ids[1].as_str()]);
    let view = s
        .desk
        .account_update(&ids[1], Some("Bluefin (prod)".into()), Some("#AA00CC".into()))
        .await
        .unwrap();
    let renamed = view.accounts.iter().find(|a| a.id == ids[1]).unwrap();
    assert_eq!((renamed.label.as_str(), renamed.colour.as_str()), ("Bluefin (prod)", "#aa00cc"));
    let e = s.desk.account_update(&ids[1], None, Some("blue".into())).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    let view = s.desk.account_remove(&ids[2]).await.unwrap();
    assert_eq!(view.accounts.len(), 2);
    assert_eq!(
        view.active.as_deref(),
        Some(view.accounts[0].id.as_str()),
        "the active account was removed: the first takes over"
    );
    let doctor = s.desk.keychain_doctor().await.unwrap();
    assert_eq!(doctor.len(), 2);
    assert!(doctor.iter().all(|r| r.masked_key.as_deref().is_some_and(|m| m.contains('…'))));
    assert_no_key(&doctor, &t.all_key_texts());
    assert_eq!(
        s.desk.account_switch("nope", true).await.unwrap_err().code(),
        ErrorCode::UnknownAccount
    );
}

#[tokio::test]
async fn given_a_key_saved_to_the_key_file_when_the_desk_reopens_without_roster_key_file_then_the_plain_text_banner_stays()
 {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (config, key_file) = (dir.path().join("config"), dir.path().join("keys.json"));
    let open = |keychain: Keychain| {
        Desk::new(
            AccountStore::open_in(&config, keychain).unwrap(),
            Cache::at(dir.path().join("cache")),
            t.http.clone(),
        )
    };

    // Given: ROSTER_KEY_FILE set when the account was added (Keychain::from_env's choice then).
    let with_file = open(Keychain::file(&key_file));
    let view =
        with_file.account_add(t.url(), t.key(NORTHWIND, "owner"), Some("Northwind")).await.unwrap();
    let id = view.accounts[0].id.clone();
    assert_eq!(view.accounts[0].key_store, KeyStore::File { path: key_file.clone() });
    drop(with_file);

    // When: reopened with the variable unset, so new keys would go to the system keychain.
    let service = session::unique_service("plain-text");
    let reopened = open(Keychain::os().with_service(service.clone()));
    let view = reopened.accounts_list().await.unwrap();

    // Then: the key is still on disk in plain text, and the banner says so and what to do.
    assert_eq!(view.keychain.kind, KeychainKind::Os);
    assert!(view.keychain.plain_text, "{:?}", view.keychain);
    let banner = view.keychain.banner.clone().expect("a banner");
    let expected = format!(
        "The API key of \"Northwind\" is still saved in plain text in {}, where it went while ROSTER_KEY_FILE was set. \
         Re-enter it in the account settings (Re-enter key) to move it to the system keychain.",
        key_file.display()
    );
    assert!(banner.ends_with(&expected), "{banner}");
    assert!(
        !reopened.team_refresh(&id).await.unwrap().stale,
        "the key is read from where it was put"
    );
    if !session::required("moving the key to the keychain") {
        return;
    }
    assert_eq!(banner, expected, "the keychain works here: nothing else to report");

    // Re-entering the key moves it to the keychain, off the disk, and the banner goes.
    let view = reopened.account_rekey(&id, t.key(NORTHWIND, "owner")).await.unwrap();
    assert_eq!(view.accounts[0].key_store, KeyStore::Os { service: service.clone() });
    assert!(!view.keychain.plain_text && view.keychain.banner.is_none(), "{:?}", view.keychain);
    assert!(
        !std::fs::read_to_string(&key_file).unwrap().contains(&t.key_text(NORTHWIND, "owner")),
        "the plain-text copy is gone"
    );
    reopened.account_remove(&id).await.unwrap();
    assert_eq!(session::search(&service).trim(), "");
}

// ----------------------------------------------------------------------- team data

#[tokio::test]
async fn given_no_snapshot_when_switching_then_none_and_after_a_refresh_the_cached_view_comes_at_once()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let view = s.desk.account_add(t.url(), t.key("six-roles-2fa", "owner"), None).await.unwrap();
    let (northwind, bluefin) = (view.accounts[0].id.clone(), view.accounts[1].id.clone());
    assert!(s.desk.account_switch(&northwind, true).await.unwrap().is_none(), "nothing cached yet");
    assert!(s.desk.team_cached(&bluefin).await.unwrap().is_none(), "nothing cached yet");
    assert_eq!(s.desk.team_cached("nope").await.unwrap_err().code(), ErrorCode::UnknownAccount);

    let fresh = s.desk.team_refresh(&northwind).await.unwrap();
    assert!(!fresh.stale && fresh.error.is_none());
    assert_eq!(fresh.me.account.name, "Northwind Labs");
    assert!(fresh.members.len() >= 7, "{}", fresh.members.len());
    assert!(fresh.invites.iter().any(|i| i.status == InviteStatus::Pending));
    assert!(
        fresh.invites.iter().all(|i| i.link.is_none()),
        "links are copied on request, never shipped in views"
    );
    assert!(!fresh.audit.is_empty());

    assert!(
        s.desk.account_switch(&bluefin, false).await.unwrap().is_none(),
        "the window holds it: nothing read or sent"
    );
    assert_eq!(s.desk.accounts_list().await.unwrap().active.as_deref(), Some(bluefin.as_str()));
    // Read ahead without switching: the same view a switch sends, the active account unchanged.
    let ahead = s.desk.team_cached(&northwind).await.unwrap().expect("a cached snapshot");
    assert_eq!(s.desk.accounts_list().await.unwrap().active.as_deref(), Some(bluefin.as_str()));
    let cached = s.desk.account_switch(&northwind, true).await.unwrap().expect("a cached snapshot");
    assert_eq!(ahead.json(), cached.json());
    // The cached view goes out as the file's own text: it must be exactly the TeamView the
    // window got fresh, marked stale, dated when it was saved.
    let cached: serde_json::Value = serde_json::from_str(cached.json()).unwrap();
    let mut expected = serde_json::to_value(&fresh).unwrap();
    expected["stale"] = true.into();
    let saved: chrono::DateTime<chrono::Utc> =
        cached["fetched_at"].as_str().unwrap().parse().unwrap();
    assert!(saved <= fresh.fetched_at && fresh.fetched_at - saved < chrono::Duration::seconds(5));
    expected["fetched_at"] = cached["fetched_at"].clone();
    assert_eq!(cached, expected);
    assert_eq!(s.desk.accounts_list().await.unwrap().active.as_deref(), Some(northwind.as_str()));
}

#[tokio::test]
async fn given_the_server_goes_down_when_refreshing_then_the_cached_view_comes_back_stale_with_the_error()
 {
    let t = TestServer::start().await;
    let s = desk_with(common::http_with(|c| c.attempts = 1));
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    s.desk.team_refresh(&id).await.unwrap();
    let other = s.desk.account_add(t.url(), t.key("four-roles-7day", "admin"), None).await.unwrap();
    let uncached = other.accounts[1].id.clone();

    let TestServer { server, .. } = t;
    server.shutdown().await;
    let stale = s.desk.team_refresh(&id).await.unwrap();
    assert!(stale.stale);
    let error = stale.error.expect("why the refresh failed");
    assert_eq!(error.code, ErrorCode::Unreachable);
    assert!(error.message.contains("retry"), "{}", error.message);
    assert!(!stale.members.is_empty());
    let e = s.desk.team_refresh(&uncached).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "no cache: the error itself");
}

#[tokio::test]
async fn given_a_role_that_cannot_manage_when_refreshing_then_members_show_and_the_log_is_empty() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "member"), None).await.unwrap();
    let team = s.desk.team_refresh(&view.accounts[0].id).await.unwrap();
    assert_eq!(team.me.role, "member");
    assert!(!team.members.is_empty());
    assert!(team.audit.is_empty());
    let e = s
        .desk
        .invite_create(
            &view.accounts[0].id,
            new_invite("x@northwind.example", "member"),
            &fresh_key(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoPermission, "{e}");
}

#[tokio::test]
async fn given_a_refused_key_when_refreshing_then_bad_key_until_rekeyed() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "member"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    // The member leaves through another client: the key stops working.
    t.client(NORTHWIND, "member").leave().await.unwrap();
    let e = s.desk.team_refresh(&id).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadKey, "{e}");
    let e = s.desk.account_rekey(&id, t.key(NORTHWIND, "member")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadKey);
    s.desk.account_rekey(&id, t.key(NORTHWIND, "owner")).await.unwrap();
    assert_eq!(s.desk.team_refresh(&id).await.unwrap().me.role, "owner");
}

// ---------------------------------------------------------------------------- members

#[tokio::test]
async fn given_members_when_changing_roles_quotas_and_removing_then_the_server_agrees() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view =
        s.desk.account_add(t.url(), t.key("link-email-quotas", "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    let team = s.desk.team_refresh(&id).await.unwrap();
    let me = team.me.user.id.clone();
    let other = team.members.iter().find(|m| m.user_id != me && m.role != "owner").unwrap().clone();

    let updated = s
        .desk
        .member_update(&id, &other.user_id, MemberPatch { role: None, quota: Some(Some(1234)) })
        .await
        .unwrap();
    assert_eq!(updated.member.quota, Some(Some(1234)));
    let updated = s
        .desk
        .member_update(&id, &other.user_id, MemberPatch { role: None, quota: Some(None) })
        .await
        .unwrap();
    assert_eq!(updated.member.quota, Some(None), "null lifts the quota");
    let updated = s.desk.member_update(&id, &other.user_id, MemberPatch::default()).await.unwrap();
    assert_eq!(updated.member.quota, Some(None), "a patch without a quota leaves it alone");

    let e = s
        .desk
        .member_update(&id, &me, MemberPatch { role: Some("member".into()), quota: None })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::LastOwner, "{e}");
    s.desk.member_remove(&id, &other.user_id).await.unwrap();
    let e = s.desk.member_remove(&id, &other.user_id).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(s.desk.promotions_list(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn given_an_owner_promotion_that_needs_confirmation_when_cancelled_then_it_is_listed_cancelled()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key("six-roles-2fa", "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    let team = s.desk.team_refresh(&id).await.unwrap();
    let target = team.members.iter().find(|m| m.role != "owner").unwrap();
    let update = s
        .desk
        .member_update(
            &id,
            &target.user_id,
            MemberPatch { role: Some("owner".into()), quota: None },
        )
        .await
        .unwrap();
    let promotion = update.promotion.expect("the policy asks the original owner to confirm");
    let listed = s.desk.promotions_list(&id).await.unwrap();
    assert!(listed.iter().any(|p| p.id == promotion.id));
    let cancelled = s.desk.promotion_cancel(&id, &promotion.id).await.unwrap();
    assert_eq!(cancelled.status, roster_core::api::PromotionStatus::Cancelled);
}

#[tokio::test]
async fn given_a_member_account_when_leaving_then_the_account_is_removed_locally() {
    let t = TestServer::start().await;
    let s = desk(&t);
    s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let view = s.desk.account_add(t.url(), t.key("four-roles-7day", "viewer"), None).await.unwrap();
    let leaving = view.accounts[1].id.clone();
    let after = s.desk.team_leave(&leaving).await.unwrap();
    assert_eq!(after.accounts.len(), 1);
    assert!(after.accounts.iter().all(|a| a.id != leaving));
    assert_eq!(
        t.client_for_key(&t.key_text("four-roles-7day", "viewer")).me().await.unwrap_err().code(),
        ErrorCode::BadKey
    );
}

// ---------------------------------------------------------------------------- invites

#[tokio::test]
async fn given_an_invite_when_created_then_the_link_is_copied_and_the_toast_says_until_when() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    let created = s
        .desk
        .invite_create(&id, new_invite("newcomer@northwind.example", "member"), &fresh_key())
        .await
        .unwrap();
    let link = created.invite.link.clone().expect("managers get the link");
    assert_eq!(created.invite.status, InviteStatus::Pending);
    let copies = session::clipboard_expected();
    if copies {
        assert!(created.copied, "{}", created.toast);
        assert!(created.toast.starts_with("Link copied · expires "), "{}", created.toast);
        assert_eq!(
            roster_core::Clipboard::shared().text().unwrap().as_deref(),
            Some(link.as_str())
        );
    } else {
        // No clipboard here: the invite still exists and the toast says what to do.
        assert!(!created.copied);
        assert!(created.toast.contains("copy it by hand"), "{}", created.toast);
    }

    let again = s.desk.invite_recopy(&id, &created.invite.id).await.unwrap();
    assert_eq!(again.invite.link.as_deref(), Some(link.as_str()));
    let message = s.desk.invite_copy_message(&id, &created.invite.id).await.unwrap();
    assert!(
        message.text.starts_with("You're invited to join Northwind Labs as Member on Roster: "),
        "{}",
        message.text
    );
    assert!(message.text.contains(&link));
    assert_eq!(message.copied, copies);

    let resent = s.desk.invite_resend(&id, &created.invite.id).await.unwrap();
    assert_eq!(resent.times_sent, 2);
    let revoked = s.desk.invite_revoke(&id, &created.invite.id).await.unwrap();
    assert_eq!(revoked.status, InviteStatus::Revoked);
    let e = s.desk.invite_recopy(&id, &created.invite.id).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert!(e.to_string().contains("was revoked"), "{e}");
    assert_eq!(reqwest_status(&link).await, 410, "a revoked link answers 410");
}

#[tokio::test]
async fn given_one_key_for_one_user_action_when_invite_create_is_retried_then_one_invite_exists_and_the_retry_gets_its_link()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    // As the UI makes it (crypto.randomUUID()), once for this invite.
    let key = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    let invite = new_invite("retried@northwind.example", "member");

    let first = s.desk.invite_create(&id, invite.clone(), key).await.unwrap();
    let retry = s.desk.invite_create(&id, invite.clone(), key).await.unwrap();

    assert_eq!(retry.invite, first.invite, "the server replays the invite it made");
    assert!(retry.invite.link.is_some());
    let owner = t.owner(NORTHWIND);
    let query = roster_core::client::InviteQuery {
        status: None,
        q: Some("retried@northwind.example".into()),
    };
    assert_eq!(owner.all_invites(&query).await.unwrap().len(), 1);
    // A new key is a new action: the same address is then already invited.
    let e = s.desk.invite_create(&id, invite, &fresh_key()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict, "{e}");
}

#[tokio::test]
async fn given_a_key_that_is_not_generated_when_creating_an_invite_then_invalid_and_nothing_is_sent()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    for garbage in ["", "1", "retry", "not a key at all, just words", &"x".repeat(300)] {
        let e = s
            .desk
            .invite_create(&id, new_invite("keyless@northwind.example", "member"), garbage)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid, "{garbage:?}: {e}");
        assert!(e.to_string().contains("idempotency key"), "{e}");
    }
    let query = roster_core::client::InviteQuery {
        status: None,
        q: Some("keyless@northwind.example".into()),
    };
    assert!(t.owner(NORTHWIND).all_invites(&query).await.unwrap().is_empty());
}

/// What a browser opening `url` gets./// What a browser opening `url` gets.
async fn reqwest_status(url: &str) -> u16 {
    reqwest::get(url).await.expect("the join page answers").status().as_u16()
}

#[tokio::test]
async fn given_a_pasted_list_when_inviting_in_bulk_then_each_row_is_reported() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s
        .desk
        .account_add(t.url(), t.key("admin-member-idp", "administrator"), None)
        .await
        .unwrap();
    let id = view.accounts[0].id.clone();
    let report = s
        .desk
        .invite_bulk(
            &id,
            "one@harbor.example, two@harbor.example\nONE@harbor.example\nnot-an-address",
            "",
            BulkOptions::default(),
        )
        .await
        .unwrap();
    let counts = report.counts();
    assert_eq!((counts.created, counts.duplicates), (2, 1), "{}", report.summary());
    assert!(counts.refused + counts.not_attempted >= 1, "{}", report.summary());
    assert!(report.rows.iter().all(|r| r.role == "member"), "the policy's default role");
}

/// The invites `report` created, as the server of `preset` holds them now.
async fn created_on_server(t: &TestServer, preset: &str, report: &BulkReport) -> Vec<Invite> {
    let owner = t.owner(preset);
    let mut out = Vec::new();
    for created in report.created() {
        out.push(owner.invite(&created.id).await.unwrap());
    }
    out
}

#[tokio::test]
async fn given_options_the_policy_has_when_inviting_in_bulk_then_every_invite_on_the_server_carries_them()
 {
    let t = TestServer::start().await;
    let s = desk(&t);

    // Harbor Health: invites restricted to an identity provider (with a tenant), two delivery
    // methods, 14-day lifetime.
    let harbor = s
        .desk
        .account_add(t.url(), t.key("admin-member-idp", "administrator"), None)
        .await
        .unwrap()
        .active
        .unwrap();
    let entra = IdentityProviderRestriction {
        provider: IdentityProvider::Microsoft,
        tenant_id: Some("contoso.onmicrosoft.com".into()),
    };
    let options = BulkOptions {
        delivery: Some(Delivery::Link),
        identity_provider: Some(entra.clone()),
        require_secure_sign_in: false,
        expires_in_days: Some(3),
    };
    let report = s
        .desk
        .invite_bulk(&harbor, "jdoe@harbor.example\nasmith@harbor.example", "", options)
        .await
        .unwrap();
    assert_eq!(report.counts().created, 2, "{}", report.summary());
    let invites = created_on_server(&t, "admin-member-idp", &report).await;
    assert_eq!(invites.len(), 2);
    for inv in &invites {
        assert_eq!(inv.identity_provider, entra, "{}", inv.email);
        assert_eq!(inv.delivery, Delivery::Link, "{}", inv.email);
        assert_eq!(inv.expires_at - inv.created_at, chrono::Duration::days(3), "{}", inv.email);
        assert!(!inv.require_secure_sign_in, "{}", inv.email);
    }

    // Bluefin Analytics: the secure sign-in option (e-mail delivery only, 14-day lifetime).
    let bluefin = s
        .desk
        .account_add(t.url(), t.key("six-roles-2fa", "owner"), None)
        .await
        .unwrap()
        .active
        .unwrap();
    let options = BulkOptions {
        require_secure_sign_in: true,
        expires_in_days: Some(5),
        ..BulkOptions::default()
    };
    let report = s
        .desk
        .invite_bulk(&bluefin, "kim@bluefin.example, lee@bluefin.example", "", options)
        .await
        .unwrap();
    assert_eq!(report.counts().created, 2, "{}", report.summary());
    for inv in created_on_server(&t, "six-roles-2fa", &report).await {
        assert!(inv.require_secure_sign_in, "{}", inv.email);
        assert_eq!(inv.expires_at - inv.created_at, chrono::Duration::days(5), "{}", inv.email);
        assert_eq!(inv.identity_provider.provider, IdentityProvider::Any, "{}", inv.email);
    }
}

#[tokio::test]
async fn given_the_seat_limit_when_creating_then_the_error_says_seats_are_full() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s
        .desk
        .account_add(t.url(), t.key("admin-member-idp", "administrator"), None)
        .await
        .unwrap();
    let id = view.accounts[0].id.clone();
    let team = s.desk.team_refresh(&id).await.unwrap();
    let free = team.me.seats.limit.unwrap() - team.me.seats.used;
    for n in 0..free {
        s.desk
            .invite_create(
                &id,
                new_invite(&format!("seat{n}@harbor.example"), "member"),
                &fresh_key(),
            )
            .await
            .unwrap();
    }
    let e = s
        .desk
        .invite_create(&id, new_invite("one-too-many@harbor.example", "member"), &fresh_key())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::SeatLimit, "{e}");
}

// ------------------------------------------------------------------------------- live

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_active_account_when_an_invite_is_accepted_then_a_live_event_comes_with_the_notification_text()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    let mut events = s.desk.subscribe();
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    connected(&mut events, &id).await;
    let created = s
        .desk
        .invite_create(&id, new_invite("ana.lima@northwind.example", "member"), &fresh_key())
        .await
        .unwrap();
    join(&t, created.invite.link.as_deref().unwrap(), "ana.lima@northwind.example", "Ana Lima")
        .await;
    let notice = next_audit(&mut events, AuditAction::InviteAccepted).await;
    assert_eq!(notice.account, id);
    assert_eq!(notice.event.target.email, "ana.lima@northwind.example");
    assert_eq!(notice.notification.as_deref(), Some("Ana Lima joined Northwind Labs as Member"));
    let json = serde_json::to_value(&notice).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["account", "event", "notification"],
        "the contract's payload"
    );
    assert_eq!(
        json["notification"], "Ana Lima joined Northwind Labs as Member",
        "the window toasts the same text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_stream_drops_when_the_server_comes_back_then_the_watcher_reconnects_and_misses_nothing()
 {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("roster.db");
    let db = roster_server::Db::open(&db_path).unwrap();
    let seeded = roster_server::seed::demo(&db, chrono::Utc::now()).unwrap();
    let mut config = roster_server::Config::new(&db_path);
    config.limits = roster_server::Limits::relaxed();
    let server = roster_server::start_with_db(config.clone(), db).await.unwrap();
    let (url, addr) = (server.url.clone(), server.addr);
    let owner_key = seeded.iter().find(|a| a.preset == NORTHWIND).unwrap().keys[0].key.clone();

    let s = desk_with(common::test_http());
    let mut events = s.desk.subscribe();
    let view = s.desk.account_add(&url, ApiKey::from(owner_key.clone()), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    connected(&mut events, &id).await;
    let first = s
        .desk
        .invite_create(&id, new_invite("first@northwind.example", "member"), &fresh_key())
        .await
        .unwrap();
    assert_eq!(
        next_audit(&mut events, AuditAction::InviteCreated).await.event.target.id,
        first.invite.id
    );

    // The server stops (the stream ends) and comes back on the same address and database;
    // an invite is made before the watcher's backoff has run out.
    server.shutdown().await;
    config.listen = addr;
    let server = roster_server::start_with_db(config, roster_server::Db::open(&db_path).unwrap())
        .await
        .unwrap();
    let client = TeamClient::new(&common::test_http(), &url, ApiKey::from(owner_key)).unwrap();
    let second = client
        .create_invite(
            &new_invite("second@northwind.example", "member"),
            &roster_core::IdempotencyKey::new(),
        )
        .await
        .unwrap();
    connected(&mut events, &id).await;
    let replayed = next_audit(&mut events, AuditAction::InviteCreated).await;
    assert_eq!(
        replayed.event.target.id, second.id,
        "the event made while disconnected is replayed (Last-Event-ID), the first is not repeated"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_role_that_cannot_manage_when_active_then_no_stream_is_opened_and_switching_follows_the_new_account()
 {
    let t = TestServer::start().await;
    let s = desk(&t);
    s.desk.account_add(t.url(), t.key(NORTHWIND, "member"), None).await.unwrap();
    let view = s.desk.account_add(t.url(), t.key("four-roles-7day", "admin"), None).await.unwrap();
    let (member, admin) = (view.accounts[0].id.clone(), view.accounts[1].id.clone());
    s.desk.account_switch(&member, true).await.unwrap();
    let mut events = s.desk.subscribe();
    // Activity in the member's team reaches no one (the role gets no stream)...
    t.owner(NORTHWIND)
        .create_invite(
            &new_invite("quiet@northwind.example", "member"),
            &roster_core::IdempotencyKey::new(),
        )
        .await
        .unwrap();
    // ...and after switching, the admin's team is followed.
    s.desk.account_switch(&admin, true).await.unwrap();
    connected(&mut events, &admin).await;
    t.owner("four-roles-7day")
        .create_invite(
            &new_invite("loud@atlas.example", "developer"),
            &roster_core::IdempotencyKey::new(),
        )
        .await
        .unwrap();
    let notice = next_audit(&mut events, AuditAction::InviteCreated).await;
    assert_eq!(notice.account, admin);
    assert_eq!(notice.event.target.email, "loud@atlas.example");
}

// ------------------------------------------------------------------------------- misc

#[tokio::test]
async fn given_a_path_when_asking_for_a_server_page_then_only_that_servers_origin_comes_out() {
    let t = TestServer::start().await;
    let s = desk(&t);
    let view = s.desk.account_add(t.url(), t.key(NORTHWIND, "owner"), None).await.unwrap();
    let id = view.accounts[0].id.clone();
    assert_eq!(
        s.desk.server_page(&id, "/openapi.yaml").await.unwrap(),
        format!("{}/openapi.yaml", t.url())
    );
    assert_eq!(
        s.desk.server_page(&id, "/join/abc?x=1").await.unwrap(),
        format!("{}/join/abc?x=1", t.url())
    );
    for hostile in [
        "//evil.example/x",
        "https://evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "/a b",
        "",
        "file:///etc/passwd",
        "/\n",
    ] {
        let e = s.desk.server_page(&id, hostile).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid, "{hostile:?}");
    }
}

// ------------------------------------------------------------------------------- demo

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_demo_then_every_preset_has_an_account_plus_a_read_only_one_and_shutdown_cleans_up()
 {
    // Memory keys: this test is about the demo's accounts, the keychain one below about keys.
    let desk = Desk::demo_with(Keychain::memory()).await.unwrap();
    let view = desk.accounts_list().await.unwrap();
    assert!(view.demo);
    let presets: Vec<&str> = view.accounts.iter().map(|a| a.preset.as_str()).collect();
    for p in roster_server::PRESETS.iter().map(|p| p.id) {
        assert!(presets.contains(&p), "{p} has an account: {presets:?}");
    }
    let last = view.accounts.last().unwrap();
    assert_eq!((last.label.as_str(), last.role.as_str()), ("Northwind Labs (member)", "member"));
    assert_eq!(view.active.as_deref(), Some(view.accounts[0].id.as_str()));
    let team = desk.team_refresh(&last.id).await.unwrap();
    assert!(team.audit.is_empty() && !team.members.is_empty(), "a read-only view");
    let url = desk.demo_server_url().unwrap();
    desk.shutdown().await;
    assert!(
        desk.accounts_list().await.unwrap().accounts.is_empty(),
        "the demo's accounts and keys are gone"
    );
    // A running server would answer this key with 401 (bad_key); a stopped one cannot answer.
    let gone = TeamClient::new(&common::test_http(), &url, ApiKey::from("x".to_string()))
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert_eq!(gone.code(), ErrorCode::Unreachable, "the server stopped: {gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_demo_with_a_keychain_then_its_keys_are_there_under_their_service_until_shutdown()
{
    if !session::required("demo keychain") {
        return;
    }
    let service = session::unique_service("demo");
    let desk = Desk::demo_with(Keychain::os().with_service(service.clone())).await.unwrap();
    let view = desk.accounts_list().await.unwrap();
    assert_eq!(view.keychain.kind, KeychainKind::Os);
    assert_eq!(view.keychain.banner, None);
    let found = session::search(&service);
    assert_eq!(
        found.matches("[/").count(),
        view.accounts.len(),
        "one keychain item per demo account:\n{found}"
    );
    desk.shutdown().await;
    assert_eq!(session::search(&service).trim(), "", "shutdown removed the demo's keys");
}

const NO_BUS: &str =
    "given_no_keychain_when_the_demo_starts_then_keys_stay_in_memory_and_a_banner_says_so";

/// In a child process with a session bus that does not exist (keyring picks its store once
/// per process).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_no_keychain_when_the_demo_starts_then_keys_stay_in_memory_and_a_banner_says_so() {
    if !session::is_child(NO_BUS) {
        let (ok, out) = session::run_child(
            module_path!(),
            NO_BUS,
            &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/roster-test-bus")],
        );
        assert!(ok && out.contains("CHILD-OK"), "child failed:\n{out}");
        return;
    }
    let desk = Desk::demo().await.unwrap();
    let view = desk.accounts_list().await.unwrap();
    assert_eq!(view.keychain.kind, KeychainKind::Memory);
    assert_eq!(
        view.keychain.banner.as_deref(),
        Some(
            "No keychain available: demo keys are kept in memory only and vanish when Roster quits."
        )
    );
    assert!(view.accounts.len() >= 6);
    desk.shutdown().await;
    println!("CHILD-OK");
}

const LOCKED: &str =
    "given_a_locked_keychain_when_the_demo_starts_then_it_opens_with_keys_in_memory_and_says_why";

/// In a nested session of its own (locking the login keyring must not disturb other tests).
/// A read passes on a locked keyring; the demo must notice before its first write would fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_locked_keychain_when_the_demo_starts_then_it_opens_with_keys_in_memory_and_says_why()
 {
    if !session::is_child(LOCKED) {
        if !session::required(LOCKED) {
            return;
        }
        let (ok, out) = session::run_child_in_own_session(module_path!(), LOCKED);
        assert!(ok && out.contains("CHILD-OK"), "child failed:\n{out}");
        return;
    }
    session::lock_login_keyring();
    let desk = Desk::demo_with(Keychain::os().with_service(session::unique_service("locked-demo")))
        .await
        .unwrap();
    let view = desk.accounts_list().await.unwrap();
    assert_eq!(view.keychain.kind, KeychainKind::Memory);
    assert_eq!(
        view.keychain.banner.as_deref(),
        Some(
            "The keychain is locked: demo keys are kept in memory only and vanish when Roster quits."
        )
    );
    assert!(desk.team_refresh(&view.accounts[0].id).await.is_ok());
    desk.shutdown().await;
    println!("CHILD-OK");
}

#[tokio::test]
async fn given_a_team_longer_than_a_page_and_nothing_cached_when_asking_for_its_first_page_then_the_first_members_by_name_come_marked_partial()
 {
    // Given a team of 450 and no snapshot of it
    let t = TestServer::start_seeded(roster_server::Limits::relaxed(), |db| {
        vec![
            roster_server::seed::scale(
                db,
                "Long Team",
                "owner-member-link",
                450,
                5,
                chrono::Utc::now(),
            )
            .expect("seed 450 members"),
        ]
    })
    .await;
    let s = desk_with(common::http_with(|c| c.attempts = 1));
    let key = ApiKey::from(t.accounts[0].keys[0].key.clone());
    let id = s.desk.account_add(t.url(), key, None).await.unwrap().accounts[0].id.clone();

    // When the window asks for the first screen
    let first = s.desk.team_first_page(&id).await.unwrap();

    // Then one page of members comes, the first ones by name, marked partial, with `me`
    assert!(first.partial && !first.stale);
    assert_eq!(first.me.account.name, "Long Team");
    assert_eq!(first.members.len(), roster_desk::FIRST_PAGE as usize);
    assert!(
        first.invites.is_empty() && first.audit.is_empty(),
        "invites and activity come with the whole team"
    );
    let whole = s.desk.team_refresh(&id).await.unwrap();
    assert!(!whole.partial);
    assert_eq!(whole.members.len(), 450);
    assert_eq!(
        first.members,
        whole.members[..first.members.len()],
        "the first page is not the whole team's first screen"
    );
    // and it is not cached as if it were the team
    // and once cached, a switch sends the same first screen from disk, the whole team staying
    // on disk for the refresh to fall back on
    let cached: serde_json::Value = serde_json::from_str(
        s.desk.account_switch(&id, true).await.unwrap().expect("cached").json(),
    )
    .unwrap();
    assert_eq!(cached["partial"], true);
    assert_eq!(cached["stale"], true);
    assert_eq!(cached["members"], serde_json::to_value(&first.members).unwrap());
    assert_eq!(cached["invites"], serde_json::json!([]));
    let TestServer { server, .. } = t;
    server.shutdown().await;
    let offline = s.desk.team_refresh(&id).await.unwrap();
    assert!(offline.stale && offline.error.is_some() && !offline.partial);
    assert_eq!(offline.members.len(), 450);
}
