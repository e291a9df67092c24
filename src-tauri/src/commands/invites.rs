//! Invites: create (link on the clipboard at once), bulk, re-copy, message, resend, revoke.

use roster_core::api::{Invite, NewInvite};
use roster_core::flows::{BulkOptions, BulkReport};
use roster_core::{AppError, CopiedMessage, Desk, InviteCreated};
use tauri::State;

/// `idempotency_key`: made by the UI once per invite the user asks for, reused when they retry it.
#[tauri::command]
pub async fn invite_create(desk: State<'_, Desk>, id: String, invite: NewInvite, idempotency_key: String) -> Result<InviteCreated, AppError> {
    desk.invite_create(&id, invite, &idempotency_key).await.map_err(AppError::from)
}

/// `options`: what every row carries (delivery, identity provider, secure sign-in, expiry).
#[tauri::command]
pub async fn invite_bulk(desk: State<'_, Desk>, id: String, text: String, role: String, options: BulkOptions) -> Result<BulkReport, AppError> {
    desk.invite_bulk(&id, &text, &role, options).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn invite_recopy(desk: State<'_, Desk>, id: String, invite_id: String) -> Result<InviteCreated, AppError> {
    desk.invite_recopy(&id, &invite_id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn invite_copy_message(desk: State<'_, Desk>, id: String, invite_id: String) -> Result<CopiedMessage, AppError> {
    desk.invite_copy_message(&id, &invite_id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn invite_resend(desk: State<'_, Desk>, id: String, invite_id: String) -> Result<Invite, AppError> {
    desk.invite_resend(&id, &invite_id).await.map_err(AppError::from)
}

#[tauri::command]
pub async fn invite_revoke(desk: State<'_, Desk>, id: String, invite_id: String) -> Result<Invite, AppError> {
    desk.invite_revoke(&id, &invite_id).await.map_err(AppError::from)
}
