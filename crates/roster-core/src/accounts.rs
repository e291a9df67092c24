//! `AccountStore`: the accounts the user added (label, server, account, the user's role there,
//! colour, order, which one is active) in `accounts.json` in the platform config directory.
//! API keys are never in that file: each account records which `KeyStore` holds its key and
//! the key itself stays there (`keychain`).
//!
//! Every change re-reads the file first and writes it atomically (temp file + rename, 0600),
//! so the desktop app and the CLI can both change it without losing each other's edits, and a
//! crash never leaves half a file. Operations that touch both the keychain and the file undo
//! the keychain change when the file cannot be written.

use std::path::{Path, PathBuf};

use chrono::Utc;
use roster_api::{Me, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::client::{Http, TeamClient};
use crate::error::{Error, ErrorCode, Result};
use crate::keychain::{KeyEntry, KeyStore, Keychain};
use crate::secret::ApiKey;
use crate::storage::{self, config_dir, write_private_file};

pub use crate::storage::CONFIG_DIR_ENV;
const FILE_NAME: &str = "accounts.json";
const FILE_VERSION: u32 = 1;

/// Colours given to new accounts in turn, so two accounts never look alike by default.
pub const PALETTE: [&str; 8] =
    ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/// One account as the user added it. Holds no secret: safe to send to the web view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedAccount {
    /// Local handle (usually the server's account id); what `switch`, `remove`, ... take.
    pub id: String,
    /// The user's own name for it; defaults to the account name.
    pub label: String,
    /// Normalised server URL (`https://api.example.com`).
    pub server: String,
    pub account_id: String,
    pub account_name: String,
    /// The server's team-model preset.
    pub preset: String,
    /// The user the key belongs to.
    pub user_email: String,
    pub user_name: String,
    /// That user's role id and display name in the account.
    pub role: String,
    pub role_name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Position in the switcher, 0 first.
    pub order: u32,
    /// Where the key is kept.
    pub key_store: KeyStore,
    pub added_at: Timestamp,
}

impl SavedAccount {
    /// A made-up owner account of `label`, for unit tests of what shows accounts (notices, the
    /// tray menu); never saved.
    #[doc(hidden)]
    pub fn example(label: &str, key_store: KeyStore) -> SavedAccount {
        SavedAccount {
            id: label.to_lowercase(),
            label: label.into(),
            server: "https://api.example.com".into(),
            account_id: format!("acc_{label}"),
            account_name: label.into(),
            preset: "owner-member-link".into(),
            user_email: "ana@example.com".into(),
            user_name: "Ana".into(),
            role: "owner".into(),
            role_name: "Owner".into(),
            colour: "#2563eb".into(),
            order: 0,
            key_store,
            added_at: chrono::Utc::now(),
        }
    }

    /// The key's entry in its store (shared by the app and the CLI).
    pub fn key_entry(&self) -> KeyEntry {
        let name = if self.label == self.account_name {
            format!("\"{}\" on {}", self.label, self.server)
        } else {
            format!("\"{}\" ({} on {})", self.label, self.account_name, self.server)
        };
        KeyEntry::new(&self.server, &self.account_id).named(name)
    }
}

/// What `add` did.
#[derive(Debug, Clone)]
pub struct Added {
    pub account: SavedAccount,
    /// The same (server, account) was already there: its key and details were replaced.
    pub updated: bool,
}

/// A key `GET /v1/me` accepted, not saved yet (`AccountStore::add_verified` saves it).
/// Lets a front end verify without holding the store's lock across the network call.
pub struct VerifiedKey {
    server: String,
    key: ApiKey,
    me: Me,
}

impl VerifiedKey {
    /// Checks `key` against `server` (`GET /v1/me`). Fails with the client's typed error:
    /// `BadKey`, `Unreachable`, `InsecureUrl`, ...
    pub async fn check(http: &Http, server: &str, key: ApiKey) -> Result<VerifiedKey> {
        let client = TeamClient::new(http, server, key.clone())?;
        let me = client.me().await?;
        Ok(VerifiedKey { server: client.server().to_string(), key, me })
    }

    pub fn me(&self) -> &Me {
        &self.me
    }

    pub fn server(&self) -> &str {
        &self.server
    }
}

impl std::fmt::Debug for VerifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedKey")
            .field("server", &self.server)
            .field("account", &self.me.account.id)
            .field("key", &self.key)
            .finish()
    }
}

