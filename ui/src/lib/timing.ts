// What the user waits for, as Performance API marks the benchmarks read from inside the web
// view through WebDriver (BENCHMARKS.md, "account switch" and "cold start"):
//
//   roster:switch  the user picked an account ({id})
//   roster:rows    that account's member rows are on screen ({id, source, rows})
//   roster:ahead   the other accounts' tables are built from the cache, off the page ({teams})
//
// A mark is an entry in the page's own timeline, nothing leaves the web view. Each switch
// clears the previous one's marks, so a long session keeps a handful of entries.

import { tick } from "svelte";

/** Where the rows on screen came from: the session's memory, the disk cache, the server (its
 * first page of members while the rest loads, then the whole team). */
export type RowsSource = "memory" | "disk" | "first-page" | "network";

export const SWITCH = "roster:switch";
export const ROWS = "roster:rows";

export function markSwitch(id: string): void {
  performance.clearMarks(SWITCH);
  performance.clearMarks(ROWS);
  performance.mark(SWITCH, { detail: { id } });
}

/** Marks `roster:rows` once the state change just made is painted: Svelte applies it to the
 * DOM (tick), requestAnimationFrame runs just before the next paint, and a task queued from
 * there runs just after it. `rows` counts the member rows then in the DOM (0 when another
 * tab is showing), so a reader can tell "painted" from "painted something else". `applied`
 * and `frame` (performance.now() when the DOM held the change, and when the frame that paints
 * it began) split the wait into script, waiting for a frame, and drawing it. */
export async function markRowsPainted(id: string, source: RowsSource): Promise<void> {
  await tick();
  const applied = performance.now();
  const frame = await afterNextPaint();
  const rows = typeof document === "undefined" ? 0 : document.querySelectorAll('[data-testid="member-row"]').length;
  performance.mark(ROWS, { detail: { id, source, rows, applied, frame } });
}

/** Resolves just after the next paint with the time its frame began. */
export function afterNextPaint(): Promise<number> {
  return new Promise((resolve) => {
    const later = () => {
      const frame = performance.now();
      setTimeout(() => resolve(frame), 0);
    };
    // No frames outside a browser (unit tests under node): the next task is as late as it gets.
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(later);
    else later();
  });
}

/** Resolves when the page is idle (requestIdleCallback where the web view has it), for work
 * that must not compete with what the user waits for. */
export function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(() => resolve(), { timeout: 2000 });
    else setTimeout(resolve, 50);
  });
}

export const AHEAD = "roster:ahead";

/** Marks `roster:ahead`: the tables of `teams` accounts were read ahead and built. */
export function markReadAhead(teams: number): void {
  performance.clearMarks(AHEAD);
  performance.mark(AHEAD, { detail: { teams } });
}
