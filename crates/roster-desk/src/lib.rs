//! roster-desk: the desktop app's session over roster-core, and the IPC surface of its window.
//!
//! Owns: `Desk` (accounts, cached switching with stale fallback, the invite flows, `session`),
//! the live audit stream of the active account (`live`), the keychain banner (`status`), the
//! embedded demo (`demo`, feature `demo`), the views and events the window receives (`views`),
//! the requests it sends (`requests`), and the one list of commands and events
//! (`ipc_commands!`, `ipc_events!`) from which the Tauri shell, its permissions and the UI's
//! TypeScript are made. Depends on no GUI toolkit: the shell hands in what only it can do
//! (opening the browser, `Desk::set_opener`).

mod commands;
#[cfg(feature = "demo")]
mod demo;
mod error;
mod live;
pub mod requests;
mod session;
mod status;
pub mod views;

pub use error::AppError;
pub use session::{Desk, FIRST_PAGE};
pub use views::{
    AccountsView, AuditNotice, CachedView, CopiedMessage, DeskEvent, InviteCreated, KeychainKind,
    KeychainStatus, TeamView,
};

/// Keychain service of the demo's keys, apart from the user's own (`roster`).
pub const DEMO_SERVICE: &str = "roster-demo";

/// Every type the command list names, for the macros' `$crate::ipc::…` paths.
pub mod ipc {
    pub use crate::requests::*;
    pub use crate::views::*;
    pub use roster_core::KeyReport;
    pub use roster_core::api::{AuditEvent, Invite, MemberUpdate, OwnerPromotion, Page};
    pub use roster_core::bulk::BulkReport;

    /// The command names, in the list's order.
    pub const COMMANDS: &[&str] = {
        macro_rules! names {
            ($($(#[$meta:meta])* $name:ident ($desk:ident $(, $r:ident : $req:ty)?) -> $ret:ty $body:block)*) => {
                &[$(stringify!($name)),*]
            };
        }
        crate::ipc_commands!(names)
    };

    /// The events' names, as the shell emits them and the window listens.
    pub mod events {
        macro_rules! consts {
            ($($(#[$meta:meta])* $konst:ident = $name:literal : $payload:ty;)*) => {
                $($(#[$meta])* pub const $konst: &str = $name;)*
            };
        }
        crate::ipc_events!(consts);
    }
}
