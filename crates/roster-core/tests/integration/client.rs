//! `TeamClient` against the real reference server, in-process on 127.0.0.1 over real HTTP:
//! every method, every error code path, pagination over 10,000 members. Each test starts its
//! own server on a fresh database, so destructive calls never affect another test.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use roster_core::api::{
    AuditAction, AuditTargetKind, ErrorCode as S, Health, HealthStatus, IdentityProvider,
    IdentityProviderRestriction, InviteStatus, JoinMode, JoinRequest, MemberPatch, NewInvite,
    PromotionStatus,
};
use roster_core::client::{AuditQuery, InviteQuery, MemberQuery};
use roster_core::{ApiKey, ErrorCode, IdempotencyKey, TeamClient};
use roster_server::Limits;

fn new_invite(email: &str, role: &str) -> NewInvite {
    NewInvite::new(email, role)
}

async fn create(c: &TeamClient, email: &str, role: &str) -> roster_core::api::Invite {
    c.create_invite(&new_invite(email, role), &IdempotencyKey::new()).await.expect("create invite")
}

/// The user id behind a client's key.
async fn user_id(c: &TeamClient) -> String {
    c.me().await.expect("me").user.id
}

const PASSWORD: &str = "correct horse battery";

/// Makes `email`'s user a member of the account `account_id` straight in the database. The API
/// refuses to invite someone already on the team, so only a change outside it (an operator's
/// import, a lowered seat limit) leaves a pending invite behind a member or a full team.
fn add_member_directly(t: &TestServer, account_id: &str, email: &str, role: &str) {
    let (account, email, role) = (account_id.to_string(), email.to_string(), role.to_string());
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let added = t
        .server
        .db
        .blocking(move |tx| {
            Ok(tx.execute(
                "INSERT INTO memberships (account_id, user_id, role, joined_at) SELECT a.id, u.id, ?3, ?4 FROM accounts a, users u WHERE a.public_id = ?1 AND u.email = ?2",
                [account.as_str(), email.as_str(), role.as_str(), now.as_str()],
            )?)
        })
        .expect("add the membership");
    assert_eq!(added, 1, "one membership added");
}

/// The requesting owner's click on the mailed link, as JSON.
async fn confirm(
    t: &TestServer,
    token: &str,
) -> roster_core::Result<roster_core::api::OwnerPromotion> {
    TeamClient::confirm_owner_promotion(&t.http, t.url(), token).await
}

/// The token of the confirmation link e-mailed to `requester` about making `target` an owner.
fn confirmation_token(t: &TestServer, requester: &str, target: &str) -> String {
    let mail = roster_server::outbox(&t.server.db, Some(requester), 50)
        .expect("read the outbox")
        .into_iter()
        .find(|m| m.kind == "owner_promotion_confirm" && m.subject.contains(target))
        .unwrap_or_else(|| panic!("no confirmation mail to {requester} about {target}"));
    let link = mail
        .body
        .split_whitespace()
        .find(|w| w.contains("/confirm-owner/"))
        .expect("a confirmation link in the mail");
    token_of(link)
}

// ---------------------------------------------------------------------------------------
// Without a key

