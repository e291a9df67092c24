//! `roster invites`: create (one, several, or a list), list, copy, resend, revoke.

use std::time::{Duration, Instant};

use chrono::{Local, Utc};
use roster_core::api::{Delivery, IdentityProviderRestriction, Invite, InviteStatus, NewInvite};
use roster_core::bulk::RowOutcome;
use roster_core::client::InviteQuery;
use roster_core::flows;
use roster_core::{
    BulkOptions, Clipboard, CopyOptions, CopyOutcome, CopyTo, ErrorCode, IdempotencyKey, TeamClient,
};

use super::{Ctx, Result, confirm, read_stdin, role_id, role_name};
use crate::cli::{CreateArgs, InvitesCommand};
use crate::output::{EXIT_AUTH, EXIT_FAILED, Failure, ago, ago_or, print_json, snake, table};

pub async fn run(ctx: &Ctx, command: InvitesCommand) -> Result<()> {
    let team = ctx.team()?;
    let client = &team.client;
    match command {
        InvitesCommand::Create(args) => create(ctx, client, args).await,
        InvitesCommand::List { status, query } => {
            let q = InviteQuery { status: status.map(Into::into), q: query };
            let (invites, roles) = tokio::try_join!(client.all_invites(&q), client.roles())?;
            if ctx.json {
                print_json(&invites);
                return Ok(());
            }
            let now = Utc::now();
            let rows: Vec<Vec<String>> = invites
                .iter()
                .map(|i| {
                    vec![
                        i.email.clone(),
                        role_name(&roles, &i.role),
                        i.status.as_str().to_string(),
                        invite_when(i, now),
                        delivery_name(i.delivery).to_string(),
                        i.times_sent.to_string(),
                        i.id.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["EMAIL", "ROLE", "STATUS", "WHEN", "DELIVERY", "SENT", "ID"], &rows)
            );
            eprintln!("{} invites", invites.len());
            Ok(())
        }
        InvitesCommand::Copy { invite, print, message, hold } => {
            let id = invite_id(client, &invite).await?;
            let clipboard = Clipboard::shared();
            let copy = if print {
                CopyTo::Nowhere
            } else {
                CopyTo::clipboard(clipboard, CopyOptions::plain())
            };
            let (text, outcome) = if message {
                let me = client.me().await?;
                let m = flows::copy_invite_message(client, &id, &me, &copy).await?;
                if ctx.json {
                    print_json(&m);
                } else {
                    println!("{}", m.text);
                    eprintln!("{}", copy_note(&m.copy, "Message"));
                }
                (m.text, m.copy)
            } else {
                let link = flows::recopy_link(client, &id, &copy).await?;
                if ctx.json {
                    print_json(&link);
                } else {
                    println!("{}", link.link().unwrap_or_default());
                    eprintln!("{} · {}", link.summary(&Local::now()), link.invite.email);
                }
                (link.link().unwrap_or_default().to_string(), link.copy)
            };
            warn_copy(&outcome);
            if outcome == CopyOutcome::Copied {
                hold_clipboard(text, hold.hold).await;
            }
            Ok(())
        }
        InvitesCommand::Resend { invite } => {
            let id = invite_id(client, &invite).await?;
            let invite = client.resend_invite(&id).await?;
            if ctx.json {
                print_json(&invite);
            } else {
                println!(
                    "Resent the invite to {} (sent {} times) · {}",
                    invite.email,
                    invite.times_sent,
                    flows::expiry_phrase(invite.expires_at, &Local::now())
                );
            }
            Ok(())
        }
        InvitesCommand::Revoke { invite, yes } => {
            let id = invite_id(client, &invite).await?;
            let (current, me) = tokio::try_join!(client.invite(&id), client.me())?;
            let what = format!(
                "the invite to {} ({})",
                current.email,
                role_name(&me.policy.roles, &current.role)
            );
            confirm(
                yes,
                &format!("Revoke {what} in {}? Its link stops working at once.", me.account.name),
                &format!("Revoking {what}"),
            )?;
            let revoked = client.revoke_invite(&id).await?;
            if ctx.json {
                print_json(&revoked);
            } else {
                println!(
                    "Revoked the invite to {} in {}; its link no longer works.",
                    revoked.email, me.account.name
                );
            }
            Ok(())
        }
    }
}

/// An invite id as given, or the id of the pending invite to an e-mail.
async fn invite_id(client: &TeamClient, invite: &str) -> Result<String> {
    if !invite.contains('@') {
        return Ok(invite.to_string());
    }
    let pending = client
        .all_invites(&InviteQuery {
            status: Some(InviteStatus::Pending),
            q: Some(invite.to_string()),
        })
        .await?;
    pending.into_iter().find(|i| i.email.eq_ignore_ascii_case(invite)).map(|i| i.id).ok_or_else(
        || {
            Failure::new(
                "not_found",
                EXIT_FAILED,
                format!("No pending invite to {invite}. List invites with `roster invites list`."),
            )
        },
    )
}

fn invite_when(i: &Invite, now: chrono::DateTime<Utc>) -> String {
    match i.status {
        InviteStatus::Pending if i.expires_at > now => {
            format!("expires {}", ago(i.expires_at, now))
        }
        InviteStatus::Pending | InviteStatus::Expired => {
            format!("expired {}", ago(i.expires_at, now))
        }
        InviteStatus::Accepted => format!("accepted {}", ago_or(i.accepted_at, now, "-")),
        InviteStatus::Revoked => format!("revoked {}", ago_or(i.revoked_at, now, "-")),
    }
}

fn delivery_name(d: Delivery) -> &'static str {
    match d {
        Delivery::Link => "link",
        Delivery::Email => "email",
    }
}

