//! The process's one clipboard owner.
//!
//! On X11 and Wayland the copied text lives in the process that copied it: when its
//! `arboard::Clipboard` is dropped the text is gone (unless a clipboard manager took it over).
//! So one `arboard::Clipboard` lives for the whole process, on a dedicated thread (arboard's
//! handle is not `Send` on every platform, and Windows dislikes clipboard calls from several
//! threads). Callers talk to it through [`Clipboard`], a cheap handle; [`Clipboard::shared`]
//! is the process-wide one.
//!
//! - [`Clipboard::copy`] / [`Clipboard::copy_sensitive`] / [`Clipboard::copy_with`]: put text on
//!   the clipboard. *Sensitive* asks clipboard-history tools not to keep it (Linux: the
//!   `x-kde-passwordManagerHint` target that KDE, GNOME extensions and most managers honour;
//!   Windows: excluded from clipboard history; macOS: the nspasteboard.org concealed type).
//! - Auto-clear ([`CopyOptions::clear_after`]): after N seconds the clipboard is cleared **only
//!   if it still holds exactly that text**; whatever the user copied since is left alone.
//! - [`Clipboard::copy_and_hold`]: for short-lived processes (the CLI); see its docs.
//!
//! Every failure is `Error::Clipboard` whose message ends with "the link is shown so you can
//! copy it by hand"; no display gives such an error, never a panic. Text is never logged: it
//! is usually an invite link, which is a credential until it is used.

use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How a text goes onto the clipboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// Ask clipboard-history tools not to record it, where the platform has a way to ask.
    pub sensitive: bool,
    /// Clear the clipboard after this long, but only if it still holds exactly this text.
    pub clear_after: Option<Duration>,
}

impl CopyOptions {
    /// Plain text: recorded by history tools, never cleared.
    pub fn plain() -> Self {
        CopyOptions::default()
    }

    /// Marked sensitive (kept out of clipboard history), never cleared.
    pub fn sensitive() -> Self {
        CopyOptions { sensitive: true, clear_after: None }
    }

    pub fn clear_after(mut self, after: Duration) -> Self {
        self.clear_after = Some(after);
        self
    }
}

/// Why [`Clipboard::copy_and_hold`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldEnd {
    /// The deadline passed with the text still on the clipboard. On X11/Wayland it stays
    /// there until this process exits (or until [`Clipboard::release`] hands it to a
    /// clipboard manager, if one runs).
    Deadline,
    /// Another program put something on the clipboard first; there is nothing left to serve.
    Replaced,
    /// `clear_after` came first: the clipboard still held the text and was cleared.
    Cleared,
    /// The platform keeps clipboard content after the process exits (Windows, macOS): no
    /// need to wait, the call returned at once.
    Persistent,
}

enum Command {
    Copy { text: String, options: CopyOptions, reply: SyncSender<Result<()>> },
    Hold { text: String, options: CopyOptions, until: Instant, reply: SyncSender<Result<HoldEnd>> },
    Text { reply: SyncSender<Result<Option<String>>> },
    ClearIfHolds { text: String, reply: SyncSender<Result<bool>> },
    AutoClear { reply: SyncSender<Result<AutoClear>> },
    Release { reply: SyncSender<()> },
}

/// The auto-clears of this process's clipboard owner: what a caller (or a test) can see of a
/// timer that otherwise only shows by its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoClear {
    /// When the scheduled one is due; `None`: nothing will be cleared.
    pub due: Option<Instant>,
    /// How many came due so far, whether they cleared the text or left another program's alone.
    pub done: u64,
}

/// A handle to the process's clipboard owner (cheap to clone, usable from any thread). The
/// calls block until the clipboard thread answered, which takes milliseconds, except
/// [`Clipboard::copy_and_hold`], which blocks by design.
#[derive(Clone)]
pub struct Clipboard {
    tx: Sender<Command>,
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clipboard")
    }
}

