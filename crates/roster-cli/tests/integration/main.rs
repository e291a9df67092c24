//! The `roster` binary's tests, one test binary: the real CLI against the real reference server,
//! keychain and clipboard (under tools/desktop-session). `common` is the shared harness.

mod accounts;
mod bulk;
mod clipboard;
mod common;
// roster-core's desktop-session rules (skip, required), shared rather than written again.
mod errors;
mod proxy;
#[path = "../../../roster-core/tests/integration/session.rs"]
mod session;
mod team;
mod terminal;
mod watch;
