//! `roster accounts` with the real binary, the real server and the real Secret Service
//! (gnome-keyring inside `tools/desktop-session`), checked from the outside with
//! `secret-tool`: keys go in by stdin, land in the keychain under service "roster" (the
//! entries the desktop app uses, proven by roster-core's own `AccountStore` reading them),
//! and never in a file or an output.
//!
//! Run: tools/desktop-session cargo test -p roster-cli --test accounts
//! Outside the session the keychain tests print "skipped" and pass.

use crate::common;

use std::process::Command;

use common::{Roster, Server, assert_fields, session};
use roster_core::{AccountStore, ApiKey, Http, HttpConfig, Keychain};

const NORTHWIND: &str = "owner-member-link";
const HARBOR: &str = "admin-member-idp";
const ACCOUNT_FIELDS: &[&str] = &[
    "id",
    "label",
    "server",
    "account_id",
    "account_name",
    "preset",
    "user_email",
    "user_name",
    "role",
    "role_name",
    "colour",
    "order",
    "key_store",
    "added_at",
];

/// The attribute lines of every "roster" item in the Secret Service (never the `secret = …`
/// lines, which hold the keys). Panics when secret-tool cannot answer: "no item" must be an
/// answer, not a failed search.
fn keychain_items() -> String {
    // gnome-keyring can answer a search with an error while another test of this binary
    // writes or deletes an item at the same moment; ask again a few times before failing.
    let mut last = String::new();
    for attempt in 0..5 {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", "roster"])
            .output()
            .expect("secret-tool (apt package libsecret-tools)");
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
                .filter(|l| l.starts_with("attribute."))
                .collect::<Vec<_>>()
                .join("\n");
        }
        last = format!(
            "secret-tool exit {:?}; stderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        std::thread::sleep(std::time::Duration::from_millis(100 * (attempt + 1)));
    }
    panic!("the Secret Service could not be searched: {last}");
}

fn username(account_id: &str, server: &Server) -> String {
    format!("attribute.username = {account_id}@{}", server.url)
}

