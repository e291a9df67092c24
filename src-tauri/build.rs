//! tauri-build: reads tauri.conf.json and capabilities/ at the package root (the repository
//! root). Listing the app's commands here turns them into permissions (`allow-<command>`) that
//! a capability must grant: without the list every app command would be open to every window.

/// Every command of `src-tauri/src/commands`, as `generate_handler!` registers them.
const COMMANDS: &[&str] = &[
    "accounts_list",
    "account_add",
    "account_rekey",
    "account_remove",
    "account_switch",
    "account_reorder",
    "account_update",
    "keychain_doctor",
    "team_cached",
    "team_first_page",
    "team_refresh",
    "member_update",
    "member_remove",
    "team_leave",
    "promotion_cancel",
    "promotions_list",
    "invite_create",
    "invite_bulk",
    "invite_recopy",
    "invite_copy_message",
    "invite_resend",
    "invite_revoke",
    "audit_page",
    "open_server_page",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build: check tauri.conf.json, capabilities/ and icons/");
}
