//! The Tauri commands: each one call into `Desk` (roster-core), errors as `AppError`
//! (`{code, message}`). No logic here; it is in roster-core, where it is tested.
//!
//! Registered in `handler()` and listed in src-tauri/build.rs, which makes each one a
//! permission (`allow-<name>`) that capabilities/main.json grants to the main window.

pub mod accounts;
pub mod activity;
pub mod invites;
pub mod members;
pub mod misc;
pub mod team;

use tauri::Runtime;
use tauri::ipc::Invoke;

/// Every command, for `Builder::invoke_handler`.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        accounts::accounts_list,
        accounts::account_add,
        accounts::account_rekey,
        accounts::account_remove,
        accounts::account_switch,
        accounts::account_reorder,
        accounts::account_update,
        accounts::keychain_doctor,
        team::team_cached,
        team::team_first_page,
        team::team_refresh,
        members::member_update,
        members::member_remove,
        members::team_leave,
        members::promotion_cancel,
        members::promotions_list,
        invites::invite_create,
        invites::invite_bulk,
        invites::invite_recopy,
        invites::invite_copy_message,
        invites::invite_resend,
        invites::invite_revoke,
        activity::audit_page,
        misc::open_server_page,
    ]
}
