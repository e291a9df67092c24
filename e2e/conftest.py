"""End-to-end tests of the Roster desktop app in its real window.

What runs, per test: the real reference server (`roster-server serve --demo`) on a free
loopback port, `tauri-driver` (which starts WebKitGTK's WebKitWebDriver) on free ports, and
`roster-desktop` itself, driven over W3C WebDriver by selenium. The whole run sits inside
`tools/desktop-session`: a throw-away D-Bus session with an unlocked gnome-keyring (the real
Secret Service) and Xvfb (the real X clipboard). `./x test` runs it as

    tools/desktop-session $VENV/bin/pytest -q e2e

Outside such a session (ROSTER_TEST_SESSION unset) every test is skipped with that hint.
Set ROSTER_SCREENSHOTS=1 to (re)write the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.webelement import WebElement

from notifications import NotificationServer
from tray import TrayHost
from x11 import close_window

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache" / "roster" / "target")
BIN = TARGET / "debug"
APP_BIN = BIN / "roster-desktop"
SERVER_BIN = BIN / "roster-server"
CLI_BIN = BIN / "roster"
IN_SESSION = os.environ.get("ROSTER_TEST_SESSION") == "1"
SCREENSHOTS = os.environ.get("ROSTER_SCREENSHOTS") == "1"
SHOTS_DIR = ROOT / "docs" / "screenshots"
SHOT_MAX_BYTES = 150 * 1024

# The keychain service of the user's own accounts (the app and the CLI share it) and the demo's.
SERVICE = "roster"
DEMO_SERVICE = "roster-demo"


# ------------------------------------------------------------------------------ collection


def pytest_collection_modifyitems(config, items):
    if IN_SESSION:
        missing = [str(p) for p in (APP_BIN, SERVER_BIN, CLI_BIN) if not p.exists()]
        if missing:
            raise pytest.UsageError(f"not built: {', '.join(missing)}; run `cargo build --workspace` first")
        if not shutil.which("tauri-driver"):
            raise pytest.UsageError("tauri-driver not found: `cargo install tauri-driver --locked` (./x install does it)")
        return
    if os.environ.get("ROSTER_TEST_NO_SKIP") == "1":
        raise pytest.UsageError("ROSTER_TEST_NO_SKIP=1 but not in a desktop session: run under tools/desktop-session")
    skip = pytest.mark.skip(reason="needs a real desktop session: run under tools/desktop-session")
    for item in items:
        item.add_marker(skip)


# ------------------------------------------------------------------------------ small helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition", every: float = 0.1) -> Any:
    """Polls `check` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            got = check()
            if got:
                return got
        except (StaleElementReferenceException, AssertionError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last: {last_error})" if last_error else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(every)


def clipboard() -> str:
    """The X clipboard as another process sees it."""
    out = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, timeout=10)
    return out.stdout.decode() if out.returncode == 0 else ""


def keychain_items(service: str) -> list[dict[str, str]]:
    """Every Secret Service item with this `service` attribute: its attributes and secret."""
    out = subprocess.run(["secret-tool", "search", "--all", "service", service], capture_output=True, text=True, timeout=20)
    # No item is an answer (exit 0, nothing printed); a failed search is not "nothing there".
    assert out.returncode == 0, f"secret-tool could not search the Secret Service (exit {out.returncode}): {out.stderr.strip()}"
    items: list[dict[str, str]] = []
    # secret-tool prints "[/org/freedesktop/secrets/...]" per item, then "key = value" lines:
    # label, secret, created, modified, schema, and "attribute.NAME = value".
    for line in out.stdout.splitlines():
        if line.startswith("["):
            items.append({"path": line.strip("[]")})
        elif " = " in line and items:
            k, v = line.split(" = ", 1)
            items[-1][k.strip()] = v
    return items


def files_containing(needle: str, *dirs: Path) -> list[Path]:
    found = []
    for d in dirs:
        if not d.exists():
            continue
        for p in d.rglob("*"):
            if p.is_file():
                try:
                    if needle.encode() in p.read_bytes():
                        found.append(p)
                except OSError:
                    pass
    return found


