//! The clipboard against a real X server (Xvfb under tools/desktop-session): what we copy is
//! read back by ANOTHER process (`xclip`), other programs take the clipboard with `xclip -i`,
//! and the CLI's hold is played by a child process that exits. Nothing is mocked.
//!
//! Tests share the one process-wide clipboard, so they take `serial()` first.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use roster_core::{Clipboard, CopyOptions, ErrorCode, HoldEnd};

const CHILD_ROLE: &str = "ROSTER_CLIPBOARD_CHILD";
const CHILD_TEXT: &str = "ROSTER_CLIPBOARD_CHILD_TEXT";

fn session() -> bool {
    crate::session::required(module_path!())
}

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn unique(what: &str) -> String {
    let n: u64 =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;
    format!("http://127.0.0.1:4000/join/{what}-{n:x}")
}

/// What another process gets when it pastes; `None` when the clipboard is empty.
fn paste() -> Option<String> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .output()
        .expect("xclip must be installed (apt package xclip)");
    let text = String::from_utf8(out.stdout).unwrap();
    if out.status.success() { Some(text) } else { None }
}

fn targets() -> String {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard", "-t", "TARGETS"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Another program copying: `xclip -i` in the foreground, serving `text` until killed or
/// until someone else takes the clipboard.
struct OtherProgram(Child);

impl OtherProgram {
    fn copy(text: &str) -> OtherProgram {
        let mut child = Command::new("xclip")
            .args(["-i", "-selection", "clipboard", "-quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
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
fn given_a_copied_link_when_another_process_pastes_then_it_gets_exactly_the_link() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("copy");
    Clipboard::shared().copy(&link).unwrap();
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    assert_eq!(Clipboard::shared().text().unwrap().as_deref(), Some(link.as_str()));
    assert!(
        !targets().contains("x-kde-passwordManagerHint"),
        "plain copy must not be marked: {}",
        targets()
    );
}

#[test]
fn given_a_sensitive_copy_when_pasted_then_the_text_is_exact_and_marked_for_history_tools() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("sensitive");
    Clipboard::shared().copy_sensitive(&link).unwrap();
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    assert!(targets().contains("x-kde-passwordManagerHint"), "targets: {}", targets());
}

#[test]
fn given_something_another_program_copied_when_read_then_that_text_comes_back() {
    if !session() {
        return;
    }
    let _g = serial();
    let theirs = unique("theirs");
    let _other = OtherProgram::copy(&theirs);
    assert_eq!(Clipboard::shared().text().unwrap().as_deref(), Some(theirs.as_str()));
    assert!(!Clipboard::shared().clear_if_holds("something else").unwrap());
    assert_eq!(paste().as_deref(), Some(theirs.as_str()));
}

#[test]
fn given_auto_clear_when_the_time_passes_then_the_clipboard_is_empty() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("autoclear");
    let copied = Instant::now();
    Clipboard::shared()
        .copy_with(&link, &CopyOptions::sensitive().clear_after(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(paste().as_deref(), Some(link.as_str()));
    wait_for("the auto-clear", || paste().is_none());
    assert!(
        copied.elapsed() >= Duration::from_secs(1),
        "cleared too early: {:?}",
        copied.elapsed()
    );
    assert_eq!(Clipboard::shared().text().unwrap(), None);
}

#[test]
fn given_auto_clear_when_another_program_copied_meanwhile_then_its_text_is_left_alone() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("mine");
    let before = Clipboard::shared().auto_clear().unwrap().done;
    Clipboard::shared()
        .copy_with(&link, &CopyOptions::sensitive().clear_after(Duration::from_secs(2)))
        .unwrap();
    let theirs = unique("theirs");
    let _other = OtherProgram::copy(&theirs);
    // The auto-clear comes due (and is seen to), then the other program's text is still there.
    wait_for("the auto-clear to come due", || {
        Clipboard::shared().auto_clear().unwrap().done > before
    });
    assert_eq!(paste().as_deref(), Some(theirs.as_str()));
}

#[test]
fn given_a_newer_copy_when_the_older_auto_clear_is_due_then_the_newer_text_stays() {
    if !session() {
        return;
    }
    let _g = serial();
    let first = unique("first");
    let second = unique("second");
    Clipboard::shared()
        .copy_with(&first, &CopyOptions::sensitive().clear_after(Duration::from_millis(700)))
        .unwrap();
    assert!(
        Clipboard::shared().auto_clear().unwrap().due.is_some(),
        "the first copy's clear is due"
    );
    Clipboard::shared().copy(&second).unwrap();
    // The newer copy dropped the older clear: nothing is due any more, so nothing can clear it.
    let state = Clipboard::shared().auto_clear().unwrap();
    assert_eq!(state.due, None, "{state:?}");
    assert_eq!(paste().as_deref(), Some(second.as_str()));
}

#[test]
fn given_a_hold_when_another_process_pastes_then_it_is_served_until_the_deadline() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("hold");
    let held = link.clone();
    let started = Instant::now();
    let holder = std::thread::spawn(move || {
        Clipboard::shared().copy_and_hold(
            &held,
            &CopyOptions::sensitive(),
            Instant::now() + Duration::from_millis(1500),
        )
    });
    wait_for("the held link", || paste().as_deref() == Some(link.as_str()));
    assert_eq!(holder.join().unwrap().unwrap(), HoldEnd::Deadline);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    // This process still lives, so the text is still served.
    assert_eq!(paste().as_deref(), Some(link.as_str()));
}

#[test]
fn given_a_hold_when_another_program_takes_the_clipboard_then_the_hold_ends_at_once() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("hold-replaced");
    let held = link.clone();
    let started = Instant::now();
    let holder = std::thread::spawn(move || {
        Clipboard::shared().copy_and_hold(
            &held,
            &CopyOptions::plain(),
            Instant::now() + Duration::from_secs(20),
        )
    });
    wait_for("the held link", || paste().as_deref() == Some(link.as_str()));
    let theirs = unique("theirs");
    let _other = OtherProgram::copy(&theirs);
    assert_eq!(holder.join().unwrap().unwrap(), HoldEnd::Replaced);
    assert!(started.elapsed() < Duration::from_secs(10), "hold lasted {:?}", started.elapsed());
    assert_eq!(paste().as_deref(), Some(theirs.as_str()));
}

#[test]
fn given_a_hold_with_auto_clear_when_the_clear_comes_first_then_it_is_cleared() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("hold-clear");
    let held = link.clone();
    let holder = std::thread::spawn(move || {
        Clipboard::shared().copy_and_hold(
            &held,
            &CopyOptions::sensitive().clear_after(Duration::from_millis(800)),
            Instant::now() + Duration::from_secs(20),
        )
    });
    wait_for("the held link", || paste().as_deref() == Some(link.as_str()));
    assert_eq!(holder.join().unwrap().unwrap(), HoldEnd::Cleared);
    assert_eq!(paste(), None);
}

