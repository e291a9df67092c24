//! The Roster reference server: a real implementation of the Team API v1 contract
//! (`api/openapi.yaml`) on axum + SQLite.
//!
//! Owns: the HTTP surface (JSON API, invitee join pages, owner-confirmation pages, the event
//! stream), every permission rule (the client is never the guard), the team presets, the
//! mail outbox, and the demo and scale seeding. `start` runs it in-process for tests and
//! for the desktop app's embedded demo; `main.rs` is the `roster-server` binary over it.

mod audit;
mod auth;
mod db;
mod error;
mod invites;
mod join;
mod limits;
mod mail;
mod members;
mod pages;
mod paging;
mod presets;
mod promotions;
pub mod seed;
pub mod tokens;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use roster_api::{AuditEvent, ErrorCode, Health, HealthStatus};
use tokio::sync::broadcast;

pub use db::Db;
pub use error::ApiError;
pub use presets::{PRESETS, Preset};

/// Request bodies above this are refused with 413 before they are parsed.
pub const BODY_LIMIT: usize = 64 * 1024;

pub const OPENAPI_YAML: &str = include_str!("../../../api/openapi.yaml");

#[derive(Debug, Clone)]
pub struct Config {
    pub db_path: PathBuf,
    pub listen: SocketAddr,
    /// Base of the links the server hands out; defaults to `http://<listen address>`.
    pub public_url: Option<String>,
    /// `smtp://` or `smtps://` URL; without it mail is kept in the outbox table and logged.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub limits: limits::Limits,
}

impl Config {
    pub fn new(db_path: impl Into<PathBuf>) -> Config {
        Config {
            db_path: db_path.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            smtp_url: None,
            mail_from: "Roster <no-reply@roster.invalid>".into(),
            limits: limits::Limits::default(),
        }
    }
}

pub use limits::Limits;

/// The server's notion of now. Tests move it forward to expire invites without waiting.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) public_url: Arc<str>,
    pub(crate) events: broadcast::Sender<(i64, AuditEvent)>,
    pub(crate) limiter: limits::Limiter,
    pub(crate) mailer: mail::Mailer,
    /// Turns true when shutdown starts, so endless responses (the event stream) finish and
    /// graceful shutdown does not wait for clients to hang up.
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// How invite links are made for managers: this server's address and its token key.
    pub(crate) fn links(&self) -> invites::Links {
        invites::Links::new(self.public_url.clone(), self.db.sealer())
    }

    /// Hands committed audit events to live `/v1/events` subscribers.
    pub(crate) fn publish(&self, events: Vec<(i64, AuditEvent)>) {
        for e in events {
            // No subscribers is the normal case, not an error.
            let _ = self.events.send(e);
        }
    }
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/me", get(members::me))
        .route("/roles", get(members::roles))
        .route("/members", get(members::list))
        .route("/members/me", delete(members::leave))
        .route(
            "/members/{user_id}",
            get(members::get).patch(members::update).delete(members::remove),
        )
        .route("/invites", get(invites::list).post(invites::create))
        .route("/invites/{id}", get(invites::get))
        .route("/invites/{id}/resend", post(invites::resend))
        .route("/invites/{id}/revoke", post(invites::revoke))
        .route("/audit", get(audit::list))
        .route("/events", get(audit::events))
        .route("/owner-promotions", get(promotions::list))
        .route("/owner-promotions/confirm", post(promotions::confirm))
        .route("/owner-promotions/{id}/cancel", post(promotions::cancel))
        .route("/join", post(join::join_json));

    Router::new()
        .route("/healthz", get(|| async { axum::Json(Health { status: HealthStatus::Ok }) }))
        .route(
            "/openapi.yaml",
            get(|| async { ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML) }),
        )
        .route("/join/{token}", get(join::page).post(join::submit))
        .route("/confirm-owner/{token}", get(promotions::page).post(promotions::submit))
        .nest("/v1", v1)
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "No such endpoint. See /openapi.yaml.",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This endpoint does not support that method. See /openapi.yaml.",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(too_large_as_problem))
        .layer(
            // Spans name the route template, never the concrete path: join and confirmation
            // tokens travel in paths and must not reach the log.
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "<unmatched>".into());
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
        .with_state(state)
}

/// Bodies refused by the length limit outside our `Json` extractor (forms) still answer
/// problem+json.
async fn too_large_as_problem(res: axum::response::Response) -> axum::response::Response {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return error::payload_too_large().into_response();
    }
    res
}

/// A server running on a background task; dropping it does not stop it, `shutdown` does.
pub struct RunningServer {
    pub url: String,
    pub addr: SocketAddr,
    pub clock: Clock,
    pub db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Opens (and migrates) the database, binds, and serves on the current tokio runtime.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let db = Db::open(&config.db_path)?;
    start_with_db(config, db).await
}

pub async fn start_with_db(config: Config, db: Db) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let public_url: Arc<str> =
        config.public_url.clone().unwrap_or_else(|| url.clone()).trim_end_matches('/').into();
    let clock = Clock::default();
    let mailer = mail::Mailer::start(db.clone(), config.smtp_url.as_deref(), &config.mail_from)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let state = AppState {
        db: db.clone(),
        clock: clock.clone(),
        public_url,
        events: broadcast::channel(1024).0,
        limiter: limits::Limiter::new(config.limits.clone()),
        mailer,
        stopping: stop_rx,
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
            let _ = stop_tx.send(true);
        });
        if let Err(e) = served.await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(RunningServer { url, addr, clock, db, shutdown: Some(tx), task })
}

pub fn account_count(db: &Db) -> anyhow::Result<i64> {
    db.blocking(|tx| Ok(tx.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?))
}

/// One recorded e-mail, as `roster-server outbox` prints it and tests read it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxMail {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// Why the last attempt to send it failed (`None`: not tried yet, or sent).
    pub error: Option<String>,
}

/// Recorded e-mails, newest first, as they are sent (their tokens unsealed).
pub fn outbox(db: &Db, to: Option<&str>, limit: usize) -> anyhow::Result<Vec<OutboxMail>> {
    let sealer = db.sealer();
    db.blocking(|tx| {
        let mut st = tx.prepare(
            "SELECT kind, to_addr, subject, body, created_at, sent_at, error, secret_sealed FROM outbox WHERE (?1 IS NULL OR to_addr = ?1 COLLATE NOCASE) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(rusqlite::params![to, limit as i64], |r| {
                // As sent: the sealed token back in the text.
                let sealed: Option<Vec<u8>> = r.get(7)?;
                let body = mail::render(r.get(3)?, sealed.as_deref(), &sealer);
                Ok(OutboxMail { kind: r.get(0)?, to: r.get(1)?, subject: r.get(2)?, body, created_at: r.get(4)?, sent_at: r.get(5)?, error: r.get(6)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}
