//! `roster roles`, `roster audit`, `roster watch`.

use std::time::Duration;

use chrono::{Local, Utc};
use futures::StreamExt;
use roster_core::ErrorCode;
use roster_core::api::{Access, AuditAction, AuditEvent};
use roster_core::client::AuditQuery;

use super::{Ctx, Result};
use crate::cli::AuditArgs;
use crate::output::{Failure, ago, print_json, table};

pub async fn roles(ctx: &Ctx) -> Result<()> {
    let team = ctx.team()?;
    let roles = team.client.roles().await?;
    if ctx.json {
        print_json(&roles);
        return Ok(());
    }
    let access = |a: Access| {
        serde_json::to_value(a)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = roles
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.name.clone(),
                if r.is_owner { "yes".into() } else { "".into() },
                access(r.permissions.team),
                access(r.permissions.resources),
                access(r.permissions.billing),
                access(r.permissions.settings),
                r.description.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["ID", "NAME", "OWNER", "TEAM", "RESOURCES", "BILLING", "SETTINGS", "DESCRIPTION"],
            &rows
        )
    );
    Ok(())
}

pub async fn audit(ctx: &Ctx, args: AuditArgs) -> Result<()> {
    let team = ctx.team()?;
    let query = AuditQuery {
        action: args.action.as_deref().and_then(AuditAction::parse),
        actor: args.actor,
        q: args.query,
    };
    let limit = args.limit as usize;
    let mut events: Vec<AuditEvent> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_size = (limit - events.len()).min(200) as u32;
        let page = team.client.audit(&query, Some(page_size), cursor.as_deref()).await?;
        events.extend(page.data);
        match page.next_cursor {
            Some(next) if events.len() < limit => cursor = Some(next),
            _ => break,
        }
    }
    if ctx.json {
        print_json(&events);
        return Ok(());
    }
    let now = Utc::now();
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                ago(e.created_at, now),
                e.action.as_str().to_string(),
                actor(e),
                e.target.email.clone(),
                details(e),
            ]
        })
        .collect();
    print!("{}", table(&["WHEN", "ACTION", "BY", "TARGET", "DETAILS"], &rows));
    Ok(())
}

fn actor(e: &AuditEvent) -> String {
    e.actor.as_ref().map_or_else(|| "-".into(), |a| a.name.clone())
}

/// `role=member, delivery=link`.
fn details(e: &AuditEvent) -> String {
    e.details
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Follows the event stream ("Watching …" on stderr once connected): each event as a line (an NDJSON object with `--json`). A
/// dropped connection is retried with backoff (1 s doubling to 30 s) and resumed with
/// Last-Event-ID, so nothing is missed; a refused key or role ends it. Ctrl+C exits 0.
pub async fn watch(ctx: &Ctx) -> Result<()> {
    let team = ctx.team()?;
    let follow = async {
        let client = &team.client;
        let me = client.me().await?;
        let mut last: Option<String> = None;
        let mut backoff = Duration::from_secs(1);
        let mut connected_before = false;
        loop {
            match client.events(last.as_deref()).await {
                Ok(stream) => {
                    // Said once the server answered: from here on no event is missed.
                    if connected_before {
                        eprintln!("Reconnected; events since the last one shown follow.");
                    } else {
                        eprintln!(
                            "Watching {} ({}) for team activity; Ctrl+C stops.",
                            me.account.name,
                            client.server()
                        );
                        connected_before = true;
                    }
                    backoff = Duration::from_secs(1);
                    let mut stream = std::pin::pin!(stream);
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(event) => {
                                last = Some(event.id.clone());
                                print_event(ctx.json, &event);
                            }
                            Err(e) => {
                                eprintln!("Connection lost: {e}");
                                break;
                            }
                        }
                    }
                }
                Err(e) if e.code() == ErrorCode::Unreachable || e.is_transient() => {
                    eprintln!("{e}")
                }
                Err(e) => return Err(Failure::from(e)),
            }
            eprintln!("Reconnecting in {} s…", backoff.as_secs());
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    };
    tokio::select! {
        result = follow => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

fn print_event(json: bool, e: &AuditEvent) {
    if json {
        println!("{}", serde_json::to_string(e).expect("wire types serialise"));
    } else {
        let at = e.created_at.with_timezone(&Local).format("%H:%M:%S");
        let d = details(e);
        println!(
            "{at}  {:<26}  {:<16}  {}{}",
            e.action.as_str(),
            actor(e),
            e.target.email,
            if d.is_empty() { String::new() } else { format!("  {d}") }
        );
    }
}
