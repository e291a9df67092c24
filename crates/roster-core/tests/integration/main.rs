//! roster-core's integration tests, one binary (one link instead of one per file): the real
//! reference server on 127.0.0.1 with a real SQLite file, and, under tools/desktop-session,
//! the real Secret Service and X clipboard. `common` and `session` are the shared harness.

mod accounts;
mod cache;
mod client;
mod clipboard;
mod common;
mod faults;
mod flows;
mod session;
