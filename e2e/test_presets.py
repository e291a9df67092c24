"""Every seed model works: the window reads each team's catalog and policy from the server."""

import datetime as dt
import re

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import clipboard, wait_until

PRESETS = ["owner-member-link", "six-roles-2fa", "link-email-quotas", "admin-member-idp", "four-roles-7day"]


def open_preset(server, desktop, preset: str):
    account = server.account(preset)
    desktop.add_account(server.url, account["keys"][0]["key"])
    app = desktop.open()
    app.wait_title(account["name"])
    return app, account


@pytest.mark.parametrize("preset", PRESETS)
def test_given_each_team_model_then_the_window_shows_its_catalog_policy_and_seats(server, desktop, preset):
    app, account = open_preset(server, desktop, preset)
    me = server.get("/v1/me", account["keys"][0]["key"])
    policy, seats = me["policy"], me["seats"]
    members = server.get("/v1/members?limit=200", account["keys"][0]["key"])["data"]

    wait_until(lambda: len(app.visible("member-row")) == len(members), what=f"{len(members)} member rows")
    assert bool(app.visible("member-quota")) == policy["member_quotas"]

    app.tab("invites")
    expected_seats = f"{seats['used']} of {seats['limit']} seats" if seats["limit"] else f"{seats['members']} members · {seats['pending_invites']} pending"
    assert app.text("seat-usage").strip() == expected_seats

    app.click("invite-open")
    app.find("invite-dialog")
    # The role catalog, in the server's order, with the policy's default picked; owner-level
    # roles left out where new owners need confirmation (the server refuses such invites).
    offered = [r for r in policy["roles"] if not (r["is_owner"] and policy["owner_promotion_confirmation"])]
    radios = [e for e in app.d.find_elements("css selector", '[data-testid^="invite-role-"]')]
    assert [r.get_attribute("value") for r in radios] == [r["id"] for r in offered]
    picked = [r.get_attribute("value") for r in radios if r.is_selected()]
    assert picked == [policy["default_role"]]
    for role in offered:
        assert role["name"] in app.text("invite-dialog")
    # Each option only where the policy has it.
    assert app.present("invite-delivery-link") == (len(policy["delivery_methods"]) > 1)
    assert app.present("invite-idp") == policy["identity_provider_restriction"]
    assert app.present("invite-notification-email") == policy["notification_email"]
    assert app.present("invite-require-2fa") == policy["secure_sign_in_option"]
    assert app.find("invite-expiry").get_attribute("max") == str(policy["invite_lifetime_days"])
    app.click("invite-cancel")
    app.gone("invite-dialog")


def test_six_roles_given_a_promotion_to_owner_then_it_waits_for_the_original_owners_confirmation(server, desktop):
    app, account = open_preset(server, desktop, "six-roles-2fa")
    key = account["keys"][0]["key"]
    row = app.row("member-row", "Kofi Mensah")
    Select(app.find("member-role-select", within=row)).select_by_value("owner")
    asked = app.confirm()
    assert "Bluefin Analytics" in asked and "original owner must confirm" in asked, asked
    app.toast("Pending confirmation by e-mail: Kofi Mensah → Owner")
    row = app.row("member-row", "Kofi Mensah")
    app.find("member-promotion-pending", within=row)
    assert row.get_attribute("data-role") == "member"
    promotions = server.get("/v1/owner-promotions", key)["data"]
    assert [(p["role"], p["status"]) for p in promotions if p["user"]["name"] == "Kofi Mensah"] == [("owner", "pending")]
    # Owners see how each member signs in: the method the server has for Kofi, in words.
    members = server.get("/v1/members?limit=200", key)["data"]
    method = next(m["sign_in_method"] for m in members if m["name"] == "Kofi Mensah")
    words = {"email": "E-mail", "email_2fa": "E-mail + 2FA", "google": "Google", "github": "GitHub", "microsoft": "Microsoft"}
    assert app.text("member-sign-in", within=row).strip() == words[method], (method, app.text("member-sign-in", within=row))


