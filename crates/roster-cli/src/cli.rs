//! The command line, as clap derive types. Parsing only: `commands` does the work.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use roster_core::api::{AuditAction, Delivery, IdentityProvider, InviteStatus};

use crate::output::Failure;

const AFTER_HELP: &str = "\
Which account a command acts on:
  --account NAME|ID (or ROSTER_ACCOUNT) picks a stored account by id, label or account name;
  otherwise ROSTER_SERVER + ROSTER_API_KEY, when both are set, act with no stored account (CI);
  otherwise the active account (`roster accounts switch`).
Accounts and keys are shared with the Roster desktop app: keys live only in the OS keychain
(service \"roster\"), or in the plain-text file named by ROSTER_KEY_FILE if you opted into that.

Exit codes:
  0  done
  1  the action failed: the server refused it (its code is printed, e.g. error[seat_limit_reached]),
     failed, or could not be reached (error[unreachable]); or a local file could not be written
  2  usage: a wrong command, flag or value (including an unknown account or a plain-http address)
  3  auth or keychain: the key was refused, is missing, or the keychain is locked or unreachable";

#[derive(Debug, Parser)]
#[command(
    name = "roster",
    version,
    about = "Manage your team's members, invites and roles from the terminal.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// The stored account to act on: its id, label or account name [default: the active one].
    #[arg(long, global = true, env = "ROSTER_ACCOUNT", value_name = "NAME|ID")]
    pub account: Option<String>,

    /// Print JSON with stable field names instead of tables (errors too, on stdout).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The command line, or why it is wrong as one `error[usage]` line (clap's own report is a
/// paragraph, and never JSON). Help and version are answers, not failures: clap prints them
/// and the process exits here.
pub fn parse(args: &[OsString]) -> Result<Cli, Failure> {
    let matches = Cli::command().try_get_matches_from(args).map_err(|e| usage(e, args))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| usage(e, args))?;
    refuse_ignored_account(&cli, &matches)?;
    Ok(cli)
}

/// Whether `--json` was asked for, read from the raw words: a line that did not parse still
/// owes a script its JSON error.
pub fn wants_json(args: &[OsString]) -> bool {
    args.iter().skip(1).take_while(|a| *a != "--").any(|a| a == "--json")
}

fn usage(e: clap::Error, args: &[OsString]) -> Failure {
    // A bare `roster` or `roster members` asks what there is to do: the help answers that
    // better than one line, and clap still exits 2 after it.
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let reason = clap_reason(&e);
    let stop = if reason.ends_with('.') { "" } else { "." };
    Failure::usage(format!("{reason}{stop} Run `{} --help`.", command_path(args)))
}

/// clap's report up to its usage block, on one line: the reason with the values it takes or
/// the arguments missing (indented under it) and any "similar ... exists" tip.
fn clap_reason(e: &clap::Error) -> String {
    let report = e.to_string();
    let reason = report
        .split("\n\n")
        .take_while(|part| !part.starts_with("Usage:") && !part.starts_with("For more information"))
        .map(|part| part.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("; ");
    reason.strip_prefix("error: ").unwrap_or(&reason).to_string()
}

/// The subcommands typed (`roster invites create`), to point at the help that fits.
fn command_path(args: &[OsString]) -> String {
    let mut command = Cli::command();
    // Builds the tree so subcommands know the global options and how many values each takes.
    command.build();
    let mut path = vec![command.get_name().to_string()];
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if word.starts_with('-') {
            if takes_value(&command, &word) {
                words.next();
            }
            continue;
        }
        let Some(sub) = command.find_subcommand(word.as_ref()).cloned() else { break };
        path.push(sub.get_name().to_string());
        command = sub;
    }
    path.join(" ")
}

/// Whether the option `--name` or `-n` reads the next word as its value (`--account NAME`).
fn takes_value(command: &clap::Command, option: &str) -> bool {
    let named = |arg: &&clap::Arg| match option.strip_prefix("--") {
        Some(long) => arg.get_long() == Some(long),
        None => option.chars().count() == 2 && arg.get_short() == option.chars().nth(1),
    };
    command
        .get_arguments()
        .find(named)
        .is_some_and(|arg| arg.get_num_args().is_some_and(|n| n.takes_values()))
}