# ------------------------------------------------------------------------------ the server


class Server:
    """The real reference server binary with its demo accounts, on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "server.log"
        self._err = open(self.log, "wb")
        # Relaxed limits: a run joins and invites from 127.0.0.1 faster than a person would.
        self.proc = subprocess.Popen(
            [str(SERVER_BIN), "serve", "--demo", "--relaxed-limits", "--db", str(workdir / "roster.db"), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
        )
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            self.stop()
            raise RuntimeError(f"roster-server printed nothing in 60 s; see {self.log}")
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"roster-server exited: {self.log.read_text()[-2000:]}")
        info = json.loads(line)
        self.url: str = info["url"].rstrip("/")
        self.accounts: list[dict[str, Any]] = info["accounts"]

    def account(self, preset: str) -> dict[str, Any]:
        for a in self.accounts:
            if a["preset"] == preset:
                return a
        raise KeyError(f"no demo account with preset {preset}; have {[a['preset'] for a in self.accounts]}")

    def key(self, preset: str, role: str | None = None) -> str:
        keys = self.account(preset)["keys"]
        if role is None:
            return keys[0]["key"]
        for k in keys:
            if k["role"] == role:
                return k["key"]
        raise KeyError(f"no {role} key in {preset}")

    def request(self, method: str, url_or_path: str, key: str | None = None, body: Any = None, form: list[tuple[str, str]] | None = None) -> tuple[int, Any]:
        """`body` goes as JSON, `form` as a browser posts a form (url-encoded)."""
        url = url_or_path if url_or_path.startswith("http") else self.url + url_or_path
        req = urllib.request.Request(url, method=method)
        if form is not None:
            req.data = urllib.parse.urlencode(form).encode()
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, raw, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if "json" in ctype and raw:
            return status, json.loads(raw)
        return status, raw.decode(errors="replace")

    def get(self, path: str, key: str | None = None) -> Any:
        status, body = self.request("GET", path, key)
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    def join(self, link: str, name: str, email: str, password: str = "correct horse battery") -> tuple[int, Any]:
        """Signs up through the JSON API (`POST /v1/join`): its problem codes are for programs."""
        token = link.rstrip("/").rsplit("/", 1)[-1]
        return self.request("POST", "/v1/join", body={"token": token, "mode": "sign_up", "email": email, "password": password, "name": name})

    def join_page(self, link: str, name: str, email: str, password: str = "correct horse battery") -> tuple[int, str]:
        """Signs up the way an invitee does: opens the link and submits the page's own form, as
        a browser would (its action and method, its field names, "create an account" picked,
        hidden fields as they are). What the form no longer offers fails here, not in a browser."""
        status, page = self.request("GET", link)
        assert status == 200, f"GET {link}: {status} {str(page)[:300]}"
        forms = read_forms(page)
        assert len(forms) == 1, f"the invite page should have one form, has {len(forms)}: {page[:1000]}"
        form = forms[0]
        assert form.method == "post" and form.enctype == "application/x-www-form-urlencoded", vars(form)
        form.pick("mode", "sign_up")
        form.fill("name", name)
        form.fill("email", email)
        form.fill("password", password)
        status, answer = self.request("POST", urllib.parse.urljoin(link, form.action), form=form.submitted())
        return status, str(answer)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()


class Form:
    """One HTML form as a browser holds it: where and how it posts, and its fields in order."""

    # Fields a submission leaves out unless they are the button pressed (none is named here).
    UNSENT = ("submit", "button", "reset", "image", "file")

    def __init__(self, attrs: dict[str, str | None]) -> None:
        # No action: the form posts to the page's own address.
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.enctype = (attrs.get("enctype") or "application/x-www-form-urlencoded").lower()
        self.fields: list[dict[str, Any]] = []

    def pick(self, name: str, value: str) -> None:
        """Clicks the radio button `name`=`value`."""
        radios = [f for f in self.fields if f["name"] == name and f["type"] == "radio"]
        assert any(f["value"] == value for f in radios), f"the form offers no {name}={value} choice: {radios}"
        for f in radios:
            f["checked"] = f["value"] == value

    def fill(self, name: str, value: str) -> None:
        """Types `value` into the one text-like field called `name`."""
        boxes = [f for f in self.fields if f["name"] == name and f["tag"] in ("input", "textarea") and f["type"] not in ("radio", "checkbox", "hidden", *self.UNSENT)]
        assert len(boxes) == 1, f"the form should have one {name!r} field to type in: {self.fields}"
        boxes[0]["value"] = value

    def submitted(self) -> list[tuple[str, str]]:
        """The form data set a browser sends: checked boxes only, typed and hidden values."""
        out = []
        for f in self.fields:
            if f["type"] in ("radio", "checkbox"):
                if f["checked"]:
                    out.append((f["name"], f["value"] if f["value"] is not None else "on"))
            elif f["type"] == "select":
                raise AssertionError(f"Form does not read <select> options: add that to send {f['name']!r}")
            elif f["type"] not in self.UNSENT:
                out.append((f["name"], f["value"] or ""))
        return out


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._open = Form(a)
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "button", "select") and self._open and a.get("name"):
            kind = "select" if tag == "select" else a.get("type") or ("submit" if tag == "button" else "text")
            self._open.fields.append({"tag": tag, "name": a["name"], "type": kind.lower(), "value": a.get("value"), "checked": "checked" in a})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def read_forms(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "server")
    yield s
    s.stop()


# ------------------------------------------------------------------------------ the window

# Records, from the moment it is installed, every IPC request the web view sends (command and
# JSON body) and everything Rust hands back to it: command results and errors, and event
# payloads. `invoke` itself is a non-writable, non-configurable property of
# __TAURI_INTERNALS__ (Tauri defines it so), so the recorder hooks the two paths underneath it:
# requests leave through fetch("ipc://localhost/<command>") (or window.ipc.postMessage when the
# custom protocol is unavailable), and every answer and event comes back through
# __TAURI_INTERNALS__.runCallback, which looks its callback up in the `callbacks` Map.
IPC_RECORDER = r"""
if (!window.__e2eIpc) {
  const log = (window.__e2eIpc = { calls: [], answers: [] });
  const text = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return new TextDecoder().decode(v);
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  };
  const internals = window.__TAURI_INTERNALS__;
  const callbacks = internals.callbacks;
  const get = Map.prototype.get;
  callbacks.get = function (id) {
    const cb = get.call(this, id);
    if (!cb) return cb;
    return (data) => { log.answers.push(text(data)); return cb(data); };
  };
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = String((input && input.url) || input);
    if (url.startsWith('ipc:') || url.startsWith('http://ipc.localhost')) {
      const cmd = decodeURIComponent(url.replace(/\?.*$/, '').split('/').pop());
      log.calls.push({ cmd, body: text(init && init.body) });
    }
    return fetch0.apply(this, arguments);
  };
  if (window.ipc && typeof window.ipc.postMessage === 'function') {
    try {
      const post0 = window.ipc.postMessage.bind(window.ipc);
      window.ipc.postMessage = (data) => {
        let cmd = '?';
        try { cmd = JSON.parse(data).cmd; } catch (e) {}
        log.calls.push({ cmd, body: text(data) });
        return post0(data);
      };
    } catch (e) {}
  }
}
return true;
"""

# Resolves after the next two animation frames: the DOM change before it is on screen.
NEXT_PAINT = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""


class App:
    """One running roster-desktop window, through tauri-driver."""

    def __init__(self, workdir: Path, args: list[str], env: dict[str, str], name: str) -> None:
        self.workdir = workdir
        self.name = name
        self.closed = False
        self.pids: list[int] = []
        # Set by `close`: whether Roster exited by itself once its window was closed.
        self.exited_on_quit = True
        self.log = workdir / "app.log"
        self._log = open(self.log, "ab")
        try:
            self._start_session(args, env)
        except Exception as e:
            # No second try: the start hang seen in CI (one start in ~25) was tauri-driver
            # asked for a session before its WebKitWebDriver listened, which _start_session
            # now waits for. A start that still fails is a failure, with what was running.
            self._stop_processes()
            raise AssertionError(
                f"the window did not open: {e.__class__.__name__}: {str(e)[:300]}; {_running_now()}\n"
                f"log: {self.log.read_text(errors='replace')[-3000:]}"
            ) from None
        # The app's own process (tauri-driver → WebKitWebDriver → roster-desktop), to make sure
        # it is gone after the test: a leftover Roster would take the single-instance lock and
        # the next test's window would never open.
        self.pids = [p for p in descendants(self.driver_proc.pid) if _exe(p) == str(APP_BIN.resolve())]
        self.d.set_script_timeout(30)
        self.install_recorder()

    def _start_session(self, args: list[str], env: dict[str, str]) -> None:
        port, native = free_port(), free_port()
        # The app inherits this environment through tauri-driver and WebKitWebDriver.
        self.driver_proc = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(native)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        wait_until(lambda: _can_connect(port), timeout=15, what="tauri-driver to listen")
        # tauri-driver listens before the WebKitWebDriver it starts does; a session asked for
        # in between fails with tauri-driver's "tcp connect error" (seen in bench runs).
        wait_until(lambda: _can_connect(native), timeout=15, what="WebKitWebDriver to listen")
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP_BIN), "args": args})
        url = f"http://127.0.0.1:{port}"
        # A WebDriver command that hangs fails within a minute instead of selenium's two.
        self.d = webdriver.Remote(command_executor=url, options=options, client_config=ClientConfig(remote_server_addr=url, timeout=60))

    # -- IPC recording ------------------------------------------------------------------

    def install_recorder(self) -> None:
        wait_until(lambda: self.d.execute_script("return !!(window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks)"), what="Tauri's IPC")
        self.d.execute_script(IPC_RECORDER)

    def ipc(self) -> dict[str, list]:
        return self.d.execute_script("return window.__e2eIpc || {calls: [], answers: []}")

    def invoke(self, cmd: str, args: dict | None = None) -> Any:
        """Calls a command the way the UI does (to read state the test needs, e.g. ids)."""
        return self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1] || {})"
            ".then((r) => done({ok: r}), (e) => done({err: e}));",
            cmd,
            args,
        )

    # -- finding things -----------------------------------------------------------------

    @staticmethod
    def sel(testid: str) -> str:
        return f'[data-testid="{testid}"]'

    def all(self, testid: str, within: WebElement | None = None) -> list[WebElement]:
        root = within or self.d
        return [e for e in root.find_elements(By.CSS_SELECTOR, self.sel(testid))]

    def visible(self, testid: str, within: WebElement | None = None) -> list[WebElement]:
        out = []
        for e in self.all(testid, within):
            try:
                if e.is_displayed():
                    out.append(e)
            except StaleElementReferenceException:
                pass
        return out

    def find(self, testid: str, within: WebElement | None = None, timeout: float = 10.0) -> WebElement:
        return wait_until(lambda: (self.visible(testid, within) or [None])[0], timeout, what=f"[data-testid={testid}] to show")

    def gone(self, testid: str, timeout: float = 10.0) -> None:
        wait_until(lambda: not self.visible(testid), timeout, what=f"[data-testid={testid}] to go away")

    def click(self, testid: str, within: WebElement | None = None, timeout: float = 10.0) -> WebElement:
        el = wait_until(
            lambda: next((e for e in self.visible(testid, within) if e.is_enabled()), None), timeout, what=f"[data-testid={testid}] to be clickable"
        )
        el.click()
        return el

    def text_of(self, el: WebElement) -> str:
        """What the user reads in `el` (innerText: WebKitWebDriver's own element text drops
        the text of ARIA grid rows and cells)."""
        text = self.d.execute_script("return arguments[0].innerText", el) or ""
        return text.replace("\u00a0", " ").replace("\u202f", " ")

    def text(self, testid: str, within: WebElement | None = None, timeout: float = 10.0) -> str:
        return self.text_of(self.find(testid, within, timeout))

    def type(self, testid: str, value: str, within: WebElement | None = None) -> WebElement:
        el = self.find(testid, within)
        el.clear()
        el.send_keys(value)
        return el

    def _is(self, e: WebElement, containing: str) -> bool:
        # The e-mail is an attribute too: narrow windows drop the e-mail column.
        return e.get_attribute("data-email") == containing or containing in self.text_of(e)

    def row(self, testid: str, containing: str, timeout: float = 10.0) -> WebElement:
        """The visible `testid` (e.g. member-row) whose text or data-email contains `containing`."""
        return wait_until(lambda: next((e for e in self.visible(testid) if self._is(e, containing)), None), timeout, what=f"a {testid} containing {containing!r}")

    def no_row(self, testid: str, containing: str, timeout: float = 10.0) -> None:
        wait_until(lambda: not any(self._is(e, containing) for e in self.visible(testid)), timeout, what=f"no {testid} containing {containing!r}")

    def present(self, testid: str) -> bool:
        """In the DOM (visible or not: radios styled as buttons hide their input)."""
        return bool(self.all(testid))

    def choose(self, testid: str) -> None:
        """Picks a radio or checkbox by clicking its label, as a user does."""
        el = wait_until(lambda: (self.all(testid) or [None])[0], what=f"[data-testid={testid}]")
        label = self.d.execute_script("return arguments[0].closest('label')", el)
        (label or el).click()
        wait_until(lambda: el.is_selected(), what=f"{testid} to be picked")

    def body_text(self) -> str:
        return self.d.execute_script("return document.body.innerText")

    def press(self, *keys: str) -> None:
        """A chord: every key down in order, then up in reverse (e.g. CONTROL, "2")."""
        chain = ActionChains(self.d)
        for k in keys:
            chain.key_down(k)
        for k in reversed(keys):
            chain.key_up(k)
        chain.perform()

    # -- the app's own surfaces ------------------------------------------------------------

    def rail(self) -> list[WebElement]:
        return self.visible("rail-account")

    def title(self) -> str:
        return self.text("account-title")

    def wait_title(self, contains: str, timeout: float = 15.0) -> str:
        return wait_until(lambda: contains in self.title() and self.title(), timeout, what=f"the header to name {contains!r}")

    def switch_to(self, label: str) -> None:
        """Clicks the rail badge of the account labelled `label`, waits for its header."""
        badge = wait_until(
            lambda: next((b for b in self.rail() if (b.get_attribute("aria-label") or "").startswith(label + " —")), None),
            what=f"a rail account labelled {label!r}",
        )
        badge.click()
        self.wait_title(label)

    def tab(self, name: str) -> None:
        self.click(f"tab-{name}")
        wait_until(lambda: self.find(f"tab-{name}").get_attribute("aria-selected") == "true", what=f"tab {name} selected")

    def toast(self, containing: str = "", timeout: float = 10.0) -> str:
        return wait_until(
            lambda: next((t for t in map(self.text_of, self.visible("toast-text")) if containing in t), None), timeout, what=f"a toast containing {containing!r}"
        )

    def open_invite_dialog(self) -> WebElement:
        """Invites tab → "Invite" → the dialog, ready for input."""
        self.tab("invites")
        self.click("invite-open")
        return self.find("invite-dialog")

    def confirm(self) -> str:
        """Reads and accepts the open confirmation dialog; returns its text."""
        body = self.text("confirm-body")
        self.click("confirm-ok")
        self.gone("confirm-ok")
        return body

    def wait_paint(self) -> None:
        """Until the frame with the last DOM change has been drawn (two animation frames)."""
        self.d.execute_async_script(NEXT_PAINT)

    def settled_screenshot(self, timeout: float = 10.0) -> bytes:
        """A screenshot once the screen stopped changing: two in a row alike (a transition or
        a frame not yet presented shows as a difference)."""
        self.wait_paint()
        last = self.d.get_screenshot_as_png()

        def same() -> bytes | None:
            nonlocal last
            self.wait_paint()
            now = self.d.get_screenshot_as_png()
            alike, last = now == last, now
            return now if alike else None

        return wait_until(same, timeout, what="the window to stop changing")

    def shot(self, name: str) -> Path | None:
        """docs/screenshots/NAME.png, when ROSTER_SCREENSHOTS=1 (kept small)."""
        if not SCREENSHOTS:
            return None
        # Whatever just changed must be on screen, and no transition halfway.
        png = self.settled_screenshot()
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOTS_DIR / f"{name}.png"
        raw = self.workdir / f"{name}.raw.png"
        raw.write_bytes(png)
        shrink_png(raw, path)
        return path

    # -- secrets ---------------------------------------------------------------------------

    def assert_key_nowhere(self, key: str, *dirs: Path, handed_over: bool = False) -> None:
        """The key is in no part of the web view and in no file the app writes.

        The one IPC request allowed to carry it is the one that hands it over
        (account_add / account_rekey; `handed_over` says this window did that, and the
        recorder must have seen it); nothing Rust sends back may, nor any later request.
        """
        html = self.d.execute_script("return document.documentElement.outerHTML")
        assert key not in html, "the API key is in the web view's DOM"
        values = self.d.execute_script("return [...document.querySelectorAll('input, textarea, select')].map((e) => e.value)")
        assert not any(key in v for v in values), "the API key is still in a form field"
        storage = self.d.execute_script(
            "const dump = (s) => { const o = {}; for (let i = 0; i < s.length; i++) { const k = s.key(i); o[k] = s.getItem(k); } return o; };"
            "return JSON.stringify([dump(localStorage), dump(sessionStorage), document.cookie]);"
        )
        assert key not in storage, "the API key is in localStorage, sessionStorage or a cookie"
        log = self.ipc()
        # The recorder saw traffic, so finding nothing below means something.
        assert log["calls"] and log["answers"], f"the IPC recorder saw nothing: {log}"
        carried = []
        for call in log["calls"]:
            if key in call["body"]:
                assert call["cmd"] in ("account_add", "account_rekey"), f"the API key went over IPC in {call['cmd']}"
                carried.append(call["cmd"])
        assert len(carried) == (1 if handed_over else 0), f"the API key went over IPC in {carried}"
        leaks = [a[:200] for a in log["answers"] if key in a]
        assert not leaks, f"an IPC answer or event carries the API key: {leaks}"
        leaked_files = files_containing(key, *dirs)
        assert not leaked_files, f"the API key is written to {leaked_files}"
        # The app's own log (stdout and stderr, through tauri-driver).
        assert key not in self.log.read_text(errors="replace"), "the API key is in the app's log"

    # -- the end -------------------------------------------------------------------------

    def close_window(self) -> bool:
        """Closes the window as a user does (the title bar's ✕ → WM_DELETE_WINDOW), then ends
        the driver; True when Roster exited by itself within 15 s."""
        assert self.pids, "the app's process is not known"
        assert close_window(self.pids[0]) >= 1, "no X window of roster-desktop found"
        exited = _wait_gone(self.pids, 15)
        self.close()
        return exited

    def close(self) -> None:
        """Ends the WebDriver session (which closes the window) and tauri-driver. Idempotent."""
        if self.closed:
            return
        self.closed = True
        try:
            self.d.quit()
        except Exception:  # the driver is already gone: nothing left to close
            pass
        self.exited_on_quit = _wait_gone(self.pids, 10)
        self._stop_processes()

    def _stop_processes(self, close_log: bool = True) -> None:
        below = descendants(self.driver_proc.pid)
        pids = self.pids or [p for p in below if _exe(p) == str(APP_BIN.resolve())]
        for pid in pids:
            # SIGTERM first: Roster ends as when its window closes (the demo removes its keys).
            _signal(pid, signal.SIGTERM)
        if not _wait_gone(pids, 10):
            for pid in pids:
                _signal(pid, signal.SIGKILL)
        if self.driver_proc.poll() is None:
            self.driver_proc.terminate()
            try:
                self.driver_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.driver_proc.kill()
                self.driver_proc.wait()
        # WebKitWebDriver outlives a terminated tauri-driver: it would keep its port and its
        # half-open session.
        for pid in below:
            _signal(pid, signal.SIGKILL)
        if close_log:
            self._log.close()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _running_now() -> str:
    """Which Roster and WebKit processes exist right now (for a failure message)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            exe = _exe(int(entry.name))
            if any(n in exe for n in ("roster-desktop", "WebKitWebDriver", "WebKitWebProcess", "tauri-driver")):
                found.append(f"{Path(exe).name}[{entry.name}]")
    return "running: " + (", ".join(sorted(found)) or "no roster-desktop, WebKit or tauri-driver process")


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _signal(pid: int, sig: int) -> None:
    try:
        if _alive(pid):
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _can_connect(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def shrink_png(src: Path, dst: Path) -> None:
    """Writes `src` to `dst` as a palette PNG (UI screenshots have few colours), scaled down
    until it fits SHOT_MAX_BYTES."""
    for scale in (100, 85, 70, 60, 50):
        subprocess.run(
            ["convert", str(src), "-resize", f"{scale}%", "-strip", "-dither", "None", "-colors", "256", f"PNG8:{dst}"],
            check=True,
            timeout=60,
        )
        if dst.stat().st_size <= SHOT_MAX_BYTES:
            return
    raise AssertionError(f"{dst} is {dst.stat().st_size} bytes even at half size")


class Desktop:
    """What a test uses to set up a user's machine and open Roster on it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.config = tmp_path / "config"
        self.cache = tmp_path / "cache"
        # The app's TMPDIR (the demo keeps its database and account list there), so whatever
        # a killed app leaves behind goes with the test's own temp dir.
        self.tmpdir = tmp_path / "tmp"
        # Every place the app may write to (besides the keychain).
        self.dirs = (self.config, self.cache, self.tmpdir)
        for d in self.dirs:
            d.mkdir()
        self.apps: list[App] = []
        self.notifications = NotificationServer()
        # Before any app starts: its tray icon registers with the watcher it finds then.
        self.tray = TrayHost()

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"ROSTER_CONFIG_DIR": str(self.config), "ROSTER_CACHE_DIR": str(self.cache), "TMPDIR": str(self.tmpdir), "RUST_BACKTRACE": "1"})
        env.pop("ROSTER_KEY_FILE", None)
        env.update(extra or {})
        return env

    def add_account(self, server: str, key: str, label: str | None = None) -> dict[str, Any]:
        """Adds an account the way a user of the `roster` CLI would (same keychain entries and
        account list as the app), so a test starts with accounts already there."""
        args = [str(CLI_BIN), "--json", "accounts", "add", "--server", server, "--key-stdin"]
        if label:
            args += ["--label", label]
        out = subprocess.run(args, input=key + "\n", capture_output=True, text=True, env=self.env(), timeout=60)
        assert out.returncode == 0, f"roster accounts add failed: {out.stdout} {out.stderr}"
        return json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}

    def open(self, *args: str, env: dict[str, str] | None = None, name: str = "app") -> App:
        workdir = self.tmp / name
        workdir.mkdir(exist_ok=True)
        app = App(workdir, list(args), self.env(env), name)
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            app.close()
        self.notifications.stop()
        self.tray.stop()
        # The keyring outlives a test (one per session): leave it as we found it.
        for service in (SERVICE, DEMO_SERVICE):
            subprocess.run(["secret-tool", "clear", "service", service], capture_output=True, timeout=20)
        # Ending the WebDriver session closes the window, and Roster must then exit by itself
        # (it had to be killed otherwise, which `close` did, but that is a bug).
        stuck = [app.name for app in self.apps if not app.exited_on_quit]
        assert not stuck, f"roster-desktop did not exit within 10 s of its window closing: {stuck}"


@pytest.fixture
def desktop(tmp_path):
    d = Desktop(tmp_path)
    yield d
    d.close()
