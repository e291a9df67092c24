"""Invites: create → link on the X clipboard → accepted live; re-copy; revoke → 410; seats."""

import re
from datetime import datetime, timedelta

from selenium.webdriver.common.keys import Keys

from conftest import clipboard, wait_until

NORTHWIND = "owner-member-link"
HARBOR = "admin-member-idp"


def pending_link(server, preset: str, email: str) -> tuple[str, str]:
    """(invite id, link) of the pending invite to `email`, as the server tells a manager."""
    invites = server.get("/v1/invites?status=pending&limit=200", server.key(preset))["data"]
    invite = next(i for i in invites if i["email"] == email)
    assert invite["link"], f"the server gave no link for {email}"
    return invite["id"], invite["link"]


def create_invite(app, email: str) -> str:
    """Creates a single invite through the dialog; returns the toast's text."""
    app.open_invite_dialog()
    app.type("invite-emails", email)
    app.click("invite-submit")
    app.gone("invite-dialog", timeout=20)
    return app.toast("Link copied", timeout=20)


def test_given_a_created_invite_then_the_clipboard_holds_its_link_and_the_join_shows_up_live(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND))
    app = desktop.open()
    app.wait_title("Northwind Labs")

    toast = create_invite(app, "zoe@northwind.example")
    # "Link copied · expires Sun 6 Dec": the policy's 14 days, said as the date they end on in
    # this machine's time zone (the app's, which it inherits), with the year when it is another.
    invite_id, link = pending_link(server, NORTHWIND, "zoe@northwind.example")
    invite = server.get(f"/v1/invites/{invite_id}", server.key(NORTHWIND))
    created, expires = (datetime.fromisoformat(invite[k].replace("Z", "+00:00")) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(days=14), invite
    local = expires.astimezone()
    date = f"{local:%a} {local.day} {local:%b}" + (f" {local.year}" if local.year != datetime.now().astimezone().year else "")
    assert toast == f"Link copied · expires {date}", toast

    # Another process reads the X clipboard: exactly the link, nothing around it.
    copied = wait_until(clipboard, what="the clipboard to hold something")
    assert copied == link
    assert re.fullmatch(re.escape(server.url) + r"/join/[A-Za-z0-9_-]{20,}", link), link
    row = app.row("invite-row", "zoe@northwind.example")
    assert row.get_attribute("data-status") == "pending"
    assert row.get_attribute("data-invite-id") == invite_id

    # The invitee opens the link and signs up with the page's own form, as a browser does.
    status, page = server.request("GET", link)
    assert status == 200 and "Northwind Labs" in page
    status, joined = server.join_page(link, "Zoe Quinn", "zoe@northwind.example")
    assert status == 200, joined[:1000]
    assert "You joined Northwind Labs" in joined and "Welcome, Zoe Quinn" in joined, joined[:1000]

    # Live, without touching the window: the toast, the native notification, the lists.
    assert app.toast("Zoe Quinn joined Northwind Labs as Member", timeout=20)
    summary, body = desktop.notifications.wait_for(lambda s, b: "Zoe Quinn joined" in b, timeout=20)
    assert (summary, body) == ("Roster", "Zoe Quinn joined Northwind Labs as Member")
    app.no_row("invite-row", "zoe@northwind.example", timeout=20)  # gone from "pending"
    app.click("invite-filter-accepted")
    wait_until(lambda: app.row("invite-row", "zoe@northwind.example").get_attribute("data-status") == "accepted", what="the invite to show as accepted")
    app.tab("members")
    member = app.row("member-row", "zoe@northwind.example", timeout=20)
    assert member.get_attribute("data-role") == "member"
    assert "Zoe Quinn" in app.text_of(member)
    app.tab("activity")
    wait_until(lambda: [r for r in app.visible("activity-row") if r.get_attribute("data-action") == "invite_accepted" and "Zoe Quinn" in app.text_of(r)], what="the join in the activity log")

    # The link is used up.
    status, _ = server.request("GET", link)
    assert status == 410
    app.assert_key_nowhere(server.key(NORTHWIND), *desktop.dirs)


def test_given_a_pending_invite_when_recopied_then_revoked_then_its_link_answers_410(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND))
    app = desktop.open()
    app.wait_title("Northwind Labs")
    invite_id, link = pending_link(server, NORTHWIND, "gus@northwind.example")
    assert server.request("GET", link)[0] == 200

    app.tab("invites")
    row = app.row("invite-row", "gus@northwind.example")
    app.click("invite-recopy", within=row)
    assert app.toast("Link copied").startswith("Link copied · expires")
    assert wait_until(lambda: clipboard() == link and clipboard(), what="the re-copied link on the clipboard") == link

    app.click("invite-revoke", within=app.row("invite-row", "gus@northwind.example"))
    asked = app.confirm()
    assert "gus@northwind.example" in asked and "Northwind Labs" in asked and "stops working" in asked, asked
    app.toast("Invite to gus@northwind.example revoked")
    app.no_row("invite-row", "gus@northwind.example")
    app.click("invite-filter-revoked")
    assert app.row("invite-row", "gus@northwind.example").get_attribute("data-status") == "revoked"

    # The link is dead at once, for the page and for the API.
    status, page = server.request("GET", link)
    assert status == 410, (status, page[:200])
    status, problem = server.join(link, "Gus Ortega", "gus@northwind.example")
    assert status == 410 and problem["code"] == "invite_gone", problem
    assert server.get(f"/v1/invites/{invite_id}", server.key(NORTHWIND))["status"] == "revoked"


