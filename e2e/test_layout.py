"""Layout that a user's click depends on."""



def test_given_the_invite_dialog_then_its_buttons_stay_put_when_the_focus_moves(server, desktop):
    desktop.add_account(server.url, server.key("link-email-quotas"))
    app = desktop.open()
    app.wait_title("Kestrel AI")
    app.tab("invites")
    app.click("invite-open")
    app.find("invite-dialog")
    app.wait_paint()
    before = app.find("invite-cancel").rect
    # What a pointerdown on a button does first: the focused field loses the focus.
    app.d.execute_script("document.activeElement.blur()")
    app.wait_paint()
    after = app.find("invite-cancel").rect
    assert after == before, f"Cancel moved from {before} to {after} when the focus left the e-mails field"
