//! The members list as people use it: leaving, what managers see that others don't, quotas,
//! search and role filters, and paging through a big team and its invites.

use crate::common;
use crate::flows;

use std::collections::HashSet;

use chrono::Duration;
use common::*;
use flows::*;
use serde_json::{Value, json};

#[tokio::test]
async fn given_a_non_owner_when_they_leave_then_they_are_gone_their_key_stops_and_the_log_says_they_left()
 {
    let t = TestServer::start().await;
    let preset = "four-roles-7day";
    let owner = t.owner(preset);
    let viewer = t.role_key(preset, "viewer").clone();
    let viewer_id = user_id(&t, &viewer.key).await;

    let r = t.delete("/v1/members/me", &viewer.key).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    t.get("/v1/me", &viewer.key).await.expect(401, "unauthorized");
    assert!(
        by_email(&t.all("/v1/members", &owner).await, &viewer.email).is_none(),
        "the leaver is still listed"
    );
    let events = audit(&t, &owner).await;
    assert_eq!(events[0]["action"], "member_left");
    assert_eq!(events[0]["target"]["id"], viewer_id.as_str());
    assert_eq!(events[0]["actor"]["id"], viewer_id.as_str());
    assert_eq!(events[0]["details"]["role"], "viewer");
    let filtered = t.get("/v1/audit?action=member_left", &owner).await.ok();
    assert!(filtered["data"].as_array().unwrap().iter().all(|e| e["action"] == "member_left"));
    assert!(!filtered["data"].as_array().unwrap().is_empty());

    // They can be invited back like anyone else.
    let inv = t.invite(&owner, &viewer.email, "viewer").await;
    join_json(
        &t,
        &link_token(&inv),
        "sign_in",
        &viewer.email,
        roster_server::seed::DEMO_PASSWORD,
        None,
    )
    .await
    .ok();
    assert!(by_email(&t.all("/v1/members", &owner).await, &viewer.email).is_some());
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_managers_and_non_managers_when_they_list_members_then_only_managers_see_sign_in_methods()
 {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner_view = t.all("/v1/members", &t.owner(preset)).await;
        assert!(
            owner_view.iter().all(|m| m["sign_in_method"].is_string()),
            "{preset}: an owner misses a sign-in method"
        );
        let methods: HashSet<&str> =
            owner_view.iter().map(|m| m["sign_in_method"].as_str().unwrap()).collect();
        assert!(
            methods
                .iter()
                .all(|m| ["email", "email_2fa", "google", "github", "microsoft"].contains(m)),
            "{preset}: {methods:?}"
        );
        for role in t.policy_roles(preset).iter().filter(|r| !r.manages_team) {
            let key = t.key(preset, &role.id);
            let view = t.all("/v1/members", &key).await;
            assert_eq!(
                view.len(),
                owner_view.len(),
                "{preset}/{}: everyone sees the whole team",
                role.id
            );
            assert!(
                view.iter().all(|m| m.get("sign_in_method").is_none()),
                "{preset}/{}: a non-manager sees sign-in methods",
                role.id
            );
            let one = t
                .get(&format!("/v1/members/{}", owner_view[0]["user_id"].as_str().unwrap()), &key)
                .await
                .ok();
            assert!(one.get("sign_in_method").is_none());
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_team_with_quotas_when_an_owner_sets_and_lifts_a_quota_then_it_shows_and_elsewhere_quotas_are_refused()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let members = t.all("/v1/members", &owner).await;
    assert!(
        members.iter().all(|m| m.get("quota").is_some()),
        "quota must be present (null = unlimited) where the policy has quotas"
    );
    let member_id = user_id(&t, &t.key(preset, "member")).await;

    let upd =
        t.patch(&format!("/v1/members/{member_id}"), &owner, json!({"quota": 1000})).await.ok();
    assert_eq!(upd["member"]["quota"], 1000);
    assert_eq!(
        t.get(&format!("/v1/members/{member_id}"), &t.key(preset, "member")).await.ok()["quota"],
        1000,
        "members see their quota"
    );
    let upd =
        t.patch(&format!("/v1/members/{member_id}"), &owner, json!({"quota": null})).await.ok();
    assert!(
        upd["member"].get("quota").is_some_and(Value::is_null),
        "lifted quota must read null: {upd}"
    );
    let events = audit(&t, &owner).await;
    let changes: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["action"] == "member_quota_changed" && e["target"]["id"] == member_id.as_str()
        })
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["details"]["to"], Value::Null);
    assert_eq!(changes[1]["details"]["to"], 1000);
    t.patch(&format!("/v1/members/{member_id}"), &owner, json!({"quota": -5}))
        .await
        .expect(422, "validation_failed");
    t.patch(&format!("/v1/members/{member_id}"), &t.key(preset, "member"), json!({"quota": 5}))
        .await
        .expect(403, "forbidden");

    for other in presets().into_iter().filter(|p| *p != preset) {
        let owner = t.owner(other);
        let list = t.all("/v1/members", &owner).await;
        assert!(
            list.iter().all(|m| m.get("quota").is_none()),
            "{other}: quota shown without quotas"
        );
        let id = list.last().unwrap()["user_id"].as_str().unwrap();
        t.patch(&format!("/v1/members/{id}"), &owner, json!({"quota": 1000}))
            .await
            .expect(422, "not_allowed_by_policy");
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_team_when_members_are_searched_or_filtered_by_role_then_only_matches_come_back() {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let all = t.all("/v1/members", &owner).await;

    let found = t.all("/v1/members?q=ANA", &owner).await;
    assert!(
        by_email(&found, "ana@northwind.example").is_some(),
        "case-insensitive search misses Ana: {found:?}"
    );
    for m in &found {
        let hay = format!("{} {}", m["name"], m["email"]).to_lowercase();
        assert!(hay.contains("ana"), "{m} does not match");
    }
    let by_domain = t.all("/v1/members?q=northwind.example", &owner).await;
    assert_eq!(by_domain.len(), all.len());
    assert!(t.all("/v1/members?q=%25", &owner).await.is_empty(), "% must match literally");
    assert!(t.all("/v1/members?q=nobody-by-this-name", &owner).await.is_empty());

    let owners = t.all("/v1/members?role=owner", &owner).await;
    assert_eq!(owners.len(), 1);
    let members = t.all("/v1/members?role=member", &owner).await;
    assert!(members.iter().all(|m| m["role"] == "member"));
    assert_eq!(owners.len() + members.len(), all.len());
    let both = t.all("/v1/members?role=member&q=ana", &owner).await;
    assert!(both.iter().all(|m| m["role"] == "member"));
    t.get("/v1/members?role=administrator", &owner).await.expect(400, "unknown_role");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_thousand_member_team_when_every_page_is_walked_then_each_member_appears_exactly_once_in_join_order()
 {
    let t = TestServer::start().await;
    let big = roster_server::seed::scale(
        &t.server.db,
        "Big",
        "owner-member-link",
        1000,
        300,
        chrono::Utc::now(),
    )
    .unwrap();
    let owner = &big.keys[0].key;
    assert_eq!(me(&t, owner).await["seats"]["members"], 1000);

    let all = t.all("/v1/members", owner).await;
    assert_eq!(all.len(), 1000);
    let ids: HashSet<&str> = all.iter().map(|m| m["user_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1000, "duplicates across pages");
    let joined: Vec<_> = all.iter().map(|m| parse_ts(&m["joined_at"])).collect();
    assert!(joined.windows(2).all(|w| w[0] <= w[1]), "members are not in join order");

    // Odd page sizes cross page boundaries everywhere; the walk must give the same list.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/members?limit=37&cursor={c}"),
            None => "/v1/members?limit=37".to_string(),
        };
        let page = t.get(&path, owner).await.ok();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 37);
        walked.extend(data.iter().map(|m| m["user_id"].as_str().unwrap().to_string()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 1000usize.div_ceil(37));
    let first_walk: Vec<String> =
        all.iter().map(|m| m["user_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(walked, first_walk);
    // Filtered walks page too.
    let owners = t.all("/v1/members?role=owner", owner).await;
    assert_eq!(owners.len(), 1);
    assert_eq!(t.all("/v1/members?role=member", owner).await.len(), 999);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_big_team_when_its_pages_are_walked_by_name_then_each_member_comes_once_in_the_clients_order()
 {
    let t = TestServer::start().await;
    let big = roster_server::seed::scale(
        &t.server.db,
        "Big",
        "owner-member-link",
        1000,
        0,
        chrono::Utc::now(),
    )
    .unwrap();
    let owner = big.keys[0].key.clone();
    // One who joins after seeding, named to sort first: the order holds for every membership.
    let inv = t.invite(&owner, "late@example.com", "member").await;
    join_json(
        &t,
        &link_token(&inv),
        "sign_up",
        "late@example.com",
        "a long enough password",
        Some("Aaron 2"),
    )
    .await
    .ok();

    let by_join = t.all("/v1/members", &owner).await;
    let key = |m: &Value| {
        roster_api::name_order(roster_api::listed_name(
            m["name"].as_str().unwrap(),
            m["email"].as_str().unwrap(),
        ))
    };
    let mut expected: Vec<(String, String)> =
        by_join.iter().map(|m| (key(m), m["user_id"].as_str().unwrap().to_string())).collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0)); // stable: ties keep join order
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/members?sort=name&limit=37&cursor={c}"),
            None => "/v1/members?sort=name&limit=37".to_string(),
        };
        let page = t.get(&path, &owner).await.ok();
        walked.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["user_id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked.len(), 1001);
    assert_eq!(walked, expected, "sort=name pages are not the client's order");
    let first = t.get("/v1/members?sort=name&limit=1", &owner).await.ok();
    assert_eq!(
        first["data"][0]["name"], "Aaron 2",
        "a member who joined later is not in name order"
    );

    // Filters and search page in name order too.
    let members = t.all("/v1/members?sort=name&role=member", &owner).await;
    assert_eq!(members.len(), 1000);
    assert!(members.windows(2).all(|w| key(&w[0]) <= key(&w[1])));

    // A cursor belongs to the order that issued it.
    let by_name_cursor = t.get("/v1/members?sort=name&limit=5", &owner).await.ok()["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let by_join_cursor = t.get("/v1/members?limit=5", &owner).await.ok()["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    t.get(&format!("/v1/members?cursor={by_name_cursor}"), &owner)
        .await
        .expect(400, "validation_failed");
    t.get(&format!("/v1/members?sort=name&cursor={by_join_cursor}"), &owner)
        .await
        .expect(400, "validation_failed");
    t.get("/v1/members?sort=height", &owner).await.expect(400, "validation_failed");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_many_invites_when_their_pages_are_walked_then_they_come_newest_first_without_gaps_or_repeats()
 {
    let t = TestServer::start().await;
    // API-made invites, one a second apart.
    let owner = t.owner("four-roles-7day");
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            t.invite(&owner, &format!("wave{i}@example.com"), "viewer").await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        t.server.clock.advance(Duration::seconds(1));
    }
    let first = t.get("/v1/invites?limit=2", &owner).await.ok();
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let listed: Vec<String> = t
        .all("/v1/invites", &owner)
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    made.reverse();
    assert_eq!(listed[..5], made[..], "the newest invites must come first");

    // The scale team's 300 invites, walked 50 at a time.
    let big = roster_server::seed::scale(
        &t.server.db,
        "Big",
        "owner-member-link",
        10,
        300,
        chrono::Utc::now(),
    )
    .unwrap();
    let key = &big.keys[0].key;
    let mut walked: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/invites?limit=50&cursor={c}"),
            None => "/v1/invites?limit=50".to_string(),
        };
        let page = t.get(&path, key).await.ok();
        walked.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked.len(), 300);
    let ids: HashSet<&str> = walked.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 300, "repeats across pages");
    let created: Vec<_> = walked.iter().map(|i| parse_ts(&i["created_at"])).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "invites are not newest first");
    for (status, n) in [("pending", 150), ("revoked", 75), ("expired", 75)] {
        let list = t.all(&format!("/v1/invites?status={status}"), key).await;
        assert_eq!(list.len(), n, "{status}");
        assert!(list.iter().all(|i| i["status"] == status));
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_the_demo_teams_when_their_invites_and_activity_are_listed_then_both_read_newest_first_by_date()
 {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner = t.owner(preset);
        for path in ["/v1/invites", "/v1/audit"] {
            let list = t.all(path, &owner).await;
            assert!(list.len() > 5, "{preset}: the demo should have history in {path}");
            let dates: Vec<_> = list.iter().map(|x| parse_ts(&x["created_at"])).collect();
            let bad: Vec<_> = dates.windows(2).filter(|w| w[0] < w[1]).collect();
            assert!(bad.is_empty(), "{preset} {path} is not newest first: {bad:?}");
        }
    }
    t.server.shutdown().await;
}
