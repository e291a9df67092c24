//! The guards that make mistakes hard: the seat limit (also under concurrent redemption),
//! the last-owner rule, owner-only changes, owner promotion with confirmation, and keys that
//! act with their user's current role.

use crate::common;
use crate::flows;

use std::collections::{HashMap, HashSet};

use common::*;
use flows::*;
use serde_json::{Value, json};

const IDP: &str = "admin-member-idp";

/// Fills the admin-member-idp team's seats with link invites; returns (invites, the refusal).
async fn fill_seats(t: &TestServer, owner: &str) -> (Vec<Value>, Res) {
    let mut created = Vec::new();
    for i in 0..20 {
        let res = t.post("/v1/invites", owner, json!({"email": format!("seat{i}@newhire.example"), "role": "member", "delivery": "link"})).await;
        if res.status.as_u16() != 201 {
            return (created, res);
        }
        created.push(res.json);
    }
    panic!("20 invites and no seat limit")
}

/// The outcome of one concurrent redemption: status and problem code (empty on success).
type Outcome = (u16, String, String);

async fn redeem_concurrently(
    t: &TestServer,
    attempts: Vec<(String, String, String)>,
) -> Vec<Outcome> {
    let url = t.url("/v1/join");
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(token, email, name)| {
            let http = t.http.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let resp = http
                    .post(url)
                    .json(&json!({"token": token, "mode": "sign_up", "email": email, "name": name, "password": PASSWORD}))
                    .send()
                    .await
                    .expect("request failed");
                let status = resp.status().as_u16();
                let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                if status != 200 {
                    assert!(ct.starts_with("application/problem+json"), "{status} without a problem body: {body}");
                }
                (status, body["code"].as_str().unwrap_or("").to_string(), token)
            })
        })
        .collect();
    let mut out = Vec::new();
    for r in futures::future::join_all(tasks).await {
        out.push(r.expect("task panicked"));
    }
    for (status, code, _) in &out {
        assert!(
            *status == 200 || (400..500).contains(status),
            "a redemption answered {status} {code}"
        );
    }
    out
}

