//! The invitee's side: `/join/{token}` (an HTML page with sign-up and sign-in) and
//! `POST /v1/join` (the same as JSON). Redeeming re-checks everything inside one
//! transaction, so a link revoked or used a moment ago, or a full team, is refused.

use std::net::SocketAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_api::{
    Account, AuditAction, ErrorCode, IdentityProvider, InviteStatus, JoinMode, JoinRequest, Joined,
    UserRef,
};
use rusqlite::params;
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Target};
use crate::db::{self, OptionalRow};
use crate::error::{ApiError, Json, Path};
use crate::invites::{
    IDEMPOTENCY_WINDOW_HOURS, InviteRow, find_by_token, idempotency_key, seat_limit_error,
};
use crate::members::seats;
use crate::pages::{self, esc};
use crate::{AppState, presets};

pub const MIN_PASSWORD: usize = 10;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt =
        SaltString::encode_b64(&db::random_bytes::<16>()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// `a***@example.com`: enough for the invitee to recognise the address, not to harvest it.
fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => format!("{}***", email.chars().next().unwrap_or('*')),
    }
}

struct Context {
    invite: InviteRow,
    account: Account,
}

fn gone(inv: &InviteRow, account: &str) -> Option<ApiError> {
    let detail = match inv.invite.status {
        InviteStatus::Pending => return None,
        InviteStatus::Revoked => format!(
            "This invite to {account} was revoked. Ask the person who invited you for a new link."
        ),
        InviteStatus::Expired => format!(
            "This invite to {account} expired on {}. Ask the person who invited you to resend it.",
            inv.invite.expires_at.format("%e %B %Y")
        ),
        InviteStatus::Accepted => format!(
            "This invite to {account} has already been used. If it was you, you are on the team already."
        ),
    };
    Some(ApiError::new(StatusCode::GONE, ErrorCode::InviteGone, detail))
}

fn provider_error(inv: &InviteRow) -> Option<ApiError> {
    let idp = &inv.invite.identity_provider;
    if idp.provider == IdentityProvider::Any {
        return None;
    }
    let tenant = idp.tenant_id.as_deref().map(|t| format!(" (tenant {t})")).unwrap_or_default();
    Some(ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::IdentityProviderRequired,
        format!(
            "This invite can only be accepted by signing in with {}{tenant}. Password sign-in cannot redeem it.",
            idp.provider.display_name()
        ),
    ))
}

async fn load(st: &AppState, token: String) -> Result<Context, ApiError> {
    let now = st.now();
    if token.is_empty() || token.len() > 200 {
        return Err(not_found());
    }
    st.db
        .read(move |tx| {
            let invite = find_by_token(tx, &token, now)?.ok_or_else(not_found)?;
            let account = tx.query_row(
                "SELECT public_id, name, preset FROM accounts WHERE id = ?1",
                [invite.account_id],
                |r| Ok(Account { id: r.get(0)?, name: r.get(1)?, preset: r.get(2)? }),
            )?;
            Ok(Context { invite, account })
        })
        .await
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "This invite link is not valid. Check that you copied all of it.",
    )
}

/// The fingerprint an `Idempotency-Key` is bound to: the request without its password, so no
/// quickly-hashed copy of a password is stored (a replay checks the password separately).
fn request_hash(req: &JoinRequest) -> Vec<u8> {
    let without_password = JoinRequest { password: String::new(), ..req.clone() };
    db::sha256(&serde_json::to_string(&without_password).unwrap_or_default())
}

