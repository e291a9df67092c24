//! The embedded demo (`roster-desktop --demo`, feature `demo`): the reference server
//! in-process on a throw-away database, its accounts added with keys under their own keychain
//! service, and all of it undone by `Desk::shutdown`.

use std::time::Duration;

use roster_core::{
    AccountStore, ApiKey, Cache, Error, ErrorCode, Http, HttpConfig, KeyEntry, Keychain, Result,
    VerifiedKey,
};

use crate::DEMO_SERVICE;
use crate::session::{Desk, join_error, lock};

/// What the demo owns and removes at the end.
pub(crate) struct DemoRun {
    pub(crate) server: roster_server::RunningServer,
    pub(crate) dir: tempfile::TempDir,
}

/// Writes and deletes a probe key: a read alone passes on a locked keychain, where the
/// first real write would then wait on an unlock prompt and fail the whole demo.
fn can_store_keys(keychain: &Keychain) -> Result<()> {
    let entry = KeyEntry::new("http://127.0.0.1", "roster-demo-probe").named("demo keychain probe");
    keychain.set(keychain.store(), &entry, &ApiKey::from("probe".to_string()))?;
    keychain.delete(keychain.store(), &entry).map(|_| ())
}

fn demo_error(what: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Storage { action: what, path: "the demo".into(), reason: format!("{e}") }
}

impl Desk {
    /// The embedded demo: the reference server in-process on 127.0.0.1 with a throw-away
    /// database seeded with one team per preset; one account per team (owner-level key)
    /// plus "Northwind Labs (member)" with a key that cannot manage the team. Keys go to the
    /// OS keychain under service `roster-demo` (memory only, with a banner, when there is
    /// no keychain); the account list and cache live in a temp dir. `shutdown` undoes it all.
    pub async fn demo() -> Result<Desk> {
        Desk::demo_with(Keychain::os().with_service(DEMO_SERVICE)).await
    }

    /// `demo` with keys going to `keychain` when it can be reached.
    pub async fn demo_with(keychain: Keychain) -> Result<Desk> {
        let dir = tempfile::Builder::new()
            .prefix("roster-demo-")
            .tempdir()
            .map_err(|e| demo_error("create a folder for", e))?;
        let db_path = dir.path().join("roster.db");
        let seed_path = db_path.clone();
        // Seeding hashes passwords: off the async workers.
        let (db, seeded) = tokio::task::spawn_blocking(move || {
            let db = roster_server::Db::open(&seed_path)
                .map_err(|e| demo_error("open the database of", e))?;
            let seeded = roster_server::seed::demo(&db, chrono::Utc::now())
                .map_err(|e| demo_error("seed", e))?;
            Ok::<_, Error>((db, seeded))
        })
        .await
        .map_err(join_error)??;
        let mut config = roster_server::Config::new(&db_path);
        // One person clicking (or an E2E run joining again and again from 127.0.0.1)
        // must never meet the join page's rate limits.
        config.limits = roster_server::Limits::relaxed();
        let server = roster_server::start_with_db(config, db)
            .await
            .map_err(|e| demo_error("start the server of", e))?;

        let probe = keychain.clone();
        let writable = tokio::task::spawn_blocking(move || can_store_keys(&probe))
            .await
            .map_err(join_error)?;
        let (keychain, banner) = match writable {
            Ok(()) => (keychain, None),
            Err(e) => {
                tracing::warn!(error = %e, "demo: the keychain cannot take keys, they stay in memory");
                let why = if e.code() == ErrorCode::KeychainLocked {
                    "The keychain is locked"
                } else {
                    "No keychain available"
                };
                (
                    Keychain::memory(),
                    Some(format!(
                        "{why}: demo keys are kept in memory only and vanish when Roster quits."
                    )),
                )
            }
        };
        let store = AccountStore::open_in(dir.path().join("config"), keychain)?;
        let desk = Desk::build(
            store,
            Cache::at(dir.path().join("cache")),
            Http::new(HttpConfig::default())?,
            banner,
            true,
        );

        let url = server.url.clone();
        let mut adds: Vec<(String, String, Option<String>)> =
            seeded.iter().map(|a| (url.clone(), a.keys[0].key.clone(), None)).collect();
        // The same team through a key that cannot manage it, so read-only views show.
        // The store keeps one entry per (server, account): "localhost" is the same
        // loopback server under another address.
        if let Some(northwind) = seeded.iter().find(|a| a.preset == "owner-member-link")
            && let Some(member) = northwind.keys.iter().find(|k| k.role == "member")
        {
            let alias = url.replace("127.0.0.1", "localhost");
            adds.push((alias, member.key.clone(), Some(format!("{} (member)", northwind.name))));
        }
        *lock(&desk.inner.demo_run) = Some(DemoRun { server, dir });
        match desk.add_demo_accounts(adds).await {
            Ok(()) => Ok(desk),
            Err(e) => {
                // Take back whatever keys went in before the failure.
                desk.end_demo().await;
                Err(e)
            }
        }
    }

    async fn add_demo_accounts(&self, adds: Vec<(String, String, Option<String>)>) -> Result<()> {
        let mut first = None;
        for (server, key, label) in adds {
            let verified = VerifiedKey::check(&self.inner.http, &server, ApiKey::from(key)).await?;
            let id = self
                .with_store(move |_, s| {
                    Ok(s.add_verified(verified, label.as_deref(), None)?.account.id)
                })
                .await?;
            first.get_or_insert(id);
        }
        if let Some(id) = first {
            self.with_store(move |_, s| s.switch(&id).map(|_| ())).await?;
        }
        Ok(())
    }

    /// The demo server's address (`http://127.0.0.1:<port>`).
    pub fn demo_server_url(&self) -> Option<String> {
        lock(&self.inner.demo_run).as_ref().map(|d| d.server.url.clone())
    }

    pub(crate) async fn end_demo(&self) {
        let Some(run) = lock(&self.inner.demo_run).take() else { return };
        let removed = self
            .with_store(|inner, s| {
                let ids: Vec<String> = s.accounts().iter().map(|a| a.id.clone()).collect();
                for id in ids {
                    inner.forget_client(&id);
                    if let Err(e) = s.remove(&id) {
                        tracing::warn!(account = %id, error = %e, "demo: could not remove an account's key");
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, "demo: could not remove the demo keys");
        }
        if tokio::time::timeout(Duration::from_secs(5), run.server.shutdown()).await.is_err() {
            tracing::warn!("demo: the server did not stop within 5 s");
        }
        drop(run.dir);
    }
}
