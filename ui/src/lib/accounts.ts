// How an account looks in the rail, and reordering it.

import type { KeychainStatus, KeyStore, SavedAccount } from "../contract";

/** Two letters for the rail: "Northwind Labs" → "NL", "acme" → "AC", "Acme (member)" → "AM". */
export function initials(label: string): string {
  const words = label
    .replace(/[()[\]{}]/g, " ")
    .split(/[\s\-_.·/]+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) return "?";
  const first = (w: string) => [...w.replace(/^[^\p{L}\p{N}]+/u, "")][0] ?? "";
  if (words.length === 1) return [...words[0].replace(/[^\p{L}\p{N}]/gu, "")].slice(0, 2).join("").toUpperCase();
  return (first(words[0]) + first(words[1])).toUpperCase();
}

/**
 * Black or white text for a badge of colour `hex` (#rrggbb), by WCAG relative luminance. White
 * wins up to a luminance of 0.4: on the saturated rail colours bold white initials read better
 * than black even where black has the higher contrast ratio.
 */
export function textOn(hex: string): "#ffffff" | "#111111" {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return "#ffffff";
  const n = parseInt(m[1], 16);
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return l < 0.4 ? "#ffffff" : "#111111";
}

/** A safe #rrggbb for CSS; anything else becomes grey. */
export function safeColour(hex: string): string {
  return /^#[0-9a-f]{6}$/i.test(hex) ? hex : "#4b5563";
}

/** Accounts in rail order. */
export function railOrder(accounts: SavedAccount[]): SavedAccount[] {
  return [...accounts].sort((a, b) => a.order - b.order);
}

/** `ids` with the item at `from` moved to `to`. */
export function move<T>(items: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || from >= items.length) return items.slice();
  const out = items.slice();
  const [it] = out.splice(from, 1);
  out.splice(Math.min(Math.max(0, to), out.length), 0, it);
  return out;
}

/** Where a dragged item lands, from the pointer's y and the items' vertical midpoints. */
export function dropIndex(y: number, midpoints: number[]): number {
  let i = 0;
  while (i < midpoints.length && y > midpoints[i]) i++;
  return i;
}

/** The host of a server URL, for display. */
export function serverHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A few words wherever the account is shown when its key sits on disk in plain text (the opt-in key file); else null. */
export function keyWarning(a: SavedAccount): string | null {
  return a.key_store.kind === "file" ? "key saved in plain text" : null;
}

/** The rail badge's tooltip and accessible name: who, the key warning, the shortcut. */
export function railLabel(a: SavedAccount, index: number, mod: string): string {
  const warning = keyWarning(a);
  const shortcut = index < 9 ? ` · ${mod}+${index + 1}` : "";
  return `${a.label} — ${a.role_name} as ${a.user_email}${warning ? ` · ${warning}` : ""}${shortcut}`;
}

/** What removing an account does to its key, where that key really is ("Roster forgets this account and …"). */
export function keyRemoval(store: KeyStore): string {
  switch (store.kind) {
    case "os":
      return "deletes its API key from your keychain";
    case "file":
      return `deletes its API key from the plain-text key file ${store.path}`;
    case "memory":
      return "drops its API key, which it kept in memory only";
  }
}

/** The keychain banner warns while keys are, or would be, anywhere but the OS keychain. */
export function keychainBannerKind(status: KeychainStatus): "info" | "warn" {
  return status.kind === "os" && !status.plain_text ? "info" : "warn";
}