#[tokio::test]
async fn given_a_ten_seat_team_when_invites_fill_it_then_the_next_is_refused_with_what_to_do_and_revoking_frees_a_seat()
 {
    let t = TestServer::start().await;
    let owner = t.owner(IDP);
    let seats = me(&t, &owner).await["seats"].clone();
    assert_eq!(seats["limit"], 10);
    let used = seats["used"].as_u64().unwrap() as usize;
    assert!(used < 10, "demo team already full: {seats}");

    let (created, refusal) = fill_seats(&t, &owner).await;
    assert_eq!(created.len(), 10 - used, "invites accepted before the limit");
    let refusal = refusal.expect(409, "seat_limit_reached");
    let detail = refusal.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("10 seats")
            && detail.contains("Revoke")
            && detail.contains("remove a member"),
        "{detail}"
    );
    let seats = me(&t, &owner).await["seats"].clone();
    assert_eq!(seats["used"], 10);
    assert_eq!(seats["members"].as_u64().unwrap() + seats["pending_invites"].as_u64().unwrap(), 10);

    // Reviving the demo's expired invite would take an eleventh seat.
    let expired = t.all("/v1/invites?status=expired", &owner).await;
    let old = expired.first().expect("the demo team has an expired invite");
    t.post(&format!("/v1/invites/{}/resend", old["id"].as_str().unwrap()), &owner, json!({}))
        .await
        .expect(409, "seat_limit_reached");

    // Revoking one frees its seat for someone else.
    t.post(
        &format!("/v1/invites/{}/revoke", created[0]["id"].as_str().unwrap()),
        &owner,
        json!({}),
    )
    .await
    .ok();
    assert_eq!(me(&t, &owner).await["seats"]["used"], 9);
    let res = t
        .post(
            "/v1/invites",
            &owner,
            json!({"email": "next.in.line@newhire.example", "role": "member", "delivery": "link"}),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    assert_eq!(me(&t, &owner).await["seats"]["used"], 10);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn given_a_full_team_when_twenty_redemptions_race_then_each_invite_makes_one_member_and_the_limit_holds()
 {
    let t = TestServer::start().await;
    let owner = t.owner(IDP);
    // Make room for our own invites by revoking the demo's pending ones, then fill up.
    for inv in t.all("/v1/invites?status=pending", &owner).await {
        t.post(&format!("/v1/invites/{}/revoke", inv["id"].as_str().unwrap()), &owner, json!({}))
            .await
            .ok();
    }
    let (created, refusal) = fill_seats(&t, &owner).await;
    refusal.expect(409, "seat_limit_reached");
    let members_before = me(&t, &owner).await["seats"]["members"].as_u64().unwrap();
    assert_eq!(created.len(), 5, "the demo team has five members and ten seats");

    // Five links, each opened four times at once (a double-click, a retry, a second tab...).
    let mut attempts = Vec::new();
    for copy in 0..4 {
        for inv in &created {
            attempts.push((
                link_token(inv),
                inv["email"].as_str().unwrap().to_string(),
                format!("Racer {copy}"),
            ));
        }
    }
    let outcomes = redeem_concurrently(&t, attempts).await;
    assert_eq!(outcomes.len(), 20);
    let mut wins: HashMap<String, usize> = HashMap::new();
    for (status, code, token) in &outcomes {
        if *status == 200 {
            *wins.entry(token.clone()).or_default() += 1;
        } else {
            assert!(
                matches!(
                    code.as_str(),
                    "invite_gone" | "email_taken" | "already_member" | "seat_limit_reached"
                ),
                "unexpected refusal {status} {code}"
            );
        }
    }
    assert_eq!(wins.len(), 5, "every invite should be redeemed once: {outcomes:?}");
    assert!(wins.values().all(|n| *n == 1), "an invite was redeemed twice: {wins:?}");

    let seats = me(&t, &owner).await["seats"].clone();
    assert_eq!(seats["members"].as_u64().unwrap(), members_before + 5);
    assert_eq!(seats["members"], 10);
    assert_eq!(seats["used"], 10, "accepting converts a pending seat, it does not add one");
    for inv in &created {
        let email = inv["email"].as_str().unwrap();
        assert_eq!(
            count(&t, "SELECT count(*) FROM users WHERE email = ?1", email),
            1,
            "{email}: users"
        );
        assert_eq!(
            count(
                &t,
                "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = ?1",
                email
            ),
            1,
            "{email}: memberships"
        );
        let got = t.get(&format!("/v1/invites/{}", inv["id"].as_str().unwrap()), &owner).await.ok();
        assert_eq!(got["status"], "accepted");
        assert_eq!(got["accepted_by"]["email"], email);
    }
    let accepted =
        audit(&t, &owner).await.into_iter().filter(|e| e["action"] == "invite_accepted").count();
    assert!(accepted >= 5);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn given_more_pending_invites_than_seats_when_all_are_redeemed_at_once_then_members_stop_exactly_at_the_limit()
 {
    let t = TestServer::start().await;
    let owner = t.owner(IDP);
    let account = t.account(IDP).id.clone();
    let members_before = me(&t, &owner).await["seats"]["members"].as_u64().unwrap() as usize;
    let free = 10 - members_before;
    // A state the API refuses to create (as after an operator lowered the limit): twelve
    // pending invites written straight into the database on top of the demo's.
    let now = t.server.clock.now();
    let mut attempts = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..12 {
        let email = format!("overbooked{i}@newhire.example");
        let token = insert_pending_invite(&t, &account, &email, "member", now);
        tokens.push((token.clone(), email.clone()));
        attempts.push((token, email, format!("Overbooked {i}")));
    }
    // Eight of them opened twice at once: twenty attempts.
    for (token, email) in tokens.iter().take(8) {
        attempts.push((token.clone(), email.clone(), "Second Tab".into()));
    }
    assert!(me(&t, &owner).await["seats"]["used"].as_u64().unwrap() > 10);

    let outcomes = redeem_concurrently(&t, attempts).await;
    let won: Vec<&String> = outcomes.iter().filter(|o| o.0 == 200).map(|o| &o.2).collect();
    let distinct: HashSet<&&String> = won.iter().collect();
    assert_eq!(distinct.len(), won.len(), "an invite was redeemed twice");
    assert_eq!(
        won.len(),
        free,
        "joins should continue until the seats are full, then stop: {outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.1 == "seat_limit_reached"),
        "nobody was told the team is full"
    );
    for (status, code, _) in &outcomes {
        assert!(
            *status == 200 || matches!(code.as_str(), "seat_limit_reached" | "invite_gone"),
            "unexpected {status} {code}"
        );
    }
    assert_eq!(me(&t, &owner).await["seats"]["members"].as_u64().unwrap(), 10);

    // A late one is refused with the team-full message, and nothing was written for it.
    let (token, email) = tokens.iter().find(|(tok, _)| !won.contains(&tok)).unwrap();
    let r = join_json(&t, token, "sign_up", email, PASSWORD, Some("Late"))
        .await
        .expect(409, "seat_limit_reached");
    assert!(r.json["detail"].as_str().unwrap().contains("10 seats"), "{}", r.text);
    assert_eq!(count(&t, "SELECT count(*) FROM users WHERE email = ?1", email), 0);
    assert_eq!(me(&t, &owner).await["seats"]["members"].as_u64().unwrap(), 10);
    t.server.shutdown().await;
}

/// Confirms a pending owner promotion through the link mailed to `requester_email`.
async fn confirm_by_mail(t: &TestServer, requester_email: &str, target_name: &str) -> String {
    let mail = t
        .outbox(requester_email)
        .into_iter()
        .find(|m| m.kind == "owner_promotion_confirm" && m.subject.contains(target_name))
        .unwrap_or_else(|| panic!("no confirmation mail to {requester_email} about {target_name}"));
    link_in(&mail.body, "/confirm-owner/").expect("no confirmation link in the mail")
}

#[tokio::test]
async fn given_each_preset_when_the_sole_owner_tries_to_demote_remove_or_leave_then_it_is_refused_until_there_is_a_second_owner()
 {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner = t.owner(preset);
        let owner_me = me(&t, &owner).await;
        let owner_id = owner_me["user"]["id"].as_str().unwrap().to_string();
        let owner_role = owner_me["role"].as_str().unwrap().to_string();
        let policy = owner_me["policy"].clone();
        let owners: Vec<Value> = t.all(&format!("/v1/members?role={owner_role}"), &owner).await;
        assert_eq!(owners.len(), 1, "{preset}: demo team should have one owner");
        let other_role = policy["default_role"].as_str().unwrap().to_string();

        let r = t
            .patch(&format!("/v1/members/{owner_id}"), &owner, json!({"role": other_role}))
            .await
            .expect(409, "last_owner");
        assert!(r.json["detail"].as_str().unwrap().contains("last"), "{preset}: {}", r.text);
        t.delete(&format!("/v1/members/{owner_id}"), &owner).await.expect(409, "last_owner");
        t.delete("/v1/members/me", &owner).await.expect(409, "last_owner");
        assert_eq!(
            t.get(&format!("/v1/members/{owner_id}"), &owner).await.ok()["role"],
            owner_role.as_str(),
            "{preset}"
        );

        // Promote a second owner (with the requesting owner's confirmation where the policy says so).
        let second = t.key(preset, &other_role);
        let second_me = me(&t, &second).await;
        let second_id = second_me["user"]["id"].as_str().unwrap().to_string();
        let upd = t
            .patch(&format!("/v1/members/{second_id}"), &owner, json!({"role": owner_role}))
            .await
            .ok();
        if policy["owner_promotion_confirmation"] == true {
            assert_eq!(upd["promotion"]["status"], "pending", "{preset}");
            assert_eq!(
                upd["member"]["role"],
                other_role.as_str(),
                "{preset}: promoted before confirmation"
            );
            let link = confirm_by_mail(
                &t,
                owner_me["user"]["email"].as_str().unwrap(),
                second_me["user"]["name"].as_str().unwrap(),
            )
            .await;
            let p = t
                .call(
                    reqwest::Method::POST,
                    "/v1/owner-promotions/confirm",
                    None,
                    Some(&json!({"token": token_of(&link)})),
                )
                .await
                .ok();
            assert_eq!(p["status"], "confirmed", "{preset}");
        } else {
            assert!(upd["promotion"].is_null(), "{preset}");
            assert_eq!(upd["member"]["role"], owner_role.as_str(), "{preset}");
        }
        assert_eq!(me(&t, &second).await["role"], owner_role.as_str(), "{preset}");

        // Now the first owner can leave; their key stops working; the new owner is the last one.
        let left = t.delete("/v1/members/me", &owner).await;
        assert_eq!(left.status.as_u16(), 204, "{preset}: {}", left.text);
        t.get("/v1/me", &owner).await.expect(401, "unauthorized");
        let events = audit(&t, &second).await;
        let ev = events
            .iter()
            .find(|e| e["action"] == "member_left")
            .unwrap_or_else(|| panic!("{preset}: no member_left"));
        assert_eq!(ev["target"]["id"], owner_id.as_str(), "{preset}");
        t.delete("/v1/members/me", &second).await.expect(409, "last_owner");
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_admin_who_is_not_an_owner_when_they_touch_ownership_then_it_is_owner_only_but_ordinary_changes_work()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let admin = t.key(preset, "admin");
    let owner_id = user_id(&t, &t.owner(preset)).await;
    let member_id = user_id(&t, &t.key(preset, "member")).await;

    let r = t
        .patch(&format!("/v1/members/{member_id}"), &admin, json!({"role": "owner"}))
        .await
        .expect(403, "owner_only");
    assert!(r.json["detail"].as_str().unwrap().contains("Owner"), "{}", r.text);
    t.patch(&format!("/v1/members/{owner_id}"), &admin, json!({"role": "member"}))
        .await
        .expect(403, "owner_only");
    t.delete(&format!("/v1/members/{owner_id}"), &admin).await.expect(403, "owner_only");
    t.post("/v1/invites", &admin, json!({"email": "would.be.owner@example.com", "role": "owner"}))
        .await
        .expect(403, "owner_only");
    assert_eq!(t.get(&format!("/v1/members/{owner_id}"), &admin).await.ok()["role"], "owner");
    assert_eq!(t.get(&format!("/v1/members/{member_id}"), &admin).await.ok()["role"], "member");

    let upd = t
        .patch(&format!("/v1/members/{member_id}"), &admin, json!({"role": "admin", "quota": 1000}))
        .await
        .ok();
    assert_eq!(upd["member"]["role"], "admin");
    assert_eq!(upd["member"]["quota"], 1000);
    assert!(upd["promotion"].is_null());
    let upd =
        t.patch(&format!("/v1/members/{member_id}"), &admin, json!({"role": "member"})).await.ok();
    assert_eq!(upd["member"]["role"], "member");
    let events = audit(&t, &admin).await;
    assert!(events.iter().any(|e| e["action"] == "member_role_changed"
        && e["target"]["id"] == member_id.as_str()
        && e["details"]["to"] == "admin"));
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "member_quota_changed"
                && e["target"]["id"] == member_id.as_str())
    );
    let inv = t
        .post("/v1/invites", &admin, json!({"email": "plain.member@example.com", "role": "member"}))
        .await;
    assert_eq!(inv.status.as_u16(), 201, "{}", inv.text);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_each_preset_when_an_owner_invites_someone_as_owner_then_only_a_policy_that_confirms_new_owners_refuses_it()
 {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner = t.owner(preset);
        let policy = me(&t, &owner).await["policy"].clone();
        let owner_role = t.policy_roles(preset).into_iter().find(|r| r.is_owner).unwrap().id;
        let email = format!("new.owner@{preset}.example");
        let res = t.post("/v1/invites", &owner, json!({"email": email, "role": owner_role})).await;
        if policy["owner_promotion_confirmation"] == true {
            // Joining would make an owner nobody confirmed: the invite is refused, and the
            // answer names the way that is left.
            let res = res.expect(422, "not_allowed_by_policy");
            let detail = res.json["detail"].as_str().unwrap();
            assert!(
                detail.contains("another role") && detail.contains("confirm"),
                "{preset}: {detail}"
            );
            assert!(
                t.all(&format!("/v1/invites?q={email}"), &owner).await.is_empty(),
                "{preset}: a refused invite must not exist"
            );
            assert!(t.outbox(&email).is_empty(), "{preset}: a refused invite sends no mail");
            // That way works: a plain invite, then a promotion the owner confirms by mail.
            let inv = t.invite(&owner, &email, policy["default_role"].as_str().unwrap()).await;
            let joined =
                t.join_sign_up(inv["link"].as_str().unwrap(), &email, "New Owner").await.ok();
            let uid = joined["user"]["id"].as_str().unwrap();
            t.make_owner(&owner, uid, &owner_role).await;
            assert_eq!(
                t.get(&format!("/v1/members/{uid}"), &owner).await.ok()["role"],
                owner_role.as_str(),
                "{preset}"
            );
        } else {
            assert_eq!(res.status.as_u16(), 201, "{preset}: {}", res.text);
            let id = res.json["id"].as_str().unwrap();
            t.post(&format!("/v1/invites/{id}/revoke"), &owner, json!({})).await.ok();
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_confirmation_is_required_when_an_owner_promotes_a_member_then_the_role_changes_only_after_the_mailed_link_is_confirmed_once()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_email = t.role_key(preset, "owner").email.clone();
    let target = me(&t, &t.key(preset, "member")).await["user"].clone();
    let target_id = target["id"].as_str().unwrap();

    let upd =
        t.patch(&format!("/v1/members/{target_id}"), &owner, json!({"role": "owner"})).await.ok();
    let p = &upd["promotion"];
    assert_eq!(p["status"], "pending");
    assert_eq!(p["user"]["id"], target_id);
    assert_eq!(p["role"], "owner");
    assert_eq!(p["requested_by"]["email"], owner_email.as_str());
    assert!(p["decided_at"].is_null());
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!(upd["member"]["role"], "member", "role changed before confirmation");
    assert_eq!(t.get(&format!("/v1/members/{target_id}"), &owner).await.ok()["role"], "member");
    // Asking again does not start a second promotion.
    let again =
        t.patch(&format!("/v1/members/{target_id}"), &owner, json!({"role": "owner"})).await.ok();
    assert_eq!(again["promotion"]["id"], pid.as_str());

    let listed = t.get("/v1/owner-promotions?status=pending", &owner).await.ok();
    assert!(listed["data"].as_array().unwrap().iter().any(|x| x["id"] == pid.as_str()), "{listed}");
    // The member can't see or act on promotions.
    t.get("/v1/owner-promotions", &t.key(preset, "member")).await.expect(403, "forbidden");

    let mails: Vec<_> = t
        .outbox(&owner_email)
        .into_iter()
        .filter(|m| m.kind == "owner_promotion_confirm")
        .collect();
    assert_eq!(mails.len(), 1, "one confirmation mail to the requesting owner: {mails:?}");
    let link = link_in(&mails[0].body, "/confirm-owner/").expect("no /confirm-owner/ link");
    assert!(
        t.outbox(target["email"].as_str().unwrap())
            .iter()
            .all(|m| !m.body.contains("/confirm-owner/")),
        "the confirmation link went to the member"
    );
    let path = path_of(&t, &link);

    let page = open(&t, &path).await;
    assert_page(&page, 200);
    assert!(
        page.text.contains(target["name"].as_str().unwrap()) && page.text.contains("Confirm"),
        "{}",
        page.text
    );
    assert_eq!(
        t.get(&format!("/v1/members/{target_id}"), &owner).await.ok()["role"],
        "member",
        "opening the page must not confirm"
    );

    let done = press(&t, &path).await;
    assert_page(&done, 200);
    assert_eq!(t.get(&format!("/v1/members/{target_id}"), &owner).await.ok()["role"], "owner");
    let events = audit(&t, &owner).await;
    let requested = events
        .iter()
        .position(|e| e["action"] == "owner_promotion_requested" && e["target"]["id"] == target_id)
        .expect("no owner_promotion_requested");
    let confirmed = events
        .iter()
        .position(|e| e["action"] == "owner_promotion_confirmed" && e["target"]["id"] == target_id)
        .expect("no owner_promotion_confirmed");
    assert!(confirmed < requested);
    assert_eq!(events[confirmed]["details"]["to"], "owner");
    assert!(
        t.outbox(target["email"].as_str().unwrap())
            .iter()
            .any(|m| m.kind == "owner_promotion_done"),
        "the new owner is not told"
    );
    let listed = t.get("/v1/owner-promotions?status=confirmed", &owner).await.ok();
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == pid.as_str() && x["decided_at"].is_string())
    );

    // The link is single use.
    assert_page(&press(&t, &path).await, 409);
    assert_page(&open(&t, &path).await, 409);
    let token = token_of(&link);
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": token})),
    )
    .await
    .expect(409, "promotion_not_pending");
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": "no-such-token"})),
    )
    .await
    .expect(404, "not_found");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_owner_promotion_when_it_is_cancelled_then_its_link_is_refused_and_the_role_stays()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_email = t.role_key(preset, "owner").email.clone();
    let target = me(&t, &t.key(preset, "modifier")).await["user"].clone();
    let target_id = target["id"].as_str().unwrap();

    let upd =
        t.patch(&format!("/v1/members/{target_id}"), &owner, json!({"role": "owner"})).await.ok();
    let pid = upd["promotion"]["id"].as_str().unwrap().to_string();
    let link = confirm_by_mail(&t, &owner_email, target["name"].as_str().unwrap()).await;

    let cancelled =
        t.post(&format!("/v1/owner-promotions/{pid}/cancel"), &owner, json!({})).await.ok();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["decided_at"].is_string());
    t.post(&format!("/v1/owner-promotions/{pid}/cancel"), &owner, json!({}))
        .await
        .expect(409, "promotion_not_pending");
    t.post("/v1/owner-promotions/opr_doesnotexist00000000/cancel", &owner, json!({}))
        .await
        .expect(404, "not_found");

    let path = path_of(&t, &link);
    let page = open(&t, &path).await;
    assert_page(&page, 409);
    assert!(page.text.contains("cancelled"), "{}", page.text);
    assert_page(&press(&t, &path).await, 409);
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": token_of(&link)})),
    )
    .await
    .expect(409, "promotion_not_pending");
    assert_eq!(t.get(&format!("/v1/members/{target_id}"), &owner).await.ok()["role"], "modifier");
    assert!(
        audit(&t, &owner)
            .await
            .iter()
            .any(|e| e["action"] == "owner_promotion_cancelled" && e["target"]["id"] == target_id)
    );
    let listed = t.get("/v1/owner-promotions?status=cancelled", &owner).await.ok();
    assert!(listed["data"].as_array().unwrap().iter().any(|x| x["id"] == pid.as_str()));
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_owner_promotion_when_confirmed_by_json_then_it_applies_unless_the_requester_is_no_longer_an_owner()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_email = t.role_key(preset, "owner").email.clone();
    let biller = me(&t, &t.key(preset, "biller")).await["user"].clone();
    let viewer = me(&t, &t.key(preset, "resource_viewer")).await["user"].clone();

    // JSON confirmation makes the biller an owner.
    t.patch(
        &format!("/v1/members/{}", biller["id"].as_str().unwrap()),
        &owner,
        json!({"role": "owner"}),
    )
    .await
    .ok();
    let link = confirm_by_mail(&t, &owner_email, biller["name"].as_str().unwrap()).await;
    let p = t
        .call(
            reqwest::Method::POST,
            "/v1/owner-promotions/confirm",
            None,
            Some(&json!({"token": token_of(&link)})),
        )
        .await
        .ok();
    assert_eq!(p["status"], "confirmed");
    assert_eq!(p["user"]["id"], biller["id"]);
    assert_eq!(me(&t, &t.key(preset, "biller")).await["role"], "owner");

    // The first owner asks to promote the viewer, then is demoted by the new owner: the
    // request no longer carries an owner's authority.
    t.patch(
        &format!("/v1/members/{}", viewer["id"].as_str().unwrap()),
        &owner,
        json!({"role": "owner"}),
    )
    .await
    .ok();
    let link = confirm_by_mail(&t, &owner_email, viewer["name"].as_str().unwrap()).await;
    let owner_id = user_id(&t, &owner).await;
    let demoted = t
        .patch(
            &format!("/v1/members/{owner_id}"),
            &t.key(preset, "biller"),
            json!({"role": "member"}),
        )
        .await
        .ok();
    assert_eq!(demoted["member"]["role"], "member");
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": token_of(&link)})),
    )
    .await
    .expect(403, "owner_only");
    assert_page(&press(&t, &path_of(&t, &link)).await, 403);
    assert_eq!(me(&t, &t.key(preset, "resource_viewer")).await["role"], "resource_viewer");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_members_key_when_the_member_is_removed_then_the_same_key_is_refused_at_once() {
    let t = TestServer::start().await;
    let preset = "owner-member-link";
    let owner = t.owner(preset);
    let member = t.key(preset, "member");
    let list = t.get("/v1/members", &member).await.ok();
    assert!(list["data"].as_array().unwrap().len() >= 2);
    let member_id = user_id(&t, &member).await;

    let gone = t.delete(&format!("/v1/members/{member_id}"), &owner).await;
    assert_eq!(gone.status.as_u16(), 204, "{}", gone.text);
    let r = t.get("/v1/members", &member).await.expect(401, "unauthorized");
    assert!(
        r.headers
            .get("www-authenticate")
            .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer"))
    );
    t.get("/v1/me", &member).await.expect(401, "unauthorized");
    t.get(&format!("/v1/members/{member_id}"), &owner).await.expect(404, "not_found");
    t.delete(&format!("/v1/members/{member_id}"), &owner).await.expect(404, "not_found");
    let events = audit(&t, &owner).await;
    assert_eq!(events[0]["action"], "member_removed");
    assert_eq!(events[0]["target"]["id"], member_id.as_str());
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_manager_when_demoted_then_their_key_loses_manager_rights_immediately_and_regains_them_on_promotion()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let admin = t.key(preset, "admin");
    let admin_id = user_id(&t, &admin).await;
    let r = t
        .post(
            "/v1/invites",
            &admin,
            json!({"email": "before.demotion@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    assert!(t.get("/v1/invites", &admin).await.ok()["data"][0]["link"].is_string());

    t.patch(&format!("/v1/members/{admin_id}"), &owner, json!({"role": "member"})).await.ok();
    t.post("/v1/invites", &admin, json!({"email": "after.demotion@example.com", "role": "member"}))
        .await
        .expect(403, "forbidden");
    t.get("/v1/audit", &admin).await.expect(403, "forbidden");
    t.post(&format!("/v1/invites/{}/revoke", r.json["id"].as_str().unwrap()), &admin, json!({}))
        .await
        .expect(403, "forbidden");
    let invites = t.get("/v1/invites", &admin).await.ok();
    assert!(
        invites["data"].as_array().unwrap().iter().all(|i| i["link"].is_null()),
        "a non-manager sees invite links"
    );
    let members = t.get("/v1/members", &admin).await.ok();
    assert!(members["data"].as_array().unwrap().iter().all(|m| m.get("sign_in_method").is_none()));
    assert_eq!(me(&t, &admin).await["role"], "member");

    t.patch(&format!("/v1/members/{admin_id}"), &owner, json!({"role": "admin"})).await.ok();
    let r = t
        .post(
            "/v1/invites",
            &admin,
            json!({"email": "after.demotion@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn given_three_free_seats_when_twenty_invites_are_created_at_once_then_exactly_three_are_made()
 {
    let t = TestServer::start().await;
    let owner = t.owner(IDP);
    let used = me(&t, &owner).await["seats"]["used"].as_u64().unwrap() as usize;
    let free = 10 - used;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let http = t.http.clone();
            let url = t.url("/v1/invites");
            let key = owner.clone();
            tokio::spawn(async move {
                let resp = http
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"email": format!("rush{i}@newhire.example"), "role": "member", "delivery": "link"}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                (status, body["code"].as_str().unwrap_or("").to_string())
            })
        })
        .collect();
    let outcomes: Vec<(u16, String)> =
        futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| o.0 == 201).count(), free, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o.0 == 201 || (o.0 == 409 && o.1 == "seat_limit_reached")),
        "{outcomes:?}"
    );
    let seats = me(&t, &owner).await["seats"].clone();
    assert_eq!(seats["used"], 10);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_pending_owner_promotion_when_it_outlives_its_link_or_the_member_leaves_then_it_can_no_longer_be_confirmed()
 {
    let t = TestServer::start().await;
    let preset = "six-roles-2fa";
    let owner = t.owner(preset);
    let owner_email = t.role_key(preset, "owner").email.clone();
    let member = me(&t, &t.key(preset, "member")).await["user"].clone();
    let member_id = member["id"].as_str().unwrap();

    // Unconfirmed for longer than the link lives (72 h): expired, and a new request starts afresh.
    let first = t
        .patch(&format!("/v1/members/{member_id}"), &owner, json!({"role": "owner"}))
        .await
        .ok()["promotion"]
        .clone();
    let link = confirm_by_mail(&t, &owner_email, member["name"].as_str().unwrap()).await;
    t.server.clock.advance(chrono::Duration::hours(73));
    let expired = t.get("/v1/owner-promotions?status=expired", &owner).await.ok();
    assert!(
        expired["data"].as_array().unwrap().iter().any(|p| p["id"] == first["id"]),
        "{expired}"
    );
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": token_of(&link)})),
    )
    .await
    .expect(409, "promotion_not_pending");
    assert_page(&open(&t, &path_of(&t, &link)).await, 409);
    t.post(
        &format!("/v1/owner-promotions/{}/cancel", first["id"].as_str().unwrap()),
        &owner,
        json!({}),
    )
    .await
    .expect(409, "promotion_not_pending");
    assert_eq!(me(&t, &t.key(preset, "member")).await["role"], "member");
    let second = t
        .patch(&format!("/v1/members/{member_id}"), &owner, json!({"role": "owner"}))
        .await
        .ok()["promotion"]
        .clone();
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["status"], "pending");

    // The member leaves before it is confirmed: the promotion is cancelled with them.
    let link = t
        .outbox(&owner_email)
        .into_iter()
        .find(|m| m.kind == "owner_promotion_confirm")
        .and_then(|m| link_in(&m.body, "/confirm-owner/"))
        .unwrap();
    assert_eq!(t.delete("/v1/members/me", &t.key(preset, "member")).await.status.as_u16(), 204);
    let listed = t.get("/v1/owner-promotions?status=cancelled", &owner).await.ok();
    assert!(listed["data"].as_array().unwrap().iter().any(|p| p["id"] == second["id"]), "{listed}");
    t.call(
        reqwest::Method::POST,
        "/v1/owner-promotions/confirm",
        None,
        Some(&json!({"token": token_of(&link)})),
    )
    .await
    .expect(409, "promotion_not_pending");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.public_id = ?1",
            member_id
        ),
        0
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_owner_role_invite_when_a_non_owner_manager_resends_or_revokes_it_then_owner_only()
{
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let admin = t.key(preset, "admin");
    let inv = t.invite(&owner, "co-owner@kestrel.example", "owner").await;
    let id = inv["id"].as_str().unwrap();
    t.post(&format!("/v1/invites/{id}/resend"), &admin, serde_json::json!({}))
        .await
        .expect(403, "owner_only");
    t.post(&format!("/v1/invites/{id}/revoke"), &admin, serde_json::json!({}))
        .await
        .expect(403, "owner_only");
    // Nothing changed, and the owner still can.
    let after = t.get(&format!("/v1/invites/{id}"), &owner).await.ok();
    assert_eq!(
        (after["status"].as_str(), after["times_sent"].as_u64()),
        (Some("pending"), Some(1))
    );
    let member_invite = t.invite(&owner, "plain@kestrel.example", "member").await;
    t.post(
        &format!("/v1/invites/{}/revoke", member_invite["id"].as_str().unwrap()),
        &admin,
        serde_json::json!({}),
    )
    .await
    .ok();
    t.post(&format!("/v1/invites/{id}/revoke"), &owner, serde_json::json!({})).await.ok();
}

#[tokio::test]
async fn given_any_case_of_the_bearer_scheme_or_an_overlong_search_then_keys_work_and_search_is_refused()
 {
    let t = TestServer::start().await;
    let key = t.owner("owner-member-link");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let res = t
            .call_with(
                reqwest::Method::GET,
                "/v1/me",
                None,
                None,
                &[("authorization", &format!("{scheme} {key}"))],
            )
            .await;
        assert_eq!(res.status, 200, "{scheme}");
    }
    let long = "a".repeat(201);
    for list in ["/v1/members", "/v1/invites", "/v1/audit"] {
        t.get(&format!("{list}?q={long}"), &key).await.expect(400, "validation_failed");
        t.get(&format!("{list}?q={}", "a".repeat(200)), &key).await.ok();
    }
}
