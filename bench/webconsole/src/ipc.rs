//! `POST /ipc/{cmd}`: one Tauri command, answered by the `Desk` call the desktop app's command
//! makes (src-tauri/src/commands), from the same JSON object the UI passes to `invoke` (Tauri's
//! camelCase argument names). 200 with the result, or the `AppError` (`{code, message}`) the
//! app's `invoke` would reject with: 400 when this bridge refused the request before it reached
//! `Desk`, 500 when the command ran and failed.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_core::api::{AuditAction, NewInvite};
use roster_core::{AppError, BulkOptions, Desk, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Console;

/// A command that did not answer with its result.
struct Failure {
    status: StatusCode,
    error: AppError,
}

impl Failure {
    /// Refused here; `Desk` never saw it.
    fn refused(message: String) -> Failure {
        // `invalid` ("the input was refused") is the code the UI reads as "nothing to retry".
        Failure { status: StatusCode::BAD_REQUEST, error: AppError::new(ErrorCode::Invalid, message) }
    }

    fn unavailable(cmd: &str, why: &str) -> Failure {
        Failure::refused(format!("{cmd} is not available in the browser stand-in: {why}."))
    }

    fn failed(error: AppError) -> Failure {
        Failure { status: StatusCode::INTERNAL_SERVER_ERROR, error }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(self.error)).into_response()
    }
}

pub async fn handle(State(console): State<Arc<Console>>, Path(cmd): Path<String>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let answer = async {
        from_own_page(&headers)?;
        let body = body.map_err(|e| Failure::refused(format!("could not read the arguments of {cmd}: {e}")))?;
        // `invoke(cmd)` without arguments is `{}` in Tauri too.
        let args = if body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&body).map_err(|e| Failure::refused(format!("the arguments of {cmd} are not JSON: {e}")))?
        };
        dispatch(&console.desk, &cmd, args).await
    };
    match answer.await {
        Ok(value) => Json(value).into_response(),
        Err(failure) => {
            tracing::info!(cmd, status = failure.status.as_u16(), code = ?failure.error.code, "command failed");
            failure.into_response()
        }
    }
}

/// A page on another site can POST `text/plain` to 127.0.0.1 without asking first. Demanding
/// JSON makes the browser ask (a CORS preflight, which this server never grants), and an
/// `Origin`, when sent, must be this server's own.
fn from_own_page(headers: &HeaderMap) -> Result<(), Failure> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let json = text(header::CONTENT_TYPE).is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return Err(Failure::refused("IPC calls must send their arguments as Content-Type: application/json".into()));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let own = text(header::HOST).is_some_and(|host| origin == format!("http://{host}"));
        if !own {
            return Err(Failure::refused(format!("IPC calls are answered only from this console's own page, not from {origin}")));
        }
    }
    Ok(())
}

// Arguments, named as the Tauri commands name them (camelCase on the wire). Missing `Option`s
// are `None` and unknown keys are ignored, as in Tauri.

