//! Members: role and quota changes, removal, leaving, owner promotions.

use roster_core::api::{MemberUpdate, OwnerPromotion};
use roster_core::{AccountsView, AppError, Desk};
use tauri::State;

/// `quota` applies only with `set_quota` (then `null` lifts the quota).
#[tauri::command]
pub async fn member_update(
    desk: State<'_, Desk>,
    id: String,
    user_id: String,
    role: Option<String>,
    quota: Option<u64>,
    set_quota: bool,
) -> Result<MemberUpdate, AppError> {
    desk.member_update(&id, &user_id, role, quota, set_quota).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn member_remove(desk: State<'_, Desk>, id: String, user_id: String) -> Result<(), AppError> {
    desk.member_remove(&id, &user_id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn team_leave(desk: State<'_, Desk>, id: String) -> Result<AccountsView, AppError> {
    desk.team_leave(&id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn promotion_cancel(desk: State<'_, Desk>, id: String, promotion_id: String) -> Result<OwnerPromotion, AppError> {
    desk.promotion_cancel(&id, &promotion_id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn promotions_list(desk: State<'_, Desk>, id: String) -> Result<Vec<OwnerPromotion>, AppError> {
    desk.promotions_list(&id).await.map_err(AppError::from)
}