/// `--account` on a command that acts on no stored account of its choosing would be ignored
/// without a word. ROSTER_ACCOUNT is not refused: it is exported for a whole shell, which
/// runs these commands too.
fn refuse_ignored_account(cli: &Cli, matches: &ArgMatches) -> Result<(), Failure> {
    if matches.value_source("account") != Some(ValueSource::CommandLine) {
        return Ok(());
    }
    let (command, instead) = match &cli.command {
        Command::Accounts(AccountsCommand::Add { .. }) => {
            ("accounts add", "it adds a new account; name it with --label")
        }
        Command::Accounts(AccountsCommand::List) => {
            ("accounts list", "it lists every stored account")
        }
        Command::Accounts(AccountsCommand::Switch { .. }) => (
            "accounts switch",
            "give the account as its argument: `roster accounts switch NAME|ID`",
        ),
        Command::Accounts(AccountsCommand::Remove { .. }) => (
            "accounts remove",
            "give the account as its argument: `roster accounts remove NAME|ID`",
        ),
        Command::Completions { .. } => ("completions", "the script is the same for every account"),
        _ => return Ok(()),
    };
    Err(Failure::usage(format!("--account does not apply to `roster {command}`: {instead}.")))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, switch and remove accounts; check where their keys live.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// List and show members, change their role, remove them, or leave the team.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Create (one, several or a list from a file), list, copy, resend and revoke invites.
    #[command(subcommand)]
    Invites(InvitesCommand),
    /// The team's roles and what each may do.
    Roles,
    /// The team's activity log, newest first.
    Audit(AuditArgs),
    /// Follow the team's activity as it happens (reconnects by itself; Ctrl+C stops).
    Watch,
    /// Print a shell completion script, e.g. `roster completions bash > /etc/bash_completion.d/roster`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account by its API key, checked with the server first, saved to the keychain.
    ///
    /// The key is read from a hidden prompt on a terminal, or from standard input when it is
    /// piped (`--key-stdin` forces that): never from an argument, which would land in shell
    /// history. The first account added becomes the active one.
    Add {
        /// The server's address, e.g. https://api.example.com (plain http only to this computer).
        #[arg(long, env = "ROSTER_SERVER", value_name = "URL")]
        server: String,
        /// Expect the key piped on standard input (e.g. `pass show roster | roster accounts
        /// add --key-stdin ...`) and never prompt; piped input is read even without it.
        #[arg(long)]
        key_stdin: bool,
        /// Your name for the account [default: the account's name].
        #[arg(long)]
        label: Option<String>,
        /// Its colour, #rrggbb [default: the next unused one].
        #[arg(long, value_name = "#RRGGBB")]
        colour: Option<String>,
    },
    /// List the stored accounts; `*` marks the active one.
    List,
    /// Make an account the active one (after checking its key can be read).
    Switch {
        // Its own id: sharing the global `--account`'s would let this argument stand in for
        // that option, and clap would then refuse `--account` here with a misleading tip.
        #[arg(id = "stored_account", value_name = "NAME|ID")]
        account: String,
    },
    /// Remove an account and delete its key from the keychain.
    Remove {
        #[arg(id = "stored_account", value_name = "NAME|ID")]
        account: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long, short)]
        yes: bool,
    },
    /// Where each account's key lives, whether it can be read, and whether the keychain is
    /// reachable. Keys are shown masked. Exits 3 when a key cannot be read.
    Doctor,
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List members with role, sign-in method and last login.
    List {
        /// Only members with this role (id).
        #[arg(long)]
        role: Option<String>,
        /// Only members whose name or e-mail contains this.
        #[arg(long, short)]
        query: Option<String>,
    },
    /// Show one member.
    Show {
        /// User id or e-mail.
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Change a member's role (promoting to owner may need the original owner's confirmation).
    Role {
        /// User id or e-mail.
        #[arg(value_name = "USER")]
        user: String,
        /// Role id or name, e.g. admin or "Billing viewer".
        role: String,
    },
    /// Remove a member from the team, at once.
    Remove {
        /// User id or e-mail.
        #[arg(value_name = "USER")]
        user: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long, short)]
        yes: bool,
    },
    /// Leave the team yourself; the key then stops working.
    Leave {
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long, short)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum InvitesCommand {
    Create(CreateArgs),
    /// List invites with their status and expiry.
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only invites whose e-mail contains this.
        #[arg(long, short)]
        query: Option<String>,
    },
    /// Print a pending invite's link and copy it to the clipboard again.
    Copy {
        /// Invite id, or the e-mail of a pending invite.
        #[arg(value_name = "INVITE")]
        invite: String,
        /// Only print the link; leave the clipboard alone.
        #[arg(long)]
        print: bool,
        /// Copy a ready-to-send message with the link, role and expiry instead of the bare link.
        #[arg(long)]
        message: bool,
        #[command(flatten)]
        hold: HoldArg,
    },
    /// Send a pending or expired invite again, with a fresh expiry.
    Resend {
        /// Invite id, or the e-mail of a pending invite.
        #[arg(value_name = "INVITE")]
        invite: String,
    },
    /// Revoke a pending invite: its link stops working at once.
    Revoke {
        /// Invite id, or the e-mail of a pending invite.
        #[arg(value_name = "INVITE")]
        invite: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long, short)]
        yes: bool,
    },
}

