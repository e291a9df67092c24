//! Where Roster keeps files and how it writes them: the platform directories (or the
//! `ROSTER_CONFIG_DIR` / `ROSTER_CACHE_DIR` overrides), private files written whole (0600,
//! temp file + rename), and the one rule that turns an account id into a file name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "ROSTER_CONFIG_DIR";
/// Overrides the cache directory (tests, portable installs).
pub const CACHE_DIR_ENV: &str = "ROSTER_CACHE_DIR";

/// Longest account id used as a file name as it is; longer ones are hashed.
const PLAIN_NAME_MAX: usize = 64;

/// The platform config directory (`~/.config/roster` on Linux), or `$ROSTER_CONFIG_DIR`.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The snapshot cache: `$ROSTER_CACHE_DIR`, or `snapshots` in the platform cache directory
/// (`~/.cache/roster/snapshots` on Linux).
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    project_dirs().map(|d| d.cache_dir().join("snapshots"))
}

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "Roster", "Roster").ok_or_else(|| Error::Storage {
        action: "find",
        path: "your home directory".into(),
        reason: format!(
            "no home directory is known for this user; set {CONFIG_DIR_ENV} and {CACHE_DIR_ENV}"
        ),
    })
}

/// Writes `bytes` to `path` so that readers see the old or the new file, never a mix:
/// a temp file in the same directory (mode 0600 from its creation), flushed, renamed over.
/// Creates the directory (0700) when missing.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::storage("create the directory", dir, e))?;

    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.{:08x}.tmp", std::process::id(), rand::random::<u32>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::storage("write", path, e));
    }
    Ok(())
}

/// A file name for an account id: the id itself when it is plain (ASCII letters, digits,
/// `_ - .`, not hidden, at most 64 characters), else `account-<hash>`: never a path.
pub(crate) fn file_name_for(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= PLAIN_NAME_MAX
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain { id.to_string() } else { format!("account-{:016x}", fnv1a(id.as_bytes())) }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_hostile_or_long_ids_then_file_names_are_hashed_and_plain_ones_kept() {
        assert_eq!(file_name_for("acc_1"), "acc_1");
        assert_eq!(file_name_for(&"a".repeat(64)), "a".repeat(64));
        for hostile in ["../x", "a/b", "", ".hidden", "a\\b", &"a".repeat(65)] {
            let name = file_name_for(hostile);
            assert!(name.starts_with("account-") && name.len() == 24, "{hostile}: {name}");
        }
    }
}
