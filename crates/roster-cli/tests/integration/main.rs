//! The `roster` binary's tests, one test binary: the real CLI against the real reference server,
//! keychain and clipboard (under tools/desktop-session). `common` is the shared harness.

mod accounts;
mod bulk;
mod clipboard;
mod common;
mod errors;
mod team;
mod terminal;
mod watch;
