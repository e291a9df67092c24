//! The command line, as clap derive types. Parsing only: `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use roster_core::api::{AuditAction, Delivery, IdentityProvider, InviteStatus};

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
        #[arg(value_name = "NAME|ID")]
        account: String,
    },
    /// Remove an account and delete its key from the keychain.
    Remove {
        #[arg(value_name = "NAME|ID")]
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
