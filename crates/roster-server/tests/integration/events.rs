//! The live activity stream (`GET /v1/events`): what a manager's open window receives as
//! things happen, what a reconnect replays, and who may listen.

use crate::common;
use crate::flows;

use common::*;
use flows::*;
use serde_json::json;

#[tokio::test]
async fn given_a_manager_listening_when_an_invite_is_redeemed_then_an_audit_event_arrives_within_seconds()
 {
    let t = TestServer::start().await;
    let preset = "owner-member-link";
    let owner = t.owner(preset);
    let mut sse = Sse::connect(&t, &owner, None).await;

    let inv = t.invite(&owner, "live.one@example.com", "member").await;
    let id = inv["id"].as_str().unwrap().to_string();
    let (created, _) = sse
        .until(5, |e| e.data["action"] == "invite_created" && e.data["target"]["id"] == id.as_str())
        .await;
    t.join_sign_up(inv["link"].as_str().unwrap(), "live.one@example.com", "Live One").await.ok();
    let (accepted, between) = sse.until(5, |e| e.data["action"] == "invite_accepted").await;
    assert!(between.is_empty(), "unexpected events in between: {between:?}");

    for e in [&created, &accepted] {
        assert_eq!(e.event.as_deref(), Some("audit"));
        let sse_id = e.id.as_deref().expect("event without id");
        assert!(sse_id.starts_with("evt_"), "{sse_id}");
        assert_eq!(e.data["id"], sse_id, "the SSE id is the audit event id");
    }
    assert_eq!(accepted.data["target"]["id"], id.as_str());
    assert_eq!(accepted.data["target"]["email"], "live.one@example.com");
    assert_eq!(accepted.data["actor"]["name"], "Live One");
    // The same event is in the log, under the same id.
    let logged = audit(&t, &owner).await;
    assert_eq!(logged[0]["id"], accepted.data["id"]);
    assert_eq!(logged[0]["action"], "invite_accepted");
    stop(t.server).await;
}

#[tokio::test]
async fn given_a_dropped_stream_when_it_reconnects_with_last_event_id_then_it_gets_what_it_missed_once_and_then_live_events()
 {
    let t = TestServer::start().await;
    let preset = "link-email-quotas";
    let owner = t.owner(preset);
    let mut sse = Sse::connect(&t, &owner, None).await;
    let first = t.invite(&owner, "first@example.com", "member").await;
    let (seen, _) = sse.until(5, |e| e.data["target"]["id"] == first["id"]).await;
    let last_id = seen.id.clone().unwrap();
    drop(sse);

    // While nobody listens: an invite, its revocation, a role change.
    let second = t.invite(&owner, "second@example.com", "member").await;
    t.post(&format!("/v1/invites/{}/revoke", second["id"].as_str().unwrap()), &owner, json!({}))
        .await
        .ok();
    let member_id = user_id(&t, &t.key(preset, "member")).await;
    t.patch(&format!("/v1/members/{member_id}"), &owner, json!({"role": "admin"})).await.ok();

    let mut sse = Sse::connect(&t, &owner, Some(&last_id)).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        replayed.push(sse.next(5).await.expect("missed event not replayed"));
    }
    let actions: Vec<_> =
        replayed.iter().map(|e| e.data["action"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        actions,
        ["invite_created", "invite_revoked", "member_role_changed"],
        "replay in order"
    );
    assert_eq!(replayed[0].data["target"]["id"], second["id"]);
    assert!(
        replayed.iter().all(|e| e.id.as_deref() != Some(last_id.as_str())),
        "the last seen event was replayed"
    );

    // Then live events, each once.
    let third = t.invite(&owner, "third@example.com", "member").await;
    let next = sse.next(5).await.expect("no live event after the replay");
    assert_eq!(next.data["target"]["id"], third["id"]);
    assert!(sse.next(1).await.is_none(), "an event was delivered twice");
    stop(t.server).await;
}

#[tokio::test]
async fn given_two_accounts_when_one_acts_then_only_its_own_managers_hear_about_it() {
    let t = TestServer::start().await;
    let mine = t.owner("owner-member-link");
    let theirs = t.owner("four-roles-7day");
    let mut sse = Sse::connect(&t, &mine, None).await;
    t.invite(&theirs, "elsewhere@example.com", "viewer").await;
    let own = t.invite(&mine, "here@example.com", "member").await;
    let e = sse.next(5).await.expect("no event");
    assert_eq!(
        e.data["target"]["id"], own["id"],
        "another account's event leaked into this stream"
    );
    stop(t.server).await;
}

#[tokio::test]
async fn given_a_non_manager_or_no_key_when_they_open_the_stream_then_they_are_refused() {
    let t = TestServer::start().await;
    for preset in presets() {
        for role in t.policy_roles(preset).iter().filter(|r| !r.manages_team) {
            t.get("/v1/events", &t.key(preset, &role.id)).await.expect(403, "forbidden");
        }
    }
    t.call(reqwest::Method::GET, "/v1/events", None, None).await.expect(401, "unauthorized");
    // A manager who is not an owner (link-email-quotas admin) may listen.
    let mut sse = Sse::connect(&t, &t.key("link-email-quotas", "admin"), None).await;
    t.invite(&t.owner("link-email-quotas"), "seen.by.admin@example.com", "member").await;
    assert_eq!(sse.next(5).await.expect("admin got nothing").data["action"], "invite_created");
    stop(t.server).await;
}

#[tokio::test]
async fn given_an_open_stream_when_the_server_shuts_down_then_shutdown_completes_and_the_stream_ends()
 {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    let mut sse = Sse::connect(&t, &owner, None).await;
    t.invite(&owner, "just.before.shutdown@example.com", "member").await;
    assert!(sse.next(5).await.is_some());
    // The desktop app keeps a stream open all day; Ctrl-C on the server must not wait for it.
    stop(t.server).await;
    assert!(sse.next(5).await.is_none(), "the stream kept going after shutdown");
}
