import { describe, expect, it } from "vitest";
import { evictable } from "./tables.svelte";

describe("which parked member tables go", () => {
  const all = () => true;

  it("keeps the most recently shown tables up to the limit, oldest out first", () => {
    expect(evictable(["a", "b", "c", "d"], 2, all)).toEqual(["a", "b"]);
    expect(evictable(["a", "b"], 8, all)).toEqual([]);
  });

  it("drops the tables of removed accounts whatever their place", () => {
    const exists = (id: string) => id !== "c";
    expect(evictable(["a", "b", "c"], 8, exists)).toEqual(["c"]);
    expect(evictable(["a", "b", "c", "d"], 2, exists)).toEqual(["c", "a"]);
  });
});