/// The CLI's case: a short-lived process copies with a hold and exits. While it holds,
/// others can paste; once it has exited (no clipboard manager on Xvfb) the text is gone.
#[test]
fn given_a_short_lived_process_when_it_holds_then_pastes_work_until_it_exits() {
    if !session() {
        return;
    }
    let _g = serial();
    let link = unique("cli-hold");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            &crate::session::test_path(module_path!(), CHILD_ENTRY),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ROLE, "hold")
        .env(CHILD_TEXT, &link)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the child's held link", || paste().as_deref() == Some(link.as_str()));
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("held until: Deadline"), "{stdout}");
    assert_ne!(paste().as_deref(), Some(link.as_str()), "the text must be gone with its process");
}

/// Runs without a display at all: a child process with DISPLAY and WAYLAND_DISPLAY removed
/// gets a clear `Clipboard` error, not a panic.
#[test]
fn given_no_display_when_copying_then_a_clear_error_not_a_panic() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            &crate::session::test_path(module_path!(), CHILD_ENTRY),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ROLE, "no-display")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no-display checked"), "{stdout}");
}

const CHILD_ENTRY: &str =
    "given_a_child_role_in_the_environment_when_run_then_this_process_plays_it";

/// Not a test by itself: the tests above re-run this binary with `ROSTER_CLIPBOARD_CHILD`
/// set to play a separate process (with `--ignored`). Ignored, so it never counts as a pass.
#[test]
#[ignore = "the clipboard tests' child process: run only by them, with ROSTER_CLIPBOARD_CHILD set"]
fn given_a_child_role_in_the_environment_when_run_then_this_process_plays_it() {
    match std::env::var(CHILD_ROLE).as_deref() {
        Ok("hold") => {
            let text = std::env::var(CHILD_TEXT).unwrap();
            let end = Clipboard::shared()
                .copy_and_hold(
                    &text,
                    &CopyOptions::sensitive(),
                    Instant::now() + Duration::from_millis(1500),
                )
                .unwrap();
            println!("held until: {end:?}");
        }
        Ok("no-display") => {
            let e = Clipboard::shared().copy("http://127.0.0.1/join/x").unwrap_err();
            assert_eq!(e.code(), ErrorCode::Clipboard);
            let msg = e.to_string();
            assert!(msg.contains("no graphical session"), "{msg}");
            assert!(msg.contains("copy it by hand"), "{msg}");
            assert_eq!(Clipboard::shared().text().unwrap_err().code(), ErrorCode::Clipboard);
            let hold = Clipboard::shared()
                .copy_and_hold("x", &CopyOptions::plain(), Instant::now() + Duration::from_secs(5))
                .unwrap_err();
            assert_eq!(hold.code(), ErrorCode::Clipboard);
            println!("no-display checked");
        }
        _ => {}
    }
}
