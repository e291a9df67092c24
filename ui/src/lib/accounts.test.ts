import { describe, expect, it } from "vitest";
import {
  dropIndex,
  initials,
  keyRemoval,
  keyWarning,
  keychainBannerKind,
  move,
  railLabel,
  railOrder,
  safeColour,
  serverHost,
  textOn,
} from "./accounts";
import type { SavedAccount } from "../contract";

describe("initials", () => {
  it("two words, one word, punctuation", () => {
    expect(initials("Northwind Labs")).toBe("NL");
    expect(initials("acme")).toBe("AC");
    expect(initials("Northwind Labs (member)")).toBe("NL");
    expect(initials("  x ")).toBe("X");
    expect(initials("Ünïcode Ørg")).toBe("ÜØ");
    expect(initials("—")).toBe("?");
    expect(initials("bluesky-ops")).toBe("BO");
  });
});

describe("colours", () => {
  it("text colour reads on the palette", () => {
    for (const c of ["#2563eb", "#16a34a", "#dc2626", "#7c3aed", "#4b5563"]) expect(textOn(c)).toBe("#ffffff");
    expect(textOn("#fde047")).toBe("#111111");
    expect(textOn("#ffffff")).toBe("#111111");
    expect(textOn("junk")).toBe("#ffffff");
  });
  it("only #rrggbb reaches CSS", () => {
    expect(safeColour("#16a34a")).toBe("#16a34a");
    expect(safeColour("red; background:url(x)")).toBe("#4b5563");
  });
});

describe("reorder", () => {
  it("moves", () => {
    expect(move(["a", "b", "c", "d"], 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(move(["a", "b", "c", "d"], 3, 0)).toEqual(["d", "a", "b", "c"]);
    expect(move(["a", "b"], 1, 9)).toEqual(["a", "b"]);
    expect(move(["a", "b"], 5, 0)).toEqual(["a", "b"]);
  });
  it("drop index from midpoints", () => {
    const mids = [20, 70, 120];
    expect(dropIndex(0, mids)).toBe(0);
    expect(dropIndex(50, mids)).toBe(1);
    expect(dropIndex(500, mids)).toBe(3);
  });
  it("rail order by `order`", () => {
    const a = (id: string, order: number) => ({ id, order }) as SavedAccount;
    expect(railOrder([a("x", 2), a("y", 0), a("z", 1)]).map((s) => s.id)).toEqual(["y", "z", "x"]);
  });
  it("server host", () => {
    expect(serverHost("https://api.example.com/v1")).toBe("api.example.com");
    expect(serverHost("http://127.0.0.1:8080")).toBe("127.0.0.1:8080");
    expect(serverHost("nope")).toBe("nope");
  });
});

describe("where the key is kept", () => {
  const account = (key_store: SavedAccount["key_store"]) =>
    ({ label: "Northwind", role_name: "Owner", user_email: "ana@northwind.example", key_store }) as SavedAccount;
  const inFile = account({ kind: "file", path: "/home/ana/keys.json" });
  const inKeychain = account({ kind: "os", service: "roster" });

  it("a key in the plain-text file is flagged, one in the keychain or memory is not", () => {
    expect(keyWarning(inFile)).toBe("key saved in plain text");
    expect(keyWarning(inKeychain)).toBeNull();
    expect(keyWarning(account({ kind: "memory" }))).toBeNull();
  });
  it("the rail names the warning with the account, before the shortcut", () => {
    expect(railLabel(inFile, 0, "Ctrl")).toBe("Northwind — Owner as ana@northwind.example · key saved in plain text · Ctrl+1");
    expect(railLabel(inKeychain, 1, "⌘")).toBe("Northwind — Owner as ana@northwind.example · ⌘+2");
    expect(railLabel(inKeychain, 9, "Ctrl")).toBe("Northwind — Owner as ana@northwind.example");
  });
  it("removing says where the key is deleted from", () => {
    expect(keyRemoval(inKeychain.key_store)).toBe("deletes its API key from your keychain");
    expect(keyRemoval(inFile.key_store)).toBe("deletes its API key from the plain-text key file /home/ana/keys.json");
    expect(keyRemoval({ kind: "memory" })).toBe("drops its API key, which it kept in memory only");
  });
  it("the keychain banner warns unless every key is in the OS keychain", () => {
    expect(keychainBannerKind({ kind: "os", plain_text: false, banner: "The keychain is locked" })).toBe("info");
    expect(keychainBannerKind({ kind: "os", plain_text: true, banner: "still saved in plain text" })).toBe("warn");
    expect(keychainBannerKind({ kind: "file", plain_text: true, banner: "x" })).toBe("warn");
    expect(keychainBannerKind({ kind: "memory", plain_text: false, banner: "x" })).toBe("warn");
  });
});
