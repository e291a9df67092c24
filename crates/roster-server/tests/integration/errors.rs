//! Bad input never gets a 5xx, and always a problem+json with the right status and code:
//! malformed and wrongly shaped bodies, media types, body size, unknown roles, paging
//! parameters, e-mails, policy limits, unknown paths, methods and ids; idempotent invite
//! creation (replay, mismatch, expiry, concurrency) and joins; rate limits; and a
//! deterministic fuzz of every JSON endpoint.

use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use common::*;
use reqwest::Method;
use reqwest::header::HeaderValue;
use roster_api::TeamPolicy;
use roster_server::Limits;
use serde_json::{Value, json};

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique_email(tag: &str) -> String {
    format!("{tag}.{}@errors-test.example", SEQ.fetch_add(1, Ordering::Relaxed))
}

fn policy(preset: &str) -> &'static TeamPolicy {
    &roster_server::PRESETS.iter().find(|p| p.id == preset).unwrap().policy
}

/// Asserts a full problem document: status, code, media type, `type` URN, title and detail.
#[track_caller]
fn problem(res: &Res, status: u16, code: &str) {
    assert_eq!(res.status.as_u16(), status, "expected {status} {code}, body: {}", res.text);
    assert_eq!(res.code(), code, "body: {}", res.text);
    assert_eq!(res.json["type"], format!("urn:roster:problem:{code}"), "body: {}", res.text);
    assert!(res.json["title"].as_str().is_some_and(|s| !s.is_empty()), "title: {}", res.text);
    assert!(res.json["detail"].as_str().is_some_and(|s| !s.is_empty()), "detail: {}", res.text);
}