async fn create(ctx: &Ctx, client: &TeamClient, args: CreateArgs) -> Result<()> {
    let stdin_list = args.emails.len() == 1 && args.emails[0] == "-";
    let bulk = args.from.is_some() || stdin_list || args.emails.len() > 1;
    if bulk && args.notify_email.is_some() {
        return Err(Failure::usage(
            "--notify-email applies to one invite: give one EMAIL with it.",
        ));
    }
    let me = client.me().await?;
    let role = args.role.as_deref().map(|r| role_id(&me.policy, r));
    let identity_provider = args.idp.map(|p| IdentityProviderRestriction {
        provider: p.into(),
        tenant_id: args.tenant.clone(),
    });
    let clipboard = Clipboard::shared();
    let copy = if args.copy {
        CopyTo::clipboard(clipboard, CopyOptions::plain())
    } else {
        CopyTo::Nowhere
    };

    if !bulk {
        let email = args.emails.first().cloned().unwrap_or_default();
        let new = NewInvite {
            email,
            role: role.unwrap_or_else(|| me.policy.default_role.clone()),
            delivery: args.delivery.map(Into::into),
            notification_email: args.notify_email,
            identity_provider,
            require_secure_sign_in: args.secure_sign_in,
            expires_in_days: args.expires_in_days,
        };
        // One key for this one action: the client's retries reuse it, so a lost answer never
        // makes a second invite.
        let link = flows::create_invite(client, &new, &IdempotencyKey::new(), &copy).await?;
        if ctx.json {
            print_json(&link);
        } else {
            if let Some(l) = link.link() {
                println!("{l}");
            }
            eprintln!(
                "Invited {} to {} as {} · {}",
                link.invite.email,
                me.account.name,
                role_name(&me.policy.roles, &link.invite.role),
                link.summary(&Local::now())
            );
        }
        warn_copy(&link.copy);
        if link.copy == CopyOutcome::Copied {
            hold_clipboard(link.link().unwrap_or_default().to_string(), args.hold.hold).await;
        }
        return Ok(());
    }

    let (input, source) = match &args.from {
        Some(path) if path.as_os_str() != "-" => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!(
                    "Could not read {}: {e}. Check the path (or use - for standard input).",
                    path.display()
                ))
            })?;
            (text, path.display().to_string())
        }
        Some(_) => (read_stdin()?, "standard input".to_string()),
        None if stdin_list => (read_stdin()?, "standard input".to_string()),
        None => (args.emails.join("\n"), "the command line".to_string()),
    };
    let plan = roster_core::bulk::plan_bulk(&input, &me.policy, role.as_deref());
    if plan.rows.is_empty() {
        return Err(Failure::usage(format!(
            "No e-mail addresses in {source}: give one per line, or `email,role` lines."
        )));
    }
    let options = BulkOptions {
        delivery: args.delivery.map(Into::into),
        identity_provider,
        require_secure_sign_in: args.secure_sign_in,
        expires_in_days: args.expires_in_days,
    };
    let report = roster_core::bulk::bulk_invite(client, &plan, &options, &copy).await;
    if ctx.json {
        print_json(&report);
    } else {
        let rows: Vec<Vec<String>> = report
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.line.to_string(),
                    r.email.clone(),
                    role_name(&me.policy.roles, &r.role),
                    row_result(&r.outcome),
                ]
            })
            .collect();
        print!("{}", table(&["LINE", "EMAIL", "ROLE", "RESULT"], &rows));
        eprintln!("{} · {}", me.account.name, report.summary());
        let retry = report.retry_input();
        if !retry.is_empty() {
            eprint!(
                "To send again once fixed (e.g. `roster invites create --from FILE`):\n{retry}"
            );
        }
    }
    warn_copy(&report.copy);
    if report.copy == CopyOutcome::Copied {
        hold_clipboard(report.links().join("\n"), args.hold.hold).await;
    }
    let counts = report.counts();
    if counts.refused + counts.not_attempted == 0 {
        return Ok(());
    }
    let failure = match &report.stopped {
        Some(stop) => {
            let row = report
                .rows
                .iter()
                .find(|r| r.line == stop.line && matches!(r.outcome, RowOutcome::Refused { .. }));
            let (code, message) = match row.map(|r| &r.outcome) {
                Some(RowOutcome::Refused { server_code: Some(s), message, .. }) => {
                    (s.as_str().to_string(), message.clone())
                }
                Some(RowOutcome::Refused { message, .. }) => (stop.reason.clone(), message.clone()),
                _ => (stop.reason.clone(), stop.reason.clone()),
            };
            let exit = if stop.code == ErrorCode::BadKey { EXIT_AUTH } else { EXIT_FAILED };
            Failure::new(
                &code,
                exit,
                format!(
                    "{} (line {}); the rows after it were not sent.",
                    message.trim_end_matches('.'),
                    stop.line
                ),
            )
        }
        None => Failure::new(
            "rows_refused",
            EXIT_FAILED,
            format!(
                "{} of {} rows were refused; each row above says why.",
                counts.refused,
                report.rows.len()
            ),
        ),
    };
    Err(failure.reported())
}

