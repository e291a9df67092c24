//! The invite flows the app and the CLI both call, over a `TeamClient` and the clipboard:
//!
//! - [`create_invite`]: create one invite, put its link on the clipboard, say what was copied
//!   and when it expires ([`InviteLink::summary`] → "Link copied · expires Sun 6 Dec").
//! - [`recopy_link`]: fetch a pending invite fresh and copy its link again; a revoked,
//!   accepted or expired one is refused with a clear error.
//! - [`invite_message`] / [`copy_invite_message`]: "You're invited to join Acme as Member on
//!   Roster: <link> (link expires Sun 6 Dec, in 14 days)".
//! - [`expiry_date`], [`expiry_relative`], [`expiry_phrase`]: expiry wording, pure.
//!
//! Bulk invites (a pasted list or CSV, one result per row) are in [`crate::bulk`].
//!
//! An invite that was created stays reported even when the copy fails: the copy outcome is
//! part of the result ([`CopyOutcome::Failed`]), never an error that would hide the invite.

use std::fmt;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use roster_api::{
    Delivery, IdentityProvider, IdentityProviderRestriction, Invite, InviteStatus, Me, NewInvite,
    Problem, TeamPolicy,
};
use serde::Serialize;

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
    Clipboard {
        clipboard: &'a Clipboard,
        options: CopyOptions,
    },
}

impl<'a> CopyTo<'a> {
    pub fn clipboard(clipboard: &'a Clipboard, options: CopyOptions) -> Self {
        CopyTo::Clipboard { clipboard, options }
    }

