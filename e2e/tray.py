"""The desktop's tray on the test session's D-Bus: a StatusNotifierWatcher that Roster's tray
icon registers with, and a client of the icon's menu (com.canonical.dbusmenu).

Under Xvfb no panel shows tray icons. This plays the part of one: it owns
org.kde.StatusNotifierWatcher (as KDE's and GNOME's AppIndicator extension do), so
libayatana-appindicator registers Roster's StatusNotifierItem with it instead of falling back
to an X tray; a test then reads the real menu Tauri built (`GetLayout`) and clicks its items
(`Event(id, "clicked")`) exactly as a panel does when the user picks one.
"""

from __future__ import annotations

import threading
import time

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_call, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection

from bus import own

NAME = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
PROPS = "org.freedesktop.DBus.Properties"


class TrayHost:
    """Owns org.kde.StatusNotifierWatcher until `stop()`; `items` lists (bus name, path)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conn = own(NAME)
        self._client = open_dbus_connection(bus="SESSION")
        self._thread = threading.Thread(target=self._serve, name="tray-host", daemon=True)
        self._thread.start()

    def _properties(self) -> dict:
        with self._lock:
            registered = [f"{name}{path}" for name, path in self.items]
        return {
            "RegisteredStatusNotifierItems": ("as", registered),
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
        }

    def _serve(self) -> None:
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
            member, iface = h.fields.get(HeaderFields.member), h.fields.get(HeaderFields.interface)
            if iface == PROPS and member == "Get":
                value = self._properties().get(msg.body[1])
                if value is None:
                    self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty"))
                else:
                    self._conn.send(new_method_return(msg, "v", (value,)))
            elif iface == PROPS and member == "GetAll":
                self._conn.send(new_method_return(msg, "a{sv}", (self._properties(),)))
            elif member == "RegisterStatusNotifierItem":
                # The argument is the item's object path (or its bus name); the sender owns it.
                arg, sender = msg.body[0], h.fields.get(HeaderFields.sender)
                name, path = (sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
                with self._lock:
                    self.items.append((name, path))
                self._conn.send(new_method_return(msg))
                self._conn.send(new_signal(DBusAddress(PATH, interface=NAME), "StatusNotifierItemRegistered", "s", (f"{name}{path}",)))
            elif member == "RegisterStatusNotifierHost":
                self._conn.send(new_method_return(msg))
            elif iface == "org.freedesktop.DBus.Introspectable":
                self._conn.send(new_method_return(msg, "s", ("<node/>",)))
            else:
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    # -- the item's menu, as a panel reads and clicks it ---------------------------------

    def _call(self, name: str, path: str, iface: str, method: str, sig: str = "", body: tuple = ()):
        reply = self._client.send_and_get_reply(new_method_call(DBusAddress(path, bus_name=name, interface=iface), method, sig, body), timeout=10)
        if reply.header.message_type == MessageType.error:
            raise AssertionError(f"{iface}.{method} on {name}{path}: {reply.header.fields.get(HeaderFields.error_name)} {reply.body}")
        return reply.body

    def item(self, timeout: float = 15.0) -> tuple[str, str]:
        """The one registered item (the app's tray icon)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.items:
                    return self.items[-1]
            time.sleep(0.1)
        raise AssertionError("no tray icon registered with the StatusNotifierWatcher")

    def _menu(self) -> tuple[str, str]:
        name, path = self.item()
        (kind, menu_path), = self._call(name, path, PROPS, "Get", "ss", ("org.kde.StatusNotifierItem", "Menu"))
        return name, menu_path

    def menu(self) -> list[dict]:
        """The top-level entries: id, label, type ("standard", "separator"), toggle type and
        state, enabled."""
        name, path = self._menu()
        self._call(name, path, "com.canonical.dbusmenu", "AboutToShow", "i", (0,))
        _revision, (_id, _props, children) = self._call(name, path, "com.canonical.dbusmenu", "GetLayout", "iias", (0, 1, []))
        out = []
        for _sig, (item_id, props, _kids) in children:
            get = lambda k, default=None: props[k][1] if k in props else default
            out.append({
                "id": item_id,
                "label": (get("label", "") or "").replace("_", ""),
                "type": get("type", "standard"),
                "toggle": get("toggle-type", ""),
                "checked": get("toggle-state", 0) == 1,
                "enabled": get("enabled", True),
            })  # fmt: skip
        return out

    def click(self, label: str) -> None:
        """Clicks the entry whose label starts with `label`, as a panel does."""
        entries = self.menu()
        entry = next((e for e in entries if e["label"].startswith(label)), None)
        assert entry, f"no tray entry {label!r} in {[e['label'] for e in entries]}"
        assert entry["enabled"], f"the tray entry {entry['label']!r} is disabled"
        name, path = self._menu()
        self._call(name, path, "com.canonical.dbusmenu", "Event", "isvu", (entry["id"], "clicked", ("i", 0), int(time.time())))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._conn.close()
        self._client.close()
