// Keyboard shortcuts: one table for the handler and the "?" help.

export type Shortcut =
  | { kind: "account"; index: number }
  | { kind: "tab"; index: number }
  | { kind: "refresh" }
  | { kind: "invite" }
  | { kind: "search" }
  | { kind: "help" }
  | { kind: "add_account" };

export type KeyLike = { key: string; code: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean };

export function isMac(platform: string): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** The shortcut `e` means, or null. `typing`: focus is in a text field (bare keys are then text). */
export function shortcutFor(e: KeyLike, mac: boolean, typing: boolean): Shortcut | null {
  const mod = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  const digit = /^Digit([1-9])$/.exec(e.code) ?? /^Numpad([1-9])$/.exec(e.code);
  if (mod && !e.altKey && !e.shiftKey) {
    if (digit) return { kind: "account", index: Number(digit[1]) - 1 };
    const k = e.key.toLowerCase();
    if (k === "r") return { kind: "refresh" };
    if (k === "i") return { kind: "invite" };
    if (k === "f") return { kind: "search" };
  }
  if (mod && e.shiftKey && !e.altKey && e.key.toLowerCase() === "n") return { kind: "add_account" };
  if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey && digit && Number(digit[1]) <= 3)
    return { kind: "tab", index: Number(digit[1]) - 1 };
  if (e.key === "F5" && !e.altKey) return { kind: "refresh" };
  if (!typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
    if (e.key === "?") return { kind: "help" };
    if (e.key === "/") return { kind: "search" };
  }
  return null;
}

/** For the help popover; `mod` is "Ctrl" or "⌘". */
export function keybindings(mac: boolean): { keys: string; what: string }[] {
  const mod = mac ? "⌘" : "Ctrl";
  const alt = mac ? "⌥" : "Alt";
  return [
    { keys: `${mod} 1 … ${mod} 9`, what: "Switch to account 1–9 in the rail" },
    { keys: `${alt} 1 / 2 / 3`, what: "Members / Invites / Activity" },
    { keys: `${mod} I`, what: "New invite" },
    { keys: `${mod} F  or  /`, what: "Search members" },
    { keys: `${mod} R  or  F5`, what: "Refresh from the server" },
    { keys: `${mod} ⇧ N`, what: "Add an account" },
    { keys: `${alt} ↑ / ↓`, what: "Move the focused account up or down the rail" },
    { keys: "↑ ↓ PgUp PgDn Home End", what: "Move through the members list" },
    { keys: "Enter", what: "Submit the open form" },
    { keys: "Esc", what: "Close the dialog or popover" },
    { keys: "?", what: "Show this help" },
  ];
}