    /// Copies inline: the clipboard thread answers in milliseconds, so async callers are not
    /// held up in any way that matters.
    pub(crate) fn put(&self, text: &str) -> CopyOutcome {
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
            (CopyOutcome::NoLink, _) => {
                format!("{head} · the server showed no link to copy · {expiry}")
            }
            (CopyOutcome::Failed { .. }, _) => {
                format!("{head} · the link could not be copied, copy it by hand · {expiry}")
            }
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
pub async fn create_invite(
    client: &TeamClient,
    new: &NewInvite,
    key: &IdempotencyKey,
    copy: &CopyTo<'_>,
) -> Result<InviteLink> {
    let invite = client.create_invite(new, key).await?;
    let copy = match invite.link.as_deref() {
        Some(link) => copy.put(link),
        None => CopyOutcome::NoLink,
    };
    let emailed_to = (invite.delivery == Delivery::Email)
        .then(|| invite.notification_email.clone().unwrap_or_else(|| invite.email.clone()));
    Ok(InviteLink { invite, copy, created: true, emailed_to })
}

/// Copies the link of a pending invite again, from the invite fetched fresh (a cached one
/// may have been revoked or accepted since). Refuses an invite that is not pending with a
/// `Conflict` error that says what happened to it.
pub async fn recopy_link(
    client: &TeamClient,
    invite_id: &str,
    copy: &CopyTo<'_>,
) -> Result<InviteLink> {
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
pub async fn copy_invite_message(
    client: &TeamClient,
    invite_id: &str,
    me: &Me,
    copy: &CopyTo<'_>,
) -> Result<InviteMessage> {
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
    let day = |t: Option<DateTime<Utc>>| {
        t.map(|t| format!(" on {}", t.format("%-d %b %Y"))).unwrap_or_default()
    };
    let detail = match invite.status {
        InviteStatus::Revoked => format!(
            "This invite to {} was revoked{}; its link no longer works. Create a new invite if they should still join.",
            invite.email,
            day(invite.revoked_at)
        ),
        InviteStatus::Accepted => {
            let by =
                invite.accepted_by.as_ref().map(|u| format!(" by {}", u.name)).unwrap_or_default();
            format!(
                "This invite to {} was already accepted{by}{}; its link no longer works.",
                invite.email,
                day(invite.accepted_at)
            )
        }
        InviteStatus::Expired | InviteStatus::Pending => format!(
            "This invite to {} expired{}; its link no longer works. Resend it to give it a fresh expiry, or create a new invite.",
            invite.email,
            day(Some(invite.expires_at))
        ),
    };
    client_problem(ErrorCode::Conflict, roster_api::ErrorCode::InviteNotPending, 409, &detail)
}

fn client_problem(
    expected: ErrorCode,
    code: roster_api::ErrorCode,
    status: u16,
    detail: &str,
) -> Error {
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
pub fn invite_message<Tz: TimeZone>(
    invite: &Invite,
    account_name: &str,
    policy: &TeamPolicy,
    now: &DateTime<Tz>,
) -> Option<String>
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
        format!(
            "{}, {}",
            expiry_date(invite.expires_at, now),
            expiry_relative(invite.expires_at, now)
        )
    } else {
        expiry_relative(invite.expires_at, now)
    };
    let mut text = format!(
        "You're invited to join {account_name} as {role} on Roster: {link} (link expires {when})"
    );
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
    if local.year() == now.year() {
        local.format("%a %-d %b").to_string()
    } else {
        local.format("%a %-d %b %Y").to_string()
    }
}

/// Time left, the same in every time zone: "in 14 days", "in 1 day", "in 5 hours",
/// "in 25 minutes", or "expired". Rounded to the nearest unit (a 14-day invite read a
/// second after creation still says 14 days); minutes round up, so never "in 0 minutes".
pub fn expiry_relative<Tz: TimeZone>(at: DateTime<Utc>, now: &DateTime<Tz>) -> String {
    let secs = (at - now.with_timezone(&Utc)).num_seconds();
    if secs <= 0 {
        return "expired".into();
    }
    let unit =
        |n: i64, one: &str| if n == 1 { format!("in 1 {one}") } else { format!("in {n} {one}s") };
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::FixedOffset;
    use roster_api::{Access, Permissions, Role, UserRef};

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Sunday 22 Nov 2026, 10:00 UTC: a 14-day invite made now expires Sun 6 Dec.
    pub(crate) fn now() -> DateTime<Utc> {
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

    pub(crate) fn policy() -> TeamPolicy {
        TeamPolicy {
            roles: vec![
                role("owner", "Owner", true),
                role("member", "Member", false),
                role("billing_viewer", "Billing viewer", false),
            ],
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

    pub(crate) fn invite(expires_at: DateTime<Utc>) -> Invite {
        Invite {
            id: "inv_1".into(),
            email: "ana@example.com".into(),
            notification_email: None,
            role: "member".into(),
            delivery: Delivery::Link,
            status: InviteStatus::Pending,
            created_by: Some(UserRef {
                id: "usr_1".into(),
                email: "o@example.com".into(),
                name: "Olga".into(),
            }),
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
        inv.identity_provider = IdentityProviderRestriction {
            provider: IdentityProvider::Microsoft,
            tenant_id: Some("contoso.onmicrosoft.com".into()),
        };
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
        assert!(
            invite_message(&inv, "Acme", &policy(), &now())
                .unwrap()
                .contains(" as auditor on Roster")
        );
    }

    #[test]
    fn given_each_copy_outcome_when_summarised_then_the_toast_says_what_happened() {
        let inv = invite(now() + chrono::Duration::days(14));
        let link = |copy: CopyOutcome, emailed_to: Option<&str>| InviteLink {
            invite: inv.clone(),
            copy,
            created: true,
            emailed_to: emailed_to.map(str::to_string),
        };
        assert_eq!(
            link(CopyOutcome::Copied, None).summary(&now()),
            "Link copied · expires Sun 6 Dec"
        );
        assert_eq!(
            link(CopyOutcome::Copied, Some("ana@example.com")).summary(&now()),
            "Invite e-mailed to ana@example.com · link copied · expires Sun 6 Dec"
        );
        assert_eq!(
            link(CopyOutcome::NotRequested, None).summary(&now()),
            "Invite created · expires Sun 6 Dec"
        );
        assert_eq!(
            link(CopyOutcome::NoLink, Some("ana@example.com")).summary(&now()),
            "Invite e-mailed to ana@example.com · the server showed no link to copy · expires Sun 6 Dec"
        );
        assert_eq!(
            link(CopyOutcome::Failed { message: "x".into() }, None).summary(&now()),
            "Invite created · the link could not be copied, copy it by hand · expires Sun 6 Dec"
        );
        let recopied = |copy: CopyOutcome| InviteLink {
            invite: inv.clone(),
            copy,
            created: false,
            emailed_to: None,
        };
        assert_eq!(
            recopied(CopyOutcome::Copied).summary(&now()),
            "Link copied · expires Sun 6 Dec"
        );
        assert_eq!(
            recopied(CopyOutcome::NotRequested).summary(&now()),
            "Invite pending · expires Sun 6 Dec"
        );
    }

    #[test]
    fn given_a_revoked_invite_when_refused_then_the_error_says_so_and_is_a_conflict() {
        let mut inv = invite(now() + chrono::Duration::days(14));
        inv.status = InviteStatus::Revoked;
        inv.revoked_at = Some(at("2026-12-01T08:00:00Z"));
        let e = not_pending(&inv);
        assert_eq!(e.code(), ErrorCode::Conflict);
        assert_eq!(e.server_code(), Some(roster_api::ErrorCode::InviteNotPending));
        assert_eq!(
            e.to_string(),
            "This invite to ana@example.com was revoked on 1 Dec 2026; its link no longer works. Create a new invite if they should still join."
        );
        inv.status = InviteStatus::Accepted;
        inv.accepted_by = Some(UserRef {
            id: "u".into(),
            email: "ana@example.com".into(),
            name: "Ana Lima".into(),
        });
        inv.accepted_at = Some(at("2026-11-25T08:00:00Z"));
        assert!(
            not_pending(&inv)
                .to_string()
                .contains("was already accepted by Ana Lima on 25 Nov 2026")
        );
        inv.status = InviteStatus::Expired;
        assert!(
            not_pending(&inv)
                .to_string()
                .contains("expired on 6 Dec 2026; its link no longer works. Resend it")
        );
    }
}
