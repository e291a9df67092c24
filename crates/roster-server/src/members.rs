//! `/v1/me`, `/v1/roles` and `/v1/members`: reading the team, changing roles and quotas,
//! removing members and leaving, with the last-owner guard.

use axum::extract::State;
use axum::http::StatusCode;
use roster_api::{
    AuditAction, ErrorCode, Me, Member, MemberPatch, MemberSort, MemberUpdate, Page, Role, Seats,
    SignInMethod, TeamPolicy,
};
use rusqlite::{Transaction, params};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::{Caller, CallerFacts, View};
use crate::db::{self, OptionalRow};
use crate::error::{ApiError, Json, Path, Query};
use crate::paging::{check_limit, decode_cursor, encode_cursor, like_pattern};
use crate::{AppState, promotions};

pub async fn me(State(st): State<AppState>, caller: Caller) -> Result<axum::Json<Me>, ApiError> {
    let now = st.now();
    let account_id = caller.account_id;
    let policy = caller.policy();
    let seats = st.db.read(move |tx| seats(tx, account_id, policy, now)).await?;
    Ok(axum::Json(Me {
        account: caller.account,
        user: caller.user,
        role: caller.role,
        policy: policy.clone(),
        seats,
    }))
}

pub async fn roles(caller: Caller) -> axum::Json<Page<Role>> {
    axum::Json(Page { data: caller.policy().roles.clone(), next_cursor: None })
}

