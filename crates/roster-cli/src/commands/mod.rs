//! Each command: pick the account, call roster-core, print. The only logic here is the
//! glue a terminal needs (reading the key without echo, asking before destructive actions,
//! finding a member or invite by e-mail, keeping the clipboard alive for a paste).

mod accounts;
mod activity;
mod invites;
mod members;

use std::io::{BufRead, IsTerminal, Read, Write};

use roster_core::api::{Role, TeamPolicy};
use roster_core::{
    AccountStore, ApiKey, ErrorCode, Http, HttpConfig, Keychain, SavedAccount, TeamClient,
};

use crate::cli::{Cli, Command};
use crate::output::{EXIT_AUTH, EXIT_FAILED, Failure};

pub const SERVER_ENV: &str = "ROSTER_SERVER";
pub const KEY_ENV: &str = "ROSTER_API_KEY";

type Result<T, E = Failure> = std::result::Result<T, E>;

/// What every command gets: the global flags and the shared HTTP client.
struct Ctx {
    account: Option<String>,
    json: bool,
    http: Http,
}

/// The account a command acts on.
struct Team {
    client: TeamClient,
    /// The stored account, `None` when acting with ROSTER_SERVER + ROSTER_API_KEY.
    stored: Option<SavedAccount>,
}

pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        account: cli.account.filter(|a| !a.trim().is_empty()),
        json: cli.json,
        http: Http::new(HttpConfig::default())?,
    };
    match cli.command {
        Command::Accounts(c) => accounts::run(&ctx, c).await,
        Command::Members(c) => members::run(&ctx, c).await,
        Command::Invites(c) => invites::run(&ctx, c).await,
        Command::Roles => activity::roles(&ctx).await,
        Command::Audit(a) => activity::audit(&ctx, a).await,
        Command::Watch => activity::watch(&ctx).await,
        Command::Completions { .. } => unreachable!("handled before the runtime starts"),
    }
}

impl Ctx {
    fn store(&self) -> Result<AccountStore> {
        Ok(AccountStore::open(Keychain::from_env())?)
    }

    /// `--account`/ROSTER_ACCOUNT, else ROSTER_SERVER + ROSTER_API_KEY, else the active account.
    fn team(&self) -> Result<Team> {
        if let Some(query) = &self.account {
            let store = self.store()?;
            let account = store.find(query)?.clone();
            return stored_team(&store, account, &self.http);
        }
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (env(SERVER_ENV), env(KEY_ENV)) {
            (Some(server), Some(key)) => {
                let client =
                    TeamClient::new(&self.http, &server, ApiKey::from(key.trim().to_string()))?;
                return Ok(Team { client, stored: None });
            }
            (None, Some(_)) => {
                return Err(Failure::usage(format!(
                    "{KEY_ENV} is set but {SERVER_ENV} is not: set {SERVER_ENV} to the server's address too, or unset {KEY_ENV} to use a stored account."
                )));
            }
            _ => {}
        }
        let store = self.store()?;
        let account = store.active().cloned().ok_or_else(|| {
            Failure::new(
                "no_account",
                EXIT_AUTH,
                format!("No account yet. Add one with `roster accounts add --server URL` (the key is read from a hidden prompt or stdin), or set {SERVER_ENV} and {KEY_ENV}."),
            )
        })?;
        stored_team(&store, account, &self.http)
    }
}

fn stored_team(store: &AccountStore, account: SavedAccount, http: &Http) -> Result<Team> {
    let client = store.client(&account.id, http).map_err(|e| {
        let mut f = Failure::from(e);
        if f.kind == Some(ErrorCode::KeyMissing) {
            f.message.push_str(&format!(
                " With the CLI: `roster accounts add --server {}`.",
                account.server
            ));
        }
        f
    })?;
    Ok(Team { client, stored: Some(account) })
}

/// The key from a hidden prompt on a terminal, else from standard input. Never echoed,
/// never part of a message.
fn read_key(from_stdin: bool) -> Result<ApiKey> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        if from_stdin {
            return Err(Failure::usage(
                "--key-stdin expects the key piped in (e.g. `pass show roster | roster accounts add --key-stdin ...`); without it roster asks with a hidden prompt.",
            ));
        }
        rpassword::prompt_password("API key (input hidden): ").map_err(|e| {
            Failure::new("stdin", EXIT_FAILED, format!("Could not read the key: {e}"))
        })?
    } else {
        read_stdin()?
    };
    let key = text.trim();
    if key.is_empty() {
        return Err(Failure::usage(
            "No API key was given: type it at the prompt, or pipe it on standard input.",
        ));
    }
    if key.split_whitespace().count() > 1 {
        return Err(Failure::usage("Expected one API key, got several words: give only the key."));
    }
    Ok(ApiKey::from(key.to_string()))
}

/// Asks before a destructive action; without a terminal, only `--yes` confirms.
fn confirm(yes: bool, question: &str, doing: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::usage(format!(
            "{doing} needs confirmation: run it again with --yes (there is no terminal to ask on)."
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = stdin.lock().read_line(&mut answer);
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::new("cancelled", EXIT_FAILED, "Cancelled; nothing was changed."))
    }
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).map_err(|e| {
        Failure::new("stdin", EXIT_FAILED, format!("Could not read standard input: {e}"))
    })?;
    Ok(s)
}

fn role_name(roles: &[Role], id: &str) -> String {
    roles.iter().find(|r| r.id == id).map_or_else(|| id.to_string(), |r| r.name.clone())
}

/// A role id from an id or a display name ("Billing viewer"); unknown text is passed on as
/// typed, so the server's `unknown_role` answer (which lists the roles) reaches the user.
fn role_id(policy: &TeamPolicy, text: &str) -> String {
    policy.find_role(text).map_or_else(|| text.trim().to_string(), |r| r.id.clone())
}
