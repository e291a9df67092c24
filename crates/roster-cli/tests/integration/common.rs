//! Shared harness for the CLI's tests: the real reference server in-process (its own tokio
//! runtime, real HTTP on 127.0.0.1, a real SQLite file, demo accounts with a key per role),
//! and the real `roster` binary run as a child process with its own config and cache dirs.
//!
//! Every run's stdout and stderr are checked for every key the server seeded and every key a
//! test typed (`Roster::secret`): a key in any output fails the test at once. When a `Roster`
//! is dropped its config and cache dirs are searched the same way, and the keychain entries
//! of the accounts it stored are deleted (tests that store keys run inside
//! `tools/desktop-session`, a throw-away keyring, but the cleanup keeps runs independent).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roster_server::seed::SeededAccount;
use roster_server::{Config, Db, Limits, RunningServer};
use serde_json::Value;

/// How long one CLI run may take before the test fails (a hang is a bug).
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// True inside `tools/desktop-session` (keychain and display MUST work); otherwise skips the
/// test, or fails it under `./x test` (roster-core's rule, `session::required`).
pub fn session(test: &str) -> bool {
    crate::session::required(test)
}

// ------------------------------------------------------------------------------------------
// The server

pub struct Server {
    rt: tokio::runtime::Runtime,
    running: Option<RunningServer>,
    pub url: String,
    pub addr: SocketAddr,
    pub accounts: Vec<SeededAccount>,
    db_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Demo-seeded server (one account per preset, a key per role, owner-level first), rate
    /// limits out of the way.
    pub fn start() -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("roster.db");
        let db = Db::open(&db_path).expect("open the database");
        let accounts =
            roster_server::seed::demo(&db, chrono::Utc::now()).expect("seed the demo accounts");
        let mut config = Config::new(&db_path);
        config.limits = Limits::relaxed();
        let running =
            rt.block_on(roster_server::start_with_db(config, db)).expect("start the server");
        Server {
            url: running.url.clone(),
            addr: running.addr,
            running: Some(running),
            rt,
            accounts,
            db_path,
            _dir: dir,
        }
    }

    /// Stops the server (open event streams end).
    pub fn stop(&mut self) {
        if let Some(s) = self.running.take() {
            self.rt.block_on(s.shutdown());
        }
    }

    /// Starts it again on the same address with the same database.
    pub fn restart(&mut self) {
        self.stop();
        let db = Db::open(&self.db_path).expect("reopen the database");
        let mut config = Config::new(&self.db_path);
        config.listen = self.addr;
        config.limits = Limits::relaxed();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.rt.block_on(roster_server::start_with_db(config.clone(), db.clone())) {
                Ok(s) => {
                    self.running = Some(s);
                    return;
                }
                Err(e) if Instant::now() < deadline => {
                    eprintln!("restart: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("could not restart the server on {}: {e}", self.addr),
            }
        }
    }

    pub fn account(&self, preset: &str) -> &SeededAccount {
        self.accounts
            .iter()
            .find(|a| a.preset == preset)
            .unwrap_or_else(|| panic!("no seeded account for preset {preset}"))
    }

    /// The key of the demo user holding `role` in `preset`'s account.
    pub fn key(&self, preset: &str, role: &str) -> String {
        self.account(preset)
            .keys
            .iter()
            .find(|k| k.role == role)
            .unwrap_or_else(|| panic!("no {role} key in {preset}"))
            .key
            .clone()
    }

    /// The owner-level key of `preset`'s account.
    pub fn owner_key(&self, preset: &str) -> String {
        self.account(preset).keys[0].key.clone()
    }

    pub fn all_keys(&self) -> Vec<String> {
        self.accounts.iter().flat_map(|a| a.keys.iter().map(|k| k.key.clone())).collect()
    }

    /// Runs `f` on the server's runtime (for roster-core calls made by the test itself).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An address nothing listens on: bound, then released.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

// ------------------------------------------------------------------------------------------
// The CLI

/// The `roster` binary with this test's own config and cache dirs.
pub struct Roster {
    dir: tempfile::TempDir,
    pub url: String,
    secrets: Mutex<Vec<String>>,
}

impl Roster {
    /// A CLI user of `server` with empty config and cache dirs.
    pub fn new(server: &Server) -> Roster {
        let roster = Roster {
            dir: tempfile::tempdir().expect("temp dir"),
            url: server.url.clone(),
            secrets: Mutex::new(Vec::new()),
        };
        for k in server.all_keys() {
            roster.secret(&k);
        }
        roster
    }

    /// A text that must never appear in any output or file.
    pub fn secret(&self, s: &str) {
        assert!(s.len() >= 8, "a short secret proves little: {s}");
        self.secrets.lock().unwrap().push(s.to_string());
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `roster ARGS` with no account chosen by the environment.
    pub fn cmd(&self, args: &[&str]) -> Run<'_> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
        cmd.args(args)
            .env("ROSTER_CONFIG_DIR", self.config_dir())
            .env("ROSTER_CACHE_DIR", self.cache_dir())
            .env_remove("ROSTER_ACCOUNT")
            .env_remove("ROSTER_SERVER")
            .env_remove("ROSTER_API_KEY")
            .env_remove("ROSTER_KEY_FILE")
            .env_remove("RUST_LOG");
        Run { roster: self, cmd, stdin: None }
    }

    /// `roster ARGS` on a pseudo-terminal (util-linux `script`), as a person at a terminal
    /// runs it: for hidden key prompts and confirmations.
    pub fn on_terminal(&self, args: &[&str]) -> Run<'_> {
        let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_roster"))
            .chain(args.iter().copied())
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        let mut run = self.cmd(&[]);
        run.cmd = Command::new("script");
        run.cmd.args(["-qec", &quoted.join(" "), "/dev/null"]);
        run.cmd
            .env("ROSTER_CONFIG_DIR", self.config_dir())
            .env("ROSTER_CACHE_DIR", self.cache_dir());
        for k in
            ["ROSTER_ACCOUNT", "ROSTER_SERVER", "ROSTER_API_KEY", "ROSTER_KEY_FILE", "RUST_LOG"]
        {
            run.cmd.env_remove(k);
        }
        run
    }

    /// `roster ARGS` acting with ROSTER_SERVER + ROSTER_API_KEY (no stored account).
    pub fn with_key(&self, key: &str, args: &[&str]) -> Run<'_> {
        self.cmd(args).env("ROSTER_SERVER", &self.url).env("ROSTER_API_KEY", key)
    }

    /// Fails the test if any secret is in `text`.
    #[track_caller]
    pub fn assert_clean(&self, what: &str, text: &str) {
        for s in self.secrets.lock().unwrap().iter() {
            assert!(!text.contains(s.as_str()), "an API key leaked into {what}:\n{text}");
        }
    }

    /// The accounts file as JSON (`Value::Null` when there is none).
    pub fn accounts_file(&self) -> Value {
        match std::fs::read(self.config_dir().join("accounts.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).expect("accounts.json parses"),
            Err(_) => Value::Null,
        }
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        // Keychain entries of the accounts this test stored (OS store only).
        if let Some(accounts) = self.accounts_file()["accounts"].as_array() {
            for a in accounts {
                if a["key_store"]["kind"] == "os" {
                    let user = format!(
                        "{}@{}",
                        a["account_id"].as_str().unwrap_or_default(),
                        a["server"].as_str().unwrap_or_default()
                    );
                    let service =
                        a["key_store"]["service"].as_str().unwrap_or("roster").to_string();
                    let _ = Command::new("secret-tool")
                        .args(["clear", "service", &service, "username", &user])
                        .output();
                }
            }
        }
        if std::thread::panicking() {
            return;
        }
        for secret in self.secrets.lock().unwrap().iter() {
            let leaked = files_containing(self.dir.path(), secret);
            assert!(leaked.is_empty(), "an API key is in a file: {leaked:?}");
        }
    }
}

fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if std::fs::read(&p)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        {
            found.push(p);
        }
    }
    found
}

/// One invocation being prepared.
pub struct Run<'a> {
    roster: &'a Roster,
    cmd: Command,
    stdin: Option<String>,
}

impl<'a> Run<'a> {
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }

    /// Piped to standard input (otherwise stdin is empty, as in CI: not a terminal).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    /// Runs it, typing each of `answers` once its prompt has appeared on stdout (a prompt
    /// typed into too early would be echoed by the terminal).
    #[track_caller]
    pub fn answer(mut self, answers: &[(&str, &str)]) -> Out {
        let description = format!("{:?}", self.cmd);
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run script (util-linux)");
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(String::new()));
        let seen2 = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen2.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        for (prompt, answer) in answers {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !seen.lock().unwrap().contains(prompt) {
                assert!(
                    Instant::now() < deadline,
                    "no prompt {prompt:?} from {description}; it printed:\n{}",
                    seen.lock().unwrap()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        }
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "{description} did not finish");
            std::thread::sleep(Duration::from_millis(10));
        };
        drop(stdin);
        let _ = reader.join();
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: seen.lock().unwrap().replace('\r', ""),
            stderr,
            description,
        };
        self.roster.assert_clean("the terminal", &out.stdout);
        self.roster.assert_clean("stderr", &out.stderr);
        out
    }

    /// Runs it to the end (at most `RUN_LIMIT`).
    #[track_caller]
    pub fn run(self) -> Out {
        let spawned = self.spawn();
        spawned.wait(RUN_LIMIT)
    }

    /// Starts it and returns at once (for `watch` and clipboard holds).
    pub fn spawn(mut self) -> Spawned<'a> {
        let description = format!("{:?}", self.cmd);
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the roster binary");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = self.stdin.take().unwrap_or_default();
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let all_out = Arc::new(Mutex::new(String::new()));
        let all_out2 = all_out.clone();
        let out_thread = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                all_out2.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let stderr = child.stderr.take().expect("stderr");
        let all_err = Arc::new(Mutex::new(String::new()));
        let all_err2 = all_err.clone();
        let err_thread = std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => all_err2.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });
        Spawned {
            roster: self.roster,
            child,
            lines,
            all_out,
            all_err,
            threads: vec![out_thread, err_thread],
            description,
        }
    }
}

