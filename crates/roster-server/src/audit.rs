//! The activity log: `audit::record` writes an event in the caller's transaction; `list`
//! pages through it; `events` streams it live as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use roster_api::{AuditAction, AuditEvent, AuditTarget, AuditTargetKind, Member, Page, UserRef};
use rusqlite::{Transaction, params};
use serde::Deserialize;
use tokio_stream::wrappers::BroadcastStream;

use crate::AppState;
use crate::auth::Caller;
use crate::db::{self};
use crate::error::{ApiError, Query};
use crate::paging::{check_limit, decode_cursor, like_pattern, page};

pub struct Target {
    pub kind: AuditTargetKind,
    pub id: String,
    pub email: String,
}

impl Target {
    pub fn member(m: &Member) -> Target {
        Target { kind: AuditTargetKind::Member, id: m.user_id.clone(), email: m.email.clone() }
    }
    pub fn user(u: &UserRef) -> Target {
        Target { kind: AuditTargetKind::Member, id: u.id.clone(), email: u.email.clone() }
    }
    pub fn invite(id: &str, email: &str) -> Target {
        Target { kind: AuditTargetKind::Invite, id: id.into(), email: email.into() }
    }
}

fn event_id(rowid: i64) -> String {
    format!("evt_{rowid}")
}

/// Writes one event; returns it with its account for publishing after commit.
pub fn record(
    tx: &Transaction<'_>,
    account_id: i64,
    action: AuditAction,
    actor: Option<i64>,
    target: Target,
    details: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, AuditEvent), ApiError> {
    let kind = match target.kind {
        AuditTargetKind::Member => "member",
        AuditTargetKind::Invite => "invite",
    };
    tx.execute(
        "INSERT INTO audit (account_id, action, actor_user_id, target_kind, target_id, target_email, details, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![account_id, action.as_str(), actor, kind, target.id, target.email, details.to_string(), db::ts(now)],
    )?;
    let id = tx.last_insert_rowid();
    let actor = match actor {
        Some(uid) => Some(tx.query_row(
            "SELECT public_id, email, name FROM users WHERE id = ?1",
            [uid],
            |r| Ok(UserRef { id: r.get(0)?, email: r.get(1)?, name: r.get(2)? }),
        )?),
        None => None,
    };
    let details = match details {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    Ok((
        account_id,
        AuditEvent {
            id: event_id(id),
            action,
            actor,
            target: AuditTarget { kind: target.kind, id: target.id, email: target.email },
            details,
            created_at: now,
        },
    ))
}

const SELECT: &str = "SELECT a.id, a.action, u.public_id, u.email, u.name, a.target_kind, a.target_id, a.target_email, a.details, a.created_at
                      FROM audit a LEFT JOIN users u ON u.id = a.actor_user_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, AuditEvent)> {
    let id: i64 = r.get(0)?;
    let action: String = r.get(1)?;
    let actor_id: Option<String> = r.get(2)?;
    let actor = match actor_id {
        Some(aid) => Some(UserRef { id: aid, email: r.get(3)?, name: r.get(4)? }),
        None => None,
    };
    let kind = if r.get::<_, String>(5)? == "invite" {
        AuditTargetKind::Invite
    } else {
        AuditTargetKind::Member
    };
    let details: String = r.get(8)?;
    Ok((
        id,
        AuditEvent {
            id: event_id(id),
            action: AuditAction::parse(&action).unwrap_or(AuditAction::InviteCreated),
            actor,
            target: AuditTarget { kind, id: r.get(6)?, email: r.get(7)? },
            details: serde_json::from_str(&details).unwrap_or_default(),
            created_at: db::parse_ts(&r.get::<_, String>(9)?),
        },
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    action: Option<AuditAction>,
    actor: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<AuditEvent>>, ApiError> {
    caller.require_manager()?;
    let limit = check_limit(query.limit)?;
    let before = decode_cursor(query.cursor.as_deref())?.unwrap_or(i64::MAX);
    let action = query.action.map(|a| a.as_str());
    let pattern = like_pattern(query.q.as_deref())?;
    let account_id = caller.account_id;
    let page = st
        .db
        .read(move |tx| {
            let mut st = tx.prepare_cached(&format!(
                "{SELECT} WHERE a.account_id = ?1 AND a.id < ?2 AND (?3 IS NULL OR a.action = ?3)
                   AND (?4 IS NULL OR u.public_id = ?4)
                   AND (?5 IS NULL OR u.email LIKE ?5 ESCAPE '\\' OR u.name LIKE ?5 ESCAPE '\\' OR a.target_email LIKE ?5 ESCAPE '\\')
                 ORDER BY a.id DESC LIMIT ?6"
            ))?;
            let rows = st
                .query_map(params![account_id, before, action, query.actor, pattern, limit as i64 + 1], row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(page(rows, limit))
        })
        .await?;
    Ok(axum::Json(page))
}

/// Live audit events of the caller's account. A reconnecting client sends `Last-Event-ID`
/// and first receives what it missed.
pub async fn events(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require_manager()?;
    let account_id = caller.account_id;
    // Subscribe before reading the backlog so nothing falls between the two.
    let live = BroadcastStream::new(st.events.subscribe());
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("evt_"))
        .and_then(|v| v.parse::<i64>().ok());
    let backlog = match last_seen {
        Some(after) => {
            st.db
                .read(move |tx| {
                    let mut st = tx.prepare(&format!(
                        "{SELECT} WHERE a.account_id = ?1 AND a.id > ?2 ORDER BY a.id LIMIT 1000"
                    ))?;
                    let rows = st
                        .query_map(params![account_id, after], row)?
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(rows)
                })
                .await?
        }
        None => Vec::new(),
    };
    let replayed_up_to = backlog.last().map_or(last_seen.unwrap_or(0), |(id, _)| *id);
    let backlog = futures::stream::iter(backlog.into_iter().map(|(_, e)| e));
    let live = live.filter_map(move |msg| async move {
        match msg {
            Ok((acc, e)) if acc == account_id => {
                let id: i64 =
                    e.id.strip_prefix("evt_").and_then(|n| n.parse().ok()).unwrap_or(i64::MAX);
                (id > replayed_up_to).then_some(e)
            }
            // A subscriber that fell behind misses events; it can reconnect with Last-Event-ID.
            _ => None,
        }
    });
    let mut stopping = st.stopping.clone();
    let stream = backlog
        .chain(live)
        .map(|e| {
            Ok(Event::default()
                .id(e.id.clone())
                .event("audit")
                .data(serde_json::to_string(&e).unwrap_or_default()))
        })
        // End with the server: a client reconnects with Last-Event-ID and misses nothing.
        .take_until(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}
