//! SQLite access: one connection behind a mutex, used from blocking threads. Every write
//! runs in one `BEGIN IMMEDIATE` transaction, so checks such as the seat limit and the
//! write they guard can never interleave with another request's.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::ApiError;

const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_init.sql"), include_str!("../migrations/0002_pending_index.sql")];

#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut conn)?;
        Ok(Db { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` inside one immediate transaction on a blocking thread; commits on `Ok`.
    pub async fn write<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
    {
        self.run(TransactionBehavior::Immediate, f).await
    }

    /// Runs a read on a blocking thread (a deferred transaction gives it one snapshot; it is
    /// committed too, which for a read only ends it).
    pub async fn read<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
    {
        self.run(TransactionBehavior::Deferred, f).await
    }

    async fn run<R, F>(&self, behavior: TransactionBehavior, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn.transaction_with_behavior(behavior)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Synchronous access for seeding and the CLI subcommands.
    pub fn blocking<R>(&self, f: impl FnOnce(&Transaction<'_>) -> anyhow::Result<R>) -> anyhow::Result<R> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        anyhow::bail!(
            "database schema version {version} is newer than this server knows ({}); use a newer roster-server",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

pub fn parse_ts_opt(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().map(parse_ts)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// Public ids: a readable prefix and 80 random bits, e.g. `usr_3f9c0a1b2c3d4e5f6a7b`.
pub fn new_id(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 21);
    s.push_str(prefix);
    s.push('_');
    for b in random_bytes::<10>() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Secrets handed out (API keys, invite and confirmation tokens): 256 random bits, base64url.
pub fn new_secret(prefix: &str) -> String {
    use base64::Engine;
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

pub fn sha256(s: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).to_vec()
}

pub trait OptionalRow<T> {
    fn opt(self) -> Result<Option<T>, rusqlite::Error>;
}

impl<T> OptionalRow<T> for Result<T, rusqlite::Error> {
    fn opt(self) -> Result<Option<T>, rusqlite::Error> {
        self.optional()
    }
}
