//! Failures of the real binary and their exit codes: 1 for what the server refused, failed
//! or could not answer (its code printed), 2 for usage, 3 for the key and the keychain. Each
//! error is one `error[code]: ...` line that says what to do, and no output ever holds a key
//! (the harness checks every run, including `--json` and these errors).
//!
//! Run: cargo test -p roster-cli --test errors

use crate::common;

use common::{Roster, Server, dead_url};

#[test]
fn given_a_refused_key_when_any_command_runs_then_exit_3_with_the_servers_advice() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let bad = "rst_this-key-was-never-issued-0123456789";
    roster.secret(bad);
    for args in [
        &["members", "list"][..],
        &["roles"],
        &["invites", "create", "a@example.com"],
        &["audit"],
        &["watch"],
    ] {
        let out = roster.with_key(bad, args).run().error(3, "unauthorized");
        assert!(out.stderr.contains("This API key is not valid"), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    }
    // --json: the error as JSON on stdout too
    let out = roster.with_key(bad, &["members", "list", "--json"]).run().code(3);
    let e = &out.json()["error"];
    assert_eq!(e["code"], "unauthorized");
    assert_eq!(e["kind"], "bad_key");
    assert_eq!(e["exit_code"], 3);
    assert!(e["message"].as_str().unwrap().contains("add it again"));
    // Adding it as an account: refused before anything is stored
    let out = roster
        .cmd(&["accounts", "add", "--server", &server.url, "--key-stdin"])
        .stdin(bad)
        .run()
        .error(3, "unauthorized");
    assert!(!out.all().contains("Added"));
    assert!(roster.accounts_file().is_null(), "nothing written");
}

#[test]
fn given_a_dead_server_when_commands_run_then_exit_1_unreachable_with_what_to_do() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let key = server.owner_key("owner-member-link");
    let dead = dead_url();
    let out = roster
        .cmd(&["members", "list"])
        .env("ROSTER_SERVER", &dead)
        .env("ROSTER_API_KEY", &key)
        .run()
        .error(1, "unreachable");
    assert!(out.stderr.contains("Check that the server is running"), "{}", out.stderr);
    let out = roster
        .cmd(&["roles", "--json"])
        .env("ROSTER_SERVER", &dead)
        .env("ROSTER_API_KEY", &key)
        .run()
        .code(1);
    assert_eq!(out.json()["error"]["kind"], "unreachable");
    roster.cmd(&["accounts", "add", "--server", &dead]).stdin(&key).run().error(1, "unreachable");
    assert!(roster.accounts_file().is_null());
}

#[test]
fn given_wrong_usage_when_run_then_exit_2() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let key = server.owner_key("owner-member-link");
    // A bare command asks what there is to do: clap's help answers, on stderr, still exit 2
    // (clap's other usage errors: the test below)
    for args in [&[][..], &["members"]] {
        let out = roster.with_key(&key, args).run().code(2);
        assert!(out.stderr.contains("Commands:"), "{args:?}: {}", out.stderr);
    }
    // roster's own: plain http off this computer, an unknown account, a key with no server
    let out = roster
        .cmd(&["roles"])
        .env("ROSTER_SERVER", "http://api.example.com")
        .env("ROSTER_API_KEY", &key)
        .run()
        .error(2, "insecure_url");
    assert!(out.stderr.contains("Use https://"), "{}", out.stderr);
    roster
        .cmd(&["accounts", "add", "--server", "http://10.1.2.3:8080"])
        .stdin(&key)
        .run()
        .error(2, "insecure_url");
    roster.cmd(&["roles", "--account", "Nonesuch"]).run().error(2, "unknown_account");
    roster.cmd(&["roles"]).env("ROSTER_ACCOUNT", "Nonesuch").run().error(2, "unknown_account");
    let out = roster.cmd(&["roles"]).env("ROSTER_API_KEY", &key).run().error(2, "usage");
    assert!(out.stderr.contains("ROSTER_SERVER"), "{}", out.stderr);
    // no key on stdin
    roster
        .cmd(&["accounts", "add", "--server", &server.url, "--key-stdin"])
        .stdin("\n")
        .run()
        .error(2, "usage");
    roster
        .cmd(&["accounts", "add", "--server", &server.url])
        .stdin("rst_one rst_two\n")
        .run()
        .error(2, "usage");
}

