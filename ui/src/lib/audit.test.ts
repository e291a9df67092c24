import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, describeAudit, mergeAudit } from "./audit";
import { event, sixRoles } from "../test/fixtures";

describe("describeAudit", () => {
  it("uses the catalog's role names", () => {
    expect(describeAudit(event("1", "invite_created", "2026-11-20T00:00:00Z", { details: { role: "billing_viewer" } }), sixRoles)).toBe(
      "Ana Lima invited bob@example.com as Billing viewer",
    );
    expect(
      describeAudit(event("2", "member_role_changed", "2026-11-20T00:00:00Z", { details: { from: "member", to: "owner" } }), sixRoles),
    ).toBe("Ana Lima changed bob@example.com from Member to Owner");
    expect(describeAudit(event("3", "member_quota_changed", "2026-11-20T00:00:00Z", { details: { from: null, to: 5000 } }), sixRoles)).toBe(
      "Ana Lima changed the quota of bob@example.com from unlimited to 5,000",
    );
  });
  it("a system action has no actor", () => {
    expect(describeAudit(event("4", "invite_revoked", "2026-11-20T00:00:00Z", { actor: null }), sixRoles)).toBe(
      "Someone revoked the invite to bob@example.com",
    );
  });
  it("every action is worded", () => {
    for (const a of AUDIT_ACTIONS)
      expect(
        describeAudit(event("x", a, "2026-11-20T00:00:00Z", { details: { role: "member", to: "owner", from: "member" } }), sixRoles),
      ).not.toMatch(/undefined/);
  });
});

describe("live", () => {
  it("merge once, newest first, capped", () => {
    const a = event("a", "invite_created", "2026-11-20T00:00:00Z");
    const b = event("b", "invite_created", "2026-11-21T00:00:00Z");
    expect(mergeAudit([a], b).map((e) => e.id)).toEqual(["b", "a"]);
    expect(mergeAudit([b, a], b).map((e) => e.id)).toEqual(["b", "a"]);
    expect(mergeAudit([b], a, 1).map((e) => e.id)).toEqual(["b"]);
  });
});