/// Where an account's key lives and whether it can be read, for a "keychain doctor" view.
/// Carries the masked key only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyReport {
    pub account: String,
    pub label: String,
    pub store: KeyStore,
    /// In words: the store, and the entry in it.
    pub location: String,
    /// True for the opt-in file store: the key is on disk in plain text.
    pub plain_text: bool,
    pub state: KeyState,
    /// `rst_ab…wxyz` when the key was read.
    pub masked_key: Option<String>,
    /// What is wrong and what to do, when the key could not be read.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Present,
    Missing,
    Locked,
    Unavailable,
    Unreadable,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AccountsFile {
    version: u32,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    accounts: Vec<SavedAccount>,
}

/// The account list and the keys behind it.
pub struct AccountStore {
    path: PathBuf,
    keychain: Keychain,
    cache: Option<Cache>,
    file: AccountsFile,
}

impl std::fmt::Debug for AccountStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountStore")
            .field("path", &self.path)
            .field("keychain", &self.keychain)
            .field("accounts", &self.file.accounts.len())
            .finish()
    }
}

impl AccountStore {
    /// The user's account list in the platform config directory, its snapshots in the
    /// platform cache directory. `keychain` decides where keys of new accounts go.
    pub fn open(keychain: Keychain) -> Result<AccountStore> {
        let store = AccountStore::open_in(config_dir()?, keychain)?;
        Ok(store.with_cache(Cache::open()?))
    }

    /// The account list in `dir/accounts.json` (no cache unless `with_cache`).
    pub fn open_in(dir: impl Into<PathBuf>, keychain: Keychain) -> Result<AccountStore> {
        let path = dir.into().join(FILE_NAME);
        let file = read_file(&path)?;
        Ok(AccountStore { path, keychain, cache: None, file })
    }

    /// The cache whose snapshot of an account goes when the account is removed.
    pub fn with_cache(mut self, cache: Cache) -> AccountStore {
        self.cache = Some(cache);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// Re-reads the file (another process may have changed it).
    pub fn reload(&mut self) -> Result<()> {
        self.file = read_file(&self.path)?;
        Ok(())
    }

    /// Every account, in switcher order.
    pub fn accounts(&self) -> &[SavedAccount] {
        &self.file.accounts
    }

    pub fn active(&self) -> Option<&SavedAccount> {
        let id = self.file.active.as_deref()?;
        self.file.accounts.iter().find(|a| a.id == id)
    }

    pub fn get(&self, id: &str) -> Result<&SavedAccount> {
        self.file
            .accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::UnknownAccount(id.to_string()))
    }

    /// The account a user means by `query` (the CLI's `--account NAME|ID`): its id, the
    /// server's account id, its label or its account name (case-insensitive), in that order
    /// of precedence; the first in switcher order wins a tie.
    pub fn find(&self, query: &str) -> Result<&SavedAccount> {
        let q = query.trim();
        let lower = q.to_lowercase();
        let accounts = &self.file.accounts;
        accounts
            .iter()
            .find(|a| a.id == q)
            .or_else(|| accounts.iter().find(|a| a.account_id == q))
            .or_else(|| accounts.iter().find(|a| a.label.to_lowercase() == lower))
            .or_else(|| accounts.iter().find(|a| a.account_name.to_lowercase() == lower))
            .ok_or_else(|| Error::UnknownAccount(q.to_string()))
    }

    /// Verifies `key` with `GET /v1/me`, then saves it in the keychain and the account in
    /// the list. Nothing is stored when any step fails: the error is the client's (`BadKey`,
    /// `Unreachable`, `InsecureUrl`, ...) or the keychain's. Adding the same (server, account)
    /// again replaces its key (whosever it is) and refreshes its details; label and colour
    /// change only when given. The first account added becomes the active one.
    ///
    /// Blocks on the keychain for up to its timeout (twice that when replacing a key). A
    /// front end that keeps the store behind a lock can run `VerifiedKey::check` outside the
    /// lock and then `add_verified` inside it.
    pub async fn add(
        &mut self,
        http: &Http,
        server: &str,
        key: ApiKey,
        label: Option<&str>,
        colour: Option<&str>,
    ) -> Result<Added> {
        // Refuse bad input before any network call.
        let label = label.map(clean_label).transpose()?;
        let colour = colour.map(clean_colour).transpose()?;
        let verified = VerifiedKey::check(http, server, key).await?;
        self.save_verified(verified, label.as_deref(), colour.as_deref())
    }

