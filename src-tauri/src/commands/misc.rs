//! Opening a page of an account's own server in the browser. The web view has no open
//! permission of its own: the address is built and checked by `Desk::server_page` (that
//! server's origin only, so https or loopback http), then opened through the opener plugin's
//! Rust API.

use roster_core::{AppError, Desk, ErrorCode};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

#[tauri::command]
pub async fn open_server_page<R: Runtime>(app: AppHandle<R>, desk: State<'_, Desk>, id: String, path: String) -> Result<(), AppError> {
    let url = desk.server_page(&id, &path).await.map_err(AppError::from)?;
    app.opener().open_url(url.as_str(), None::<&str>).map_err(|e| not_opened(&url, e))
}

fn not_opened(url: &str, e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Invalid, format!("Could not open a browser ({e}). Open {url} in your browser yourself."))
}
