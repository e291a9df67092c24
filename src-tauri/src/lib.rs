//! The Roster desktop app: a Tauri 2 shell over roster-desk's `Desk`.
//!
//! `run()` is the binary (`roster-desktop [--demo]`); `build()` makes everything the web view
//! talks to (state, commands, event forwarding) over any Tauri runtime, so tests drive it with
//! `tauri::test::mock_builder()` through the real IPC and capability checks. What needs a real
//! desktop (tray, single instance, window state, notifications, the browser opener) is added
//! by `run()` only.

pub mod commands;
mod shell;

use roster_desk::Desk;
use tauri::{App, Builder, Context, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;

const USAGE: &str = "Usage: roster-desktop [--demo]

  --demo   open a demo: a Team API server runs inside the app on 127.0.0.1 with a throw-away
           database and one team per team model; its keys go to the keychain under the
           service \"roster-demo\" and are removed when Roster quits. Your own accounts are
           not touched.

Without --demo Roster opens your accounts (keys in the system keychain; set ROSTER_KEY_FILE
to keep them in a plain-text file instead).";

/// Runs the app until its window closes (or it is told to quit).
pub fn run() {
    shell::init_tracing();
    let demo = match parse_args(std::env::args().skip(1)) {
        Ok(demo) => demo,
        Err(code) => std::process::exit(code),
    };
    let desk = match tauri::async_runtime::block_on(open_desk(demo)) {
        Ok(desk) => desk,
        Err(e) => {
            eprintln!("roster-desktop: {e}");
            fail(&Failure::desk(demo, &e));
        }
    };
    let mut builder = Builder::default();
    // One Roster per user: a second launch focuses the first. Not for the demo, which owns
    // nothing another Roster could conflict with (and must open even while Roster runs).
    if !demo {
        builder = builder
            .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| shell::show_main(app)));
    }
    let builder = builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        // Registered for its Rust API only: no capability grants the web view its commands.
        .plugin(tauri_plugin_opener::init());
    let app = match build(builder, desk, context()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("roster-desktop: cannot start the window: {e}");
            fail(&Failure::window(demo, &e));
        }
    };
    if let Err(e) = shell::install_tray(app.handle()) {
        // A desktop without a tray still gets the window.
        tracing::warn!(error = %e, "no tray icon");
    }
    let opener = app.handle().clone();
    app.state::<Desk>().set_opener(move |url| {
        opener.opener().open_url(url, None::<&str>).map_err(|e| e.to_string())
    });
    shell::quit_on_signals(app.handle());
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            tauri::async_runtime::block_on(app.state::<Desk>().shutdown());
        }
    });
}

/// The app over any runtime, with everything the web view talks to: `desk` as state, the
/// commands, and the session's events forwarded to the window ("audit").
pub fn build<R: Runtime>(
    builder: Builder<R>,
    desk: Desk,
    context: Context<R>,
) -> tauri::Result<App<R>> {
    let app = builder.manage(desk).invoke_handler(commands::handler()).build(context)?;
    shell::forward_events(app.handle());
    Ok(app)
}

/// tauri.conf.json, capabilities/ and the UI in ui/dist, compiled in.
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

async fn open_desk(demo: bool) -> roster_core::Result<Desk> {
    if demo { Desk::demo().await } else { Desk::open() }
}

/// Why Roster cannot start, as its error dialog says it: what failed, then the error and
/// what to do about it.
#[derive(Debug)]
struct Failure {
    headline: &'static str,
    detail: String,
}

impl Failure {
    fn desk(demo: bool, error: &roster_core::Error) -> Failure {
        let (headline, todo) = if demo {
            (
                "Roster could not start its demo",
                "Your own accounts are not affected. Start the demo again; if it fails the same way, run roster-desktop --demo in a terminal to see more.",
            )
        } else {
            (
                "Roster could not open your accounts",
                "Roster quits now: start it again once that is fixed.",
            )
        };
        Failure { headline, detail: format!("{}\n\n{todo}", sentence(error)) }
    }

    fn window(demo: bool, error: &tauri::Error) -> Failure {
        let command = if demo { "roster-desktop --demo" } else { "roster-desktop" };
        Failure {
            headline: "Roster could not open its window",
            detail: format!(
                "{}\n\nStart Roster again; if it fails the same way, run {command} in a terminal to see more.",
                sentence(error)
            ),
        }
    }
}

/// Errors end without a full stop when they name a path or an OS reason last.
fn sentence(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) { text.to_string() } else { format!("{text}.") }
}

/// Shows `failure` and exits: stderr has said it already, but a user who started Roster from
/// a desktop menu has no terminal to read it in.
fn fail(failure: &Failure) -> ! {
    shell::show_failure(failure.headline, &failure.detail);
    std::process::exit(1);
}

/// `Ok(demo)`, or the exit code after printing help or an error.
fn parse_args(args: impl Iterator<Item = String>) -> Result<bool, i32> {
    let mut demo = false;
    for arg in args {
        match arg.as_str() {
            "--demo" => demo = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Err(0);
            }
            other => {
                eprintln!("roster-desktop: unknown argument {other:?}\n\n{USAGE}");
                return Err(2);
            }
        }
    }
    Ok(demo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_arguments_then_only_demo_and_help_are_known() {
        let args = |a: &[&str]| parse_args(a.iter().map(|s| s.to_string()));
        assert_eq!(args(&[]), Ok(false));
        assert_eq!(args(&["--demo"]), Ok(true));
        assert_eq!(args(&["--help"]), Err(0));
        assert_eq!(args(&["--dmeo"]), Err(2));
    }

    #[test]
    fn given_a_damaged_account_list_when_roster_starts_then_the_failure_names_the_file_and_what_to_do()
     {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, "{\"version\": 1, \"accounts\": [").unwrap();
        let error = roster_core::AccountStore::open_in(dir.path(), roster_core::Keychain::memory())
            .unwrap_err();

        let failure = Failure::desk(false, &error);

        assert_eq!(failure.headline, "Roster could not open your accounts");
        let (what, todo) = failure.detail.split_once("\n\n").unwrap();
        assert!(what.starts_with(&format!("Could not read {}: ", path.display())), "{what}");
        assert!(what.contains("The account list is damaged: fix or delete the file"), "{what}");
        assert!(what.ends_with("(their keys stay in the keychain)."), "{what}");
        assert_eq!(todo, "Roster quits now: start it again once that is fixed.");
    }

    #[test]
    fn given_the_demo_fails_when_roster_starts_then_the_failure_says_your_accounts_are_safe_and_how_to_see_more()
     {
        let error = roster_core::Error::Storage {
            action: "start the server of",
            path: "the demo".into(),
            reason: "address in use".into(),
        };

        let failure = Failure::desk(true, &error);

        assert_eq!(failure.headline, "Roster could not start its demo");
        let (what, todo) = failure.detail.split_once("\n\n").unwrap();
        assert_eq!(what, "Could not start the server of the demo: address in use.");
        assert!(todo.starts_with("Your own accounts are not affected."), "{todo}");
        assert!(todo.contains("run roster-desktop --demo in a terminal"), "{todo}");
    }

    #[test]
    fn given_an_error_that_ends_a_sentence_then_no_second_full_stop_is_added() {
        assert_eq!(sentence(&"Retry."), "Retry.");
        assert_eq!(
            sentence(&"Permission denied (os error 13) "),
            "Permission denied (os error 13)."
        );
    }
}
