//! `--copy` with the real binary on a real X display (Xvfb inside `tools/desktop-session`):
//! while the CLI holds the clipboard, ANOTHER process (`xclip -o`) pastes exactly the link;
//! the hold ends when another program copies something, when `--hold` runs out, or on
//! Ctrl+C, always with exit 0. Without a display the link is still printed.
//!
//! Run: tools/desktop-session cargo test -p roster-cli --test clipboard
//! Tests share one X clipboard, so they take `serial()` first.

use crate::common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{Roster, Server, paste, session, wait_for};

const PRESET: &str = "owner-member-link";

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Another program copying `text` (`xclip -i` in the foreground until dropped).
struct OtherProgram(Child);

impl OtherProgram {
    fn copy(text: &str) -> OtherProgram {
        let mut child = Command::new("xclip")
            .args(["-i", "-selection", "clipboard", "-quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip (apt package xclip)");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let program = OtherProgram(child);
        wait_for("xclip to own the clipboard", || paste().as_deref() == Some(text));
        program
    }
}

impl Drop for OtherProgram {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn given_invites_create_copy_when_another_process_pastes_then_it_gets_the_link_until_someone_else_copies()
 {
    if !session(
        "given_invites_create_copy_when_another_process_pastes_then_it_gets_the_link_until_someone_else_copies",
    ) {
        return;
    }
    let _g = serial();
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key(PRESET);

    let cli = roster
        .with_key(&owner, &["invites", "create", "paste.me@example.com", "--copy", "--hold", "60"])
        .spawn();
    let link = cli.next_line(Duration::from_secs(20));
    assert!(link.starts_with(&format!("{}/join/", server.url)), "{link}");
    cli.wait_stderr("Holding the clipboard", Duration::from_secs(10));
    assert!(cli.stderr_so_far().contains("Link copied · expires"), "{}", cli.stderr_so_far());
    // Pasted by another process, twice: the CLI serves it while it holds
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    assert_eq!(paste().as_deref(), Some(link.as_str()));

    // Another program copies: the CLI has nothing left to serve and exits 0 at once
    let started = Instant::now();
    let _other = OtherProgram::copy("something else");
    let out = cli.wait(Duration::from_secs(15)).ok();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(out.stderr.contains("another program took the clipboard"), "{}", out.stderr);
    assert_eq!(
        paste().as_deref(),
        Some("something else"),
        "the other program's text is left alone"
    );
}

#[test]
fn given_invites_copy_with_a_short_hold_when_time_runs_out_then_it_exits_0() {
    if !session("given_invites_copy_with_a_short_hold_when_time_runs_out_then_it_exits_0") {
        return;
    }
    let _g = serial();
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key(PRESET);
    let link = roster
        .with_key(&owner, &["invites", "create", "again@example.com"])
        .run()
        .ok()
        .stdout
        .trim()
        .to_string();

    let started = Instant::now();
    let cli =
        roster.with_key(&owner, &["invites", "copy", "again@example.com", "--hold", "3"]).spawn();
    assert_eq!(cli.next_line(Duration::from_secs(20)), link);
    cli.wait_stderr("Holding the clipboard", Duration::from_secs(10));
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    let out = cli.wait(Duration::from_secs(20)).ok();
    assert!(started.elapsed() >= Duration::from_secs(3), "held for --hold 3");
    assert!(out.stderr.contains("time is up"), "{}", out.stderr);
}

#[test]
fn given_several_invites_with_copy_when_ctrl_c_then_all_links_were_on_the_clipboard_and_it_exits_0()
{
    if !session(
        "given_several_invites_with_copy_when_ctrl_c_then_all_links_were_on_the_clipboard_and_it_exits_0",
    ) {
        return;
    }
    let _g = serial();
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key(PRESET);

    let cli = roster
        .with_key(
            &owner,
            &[
                "invites",
                "create",
                "one@example.com",
                "two@example.com",
                "--copy",
                "--hold",
                "60",
                "--json",
            ],
        )
        .spawn();
    cli.wait_stderr("Holding the clipboard", Duration::from_secs(20));
    let pasted = paste().expect("the clipboard holds the links");
    let links: Vec<&str> = pasted.lines().collect();
    assert_eq!(links.len(), 2, "one link per line: {pasted}");
    assert!(links.iter().all(|l| l.starts_with(&format!("{}/join/", server.url))), "{pasted}");
    cli.interrupt();
    let out = cli.wait(Duration::from_secs(10)).ok();
    let report = out.json();
    assert_eq!(report["copy"]["kind"], "copied");
    let created: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"]["invite"]["link"].as_str().unwrap())
        .collect();
    assert_eq!(created, links);
}

#[test]
fn given_no_display_when_copy_is_asked_then_the_link_is_printed_with_a_warning_and_it_exits_0() {
    // Runs everywhere: the display is taken away on purpose.
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key(PRESET);
    let out = roster
        .with_key(&owner, &["invites", "create", "headless@example.com", "--copy"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .run()
        .ok();
    assert!(out.stdout.trim().starts_with(&format!("{}/join/", server.url)), "{}", out.stdout);
    assert!(out.stderr.contains("warning: Could not write to the clipboard"), "{}", out.stderr);
    assert!(out.stderr.contains("copy it by hand"), "{}", out.stderr);
    assert!(!out.stderr.contains("Holding"), "nothing to hold: {}", out.stderr);
}
