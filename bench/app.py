#!/usr/bin/env python3
"""Roster desktop app benchmarks, in the real window under Xvfb, each against a reference
measured in the same run. Run through `./x bench NAME` (release builds, the test venv's
selenium, tools/desktop-session); NAME is one of:

  switch  account switch until the member rows are painted, for teams of 10, 1,000 and 10,000
          members: from the session's memory, from the disk cache (first switch after a start)
          and from the network (nothing cached); reference: the round trip of the first
          members page (curl) measured between the switches.
  start   cold start (process start until the first member row is painted) and memory
          (proportional and resident set of every process, the 10,000-member team on screen),
          against Chromium running the same built UI against the same server through
          roster-webconsole (bench/webconsole), started alternately.
  copy    the app's invite_create IPC call until the X clipboard holds the link, against a raw
          curl POST of the same invite (whole process, and curl's own round trip).

Timing inside the web view comes from the UI's Performance API marks (ui/src/lib/timing.ts),
read back through WebDriver (tauri-driver + WebKitWebDriver for the app, chromedriver for
Chromium). A process's start is taken by a wrapper script that writes the wall clock and its
pid, then execs the real binary (same pid).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, TARGET, Server, esc, fmt_spread, log, machine, save, summary, xclip_out  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.options import ArgOptions  # noqa: E402
from selenium.webdriver.remote.client_config import ClientConfig  # noqa: E402

APP_BIN = TARGET / "release" / "roster-desktop"
CLI_BIN = TARGET / "release" / "roster"
CONSOLE_BIN = TARGET / "release" / "roster-webconsole"
UI_DIST = ROOT / "ui" / "dist"
SIZES = [10, 1000, 10000]
ROUNDS = int(os.environ.get("ROSTER_BENCH_APP_ROUNDS", "10"))
COPY_RUNS = int(os.environ.get("ROSTER_BENCH_COPY_RUNS", "30"))
# Every process the window is made of settles (WebKit's caches, the GC) before memory is read.
SETTLE_S = float(os.environ.get("ROSTER_BENCH_SETTLE_S", "3"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


# ------------------------------------------------------------------ the user's machine


class Desktop:
    """Throw-away config and cache dirs, the real keychain of tools/desktop-session, and the
    bench server's teams added as accounts with the release CLI (as a user would)."""

    def __init__(self, srv: Server) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="roster-bench-app."))
        self.config, self.cache = self.dir / "config", self.dir / "cache"
        self.config.mkdir()
        self.cache.mkdir()
        self.env = dict(os.environ, ROSTER_CONFIG_DIR=str(self.config), ROSTER_CACHE_DIR=str(self.cache))
        self.env.pop("ROSTER_KEY_FILE", None)
        self.ids: dict[str, str] = {}
        for team in srv.teams:
            out = subprocess.run([str(CLI_BIN), "--json", "accounts", "add", "--server", srv.url, "--key-stdin", "--label", team["name"]],
                                 input=team["key"] + "\n", capture_output=True, text=True, env=self.env, check=True)
            self.ids[team["name"]] = json.loads(out.stdout)["account"]["id"]

    def activate(self, label: str) -> None:
        subprocess.run([str(CLI_BIN), "accounts", "switch", label], capture_output=True, env=self.env, check=True)

    def clear_cache(self) -> None:
        shutil.rmtree(self.cache)
        self.cache.mkdir()

    def stop(self) -> None:
        subprocess.run(["secret-tool", "clear", "service", "roster"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def wrapper(dir: Path, binary: Path, name: str) -> tuple[Path, Path]:
    """A script that records when (wall clock, ns) and as which pid the real binary starts."""
    stamp = dir / f"{name}.started"
    script = dir / f"{name}.sh"
    script.write_text(f'#!/bin/sh\necho "$(date +%s%N) $$" > "{stamp}"\nexec "{binary}" "$@"\n')
    script.chmod(0o755)
    return script, stamp


def started(stamp: Path) -> tuple[float, int]:
    ns, pid = stamp.read_text().split()
    return int(ns) / 1e6, int(pid)


def tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [pid], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def memory(pid: int) -> dict:
    """PSS and RSS (MiB) summed over `pid` and every process below it, with their names."""
    pss = rss = 0
    procs = []
    for p in tree(pid):
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            name = Path(f"/proc/{p}/comm").read_text().strip()
        except OSError:
            continue
        kb = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.split()[-1] == "kB"}
        pss += kb.get("Pss", 0)
        rss += kb.get("Rss", 0)
        procs.append({"pid": p, "name": name, "pss_mib": kb.get("Pss", 0) / 1024, "rss_mib": kb.get("Rss", 0) / 1024})
    return {"pss_mib": pss / 1024, "rss_mib": rss / 1024, "processes": procs}


# ------------------------------------------------------------------ windows

# The first painted member rows since the page loaded, on the wall clock (ms).
FIRST_ROWS = """
const m = performance.getEntriesByName('roster:rows', 'mark').find((e) => e.detail && e.detail.rows > 0);
return m ? {at: performance.timeOrigin + m.startTime, source: m.detail.source, id: m.detail.id} : null;
"""

# Clicks the rail badge of arguments[0] (its aria-label starts with the label) as the user does,
# then waits for the rows of `arguments[1]` (a source) for that account; returns ms from the click.
SWITCH = """
const [label, want, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const badge = [...document.querySelectorAll('[data-testid="rail-account"]')]
  .find((b) => (b.getAttribute('aria-label') || '').startsWith(label + ' —'));
if (!badge) return done({err: 'no rail badge for ' + label});
const t0 = performance.now();
badge.click();
const id = performance.getEntriesByName('roster:switch', 'mark').at(-1)?.detail?.id;
const deadline = t0 + 60000;
(function poll() {
  const rows = performance.getEntriesByName('roster:rows', 'mark').filter((e) => e.detail.id === id && e.startTime >= t0);
  const hit = rows.find((e) => want.split('|').includes(e.detail.source) && e.detail.rows > 0);
  if (hit) return done({ms: hit.startTime - t0, rows: hit.detail.rows, source: hit.detail.source, sources: rows.map((e) => [e.detail.source, e.startTime - t0, e.detail.rows]),
                        phases: {script: hit.detail.applied - t0, wait: hit.detail.frame - hit.detail.applied, paint: hit.startTime - hit.detail.frame}});
  if (performance.now() > deadline) return done({err: 'no ' + want + ' rows for ' + label + ': ' + JSON.stringify(rows.map((e) => e.detail))});
  setTimeout(poll, 2);
})();
"""

# The floor of that measure: from now until the next frame has been painted (the same
# requestAnimationFrame + next task the UI's marks use), with nothing changed on the page.
FRAME = """
const done = arguments[arguments.length - 1];
const t0 = performance.now();
requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
"""

NETWORK_ROWS_FOR_ACTIVE = """
const m = performance.getEntriesByName('roster:rows', 'mark').filter((e) => e.detail.source === 'network' && e.detail.rows > 0);
return m.length ? m.at(-1).detail.id : null;
"""


class Retry(Exception):
    pass


def open_window(kind: str, desk: "Desktop", workdir: Path, url: str | None = None) -> "Window":
    """A Window, started over once when the driver dropped the session (logged)."""
    try:
        return Window(kind, desk, workdir, url)
    except Retry as e:
        log(f"{e}; starting over")
        return Window(kind, desk, workdir, url)


class Window:
    """One WebDriver session: the app through tauri-driver, or Chromium through chromedriver."""

    def __init__(self, kind: str, desk: Desktop, workdir: Path, url: str | None = None) -> None:
        self.kind = kind
        self.log = open(workdir / f"{kind}.log", "ab")
        port, native = free_port(), None
        if kind == "app":
            script, self.stamp = wrapper(workdir, APP_BIN, "app")
            native = free_port()
            cmd = ["tauri-driver", "--port", str(port), "--native-port", str(native)]
            options = ArgOptions()
            options.set_capability("browserName", "wry")
            options.set_capability("tauri:options", {"application": str(script), "args": []})
        else:
            script, self.stamp = wrapper(workdir, Path(shutil.which("chromium") or "chromium"), "chromium")
            cmd = ["chromedriver", f"--port={port}"]
            options = webdriver.ChromeOptions()
            options.binary_location = str(script)
            profile = workdir / "chromium-profile"
            shutil.rmtree(profile, ignore_errors=True)
            # A fresh profile each start (no HTTP cache: a cold start), the app's window size,
            # the page opened at launch like the app's. --no-sandbox: CI runs as root.
            for a in (f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--no-sandbox",
                      "--window-size=1200,780", "--disable-background-networking", "--disable-component-update", f"--app={url}"):
                options.add_argument(a)
        self.driver = subprocess.Popen(cmd, env=desk.env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: listening(port), 15, f"{cmd[0]} to listen")
        if native:
            # tauri-driver listens before its WebKitWebDriver does: a session asked for in
            # between fails ("tcp connect error").
            wait_for(lambda: listening(native), 15, "WebKitWebDriver to listen")
        remote = f"http://127.0.0.1:{port}"
        try:
            self.d = webdriver.Remote(command_executor=remote, options=options, client_config=ClientConfig(remote_server_addr=remote, timeout=120))
        except Exception as e:
            # The driver now and then drops a new session (seen once in 20 starts): such a
            # start is not a measurement; the caller starts over.
            self.pid = started(self.stamp)[1] if self.stamp.exists() else self.driver.pid
            self.d = None
            self.close()
            raise Retry(f"{kind}: the WebDriver session did not start ({e.__class__.__name__})") from None
        self.d.set_script_timeout(90)
        if kind == "chromium":
            # chromedriver's own first tab and the --app window: follow the one with our page.
            def ours():
                for h in self.d.window_handles:
                    self.d.switch_to.window(h)
                    if self.d.current_url.startswith(url):
                        return True
                return False
            wait_for(ours, 30, "the Chromium window with the console")
        self.started_ms, self.pid = started(self.stamp)

    def first_rows(self, timeout: float = 60) -> dict:
        return wait_for(lambda: self.d.execute_script(FIRST_ROWS), timeout, f"{self.kind}: first member rows")

    def switch(self, label: str, want: str) -> dict:
        r = self.d.execute_async_script(SWITCH, label, want)
        if "err" in r:
            raise SystemExit(f"{self.kind}: {r['err']}")
        return r

    def wait_read_ahead(self, timeout: float = 30) -> None:
        """Until the window has read the other teams ahead and built their tables."""
        wait_for(lambda: self.d.execute_script("return performance.getEntriesByName('roster:ahead', 'mark').length > 0"), timeout,
                 "the other teams read ahead")

    def wait_network_rows(self, account_id: str, timeout: float = 60) -> None:
        wait_for(lambda: self.d.execute_script(NETWORK_ROWS_FOR_ACTIVE) == account_id, timeout, "fresh rows from the network")

    def invoke(self, cmd: str, args: dict) -> dict:
        return self.d.execute_async_script(
            "const done = arguments[arguments.length - 1]; const t0 = performance.now();"
            "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])"
            ".then((r) => done({ms: performance.now() - t0, r}), (e) => done({err: e}));",
            cmd, args)

    def close(self) -> None:
        try:
            if self.d:
                self.d.quit()
        except Exception:  # already gone
            pass
        for p in reversed(tree(self.pid)):
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
        self.driver.terminate()
        try:
            self.driver.wait(10)
        except subprocess.TimeoutExpired:
            self.driver.kill()
        for p in tree(self.driver.pid)[1:]:
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
        self.log.close()


def curl_ms(url: str, key: str, method: str = "GET", body: dict | None = None) -> tuple[float, float]:
    """(whole curl process ms, curl's own time_total ms)."""
    cmd = ["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{time_total}", "-H", f"Authorization: Bearer {key}"]
    if body is not None:
        cmd += ["-X", method, "-H", "Content-Type: application/json", "-H", f"Idempotency-Key: {uuid.uuid4()}", "--data", json.dumps(body)]
    t0 = time.perf_counter_ns()
    p = subprocess.run(cmd + [url], capture_output=True, text=True)
    t1 = time.perf_counter_ns()
    if p.returncode != 0:
        raise SystemExit(f"curl {url} failed: {p.stderr}")
    return (t1 - t0) / 1e6, float(p.stdout) * 1000


HOME = "Home"


def team_servers() -> Server:
    """The measured teams, and a small "Home" team each start opens (so every measured team
    is switched to, never opened at start)."""
    return Server(0, 0, teams=[(5, 0, HOME)] + [(n, 0, f"Team {n:,}") for n in SIZES])


# ------------------------------------------------------------------ switch


def start_on_home(desk: Desktop, work: Path) -> Window:
    """The app started on the small "Home" team, its fresh rows on screen."""
    desk.activate(HOME)
    w = open_window("app", desk, work)
    try:
        w.wait_network_rows(desk.ids[HOME])
    except BaseException:
        w.close()
        raise
    return w


def bench_switch() -> dict:
    srv = team_servers()
    desk = Desktop(srv)
    work = desk.dir
    labels = [t["name"] for t in srv.teams if t["name"] != HOME]
    runs: dict[str, dict[str, list[float]]] = {
        lab: {"memory": [], "disk": [], "network_first": [], "network_empty": [], "network_after_disk": [], "rtt": [], "frame": [],
              "memory_script": [], "memory_wait": [], "memory_paint": [], "disk_script": [], "disk_wait": [], "disk_paint": [],
              "disk_read_ahead": []} for lab in labels}
    try:
        for r in range(ROUNDS):
            order = labels[r % len(labels):] + labels[: r % len(labels)]
            # 1. Nothing cached: each switch waits for the server.
            desk.clear_cache()
            w = start_on_home(desk, work)
            try:
                for lab in order:
                    team = next(t for t in srv.teams if t["name"] == lab)
                    runs[lab]["rtt"].append(curl_ms(f"{srv.url}/v1/members?limit=200", team["key"])[1])
                    res = w.switch(lab, "network")
                    runs[lab]["network_empty"].append(res["ms"])
                    # The first rows on screen: the team's first page (or the whole team, had it won).
                    runs[lab]["network_first"].append(min(t for s, t, n in res["sources"] if n > 0 and s in ("first-page", "network")))
                # 2. From memory: every team seen in this session.
                for _ in range(3):
                    for lab in order:
                        runs[lab]["frame"].append(w.d.execute_async_script(FRAME))
                        res = w.switch(lab, "memory")
                        runs[lab]["memory"].append(res["ms"])
                        for phase, ms in res["phases"].items():
                            runs[lab][f"memory_{phase}"].append(ms)
                        w.wait_network_rows(desk.ids[lab])
            finally:
                w.close()
            # 3. A new start with every snapshot on disk: the window reads the other teams ahead
            # while idle (their cached views, their tables off the page); then the first
            # switch to each. A switch that comes before the read-ahead reads the disk itself.
            w = start_on_home(desk, work)
            try:
                w.wait_read_ahead()
                for lab in order:
                    res = w.switch(lab, "disk|memory")
                    runs[lab]["disk"].append(res["ms"])
                    runs[lab]["disk_read_ahead"].append(1.0 if res["source"] == "memory" else 0.0)
                    for phase, ms in res["phases"].items():
                        runs[lab][f"disk_{phase}"].append(ms)
                    net = [t for s, t, _ in res["sources"] if s == "network"]
                    if not net:
                        net_res = w.d.execute_async_script(
                            "const [id, done] = [arguments[0], arguments[arguments.length - 1]];"
                            "const t0 = performance.getEntriesByName('roster:switch', 'mark').at(-1).startTime;"
                            "(function poll() { const m = performance.getEntriesByName('roster:rows', 'mark').find((e) => e.detail.source === 'network' && e.detail.id === id);"
                            " if (m) return done(m.startTime - t0); setTimeout(poll, 5); })();", desk.ids[lab])
                        net = [net_res]
                    runs[lab]["network_after_disk"].append(net[0])
            finally:
                w.close()
            log(f"round {r + 1}/{ROUNDS}: " + ", ".join(
                f"{lab}: mem {runs[lab]['memory'][-1]:.1f} disk {runs[lab]['disk'][-1] if runs[lab]['disk'] else float('nan'):.1f} "
                f"net {runs[lab]['network_empty'][-1] if runs[lab]['network_empty'] else float('nan'):.1f} ms" for lab in labels))
        out = {"teams": [], "config": {
            "rounds": ROUNDS, "sizes": SIZES,
            "how": "click on the rail badge inside the page (execute_async_script) until the roster:rows mark of that account "
                   "with the wanted source and >0 member rows (rAF + next task after the DOM change: painted)",
"network_first": "the same network switch until its first member rows are painted: the team's first page by name (team_first_page), the whole team following",
            "rtt": "curl -w %{time_total} GET /v1/members?limit=200 with the team's key, just before each network switch",
            "frame": "requestAnimationFrame + next task with nothing changed, just before each memory switch: the floor of 'until painted'",
        }}
        for team in srv.teams[1:]:
            lab = team["name"]
            entry = {"label": lab, "members": team["members"]}
            for k, xs in runs[lab].items():
                if xs:
                    entry[k] = summary(xs)
                    entry[k + "_runs"] = xs
            out["teams"].append(entry)
        return out
    finally:
        desk.stop()
        srv.stop()


def switch_md(res: dict) -> str:
    lines = ["| team | from memory | first switch after a start (read ahead from the disk cache while idle) | from network, nothing cached: first rows | … the whole team | fresh rows after the disk ones | round trip of one members page (curl) | next painted frame, nothing changed |",
             "|---|---|---|---|---|---|---|---|"]
    for t in res["teams"]:
        cell = lambda k: fmt_spread(t[k], "ms", 1) if k in t else "—"  # noqa: E731
        lines.append(f"| {t['members']:,} members | {cell('memory')} | {cell('disk')} | {cell('network_first')} | {cell('network_empty')} | {cell('network_after_disk')} | {cell('rtt')} | {cell('frame')} |")
    phases = ["| team | memory: script (click → DOM updated) | … waiting for a frame | … drawing it | first after a start: script (click → DOM updated) | … waiting for a frame | … drawing it |",
              "|---|---|---|---|---|---|---|"]
    for t in res["teams"]:
        cell = lambda k: fmt_spread(t[k], "ms", 1) if k in t else "—"  # noqa: E731
        phases.append(f"| {t['members']:,} members | {cell('memory_script')} | {cell('memory_wait')} | {cell('memory_paint')} | "
                      f"{cell('disk_script')} | {cell('disk_wait')} | {cell('disk_paint')} |")
    return ("Median (p25–p75; min–max) over rounds; each switch is a click on the rail badge until that team's member rows are painted.\n\n"
            + "\n".join(lines) + "\n\nWhere the time of a cached switch goes (the same switches; `applied` and `frame` of the UI's mark):\n\n"
            + "\n".join(phases) + "\n")


def switch_svg(res: dict) -> str:
    """Switch latency against team size (log x), one line per source, goal lines."""
    import math

    W, H, L, R, T, B = 720, 380, 60, 210, 40, 50
    teams = res["teams"]
    series = [("memory", "from memory", "#2e86ab"), ("disk", "first switch after a start", "#3bb273"),
              ("network_first", "network: first rows", "#f29e4c"), ("network_empty", "network: whole team", "#d1495b"),
              ("rtt", "one page round trip (curl)", "#888"),
              ("frame", "next frame, no change", "#bbb")]
    vals = [t[k]["median"] for t in teams for k, _, _ in series if k in t]
    ymax = max(vals + [16]) * 1.15
    xs = [t["members"] for t in teams]
    lo, hi = math.log10(min(xs)), math.log10(max(xs))

    def xpos(n: float) -> float:
        return L + (W - L - R) * (math.log10(n) - lo) / (hi - lo)

    def ypos(ms: float) -> float:
        return H - B - (H - T - B) * ms / ymax

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="#fff"/>',
           f'<text x="{L}" y="22" font-size="14" font-weight="bold">Account switch until rows are painted (median of {res["config"]["rounds"]} rounds)</text>']
    step = next(s for s in (2, 5, 10, 20, 50, 100, 200, 500, 1000) if ymax / s <= 10)
    y = 0.0
    while y <= ymax:
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{ypos(y):.1f}" y2="{ypos(y):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{L - 6}" y="{ypos(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
        y += step
    for n in xs:
        out.append(f'<text x="{xpos(n):.1f}" y="{H - B + 16}" text-anchor="middle">{n:,}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">members in the team</text>')
    out.append(f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" text-anchor="middle">ms</text>')
    out.append(f'<line x1="{L}" x2="{W - R}" y1="{ypos(16):.1f}" y2="{ypos(16):.1f}" stroke="#2e86ab" stroke-dasharray="5,4"/>')
    out.append(f'<text x="{W - R - 4}" y="{ypos(16) - 4:.1f}" text-anchor="end" fill="#2e86ab">16 ms (one frame): cached goal</text>')
    out.append(f'<line x1="{L}" x2="{L}" y1="{T}" y2="{H - B}" stroke="#333"/><line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="#333"/>')
    for n, (k, label, col) in enumerate(series):
        pts = [(t["members"], t[k]["median"]) for t in teams if k in t]
        if not pts:
            continue
        out.append(f'<polyline fill="none" stroke="{col}" stroke-width="2" points="{" ".join(f"{xpos(a):.1f},{ypos(b):.1f}" for a, b in pts)}"/>')
        for a, b in pts:
            out.append(f'<circle cx="{xpos(a):.1f}" cy="{ypos(b):.1f}" r="3" fill="{col}"/>')
        ly = T + 10 + n * 22
        out.append(f'<rect x="{W - R + 12}" y="{ly}" width="12" height="12" fill="{col}"/>')
        out.append(f'<text x="{W - R + 30}" y="{ly + 10}">{esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ start + memory


class Console:
    """roster-webconsole: the same UI for Chromium, over the same accounts and server."""

    def __init__(self, desk: Desktop) -> None:
        self.err = open(desk.dir / "webconsole.err", "w")
        self.proc = subprocess.Popen([str(CONSOLE_BIN), "--ui", str(UI_DIST), "--listen", "127.0.0.1:0"], env=desk.env,
                                     stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"roster-webconsole did not start; see {desk.dir / 'webconsole.err'}")
        self.url = json.loads(line)["url"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.err.close()


def bench_start() -> dict:
    srv = team_servers()
    desk = Desktop(srv)
    console = Console(desk)
    big = srv.teams[-1]["name"]  # 10,000 members
    big_id = desk.ids[big]
    runs = {k: {"start_ms": [], "pss_mib": [], "rss_mib": [], "breakdown": []} for k in ("app", "chromium")}
    try:
        desk.activate(big)
        # One warm-up of each: page cache for both binaries and the UI files; the disk cache
        # then holds the big team's snapshot for both (same Desk, same cache dir).
        for kind in ("app", "chromium"):
            w = open_window(kind, desk, desk.dir, console.url)
            w.first_rows()
            w.wait_network_rows(big_id)
            w.close()
        for r in range(ROUNDS):
            for kind in (("app", "chromium") if r % 2 == 0 else ("chromium", "app")):
                w = open_window(kind, desk, desk.dir, console.url)
                try:
                    first = w.first_rows()
                    ms = first["at"] - w.started_ms
                    w.wait_network_rows(big_id)
                    time.sleep(SETTLE_S)
                    mem = memory(w.pid)
                finally:
                    w.close()
                runs[kind]["start_ms"].append(ms)
                runs[kind]["pss_mib"].append(mem["pss_mib"])
                runs[kind]["rss_mib"].append(mem["rss_mib"])
                runs[kind]["breakdown"].append(mem["processes"])
                log(f"round {r + 1}/{ROUNDS} {kind:8}: first rows ({first['source']}) {ms:7.1f} ms after start; "
                    f"PSS {mem['pss_mib']:6.1f} MiB, RSS {mem['rss_mib']:6.1f} MiB in {len(mem['processes'])} processes")
        out = {"config": {
            "rounds": ROUNDS, "members": SIZES[-1], "settle_s": SETTLE_S,
            "app": f"{APP_BIN.name} (release) through tauri-driver/WebKitWebDriver",
            "chromium": "chromium --app=URL --user-data-dir=FRESH --no-first-run --no-sandbox --window-size=1200,780 through chromedriver; "
                        "URL is roster-webconsole serving ui/dist and the same commands over HTTP",
            "start": "wall clock from the wrapper's exec to performance.timeOrigin + the first roster:rows mark with rows > 0",
            "memory": "sum of Pss and of Rss from /proc/PID/smaps_rollup over the started process and all its descendants, "
                      f"{SETTLE_S:g} s after the fresh 10,000-member list was painted",
        }}
        for kind in ("app", "chromium"):
            out[kind] = {k: summary(v) for k, v in runs[kind].items() if k != "breakdown"}
            out[kind]["runs"] = runs[kind]
        for k in ("start_ms", "pss_mib", "rss_mib"):
            out[f"ratio_{k}"] = summary([a / b for a, b in zip(runs["app"][k], runs["chromium"][k])])
        return out
    finally:
        console.stop()
        desk.stop()
        srv.stop()


def start_md(res: dict) -> str:
    a, c = res["app"], res["chromium"]

    def procs(kind: str) -> str:
        last = res[kind]["runs"]["breakdown"][-1]
        by: dict[str, float] = {}
        for p in last:
            by[p["name"]] = by.get(p["name"], 0) + p["pss_mib"]
        return ", ".join(f"{n} {v:.0f}" for n, v in sorted(by.items(), key=lambda x: -x[1]))

    return "\n".join([
        "| | Roster (release) | Chromium, same UI | Roster / Chromium (per round) |",
        "|---|---|---|---|",
        f"| process start → first member row painted | {fmt_spread(a['start_ms'], 'ms', 0)} | {fmt_spread(c['start_ms'], 'ms', 0)} | **{res['ratio_start_ms']['median']:.2f}×** ({res['ratio_start_ms']['p25']:.2f}–{res['ratio_start_ms']['p75']:.2f}) |",
        f"| memory, PSS summed over all processes | {fmt_spread(a['pss_mib'], 'MiB', 0)} | {fmt_spread(c['pss_mib'], 'MiB', 0)} | **{res['ratio_pss_mib']['median']:.2f}×** ({res['ratio_pss_mib']['p25']:.2f}–{res['ratio_pss_mib']['p75']:.2f}) |",
        f"| memory, RSS summed over all processes | {fmt_spread(a['rss_mib'], 'MiB', 0)} | {fmt_spread(c['rss_mib'], 'MiB', 0)} | {res['ratio_rss_mib']['median']:.2f}× ({res['ratio_rss_mib']['p25']:.2f}–{res['ratio_rss_mib']['p75']:.2f}) |",
        "",
        f"PSS by process (MiB, last round): Roster — {procs('app')}; Chromium — {procs('chromium')}.",
        "",
    ])


def start_svg(res: dict) -> str:
    """Two panels of dots: start time and PSS, app against Chromium."""
    W, H = 720, 260
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="#fff"/>',
           f'<text x="20" y="22" font-size="14" font-weight="bold">Cold start and memory: Roster vs Chromium on the same UI ({res["config"]["rounds"]} rounds each)</text>']
    panels = [("start_ms", "start → first row (ms)", 40), ("pss_mib", "memory, PSS (MiB)", 150)]
    L, R = 150, 30
    for key, title, top in panels:
        xmax = max(res["app"]["runs"][key] + res["chromium"]["runs"][key]) * 1.1
        out.append(f'<text x="20" y="{top + 12}" font-weight="bold">{esc(title)}</text>')
        for n, (kind, label, col) in enumerate((("app", "Roster", "#2e86ab"), ("chromium", "Chromium", "#d1495b"))):
            out += dot_row(label, res[kind]["runs"][key], top + 35 + n * 28, (L, W - R, xmax), col, "{:.0f}")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def dot_row(label: str, values: list[float], cy: float, scale: tuple[float, float, float], col: str, fmt: str) -> list[str]:
    """One labelled row of a dot chart: every run a dot, the median a bar with its value;
    `scale` is (x of 0, x of xmax, xmax)."""
    x0, x1, xmax = scale
    pos = lambda v: x0 + (x1 - x0) * v / xmax  # noqa: E731
    m = statistics.median(values)
    return [f'<text x="{x0 - 10}" y="{cy + 4}" text-anchor="end">{esc(label)}</text>',
            f'<line x1="{x0}" x2="{x1}" y1="{cy}" y2="{cy}" stroke="#eee"/>',
            *(f'<circle cx="{pos(v):.1f}" cy="{cy}" r="3.5" fill="{col}" fill-opacity="0.5"/>' for v in values),
            f'<line x1="{pos(m):.1f}" x2="{pos(m):.1f}" y1="{cy - 10}" y2="{cy + 10}" stroke="#000" stroke-width="2"/>',
            f'<text x="{pos(m) + 6:.1f}" y="{cy - 7}">{fmt.format(m)}</text>']


# ------------------------------------------------------------------ copy


def bench_copy() -> dict:
    srv = Server(SIZES[-1], 0)
    desk = Desktop(srv)
    tag = uuid.uuid4().hex[:8]
    app_ms, curl_whole, curl_rt = [], [], []
    try:
        label = srv.teams[0]["name"]
        desk.activate(label)
        w = open_window("app", desk, desk.dir)
        try:
            w.wait_network_rows(desk.ids[label])
            acc = desk.ids[label]
            for j in range(3):  # warm-up: the client's connection, the clipboard owner thread
                w.invoke("invite_create", {"id": acc, "invite": {"email": f"warm{j}-{tag}@bench.example", "role": "member"},
                                           "idempotencyKey": str(uuid.uuid4())})
                curl_ms(f"{srv.url}/v1/invites", srv.key, "POST", {"email": f"warm{j}-curl-{tag}@bench.example", "role": "member"})
            for i in range(COPY_RUNS):
                whole, rt = curl_ms(f"{srv.url}/v1/invites", srv.key, "POST", {"email": f"run{i}-curl-{tag}@bench.example", "role": "member"})
                curl_whole.append(whole)
                curl_rt.append(rt)
                r = w.invoke("invite_create", {"id": acc, "invite": {"email": f"run{i}-app-{tag}@bench.example", "role": "member"},
                                               "idempotencyKey": str(uuid.uuid4())})
                if "err" in r:
                    raise SystemExit(f"invite_create failed: {r['err']}")
                link = r["r"]["invite"]["link"]
                # Outside the timed part: another process pastes exactly that link.
                if not r["r"]["copied"] or (xclip_out() or "").strip() != link:
                    raise SystemExit(f"the clipboard does not hold {link!r} (copied={r['r']['copied']})")
                app_ms.append(r["ms"])
        finally:
            w.close()
        log(f"app IPC→clipboard median {statistics.median(app_ms):.2f} ms; curl whole {statistics.median(curl_whole):.2f} ms, "
            f"curl round trip {statistics.median(curl_rt):.2f} ms")
        return {
            "config": {"runs": COPY_RUNS, "app": "window.__TAURI_INTERNALS__.invoke('invite_create', {id, invite: {email, role: 'member'}, idempotencyKey}) "
                       "timed with performance.now() in the page until it resolves (after roster-core owns the X selection); "
                       "then xclip -o from another process must return the link (untimed)",
                       "curl": "curl -sS -f -o /dev/null -w %{time_total} -X POST URL/v1/invites -H 'Authorization: Bearer KEY' "
                               "-H 'Content-Type: application/json' -H 'Idempotency-Key: UUID' --data '{\"email\":EMAIL,\"role\":\"member\"}'"},
            "app_ms": app_ms, "curl_whole_ms": curl_whole, "curl_rt_ms": curl_rt,
            "app": summary(app_ms), "curl_whole": summary(curl_whole), "curl_rt": summary(curl_rt),
            "ratio_whole": summary([a / b for a, b in zip(app_ms, curl_whole)]),
            "ratio_rt": summary([a / b for a, b in zip(app_ms, curl_rt)]),
        }
    finally:
        desk.stop()
        srv.stop()


def copy_md(res: dict) -> str:
    return "\n".join([
        "| | median (p25–p75; min–max) | app / this (per pair) |",
        "|---|---|---|",
        f"| app: `invite_create` IPC call until it resolves, link on the X clipboard | {fmt_spread(res['app'], 'ms')} | — |",
        f"| curl POST, whole process | {fmt_spread(res['curl_whole'], 'ms')} | **{res['ratio_whole']['median']:.2f}×** |",
        f"| curl POST, its own round trip (`%{{time_total}}`) | {fmt_spread(res['curl_rt'], 'ms')} | **{res['ratio_rt']['median']:.2f}×** |",
        "",
    ])


def copy_svg(res: dict) -> str:
    W, H, L, R, T = 720, 200, 170, 30, 40
    xmax = max(res["app_ms"] + res["curl_whole_ms"]) * 1.1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="#fff"/>',
           f'<text x="20" y="22" font-size="14" font-weight="bold">Invite link to clipboard: the app\'s IPC call vs curl ({res["config"]["runs"]} pairs)</text>']
    rows = [("app_ms", "app (IPC → clipboard)", "#2e86ab"), ("curl_whole_ms", "curl, whole process", "#d1495b"), ("curl_rt_ms", "curl, round trip only", "#888")]
    for n, (key, label, col) in enumerate(rows):
        out += dot_row(label, res[key], T + 25 + n * 45, (L, W - R, xmax), col, "{:.2f} ms")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ main


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "all"
    if not os.environ.get("DISPLAY"):
        raise SystemExit("the app benchmarks need a desktop session: run them through ./x bench (tools/desktop-session)")
    for b in (APP_BIN, CLI_BIN):
        if not b.exists():
            raise SystemExit(f"{b} is missing: run ./x bench (it builds the release binaries)")
    m = machine()
    benches = {"switch": (bench_switch, switch_md, switch_svg), "start": (bench_start, start_md, start_svg), "copy": (bench_copy, copy_md, copy_svg)}
    if name not in benches and name != "all":
        raise SystemExit(f"unknown app benchmark {name!r}; one of: {', '.join(benches)}, all")
    for key, (run, md, svg) in benches.items():
        if name in (key, "all"):
            res = run()
            res["machine"] = m
            save(key, res, md(res), svg(res))


if __name__ == "__main__":
    main()
