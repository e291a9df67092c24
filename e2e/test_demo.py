"""`roster-desktop --demo`, the README's run command: every team model, keys only in the
keychain (service roster-demo) and gone when the window closes."""

from selenium.webdriver.common.keys import Keys

from conftest import DEMO_SERVICE, SERVICE, keychain_items, wait_until

DEMO_LABELS = ["Northwind Labs", "Bluefin Analytics", "Kestrel AI", "Harbor Health", "Atlas Studio", "Northwind Labs (member)"]


def rail_labels(app) -> list[str]:
    return [b.get_attribute("aria-label").split(" — ")[0] for b in app.rail()]


def test_demo_given_the_run_command_then_each_team_opens_and_the_keys_leave_with_the_window(desktop):
    app = desktop.open("--demo")
    app.wait_title("Northwind Labs", timeout=30)
    assert "Demo" in app.text("account-title")
    wait_until(lambda: rail_labels(app) == DEMO_LABELS, what=f"the rail to list {DEMO_LABELS}")

    # The keys are in the real keychain under the demo's own service, not the user's.
    demo_items = keychain_items(DEMO_SERVICE)
    keys = [i["secret"] for i in demo_items]
    assert len(keys) == 6 and all(k.startswith("rst_") for k in keys), [{k: v for k, v in i.items() if k != "secret"} for i in demo_items]
    assert not keychain_items(SERVICE)
    assert not app.visible("banner-keychain")

    # Ctrl+1..6 opens each team; each shows its own people.
    for n, label in enumerate(DEMO_LABELS, 1):
        app.press(Keys.CONTROL, str(n))
        app.wait_title(label)
        wait_until(lambda: app.visible("member-row"), timeout=20, what=f"the members of {label}")
        if label == "Northwind Labs (member)":
            assert "Member" in app.text("members-readonly")
            assert not app.visible("member-remove") and not app.visible("member-role-select")
        if label == "Harbor Health":
            app.tab("invites")
            assert app.text("seat-usage").strip().endswith("of 10 seats")
            app.tab("members")

    # The demo's database, account list and cache: one temp dir (in the app's TMPDIR).
    demo_dirs = list(desktop.tmpdir.glob("roster-demo-*"))
    assert len(demo_dirs) == 1, demo_dirs
    for key in keys:
        app.assert_key_nowhere(key, *desktop.dirs)

    # Closing the window ends the demo: keys out of the keychain, temp dir gone.
    assert app.close_window(), "roster-desktop was still running 15 s after its window was closed"
    assert keychain_items(DEMO_SERVICE) == []
    assert not demo_dirs[0].exists()


def test_demo_given_no_keychain_then_it_still_opens_and_says_keys_stay_in_memory(desktop):
    # No session bus at all: no Secret Service to reach.
    app = desktop.open("--demo", env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/roster-e2e-bus"})
    app.wait_title("Northwind Labs", timeout=60)
    banner = app.text("banner-keychain")
    assert "No keychain available" in banner and "memory" in banner, banner
    wait_until(lambda: len(app.rail()) == 6, what="six demo accounts")
    app.row("member-row", "ana@northwind.example", timeout=20)
    assert keychain_items(DEMO_SERVICE) == []
