//! roster-core: everything Roster does except drawing, shared by the desktop app and the CLI.
//!
//! Owns: the Team API client (`client`), the account list with keys only in the OS keychain
//! (`accounts`, `keychain`), the per-account snapshot cache (`cache`), the process-wide
//! clipboard owner (`clipboard`), the invite flows both front ends call (`flows`, `bulk`) and
//! where files go (`storage`).
//! Secrets travel as `Sensitive`, which redacts itself and cannot be serialised; errors carry
//! a small `ErrorCode` plus a message that says what to do. The desktop app's session over
//! all of it is the roster-desk crate.

pub mod accounts;
pub mod bulk;
pub mod cache;
pub mod client;
pub mod clipboard;
pub mod error;
pub mod flows;
pub mod keychain;
pub mod secret;
pub mod storage;

pub use accounts::{AccountStore, Added, KeyReport, KeyState, SavedAccount, VerifiedKey};
pub use bulk::{BulkOptions, BulkPlan, BulkReport, RowOutcome};
pub use cache::{Cache, Cached, RawSnapshot, Snapshot};
pub use client::{Http, HttpConfig, IdempotencyKey, ProxyUse, TeamClient};
pub use clipboard::{AutoClear, Clipboard, CopyOptions, HoldEnd};
pub use error::{Error, ErrorCode, Result};
pub use flows::{CopyOutcome, CopyTo, InviteLink};
pub use keychain::{KeyEntry, KeyStore, Keychain};
pub use roster_api as api;
pub use secret::{ApiKey, Sensitive};
