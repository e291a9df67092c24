"""A desktop notification server (org.freedesktop.Notifications) on the test session's D-Bus.

Under Xvfb there is no notification daemon, so the app's native notifications would fail with
"ServiceUnknown" and be only logged. This plays the daemon GNOME or KDE would be: it owns the
well-known name on the same session bus the app uses and records every `Notify` call, so a test
sees exactly the notification a user would see (its summary and body).
"""

from __future__ import annotations

import threading
import time

from jeepney import HeaderFields, MessageType, new_error, new_method_return

from bus import own

NAME = "org.freedesktop.Notifications"
INTERFACE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class NotificationServer:
    """Owns org.freedesktop.Notifications until `stop()`; `shown` lists (summary, body)."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conn = own(NAME)
        self._thread = threading.Thread(target=self._serve, name="notifications", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        next_id = 1
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:  # the connection closed under us: we are stopping
                return
            h = msg.header
            if h.message_type != MessageType.method_call:
                continue
            member = h.fields.get(HeaderFields.member)
            iface = h.fields.get(HeaderFields.interface)
            if iface not in (INTERFACE, None):
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownInterface"))
                continue
            if member == "Notify":
                # (app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)
                _app, _replaces, _icon, summary, body, *_rest = msg.body
                with self._lock:
                    self.shown.append((summary, body))
                self._conn.send(new_method_return(msg, "u", (next_id,)))
                next_id += 1
            elif member == "GetCapabilities":
                self._conn.send(new_method_return(msg, "as", (["body", "actions"],)))
            elif member == "GetServerInformation":
                self._conn.send(new_method_return(msg, "ssss", ("roster-e2e", "roster", "1.0", "1.2")))
            elif member == "CloseNotification":
                self._conn.send(new_method_return(msg))
            else:
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def wait_for(self, predicate, timeout: float = 10.0) -> tuple[str, str]:
        """The first notification for which `predicate(summary, body)` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for summary, body in self.shown:
                    if predicate(summary, body):
                        return summary, body
            time.sleep(0.1)
        with self._lock:
            seen = list(self.shown)
        raise AssertionError(f"no such notification within {timeout}s; shown: {seen}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._conn.close()