/// The answer an earlier join with this token and `Idempotency-Key` got, if there was one.
/// A retry after a lost answer would otherwise find its own invite used (`410 invite_gone`).
async fn replay(
    st: &AppState,
    req: &JoinRequest,
    idem_key: &str,
) -> Result<Option<Joined>, ApiError> {
    let now = st.now();
    let token = req.token.clone();
    let key = idem_key.to_string();
    let since = db::ts(now - chrono::Duration::hours(IDEMPOTENCY_WINDOW_HOURS));
    let prior: Option<(Vec<u8>, String, Option<String>)> = st
        .db
        .read(move |tx| {
            let Some(inv) = find_by_token(tx, &token, now)? else {
                return Ok(None);
            };
            Ok(tx
                .query_row(
                    "SELECT j.request_hash, j.body, u.password_hash FROM join_idempotency j JOIN users u ON u.id = j.user_id
                     WHERE j.invite_id = ?1 AND j.idem_key = ?2 AND j.created_at >= ?3",
                    params![inv.rowid, key, since],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .opt()?)
        })
        .await?;
    let Some((hash, body, password_hash)) = prior else {
        return Ok(None);
    };
    if hash != request_hash(req) {
        return Err(ApiError::unprocessable(
            ErrorCode::IdempotencyMismatch,
            "This Idempotency-Key was already used with a different request body. Use a new key for a new request.",
        ));
    }
    // The token alone does not reveal who joined: a replay needs the joined user's password.
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        password_hash.as_deref().is_some_and(|h| verify_password(&password, h))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    if !ok {
        return Err(invalid_credentials());
    }
    serde_json::from_str(&body).map(Some).map_err(|e| ApiError::internal(e.to_string()))
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "That e-mail and password do not match an account. Check them, or sign up instead.",
    )
}

