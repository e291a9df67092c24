"""What the desktop's own services do on the test session's D-Bus, shared by the stand-ins
(notifications.py, tray.py): owning a well-known name, alone."""

from __future__ import annotations

from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

# RequestName flags / replies (D-Bus specification).
DO_NOT_QUEUE = 4
PRIMARY_OWNER = 1


def own(name: str) -> DBusConnection:
    """A session-bus connection that owns `name`; fails when another process owns it."""
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(name, DO_NOT_QUEUE), timeout=5)
    if reply.body[0] != PRIMARY_OWNER:
        conn.close()
        raise RuntimeError(f"another process already owns {name} on this session bus")
    return conn
