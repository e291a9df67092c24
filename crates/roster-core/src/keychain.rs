//! Where API keys live. Normally the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) through `keyring` 4; a plain-text file only when the user
//! opts into it; process memory only when a front end asks for it explicitly (the desktop
//! demo with no keychain says so). Nothing ever falls back from one store to another.
//!
//! Every OS keychain call runs on its own thread with a deadline: a keychain that waits on an
//! unlock prompt nobody answers must not freeze the app. A call that missed its deadline may
//! still finish later (the prompt gets answered); until it does, further calls fail at once
//! instead of queueing behind it (the Secret Service store serialises its calls on one lock).
//!
//! The desktop app and the CLI find the same entry for an account: service `roster`, user
//! `<account id>@<server URL>` (`KeyEntry::new`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::secret::ApiKey;

/// Service name of Roster's keychain entries, shared by the desktop app and the CLI.
pub const DEFAULT_SERVICE: &str = "roster";
/// How long one keychain call may take before the caller gets an error instead.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The user's explicit opt-in to the plain-text key file: its path (`Keychain::from_env`).
pub const KEY_FILE_ENV: &str = "ROSTER_KEY_FILE";

/// Which store holds an account's key. Recorded with each account, so a key is always looked
/// up where it was put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyStore {
    /// The OS keychain, under this service name.
    Os { service: String },
    /// A plain-text file the user opted into (permission 0600).
    File { path: PathBuf },
    /// Process memory: gone when the process ends.
    Memory,
}

impl KeyStore {
    pub fn os() -> KeyStore {
        KeyStore::Os { service: DEFAULT_SERVICE.to_string() }
    }

    /// Keys written in plain text on disk (the opt-in file store).
    pub fn is_plain_text(&self) -> bool {
        matches!(self, KeyStore::File { .. })
    }

    /// Where keys of this store live, in words for a settings or doctor view.
    pub fn describe(&self) -> String {
        match self {
            KeyStore::Os { .. } => os_keychain_name().to_string(),
            KeyStore::File { path } => format!("file (plain text, opt-in): {}", path.display()),
            KeyStore::Memory => {
                "memory only (this session; forgotten when Roster quits)".to_string()
            }
        }
    }
}

/// The name of one account's key in a store: the same for every Roster front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    user: String,
    /// How messages and the keychain's own UI name the account.
    name: String,
}

impl KeyEntry {
    /// The entry of account `account_id` on `server` (the server URL is normalised the way
    /// `client::server_url` does, so `http://host/` and `http://host` are one entry).
    pub fn new(server: &str, account_id: &str) -> KeyEntry {
        let server = match crate::client::server_url(server) {
            Ok(url) => url.as_str().trim_end_matches('/').to_string(),
            Err(_) => server.trim().trim_end_matches('/').to_string(),
        };
        let user = format!("{account_id}@{server}");
        KeyEntry { name: user.clone(), user }
    }

    /// Names the account in messages ("the key of Acme Corp").
    pub fn named(mut self, name: impl Into<String>) -> KeyEntry {
        self.name = name.into();
        self
    }

