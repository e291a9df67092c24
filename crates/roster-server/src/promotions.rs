//! Owner promotion with confirmation: where the policy asks for it, making someone owner
//! creates a pending change that takes effect only when the requesting owner confirms it
//! through the link e-mailed to them. Managers can list and cancel pending ones.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use roster_api::{
    AuditAction, AuditEvent, ErrorCode, OwnerPromotion, Page, PromotionConfirmation,
    PromotionStatus, UserRef,
};
use rusqlite::{Transaction, params};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::Caller;
use crate::auth::CallerFacts;
use crate::db::{self, OptionalRow};
use crate::error::{ApiError, Json, Path, Query};
use crate::invites::Links;
use crate::mail::{self, Mail};
use crate::members::MemberRow;
use crate::pages::{self, esc};
use crate::paging::{check_limit, decode_cursor};
use crate::{AppState, presets};

const LIFETIME_HOURS: i64 = 72;

struct Row {
    rowid: i64,
    account_id: i64,
    user_id: i64,
    requested_by: i64,
    promotion: OwnerPromotion,
}

const SELECT: &str = "SELECT p.id, p.public_id, u.public_id, u.email, u.name, p.role, r.public_id, r.email, r.name, p.status,
        p.created_at, p.expires_at, p.decided_at, p.account_id, p.user_id, p.requested_by
    FROM owner_promotions p JOIN users u ON u.id = p.user_id JOIN users r ON r.id = p.requested_by";

fn row(r: &rusqlite::Row<'_>, now: &str) -> rusqlite::Result<Row> {
    let expires_at: String = r.get(11)?;
    let status = match r.get::<_, String>(9)?.as_str() {
        "pending" if expires_at.as_str() <= now => PromotionStatus::Expired,
        "pending" => PromotionStatus::Pending,
        "confirmed" => PromotionStatus::Confirmed,
        "cancelled" => PromotionStatus::Cancelled,
        _ => PromotionStatus::Expired,
    };
    Ok(Row {
        rowid: r.get(0)?,
        account_id: r.get(13)?,
        user_id: r.get(14)?,
        requested_by: r.get(15)?,
        promotion: OwnerPromotion {
            id: r.get(1)?,
            user: UserRef { id: r.get(2)?, email: r.get(3)?, name: r.get(4)? },
            role: r.get(5)?,
            requested_by: UserRef { id: r.get(6)?, email: r.get(7)?, name: r.get(8)? },
            status,
            created_at: db::parse_ts(&r.get::<_, String>(10)?),
            expires_at: db::parse_ts(&expires_at),
            decided_at: db::parse_ts_opt(r.get(12)?),
        },
    })
}

/// Creates (or returns the already pending) promotion of `target` to the owner role `role`
/// and e-mails the confirmation link to the requesting owner.
pub fn request(
    tx: &Transaction<'_>,
    facts: &CallerFacts,
    requester: &UserRef,
    target: &MemberRow,
    role: &str,
    now: chrono::DateTime<chrono::Utc>,
    links: &Links,
) -> Result<(OwnerPromotion, Vec<(i64, AuditEvent)>), ApiError> {
    let base = &links.base;
    let now_s = db::ts(now);
    let existing = tx
        .query_row(
            &format!("{SELECT} WHERE p.account_id = ?1 AND p.user_id = ?2 AND p.status = 'pending' AND p.expires_at > ?3"),
            params![facts.account_id, target.user_id, now_s],
            |r| row(r, &now_s),
        )
        .opt()?;
    if let Some(existing) = existing {
        return Ok((existing.promotion, vec![]));
    }
    let public_id = db::new_id("opr");
    let token = db::new_secret("");
    let expires_at = now + chrono::Duration::hours(LIFETIME_HOURS);
    tx.execute(
        "INSERT INTO owner_promotions (public_id, account_id, user_id, role, requested_by, token_hash, status, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
        params![public_id, facts.account_id, target.user_id, role, facts.user_id, db::sha256(&token), now_s, db::ts(expires_at)],
    )?;
    let role_name = facts.policy.role(role).map_or(role, |r| r.name.as_str());
    mail::enqueue(
        tx,
        now,
        &links.sealer,
        Mail {
            account_id: Some(facts.account_id),
            kind: "owner_promotion_confirm",
            secret: Some(&token),
            to: &requester.email,
            subject: format!(
                "Confirm: make {} {role_name} of {}",
                target.member.name, facts.account_name
            ),
            body: format!(
                "You asked to make {} ({}) {role_name} of {}.\n\nThe change takes effect only when you confirm it here:\n{base}/confirm-owner/{token}\n\nThe link works for {LIFETIME_HOURS} hours. If you did not ask for this, ignore this e-mail and cancel the request in Roster.\n",
                target.member.name, target.member.email, facts.account_name
            ),
        },
    )?;
    let ev = audit::record(
        tx,
        facts.account_id,
        AuditAction::OwnerPromotionRequested,
        Some(facts.user_id),
        Target::member(&target.member),
        json!({"from": target.member.role, "to": role, "promotion_id": public_id}),
        now,
    )?;
    let p = tx
        .query_row(&format!("{SELECT} WHERE p.public_id = ?1"), [&public_id], |r| row(r, &now_s))?;
    Ok((p.promotion, vec![ev]))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<PromotionStatus>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<OwnerPromotion>>, ApiError> {
    caller.require_manager()?;
    let limit = check_limit(query.limit)?;
    let before = decode_cursor(query.cursor.as_deref())?.unwrap_or(i64::MAX);
    let account_id = caller.account_id;
    let now = db::ts(st.now());
    let page = st
        .db
        .read(move |tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "{SELECT} WHERE p.account_id = ?1 AND p.id < ?2 ORDER BY p.id DESC"
            ))?;
            let mut rows = Vec::new();
            for r in stmt.query_map(params![account_id, before], |r| row(r, &now))? {
                let r = r?;
                if query.status.is_none_or(|s| s == r.promotion.status) {
                    rows.push((r.rowid, r.promotion));
                    if rows.len() > limit {
                        break;
                    }
                }
            }
            Ok(crate::paging::page(rows, limit))
        })
        .await?;
    Ok(axum::Json(page))
}

