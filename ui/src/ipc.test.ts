import { describe, expect, it } from "vitest";
import { COMMANDS } from "./bindings/ipc";
import source from "./ipc.ts?raw";

// The command list is Rust's (roster-desk's `ipc_commands!`); ./bindings/ipc.ts is generated
// from it. Types catch a wrong name or argument; this catches a command the UI never wraps.
describe("ipc.ts", () => {
  it("wraps every command of the list, and only those", () => {
    const called = [...source.matchAll(/call\("([a-z_]+)"/g)].map((m) => m[1]);
    expect([...new Set(called)].sort()).toEqual([...COMMANDS].sort());
  });
});