pub fn seats(
    tx: &Transaction<'_>,
    account_id: i64,
    policy: &TeamPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Seats, ApiError> {
    let members: u32 = tx.query_row(
        "SELECT count(*) FROM memberships WHERE account_id = ?1",
        [account_id],
        |r| r.get(0),
    )?;
    let pending_invites: u32 = tx.query_row(
        "SELECT count(*) FROM invites WHERE account_id = ?1 AND status = 'pending' AND expires_at > ?2",
        params![account_id, db::ts(now)],
        |r| r.get(0),
    )?;
    Ok(Seats {
        members,
        pending_invites,
        used: members + pending_invites,
        limit: policy.seat_limit,
    })
}

const MEMBER_COLUMNS: &str = "m.id, u.id, u.public_id, u.email, u.name, m.role, m.joined_at, m.last_login_at, u.sign_in_method, m.quota";

pub struct MemberRow {
    pub membership_id: i64,
    pub user_id: i64,
    pub member: Member,
}

fn member_row(r: &rusqlite::Row<'_>, view: View) -> rusqlite::Result<MemberRow> {
    let sign_in: String = r.get(8)?;
    let quota: Option<i64> = r.get(9)?;
    Ok(MemberRow {
        membership_id: r.get(0)?,
        user_id: r.get(1)?,
        member: Member {
            user_id: r.get(2)?,
            email: r.get(3)?,
            name: r.get(4)?,
            role: r.get(5)?,
            joined_at: db::parse_ts(&r.get::<_, String>(6)?),
            last_login_at: db::parse_ts_opt(r.get(7)?),
            sign_in_method: if view.show_sign_in { SignInMethod::parse(&sign_in) } else { None },
            // Stored as the bit pattern of the u64 (SQLite integers are i64; see `update`), so
            // the API's whole 0..=u64::MAX range round-trips.
            quota: view.quotas.then(|| quota.map(|q| q as u64)),
        },
    })
}

pub fn find_member(
    tx: &Transaction<'_>,
    account_id: i64,
    user_public_id: &str,
    view: View,
) -> Result<Option<MemberRow>, ApiError> {
    Ok(tx
        .query_row(
            &format!("SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ?1 AND u.public_id = ?2"),
            params![account_id, user_public_id],
            |r| member_row(r, view),
        )
        .opt()?)
}

fn require_member(
    tx: &Transaction<'_>,
    account_id: i64,
    user_public_id: &str,
    view: View,
) -> Result<MemberRow, ApiError> {
    find_member(tx, account_id, user_public_id, view)?.ok_or_else(|| ApiError::not_found("member"))
}

pub fn owner_count(
    tx: &Transaction<'_>,
    account_id: i64,
    policy: &TeamPolicy,
) -> Result<u32, ApiError> {
    let owner_roles: Vec<&str> =
        policy.roles.iter().filter(|r| r.is_owner).map(|r| r.id.as_str()).collect();
    let mut n = 0;
    for role in owner_roles {
        let c: u32 = tx.query_row(
            "SELECT count(*) FROM memberships WHERE account_id = ?1 AND role = ?2",
            params![account_id, role],
            |r| r.get(0),
        )?;
        n += c;
    }
    Ok(n)
}

fn is_owner_role(policy: &TeamPolicy, role: &str) -> bool {
    policy.role(role).is_some_and(|r| r.is_owner)
}

/// Refuses a change that would leave the account without an owner.
fn guard_last_owner(
    tx: &Transaction<'_>,
    caller: &CallerFacts,
    target: &Member,
    verb: &str,
) -> Result<(), ApiError> {
    if is_owner_role(caller.policy, &target.role)
        && owner_count(tx, caller.account_id, caller.policy)? <= 1
    {
        let owner = caller.policy.role(&target.role).map_or("owner", |r| r.name.as_str());
        return Err(ApiError::conflict(
            ErrorCode::LastOwner,
            format!(
                "{} is the last {owner} of {}: {verb} would leave the team without one. Make someone else {owner} first.",
                target.name, caller.account_name
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    #[serde(default)]
    sort: MemberSort,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<Member>>, ApiError> {
    let limit = check_limit(query.limit)?;
    let after = ListCursor::decode(query.sort, query.cursor.as_deref())?;
    if let Some(role) = &query.role
        && caller.policy().role(role).is_none()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnknownRole,
            unknown_role_message(caller.policy(), role),
        ));
    }
    let pattern = like_pattern(query.q.as_deref())?;
    let view = View::of(&caller);
    let account_id = caller.account_id;
    let page = st
        .db
        .read(move |tx| {
            const FILTERS: &str = "(?3 IS NULL OR m.role = ?3) AND (?4 IS NULL OR u.email LIKE ?4 ESCAPE '\\' OR u.name LIKE ?4 ESCAPE '\\')";
            let select = format!("SELECT {MEMBER_COLUMNS}, m.name_key FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ?1 AND {FILTERS}");
            let row = |r: &rusqlite::Row<'_>| Ok((member_row(r, view)?, r.get::<_, String>(10)?));
            let lim = limit as i64 + 1;
            let mut rows = match &after {
                ListCursor::Joined(id) => tx
                    .prepare_cached(&format!("{select} AND m.id > ?2 ORDER BY m.id LIMIT ?5"))?
                    .query_map(params![account_id, id, query.role, pattern, lim], row)?
                    .collect::<Result<Vec<_>, _>>()?,
                // (name_key, id) is unique, so a page boundary never splits or repeats a name.
                ListCursor::Name(key, id) => tx
                    .prepare_cached(&format!("{select} AND (m.name_key, m.id) > (?6, ?2) ORDER BY m.name_key, m.id LIMIT ?5"))?
                    .query_map(params![account_id, id, query.role, pattern, lim, key], row)?
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let next_cursor = if rows.len() > limit {
                rows.truncate(limit);
                rows.last().map(|(m, key)| ListCursor::after(query.sort, m.membership_id, key))
            } else {
                None
            };
            Ok(Page { data: rows.into_iter().map(|(m, _)| m.member).collect(), next_cursor })
        })
        .await?;
    Ok(axum::Json(page))
}

/// Where a members page starts, in the order asked for.
enum ListCursor {
    Joined(i64),
    Name(String, i64),
}

impl ListCursor {
    fn decode(sort: MemberSort, cursor: Option<&str>) -> Result<ListCursor, ApiError> {
        match sort {
            MemberSort::Joined => Ok(ListCursor::Joined(decode_cursor(cursor)?.unwrap_or(0))),
            MemberSort::Name => {
                let Some(c) = cursor else { return Ok(ListCursor::Name(String::new(), 0)) };
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| {
                        let (id, key) = s.strip_prefix("n1:")?.split_once(':')?;
                        Some(ListCursor::Name(key.to_string(), id.parse().ok()?))
                    })
                    .ok_or_else(|| ApiError::bad_request("cursor: not a cursor this server issued for sort=name; start again without it."))
            }
        }
    }

    /// The cursor of the page after the member `id` with name key `key`.
    fn after(sort: MemberSort, id: i64, key: &str) -> String {
        match sort {
            MemberSort::Joined => encode_cursor(id),
            MemberSort::Name => {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("n1:{id}:{key}"))
            }
        }
    }
}

pub async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<axum::Json<Member>, ApiError> {
    let view = View::of(&caller);
    let account_id = caller.account_id;
    let m = st.db.read(move |tx| require_member(tx, account_id, &user_id, view)).await?;
    Ok(axum::Json(m.member))
}

pub fn unknown_role_message(policy: &TeamPolicy, role: &str) -> String {
    let ids: Vec<&str> = policy.roles.iter().map(|r| r.id.as_str()).collect();
    format!("There is no role `{role}` in this team. Pick one of: {}.", ids.join(", "))
}

pub async fn update(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(patch): Json<MemberPatch>,
) -> Result<axum::Json<MemberUpdate>, ApiError> {
    caller.require_manager()?;
    let policy = caller.policy();
    if let Some(role) = &patch.role
        && policy.role(role).is_none()
    {
        return Err(ApiError::unprocessable(
            ErrorCode::UnknownRole,
            unknown_role_message(policy, role),
        ));
    }
    if patch.quota.is_some() && !policy.member_quotas {
        return Err(ApiError::unprocessable(
            ErrorCode::NotAllowedByPolicy,
            "This team has no per-member quotas.",
        ));
    }
    let facts = CallerFacts::of(&caller);
    let requester = caller.user.clone();
    let now = st.now();
    let links = st.links();
    let (update, events, mailed) = st
        .db
        .write(move |tx| {
            let target = require_member(tx, facts.account_id, &user_id, facts.view)?;
            let mut events = Vec::new();
            let mut promotion = None;
            let mut mailed = false;
            if let Some(quota) = patch.quota {
                let old = target.member.quota.flatten();
                if old != quota {
                    // `as i64` keeps the bits of quotas above i64::MAX; `member_row` reads them back.
                    tx.execute(
                        "UPDATE memberships SET quota = ?2 WHERE id = ?1",
                        params![target.membership_id, quota.map(|q| q as i64)],
                    )?;
                    events.push(audit::record(
                        tx,
                        facts.account_id,
                        AuditAction::MemberQuotaChanged,
                        Some(facts.user_id),
                        Target::member(&target.member),
                        json!({"from": old, "to": quota}),
                        now,
                    )?);
                }
            }
            if let Some(role) = patch.role.as_deref().filter(|r| *r != target.member.role) {
                let promoting = is_owner_role(facts.policy, role);
                let demoting = is_owner_role(facts.policy, &target.member.role);
                if (promoting || demoting) && !facts.is_owner {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        ErrorCode::OwnerOnly,
                        format!(
                            "Only {} can grant or take away an owner role.",
                            crate::auth::role_names(facts.policy, |r| r.is_owner)
                        ),
                    ));
                }
                if demoting && !promoting {
                    guard_last_owner(tx, &facts, &target.member, "demoting them")?;
                }
                if promoting && !demoting && facts.policy.owner_promotion_confirmation {
                    let (p, ev) =
                        promotions::request(tx, &facts, &requester, &target, role, now, &links)?;
                    promotion = Some(p);
                    events.extend(ev);
                    mailed = true;
                } else {
                    tx.execute(
                        "UPDATE memberships SET role = ?2 WHERE id = ?1",
                        params![target.membership_id, role],
                    )?;
                    events.push(audit::record(
                        tx,
                        facts.account_id,
                        AuditAction::MemberRoleChanged,
                        Some(facts.user_id),
                        Target::member(&target.member),
                        json!({"from": target.member.role, "to": role}),
                        now,
                    )?);
                }
            }
            let member =
                require_member(tx, facts.account_id, &target.member.user_id, facts.view)?.member;
            Ok((MemberUpdate { member, promotion }, events, mailed))
        })
        .await?;
    st.publish(events);
    if mailed {
        st.mailer.kick();
    }
    Ok(axum::Json(update))
}