#[test]
fn given_keys_on_stdin_when_accounts_are_added_then_they_are_listed_chosen_switched_and_removed() {
    if !session(
        "given_keys_on_stdin_when_accounts_are_added_then_they_are_listed_chosen_switched_and_removed",
    ) {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    let northwind = server.account(NORTHWIND).id.clone();
    let harbor = server.account(HARBOR).id.clone();

    // Add: --key-stdin, then a plain pipe (not a terminal: stdin is read too)
    let out = roster
        .cmd(&["accounts", "add", "--server", &server.url, "--key-stdin"])
        .stdin(&server.owner_key(NORTHWIND))
        .run()
        .ok();
    assert!(
        out.stdout
            .starts_with(&format!("Added Northwind Labs ({northwind}) as Owner on {}", server.url)),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("system keychain (Secret Service)")
            && out.stdout.contains("It is the active account."),
        "{}",
        out.stdout
    );
    let out = roster
        .cmd(&["accounts", "add", "--label", "Harbor", "--colour", "#112233", "--json"])
        .env("ROSTER_SERVER", &server.url)
        .stdin(&format!("{}\n", server.owner_key(HARBOR)))
        .run()
        .ok();
    let added = out.json();
    assert_fields(&added, &["account", "updated", "active"]);
    assert_eq!((added["updated"].as_bool(), added["active"].as_bool()), (Some(false), Some(false)));
    assert_eq!(added["account"]["label"], "Harbor");
    assert_eq!(added["account"]["colour"], "#112233");
    assert_fields(&added["account"], ACCOUNT_FIELDS);
    assert_eq!(
        added["account"]["key_store"],
        serde_json::json!({"kind": "os", "service": "roster"})
    );

    // The keychain (another process) holds both, under service "roster"
    let items = keychain_items();
    assert!(
        items.contains(&username(&northwind, &server))
            && items.contains(&username(&harbor, &server)),
        "{items}"
    );

    // list
    let out = roster.cmd(&["accounts", "list"]).run().ok();
    let active_row = out.stdout.lines().find(|l| l.starts_with('*')).expect("a row marked active");
    assert!(
        active_row.contains("Northwind Labs") && active_row.contains(&northwind),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().any(|l| l.contains("Harbor")
            && l.contains("Administrator")
            && l.contains("administrator@harbor.example")),
        "{}",
        out.stdout
    );
    let out = roster.cmd(&["accounts", "list", "--json"]).run().ok();
    assert_eq!(out.json()["active"], northwind.as_str());
    assert_eq!(out.json()["accounts"].as_array().unwrap().len(), 2);

    // Which account a command acts on
    let roles_of = |run: common::Out| {
        run.ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        roles_of(roster.cmd(&["roles", "--json"]).run()),
        ["owner", "member"],
        "the active account"
    );
    assert_eq!(
        roles_of(roster.cmd(&["roles", "--json", "--account", "harbor"]).run()),
        ["administrator", "member"],
        "--account by label"
    );
    assert_eq!(
        roles_of(roster.cmd(&["roles", "--json", "--account", &harbor]).run()),
        ["administrator", "member"],
        "--account by id"
    );
    assert_eq!(
        roles_of(roster.cmd(&["roles", "--json"]).env("ROSTER_ACCOUNT", "Harbor Health").run()),
        ["administrator", "member"],
        "ROSTER_ACCOUNT by account name"
    );
    let env_key = roster
        .cmd(&["roles", "--json"])
        .env("ROSTER_SERVER", &server.url)
        .env("ROSTER_API_KEY", server.owner_key(HARBOR));
    assert_eq!(
        roles_of(env_key.run()),
        ["administrator", "member"],
        "ROSTER_API_KEY over the active account"
    );
    let both = roster
        .cmd(&["roles", "--json", "--account", "Northwind Labs"])
        .env("ROSTER_SERVER", &server.url)
        .env("ROSTER_API_KEY", server.owner_key(HARBOR));
    assert_eq!(
        roles_of(both.run()),
        ["owner", "member"],
        "an explicit account wins over ROSTER_API_KEY"
    );

    // switch
    let out = roster.cmd(&["accounts", "switch", "Harbor"]).run().ok();
    assert!(
        out.stdout
            .starts_with(&format!("Switched to Harbor ({harbor}, Harbor Health) as Administrator")),
        "{}",
        out.stdout
    );
    assert_eq!(roles_of(roster.cmd(&["roles", "--json"]).run()), ["administrator", "member"]);
    let out = roster.cmd(&["accounts", "switch", &northwind, "--json"]).run().ok();
    let switched = out.json();
    assert_fields(&switched, &["account"]);
    assert_fields(&switched["account"], ACCOUNT_FIELDS);
    assert_eq!(switched["account"]["id"], northwind.as_str());
    roster.cmd(&["accounts", "switch", "Nonesuch"]).run().error(2, "unknown_account");

    // Adding the same account again replaces its key and keeps it listed once
    let out = roster
        .cmd(&["accounts", "add", "--server", &server.url, "--json"])
        .stdin(&server.key(NORTHWIND, "member"))
        .run()
        .ok();
    assert_eq!(out.json()["updated"], true);
    assert_eq!(out.json()["account"]["role"], "member");

    // remove: asks first; then the key is gone from the keychain too
    roster.cmd(&["accounts", "remove", "Northwind Labs"]).run().error(2, "usage");
    assert!(
        keychain_items().contains(&username(&northwind, &server)),
        "nothing removed without --yes"
    );
    let out = roster.cmd(&["accounts", "remove", "Northwind Labs", "--yes"]).run().ok();
    assert!(
        out.stdout.contains(&format!(
            "Removed Northwind Labs ({northwind}); its key was deleted from the system keychain"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("The active account is now Harbor ({harbor}).")),
        "{}",
        out.stdout
    );
    let items = keychain_items();
    assert!(!items.contains(&username(&northwind, &server)), "{items}");
    assert!(items.contains(&username(&harbor, &server)), "{items}");
    let out = roster.cmd(&["accounts", "remove", &harbor, "-y", "--json"]).run().ok();
    let removed = out.json();
    assert_fields(&removed, &["removed", "active"]);
    assert_fields(&removed["removed"], ACCOUNT_FIELDS);
    assert_eq!(removed["removed"]["id"], harbor.as_str());
    assert!(removed["active"].is_null());
    assert!(!keychain_items().contains(&username(&harbor, &server)));
    roster.cmd(&["members", "list"]).run().error(3, "no_account");
}

#[test]
fn given_a_stored_members_account_when_it_leaves_the_team_then_roster_says_how_to_forget_it() {
    if !session(
        "given_a_stored_members_account_when_it_leaves_the_team_then_roster_says_how_to_forget_it",
    ) {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    let northwind = server.account(NORTHWIND).id.clone();
    roster
        .cmd(&["accounts", "add", "--server", &server.url])
        .stdin(&server.key(NORTHWIND, "member"))
        .run()
        .ok();

    let out = roster.cmd(&["members", "leave", "--yes"]).run().ok();
    assert_eq!(
        out.stdout,
        format!(
            "You left Northwind Labs. This key no longer works; forget it with `roster accounts remove {northwind}`.\n"
        )
    );
    roster.cmd(&["roles"]).run().error(3, "unauthorized");
    // The advice works as printed
    roster.cmd(&["accounts", "remove", &northwind, "--yes"]).run().ok();
    assert!(!keychain_items().contains(&username(&northwind, &server)));
}

#[test]
fn given_the_desktop_apps_account_store_when_either_side_adds_an_account_then_the_other_uses_it() {
    if !session(
        "given_the_desktop_apps_account_store_when_either_side_adds_an_account_then_the_other_uses_it",
    ) {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    let http = Http::new(HttpConfig::default()).unwrap();

    // Added by roster-core exactly as the desktop app does (same config dir, service "roster")
    let mut store = AccountStore::open_in(roster.config_dir(), Keychain::os()).unwrap();
    let by_app = server
        .block_on(store.add(
            &http,
            &server.url,
            ApiKey::from(server.owner_key(NORTHWIND)),
            Some("From the app"),
            None,
        ))
        .unwrap()
        .account;
    let out = roster.cmd(&["members", "list", "--account", "From the app", "--json"]).run().ok();
    assert!(out.json().as_array().unwrap().iter().any(|m| m["email"] == "owner@northwind.example"));

    // Added by the CLI, read back by roster-core from the same keychain entry
    roster
        .cmd(&["accounts", "add", "--server", &server.url])
        .stdin(&server.owner_key(HARBOR))
        .run()
        .ok();
    store.reload().unwrap();
    let harbor = store.find("Harbor Health").unwrap().id.clone();
    assert_eq!(store.key(&harbor).unwrap().expose(), &server.owner_key(HARBOR));
    assert_eq!(store.active().unwrap().id, by_app.id, "the first account added stays active");
}

#[test]
fn given_a_key_deleted_outside_roster_when_used_then_exit_3_and_doctor_says_it_is_missing() {
    if !session(
        "given_a_key_deleted_outside_roster_when_used_then_exit_3_and_doctor_says_it_is_missing",
    ) {
        return;
    }
    let server = Server::start();
    let roster = Roster::new(&server);
    let key = server.owner_key(NORTHWIND);
    let id = server.account(NORTHWIND).id.clone();
    roster.cmd(&["accounts", "add", "--server", &server.url]).stdin(&key).run().ok();

    // doctor, healthy: where the key is, masked, keychain reachable
    roster.secret("rst_env-key-for-doctor-123456");
    let out = roster
        .cmd(&["accounts", "doctor"])
        .env("ROSTER_API_KEY", "rst_env-key-for-doctor-123456")
        .run()
        .ok();
    let masked = format!("{}…{}", &key[..6], &key[key.len() - 4..]);
    assert!(out.stdout.contains(&format!("state: present ({masked})")), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("service \"roster\", user \"{id}@{}\"", server.url)),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(reachable)"), "{}", out.stdout);
    assert!(
        out.stdout.contains("ROSTER_API_KEY: set (rst_en…3456) but ROSTER_SERVER is not"),
        "{}",
        out.stdout
    );
    let out = roster.cmd(&["accounts", "doctor", "--json"]).run().ok();
    let report = out.json();
    assert_fields(
        &report,
        &["config_file", "active", "keychain", "env", "proxy", "accounts", "healthy"],
    );
    assert_eq!(report["healthy"], true);
    assert_eq!(report["proxy"], "direct (no proxy)", "no proxy in the test environment");
    assert_eq!(report["keychain"]["reachable"], true);
    assert_fields(
        &report["accounts"][0],
        &["account", "label", "store", "location", "plain_text", "state", "masked_key", "problem"],
    );
    assert_eq!(report["accounts"][0]["masked_key"], masked.as_str());

    // The key is deleted behind Roster's back (e.g. in Seahorse)
    let user = format!("{id}@{}", server.url);
    assert!(
        Command::new("secret-tool")
            .args(["clear", "service", "roster", "username", &user])
            .status()
            .unwrap()
            .success()
    );
    let out = roster.cmd(&["roles"]).run().error(3, "key_missing");
    assert!(
        out.stderr.contains("Enter the key for this account again")
            && out.stderr.contains("roster accounts add --server"),
        "{}",
        out.stderr
    );
    roster.cmd(&["accounts", "switch", "Northwind Labs"]).run().error(3, "key_missing");
    let out = roster.cmd(&["accounts", "doctor"]).run().error(3, "key_missing");
    assert!(out.stdout.contains("state: missing: The API key of"), "{}", out.stdout);
    let out = roster.cmd(&["accounts", "doctor", "--json"]).run().code(3);
    assert_eq!(out.json()["accounts"][0]["state"], "missing");
    assert_eq!(out.json()["healthy"], false);
    // Entering it again fixes it
    roster.cmd(&["accounts", "add", "--server", &server.url]).stdin(&key).run().ok();
    roster.cmd(&["roles"]).run().ok();
}

#[test]
fn given_the_plain_text_opt_in_when_an_account_is_added_then_the_key_goes_to_that_file_only() {
    // Runs everywhere: no OS keychain involved.
    let server = Server::start();
    let roster = Roster::new(&server);
    let elsewhere = tempfile::tempdir().unwrap();
    let key_file = elsewhere.path().join("keys.json");
    let key = server.owner_key(NORTHWIND);
    roster
        .cmd(&["accounts", "add", "--server", &server.url])
        .env("ROSTER_KEY_FILE", &key_file)
        .stdin(&key)
        .run()
        .ok();
    assert!(
        std::fs::read_to_string(&key_file).unwrap().contains(&key),
        "the opted-in file holds the key"
    );
    assert_eq!(roster.accounts_file()["accounts"][0]["key_store"]["kind"], "file");
    // The store is recorded per account: later runs find the key without the variable
    roster.cmd(&["roles"]).run().ok();
    let out = roster.cmd(&["accounts", "doctor"]).env("ROSTER_KEY_FILE", &key_file).run().ok();
    assert!(out.stdout.contains("plain text"), "{}", out.stdout);
}

#[test]
fn given_no_reachable_keychain_when_an_account_is_added_then_exit_3_and_nothing_is_stored() {
    // Runs everywhere: the session bus is pointed at nothing on purpose.
    let server = Server::start();
    let roster = Roster::new(&server);
    let no_bus = "unix:path=/nonexistent/roster-test-bus";
    let out = roster
        .cmd(&["accounts", "add", "--server", &server.url])
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .stdin(&server.owner_key(NORTHWIND))
        .run()
        .error(3, "keychain_unavailable");
    assert!(
        out.stderr.contains("ROSTER_KEY_FILE"),
        "the message names the opt-in alternative: {}",
        out.stderr
    );
    assert!(
        roster.accounts_file()["accounts"].as_array().is_none_or(|a| a.is_empty()),
        "nothing stored: {}",
        roster.accounts_file()
    );
    let out = roster
        .cmd(&["accounts", "doctor"])
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .run()
        .error(3, "keychain_unavailable");
    assert!(out.stdout.contains("NOT reachable"), "{}", out.stdout);
}
