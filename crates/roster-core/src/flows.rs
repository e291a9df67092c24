//! The invite flows the app and the CLI both call, over a `TeamClient` and the clipboard:
//!
//! - [`create_invite`]: create one invite, put its link on the clipboard, say what was copied
//!   and when it expires ([`InviteLink::summary`] → "Link copied · expires Sun 6 Dec").
//! - [`recopy_link`]: fetch a pending invite fresh and copy its link again; a revoked,
//!   accepted or expired one is refused with a clear error.
//! - [`plan_bulk`] + [`bulk_invite`]: invite a pasted list or CSV, one result per row.
//! - [`invite_message`] / [`copy_invite_message`]: "You're invited to join Acme as Member on
//!   Roster: <link> (link expires Sun 6 Dec, in 14 days)".
//! - [`expiry_date`], [`expiry_relative`], [`expiry_phrase`]: expiry wording, pure.
//!
//! An invite that was created stays reported even when the copy fails: the copy outcome is
//! part of the result ([`CopyOutcome::Failed`]), never an error that would hide the invite.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use roster_api::{Delivery, IdentityProvider, IdentityProviderRestriction, Invite, InviteStatus, Me, NewInvite, Problem, TeamPolicy};
use serde::{Deserialize, Serialize};

use crate::client::{IdempotencyKey, TeamClient};
use crate::clipboard::{Clipboard, CopyOptions};
use crate::error::{Error, ErrorCode, Result};

// ------------------------------------------------------------------------------------------
// Where links go

/// Where a flow puts the link(s) it produced.
#[derive(Debug, Clone)]
pub enum CopyTo<'a> {
    /// Nowhere: the caller shows or prints them (`roster invite --print`).
    Nowhere,
    Clipboard { clipboard: &'a Clipboard, options: CopyOptions },
}

impl<'a> CopyTo<'a> {
    pub fn clipboard(clipboard: &'a Clipboard, options: CopyOptions) -> Self {
        CopyTo::Clipboard { clipboard, options }
    }

    /// Copies inline: the clipboard thread answers in milliseconds, so async callers are not
    /// held up in any way that matters.
    fn put(&self, text: &str) -> CopyOutcome {
        match self {
            CopyTo::Nowhere => CopyOutcome::NotRequested,
            CopyTo::Clipboard { clipboard, options } => match clipboard.copy_with(text, options) {
                Ok(()) => CopyOutcome::Copied,
                Err(e) => CopyOutcome::Failed { message: e.to_string() },
            },
        }
    }
}

/// What happened to the link(s) of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CopyOutcome {
    /// On the clipboard now.
    Copied,
    /// The caller asked for no copy.
    NotRequested,
    /// There was no link to copy (the server showed none, or nothing was created).
    NoLink,
    /// The clipboard refused; `message` says why and that the link is shown to copy by hand.
    Failed { message: String },
}

// ------------------------------------------------------------------------------------------
// One invite

/// An invite and what became of its link.
#[derive(Debug, Clone, Serialize)]
pub struct InviteLink {
    pub invite: Invite,
    pub copy: CopyOutcome,
    /// This action created the invite (else it re-copied a pending one).
    pub created: bool,
    /// Where the server e-mails the invite, when this action sent one.
    pub emailed_to: Option<String>,
}

impl InviteLink {
    pub fn link(&self) -> Option<&str> {
        self.invite.link.as_deref()
    }

    /// One line for a toast or the CLI, e.g. "Link copied · expires Sun 6 Dec".
    pub fn summary<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> String
    where
        Tz::Offset: fmt::Display,
    {
        let expiry = expiry_phrase(self.invite.expires_at, now);
        let head = match (&self.emailed_to, self.created) {
            (Some(to), _) => format!("Invite e-mailed to {to}"),
            (None, true) => "Invite created".to_string(),
            (None, false) => "Invite pending".to_string(),
        };
        match (&self.copy, &self.emailed_to) {
            (CopyOutcome::Copied, None) => format!("Link copied · {expiry}"),
            (CopyOutcome::Copied, Some(_)) => format!("{head} · link copied · {expiry}"),
            (CopyOutcome::NotRequested, _) => format!("{head} · {expiry}"),
            (CopyOutcome::NoLink, _) => format!("{head} · the server showed no link to copy · {expiry}"),
            (CopyOutcome::Failed { .. }, _) => format!("{head} · the link could not be copied, copy it by hand · {expiry}"),
        }
    }
}

/// Creates an invite and copies its link.
///
/// `key` stands for one user action: make it once when the user asks ("Invite"), and pass
/// the same key if the same action is tried again; the client reuses it across its own
/// retries, so a lost answer never makes a second invite. Managers always get the link back,
/// e-mail delivery included; if a server ever returns none, the result says so
/// ([`CopyOutcome::NoLink`]).
pub async fn create_invite(client: &TeamClient, new: &NewInvite, key: &IdempotencyKey, copy: &CopyTo<'_>) -> Result<InviteLink> {
    let invite = client.create_invite(new, key).await?;
    let copy = match invite.link.as_deref() {
        Some(link) => copy.put(link),
        None => CopyOutcome::NoLink,
    };
    let emailed_to = (invite.delivery == Delivery::Email).then(|| invite.notification_email.clone().unwrap_or_else(|| invite.email.clone()));
    Ok(InviteLink { invite, copy, created: true, emailed_to })
}

