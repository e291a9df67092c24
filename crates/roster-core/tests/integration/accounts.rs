//! The account store against the real reference server (in-process, real HTTP on 127.0.0.1)
//! and the real Secret Service (gnome-keyring in `tools/desktop-session`), checked from the
//! outside with `secret-tool`. Keys must be in the keychain and in no file.
//!
//! Run: tools/desktop-session cargo test -p roster-core --test accounts
//! Outside the session, the Secret Service tests print "skipped" and pass; the keychain-absent
//! test and the file/memory store tests run everywhere.

use crate::common;
use crate::session;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{TestServer, dead_url, expect_error};
use roster_core::{AccountStore, ApiKey, Cache, ErrorCode, KeyEntry, KeyState, KeyStore, Keychain};

const PRESET: &str = "owner-member-link";
const OTHER_PRESET: &str = "six-roles-2fa";

/// A test's own config and cache dirs.
struct Dirs {
    _tmp: tempfile::TempDir,
    config: PathBuf,
    cache: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (config, cache) = (tmp.path().join("config"), tmp.path().join("cache"));
    Dirs { _tmp: tmp, config, cache }
}

impl Dirs {
    fn store(&self, keychain: Keychain) -> AccountStore {
        AccountStore::open_in(&self.config, keychain)
            .expect("open the account store")
            .with_cache(Cache::at(&self.cache))
    }

    /// Files holding `key` in this test's dirs and in the session's XDG config/cache dirs.
    fn files_with(&self, key: &str) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = vec![self.config.clone(), self.cache.clone()];
        roots.extend(session::session_dirs());
        let refs: Vec<&Path> = roots.iter().map(|p| p.as_path()).collect();
        session::files_containing(&refs, key)
    }
}

fn keychain(service: &str) -> Keychain {
    Keychain::os().with_service(service)
}

#[tokio::test]
async fn given_an_owner_demo_key_when_added_then_the_secret_service_holds_it_and_no_file_does() {
    if !session::required(
        "given_an_owner_demo_key_when_added_then_the_secret_service_holds_it_and_no_file_does",
    ) {
        return;
    }
    // Given a server and an empty account list using the default service "roster"
    let server = TestServer::start().await;
    let d = dirs();
    let mut accounts = d.store(Keychain::os());
    let key = server.owner_key_text(PRESET);

    // When the owner's key is added
    let added = accounts
        .add(&server.http, server.url(), ApiKey::from(key.clone()), None, None)
        .await
        .expect("add the account");

    // Then the account is recorded with what /v1/me said, and is active
    let a = &added.account;
    assert!(!added.updated);
    assert_eq!(a.account_id, server.account(PRESET).id);
    assert_eq!(a.account_name, "Northwind Labs");
    assert_eq!(a.label, "Northwind Labs");
    assert_eq!(a.role, "owner");
    assert_eq!(a.server, server.url());
    assert_eq!(a.key_store, KeyStore::os());
    assert!(a.colour.starts_with('#'));
    assert_eq!(accounts.active().map(|x| x.id.as_str()), Some(a.id.as_str()));
    // and `secret-tool`, another process, finds the key under service "roster"
    let found = session::search("roster");
    let user = KeyEntry::new(server.url(), &a.account_id).user().to_string();
    assert!(
        found.contains(&format!("attribute.username = {user}")),
        "no entry for {user} in:\n{found}"
    );
    let (ok, lookup) = session::secret_tool(&["lookup", "service", "roster", "username", &user]);
    assert!(ok && lookup.trim() == key, "secret-tool lookup did not return the key");
    // and the key is in no file under the config and cache dirs
    assert!(d.config.join("accounts.json").exists());
    assert_eq!(d.files_with(&key), Vec::<PathBuf>::new(), "the key leaked into a file");
    // and the doctor says where it is, masked
    let report = accounts.doctor_one(&a.id).unwrap();
    assert_eq!(report.state, KeyState::Present);
    assert!(!report.plain_text);
    assert!(
        report.location.contains("service \"roster\"") && report.location.contains(&user),
        "{}",
        report.location
    );
    assert_eq!(report.masked_key.as_deref(), Some(ApiKey::from(key.clone()).masked().as_str()));
    assert!(!serde_json::to_string(&report).unwrap().contains(&key));
    // and a client made from the stored key works
    let me = accounts.client(&a.id, &server.http).unwrap().me().await.unwrap();
    assert_eq!(me.account.id, a.account_id);

    accounts.remove(&a.id).unwrap();
}

