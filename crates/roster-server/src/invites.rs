//! `/v1/invites`: create (idempotent), list, read, resend, revoke. The seat limit counts
//! members plus pending invites and is checked in the same transaction as the insert.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_api::{
    AuditAction, Delivery, ErrorCode, IdentityProvider, IdentityProviderRestriction, Invite,
    InviteStatus, NewInvite, Page, TeamPolicy, UserRef,
};
use rusqlite::{Transaction, params};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::audit::{self, Target};
use crate::auth::Caller;
use crate::auth::CallerFacts;
use crate::db::{self, OptionalRow};
use crate::error::{ApiError, Json, Path, Query};
use crate::mail::{self, Mail};
use crate::members::{seats, unknown_role_message};
use crate::paging::{check_limit, decode_cursor, like_pattern, page};
use crate::tokens::{self, Sealer};

pub(crate) const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;

pub struct InviteRow {
    pub rowid: i64,
    pub account_id: i64,
    pub invite: Invite,
}

const SELECT: &str = "SELECT i.id, i.public_id, i.email, i.notification_email, i.role, i.delivery, i.status, i.token_sealed,
        i.created_at, i.expires_at, i.accepted_at, i.revoked_at, i.identity_provider, i.tenant_id, i.require_secure,
        i.times_sent, i.last_sent_at, cu.public_id, cu.email, cu.name, au.public_id, au.email, au.name, i.account_id
    FROM invites i LEFT JOIN users cu ON cu.id = i.created_by LEFT JOIN users au ON au.id = i.accepted_by";