    /// The second half of `add`, for a key already verified.
    pub fn add_verified(
        &mut self,
        verified: VerifiedKey,
        label: Option<&str>,
        colour: Option<&str>,
    ) -> Result<Added> {
        let label = label.map(clean_label).transpose()?;
        let colour = colour.map(clean_colour).transpose()?;
        self.save_verified(verified, label.as_deref(), colour.as_deref())
    }

    fn save_verified(
        &mut self,
        v: VerifiedKey,
        label: Option<&str>,
        colour: Option<&str>,
    ) -> Result<Added> {
        let mut file = read_file(&self.path)?;
        let me = &v.me;
        let existing = file
            .accounts
            .iter()
            .position(|a| a.server == v.server && a.account_id == me.account.id);
        let store = self.keychain.store().clone();
        let role_name =
            me.policy.role(&me.role).map(|r| r.name.clone()).unwrap_or_else(|| me.role.clone());
        let mut account = match existing {
            Some(i) => file.accounts[i].clone(),
            None => SavedAccount {
                id: new_local_id(&file.accounts, &me.account.id),
                label: String::new(),
                server: v.server.clone(),
                account_id: me.account.id.clone(),
                account_name: String::new(),
                preset: String::new(),
                user_email: String::new(),
                user_name: String::new(),
                role: String::new(),
                role_name: String::new(),
                colour: next_colour(&file.accounts),
                order: file.accounts.iter().map(|a| a.order + 1).max().unwrap_or(0),
                key_store: store.clone(),
                added_at: Utc::now(),
            },
        };
        let old_store = account.key_store.clone();
        account.account_name = me.account.name.clone();
        account.preset = me.account.preset.clone();
        account.user_email = me.user.email.clone();
        account.user_name = me.user.name.clone();
        account.role = me.role.clone();
        account.role_name = role_name;
        account.key_store = store.clone();
        if let Some(l) = label {
            account.label = l.to_string();
        } else if account.label.is_empty() {
            account.label = clean_label(&me.account.name).unwrap_or_else(|_| me.account.id.clone());
        }
        if let Some(c) = colour {
            account.colour = c.to_string();
        }

        let entry = account.key_entry();
        // The key being replaced, put back if the file cannot be written. A new account has
        // none worth keeping (at most an orphan of an account no longer listed).
        let previous =
            if existing.is_some() { self.read_if_present(&store, &entry)? } else { None };
        self.keychain.set(&store, &entry, &v.key)?;

        match existing {
            Some(i) => file.accounts[i] = account.clone(),
            None => file.accounts.push(account.clone()),
        }
        if file.active.as_deref().is_none_or(|id| !file.accounts.iter().any(|a| a.id == id)) {
            file.active = Some(account.id.clone());
        }
        if let Err(e) = write_file(&self.path, &file) {
            self.undo_key_write(&store, &entry, previous);
            return Err(e);
        }
        if existing.is_some() && old_store != store {
            // The key moved stores; the old copy is not needed (best effort: the new one is
            // saved and recorded).
            if let Err(e) = self.keychain.delete(&old_store, &entry) {
                tracing::warn!(account = %account.id, error = %e, "could not delete the key from its previous store");
            }
        }
        self.file = file;
        Ok(Added { account, updated: existing.is_some() })
    }