/// Invite people and print their links
///
/// One EMAIL: creates the invite, prints its link (stdout) and what was done (stderr);
/// `--json` prints an InviteLink {invite, copy, created, emailed_to}. Several EMAILs, or
/// `--from FILE` (`-` or a lone EMAIL of `-` reads standard input): each row gets its own
/// result; lines may be `email`, `email,role`, CSV with a header, or pasted `Name <email>`
/// lists; a repeated address is skipped; a full team stops the run and the rest are listed
/// as not attempted. `--json` then prints a BulkReport {rows, stopped, copy}. Exits 1 when
/// any row was refused or not attempted.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CreateArgs {
    /// Addresses to invite (or `-` to read a list from standard input).
    #[arg(value_name = "EMAIL", required_unless_present = "from")]
    pub emails: Vec<String>,
    /// Read the people to invite from this file (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "emails")]
    pub from: Option<PathBuf>,
    /// Role id or name [default: the team's default role; in a list, for rows without one].
    #[arg(long)]
    pub role: Option<String>,
    /// How the invite reaches them [default: the team's first method].
    #[arg(long, value_enum)]
    pub delivery: Option<DeliveryArg>,
    /// Where the server e-mails the invite when it differs from the username (one EMAIL only).
    #[arg(long, value_name = "EMAIL")]
    pub notify_email: Option<String>,
    /// Only people signing in with this identity provider may accept.
    #[arg(long, value_enum)]
    pub idp: Option<IdpArg>,
    /// Microsoft Entra tenant id or domain the invitee must belong to (with --idp microsoft).
    #[arg(long, requires = "idp")]
    pub tenant: Option<String>,
    /// Require two-step sign-in to accept (where the team offers it).
    #[arg(long)]
    pub secure_sign_in: bool,
    /// Days until the link expires [default: the team's invite lifetime].
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,
    /// Also put the link(s) on the clipboard (see --hold).
    #[arg(long)]
    pub copy: bool,
    #[command(flatten)]
    pub hold: HoldArg,
}

#[derive(Debug, Args)]
pub struct HoldArg {
    /// With a clipboard copy: on X11 and Wayland the copied text lives in the program that
    /// copied it, so roster keeps running to serve pastes until another program copies
    /// something, SECS seconds pass, or Ctrl+C; then it exits and the text stays only if a
    /// clipboard manager took it. 0 = exit at once. macOS and Windows keep the text anyway.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub hold: u64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this action.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(AuditAction::ALL.map(|a| a.as_str())))]
    pub action: Option<String>,
    /// Only actions by this user (id).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only events whose target e-mail contains this.
    #[arg(long, short)]
    pub query: Option<String>,
    /// At most this many events.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl From<StatusArg> for InviteStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => InviteStatus::Pending,
            StatusArg::Accepted => InviteStatus::Accepted,
            StatusArg::Expired => InviteStatus::Expired,
            StatusArg::Revoked => InviteStatus::Revoked,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeliveryArg {
    Link,
    Email,
}

impl From<DeliveryArg> for Delivery {
    fn from(d: DeliveryArg) -> Self {
        match d {
            DeliveryArg::Link => Delivery::Link,
            DeliveryArg::Email => Delivery::Email,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IdpArg {
    Any,
    Google,
    Microsoft,
}

impl From<IdpArg> for IdentityProvider {
    fn from(p: IdpArg) -> Self {
        match p {
            IdpArg::Any => IdentityProvider::Any,
            IdpArg::Google => IdentityProvider::Google,
            IdpArg::Microsoft => IdentityProvider::Microsoft,
        }
    }
}
