import { describe, expect, it } from "vitest";
import { describeError, isAppError, toAppError } from "./errors";

describe("toAppError", () => {
  it("keeps a Rust AppError as it is", () => {
    expect(toAppError({ code: "bad_key", message: "The key was refused." })).toEqual({ code: "bad_key", message: "The key was refused." });
  });
  it("wraps a Tauri string error and a JS Error", () => {
    expect(toAppError("command foo not found")).toEqual({
      code: "server_error",
      message: "Roster could not do that: command foo not found",
    });
    expect(toAppError(new Error("boom")).message).toContain("boom");
  });
  it("does not trust an unknown code", () => {
    expect(toAppError({ code: "weird", message: "x" }).code).toBe("server_error");
    expect(isAppError({ code: "weird", message: "x" })).toBe(false);
    expect(isAppError({ code: "seat_limit", message: "x" })).toBe(true);
  });
  it("says something for nothing", () => {
    expect(toAppError(undefined).message).toMatch(/could not do that/);
  });
});

describe("describeError: a next step per code", () => {
  it("bad key → re-enter key", () => {
    const v = describeError({ code: "bad_key", message: "m" });
    expect([v.next, v.nextLabel]).toEqual(["rekey", "Re-enter key"]);
    expect(describeError({ code: "key_missing", message: "m" }).next).toBe("rekey");
  });
  it("unreachable → retry, cached data stale", () => {
    const v = describeError({ code: "unreachable", message: "Cannot reach x" });
    expect(v).toMatchObject({ next: "retry", nextLabel: "Retry", stale: true, detail: "Cannot reach x" });
  });
  it("keychain locked / unavailable → how to unlock", () => {
    expect(describeError({ code: "keychain_locked", message: "m" }).hint).toMatch(/Unlock your keychain/);
    expect(describeError({ code: "keychain_unavailable", message: "m" }).hint).toMatch(/Secret Service/);
  });
  it("no permission → the message as given, no button", () => {
    const v = describeError({ code: "no_permission", message: "Only Owner can invite." });
    expect(v).toMatchObject({ detail: "Only Owner can invite.", next: "none", nextLabel: null });
  });
  it("every code has a title", () => {
    const codes = [
      "bad_key",
      "no_permission",
      "not_found",
      "invalid",
      "seat_limit",
      "last_owner",
      "conflict",
      "rate_limited",
      "unreachable",
      "bad_response",
      "server_error",
      "keychain_unavailable",
      "keychain_locked",
      "key_missing",
      "insecure_url",
      "unknown_account",
      "clipboard",
      "storage",
    ] as const;
    for (const code of codes) expect(describeError({ code, message: "m" }).title.length).toBeGreaterThan(5);
  });
});
