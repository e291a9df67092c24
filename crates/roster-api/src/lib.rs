//! The wire types of the Roster Team API v1 (`api/openapi.yaml`), shared by the reference
//! server, roster-core and the CLI so each shape is written once.
//!
//! Owns: request and response bodies, the problem+json error body and its stable codes,
//! the team policy a client reads to serve any team model without knowing it in advance.
//! Owns nothing that does I/O. With the `ts` feature every type also derives `ts_rs::TS`, so
//! the UI's TypeScript types (`ui/src/bindings/`) are generated from these, never hand-written.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type Timestamp = DateTime<Utc>;

/// `GET /healthz`: the server is up. Anyone may ask, without a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub status: HealthStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The only status there is: a server that cannot serve does not answer at all.
    Ok,
}

/// How much a role may do in one area. `FullExceptDelete` is the "modifier" shade of a
/// resources area; `LimitedRead` the "billing viewer" shade of billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Full,
    FullExceptDelete,
    Read,
    LimitedRead,
    None,
}

/// What a role may do per area. `team` is the one the server enforces for this API:
/// `full` manages the team (invite, resend, revoke, change roles, remove, read the audit log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Permissions {
    pub team: Access,
    pub resources: Access,
    pub billing: Access,
    pub settings: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Owner-level role: the last holder can be neither demoted, removed nor leave, and only
    /// holders may grant or take it away.
    pub is_owner: bool,
    /// Shorthand for `permissions.team == full`.
    pub manages_team: bool,
    pub permissions: Permissions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The owner copies the link and shares it by any channel.
    Link,
    /// The server e-mails the link (it is still shown to managers).
    Email,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IdentityProvider {
    #[default]
    Any,
    Google,
    Microsoft,
}

impl IdentityProvider {
    pub fn display_name(self) -> &'static str {
        match self {
            IdentityProvider::Any => "any provider",
            IdentityProvider::Google => "Google",
            IdentityProvider::Microsoft => "Microsoft",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IdentityProviderRestriction {
    pub provider: IdentityProvider,
    /// Microsoft Entra tenant the invitee must belong to; only with `microsoft`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub tenant_id: Option<String>,
}

/// Everything a client needs to know about an account's team model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamPolicy {
    pub roles: Vec<Role>,
    /// Role preselected when inviting.
    pub default_role: String,
    pub invite_lifetime_days: u32,
    /// Members plus pending invites may not exceed this; `null` means no limit.
    pub seat_limit: Option<u32>,
    pub delivery_methods: Vec<Delivery>,
    pub identity_provider_restriction: bool,
    pub notification_email: bool,
    pub secure_sign_in_option: bool,
    pub owner_promotion_confirmation: bool,
    pub member_quotas: bool,
    pub members_can_leave: bool,
}

impl TeamPolicy {
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The role a person means by `text`: its id or display name, ignoring case, spaces and
    /// dashes ("Billing viewer", "billing-viewer" → `billing_viewer`).
    pub fn find_role(&self, text: &str) -> Option<&Role> {
        let norm = |s: &str| s.trim().to_lowercase().replace([' ', '-'], "_");
        let t = norm(text);
        self.roles.iter().find(|r| norm(&r.id) == t || norm(&r.name) == t)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub id: String,
    pub name: String,
    pub preset: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserRef {
    pub id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Seats {
    pub members: u32,
    pub pending_invites: u32,
    /// `members + pending_invites`.
    pub used: u32,
    pub limit: Option<u32>,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    pub account: Account,
    pub user: UserRef,
    pub role: String,
    pub policy: TeamPolicy,
    pub seats: Seats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Email,
    #[serde(rename = "email_2fa")]
    Email2fa,
    Google,
    Github,
    Microsoft,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Email => "email",
            SignInMethod::Email2fa => "email_2fa",
            SignInMethod::Google => "google",
            SignInMethod::Github => "github",
            SignInMethod::Microsoft => "microsoft",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => SignInMethod::Email,
            "email_2fa" => SignInMethod::Email2fa,
            "google" => SignInMethod::Google,
            "github" => SignInMethod::Github,
            "microsoft" => SignInMethod::Microsoft,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    /// Present only for callers who manage the team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub sign_in_method: Option<SignInMethod>,
    /// Monthly request quota; present only where the policy has quotas, `null` = unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub quota: Option<Option<u64>>,
}

/// The order of `GET /v1/members`: join order (the default), or by name so that a client can
/// show the first page of a long list as its first screen while the rest loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    #[default]
    Joined,
    Name,
}

impl MemberSort {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberSort::Joined => "joined",
            MemberSort::Name => "name",
        }
    }
}

/// The key `sort=name` orders by, and the order in which clients show members by default:
/// the name (the e-mail for a member without one) case-blind, digit runs compared as numbers
/// ("Ana 2" before "Ana 10": they are zero-padded). One function on both sides, so the server's
/// first page is the client's first screen.
pub fn name_order(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 8);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if !digits.is_empty() {
            let n = digits.trim_start_matches('0');
            key.extend(std::iter::repeat_n('0', 20usize.saturating_sub(n.len())));
            key.push_str(n);
            digits.clear();
        }
    };
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut key);
            key.extend(c.to_lowercase());
        }
    }
    flush(&mut digits, &mut key);
    key
}