#[tokio::test]
async fn given_a_wrong_key_or_a_bad_server_when_added_then_the_typed_error_and_nothing_is_stored() {
    if !session::required(
        "given_a_wrong_key_or_a_bad_server_when_added_then_the_typed_error_and_nothing_is_stored",
    ) {
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let service = session::unique_service("refused");
    let mut accounts = d.store(keychain(&service));
    let good = server.owner_key_text(PRESET);

    // When the key is wrong: BadKey
    let wrong = format!("{}x", &good[..good.len() - 1]);
    let r = accounts.add(&server.http, server.url(), ApiKey::from(wrong.clone()), None, None).await;
    expect_error(r, ErrorCode::BadKey, Some(roster_core::api::ErrorCode::Unauthorized), &[&wrong]);

    // When nothing listens at the address: Unreachable
    let r = accounts.add(&server.http, &dead_url(), ApiKey::from(good.clone()), None, None).await;
    expect_error(r, ErrorCode::Unreachable, None, &[&good]);

    // When the address is plain http off loopback: InsecureUrl, before any request
    let r = accounts
        .add(&server.http, "http://roster.example.com", ApiKey::from(good.clone()), None, None)
        .await;
    expect_error(r, ErrorCode::InsecureUrl, None, &[&good]);

    // When the colour is not a colour: Invalid, before any request
    let r = accounts
        .add(&server.http, server.url(), ApiKey::from(good.clone()), None, Some("blue"))
        .await;
    // (refused locally, so there is no server code)
    expect_error(r, ErrorCode::Invalid, None, &[&good]);

    // Then nothing was written: no account file, no keychain entry, no file with a key
    assert!(!d.config.join("accounts.json").exists(), "an account file was written");
    assert!(accounts.accounts().is_empty());
    assert_eq!(session::search(&service).trim(), "", "a keychain entry was written");
    assert!(d.files_with(&good).is_empty() && d.files_with(&wrong).is_empty());
}

#[tokio::test]
async fn given_an_account_when_added_again_with_another_users_key_then_one_entry_holds_the_new_key()
{
    if !session::required(
        "given_an_account_when_added_again_with_another_users_key_then_one_entry_holds_the_new_key",
    ) {
        return;
    }
    // Given the account added with its owner's key, labelled and coloured by the user
    let server = TestServer::start().await;
    let d = dirs();
    let service = session::unique_service("readd");
    let mut accounts = d.store(keychain(&service));
    let owner = server.owner_key_text(PRESET);
    let member = server.key_text(PRESET, "member");
    let first = accounts
        .add(&server.http, server.url(), ApiKey::from(owner.clone()), Some("Work"), Some("#123456"))
        .await
        .unwrap();

    // When the same (server, account) is added again with the member's key
    let again = accounts
        .add(&server.http, &format!("{}/", server.url()), ApiKey::from(member.clone()), None, None)
        .await
        .unwrap();

    // Then it is the same account, updated: one record, one keychain entry, the new key
    assert!(again.updated);
    assert_eq!(again.account.id, first.account.id);
    assert_eq!(accounts.accounts().len(), 1);
    assert_eq!(again.account.role, "member");
    assert_eq!(again.account.user_email, server.seeded_key(PRESET, "member").email);
    assert_eq!(again.account.label, "Work", "a label the user chose survives a re-add without one");
    assert_eq!(again.account.colour, "#123456");
    assert_eq!(again.account.added_at, first.account.added_at);
    let found = session::search(&service);
    assert_eq!(found.matches("attribute.username").count(), 1, "{found}");
    assert_eq!(accounts.key(&first.account.id).unwrap().expose(), &member);
    assert!(d.files_with(&owner).is_empty() && d.files_with(&member).is_empty());
}

#[tokio::test]
async fn given_two_accounts_when_switching_then_the_choice_persists_across_store_instances() {
    if !session::required(
        "given_two_accounts_when_switching_then_the_choice_persists_across_store_instances",
    ) {
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let service = session::unique_service("switch");
    let mut accounts = d.store(keychain(&service));
    let a = accounts
        .add(&server.http, server.url(), server.key(PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let b = accounts
        .add(&server.http, server.url(), server.key(OTHER_PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    // The first account added is active; colours differ by default
    assert_eq!(accounts.active().unwrap().id, a.id);
    assert_ne!(a.colour, b.colour);

    // When switching to the second
    accounts.switch(&b.id).unwrap();

    // Then a new store instance (another process, in effect) sees it active
    let reopened = d.store(keychain(&service));
    assert_eq!(reopened.active().unwrap().id, b.id);
    assert_eq!(reopened.accounts().len(), 2);
    // and lookup by name, label and id finds the accounts (the CLI's --account)
    assert_eq!(reopened.find("bluefin analytics").unwrap().id, b.id);
    assert_eq!(reopened.find(&a.account_id).unwrap().id, a.id);
    assert_eq!(reopened.find("NORTHWIND LABS").unwrap().id, a.id);
    assert_eq!(reopened.find("nobody").unwrap_err().code(), ErrorCode::UnknownAccount);

    // When switching back, the change is visible after reload
    accounts.switch(&a.id).unwrap();
    let mut reopened = reopened;
    reopened.reload().unwrap();
    assert_eq!(reopened.active().unwrap().id, a.id);
}

#[tokio::test]
async fn given_a_key_deleted_behind_roster_when_switching_then_key_missing_and_the_active_account_stays()
 {
    if !session::required(
        "given_a_key_deleted_behind_roster_when_switching_then_key_missing_and_the_active_account_stays",
    ) {
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let service = session::unique_service("missing");
    let mut accounts = d.store(keychain(&service));
    let a = accounts
        .add(&server.http, server.url(), server.key(PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let b = accounts
        .add(&server.http, server.url(), server.key(OTHER_PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    assert_eq!(accounts.active().unwrap().id, a.id);

    // Given b's entry deleted with secret-tool
    let user = KeyEntry::new(&b.server, &b.account_id).user().to_string();
    let (ok, out) = session::secret_tool(&["clear", "service", &service, "username", &user]);
    assert!(ok, "secret-tool clear failed: {out}");

    // When switching to b
    let e = expect_error(accounts.switch(&b.id), ErrorCode::KeyMissing, None, &[]);

    // Then the error says to re-enter the key, and a stays active, on disk too
    assert!(e.to_string().contains("Enter the key"), "{e}");
    assert!(e.to_string().contains("Bluefin Analytics"), "the message names the account: {e}");
    assert_eq!(accounts.active().unwrap().id, a.id);
    assert_eq!(d.store(keychain(&service)).active().unwrap().id, a.id);
    // and the doctor shows it missing
    assert_eq!(accounts.doctor_one(&b.id).unwrap().state, KeyState::Missing);
    // and adding the key again repairs it
    accounts
        .add(&server.http, server.url(), server.key(OTHER_PRESET, "owner"), None, None)
        .await
        .unwrap();
    accounts.switch(&b.id).unwrap();
}

#[tokio::test]
async fn given_an_account_with_a_cached_snapshot_when_removed_then_key_cache_and_record_are_gone() {
    if !session::required(
        "given_an_account_with_a_cached_snapshot_when_removed_then_key_cache_and_record_are_gone",
    ) {
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let service = session::unique_service("remove");
    let mut accounts = d.store(keychain(&service));
    let a = accounts
        .add(&server.http, server.url(), server.key(PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let b = accounts
        .add(&server.http, server.url(), server.key(OTHER_PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let client = accounts.client(&a.id, &server.http).unwrap();
    let snapshot = roster_core::Snapshot {
        me: client.me().await.unwrap(),
        roles: client.roles().await.unwrap(),
        members: client.all_members(&Default::default()).await.unwrap(),
        invites: client.all_invites(&Default::default()).await.unwrap(),
        audit: client.audit(&Default::default(), Some(50), None).await.unwrap().data,
    };
    let cache = Cache::at(&d.cache);
    cache.save(&a.id, &snapshot).unwrap();
    assert!(cache.load(&a.id).is_some());

    // When the active account is removed
    let removed = accounts.remove(&a.id).unwrap();

    // Then its keychain entry is gone, its cache is gone, the file lists only b (active now)
    assert_eq!(removed.id, a.id);
    let found = session::search(&service);
    assert!(
        !found.contains(&KeyEntry::new(&a.server, &a.account_id).user().to_string()),
        "{found}"
    );
    assert!(found.contains(&KeyEntry::new(&b.server, &b.account_id).user().to_string()), "{found}");
    assert!(cache.load(&a.id).is_none());
    assert!(!cache.file_of(&a.id).exists());
    let reopened = d.store(keychain(&service));
    assert_eq!(
        reopened.accounts().iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        vec![b.id.as_str()]
    );
    assert_eq!(reopened.active().unwrap().id, b.id);
    assert_eq!(reopened.accounts()[0].order, 0);
    assert_eq!(accounts.remove(&a.id).unwrap_err().code(), ErrorCode::UnknownAccount);
}

#[tokio::test]
async fn given_an_account_file_that_cannot_be_written_when_adding_then_the_keychain_write_is_undone()
 {
    if !session::required(
        "given_an_account_file_that_cannot_be_written_when_adding_then_the_keychain_write_is_undone",
    ) {
        return;
    }
    // Given a config dir that cannot be created (/proc refuses new directories, even to root)
    let server = TestServer::start().await;
    let service = session::unique_service("undo");
    let mut accounts =
        AccountStore::open_in("/proc/roster-no-such-dir", keychain(&service)).unwrap();

    // When adding an account
    let r = accounts.add(&server.http, server.url(), server.key(PRESET, "owner"), None, None).await;

    // Then the write fails as Storage and the key written to the keychain was taken back
    expect_error(r, ErrorCode::Storage, None, &[&server.owner_key_text(PRESET)]);
    assert_eq!(session::search(&service).trim(), "", "the keychain entry was not undone");
}

#[tokio::test]
async fn given_the_os_keychain_when_using_it_directly_then_get_set_delete_round_trip() {
    if !session::required(
        "given_the_os_keychain_when_using_it_directly_then_get_set_delete_round_trip",
    ) {
        return;
    }
    let service = session::unique_service("direct");
    let chain = keychain(&service);
    let store = chain.store().clone();
    let entry = KeyEntry::new("https://api.example.com", "acc_direct").named("Direct");
    chain.check(&store).expect("the session's keychain is reachable");
    assert_eq!(chain.get(&store, &entry).unwrap_err().code(), ErrorCode::KeyMissing);
    chain.set(&store, &entry, &ApiKey::from("rst_direct_key_0001".to_string())).unwrap();
    chain.set(&store, &entry, &ApiKey::from("rst_direct_key_0002".to_string())).unwrap();
    assert_eq!(chain.get(&store, &entry).unwrap().expose(), "rst_direct_key_0002");
    assert!(
        session::search(&service).contains("label = Roster ("),
        "the entry carries a readable label"
    );
    assert!(chain.delete(&store, &entry).unwrap());
    assert!(!chain.delete(&store, &entry).unwrap());
    assert_eq!(session::search(&service).trim(), "");
}

// ---------------------------------------------------------------- keychain absent

const NO_BUS: &str =
    "given_no_session_bus_when_adding_then_keychain_unavailable_and_no_key_on_disk";

/// Runs in a child process: keyring 4 picks its store once per process, so the broken bus
/// must be there from the start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn given_no_session_bus_when_adding_then_keychain_unavailable_and_no_key_on_disk() {
    if !session::is_child(NO_BUS) {
        let (ok, out) = session::run_child(
            module_path!(),
            NO_BUS,
            &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/roster-test-bus")],
        );
        assert!(ok && out.contains("CHILD-OK"), "child failed:\n{out}");
        println!("{out}");
        return;
    }
    let server = TestServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (config, cache) = (tmp.path().join("config"), tmp.path().join("cache"));
    // The env overrides, as a front end would use them
    unsafe {
        std::env::set_var("ROSTER_CONFIG_DIR", &config);
        std::env::set_var("ROSTER_CACHE_DIR", &cache);
    }
    let mut accounts = AccountStore::open(Keychain::os()).unwrap();
    assert_eq!(accounts.path(), config.join("accounts.json"));
    let key = server.owner_key_text(PRESET);

    let started = Instant::now();
    let r = accounts.add(&server.http, server.url(), ApiKey::from(key.clone()), None, None).await;
    let e = expect_error(r, ErrorCode::KeychainUnavailable, None, &[&key]);
    let msg = e.to_string();
    println!("observed: {msg}");
    assert!(msg.contains("GNOME Keyring or KWallet"), "{msg}");
    assert!(msg.contains("plain-text file"), "the message names the opt-in: {msg}");
    assert!(started.elapsed() < Duration::from_secs(5), "failing took {:?}", started.elapsed());
    // Nothing written anywhere: no account file, no file holding the key
    assert!(!config.join("accounts.json").exists());
    assert!(session::files_containing(&[tmp.path()], &key).is_empty());
    assert!(accounts.accounts().is_empty());
    // The doctor-level check says the same
    assert_eq!(
        Keychain::os().check(&KeyStore::os()).unwrap_err().code(),
        ErrorCode::KeychainUnavailable
    );
    assert!(Keychain::from_env().store() == &KeyStore::os(), "no file store unless the user asks");

    // What the message offers works: with the opt-in set, the key goes to that file
    let key_file = tmp.path().join("keys.json");
    unsafe { std::env::set_var("ROSTER_KEY_FILE", &key_file) };
    let mut accounts = AccountStore::open(Keychain::from_env()).unwrap();
    let a = accounts
        .add(&server.http, server.url(), ApiKey::from(key.clone()), None, None)
        .await
        .unwrap()
        .account;
    assert_eq!(session::files_containing(&[tmp.path()], &key), vec![key_file]);
    assert!(accounts.doctor_one(&a.id).unwrap().location.starts_with("file (plain text, opt-in)"));
    println!("CHILD-OK");
}

// ---------------------------------------------------------------- keychain locked

const LOCKED: &str =
    "given_a_locked_keychain_when_switching_or_adding_then_keychain_locked_and_nothing_changes";

/// In a nested session of its own: locking the login keyring must not disturb the tests
/// running in parallel. With no display known to D-Bus activation (as in tools/desktop-session)
/// gnome-keyring cannot show its unlock prompt, so the unlock fails at once.
#[tokio::test]
async fn given_a_locked_keychain_when_switching_or_adding_then_keychain_locked_and_nothing_changes()
{
    if !session::is_child(LOCKED) {
        if !session::required(LOCKED) {
            return;
        }
        let (ok, out) = session::run_child_in_own_session(module_path!(), LOCKED);
        assert!(ok && out.contains("CHILD-OK"), "child failed:\n{out}");
        println!("{out}");
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let mut accounts = d.store(Keychain::os());
    let a = accounts
        .add(&server.http, server.url(), server.key(PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let b = accounts
        .add(&server.http, server.url(), server.key(OTHER_PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    let file_before = std::fs::read(accounts.path()).unwrap();

    // Given the login keyring locked
    session::lock_login_keyring();

    // When switching: KeychainLocked, with how to unlock; the active account stays
    let started = Instant::now();
    let e = expect_error(accounts.switch(&b.id), ErrorCode::KeychainLocked, None, &[]);
    println!("observed (switch, {:?}): {e}", started.elapsed());
    assert!(e.to_string().contains("secret-tool search --unlock service roster"), "{e}");
    assert_eq!(accounts.active().unwrap().id, a.id);

    // When adding a new account: KeychainLocked and nothing stored
    let key = server.owner_key_text("admin-member-idp");
    let r = accounts.add(&server.http, server.url(), ApiKey::from(key.clone()), None, None).await;
    let e = expect_error(r, ErrorCode::KeychainLocked, None, &[&key]);
    println!("observed (add): {e}");
    assert_eq!(std::fs::read(accounts.path()).unwrap(), file_before, "the account file changed");
    assert!(d.files_with(&key).is_empty());

    // The doctor reports it locked
    let report = accounts.doctor_one(&a.id).unwrap();
    assert_eq!(report.state, KeyState::Locked, "{report:?}");
    assert!(report.masked_key.is_none());
    println!("CHILD-OK");
}

const PROMPT: &str =
    "given_an_unlock_prompt_nobody_answers_when_reading_then_a_timeout_error_not_a_hang";

/// In a nested session whose D-Bus activation knows the display: gnome-keyring shows its
/// unlock prompt (gcr-prompter on Xvfb) and waits; the keychain call must give up at its
/// deadline, and later calls must fail at once instead of piling up behind it.
#[tokio::test]
async fn given_an_unlock_prompt_nobody_answers_when_reading_then_a_timeout_error_not_a_hang() {
    if !session::is_child(PROMPT) {
        if !session::required(PROMPT) {
            return;
        }
        let (ok, out) = session::run_child_in_own_session(module_path!(), PROMPT);
        assert!(ok && out.contains("CHILD-OK"), "child failed:\n{out}");
        println!("{out}");
        return;
    }
    let server = TestServer::start().await;
    let d = dirs();
    let chain = Keychain::os().with_timeout(Duration::from_secs(1));
    let mut accounts = d.store(chain.clone());
    let a = accounts
        .add(&server.http, server.url(), server.key(PRESET, "owner"), None, None)
        .await
        .unwrap()
        .account;
    session::let_prompts_show();
    session::lock_login_keyring();

    let started = Instant::now();
    let e =
        expect_error(accounts.key(&a.id).map(|_| ()), ErrorCode::KeychainUnavailable, None, &[]);
    let took = started.elapsed();
    println!("observed ({took:?}): {e}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "gave up after {took:?}"
    );
    assert!(e.to_string().contains("did not answer within 1 s"), "{e}");
    assert!(e.to_string().contains("unlock prompt"), "{e}");

    // The prompt is still up: the next call fails at once, saying so
    let started = Instant::now();
    let e =
        expect_error(accounts.switch(&a.id).map(|_| ()), ErrorCode::KeychainUnavailable, None, &[]);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "the second call waited {:?}",
        started.elapsed()
    );
    assert!(e.to_string().contains("earlier request"), "{e}");
    println!("CHILD-OK");
}

// ---------------------------------------------------------------- file and memory stores

#[tokio::test]
async fn given_the_file_store_opted_in_when_adding_then_the_file_is_0600_and_reported_as_plain_text()
 {
    let server = TestServer::start().await;
    let d = dirs();
    let key_file = d.config.join("keys.json");
    let mut accounts = d.store(Keychain::file(&key_file));
    let key = server.owner_key_text(PRESET);

    let a = accounts
        .add(&server.http, server.url(), ApiKey::from(key.clone()), None, None)
        .await
        .unwrap()
        .account;

    // The key is in the key file (that is the opt-in) and nowhere else
    assert_eq!(a.key_store, KeyStore::File { path: key_file.clone() });
    assert_eq!(session::files_containing(&[&d.config, &d.cache], &key), vec![key_file.clone()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&key_file, &d.config.join("accounts.json")] {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                f.display()
            );
        }
    }
    // Reported as plain text wherever the account is shown
    let report = accounts.doctor_one(&a.id).unwrap();
    assert!(report.plain_text);
    assert!(report.location.starts_with("file (plain text, opt-in)"), "{}", report.location);
    assert_eq!(report.state, KeyState::Present);
    assert_eq!(accounts.key(&a.id).unwrap().expose(), &key);
    // No temp files left behind by the atomic writes
    let leftovers: Vec<_> = session::all_files(&d.config)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Removing deletes the key from the file
    accounts.remove(&a.id).unwrap();
    assert!(session::files_containing(&[&d.config], &key).is_empty());
}

#[tokio::test]
async fn given_memory_keys_when_renaming_recolouring_and_reordering_then_the_list_follows() {
    let server = TestServer::start().await;
    let d = dirs();
    let mut accounts = d.store(Keychain::memory());
    let mut ids = Vec::new();
    for preset in [PRESET, OTHER_PRESET, "admin-member-idp"] {
        ids.push(
            accounts
                .add(
                    &server.http,
                    server.url(),
                    server.key(preset, &server.account(preset).keys[0].role),
                    None,
                    None,
                )
                .await
                .unwrap()
                .account
                .id,
        );
    }
    let colours: std::collections::HashSet<_> =
        accounts.accounts().iter().map(|a| a.colour.clone()).collect();
    assert_eq!(colours.len(), 3, "default colours tell accounts apart");
    assert_eq!(accounts.doctor()[0].store, KeyStore::Memory);
    assert!(accounts.doctor()[0].location.contains("memory only"));

    accounts.rename(&ids[1], "  Client   B ").unwrap();
    accounts.recolour(&ids[1], "#ABCDEF").unwrap();
    accounts.reorder(&[&ids[2], &ids[0]]).unwrap();
    assert_eq!(accounts.rename(&ids[0], "").unwrap_err().code(), ErrorCode::Invalid);
    assert_eq!(accounts.reorder(&["nope"]).unwrap_err().code(), ErrorCode::UnknownAccount);

    let reopened = d.store(Keychain::memory());
    let order: Vec<_> = reopened.accounts().iter().map(|a| a.id.clone()).collect();
    assert_eq!(order, vec![ids[2].clone(), ids[0].clone(), ids[1].clone()]);
    let b = reopened.get(&ids[1]).unwrap();
    assert_eq!((b.label.as_str(), b.colour.as_str()), ("Client B", "#abcdef"));
    assert_eq!(reopened.find("client b").unwrap().id, ids[1]);
    // Memory keys do not outlive their keychain: a fresh one says the key is missing
    assert_eq!(reopened.key(&ids[1]).unwrap_err().code(), ErrorCode::KeyMissing);
    assert!(accounts.key(&ids[1]).is_ok());
}
