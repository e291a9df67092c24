//! `POST /ipc/{cmd}`: one Tauri command, answered by the `Desk` call the desktop app's command
//! makes (both from roster-desk's command list), from the same JSON object the UI passes to `invoke` (Tauri's
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
use roster_core::ErrorCode;
use roster_desk::{AppError, Desk};
use serde::Serialize;
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
        Failure {
            status: StatusCode::BAD_REQUEST,
            error: AppError::new(ErrorCode::Invalid, message),
        }
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

pub async fn handle(
    State(console): State<Arc<Console>>,
    Path(cmd): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        from_own_page(&headers)?;
        let body = body
            .map_err(|e| Failure::refused(format!("could not read the arguments of {cmd}: {e}")))?;
        // `invoke(cmd)` without arguments is `{}` in Tauri too.
        let args = if body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&body).map_err(|e| {
                Failure::refused(format!("the arguments of {cmd} are not JSON: {e}"))
            })?
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
    let json = text(header::CONTENT_TYPE).is_some_and(|t| {
        t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(Failure::refused(
            "IPC calls must send their arguments as Content-Type: application/json".into(),
        ));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let own = text(header::HOST).is_some_and(|host| origin == format!("http://{host}"));
        if !own {
            return Err(Failure::refused(format!(
                "IPC calls are answered only from this console's own page, not from {origin}"
            )));
        }
    }
    Ok(())
}

fn reply<T: Serialize>(result: roster_core::Result<T>) -> Result<Value, Failure> {
    let value = result.map_err(|e| Failure::failed(AppError::from(e)))?;
    serde_json::to_value(value).map_err(|e| {
        Failure::failed(AppError::new(
            ErrorCode::ServerError,
            format!("could not encode the answer: {e}"),
        ))
    })
}

/// What this bridge refuses before `Desk` sees it, and why.
fn unavailable(cmd: &str) -> Option<&'static str> {
    match cmd {
        "account_add" | "account_rekey" => Some(
            "API keys never travel over HTTP here; add or re-key the account with `roster accounts add`, then reload",
        ),
        // The app opens the page in the system browser; here the page already is in one.
        "open_server_page" => Some("open the server's address in a new tab instead"),
        _ => None,
    }
}

/// Every command of roster-desk's command list, read from the same arguments as the app's
/// (the whole object, camelCase, unknown fields refused), but those `unavailable` names.
macro_rules! dispatch {
    ($($(#[$meta:meta])* $name:ident ($desk:ident $(, $r:ident : $req:ty)?) -> $ret:ty $body:block)*) => {
        async fn dispatch(desk: &Desk, cmd: &str, args: Value) -> Result<Value, Failure> {
            if let Some(why) = unavailable(cmd) {
                return Err(Failure::unavailable(cmd, why));
            }
            $(
                if cmd == stringify!($name) {
                    let $desk: &Desk = desk;
                    $(let $r: $req = serde_json::from_value(args).map_err(|e| Failure::refused(format!("invalid arguments for {cmd}: {e}")))?;)?
                    return reply($body.await);
                }
            )*
            let _ = args;
            Err(Failure::unavailable(cmd, "the desktop app has no such command"))
        }
    };
}

roster_desk::ipc_commands!(dispatch);