    /// Removes the account: its key from its store, its cached snapshot, its entry in the
    /// list. If it was active, the next account in order becomes active. When the keychain
    /// cannot be reached the account stays, so its key is never left behind unlisted.
    pub fn remove(&mut self, id: &str) -> Result<SavedAccount> {
        let mut file = read_file(&self.path)?;
        let index = file
            .accounts
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| Error::UnknownAccount(id.to_string()))?;
        let account = file.accounts.remove(index);
        let entry = account.key_entry();
        let previous = self.read_if_present(&account.key_store, &entry)?;
        if previous.is_some() {
            self.keychain.delete(&account.key_store, &entry)?;
        }
        renumber(&mut file.accounts);
        if file.active.as_deref() == Some(id) {
            file.active = file.accounts.first().map(|a| a.id.clone());
        }
        if let Err(e) = write_file(&self.path, &file) {
            if let Some(key) = previous {
                self.undo_key_write(&account.key_store, &entry, Some(key));
            }
            return Err(e);
        }
        if let Some(cache) = &self.cache
            && let Err(e) = cache.remove(&account.id)
        {
            tracing::warn!(account = %account.id, error = %e, "could not delete the cached snapshot");
        }
        self.file = file;
        Ok(account)
    }

    /// Makes `id` the active account, after checking its key can be read (keychain reachable,
    /// unlocked, entry present). On any failure the active account does not change and the
    /// error says why (`KeyMissing`, `KeychainLocked`, `KeychainUnavailable`, `Storage`).
    pub fn switch(&mut self, id: &str) -> Result<&SavedAccount> {
        let mut file = read_file(&self.path)?;
        let account = file
            .accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::UnknownAccount(id.to_string()))?;
        self.keychain.probe(&account.key_store, &account.key_entry())?;
        file.active = Some(id.to_string());
        write_file(&self.path, &file)?;
        self.file = file;
        self.get(id)
    }

    pub fn rename(&mut self, id: &str, label: &str) -> Result<&SavedAccount> {
        let label = clean_label(label)?;
        self.change(id, |a| a.label = label)
    }

    /// `colour` as `#rrggbb`.
    pub fn recolour(&mut self, id: &str, colour: &str) -> Result<&SavedAccount> {
        let colour = clean_colour(colour)?;
        self.change(id, |a| a.colour = colour)
    }

    /// Puts the accounts in `ids` first, in that order; the others follow in their current
    /// order. Unknown ids are refused.
    pub fn reorder(&mut self, ids: &[&str]) -> Result<()> {
        let mut file = read_file(&self.path)?;
        if let Some(unknown) = ids.iter().find(|id| !file.accounts.iter().any(|a| a.id == **id)) {
            return Err(Error::UnknownAccount(unknown.to_string()));
        }
        let rank = |a: &SavedAccount| ids.iter().position(|id| *id == a.id).unwrap_or(ids.len());
        file.accounts.sort_by_key(|a| (rank(a), a.order));
        renumber(&mut file.accounts);
        write_file(&self.path, &file)?;
        self.file = file;
        Ok(())
    }

    /// The key of `id`, from wherever it is kept.
    pub fn key(&self, id: &str) -> Result<ApiKey> {
        let account = self.get(id)?;
        self.keychain.get(&account.key_store, &account.key_entry())
    }

    /// A client for `id` (reads its key).
    pub fn client(&self, id: &str, http: &Http) -> Result<TeamClient> {
        let account = self.get(id)?;
        TeamClient::new(http, &account.server, self.key(id)?)
    }

    /// Where each account's key lives and whether it can be read, in switcher order.
    pub fn doctor(&self) -> Vec<KeyReport> {
        self.file.accounts.iter().map(|a| self.report(a)).collect()
    }

    /// The doctor report of one account.
    pub fn doctor_one(&self, id: &str) -> Result<KeyReport> {
        Ok(self.report(self.get(id)?))
    }

    fn report(&self, account: &SavedAccount) -> KeyReport {
        let entry = account.key_entry();
        let location = match &account.key_store {
            KeyStore::Os { service } => format!(
                "{}, service \"{service}\", user \"{}\"",
                account.key_store.describe(),
                entry.user()
            ),
            KeyStore::File { .. } => {
                format!("{}, entry \"{}\"", account.key_store.describe(), entry.user())
            }
            KeyStore::Memory => account.key_store.describe(),
        };
        let (state, masked_key, problem) = match self.keychain.probe(&account.key_store, &entry) {
            Ok(masked) => (KeyState::Present, Some(masked), None),
            Err(e) => {
                let state = match e.code() {
                    ErrorCode::KeyMissing => KeyState::Missing,
                    ErrorCode::KeychainLocked => KeyState::Locked,
                    ErrorCode::KeychainUnavailable => KeyState::Unavailable,
                    _ => KeyState::Unreadable,
                };
                (state, None, Some(e.to_string()))
            }
        };
        KeyReport {
            account: account.id.clone(),
            label: account.label.clone(),
            store: account.key_store.clone(),
            location,
            plain_text: account.key_store.is_plain_text(),
            state,
            masked_key,
            problem,
        }
    }

    fn change(&mut self, id: &str, edit: impl FnOnce(&mut SavedAccount)) -> Result<&SavedAccount> {
        let mut file = read_file(&self.path)?;
        let account = file
            .accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::UnknownAccount(id.to_string()))?;
        edit(account);
        write_file(&self.path, &file)?;
        self.file = file;
        self.get(id)
    }

    /// The key now in `store`, `None` when there is none; other failures stop the caller.
    fn read_if_present(&self, store: &KeyStore, entry: &KeyEntry) -> Result<Option<ApiKey>> {
        match self.keychain.get(store, entry) {
            Ok(key) => Ok(Some(key)),
            Err(e) if e.code() == ErrorCode::KeyMissing => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn undo_key_write(&self, store: &KeyStore, entry: &KeyEntry, previous: Option<ApiKey>) {
        let undone = match &previous {
            Some(key) => self.keychain.set(store, entry, key),
            None => self.keychain.delete(store, entry).map(|_| ()),
        };
        if let Err(e) = undone {
            tracing::error!(entry = entry.user(), error = %e, "could not undo a keychain change after the account file failed to save");
        }
    }
}

fn read_file(path: &Path) -> Result<AccountsFile> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(AccountsFile { version: FILE_VERSION, ..Default::default() });
        }
        Err(e) => return Err(Error::storage("read", path, e)),
    };
    let file: AccountsFile = serde_json::from_slice(&bytes).map_err(|e| {
        Error::storage(
            "read",
            path,
            format!("{e}. The account list is damaged: fix or delete the file and add your accounts again (their keys stay in the keychain)"),
        )
    })?;
    if file.version > FILE_VERSION {
        return Err(Error::storage(
            "read",
            path,
            "it was written by a newer version of Roster; update Roster",
        ));
    }
    let mut file = file;
    file.accounts.sort_by_key(|a| a.order);
    Ok(file)
}