fn user_ref(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<UserRef>> {
    Ok(match r.get::<_, Option<String>>(at)? {
        Some(id) => Some(UserRef { id, email: r.get(at + 1)?, name: r.get(at + 2)? }),
        None => None,
    })
}

/// How a pending invite's link is made, for a caller who manages the team: the server's public
/// address and the key that opens the invite's sealed token (`tokens`).
#[derive(Clone)]
pub struct Links {
    pub(crate) base: Arc<str>,
    pub(crate) sealer: Arc<Sealer>,
}

impl Links {
    pub fn new(base: Arc<str>, sealer: Arc<Sealer>) -> Links {
        Links { base, sealer }
    }

    fn link(&self, sealed: Option<&[u8]>) -> Option<String> {
        let token = self.sealer.open(sealed?)?;
        Some(format!("{}/join/{token}", self.base))
    }
}

/// `links`: the caller manages the team; the link is shown only then, and only while pending.
fn row(r: &rusqlite::Row<'_>, now: &str, links: Option<&Links>) -> rusqlite::Result<InviteRow> {
    let stored: String = r.get(6)?;
    let expires_at: String = r.get(9)?;
    let status = match stored.as_str() {
        "pending" if expires_at.as_str() <= now => InviteStatus::Expired,
        "pending" => InviteStatus::Pending,
        "accepted" => InviteStatus::Accepted,
        "revoked" => InviteStatus::Revoked,
        _ => InviteStatus::Expired,
    };
    let sealed: Option<Vec<u8>> = r.get(7)?;
    let provider = match r.get::<_, String>(12)?.as_str() {
        "google" => IdentityProvider::Google,
        "microsoft" => IdentityProvider::Microsoft,
        _ => IdentityProvider::Any,
    };
    Ok(InviteRow {
        rowid: r.get(0)?,
        account_id: r.get(23)?,
        invite: Invite {
            id: r.get(1)?,
            email: r.get(2)?,
            notification_email: r.get(3)?,
            role: r.get(4)?,
            delivery: if r.get::<_, String>(5)? == "email" {
                Delivery::Email
            } else {
                Delivery::Link
            },
            status,
            created_by: user_ref(r, 17)?,
            created_at: db::parse_ts(&r.get::<_, String>(8)?),
            expires_at: db::parse_ts(&expires_at),
            accepted_at: db::parse_ts_opt(r.get(10)?),
            accepted_by: user_ref(r, 20)?,
            revoked_at: db::parse_ts_opt(r.get(11)?),
            identity_provider: IdentityProviderRestriction { provider, tenant_id: r.get(13)? },
            require_secure_sign_in: r.get(14)?,
            times_sent: r.get(15)?,
            last_sent_at: db::parse_ts_opt(r.get(16)?),
            link: links
                .filter(|_| status == InviteStatus::Pending)
                .and_then(|l| l.link(sealed.as_deref())),
        },
    })
}

pub fn find_by_token(
    tx: &Transaction<'_>,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<InviteRow>, ApiError> {
    let now = db::ts(now);
    Ok(tx
        .query_row(&format!("{SELECT} WHERE i.token_hash = ?1"), [tokens::hash(token)], |r| {
            row(r, &now, None)
        })
        .opt()?)
}

fn find(
    tx: &Transaction<'_>,
    account_id: i64,
    id: &str,
    now: &str,
    links: Option<&Links>,
) -> Result<InviteRow, ApiError> {
    tx.query_row(
        &format!("{SELECT} WHERE i.account_id = ?1 AND i.public_id = ?2"),
        params![account_id, id],
        |r| row(r, now, links),
    )
    .opt()?
    .ok_or_else(|| ApiError::not_found("invite"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<InviteStatus>,
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<Invite>>, ApiError> {
    let limit = check_limit(query.limit)?;
    let before = decode_cursor(query.cursor.as_deref())?.unwrap_or(i64::MAX);
    let pattern = like_pattern(query.q.as_deref())?;
    let with_link = caller.manages_team();
    let account_id = caller.account_id;
    let now = db::ts(st.now());
    let links = st.links();
    let status_sql = match query.status {
        None => "1",
        Some(InviteStatus::Pending) => "i.status = 'pending' AND i.expires_at > ?3",
        Some(InviteStatus::Expired) => {
            "(i.status = 'expired' OR (i.status = 'pending' AND i.expires_at <= ?3))"
        }
        Some(InviteStatus::Accepted) => "i.status = 'accepted'",
        Some(InviteStatus::Revoked) => "i.status = 'revoked'",
    };
    let page = st
        .db
        .read(move |tx| {
            let mut st = tx.prepare_cached(&format!(
                "{SELECT} WHERE i.account_id = ?1 AND i.id < ?2 AND {status_sql} AND (?4 IS NULL OR i.email LIKE ?4 ESCAPE '\\')
                 AND ?3 IS NOT NULL ORDER BY i.id DESC LIMIT ?5"
            ))?;
            let rows = st
                .query_map(params![account_id, before, now, pattern, limit as i64 + 1], |r| row(r, &now, with_link.then_some(&links)))?
                .map(|r| r.map(|i| (i.rowid, i.invite)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(page(rows, limit))
        })
        .await?;
    Ok(axum::Json(page))
}

pub async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Invite>, ApiError> {
    let with_link = caller.manages_team();
    let account_id = caller.account_id;
    let now = db::ts(st.now());
    let links = st.links();
    let inv =
        st.db.read(move |tx| find(tx, account_id, &id, &now, with_link.then_some(&links))).await?;
    Ok(axum::Json(inv.invite))
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
}

/// Checks a new invite against the policy; returns it normalised (trimmed, defaults filled).
fn validate(
    policy: &TeamPolicy,
    mut new: NewInvite,
) -> Result<(NewInvite, Delivery, IdentityProviderRestriction, u32), ApiError> {
    new.email = new.email.trim().to_string();
    let idp = new.identity_provider.clone().unwrap_or_default();
    if idp.provider != IdentityProvider::Any && !policy.identity_provider_restriction {
        return Err(ApiError::unprocessable(
            ErrorCode::NotAllowedByPolicy,
            "This team cannot restrict invites to an identity provider.",
        ));
    }
    if idp.tenant_id.is_some() && idp.provider != IdentityProvider::Microsoft {
        return Err(ApiError::field(
            "identity_provider.tenant_id",
            "a tenant id only applies to Microsoft sign-in",
        ));
    }
    if let Some(t) = &idp.tenant_id
        && (t.is_empty()
            || t.len() > 128
            || t.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')))
    {
        return Err(ApiError::field(
            "identity_provider.tenant_id",
            "a tenant id is a GUID or a domain such as contoso.onmicrosoft.com",
        ));
    }
    // With an identity provider the username may be a login name rather than an address.
    let username_ok = if idp.provider == IdentityProvider::Any {
        looks_like_email(&new.email)
    } else {
        !new.email.is_empty() && !new.email.chars().any(|c| c.is_whitespace() || c.is_control())
    };
    if new.email.len() < 3 || new.email.len() > 320 || !username_ok {
        return Err(ApiError::field("email", "enter an e-mail address such as ana@example.com"));
    }
    let delivery = new.delivery.unwrap_or(policy.delivery_methods[0]);
    if !policy.delivery_methods.contains(&delivery) {
        let allowed: Vec<&str> = policy
            .delivery_methods
            .iter()
            .map(|d| if *d == Delivery::Link { "link" } else { "email" })
            .collect();
        return Err(ApiError::unprocessable(
            ErrorCode::NotAllowedByPolicy,
            format!("This team sends invites by {} only.", allowed.join(" or ")),
        ));
    }
    if let Some(n) = &mut new.notification_email {
        *n = n.trim().to_string();
        if !policy.notification_email {
            return Err(ApiError::unprocessable(
                ErrorCode::NotAllowedByPolicy,
                "This team does not take a separate notification e-mail.",
            ));
        }
        if !looks_like_email(n) || n.len() > 320 {
            return Err(ApiError::field(
                "notification_email",
                "enter an e-mail address such as ana@example.com",
            ));
        }
    }
    if delivery == Delivery::Email
        && new.notification_email.is_none()
        && !looks_like_email(&new.email)
    {
        return Err(ApiError::field(
            "notification_email",
            "the username is not an e-mail address: add a notification e-mail or share the link instead",
        ));
    }
    if new.require_secure_sign_in && !policy.secure_sign_in_option {
        return Err(ApiError::unprocessable(
            ErrorCode::NotAllowedByPolicy,
            "This team has no secure sign-in requirement for invites.",
        ));
    }
    let days = new.expires_in_days.unwrap_or(policy.invite_lifetime_days);
    if days == 0 || days > policy.invite_lifetime_days {
        return Err(ApiError::field(
            "expires_in_days",
            format!("must be between 1 and {}", policy.invite_lifetime_days),
        ));
    }
    Ok((new, delivery, idp, days))
}

pub fn seat_limit_error(account: &str, members: u32, pending: u32, limit: u32) -> ApiError {
    ApiError::conflict(
        ErrorCode::SeatLimitReached,
        format!(
            "All {limit} seats of {account} are taken ({members} members, {pending} pending invites). Revoke a pending invite or remove a member, or ask for more seats."
        ),
    )
}

/// Marks stored-pending invites past their expiry as expired, so the one-pending-invite-per-
/// e-mail index lets a new invite for that address in.
fn settle_expired(
    tx: &Transaction<'_>,
    account_id: i64,
    email: &str,
    now: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE invites SET status = 'expired' WHERE account_id = ?1 AND email = ?2 AND status = 'pending' AND expires_at <= ?3",
        params![account_id, email, now],
    )?;
    Ok(())
}

/// Refuses an invite to someone already on the team or already invited, or past the seats.
fn check_can_invite(
    tx: &Transaction<'_>,
    facts: &CallerFacts,
    email: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let is_member: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ?1 AND u.email = ?2)",
        params![facts.account_id, email],
        |r| r.get(0),
    )?;
    if is_member {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyMember,
            format!("{email} is already a member of {}.", facts.account_name),
        ));
    }
    let pending: Option<String> = tx
        .query_row(
            "SELECT public_id FROM invites WHERE account_id = ?1 AND email = ?2 AND status = 'pending'",
            params![facts.account_id, email],
            |r| r.get(0),
        )
        .opt()?;
    if pending.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::InviteExists,
            format!(
                "{email} already has a pending invite to {}. Copy its link again or resend it instead.",
                facts.account_name
            ),
        ));
    }
    // Counting seats reads every pending invite: only teams with a limit pay for it.
    if let Some(limit) = facts.policy.seat_limit {
        let s = seats(tx, facts.account_id, facts.policy, now)?;
        if s.used >= limit {
            return Err(seat_limit_error(&facts.account_name, s.members, s.pending_invites, limit));
        }
    }
    Ok(())
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of the message; a struct would only name them twice"
)]
fn invite_mail<'a>(
    account_id: i64,
    account: &str,
    inviter: &str,
    role_name: &str,
    to: &'a str,
    link: &'a str,
    expires: &str,
    kind: &'a str,
) -> Mail<'a> {
    Mail {
        account_id: Some(account_id),
        kind,
        to,
        subject: format!("{inviter} invited you to {account} on Roster"),
        secret: link.rsplit_once("/join/").map(|(_, token)| token),
        body: format!(
            "{inviter} invited you to join {account} as {role_name}.\n\nOpen this link to accept:\n{link}\n\nThe link works until {expires} UTC. If you did not expect this, ignore this e-mail.\n"
        ),
    }
}

