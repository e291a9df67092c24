//! Every team command of the real `roster` binary, in human and `--json` form, against the
//! real reference server (in-process, demo accounts), acting with ROSTER_SERVER +
//! ROSTER_API_KEY: no stored account, so no keychain is needed and these run everywhere.
//! The harness fails a test if any output holds a key.
//!
//! Run: cargo test -p roster-cli --test team

use crate::common;

use common::{Roster, Server, assert_fields};

const MEMBER_FIELDS: &[&str] =
    &["user_id", "email", "name", "role", "joined_at", "last_login_at", "sign_in_method"];
const INVITE_FIELDS: &[&str] = &[
    "id",
    "email",
    "notification_email",
    "role",
    "delivery",
    "status",
    "created_by",
    "created_at",
    "expires_at",
    "accepted_at",
    "accepted_by",
    "revoked_at",
    "identity_provider",
    "require_secure_sign_in",
    "times_sent",
    "last_sent_at",
    "link",
];

#[test]
fn given_an_owner_key_when_listing_and_showing_members_then_tables_and_json_agree() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("owner-member-link");

    // Human: an aligned table with role names and relative times
    let out = roster.with_key(&owner, &["members", "list"]).run().ok();
    let header = out.stdout.lines().next().unwrap();
    for col in ["NAME", "EMAIL", "ROLE", "SIGN-IN", "LAST LOGIN", "JOINED", "ID"] {
        assert!(header.contains(col), "{header}");
    }
    let ana =
        out.stdout.lines().find(|l| l.contains("ana@northwind.example")).expect("Ana is listed");
    assert!(ana.starts_with("Ana Lima"), "{ana}");
    assert!(ana.contains("Member"), "role name, not id: {ana}");
    assert!(ana.contains(" h ago") || ana.contains(" d ago"), "relative last login: {ana}");
    let email_col = header.find("EMAIL").unwrap();
    assert!(
        out.stdout.lines().skip(1).all(|l| l[email_col..].contains("@northwind.example")),
        "columns are aligned:\n{}",
        out.stdout
    );

    // JSON: the wire type, one object per member
    let out = roster.with_key(&owner, &["members", "list", "--json"]).run().ok();
    let members = out.json();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), out_human_rows(&roster, &owner), "same members in both forms");
    assert_fields(&members[0], MEMBER_FIELDS);

    // Filters
    let out = roster.with_key(&owner, &["members", "list", "--role", "owner", "--json"]).run().ok();
    assert!(out.json().as_array().unwrap().iter().all(|m| m["role"] == "owner"));
    let out = roster.with_key(&owner, &["members", "list", "-q", "ana@"]).run().ok();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);

    // show, by e-mail and by id
    let out = roster.with_key(&owner, &["members", "show", "ana@northwind.example"]).run().ok();
    assert!(out.stdout.starts_with("Ana Lima <ana@northwind.example>"), "{}", out.stdout);
    assert!(out.stdout.contains("Member (member)"), "{}", out.stdout);
    let ana_id = members.iter().find(|m| m["email"] == "ana@northwind.example").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = roster.with_key(&owner, &["members", "show", &ana_id, "--json"]).run().ok();
    assert_eq!(out.json()["email"], "ana@northwind.example");
    assert_fields(&out.json(), MEMBER_FIELDS);
    roster
        .with_key(&owner, &["members", "show", "nobody@northwind.example"])
        .run()
        .error(1, "not_found");
    roster.with_key(&owner, &["members", "show", "usr_doesnotexist"]).run().error(1, "not_found");
}

fn out_human_rows(roster: &Roster, key: &str) -> usize {
    roster.with_key(key, &["members", "list"]).run().ok().stdout.lines().count() - 1
}

