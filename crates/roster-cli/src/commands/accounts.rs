//! `roster accounts`: the account list and keys shared with the desktop app.

use roster_core::keychain::KEY_FILE_ENV;
use roster_core::{ApiKey, KeyReport, KeyState, KeyStore, SavedAccount};
use serde::Serialize;

use super::{Ctx, KEY_ENV, Result, SERVER_ENV, confirm, read_key};
use crate::cli::AccountsCommand;
use crate::output::{EXIT_AUTH, Failure, print_json, table};

pub async fn run(ctx: &Ctx, command: AccountsCommand) -> Result<()> {
    match command {
        AccountsCommand::Add { server, key_stdin, label, colour } => {
            let key = read_key(key_stdin)?;
            let mut store = ctx.store()?;
            let added =
                store.add(&ctx.http, &server, key, label.as_deref(), colour.as_deref()).await?;
            let active = store.active().is_some_and(|a| a.id == added.account.id);
            if ctx.json {
                #[derive(Serialize)]
                struct Out<'a> {
                    account: &'a SavedAccount,
                    updated: bool,
                    active: bool,
                }
                print_json(&Out { account: &added.account, updated: added.updated, active });
            } else {
                let a = &added.account;
                let verb = if added.updated { "Updated" } else { "Added" };
                println!(
                    "{verb} {} ({}) as {} on {}; its key is in the {}.{}",
                    a.label,
                    a.id,
                    a.role_name,
                    a.server,
                    a.key_store.describe(),
                    if active { " It is the active account." } else { "" }
                );
            }
            Ok(())
        }
        AccountsCommand::List => {
            let store = ctx.store()?;
            let active = store.active().map(|a| a.id.clone());
            if ctx.json {
                #[derive(Serialize)]
                struct Out<'a> {
                    active: Option<String>,
                    accounts: &'a [SavedAccount],
                }
                print_json(&Out { active, accounts: store.accounts() });
                return Ok(());
            }
            if store.accounts().is_empty() {
                println!("No accounts yet. Add one with `roster accounts add --server URL`.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = store
                .accounts()
                .iter()
                .map(|a| {
                    let mark = if active.as_deref() == Some(a.id.as_str()) { "*" } else { "" };
                    vec![
                        mark.into(),
                        a.id.clone(),
                        a.label.clone(),
                        a.account_name.clone(),
                        a.role_name.clone(),
                        a.user_email.clone(),
                        a.server.clone(),
                    ]
                })
                .collect();
            print!("{}", table(&["", "ID", "LABEL", "ACCOUNT", "ROLE", "USER", "SERVER"], &rows));
            Ok(())
        }
        AccountsCommand::Switch { account } => {
            let mut store = ctx.store()?;
            let id = store.find(&account)?.id.clone();
            let a = store.switch(&id)?.clone();
            if ctx.json {
                print_json(&serde_json::json!({ "account": a }));
            } else {
                println!(
                    "Switched to {} ({}, {}) as {} on {}.",
                    a.label, a.id, a.account_name, a.role_name, a.server
                );
            }
            Ok(())
        }
        AccountsCommand::Remove { account, yes } => {
            let mut store = ctx.store()?;
            let a = store.find(&account)?.clone();
            confirm(
                yes,
                &format!(
                    "Remove the account {} ({}) on {}? Its key is deleted from the {}, for the desktop app too.",
                    a.label,
                    a.id,
                    a.server,
                    a.key_store.describe()
                ),
                &format!("Removing the account {} ({})", a.label, a.id),
            )?;
            let removed = store.remove(&a.id)?;
            let active = store.active().map(|x| x.id.clone());
            if ctx.json {
                print_json(&serde_json::json!({ "removed": removed, "active": active }));
            } else {
                println!(
                    "Removed {} ({}); its key was deleted from the {}.",
                    removed.label,
                    removed.id,
                    removed.key_store.describe()
                );
                if let Some(next) = store.active() {
                    println!("The active account is now {} ({}).", next.label, next.id);
                }
            }
            Ok(())
        }
        AccountsCommand::Doctor => doctor(ctx),
    }
}