/// The optional `Idempotency-Key` of `POST /v1/invites` and `POST /v1/join`.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let k = v.to_str().ok().filter(|k| {
        !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
    });
    Ok(Some(
        k.ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key: 1 to 255 visible ASCII characters.")
        })?
        .to_string(),
    ))
}

fn request_hash(new: &NewInvite) -> Vec<u8> {
    db::sha256(&serde_json::to_string(new).unwrap_or_default())
}

pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(new): Json<NewInvite>,
) -> Result<Response, ApiError> {
    caller.require_manager()?;
    let idem_key = idempotency_key(&headers)?;
    let policy = caller.policy();
    let hash = request_hash(&new);
    let role = policy.role(&new.role).ok_or_else(|| {
        ApiError::unprocessable(ErrorCode::UnknownRole, unknown_role_message(policy, &new.role))
    })?;
    if role.is_owner {
        caller.require_owner("invite someone as an owner")?;
        // Joining applies the invite's role with nobody confirming it, so an owner-level
        // invite would skip the confirmation this policy puts on every new owner.
        if policy.owner_promotion_confirmation {
            return Err(ApiError::unprocessable(
                ErrorCode::NotAllowedByPolicy,
                format!(
                    "An invite cannot make someone {0} on this team. Invite them with another role, then make them {0}: the requesting owner confirms that by e-mail.",
                    role.name
                ),
            ));
        }
    }
    let role_name = role.name.clone();
    let (new, delivery, idp, days) = validate(policy, new)?;
    st.limiter
        .take(format!("invite:{}", caller.account_id), st.limiter.limits.invites_per_minute)?;

    let facts = CallerFacts::of(&caller);
    let key_id = caller.key_id;
    let inviter = caller.user.name.clone();
    let now = st.now();
    let links = st.links();
    let outcome = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            if let Some(k) = &idem_key {
                let since = db::ts(now - chrono::Duration::hours(IDEMPOTENCY_WINDOW_HOURS));
                tx.execute("DELETE FROM idempotency WHERE created_at < ?1", [&since])?;
                let prior: Option<(Vec<u8>, u16, String)> = tx
                    .query_row("SELECT request_hash, status, body FROM idempotency WHERE key_id = ?1 AND idem_key = ?2", params![key_id, k], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .opt()?;
                if let Some((prior_hash, status, body)) = prior {
                    if prior_hash != hash {
                        return Err(ApiError::unprocessable(
                            ErrorCode::IdempotencyMismatch,
                            "This Idempotency-Key was already used with a different request body. Use a new key for a new invite.",
                        ));
                    }
                    // Stored without its link (no token at rest): the link is the invite's own,
                    // while it is still pending.
                    let mut inv: Invite = serde_json::from_str(&body)
                        .map_err(|e| ApiError::internal(format!("stored replay: {e}")))?;
                    inv.link = find(tx, facts.account_id, &inv.id, &now_s, Some(&links))?.invite.link;
                    let body = serde_json::to_string(&inv).map_err(|e| ApiError::internal(e.to_string()))?;
                    return Ok(Created::Replay(status, body));
                }
            }
            settle_expired(tx, facts.account_id, &new.email, &now_s)?;
            check_can_invite(tx, &facts, &new.email, now)?;
            let public_id = db::new_id("inv");
            let (token_hash, token_sealed) = tokens::new_token(&links.sealer);
            let expires_at = now + chrono::Duration::days(days as i64);
            let provider = match idp.provider {
                IdentityProvider::Any => "any",
                IdentityProvider::Google => "google",
                IdentityProvider::Microsoft => "microsoft",
            };
            tx.execute(
                "INSERT INTO invites (public_id, account_id, email, notification_email, role, delivery, status, token_hash, created_by, created_at,
                    expires_at, lifetime_days, identity_provider, tenant_id, require_secure, times_sent, last_sent_at, token_sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?14, ?11, ?12, ?13, 1, ?9, ?15)",
                params![
                    public_id,
                    facts.account_id,
                    new.email,
                    new.notification_email,
                    new.role,
                    if delivery == Delivery::Email { "email" } else { "link" },
                    token_hash,
                    facts.user_id,
                    now_s,
                    db::ts(expires_at),
                    provider,
                    idp.tenant_id,
                    new.require_secure_sign_in,
                    days,
                    token_sealed,
                ],
            )?;
            let inv = find(tx, facts.account_id, &public_id, &now_s, Some(&links))?.invite;
            let link = inv.link.clone().unwrap_or_default();
            if delivery == Delivery::Email {
                let to = inv.notification_email.as_deref().unwrap_or(&inv.email);
                let expires = expires_at.format("%e %b %Y %H:%M").to_string();
                mail::enqueue(tx, now, &links.sealer, invite_mail(facts.account_id, &facts.account_name, &inviter, &role_name, to, &link, &expires, "invite"))?;
            }
            let ev = audit::record(
                tx,
                facts.account_id,
                AuditAction::InviteCreated,
                Some(facts.user_id),
                Target::invite(&inv.id, &inv.email),
                json!({"role": inv.role, "delivery": delivery, "expires_at": inv.expires_at}),
                now,
            )?;
            let body = serde_json::to_string(&inv).map_err(|e| ApiError::internal(e.to_string()))?;
            if let Some(k) = &idem_key {
                let stored = Invite { link: None, ..inv.clone() };
                let stored = serde_json::to_string(&stored).map_err(|e| ApiError::internal(e.to_string()))?;
                tx.execute(
                    "INSERT INTO idempotency (key_id, idem_key, request_hash, status, body, created_at) VALUES (?1, ?2, ?3, 201, ?4, ?5)",
                    params![key_id, k, hash, stored, now_s],
                )?;
            }
            Ok(Created::Fresh(body, vec![ev], delivery == Delivery::Email))
        })
        .await?;
    Ok(match outcome {
        Created::Fresh(body, events, mailed) => {
            st.publish(events);
            if mailed {
                st.mailer.kick();
            }
            json_response(StatusCode::CREATED, body, false)
        }
        Created::Replay(status, body) => {
            json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED), body, true)
        }
    })
}