pub async fn cancel(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<OwnerPromotion>, ApiError> {
    caller.require_manager()?;
    let account_id = caller.account_id;
    let actor = caller.user_id;
    let now = st.now();
    let (p, events) = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            let cur = tx
                .query_row(
                    &format!("{SELECT} WHERE p.account_id = ?1 AND p.public_id = ?2"),
                    params![account_id, id],
                    |r| row(r, &now_s),
                )
                .opt()?
                .ok_or_else(|| ApiError::not_found("owner promotion"))?;
            if cur.promotion.status != PromotionStatus::Pending {
                return Err(not_pending(&cur.promotion));
            }
            tx.execute(
                "UPDATE owner_promotions SET status = 'cancelled', decided_at = ?2 WHERE id = ?1",
                params![cur.rowid, now_s],
            )?;
            let ev = audit::record(
                tx,
                account_id,
                AuditAction::OwnerPromotionCancelled,
                Some(actor),
                Target::user(&cur.promotion.user),
                json!({"promotion_id": cur.promotion.id}),
                now,
            )?;
            let p = tx
                .query_row(&format!("{SELECT} WHERE p.id = ?1"), [cur.rowid], |r| row(r, &now_s))?;
            Ok((p.promotion, vec![ev]))
        })
        .await?;
    st.publish(events);
    Ok(axum::Json(p))
}

fn not_pending(p: &OwnerPromotion) -> ApiError {
    let state = match p.status {
        PromotionStatus::Confirmed => "already confirmed",
        PromotionStatus::Cancelled => "cancelled",
        PromotionStatus::Expired => "expired",
        PromotionStatus::Pending => "pending",
    };
    ApiError::conflict(
        ErrorCode::PromotionNotPending,
        format!(
            "This owner promotion was {state}. Ask for a new one from the member's role menu if it is still wanted."
        ),
    )
}

