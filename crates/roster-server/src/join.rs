//! The invitee's side: `/join/{token}` (an HTML page with sign-up and sign-in) and
//! `POST /v1/join` (the same as JSON). Redeeming re-checks everything inside one
//! transaction, so a link revoked or used a moment ago, or a full team, is refused.

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::params;
use roster_api::{Account, AuditAction, ErrorCode, IdentityProvider, InviteStatus, JoinMode, JoinRequest, Joined, UserRef};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Target};
use crate::db::{self, OptionalRow};
use crate::error::{ApiError, Json, Path};
use crate::invites::{InviteRow, find_by_token, seat_limit_error};
use crate::members::seats;
use crate::pages::{self, esc};
use crate::{AppState, presets};

pub const MIN_PASSWORD: usize = 10;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&db::random_bytes::<16>()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
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
        InviteStatus::Revoked => format!("This invite to {account} was revoked. Ask the person who invited you for a new link."),
        InviteStatus::Expired => format!(
            "This invite to {account} expired on {}. Ask the person who invited you to resend it.",
            inv.invite.expires_at.format("%e %B %Y")
        ),
        InviteStatus::Accepted => format!("This invite to {account} has already been used. If it was you, you are on the team already."),
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
            let account = tx.query_row("SELECT public_id, name, preset FROM accounts WHERE id = ?1", [invite.account_id], |r| {
                Ok(Account { id: r.get(0)?, name: r.get(1)?, preset: r.get(2)? })
            })?;
            Ok(Context { invite, account })
        })
        .await
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "This invite link is not valid. Check that you copied all of it.")
}

pub async fn redeem(st: &AppState, ip: std::net::IpAddr, req: JoinRequest) -> Result<Joined, ApiError> {
    let limits = &st.limiter.limits;
    st.limiter.take(format!("join-ip:{ip}"), limits.joins_per_minute_per_ip)?;
    if req.token.is_empty() || req.token.len() > 200 {
        return Err(not_found());
    }
    st.limiter.take(format!("join-token:{}", req.token), limits.joins_per_minute_per_token)?;
    let email = req.email.trim().to_string();
    let ctx = load(st, req.token.clone()).await?;
    if let Some(e) = gone(&ctx.invite, &ctx.account.name).or_else(|| provider_error(&ctx.invite)) {
        return Err(e);
    }
    if !email.eq_ignore_ascii_case(&ctx.invite.invite.email) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::EmailMismatch,
            format!("This invite was sent to {}. Sign up or sign in with that address.", mask(&ctx.invite.invite.email)),
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
                return Err(ApiError::field("password", format!("use at least {MIN_PASSWORD} characters")));
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
                        .query_row("SELECT id, password_hash, sign_in_method FROM users WHERE email = ?1", [lookup], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .opt()?)
                })
                .await?;
            let password = req.password.clone();
            let (uid, hash, method) = user.unwrap_or((0, None, String::new()));
            let hash_for_check = hash.clone();
            let ok = tokio::task::spawn_blocking(move || hash_for_check.as_deref().is_some_and(|h| verify_password(&password, h)))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if !ok {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::InvalidCredentials,
                    "That e-mail and password do not match an account. Check them, or sign up instead.",
                ));
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
            if let Some(limit) = s.limit {
                if s.members >= limit {
                    return Err(seat_limit_error(&account.name, s.members, s.pending_invites, limit));
                }
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
            Ok((Joined { account, user, role: inv.invite.role }, vec![ev]))
        })
        .await?;
    st.publish(events);
    tracing::info!(account = %joined.account.id, user = %joined.user.id, "invite redeemed");
    Ok(joined)
}

enum Credential {
    New(String),
    Existing(i64, String),
}

pub async fn join_json(State(st): State<AppState>, ConnectInfo(addr): ConnectInfo<SocketAddr>, Json(req): Json<JoinRequest>) -> Result<axum::Json<Joined>, ApiError> {
    Ok(axum::Json(redeem(&st, addr.ip(), req).await?))
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
        Some(r) => format!("<div class=\"role\"><strong>{}</strong><br><span class=\"muted\">{}</span></div>", esc(&r.name), esc(&r.description)),
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

pub async fn submit(State(st): State<AppState>, ConnectInfo(addr): ConnectInfo<SocketAddr>, Path(token): Path<String>, form: Result<Form<JoinForm>, axum::extract::rejection::FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return pages::problem_page(&ApiError::bad_request("The form could not be read. Reload the page and try again."));
    };
    let req = JoinRequest {
        token: token.clone(),
        mode: if form.mode.as_deref() == Some("sign_in") { JoinMode::SignIn } else { JoinMode::SignUp },
        email: form.email.unwrap_or_default(),
        password: form.password.unwrap_or_default(),
        name: form.name,
    };
    match redeem(&st, addr.ip(), req).await {
        Ok(j) => {
            let role = presets::find(&j.account.preset).and_then(|p| p.policy.role(&j.role)).map_or(j.role.clone(), |r| r.name.clone());
            pages::page(
                StatusCode::OK,
                &format!("Welcome to {}", j.account.name),
                &format!("<h1>You joined {}</h1><p>Welcome, {}. You are a member as <strong>{}</strong>.</p>", esc(&j.account.name), esc(&j.user.name), esc(&role)),
            )
        }
        // Errors the invitee can fix are shown on the form again; the rest get a plain page.
        Err(e) if matches!(e.code, ErrorCode::ValidationFailed | ErrorCode::InvalidCredentials | ErrorCode::EmailMismatch | ErrorCode::EmailTaken) => {
            match load(&st, token).await {
                Ok(ctx) => pages::page(e.status, &format!("Join {}", ctx.account.name), &join_form(&ctx, Some(&e.detail))),
                Err(_) => pages::problem_page(&e),
            }
        }
        Err(e) => pages::problem_page(&e),
    }
}