enum Created {
    Fresh(String, Vec<(i64, roster_api::AuditEvent)>, bool),
    Replay(u16, String),
}

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// Invites to an owner-level role are the owners' business: only they create, resend or
/// revoke them.
fn require_owner_for_owner_invite(
    facts: &CallerFacts,
    invite: &Invite,
    verb: &str,
) -> Result<(), ApiError> {
    if facts.is_owner || !facts.policy.role(&invite.role).is_some_and(|r| r.is_owner) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::OwnerOnly,
        format!(
            "Only {} can {verb} an invite to an owner role.",
            crate::auth::role_names(facts.policy, |r| r.is_owner)
        ),
    ))
}

pub async fn resend(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Invite>, ApiError> {
    caller.require_manager()?;
    let facts = CallerFacts::of(&caller);
    let inviter = caller.user.name.clone();
    let now = st.now();
    let links = st.links();
    let (inv, events, mailed) = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            let cur = find(tx, facts.account_id, &id, &now_s, Some(&links))?;
            require_owner_for_owner_invite(&facts, &cur.invite, "resend")?;
            match cur.invite.status {
                InviteStatus::Accepted | InviteStatus::Revoked => {
                    return Err(ApiError::conflict(
                        ErrorCode::InviteNotPending,
                        format!("This invite was {}; it cannot be resent. Create a new invite if the person should still join.", cur.invite.status.as_str()),
                    ));
                }
                InviteStatus::Expired => {
                    // Reviving an expired invite takes a seat and the address's one pending slot again.
                    tx.execute("UPDATE invites SET status = 'expired' WHERE id = ?1", [cur.rowid])?;
                    check_can_invite(tx, &facts, &cur.invite.email, now)?;
                }
                InviteStatus::Pending => {}
            }
            let days: i64 = tx.query_row("SELECT lifetime_days FROM invites WHERE id = ?1", [cur.rowid], |r| r.get(0))?;
            let expires_at = now + chrono::Duration::days(days);
            tx.execute(
                "UPDATE invites SET status = 'pending', expires_at = ?2, times_sent = times_sent + 1, last_sent_at = ?3 WHERE id = ?1",
                params![cur.rowid, db::ts(expires_at), now_s],
            )?;
            let inv = find(tx, facts.account_id, &id, &now_s, Some(&links))?.invite;
            let mailed = inv.delivery == Delivery::Email;
            if mailed {
                let to = inv.notification_email.as_deref().unwrap_or(&inv.email);
                let role_name = facts.policy.role(&inv.role).map_or(inv.role.clone(), |r| r.name.clone());
                let expires = expires_at.format("%e %b %Y %H:%M").to_string();
                let link = inv.link.clone().unwrap_or_default();
                mail::enqueue(tx, now, &links.sealer, invite_mail(facts.account_id, &facts.account_name, &inviter, &role_name, to, &link, &expires, "invite_resend"))?;
            }
            let ev = audit::record(
                tx,
                facts.account_id,
                AuditAction::InviteResent,
                Some(facts.user_id),
                Target::invite(&inv.id, &inv.email),
                json!({"times_sent": inv.times_sent, "expires_at": inv.expires_at}),
                now,
            )?;
            Ok((inv, vec![ev], mailed))
        })
        .await?;
    st.publish(events);
    if mailed {
        st.mailer.kick();
    }
    Ok(axum::Json(inv))
}

