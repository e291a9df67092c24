//! Helpers for tests that need the real desktop session made by `tools/desktop-session`
//! (a private D-Bus session bus, an unlocked gnome-keyring, Xvfb): the skip rule, looking at
//! the Secret Service with `secret-tool` as a separate process, re-running one test of this
//! binary in a child process (with a broken bus, or inside a nested session of its own), and
//! searching directories for a leaked key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The name libtest knows test `name` of module `module` (`module_path!()` there) by: the
/// module path without the crate's name, e.g. `accounts::given_…`, as `--exact` wants it.
pub fn test_path(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}

/// The environment variable `tools/desktop-session` sets.
pub const SESSION_ENV: &str = "ROSTER_TEST_SESSION";
/// Set in a child process to the name of the test body it must run.
pub const CHILD_ENV: &str = "ROSTER_TEST_CHILD";

/// Set by `./x test`: there a test that cannot run fails instead of being skipped.
pub const NO_SKIP_ENV: &str = "ROSTER_TEST_NO_SKIP";

/// Skips `test`, saying why on stderr, and returns false; under `./x test` (`NO_SKIP_ENV`)
/// fails it instead, so a green run never hides a test that did not run.
pub fn skip(test: &str, why: &str) -> bool {
    assert!(
        std::env::var(NO_SKIP_ENV).as_deref() != Ok("1"),
        "{test}: cannot run ({why}), and {NO_SKIP_ENV}=1 allows no skipped test"
    );
    eprintln!("{test}: skipped: {why}");
    false
}

/// True inside `tools/desktop-session`, where the keychain and the display MUST work (a test
/// fails loudly if they do not). Outside it, `skip`s.
pub fn required(test: &str) -> bool {
    if std::env::var(SESSION_ENV).as_deref() == Ok("1") {
        return true;
    }
    skip(test, "run under tools/desktop-session (needs the Secret Service and an X display)")
}

/// Whether a copy to the clipboard must work here: always under tools/desktop-session;
/// elsewhere a probe copy decides (a developer's own desktop has a clipboard, a terminal over
/// ssh has none), so a test asserts what this machine can do instead of assuming no display.
pub fn clipboard_expected() -> bool {
    if std::env::var(SESSION_ENV).as_deref() == Ok("1") {
        return true;
    }
    roster_core::Clipboard::shared().copy("roster test: clipboard probe").is_ok()
}

/// A service name no other test uses, so parallel tests never see each other's entries.
pub fn unique_service(tag: &str) -> String {
    format!("roster-test-{tag}-{:08x}", rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos(),
    );
    h.finish() as u32
}

/// `secret-tool ARGS`, run as its own process; stdout and stderr together.
pub fn secret_tool(args: &[&str]) -> (bool, String) {
    let out = Command::new("secret-tool")
        .args(args)
        .output()
        .expect("run secret-tool (apt package libsecret-tools)");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// Every item of `service` the Secret Service holds, as `secret-tool search --all` prints it.
pub fn search(service: &str) -> String {
    secret_tool(&["search", "--all", "service", service]).1
}

/// Locks the login collection, as the desktop does when the screen locks.
pub fn lock_login_keyring() {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .output()
        .expect("run dbus-send");
    assert!(
        out.status.success(),
        "locking the keyring failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let locked = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets/collection/login",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.Secret.Collection",
            "string:Locked",
        ])
        .output()
        .expect("run dbus-send");
    assert!(
        String::from_utf8_lossy(&locked.stdout).contains("boolean true"),
        "the login keyring did not lock"
    );
}

/// Lets D-Bus-activated programs (gcr-prompter, which draws unlock prompts) open windows on
/// this session's display, as on a real desktop.
pub fn let_prompts_show() {
    let out = Command::new("dbus-update-activation-environment")
        .args(["DISPLAY", "XAUTHORITY"])
        .output()
        .expect("run dbus-update-activation-environment");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Is this process the child running `body`?
pub fn is_child(body: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(body)
}

/// Re-runs the test `test` of this binary in a child process with `env` added; the child
/// sees `CHILD_ENV=test` and runs the body. Returns its output (stdout + stderr).
pub fn run_child(module: &str, test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([&test_path(module, test), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test);
    for (k, v) in env {
        cmd.env(k, v);
    }
    describe(cmd.output().expect("run the child test"))
}

/// Like `run_child`, inside a nested `tools/desktop-session` of its own (its own bus,
/// gnome-keyring and Xvfb): for tests that lock the keyring or leave a prompt hanging,
/// which must not disturb the tests running in parallel.
pub fn run_child_in_own_session(module: &str, test: &str) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/desktop-session");
    let mut cmd = Command::new(script);
    cmd.arg(std::env::current_exe().expect("test binary path"))
        .args([&test_path(module, test), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test);
    describe(cmd.output().expect("run tools/desktop-session"))
}

fn describe(out: Output) -> (bool, String) {
    (
        out.status.success(),
        format!(
            "status: {}\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Files under `dirs` whose bytes contain `needle`.
pub fn files_containing(dirs: &[&Path], needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        if meta.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(p);
        }
    }
    found
}

/// Every file under `dir`.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if p.exists() {
            out.push(p);
        }
    }
    out
}

/// The session's own XDG config and cache dirs (temporary, made by tools/desktop-session),
/// to search for leaks besides a test's own dirs.
pub fn session_dirs() -> Vec<PathBuf> {
    ["XDG_CONFIG_HOME", "XDG_CACHE_HOME"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .filter(|p| p.starts_with(std::env::temp_dir()))
        .collect()
}