static SHARED: OnceLock<Clipboard> = OnceLock::new();

impl Clipboard {
    /// The process-wide clipboard owner, started on first use. The display is connected
    /// lazily on the first call, and again after a failure, so a display that appears late
    /// (or a failed first attempt) does not break the clipboard for the rest of the run.
    pub fn shared() -> &'static Clipboard {
        SHARED.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            // If the thread cannot start, `rx` is dropped and every call reports it.
            let _ = std::thread::Builder::new()
                .name("roster-clipboard".into())
                .spawn(move || Owner::default().run(rx));
            Clipboard { tx }
        })
    }

    /// Puts `text` on the clipboard as plain text.
    pub fn copy(&self, text: &str) -> Result<()> {
        self.copy_with(text, &CopyOptions::plain())
    }

    /// Puts `text` on the clipboard marked as sensitive where the platform allows.
    pub fn copy_sensitive(&self, text: &str) -> Result<()> {
        self.copy_with(text, &CopyOptions::sensitive())
    }

    /// Puts `text` on the clipboard. A new copy replaces any auto-clear still pending from an
    /// earlier one (its text is no longer on the clipboard anyway).
    pub fn copy_with(&self, text: &str, options: &CopyOptions) -> Result<()> {
        self.ask(|reply| Command::Copy { text: text.to_string(), options: options.clone(), reply })
    }

    /// The scheduled auto-clear and how many have come due (see [`AutoClear`]).
    pub fn auto_clear(&self) -> Result<AutoClear> {
        self.ask(|reply| Command::AutoClear { reply })
    }

    /// For a process about to exit (the CLI): puts `text` on the clipboard and keeps serving
    /// it until `until`, or until another program takes the clipboard, whichever is first;
    /// with `options.clear_after`, until that time at the latest, then clears it if it still
    /// holds `text`. Blocks the calling thread meanwhile (from async code, call it inside
    /// `spawn_blocking`).
    ///
    /// - X11: arboard's `set().wait_until(deadline)`; pastes by other programs are served
    ///   while holding. After it returns the text stays available until the process exits;
    ///   then it is gone unless a clipboard manager took it (call [`Clipboard::release`]
    ///   before exiting to offer it to one).
    /// - Wayland: arboard returns at once there, so the hold polls (every 200 ms) whether the
    ///   clipboard still holds `text`.
    /// - Windows and macOS keep clipboard content after exit: returns [`HoldEnd::Persistent`]
    ///   at once (after waiting for `clear_after`, if given and before `until`).
    pub fn copy_and_hold(
        &self,
        text: &str,
        options: &CopyOptions,
        until: Instant,
    ) -> Result<HoldEnd> {
        self.ask(|reply| Command::Hold {
            text: text.to_string(),
            options: options.clone(),
            until,
            reply,
        })
    }

    /// The clipboard's current text; `None` when it is empty or holds no text.
    pub fn text(&self) -> Result<Option<String>> {
        self.ask(|reply| Command::Text { reply })
    }

    /// Clears the clipboard if it holds exactly `text`; returns whether it did.
    pub fn clear_if_holds(&self, text: &str) -> Result<bool> {
        self.ask(|reply| Command::ClearIfHolds { text: text.to_string(), reply })
    }

    /// Lets go of the clipboard before the process exits: runs a pending auto-clear now (it
    /// could not run later) and drops the platform handle, which on X11 offers the content
    /// to a clipboard manager if one runs. The next call connects again.
    pub fn release(&self) {
        let (reply, rx) = mpsc::sync_channel(1);
        if self.tx.send(Command::Release { reply }).is_ok() {
            let _ = rx.recv();
        }
    }

    fn ask<T>(&self, command: impl FnOnce(SyncSender<Result<T>>) -> Command) -> Result<T> {
        let (reply, rx) = mpsc::sync_channel(1);
        self.tx.send(command(reply)).map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Clipboard(
        "the clipboard thread of this app stopped (restart the app to copy again)".into(),
    )
}

