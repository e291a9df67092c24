//! `roster watch` against the real server's event stream: events show as they happen, a
//! server restart is survived (reconnect with backoff, resume with Last-Event-ID so nothing
//! is missed or repeated), Ctrl+C exits 0, and a role that may not watch gets the server's
//! refusal at once.
//!
//! Run: cargo test -p roster-cli --test watch

use crate::common;

use std::time::Duration;

use common::{Roster, Server};

const PRESET: &str = "four-roles-7day";

#[test]
fn given_watch_when_invites_change_then_each_event_is_a_line_and_ctrl_c_exits_0() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let admin = server.owner_key(PRESET);

    let watch = roster.with_key(&admin, &["watch"]).spawn();
    watch.wait_stderr("Watching Atlas Studio", Duration::from_secs(20));
    roster.with_key(&admin, &["invites", "create", "watched@example.com"]).run().ok();
    let line = watch.next_line(Duration::from_secs(20));
    assert!(
        line.contains("invite_created")
            && line.contains("watched@example.com")
            && line.contains("role=developer"),
        "{line}"
    );
    roster.with_key(&admin, &["invites", "revoke", "watched@example.com", "--yes"]).run().ok();
    let line = watch.next_line(Duration::from_secs(20));
    assert!(line.contains("invite_revoked") && line.contains("watched@example.com"), "{line}");

    watch.interrupt();
    let out = watch.wait(Duration::from_secs(10)).ok();
    assert!(out.stderr.contains("Ctrl+C stops"), "{}", out.stderr);
}

#[test]
fn given_watch_json_when_the_server_restarts_then_it_reconnects_and_resumes_without_gaps_or_repeats()
 {
    let mut server = Server::start();
    let roster = Roster::new(&server);
    let admin = server.owner_key(PRESET);

    let watch = roster.with_key(&admin, &["watch", "--json"]).spawn();
    watch.wait_stderr("Watching", Duration::from_secs(20));
    roster.with_key(&admin, &["invites", "create", "before@example.com"]).run().ok();
    let first: serde_json::Value = serde_json::from_str(&watch.next_line(Duration::from_secs(20)))
        .expect("one JSON object per line");
    assert_eq!(first["action"], "invite_created");
    assert_eq!(first["target"]["email"], "before@example.com");

    // The server goes away: the stream ends, the CLI keeps trying with growing pauses
    server.stop();
    watch.wait_stderr("Connection lost", Duration::from_secs(20));
    watch.wait_stderr("Reconnecting in 2 s", Duration::from_secs(20));
    // Back on the same address, and an event happens while the CLI waits those 2 s: only
    // Last-Event-ID brings it to the CLI.
    server.restart();
    roster.with_key(&admin, &["invites", "create", "during@example.com"]).run().ok();
    let missed: serde_json::Value =
        serde_json::from_str(&watch.next_line(Duration::from_secs(40))).unwrap();
    assert_eq!(
        missed["target"]["email"], "during@example.com",
        "replayed after Last-Event-ID, the first event not repeated"
    );
    // and live events flow again
    watch.wait_stderr("Reconnected", Duration::from_secs(20));
    roster.with_key(&admin, &["invites", "create", "after@example.com"]).run().ok();
    let after: serde_json::Value =
        serde_json::from_str(&watch.next_line(Duration::from_secs(20))).unwrap();
    assert_eq!(after["target"]["email"], "after@example.com");

    watch.interrupt();
    let out = watch.wait(Duration::from_secs(10)).ok();
    assert_eq!(out.stdout.lines().count(), 3, "exactly three events:\n{}", out.stdout);
}

#[test]
fn given_a_role_that_cannot_manage_the_team_when_it_watches_then_exit_1_at_once() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let viewer = server.key(PRESET, "viewer");
    roster.with_key(&viewer, &["watch"]).run().error(1, "forbidden");
}
