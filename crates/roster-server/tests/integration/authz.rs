//! The authorization matrix: every preset × every role key × every authenticated endpoint.
//! The expected outcome is derived from the role catalog (`manages_team`, `is_owner`) and the
//! policy, and the catalog the server publishes is first held against `SEED_ROLES`: who may
//! manage each team, written here from the services' product pages and not from the server's
//! presets, so a wrong flag in a preset fails instead of moving the expectation with it.
//! Destructive calls act on throw-away members and invites, created by the owner-level key
//! and cleaned up afterwards, so the demo fixtures stay intact for the next key.

use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use reqwest::Method;
use roster_api::{Role, TeamPolicy};
use serde_json::{Value, json};

/// (preset, role, manages the team, owner-level), as each service's product page says:
const SEED_ROLES: &[(&str, &str, bool, bool)] = &[
    // Owners invite and remove users and manage keys; members cannot invite.
    ("owner-member-link", "owner", true, true),
    ("owner-member-link", "member", false, false),
    // Six roles over resources, billing and settings: only owners have full access to team
    // settings; members, modifiers and resource viewers read them, billers see none.
    ("six-roles-2fa", "owner", true, true),
    ("six-roles-2fa", "biller", false, false),
    ("six-roles-2fa", "billing_viewer", false, false),
    ("six-roles-2fa", "member", false, false),
    ("six-roles-2fa", "modifier", false, false),
    ("six-roles-2fa", "resource_viewer", false, false),
    // The page names no roles, only that the team's managers invite, adjust roles and
    // quotas, and remove: Roster's model for it is owner, admin (manages, not an owner), member.
    ("link-email-quotas", "owner", true, true),
    ("link-email-quotas", "admin", true, false),
    ("link-email-quotas", "member", false, false),
    // Only administrators invite, change roles and revoke access.
    ("admin-member-idp", "administrator", true, true),
    ("admin-member-idp", "member", false, false),
    // Admins have full control, members included; developers build, billing managers handle
    // finances, viewers read.
    ("four-roles-7day", "admin", true, true),
    ("four-roles-7day", "developer", false, false),
    ("four-roles-7day", "billing_manager", false, false),
    ("four-roles-7day", "viewer", false, false),
];

/// Presets whose page says promoting someone to owner needs the original owner's confirmation.
const SEED_CONFIRMS_NEW_OWNERS: &[&str] = &["six-roles-2fa"];