/// The pending auto-clear of the latest copy.
struct PendingClear {
    text: String,
    at: Instant,
}

/// Lives on the clipboard thread and owns the platform clipboard.
#[derive(Default)]
struct Owner {
    board: Option<arboard::Clipboard>,
    pending_clear: Option<PendingClear>,
    clears_done: u64,
}

impl Owner {
    fn run(mut self, rx: Receiver<Command>) {
        loop {
            let command = match &self.pending_clear {
                Some(p) => match rx.recv_timeout(p.at.saturating_duration_since(Instant::now())) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => {
                        self.run_pending_clear();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                None => match rx.recv() {
                    Ok(c) => c,
                    Err(_) => break,
                },
            };
            // A reply that cannot be delivered means the caller gave up; nothing to do.
            match command {
                Command::Copy { text, options, reply } => {
                    let _ = reply.send(self.copy(text, &options));
                }
                Command::Hold { text, options, until, reply } => {
                    let _ = reply.send(self.hold(&text, &options, until));
                }
                Command::Text { reply } => {
                    let _ = reply.send(self.text());
                }
                Command::ClearIfHolds { text, reply } => {
                    let _ = reply.send(self.clear_if_holds(&text));
                }
                Command::AutoClear { reply } => {
                    let due = self.pending_clear.as_ref().map(|p| p.at);
                    let _ = reply.send(Ok(AutoClear { due, done: self.clears_done }));
                }
                Command::Release { reply } => {
                    self.run_pending_clear();
                    // Dropping the handle is what offers the content to a clipboard manager.
                    self.board = None;
                    let _ = reply.send(());
                }
            }
        }
        self.run_pending_clear();
    }

    fn board(&mut self) -> Result<&mut arboard::Clipboard> {
        if self.board.is_none() {
            self.board =
                Some(arboard::Clipboard::new().map_err(|e| Error::Clipboard(connect_reason(&e)))?);
        }
        Ok(self.board.as_mut().expect("just set"))
    }

    fn copy(&mut self, text: String, options: &CopyOptions) -> Result<()> {
        self.pending_clear = None;
        let board = self.board()?;
        if let Err(e) = mark(board.set(), options).text(text.as_str()) {
            return Err(self.write_failed(&e));
        }
        if let Some(after) = options.clear_after {
            self.pending_clear = Some(PendingClear { text, at: Instant::now() + after });
        }
        Ok(())
    }

    /// A failed write. An `Unknown` error usually means arboard's serving thread or display
    /// connection died: drop the handle so the next call connects afresh.
    fn write_failed(&mut self, e: &arboard::Error) -> Error {
        if matches!(e, arboard::Error::Unknown { .. }) {
            self.board = None;
        }
        Error::Clipboard(describe(e))
    }

    fn text(&mut self) -> Result<Option<String>> {
        match self.board()?.get_text() {
            Ok(t) => Ok(Some(t)),
            Err(arboard::Error::ContentNotAvailable) => Ok(None),
            Err(e) => Err(Error::Clipboard(format!("reading it back failed ({})", describe(&e)))),
        }
    }

    fn holds(&mut self, text: &str) -> Result<bool> {
        Ok(self.text()?.as_deref() == Some(text))
    }

    fn clear_if_holds(&mut self, text: &str) -> Result<bool> {
        if !self.holds(text)? {
            return Ok(false);
        }
        self.board()?
            .clear()
            .map_err(|e| Error::Clipboard(format!("clearing it failed ({})", describe(&e))))?;
        if self.pending_clear.as_ref().is_some_and(|p| p.text == text) {
            self.pending_clear = None;
        }
        Ok(true)
    }

    fn run_pending_clear(&mut self) {
        let Some(p) = self.pending_clear.take() else { return };
        let cleared = self.clear_if_holds(&p.text);
        self.clears_done += 1;
        if let Err(e) = cleared {
            tracing::warn!(error = %e, "auto-clear of the clipboard failed");
        }
    }

    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    fn hold(&mut self, text: &str, options: &CopyOptions, until: Instant) -> Result<HoldEnd> {
        use arboard::SetExtLinux;
        self.pending_clear = None;
        let clear_at = options.clear_after.map(|d| Instant::now() + d);
        let end = clear_at.map_or(until, |c| c.min(until));
        let board = self.board()?;
        // X11: serves pastes and returns at `end` or as soon as another client owns the
        // clipboard. Wayland: returns at once; the loop below does the waiting.
        if let Err(e) = mark(board.set(), options).wait_until(end).text(text) {
            return Err(self.write_failed(&e));
        }
        loop {
            if !self.holds(text)? {
                return Ok(HoldEnd::Replaced);
            }
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(200)));
        }
        if clear_at.is_some_and(|c| c <= until) && self.clear_if_holds(text)? {
            return Ok(HoldEnd::Cleared);
        }
        Ok(HoldEnd::Deadline)
    }

    #[cfg(not(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    )))]
    fn hold(&mut self, text: &str, options: &CopyOptions, until: Instant) -> Result<HoldEnd> {
        self.copy(text.to_string(), &CopyOptions { clear_after: None, ..options.clone() })?;
        if let Some(after) = options.clear_after {
            let clear_at = Instant::now() + after;
            if clear_at <= until {
                std::thread::sleep(clear_at.saturating_duration_since(Instant::now()));
                if self.clear_if_holds(text)? {
                    return Ok(HoldEnd::Cleared);
                }
                return Ok(HoldEnd::Replaced);
            }
        }
        Ok(HoldEnd::Persistent)
    }
}