/// The RESULT cell of a bulk row. A refusal shows the same code as `error[...]` and `--json`:
/// the server's, else roster-core's (a row the server never answered has no server code).
fn row_result(outcome: &RowOutcome) -> String {
    match outcome {
        RowOutcome::Created { invite } => {
            format!("invited {}", invite.link.as_deref().unwrap_or("(no link shown)"))
        }
        RowOutcome::Duplicate { first_line } => format!("duplicate of line {first_line}, skipped"),
        RowOutcome::Refused { server_code, message, code } => {
            let c = server_code.map_or_else(|| snake(code), |s| s.as_str().to_string());
            format!("refused [{c}]: {message}")
        }
        RowOutcome::NotAttempted { reason } => format!("not attempted ({reason})"),
    }
}

fn copy_note(outcome: &CopyOutcome, what: &str) -> String {
    match outcome {
        CopyOutcome::Copied => format!("{what} copied to the clipboard"),
        _ => format!("{what} printed (not copied)"),
    }
}

fn warn_copy(outcome: &CopyOutcome) {
    if let CopyOutcome::Failed { message } = outcome {
        eprintln!("warning: {message}");
    }
}

/// Keeps serving `text` on the clipboard (see `--hold` in `roster invites create --help`).
async fn hold_clipboard(text: String, seconds: u64) {
    if seconds == 0 {
        return;
    }
    eprintln!(
        "Holding the clipboard for pastes until another program copies something or {seconds} s pass (Ctrl+C to stop now)…"
    );
    let clipboard = Clipboard::shared().clone();
    let until = Instant::now() + Duration::from_secs(seconds);
    let hold = tokio::task::spawn_blocking(move || {
        clipboard.copy_and_hold(&text, &CopyOptions::plain(), until)
    });
    tokio::select! {
        done = hold => {
            match done {
                Ok(Ok(end)) => {
                    let why = match end {
                        roster_core::HoldEnd::Replaced => "another program took the clipboard",
                        roster_core::HoldEnd::Deadline => "time is up",
                        roster_core::HoldEnd::Cleared => "the clipboard was cleared",
                        roster_core::HoldEnd::Persistent => "this system keeps it after roster exits",
                    };
                    eprintln!("Done holding the clipboard: {why}.");
                    // Offers the text to a clipboard manager, if one runs, before exiting.
                    Clipboard::shared().release();
                }
                Ok(Err(e)) => eprintln!("warning: {e}"),
                Err(_) => {}
            }
        }
        _ = tokio::signal::ctrl_c() => eprintln!("Stopped holding the clipboard."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_row_refused_without_a_server_code_when_shown_then_its_code_is_snake_case() {
        let refused = RowOutcome::Refused {
            code: ErrorCode::Unreachable,
            server_code: None,
            message: "Could not reach the server.".into(),
        };
        assert_eq!(row_result(&refused), "refused [unreachable]: Could not reach the server.");
    }
}
