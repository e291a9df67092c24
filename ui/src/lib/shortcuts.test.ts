import { describe, expect, it } from "vitest";
import { isMac, keybindings, shortcutFor, type KeyLike } from "./shortcuts";

const k = (key: string, code: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  key,
  code,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe("shortcutFor", () => {
  it("Ctrl+1..9 on Linux/Windows, Cmd on macOS", () => {
    expect(shortcutFor(k("1", "Digit1", { ctrlKey: true }), false, false)).toEqual({ kind: "account", index: 0 });
    expect(shortcutFor(k("9", "Digit9", { ctrlKey: true }), false, true)).toEqual({ kind: "account", index: 8 });
    expect(shortcutFor(k("3", "Digit3", { metaKey: true }), true, false)).toEqual({ kind: "account", index: 2 });
    expect(shortcutFor(k("3", "Digit3", { metaKey: true }), false, false)).toBeNull();
    expect(shortcutFor(k("0", "Digit0", { ctrlKey: true }), false, false)).toBeNull();
  });
  it("reads the physical key, so a French keyboard's & is still 1", () => {
    expect(shortcutFor(k("&", "Digit1", { ctrlKey: true }), false, false)).toEqual({ kind: "account", index: 0 });
  });
  it("tabs, refresh, invite, search, add account", () => {
    expect(shortcutFor(k("2", "Digit2", { altKey: true }), false, false)).toEqual({ kind: "tab", index: 1 });
    expect(shortcutFor(k("4", "Digit4", { altKey: true }), false, false)).toBeNull();
    expect(shortcutFor(k("r", "KeyR", { ctrlKey: true }), false, false)).toEqual({ kind: "refresh" });
    expect(shortcutFor(k("F5", "F5"), false, true)).toEqual({ kind: "refresh" });
    expect(shortcutFor(k("i", "KeyI", { metaKey: true }), true, false)).toEqual({ kind: "invite" });
    expect(shortcutFor(k("N", "KeyN", { ctrlKey: true, shiftKey: true }), false, false)).toEqual({ kind: "add_account" });
  });
  it("bare ? and / only when not typing", () => {
    expect(shortcutFor(k("?", "Slash", { shiftKey: true }), false, false)).toEqual({ kind: "help" });
    expect(shortcutFor(k("?", "Slash", { shiftKey: true }), false, true)).toBeNull();
    expect(shortcutFor(k("/", "Slash"), false, false)).toEqual({ kind: "search" });
    expect(shortcutFor(k("/", "Slash"), false, true)).toBeNull();
  });
  it("platform and help", () => {
    expect(isMac("MacIntel")).toBe(true);
    expect(isMac("Linux x86_64")).toBe(false);
    expect(keybindings(true)[0].keys).toContain("⌘");
    expect(keybindings(false)[0].keys).toContain("Ctrl");
  });
});
