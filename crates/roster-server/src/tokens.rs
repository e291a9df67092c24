//! Link tokens at rest. The database never holds an invite's token in the clear: it keeps a
//! SHA-256 of it (what a link is looked up by) and the token sealed with this server's key
//! (XChaCha20-Poly1305), so a manager can copy a pending invite's link again. Mails in the
//! outbox keep their token sealed the same way, with a placeholder in the stored text.
//!
//! The key is 32 random bytes in a file beside the database (`<database>.key`, mode 0600),
//! made on first start and never written into the database: a copy or backup of the database
//! alone redeems no link. Back the key up apart from the database; without it, pending links
//! can no longer be copied again (they still work, and new invites work).

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::db;

/// Bound into every sealed token: a sealed value of anything else does not open as one.
const PURPOSE: &[u8] = b"roster link token v1";
/// What a mail's stored text holds where its token goes (`render` puts the token back).
pub const PLACEHOLDER: &str = "{{roster:sealed-token}}";

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The key of the database at `db_path`, made (0600) when there is none yet.
    pub fn for_database(db_path: &Path) -> anyhow::Result<Sealer> {
        let path = key_path(db_path);
        let key = match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => bytes,
            Ok(bytes) => anyhow::bail!(
                "{} is {} bytes, not a 32-byte token key; restore it from a backup, or delete it to make a new one (pending invites' links then cannot be copied again)",
                path.display(),
                bytes.len()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new_key(&path)?,
            Err(e) => anyhow::bail!("cannot read the token key {}: {e}", path.display()),
        };
        Ok(Sealer { cipher: XChaCha20Poly1305::new(Key::from_slice(&key)) })
    }

    /// `nonce || ciphertext` of `token`.
    pub fn seal(&self, token: &str) -> Vec<u8> {
        let nonce = db::random_bytes::<24>();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: token.as_bytes(), aad: PURPOSE })
            .expect("sealing a short token cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The token `seal` made, or `None` for anything it did not make with this key.
    pub fn open(&self, sealed: &[u8]) -> Option<String> {
        let (nonce, ciphertext) = sealed.split_at_checked(24)?;
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: PURPOSE })
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A new link token as the database keeps it: (its hash, the token sealed). The token itself
/// is shown only in links made from the sealed copy.
pub fn new_token(sealer: &Sealer) -> (Vec<u8>, Vec<u8>) {
    let token = db::new_secret("");
    (hash(&token), sealer.seal(&token))
}

/// What a link is looked up by: the token's SHA-256.
pub fn hash(token: &str) -> Vec<u8> {
    db::sha256(token)
}

fn key_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn write_new_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let key = db::random_bytes::<32>().to_vec();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create the token key {}: {e}", path.display()))?;
    file.write_all(&key)?;
    file.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_sealed_token_then_only_its_own_key_opens_it_and_the_text_never_shows() {
        let dir = tempfile::tempdir().unwrap();
        let one = Sealer::for_database(&dir.path().join("a.db")).unwrap();
        let other = Sealer::for_database(&dir.path().join("b.db")).unwrap();
        let token = "pT3x9qZfLr0Yw2mVb8Kc4Jd6Hs1Ga5Ne7Ui0Oy3RtQz";
        let sealed = one.seal(token);
        assert_eq!(one.open(&sealed).as_deref(), Some(token));
        assert_ne!(one.seal(token), sealed, "a fresh nonce every time");
        assert_eq!(other.open(&sealed), None, "another server's key opens nothing");
        assert!(!sealed.windows(8).any(|w| token.as_bytes().windows(8).any(|t| t == w)));
        let again = Sealer::for_database(&dir.path().join("a.db")).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some(token), "the key file is reused");
    }
}