/// Joins the invite's team. The flag is true when the answer is the replay of an earlier join
/// with the same token and `idem_key`.
pub async fn redeem(
    st: &AppState,
    ip: std::net::IpAddr,
    req: JoinRequest,
    idem_key: Option<String>,
) -> Result<(Joined, bool), ApiError> {
    let limits = &st.limiter.limits;
    st.limiter.take(format!("join-ip:{ip}"), limits.joins_per_minute_per_ip)?;
    if req.token.is_empty() || req.token.len() > 200 {
        return Err(not_found());
    }
    st.limiter.take(format!("join-token:{}", req.token), limits.joins_per_minute_per_token)?;
    if let Some(k) = &idem_key
        && let Some(joined) = replay(st, &req, k).await?
    {
        return Ok((joined, true));
    }
    let hash = request_hash(&req);
    let email = req.email.trim().to_string();
    let ctx = load(st, req.token.clone()).await?;
    if let Some(e) = gone(&ctx.invite, &ctx.account.name).or_else(|| provider_error(&ctx.invite)) {
        return Err(e);
    }
    if !email.eq_ignore_ascii_case(&ctx.invite.invite.email) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::EmailMismatch,
            format!(
                "This invite was sent to {}. Sign up or sign in with that address.",
                mask(&ctx.invite.invite.email)
            ),
        ));
    }
    if req.password.is_empty() || req.password.len() > 1024 {
        return Err(ApiError::field("password", "enter your password"));
    }
    let name = req.name.as_deref().map(str::trim).unwrap_or_default().to_string();
    // Hash or verify outside the database lock: argon2 takes tens of milliseconds on purpose.
    let credential = match req.mode {
        JoinMode::SignUp => {
            if name.is_empty() || name.len() > 200 {
                return Err(ApiError::field("name", "enter your name"));
            }
            if req.password.chars().count() < MIN_PASSWORD {
                return Err(ApiError::field(
                    "password",
                    format!("use at least {MIN_PASSWORD} characters"),
                ));
            }
            let password = req.password.clone();
            let hash = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Credential::New(hash)
        }
        JoinMode::SignIn => {
            let lookup = email.clone();
            let user: Option<(i64, Option<String>, String)> = st
                .db
                .read(move |tx| {
                    Ok(tx
                        .query_row(
                            "SELECT id, password_hash, sign_in_method FROM users WHERE email = ?1",
                            [lookup],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .opt()?)
                })
                .await?;
            let password = req.password.clone();
            let (uid, hash, method) = user.unwrap_or((0, None, String::new()));
            let hash_for_check = hash.clone();
            let ok = tokio::task::spawn_blocking(move || {
                hash_for_check.as_deref().is_some_and(|h| verify_password(&password, h))
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
            if !ok {
                return Err(invalid_credentials());
            }
            Credential::Existing(uid, method)
        }
    };
    if ctx.invite.invite.require_secure_sign_in {
        let secure = matches!(&credential, Credential::Existing(_, m) if m != "email");
        if !secure {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::SecureSignInRequired,
                format!(
                    "{} requires secure sign-in. Turn on two-factor authentication for your account (or use Google or GitHub sign-in), then open this link again.",
                    ctx.account.name
                ),
            ));
        }
    }

    let now = st.now();
    let token = req.token;
    let account = ctx.account.clone();
    let (joined, events) = st
        .db
        .write(move |tx| {
            let now_s = db::ts(now);
            // Re-read inside the write lock: the invite may have changed since `load`.
            let inv = find_by_token(tx, &token, now)?.ok_or_else(not_found)?;
            if let Some(e) = gone(&inv, &account.name) {
                return Err(e);
            }
            let user_id = match &credential {
                Credential::Existing(uid, _) => *uid,
                Credential::New(hash) => {
                    let taken: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)", [&email], |r| r.get(0))?;
                    if taken {
                        return Err(ApiError::conflict(ErrorCode::EmailTaken, "An account with this e-mail already exists. Sign in instead."));
                    }
                    tx.execute(
                        "INSERT INTO users (public_id, email, name, password_hash, sign_in_method, created_at) VALUES (?1, ?2, ?3, ?4, 'email', ?5)",
                        params![db::new_id("usr"), inv.invite.email, name, hash, now_s],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            let is_member: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM memberships WHERE account_id = ?1 AND user_id = ?2)",
                params![inv.account_id, user_id],
                |r| r.get(0),
            )?;
            if is_member {
                return Err(ApiError::conflict(ErrorCode::AlreadyMember, format!("You are already a member of {}.", account.name)));
            }
            let policy = &presets::find(&account.preset).ok_or_else(|| ApiError::internal("unknown preset"))?.policy;
            // This invite already holds a seat; joining converts it into a member, so it is
            // refused only when the members alone fill the team. (Pending invites beyond the
            // limit, e.g. after the limit was lowered, must not lock out everyone while seats
            // are free: they are admitted until the members reach the limit.)
            let s = seats(tx, inv.account_id, policy, now)?;
            if let Some(limit) = s.limit
                && s.members >= limit {
                    return Err(seat_limit_error(&account.name, s.members, s.pending_invites, limit));
                }
            tx.execute(
                "INSERT INTO memberships (account_id, user_id, role, joined_at, last_login_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![inv.account_id, user_id, inv.invite.role, now_s],
            )?;
            tx.execute("UPDATE invites SET status = 'accepted', accepted_at = ?2, accepted_by = ?3 WHERE id = ?1", params![inv.rowid, now_s, user_id])?;
            let user = tx.query_row("SELECT public_id, email, name FROM users WHERE id = ?1", [user_id], |r| {
                Ok(UserRef { id: r.get(0)?, email: r.get(1)?, name: r.get(2)? })
            })?;
            let ev = audit::record(
                tx,
                inv.account_id,
                AuditAction::InviteAccepted,
                Some(user_id),
                Target::invite(&inv.invite.id, &inv.invite.email),
                json!({"role": inv.invite.role, "user_id": user.id, "name": user.name}),
                now,
            )?;
            let joined = Joined { account, user, role: inv.invite.role };
            if let Some(k) = &idem_key {
                let since = db::ts(now - chrono::Duration::hours(IDEMPOTENCY_WINDOW_HOURS));
                tx.execute("DELETE FROM join_idempotency WHERE created_at < ?1", [&since])?;
                let body = serde_json::to_string(&joined).map_err(|e| ApiError::internal(e.to_string()))?;
                tx.execute(
                    "INSERT INTO join_idempotency (invite_id, idem_key, request_hash, user_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![inv.rowid, k, hash, user_id, body, now_s],
                )?;
            }
            Ok((joined, vec![ev]))
        })
        .await?;
    st.publish(events);
    tracing::info!(account = %joined.account.id, user = %joined.user.id, "invite redeemed");
    Ok((joined, false))
}

enum Credential {
    New(String),
    Existing(i64, String),
}

pub async fn join_json(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<JoinRequest>,
) -> Result<Response, ApiError> {
    let idem_key = idempotency_key(&headers)?;
    let (joined, replayed) = redeem(&st, addr.ip(), req, idem_key).await?;
    let mut res = axum::Json(joined).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

pub async fn page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    let ctx = match load(&st, token).await {
        Ok(c) => c,
        Err(e) => return pages::problem_page(&e),
    };
    if let Some(e) = gone(&ctx.invite, &ctx.account.name) {
        return pages::problem_page(&e);
    }
    pages::page(StatusCode::OK, &format!("Join {}", ctx.account.name), &join_form(&ctx, None))
}

