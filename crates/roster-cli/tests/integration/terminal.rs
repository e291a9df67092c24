//! The real binary on a pseudo-terminal (util-linux `script`), as a person runs it: the key
//! prompt does not echo what is typed, and destructive commands ask first and do nothing
//! unless the answer is yes.
//!
//! Run: cargo test -p roster-cli --test terminal

use crate::common;

use std::process::Command;

use common::{Roster, Server};

fn have_script() -> bool {
    let ok = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    ok || crate::session::skip(
        module_path!(),
        "`script` (util-linux, Debian package bsdutils) is not installed",
    )
}

#[test]
fn given_a_terminal_when_an_account_is_added_then_the_key_is_typed_at_a_hidden_prompt() {
    if !have_script() {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    // The opt-in key file keeps this test off the OS keychain, so it runs everywhere; the
    // keychain path is covered by tests/accounts.rs.
    let elsewhere = tempfile::tempdir().unwrap();
    let key = server.owner_key("owner-member-link");

    let out = roster
        .on_terminal(&["accounts", "add", "--server", &server.url])
        .env("ROSTER_KEY_FILE", elsewhere.path().join("keys.json"))
        .answer(&[("API key (input hidden): ", &key)])
        .ok();
    // The harness already failed the test if the typed key showed on the terminal.
    assert!(out.stdout.contains("Added Northwind Labs"), "{}", out.stdout);

    let out = roster
        .on_terminal(&["accounts", "add", "--server", &server.url])
        .env("ROSTER_KEY_FILE", elsewhere.path().join("keys.json"))
        .answer(&[("API key (input hidden): ", "")])
        .code(2);
    assert!(out.stdout.contains("error[usage]: No API key was given"), "{}", out.stdout);

    // --key-stdin promises piped input: on a terminal it refuses rather than read a visible key
    let out = roster
        .on_terminal(&["accounts", "add", "--server", &server.url, "--key-stdin"])
        .answer(&[])
        .code(2);
    assert!(out.stdout.contains("--key-stdin expects the key piped in"), "{}", out.stdout);
}

#[test]
fn given_a_terminal_when_removing_a_member_then_it_asks_and_only_yes_removes() {
    if !have_script() {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("owner-member-link");
    let remove = || {
        roster
            .on_terminal(&["members", "remove", "ana@northwind.example"])
            .env("ROSTER_SERVER", &server.url)
            .env("ROSTER_API_KEY", &owner)
    };
    let question = "Remove Ana Lima (ana@northwind.example, Member) from Northwind Labs? They lose access at once. [y/N] ";

    let out = remove().answer(&[(question, "n")]).code(1);
    assert!(
        out.stdout.contains("error[cancelled]: Cancelled; nothing was changed."),
        "{}",
        out.stdout
    );
    roster.with_key(&owner, &["members", "show", "ana@northwind.example"]).run().ok();

    let out = remove().answer(&[(question, "y")]).ok();
    assert!(
        out.stdout.contains("Removed Ana Lima (ana@northwind.example) from Northwind Labs."),
        "{}",
        out.stdout
    );
    roster
        .with_key(&owner, &["members", "show", "ana@northwind.example"])
        .run()
        .error(1, "not_found");
}