/// A running `roster`.
pub struct Spawned<'a> {
    roster: &'a Roster,
    child: Child,
    lines: Receiver<String>,
    all_out: Arc<Mutex<String>>,
    all_err: Arc<Mutex<String>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    description: String,
}

impl Spawned<'_> {
    /// The next stdout line, waiting at most `limit`.
    #[track_caller]
    pub fn next_line(&self, limit: Duration) -> String {
        match self.lines.recv_timeout(limit) {
            Ok(line) => {
                self.roster.assert_clean("stdout", &line);
                line
            }
            Err(_) => panic!(
                "no stdout line within {limit:?} from {}\nstderr so far:\n{}",
                self.description,
                self.stderr_so_far()
            ),
        }
    }

    /// Waits until stderr contains `text`.
    #[track_caller]
    pub fn wait_stderr(&self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.stderr_so_far().contains(text) {
            assert!(
                Instant::now() < deadline,
                "stderr never said {text:?} within {limit:?}; it said:\n{}",
                self.stderr_so_far()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr_so_far(&self) -> String {
        self.all_err.lock().unwrap().clone()
    }

    /// Sends SIGINT, as Ctrl+C does.
    pub fn interrupt(&self) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -INT failed");
    }

    /// Waits for the exit (killing it after `limit` and failing the test), then checks every
    /// byte it printed for secrets.
    #[track_caller]
    pub fn wait(mut self, limit: Duration) -> Out {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} did not finish within {limit:?}\nstderr:\n{}",
                    self.description,
                    self.stderr_so_far()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: self.all_out.lock().unwrap().clone(),
            stderr: self.all_err.lock().unwrap().clone(),
            description: self.description.clone(),
        };
        self.roster.assert_clean("stdout", &out.stdout);
        self.roster.assert_clean("stderr", &out.stderr);
        out
    }
}

impl Drop for Spawned<'_> {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What one run did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    description: String,
}

impl Out {
    /// Asserts the exit code.
    #[track_caller]
    pub fn code(self, expected: i32) -> Out {
        assert_eq!(
            self.code, expected,
            "exit code of {}\n--- stdout\n{}\n--- stderr\n{}",
            self.description, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Out {
        self.code(0)
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout of {} is not JSON ({e}):\n{}", self.description, self.stdout)
        })
    }

    /// Asserts a failure: exit code, the `error[code]` line on stderr, and that the message
    /// is one line that says something.
    #[track_caller]
    pub fn error(self, exit: i32, code: &str) -> Out {
        let out = self.code(exit);
        let prefix = format!("error[{code}]: ");
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in stderr:\n{}", out.stderr));
        assert!(line.len() > prefix.len() + 15, "the error must say what to do: {line}");
        out
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Asserts `keys` are the exact field names of the JSON object `v` (stable output).
#[track_caller]
pub fn assert_fields(v: &Value, keys: &[&str]) {
    let obj = v.as_object().unwrap_or_else(|| panic!("not an object: {v}"));
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want = keys.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "field names of {v}");
}

/// What another process gets when it pastes the clipboard; `None` when it is empty.
pub fn paste() -> Option<String> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .output()
        .expect("xclip must be installed (apt package xclip)");
    if out.status.success() {
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        None
    }
}

/// Polls `ok` for up to 10 s.
#[track_caller]
pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
