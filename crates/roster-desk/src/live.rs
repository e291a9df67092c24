//! The live audit stream of the active account: followed while it is active, reconnected with
//! `Last-Event-ID` and backoff so no event is lost across a drop, each event sent to the shell
//! (`DeskEvent::Audit`) with the notification text of a join.

use std::sync::Weak;
use std::time::Duration;

use futures::StreamExt;
use roster_core::api::{AuditAction, AuditEvent, Me};
use roster_core::{Cache, Error, ErrorCode};

use crate::session::{Desk, Inner, LIVE_MAX_BACKOFF, LIVE_RESUME_WINDOW};
use crate::views::{AuditNotice, DeskEvent};

/// What ended one connection of the live stream.
enum StreamEnd {
    /// Worth reconnecting; `delivered` says whether events came through (resets the backoff).
    Retry { delivered: bool, error: Error },
    /// Reconnecting cannot help (key refused, role may not stream, account gone).
    Stop(String),
}

/// Follows the live audit stream of `account` until aborted, reconnecting with backoff and
/// `Last-Event-ID` so no event is lost across a drop.
pub(crate) async fn live_loop(inner: Weak<Inner>, account: String) {
    let mut last_id = match inner.upgrade() {
        Some(i) => resume_point(&i.cache, &account).await,
        None => return,
    };
    let mut me: Option<Me> = None;
    let mut backoff = Duration::from_secs(1);
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let desk = Desk { inner: strong };
        let end = stream_once(&desk, &account, &mut last_id, &mut me).await;
        drop(desk);
        match end {
            StreamEnd::Stop(why) => {
                tracing::info!(account = %account, why, "live events stopped");
                return;
            }
            StreamEnd::Retry { delivered, error } => {
                if delivered {
                    backoff = Duration::from_secs(1);
                }
                tracing::debug!(account = %account, error = %error, wait = backoff.as_secs(), "live events: reconnecting");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(LIVE_MAX_BACKOFF);
            }
        }
    }
}

/// The newest audit event of a recent snapshot: the stream replays what came after it.
async fn resume_point(cache: &Cache, account: &str) -> Option<String> {
    let (cache, account) = (cache.clone(), account.to_string());
    let (saved_at, audit) =
        tokio::task::spawn_blocking(move || cache.load_audit(&account)).await.ok().flatten()?;
    if chrono::Utc::now() - saved_at > LIVE_RESUME_WINDOW {
        return None;
    }
    audit.iter().max_by_key(|e| (e.created_at, event_seq(&e.id))).map(|e| e.id.clone())
}

/// `evt_42` → 42, so ids compare in the server's order.
fn event_seq(id: &str) -> u64 {
    id.rsplit('_').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn stream_once(
    desk: &Desk,
    account: &str,
    last_id: &mut Option<String>,
    me: &mut Option<Me>,
) -> StreamEnd {
    let classify = |error: Error, delivered: bool| match error.code() {
        ErrorCode::BadKey
        | ErrorCode::NoPermission
        | ErrorCode::UnknownAccount
        | ErrorCode::KeyMissing
        | ErrorCode::InsecureUrl => {
            desk.inner.on_error(account, &error);
            StreamEnd::Stop(error.to_string())
        }
        _ => StreamEnd::Retry { delivered, error },
    };
    let client = match desk.client(account).await {
        Ok(c) => c,
        Err(e) => return classify(e, false),
    };
    let who = match me.take() {
        Some(m) => m,
        None => match client.me().await {
            Ok(m) => m,
            Err(e) => return classify(e, false),
        },
    };
    // The server streams only to roles that manage the team.
    if !who.policy.role(&who.role).is_some_and(|r| r.manages_team) {
        return StreamEnd::Stop(format!("the role {} does not receive live events", who.role));
    }
    let stream = match client.events(last_id.as_deref()).await {
        Ok(s) => s,
        Err(e) => {
            *me = Some(who);
            return classify(e, false);
        }
    };
    let mut stream = Box::pin(stream);
    let _ = desk.inner.events.send(DeskEvent::LiveConnected { account: account.to_string() });
    let mut delivered = false;
    let end = loop {
        match stream.next().await {
            Some(Ok(event)) => {
                *last_id = Some(event.id.clone());
                delivered = true;
                let notification = joined_message(&event, &who);
                let _ = desk.inner.events.send(DeskEvent::Audit(Box::new(AuditNotice {
                    account: account.to_string(),
                    event,
                    notification,
                })));
            }
            Some(Err(e)) => break classify(e, delivered),
            None => {
                break StreamEnd::Retry {
                    delivered,
                    error: Error::Unreachable {
                        url: client.server().to_string(),
                        reason: "the event stream ended".into(),
                    },
                };
            }
        }
    };
    *me = Some(who);
    end
}

/// "Ana Lima joined Acme as Member", for an accepted invite.
pub(crate) fn joined_message(event: &AuditEvent, me: &Me) -> Option<String> {
    if event.action != AuditAction::InviteAccepted {
        return None;
    }
    let detail = |k: &str| event.details.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    let who = detail("name")
        .map(str::to_string)
        .or_else(|| event.actor.as_ref().map(|a| a.name.clone()))
        .unwrap_or_else(|| event.target.email.clone());
    let role =
        detail("role").map(|r| me.policy.role(r).map_or(r.to_string(), |role| role.name.clone()));
    Some(match role {
        Some(role) => format!("{who} joined {} as {role}", me.account.name),
        None => format!("{who} joined {}", me.account.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_compare_by_their_number() {
        assert!(event_seq("evt_10") > event_seq("evt_9"));
        assert_eq!(event_seq("odd"), 0);
    }
}