#[test]
fn given_a_line_clap_rejects_when_run_then_one_usage_line_names_the_help_to_read_and_json_gets_it_too()
 {
    let server = Server::start();
    let roster = Roster::new(&server);
    let key = server.owner_key("owner-member-link");
    for (args, says, help) in [
        (&["frobnicate"][..], "unrecognized subcommand 'frobnicate'", "roster"),
        (&["membres", "list"], "a similar subcommand exists: 'members'", "roster"),
        (&["members", "show"], "not provided: <USER>", "roster members show"),
        (&["--account", "Acme", "members", "show"], "not provided: <USER>", "roster members show"),
        (
            &["invites", "list", "--status", "lost"],
            "[possible values: pending, accepted, expired, revoked]",
            "roster invites list",
        ),
        (&["invites", "create"], "not provided: <EMAIL>", "roster invites create"),
        (
            &["invites", "create", "a@x.example", "--hold", "soon"],
            "invalid value 'soon' for '--hold <SECS>'",
            "roster invites create",
        ),
        (
            &["invites", "create", "a@x.example", "--tenant", "t"],
            "not provided: --idp <IDP>",
            "roster invites create",
        ),
        (&["audit", "--limit", "0"], "0 is not in 1..=10000", "roster audit"),
        (&["completions", "tcsh"], "[possible values: bash,", "roster completions"),
        (
            &["accounts", "add", "--key", "rst_x"],
            "unexpected argument '--key'",
            "roster accounts add",
        ),
    ] {
        let out = roster.with_key(&key, args).run().error(2, "usage");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: one line:\n{}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.trim_end().ends_with(&format!("Run `{help} --help`.")),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);

        let json: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let out = roster.with_key(&key, &json).run().error(2, "usage");
        assert_eq!(out.stderr.lines().count(), 1, "{json:?}: one line:\n{}", out.stderr);
        let e = &out.json()["error"];
        assert_eq!(
            (e["code"].as_str(), e["exit_code"].as_u64()),
            (Some("usage"), Some(2)),
            "{json:?}: {e}"
        );
        assert!(e["message"].as_str().unwrap().contains(says), "{json:?}: {e}");
    }
    // With --json, the bare commands that show help in a terminal are usage errors in JSON
    for args in [&["--json"][..], &["members", "--json"]] {
        let out = roster.with_key(&key, args).run().error(2, "usage");
        assert_eq!(out.json()["error"]["code"], "usage");
        assert!(out.stderr.contains("requires a subcommand"), "{}", out.stderr);
    }
    // Help and version are answers, not errors
    let out = roster.cmd(&["members", "--help", "--json"]).run().ok();
    assert!(out.stdout.contains("Usage: roster members"), "{}", out.stdout);
}

