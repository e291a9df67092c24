//! roster-webconsole: a bench-only stand-in for a browser-based team console. The benchmarks
//! compare the desktop app with "the same built UI, in Chromium, against the same server"; this
//! process is the server side of that stand-in, not a product.
//!
//! Chromium loads the unchanged UI build (`ui/dist`) from here, with `shim.js` run first: it
//! gives `@tauri-apps/api` the `window.__TAURI_INTERNALS__` it calls and turns every `invoke`
//! into `POST /ipc/{cmd}`. This process answers through roster-core's `Desk`, with the same calls
//! and argument names as the desktop app's Tauri commands, so the browser talks HTTP to this
//! process and this process talks to the Team API exactly like the app does.
//!
//! The API key stays in this process, as it stays in Rust in the app: no route takes or returns
//! one, so `account_add` and `account_rekey` are refused (the bench adds accounts with
//! `roster accounts add`). It acts with the user's own accounts and has no login of its own,
//! hence loopback only, and IPC only from its own page.
//!
//! `roster-webconsole --ui ui/dist` opens the accounts the `roster` CLI and the app use
//! (honouring ROSTER_CONFIG_DIR, ROSTER_CACHE_DIR and ROSTER_KEY_FILE like them), prints
//! `{"url":"http://127.0.0.1:PORT/"}` once it accepts connections, and serves until SIGINT or
//! SIGTERM.

mod ipc;
mod pages;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use roster_desk::Desk;

/// Serves Roster's UI build to a browser and answers its IPC with the user's accounts
/// (bench only).
#[derive(Parser)]
#[command(name = "roster-webconsole", version)]
struct Args {
    /// The UI build to serve (`ui/dist`).
    #[arg(long, value_name = "DIR")]
    ui: PathBuf,
    /// Where to listen (loopback only); port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

/// What every route shares.
pub struct Console {
    pub desk: Desk,
    /// The UI build, canonical, so a resolved file can be checked to lie inside it.
    pub ui: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roster-webconsole: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if !args.listen.ip().is_loopback() {
        return Err(format!(
            "{} is not a loopback address: the console acts with your API keys and has no login, so it listens on 127.0.0.1 or ::1 only",
            args.listen
        ));
    }
    let ui = args
        .ui
        .canonicalize()
        .map_err(|e| format!("cannot open the UI folder {}: {e}", args.ui.display()))?;
    if !ui.join("index.html").is_file() {
        return Err(format!(
            "{} has no index.html: build the UI first (cd ui && npm run build) and pass ui/dist",
            ui.display()
        ));
    }
    let desk = Desk::open().map_err(|e| format!("cannot open your accounts: {e}"))?;
    let console = Arc::new(Console { desk, ui });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr =
        listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
    let url = format!("http://{addr}/");
    // The one line a harness waits for: the console accepts connections from here on.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::json!({ "url": url }))
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);
    tracing::info!(%url, "listening");

    let served = axum::serve(listener, router(console.clone()))
        .with_graceful_shutdown(stop_requested())
        .await;
    tracing::info!("shutting down");
    // Stops the live stream and hands the last copied link to a clipboard manager, as the app does on quit.
    console.desk.shutdown().await;
    served.map_err(|e| format!("the server failed: {e}"))
}

fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/index.html", get(pages::index))
        .route("/__webconsole/shim.js", get(pages::shim))
        .route("/ipc/{cmd}", post(ipc::handle))
        .fallback(pages::file)
        .layer(axum::middleware::from_fn(loopback_names_only))
        .with_state(console)
}

/// Refuses requests addressed to any name but a loopback one: a page on another site whose
/// name was rebound to 127.0.0.1 would otherwise count as this console's own origin.
async fn loopback_names_only(req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !is_loopback_host(host) {
        return (
            StatusCode::FORBIDDEN,
            "roster-webconsole answers only requests to 127.0.0.1, ::1 or localhost\n",
        )
            .into_response();
    }
    next.run(req).await
}

/// `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` (port optional).
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Ctrl-C or SIGTERM (how a bench harness stops it).
async fn stop_requested() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot watch for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Logs to stderr, keeping stdout for the one JSON line; `RUST_LOG` overrides the levels.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,roster_webconsole=info,roster_core=info")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts_pass_and_other_names_do_not() {
        for host in ["127.0.0.1:8080", "127.0.0.1", "[::1]:8080", "localhost:1", "LOCALHOST"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in
            ["evil.example:8080", "10.0.0.1:80", "[::2]:80", "", "127.0.0.1.evil.example:80"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
