//! The reference server's tests, one binary: a real server on 127.0.0.1 with a real SQLite
//! file per test. `common` starts it and talks HTTP; `flows` redeems links as an invitee does.

mod authz;
mod binary;
mod common;
mod errors;
mod events;
mod flows;
mod guards;
mod lifecycle;
mod mail;
mod members;
mod smoke;
mod tokens;
