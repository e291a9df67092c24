//! The account list. The key crosses IPC only into `account_add` and `account_rekey`, and
//! becomes an `ApiKey` (redacting, not serialisable) at once.

use roster_core::{AccountsView, ApiKey, AppError, CachedView, Desk, KeyReport};
use tauri::State;

#[tauri::command]
pub async fn accounts_list(desk: State<'_, Desk>) -> Result<AccountsView, AppError> {
    desk.accounts_list().await.map_err(AppError::from)
}

#[tauri::command]
pub async fn account_add(desk: State<'_, Desk>, server: String, key: String, label: Option<String>) -> Result<AccountsView, AppError> {
    desk.account_add(&server, ApiKey::from(key), label.as_deref()).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn account_rekey(desk: State<'_, Desk>, id: String, key: String) -> Result<AccountsView, AppError> {
    desk.account_rekey(&id, ApiKey::from(key)).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn account_remove(desk: State<'_, Desk>, id: String) -> Result<AccountsView, AppError> {
    desk.account_remove(&id).await.map_err(AppError::from)
}

/// The cached view goes out as the cache file's own JSON (a `TeamView`, `stale`).
#[tauri::command]
pub async fn account_switch(desk: State<'_, Desk>, id: String, want_cached: bool) -> Result<Option<CachedView>, AppError> {
    desk.account_switch(&id, want_cached).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn account_reorder(desk: State<'_, Desk>, ids: Vec<String>) -> Result<AccountsView, AppError> {
    desk.account_reorder(ids).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn account_update(desk: State<'_, Desk>, id: String, label: Option<String>, colour: Option<String>) -> Result<AccountsView, AppError> {
    desk.account_update(&id, label, colour).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn keychain_doctor(desk: State<'_, Desk>) -> Result<Vec<KeyReport>, AppError> {
    desk.keychain_doctor().await.map_err(AppError::from)
}