fn join_form(ctx: &Context, error: Option<&str>) -> String {
    let inv = &ctx.invite.invite;
    let policy = presets::find(&ctx.account.preset).map(|p| &p.policy);
    let role = policy.and_then(|p| p.role(&inv.role));
    let role_html = match role {
        Some(r) => format!(
            "<div class=\"role\"><strong>{}</strong><br><span class=\"muted\">{}</span></div>",
            esc(&r.name),
            esc(&r.description)
        ),
        None => format!("<div class=\"role\"><strong>{}</strong></div>", esc(&inv.role)),
    };
    let expires = inv.expires_at.format("%e %B %Y, %H:%M UTC");
    let mut html = format!(
        "<h1>Join {}</h1><p>You were invited as <strong>{}</strong>.</p>{role_html}<p class=\"muted\">This invite works until {expires}.</p>",
        esc(&ctx.account.name),
        esc(&inv.email),
    );
    if let Some(e) = error {
        html.push_str(&format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(e)));
    }
    if let Some(e) = provider_error(&ctx.invite) {
        html.push_str(&format!("<p class=\"bad\">{}</p>", esc(&e.detail)));
        return html;
    }
    if inv.require_secure_sign_in {
        html.push_str("<p class=\"muted\">This team requires secure sign-in: your account needs two-factor authentication or Google/GitHub sign-in.</p>");
    }
    html.push_str(&format!(
        "<form method=\"post\"><fieldset class=\"modes\"><legend>I want to</legend>\
         <label><input type=\"radio\" name=\"mode\" value=\"sign_up\" checked> create an account</label>\
         <label><input type=\"radio\" name=\"mode\" value=\"sign_in\"> sign in</label></fieldset>\
         <label for=\"name\">Your name (new accounts)</label><input id=\"name\" type=\"text\" name=\"name\" autocomplete=\"name\" maxlength=\"200\">\
         <label for=\"email\">E-mail</label><input id=\"email\" type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"email\" required maxlength=\"320\">\
         <label for=\"password\">Password</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required maxlength=\"1024\">\
         <p class=\"muted\">New accounts need a password of at least {MIN_PASSWORD} characters.</p>\
         <button type=\"submit\">Join {}</button></form>",
        esc(&inv.email),
        esc(&ctx.account.name)
    ));
    html
}

#[derive(Deserialize)]
pub struct JoinForm {
    mode: Option<String>,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

pub async fn submit(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    form: Result<Form<JoinForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return pages::problem_page(&ApiError::bad_request(
            "The form could not be read. Reload the page and try again.",
        ));
    };
    let req = JoinRequest {
        token: token.clone(),
        mode: if form.mode.as_deref() == Some("sign_in") {
            JoinMode::SignIn
        } else {
            JoinMode::SignUp
        },
        email: form.email.unwrap_or_default(),
        password: form.password.unwrap_or_default(),
        name: form.name,
    };
    match redeem(&st, addr.ip(), req, None).await {
        Ok((j, _)) => {
            let role = presets::find(&j.account.preset)
                .and_then(|p| p.policy.role(&j.role))
                .map_or(j.role.clone(), |r| r.name.clone());
            pages::page(
                StatusCode::OK,
                &format!("Welcome to {}", j.account.name),
                &format!(
                    "<h1>You joined {}</h1><p>Welcome, {}. You are a member as <strong>{}</strong>.</p>",
                    esc(&j.account.name),
                    esc(&j.user.name),
                    esc(&role)
                ),
            )
        }
        // Errors the invitee can fix are shown on the form again; the rest get a plain page.
        Err(e)
            if matches!(
                e.code,
                ErrorCode::ValidationFailed
                    | ErrorCode::InvalidCredentials
                    | ErrorCode::EmailMismatch
                    | ErrorCode::EmailTaken
            ) =>
        {
            match load(&st, token).await {
                Ok(ctx) => pages::page(
                    e.status,
                    &format!("Join {}", ctx.account.name),
                    &join_form(&ctx, Some(&e.detail)),
                ),
                Err(_) => pages::problem_page(&e),
            }
        }
        Err(e) => pages::problem_page(&e),
    }
}