#[test]
fn given_account_on_a_command_that_picks_none_when_run_then_exit_2_says_it_does_not_apply() {
    let server = Server::start();
    let roster = Roster::new(&server);
    for (args, command) in [
        (&["accounts", "add", "--server", &server.url, "--account", "Acme"][..], "accounts add"),
        (&["accounts", "list", "--account", "Acme"], "accounts list"),
        (&["--account", "Acme", "accounts", "switch", "Northwind Labs"], "accounts switch"),
        (
            &["accounts", "remove", "Northwind Labs", "--yes", "--account", "Acme"],
            "accounts remove",
        ),
        (&["completions", "bash", "--account", "Acme"], "completions"),
    ] {
        let out =
            roster.cmd(args).stdin(&server.owner_key("owner-member-link")).run().error(2, "usage");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: one line:\n{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("--account does not apply to `roster {command}`")),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    assert!(roster.accounts_file().is_null(), "nothing added");
    let out =
        roster.cmd(&["accounts", "list", "--json", "--account", "Acme"]).run().error(2, "usage");
    assert_eq!(out.json()["error"]["code"], "usage");
    // ROSTER_ACCOUNT is exported for a whole shell: these commands run with it set
    let out = roster.cmd(&["accounts", "list"]).env("ROSTER_ACCOUNT", "Acme").run().ok();
    assert!(out.stdout.contains("No accounts yet"), "{}", out.stdout);
    roster.cmd(&["completions", "bash"]).env("ROSTER_ACCOUNT", "Acme").run().ok();
    roster
        .cmd(&["accounts", "switch", "Acme"])
        .env("ROSTER_ACCOUNT", "Acme")
        .run()
        .error(2, "unknown_account");
}

#[test]
fn given_no_account_at_all_when_a_team_command_runs_then_exit_3_says_how_to_add_one() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let out = roster.cmd(&["members", "list"]).run().error(3, "no_account");
    assert!(out.stderr.contains("roster accounts add --server URL"), "{}", out.stderr);
    assert!(out.stderr.contains("ROSTER_API_KEY"), "{}", out.stderr);
    // Listing accounts needs none
    let out = roster.cmd(&["accounts", "list"]).run().ok();
    assert!(out.stdout.contains("No accounts yet"), "{}", out.stdout);
    let out = roster.cmd(&["accounts", "list", "--json"]).run().ok();
    assert_eq!(out.json(), serde_json::json!({"active": null, "accounts": []}));
}

#[test]
fn given_a_role_without_team_rights_when_it_invites_then_the_servers_code_and_exit_1() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let member = server.key("owner-member-link", "member");
    let out = roster
        .with_key(&member, &["invites", "create", "friend@example.com"])
        .run()
        .error(1, "forbidden");
    assert!(out.stdout.is_empty(), "no link printed: {}", out.stdout);
    roster
        .with_key(&member, &["members", "remove", "ana@northwind.example", "--yes"])
        .run()
        .error(1, "forbidden");
    let out = roster
        .with_key(&member, &["invites", "create", "friend@example.com", "--json"])
        .run()
        .code(1);
    assert_eq!(out.json()["error"]["code"], "forbidden");
    assert_eq!(out.json()["error"]["kind"], "no_permission");
    // A member may read the member list
    roster.with_key(&member, &["members", "list"]).run().ok();
}

#[test]
fn given_a_shell_when_completions_are_asked_then_a_script_for_it_is_printed() {
    let server = Server::start();
    let roster = Roster::new(&server);
    for (shell, marker) in [
        ("bash", "_roster()"),
        ("zsh", "#compdef roster"),
        ("fish", "complete -c roster"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "roster"),
    ] {
        let out = roster.cmd(&["completions", shell]).run().ok();
        assert!(out.stdout.contains(marker), "{shell}: no {marker:?}");
        assert!(
            out.stdout.contains("invites") && out.stdout.contains("accounts"),
            "{shell} completes subcommands"
        );
    }
}

#[test]
fn given_help_and_version_when_asked_then_exit_0_and_exit_codes_are_documented() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let out = roster.cmd(&["--help"]).run().ok();
    for text in ["Exit codes:", "ROSTER_SERVER + ROSTER_API_KEY", "--account", "--json"] {
        assert!(out.stdout.contains(text), "help mentions {text}");
    }
    let out = roster.cmd(&["invites", "create", "--help"]).run().ok();
    assert!(
        out.stdout.contains("--hold <SECS>")
            && out.stdout.contains("another program copies something"),
        "{}",
        out.stdout
    );
    roster.cmd(&["--version"]).run().ok();
}