def test_quotas_given_a_new_quota_then_the_server_keeps_it(server, desktop):
    app, account = open_preset(server, desktop, "link-email-quotas")
    row = app.row("member-row", "ana@kestrel.example")
    app.click("member-quota", within=row)
    field = app.find("member-quota-input")
    field.clear()
    field.send_keys("5000", Keys.ENTER)
    # Grouped the locale's way ("5,000", or "5000" in the test session's C locale).
    assert re.fullmatch(r"Quota of Ana Lima: 5[,.\u202f\u00a0]?000", app.toast("Quota of Ana Lima"))
    members = server.get("/v1/members?limit=200", account["keys"][0]["key"])["data"]
    assert next(m for m in members if m["email"] == "ana@kestrel.example")["quota"] == 5000
    wait_until(lambda: re.fullmatch(r"5\D?000", app.text("member-quota", within=app.row("member-row", "ana@kestrel.example")).strip()), what="the row to show 5000")


def test_identity_provider_given_a_microsoft_restricted_invite_then_the_server_has_the_restriction(server, desktop):
    app, account = open_preset(server, desktop, "admin-member-idp")
    tenant = "8f0e3c1a-2b4d-4e6f-9a1b-3c5d7e9f1a2b"
    app.open_invite_dialog()
    app.type("invite-emails", "nia.okoro")
    Select(app.find("invite-idp")).select_by_value("microsoft")
    app.type("invite-tenant", tenant)
    app.type("invite-notification-email", "nia@harbor.example")
    app.choose("invite-delivery-link")
    app.click("invite-submit")
    app.gone("invite-dialog", timeout=20)
    app.toast("Link copied")
    invites = server.get("/v1/invites?status=pending&limit=200", account["keys"][0]["key"])["data"]
    invite = next(i for i in invites if i["email"] == "nia.okoro")
    assert invite["identity_provider"] == {"provider": "microsoft", "tenant_id": tenant}
    assert invite["notification_email"] == "nia@harbor.example"
    assert wait_until(clipboard) == invite["link"]
    row = app.row("invite-row", "nia.okoro")
    assert f"Microsoft Entra ID ({tenant})" in app.text_of(row)
    # A password sign-up cannot redeem it: the server insists on the identity provider.
    status, problem = server.join(invite["link"], "Nia Okoro", "nia.okoro")
    assert status == 403 and problem["code"] == "identity_provider_required", problem


def test_seven_days_given_an_invite_then_it_expires_in_seven_days_with_the_picked_role(server, desktop):
    app, account = open_preset(server, desktop, "four-roles-7day")
    app.open_invite_dialog()
    app.type("invite-emails", "lou@atlas.example")
    app.choose("invite-role-viewer")
    assert app.find("invite-expiry").get_attribute("value") == "7"
    app.click("invite-submit")
    app.gone("invite-dialog", timeout=20)
    # E-mail is this team's only delivery: the toast says it went out, and the link is copied too.
    toast = app.toast("Invite e-mailed to lou@atlas.example")
    invites = server.get("/v1/invites?status=pending&limit=200", account["keys"][0]["key"])["data"]
    invite = next(i for i in invites if i["email"] == "lou@atlas.example")
    assert wait_until(clipboard) == invite["link"]
    assert invite["role"] == "viewer" and invite["delivery"] == "email"
    expires = dt.datetime.fromisoformat(invite["expires_at"].replace("Z", "+00:00")).astimezone()
    created = dt.datetime.fromisoformat(invite["created_at"].replace("Z", "+00:00")).astimezone()
    assert round((expires - created).total_seconds() / 86400) == 7
    assert re.fullmatch(rf"Invite e-mailed to lou@atlas\.example · link copied · expires {expires:%a} {expires.day} {expires:%b}", toast), toast
    row = app.row("invite-row", "lou@atlas.example")
    assert "Viewer" in app.text_of(row)