#[test]
fn given_an_owner_key_when_changing_roles_removing_and_leaving_then_the_server_applies_each() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("link-email-quotas");

    // Role by display name, human output names both roles
    let out =
        roster.with_key(&owner, &["members", "role", "ana@kestrel.example", "Admin"]).run().ok();
    assert!(out.stdout.contains("is now Admin in Kestrel AI (was Member)"), "{}", out.stdout);
    // and by id, JSON is a MemberUpdate
    let out = roster
        .with_key(&owner, &["members", "role", "ana@kestrel.example", "member", "--json"])
        .run()
        .ok();
    let update = out.json();
    assert_fields(&update, &["member", "promotion"]);
    assert_eq!(update["member"]["role"], "member");
    assert!(update["promotion"].is_null());
    // an unknown role: the server's code and its list of roles
    roster
        .with_key(&owner, &["members", "role", "ana@kestrel.example", "emperor"])
        .run()
        .error(1, "unknown_role");

    // Remove: refused without --yes when there is no terminal, nothing happens
    let out = roster
        .with_key(&owner, &["members", "remove", "ana@kestrel.example"])
        .run()
        .error(2, "usage");
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    roster.with_key(&owner, &["members", "show", "ana@kestrel.example"]).run().ok();
    let out =
        roster.with_key(&owner, &["members", "remove", "ana@kestrel.example", "--yes"]).run().ok();
    assert!(
        out.stdout.contains("Removed Ana Lima (ana@kestrel.example) from Kestrel AI."),
        "{}",
        out.stdout
    );
    roster
        .with_key(&owner, &["members", "show", "ana@kestrel.example"])
        .run()
        .error(1, "not_found");
    let out = roster
        .with_key(&owner, &["members", "remove", "ben@kestrel.example", "--yes", "--json"])
        .run()
        .ok();
    let removed = out.json();
    assert_fields(&removed, &["removed"]);
    // Kestrel AI's policy has quotas, so its members carry one
    assert_fields(&removed["removed"], &[MEMBER_FIELDS, &["quota"]].concat());
    assert_eq!(removed["removed"]["email"], "ben@kestrel.example");

    // Leave: the last owner cannot; a member can, and its key then stops working
    roster.with_key(&owner, &["members", "leave", "--yes"]).run().error(1, "last_owner");
    let member = server.key("link-email-quotas", "member");
    let out = roster.with_key(&member, &["members", "leave", "--yes", "--json"]).run().ok();
    let left = out.json();
    assert_fields(&left, &["left", "user"]);
    assert_fields(&left["left"], &["id", "name", "preset"]);
    assert_fields(&left["user"], &["id", "email", "name"]);
    assert_eq!(left["left"]["name"], "Kestrel AI");
    assert_eq!(left["user"]["email"], "member@kestrel.example");
    let out = roster.with_key(&member, &["members", "list"]).run().error(3, "unauthorized");
    assert!(out.stderr.contains("add it again"), "{}", out.stderr);
    // Human form, with no stored account: there is nothing to forget
    let admin = server.key("link-email-quotas", "admin");
    let out = roster.with_key(&admin, &["members", "leave", "--yes"]).run().ok();
    assert_eq!(out.stdout, "You left Kestrel AI. This key no longer works.\n");
    roster.with_key(&admin, &["roles"]).run().error(3, "unauthorized");
}

#[test]
fn given_a_policy_with_owner_confirmation_when_promoting_to_owner_then_the_promotion_is_pending() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("six-roles-2fa");
    let out =
        roster.with_key(&owner, &["members", "role", "ana@bluefin.example", "owner"]).run().ok();
    assert!(out.stdout.contains("needs confirmation"), "{}", out.stdout);
    assert!(out.stdout.contains("Their role stays"), "{}", out.stdout);
    let out =
        roster.with_key(&owner, &["members", "show", "ana@bluefin.example", "--json"]).run().ok();
    assert_ne!(out.json()["role"], "owner", "not promoted before confirmation");
}