/// Marks the content as sensitive where the platform has a way to say so.
fn mark<'a>(set: arboard::Set<'a>, options: &CopyOptions) -> arboard::Set<'a> {
    if !options.sensitive {
        return set;
    }
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    {
        use arboard::SetExtLinux;
        set.exclude_from_history()
    }
    #[cfg(windows)]
    {
        use arboard::SetExtWindows;
        set.exclude_from_history()
    }
    #[cfg(target_os = "macos")]
    {
        use arboard::SetExtApple;
        set.exclude_from_history()
    }
    #[cfg(not(any(
        windows,
        target_os = "macos",
        all(unix, not(any(target_os = "android", target_os = "emscripten")))
    )))]
    {
        set
    }
}

fn describe(e: &arboard::Error) -> String {
    match e {
        arboard::Error::ClipboardOccupied => {
            "another program is holding the clipboard; try again in a moment".into()
        }
        arboard::Error::ClipboardNotSupported => {
            "this desktop does not support that clipboard".into()
        }
        arboard::Error::ConversionFailure => {
            "the text could not be converted for the clipboard".into()
        }
        arboard::Error::ContentNotAvailable => "the clipboard holds no text".into(),
        other => other.to_string(),
    }
}

/// Why connecting to the platform clipboard failed, in terms a user can act on.
#[cfg(all(unix, not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))))]
fn connect_reason(e: &arboard::Error) -> String {
    let var = |name: &str| {
        std::env::var_os(name).filter(|v| !v.is_empty()).map(|v| v.to_string_lossy().into_owned())
    };
    match (var("DISPLAY"), var("WAYLAND_DISPLAY")) {
        (None, None) => {
            "there is no graphical session to copy to (neither DISPLAY nor WAYLAND_DISPLAY is set)"
                .into()
        }
        (Some(d), _) => format!("the display {d} could not be reached ({})", describe(e)),
        (None, Some(w)) => {
            format!("the Wayland display {w} could not be reached ({})", describe(e))
        }
    }
}

#[cfg(not(all(
    unix,
    not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
)))]
fn connect_reason(e: &arboard::Error) -> String {
    format!("the system clipboard is not available ({})", describe(e))
}
