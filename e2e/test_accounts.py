"""Accounts: adding one with a key (keychain only), switching with the rail and the shortcut;
what a user sees when the account list is damaged."""

import subprocess

from selenium.webdriver.common.keys import Keys

from conftest import APP_BIN, SERVICE, files_containing, keychain_items, wait_until
from x11 import close_window, window_titles


def test_given_a_key_when_added_through_the_form_then_it_is_in_the_keychain_and_nowhere_else(server, desktop):
    key = server.key("owner-member-link")
    app = desktop.open()

    # A first start: nothing yet but the welcome and the way to add an account.
    app.find("welcome")
    app.click("welcome-add")
    app.type("add-server", server.url)
    app.type("add-key", key)
    app.type("add-label", "Northwind (mine)")
    app.click("add-submit")

    # The server knew the key: the window now shows its team.
    app.gone("add-submit", timeout=20)
    app.wait_title("Northwind (mine)")
    assert "Hana Sato" in app.text("account-me")
    app.row("member-row", "ana@northwind.example", timeout=20)
    assert len(app.rail()) == 1

    # The key went to the real Secret Service, under the app's service name...
    items = keychain_items(SERVICE)
    assert [i for i in items if i.get("secret") == key], f"no keychain item holds the key; items: {[{k: v for k, v in i.items() if k != 'secret'} for i in items]}"
    # ...and into no file of the app's: not the account list, not the cache.
    assert not files_containing(key, *desktop.dirs)
    assert any(desktop.config.rglob("*")), "the account list was not saved"

    # Use the app a little so more answers cross IPC, then look everywhere for the key.
    app.tab("invites")
    app.tab("activity")
    app.tab("members")
    app.click("refresh-button")
    app.row("member-row", "ana@northwind.example")
    # The key crossed IPC once, into account_add, and never came back.
    app.assert_key_nowhere(key, *desktop.dirs, handed_over=True)


def test_given_a_wrong_key_when_added_then_the_form_says_so_and_keeps_nothing(server, desktop):
    app = desktop.open()
    app.click("welcome-add")
    app.type("add-server", server.url)
    bad = "rst_this_key_does_not_exist_000000000000000"
    app.type("add-key", bad)
    app.click("add-submit")
    error = app.find("add-error", timeout=20)
    assert error.get_attribute("data-code") == "bad_key", app.text_of(error)
    # The field is cleared: the refused key is not kept around in the page either.
    assert app.find("add-key").get_attribute("value") == ""
    assert not [i for i in keychain_items(SERVICE) if i.get("secret") == bad]
    app.assert_key_nowhere(bad, *desktop.dirs, handed_over=True)


def test_given_several_accounts_when_switching_by_rail_and_by_shortcut_then_the_header_follows(server, desktop):
    names = [a["name"] for a in server.accounts]
    for a in server.accounts:
        desktop.add_account(server.url, a["keys"][0]["key"])
    app = desktop.open()
    app.wait_title(names[0])
    assert len(app.rail()) == len(names)

    # The rail: click the third account.
    app.switch_to(names[2])
    active = [b for b in app.rail() if b.get_attribute("data-active") == "true"]
    assert len(active) == 1 and active[0].get_attribute("aria-label").startswith(names[2])
    app.row("member-row", "@kestrel.example", timeout=20)

    # Each team keeps its own table: a search in one does not follow the user into the next,
    # and back in the first, it is as the user left it.
    app.type("members-search", "zzz-nobody")
    app.find("members-empty")
    app.switch_to(names[1])
    assert app.find("members-search").get_attribute("value") == ""
    app.row("member-row", "@bluefin.example", timeout=20)
    app.switch_to(names[2])
    assert app.find("members-search").get_attribute("value") == "zzz-nobody"
    app.find("members-empty")
    app.find("members-search").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)
    app.row("member-row", "@kestrel.example", timeout=20)

    # Ctrl+2: the second account, from anywhere in the window.
    app.d.find_element("css selector", "body").click()
    app.press(Keys.CONTROL, "2")
    app.wait_title(names[1])
    app.row("member-row", "@bluefin.example", timeout=20)

    # Ctrl+1 back: the cached snapshot shows at once (its age is shown), then refreshes.
    app.press(Keys.CONTROL, "1")
    app.wait_title(names[0])
    wait_until(lambda: app.text("account-age").strip(), what="the data's age in the header")
    app.row("member-row", "@northwind.example")


def test_given_a_damaged_account_list_when_roster_starts_then_a_dialog_says_what_to_fix_before_it_quits(desktop):
    damaged = '{"version": 1, "accounts": ['
    accounts = desktop.config / "accounts.json"
    accounts.write_text(damaged)
    log = desktop.tmp / "app.log"
    # Not through tauri-driver: there is no web view to drive, only the dialog.
    with open(log, "wb") as out:
        app = subprocess.Popen([str(APP_BIN)], env=desktop.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        # Started from a desktop menu, nobody reads stderr: a dialog says it and waits.
        wait_until(lambda: "Roster could not start" in window_titles(app.pid), timeout=30, what="Roster's error dialog")
        # Still there: the dialog's window is found again below and closing it is what ends Roster.
        assert app.poll() is None, "Roster quit before the user could read why"
        said = log.read_text(errors="replace")
        assert f"Could not read {accounts}: " in said and "The account list is damaged" in said, said

        # Closing the dialog ends Roster, failed; the file is left as it was, for the user to fix.
        assert close_window(app.pid) >= 1
        assert app.wait(timeout=15) == 1
        assert accounts.read_text() == damaged
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