/// The catalog and policy `preset`'s account publishes, held against the pages' table.
async fn check_against_seeds(t: &TestServer, preset: &str, owner_key: &str) {
    let mut published: Vec<(String, bool, bool)> = t.get("/v1/roles", owner_key).await.ok()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let flag = |k: &str| r[k].as_bool().unwrap();
            (r["id"].as_str().unwrap().to_string(), flag("manages_team"), flag("is_owner"))
        })
        .collect();
    published.sort();
    let mut seeds: Vec<(String, bool, bool)> = SEED_ROLES
        .iter()
        .filter(|(p, ..)| *p == preset)
        .map(|&(_, role, manages, owner)| (role.to_string(), manages, owner))
        .collect();
    seeds.sort();
    assert_eq!(
        published, seeds,
        "{preset}: (role, manages_team, is_owner) as the product page says"
    );
    let me = t.get("/v1/me", owner_key).await.ok();
    assert_eq!(
        me["policy"]["owner_promotion_confirmation"].as_bool(),
        Some(SEED_CONFIRMS_NEW_OWNERS.contains(&preset)),
        "{preset}: whether a new owner needs the original owner's confirmation"
    );
}

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique_email(tag: &str) -> String {
    format!("{tag}.{}@authz-test.example", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// Who an endpoint is for.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// Any member of the account.
    Anyone,
    /// A role with `manages_team`.
    Manager,
    /// A manager whose role `is_owner` (granting/taking an owner role, removing an owner).
    OwnerManager,
    /// An invite with an owner-level role: an owner manager's, and nobody's at all where the
    /// policy confirms new owners (joining would make an owner without that confirmation).
    OwnerInvite(&'static TeamPolicy),
}

/// The outcome the catalog and policy say `role` gets: the success status, or the refusal's
/// status and code.
fn expected(role: &Role, need: Need, success: u16) -> Result<u16, (u16, &'static str)> {
    match need {
        Need::Anyone => Ok(success),
        Need::Manager if role.manages_team => Ok(success),
        Need::Manager => Err((403, "forbidden")),
        Need::OwnerManager | Need::OwnerInvite(_) if !role.manages_team => Err((403, "forbidden")),
        Need::OwnerManager | Need::OwnerInvite(_) if !role.is_owner => Err((403, "owner_only")),
        Need::OwnerInvite(policy) if policy.owner_promotion_confirmation => {
            Err((422, "not_allowed_by_policy"))
        }
        Need::OwnerManager | Need::OwnerInvite(_) => Ok(success),
    }
}

/// Asserts `res` matches the expectation; true when the call was expected to succeed.
#[track_caller]
fn check(res: &Res, exp: Result<u16, (u16, &'static str)>, what: &str) -> bool {
    match exp {
        Ok(status) => {
            assert_eq!(
                res.status.as_u16(),
                status,
                "{what}: expected {status}, got {}: {}",
                res.status,
                res.text
            );
            true
        }
        Err((status, code)) => {
            assert_eq!(
                res.status.as_u16(),
                status,
                "{what}: expected {status} {code}, got {}: {}",
                res.status,
                res.text
            );
            assert_eq!(res.code(), code, "{what}: {}", res.text);
            false
        }
    }
}

/// One preset's account on its own server.
struct Team<'a> {
    t: &'a TestServer,
    preset: &'static str,
    roles: Vec<Role>,
    policy: &'static TeamPolicy,
    owner_key: String,
}

impl<'a> Team<'a> {
    fn new(t: &'a TestServer, preset: &'static str) -> Team<'a> {
        let policy = &roster_server::PRESETS.iter().find(|p| p.id == preset).unwrap().policy;
        let owner_key = t.owner(preset);
        Team { t, preset, roles: t.policy_roles(preset), policy, owner_key }
    }

    fn role(&self, id: &str) -> &Role {
        self.roles
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{}: role {id} not in the catalog", self.preset))
    }

    fn owner_role(&self) -> String {
        self.roles
            .iter()
            .find(|r| r.is_owner)
            .expect("every preset has an owner-level role")
            .id
            .clone()
    }

    /// The non-owner role invites default to.
    fn plain_role(&self) -> String {
        let r = self.role(&self.policy.default_role);
        assert!(!r.is_owner, "{}: default role is owner-level", self.preset);
        r.id.clone()
    }

    /// A non-owner role other than `not`, or `not` itself when the catalog has no other.
    fn other_plain_role(&self, not: &str) -> String {
        self.roles
            .iter()
            .find(|r| !r.is_owner && r.id != not)
            .map_or(not.to_string(), |r| r.id.clone())
    }

    /// A new member with `role`: invited by the owner-level key and joined by sign-up. Where
    /// the policy confirms new owners, an owner joins with the plain role and is promoted.
    async fn fresh_member(&self, role: &str) -> String {
        let promoted = self.role(role).is_owner && self.policy.owner_promotion_confirmation;
        let invited_as = if promoted { self.plain_role() } else { role.to_string() };
        let email = unique_email(self.preset);
        let inv = self.t.invite(&self.owner_key, &email, &invited_as).await;
        let link = inv["link"].as_str().expect("managers get the link").to_string();
        let joined = self.t.join_sign_up(&link, &email, "Throw Away").await.ok();
        assert_eq!(joined["role"], invited_as.as_str());
        let user_id = joined["user"]["id"].as_str().unwrap().to_string();
        if promoted {
            self.t.make_owner(&self.owner_key, &user_id, role).await;
        }
        user_id
    }

    /// A new pending invite with `role`, created by the owner-level key.
    async fn fresh_invite(&self, role: &str) -> String {
        let inv = self.t.invite(&self.owner_key, &unique_email(self.preset), role).await;
        assert_eq!(inv["status"], "pending");
        inv["id"].as_str().unwrap().to_string()
    }

    async fn member(&self, user_id: &str) -> Res {
        self.t.get(&format!("/v1/members/{user_id}"), &self.owner_key).await
    }

    async fn invite_by_id(&self, id: &str) -> Value {
        self.t.get(&format!("/v1/invites/{id}"), &self.owner_key).await.ok()
    }

    /// Removes a throw-away member (gone already is fine).
    async fn drop_member(&self, user_id: &str) {
        let r = self.t.delete(&format!("/v1/members/{user_id}"), &self.owner_key).await;
        assert!(
            matches!(r.status.as_u16(), 204 | 404),
            "cleanup of {user_id}: {} {}",
            r.status,
            r.text
        );
    }

    /// Revokes a throw-away invite so it gives its seat back (not pending any more is fine).
    async fn drop_invite(&self, id: &str) {
        let r = self.t.post(&format!("/v1/invites/{id}/revoke"), &self.owner_key, json!({})).await;
        assert!(matches!(r.status.as_u16(), 200 | 409), "cleanup of {id}: {} {}", r.status, r.text);
    }

    async fn owner_count(&self, key: &str) -> usize {
        let mut n = 0;
        for r in self.roles.iter().filter(|r| r.is_owner) {
            n += self.t.all(&format!("/v1/members?role={}", r.id), key).await.len();
        }
        n
    }
}

/// Every endpoint except `DELETE /v1/members/me` for one key.
async fn matrix_for_key(team: &Team<'_>, key: &str, role: &Role) {
    let t = team.t;
    let p = team.preset;
    let what = |ep: &str| format!("[{p} as {}] {ep}", role.id);
    let manager = role.manages_team;
    let plain = team.plain_role();
    let owner_role = team.owner_role();

    // --- Reads: everyone.
    let me = t.get("/v1/me", key).await;
    check(&me, expected(role, Need::Anyone, 200), &what("GET /v1/me"));
    assert_eq!(me.json["role"], role.id.as_str(), "{}", what("GET /v1/me role"));
    assert_eq!(me.json["account"]["preset"], p);

    let roles = t.get("/v1/roles", key).await;
    check(&roles, expected(role, Need::Anyone, 200), &what("GET /v1/roles"));
    let ids: Vec<&str> =
        roles.json["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let want: Vec<&str> = team.roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, want, "{}", what("GET /v1/roles ids"));
    assert!(roles.json["next_cursor"].is_null());

    let list = t.get("/v1/members?limit=200", key).await;
    check(&list, expected(role, Need::Anyone, 200), &what("GET /v1/members"));
    let members = list.json["data"].as_array().unwrap().clone();
    assert!(!members.is_empty());
    for m in &members {
        assert_eq!(
            m.get("sign_in_method").is_some(),
            manager,
            "{}: sign_in_method shown iff manager: {m}",
            what("GET /v1/members")
        );
        if manager {
            assert!(m["sign_in_method"].is_string(), "{m}");
        }
        assert_eq!(
            m.get("quota").is_some(),
            team.policy.member_quotas,
            "{}: quota iff the policy has quotas: {m}",
            what("GET /v1/members")
        );
    }

    let owner_id =
        t.get("/v1/me", &team.owner_key).await.ok()["user"]["id"].as_str().unwrap().to_string();
    let one = t.get(&format!("/v1/members/{owner_id}"), key).await;
    check(&one, expected(role, Need::Anyone, 200), &what("GET /v1/members/{id}"));
    assert_eq!(one.json["user_id"], owner_id.as_str());
    assert_eq!(
        one.json.get("sign_in_method").is_some(),
        manager,
        "{}: {}",
        what("GET /v1/members/{id} sign_in_method"),
        one.text
    );

    let invites = t.all("/v1/invites", key).await;
    assert!(!invites.is_empty(), "{}", what("GET /v1/invites"));
    for inv in &invites {
        assert!(inv.get("link").is_some(), "link is always present (null or string): {inv}");
        if manager && inv["status"] == "pending" {
            assert!(
                inv["link"].is_string(),
                "{}: managers see the link of pending invites: {inv}",
                what("GET /v1/invites")
            );
        } else {
            assert!(
                inv["link"].is_null(),
                "{}: no link for non-managers or non-pending invites: {inv}",
                what("GET /v1/invites")
            );
        }
    }
    let pending = t.all("/v1/invites?status=pending", &team.owner_key).await;
    let pending_id =
        pending.first().expect("the demo has pending invites")["id"].as_str().unwrap().to_string();
    let one = t.get(&format!("/v1/invites/{pending_id}"), key).await;
    check(&one, expected(role, Need::Anyone, 200), &what("GET /v1/invites/{id}"));
    assert_eq!(
        one.json["link"].is_string(),
        manager,
        "{}: {}",
        what("GET /v1/invites/{id} link"),
        one.text
    );

    // --- PATCH /v1/members/{id}: an ordinary role change (or a no-op where there is only one plain role).
    let target = team.fresh_member(&plain).await;
    let to = team.other_plain_role(&plain);
    let res = t.patch(&format!("/v1/members/{target}"), key, json!({"role": to})).await;
    if check(&res, expected(role, Need::Manager, 200), &what("PATCH /v1/members/{id} plain role")) {
        assert_eq!(res.json["member"]["role"], to.as_str());
        assert!(res.json["promotion"].is_null());
    }
    let after = team.member(&target).await.ok();
    assert_eq!(
        after["role"],
        if manager { to.as_str() } else { plain.as_str() },
        "{}",
        what("PATCH plain role effect")
    );
    team.drop_member(&target).await;

    // --- PATCH: granting an owner-level role.
    let target = team.fresh_member(&plain).await;
    let res = t.patch(&format!("/v1/members/{target}"), key, json!({"role": owner_role})).await;
    let granted = check(
        &res,
        expected(role, Need::OwnerManager, 200),
        &what("PATCH /v1/members/{id} grant owner"),
    );
    let after = team.member(&target).await.ok();
    if granted && team.policy.owner_promotion_confirmation {
        assert_eq!(res.json["promotion"]["status"], "pending", "{}", res.text);
        assert_eq!(res.json["promotion"]["role"], owner_role.as_str());
        assert_eq!(after["role"], plain.as_str(), "promotion waits for confirmation");
    } else if granted {
        assert_eq!(res.json["member"]["role"], owner_role.as_str(), "{}", res.text);
        assert_eq!(after["role"], owner_role.as_str());
    } else {
        assert_eq!(
            after["role"],
            plain.as_str(),
            "{}: a refused grant changes nothing",
            what("PATCH grant owner")
        );
    }
    team.drop_member(&target).await;

    // --- PATCH: taking an owner-level role away (from a second owner, so never the last one).
    let target = team.fresh_member(&owner_role).await;
    let res = t.patch(&format!("/v1/members/{target}"), key, json!({"role": plain})).await;
    let taken = check(
        &res,
        expected(role, Need::OwnerManager, 200),
        &what("PATCH /v1/members/{id} take owner"),
    );
    let after = team.member(&target).await.ok();
    assert_eq!(
        after["role"],
        if taken { plain.as_str() } else { owner_role.as_str() },
        "{}",
        what("PATCH take owner effect")
    );
    team.drop_member(&target).await;

    // --- DELETE /v1/members/{id}: a plain member.
    let target = team.fresh_member(&plain).await;
    let res = t.delete(&format!("/v1/members/{target}"), key).await;
    let removed = check(&res, expected(role, Need::Manager, 204), &what("DELETE /v1/members/{id}"));
    let after = team.member(&target).await;
    assert_eq!(
        after.status.as_u16(),
        if removed { 404 } else { 200 },
        "{}: {}",
        what("DELETE effect"),
        after.text
    );
    team.drop_member(&target).await;

    // --- DELETE: removing an owner (a second one).
    let target = team.fresh_member(&owner_role).await;
    let res = t.delete(&format!("/v1/members/{target}"), key).await;
    let removed = check(
        &res,
        expected(role, Need::OwnerManager, 204),
        &what("DELETE /v1/members/{id} owner"),
    );
    let after = team.member(&target).await;
    assert_eq!(
        after.status.as_u16(),
        if removed { 404 } else { 200 },
        "{}: {}",
        what("DELETE owner effect"),
        after.text
    );
    team.drop_member(&target).await;

    // --- POST /v1/invites: a plain role.
    let email = unique_email(p);
    let res = t.post("/v1/invites", key, json!({"email": email, "role": plain})).await;
    if check(&res, expected(role, Need::Manager, 201), &what("POST /v1/invites")) {
        assert!(res.json["link"].is_string(), "the creator manages the team: {}", res.text);
        team.drop_invite(res.json["id"].as_str().unwrap()).await;
    } else {
        let found = t.all(&format!("/v1/invites?q={email}"), &team.owner_key).await;
        assert!(
            found.is_empty(),
            "{}: a refused invite must not exist: {found:?}",
            what("POST /v1/invites")
        );
    }

    // --- POST /v1/invites: an owner-level role.
    let email = unique_email(p);
    let res = t.post("/v1/invites", key, json!({"email": email, "role": owner_role})).await;
    if check(
        &res,
        expected(role, Need::OwnerInvite(team.policy), 201),
        &what("POST /v1/invites owner role"),
    ) {
        team.drop_invite(res.json["id"].as_str().unwrap()).await;
    } else {
        let found = t.all(&format!("/v1/invites?q={email}"), &team.owner_key).await;
        assert!(
            found.is_empty(),
            "{}: a refused invite must not exist: {found:?}",
            what("POST /v1/invites owner role")
        );
    }

    // --- POST /v1/invites/{id}/resend
    let id = team.fresh_invite(&plain).await;
    let res = t.post(&format!("/v1/invites/{id}/resend"), key, json!({})).await;
    let resent =
        check(&res, expected(role, Need::Manager, 200), &what("POST /v1/invites/{id}/resend"));
    if resent {
        assert_eq!(res.json["times_sent"], 2, "{}", res.text);
        assert!(res.json["link"].is_string());
    }
    assert_eq!(team.invite_by_id(&id).await["times_sent"], if resent { 2 } else { 1 });
    team.drop_invite(&id).await;

    // --- POST /v1/invites/{id}/revoke
    let id = team.fresh_invite(&plain).await;
    let res = t.post(&format!("/v1/invites/{id}/revoke"), key, json!({})).await;
    let revoked =
        check(&res, expected(role, Need::Manager, 200), &what("POST /v1/invites/{id}/revoke"));
    if revoked {
        assert_eq!(res.json["status"], "revoked", "{}", res.text);
        assert!(res.json["link"].is_null(), "a revoked invite has no link");
    }
    assert_eq!(team.invite_by_id(&id).await["status"], if revoked { "revoked" } else { "pending" });
    team.drop_invite(&id).await;

    // --- GET /v1/audit
    let res = t.get("/v1/audit", key).await;
    if check(&res, expected(role, Need::Manager, 200), &what("GET /v1/audit")) {
        assert!(!res.json["data"].as_array().unwrap().is_empty());
    }

    // --- GET /v1/events: status and content type only, then drop the stream.
    let resp = t.http.get(t.url("/v1/events")).bearer_auth(key).send().await.unwrap();
    let status = resp.status().as_u16();
    let ctype =
        resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    match expected(role, Need::Manager, 200) {
        Ok(s) => {
            assert_eq!(status, s, "{}", what("GET /v1/events"));
            assert!(
                ctype.starts_with("text/event-stream"),
                "{}: content-type {ctype}",
                what("GET /v1/events")
            );
            drop(resp);
        }
        Err((s, code)) => {
            assert_eq!(status, s, "{}", what("GET /v1/events"));
            assert!(ctype.starts_with("application/problem+json"), "{ctype}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], code);
        }
    }

    // --- GET /v1/owner-promotions
    let res = t.get("/v1/owner-promotions", key).await;
    if check(&res, expected(role, Need::Manager, 200), &what("GET /v1/owner-promotions")) {
        assert!(res.json["data"].is_array());
    }

    // --- POST /v1/owner-promotions/{id}/cancel: a real pending promotion where the policy has
    // them; elsewhere an unknown id (managers then get past the permission check to 404).
    if team.policy.owner_promotion_confirmation {
        let target = team.fresh_member(&plain).await;
        let up = t
            .patch(&format!("/v1/members/{target}"), &team.owner_key, json!({"role": owner_role}))
            .await
            .ok();
        let pid = up["promotion"]["id"].as_str().expect("a pending promotion").to_string();
        let res = t.post(&format!("/v1/owner-promotions/{pid}/cancel"), key, json!({})).await;
        if check(
            &res,
            expected(role, Need::Manager, 200),
            &what("POST /v1/owner-promotions/{id}/cancel"),
        ) {
            assert_eq!(res.json["status"], "cancelled", "{}", res.text);
        }
        let listed = t.all("/v1/owner-promotions", &team.owner_key).await;
        let mine =
            listed.iter().find(|x| x["id"] == pid.as_str()).expect("the promotion is listed");
        assert_eq!(mine["status"], if manager { "cancelled" } else { "pending" });
        team.drop_member(&target).await;
    } else {
        let res =
            t.post("/v1/owner-promotions/opr_00000000000000000000/cancel", key, json!({})).await;
        match expected(role, Need::Manager, 404) {
            Ok(_) => {
                res.expect(404, "not_found");
            }
            Err((status, code)) => {
                res.expect(status, code);
            }
        }
    }
}

async fn matrix_for_preset(preset: &'static str) {
    let t = TestServer::start().await;
    let team = Team::new(&t, preset);
    check_against_seeds(&t, preset, &team.owner_key).await;
    let keys = t.account(preset).keys.clone();
    assert!(team.role(&keys[0].role).is_owner, "{preset}: the first key is owner-level");
    // Every role of the catalog has a key, so the matrix covers every role.
    for r in &team.roles {
        assert!(keys.iter().any(|k| k.role == r.id), "{preset}: no demo key for role {}", r.id);
    }
    let seats_before = t.get("/v1/me", &team.owner_key).await.ok()["seats"].clone();
    for k in &keys {
        matrix_for_key(&team, &k.key, team.role(&k.role)).await;
    }
    // Throw-aways were cleaned up: the fixture's seat usage is unchanged.
    let seats_after = t.get("/v1/me", &team.owner_key).await.ok()["seats"].clone();
    assert_eq!(seats_before, seats_after, "{preset}: the matrix leaked members or invites");

    // --- DELETE /v1/members/me, last: leaving ends the key. Non-owners first; an owner-level
    // key may leave only while another owner remains.
    let mut order: Vec<_> = keys.iter().collect();
    order.sort_by_key(|k| team.role(&k.role).is_owner);
    for k in order {
        let role = team.role(&k.role);
        let owners = team.owner_count(&k.key).await;
        let res = t.delete("/v1/members/me", &k.key).await;
        assert!(
            team.policy.members_can_leave,
            "{preset}: every preset lets members leave; extend this test otherwise"
        );
        if role.is_owner && owners <= 1 {
            res.expect(409, "last_owner");
            t.get("/v1/me", &k.key).await.ok();
        } else {
            assert_eq!(
                res.status.as_u16(),
                204,
                "[{preset} as {}] DELETE /v1/members/me: {}",
                role.id,
                res.text
            );
            // The key of someone no longer on the team stops working at once.
            let gone = t.get("/v1/me", &k.key).await.expect(401, "unauthorized");
            assert!(gone.headers.get("www-authenticate").is_some());
        }
    }
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn given_every_preset_and_role_key_when_calling_every_endpoint_then_outcome_follows_the_role_catalog()
 {
    let tasks: Vec<_> = presets().into_iter().map(|p| tokio::spawn(matrix_for_preset(p))).collect();
    for (p, task) in presets().into_iter().zip(tasks) {
        if let Err(e) = task.await {
            panic!("preset {p}: {e}");
        }
    }
}

#[tokio::test]
async fn given_an_owner_key_when_another_owner_exists_then_the_owner_may_leave() {
    let t = TestServer::start().await;
    for preset in presets() {
        let team = Team::new(&t, preset);
        // A second owner with a key of its own: the seeded owner-level key leaves.
        let second = team.fresh_member(&team.owner_role()).await;
        assert_eq!(team.owner_count(&team.owner_key).await, 2);
        let owner_key = team.owner_key.clone();
        t.delete("/v1/members/me", &owner_key).await.expect_status(204);
        t.get("/v1/me", &owner_key).await.expect(401, "unauthorized");
        // The other owner is now the last one; nobody can take the account from it.
        let other_key = t
            .account(preset)
            .keys
            .iter()
            .find(|k| !team.role(&k.role).is_owner && team.role(&k.role).manages_team)
            .map(|k| k.key.clone());
        if let Some(k) = other_key {
            t.delete(&format!("/v1/members/{second}"), &k).await.expect(403, "owner_only");
        }
    }
    t.server.shutdown().await;
}

/// Every authenticated endpoint, with a body where it takes one.
fn authenticated_endpoints() -> Vec<(Method, &'static str, Option<Value>)> {
    let invite = json!({"email": "nobody@authz-test.example", "role": "member"});
    vec![
        (Method::GET, "/v1/me", None),
        (Method::GET, "/v1/roles", None),
        (Method::GET, "/v1/members", None),
        (Method::GET, "/v1/members/usr_00000000000000000000", None),
        (Method::PATCH, "/v1/members/usr_00000000000000000000", Some(json!({"role": "member"}))),
        (Method::DELETE, "/v1/members/usr_00000000000000000000", None),
        (Method::DELETE, "/v1/members/me", None),
        (Method::GET, "/v1/invites", None),
        (Method::POST, "/v1/invites", Some(invite)),
        (Method::GET, "/v1/invites/inv_00000000000000000000", None),
        (Method::POST, "/v1/invites/inv_00000000000000000000/resend", None),
        (Method::POST, "/v1/invites/inv_00000000000000000000/revoke", None),
        (Method::GET, "/v1/audit", None),
        (Method::GET, "/v1/events", None),
        (Method::GET, "/v1/owner-promotions", None),
        (Method::POST, "/v1/owner-promotions/opr_00000000000000000000/cancel", None),
    ]
}

#[tokio::test]
async fn given_no_key_or_a_bad_key_when_calling_any_authenticated_endpoint_then_401_with_www_authenticate()
 {
    let t = TestServer::start().await;
    let long = "k".repeat(300);
    let member_key = t.key("owner-member-link", "member");
    let bad_headers: Vec<(&str, Option<String>)> = vec![
        ("no Authorization header", None),
        ("a garbage key", Some("Bearer rst_thisisnotakeythisisnotakeythisisnotakey".into())),
        ("an empty bearer", Some("Bearer ".into())),
        ("a 300-character key", Some(format!("Bearer {long}"))),
        ("Basic auth", Some("Basic dXNlcjpwYXNz".into())),
        ("a key without the Bearer scheme", Some(member_key.clone())),
        (
            "a real key with one character changed",
            Some(format!("Bearer {}x", &member_key[..member_key.len() - 1])),
        ),
    ];
    for (method, path, body) in authenticated_endpoints() {
        for (label, auth) in &bad_headers {
            let mut req = t.http.request(method.clone(), t.url(path));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let text = resp.text().await.unwrap();
            assert_eq!(status, 401, "{method} {path} with {label}: {text}");
            let ctype = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
            assert!(
                ctype.starts_with("application/problem+json"),
                "{method} {path} with {label}: content-type {ctype}"
            );
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["code"], "unauthorized", "{method} {path} with {label}");
            assert_eq!(body["status"], 401);
            assert_eq!(body["type"], "urn:roster:problem:unauthorized");
            let www = headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("");
            assert!(
                www.starts_with("Bearer"),
                "{method} {path} with {label}: WWW-Authenticate {www:?}"
            );
            assert!(!text.contains(&member_key), "a key is never echoed back");
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_two_accounts_when_a_key_of_one_uses_ids_of_the_other_then_404_and_nothing_changes() {
    let t = TestServer::start().await;
    let all = presets();
    for (i, a) in all.iter().enumerate() {
        let b = all[(i + 1) % all.len()];
        let a_team = Team::new(&t, a);
        let b_team = Team::new(&t, b);
        let b_members = t.all("/v1/members", &b_team.owner_key).await;
        let b_invites = t.all("/v1/invites", &b_team.owner_key).await;
        let b_member_ids: Vec<String> =
            b_members.iter().map(|m| m["user_id"].as_str().unwrap().to_string()).collect();
        let b_invite_ids: Vec<String> =
            b_invites.iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();

        // A's lists never contain B's ids, for any of A's keys.
        for k in &t.account(a).keys {
            let a_members = t.all("/v1/members", &k.key).await;
            assert!(
                a_members
                    .iter()
                    .all(|m| !b_member_ids.iter().any(|id| m["user_id"] == id.as_str())),
                "{a} sees {b}'s members"
            );
            let a_invites = t.all("/v1/invites", &k.key).await;
            assert!(
                a_invites.iter().all(|m| !b_invite_ids.iter().any(|id| m["id"] == id.as_str())),
                "{a} sees {b}'s invites"
            );
        }

        // B's ids used with A's keys: reads are 404 for every role; writes are 404 for managers
        // (non-managers are refused before the lookup).
        let b_pending = b_invites.iter().find(|x| x["status"] == "pending").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let b_plain =
            b_members.iter().find(|m| !b_team.role(m["role"].as_str().unwrap()).is_owner).unwrap()
                ["user_id"]
                .as_str()
                .unwrap()
                .to_string();
        for k in &t.account(a).keys {
            let role = a_team.role(&k.role);
            for id in &b_member_ids {
                t.get(&format!("/v1/members/{id}"), &k.key).await.expect(404, "not_found");
            }
            for id in &b_invite_ids {
                t.get(&format!("/v1/invites/{id}"), &k.key).await.expect(404, "not_found");
            }
            let writes = [
                t.patch(
                    &format!("/v1/members/{b_plain}"),
                    &k.key,
                    json!({"role": a_team.plain_role()}),
                )
                .await,
                t.delete(&format!("/v1/members/{b_plain}"), &k.key).await,
                t.post(&format!("/v1/invites/{b_pending}/resend"), &k.key, json!({})).await,
                t.post(&format!("/v1/invites/{b_pending}/revoke"), &k.key, json!({})).await,
            ];
            for res in writes {
                if role.manages_team {
                    res.expect(404, "not_found");
                } else {
                    res.expect(403, "forbidden");
                }
            }
        }
        // Nothing of B changed.
        assert_eq!(
            t.all("/v1/members", &b_team.owner_key).await,
            b_members,
            "{b}'s members changed"
        );
        assert_eq!(
            t.all("/v1/invites", &b_team.owner_key).await,
            b_invites,
            "{b}'s invites changed"
        );
    }

    // Owner promotions too: B's pending promotion cannot be cancelled with A's key.
    let b = presets()
        .into_iter()
        .find(|p| Team::new(&t, p).policy.owner_promotion_confirmation)
        .expect("a preset with owner-promotion confirmation");
    let a = presets().into_iter().find(|p| *p != b).unwrap();
    let b_team = Team::new(&t, b);
    let target = b_team.fresh_member(&b_team.plain_role()).await;
    let up = t
        .patch(
            &format!("/v1/members/{target}"),
            &b_team.owner_key,
            json!({"role": b_team.owner_role()}),
        )
        .await
        .ok();
    let pid = up["promotion"]["id"].as_str().unwrap().to_string();
    t.post(&format!("/v1/owner-promotions/{pid}/cancel"), &t.owner(a), json!({}))
        .await
        .expect(404, "not_found");
    let a_promotions = t.all("/v1/owner-promotions", &t.owner(a)).await;
    assert!(a_promotions.iter().all(|x| x["id"] != pid.as_str()), "{a} lists {b}'s promotion");
    let listed = t.all("/v1/owner-promotions", &b_team.owner_key).await;
    assert_eq!(listed.iter().find(|x| x["id"] == pid.as_str()).unwrap()["status"], "pending");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_demoted_then_removed_manager_when_it_calls_again_then_403_then_401() {
    let t = TestServer::start().await;
    for preset in presets() {
        let team = Team::new(&t, preset);
        // A manager key that is not owner-level (presets without one have nothing to demote).
        let Some(k) = t
            .account(preset)
            .keys
            .iter()
            .find(|k| team.role(&k.role).manages_team && !team.role(&k.role).is_owner)
        else {
            continue;
        };
        let me = t.get("/v1/me", &k.key).await.ok();
        let uid = me["user"]["id"].as_str().unwrap().to_string();
        t.get("/v1/audit", &k.key).await.ok();
        let non_manager = team.roles.iter().find(|r| !r.manages_team).unwrap().id.clone();
        t.patch(&format!("/v1/members/{uid}"), &team.owner_key, json!({"role": non_manager}))
            .await
            .ok();
        t.get("/v1/audit", &k.key).await.expect(403, "forbidden");
        let inv = t.get("/v1/invites?status=pending", &k.key).await.ok();
        assert!(
            inv["data"].as_array().unwrap().iter().all(|i| i["link"].is_null()),
            "links hidden after the demotion"
        );
        // Removed: the key stops working with the next request.
        t.delete(&format!("/v1/members/{uid}"), &team.owner_key).await.expect_status(204);
        let res = t.get("/v1/me", &k.key).await.expect(401, "unauthorized");
        assert!(res.headers.get("www-authenticate").is_some());
    }
    t.server.shutdown().await;
}

trait ExpectStatus {
    fn expect_status(self, status: u16) -> Res;
}

impl ExpectStatus for Res {
    #[track_caller]
    fn expect_status(self, status: u16) -> Res {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        self
    }
}