    /// The keychain's user (Secret Service attribute `username`).
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Access to every key store, and the store new keys go to.
#[derive(Clone)]
pub struct Keychain {
    new_keys: KeyStore,
    timeout: Duration,
    memory: Arc<Mutex<HashMap<String, ApiKey>>>,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("new_keys", &self.new_keys)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Keychain {
    /// New keys go to the OS keychain under service `roster`.
    pub fn os() -> Keychain {
        Keychain::with_store(KeyStore::os())
    }

    /// What the user chose: the plain-text key file when `ROSTER_KEY_FILE` names one (the
    /// one opt-in both front ends honour), else the OS keychain. Never picks the file by
    /// itself when the keychain fails.
    pub fn from_env() -> Keychain {
        match std::env::var_os(KEY_FILE_ENV).filter(|p| !p.is_empty()) {
            Some(path) => Keychain::file(path),
            None => Keychain::os(),
        }
    }

    /// New keys go to a plain-text file: only when the user asked for it.
    pub fn file(path: impl Into<PathBuf>) -> Keychain {
        Keychain::with_store(KeyStore::File { path: path.into() })
    }

    /// New keys stay in this process's memory: only when the user (or a demo) asked for it.
    pub fn memory() -> Keychain {
        Keychain::with_store(KeyStore::Memory)
    }

    pub fn with_store(new_keys: KeyStore) -> Keychain {
        Keychain { new_keys, timeout: DEFAULT_TIMEOUT, memory: Arc::default() }
    }

    /// Another OS keychain service name (the desktop demo uses `roster-demo`). No effect on
    /// the file and memory stores.
    pub fn with_service(mut self, service: impl Into<String>) -> Keychain {
        if let KeyStore::Os { service: s } = &mut self.new_keys {
            *s = service.into();
        }
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Keychain {
        self.timeout = timeout;
        self
    }

    /// Where keys of newly added accounts go.
    pub fn store(&self) -> &KeyStore {
        &self.new_keys
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The key of `entry` in `store`.
    pub fn get(&self, store: &KeyStore, entry: &KeyEntry) -> Result<ApiKey> {
        match store {
            KeyStore::Os { service } => {
                let (service, user) = (service.clone(), entry.user.clone());
                let got = self.os_call(move || os_entry(&service, &user, None)?.get_password())?;
                match got {
                    Ok(key) => Ok(ApiKey::from(key)),
                    Err(e) => Err(os_error(e, store, entry, "read")),
                }
            }
            KeyStore::File { path } => {
                let file = KeyFile::read(path)?;
                file.keys
                    .get(&file_key(entry))
                    .map(|k| ApiKey::from(k.clone()))
                    .ok_or_else(|| missing(store, entry))
            }
            KeyStore::Memory => self
                .memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&entry.user)
                .cloned()
                .ok_or_else(|| missing(store, entry)),
        }
    }

    /// Stores (or replaces) the key of `entry` in `store`.
    pub fn set(&self, store: &KeyStore, entry: &KeyEntry, key: &ApiKey) -> Result<()> {
        match store {
            KeyStore::Os { service } => {
                let (service, user, label, secret) =
                    (service.clone(), entry.user.clone(), entry_label(service, entry), key.clone());
                let done = self.os_call(move || {
                    os_entry(&service, &user, Some(&label))?.set_password(secret.expose())
                })?;
                done.map_err(|e| os_error(e, store, entry, "save"))
            }
            KeyStore::File { path } => {
                let _guard = FILE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
                let mut file = KeyFile::read(path)?;
                file.keys.insert(file_key(entry), key.expose().clone());
                file.write(path)
            }
            KeyStore::Memory => {
                self.memory
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(entry.user.clone(), key.clone());
                Ok(())
            }
        }
    }

    /// Deletes the key of `entry`; `Ok(false)` when there was none.
    pub fn delete(&self, store: &KeyStore, entry: &KeyEntry) -> Result<bool> {
        match store {
            KeyStore::Os { service } => {
                let (service, user) = (service.clone(), entry.user.clone());
                let done =
                    self.os_call(move || os_entry(&service, &user, None)?.delete_credential())?;
                match done {
                    Ok(()) => Ok(true),
                    Err(keyring::Error::NoEntry) => Ok(false),
                    Err(e) => Err(os_error(e, store, entry, "delete")),
                }
            }
            KeyStore::File { path } => {
                let _guard = FILE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
                let mut file = KeyFile::read(path)?;
                if file.keys.remove(&file_key(entry)).is_none() {
                    return Ok(false);
                }
                file.write(path)?;
                Ok(true)
            }
            KeyStore::Memory => Ok(self
                .memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&entry.user)
                .is_some()),
        }
    }

    /// Whether the key of `entry` is present and readable: its masked form if so, else the
    /// error that says why not (`KeyMissing`, `KeychainLocked`, `KeychainUnavailable`).
    pub fn probe(&self, store: &KeyStore, entry: &KeyEntry) -> Result<String> {
        self.get(store, entry).map(|k| k.masked())
    }

    /// Whether `store` can be reached at all (a read of an entry that does not exist).
    pub fn check(&self, store: &KeyStore) -> Result<()> {
        let probe = KeyEntry::new("https://roster.invalid", "roster-keychain-check");
        match self.get(store, &probe) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == ErrorCode::KeyMissing => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs one OS keychain call on its own thread, waiting at most `self.timeout`.
    fn os_call<T: Send + 'static>(&self, call: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        const RUNNING: u8 = 0;
        const DONE: u8 = 1;
        const ABANDONED: u8 = 2;
        if STUCK_CALLS.load(Ordering::SeqCst) > 0 {
            return Err(Error::Keychain {
                code: ErrorCode::KeychainUnavailable,
                message: still_waiting_message(),
            });
        }
        let state = Arc::new(AtomicU8::new(RUNNING));
        let (tx, rx) = mpsc::sync_channel(1);
        let thread_state = state.clone();
        std::thread::Builder::new()
            .name("roster-keychain".into())
            .spawn(move || {
                let out = call();
                let _ = tx.send(out);
                if thread_state.swap(DONE, Ordering::SeqCst) == ABANDONED {
                    STUCK_CALLS.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .map_err(|e| Error::Keychain {
                code: ErrorCode::KeychainUnavailable,
                message: format!("Could not start a keychain request: {e}. Retry."),
            })?;
        match rx.recv_timeout(self.timeout) {
            Ok(out) => Ok(out),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Keychain {
                code: ErrorCode::KeychainUnavailable,
                message: "The keychain request failed unexpectedly. Retry.".into(),
            }),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                STUCK_CALLS.fetch_add(1, Ordering::SeqCst);
                if state.swap(ABANDONED, Ordering::SeqCst) == DONE {
                    // It finished just as the deadline passed: not stuck after all.
                    STUCK_CALLS.fetch_sub(1, Ordering::SeqCst);
                    if let Ok(out) = rx.try_recv() {
                        return Ok(out);
                    }
                }
                tracing::warn!(seconds = self.timeout.as_secs_f32(), "keychain call timed out");
                Err(Error::Keychain {
                    code: ErrorCode::KeychainUnavailable,
                    message: timeout_message(self.timeout),
                })
            }
        }
    }
}

/// OS keychain calls that missed their deadline and have not finished yet.
static STUCK_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Serialises read-modify-write of key files within the process.
static FILE_LOCK: Mutex<()> = Mutex::new(());

fn os_entry(service: &str, user: &str, label: Option<&str>) -> keyring::Result<keyring::Entry> {
    // The first call picks the platform store once per process (keyring 4 keeps the result,
    // failure included, for the life of the process); `os_error` reports why it failed.
    if keyring::Entry::store_status().is_err() {
        return Err(keyring::Error::NoDefaultStore);
    }
    #[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
    if let Some(label) = label {
        // The Secret Service shows this label in Seahorse / KWallet instead of the default
        // "keyring:user@service". It applies when the item is created.
        let mods = HashMap::from([("label", label)]);
        return keyring_core::Entry::new_with_modifiers(service, user, &mods)
            .map(|inner| keyring::Entry { inner });
    }
    let _ = label;
    keyring::Entry::new(service, user)
}

fn entry_label(service: &str, entry: &KeyEntry) -> String {
    let app = if service == DEFAULT_SERVICE {
        "Roster".to_string()
    } else {
        format!("Roster ({service})")
    };
    format!("{app} API key: {}", entry.name)
}

fn os_keychain_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "system keychain (Secret Service)"
    }
}

fn unavailable_hint() -> &'static str {
    if cfg!(target_os = "macos") || cfg!(windows) {
        "Check that you are logged in to a normal desktop session, then restart Roster"
    } else {
        "A keychain such as GNOME Keyring or KWallet must be running in your desktop session (Secret Service on D-Bus): start it, then restart Roster"
    }
}