/// The name a member is listed under: their name, or their e-mail when they gave none.
pub fn listed_name<'a>(name: &'a str, email: &'a str) -> &'a str {
    if name.is_empty() { email } else { name }
}

/// `PATCH /v1/members/{user_id}`. Absent fields are left alone; `"quota": null` lifts the quota.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub quota: Option<Option<u64>>,
}

/// Answer to a member PATCH: promoting to owner where the policy asks for confirmation
/// leaves the role unchanged and returns the pending promotion instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberUpdate {
    pub member: Member,
    pub promotion: Option<OwnerPromotion>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InviteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Pending => "pending",
            InviteStatus::Accepted => "accepted",
            InviteStatus::Expired => "expired",
            InviteStatus::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invite {
    pub id: String,
    /// The invitee's username: usually an e-mail, for some identity providers a login name.
    pub email: String,
    pub notification_email: Option<String>,
    pub role: String,
    pub delivery: Delivery,
    pub status: InviteStatus,
    pub created_by: Option<UserRef>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub accepted_by: Option<UserRef>,
    pub revoked_at: Option<Timestamp>,
    pub identity_provider: IdentityProviderRestriction,
    pub require_secure_sign_in: bool,
    pub times_sent: u32,
    pub last_sent_at: Option<Timestamp>,
    /// The join link: only for callers who manage the team, only while pending.
    pub link: Option<String>,
}

/// `POST /v1/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    pub email: String,
    pub role: String,
    /// Defaults to the policy's first delivery method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notification_email: Option<String>,
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

