//! `roster members`: list, show, change role, remove, leave.

use chrono::{Local, Utc};
use roster_core::TeamClient;
use roster_core::api::{Member, MemberPatch};
use roster_core::client::MemberQuery;
use roster_core::flows;

use super::{Ctx, Result, confirm, role_id, role_name};
use crate::cli::MembersCommand;
use crate::output::{EXIT_FAILED, Failure, ago, ago_or, print_json, table};

pub async fn run(ctx: &Ctx, command: MembersCommand) -> Result<()> {
    let team = ctx.team()?;
    let client = &team.client;
    let now = Utc::now();
    match command {
        MembersCommand::List { role, query } => {
            let q = MemberQuery { q: query, role, ..Default::default() };
            let (members, roles) = tokio::try_join!(client.all_members(&q), client.roles())?;
            if ctx.json {
                print_json(&members);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = members
                .iter()
                .map(|m| {
                    vec![
                        m.name.clone(),
                        m.email.clone(),
                        role_name(&roles, &m.role),
                        m.sign_in_method.map_or("-", |s| s.as_str()).to_string(),
                        ago_or(m.last_login_at, now, "never"),
                        ago(m.joined_at, now),
                        m.user_id.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["NAME", "EMAIL", "ROLE", "SIGN-IN", "LAST LOGIN", "JOINED", "ID"], &rows)
            );
            eprintln!("{} members", members.len());
            Ok(())
        }
        MembersCommand::Show { user } => {
            let (member, roles) =
                tokio::try_join!(find_member(client, &user), async { Ok(client.roles().await?) })?;
            if ctx.json {
                print_json(&member);
                return Ok(());
            }
            let mut rows = vec![
                vec!["id".into(), member.user_id.clone()],
                vec![
                    "role".into(),
                    format!("{} ({})", role_name(&roles, &member.role), member.role),
                ],
                vec![
                    "sign-in".into(),
                    member.sign_in_method.map_or("-", |s| s.as_str()).to_string(),
                ],
                vec!["last login".into(), ago_or(member.last_login_at, now, "never")],
                vec![
                    "joined".into(),
                    format!(
                        "{} ({})",
                        ago(member.joined_at, now),
                        member.joined_at.format("%Y-%m-%d")
                    ),
                ],
            ];
            if let Some(quota) = member.quota {
                rows.push(vec![
                    "quota".into(),
                    quota.map_or("unlimited".into(), |q| format!("{q} requests/month")),
                ]);
            }
            println!("{} <{}>", member.name, member.email);
            for line in table(&["", ""], &rows).lines().skip(1) {
                println!("  {line}");
            }
            Ok(())
        }
        MembersCommand::Role { user, role } => {
            let (member, me) =
                tokio::try_join!(find_member(client, &user), async { Ok(client.me().await?) })?;
            let role_id = role_id(&me.policy, &role);
            let update = client
                .update_member(
                    &member.user_id,
                    &MemberPatch { role: Some(role_id.clone()), quota: None },
                )
                .await?;
            if ctx.json {
                print_json(&update);
                return Ok(());
            }
            let to = role_name(&me.policy.roles, &role_id);
            match &update.promotion {
                Some(p) => println!(
                    "Promoting {} to {to} in {} needs confirmation: {} must confirm from the e-mail sent to {} ({}). Their role stays {} until then.",
                    member.name,
                    me.account.name,
                    p.requested_by.name,
                    p.requested_by.email,
                    flows::expiry_phrase(p.expires_at, &Local::now()),
                    role_name(&me.policy.roles, &update.member.role),
                ),
                None => println!(
                    "{} ({}) is now {to} in {} (was {}).",
                    update.member.name,
                    update.member.email,
                    me.account.name,
                    role_name(&me.policy.roles, &member.role)
                ),
            }
            Ok(())
        }
        MembersCommand::Remove { user, yes } => {
            let (member, me) =
                tokio::try_join!(find_member(client, &user), async { Ok(client.me().await?) })?;
            let who = format!(
                "{} ({}, {})",
                member.name,
                member.email,
                role_name(&me.policy.roles, &member.role)
            );
            confirm(
                yes,
                &format!("Remove {who} from {}? They lose access at once.", me.account.name),
                &format!("Removing {who} from {}", me.account.name),
            )?;
            client.remove_member(&member.user_id).await?;
            if ctx.json {
                print_json(&serde_json::json!({ "removed": member }));
            } else {
                println!("Removed {} ({}) from {}.", member.name, member.email, me.account.name);
            }
            Ok(())
        }
        MembersCommand::Leave { yes } => {
            let me = client.me().await?;
            confirm(
                yes,
                &format!(
                    "Leave {} as {} ({})? You lose access and this key stops working at once.",
                    me.account.name, me.user.name, me.user.email
                ),
                &format!("Leaving {}", me.account.name),
            )?;
            client.leave().await?;
            if ctx.json {
                print_json(&serde_json::json!({ "left": me.account, "user": me.user }));
            } else {
                print!("You left {}. This key no longer works", me.account.name);
                match &team.stored {
                    Some(a) => println!("; forget it with `roster accounts remove {}`.", a.id),
                    None => println!("."),
                }
            }
            Ok(())
        }
    }
}

/// A member by user id, or by exact e-mail.
async fn find_member(client: &TeamClient, user: &str) -> Result<Member> {
    if !user.contains('@') {
        return Ok(client.member(user).await?);
    }
    let found = client
        .all_members(&MemberQuery { q: Some(user.to_string()), role: None, ..Default::default() })
        .await?;
    found.into_iter().find(|m| m.email.eq_ignore_ascii_case(user)).ok_or_else(|| {
        Failure::new(
            "not_found",
            EXIT_FAILED,
            format!("No member has the e-mail {user}. List members with `roster members list`."),
        )
    })
}
