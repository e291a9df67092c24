"""Members: change a role, remove someone (asks first), the last-owner guard, read-only views."""

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import wait_until

NORTHWIND = "owner-member-link"
KESTREL = "link-email-quotas"


def member(server, preset: str, name: str) -> dict | None:
    members = server.get("/v1/members?limit=200", server.key(preset))["data"]
    return next((m for m in members if m["name"] == name), None)


def test_given_a_manager_when_changing_a_role_then_the_server_and_the_row_follow(server, desktop):
    desktop.add_account(server.url, server.key(KESTREL))
    app = desktop.open()
    app.wait_title("Kestrel AI")

    row = app.row("member-row", "Jade Miller")
    assert row.get_attribute("data-role") == "member"
    select = app.find("member-role-select", within=row)
    # The dropdown offers exactly the team's catalog (read from the server).
    assert [o.get_attribute("value") for o in Select(select).options] == ["owner", "admin", "member"]
    Select(select).select_by_value("admin")

    app.toast("Jade Miller is now Admin")
    wait_until(lambda: app.row("member-row", "Jade Miller").get_attribute("data-role") == "admin", what="the row to show Admin")
    assert member(server, KESTREL, "Jade Miller")["role"] == "admin"

    # The change is in the activity log, filterable by action.
    app.tab("activity")
    Select(app.find("activity-filter-action")).select_by_value("member_role_changed")
    rows = wait_until(lambda: app.visible("activity-row"), what="role changes in the activity log")
    assert all(r.get_attribute("data-action") == "member_role_changed" for r in rows)
    jade = member(server, KESTREL, "Jade Miller")
    assert any(f"changed {jade['email']} from Member to Admin" in app.text_of(r) for r in rows), [app.text_of(r) for r in rows]


def test_given_a_member_when_removed_then_the_dialog_names_them_and_they_are_gone(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND))
    app = desktop.open()
    app.wait_title("Northwind Labs")

    app.click("member-remove", within=app.row("member-row", "ben@northwind.example"))
    asked = app.find("confirm-body")
    text = app.text_of(asked)
    assert "Ben Okafor" in text and "ben@northwind.example" in text and "Northwind Labs" in text, text
    # Cancelling changes nothing.
    app.click("confirm-cancel")
    app.gone("confirm-cancel")
    assert app.row("member-row", "ben@northwind.example")

    app.click("member-remove", within=app.row("member-row", "ben@northwind.example"))
    app.confirm()
    app.toast("Ben Okafor was removed from Northwind Labs")
    app.no_row("member-row", "ben@northwind.example")
    assert member(server, NORTHWIND, "Ben Okafor") is None
    assert app.text("members-count").strip() == "7 members"


def test_given_the_last_owner_then_their_role_and_leave_are_blocked_with_the_reason(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND))
    app = desktop.open()
    app.wait_title("Northwind Labs")

    me = app.row("member-row", "owner@northwind.example")
    assert me.get_attribute("data-role") == "owner"
    assert not app.visible("member-role-select", within=me), "the last owner's role can be changed"
    locked = app.find("member-role-locked", within=me)
    assert "last Owner" in locked.get_attribute("data-reason"), locked.get_attribute("data-reason")

    leave = app.find("member-leave", within=me)
    assert leave.get_attribute("aria-disabled") == "true"
    reason = leave.get_attribute("data-reason")
    assert "last Owner" in reason, reason
    assert reason in leave.get_attribute("title")
    # Pressing it explains, and does nothing else.
    leave.click()
    app.toast("last Owner")
    assert not app.visible("confirm-dialog")
    assert member(server, NORTHWIND, "Hana Sato")["role"] == "owner"

    # Nobody else can be made to take the last owner's role away either: the server agrees.
    status, problem = server.request(
        "PATCH", f"/v1/members/{me.get_attribute('data-user-id')}", server.key(NORTHWIND), {"role": "member"}
    )
    assert status == 409 and problem["code"] == "last_owner", problem


def test_given_a_non_manager_key_then_no_management_action_shows(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND, "member"), label="Northwind (member)")
    app = desktop.open()
    app.wait_title("Northwind (member)")
    assert "Member" in app.text("account-me")

    assert "Member" in app.text("members-readonly")
    rows = wait_until(lambda: app.visible("member-row"), what="member rows")
    assert len(rows) == 8
    for testid in ("member-role-select", "member-role-locked", "member-remove"):
        assert not app.visible(testid), f"a non-manager sees {testid}"
    assert app.visible("member-role"), "roles are shown as plain text"
    # Managers' data is not there either: the server sends no sign-in methods to members.
    assert not any(app.text_of(e).strip() not in ("", "—") for e in app.visible("member-sign-in"))
    me = app.row("member-row", "member@northwind.example")
    assert app.visible("member-leave", within=me), "a member can leave"

    app.tab("invites")
    for testid in ("invite-open", "invite-recopy", "invite-copy-message", "invite-revoke", "invite-resend"):
        assert not app.visible(testid), f"a non-manager sees {testid}"
    app.press(Keys.CONTROL, "i")
    app.toast("cannot invite")
    assert not app.visible("invite-dialog")

    app.tab("activity")
    app.find("activity-no-permission")
    assert not app.visible("activity-row")