impl NewInvite {
    /// An invite with the policy's defaults for everything but address and role.
    pub fn new(email: impl Into<String>, role: impl Into<String>) -> NewInvite {
        NewInvite {
            email: email.into(),
            role: role.into(),
            delivery: None,
            notification_email: None,
            identity_provider: None,
            require_secure_sign_in: false,
            expires_in_days: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    InviteCreated,
    InviteResent,
    InviteRevoked,
    InviteAccepted,
    MemberRoleChanged,
    MemberQuotaChanged,
    MemberRemoved,
    MemberLeft,
    OwnerPromotionRequested,
    OwnerPromotionConfirmed,
    OwnerPromotionCancelled,
}

impl AuditAction {
    pub const ALL: [AuditAction; 11] = [
        AuditAction::InviteCreated,
        AuditAction::InviteResent,
        AuditAction::InviteRevoked,
        AuditAction::InviteAccepted,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberQuotaChanged,
        AuditAction::MemberRemoved,
        AuditAction::MemberLeft,
        AuditAction::OwnerPromotionRequested,
        AuditAction::OwnerPromotionConfirmed,
        AuditAction::OwnerPromotionCancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::InviteCreated => "invite_created",
            AuditAction::InviteResent => "invite_resent",
            AuditAction::InviteRevoked => "invite_revoked",
            AuditAction::InviteAccepted => "invite_accepted",
            AuditAction::MemberRoleChanged => "member_role_changed",
            AuditAction::MemberQuotaChanged => "member_quota_changed",
            AuditAction::MemberRemoved => "member_removed",
            AuditAction::MemberLeft => "member_left",
            AuditAction::OwnerPromotionRequested => "owner_promotion_requested",
            AuditAction::OwnerPromotionConfirmed => "owner_promotion_confirmed",
            AuditAction::OwnerPromotionCancelled => "owner_promotion_cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditTargetKind {
    Member,
    Invite,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditTarget {
    pub kind: AuditTargetKind,
    /// A user id for `member`, an invite id for `invite`.
    pub id: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEvent {
    pub id: String,
    pub action: AuditAction,
    /// `null` for actions taken by the system or by someone outside the team.
    pub actor: Option<UserRef>,
    pub target: AuditTarget,
    /// Action-specific facts, e.g. `{"from": "member", "to": "owner"}` for a role change.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub details: serde_json::Map<String, serde_json::Value>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    Pending,
    Confirmed,
    Cancelled,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OwnerPromotion {
    pub id: String,
    pub user: UserRef,
    pub role: String,
    pub requested_by: UserRef,
    pub status: PromotionStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// `POST /v1/owner-promotions/confirm`: the token from the e-mailed link is the credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PromotionConfirmation {
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    SignUp,
    SignIn,
}

/// `POST /v1/join`: redeem an invite token by signing up or signing in with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub token: String,
    pub mode: JoinMode,
    pub email: String,
    pub password: String,
    /// Required to sign up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Joined {
    pub account: Account,
    pub user: UserRef,
    pub role: String,
}

/// `{data, next_cursor}` of every list endpoint; `next_cursor` is opaque, `null` at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Stable machine codes of problem+json errors. Clients branch on these, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// In TypeScript `ErrorCode` is roster-core's client-side code, the one the UI branches on.
#[cfg_attr(feature = "ts", ts(rename = "ProblemCode"))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    ValidationFailed,
    UnsupportedMediaType,
    PayloadTooLarge,
    UnknownRole,
    SeatLimitReached,
    LastOwner,
    OwnerOnly,
    InviteNotPending,
    InviteExists,
    AlreadyMember,
    InviteGone,
    IdentityProviderRequired,
    SecureSignInRequired,
    EmailMismatch,
    InvalidCredentials,
    EmailTaken,
    NotAllowedByPolicy,
    PromotionNotPending,
    RateLimited,
    IdempotencyMismatch,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnknownRole => "unknown_role",
            ErrorCode::SeatLimitReached => "seat_limit_reached",
            ErrorCode::LastOwner => "last_owner",
            ErrorCode::OwnerOnly => "owner_only",
            ErrorCode::InviteNotPending => "invite_not_pending",
            ErrorCode::InviteExists => "invite_exists",
            ErrorCode::AlreadyMember => "already_member",
            ErrorCode::InviteGone => "invite_gone",
            ErrorCode::IdentityProviderRequired => "identity_provider_required",
            ErrorCode::SecureSignInRequired => "secure_sign_in_required",
            ErrorCode::EmailMismatch => "email_mismatch",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::NotAllowedByPolicy => "not_allowed_by_policy",
            ErrorCode::PromotionNotPending => "promotion_not_pending",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::IdempotencyMismatch => "idempotency_mismatch",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details with the Roster extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Serde helper telling "absent" (`None`) from "explicit null" (`Some(None)`).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_names_with_case_and_numbers_then_they_are_ordered_as_the_window_lists_them() {
        let mut names = vec!["bob", "Ana 10", "ana 2", "Émile", "Carla", "ana 1", "ana 007"];
        names.sort_by_cached_key(|n| name_order(n));
        assert_eq!(names, ["ana 1", "ana 2", "ana 007", "Ana 10", "bob", "Carla", "Émile"]);
    }

    #[test]
    fn given_a_member_without_a_name_then_they_are_listed_under_their_email() {
        assert_eq!(listed_name("", "zoe@example.com"), "zoe@example.com");
        assert_eq!(listed_name("Ana", "zoe@example.com"), "Ana");
    }
}
