//! `Cache`: per account, the last snapshot of its team (me, roles, members, invites, recent
//! audit) as a versioned JSON file in the platform cache directory, with the time it was
//! saved, so switching accounts shows data at once while a refresh runs behind it.
//!
//! A cache is only ever a speed-up: a file of another version, of another account, or one
//! that does not parse reads as "no cache" and is deleted; nothing about it is an error the
//! user must act on. No secrets: invite links (bearer tokens to join the team) are stripped
//! before writing; to copy a link again the app fetches the invite.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use roster_api::{AuditEvent, Invite, Me, Member, Role};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};

pub use crate::storage::CACHE_DIR_ENV;
/// Bump when `Snapshot` changes shape or order; older files then read as "no cache".
/// 2: members in the window's default order (`roster_api::name_order`), so a cached view is
/// sent to the window as stored (`load_raw`).
pub const CACHE_VERSION: u32 = 2;

/// What the app shows for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub me: Me,
    pub roles: Vec<Role>,
    pub members: Vec<Member>,
    /// Without their `link`s.
    pub invites: Vec<Invite>,
    /// The most recent audit events.
    pub audit: Vec<AuditEvent>,
}

/// A snapshot read back, with when it was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached {
    pub snapshot: Snapshot,
    pub saved_at: DateTime<Utc>,
}

/// A snapshot's parts as the file holds them (JSON text, not parsed into structs), with when
/// it was saved.
#[derive(Debug)]
pub struct RawSnapshot {
    pub saved_at: DateTime<Utc>,
    pub me: Box<RawValue>,
    pub members: Box<RawValue>,
    pub invites: Box<RawValue>,
    pub audit: Box<RawValue>,
}

impl Cached {
    /// How old the data is ("updated 3 min ago"); never negative.
    pub fn age(&self) -> chrono::Duration {
        (Utc::now() - self.saved_at).max(chrono::Duration::zero())
    }
}

/// The snapshots of every account, one file each.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    account: &'a str,
    saved_at: DateTime<Utc>,
    snapshot: SnapshotOut<'a>,
}

/// Borrows the big lists instead of cloning them (10,000 members).
#[derive(Serialize)]
struct SnapshotOut<'a> {
    me: &'a Me,
    roles: &'a [Role],
    members: &'a [Member],
    invites: Vec<Invite>,
    audit: Vec<AuditEvent>,
}

#[derive(Deserialize)]
struct FileIn<S> {
    version: u32,
    account: String,
    saved_at: DateTime<Utc>,
    snapshot: S,
}

impl Cache {
    /// `$ROSTER_CACHE_DIR`, or `snapshots` in the platform cache directory
    /// (`~/.cache/roster/snapshots` on Linux).
    pub fn open() -> Result<Cache> {
        crate::storage::cache_dir().map(Cache::at)
    }

    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `account` (an `Account::id`).
    pub fn file_of(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{}.json", crate::storage::file_name_for(account)))
    }

    /// Saves the snapshot of `account` (invite links and any token-like audit detail
    /// stripped); returns the save time.
    pub fn save(&self, account: &str, snapshot: &Snapshot) -> Result<DateTime<Utc>> {
        let saved_at = Utc::now();
        let out = FileOut {
            version: CACHE_VERSION,
            account,
            saved_at,
            snapshot: SnapshotOut {
                me: &snapshot.me,
                roles: &snapshot.roles,
                members: &snapshot.members,
                invites: snapshot
                    .invites
                    .iter()
                    .map(|i| Invite { link: None, ..i.clone() })
                    .collect(),
                audit: snapshot.audit.iter().map(without_secrets).collect(),
            },
        };
        let path = self.file_of(account);
        let bytes = serde_json::to_vec(&out).map_err(|e| Error::storage("write", &path, e))?;
        crate::storage::write_private_file(&path, &bytes)?;
        Ok(saved_at)
    }

    /// The last snapshot of `account`, if there is a usable one.
    pub fn load(&self, account: &str) -> Option<Cached> {
        let f: FileIn<Snapshot> = self.read(account)?;
        Some(Cached { snapshot: f.snapshot, saved_at: f.saved_at })
    }

    /// The last snapshot of `account` as its file's own JSON text: a window shows it as it
    /// is, so 10,000 members are copied rather than parsed into structs and written out again
    /// (a large part of a switch from disk; see BENCHMARKS.md §2). The file's version vouches for its
    /// shape; a file that is not JSON reads as no cache, as with `load`.
    pub fn load_raw(&self, account: &str) -> Option<RawSnapshot> {
        #[derive(Deserialize)]
        struct Parts {
            me: Box<RawValue>,
            members: Box<RawValue>,
            invites: Box<RawValue>,
            audit: Box<RawValue>,
        }
        let f: FileIn<Parts> = self.read(account)?;
        let Parts { me, members, invites, audit } = f.snapshot;
        Some(RawSnapshot { saved_at: f.saved_at, me, members, invites, audit })
    }

    /// Reads and checks `account`'s file; an unusable one is deleted (it would only ever be
    /// skipped again).
    fn read<S: DeserializeOwned>(&self, account: &str) -> Option<FileIn<S>> {
        let path = self.file_of(account);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cache unreadable; ignoring it");
                return None;
            }
        };
        // Reading the whole file and parsing the slice is several times faster than parsing
        // from a reader.
        match serde_json::from_slice::<FileIn<S>>(&bytes) {
            Ok(f) if f.version == CACHE_VERSION && f.account == account => Some(f),
            outcome => {
                let why = match outcome {
                    Ok(f) if f.version != CACHE_VERSION => {
                        format!("version {} (this Roster writes {CACHE_VERSION})", f.version)
                    }
                    Ok(f) => format!("it belongs to account {}", f.account),
                    Err(e) => format!("it does not parse ({e})"),
                };
                tracing::info!(path = %path.display(), why, "dropping cached snapshot");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// The audit events of `account`'s last snapshot and when it was saved, without building
    /// its members: the live stream resumes from the newest event when the app starts, while
    /// the window reads the same file for its first screen, and skipping 10,000 members
    /// instead of building them keeps that from costing the start a second full parse.
    pub fn load_audit(&self, account: &str) -> Option<(DateTime<Utc>, Vec<AuditEvent>)> {
        #[derive(Deserialize)]
        struct AuditOnly {
            audit: Vec<AuditEvent>,
        }
        let f: FileIn<AuditOnly> = self.read(account)?;
        Some((f.saved_at, f.snapshot.audit))
    }

    /// Deletes the snapshot of `account` (no error when there is none).
    pub fn remove(&self, account: &str) -> Result<()> {
        let path = self.file_of(account);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::storage("delete", &path, e)),
        }
    }
}

/// Audit details are free-form; the server puts no links or tokens there today, but the cache
/// must not hold one should it ever do.
fn without_secrets(event: &AuditEvent) -> AuditEvent {
    let mut e = event.clone();
    e.details.retain(|k, _| !matches!(k.as_str(), "link" | "token" | "api_key"));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_never_escape_the_cache_dir() {
        let cache = Cache::at("/tmp/c");
        assert_eq!(cache.file_of("acc_1"), PathBuf::from("/tmp/c/acc_1.json"));
        for hostile in ["../x", "a/b", "", ".hidden", "a\\b"] {
            let f = cache.file_of(hostile);
            assert_eq!(f.parent(), Some(Path::new("/tmp/c")), "{hostile}");
            assert!(f.file_name().unwrap().to_str().unwrap().starts_with("account-"), "{hostile}");
        }
    }
}