def test_given_a_seat_limit_when_the_seats_fill_up_then_inviting_is_blocked_with_the_reason(server, desktop):
    desktop.add_account(server.url, server.key(HARBOR))
    app = desktop.open()
    app.wait_title("Harbor Health")
    app.tab("invites")
    assert app.text("seat-usage").strip() == "7 of 10 seats"

    # Three at once: the dialog invites them all and copies the links, one per line.
    app.click("invite-open")
    app.find("invite-dialog")
    app.type("invite-emails", "ines@harbor.example, jon@harbor.example, kai@harbor.example")
    submit = app.find("invite-submit")
    assert app.text_of(submit).strip() == "Invite 3"
    submit.click()
    assert "3 of 3 invited" in app.text("invite-bulk-summary", timeout=30)
    assert [r.get_attribute("data-outcome") for r in app.visible("invite-bulk-row")] == ["created"] * 3
    app.click("invite-done")
    app.toast("3 of 3 invited")
    links = wait_until(lambda: [l for l in clipboard().splitlines() if l], what="links on the clipboard")
    assert len(links) == 3 and all(re.fullmatch(re.escape(server.url) + r"/join/[A-Za-z0-9_-]+", l) for l in links), links

    # Full: the Invite button says why before anyone clicks, and a click only repeats it.
    wait_until(lambda: app.text("seat-usage").strip() == "10 of 10 seats", what="10 of 10 seats")
    button = app.find("invite-open")
    wait_until(lambda: button.get_attribute("aria-disabled") == "true", what="the Invite button to be blocked")
    reason = button.get_attribute("data-reason")
    assert reason.startswith("All 10 seats are in use"), reason
    assert app.text("invite-blocked-reason").strip() == reason
    button.click()
    app.toast("All 10 seats are in use")
    assert not app.visible("invite-dialog")

    # Revoking one frees a seat: the button comes back.
    app.click("invite-revoke", within=app.row("invite-row", "kai@harbor.example"))
    app.confirm()
    wait_until(lambda: app.text("seat-usage").strip() == "9 of 10 seats", what="9 of 10 seats")
    wait_until(lambda: app.find("invite-open").get_attribute("aria-disabled") is None, what="the Invite button to come back")


def test_given_another_dialog_open_when_the_tray_asks_for_an_invite_link_then_a_toast_says_why(server, desktop):
    desktop.add_account(server.url, server.key(NORTHWIND))
    app = desktop.open()
    app.wait_title("Northwind Labs")
    app.click("rail-add")
    app.find("add-account-dialog")
    app.type("add-server", "https://half-typed.example")

    # The tray's "Copy new invite link…" (its real menu, clicked over D-Bus as a panel does)
    # while that form is open: it stays as typed, and the window says why no dialog came.
    desktop.tray.click("Copy new invite link")
    assert app.toast("Close the open dialog") == "Close the open dialog first, then copy a new invite link."
    assert app.find("add-server").get_attribute("value") == "https://half-typed.example"
    assert not app.visible("invite-dialog")
    assert app.find("tab-members").get_attribute("aria-selected") == "true"

    # With the form closed, the same tray item opens the invite dialog.
    app.press(Keys.ESCAPE)
    app.gone("add-account-dialog")
    desktop.tray.click("Copy new invite link")
    app.find("invite-dialog")
