//! SQLite access from blocking threads: one writer connection behind a mutex, so every write
//! runs alone in one `BEGIN IMMEDIATE` transaction (checks such as the seat limit and the
//! write they guard never interleave), and a few read-only connections so reads (every
//! request's key lookup, every list page) neither queue behind writes nor behind each other.
//! WAL mode gives each read transaction a consistent snapshot of committed data.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::ApiError;
use crate::tokens::{self, Sealer};

/// A schema step: its SQL, then, where rows must be rewritten in ways SQL cannot, a Rust step
/// in the same transaction.
type Migration = (&'static str, Option<fn(&Transaction<'_>, &Sealer) -> rusqlite::Result<()>>);

const MIGRATIONS: &[Migration] = &[
    (include_str!("../migrations/0001_init.sql"), None),
    (include_str!("../migrations/0002_pending_index.sql"), None),
    (include_str!("../migrations/0003_members_by_name.sql"), None),
    (include_str!("../migrations/0004_join_idempotency.sql"), None),
    (include_str!("../migrations/0005_sealed_tokens.sql"), Some(seal_tokens)),
];

/// Read connections: one per core is enough on the 2-core machines this runs on.
const READERS: usize = 2;

#[derive(Clone)]
pub struct Db {
    sealer: Arc<Sealer>,
    conn: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
}

impl Db {
    /// The database at `path` (created and migrated as needed) with its token key beside it
    /// (`<path>.key`, see `tokens`).
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        let sealer = Arc::new(Sealer::for_database(path)?);
        let mut conn = Connection::open(path)?;
        // secure_delete: what a row held before an update or delete is zeroed in the file,
        // not left in a free page (the tokens a migration takes out of it, for one).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        register_functions(&conn)?;
        migrate(&mut conn, &sealer)?;
        let readers = (0..READERS)
            .map(|_| {
                let r = Connection::open(path)?;
                r.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
                Ok(Mutex::new(r))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Db {
            sealer,
            conn: Arc::new(Mutex::new(conn)),
            readers: readers.into(),
            next_reader: Arc::default(),
        })
    }

    /// The key that seals and opens this database's link tokens.
    pub fn sealer(&self) -> Arc<Sealer> {
        self.sealer.clone()
    }

    /// Runs `f` inside one immediate transaction on the writer, on a blocking thread;
    /// commits on `Ok`.
    pub async fn write<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
    {
        let conn = self.conn.clone();
        on_blocking_thread(move || {
            transact(
                &mut conn.lock().unwrap_or_else(|p| p.into_inner()),
                TransactionBehavior::Immediate,
                f,
            )
        })
        .await
    }

    /// Runs a read on a blocking thread, on one of the read-only connections (a deferred
    /// transaction gives it one snapshot).
    pub async fn read<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R, ApiError> + Send + 'static,
    {
        let readers = self.readers.clone();
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        on_blocking_thread(move || {
            // A free reader if there is one, else wait for the one whose turn it is.
            let n = readers.len();
            let mut conn = (0..n)
                .find_map(|i| readers[(first + i) % n].try_lock().ok())
                .unwrap_or_else(|| readers[first % n].lock().unwrap_or_else(|p| p.into_inner()));
            transact(&mut conn, TransactionBehavior::Deferred, f)
        })
        .await
    }

    /// Synchronous access for seeding and the CLI subcommands.
    pub fn blocking<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn transact<R>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Transaction<'_>) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let tx = conn.transaction_with_behavior(behavior)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

async fn on_blocking_thread<R: Send + 'static>(
    job: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
}

/// SQL functions the schema's triggers call; only the writer writes, so only it needs them.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("name_order", 1, flags, |ctx| {
        Ok(roster_api::name_order(&ctx.get::<String>(0)?))
    })
}

fn migrate(conn: &mut Connection, sealer: &Sealer) -> anyhow::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        anyhow::bail!(
            "database schema version {version} is newer than this server knows ({}); use a newer roster-server",
            MIGRATIONS.len()
        );
    }
    for (i, (sql, rewrite)) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(rewrite) = rewrite {
            rewrite(&tx, sealer)?;
        }
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    if version < MIGRATIONS.len() {
        // What the migrations replaced must not wait in the WAL for a later checkpoint.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// 0005: every invite's token becomes its hash plus the sealed token; a mail in the outbox
/// that carries one gets the placeholder in its text and the token sealed beside it.
fn seal_tokens(tx: &Transaction<'_>, sealer: &Sealer) -> rusqlite::Result<()> {
    let plain: Vec<(i64, String)> = {
        let mut st = tx.prepare("SELECT id, token_hash FROM invites WHERE token_sealed IS NULL")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    for (id, token) in plain {
        tx.execute(
            "UPDATE invites SET token_hash = ?2, token_sealed = ?3 WHERE id = ?1",
            rusqlite::params![id, tokens::hash(&token), sealer.seal(&token)],
        )?;
        tx.execute(
            "UPDATE outbox SET body = replace(body, ?1, ?2), secret_sealed = ?3 WHERE instr(body, ?1) > 0",
            rusqlite::params![token, tokens::PLACEHOLDER, sealer.seal(&token)],
        )?;
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
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
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
