//! What the window sends with a command: one struct per command that takes anything, its
//! fields as the UI names them (camelCase). Unknown fields are refused, so a misspelt
//! argument fails loudly instead of being ignored. The API key arrives only in `AccountAdd`
//! and `AccountRekey`, as an `ApiKey` from the moment it is read.

use roster_core::ApiKey;
use roster_core::api::{AuditAction, MemberPatch, NewInvite};
use roster_core::bulk::BulkOptions;
use serde::Deserialize;

/// One account, by its local id.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountId {
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountAdd {
    pub server: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub key: ApiKey,
    /// The account's name on this machine; the team's name when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountRekey {
    pub id: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub key: ApiKey,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSwitch {
    pub id: String,
    /// The disk snapshot, when the window holds none of this account's data.
    pub want_cached: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountOrder {
    /// These accounts first, in this order.
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountEdit {
    pub id: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub label: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub colour: Option<String>,
}

/// One member of an account's team.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberRef {
    pub id: String,
    pub user_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberChange {
    pub id: String,
    pub user_id: String,
    /// Absent fields are left alone; `"quota": null` lifts the quota.
    pub patch: MemberPatch,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromotionRef {
    pub id: String,
    pub promotion_id: String,
}

/// One invite of an account.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteRef {
    pub id: String,
    pub invite_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteCreate {
    pub id: String,
    pub invite: NewInvite,
    /// Made by the UI once per invite the user asks for, the same when they retry it.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteBulk {
    pub id: String,
    /// A pasted list of addresses or a CSV.
    pub text: String,
    /// For rows that name none; the policy's default when empty.
    pub role: String,
    /// What every row carries (delivery, identity provider, secure sign-in, expiry).
    pub options: BulkOptions,
}

/// Which audit events to list; every field narrows the list, empty ones are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditFilter {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub action: Option<AuditAction>,
    /// A user id or e-mail.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub actor: Option<String>,
    /// Free text.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub q: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditPage {
    pub id: String,
    #[serde(default)]
    pub filter: AuditFilter,
    /// The `next` of the page before; the newest page when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerPage {
    pub id: String,
    /// A path on the account's server, e.g. `/join/…` or `/openapi.yaml`.
    pub path: String,
}