/// Copies the link of a pending invite again, from the invite fetched fresh (a cached one
/// may have been revoked or accepted since). Refuses an invite that is not pending with a
/// `Conflict` error that says what happened to it.
pub async fn recopy_link(client: &TeamClient, invite_id: &str, copy: &CopyTo<'_>) -> Result<InviteLink> {
    let invite = pending_with_link(client, invite_id).await?;
    let copy = copy.put(invite.link.as_deref().unwrap_or_default());
    Ok(InviteLink { invite, copy, created: false, emailed_to: None })
}

/// The invite as a message to paste into a chat, and what became of the copy.
#[derive(Debug, Clone, Serialize)]
pub struct InviteMessage {
    pub invite: Invite,
    pub text: String,
    pub copy: CopyOutcome,
}

/// Fetches a pending invite fresh and copies [`invite_message`] for it. `me` (usually
/// cached) gives the account name and the role catalog.
pub async fn copy_invite_message(client: &TeamClient, invite_id: &str, me: &Me, copy: &CopyTo<'_>) -> Result<InviteMessage> {
    let invite = pending_with_link(client, invite_id).await?;
    let text = invite_message(&invite, &me.account.name, &me.policy, &chrono::Local::now())
        .ok_or_else(|| not_pending(&Invite { status: InviteStatus::Expired, ..invite.clone() }))?;
    let copy = copy.put(&text);
    Ok(InviteMessage { invite, text, copy })
}

async fn pending_with_link(client: &TeamClient, invite_id: &str) -> Result<Invite> {
    let invite = client.invite(invite_id).await?;
    if invite.status != InviteStatus::Pending {
        return Err(not_pending(&invite));
    }
    if invite.link.is_none() {
        return Err(client_problem(
            ErrorCode::NoPermission,
            roster_api::ErrorCode::Forbidden,
            403,
            "The server shows invite links only to roles that manage the team. Ask an owner or admin to copy it.",
        ));
    }
    Ok(invite)
}

/// The error for a link that no longer works. It carries the server's own code for the
/// case (`invite_not_pending`, as resend and revoke answer), so the UI branches on one code.
fn not_pending(invite: &Invite) -> Error {
    let day = |t: Option<DateTime<Utc>>| t.map(|t| format!(" on {}", t.format("%-d %b %Y"))).unwrap_or_default();
    let detail = match invite.status {
        InviteStatus::Revoked => format!(
            "This invite to {} was revoked{}; its link no longer works. Create a new invite if they should still join.",
            invite.email,
            day(invite.revoked_at)
        ),
        InviteStatus::Accepted => {
            let by = invite.accepted_by.as_ref().map(|u| format!(" by {}", u.name)).unwrap_or_default();
            format!("This invite to {} was already accepted{by}{}; its link no longer works.", invite.email, day(invite.accepted_at))
        }
        InviteStatus::Expired | InviteStatus::Pending => format!(
            "This invite to {} expired{}; its link no longer works. Resend it to give it a fresh expiry, or create a new invite.",
            invite.email,
            day(Some(invite.expires_at))
        ),
    };
    client_problem(ErrorCode::Conflict, roster_api::ErrorCode::InviteNotPending, 409, &detail)
}

fn client_problem(expected: ErrorCode, code: roster_api::ErrorCode, status: u16, detail: &str) -> Error {
    let e = Error::Api {
        problem: Problem {
            type_: format!("urn:roster:problem:{}", code.as_str()),
            title: if status == 409 { "Conflict".into() } else { "Forbidden".into() },
            status,
            detail: detail.to_string(),
            code,
            errors: Vec::new(),
        },
        retry_after: None,
    };
    debug_assert_eq!(e.code(), expected);
    e
}

// ------------------------------------------------------------------------------------------
// Copy as message

/// A message for the invitee, e.g. "You're invited to join Acme as Member on Roster:
/// https://… (link expires Sun 6 Dec, in 14 days)". The date is in `now`'s time zone (the
/// sender's); the "in 14 days" part reads right in any time zone. `None` when the invite
/// carries no link or has expired by `now`.
pub fn invite_message<Tz: TimeZone>(invite: &Invite, account_name: &str, policy: &TeamPolicy, now: &DateTime<Tz>) -> Option<String>
where
    Tz::Offset: fmt::Display,
{
    let link = invite.link.as_deref()?;
    let left = invite.expires_at - now.with_timezone(&Utc);
    if left <= chrono::Duration::zero() {
        return None;
    }
    let role = policy.role(&invite.role).map_or(invite.role.as_str(), |r| r.name.as_str());
    let when = if left >= chrono::Duration::hours(48) {
        format!("{}, {}", expiry_date(invite.expires_at, now), expiry_relative(invite.expires_at, now))
    } else {
        expiry_relative(invite.expires_at, now)
    };
    let mut text = format!("You're invited to join {account_name} as {role} on Roster: {link} (link expires {when})");
    if let Some(how) = sign_in_requirement(&invite.identity_provider) {
        text.push_str(&format!(". Sign in with {how} to accept"));
    }
    if invite.require_secure_sign_in {
        text.push_str(". Two-step sign-in is required");
    }
    Some(text)
}

