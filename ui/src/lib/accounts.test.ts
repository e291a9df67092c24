import { describe, expect, it } from "vitest";
import { dropIndex, initials, move, railOrder, safeColour, serverHost, textOn } from "./accounts";
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
