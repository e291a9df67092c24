//! Where new keys go and what the window's banner must say about it.

use std::sync::atomic::Ordering;

use roster_core::{KeyStore, Keychain, SavedAccount};

use crate::session::Inner;
use crate::views::{KeychainKind, KeychainStatus};

impl Inner {
    /// Runs on the blocking pool (it may ask the keychain whether it is reachable).
    pub(crate) fn keychain_status(
        &self,
        keychain: &Keychain,
        accounts: &[SavedAccount],
    ) -> KeychainStatus {
        let store = keychain.store();
        let kind = match store {
            KeyStore::Os { .. } => KeychainKind::Os,
            KeyStore::File { .. } => KeychainKind::File,
            KeyStore::Memory => KeychainKind::Memory,
        };
        // Keys saved while ROSTER_KEY_FILE was set stay in that file after it is unset (or
        // points elsewhere): their accounts are reported until the keys are re-entered.
        let left_in_files: Vec<&SavedAccount> = accounts
            .iter()
            .filter(|a| a.key_store.is_plain_text() && a.key_store != *store)
            .collect();
        let plain_text = store.is_plain_text() || !left_in_files.is_empty();
        let new_keys = match store {
            KeyStore::File { path } => Some(format!(
                "API keys are saved in plain text in {} because ROSTER_KEY_FILE is set. Unset it and re-enter the keys to keep them in the system keychain.",
                path.display()
            )),
            KeyStore::Memory => Some(
                "API keys are kept in memory only and are forgotten when Roster quits.".to_string(),
            ),
            KeyStore::Os { .. } if self.keychain_ok.load(Ordering::Relaxed) => None,
            KeyStore::Os { .. } => match keychain.check(store) {
                Ok(()) => {
                    self.keychain_ok.store(true, Ordering::Relaxed);
                    None
                }
                Err(e) => Some(e.to_string()),
            },
        };
        let banner = match &self.banner {
            Some(own) => Some(own.clone()),
            None => {
                let notices: Vec<String> = new_keys
                    .into_iter()
                    .chain(left_in_files_notice(&left_in_files, store))
                    .collect();
                (!notices.is_empty()).then(|| notices.join(" "))
            }
        };
        KeychainStatus { kind, plain_text, banner }
    }
}

/// Which accounts still have their key in a plain-text file, where, and (unless new keys go to
/// a file anyway, which the banner already says how to stop) how to move them off the disk.
fn left_in_files_notice(accounts: &[&SavedAccount], new_keys: &KeyStore) -> Option<String> {
    let mut paths: Vec<String> = Vec::new();
    for a in accounts {
        if let KeyStore::File { path } = &a.key_store {
            let path = path.display().to_string();
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    let quoted: Vec<String> = accounts.iter().map(|a| format!("\"{}\"", a.label)).collect();
    let (whose, it, went) = match quoted.as_slice() {
        [] => return None,
        [one] => (format!("The API key of {one} is"), "it", "it went"),
        [rest @ .., last] if quoted.len() <= 3 => {
            (format!("The API keys of {} and {last} are", rest.join(", ")), "them", "they went")
        }
        many => (format!("The API keys of {} accounts are", many.len()), "them", "they went"),
    };
    let mut notice = format!(
        "{whose} still saved in plain text in {}, where {went} while ROSTER_KEY_FILE was set.",
        paths.join(" and ")
    );
    match new_keys {
        KeyStore::File { .. } => {}
        KeyStore::Os { .. } => notice.push_str(&format!(" Re-enter {it} in the account settings (Re-enter key) to move {it} to the system keychain.")),
        KeyStore::Memory => notice.push_str(&format!(" Re-enter {it} in the account settings (Re-enter key) to take {it} off the disk.")),
    }
    Some(notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(label: &str, key_store: KeyStore) -> SavedAccount {
        SavedAccount::example(label, key_store)
    }

    #[test]
    fn given_accounts_with_keys_left_in_a_file_then_the_notice_names_them_the_file_and_what_to_do()
    {
        let file = |p: &str| KeyStore::File { path: p.into() };
        let (a, b, c, d) = (
            saved("Acme", file("/k/keys.json")),
            saved("Bluefin", file("/k/old.json")),
            saved("Kestrel", file("/k/keys.json")),
            saved("Zed", file("/k/keys.json")),
        );
        assert_eq!(left_in_files_notice(&[], &KeyStore::os()), None);
        assert_eq!(
            left_in_files_notice(&[&a], &KeyStore::os()).unwrap(),
            "The API key of \"Acme\" is still saved in plain text in /k/keys.json, where it went while ROSTER_KEY_FILE was set. \
             Re-enter it in the account settings (Re-enter key) to move it to the system keychain."
        );
        assert_eq!(
            left_in_files_notice(&[&a, &b, &c], &KeyStore::os()).unwrap(),
            "The API keys of \"Acme\", \"Bluefin\" and \"Kestrel\" are still saved in plain text in /k/keys.json and /k/old.json, where they went \
             while ROSTER_KEY_FILE was set. Re-enter them in the account settings (Re-enter key) to move them to the system keychain."
        );
        let four = left_in_files_notice(&[&a, &b, &c, &d], &file("/k/new.json")).unwrap();
        assert!(
            four.starts_with("The API keys of 4 accounts are still saved in plain text"),
            "{four}"
        );
        assert!(
            four.ends_with("while ROSTER_KEY_FILE was set."),
            "the file banner already says what to do: {four}"
        );
    }
}