fn unlock_hint(store: &KeyStore) -> String {
    if cfg!(target_os = "macos") {
        "Unlock the login keychain in Keychain Access (or log in again), then retry.".to_string()
    } else if cfg!(windows) {
        "Log in to Windows again, then retry.".to_string()
    } else {
        let service = match store {
            KeyStore::Os { service } => service.as_str(),
            _ => DEFAULT_SERVICE,
        };
        format!(
            "Unlock it and retry: log out and in again, unlock the \"Login\" keyring in Passwords and Keys (Seahorse) or KWallet, or run `secret-tool search --unlock service {service}`."
        )
    }
}

const FILE_STORE_HINT: &str = "or opt into keeping keys in a plain-text file instead (less safe) by setting ROSTER_KEY_FILE to its path";

fn timeout_message(timeout: Duration) -> String {
    format!(
        "The keychain did not answer within {} s. It may be waiting for you to unlock it: answer the unlock prompt, then retry. If no prompt shows, the keychain is not working: {}, {FILE_STORE_HINT}.",
        timeout.as_secs_f32(),
        lowercase_first(unavailable_hint())
    )
}

fn still_waiting_message() -> String {
    "The keychain has still not answered an earlier request (probably an unlock prompt is waiting). Answer or dismiss the prompt, then retry; if no prompt shows, restart Roster.".to_string()
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn missing(store: &KeyStore, entry: &KeyEntry) -> Error {
    let place = match store {
        KeyStore::Os { .. } => format!("the {}", os_keychain_name()),
        KeyStore::File { path } => format!("the key file {}", path.display()),
        KeyStore::Memory => {
            "memory (keys kept only in memory are forgotten when Roster quits)".to_string()
        }
    };
    Error::Keychain {
        code: ErrorCode::KeyMissing,
        message: format!(
            "The API key of {} is not in {place}: it was deleted outside Roster or never saved. Enter the key for this account again.",
            entry.name
        ),
    }
}

/// Maps a keyring failure to the typed error that says what to do. No key is ever in it.
fn os_error(e: keyring::Error, store: &KeyStore, entry: &KeyEntry, action: &str) -> Error {
    use keyring::Error as K;
    let done = match action {
        "read" => "read",
        "save" => "saved",
        "delete" => "deleted",
        other => other,
    };
    let (code, message) = match e {
        K::NoEntry => return missing(store, entry),
        K::NoStorageAccess(cause) => (
            ErrorCode::KeychainLocked,
            format!(
                "The keychain is locked or refused access, so the API key of {} could not be {done} ({cause}). {}",
                entry.name,
                unlock_hint(store)
            ),
        ),
        K::NoDefaultStore => {
            let cause = match keyring::Entry::store_status() {
                Err(K::NoDefaultStore) | Ok(()) => "no keychain store could be opened".to_string(),
                Err(inner) => inner.to_string(),
            };
            (
                ErrorCode::KeychainUnavailable,
                format!(
                    "No keychain is reachable, so the API key of {} could not be {done} ({cause}). {}, {FILE_STORE_HINT}.",
                    entry.name,
                    unavailable_hint()
                ),
            )
        }
        K::PlatformFailure(cause) => (
            ErrorCode::KeychainUnavailable,
            format!(
                "The keychain failed to {action} the API key of {} ({cause}). {}, {FILE_STORE_HINT}.",
                entry.name,
                unavailable_hint()
            ),
        ),
        K::BadEncoding(_) | K::BadDataFormat(..) => (
            ErrorCode::KeyMissing,
            format!(
                "The keychain entry of {} does not hold a readable key. Enter the key for this account again.",
                entry.name
            ),
        ),
        K::Ambiguous(entries) => (
            ErrorCode::KeychainLocked,
            format!(
                "The keychain holds {} entries for {} (user \"{}\"). Delete the extra ones (e.g. in Seahorse), then retry.",
                entries.len(),
                entry.name,
                entry.user
            ),
        ),
        other => (
            ErrorCode::KeychainUnavailable,
            format!(
                "The keychain could not {action} the API key of {}: {other}. Retry; if it persists, restart the keychain.",
                entry.name
            ),
        ),
    };
    Error::Keychain { code, message }
}

/// The opt-in plain-text key file: `{"version": 1, "keys": {"<user>": "<key>"}}`.
#[derive(Default, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    keys: std::collections::BTreeMap<String, String>,
}

