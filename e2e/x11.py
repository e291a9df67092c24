"""Closing a window the way a window manager does, under Xvfb (which has none), and reading
and moving the keyboard focus.

A user closes Roster with the title bar's ✕: the window manager sends the window a
WM_PROTOCOLS / WM_DELETE_WINDOW client message, which GTK turns into a close request. Ending
the WebDriver session is not the same thing (WebKitWebDriver kills the app outright), so the
tests send that message themselves, through libX11 with ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_x = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")

Window = ctypes.c_ulong
Atom = ctypes.c_ulong
_x.XOpenDisplay.restype = ctypes.c_void_p
_x.XOpenDisplay.argtypes = [ctypes.c_char_p]
_x.XDefaultRootWindow.restype = Window
_x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
_x.XInternAtom.restype = Atom
_x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
_x.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window), ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
_x.XGetWindowProperty.argtypes = [
    ctypes.c_void_p, Window, Atom, ctypes.c_long, ctypes.c_long, ctypes.c_int, Atom,
    ctypes.POINTER(Atom), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p),
]  # fmt: skip
_x.XFree.argtypes = [ctypes.c_void_p]
_x.XSendEvent.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
_x.XFlush.argtypes = [ctypes.c_void_p]
_x.XCloseDisplay.argtypes = [ctypes.c_void_p]
_x.XGetInputFocus.argtypes = [ctypes.c_void_p, ctypes.POINTER(Window), ctypes.POINTER(ctypes.c_int)]
_x.XSetInputFocus.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_ulong]
_x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]

CLIENT_MESSAGE = 33
XA_CARDINAL = 6


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", Window),
        ("message_type", Atom),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _Event(ctypes.Union):
    # XEvent is a union padded to 24 longs.
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def _property(display, window: int, atom: int, kind: int, longs: int, read):
    """`read(data, items)` of the window's property `atom` of type `kind`, or None without one."""
    actual_type, actual_format = Atom(), ctypes.c_int()
    items, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
    status = _x.XGetWindowProperty(
        display, window, atom, 0, longs, 0, kind,
        ctypes.byref(actual_type), ctypes.byref(actual_format), ctypes.byref(items), ctypes.byref(after), ctypes.byref(data),
    )  # fmt: skip
    if status != 0 or not data.value:
        return None
    try:
        return read(data, items.value) if items.value else None
    finally:
        _x.XFree(data)


def _pid_of(display, window: int, net_wm_pid: int) -> int | None:
    return _property(display, window, net_wm_pid, XA_CARDINAL, 1, lambda data, _: ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))[0])


def _open_display():
    display = _x.XOpenDisplay(os.environ["DISPLAY"].encode())
    if not display:
        raise RuntimeError("cannot open the X display")
    return display


def _windows_of(display, pid: int) -> list[int]:
    """The top-level windows of process `pid` (with no window manager, children of the root)."""
    root = _x.XDefaultRootWindow(display)
    net_wm_pid = _x.XInternAtom(display, b"_NET_WM_PID", 0)
    root_ret, parent_ret = Window(), Window()
    children, count = ctypes.POINTER(Window)(), ctypes.c_uint()
    if not _x.XQueryTree(display, root, ctypes.byref(root_ret), ctypes.byref(parent_ret), ctypes.byref(children), ctypes.byref(count)):
        return []
    windows = [children[i] for i in range(count.value)]
    if children:
        _x.XFree(children)
    return [w for w in windows if _pid_of(display, w, net_wm_pid) == pid]


def window_titles(pid: int) -> list[str]:
    """The titles (_NET_WM_NAME) of the top-level windows of process `pid`."""
    display = _open_display()
    try:
        net_wm_name = _x.XInternAtom(display, b"_NET_WM_NAME", 0)
        utf8 = _x.XInternAtom(display, b"UTF8_STRING", 0)
        titles = []
        for w in _windows_of(display, pid):
            title = _property(display, w, net_wm_name, utf8, 1024, lambda data, n: ctypes.string_at(data, n).decode(errors="replace"))
            if title is not None:
                titles.append(title)
        return titles
    finally:
        _x.XCloseDisplay(display)


def close_window(pid: int) -> int:
    """Asks every top-level window of process `pid` to close; returns how many were asked."""
    display = _open_display()
    try:
        wm_protocols = _x.XInternAtom(display, b"WM_PROTOCOLS", 0)
        wm_delete = _x.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
        asked = 0
        for w in _windows_of(display, pid):
            event = _Event()
            event.xclient.type = CLIENT_MESSAGE
            event.xclient.window = w
            event.xclient.message_type = wm_protocols
            event.xclient.format = 32
            event.xclient.data[0] = wm_delete
            event.xclient.data[1] = 0  # CurrentTime
            _x.XSendEvent(display, w, 0, 0, ctypes.byref(event))
            asked += 1
        _x.XFlush(display)
        return asked
    finally:
        _x.XCloseDisplay(display)


def focus_root() -> None:
    """Gives the keyboard focus to the root window: no application has it."""
    display = _open_display()
    try:
        _x.XSetInputFocus(display, _x.XDefaultRootWindow(display), 0, 0)  # RevertToNone, CurrentTime
        _x.XSync(display, 0)
    finally:
        _x.XCloseDisplay(display)


def focused_pid() -> int | None:
    """The process whose window (or a window inside it) has the keyboard focus."""
    display = _open_display()
    try:
        focus, revert = Window(), ctypes.c_int()
        _x.XGetInputFocus(display, ctypes.byref(focus), ctypes.byref(revert))
        net_wm_pid = _x.XInternAtom(display, b"_NET_WM_PID", 0)
        root = _x.XDefaultRootWindow(display)
        window = focus.value
        # Up from the focused window to the top-level one that names its process.
        while window not in (0, 1, root):
            pid = _pid_of(display, window, net_wm_pid)
            if pid:
                return pid
            root_ret, parent = Window(), Window()
            children, count = ctypes.POINTER(Window)(), ctypes.c_uint()
            if not _x.XQueryTree(display, window, ctypes.byref(root_ret), ctypes.byref(parent), ctypes.byref(children), ctypes.byref(count)):
                return None
            if children:
                _x.XFree(children)
            window = parent.value
        return None
    finally:
        _x.XCloseDisplay(display)