#[tokio::test]
async fn given_a_running_server_when_asking_its_health_without_a_key_then_ok_and_a_server_that_is_not_there_is_unreachable()
 {
    let t = TestServer::start().await;
    assert_eq!(
        TeamClient::health(&t.http, t.url()).await.unwrap(),
        Health { status: HealthStatus::Ok }
    );
    assert_eq!(
        TeamClient::health(&t.http, &format!("{}/", t.url())).await.unwrap().status,
        HealthStatus::Ok,
        "a trailing slash is the same server"
    );
    let e = expect_error(
        TeamClient::health(&t.http, &dead_url()).await,
        ErrorCode::Unreachable,
        None,
        &[],
    );
    assert!(e.to_string().contains("Check that the server is running"), "says what to do: {e}");
    expect_error(
        TeamClient::health(&t.http, "http://health.example.com").await,
        ErrorCode::InsecureUrl,
        None,
        &[],
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_pending_owner_promotions_when_the_requester_confirms_with_the_mailed_token_then_the_role_applies_once_and_each_refusal_keeps_its_code()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_id = user_id(&owner).await;
    let owner_email = t.seeded_key(preset, "owner").email.clone();
    let (member, modifier) = (
        t.client(preset, "member").me().await.unwrap().user,
        t.client(preset, "modifier").me().await.unwrap().user,
    );
    let promote = MemberPatch { role: Some("owner".into()), quota: None };
    let first = owner
        .update_member(&member.id, &promote)
        .await
        .unwrap()
        .promotion
        .expect("a pending promotion");
    let second = owner
        .update_member(&modifier.id, &promote)
        .await
        .unwrap()
        .promotion
        .expect("a pending promotion");
    let (first_token, second_token) = (
        confirmation_token(&t, &owner_email, &member.name),
        confirmation_token(&t, &owner_email, &modifier.name),
    );

    // No key: the token from the mail is the credential.
    let confirmed = confirm(&t, &first_token).await.unwrap();
    assert_eq!(
        (confirmed.id.as_str(), confirmed.status),
        (first.id.as_str(), PromotionStatus::Confirmed)
    );
    assert!(confirmed.decided_at.is_some());
    assert_eq!(owner.member(&member.id).await.unwrap().role, "owner", "the role applies at once");
    let audited = owner
        .audit(
            &AuditQuery {
                action: Some(AuditAction::OwnerPromotionConfirmed),
                ..Default::default()
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(audited.data.len(), 1);
    assert_eq!(audited.data[0].details["promotion_id"], first.id.as_str());

    // Confirming again (a second click, a retry after a lost answer) is refused, not repeated.
    let e = expect_error(
        confirm(&t, &first_token).await,
        ErrorCode::Conflict,
        Some(S::PromotionNotPending),
        &[&first_token],
    );
    assert!(e.to_string().contains("already confirmed"), "{e}");
    // A token no promotion has.
    let made_up = "not-a-confirmation-token-0000";
    let e = expect_error(
        confirm(&t, made_up).await,
        ErrorCode::NotFound,
        Some(S::NotFound),
        &[made_up],
    );
    assert!(e.to_string().contains("Copy the whole link"), "says what to do: {e}");
    // The requester is no longer an owner when the second link is used: it cannot take effect.
    let new_owner = t.client(preset, "member");
    new_owner
        .update_member(&owner_id, &MemberPatch { role: Some("member".into()), quota: None })
        .await
        .unwrap();
    let e = expect_error(
        confirm(&t, &second_token).await,
        ErrorCode::NoPermission,
        Some(S::OwnerOnly),
        &[&second_token],
    );
    assert!(e.to_string().contains("no longer an owner"), "{e}");
    assert_eq!(new_owner.member(&modifier.id).await.unwrap().role, "modifier", "nothing changed");
    assert!(
        new_owner
            .owner_promotions(Some(PromotionStatus::Pending))
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == second.id),
        "still pending"
    );
    expect_error(
        TeamClient::confirm_owner_promotion(&t.http, "http://confirm.example.com", &second_token)
            .await,
        ErrorCode::InsecureUrl,
        None,
        &[&second_token],
    );
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Reading the team

#[tokio::test]
async fn given_each_preset_when_me_and_roles_are_read_then_they_match_the_seeded_account_and_its_policy()
 {
    let t = TestServer::start().await;
    for preset in presets() {
        let seeded = t.account(preset);
        for key in &seeded.keys {
            let c = t.client_for_key(&key.key);
            let me = c.me().await.unwrap();
            assert_eq!(me.account.id, seeded.id, "{preset}");
            assert_eq!(me.account.preset, preset);
            assert_eq!(me.account.name, seeded.name);
            assert_eq!(me.role, key.role, "{preset}: the key acts as its seeded role");
            assert_eq!(me.user.email, key.email);
            assert_eq!(me.policy.roles, policy_roles(preset));
            assert_eq!(me.seats.used, me.seats.members + me.seats.pending_invites);
            assert_eq!(
                c.roles().await.unwrap(),
                me.policy.roles,
                "{preset}: /roles is the policy's catalog"
            );
        }
        let owner_me = t.owner(preset).me().await.unwrap();
        assert!(
            owner_me.policy.role(&owner_me.role).unwrap().is_owner,
            "{preset}: the first seeded key is owner-level"
        );
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_team_when_members_are_paged_with_cursors_then_the_pages_concatenate_to_all_members()
 {
    let t = TestServer::start().await;
    let c = t.owner("four-roles-7day");
    let everyone = c.all_members(&MemberQuery::default()).await.unwrap();
    assert_eq!(everyone.len() as u32, c.me().await.unwrap().seats.members);
    assert!(everyone.len() > 6, "the demo team is big enough to page: {}", everyone.len());

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = c.members(&MemberQuery::default(), Some(3), cursor.as_deref()).await.unwrap();
        assert!(page.data.len() <= 3);
        pages += 1;
        paged.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, everyone.len().div_ceil(3));
    assert_eq!(paged, everyone, "cursor pages concatenate to all_members, in order");
    let ids: HashSet<_> = everyone.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids.len(), everyone.len(), "no member twice");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_q_and_role_filters_when_listing_members_then_only_matching_members_come_back() {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let everyone = c.all_members(&MemberQuery::default()).await.unwrap();

    let by_q = c
        .all_members(&MemberQuery { q: Some("ANA".into()), role: None, ..Default::default() })
        .await
        .unwrap();
    assert!(!by_q.is_empty());
    assert!(
        by_q.iter().all(
            |m| m.email.to_lowercase().contains("ana") || m.name.to_lowercase().contains("ana")
        ),
        "{by_q:?}"
    );
    let expected = everyone
        .iter()
        .filter(|m| m.email.to_lowercase().contains("ana") || m.name.to_lowercase().contains("ana"))
        .count();
    assert_eq!(by_q.len(), expected);

    let members = c
        .all_members(&MemberQuery { q: None, role: Some("member".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(members.len(), everyone.iter().filter(|m| m.role == "member").count());
    assert!(members.iter().all(|m| m.role == "member"));

    let owners_named_ana = c
        .all_members(&MemberQuery {
            q: Some("ana".into()),
            role: Some("owner".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(owners_named_ana.iter().all(|m| m.role == "owner"));
    assert_eq!(owners_named_ana.len(), by_q.iter().filter(|m| m.role == "owner").count());

    let nobody = c
        .members(
            &MemberQuery { q: Some("zz-nobody-zz".into()), role: None, ..Default::default() },
            None,
            None,
        )
        .await
        .unwrap();
    assert!(nobody.data.is_empty());
    assert_eq!(nobody.next_cursor, None);

    // A filter value with URL metacharacters reaches the server intact.
    let odd = c
        .members(
            &MemberQuery { q: Some("a&role=owner%_".into()), role: None, ..Default::default() },
            None,
            None,
        )
        .await
        .unwrap();
    assert!(odd.data.is_empty());
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_members_when_a_manager_and_a_plain_member_read_them_then_only_the_manager_sees_sign_in_methods()
 {
    let t = TestServer::start().await;
    let owner_view =
        t.owner("owner-member-link").all_members(&MemberQuery::default()).await.unwrap();
    let member_view =
        t.client("owner-member-link", "member").all_members(&MemberQuery::default()).await.unwrap();
    assert_eq!(owner_view.len(), member_view.len());
    assert!(owner_view.iter().all(|m| m.sign_in_method.is_some()));
    assert!(member_view.iter().all(|m| m.sign_in_method.is_none()));
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_member_id_when_reading_one_member_then_it_equals_the_listed_member() {
    let t = TestServer::start().await;
    let c = t.owner("six-roles-2fa");
    for listed in c.all_members(&MemberQuery::default()).await.unwrap() {
        assert_eq!(c.member(&listed.user_id).await.unwrap(), listed);
    }
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Changing the team

#[tokio::test]
async fn given_an_owner_when_changing_a_members_role_and_quota_then_the_update_is_returned_and_audited()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let target = user_id(&t.client(preset, "member")).await;

    let up = owner
        .update_member(&target, &MemberPatch { role: Some("admin".into()), quota: None })
        .await
        .unwrap();
    assert_eq!(up.member.role, "admin");
    assert_eq!(up.promotion, None);
    assert_eq!(owner.member(&target).await.unwrap().role, "admin");
    let last = owner.audit(&AuditQuery::default(), Some(1), None).await.unwrap().data.remove(0);
    assert_eq!(last.action, AuditAction::MemberRoleChanged);
    assert_eq!(last.target.id, target);
    assert_eq!(last.details["from"], "member");
    assert_eq!(last.details["to"], "admin");

    let up = owner
        .update_member(&target, &MemberPatch { role: None, quota: Some(Some(1234)) })
        .await
        .unwrap();
    assert_eq!(up.member.quota, Some(Some(1234)));
    let up =
        owner.update_member(&target, &MemberPatch { role: None, quota: Some(None) }).await.unwrap();
    assert_eq!(up.member.quota, Some(None), "an explicit null lifts the quota");
    let quota_events = owner
        .audit(
            &AuditQuery { action: Some(AuditAction::MemberQuotaChanged), ..Default::default() },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(quota_events.data.len(), 2);
    assert_eq!(quota_events.data[0].details["to"], serde_json::Value::Null);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_no_confirmation_policy_when_promoting_to_owner_then_the_role_changes_at_once() {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let target = user_id(&t.client("owner-member-link", "member")).await;
    let up = owner
        .update_member(&target, &MemberPatch { role: Some("owner".into()), quota: None })
        .await
        .unwrap();
    assert_eq!(up.member.role, "owner");
    assert_eq!(up.promotion, None);
    // Two owners now: the first may step down.
    let me = user_id(&owner).await;
    assert_eq!(
        owner
            .update_member(&me, &MemberPatch { role: Some("member".into()), quota: None })
            .await
            .unwrap()
            .member
            .role,
        "member"
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_six_roles_2fa_when_the_owner_promotes_a_member_to_owner_then_a_pending_promotion_comes_back_and_can_be_cancelled()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_id = user_id(&owner).await;
    let target = user_id(&t.client(preset, "member")).await;
    let promote = MemberPatch { role: Some("owner".into()), quota: None };

    let up = owner.update_member(&target, &promote).await.unwrap();
    assert_eq!(up.member.role, "member", "the role waits for the owner's confirmation");
    let p = up.promotion.expect("a pending promotion");
    assert_eq!(p.status, PromotionStatus::Pending);
    assert_eq!(p.user.id, target);
    assert_eq!(p.role, "owner");
    assert_eq!(p.requested_by.id, owner_id);
    assert!(p.expires_at > p.created_at);
    assert_eq!(p.decided_at, None);

    let again = owner.update_member(&target, &promote).await.unwrap().promotion.unwrap();
    assert_eq!(again.id, p.id, "asking twice gives the same pending promotion");

    assert!(owner.owner_promotions(None).await.unwrap().iter().any(|x| x.id == p.id));
    assert_eq!(
        owner.owner_promotions(Some(PromotionStatus::Pending)).await.unwrap(),
        vec![p.clone()]
    );
    assert!(owner.owner_promotions(Some(PromotionStatus::Cancelled)).await.unwrap().is_empty());
    let requested = owner
        .audit(
            &AuditQuery {
                action: Some(AuditAction::OwnerPromotionRequested),
                ..Default::default()
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(requested.data.len(), 1);
    assert_eq!(requested.data[0].details["promotion_id"], p.id.as_str());

    let cancelled = owner.cancel_owner_promotion(&p.id).await.unwrap();
    assert_eq!(cancelled.id, p.id);
    assert_eq!(cancelled.status, PromotionStatus::Cancelled);
    assert!(cancelled.decided_at.is_some());
    assert_eq!(
        owner.owner_promotions(Some(PromotionStatus::Cancelled)).await.unwrap(),
        vec![cancelled]
    );
    assert!(owner.owner_promotions(Some(PromotionStatus::Pending)).await.unwrap().is_empty());
    assert_eq!(owner.member(&target).await.unwrap().role, "member");

    let key = t.owner_key_text(preset);
    let e = expect_error(
        owner.cancel_owner_promotion(&p.id).await,
        ErrorCode::Conflict,
        Some(S::PromotionNotPending),
        &[&key],
    );
    assert!(e.to_string().contains("cancelled"), "{e}");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_owner_when_removing_a_member_then_they_are_gone_and_their_key_stops_working() {
    let t = TestServer::start().await;
    let preset = "four-roles-7day";
    let owner = t.owner(preset);
    let victim = t.client(preset, "viewer");
    let victim_id = user_id(&victim).await;
    let before = owner.all_members(&MemberQuery::default()).await.unwrap().len();

    owner.remove_member(&victim_id).await.unwrap();

    assert_eq!(owner.all_members(&MemberQuery::default()).await.unwrap().len(), before - 1);
    let key = t.key_text(preset, "viewer");
    expect_error(owner.member(&victim_id).await, ErrorCode::NotFound, Some(S::NotFound), &[&key]);
    expect_error(victim.me().await, ErrorCode::BadKey, Some(S::Unauthorized), &[&key]);
    let removed = owner
        .audit(
            &AuditQuery { action: Some(AuditAction::MemberRemoved), ..Default::default() },
            Some(1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(removed.data[0].target.id, victim_id);
    assert_eq!(removed.data[0].target.kind, AuditTargetKind::Member);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_member_when_leaving_then_their_key_stops_working_and_the_log_says_member_left() {
    let t = TestServer::start().await;
    let preset = "owner-member-link";
    let member = t.client(preset, "member");
    let member_id = user_id(&member).await;

    member.leave().await.unwrap();

    let key = t.key_text(preset, "member");
    let e = expect_error(member.me().await, ErrorCode::BadKey, Some(S::Unauthorized), &[&key]);
    assert!(e.to_string().contains("key"), "{e}");
    let left = t
        .owner(preset)
        .audit(
            &AuditQuery { action: Some(AuditAction::MemberLeft), ..Default::default() },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(left.data.len(), 1);
    assert_eq!(left.data[0].target.id, member_id);
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Invites

#[tokio::test]
async fn given_demo_invites_when_filtering_by_status_and_q_and_paging_then_each_filter_returns_only_its_invites()
 {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let all = c.all_invites(&InviteQuery::default()).await.unwrap();
    assert!(all.len() >= 4);

    for status in [
        InviteStatus::Pending,
        InviteStatus::Accepted,
        InviteStatus::Expired,
        InviteStatus::Revoked,
    ] {
        let some = c.all_invites(&InviteQuery { status: Some(status), q: None }).await.unwrap();
        assert!(!some.is_empty(), "the demo has a {status:?} invite");
        assert!(some.iter().all(|i| i.status == status), "{status:?}: {some:?}");
        assert_eq!(some.len(), all.iter().filter(|i| i.status == status).count(), "{status:?}");
        // The link is shown to managers only while pending.
        assert!(
            some.iter().all(|i| i.link.is_some() == (status == InviteStatus::Pending)),
            "{status:?}"
        );
    }

    let typo = c.all_invites(&InviteQuery { status: None, q: Some("typo".into()) }).await.unwrap();
    assert_eq!(typo.len(), 1);
    assert_eq!(typo[0].status, InviteStatus::Revoked);
    let revoked_typo = c
        .all_invites(&InviteQuery { status: Some(InviteStatus::Pending), q: Some("typo".into()) })
        .await
        .unwrap();
    assert!(revoked_typo.is_empty());

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = c.invites(&InviteQuery::default(), Some(3), cursor.as_deref()).await.unwrap();
        paged.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, all);
    for i in &all {
        assert_eq!(&c.invite(&i.id).await.unwrap(), i);
    }

    let as_member =
        t.client("owner-member-link", "member").all_invites(&InviteQuery::default()).await.unwrap();
    assert_eq!(as_member.len(), all.len());
    assert!(as_member.iter().all(|i| i.link.is_none()), "only managers see links");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_owner_when_creating_resending_and_revoking_an_invite_then_each_step_shows_on_the_invite()
 {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let key = t.owner_key_text("owner-member-link");

    let inv = create(&c, "  new.person@example.com ", "member").await;
    assert_eq!(inv.email, "new.person@example.com", "the server trims the address");
    assert_eq!(inv.role, "member");
    assert_eq!(inv.status, InviteStatus::Pending);
    assert_eq!(inv.times_sent, 1);
    let link = inv.link.clone().expect("a manager gets the link");
    assert!(link.starts_with(&format!("{}/join/", t.url())), "{link}");
    assert_eq!((inv.expires_at - inv.created_at).num_days(), 14);
    assert_eq!(c.invite(&inv.id).await.unwrap(), inv);

    let resent = c.resend_invite(&inv.id).await.unwrap();
    assert_eq!(resent.id, inv.id);
    assert_eq!(resent.times_sent, 2);
    assert!(resent.last_sent_at.unwrap() >= inv.last_sent_at.unwrap());
    assert_eq!(resent.link, inv.link, "resending keeps the same link");

    let revoked = c.revoke_invite(&inv.id).await.unwrap();
    assert_eq!(revoked.status, InviteStatus::Revoked);
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.link, None, "a revoked invite has no link to copy");

    let e = expect_error(
        c.revoke_invite(&inv.id).await,
        ErrorCode::Conflict,
        Some(S::InviteNotPending),
        &[&key],
    );
    assert!(e.to_string().contains("only pending invites"), "{e}");
    let e = expect_error(
        c.resend_invite(&inv.id).await,
        ErrorCode::Conflict,
        Some(S::InviteNotPending),
        &[&key],
    );
    assert!(e.to_string().contains("Create a new invite"), "{e}");

    let actions: Vec<_> = c
        .audit(&AuditQuery { q: Some("new.person".into()), ..Default::default() }, None, None)
        .await
        .unwrap()
        .data
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![AuditAction::InviteRevoked, AuditAction::InviteResent, AuditAction::InviteCreated]
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_one_idempotency_key_when_create_is_sent_twice_then_one_invite_exists_and_a_changed_body_is_refused()
 {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let key = IdempotencyKey::new();
    let first = c.create_invite(&new_invite("once@example.com", "member"), &key).await.unwrap();
    let second = c.create_invite(&new_invite("once@example.com", "member"), &key).await.unwrap();
    assert_eq!(first, second, "the retry replays the first answer");
    assert_eq!(
        c.all_invites(&InviteQuery { status: None, q: Some("once@example.com".into()) })
            .await
            .unwrap()
            .len(),
        1
    );

    let owner_key = t.owner_key_text("owner-member-link");
    expect_error(
        c.create_invite(&new_invite("other@example.com", "member"), &key).await,
        ErrorCode::Conflict,
        Some(S::IdempotencyMismatch),
        &[&owner_key],
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_link_invite_when_the_invitee_joins_then_they_are_a_member_with_the_invited_role()
 {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let inv = create(&c, "joiner@example.com", "member").await;
    let token = token_of(inv.link.as_deref().unwrap());
    let req = JoinRequest {
        token: token.clone(),
        mode: JoinMode::SignUp,
        email: "joiner@example.com".into(),
        password: PASSWORD.into(),
        name: Some("Jo Iner".into()),
    };

    // Refusals the invitee can fix leave the invite as it was.
    let someone_else = JoinRequest { email: "someone.else@example.com".into(), ..req.clone() };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &someone_else).await,
        ErrorCode::NoPermission,
        Some(S::EmailMismatch),
        &[PASSWORD, &token],
    );
    assert!(
        e.to_string().contains("sent to j***@example.com"),
        "names the address only masked: {e}"
    );
    let no_such_login = JoinRequest { mode: JoinMode::SignIn, name: None, ..req.clone() };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &no_such_login).await,
        ErrorCode::BadKey,
        Some(S::InvalidCredentials),
        &[PASSWORD, &token],
    );
    assert!(e.to_string().contains("sign up instead"), "says what to do: {e}");
    assert_eq!(c.invite(&inv.id).await.unwrap().status, InviteStatus::Pending);

    let joined = TeamClient::join(&t.http, t.url(), &req).await.unwrap();
    assert_eq!(joined.account.id, t.account("owner-member-link").id);
    assert_eq!(joined.role, "member");
    assert_eq!(joined.user.email, "joiner@example.com");
    assert_eq!(joined.user.name, "Jo Iner");

    let member = c.member(&joined.user.id).await.unwrap();
    assert_eq!(member.role, "member");
    let accepted = c.invite(&inv.id).await.unwrap();
    assert_eq!(accepted.status, InviteStatus::Accepted);
    assert_eq!(accepted.accepted_by.unwrap().id, joined.user.id);

    // A used link is gone; a made-up one never existed. Neither needs a key.
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &req).await,
        ErrorCode::NotFound,
        Some(S::InviteGone),
        &[PASSWORD],
    );
    assert!(e.to_string().contains("already been used"), "{e}");
    let bogus = JoinRequest { token: "not-a-real-token".into(), ..req.clone() };
    expect_error(
        TeamClient::join(&t.http, t.url(), &bogus).await,
        ErrorCode::NotFound,
        Some(S::NotFound),
        &[PASSWORD],
    );
    expect_error(
        TeamClient::join(&t.http, "http://join.example.com", &req).await,
        ErrorCode::InsecureUrl,
        None,
        &[PASSWORD, &token],
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_invite_to_someone_with_a_login_when_they_sign_up_or_are_already_on_the_team_then_email_taken_or_already_member()
 {
    let t = TestServer::start().await;
    let preset = "four-roles-7day";
    let c = t.owner(preset);
    // A member of another team: they have a Roster login already.
    let other = t.seeded_key("owner-member-link", "member").email.clone();
    let inv = create(&c, &other, "viewer").await;
    let token = token_of(inv.link.as_deref().unwrap());
    let sign_up = JoinRequest {
        token: token.clone(),
        mode: JoinMode::SignUp,
        email: other.clone(),
        password: PASSWORD.into(),
        name: Some("Twin".into()),
    };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &sign_up).await,
        ErrorCode::Conflict,
        Some(S::EmailTaken),
        &[PASSWORD, &token],
    );
    assert!(e.to_string().contains("Sign in instead"), "says what to do: {e}");

    // They were put on the team some other way while the invite waited.
    add_member_directly(&t, &t.account(preset).id, &other, "viewer");
    let password = roster_server::seed::DEMO_PASSWORD;
    let sign_in =
        JoinRequest { mode: JoinMode::SignIn, password: password.into(), name: None, ..sign_up };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &sign_in).await,
        ErrorCode::Conflict,
        Some(S::AlreadyMember),
        &[password, &token],
    );
    assert!(e.to_string().contains("already a member of Atlas Studio"), "{e}");
    assert_eq!(
        c.invite(&inv.id).await.unwrap().status,
        InviteStatus::Pending,
        "nothing was redeemed"
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_invites_with_a_sign_in_condition_when_joining_with_a_password_then_the_condition_is_named_with_its_code()
 {
    let t = TestServer::start().await;

    // admin-member-idp: an invite only a Google sign-in may redeem.
    let idp = t.owner("admin-member-idp");
    let google = NewInvite {
        identity_provider: Some(IdentityProviderRestriction {
            provider: IdentityProvider::Google,
            tenant_id: None,
        }),
        ..new_invite("g.user@partner.example", "member")
    };
    let inv = idp.create_invite(&google, &IdempotencyKey::new()).await.unwrap();
    let token = token_of(inv.link.as_deref().unwrap());
    for mode in [JoinMode::SignUp, JoinMode::SignIn] {
        let req = JoinRequest {
            token: token.clone(),
            mode,
            email: "g.user@partner.example".into(),
            password: PASSWORD.into(),
            name: Some("G User".into()),
        };
        let e = expect_error(
            TeamClient::join(&t.http, t.url(), &req).await,
            ErrorCode::NoPermission,
            Some(S::IdentityProviderRequired),
            &[PASSWORD, &token],
        );
        assert!(e.to_string().contains("signing in with Google"), "{mode:?}: {e}");
    }

    // six-roles-2fa: an invite that requires secure sign-in, which a new password account lacks.
    let secure = t.owner("six-roles-2fa");
    let inv = secure
        .create_invite(
            &NewInvite {
                require_secure_sign_in: true,
                ..new_invite("fresh.secure@example.com", "member")
            },
            &IdempotencyKey::new(),
        )
        .await
        .unwrap();
    let token = token_of(inv.link.as_deref().expect("managers see e-mailed invites' links too"));
    let req = JoinRequest {
        token: token.clone(),
        mode: JoinMode::SignUp,
        email: "fresh.secure@example.com".into(),
        password: PASSWORD.into(),
        name: Some("Fresh".into()),
    };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &req).await,
        ErrorCode::NoPermission,
        Some(S::SecureSignInRequired),
        &[PASSWORD, &token],
    );
    assert!(e.to_string().contains("Turn on two-factor authentication"), "says what to do: {e}");
    assert_eq!(secure.invite(&inv.id).await.unwrap().status, InviteStatus::Pending);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_invite_when_members_fill_the_seats_before_it_is_redeemed_then_join_is_refused_with_seat_limit()
 {
    let t = TestServer::start().await;
    let preset = "admin-member-idp";
    let c = t.owner(preset);
    let inv = create(&c, "last.seat@harbor.example", "member").await;
    let seats = c.me().await.unwrap().seats;
    let limit = seats.limit.expect("this preset has a seat limit");
    // Users of the other demo teams take every seat left.
    let others: Vec<String> = t
        .accounts
        .iter()
        .filter(|a| a.preset != preset)
        .flat_map(|a| a.keys.iter().map(|k| k.email.clone()))
        .collect();
    for email in others.iter().take((limit - seats.members) as usize) {
        add_member_directly(&t, &t.account(preset).id, email, "member");
    }
    assert_eq!(c.me().await.unwrap().seats.members, limit);

    let token = token_of(inv.link.as_deref().unwrap());
    let req = JoinRequest {
        token: token.clone(),
        mode: JoinMode::SignUp,
        email: "last.seat@harbor.example".into(),
        password: PASSWORD.into(),
        name: Some("Late".into()),
    };
    let e = expect_error(
        TeamClient::join(&t.http, t.url(), &req).await,
        ErrorCode::SeatLimit,
        Some(S::SeatLimitReached),
        &[PASSWORD, &token],
    );
    assert!(
        e.to_string().contains(&format!("All {limit} seats of Harbor Health are taken")),
        "{e}"
    );
    assert_eq!(c.me().await.unwrap().seats.members, limit, "nobody joined");
    assert_eq!(c.invite(&inv.id).await.unwrap().status, InviteStatus::Pending);
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Activity log and live events

#[tokio::test]
async fn given_an_audit_log_when_filtering_by_action_actor_and_q_and_paging_then_matching_events_come_back_newest_first()
 {
    let t = TestServer::start().await;
    let c = t.owner("four-roles-7day");
    let owner_id = user_id(&c).await;

    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = c.audit(&AuditQuery::default(), Some(4), cursor.as_deref()).await.unwrap();
        assert!(page.data.len() <= 4);
        all.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(all.len() > 8, "the demo has history: {}", all.len());
    let seq: Vec<u64> =
        all.iter().map(|e| e.id.trim_start_matches("evt_").parse().unwrap()).collect();
    assert!(seq.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats: {seq:?}");

    let created = c
        .audit(
            &AuditQuery { action: Some(AuditAction::InviteCreated), ..Default::default() },
            Some(200),
            None,
        )
        .await
        .unwrap()
        .data;
    assert_eq!(
        created.len(),
        all.iter().filter(|e| e.action == AuditAction::InviteCreated).count()
    );
    assert!(created.iter().all(|e| e.action == AuditAction::InviteCreated));

    let by_owner = c
        .audit(&AuditQuery { actor: Some(owner_id.clone()), ..Default::default() }, Some(200), None)
        .await
        .unwrap()
        .data;
    assert!(!by_owner.is_empty());
    assert!(by_owner.iter().all(|e| e.actor.as_ref().is_some_and(|a| a.id == owner_id)));

    let typo = c
        .audit(&AuditQuery { q: Some("typo.adress".into()), ..Default::default() }, None, None)
        .await
        .unwrap()
        .data;
    assert!(!typo.is_empty());
    assert!(typo.iter().all(|e| e.target.email.contains("typo.adress")));

    let revoked_typo = c
        .audit(
            &AuditQuery {
                action: Some(AuditAction::InviteRevoked),
                actor: Some(owner_id),
                q: Some("typo".into()),
            },
            None,
            None,
        )
        .await
        .unwrap()
        .data;
    assert_eq!(revoked_typo.len(), 1);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_subscription_when_an_invite_is_created_then_its_audit_event_arrives_on_the_stream()
{
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let mut events = Box::pin(c.events(None).await.unwrap());

    let inv = create(&c, "live@example.com", "member").await;

    let e = within(Duration::from_secs(5), "the live event", events.next())
        .await
        .expect("stream open")
        .expect("an audit event");
    assert_eq!(
        e.action,
        AuditAction::InviteCreated,
        "a fresh subscription starts with new events, not history"
    );
    assert_eq!(e.target.kind, AuditTargetKind::Invite);
    assert_eq!(e.target.id, inv.id);
    assert_eq!(e.target.email, "live@example.com");
    assert_eq!(e.actor.unwrap().id, user_id(&c).await);
    assert_eq!(e.details["role"], "member");

    // Events of another account never show up on this stream.
    create(&t.owner("four-roles-7day"), "elsewhere@example.com", "developer").await;
    c.revoke_invite(&inv.id).await.unwrap();
    let next =
        within(Duration::from_secs(5), "the next event", events.next()).await.unwrap().unwrap();
    assert_eq!(next.action, AuditAction::InviteRevoked);
    assert_eq!(next.target.id, inv.id);
    // Graceful shutdown waits for open connections: close the stream first.
    drop(events);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_last_event_id_when_resubscribing_then_missed_events_arrive_first_in_order_then_live_ones()
 {
    let t = TestServer::start().await;
    let c = t.owner("link-email-quotas");
    let mut first = Box::pin(c.events(None).await.unwrap());
    create(&c, "a@example.com", "member").await;
    let seen = within(Duration::from_secs(5), "event a", first.next()).await.unwrap().unwrap();
    assert_eq!(seen.target.email, "a@example.com");
    drop(first);

    // Missed while disconnected.
    let b = create(&c, "b@example.com", "member").await;
    c.revoke_invite(&b.id).await.unwrap();

    let mut resumed = Box::pin(c.events(Some(&seen.id)).await.unwrap());
    let m1 = within(Duration::from_secs(5), "missed 1", resumed.next()).await.unwrap().unwrap();
    let m2 = within(Duration::from_secs(5), "missed 2", resumed.next()).await.unwrap().unwrap();
    assert_eq!(
        (m1.action, m1.target.email.as_str()),
        (AuditAction::InviteCreated, "b@example.com")
    );
    assert_eq!(
        (m2.action, m2.target.email.as_str()),
        (AuditAction::InviteRevoked, "b@example.com")
    );

    create(&c, "c@example.com", "member").await;
    let live =
        within(Duration::from_secs(5), "live event c", resumed.next()).await.unwrap().unwrap();
    assert_eq!(live.target.email, "c@example.com", "no replayed event twice, then live ones");
    drop(resumed);
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Every error code path

#[tokio::test]
async fn given_a_wrong_key_when_calling_any_endpoint_then_bad_key_with_the_servers_code_and_no_key_in_the_error()
 {
    let t = TestServer::start().await;
    let bad = "rst_this_key_was_never_issued_0123456789";
    let c = t.client_for_key(bad);
    let secrets = [bad];
    let e = expect_error(c.me().await, ErrorCode::BadKey, Some(S::Unauthorized), &secrets);
    assert!(e.to_string().contains("Create a new key"), "says what to do: {e}");
    expect_error(c.roles().await, ErrorCode::BadKey, Some(S::Unauthorized), &secrets);
    expect_error(
        c.all_members(&MemberQuery::default()).await,
        ErrorCode::BadKey,
        Some(S::Unauthorized),
        &secrets,
    );
    expect_error(
        c.create_invite(&new_invite("x@example.com", "member"), &IdempotencyKey::new()).await,
        ErrorCode::BadKey,
        Some(S::Unauthorized),
        &secrets,
    );
    expect_error(
        c.audit(&AuditQuery::default(), None, None).await,
        ErrorCode::BadKey,
        Some(S::Unauthorized),
        &secrets,
    );
    expect_error(
        c.events(None).await.map(|_| ()),
        ErrorCode::BadKey,
        Some(S::Unauthorized),
        &secrets,
    );
    assert_no_secret(&ApiKey::from(bad.to_string()), &secrets);
    assert!(!format!("{c:?}").contains(bad), "the client's Debug shows no key");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_role_that_does_not_manage_the_team_when_managing_it_then_no_permission_while_reading_still_works()
 {
    let t = TestServer::start().await;
    let preset = "owner-member-link";
    let m = t.client(preset, "member");
    let key = t.key_text(preset, "member");
    let k = [key.as_str()];
    let owner_id = user_id(&t.owner(preset)).await;
    let pending = t
        .owner(preset)
        .all_invites(&InviteQuery { status: Some(InviteStatus::Pending), q: None })
        .await
        .unwrap()
        .remove(0);

    m.me().await.unwrap();
    m.roles().await.unwrap();
    m.all_members(&MemberQuery::default()).await.unwrap();
    m.all_invites(&InviteQuery::default()).await.unwrap();

    let forbidden = Some(S::Forbidden);
    let e = expect_error(
        m.create_invite(&new_invite("x@example.com", "member"), &IdempotencyKey::new()).await,
        ErrorCode::NoPermission,
        forbidden,
        &k,
    );
    assert!(e.to_string().contains("Ask one of them"), "says what to do: {e}");
    expect_error(m.resend_invite(&pending.id).await, ErrorCode::NoPermission, forbidden, &k);
    expect_error(m.revoke_invite(&pending.id).await, ErrorCode::NoPermission, forbidden, &k);
    expect_error(
        m.update_member(&owner_id, &MemberPatch { role: Some("member".into()), quota: None }).await,
        ErrorCode::NoPermission,
        forbidden,
        &k,
    );
    expect_error(m.remove_member(&owner_id).await, ErrorCode::NoPermission, forbidden, &k);
    expect_error(
        m.audit(&AuditQuery::default(), None, None).await,
        ErrorCode::NoPermission,
        forbidden,
        &k,
    );
    expect_error(m.owner_promotions(None).await, ErrorCode::NoPermission, forbidden, &k);
    expect_error(
        m.cancel_owner_promotion("opr_whatever").await,
        ErrorCode::NoPermission,
        forbidden,
        &k,
    );
    expect_error(m.events(None).await.map(|_| ()), ErrorCode::NoPermission, forbidden, &k);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_manager_who_is_not_an_owner_when_touching_an_owner_role_then_no_permission_with_owner_only()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let admin = t.client(preset, "admin");
    let key = t.key_text(preset, "admin");
    let member_id = user_id(&t.client(preset, "member")).await;
    let owner_id = user_id(&t.owner(preset)).await;
    let owner_only = Some(S::OwnerOnly);
    let e = expect_error(
        admin
            .update_member(&member_id, &MemberPatch { role: Some("owner".into()), quota: None })
            .await,
        ErrorCode::NoPermission,
        owner_only,
        &[&key],
    );
    assert!(e.to_string().contains("Only Owners"), "{e}");
    expect_error(
        admin.remove_member(&owner_id).await,
        ErrorCode::NoPermission,
        owner_only,
        &[&key],
    );
    expect_error(
        admin.create_invite(&new_invite("boss@example.com", "owner"), &IdempotencyKey::new()).await,
        ErrorCode::NoPermission,
        owner_only,
        &[&key],
    );
    // What an admin may do still works.
    assert_eq!(
        admin
            .update_member(&member_id, &MemberPatch { role: None, quota: Some(Some(5)) })
            .await
            .unwrap()
            .member
            .quota,
        Some(Some(5))
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_policy_without_the_feature_when_using_it_then_the_servers_not_allowed_by_policy_code_is_kept()
 {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let key = t.owner_key_text("owner-member-link");
    let target = user_id(&t.client("owner-member-link", "member")).await;
    let e = expect_error(
        c.update_member(&target, &MemberPatch { role: None, quota: Some(Some(10)) }).await,
        ErrorCode::Invalid,
        Some(S::NotAllowedByPolicy),
        &[&key],
    );
    assert!(e.to_string().contains("no per-member quotas"), "{e}");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_unknown_ids_when_reading_or_changing_them_then_not_found() {
    let t = TestServer::start().await;
    let c = t.owner("four-roles-7day");
    let key = t.owner_key_text("four-roles-7day");
    let k = [key.as_str()];
    let nf = Some(S::NotFound);
    let e = expect_error(c.member("usr_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    assert!(e.to_string().contains("No member"), "{e}");
    expect_error(
        c.update_member(
            "usr_doesnotexist",
            &MemberPatch { role: Some("viewer".into()), quota: None },
        )
        .await,
        ErrorCode::NotFound,
        nf,
        &k,
    );
    expect_error(c.remove_member("usr_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    expect_error(c.invite("inv_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    expect_error(c.resend_invite("inv_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    expect_error(c.revoke_invite("inv_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    expect_error(c.cancel_owner_promotion("opr_doesnotexist").await, ErrorCode::NotFound, nf, &k);
    // An id with path metacharacters stays one path segment.
    expect_error(c.member("../invites").await, ErrorCode::NotFound, nf, &k);
    // Another account's member is unknown here.
    let foreign = user_id(&t.owner("owner-member-link")).await;
    expect_error(c.member(&foreign).await, ErrorCode::NotFound, nf, &k);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_unknown_role_or_a_bad_address_when_inviting_updating_or_filtering_then_invalid() {
    let t = TestServer::start().await;
    let c = t.owner("four-roles-7day");
    let key = t.owner_key_text("four-roles-7day");
    let k = [key.as_str()];
    let target = user_id(&t.client("four-roles-7day", "viewer")).await;
    let e = expect_error(
        c.create_invite(&new_invite("x@example.com", "wizard"), &IdempotencyKey::new()).await,
        ErrorCode::Invalid,
        Some(S::UnknownRole),
        &k,
    );
    assert!(
        e.to_string().contains("Pick one of: admin, developer, billing_manager, viewer"),
        "{e}"
    );
    expect_error(
        c.update_member(&target, &MemberPatch { role: Some("wizard".into()), quota: None }).await,
        ErrorCode::Invalid,
        Some(S::UnknownRole),
        &k,
    );
    expect_error(
        c.members(
            &MemberQuery { q: None, role: Some("wizard".into()), ..Default::default() },
            None,
            None,
        )
        .await,
        ErrorCode::Invalid,
        Some(S::UnknownRole),
        &k,
    );
    let e = expect_error(
        c.create_invite(&new_invite("not an address", "viewer"), &IdempotencyKey::new()).await,
        ErrorCode::Invalid,
        Some(S::ValidationFailed),
        &k,
    );
    assert!(e.to_string().contains("email"), "names the field: {e}");
    expect_error(
        c.members(&MemberQuery::default(), Some(500), None).await,
        ErrorCode::Invalid,
        Some(S::ValidationFailed),
        &k,
    );
    expect_error(
        c.members(&MemberQuery::default(), None, Some("garbage")).await,
        ErrorCode::Invalid,
        Some(S::ValidationFailed),
        &k,
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_team_with_a_seat_limit_when_invites_fill_the_seats_then_the_next_invite_is_refused_with_seat_limit()
 {
    let t = TestServer::start().await;
    let preset = "admin-member-idp";
    let c = t.owner(preset);
    let key = t.owner_key_text(preset);
    let seats = c.me().await.unwrap().seats;
    let limit = seats.limit.expect("this preset has a seat limit");
    let free = limit - seats.used;
    assert!(free > 0 && free < 10);

    let mut created = Vec::new();
    for i in 0..free {
        created.push(create(&c, &format!("seat{i}@harbor.example"), "member").await);
    }
    let e = expect_error(
        c.create_invite(
            &new_invite("one.too.many@harbor.example", "member"),
            &IdempotencyKey::new(),
        )
        .await,
        ErrorCode::SeatLimit,
        Some(S::SeatLimitReached),
        &[&key],
    );
    assert!(
        e.to_string().contains("Revoke a pending invite or remove a member"),
        "says what to do: {e}"
    );
    assert_eq!(c.me().await.unwrap().seats.used, limit);

    // Freeing a seat lets the next invite in.
    c.revoke_invite(&created[0].id).await.unwrap();
    create(&c, "one.too.many@harbor.example", "member").await;
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_the_only_owner_when_demoting_removing_or_letting_them_leave_then_last_owner() {
    let t = TestServer::start().await;
    let preset = "owner-member-link";
    let c = t.owner(preset);
    let key = t.owner_key_text(preset);
    let me = user_id(&c).await;
    let e = expect_error(
        c.update_member(&me, &MemberPatch { role: Some("member".into()), quota: None }).await,
        ErrorCode::LastOwner,
        Some(S::LastOwner),
        &[&key],
    );
    assert!(e.to_string().contains("Make someone else Owner first"), "says what to do: {e}");
    expect_error(c.remove_member(&me).await, ErrorCode::LastOwner, Some(S::LastOwner), &[&key]);
    expect_error(c.leave().await, ErrorCode::LastOwner, Some(S::LastOwner), &[&key]);
    assert_eq!(c.member(&me).await.unwrap().role, "owner", "nothing changed");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_invite_or_a_member_when_inviting_the_same_address_then_conflict() {
    let t = TestServer::start().await;
    let c = t.owner("owner-member-link");
    let key = t.owner_key_text("owner-member-link");
    create(&c, "twice@example.com", "member").await;
    let e = expect_error(
        c.create_invite(&new_invite("twice@example.com", "member"), &IdempotencyKey::new()).await,
        ErrorCode::Conflict,
        Some(S::InviteExists),
        &[&key],
    );
    assert!(e.to_string().contains("Copy its link again or resend it"), "says what to do: {e}");
    let member_email = t.seeded_key("owner-member-link", "member").email.clone();
    expect_error(
        c.create_invite(&new_invite(&member_email, "member"), &IdempotencyKey::new()).await,
        ErrorCode::Conflict,
        Some(S::AlreadyMember),
        &[&key],
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_default_limits_when_invites_exceed_the_rate_then_rate_limited_with_retry_after_and_a_retrying_client_waits_and_succeeds_once()
 {
    let t = TestServer::start_with(Limits::default()).await;
    let per_minute = Limits::default().invites_per_minute;
    let key = t.owner_key_text("owner-member-link");
    let once = TeamClient::new(&http_with(|c| c.attempts = 1), t.url(), ApiKey::from(key.clone()))
        .unwrap();

    let mut ok = 0;
    let limited = loop {
        match once
            .create_invite(
                &new_invite(&format!("burst{ok}@example.com"), "member"),
                &IdempotencyKey::new(),
            )
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok <= per_minute + 30, "never rate limited after {ok} invites");
    };
    assert!(ok >= per_minute, "the first {per_minute} pass: {ok}");
    let e =
        expect_error(Err::<(), _>(limited), ErrorCode::RateLimited, Some(S::RateLimited), &[&key]);
    let wait = e.retry_after().expect("the server says how long to wait");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(e.is_transient());
    assert!(e.to_string().contains("Try again in"), "says what to do: {e}");

    // The default client honours Retry-After (a second here) and the action succeeds once.
    let retrying = t.owner("owner-member-link");
    let started = Instant::now();
    let inv = retrying
        .create_invite(&new_invite("patient@example.com", "member"), &IdempotencyKey::new())
        .await
        .unwrap();
    eprintln!("rate-limited create succeeded after {:?}", started.elapsed());
    let found = retrying
        .all_invites(&InviteQuery { status: None, q: Some("patient@example.com".into()) })
        .await
        .unwrap();
    assert_eq!(found, vec![inv]);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_long_retry_after_when_rate_limited_then_the_client_returns_the_error_at_once_instead_of_freezing()
 {
    let t = TestServer::start_with(Limits { invites_per_minute: 1, ..Limits::default() }).await;
    let c = t.owner("owner-member-link");
    let key = t.owner_key_text("owner-member-link");
    create(&c, "first@example.com", "member").await;
    let started = Instant::now();
    let e = expect_error(
        c.create_invite(&new_invite("second@example.com", "member"), &IdempotencyKey::new()).await,
        ErrorCode::RateLimited,
        Some(S::RateLimited),
        &[&key],
    );
    assert!(e.retry_after().unwrap() > 10, "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not sleep through a long Retry-After: {:?}",
        started.elapsed()
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_default_limits_when_one_join_link_is_tried_too_often_then_join_is_rate_limited_with_retry_after()
 {
    let t = TestServer::start_with(Limits::default()).await;
    let per_token = Limits::default().joins_per_minute_per_token;
    let req = JoinRequest {
        token: "guessing-a-token".into(),
        mode: JoinMode::SignIn,
        email: "x@example.com".into(),
        password: PASSWORD.into(),
        name: None,
    };
    for _ in 0..per_token {
        expect_error(
            TeamClient::join(&t.http, t.url(), &req).await,
            ErrorCode::NotFound,
            Some(S::NotFound),
            &[PASSWORD],
        );
    }
    // One attempt: a join is retried, and the client would wait out this short Retry-After
    // (6 s) and be let through again.
    let once = http_with(|c| c.attempts = 1);
    let e = expect_error(
        TeamClient::join(&once, t.url(), &req).await,
        ErrorCode::RateLimited,
        Some(S::RateLimited),
        &[PASSWORD],
    );
    assert!(e.retry_after().is_some_and(|s| s >= 1), "{e:?}");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_nothing_listening_when_calling_then_unreachable_within_a_bounded_time() {
    let url = dead_url();
    let key = "rst_key_for_a_dead_server_0123456789";
    let c = TeamClient::new(&test_http(), &url, ApiKey::from(key.to_string())).unwrap();
    let started = Instant::now();
    let e = expect_error(c.me().await, ErrorCode::Unreachable, None, &[key]);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(e.to_string().contains("Check that the server is running"), "says what to do: {e}");
    assert!(e.to_string().contains(&url), "names the address: {e}");
    assert!(e.is_transient());
    expect_error(
        c.create_invite(&new_invite("x@example.com", "member"), &IdempotencyKey::new()).await,
        ErrorCode::Unreachable,
        None,
        &[key],
    );
    expect_error(c.remove_member("usr_x").await, ErrorCode::Unreachable, None, &[key]);
    expect_error(c.events(None).await.map(|_| ()), ErrorCode::Unreachable, None, &[key]);
}

/// A local address that is not loopback (the interface a default route would use), if the
/// machine has one. Connecting a UDP socket sends nothing.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    Some(s.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[tokio::test]
async fn given_plain_http_to_another_host_when_building_a_client_then_it_is_refused_before_any_request()
 {
    let key = "rst_key_that_must_never_travel_in_clear_42";
    let http = test_http();
    // A real listener on a non-loopback address of this machine proves no byte was sent.
    let listener = non_loopback_ip().and_then(|ip| std::net::TcpListener::bind((ip, 0)).ok());
    let mut urls = vec![
        "http://api.example.com".to_string(),
        "http://10.0.0.5:8080".to_string(),
        "http://127.0.0.1.nip.io".to_string(),
    ];
    if let Some(l) = &listener {
        urls.push(format!("http://{}", l.local_addr().unwrap()));
    } else {
        eprintln!(
            "no non-loopback address on this machine: checked the refusal without a listener"
        );
    }
    for url in &urls {
        let e = expect_error(
            TeamClient::new(&http, url, ApiKey::from(key.to_string())),
            ErrorCode::InsecureUrl,
            None,
            &[key],
        );
        assert!(e.to_string().contains("https://"), "says what to do: {e}");
        let req = JoinRequest {
            token: "t".into(),
            mode: JoinMode::SignIn,
            email: "x@example.com".into(),
            password: PASSWORD.into(),
            name: None,
        };
        expect_error(
            TeamClient::join(&http, url, &req).await,
            ErrorCode::InsecureUrl,
            None,
            &[key, PASSWORD],
        );
    }
    if let Some(l) = listener {
        l.set_nonblocking(true).unwrap();
        assert!(
            matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection was attempted"
        );
    }
    // https anywhere and http to loopback are fine.
    TeamClient::new(&http, "https://api.example.com", ApiKey::from(key.to_string())).unwrap();
    TeamClient::new(&http, "http://localhost:9", ApiKey::from(key.to_string())).unwrap();
}

// ---------------------------------------------------------------------------------------
// Scale

#[tokio::test]
async fn given_10000_members_when_all_members_is_called_then_exactly_10000_distinct_members_arrive()
{
    let seeding = Instant::now();
    let t = TestServer::start_seeded(Limits::relaxed(), |db| {
        vec![
            roster_server::seed::scale(
                db,
                "Scale",
                "owner-member-link",
                10_000,
                2_000,
                chrono::Utc::now(),
            )
            .expect("seed the scale team"),
        ]
    })
    .await;
    let seeded_in = seeding.elapsed();
    let c = t.owner("owner-member-link");

    let started = Instant::now();
    let members = c.all_members(&MemberQuery::default()).await.unwrap();
    let members_in = started.elapsed();
    assert_eq!(members.len(), 10_000);
    assert_eq!(
        members.iter().map(|m| m.user_id.as_str()).collect::<HashSet<_>>().len(),
        10_000,
        "no member twice"
    );
    assert_eq!(members.iter().filter(|m| m.role == "owner").count(), 1);

    let started = Instant::now();
    let invites = c.all_invites(&InviteQuery::default()).await.unwrap();
    let invites_in = started.elapsed();
    assert_eq!(invites.len(), 2_000);
    assert_eq!(invites.iter().map(|i| i.id.as_str()).collect::<HashSet<_>>().len(), 2_000);

    let started = Instant::now();
    let filtered = c
        .all_members(&MemberQuery {
            q: Some("user99".into()),
            role: Some("member".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let filtered_in = started.elapsed();
    assert!(filtered.iter().all(|m| m.role == "member" && m.email.contains("user99")));
    assert_eq!(
        filtered.len(),
        members.iter().filter(|m| m.role == "member" && m.email.contains("user99")).count()
    );

    eprintln!(
        "scale: seeded 10,000 members + 2,000 invites in {seeded_in:?}; all_members (50 pages of 200) in {members_in:?}; \
         all_invites (10 pages) in {invites_in:?}; filtered members in {filtered_in:?}"
    );
    t.server.shutdown().await;
}