pub async fn remove(
    State(st): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_manager()?;
    let facts = CallerFacts::of(&caller);
    let now = st.now();
    let events = st
        .db
        .write(move |tx| {
            let target = require_member(tx, facts.account_id, &user_id, facts.view)?;
            if is_owner_role(facts.policy, &target.member.role) && !facts.is_owner {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::OwnerOnly,
                    format!(
                        "Only {} can remove an owner.",
                        crate::auth::role_names(facts.policy, |r| r.is_owner)
                    ),
                ));
            }
            guard_last_owner(tx, &facts, &target.member, "removing them")?;
            let action = if target.user_id == facts.user_id {
                AuditAction::MemberLeft
            } else {
                AuditAction::MemberRemoved
            };
            drop_membership(tx, facts.account_id, &target, action, Some(facts.user_id), now)
        })
        .await?;
    st.publish(events);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn leave(State(st): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    if !caller.policy().members_can_leave {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotAllowedByPolicy,
            "Members cannot leave this team themselves; ask an owner to remove you.",
        ));
    }
    let facts = CallerFacts::of(&caller);
    let me = caller.user.id.clone();
    let now = st.now();
    let events = st
        .db
        .write(move |tx| {
            let target = require_member(tx, facts.account_id, &me, facts.view)?;
            guard_last_owner(tx, &facts, &target.member, "leaving")?;
            drop_membership(
                tx,
                facts.account_id,
                &target,
                AuditAction::MemberLeft,
                Some(facts.user_id),
                now,
            )
        })
        .await?;
    st.publish(events);
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a membership: the user's keys for this account go with it and their pending owner
/// promotions are cancelled.
fn drop_membership(
    tx: &Transaction<'_>,
    account_id: i64,
    target: &MemberRow,
    action: AuditAction,
    actor: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(i64, roster_api::AuditEvent)>, ApiError> {
    tx.execute("DELETE FROM memberships WHERE id = ?1", [target.membership_id])?;
    tx.execute("DELETE FROM idempotency WHERE key_id IN (SELECT id FROM api_keys WHERE account_id = ?1 AND user_id = ?2)", params![account_id, target.user_id])?;
    tx.execute(
        "DELETE FROM api_keys WHERE account_id = ?1 AND user_id = ?2",
        params![account_id, target.user_id],
    )?;
    tx.execute(
        "UPDATE owner_promotions SET status = 'cancelled', decided_at = ?3 WHERE account_id = ?1 AND (user_id = ?2 OR requested_by = ?2) AND status = 'pending'",
        params![account_id, target.user_id, db::ts(now)],
    )?;
    let ev = audit::record(
        tx,
        account_id,
        action,
        actor,
        Target::member(&target.member),
        json!({"role": target.member.role}),
        now,
    )?;
    Ok(vec![ev])
}