fn file_key(entry: &KeyEntry) -> String {
    entry.user.clone()
}

impl KeyFile {
    fn read(path: &Path) -> Result<KeyFile> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::storage(
                    "read the key file",
                    path,
                    format!("{e}; it is damaged: delete it and enter your keys again"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(KeyFile { version: 1, keys: Default::default() })
            }
            Err(e) => Err(Error::storage("read the key file", path, e)),
        }
    }

    fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&KeyFile { version: 1, keys: self.keys.clone() })
            .expect("a map of strings serialises");
        crate::storage::write_private_file(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_one_account_match_across_url_spellings() {
        let a = KeyEntry::new("http://127.0.0.1:8080/", "acc_1");
        let b = KeyEntry::new("  http://127.0.0.1:8080 ", "acc_1");
        assert_eq!(a.user(), "acc_1@http://127.0.0.1:8080");
        assert_eq!(a, b);
        assert_ne!(a, KeyEntry::new("http://127.0.0.1:8081", "acc_1"));
    }

    #[test]
    fn memory_store_round_trip_and_missing_key_says_what_to_do() {
        let chain = Keychain::memory();
        let entry = KeyEntry::new("https://api.example.com", "acc_9").named("Acme");
        let err = chain.get(&KeyStore::Memory, &entry).unwrap_err();
        assert_eq!(err.code(), ErrorCode::KeyMissing);
        assert!(err.to_string().contains("Enter the key"), "{err}");
        chain
            .set(&KeyStore::Memory, &entry, &ApiKey::from("rst_memory_key_123456".to_string()))
            .unwrap();
        assert_eq!(chain.get(&KeyStore::Memory, &entry).unwrap().expose(), "rst_memory_key_123456");
        assert_eq!(chain.probe(&KeyStore::Memory, &entry).unwrap(), "rst_me…3456");
        assert!(chain.delete(&KeyStore::Memory, &entry).unwrap());
        assert!(!chain.delete(&KeyStore::Memory, &entry).unwrap());
    }

    #[test]
    fn describing_a_file_store_says_plain_text_opt_in() {
        let store = KeyStore::File { path: "/tmp/k.json".into() };
        assert!(store.describe().starts_with("file (plain text, opt-in)"));
        assert!(store.is_plain_text());
        assert!(!KeyStore::os().is_plain_text());
    }

    #[test]
    fn key_store_is_recorded_as_tagged_json() {
        let json = serde_json::to_string(&KeyStore::os()).unwrap();
        assert_eq!(json, r#"{"kind":"os","service":"roster"}"#);
        assert_eq!(
            serde_json::from_str::<KeyStore>(r#"{"kind":"memory"}"#).unwrap(),
            KeyStore::Memory
        );
    }
}
