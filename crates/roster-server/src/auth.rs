//! Who is calling: the bearer key is hashed and resolved, on every request, to its account,
//! its user and that user's *current* membership, so removing or demoting someone takes
//! effect on their keys at once.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use roster_api::{Account, ErrorCode, Role, TeamPolicy, UserRef};

use crate::AppState;
use crate::db::{OptionalRow, sha256};
use crate::error::ApiError;
use crate::presets::{self, Preset};

pub struct Caller {
    pub account_id: i64,
    pub account: Account,
    pub user_id: i64,
    pub user: UserRef,
    pub role: String,
    pub key_id: i64,
    pub preset: &'static Preset,
}

impl Caller {
    pub fn policy(&self) -> &'static TeamPolicy {
        &self.preset.policy
    }

    pub fn role_def(&self) -> Option<&'static Role> {
        self.policy().role(&self.role)
    }

    pub fn manages_team(&self) -> bool {
        self.role_def().is_some_and(|r| r.manages_team)
    }

    pub fn is_owner(&self) -> bool {
        self.role_def().is_some_and(|r| r.is_owner)
    }

    pub fn require_manager(&self) -> Result<(), ApiError> {
        if self.manages_team() {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "Only {} can do this; your role in {} is {}. Ask one of them.",
            role_names(self.policy(), |r| r.manages_team),
            self.account.name,
            self.role_def().map_or(self.role.as_str(), |r| r.name.as_str()),
        )))
    }

    pub fn require_owner(&self, what: &str) -> Result<(), ApiError> {
        if self.is_owner() {
            return Ok(());
        }
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            ErrorCode::OwnerOnly,
            format!("Only {} can {what}.", role_names(self.policy(), |r| r.is_owner)),
        ))
    }
}

/// "an Owner" / "an Owner or an Admin": the roles that satisfy a rule, for messages.
pub fn role_names(policy: &TeamPolicy, pred: impl Fn(&Role) -> bool) -> String {
    let names: Vec<String> =
        policy.roles.iter().filter(|r| pred(r)).map(|r| format!("{}s", r.name)).collect();
    names.join(" or ")
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("Send your API key as `Authorization: Bearer <key>`.")
        })?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, k)| k)
            })
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(|| {
                ApiError::unauthorized("The Authorization header must be `Bearer <key>`.")
            })?;
        let hash = sha256(key);
        state
            .db
            .read(move |tx| {
                let row = tx
                    .query_row(
                        "SELECT k.id, a.id, a.public_id, a.name, a.preset, u.id, u.public_id, u.email, u.name, m.role
                         FROM api_keys k
                         JOIN accounts a ON a.id = k.account_id
                         JOIN users u ON u.id = k.user_id
                         JOIN memberships m ON m.account_id = k.account_id AND m.user_id = k.user_id
                         WHERE k.key_hash = ?1",
                        [hash],
                        |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, i64>(1)?,
                                Account { id: r.get(2)?, name: r.get(3)?, preset: r.get(4)? },
                                r.get::<_, i64>(5)?,
                                UserRef { id: r.get(6)?, email: r.get(7)?, name: r.get(8)? },
                                r.get::<_, String>(9)?,
                            ))
                        },
                    )
                    .opt()?;
                let Some((key_id, account_id, account, user_id, user, role)) = row else {
                    return Err(ApiError::unauthorized(
                        "This API key is not valid: it was never issued, was deleted, or its user is no longer on the team. Create a new key and add it again.",
                    ));
                };
                let preset = presets::find(&account.preset)
                    .ok_or_else(|| ApiError::internal(format!("account has unknown preset {}", account.preset)))?;
                Ok(Caller { account_id, account, user_id, user, role, key_id, preset })
            })
            .await
    }
}

/// How a member is shown to this caller: sign-in method only to team managers, quota only
/// where the policy has quotas.
#[derive(Clone, Copy)]
pub struct View {
    pub show_sign_in: bool,
    pub quotas: bool,
}

impl View {
    pub fn of(caller: &Caller) -> View {
        View { show_sign_in: caller.manages_team(), quotas: caller.policy().member_quotas }
    }
}

/// The parts of a `Caller` a blocking database closure needs.
pub struct CallerFacts {
    pub account_id: i64,
    pub account_name: String,
    pub user_id: i64,
    pub is_owner: bool,
    pub policy: &'static TeamPolicy,
    pub view: View,
}

impl CallerFacts {
    pub fn of(c: &Caller) -> CallerFacts {
        CallerFacts {
            account_id: c.account_id,
            account_name: c.account.name.clone(),
            user_id: c.user_id,
            is_owner: c.is_owner(),
            policy: c.policy(),
            view: View::of(c),
        }
    }
}