fn doctor(ctx: &Ctx) -> Result<()> {
    let store = ctx.store()?;
    let keychain = store.keychain();
    let new_keys = keychain.store().clone();
    let reachable = keychain.check(&new_keys);
    let reports: Vec<KeyReport> = match &ctx.account {
        Some(q) => vec![store.doctor_one(&store.find(q)?.id)?],
        None => store.doctor(),
    };
    let env_key = std::env::var(KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| ApiKey::from(k.trim().to_string()).masked());
    let env_server = std::env::var(SERVER_ENV).ok().filter(|s| !s.trim().is_empty());
    let active = store.active().map(|a| a.id.clone());
    let healthy = reachable.is_ok() && reports.iter().all(|r| r.state == KeyState::Present);

    if ctx.json {
        #[derive(Serialize)]
        struct Keychain<'a> {
            store: &'a KeyStore,
            location: String,
            reachable: bool,
            problem: Option<String>,
        }
        #[derive(Serialize)]
        struct Env {
            server: Option<String>,
            api_key: Option<String>,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            config_file: String,
            active: Option<String>,
            keychain: Keychain<'a>,
            env: Env,
            /// How requests reach servers: direct, or https through which proxy.
            proxy: String,
            accounts: &'a [KeyReport],
            healthy: bool,
        }
        print_json(&Out {
            config_file: store.path().display().to_string(),
            active,
            keychain: Keychain {
                store: &new_keys,
                location: new_keys.describe(),
                reachable: reachable.is_ok(),
                problem: reachable.as_ref().err().map(|e| e.to_string()),
            },
            env: Env { server: env_server, api_key: env_key },
            proxy: ctx.http.config().proxy.describe(),
            accounts: &reports,
            healthy,
        });
    } else {
        println!("Account list: {}", store.path().display());
        match &reachable {
            Ok(()) => println!("New keys go to: {} (reachable)", new_keys.describe()),
            Err(e) => println!("New keys go to: {} (NOT reachable: {e})", new_keys.describe()),
        }
        if new_keys.is_plain_text() {
            println!("  warning: {KEY_FILE_ENV} is set, so keys are kept in plain text on disk.");
        }
        match (&env_key, &env_server) {
            (Some(k), Some(s)) => println!(
                "{KEY_ENV}: set ({k}), used with {SERVER_ENV}={s} when no --account is given"
            ),
            (Some(k), None) => {
                println!("{KEY_ENV}: set ({k}) but {SERVER_ENV} is not, so it is not used")
            }
            (None, _) => println!("{KEY_ENV}: not set"),
        }
        println!("Proxy: {}", ctx.http.config().proxy.describe());
        if reports.is_empty() {
            println!("\nNo accounts yet. Add one with `roster accounts add --server URL`.");
        }
        for r in &reports {
            let mark = if active.as_deref() == Some(r.account.as_str()) { "*" } else { " " };
            println!("\n{mark} {} ({})", r.label, r.account);
            println!("    key:   {}", r.location);
            let state = serde_json::to_value(r.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            match (&r.masked_key, &r.problem) {
                (Some(masked), _) => println!("    state: {state} ({masked})"),
                (None, Some(problem)) => println!("    state: {state}: {problem}"),
                (None, None) => println!("    state: {state}"),
            }
        }
    }
    if healthy {
        return Ok(());
    }
    let failure = match reachable {
        Err(e) => Failure::from(e),
        Ok(()) => {
            let code = match reports.iter().map(|r| r.state).find(|s| *s != KeyState::Present) {
                Some(KeyState::Missing) => "key_missing",
                Some(KeyState::Locked) => "keychain_locked",
                Some(KeyState::Unavailable) => "keychain_unavailable",
                _ => "key_unreadable",
            };
            Failure::new(
                code,
                EXIT_AUTH,
                "Some keys cannot be read; each account above says what to do.",
            )
        }
    };
    Err(failure.reported())
}
