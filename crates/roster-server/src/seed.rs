//! Accounts that did not come through the API: real ones made by an operator
//! (`roster-server account create`), the `--demo` teams (one per preset, one user and key per
//! role, history that looks lived-in) and the scale team for benchmarks.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Transaction, params};
use serde::Serialize;
use serde_json::json;

use crate::db::{self, Db};
use crate::presets::{self, PRESETS};
use crate::tokens;

#[derive(Debug, Clone, Serialize)]
pub struct SeededKey {
    pub role: String,
    pub email: String,
    /// Printed once, at creation; the database keeps only its hash.
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeededAccount {
    pub id: String,
    pub name: String,
    pub preset: String,
    pub keys: Vec<SeededKey>,
}

/// Password of every demo user, for trying the join page's sign-in.
pub const DEMO_PASSWORD: &str = "roster-demo-password";

fn insert_account(
    tx: &Transaction<'_>,
    name: &str,
    preset: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<(i64, String)> {
    let public_id = db::new_id("acc");
    tx.execute(
        "INSERT INTO accounts (public_id, name, preset, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![public_id, name, preset, db::ts(now)],
    )?;
    Ok((tx.last_insert_rowid(), public_id))
}

fn insert_user(
    tx: &Transaction<'_>,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
    method: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<(i64, String)> {
    let public_id = db::new_id("usr");
    tx.execute(
        "INSERT INTO users (public_id, email, name, password_hash, sign_in_method, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![public_id, email, name, password_hash, method, db::ts(at)],
    )?;
    Ok((tx.last_insert_rowid(), public_id))
}

fn insert_membership(
    tx: &Transaction<'_>,
    account: i64,
    user: i64,
    role: &str,
    joined: DateTime<Utc>,
    last_login: Option<DateTime<Utc>>,
    quota: Option<i64>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO memberships (account_id, user_id, role, quota, joined_at, last_login_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![account, user, role, quota, db::ts(joined), last_login.map(db::ts)],
    )?;
    Ok(())
}

/// Issues a new API key for a member; returns the key, which is never stored in clear.
pub fn issue_key(
    tx: &Transaction<'_>,
    account: i64,
    user: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let key = db::new_secret("rst_");
    tx.execute(
        "INSERT INTO api_keys (account_id, user_id, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account, user, db::sha256(&key), &key[..8], db::ts(now)],
    )?;
    Ok(key)
}

#[expect(clippy::too_many_arguments, reason = "one argument per column of the audit row it writes")]
fn audit(
    tx: &Transaction<'_>,
    account: i64,
    action: &str,
    actor: Option<i64>,
    kind: &str,
    target_id: &str,
    email: &str,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit (account_id, action, actor_user_id, target_kind, target_id, target_email, details, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![account, action, actor, kind, target_id, email, details.to_string(), db::ts(at)],
    )?;
    Ok(())
}

/// Creates a real account with its first owner and prints-once key.
pub fn create_account(
    db: &Db,
    name: &str,
    preset: &str,
    owner_email: &str,
    owner_name: &str,
    password: Option<&str>,
) -> anyhow::Result<SeededAccount> {
    let p = presets::find(preset)
        .ok_or_else(|| anyhow::anyhow!("unknown preset {preset}; one of: {}", preset_ids()))?;
    let owner_role = p
        .policy
        .roles
        .iter()
        .find(|r| r.is_owner)
        .expect("every preset has an owner role")
        .id
        .clone();
    let hash = password.map(crate::join::hash_password).transpose()?;
    let now = Utc::now();
    db.blocking(|tx| {
        let (acc, acc_id) = insert_account(tx, name, preset, now)?;
        let existing: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE email = ?1", [owner_email], |r| r.get(0)).ok();
        let user = match existing {
            Some(u) => u,
            None => insert_user(tx, owner_email, owner_name, hash.as_deref(), "email", now)?.0,
        };
        insert_membership(tx, acc, user, &owner_role, now, None, None)?;
        let key = issue_key(tx, acc, user, now)?;
        Ok(SeededAccount {
            id: acc_id,
            name: name.into(),
            preset: preset.into(),
            keys: vec![SeededKey { role: owner_role, email: owner_email.into(), key }],
        })
    })
}

pub fn preset_ids() -> String {
    PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

const PEOPLE: &[(&str, &str)] = &[
    ("Ana Lima", "ana"),
    ("Ben Okafor", "ben"),
    ("Chen Wei", "chen"),
    ("Dara Singh", "dara"),
    ("Eli Novak", "eli"),
    ("Fatima Zahra", "fatima"),
    ("Gus Ortega", "gus"),
    ("Hana Sato", "hana"),
    ("Ivan Petrov", "ivan"),
    ("Jade Miller", "jade"),
    ("Kofi Mensah", "kofi"),
    ("Lena Vogel", "lena"),
    ("Mia Rossi", "mia"),
    ("Noah Berg", "noah"),
];

const SIGN_IN: &[&str] = &["email_2fa", "google", "github", "email", "microsoft", "google"];

struct DemoShape {
    name: &'static str,
    domain: &'static str,
    extra_members: usize,
    pending: usize,
}

fn demo_shape(preset: &str) -> DemoShape {
    match preset {
        "owner-member-link" => DemoShape {
            name: "Northwind Labs",
            domain: "northwind.example",
            extra_members: 6,
            pending: 2,
        },
        "six-roles-2fa" => DemoShape {
            name: "Bluefin Analytics",
            domain: "bluefin.example",
            extra_members: 5,
            pending: 2,
        },
        "link-email-quotas" => DemoShape {
            name: "Kestrel AI",
            domain: "kestrel.example",
            extra_members: 6,
            pending: 2,
        },
        "admin-member-idp" => DemoShape {
            name: "Harbor Health",
            domain: "harbor.example",
            extra_members: 3,
            pending: 2,
        },
        _ => DemoShape {
            name: "Atlas Studio",
            domain: "atlas.example",
            extra_members: 7,
            pending: 3,
        },
    }
}

/// One account per preset with a user and key for every role (owner-level role first),
/// members, invites in every status and the audit history that led there.
pub fn demo(db: &Db, now: DateTime<Utc>) -> anyhow::Result<Vec<SeededAccount>> {
    let sealer = db.sealer();
    let hash = crate::join::hash_password(DEMO_PASSWORD)?;
    let mut out = Vec::new();
    for preset in PRESETS.iter() {
        let shape = demo_shape(preset.id);
        let policy = &preset.policy;
        let acc = db.blocking(|tx| {
            let (acc, acc_id) = insert_account(tx, shape.name, preset.id, now - Duration::days(120))?;
            let mut roles: Vec<_> = policy.roles.iter().collect();
            roles.sort_by_key(|r| !r.is_owner);
            let quota = |i: usize| policy.member_quotas.then_some([Some(50_000), None, Some(10_000), Some(2_000)][i % 4]).flatten();
            let mut keys = Vec::new();
            let mut owner_uid = 0;
            for (i, role) in roles.iter().enumerate() {
                let email = format!("{}@{}", role.id.replace('_', "-"), shape.domain);
                let name = PEOPLE[(i + 7) % PEOPLE.len()].0.to_string();
                let (uid, _) = insert_user(tx, &email, &name, Some(&hash), SIGN_IN[i % SIGN_IN.len()], now - Duration::days(120))?;
                insert_membership(tx, acc, uid, &role.id, now - Duration::days(110 - i as i64 * 7), Some(now - Duration::hours(2 + i as i64 * 5)), quota(i))?;
                if i == 0 {
                    owner_uid = uid;
                }
                keys.push(SeededKey { role: role.id.clone(), email, key: issue_key(tx, acc, uid, now)? });
            }
            let default_role = policy.default_role.as_str();
            let lifetime = Duration::days(policy.invite_lifetime_days as i64);
            // Every other invite by e-mail where both are allowed; else the one method there is.
            let by_email = |i: usize| (policy.delivery_methods.len() > 1 && i % 2 == 1) || policy.delivery_methods[0] == roster_api::Delivery::Email;
            let delivery = |i: usize| if by_email(i) { "email" } else { "link" };
            let add_invite = |tx: &Transaction<'_>, email: &str, role: &str, status: &str, created: DateTime<Utc>, i: usize, accepted_by: Option<i64>| -> rusqlite::Result<String> {
                let public_id = db::new_id("inv");
                let (token_hash, token_sealed) = tokens::new_token(&sealer);
                let decided = created + Duration::days(2);
                let idp = if policy.identity_provider_restriction && i % 3 == 1 { "microsoft" } else if policy.identity_provider_restriction && i % 3 == 2 { "google" } else { "any" };
                let tenant = (idp == "microsoft").then_some("contoso.onmicrosoft.com");
                tx.execute(
                    "INSERT INTO invites (public_id, account_id, email, role, delivery, status, token_hash, created_by, created_at, expires_at,
                        accepted_at, accepted_by, revoked_at, identity_provider, tenant_id, require_secure, times_sent, last_sent_at, lifetime_days, token_sealed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?9, ?18, ?19)",
                    params![
                        public_id, acc, email, role, delivery(i), status, token_hash, owner_uid, db::ts(created), db::ts(created + lifetime),
                        (status == "accepted").then(|| db::ts(decided)), accepted_by, (status == "revoked").then(|| db::ts(decided)),
                        idp, tenant, policy.secure_sign_in_option && i.is_multiple_of(2), 1 + (i % 2) as i64, policy.invite_lifetime_days,
                        token_sealed,
                    ],
                )?;
                audit(tx, acc, "invite_created", Some(owner_uid), "invite", &public_id, email, json!({"role": role, "delivery": delivery(i)}), created)?;
                Ok(public_id)
            };
            for i in 0..shape.extra_members {
                let (person, local) = PEOPLE[i % PEOPLE.len()];
                let email = format!("{local}@{}", shape.domain);
                let joined = now - Duration::days(90 - i as i64 * 11);
                let role = if i % 3 == 2 { roles.last().map_or(default_role, |r| r.id.as_str()) } else { default_role };
                let (uid, user_pub) = insert_user(tx, &email, person, Some(&hash), SIGN_IN[(i + 1) % SIGN_IN.len()], joined)?;
                let last_login = (i != 4).then(|| now - Duration::hours(3 + i as i64 * 19));
                insert_membership(tx, acc, uid, role, joined, last_login, quota(i + 1))?;
                let inv = add_invite(tx, &email, role, "accepted", joined - Duration::days(2), i, Some(uid))?;
                audit(tx, acc, "invite_accepted", Some(uid), "invite", &inv, &email, json!({"role": role, "user_id": user_pub, "name": person}), joined)?;
                if i == 1 && roles.len() > 2 {
                    let to = roles[1].id.as_str();
                    tx.execute("UPDATE memberships SET role = ?3 WHERE account_id = ?1 AND user_id = ?2", params![acc, uid, to])?;
                    audit(tx, acc, "member_role_changed", Some(owner_uid), "member", &user_pub, &email, json!({"from": role, "to": to}), joined + Duration::days(5))?;
                }
            }
            let base = shape.extra_members;
            for j in 0..shape.pending {
                let (_, local) = PEOPLE[(base + j) % PEOPLE.len()];
                add_invite(tx, &format!("{local}@{}", shape.domain), default_role, "pending", now - Duration::days(j as i64 + 1), j, None)?;
            }
            let expired_at = now - lifetime - Duration::days(3);
            add_invite(tx, &format!("old.contractor@{}", shape.domain), default_role, "pending", expired_at, 0, None)?;
            let revoked = add_invite(tx, &format!("typo.adress@{}", shape.domain), default_role, "revoked", now - Duration::days(20), 1, None)?;
            audit(tx, acc, "invite_revoked", Some(owner_uid), "invite", &revoked, &format!("typo.adress@{}", shape.domain), json!({"role": default_role}), now - Duration::days(18))?;
            let gone = format!("former.intern@{}", shape.domain);
            audit(tx, acc, "member_removed", Some(owner_uid), "member", &db::new_id("usr"), &gone, json!({"role": default_role}), now - Duration::days(30))?;
            in_date_order(tx, acc)?;
            Ok(SeededAccount { id: acc_id, name: shape.name.into(), preset: preset.id.into(), keys })
        })?;
        out.push(acc);
    }
    Ok(out)
}

/// Rewrites an account's seeded invites and audit events in date order. Lists page newest
/// first by insertion order, and the demo history above is written person by person, not
/// date by date.
fn in_date_order(tx: &Transaction<'_>, account: i64) -> rusqlite::Result<()> {
    const TABLES: [(&str, &str); 2] = [
        (
            "invites",
            "public_id, account_id, email, notification_email, role, delivery, status, token_hash, created_by, created_at, expires_at,
             accepted_at, accepted_by, revoked_at, identity_provider, tenant_id, require_secure, times_sent, last_sent_at, lifetime_days,
             token_sealed",
        ),
        ("audit", "account_id, action, actor_user_id, target_kind, target_id, target_email, details, created_at"),
    ];
    // Only the names from TABLES are spliced in (SQL cannot bind a table or column name);
    // the account id is bound like every value.
    for (table, cols) in TABLES {
        tx.execute(
            &format!("CREATE TEMP TABLE seed_sort AS SELECT * FROM {table} WHERE account_id = ?1"),
            [account],
        )?;
        tx.execute(&format!("DELETE FROM {table} WHERE account_id = ?1"), [account])?;
        tx.execute(
            &format!(
                "INSERT INTO {table} ({cols}) SELECT {cols} FROM seed_sort ORDER BY created_at, id"
            ),
            [],
        )?;
        tx.execute("DROP TABLE seed_sort", [])?;
    }
    Ok(())
}

/// A big team for benchmarks: `members` members (the first is the owner, whose key is
/// returned) and `invites` invites in every status, in one transaction.
pub fn scale(
    db: &Db,
    name: &str,
    preset: &str,
    members: usize,
    invites: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<SeededAccount> {
    let p = presets::find(preset)
        .ok_or_else(|| anyhow::anyhow!("unknown preset {preset}; one of: {}", preset_ids()))?;
    let owner_role = p.policy.roles.iter().find(|r| r.is_owner).expect("owner role").id.clone();
    let others: Vec<&str> =
        p.policy.roles.iter().filter(|r| !r.is_owner).map(|r| r.id.as_str()).collect();
    let tag = &db::new_id("s")[2..10];
    let sealer = db.sealer();
    db.blocking(|tx| {
        let (acc, acc_id) = insert_account(tx, name, preset, now)?;
        let mut owner = None;
        {
            let mut user = tx.prepare("INSERT INTO users (public_id, email, name, sign_in_method, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let mut member = tx.prepare("INSERT INTO memberships (account_id, user_id, role, joined_at, last_login_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for i in 0..members {
                let (first, _) = PEOPLE[i % PEOPLE.len()];
                let email = format!("user{i}.{tag}@scale.example");
                let at = now - Duration::minutes((members - i) as i64);
                user.execute(params![db::new_id("usr"), email, format!("{first} {i}"), SIGN_IN[i % SIGN_IN.len()], db::ts(at)])?;
                let uid = tx.last_insert_rowid();
                let role = if i == 0 { owner_role.as_str() } else { others[i % others.len()] };
                member.execute(params![acc, uid, role, db::ts(at), (i % 5 != 0).then(|| db::ts(at + Duration::hours(1)))])?;
                if i == 0 {
                    owner = Some((uid, email));
                }
            }
            let mut invite = tx.prepare(
                "INSERT INTO invites (public_id, account_id, email, role, delivery, status, token_hash, created_by, created_at, expires_at, times_sent, last_sent_at, lifetime_days, token_sealed)
                 VALUES (?1, ?2, ?3, ?4, 'link', ?5, ?6, ?7, ?8, ?9, 1, ?8, ?10, ?11)",
            )?;
            let owner_uid = owner.as_ref().map(|o| o.0);
            for i in 0..invites {
                let status = ["pending", "pending", "revoked", "expired"][i % 4];
                // Oldest first, so insertion order (which lists page by) matches creation time.
                let at = now - Duration::minutes((invites - i) as i64);
                let (token_hash, token_sealed) = tokens::new_token(&sealer);
                invite.execute(params![
                    db::new_id("inv"),
                    acc,
                    format!("invitee{i}.{tag}@scale.example"),
                    others[i % others.len()],
                    status,
                    token_hash,
                    owner_uid,
                    db::ts(at),
                    db::ts(at + Duration::days(p.policy.invite_lifetime_days as i64)),
                    p.policy.invite_lifetime_days,
                    token_sealed
                ])?;
            }
        }
        let (owner_uid, owner_email) = owner.ok_or_else(|| anyhow::anyhow!("--members must be at least 1"))?;
        let key = issue_key(tx, acc, owner_uid, now)?;
        Ok(SeededAccount { id: acc_id, name: name.into(), preset: preset.into(), keys: vec![SeededKey { role: owner_role, email: owner_email, key }] })
    })
}
