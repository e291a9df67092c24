// The window's IPC surface, declared once. No `//!` here: src-tauri/build.rs `include!`s
// this file to learn the command names (each becomes a permission, `allow-<name>`).
//
// From this one list come: the Tauri commands and their handler (src-tauri/src/commands.rs),
// the permission list (src-tauri/build.rs), the TypeScript command and event maps the UI is
// typed against (ui/src/bindings/ipc.ts, by the `bindings` test), the browser stand-in's
// dispatch (bench/webconsole) and the test that capabilities/main.json grants exactly these.
//
// An entry: `name(desk, r: Request) -> Answer { the Desk call }`. `Request` is what the window
// sends (crate::requests; no entry for a command that takes nothing), `Answer` what it gets
// back; the body is the whole command, one call into `Desk`, awaited by the caller.

/// Calls `$then! { entries }` with every IPC command (see the top of this file).
#[macro_export]
macro_rules! ipc_commands {
    ($then:ident) => {
        $then! {
            /// The account list, which is active, and where keys are kept.
            accounts_list(desk) -> $crate::ipc::AccountsView { desk.accounts_list() }
            /// Checks the key against the server, stores it in the keychain, makes it active.
            account_add(desk, r: $crate::ipc::AccountAdd) -> $crate::ipc::AccountsView { desk.account_add(&r.server, r.key, r.label.as_deref()) }
            /// A new key for the same account (after the server refused the old one).
            account_rekey(desk, r: $crate::ipc::AccountRekey) -> $crate::ipc::AccountsView { desk.account_rekey(&r.id, r.key) }
            account_remove(desk, r: $crate::ipc::AccountId) -> $crate::ipc::AccountsView { desk.account_remove(&r.id) }
            /// Makes the account active; its cached view when asked for (`null`: none).
            account_switch(desk, r: $crate::ipc::AccountSwitch) -> Option<$crate::ipc::CachedView> { desk.account_switch(&r.id, r.want_cached) }
            account_reorder(desk, r: $crate::ipc::AccountOrder) -> $crate::ipc::AccountsView { desk.account_reorder(r.ids) }
            account_update(desk, r: $crate::ipc::AccountEdit) -> $crate::ipc::AccountsView { desk.account_update(&r.id, r.label, r.colour) }
            /// Where each account's key lives and whether it can be read (masked keys only).
            keychain_doctor(desk) -> Vec<$crate::ipc::KeyReport> { desk.keychain_doctor() }
            /// The cached view without switching (read ahead while the window is idle).
            team_cached(desk, r: $crate::ipc::AccountId) -> Option<$crate::ipc::CachedView> { desk.team_cached(&r.id) }
            /// `me` and the first page of members by name, for a team nothing is cached for.
            team_first_page(desk, r: $crate::ipc::AccountId) -> $crate::ipc::TeamView { desk.team_first_page(&r.id) }
            /// Fresh from the server; on failure the cached view, marked stale, with the error.
            team_refresh(desk, r: $crate::ipc::AccountId) -> $crate::ipc::TeamView { desk.team_refresh(&r.id) }
            member_update(desk, r: $crate::ipc::MemberChange) -> $crate::ipc::MemberUpdate { desk.member_update(&r.id, &r.user_id, r.patch) }
            member_remove(desk, r: $crate::ipc::MemberRef) -> () { desk.member_remove(&r.id, &r.user_id) }
            /// Leaves the team; the account is then removed here.
            team_leave(desk, r: $crate::ipc::AccountId) -> $crate::ipc::AccountsView { desk.team_leave(&r.id) }
            promotion_cancel(desk, r: $crate::ipc::PromotionRef) -> $crate::ipc::OwnerPromotion { desk.promotion_cancel(&r.id, &r.promotion_id) }
            promotions_list(desk, r: $crate::ipc::AccountId) -> Vec<$crate::ipc::OwnerPromotion> { desk.promotions_list(&r.id) }
            /// Creates the invite; its link is on the clipboard when this returns.
            invite_create(desk, r: $crate::ipc::InviteCreate) -> $crate::ipc::InviteCreated { desk.invite_create(&r.id, r.invite, &r.idempotency_key) }
            invite_bulk(desk, r: $crate::ipc::InviteBulk) -> $crate::ipc::BulkReport { desk.invite_bulk(&r.id, &r.text, &r.role, r.options) }
            /// Copies a pending invite's link again (fetched fresh).
            invite_recopy(desk, r: $crate::ipc::InviteRef) -> $crate::ipc::InviteCreated { desk.invite_recopy(&r.id, &r.invite_id) }
            /// Copies the invitation as a message to paste into a chat.
            invite_copy_message(desk, r: $crate::ipc::InviteRef) -> $crate::ipc::CopiedMessage { desk.invite_copy_message(&r.id, &r.invite_id) }
            invite_resend(desk, r: $crate::ipc::InviteRef) -> $crate::ipc::Invite { desk.invite_resend(&r.id, &r.invite_id) }
            invite_revoke(desk, r: $crate::ipc::InviteRef) -> $crate::ipc::Invite { desk.invite_revoke(&r.id, &r.invite_id) }
            /// One page of the activity log, newest first.
            audit_page(desk, r: $crate::ipc::AuditPage) -> $crate::ipc::Page<$crate::ipc::AuditEvent> { desk.audit_page(&r.id, r.filter, r.cursor) }
            /// Opens a page of the account's own server in the system browser.
            open_server_page(desk, r: $crate::ipc::ServerPage) -> () { desk.open_server_page(&r.id, &r.path) }
        }
    };
}

/// Calls `$then! { entries }` with every event the shell sends the window:
/// `CONST = "name": Payload;`.
#[macro_export]
macro_rules! ipc_events {
    ($then:ident) => {
        $then! {
            /// A live audit event of the active account.
            AUDIT = "audit": $crate::ipc::AuditNotice;
            /// The account list or the active account changed outside the window (the tray).
            ACCOUNTS_CHANGED = "accounts-changed": $crate::ipc::AccountsView;
            /// The tray asks the window to create an invite and copy its link.
            COPY_INVITE_REQUESTED = "copy-invite-requested": ();
        }
    };
}
