//! The audit log, page by page, filtered.

use roster_core::api::{AuditAction, AuditEvent, Page};
use roster_core::{AppError, Desk};
use tauri::State;

#[tauri::command]
pub async fn audit_page(
    desk: State<'_, Desk>,
    id: String,
    action: Option<AuditAction>,
    actor: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<Page<AuditEvent>, AppError> {
    desk.audit_page(&id, action, actor, q, cursor).await.map_err(AppError::from)
}
