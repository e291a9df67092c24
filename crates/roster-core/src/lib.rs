//! roster-core: everything Roster does except drawing, shared by the desktop app and the CLI.
//!
//! Owns: the Team API client (`client`), the account list with keys only in the OS keychain
//! (`accounts`, `keychain`), the per-account snapshot cache (`cache`), the process-wide
//! clipboard owner (`clipboard`) and the invite flows both front ends call (`flows`).
//! Secrets travel as `Sensitive`, which redacts itself and cannot be serialised; errors carry
//! a small `ErrorCode` plus a message that says what to do. `desk` is the desktop app's session
//! over all of it.

pub mod accounts;
pub mod cache;
pub mod client;
pub mod clipboard;
pub mod desk;
pub mod error;
pub mod flows;
pub mod keychain;
pub mod secret;

pub use client::{Http, HttpConfig, IdempotencyKey, TeamClient};
pub use error::{Error, ErrorCode, Result};
pub use roster_api as api;
pub use secret::{ApiKey, Sensitive};
pub use clipboard::{Clipboard, CopyOptions, HoldEnd};
pub use flows::{BulkOptions, BulkPlan, BulkReport, CopyOutcome, CopyTo, InviteLink, RowOutcome};
pub use accounts::{AccountStore, Added, KeyReport, KeyState, SavedAccount, VerifiedKey};
pub use cache::{Cache, Cached, RawSnapshot, Snapshot};
pub use keychain::{KeyEntry, KeyStore, Keychain};
pub use desk::{AccountsView, AppError, CachedView, CopiedMessage, Desk, DeskEvent, InviteCreated, KeychainKind, KeychainStatus, AuditNotice, TeamView};