pub async fn revoke(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Invite>, ApiError> {
    caller.require_manager()?;
    let facts = CallerFacts::of(&caller);
    let now = st.now();
    let links = st.links();
    let (inv, events) = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            let cur = find(tx, facts.account_id, &id, &now_s, Some(&links))?;
            require_owner_for_owner_invite(&facts, &cur.invite, "revoke")?;
            if cur.invite.status != InviteStatus::Pending {
                return Err(ApiError::conflict(
                    ErrorCode::InviteNotPending,
                    format!(
                        "This invite is already {}; only pending invites can be revoked.",
                        cur.invite.status.as_str()
                    ),
                ));
            }
            tx.execute(
                "UPDATE invites SET status = 'revoked', revoked_at = ?2 WHERE id = ?1",
                params![cur.rowid, now_s],
            )?;
            let inv = find(tx, facts.account_id, &id, &now_s, Some(&links))?.invite;
            let ev = audit::record(
                tx,
                facts.account_id,
                AuditAction::InviteRevoked,
                Some(facts.user_id),
                Target::invite(&inv.id, &inv.email),
                json!({"role": inv.role}),
                now,
            )?;
            Ok((inv, vec![ev]))
        })
        .await?;
    st.publish(events);
    Ok(axum::Json(inv))
}
