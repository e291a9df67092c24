//! Bulk invites with the real binary and server: from a file and from standard input, with
//! duplicates, a refused row and the seat limit of preset admin-member-idp (10 seats; the
//! demo team uses 7: 5 members and 2 pending invites). Each row gets its own result.
//!
//! Run: cargo test -p roster-cli --test bulk

use crate::common;

use common::{Roster, Server, assert_fields};

const PRESET: &str = "admin-member-idp";

/// 3 seats free: rows 2, 3 and 6 take them, row 4 repeats row 2, row 5 is refused by the
/// server on its own, row 7 finds the team full, row 8 is never sent.
const LIST: &str = "email,role\n\
    x1@harbor.example,member\n\
    x2@harbor.example\n\
    X1@harbor.example,Administrator\n\
    not-an-address\n\
    x3@harbor.example,member\n\
    x4@harbor.example,member\n\
    x5@harbor.example,member\n";

#[test]
fn given_a_file_with_duplicates_past_the_seat_limit_when_invited_then_each_row_says_what_happened()
{
    let server = Server::start();
    let roster = Roster::new(&server);
    let admin = server.owner_key(PRESET);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), LIST).unwrap();

    let out = roster
        .with_key(&admin, &["invites", "create", "--from", file.path().to_str().unwrap()])
        .run()
        .error(1, "seat_limit_reached");

    let row = |line: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{line} ")))
            .unwrap_or_else(|| panic!("no row for line {line}:\n{}", out.stdout))
            .to_string()
    };
    assert!(out.stdout.starts_with("LINE  EMAIL"), "{}", out.stdout);
    for line in ["2", "3", "6"] {
        assert!(row(line).contains(&format!("invited {}/join/", server.url)), "{}", row(line));
    }
    assert!(row("4").contains("duplicate of line 2, skipped"), "{}", row("4"));
    assert!(row("5").contains("refused [validation_failed]"), "{}", row("5"));
    assert!(
        row("7").contains("refused [seat_limit_reached]: All 10 seats of Harbor Health are taken"),
        "{}",
        row("7")
    );
    assert!(row("8").contains("not attempted (seats full)"), "{}", row("8"));
    assert!(out.stderr.contains("Harbor Health · 3 invited · 1 duplicate skipped · 2 refused · 1 not attempted (seats full)"), "{}", out.stderr);
    assert!(
        out.stderr.contains("x4@harbor.example,member\nx5@harbor.example,member\n"),
        "the rows to send again:\n{}",
        out.stderr
    );

    // The server holds exactly the three new invites, and the team is now full
    let out =
        roster.with_key(&admin, &["invites", "list", "--status", "pending", "--json"]).run().ok();
    let emails: Vec<String> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_string())
        .collect();
    for e in ["x1@harbor.example", "x2@harbor.example", "x3@harbor.example"] {
        assert!(emails.contains(&e.to_string()), "{e} in {emails:?}");
    }
    assert!(!emails.iter().any(|e| e.starts_with("x4") || e.starts_with("x5")));
    let out = roster
        .with_key(&admin, &["invites", "create", "one.more@harbor.example"])
        .run()
        .error(1, "seat_limit_reached");
    assert!(out.stderr.contains("Revoke a pending invite or remove a member"), "{}", out.stderr);
}

#[test]
fn given_a_list_on_stdin_when_invited_with_json_then_the_report_has_a_row_per_line() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let admin = server.owner_key(PRESET);

    let out =
        roster.with_key(&admin, &["invites", "create", "-", "--json"]).stdin(LIST).run().code(1);
    let report = out.json();
    assert_fields(&report, &["rows", "stopped", "copy"]);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    assert_fields(&rows[0], &["line", "email", "role", "outcome"]);
    let kinds: Vec<&str> = rows.iter().map(|r| r["outcome"]["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["created", "created", "duplicate", "refused", "created", "refused", "not_attempted"]
    );
    assert_eq!(rows[2]["outcome"]["first_line"], 2);
    assert_eq!(rows[3]["outcome"]["server_code"], "validation_failed");
    assert_eq!(rows[5]["outcome"]["server_code"], "seat_limit_reached");
    assert_eq!(rows[5]["outcome"]["code"], "seat_limit");
    assert!(rows[0]["outcome"]["invite"]["link"].as_str().unwrap().contains("/join/"));
    assert_eq!(report["stopped"]["line"], 7);
    assert_eq!(report["stopped"]["reason"], "seats full");
    assert_eq!(report["copy"]["kind"], "not_requested");
    // One JSON document on stdout: the failure is on stderr only
    assert!(out.stderr.contains("error[seat_limit_reached]"), "{}", out.stderr);
}

#[test]
fn given_several_addresses_on_the_command_line_when_invited_then_all_are_created_and_it_exits_0() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("owner-member-link");

    let out = roster
        .with_key(
            &owner,
            &["invites", "create", "a@example.com", "b@example.com", "--role", "owner"],
        )
        .run()
        .ok();
    assert_eq!(out.stdout.lines().count(), 3, "header + 2 rows:\n{}", out.stdout);
    assert!(
        out.stdout.lines().skip(1).all(|l| l.contains("Owner") && l.contains("invited http")),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("Northwind Labs · 2 invited"), "{}", out.stderr);

    // --from - reads stdin too; `Name <email>` lists as mail programs paste them
    let out = roster
        .with_key(&owner, &["invites", "create", "--from", "-", "--json"])
        .stdin(
            "Cara Diaz <cara@example.com>, \"Dan\" <dan@example.com>\n# comment\na@example.com\n",
        )
        .run()
        .code(1);
    let rows = out.json()["rows"].as_array().unwrap().clone();
    let kinds: Vec<&str> = rows.iter().map(|r| r["outcome"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "created", "refused"], "a@ is already invited");
    assert_eq!(rows[2]["outcome"]["server_code"], "invite_exists");

    // Nothing to invite is a usage error
    roster
        .with_key(&owner, &["invites", "create", "-"])
        .stdin("# nobody\n")
        .run()
        .error(2, "usage");
    roster
        .with_key(&owner, &["invites", "create", "--from", "/nonexistent/list.csv"])
        .run()
        .error(2, "usage");
    roster
        .with_key(
            &owner,
            &["invites", "create", "a@x.example", "b@x.example", "--notify-email", "n@x.example"],
        )
        .run()
        .error(2, "usage");
}
