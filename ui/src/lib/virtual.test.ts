import { describe, expect, it } from "vitest";
import { moveIndex, scrollIntoView, virtualWindow } from "./virtual";

describe("virtualWindow", () => {
  it("renders only what is visible plus overscan", () => {
    const w = virtualWindow({ scrollTop: 0, viewport: 400, rowHeight: 40, count: 10_000, overscan: 5 });
    expect(w).toEqual({ start: 0, end: 16, offset: 0, total: 400_000 });
  });
  it("in the middle", () => {
    const w = virtualWindow({ scrollTop: 200_000, viewport: 400, rowHeight: 40, count: 10_000, overscan: 5 });
    expect(w.start).toBe(4995);
    expect(w.end).toBe(5016);
    expect(w.offset).toBe(4995 * 40);
    expect(w.end - w.start).toBeLessThan(30);
  });
  it("clamps past the end and at a partial row", () => {
    const w = virtualWindow({ scrollTop: 9e9, viewport: 400, rowHeight: 40, count: 10_000, overscan: 2 });
    expect(w.end).toBe(10_000);
    expect(w.start).toBe(9990 - 2);
    const p = virtualWindow({ scrollTop: 55, viewport: 100, rowHeight: 40, count: 100, overscan: 0 });
    expect([p.start, p.end]).toEqual([1, 5]);
  });
  it("short and empty lists", () => {
    expect(virtualWindow({ scrollTop: 0, viewport: 400, rowHeight: 40, count: 3 })).toEqual({ start: 0, end: 3, offset: 0, total: 120 });
    expect(virtualWindow({ scrollTop: 50, viewport: 400, rowHeight: 40, count: 0 })).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
  it("a zero viewport (not laid out yet) still renders a row", () => {
    expect(virtualWindow({ scrollTop: 0, viewport: 0, rowHeight: 40, count: 50, overscan: 0 }).end).toBe(2);
  });
});

describe("keeping the focused row in view", () => {
  it("scrolls up, down, or not at all", () => {
    expect(scrollIntoView(2, 200, 400, 40)).toBe(80);
    expect(scrollIntoView(20, 200, 400, 40)).toBe(440);
    expect(scrollIntoView(7, 200, 400, 40)).toBeNull();
  });
  it("moves by key", () => {
    expect(moveIndex("ArrowDown", 0, 10, 5)).toBe(1);
    expect(moveIndex("ArrowUp", 0, 10, 5)).toBe(0);
    expect(moveIndex("PageDown", 7, 10, 5)).toBe(9);
    expect(moveIndex("PageUp", 7, 10, 5)).toBe(2);
    expect(moveIndex("Home", 7, 10, 5)).toBe(0);
    expect(moveIndex("End", 0, 10, 5)).toBe(9);
    expect(moveIndex("x", 0, 10, 5)).toBeNull();
    expect(moveIndex("ArrowDown", 0, 0, 5)).toBeNull();
  });
});