#[derive(serde::Deserialize)]
struct ById {
    id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Switch {
    id: String,
    want_cached: bool,
}

#[derive(serde::Deserialize)]
struct Reorder {
    ids: Vec<String>,
}

#[derive(serde::Deserialize)]
struct AccountChange {
    id: String,
    label: Option<String>,
    colour: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByMember {
    id: String,
    user_id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberChange {
    id: String,
    user_id: String,
    role: Option<String>,
    quota: Option<u64>,
    set_quota: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByPromotion {
    id: String,
    promotion_id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct InviteArgs {
    id: String,
    invite: NewInvite,
    idempotency_key: String,
}

#[derive(serde::Deserialize)]
struct BulkArgs {
    id: String,
    text: String,
    role: String,
    options: BulkOptions,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByInvite {
    id: String,
    invite_id: String,
}

#[derive(serde::Deserialize)]
struct AuditArgs {
    id: String,
    action: Option<AuditAction>,
    actor: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

fn parse<T: DeserializeOwned>(cmd: &str, args: Value) -> Result<T, Failure> {
    serde_json::from_value(args).map_err(|e| Failure::refused(format!("invalid arguments for {cmd}: {e}")))
}

fn reply<T: Serialize>(result: roster_core::Result<T>) -> Result<Value, Failure> {
    let value = result.map_err(|e| Failure::failed(AppError::from(e)))?;
    serde_json::to_value(value).map_err(|e| Failure::failed(AppError::new(ErrorCode::ServerError, format!("could not encode the answer: {e}"))))
}

/// Every command of src-tauri/src/commands but those that cannot work over this bridge.
async fn dispatch(desk: &Desk, cmd: &str, args: Value) -> Result<Value, Failure> {
    match cmd {
        "accounts_list" => reply(desk.accounts_list().await),
        "account_remove" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.account_remove(&a.id).await)
        }
        "account_switch" => {
            let a: Switch = parse(cmd, args)?;
            reply(desk.account_switch(&a.id, a.want_cached).await)
        }
        "account_reorder" => {
            let a: Reorder = parse(cmd, args)?;
            reply(desk.account_reorder(a.ids).await)
        }
        "account_update" => {
            let a: AccountChange = parse(cmd, args)?;
            reply(desk.account_update(&a.id, a.label, a.colour).await)
        }
        "keychain_doctor" => reply(desk.keychain_doctor().await),
        "team_cached" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.team_cached(&a.id).await)
        }
        "team_first_page" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.team_first_page(&a.id).await)
        }
        "team_refresh" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.team_refresh(&a.id).await)
        }
        "member_update" => {
            let a: MemberChange = parse(cmd, args)?;
            reply(desk.member_update(&a.id, &a.user_id, a.role, a.quota, a.set_quota).await)
        }
        "member_remove" => {
            let a: ByMember = parse(cmd, args)?;
            reply(desk.member_remove(&a.id, &a.user_id).await)
        }
        "team_leave" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.team_leave(&a.id).await)
        }
        "promotion_cancel" => {
            let a: ByPromotion = parse(cmd, args)?;
            reply(desk.promotion_cancel(&a.id, &a.promotion_id).await)
        }
        "promotions_list" => {
            let a: ById = parse(cmd, args)?;
            reply(desk.promotions_list(&a.id).await)
        }
        "invite_create" => {
            let a: InviteArgs = parse(cmd, args)?;
            reply(desk.invite_create(&a.id, a.invite, &a.idempotency_key).await)
        }
        "invite_bulk" => {
            let a: BulkArgs = parse(cmd, args)?;
            reply(desk.invite_bulk(&a.id, &a.text, &a.role, a.options).await)
        }
        "invite_recopy" => {
            let a: ByInvite = parse(cmd, args)?;
            reply(desk.invite_recopy(&a.id, &a.invite_id).await)
        }
        "invite_copy_message" => {
            let a: ByInvite = parse(cmd, args)?;
            reply(desk.invite_copy_message(&a.id, &a.invite_id).await)
        }
        "invite_resend" => {
            let a: ByInvite = parse(cmd, args)?;
            reply(desk.invite_resend(&a.id, &a.invite_id).await)
        }
        "invite_revoke" => {
            let a: ByInvite = parse(cmd, args)?;
            reply(desk.invite_revoke(&a.id, &a.invite_id).await)
        }
        "audit_page" => {
            let a: AuditArgs = parse(cmd, args)?;
            reply(desk.audit_page(&a.id, a.action, a.actor, a.q, a.cursor).await)
        }
        "account_add" | "account_rekey" => {
            Err(Failure::unavailable(cmd, "API keys never travel over HTTP here; add or re-key the account with `roster accounts add`, then reload"))
        }
        // The app opens the page in the system browser; here the page already is in one.
        "open_server_page" => Err(Failure::unavailable(cmd, "open the server's address in a new tab instead")),
        _ => Err(Failure::unavailable(cmd, "the desktop app has no such command, or none this bridge answers")),
    }
}
