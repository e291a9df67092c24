"""The tray icon's menu, through the real StatusNotifierItem and its DBusMenu on the session
bus (e2e/tray.py plays the panel): what it lists and what its entries do."""

from conftest import _wait_gone, wait_until


def test_given_two_accounts_when_the_tray_menu_opens_then_it_lists_them_and_picking_one_switches_the_window(server, desktop):
    desktop.add_account(server.url, server.key("owner-member-link"))
    desktop.add_account(server.url, server.key("four-roles-7day"))
    app = desktop.open()
    app.wait_title("Northwind Labs")

    entries = wait_until(lambda: [e for e in desktop.tray.menu() if e["label"] and e["type"] != "separator"], what="the tray menu")
    labels = [e["label"] for e in entries]
    assert labels == ["Northwind Labs — Owner", "Atlas Studio — Admin", "Copy new invite link…", "Show Roster", "Quit Roster"], labels
    ticked = [e["label"] for e in entries if e["checked"]]
    assert ticked == ["Northwind Labs — Owner"], f"only the active account is ticked: {entries}"

    desktop.tray.click("Atlas Studio")
    app.wait_title("Atlas Studio")
    wait_until(
        lambda: [e["label"] for e in desktop.tray.menu() if e["checked"]] == ["Atlas Studio — Admin"],
        what="the tray to tick the account it switched to",
    )


def test_given_the_tray_when_quit_is_picked_then_roster_ends(server, desktop):
    desktop.add_account(server.url, server.key("owner-member-link"))
    app = desktop.open()
    app.wait_title("Northwind Labs")
    desktop.tray.click("Quit Roster")
    assert _wait_gone(app.pids, 15), "roster-desktop still runs 15 s after Quit Roster"