#[test]
fn given_an_owner_key_when_inviting_listing_copying_resending_and_revoking_then_each_works_in_both_forms()
 {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("owner-member-link");

    // create: stdout is the link alone, stderr says what was done
    let out = roster.with_key(&owner, &["invites", "create", "new.hire@example.com"]).run().ok();
    let link = out.stdout.trim().to_string();
    assert!(link.starts_with(&format!("{}/join/", server.url)), "{link}");
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(
        out.stderr.contains(
            "Invited new.hire@example.com to Northwind Labs as Member · Invite created · expires"
        ),
        "{}",
        out.stderr
    );

    // create --json: an InviteLink
    let out = roster
        .with_key(
            &owner,
            &[
                "invites",
                "create",
                "second@example.com",
                "--role",
                "Owner",
                "--expires-in-days",
                "3",
                "--json",
            ],
        )
        .run()
        .ok();
    let created = out.json();
    assert_fields(&created, &["invite", "copy", "created", "emailed_to"]);
    assert_fields(&created["invite"], INVITE_FIELDS);
    assert_eq!(created["invite"]["role"], "owner");
    assert_eq!(created["copy"]["kind"], "not_requested");
    assert_eq!(created["created"], true);
    let second_id = created["invite"]["id"].as_str().unwrap().to_string();

    // list
    let out = roster.with_key(&owner, &["invites", "list"]).run().ok();
    let header = out.stdout.lines().next().unwrap();
    for col in ["EMAIL", "ROLE", "STATUS", "WHEN", "DELIVERY", "SENT", "ID"] {
        assert!(header.contains(col), "{header}");
    }
    let row = out.stdout.lines().find(|l| l.starts_with("new.hire@example.com")).expect("listed");
    assert!(
        row.contains("pending") && row.contains("expires in 1") && row.contains("Member"),
        "{row}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("revoked") && l.contains("revoked ") && l.contains("d ago")),
        "{}",
        out.stdout
    );
    let out =
        roster.with_key(&owner, &["invites", "list", "--status", "pending", "--json"]).run().ok();
    let pending = out.json();
    let pending = pending.as_array().unwrap();
    assert!(pending.iter().all(|i| i["status"] == "pending"));
    assert!(pending.iter().any(|i| i["link"] == link.as_str()));
    assert_fields(&pending[0], INVITE_FIELDS);

    // copy --print by e-mail: the same link, no clipboard needed
    let out =
        roster.with_key(&owner, &["invites", "copy", "new.hire@example.com", "--print"]).run().ok();
    assert_eq!(out.stdout.trim(), link);
    let out =
        roster.with_key(&owner, &["invites", "copy", &second_id, "--print", "--json"]).run().ok();
    assert_eq!(out.json()["invite"]["id"], second_id.as_str());
    assert_eq!(out.json()["created"], false);
    let out = roster
        .with_key(&owner, &["invites", "copy", "new.hire@example.com", "--print", "--message"])
        .run()
        .ok();
    assert!(
        out.stdout.starts_with("You're invited to join Northwind Labs as Member on Roster: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&link));
    let out = roster
        .with_key(
            &owner,
            &["invites", "copy", "new.hire@example.com", "--print", "--message", "--json"],
        )
        .run()
        .ok();
    assert_fields(&out.json(), &["invite", "text", "copy"]);

    // resend
    let out = roster.with_key(&owner, &["invites", "resend", "new.hire@example.com"]).run().ok();
    assert!(
        out.stdout.contains("Resent the invite to new.hire@example.com (sent 2 times) · expires"),
        "{}",
        out.stdout
    );
    let out = roster.with_key(&owner, &["invites", "resend", &second_id, "--json"]).run().ok();
    assert_eq!(out.json()["times_sent"], 2);

    // revoke: asks first; then the link is dead, and copying it says so
    roster.with_key(&owner, &["invites", "revoke", "new.hire@example.com"]).run().error(2, "usage");
    let out =
        roster.with_key(&owner, &["invites", "revoke", "new.hire@example.com", "-y"]).run().ok();
    assert!(out.stdout.contains("Revoked the invite to new.hire@example.com in Northwind Labs; its link no longer works."), "{}", out.stdout);
    let out =
        roster.with_key(&owner, &["invites", "revoke", &second_id, "--yes", "--json"]).run().ok();
    assert_eq!(out.json()["status"], "revoked");
    assert!(out.json()["link"].is_null(), "a revoked invite shows no link");
    let out = roster
        .with_key(&owner, &["invites", "copy", &second_id, "--print"])
        .run()
        .error(1, "invite_not_pending");
    assert!(out.stderr.contains("was revoked"), "{}", out.stderr);
    roster
        .with_key(&owner, &["invites", "revoke", &second_id, "--yes"])
        .run()
        .error(1, "invite_not_pending");
    roster
        .with_key(&owner, &["invites", "copy", "new.hire@example.com", "--print"])
        .run()
        .error(1, "not_found");
}

#[test]
fn given_a_team_with_identity_providers_when_inviting_with_options_then_they_reach_the_server() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let admin = server.owner_key("admin-member-idp");
    let out = roster
        .with_key(
            &admin,
            &[
                "invites",
                "create",
                "jdoe",
                "--notify-email",
                "jdoe@harbor.example",
                "--idp",
                "microsoft",
                "--tenant",
                "contoso.onmicrosoft.com",
                "--delivery",
                "email",
                "--json",
            ],
        )
        .run()
        .ok();
    let v = out.json();
    assert_eq!(v["invite"]["identity_provider"]["provider"], "microsoft");
    assert_eq!(v["invite"]["identity_provider"]["tenant_id"], "contoso.onmicrosoft.com");
    assert_eq!(v["emailed_to"], "jdoe@harbor.example");
    assert!(
        v["invite"]["link"].as_str().unwrap().contains("/join/"),
        "managers get the link even for e-mail delivery"
    );
    // a policy refusal is the server's, with its code
    let owner = server.owner_key("owner-member-link");
    roster
        .with_key(&owner, &["invites", "create", "x@example.com", "--idp", "google"])
        .run()
        .error(1, "not_allowed_by_policy");
}

#[test]
fn given_an_owner_key_when_reading_roles_and_the_audit_log_then_both_forms_are_complete() {
    let server = Server::start();
    let roster = Roster::new(&server);
    let owner = server.owner_key("six-roles-2fa");

    let out = roster.with_key(&owner, &["roles"]).run().ok();
    assert_eq!(out.stdout.lines().count(), 7, "header + six roles:\n{}", out.stdout);
    let billing = out.stdout.lines().find(|l| l.starts_with("billing_viewer")).unwrap();
    assert!(billing.contains("Billing viewer") && billing.contains("limited_read"), "{billing}");
    let out = roster.with_key(&owner, &["roles", "--json"]).run().ok();
    let roles = out.json();
    assert_eq!(roles.as_array().unwrap().len(), 6);
    assert_fields(
        &roles[0],
        &["id", "name", "description", "is_owner", "manages_team", "permissions"],
    );

    roster.with_key(&owner, &["invites", "create", "audited@example.com"]).run().ok();
    let out = roster.with_key(&owner, &["audit", "--limit", "5"]).run().ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "header + 5 events:\n{}", out.stdout);
    assert!(lines[0].starts_with("WHEN") && lines[0].contains("ACTION"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("just now")
            && lines[1].contains("invite_created")
            && lines[1].contains("audited@example.com"),
        "{}",
        lines[1]
    );
    let out =
        roster.with_key(&owner, &["audit", "--action", "member_removed", "--json"]).run().ok();
    let events = out.json();
    let events = events.as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["action"] == "member_removed"));
    assert_fields(&events[0], &["id", "action", "actor", "target", "details", "created_at"]);
    // more than one page
    let out = roster.with_key(&owner, &["audit", "--limit", "1000", "--json"]).run().ok();
    assert!(out.json().as_array().unwrap().len() > 10);
    roster.with_key(&owner, &["audit", "--action", "coffee_made"]).run().code(2);
    // a role that cannot read the audit log: the server's refusal
    let viewer = server.key("six-roles-2fa", "resource_viewer");
    roster.with_key(&viewer, &["audit"]).run().error(1, "forbidden");
}
