//! `roster`: the desktop app's team actions from a terminal, on roster-core, with the same
//! accounts and keychain entries. This binary only parses (`cli`), calls roster-core
//! (`commands`) and prints (`output`); exit codes are listed in `roster --help`.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::CommandFactory;

fn main() -> ExitCode {
    restore_sigpipe();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli::parse(&args) {
        Ok(cli) => cli,
        Err(failure) => {
            failure.print(cli::wants_json(&args));
            return ExitCode::from(failure.exit);
        }
    };
    if let cli::Command::Completions { shell } = cli.command {
        clap_complete::generate(shell, &mut cli::Cli::command(), "roster", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::Failure::new("internal", output::EXIT_FAILED, format!("Could not start: {e}"))
                .print(json);
            return ExitCode::from(output::EXIT_FAILED);
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // A clipboard hold cut short by Ctrl+C may still block a thread: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.print(json);
            ExitCode::from(failure.exit)
        }
    }
}

/// Rust ignores SIGPIPE, so `roster watch | head` would panic on the closed pipe. Restore the
/// default so the CLI ends quietly when its reader goes away, like other Unix tools.
#[cfg(unix)]
fn restore_sigpipe() {
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: called first thing in main, before any thread exists.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