fn write_file(path: &Path, file: &AccountsFile) -> Result<()> {
    let out = AccountsFile {
        version: FILE_VERSION,
        active: file.active.clone(),
        accounts: file.accounts.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&out).map_err(|e| Error::storage("write", path, e))?;
    write_private_file(path, &bytes)
}

fn renumber(accounts: &mut [SavedAccount]) {
    for (i, a) in accounts.iter_mut().enumerate() {
        a.order = i as u32;
    }
}

/// The server's account id when it makes a plain, unused handle; otherwise a derived one.
/// Handles name cache files, so they never hold path characters.
fn new_local_id(accounts: &[SavedAccount], account_id: &str) -> String {
    let base = storage::file_name_for(account_id);
    let taken = |id: &str| accounts.iter().any(|a| a.id == id);
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).expect("some suffix is free")
}

fn next_colour(accounts: &[SavedAccount]) -> String {
    PALETTE
        .iter()
        .find(|c| !accounts.iter().any(|a| a.colour.eq_ignore_ascii_case(c)))
        .unwrap_or(&PALETTE[accounts.len() % PALETTE.len()])
        .to_string()
}

fn clean_label(label: &str) -> Result<String> {
    let label: String = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        return Err(invalid(
            "label",
            "The label is empty: give the account a name you will recognise.",
        ));
    }
    if label.chars().count() > 80 {
        return Err(invalid("label", "The label is longer than 80 characters: shorten it."));
    }
    Ok(label)
}

fn clean_colour(colour: &str) -> Result<String> {
    let c = colour.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if !ok {
        return Err(invalid(
            "colour",
            &format!("\"{c}\" is not a colour: use #rrggbb, e.g. {}.", PALETTE[0]),
        ));
    }
    Ok(c.to_ascii_lowercase())
}

fn invalid(field: &str, detail: &str) -> Error {
    Error::Invalid { field: field.to_string(), message: detail.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_colours_are_cleaned_or_refused() {
        assert_eq!(clean_label("  Acme \n Corp ").unwrap(), "Acme Corp");
        assert_eq!(clean_label(" ").unwrap_err().code(), ErrorCode::Invalid);
        assert_eq!(clean_colour("#AABBCC").unwrap(), "#aabbcc");
        for bad in ["red", "#abc", "#gggggg", "aabbcc1"] {
            assert_eq!(clean_colour(bad).unwrap_err().code(), ErrorCode::Invalid, "{bad}");
        }
    }

    #[test]
    fn local_ids_are_plain_and_unique() {
        assert_eq!(new_local_id(&[], "acc_123"), "acc_123");
        let odd = new_local_id(&[], "../../etc/passwd");
        assert!(odd.starts_with("account-") && !odd.contains('/'), "{odd}");
    }
}
