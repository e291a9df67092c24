"""How Roster starts and ends as a desktop process: one Roster per user (a second launch
brings the first forward), and the demo's keys leaving the keychain however it is stopped."""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import APP_BIN, DEMO_SERVICE, _alive, _wait_gone, keychain_items, wait_until
from test_demo import DEMO_LABELS, rail_labels
from x11 import focus_root, focused_pid


def roster_processes() -> list[int]:
    """Every running roster-desktop of this session."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(f"/proc/{entry.name}/exe").resolve() == APP_BIN.resolve() and _alive(int(entry.name)):
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def test_given_roster_running_when_it_is_launched_again_then_the_first_window_comes_forward_and_no_second_app_starts(server, desktop):
    desktop.add_account(server.url, server.key("owner-member-link"))
    app = desktop.open()
    app.wait_title("Northwind Labs")
    first = app.pids[0]
    # Someone else has the keyboard: the root window.
    focus_root()
    wait_until(lambda: focused_pid() != first, what="the focus to leave Roster")

    second = subprocess.run([str(APP_BIN)], env=desktop.env(), capture_output=True, text=True, timeout=30)

    assert second.returncode == 0, f"the second launch failed: {second.stdout} {second.stderr}"
    wait_until(lambda: focused_pid() == first, what="the first Roster's window to take the focus")
    assert roster_processes() == [first], f"another roster-desktop is running: {roster_processes()}"
    app.wait_title("Northwind Labs")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_demo_given_a_signal_then_it_ends_and_its_keys_leave_the_keychain(desktop, sig):
    app = desktop.open("--demo")
    app.wait_title("Northwind Labs", timeout=30)
    wait_until(lambda: rail_labels(app) == DEMO_LABELS, what="the demo's accounts")
    assert len(keychain_items(DEMO_SERVICE)) == 6
    demo_dirs = list(desktop.tmpdir.glob("roster-demo-*"))
    assert len(demo_dirs) == 1, demo_dirs

    pid = app.pids[0]
    # As a terminal's Ctrl-C or a session's logout does: to Roster alone.
    os.kill(pid, sig)

    assert _wait_gone([pid], 15), f"roster-desktop still runs 15 s after {sig.name}"
    assert keychain_items(DEMO_SERVICE) == [], f"demo keys left in the keychain after {sig.name}"
    assert not demo_dirs[0].exists(), f"the demo's files are left after {sig.name}"