fn sign_in_requirement(idp: &IdentityProviderRestriction) -> Option<String> {
    match (idp.provider, &idp.tenant_id) {
        (IdentityProvider::Any, _) => None,
        (p, Some(tenant)) => Some(format!("{} ({tenant})", p.display_name())),
        (p, None) => Some(p.display_name().to_string()),
    }
}

// ------------------------------------------------------------------------------------------
// Expiry wording

/// The expiry day in `now`'s time zone: "Sun 6 Dec", with the year when it is not `now`'s.
pub fn expiry_date<Tz: TimeZone>(at: DateTime<Utc>, now: &DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    let local = at.with_timezone(&now.timezone());
    if local.year() == now.year() { local.format("%a %-d %b").to_string() } else { local.format("%a %-d %b %Y").to_string() }
}

/// Time left, the same in every time zone: "in 14 days", "in 1 day", "in 5 hours",
/// "in 25 minutes", or "expired". Rounded to the nearest unit (a 14-day invite read a
/// second after creation still says 14 days); minutes round up, so never "in 0 minutes".
pub fn expiry_relative<Tz: TimeZone>(at: DateTime<Utc>, now: &DateTime<Tz>) -> String {
    let secs = (at - now.with_timezone(&Utc)).num_seconds();
    if secs <= 0 {
        return "expired".into();
    }
    let unit = |n: i64, one: &str| if n == 1 { format!("in 1 {one}") } else { format!("in {n} {one}s") };
    if secs < 3600 {
        return unit((secs + 59) / 60, "minute");
    }
    let hours = (secs + 1800) / 3600;
    if secs < 86_400 && hours < 24 {
        return unit(hours, "hour");
    }
    unit((secs + 43_200) / 86_400, "day")
}

/// For the person who made the invite, in their time zone: "expires Sun 6 Dec", "expires
/// tomorrow at 09:30", "expires today at 17:00", "expires in 25 minutes", "expired Sun 6 Dec".
pub fn expiry_phrase<Tz: TimeZone>(at: DateTime<Utc>, now: &DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    let left = at - now.with_timezone(&Utc);
    if left <= chrono::Duration::zero() {
        return format!("expired {}", expiry_date(at, now));
    }
    if left < chrono::Duration::hours(1) {
        return format!("expires {}", expiry_relative(at, now));
    }
    let local = at.with_timezone(&now.timezone());
    match (local.date_naive() - now.date_naive()).num_days() {
        0 => format!("expires today at {}", local.format("%H:%M")),
        1 => format!("expires tomorrow at {}", local.format("%H:%M")),
        _ => format!("expires {}", expiry_date(at, now)),
    }
}

// ------------------------------------------------------------------------------------------
// Bulk invites

/// One person to invite, read from a pasted list or CSV.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRow {
    /// 1-based line of the input, for "line 7: …".
    pub line: usize,
    pub email: String,
    /// A role id of the policy when the input named one (by id or display name), else the
    /// text as typed, which the server then refuses with `unknown_role`.
    pub role: String,
    /// Set when the same e-mail came earlier in the input: the line of that first mention.
    pub duplicate_of: Option<usize>,
    /// One key per row, made when the plan is made: running the same plan again (after a
    /// stop, or a lost answer) never invites anyone twice.
    #[serde(skip)]
    key: IdempotencyKey,
}

/// The rows of a bulk invite before any is sent; show it, then pass it to [`bulk_invite`].
#[derive(Debug, Clone, Serialize)]
pub struct BulkPlan {
    pub rows: Vec<PlannedRow>,
}

/// Settings applied to every row of a bulk invite: those of [`NewInvite`], named and
/// serialised as there, but the notification e-mail, which is per person. The desktop UI sends
/// them as JSON (`invite_bulk`'s `options`); an unknown field is refused rather than dropped,
/// so a setting the user chose is never silently left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct BulkOptions {
    /// Defaults to the policy's first delivery method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub identity_provider: Option<IdentityProviderRestriction>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_secure_sign_in: bool,
    /// 1..=policy lifetime; defaults to the policy lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub expires_in_days: Option<u32>,
}

/// Reads a pasted list or CSV into rows.
///
/// Accepted, one or more per line:
/// - `email,role` (CSV; `;` works too; fields may be double-quoted). A header line such as
///   `email,role` or `Name,Email,Role` is recognised (no `@` in it, a field named
///   email/e-mail/username) and then picks the columns;
/// - lists of bare addresses separated by commas, semicolons or whitespace, and
///   `Name <ana@example.com>` as mail programs paste them;
/// - `email role` separated by whitespace when the second word is a role of the policy.
///
/// Blank lines and lines starting with `#` or `//` are ignored. A role is matched to the
/// policy by id or display name, case-insensitively; rows without one get `default_role`
/// (the policy's default when `None`). An address seen before (case-insensitively) is
/// marked as a duplicate of its first line. Nothing is checked here that the server checks:
/// it answers per row, with its own codes.
pub fn plan_bulk(input: &str, policy: &TeamPolicy, default_role: Option<&str>) -> BulkPlan {
    let default_role = default_role.unwrap_or(&policy.default_role).to_string();
    let mut columns: Option<(usize, Option<usize>)> = None;
    let mut seen_data = false;
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let fields = split_fields(line);
        if !seen_data {
            seen_data = true;
            if let Some(c) = header_columns(&fields) {
                columns = Some(c);
                continue;
            }
        }
        for (email, role) in entries(&fields, columns, policy) {
            let role = match role {
                Some(r) => resolve_role(policy, &r),
                None => default_role.clone(),
            };
            let duplicate_of = first.get(&email.to_lowercase()).copied();
            if duplicate_of.is_none() {
                first.insert(email.to_lowercase(), i + 1);
            }
            rows.push(PlannedRow { line: i + 1, email, role, duplicate_of, key: IdempotencyKey::new() });
        }
    }
    BulkPlan { rows }
}

