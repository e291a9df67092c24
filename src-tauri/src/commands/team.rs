//! A team's data: members, invites, recent activity, cached for instant switching.

use roster_core::{AppError, CachedView, Desk, TeamView};
use tauri::State;

/// A team nothing is cached for: `me` and its first page of members, in one round trip.
#[tauri::command]
pub async fn team_first_page(desk: State<'_, Desk>, id: String) -> Result<TeamView, AppError> {
    desk.team_first_page(&id).await.map_err(AppError::from)
}

/// The cached view without switching to the account (read ahead while the window is idle).
#[tauri::command]
pub async fn team_cached(desk: State<'_, Desk>, id: String) -> Result<Option<CachedView>, AppError> {
    desk.team_cached(&id).await.map_err(AppError::from)
}

/// Fresh from the server; on failure the cached view, marked stale, with the error.
#[tauri::command]
pub async fn team_refresh(desk: State<'_, Desk>, id: String) -> Result<TeamView, AppError> {
    desk.team_refresh(&id).await.map_err(AppError::from)
}
