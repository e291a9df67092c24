//! The invite's life as owners and invitees see it: created, opened, redeemed, revoked,
//! expired and resent, the one-pending-invite rule, the join rules, and the HTML pages.

use crate::common;
use crate::flows;

use chrono::Duration;
use common::*;
use flows::*;
use serde_json::{Value, json};

/// The non-owner role listed last in the preset (the "narrowest" one), to show the invite's
/// role is carried through rather than the default.
fn narrow_role(t: &TestServer, preset: &str) -> String {
    t.policy_roles(preset).iter().rev().find(|r| !r.is_owner).unwrap().id.clone()
}

#[tokio::test]
async fn given_each_preset_when_an_invite_is_created_opened_and_redeemed_then_the_invitee_joins_and_the_link_dies()
 {
    let t = TestServer::start().await;
    for (i, preset) in presets().into_iter().enumerate() {
        let owner = t.owner(preset);
        let account = t.account(preset).clone();
        let owner_me = me(&t, &owner).await;
        let policy = owner_me["policy"].clone();
        // The last delivery method the policy lists: link for the link-only and IdP presets,
        // e-mail for the e-mail ones and for link-email-quotas.
        let delivery = policy["delivery_methods"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        let role = narrow_role(&t, preset);
        let email = format!("newcomer.{i}@invitee.example");
        let name = format!("Newcomer Number {i}");

        // Create: the answer carries the link at once.
        let before = t.server.clock.now();
        let res = t
            .post(
                "/v1/invites",
                &owner,
                json!({"email": email, "role": role, "delivery": delivery}),
            )
            .await;
        assert_eq!(res.status.as_u16(), 201, "{preset}: {}", res.text);
        let inv = res.json;
        let id = inv["id"].as_str().unwrap().to_string();
        let link = inv["link"]
            .as_str()
            .unwrap_or_else(|| panic!("{preset}: no link in {inv}"))
            .to_string();
        assert!(link.starts_with(&format!("{}/join/", t.server.url)), "{preset}: link {link}");
        assert_eq!(inv["status"], "pending", "{preset}");
        assert_eq!(inv["role"], role.as_str(), "{preset}");
        assert_eq!(inv["delivery"], delivery.as_str(), "{preset}");
        assert_eq!(inv["times_sent"], 1, "{preset}");
        assert_eq!(inv["created_by"]["id"], owner_me["user"]["id"], "{preset}");
        let lifetime = Duration::days(policy["invite_lifetime_days"].as_i64().unwrap());
        let expires = parse_ts(&inv["expires_at"]);
        assert!(
            expires >= before + lifetime - Duration::seconds(5)
                && expires <= t.server.clock.now() + lifetime,
            "{preset}: expires_at {expires}"
        );

        // E-mail delivery puts the same link in the invitee's mailbox; link delivery sends nothing.
        let mails = t.outbox(&email);
        if delivery == "email" {
            assert!(
                mails.iter().any(|m| m.body.contains(&link)),
                "{preset}: no mail with the link to {email}: {mails:?}"
            );
            assert!(
                mails[0].subject.contains(&account.name),
                "{preset}: subject {}",
                mails[0].subject
            );
        } else {
            assert!(mails.is_empty(), "{preset}: link delivery mailed {mails:?}");
        }

        // Opening the link shows a join page naming the account.
        let page = open(&t, &path_of(&t, &link)).await;
        assert_page(&page, 200);
        assert!(
            page.text.contains(&account.name),
            "{preset}: join page does not name {}: {}",
            account.name,
            page.text
        );
        assert!(page.text.contains("<form"), "{preset}: join page has no form");

        // Redeem by signing up: the HTML form for even presets, the JSON API for odd ones.
        let token = token_of(&link);
        if i % 2 == 0 {
            let done = join_form(&t, &token, "sign_up", &email, PASSWORD, &name).await;
            assert_page(&done, 200);
            assert!(
                done.text.contains(&format!("You joined {}", account.name)),
                "{preset}: {}",
                done.text
            );
        } else {
            let joined = join_json(&t, &token, "sign_up", &email, PASSWORD, Some(&name)).await.ok();
            assert_eq!(joined["account"]["id"], account.id.as_str(), "{preset}");
            assert_eq!(joined["role"], role.as_str(), "{preset}");
            assert_eq!(joined["user"]["email"], email.as_str(), "{preset}");
        }

        // The invite is accepted, by the new user, and no longer shows a link.
        let got = t.get(&format!("/v1/invites/{id}"), &owner).await.ok();
        assert_eq!(got["status"], "accepted", "{preset}: {got}");
        assert_eq!(got["accepted_by"]["email"], email.as_str(), "{preset}");
        assert_eq!(got["accepted_by"]["name"], name.as_str(), "{preset}");
        assert!(got["accepted_at"].is_string(), "{preset}");
        assert!(got["link"].is_null(), "{preset}: accepted invite still shows its link");
        let accepted: Vec<Value> = t.all("/v1/invites?status=accepted", &owner).await;
        assert!(
            accepted.iter().any(|x| x["id"] == id.as_str()),
            "{preset}: ?status=accepted misses the invite"
        );

        // The new member is on the team with the invite's role.
        let members = t.all("/v1/members", &owner).await;
        let m =
            by_email(&members, &email).unwrap_or_else(|| panic!("{preset}: {email} not listed"));
        assert_eq!(m["role"], role.as_str(), "{preset}");
        assert_eq!(m["name"], name.as_str(), "{preset}");
        assert_eq!(m["user_id"], got["accepted_by"]["id"], "{preset}");
        assert_eq!(m["sign_in_method"], "email", "{preset}: owners see the sign-in method");

        // The activity log has both events, newest first, with the right actors.
        let events = audit(&t, &owner).await;
        let created = audit_pos(&events, "invite_created", &id)
            .unwrap_or_else(|| panic!("{preset}: no invite_created"));
        let accepted = audit_pos(&events, "invite_accepted", &id)
            .unwrap_or_else(|| panic!("{preset}: no invite_accepted"));
        assert!(accepted < created, "{preset}: audit is not newest first");
        assert_eq!(events[created]["actor"]["id"], owner_me["user"]["id"], "{preset}");
        assert_eq!(events[accepted]["actor"]["email"], email.as_str(), "{preset}");
        assert_eq!(events[accepted]["target"]["email"], email.as_str(), "{preset}");

        // The used link is gone, for the page and for the API.
        let page = open(&t, &path_of(&t, &link)).await;
        assert_page(&page, 410);
        assert!(page.text.contains("already been used"), "{preset}: {}", page.text);
        let again = join_json(&t, &token, "sign_in", &email, PASSWORD, None)
            .await
            .expect(410, "invite_gone");
        assert!(
            again.json["detail"].as_str().unwrap().contains("already been used"),
            "{preset}: {}",
            again.text
        );
        let form_again = join_form(&t, &token, "sign_in", &email, PASSWORD, "").await;
        assert_page(&form_again, 410);
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_invite_when_it_is_revoked_then_the_link_stops_working_at_once_and_it_cannot_be_revoked_or_resent_again()
 {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let inv = t.invite(&owner, "changed.mind@example.com", "member").await;
    let id = inv["id"].as_str().unwrap();
    let token = link_token(&inv);
    assert_page(&open(&t, &format!("/join/{token}")).await, 200);

    let revoked = t.post(&format!("/v1/invites/{id}/revoke"), &owner, json!({})).await.ok();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    assert!(revoked["link"].is_null(), "a revoked invite must not show its link");

    let j = join_json(&t, &token, "sign_up", "changed.mind@example.com", PASSWORD, Some("Late"))
        .await
        .expect(410, "invite_gone");
    assert!(j.json["detail"].as_str().unwrap().contains("revoked"), "{}", j.text);
    let page = open(&t, &format!("/join/{token}")).await;
    assert_page(&page, 410);
    assert!(page.text.contains("revoked"), "{}", page.text);
    assert!(!page.text.contains("<form"), "a dead link must not offer the form");
    assert_page(
        &join_form(&t, &token, "sign_up", "changed.mind@example.com", PASSWORD, "Late").await,
        410,
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM users WHERE email = ?1", "changed.mind@example.com"),
        0
    );

    t.post(&format!("/v1/invites/{id}/revoke"), &owner, json!({}))
        .await
        .expect(409, "invite_not_pending");
    t.post(&format!("/v1/invites/{id}/resend"), &owner, json!({}))
        .await
        .expect(409, "invite_not_pending");
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["status"], "revoked");
    let events = audit(&t, &owner).await;
    assert!(audit_pos(&events, "invite_revoked", id).is_some(), "no invite_revoked event");
    assert!(audit_pos(&events, "invite_resent", id).is_none(), "a refused resend was logged");

    // The person can still be invited again, with a new link.
    let fresh = t.invite(&owner, "changed.mind@example.com", "member").await;
    assert_ne!(link_token(&fresh), token);
    t.join_sign_up(fresh["link"].as_str().unwrap(), "changed.mind@example.com", "Changed Mind")
        .await
        .ok();
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_invite_past_its_lifetime_when_it_is_opened_then_it_reads_expired_and_a_resend_revives_the_same_link()
 {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let email = "slow.reader@example.com";
    let inv = t.invite(&owner, email, "member").await;
    let id = inv["id"].as_str().unwrap();
    let link = inv["link"].as_str().unwrap().to_string();
    let token = token_of(&link);
    let pending_seats = me(&t, &owner).await["seats"]["pending_invites"].as_u64().unwrap();

    t.server.clock.advance(Duration::days(14) + Duration::minutes(1));

    let got = t.get(&format!("/v1/invites/{id}"), &owner).await.ok();
    assert_eq!(got["status"], "expired");
    assert!(got["link"].is_null(), "an expired invite must not show its link");
    let expired = t.all("/v1/invites?status=expired", &owner).await;
    assert!(expired.iter().any(|x| x["id"] == id), "?status=expired misses it");
    assert!(expired.iter().all(|x| x["status"] == "expired"));
    let pending = t.all("/v1/invites?status=pending", &owner).await;
    assert!(!pending.iter().any(|x| x["id"] == id), "?status=pending still lists it");
    assert!(
        me(&t, &owner).await["seats"]["pending_invites"].as_u64().unwrap() < pending_seats,
        "an expired invite still counts as pending"
    );

    let page = open(&t, &format!("/join/{token}")).await;
    assert_page(&page, 410);
    assert!(page.text.contains("expired"), "{}", page.text);
    let j = join_json(&t, &token, "sign_up", email, PASSWORD, Some("Slow Reader"))
        .await
        .expect(410, "invite_gone");
    assert!(j.json["detail"].as_str().unwrap().contains("expired"), "{}", j.text);
    assert_eq!(count(&t, "SELECT count(*) FROM users WHERE email = ?1", email), 0);

    let now = t.server.clock.now();
    let resent = t.post(&format!("/v1/invites/{id}/resend"), &owner, json!({})).await.ok();
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["times_sent"], 2);
    assert_eq!(resent["link"].as_str(), Some(link.as_str()), "resend must keep the same link");
    let expires = parse_ts(&resent["expires_at"]);
    assert!(
        expires >= now + Duration::days(14) - Duration::seconds(5),
        "expiry not renewed from now: {expires} (now {now})"
    );
    assert!(parse_ts(&resent["last_sent_at"]) >= now - Duration::seconds(5));
    assert!(audit_pos(&audit(&t, &owner).await, "invite_resent", id).is_some());

    assert_page(&open(&t, &format!("/join/{token}")).await, 200);
    t.join_sign_up(&link, email, "Slow Reader").await.ok();
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["status"], "accepted");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_shorter_expires_in_days_when_that_time_passes_then_the_invite_expires_early_and_a_resend_mails_the_same_link()
 {
    let t = TestServer::start().await;
    let owner = t.owner("four-roles-7day");
    let email = "short.fuse@example.com";
    for bad in [0, 8] {
        t.post(
            "/v1/invites",
            &owner,
            json!({"email": email, "role": "viewer", "expires_in_days": bad}),
        )
        .await
        .expect(422, "validation_failed");
    }
    let now = t.server.clock.now();
    let res = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": email, "role": "viewer", "expires_in_days": 2}),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    let inv = res.json;
    let id = inv["id"].as_str().unwrap();
    let link = inv["link"].as_str().unwrap().to_string();
    let expires = parse_ts(&inv["expires_at"]);
    assert!(
        (expires - (now + Duration::days(2))).num_seconds().abs() < 60,
        "expires_at {expires}, asked 2 days from {now}"
    );

    t.server.clock.advance(Duration::days(1));
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["status"], "pending");
    t.server.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["status"], "expired");
    assert_page(&open(&t, &path_of(&t, &link)).await, 410);

    let resent = t.post(&format!("/v1/invites/{id}/resend"), &owner, json!({})).await.ok();
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["link"].as_str(), Some(link.as_str()));
    assert!(parse_ts(&resent["expires_at"]) > t.server.clock.now() + Duration::days(1));
    let mails = t.outbox(email);
    assert_eq!(mails.len(), 2, "one mail per send: {mails:?}");
    assert!(mails.iter().all(|m| m.body.contains(&link)), "every mail carries the same link");
    let joined =
        join_json(&t, &token_of(&link), "sign_up", email, PASSWORD, Some("Short Fuse")).await.ok();
    assert_eq!(joined["role"], "viewer");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_invite_or_a_member_when_the_same_address_is_invited_then_it_is_refused_until_the_invite_expires()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let first = t.invite(&owner, "twice@example.com", "member").await;
    let dup = t
        .post("/v1/invites", &owner, json!({"email": "twice@example.com", "role": "admin"}))
        .await
        .expect(409, "invite_exists");
    assert!(dup.json["detail"].as_str().unwrap().contains("twice@example.com"), "{}", dup.text);
    t.post("/v1/invites", &owner, json!({"email": "  TWICE@Example.COM ", "role": "member"}))
        .await
        .expect(409, "invite_exists");

    let member_email = t.role_key(preset, "member").email.clone();
    t.post("/v1/invites", &owner, json!({"email": member_email, "role": "member"}))
        .await
        .expect(409, "already_member");
    t.post("/v1/invites", &owner, json!({"email": member_email.to_uppercase(), "role": "member"}))
        .await
        .expect(409, "already_member");

    // Once the first invite has expired, the address can be invited afresh.
    t.server.clock.advance(Duration::days(7) + Duration::minutes(1));
    let res = t
        .post("/v1/invites", &owner, json!({"email": "twice@example.com", "role": "member"}))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    let second = res.json;
    assert_ne!(second["id"], first["id"]);
    assert_ne!(link_token(&second), link_token(&first));
    assert_eq!(
        t.get(&format!("/v1/invites/{}", first["id"].as_str().unwrap()), &owner).await.ok()["status"],
        "expired"
    );
    // Reviving the old one now would make two pending invites for one address.
    t.post(&format!("/v1/invites/{}/resend", first["id"].as_str().unwrap()), &owner, json!({}))
        .await
        .expect(409, "invite_exists");
    assert_page(&open(&t, &format!("/join/{}", link_token(&first))).await, 410);
    assert_page(&open(&t, &format!("/join/{}", link_token(&second))).await, 200);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_identity_provider_invites_when_redeemed_with_a_password_then_they_are_refused_naming_the_provider()
 {
    let t = TestServer::start().await;
    let owner = t.owner("admin-member-idp");

    let google = t
        .post("/v1/invites", &owner, json!({"email": "g.user@partner.example", "role": "member", "delivery": "link", "identity_provider": {"provider": "google"}}))
        .await;
    assert_eq!(google.status.as_u16(), 201, "{}", google.text);
    let google = google.json;
    assert_eq!(google["identity_provider"]["provider"], "google");
    let gtok = link_token(&google);
    let page = open(&t, &format!("/join/{gtok}")).await;
    assert_page(&page, 200);
    assert!(
        page.text.contains("Google"),
        "join page does not say Google is required: {}",
        page.text
    );
    assert!(!page.text.contains("<form"), "a Google-only invite must not offer password sign-up");
    for mode in ["sign_up", "sign_in"] {
        let r = join_json(&t, &gtok, mode, "g.user@partner.example", PASSWORD, Some("G User"))
            .await
            .expect(403, "identity_provider_required");
        assert!(r.json["detail"].as_str().unwrap().contains("Google"), "{}", r.text);
    }
    let form = join_form(&t, &gtok, "sign_up", "g.user@partner.example", PASSWORD, "G User").await;
    assert_page(&form, 403);
    assert!(form.text.contains("Google"));

    // Microsoft with a tenant, a login name as username and a separate notification e-mail.
    let ms = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": "jdoe", "role": "member", "notification_email": "jdoe@contoso.example",
                   "identity_provider": {"provider": "microsoft", "tenant_id": "contoso.onmicrosoft.com"}}),
        )
        .await;
    assert_eq!(ms.status.as_u16(), 201, "{}", ms.text);
    let ms = ms.json;
    assert_eq!(ms["delivery"], "email");
    assert_eq!(ms["notification_email"], "jdoe@contoso.example");
    assert_eq!(ms["identity_provider"]["tenant_id"], "contoso.onmicrosoft.com");
    let link = ms["link"].as_str().unwrap();
    let mails = t.outbox("jdoe@contoso.example");
    assert!(
        mails.iter().any(|m| m.body.contains(link)),
        "the link is not mailed to the notification address: {mails:?}"
    );
    let mtok = token_of(link);
    let r = join_json(&t, &mtok, "sign_up", "jdoe", PASSWORD, Some("J Doe"))
        .await
        .expect(403, "identity_provider_required");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(detail.contains("Microsoft") && detail.contains("contoso.onmicrosoft.com"), "{detail}");
    let page = open(&t, &format!("/join/{mtok}")).await;
    assert_page(&page, 200);
    assert!(page.text.contains("Microsoft"), "{}", page.text);

    for inv in [&google, &ms] {
        assert_eq!(
            t.get(&format!("/v1/invites/{}", inv["id"].as_str().unwrap()), &owner).await.ok()["status"],
            "pending"
        );
    }
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM users WHERE email IN (?1, 'jdoe')",
            "g.user@partner.example"
        ),
        0
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_invite_when_someone_else_or_a_taken_address_tries_to_redeem_it_then_they_are_told_why_and_a_real_sign_in_joins_a_second_team()
 {
    let t = TestServer::start().await;
    let owner = t.owner("four-roles-7day");

    // E-mail mismatch: refused, naming the invited address only masked.
    let inv = t.invite(&owner, "expected.person@example.com", "developer").await;
    let token = link_token(&inv);
    let r = join_json(&t, &token, "sign_up", "someone.else@example.com", PASSWORD, Some("Else"))
        .await
        .expect(403, "email_mismatch");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(detail.contains("e***@example.com") && !detail.contains("expected.person"), "{detail}");
    let form = join_form(&t, &token, "sign_up", "someone.else@example.com", PASSWORD, "Else").await;
    assert_page(&form, 403);
    assert!(
        form.text.contains("<form") && form.text.contains("e***@example.com"),
        "the form should come back with the reason: {}",
        form.text
    );
    // Too-short password for a new account: a fixable error, nothing written.
    join_json(&t, &token, "sign_up", "expected.person@example.com", "short", Some("Expected"))
        .await
        .expect(422, "validation_failed");
    // Sign-in as a user who does not exist.
    join_json(&t, &token, "sign_in", "expected.person@example.com", PASSWORD, None)
        .await
        .expect(401, "invalid_credentials");
    assert_eq!(
        count(&t, "SELECT count(*) FROM users WHERE email = ?1", "expected.person@example.com"),
        0
    );
    join_json(&t, &token, "sign_up", "Expected.Person@example.com", PASSWORD, Some("Expected"))
        .await
        .ok();

    // Someone who already has a Roster login (a member of another team).
    let other = t.role_key("owner-member-link", "member").clone();
    let other_uid = user_id(&t, &other.key).await;
    let inv = t.invite(&owner, &other.email, "viewer").await;
    let token = link_token(&inv);
    let r = join_json(&t, &token, "sign_up", &other.email, PASSWORD, Some("Imposter"))
        .await
        .expect(409, "email_taken");
    assert!(r.json["detail"].as_str().unwrap().contains("Sign in"), "{}", r.text);
    let form = join_form(&t, &token, "sign_up", &other.email, PASSWORD, "Imposter").await;
    assert_page(&form, 409);
    join_json(&t, &token, "sign_in", &other.email, "not-the-password", None)
        .await
        .expect(401, "invalid_credentials");
    let form = join_form(&t, &token, "sign_in", &other.email, "not-the-password", "").await;
    assert_page(&form, 401);
    assert!(form.text.contains("<form"), "the sign-in form should come back");
    assert_eq!(
        t.get(&format!("/v1/invites/{}", inv["id"].as_str().unwrap()), &owner).await.ok()["status"],
        "pending"
    );

    let joined =
        join_json(&t, &token, "sign_in", &other.email, roster_server::seed::DEMO_PASSWORD, None)
            .await
            .ok();
    assert_eq!(joined["user"]["id"], other_uid.as_str(), "sign-in must reuse the existing user");
    assert_eq!(joined["role"], "viewer");
    assert_eq!(joined["account"]["id"], t.account("four-roles-7day").id.as_str());
    // Now on two teams: listed in both, and the old key still acts on the old account only.
    let here = t.all("/v1/members", &owner).await;
    assert_eq!(by_email(&here, &other.email).unwrap()["user_id"], other_uid.as_str());
    let there = t.all("/v1/members", &t.owner("owner-member-link")).await;
    assert_eq!(by_email(&there, &other.email).unwrap()["role"], "member");
    assert_eq!(
        me(&t, &other.key).await["account"]["id"],
        t.account("owner-member-link").id.as_str()
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_invite_requiring_secure_sign_in_when_a_password_account_tries_then_it_is_refused_and_nothing_is_written()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let email = "fresh.secure@example.com";
    let res = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": email, "role": "member", "require_secure_sign_in": true}),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    let inv = res.json;
    assert_eq!(inv["require_secure_sign_in"], true);
    let id = inv["id"].as_str().unwrap();
    let token = link_token(&inv);
    let page = open(&t, &format!("/join/{token}")).await;
    assert_page(&page, 200);
    assert!(page.text.contains("secure sign-in"), "{}", page.text);

    let users_before = count(&t, "SELECT count(*) FROM users WHERE ?1 IS NOT NULL", "x");
    let audit_before = count(&t, "SELECT count(*) FROM audit WHERE ?1 IS NOT NULL", "x");
    let r = join_json(&t, &token, "sign_up", email, PASSWORD, Some("Fresh Secure"))
        .await
        .expect(403, "secure_sign_in_required");
    assert!(r.json["detail"].as_str().unwrap().contains("two-factor"), "{}", r.text);
    assert_page(&join_form(&t, &token, "sign_up", email, PASSWORD, "Fresh Secure").await, 403);
    assert_eq!(
        count(&t, "SELECT count(*) FROM users WHERE email = ?1", email),
        0,
        "a refused sign-up created a user"
    );
    assert_eq!(count(&t, "SELECT count(*) FROM users WHERE ?1 IS NOT NULL", "x"), users_before);
    assert_eq!(count(&t, "SELECT count(*) FROM audit WHERE ?1 IS NOT NULL", "x"), audit_before);
    join_json(&t, &token, "sign_in", email, PASSWORD, None)
        .await
        .expect(401, "invalid_credentials");
    assert_eq!(t.get(&format!("/v1/invites/{id}"), &owner).await.ok()["status"], "pending");

    // A demo user elsewhere whose sign-in is plain e-mail + password is refused too...
    let plain = t
        .server
        .db
        .blocking(|tx| {
            Ok(tx.query_row(
                "SELECT email FROM users WHERE sign_in_method = 'email' AND password_hash IS NOT NULL AND email NOT LIKE '%bluefin.example' ORDER BY id LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .unwrap();
    let inv = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": plain, "role": "member", "require_secure_sign_in": true}),
        )
        .await
        .ok();
    join_json(&t, &link_token(&inv), "sign_in", &plain, roster_server::seed::DEMO_PASSWORD, None)
        .await
        .expect(403, "secure_sign_in_required");

    // ...while one with two-factor (or Google/GitHub) sign-in joins.
    let secure = t
        .server
        .db
        .blocking(|tx| {
            Ok(tx.query_row(
                "SELECT email, sign_in_method FROM users WHERE sign_in_method <> 'email' AND password_hash IS NOT NULL AND email NOT LIKE '%bluefin.example' ORDER BY id LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?)
        })
        .unwrap();
    let inv = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": secure.0, "role": "modifier", "require_secure_sign_in": true}),
        )
        .await
        .ok();
    let joined = join_json(
        &t,
        &link_token(&inv),
        "sign_in",
        &secure.0,
        roster_server::seed::DEMO_PASSWORD,
        None,
    )
    .await
    .ok();
    assert_eq!(joined["role"], "modifier");
    let members = t.all("/v1/members", &owner).await;
    assert_eq!(by_email(&members, &secure.0).unwrap()["sign_in_method"], secure.1.as_str());
    assert!(by_email(&members, &plain).is_none());
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_name_with_markup_when_it_is_shown_on_pages_then_it_is_escaped_while_the_api_returns_it_verbatim()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let evil = "<script>alert(1)</script>";
    let email = "markup@example.com";
    let inv = t.invite(&owner, email, "member").await;
    let token = link_token(&inv);
    let page = open(&t, &format!("/join/{token}")).await;
    assert_page(&page, 200);
    assert!(
        page.headers.get("cache-control").is_some_and(|v| v == "no-store"),
        "join page is cacheable"
    );
    assert!(
        page.headers.get("referrer-policy").is_some_and(|v| v == "no-referrer"),
        "join page leaks its URL in Referer"
    );

    let done = join_form(&t, &token, "sign_up", email, PASSWORD, evil).await;
    assert_page(&done, 200);
    assert!(!done.text.contains("<script"), "welcome page renders markup: {}", done.text);
    assert!(done.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", done.text);

    let members = t.all("/v1/members", &owner).await;
    let m = by_email(&members, email).unwrap();
    assert_eq!(m["name"], evil, "the API must return the name verbatim");
    let uid = m["user_id"].as_str().unwrap();

    // The owner-confirmation page shows the member's name: escaped too.
    let upd = t.patch(&format!("/v1/members/{uid}"), &owner, json!({"role": "owner"})).await.ok();
    assert_eq!(upd["promotion"]["user"]["name"], evil);
    let owner_email = &t.role_key(preset, "owner").email;
    let mail = t
        .outbox(owner_email)
        .into_iter()
        .find(|m| m.body.contains("/confirm-owner/"))
        .expect("no confirmation mail");
    let link = link_in(&mail.body, "/confirm-owner/").unwrap();
    let confirm = open(&t, &path_of(&t, &link)).await;
    assert_page(&confirm, 200);
    assert!(
        !confirm.text.contains("<script"),
        "confirmation page renders markup: {}",
        confirm.text
    );
    assert!(confirm.text.contains("&lt;script&gt;"));
    let done = press(&t, &path_of(&t, &link)).await;
    assert_page(&done, 200);
    assert!(!done.text.contains("<script"), "{}", done.text);
    assert_page(&press(&t, &path_of(&t, &link)).await, 409);

    // Every problem page is a real page with the same protections.
    assert_page(&open(&t, &format!("/join/{token}")).await, 410);
    assert_page(&open(&t, "/join/not-a-real-token").await, 404);
    assert_page(&open(&t, "/confirm-owner/not-a-real-token").await, 404);
    t.server.shutdown().await;
}