/// Splits a line at `,` and `;` outside double quotes; trims and unquotes each field.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => fields.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    fields.push(cur.trim().to_string());
    fields
}

fn header_columns(fields: &[String]) -> Option<(usize, Option<usize>)> {
    if fields.iter().any(|f| f.contains('@')) {
        return None;
    }
    let norm = |f: &str| f.to_lowercase().replace(['-', '_', ' '], "");
    let email = fields.iter().position(|f| matches!(norm(f).as_str(), "email" | "emailaddress" | "mail" | "username" | "login"))?;
    let role = fields.iter().position(|f| matches!(norm(f).as_str(), "role" | "roles"));
    Some((email, role))
}

/// The (address, role) pairs of one line.
fn entries(fields: &[String], columns: Option<(usize, Option<usize>)>, policy: &TeamPolicy) -> Vec<(String, Option<String>)> {
    if let Some((email_col, role_col)) = columns
        && fields.len() > 1 {
            let email = fields.get(email_col).map(|f| address(f)).unwrap_or_default();
            let role = role_col.and_then(|c| fields.get(c)).filter(|r| !r.is_empty()).cloned();
            return if email.is_empty() { Vec::new() } else { vec![(email, role)] };
        }
    if fields.len() == 2 && !fields[1].is_empty() && !fields[1].contains('@') && !fields[0].is_empty() {
        return vec![(address(&fields[0]), Some(fields[1].clone()))];
    }
    let mut out = Vec::new();
    for field in fields.iter().filter(|f| !f.is_empty()) {
        if field.contains('<') && field.contains('>') {
            out.push((address(field), None));
            continue;
        }
        let words: Vec<&str> = field.split_whitespace().collect();
        if let [email, role] = words.as_slice()
            && email.contains('@') && !role.contains('@') && known_role(policy, role).is_some() {
                out.push((address(email), Some(role.to_string())));
                continue;
            }
        out.extend(words.into_iter().map(|w| (address(w), None)));
    }
    out
}

/// `Ana <ana@example.com>` → `ana@example.com`; `mailto:` and quotes stripped.
fn address(field: &str) -> String {
    let f = field.trim();
    let f = match (f.rfind('<'), f.rfind('>')) {
        (Some(a), Some(b)) if a < b => &f[a + 1..b],
        _ => f,
    };
    let f = f.trim().trim_matches('"').trim();
    f.strip_prefix("mailto:").unwrap_or(f).to_string()
}

fn known_role<'a>(policy: &'a TeamPolicy, text: &str) -> Option<&'a str> {
    policy.find_role(text).map(|r| r.id.as_str())
}

fn resolve_role(policy: &TeamPolicy, text: &str) -> String {
    known_role(policy, text).map_or_else(|| text.trim().to_string(), str::to_string)
}

/// What became of one row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowOutcome {
    Created { invite: Box<Invite> },
    /// The same address came earlier in the input; only the first is sent.
    Duplicate { first_line: usize },
    /// The server refused this row; `server_code` is its machine code (`seat_limit_reached`,
    /// `already_member`, `invite_exists`, `validation_failed`, `unknown_role`, …).
    Refused { code: ErrorCode, server_code: Option<roster_api::ErrorCode>, message: String },
    /// Not sent because an earlier row stopped the run; `reason` says why ("seats full").
    NotAttempted { reason: String },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkRow {
    pub line: usize,
    pub email: String,
    pub role: String,
    pub outcome: RowOutcome,
}