/// Any answer to bad input: never a 5xx, and every 4xx a well-formed problem.
#[track_caller]
fn sane(res: &Res, what: &str) {
    let s = res.status.as_u16();
    assert!(s < 500, "{what}: server error {s}: {}", res.text);
    if s >= 400 {
        assert!(
            res.content_type().starts_with("application/problem+json"),
            "{what}: {s} is not problem+json: {:?} {}",
            res.content_type(),
            res.text
        );
        assert_eq!(res.json["status"].as_u64(), Some(s as u64), "{what}: {}", res.text);
        let code =
            res.json["code"].as_str().unwrap_or_else(|| panic!("{what}: no code: {}", res.text));
        assert_eq!(res.json["type"], format!("urn:roster:problem:{code}"), "{what}");
        assert!(res.json["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {}", res.text);
    } else if s != 204 {
        assert!(
            res.content_type().starts_with("application/json"),
            "{what}: {s} with {:?}",
            res.content_type()
        );
    }
}

/// A request with a raw body and an explicit (or no) Content-Type.
async fn raw(
    t: &TestServer,
    method: Method,
    path: &str,
    key: Option<&str>,
    ctype: Option<&str>,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, HeaderValue)],
) -> Res {
    let mut req = t.http.request(method, t.url(path)).body(body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    for (k, v) in headers {
        req = req.header(*k, v.clone());
    }
    let resp = req.send().await.expect("request failed");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res { status, headers, text, json }
}

async fn json_raw(
    t: &TestServer,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> Res {
    raw(t, method, path, key, Some("application/json"), body.to_string(), &[]).await
}

/// The user id of the demo member holding `role` in `preset`.
async fn user_of(t: &TestServer, preset: &str, role: &str) -> String {
    t.get("/v1/me", &t.key(preset, role)).await.ok()["user"]["id"].as_str().unwrap().to_string()
}

/// A plain (non-owner, non-manager where possible) demo member of `preset`.
async fn plain_member(t: &TestServer, preset: &str) -> String {
    user_of(t, preset, &policy(preset).default_role).await
}

/// Every JSON-body endpoint, as (method, path, key) for `preset`'s owner.
async fn json_endpoints(t: &TestServer, preset: &str) -> Vec<(Method, String, Option<String>)> {
    let owner = t.owner(preset);
    let member = plain_member(t, preset).await;
    vec![
        (Method::POST, "/v1/invites".into(), Some(owner.clone())),
        (Method::PATCH, format!("/v1/members/{member}"), Some(owner)),
        (Method::POST, "/v1/join".into(), None),
        (Method::POST, "/v1/owner-promotions/confirm".into(), None),
    ]
}

#[tokio::test]
async fn given_malformed_json_when_posting_or_patching_then_400_validation_failed() {
    let t = TestServer::start().await;
    let bodies = [
        "{\"email\":",
        "{,}",
        "not json",
        "{\"email\": \"a@b.example\", \"role\": \"member\"} trailing",
        "",
        "{'email': 'a@b.example'}",
        "{\"email\": \"a@b.example\" \"role\": \"member\"}",
        "[1, 2,]",
        "{\"email\": \"\u{1}\"}",
        "{\"email\": \"\\x\"}",
    ];
    for (method, path, key) in json_endpoints(&t, "owner-member-link").await {
        for body in bodies {
            let res = json_raw(&t, method.clone(), &path, key.as_deref(), body).await;
            assert_eq!(res.status.as_u16(), 400, "{method} {path} with {body:?}: {}", res.text);
            problem(&res, 400, "validation_failed");
        }
        // Bytes that are not UTF-8 at all.
        let res = raw(
            &t,
            method.clone(),
            &path,
            key.as_deref(),
            Some("application/json"),
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
            &[],
        )
        .await;
        problem(&res, 400, "validation_failed");
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_well_formed_json_of_the_wrong_shape_then_422_validation_failed() {
    let t = TestServer::start().await;
    let p = "link-email-quotas";
    let owner = t.owner(p);
    let member = plain_member(&t, p).await;
    let invites = [
        json!({"email": 5, "role": "member"}),
        json!({"email": "shape@errors-test.example", "role": "member", "extra": 1}),
        json!({"role": "member"}),
        json!({"email": "shape@errors-test.example"}),
        json!({}),
        json!([]),
        json!("shape@errors-test.example"),
        json!(null),
        json!(42),
        json!({"email": "shape@errors-test.example", "role": ["member"]}),
        json!({"email": "shape@errors-test.example", "role": "member", "delivery": "pigeon"}),
        json!({"email": "shape@errors-test.example", "role": "member", "require_secure_sign_in": "yes"}),
        json!({"email": "shape@errors-test.example", "role": "member", "identity_provider": "google"}),
        json!({"email": "shape@errors-test.example", "role": "member", "identity_provider": {"provider": "okta"}}),
        json!({"email": "shape@errors-test.example", "role": "member", "expires_in_days": "7"}),
        json!({"email": "shape@errors-test.example", "role": "member", "expires_in_days": 1.5}),
        json!({"email": "shape@errors-test.example", "role": "member", "expires_in_days": -1}),
        json!({"email": "shape@errors-test.example", "role": "member", "expires_in_days": 4294967296u64}),
        json!({"email": null, "role": "member"}),
    ];
    for body in &invites {
        let res = t.post("/v1/invites", &owner, body.clone()).await;
        problem(&res, 422, "validation_failed");
    }
    let patches = [
        json!({"role": 5}),
        json!({"quota": "10"}),
        json!({"quota": -1}),
        json!({"quota": 1.5}),
        json!({"quota": 18446744073709551616.0}),
        json!({"nickname": "x"}),
        json!([]),
        json!(null),
        json!(true),
    ];
    for body in &patches {
        let res = t.patch(&format!("/v1/members/{member}"), &owner, body.clone()).await;
        problem(&res, 422, "validation_failed");
    }
    let joins = [
        json!({}),
        json!({"token": "x", "mode": "fly", "email": "a@b.example", "password": "0123456789"}),
        json!({"token": 1, "mode": "sign_up", "email": "a@b.example", "password": "0123456789"}),
        json!({"token": "x", "mode": "sign_up", "email": "a@b.example", "password": "0123456789", "admin": true}),
        json!({"token": "x", "mode": "sign_up", "email": "a@b.example"}),
    ];
    for body in &joins {
        let res = t.call(Method::POST, "/v1/join", None, Some(body)).await;
        problem(&res, 422, "validation_failed");
    }
    for body in [json!({}), json!({"token": 1}), json!({"token": "x", "extra": 1}), json!(["x"])] {
        let res = t.call(Method::POST, "/v1/owner-promotions/confirm", None, Some(&body)).await;
        problem(&res, 422, "validation_failed");
    }
    // Nothing was created by any of it.
    assert!(t.all("/v1/invites?q=shape@", &owner).await.is_empty());
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_body_without_json_content_type_then_415_unsupported_media_type() {
    let t = TestServer::start().await;
    let p = "owner-member-link";
    let body = json!({"email": unique_email("ctype"), "role": "member"}).to_string();
    for (method, path, key) in json_endpoints(&t, p).await {
        for ctype in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
        ] {
            let res =
                raw(&t, method.clone(), &path, key.as_deref(), ctype, body.clone(), &[]).await;
            assert_eq!(res.status.as_u16(), 415, "{method} {path} with {ctype:?}: {}", res.text);
            problem(&res, 415, "unsupported_media_type");
        }
    }
    // A JSON media type with parameters is JSON.
    let res = raw(
        &t,
        Method::POST,
        "/v1/invites",
        Some(&t.owner(p)),
        Some("application/json; charset=utf-8"),
        body,
        &[],
    )
    .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_a_body_over_64_kib_then_413_payload_too_large() {
    let t = TestServer::start().await;
    let big = json!({"email": format!("{}@errors-test.example", "a".repeat(70 * 1024)), "role": "member"}).to_string();
    assert!(big.len() > 64 * 1024);
    for (method, path, key) in json_endpoints(&t, "owner-member-link").await {
        let res = json_raw(&t, method.clone(), &path, key.as_deref(), &big).await;
        assert_eq!(res.status.as_u16(), 413, "{method} {path}: {}", res.text);
        problem(&res, 413, "payload_too_large");
        // Also without a Content-Length (chunked), where the size is only known while reading.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            big.as_bytes().chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let res =
            raw(&t, method.clone(), &path, key.as_deref(), Some("application/json"), body, &[])
                .await;
        assert_eq!(res.status.as_u16(), 413, "{method} {path} chunked: {}", res.text);
        problem(&res, 413, "payload_too_large");
    }
    // Just under the limit is read and judged on its content.
    let under = json!({"email": format!("{}@errors-test.example", "a".repeat(60 * 1024)), "role": "member"}).to_string();
    assert!(under.len() < 64 * 1024);
    let res =
        json_raw(&t, Method::POST, "/v1/invites", Some(&t.owner("owner-member-link")), &under)
            .await;
    problem(&res, 422, "validation_failed");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_unknown_role_then_unknown_role_listing_the_valid_roles() {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner = t.owner(preset);
        let roles = t.policy_roles(preset);
        let member = plain_member(&t, preset).await;
        for bad in ["wizard", "OWNER", "", " member", "owner\u{0}"] {
            let res = t
                .post("/v1/invites", &owner, json!({"email": unique_email("role"), "role": bad}))
                .await;
            problem(&res, 422, "unknown_role");
            let detail = res.json["detail"].as_str().unwrap();
            for r in &roles {
                assert!(detail.contains(&r.id), "{preset}: detail lists {}: {detail}", r.id);
            }
            let res = t.patch(&format!("/v1/members/{member}"), &owner, json!({"role": bad})).await;
            problem(&res, 422, "unknown_role");
            let detail = res.json["detail"].as_str().unwrap();
            for r in &roles {
                assert!(detail.contains(&r.id), "{preset}: detail lists {}: {detail}", r.id);
            }
        }
        let res = t.get("/v1/members?role=wizard", &owner).await;
        problem(&res, 400, "unknown_role");
        let res = t.get("/v1/members?role=OWNER", &owner).await;
        problem(&res, 400, "unknown_role");
        // A role of another preset is unknown here unless this catalog has it too.
        for other in presets() {
            for r in t.policy_roles(other) {
                let res = t.get(&format!("/v1/members?role={}", r.id), &owner).await;
                if roles.iter().any(|x| x.id == r.id) {
                    res.ok();
                } else {
                    problem(&res, 400, "unknown_role");
                }
            }
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_bad_paging_or_filter_parameters_then_400_validation_failed() {
    let t = TestServer::start().await;
    let owner = t.owner("four-roles-7day");
    let lists = ["/v1/members", "/v1/invites", "/v1/audit", "/v1/owner-promotions"];
    let cursor_for = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let long = "A".repeat(300);
    let bad_cursors =
        ["garbage", "", "Zm9v", &cursor_for("c1:abc"), &cursor_for("c2:5"), "!!!!", &long];
    for list in lists {
        for limit in ["0", "201", "-1", "abc", "1.5", "", "99999999999", "1e2"] {
            let res = t.get(&format!("{list}?limit={limit}"), &owner).await;
            assert_eq!(res.status.as_u16(), 400, "{list}?limit={limit}: {}", res.text);
            problem(&res, 400, "validation_failed");
        }
        for cursor in bad_cursors {
            let res = t.get(&format!("{list}?cursor={cursor}"), &owner).await;
            assert_eq!(res.status.as_u16(), 400, "{list}?cursor={cursor}: {}", res.text);
            problem(&res, 400, "validation_failed");
        }
        for limit in [1, 200] {
            let page = t.get(&format!("{list}?limit={limit}"), &owner).await.ok();
            assert!(page["data"].as_array().unwrap().len() <= limit);
        }
    }
    // A real cursor works: every list has two pages of one. Owner promotions exist only where
    // the policy asks the original owner to confirm, so that list is read on such a team,
    // after asking for two.
    let confirming = t.owner("six-roles-2fa");
    let members = t.all("/v1/members", &confirming).await;
    let promotable: Vec<&str> = members
        .iter()
        .filter(|m| m["role"] != "owner")
        .map(|m| m["user_id"].as_str().unwrap())
        .take(2)
        .collect();
    assert_eq!(promotable.len(), 2, "two members to promote: {members:?}");
    for user in promotable {
        t.patch(&format!("/v1/members/{user}"), &confirming, serde_json::json!({"role": "owner"}))
            .await
            .ok();
    }
    for list in lists {
        let key = if list == "/v1/owner-promotions" { &confirming } else { &owner };
        let first = t.get(&format!("{list}?limit=1"), key).await.ok();
        let cursor = first["next_cursor"].as_str().unwrap_or_else(|| panic!("{list}: two pages"));
        let second = t.get(&format!("{list}?limit=1&cursor={cursor}"), key).await.ok();
        let (a, b) = (&first["data"][0], &second["data"][0]);
        assert!(
            a.is_object() && b.is_object() && a != b,
            "{list}: two pages, one item each: {a} / {b}"
        );
    }
    for (path, ok) in [
        ("/v1/invites?status=bogus", false),
        ("/v1/invites?status=Pending", false),
        ("/v1/invites?status=", false),
        ("/v1/owner-promotions?status=bogus", false),
        ("/v1/audit?action=bogus", false),
        ("/v1/invites?status=expired", true),
        ("/v1/owner-promotions?status=pending", true),
        ("/v1/audit?action=invite_created", true),
    ] {
        let res = t.get(path, &owner).await;
        if ok {
            res.ok();
        } else {
            assert_eq!(res.status.as_u16(), 400, "{path}: {}", res.text);
            problem(&res, 400, "validation_failed");
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_invalid_email_then_422_naming_the_field() {
    let t = TestServer::start().await;
    let long_local = format!("{}@errors-test.example", "a".repeat(320));
    let bad = [
        "",
        "   ",
        "plainaddress",
        "@errors-test.example",
        "ana@",
        "ana@localhost",
        "ana smith@errors-test.example",
        "ana@errors-test.example.",
        "ana@.errors-test.example",
        "<ana@errors-test.example>",
        "ana,ben@errors-test.example",
        "ana@errors-test\n.example",
        "ana\u{0}@errors-test.example",
        long_local.as_str(),
    ];
    for preset in ["owner-member-link", "admin-member-idp"] {
        let owner = t.owner(preset);
        for email in bad {
            let res = t
                .post(
                    "/v1/invites",
                    &owner,
                    json!({"email": email, "role": policy(preset).default_role}),
                )
                .await;
            problem(&res, 422, "validation_failed");
            assert_eq!(res.json["errors"][0]["field"], "email", "{preset} {email:?}: {}", res.text);
            assert!(res.json["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    // The separate notification e-mail is checked the same way where the policy has one.
    let p = presets()
        .into_iter()
        .find(|p| policy(p).notification_email)
        .expect("a preset with notification e-mails");
    for email in ["not-an-email", "ana@", "<x@y.example>"] {
        let res = t
            .post("/v1/invites", &t.owner(p), json!({"email": unique_email("notif"), "role": policy(p).default_role, "notification_email": email}))
            .await;
        problem(&res, 422, "validation_failed");
        assert_eq!(res.json["errors"][0]["field"], "notification_email", "{}", res.text);
    }
    t.server.shutdown().await;
}

/// For every preset, each policy-gated option is refused with `not_allowed_by_policy` where the
/// policy does not have it and accepted where it does: derived from the policy, never listed.
#[tokio::test]
async fn given_an_option_the_policy_does_not_allow_then_422_not_allowed_by_policy() {
    let t = TestServer::start().await;
    for preset in presets() {
        let pol = policy(preset);
        let owner = t.owner(preset);
        let role = pol.default_role.clone();
        let cases: Vec<(Value, bool, &str)> = vec![
            (
                json!({"delivery": "link"}),
                pol.delivery_methods.contains(&roster_api::Delivery::Link),
                "delivery link",
            ),
            (
                json!({"delivery": "email"}),
                pol.delivery_methods.contains(&roster_api::Delivery::Email),
                "delivery email",
            ),
            (
                json!({"identity_provider": {"provider": "google"}}),
                pol.identity_provider_restriction,
                "idp google",
            ),
            (
                json!({"identity_provider": {"provider": "microsoft", "tenant_id": "contoso.onmicrosoft.com"}}),
                pol.identity_provider_restriction,
                "idp microsoft",
            ),
            (json!({"identity_provider": {"provider": "any"}}), true, "idp any"),
            (
                json!({"notification_email": "notify@errors-test.example"}),
                pol.notification_email,
                "notification e-mail",
            ),
            (json!({"require_secure_sign_in": true}), pol.secure_sign_in_option, "secure sign-in"),
            (json!({"require_secure_sign_in": false}), true, "no secure sign-in"),
        ];
        for (extra, allowed, what) in cases {
            let mut body = json!({"email": unique_email("policy"), "role": role});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let res = t.post("/v1/invites", &owner, body.clone()).await;
            if allowed {
                assert_eq!(res.status.as_u16(), 201, "{preset} {what}: {}", res.text);
                let id = res.json["id"].as_str().unwrap();
                t.post(&format!("/v1/invites/{id}/revoke"), &owner, json!({})).await.ok();
            } else {
                assert_eq!(res.status.as_u16(), 422, "{preset} {what}: {}", res.text);
                problem(&res, 422, "not_allowed_by_policy");
                let found = t
                    .all(&format!("/v1/invites?q={}", body["email"].as_str().unwrap()), &owner)
                    .await;
                assert!(found.is_empty(), "{preset} {what}: refused but created");
            }
        }
        let member = plain_member(&t, preset).await;
        for quota in [json!(1000), json!(null), json!(0)] {
            let res =
                t.patch(&format!("/v1/members/{member}"), &owner, json!({"quota": quota})).await;
            if pol.member_quotas {
                let m = res.ok();
                assert_eq!(m["member"]["quota"], quota);
            } else {
                problem(&res, 422, "not_allowed_by_policy");
            }
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_expires_in_days_out_of_range_then_422() {
    let t = TestServer::start().await;
    for preset in presets() {
        let pol = policy(preset);
        let owner = t.owner(preset);
        let max = pol.invite_lifetime_days as i64;
        for days in [json!(0), json!(max + 1), json!(366), json!(1000)] {
            let res = t.post("/v1/invites", &owner, json!({"email": unique_email("days"), "role": pol.default_role, "expires_in_days": days})).await;
            problem(&res, 422, "validation_failed");
            assert_eq!(
                res.json["errors"][0]["field"], "expires_in_days",
                "{preset} {days}: {}",
                res.text
            );
        }
        for days in [json!(-1), json!(4294967296u64), json!(2.5), json!("3")] {
            let res = t.post("/v1/invites", &owner, json!({"email": unique_email("days"), "role": pol.default_role, "expires_in_days": days})).await;
            problem(&res, 422, "validation_failed");
        }
        for days in [1, max] {
            let inv = t.post("/v1/invites", &owner, json!({"email": unique_email("days"), "role": pol.default_role, "expires_in_days": days})).await.ok();
            let created =
                chrono::DateTime::parse_from_rfc3339(inv["created_at"].as_str().unwrap()).unwrap();
            let expires =
                chrono::DateTime::parse_from_rfc3339(inv["expires_at"].as_str().unwrap()).unwrap();
            assert_eq!((expires - created).num_hours(), days * 24, "{preset}: {inv}");
            t.post(
                &format!("/v1/invites/{}/revoke", inv["id"].as_str().unwrap()),
                &owner,
                json!({}),
            )
            .await
            .ok();
        }
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_an_unknown_path_or_method_then_404_or_405_problem() {
    let t = TestServer::start().await;
    let owner = t.owner("owner-member-link");
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::GET, "/v1"),
        (Method::GET, "/v1/"),
        (Method::GET, "/v1/nope"),
        (Method::GET, "/v2/me"),
        (Method::GET, "/v1/members/a/b"),
        (Method::POST, "/v1/invites/x/unknown"),
        (Method::DELETE, "/v1/nope/1"),
        (Method::GET, "/v1/me/"),
    ] {
        for key in [Some(owner.as_str()), None] {
            let res = t.call(method.clone(), path, key, None).await;
            assert_eq!(res.status.as_u16(), 404, "{method} {path}: {}", res.text);
            problem(&res, 404, "not_found");
        }
    }
    for (method, path) in [
        (Method::PUT, "/v1/me"),
        (Method::POST, "/v1/me"),
        (Method::DELETE, "/v1/roles"),
        (Method::PUT, "/v1/members/usr_x"),
        // `me` only means the caller for leaving; it is not a user id to read or change.
        (Method::GET, "/v1/members/me"),
        (Method::PATCH, "/v1/members/me"),
        (Method::POST, "/v1/members"),
        (Method::DELETE, "/v1/invites"),
        (Method::PATCH, "/v1/invites/inv_x"),
        (Method::GET, "/v1/invites/inv_x/resend"),
        (Method::DELETE, "/v1/invites/inv_x/revoke"),
        (Method::POST, "/v1/audit"),
        (Method::POST, "/v1/events"),
        (Method::GET, "/v1/owner-promotions/opr_x/cancel"),
        (Method::GET, "/v1/owner-promotions/confirm"),
        (Method::GET, "/v1/join"),
        (Method::POST, "/healthz"),
        (Method::DELETE, "/openapi.yaml"),
    ] {
        let res = t.call(method.clone(), path, Some(&owner), None).await;
        assert_eq!(res.status.as_u16(), 405, "{method} {path}: {}", res.text);
        problem(&res, 405, "method_not_allowed");
        let allow = res.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(
            !allow.is_empty() && !allow.contains(method.as_str()),
            "{method} {path}: a 405 names the allowed methods: {allow:?}"
        );
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_unknown_ids_then_404_not_found() {
    let t = TestServer::start().await;
    for preset in presets() {
        let owner = t.owner(preset);
        let role = policy(preset).default_role.clone();
        let long = "x".repeat(150);
        for id in [
            "usr_00000000000000000000",
            "nope",
            "%20",
            "inv_00000000000000000000",
            "1",
            long.as_str(),
            "%C3%A9t%C3%A9",
        ] {
            problem(&t.get(&format!("/v1/members/{id}"), &owner).await, 404, "not_found");
            problem(
                &t.patch(&format!("/v1/members/{id}"), &owner, json!({"role": role})).await,
                404,
                "not_found",
            );
            problem(&t.delete(&format!("/v1/members/{id}"), &owner).await, 404, "not_found");
            problem(&t.get(&format!("/v1/invites/{id}"), &owner).await, 404, "not_found");
            problem(
                &t.post(&format!("/v1/invites/{id}/resend"), &owner, json!({})).await,
                404,
                "not_found",
            );
            problem(
                &t.post(&format!("/v1/invites/{id}/revoke"), &owner, json!({})).await,
                404,
                "not_found",
            );
            problem(
                &t.post(&format!("/v1/owner-promotions/{id}/cancel"), &owner, json!({})).await,
                404,
                "not_found",
            );
        }
    }
    let join = json!({"token": "no-such-token", "mode": "sign_up", "email": "a@errors-test.example", "name": "A", "password": "long enough password"});
    problem(&t.call(Method::POST, "/v1/join", None, Some(&join)).await, 404, "not_found");
    problem(
        &t.call(
            Method::POST,
            "/v1/owner-promotions/confirm",
            None,
            Some(&json!({"token": "no-such-token"})),
        )
        .await,
        404,
        "not_found",
    );
    t.server.shutdown().await;
}

async fn post_idem(t: &TestServer, key: &str, idem: &str, body: &Value) -> Res {
    t.call_with(Method::POST, "/v1/invites", Some(key), Some(body), &[("idempotency-key", idem)])
        .await
}

#[tokio::test]
async fn given_an_idempotency_key_when_the_same_invite_is_posted_twice_then_the_first_answer_is_replayed()
 {
    let t = TestServer::start().await;
    let p = "link-email-quotas";
    let owner = t.owner(p);
    let email = unique_email("idem");
    let body = json!({"email": email, "role": "member", "delivery": "link"});
    let first = post_idem(&t, &owner, "create-ana-1", &body).await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none(), "a first answer is not a replay");
    let second = post_idem(&t, &owner, "create-ana-1", &body).await;
    assert_eq!(second.status, first.status);
    assert_eq!(second.text, first.text, "a replay is byte-identical");
    assert_eq!(
        second.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(second.content_type().starts_with("application/json"));
    // The same JSON written differently is the same request.
    let reordered =
        r#"{ "delivery": "link", "role": "member", "email": "EMAIL" }"#.replace("EMAIL", &email);
    let third = raw(
        &t,
        Method::POST,
        "/v1/invites",
        Some(&owner),
        Some("application/json"),
        reordered,
        &[("idempotency-key", HeaderValue::from_static("create-ana-1"))],
    )
    .await;
    assert_eq!(third.text, first.text);
    let invites = t.all(&format!("/v1/invites?q={email}"), &owner).await;
    assert_eq!(invites.len(), 1, "exactly one invite for {email}: {invites:?}");
    assert_eq!(invites[0]["id"], first.json["id"]);
    let audit = t.all("/v1/audit?action=invite_created", &owner).await;
    assert_eq!(
        audit.iter().filter(|e| e["target"]["email"] == email.as_str()).count(),
        1,
        "one invite_created event"
    );

    // Same key, different body: refused, nothing created.
    let other = unique_email("idem");
    let res = post_idem(
        &t,
        &owner,
        "create-ana-1",
        &json!({"email": other, "role": "member", "delivery": "link"}),
    )
    .await;
    problem(&res, 422, "idempotency_mismatch");
    let res = post_idem(
        &t,
        &owner,
        "create-ana-1",
        &json!({"email": email, "role": "admin", "delivery": "link"}),
    )
    .await;
    problem(&res, 422, "idempotency_mismatch");
    assert!(t.all(&format!("/v1/invites?q={other}"), &owner).await.is_empty());

    // Keys belong to one API key: another manager's key with the same Idempotency-Key is new.
    let admin =
        t.keys_of(p).into_iter().find(|(r, _)| r == "admin").map(|(_, k)| k).expect("an admin key");
    let res = post_idem(
        &t,
        &admin,
        "create-ana-1",
        &json!({"email": other, "role": "member", "delivery": "link"}),
    )
    .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    assert!(res.headers.get("idempotent-replayed").is_none());

    // A 255-character key is fine; longer, empty or non-visible ones are refused.
    let k255 = "k".repeat(255);
    let res =
        post_idem(&t, &owner, &k255, &json!({"email": unique_email("idem"), "role": "member"}))
            .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    let bad_keys = [
        HeaderValue::from_str(&"k".repeat(256)).unwrap(),
        HeaderValue::from_str(&"k".repeat(300)).unwrap(),
        HeaderValue::from_static(""),
        HeaderValue::from_static("has space"),
        HeaderValue::from_static("tab\there"),
        HeaderValue::from_bytes("clé-ключ".as_bytes()).unwrap(),
    ];
    for v in bad_keys {
        let email = unique_email("idem");
        let res = raw(
            &t,
            Method::POST,
            "/v1/invites",
            Some(&owner),
            Some("application/json"),
            json!({"email": email, "role": "member"}).to_string(),
            &[("idempotency-key", v.clone())],
        )
        .await;
        assert_eq!(res.status.as_u16(), 400, "Idempotency-Key {v:?}: {}", res.text);
        problem(&res, 400, "validation_failed");
        assert!(t.all(&format!("/v1/invites?q={email}"), &owner).await.is_empty());
    }

    // After 24 hours the key is forgotten and can carry a new request.
    t.server.clock.advance(chrono::Duration::hours(25));
    let later = unique_email("idem");
    let res = post_idem(
        &t,
        &owner,
        "create-ana-1",
        &json!({"email": later, "role": "member", "delivery": "link"}),
    )
    .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    assert!(res.headers.get("idempotent-replayed").is_none());
    assert_ne!(res.json["id"], first.json["id"]);
    assert_eq!(t.all(&format!("/v1/invites?q={later}"), &owner).await.len(), 1);
    t.server.shutdown().await;
}

async fn join_idem(t: &TestServer, idem: &str, body: &Value) -> Res {
    t.call_with(Method::POST, "/v1/join", None, Some(body), &[("idempotency-key", idem)]).await
}

#[tokio::test]
async fn given_an_idempotency_key_when_a_join_is_retried_then_the_first_answer_is_replayed_to_the_same_credentials_only()
 {
    let t = TestServer::start().await;
    let p = "link-email-quotas";
    let owner = t.owner(p);
    let email = unique_email("join-idem");
    let inv = t.invite(&owner, &email, "member").await;
    let body = json!({"token": token_of(inv["link"].as_str().unwrap()), "mode": "sign_up", "email": email, "name": "Retry Ana", "password": "correct horse battery"});
    let first = join_idem(&t, "join-ana-1", &body).await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none(), "a first answer is not a replay");

    // The answer was lost; the retry with the same key gets it again and joins nobody twice.
    let second = join_idem(&t, "join-ana-1", &body).await;
    assert_eq!(second.status.as_u16(), 200, "{}", second.text);
    assert_eq!(second.text, first.text, "a replay is byte-identical");
    assert_eq!(
        second.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(second.content_type().starts_with("application/json"));
    assert_eq!(t.all(&format!("/v1/members?q={email}"), &owner).await.len(), 1);
    let accepted = t.all("/v1/audit?action=invite_accepted", &owner).await;
    assert_eq!(
        accepted.iter().filter(|e| e["target"]["email"] == email.as_str()).count(),
        1,
        "one invite_accepted event"
    );

    // Without the key, or with another one, the retry finds its invite used.
    problem(&t.call(Method::POST, "/v1/join", None, Some(&body)).await, 410, "invite_gone");
    problem(&join_idem(&t, "join-ana-2", &body).await, 410, "invite_gone");
    // The token and key alone do not show who joined: the password must be the user's.
    let mut wrong = body.clone();
    wrong["password"] = json!("not the password at all");
    let res = join_idem(&t, "join-ana-1", &wrong).await;
    problem(&res, 401, "invalid_credentials");
    assert!(!res.text.contains("Retry Ana"), "{}", res.text);
    // Same key, another body.
    let mut renamed = body.clone();
    renamed["name"] = json!("Someone Else");
    problem(&join_idem(&t, "join-ana-1", &renamed).await, 422, "idempotency_mismatch");
    let mut signing_in = body.clone();
    signing_in["mode"] = json!("sign_in");
    problem(&join_idem(&t, "join-ana-1", &signing_in).await, 422, "idempotency_mismatch");

    // Keys belong to one invite: the same key on another team's invite is a new join (signing in).
    let other = t.owner("owner-member-link");
    let inv = t.invite(&other, &email, "member").await;
    let sign_in = json!({"token": token_of(inv["link"].as_str().unwrap()), "mode": "sign_in", "email": email, "password": "correct horse battery"});
    let fresh = join_idem(&t, "join-ana-1", &sign_in).await;
    assert_eq!(fresh.status.as_u16(), 200, "{}", fresh.text);
    assert!(fresh.headers.get("idempotent-replayed").is_none());
    assert_eq!(fresh.json["account"]["preset"], "owner-member-link");
    let again = join_idem(&t, "join-ana-1", &sign_in).await;
    assert_eq!((again.status.as_u16(), again.text.as_str()), (200, fresh.text.as_str()));

    // A malformed key is refused before anything happens.
    let email = unique_email("join-idem");
    let inv = t.invite(&owner, &email, "member").await;
    let body = json!({"token": token_of(inv["link"].as_str().unwrap()), "mode": "sign_up", "email": email, "name": "Bad Key", "password": "correct horse battery"});
    let res = raw(
        &t,
        Method::POST,
        "/v1/join",
        None,
        Some("application/json"),
        body.to_string(),
        &[("idempotency-key", HeaderValue::from_static("has space"))],
    )
    .await;
    problem(&res, 400, "validation_failed");
    assert!(t.all(&format!("/v1/members?q={email}"), &owner).await.is_empty());
    join_idem(&t, "join-bad-1", &body).await.ok();

    // After 24 hours the key is forgotten: the retry is an ordinary one.
    t.server.clock.advance(chrono::Duration::hours(25));
    problem(&join_idem(&t, "join-bad-1", &body).await, 410, "invite_gone");
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn given_ten_concurrent_posts_with_one_idempotency_key_then_exactly_one_invite() {
    let t = TestServer::start().await;
    for preset in ["owner-member-link", "admin-member-idp"] {
        let owner = t.owner(preset);
        let email = unique_email("race");
        let body = json!({"email": email, "role": policy(preset).default_role});
        let idem = format!("race-{email}");
        let answers =
            futures::future::join_all((0..10).map(|_| post_idem(&t, &owner, &idem, &body))).await;
        let mut ids = Vec::new();
        for a in &answers {
            sane(a, "concurrent idempotent POST");
            assert_eq!(a.status.as_u16(), 201, "{preset}: {}", a.text);
            ids.push(a.json["id"].as_str().unwrap().to_string());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{preset}: every answer names the same invite");
        assert_eq!(
            answers.iter().filter(|a| a.headers.get("idempotent-replayed").is_none()).count(),
            1,
            "one fresh answer, nine replays"
        );
        assert_eq!(
            t.all(&format!("/v1/invites?q={email}"), &owner).await.len(),
            1,
            "{preset}: exactly one invite"
        );

        // Without a key, ten concurrent invites for one address: one wins, the others are told why.
        let email = unique_email("race");
        let body = json!({"email": email, "role": policy(preset).default_role});
        let answers =
            futures::future::join_all((0..10).map(|_| t.post("/v1/invites", &owner, body.clone())))
                .await;
        for a in &answers {
            sane(a, "concurrent POST");
        }
        assert_eq!(answers.iter().filter(|a| a.status.as_u16() == 201).count(), 1, "{preset}");
        for a in answers.iter().filter(|a| a.status.as_u16() != 201) {
            problem(a, 409, "invite_exists");
        }
        assert_eq!(t.all(&format!("/v1/invites?q={email}"), &owner).await.len(), 1);
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_production_limits_when_invites_are_created_in_a_burst_then_429_with_retry_after() {
    let t = TestServer::start_with(Limits::default()).await;
    let per_minute = Limits::default().invites_per_minute as usize;
    let p = presets().into_iter().find(|p| policy(p).seat_limit.is_none()).unwrap();
    let owner = t.owner(p);
    let started = Instant::now();
    let mut created = 0;
    let mut limited = Vec::new();
    for _ in 0..per_minute + 20 {
        let email = unique_email("burst");
        let res = t
            .post("/v1/invites", &owner, json!({"email": email, "role": policy(p).default_role}))
            .await;
        match res.status.as_u16() {
            201 => created += 1,
            429 => {
                problem(&res, 429, "rate_limited");
                let retry = res
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .expect("Retry-After on 429");
                let secs: u64 = retry
                    .parse()
                    .unwrap_or_else(|_| panic!("Retry-After is an integer: {retry:?}"));
                assert!(secs > 0 && secs <= 60, "Retry-After {secs}");
                assert!(
                    t.all(&format!("/v1/invites?q={email}"), &owner).await.is_empty(),
                    "a refused invite was created"
                );
                limited.push(secs);
            }
            _ => panic!("unexpected {}: {}", res.status, res.text),
        }
    }
    assert!(!limited.is_empty(), "no 429 after {created} invites in {:?}", started.elapsed());
    // The bucket holds one minute's worth and refills continuously.
    let refill = (started.elapsed().as_secs_f64() * per_minute as f64 / 60.0).ceil() as usize;
    assert!(
        created >= per_minute && created <= per_minute + refill + 1,
        "created {created}, refill {refill}"
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_production_limits_when_one_join_token_is_tried_too_often_then_429() {
    let t = TestServer::start_with(Limits::default()).await;
    let per_token = Limits::default().joins_per_minute_per_token as usize;
    let p = "owner-member-link";
    let owner = t.owner(p);
    let email = unique_email("guess");
    let inv = t.invite(&owner, &email, "member").await;
    let token = token_of(inv["link"].as_str().unwrap());
    let attempt = json!({"token": token, "mode": "sign_in", "email": "someone.else@errors-test.example", "password": "guess guess guess"});
    let mut statuses = Vec::new();
    for _ in 0..per_token + 3 {
        let res = t.call(Method::POST, "/v1/join", None, Some(&attempt)).await;
        if res.status.as_u16() == 429 {
            problem(&res, 429, "rate_limited");
            let retry: u64 = res
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .expect("integer Retry-After");
            assert!(retry > 0);
        } else {
            problem(&res, 403, "email_mismatch");
        }
        statuses.push(res.status.as_u16());
    }
    assert!(statuses[..per_token].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[per_token..].iter().all(|s| *s == 429), "{statuses:?}");
    // The HTML join form shares the same bucket.
    let res = t
        .http
        .post(t.url(&format!("/join/{token}")))
        .form(&[
            ("mode", "sign_in"),
            ("email", "someone.else@errors-test.example"),
            ("password", "guess guess guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());
    // Another token is not affected.
    let other = t.invite(&owner, &unique_email("guess"), "member").await;
    let res = t
        .call(Method::POST, "/v1/join", None, Some(&json!({"token": token_of(other["link"].as_str().unwrap()), "mode": "sign_in", "email": "x@errors-test.example", "password": "guess"})))
        .await;
    problem(&res, 403, "email_mismatch");
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_the_unauthenticated_documents_then_health_and_openapi_are_served() {
    let t = TestServer::start().await;
    let res = t.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(res.content_type().starts_with("application/json"));
    assert_eq!(res.json, json!({"status": "ok"}));
    let res = t.call(Method::GET, "/openapi.yaml", None, None).await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(res.content_type().starts_with("application/yaml"), "{}", res.content_type());
    assert!(res.text.starts_with("openapi: 3.1"), "{}", &res.text[..40.min(res.text.len())]);
    t.server.shutdown().await;
}

#[tokio::test]
async fn given_the_largest_quota_the_api_allows_then_it_is_stored_exactly() {
    let t = TestServer::start().await;
    let p = presets().into_iter().find(|p| policy(p).member_quotas).expect("a preset with quotas");
    let owner = t.owner(p);
    let member = plain_member(&t, p).await;
    for q in [u64::MAX, i64::MAX as u64 + 1, i64::MAX as u64, 0, 1] {
        let res = t.patch(&format!("/v1/members/{member}"), &owner, json!({"quota": q})).await;
        let body = res.ok();
        assert_eq!(body["member"]["quota"].as_u64(), Some(q), "{body}");
        let read = t.get(&format!("/v1/members/{member}"), &owner).await.ok();
        assert_eq!(read["quota"].as_u64(), Some(q), "{read}");
    }
    t.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Fuzz: deterministic random bodies against every JSON endpoint.

/// splitmix64: small, deterministic, good enough to spread inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "7",
    "14",
    "365",
    "366",
    "1.5",
    "1e2",
    "1E400",
    "-1e400",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "0.0000000000000000001",
    "2.2250738585072014e-308",
];

const STRINGS: &[&str] = &[
    "",
    " ",
    "owner",
    "member",
    "admin",
    "administrator",
    "link",
    "email",
    "any",
    "google",
    "microsoft",
    "sign_up",
    "sign_in",
    "ana@example.com",
    "ANA@EXAMPLE.COM",
    "a@b",
    "@",
    "x@y.z",
    "contoso.onmicrosoft.com",
    "'; DROP TABLE users; --",
    "%",
    "_",
    "\\",
    "%_\\%",
    "{}",
    "null",
    "true",
    "<script>alert(1)</script>",
    "\u{0}",
    "\u{7f}",
    "\u{200b}",
    "\u{202e}gnp.exe",
    "e\u{301}",
    "🦀🦀🦀",
    "日本語@例え.jp",
    "ана@пример.рф",
    "\n\r\t",
    "\"quoted\"",
    "c1:1",
    "YzE6MQ",
    "usr_00000000000000000000",
];

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn random_string(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => {
            // Long: up to about 60 KiB (near the body limit; several in one body go over it).
            let unit = rng.pick(STRINGS).to_string();
            let unit = if unit.is_empty() { "x".to_string() } else { unit };
            unit.repeat(1 + rng.below(60_000 / unit.len()))
        }
        1 | 2 => {
            let n = rng.below(40);
            (0..n)
                .map(|_| char::from_u32(rng.below(0x2_FFFF) as u32).unwrap_or('\u{fffd}'))
                .collect()
        }
        3 | 4 => format!("{}@{}.example", rng.pick(STRINGS), rng.pick(STRINGS)),
        5 => rng.pick(STRINGS).repeat(1 + rng.below(400)),
        _ => rng.pick(STRINGS).to_string(),
    }
}

/// A random JSON value as text; numbers come from a list that includes out-of-range ones.
fn random_json(rng: &mut Rng, depth: usize, fields: &[&str], ctx: &FuzzCtx) -> String {
    let kinds = if depth > 6 { 5 } else { 8 };
    match rng.below(kinds) {
        0 => "null".into(),
        1 => {
            if rng.chance(50) {
                "true".into()
            } else {
                "false".into()
            }
        }
        2 => rng.pick(NUMBERS).to_string(),
        3 | 4 => json_string(&random_string(rng)),
        5 => {
            let n = rng.below(5);
            let items: Vec<String> =
                (0..n).map(|_| random_json(rng, depth + 1, fields, ctx)).collect();
            format!("[{}]", items.join(","))
        }
        _ => random_object(rng, depth + 1, fields, ctx),
    }
}

/// An object whose keys are mostly the endpoint's real fields, with plausible or wild values.
fn random_object(rng: &mut Rng, depth: usize, fields: &[&str], ctx: &FuzzCtx) -> String {
    let n = rng.below(fields.len() + 3);
    let mut parts = Vec::new();
    for _ in 0..n {
        let key = if !fields.is_empty() && rng.chance(80) {
            rng.pick(fields).to_string()
        } else {
            random_string(rng)
        };
        let value = if rng.chance(50) {
            plausible(rng, &key, ctx)
        } else {
            random_json(rng, depth, fields, ctx)
        };
        parts.push(format!("{}:{}", json_string(&key), value));
    }
    format!("{{{}}}", parts.join(","))
}

/// What plausible values draw from: the preset's roles and real invite tokens and e-mails.
struct FuzzCtx {
    roles: Vec<String>,
    invites: Vec<(String, String)>,
}

fn plausible(rng: &mut Rng, field: &str, ctx: &FuzzCtx) -> String {
    match field {
        "email" if !ctx.invites.is_empty() && rng.chance(30) => {
            json_string(&ctx.invites[rng.below(ctx.invites.len())].1)
        }
        "email" | "notification_email" => {
            json_string(&format!("fuzz{}@fuzz.example", rng.below(1000)))
        }
        "role" if rng.chance(70) => json_string(&ctx.roles[rng.below(ctx.roles.len())]),
        "role" => json_string(rng.pick(&[
            "owner",
            "member",
            "admin",
            "administrator",
            "developer",
            "viewer",
            "biller",
            "wizard",
        ])),
        "delivery" => json_string(rng.pick(&["link", "email", "link", "email", "sms"])),
        "identity_provider" => {
            let provider = rng.pick(&["any", "google", "microsoft", "okta"]);
            if rng.chance(50) {
                format!(
                    "{{\"provider\":\"{provider}\",\"tenant_id\":{}}}",
                    json_string(rng.pick(&["contoso.onmicrosoft.com", "", "bad tenant", "a-b.c"]))
                )
            } else {
                format!("{{\"provider\":\"{provider}\"}}")
            }
        }
        "require_secure_sign_in" => rng.pick(&["true", "false"]).to_string(),
        "expires_in_days" | "quota" => rng
            .pick(&[
                "0",
                "1",
                "7",
                "14",
                "15",
                "365",
                "366",
                "null",
                "100000",
                "18446744073709551615",
            ])
            .to_string(),
        "mode" => json_string(rng.pick(&["sign_up", "sign_in", "sign_up", "sign_in", "sign_out"])),
        "password" => json_string(rng.pick(&[
            "",
            "short",
            "correct horse battery",
            "roster-demo-password",
            "p".repeat(2000).as_str(),
        ])),
        "name" => {
            json_string(rng.pick(&["", "Fuzz Tester", "n".repeat(300).as_str(), "<b>Fuzz</b>"]))
        }
        "token" if !ctx.invites.is_empty() && rng.chance(40) => {
            json_string(&ctx.invites[rng.below(ctx.invites.len())].0)
        }
        "token" => json_string(rng.pick(&["", "nope", "t".repeat(250).as_str()])),
        _ => random_json(rng, 5, &[], ctx),
    }
}

/// A body that is valid or nearly so: the required fields plausible, then 0..=2 of them
/// replaced by wild values, dropped, or joined by an unknown field. These reach the
/// handlers' own rules rather than stopping at the shape check.
fn near_valid(rng: &mut Rng, required: &[&str], optional: &[&str], ctx: &FuzzCtx) -> String {
    let mut fields: Vec<(String, String)> =
        required.iter().map(|f| (f.to_string(), plausible(rng, f, ctx))).collect();
    for f in optional {
        if rng.chance(30) {
            fields.push((f.to_string(), plausible(rng, f, ctx)));
        }
    }
    for _ in 0..rng.below(3) {
        match rng.below(4) {
            0 if !fields.is_empty() => {
                let i = rng.below(fields.len());
                fields.remove(i);
            }
            1 => fields.push((random_string(rng), random_json(rng, 3, &[], ctx))),
            _ if !fields.is_empty() => {
                let i = rng.below(fields.len());
                fields[i].1 = random_json(rng, 3, &[], ctx);
            }
            _ => {}
        }
    }
    let parts: Vec<String> =
        fields.iter().map(|(k, v)| format!("{}:{v}", json_string(k))).collect();
    format!("{{{}}}", parts.join(","))
}

#[tokio::test]
async fn given_hundreds_of_random_bodies_on_every_json_endpoint_then_never_a_5xx_and_4xx_are_problems()
 {
    let t = TestServer::start().await;
    let mut rng = Rng(0x005E_ED0F_F022);
    let all = presets();
    let mut targets = Vec::new();
    let mut ctxs = Vec::new();
    for p in &all {
        let owner = t.owner(p);
        // A throw-away member per preset to PATCH, so the fuzz never edits the owner's fixtures.
        let email = unique_email("fuzz-target");
        let inv = t.invite(&owner, &email, &policy(p).default_role).await;
        let joined =
            t.join_sign_up(inv["link"].as_str().unwrap(), &email, "Fuzz Target").await.ok();
        targets.push(joined["user"]["id"].as_str().unwrap().to_string());
        // Real pending invites whose tokens and e-mails the join bodies may use.
        let seats = t.get("/v1/me", &owner).await.ok()["seats"].clone();
        let free = seats["limit"]
            .as_u64()
            .map_or(3, |l| l.saturating_sub(seats["used"].as_u64().unwrap()));
        let mut invites = Vec::new();
        for _ in 0..free.min(3) {
            let email = unique_email("fuzz-invitee");
            let inv = t.invite(&owner, &email, &policy(p).default_role).await;
            invites.push((token_of(inv["link"].as_str().unwrap()), email));
        }
        ctxs.push(FuzzCtx {
            roles: t.policy_roles(p).into_iter().map(|r| r.id).collect(),
            invites,
        });
    }
    type Endpoint = (Method, &'static str, &'static [&'static str], &'static [&'static str]);
    let endpoints: [Endpoint; 4] = [
        (
            Method::POST,
            "/v1/invites",
            &["email", "role"],
            &[
                "delivery",
                "notification_email",
                "identity_provider",
                "require_secure_sign_in",
                "expires_in_days",
            ],
        ),
        (Method::PATCH, "/v1/members/{id}", &[], &["role", "quota"]),
        (Method::POST, "/v1/join", &["token", "mode", "email", "password"], &["name"]),
        (Method::POST, "/v1/owner-promotions/confirm", &["token"], &[]),
    ];
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    let mut by_code = std::collections::BTreeMap::<String, usize>::new();
    let rounds = 300;
    for i in 0..rounds {
        let pi = i % all.len();
        let owner = t.owner(all[pi]);
        let ctx = &ctxs[pi];
        for (method, path, required, optional) in &endpoints {
            let fields: Vec<&str> = required.iter().chain(optional.iter()).copied().collect();
            let path = path.replace("{id}", &targets[pi]);
            let mut body = match rng.below(10) {
                0..=4 => near_valid(&mut rng, required, optional, ctx),
                5..=7 => random_object(&mut rng, 0, &fields, ctx),
                _ => random_json(&mut rng, 0, &fields, ctx),
            };
            if rng.chance(6) {
                // Truncated somewhere, on a character boundary.
                let cut = rng.below(body.len() + 1);
                let cut = (0..=cut).rev().find(|c| body.is_char_boundary(*c)).unwrap_or(0);
                body.truncate(cut);
            }
            let ctype = if rng.chance(92) {
                Some("application/json")
            } else {
                rng.pick(&[
                    None,
                    Some("text/plain"),
                    Some("application/json; charset=utf-8"),
                    Some("application/merge-patch+json"),
                ])
            };
            let mut headers = Vec::new();
            if (path == "/v1/invites" || path == "/v1/join") && rng.chance(20) {
                headers.push((
                    "idempotency-key",
                    HeaderValue::from_str(&format!("fuzz-{}", rng.below(5))).unwrap(),
                ));
            }
            let public =
                path.starts_with("/v1/join") || path.starts_with("/v1/owner-promotions/confirm");
            let res = raw(
                &t,
                method.clone(),
                &path,
                if public { None } else { Some(&owner) },
                ctype,
                body.clone(),
                &headers,
            )
            .await;
            let shown: String = body.chars().take(300).collect();
            sane(&res, &format!("round {i} {method} {path} {ctype:?} body {shown:?}"));
            *by_status.entry(res.status.as_u16()).or_default() += 1;
            if let Some(code) = res.json["code"].as_str() {
                *by_code.entry(code.to_string()).or_default() += 1;
            }
        }
    }
    eprintln!("fuzz answers by status: {by_status:?}\nby code: {by_code:?}");
    // The fuzz reached past the shape checks into the handlers' own rules.
    for s in [200, 201, 400, 404, 409, 413, 415, 422] {
        assert!(by_status.contains_key(&s), "no {s} among {by_status:?}");
    }
    for c in ["unknown_role", "not_allowed_by_policy", "invite_exists", "email_mismatch"] {
        assert!(by_code.contains_key(c), "no {c} among {by_code:?}");
    }
    // The server still works.
    for p in &all {
        t.get("/v1/me", &t.owner(p)).await.ok();
    }
    t.server.shutdown().await;
}

trait KeysOf {
    fn keys_of(&self, preset: &str) -> Vec<(String, String)>;
}

impl KeysOf for TestServer {
    /// (role, key) of every demo key of `preset`.
    fn keys_of(&self, preset: &str) -> Vec<(String, String)> {
        self.account(preset).keys.iter().map(|k| (k.role.clone(), k.key.clone())).collect()
    }
}
