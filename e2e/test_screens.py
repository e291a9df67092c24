"""The main screens render, light and dark. With ROSTER_SCREENSHOTS=1 they are also saved to
docs/screenshots/ (the README shows them); CI runs these as plain checks, so no churn."""

from selenium.webdriver.common.keys import Keys

from conftest import wait_until


def test_screens_of_the_demo_in_the_light_theme(desktop):
    app = desktop.open("--demo")
    app.wait_title("Northwind Labs", timeout=30)
    assert not app.d.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")

    wait_until(lambda: len(app.visible("member-row")) == 8, timeout=20, what="Northwind's 8 members")
    app.shot("members")

    # Harbor Health: seats, identity provider and notification e-mail in the invite dialog.
    app.press(Keys.CONTROL, "4")
    app.wait_title("Harbor Health")
    app.open_invite_dialog()
    app.type("invite-emails", "nia.okoro@harbor.example")
    assert app.present("invite-idp") and app.present("invite-notification-email")
    app.wait_paint()
    app.shot("invite-dialog")
    app.find("invite-emails").send_keys(Keys.ESCAPE)
    app.gone("invite-dialog")

    # Atlas Studio's activity log.
    app.press(Keys.CONTROL, "5")
    app.wait_title("Atlas Studio")
    app.tab("activity")
    wait_until(lambda: len(app.visible("activity-row")) >= 5, timeout=20, what="Atlas's activity")
    app.shot("activity")

    # The same team as Northwind, seen through a member's key: read-only.
    app.press(Keys.CONTROL, "6")
    app.wait_title("Northwind Labs (member)")
    app.tab("members")
    app.find("members-readonly")
    wait_until(lambda: len(app.visible("member-row")) == 8, timeout=20, what="the members, read-only")
    app.shot("read-only")


def test_screens_of_the_demo_in_the_dark_theme(desktop):
    # WebKitGTK follows the GTK theme for prefers-color-scheme; the UI follows that.
    app = desktop.open("--demo", env={"GTK_THEME": "Adwaita:dark"})
    app.wait_title("Northwind Labs", timeout=30)
    assert app.d.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
    background = app.d.execute_script("return getComputedStyle(document.body).backgroundColor")
    r, g, b = [int(x) for x in background[background.index("(") + 1 : background.index(")")].split(",")[:3]]
    assert max(r, g, b) < 80, f"the dark theme's background is {background}"

    app.press(Keys.CONTROL, "3")
    app.wait_title("Kestrel AI")
    app.tab("invites")
    app.click("invite-filter-all")
    wait_until(lambda: len(app.visible("invite-row")) >= 4, timeout=20, what="Kestrel's invites")
    app.shot("dark")