/// Why a bulk run stopped before its last row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkStop {
    /// The row whose answer stopped the run.
    pub line: usize,
    pub code: ErrorCode,
    /// Short, for each row not attempted: "seats full".
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkReport {
    pub rows: Vec<BulkRow>,
    pub stopped: Option<BulkStop>,
    /// The created links, one per line, when a copy was asked for.
    pub copy: CopyOutcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkCounts {
    pub created: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub not_attempted: usize,
}

impl BulkReport {
    pub fn created(&self) -> impl Iterator<Item = &Invite> {
        self.rows.iter().filter_map(|r| match &r.outcome {
            RowOutcome::Created { invite } => Some(&**invite),
            _ => None,
        })
    }

    /// The links of the created invites, in input order.
    pub fn links(&self) -> Vec<&str> {
        self.created().filter_map(|i| i.link.as_deref()).collect()
    }

    pub fn counts(&self) -> BulkCounts {
        let mut c = BulkCounts::default();
        for r in &self.rows {
            match r.outcome {
                RowOutcome::Created { .. } => c.created += 1,
                RowOutcome::Duplicate { .. } => c.duplicates += 1,
                RowOutcome::Refused { .. } => c.refused += 1,
                RowOutcome::NotAttempted { .. } => c.not_attempted += 1,
            }
        }
        c
    }

    /// "3 invited · 1 duplicate skipped · 2 refused · 2 not attempted (seats full) · 3 links copied".
    pub fn summary(&self) -> String {
        let c = self.counts();
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![format!("{} invited", c.created)];
        if c.duplicates > 0 {
            parts.push(plural(c.duplicates, "duplicate skipped", "duplicates skipped"));
        }
        if c.refused > 0 {
            parts.push(format!("{} refused", c.refused));
        }
        if c.not_attempted > 0 {
            let why = self.stopped.as_ref().map(|s| format!(" ({})", s.reason)).unwrap_or_default();
            parts.push(format!("{} not attempted{why}", c.not_attempted));
        }
        match &self.copy {
            CopyOutcome::Copied => parts.push(plural(c.created, "link copied", "links copied")),
            CopyOutcome::Failed { .. } => parts.push("links not copied, copy them by hand".into()),
            CopyOutcome::NotRequested | CopyOutcome::NoLink => {}
        }
        parts.join(" · ")
    }

    /// The rows worth sending again once the cause is fixed (the one that stopped the run
    /// and those not attempted), as `email,role` lines to paste back in.
    pub fn retry_input(&self) -> String {
        let stop_line = self.stopped.as_ref().map(|s| s.line);
        self.rows
            .iter()
            .filter(|r| match r.outcome {
                RowOutcome::NotAttempted { .. } => true,
                RowOutcome::Refused { .. } => Some(r.line) == stop_line,
                _ => false,
            })
            .map(|r| format!("{},{}\n", r.email, r.role))
            .collect()
    }
}

/// Sends a plan row by row, in order, and reports each row.
///
/// A refusal about the row itself (invalid address, unknown role, already a member, already
/// invited, not allowed by the policy) is reported and the run goes on. An answer that
/// would be the same for every later row stops the run, and each later row is reported as
/// not attempted with the reason: `seat_limit_reached` ("seats full": seats only free up by
/// someone revoking or removing, so every later row would fail alike — stopping also keeps
/// the report short and [`BulkReport::retry_input`] gives the rows to paste again), a
/// refused key, a role that cannot invite, and an unreachable, overloaded or failing server.
/// Duplicates within the input are never sent. Nothing happens silently: every row of the
/// plan has exactly one outcome. At the end the created links, one per line, are copied.
pub async fn bulk_invite(client: &TeamClient, plan: &BulkPlan, options: &BulkOptions, copy: &CopyTo<'_>) -> BulkReport {
    let mut rows = Vec::with_capacity(plan.rows.len());
    let mut stopped: Option<BulkStop> = None;
    for p in &plan.rows {
        let outcome = if let Some(first_line) = p.duplicate_of {
            RowOutcome::Duplicate { first_line }
        } else if let Some(stop) = &stopped {
            RowOutcome::NotAttempted { reason: stop.reason.clone() }
        } else {
            let new = NewInvite {
                email: p.email.clone(),
                role: p.role.clone(),
                delivery: options.delivery,
                notification_email: None,
                identity_provider: options.identity_provider.clone(),
                require_secure_sign_in: options.require_secure_sign_in,
                expires_in_days: options.expires_in_days,
            };
            match client.create_invite(&new, &p.key).await {
                Ok(invite) => RowOutcome::Created { invite: Box::new(invite) },
                Err(e) => {
                    if let Some(reason) = stops_the_run(&e) {
                        stopped = Some(BulkStop { line: p.line, code: e.code(), reason });
                    }
                    RowOutcome::Refused { code: e.code(), server_code: e.server_code(), message: e.to_string() }
                }
            }
        };
        rows.push(BulkRow { line: p.line, email: p.email.clone(), role: p.role.clone(), outcome });
    }
    let mut report = BulkReport { rows, stopped, copy: CopyOutcome::NoLink };
    let links = report.links().join("\n");
    if !links.is_empty() {
        report.copy = copy.put(&links);
    } else if matches!(copy, CopyTo::Nowhere) {
        report.copy = CopyOutcome::NotRequested;
    }
    report
}

/// The reason every later row would fail the same way, if this error is such an answer.
fn stops_the_run(e: &Error) -> Option<String> {
    let reason = match e.code() {
        ErrorCode::SeatLimit => "seats full",
        ErrorCode::BadKey => "the API key was refused",
        ErrorCode::NoPermission if e.server_code() == Some(roster_api::ErrorCode::Forbidden) => "your role cannot invite",
        ErrorCode::Unreachable => "the server could not be reached",
        ErrorCode::RateLimited => "the server asked to slow down",
        ErrorCode::ServerError | ErrorCode::BadResponse => "the server failed",
        _ => return None,
    };
    Some(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;
    use roster_api::{Access, Permissions, Role, UserRef};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Sunday 22 Nov 2026, 10:00 UTC: a 14-day invite made now expires Sun 6 Dec.
    fn now() -> DateTime<Utc> {
        at("2026-11-22T10:00:00Z")
    }

    fn role(id: &str, name: &str, owner: bool) -> Role {
        let p = if owner { Access::Full } else { Access::Read };
        Role {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            is_owner: owner,
            manages_team: owner,
            permissions: Permissions { team: p, resources: p, billing: p, settings: p },
        }
    }

    fn policy() -> TeamPolicy {
        TeamPolicy {
            roles: vec![role("owner", "Owner", true), role("member", "Member", false), role("billing_viewer", "Billing viewer", false)],
            default_role: "member".into(),
            invite_lifetime_days: 14,
            seat_limit: None,
            delivery_methods: vec![Delivery::Link],
            identity_provider_restriction: false,
            notification_email: false,
            secure_sign_in_option: false,
            owner_promotion_confirmation: false,
            member_quotas: false,
            members_can_leave: true,
        }
    }

    fn invite(expires_at: DateTime<Utc>) -> Invite {
        Invite {
            id: "inv_1".into(),
            email: "ana@example.com".into(),
            notification_email: None,
            role: "member".into(),
            delivery: Delivery::Link,
            status: InviteStatus::Pending,
            created_by: Some(UserRef { id: "usr_1".into(), email: "o@example.com".into(), name: "Olga".into() }),
            created_at: now(),
            expires_at,
            accepted_at: None,
            accepted_by: None,
            revoked_at: None,
            identity_provider: IdentityProviderRestriction::default(),
            require_secure_sign_in: false,
            times_sent: 1,
            last_sent_at: Some(now()),
            link: Some("https://roster.example/join/tok".into()),
        }
    }

    #[test]
    fn given_a_14_day_invite_when_worded_then_date_and_days_read_naturally() {
        let exp = now() + chrono::Duration::days(14);
        assert_eq!(expiry_date(exp, &now()), "Sun 6 Dec");
        assert_eq!(expiry_relative(exp, &now()), "in 14 days");
        assert_eq!(expiry_phrase(exp, &now()), "expires Sun 6 Dec");
        // Read a few seconds after creation it still says 14 days, not 13.
        assert_eq!(expiry_relative(exp, &(now() + chrono::Duration::seconds(5))), "in 14 days");
    }

    #[test]
    fn given_short_times_when_worded_then_hours_minutes_today_and_tomorrow() {
        let n = now();
        assert_eq!(expiry_relative(n + chrono::Duration::minutes(25), &n), "in 25 minutes");
        assert_eq!(expiry_relative(n + chrono::Duration::seconds(30), &n), "in 1 minute");
        assert_eq!(expiry_relative(n + chrono::Duration::minutes(60), &n), "in 1 hour");
        assert_eq!(expiry_relative(n + chrono::Duration::hours(5), &n), "in 5 hours");
        assert_eq!(expiry_relative(n + chrono::Duration::minutes(23 * 60 + 50), &n), "in 1 day");
        assert_eq!(expiry_relative(n + chrono::Duration::hours(30), &n), "in 1 day");
        assert_eq!(expiry_relative(n + chrono::Duration::hours(36), &n), "in 2 days");
        assert_eq!(expiry_relative(n - chrono::Duration::seconds(1), &n), "expired");
        assert_eq!(expiry_relative(n, &n), "expired");

        assert_eq!(expiry_phrase(n + chrono::Duration::minutes(25), &n), "expires in 25 minutes");
        assert_eq!(expiry_phrase(at("2026-11-22T17:00:00Z"), &n), "expires today at 17:00");
        assert_eq!(expiry_phrase(at("2026-11-23T09:30:00Z"), &n), "expires tomorrow at 09:30");
        assert_eq!(expiry_phrase(at("2026-11-24T09:30:00Z"), &n), "expires Tue 24 Nov");
        assert_eq!(expiry_phrase(at("2026-11-20T09:30:00Z"), &n), "expired Fri 20 Nov");
    }

    #[test]
    fn given_another_year_or_time_zone_when_worded_then_the_readers_calendar_is_used() {
        assert_eq!(expiry_date(at("2027-01-03T12:00:00Z"), &now()), "Sun 3 Jan 2027");
        // 23:30 UTC on 6 Dec is already Monday 7 Dec in Tokyo (+09:00).
        let tokyo = now().with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap());
        assert_eq!(expiry_date(at("2026-12-06T23:30:00Z"), &tokyo), "Mon 7 Dec");
        assert_eq!(expiry_date(at("2026-12-06T23:30:00Z"), &now()), "Sun 6 Dec");
        // 20:00 UTC today is 05:00 tomorrow in Tokyo.
        assert_eq!(expiry_phrase(at("2026-11-22T20:00:00Z"), &tokyo), "expires tomorrow at 05:00");
        // Relative wording does not depend on the zone.
        assert_eq!(expiry_relative(at("2026-12-06T10:00:00Z"), &tokyo), "in 14 days");
    }

    #[test]
    fn given_a_pending_invite_when_made_a_message_then_it_names_account_role_link_and_expiry() {
        let inv = invite(now() + chrono::Duration::days(14));
        assert_eq!(
            invite_message(&inv, "Acme", &policy(), &now()).unwrap(),
            "You're invited to join Acme as Member on Roster: https://roster.example/join/tok (link expires Sun 6 Dec, in 14 days)"
        );
        let soon = invite(now() + chrono::Duration::hours(5));
        assert_eq!(
            invite_message(&soon, "Acme", &policy(), &now()).unwrap(),
            "You're invited to join Acme as Member on Roster: https://roster.example/join/tok (link expires in 5 hours)"
        );
    }

    #[test]
    fn given_provider_and_secure_sign_in_when_made_a_message_then_it_says_how_to_sign_in() {
        let mut inv = invite(now() + chrono::Duration::days(7));
        inv.role = "billing_viewer".into();
        inv.identity_provider = IdentityProviderRestriction { provider: IdentityProvider::Microsoft, tenant_id: Some("contoso.onmicrosoft.com".into()) };
        inv.require_secure_sign_in = true;
        assert_eq!(
            invite_message(&inv, "Harbor Health", &policy(), &now()).unwrap(),
            "You're invited to join Harbor Health as Billing viewer on Roster: https://roster.example/join/tok \
             (link expires Sun 29 Nov, in 7 days). Sign in with Microsoft (contoso.onmicrosoft.com) to accept. Two-step sign-in is required"
        );
    }

    #[test]
    fn given_no_link_or_an_expired_invite_when_made_a_message_then_none() {
        let mut inv = invite(now() + chrono::Duration::days(14));
        inv.link = None;
        assert_eq!(invite_message(&inv, "Acme", &policy(), &now()), None);
        let old = invite(now() - chrono::Duration::minutes(1));
        assert_eq!(invite_message(&old, "Acme", &policy(), &now()), None);
    }

    #[test]
    fn given_an_unknown_role_id_when_made_a_message_then_the_id_is_shown() {
        let mut inv = invite(now() + chrono::Duration::days(14));
        inv.role = "auditor".into();
        assert!(invite_message(&inv, "Acme", &policy(), &now()).unwrap().contains(" as auditor on Roster"));
    }

    #[test]
    fn given_each_copy_outcome_when_summarised_then_the_toast_says_what_happened() {
        let inv = invite(now() + chrono::Duration::days(14));
        let link = |copy: CopyOutcome, emailed_to: Option<&str>| InviteLink { invite: inv.clone(), copy, created: true, emailed_to: emailed_to.map(str::to_string) };
        assert_eq!(link(CopyOutcome::Copied, None).summary(&now()), "Link copied · expires Sun 6 Dec");
        assert_eq!(link(CopyOutcome::Copied, Some("ana@example.com")).summary(&now()), "Invite e-mailed to ana@example.com · link copied · expires Sun 6 Dec");
        assert_eq!(link(CopyOutcome::NotRequested, None).summary(&now()), "Invite created · expires Sun 6 Dec");
        assert_eq!(link(CopyOutcome::NoLink, Some("ana@example.com")).summary(&now()), "Invite e-mailed to ana@example.com · the server showed no link to copy · expires Sun 6 Dec");
        assert_eq!(
            link(CopyOutcome::Failed { message: "x".into() }, None).summary(&now()),
            "Invite created · the link could not be copied, copy it by hand · expires Sun 6 Dec"
        );
        let recopied = |copy: CopyOutcome| InviteLink { invite: inv.clone(), copy, created: false, emailed_to: None };
        assert_eq!(recopied(CopyOutcome::Copied).summary(&now()), "Link copied · expires Sun 6 Dec");
        assert_eq!(recopied(CopyOutcome::NotRequested).summary(&now()), "Invite pending · expires Sun 6 Dec");
    }

    fn planned(input: &str) -> Vec<(usize, String, String, Option<usize>)> {
        plan_bulk(input, &policy(), None).rows.into_iter().map(|r| (r.line, r.email, r.role, r.duplicate_of)).collect()
    }

    fn row(line: usize, email: &str, role: &str, dup: Option<usize>) -> (usize, String, String, Option<usize>) {
        (line, email.into(), role.into(), dup)
    }

    #[test]
    fn given_csv_with_header_comments_and_blanks_when_planned_then_rows_keep_their_lines() {
        let input = "\u{feff}email,role\n\n# the new hires\nana@x.com,member\n  ben@x.com , Billing viewer \n\"cara@x.com\",\"OWNER\"\ndan@x.com\n// done\n";
        assert_eq!(
            planned(input),
            vec![
                row(4, "ana@x.com", "member", None),
                row(5, "ben@x.com", "billing_viewer", None),
                row(6, "cara@x.com", "owner", None),
                row(7, "dan@x.com", "member", None),
            ]
        );
    }

    #[test]
    fn given_a_header_with_more_columns_when_planned_then_email_and_role_columns_are_used() {
        let input = "Name,E-mail,Team,Role\nAna Lima,ana@x.com,core,Member\nBen,ben@x.com,ops,\n";
        assert_eq!(planned(input), vec![row(2, "ana@x.com", "member", None), row(3, "ben@x.com", "member", None)]);
    }

    #[test]
    fn given_lists_of_bare_addresses_when_planned_then_each_is_a_row_with_the_default_role() {
        let input = "ana@x.com, ben@x.com; cara@x.com\ndan@x.com eve@x.com\tfay@x.com\nGus Ortega <gus@x.com>, \"Hana\" <hana@x.com>\nmailto:ivan@x.com";
        let rows = planned(input);
        let emails: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(emails, ["ana@x.com", "ben@x.com", "cara@x.com", "dan@x.com", "eve@x.com", "fay@x.com", "gus@x.com", "hana@x.com", "ivan@x.com"]);
        assert!(rows.iter().all(|r| r.2 == "member"));
        assert_eq!(rows[3].0, 2);
    }

    #[test]
    fn given_email_and_known_role_separated_by_space_when_planned_then_role_is_taken() {
        assert_eq!(planned("ana@x.com owner"), vec![row(1, "ana@x.com", "owner", None)]);
        // An unknown word is not a role: it is sent as an address, and the server refuses it.
        assert_eq!(planned("ana@x.com boss"), vec![row(1, "ana@x.com", "member", None), row(1, "boss", "member", None)]);
    }

    #[test]
    fn given_duplicates_when_planned_then_later_ones_point_to_the_first_line() {
        let input = "ana@x.com,member\nben@x.com\nANA@x.com,owner\nben@x.com, ben@x.com";
        assert_eq!(
            planned(input),
            vec![
                row(1, "ana@x.com", "member", None),
                row(2, "ben@x.com", "member", None),
                row(3, "ANA@x.com", "owner", Some(1)),
                row(4, "ben@x.com", "member", Some(2)),
                row(4, "ben@x.com", "member", Some(2)),
            ]
        );
    }

    #[test]
    fn given_an_unknown_role_when_planned_then_it_is_kept_as_typed_for_the_server_to_refuse() {
        assert_eq!(planned("ana@x.com, superuser "), vec![row(1, "ana@x.com", "superuser", None)]);
        let plan = plan_bulk("ana@x.com", &policy(), Some("billing_viewer"));
        assert_eq!(plan.rows[0].role, "billing_viewer");
    }

    #[test]
    fn given_rows_when_planned_then_each_has_its_own_idempotency_key() {
        let plan = plan_bulk("a@x.com\nb@x.com", &policy(), None);
        assert_ne!(plan.rows[0].key, plan.rows[1].key);
    }

    #[test]
    fn given_a_stopped_report_when_summarised_then_counts_reason_and_retry_rows_show() {
        let inv = invite(now() + chrono::Duration::days(14));
        let refused = |code, server| RowOutcome::Refused { code, server_code: Some(server), message: "no".into() };
        let rows = vec![
            BulkRow { line: 1, email: "a@x.com".into(), role: "member".into(), outcome: RowOutcome::Created { invite: Box::new(inv) } },
            BulkRow { line: 2, email: "a@x.com".into(), role: "member".into(), outcome: RowOutcome::Duplicate { first_line: 1 } },
            BulkRow { line: 3, email: "bad".into(), role: "member".into(), outcome: refused(ErrorCode::Invalid, roster_api::ErrorCode::ValidationFailed) },
            BulkRow { line: 4, email: "c@x.com".into(), role: "member".into(), outcome: refused(ErrorCode::SeatLimit, roster_api::ErrorCode::SeatLimitReached) },
            BulkRow { line: 5, email: "d@x.com".into(), role: "owner".into(), outcome: RowOutcome::NotAttempted { reason: "seats full".into() } },
        ];
        let report = BulkReport { rows, stopped: Some(BulkStop { line: 4, code: ErrorCode::SeatLimit, reason: "seats full".into() }), copy: CopyOutcome::Copied };
        assert_eq!(report.counts(), BulkCounts { created: 1, duplicates: 1, refused: 2, not_attempted: 1 });
        assert_eq!(report.summary(), "1 invited · 1 duplicate skipped · 2 refused · 1 not attempted (seats full) · 1 link copied");
        assert_eq!(report.retry_input(), "c@x.com,member\nd@x.com,owner\n");
        assert_eq!(report.links(), ["https://roster.example/join/tok"]);
    }

    #[test]
    fn given_errors_when_classified_then_only_run_wide_ones_stop_the_run() {
        let api = |code: roster_api::ErrorCode| Error::Api {
            problem: Problem { type_: String::new(), title: String::new(), status: 409, detail: String::new(), code, errors: vec![] },
            retry_after: None,
        };
        use roster_api::ErrorCode as S;
        assert_eq!(stops_the_run(&api(S::SeatLimitReached)).as_deref(), Some("seats full"));
        assert_eq!(stops_the_run(&api(S::Forbidden)).as_deref(), Some("your role cannot invite"));
        assert_eq!(stops_the_run(&api(S::Unauthorized)).as_deref(), Some("the API key was refused"));
        assert!(stops_the_run(&Error::Unreachable { url: String::new(), reason: String::new() }).is_some());
        for row_level in [S::ValidationFailed, S::UnknownRole, S::AlreadyMember, S::InviteExists, S::OwnerOnly, S::NotAllowedByPolicy] {
            assert_eq!(stops_the_run(&api(row_level)), None, "{row_level:?}");
        }
    }

    #[test]
    fn given_a_revoked_invite_when_refused_then_the_error_says_so_and_is_a_conflict() {
        let mut inv = invite(now() + chrono::Duration::days(14));
        inv.status = InviteStatus::Revoked;
        inv.revoked_at = Some(at("2026-12-01T08:00:00Z"));
        let e = not_pending(&inv);
        assert_eq!(e.code(), ErrorCode::Conflict);
        assert_eq!(e.server_code(), Some(roster_api::ErrorCode::InviteNotPending));
        assert_eq!(e.to_string(), "This invite to ana@example.com was revoked on 1 Dec 2026; its link no longer works. Create a new invite if they should still join.");
        inv.status = InviteStatus::Accepted;
        inv.accepted_by = Some(UserRef { id: "u".into(), email: "ana@example.com".into(), name: "Ana Lima".into() });
        inv.accepted_at = Some(at("2026-11-25T08:00:00Z"));
        assert!(not_pending(&inv).to_string().contains("was already accepted by Ana Lima on 25 Nov 2026"));
        inv.status = InviteStatus::Expired;
        assert!(not_pending(&inv).to_string().contains("expired on 6 Dec 2026; its link no longer works. Resend it"));
    }
}