/// Applies the promotion the token stands for; returns it and the account's name.
async fn confirm_token(st: &AppState, token: String) -> Result<(OwnerPromotion, String), ApiError> {
    if token.is_empty() || token.len() > 200 {
        return Err(ApiError::not_found("owner promotion"));
    }
    let now = st.now();
    let sealer = st.db.sealer();
    let (p, account_name, events) = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            let cur = tx
                .query_row(&format!("{SELECT} WHERE p.token_hash = ?1"), [db::sha256(&token)], |r| row(r, &now_s))
                .opt()?
                .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "This confirmation link is not valid. Copy the whole link from the e-mail."))?;
            if cur.promotion.status != PromotionStatus::Pending {
                return Err(not_pending(&cur.promotion));
            }
            let (account_name, preset): (String, String) =
                tx.query_row("SELECT name, preset FROM accounts WHERE id = ?1", [cur.account_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let policy = &presets::find(&preset).ok_or_else(|| ApiError::internal("unknown preset"))?.policy;
            let requester_role: Option<String> = tx
                .query_row("SELECT role FROM memberships WHERE account_id = ?1 AND user_id = ?2", params![cur.account_id, cur.requested_by], |r| r.get(0))
                .opt()?;
            if !requester_role.is_some_and(|r| policy.role(&r).is_some_and(|r| r.is_owner)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::OwnerOnly,
                    "The owner who asked for this is no longer an owner of the team, so it cannot take effect.",
                ));
            }
            let target_role: Option<String> = tx
                .query_row("SELECT role FROM memberships WHERE account_id = ?1 AND user_id = ?2", params![cur.account_id, cur.user_id], |r| r.get(0))
                .opt()?;
            let Some(from) = target_role else {
                return Err(ApiError::conflict(ErrorCode::PromotionNotPending, format!("{} is no longer a member of {account_name}.", cur.promotion.user.name)));
            };
            tx.execute("UPDATE memberships SET role = ?3 WHERE account_id = ?1 AND user_id = ?2", params![cur.account_id, cur.user_id, cur.promotion.role])?;
            tx.execute("UPDATE owner_promotions SET status = 'confirmed', decided_at = ?2 WHERE id = ?1", params![cur.rowid, now_s])?;
            let ev = audit::record(
                tx,
                cur.account_id,
                AuditAction::OwnerPromotionConfirmed,
                Some(cur.requested_by),
                Target::user(&cur.promotion.user),
                json!({"from": from, "to": cur.promotion.role, "promotion_id": cur.promotion.id}),
                now,
            )?;
            let role_name = policy.role(&cur.promotion.role).map_or(cur.promotion.role.clone(), |r| r.name.clone());
            mail::enqueue(
                tx,
                now,
                &sealer,
                Mail {
                    account_id: Some(cur.account_id),
                    kind: "owner_promotion_done",
                    secret: None,
                    to: &cur.promotion.user.email,
                    subject: format!("You are now {role_name} of {account_name}"),
                    body: format!("{} made you {role_name} of {account_name}.\n", cur.promotion.requested_by.name),
                },
            )?;
            let p = tx.query_row(&format!("{SELECT} WHERE p.id = ?1"), [cur.rowid], |r| row(r, &now_s))?;
            Ok((p.promotion, account_name, vec![ev]))
        })
        .await?;
    st.publish(events);
    st.mailer.kick();
    Ok((p, account_name))
}

pub async fn confirm(
    State(st): State<AppState>,
    Json(body): Json<PromotionConfirmation>,
) -> Result<axum::Json<OwnerPromotion>, ApiError> {
    Ok(axum::Json(confirm_token(&st, body.token).await?.0))
}

pub async fn page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    let now = st.now();
    let found = st
        .db
        .read(move |tx| {
            let now_s = db::ts(now);
            let p = tx
                .query_row(
                    &format!("{SELECT} WHERE p.token_hash = ?1"),
                    [db::sha256(&token)],
                    |r| row(r, &now_s),
                )
                .opt()?;
            let Some(p) = p else { return Ok(None) };
            let name: String =
                tx.query_row("SELECT name FROM accounts WHERE id = ?1", [p.account_id], |r| {
                    r.get(0)
                })?;
            Ok(Some((p.promotion, name)))
        })
        .await;
    match found {
        Ok(Some((p, account))) if p.status == PromotionStatus::Pending => pages::page(
            StatusCode::OK,
            "Confirm new owner",
            &format!(
                "<h1>Make {} an owner of {}?</h1><p>{} ({}) will get full control of the team, including billing and removing other owners.</p>\
                 <p class=\"muted\">You asked for this change; it takes effect only when you confirm.</p>\
                 <form method=\"post\"><button type=\"submit\">Confirm</button></form>",
                esc(&p.user.name),
                esc(&account),
                esc(&p.user.name),
                esc(&p.user.email)
            ),
        ),
        Ok(Some((p, _))) => pages::problem_page(&not_pending(&p)),
        Ok(None) => pages::problem_page(&ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "This confirmation link is not valid. Copy the whole link from the e-mail.",
        )),
        Err(e) => pages::problem_page(&e),
    }
}

pub async fn submit(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    match confirm_token(&st, token).await {
        Ok((p, account)) => pages::page(
            StatusCode::OK,
            "Owner confirmed",
            &format!(
                "<h1>Done</h1><p>{} is now an owner of {}.</p>",
                esc(&p.user.name),
                esc(&account)
            ),
        ),
        Err(e) => pages::problem_page(&e),
    }
}
