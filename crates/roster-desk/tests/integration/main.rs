//! roster-desk's tests, one binary: `Desk` against the real reference server, the keychain and
//! the clipboard; `bindings` keeps ui/src/bindings/ what the Rust types say. The harness is
//! roster-core's (the real server, short timeouts, the desktop session), compiled in here.

mod bindings;
#[path = "../../../roster-core/tests/integration/common.rs"]
mod common;
mod desk;
#[path = "../../../roster-core/tests/integration/session.rs"]
mod session;
