import { describe, expect, it } from "vitest";
import { auditPeople, filterAudit, filterInvites, inviteCounts, memberColumns, nextSort, searchMembers, sortMembers } from "./listing";
import { event, invite, member, sixRoles } from "../test/fixtures";

const people = [
  member("carla", "member", { last_login_at: "2026-11-20T10:00:00Z", sign_in_method: "google", joined_at: "2026-03-01T00:00:00Z" }),
  member("ana", "owner", { last_login_at: null, sign_in_method: "email", joined_at: "2026-01-01T00:00:00Z" }),
  member("bruno", "biller", { last_login_at: "2026-11-23T10:00:00Z", joined_at: "2026-02-01T00:00:00Z" }),
];

describe("members", () => {
  it("sorting a list again in the same order reuses the first result; a new list is sorted afresh", () => {
    const byName = { key: "name", dir: "asc" } as const;
    const first = sortMembers(people, byName, sixRoles);
    expect(sortMembers(people, byName, sixRoles)).toBe(first);
    expect(sortMembers(people, { key: "name", dir: "desc" }, sixRoles).map((m) => m.user_id)).toEqual(["carla", "bruno", "ana"]);
    // Already in order (as Rust sends it): same order back, without a sort.
    const inOrder = [member("ana", "owner"), member("bruno", "member"), member("carla", "member")];
    expect(sortMembers(inOrder, byName, sixRoles).map((m) => m.user_id)).toEqual(["ana", "bruno", "carla"]);
    const changed = [...people, member("aaron", "member")];
    expect(sortMembers(changed, byName, sixRoles).map((m) => m.user_id)).toEqual(["aaron", "ana", "bruno", "carla"]);
  });

  it("search matches name, e-mail and role name, every word", () => {
    expect(searchMembers(people, "  ", sixRoles)).toBe(people);
    expect(searchMembers(people, "BILLER", sixRoles).map((m) => m.user_id)).toEqual(["bruno"]);
    expect(searchMembers(people, "example ana", sixRoles).map((m) => m.user_id)).toEqual(["ana"]);
    expect(searchMembers(people, "nobody", sixRoles)).toEqual([]);
  });
  it("sorts by name, by role in catalog order, by dates with never last", () => {
    const ids = (k: Parameters<typeof sortMembers>[1]) => sortMembers(people, k, sixRoles).map((m) => m.user_id);
    expect(ids({ key: "name", dir: "asc" })).toEqual(["ana", "bruno", "carla"]);
    expect(ids({ key: "name", dir: "desc" })).toEqual(["carla", "bruno", "ana"]);
    expect(ids({ key: "role", dir: "asc" })).toEqual(["ana", "bruno", "carla"]);
    expect(ids({ key: "last_login_at", dir: "desc" })).toEqual(["bruno", "carla", "ana"]);
    expect(ids({ key: "last_login_at", dir: "asc" })).toEqual(["carla", "bruno", "ana"]);
    expect(ids({ key: "joined_at", dir: "desc" })).toEqual(["carla", "bruno", "ana"]);
    expect(ids({ key: "sign_in_method", dir: "asc" })).toEqual(["ana", "carla", "bruno"]);
  });
  it("quota: unlimited is largest, absent last", () => {
    const q = [member("a", "member", { quota: 5 }), member("b", "member", { quota: null }), member("c", "member")];
    expect(sortMembers(q, { key: "quota", dir: "asc" }, sixRoles).map((m) => m.user_id)).toEqual(["a", "b", "c"]);
    expect(sortMembers(q, { key: "quota", dir: "desc" }, sixRoles).map((m) => m.user_id)).toEqual(["b", "a", "c"]);
  });
  it("does not mutate and copes with 10,000 rows", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => member(`u${(i * 7919) % 10_000}`, i % 2 ? "member" : "biller"));
    const t = performance.now();
    const sorted = sortMembers(many, { key: "name", dir: "asc" }, sixRoles);
    expect(performance.now() - t).toBeLessThan(500);
    expect(sorted[0].user_id).toBe("u0");
    expect(sorted[9999].user_id).toBe("u9999");
    expect(many[0].user_id).toBe("u0");
    expect(many[1].user_id).toBe("u7919");
  });
  it("header clicks", () => {
    expect(nextSort({ key: "name", dir: "asc" }, "name")).toEqual({ key: "name", dir: "desc" });
    expect(nextSort({ key: "name", dir: "asc" }, "last_login_at")).toEqual({ key: "last_login_at", dir: "desc" });
    expect(nextSort({ key: "name", dir: "desc" }, "email")).toEqual({ key: "email", dir: "asc" });
  });
});

describe("invites", () => {
  const invites = [
    invite("old", "pending", "2026-11-01T00:00:00Z"),
    invite("acc", "accepted", "2026-11-20T00:00:00Z"),
    invite("new", "pending", "2026-11-10T00:00:00Z"),
    invite("rev", "revoked", "2026-11-22T00:00:00Z"),
  ];
  it("counts per status", () => {
    expect(inviteCounts(invites)).toEqual({ all: 4, pending: 2, accepted: 1, expired: 0, revoked: 1 });
  });
  it("pending first, newest first, filter by status and text", () => {
    expect(filterInvites(invites, "all").map((i) => i.id)).toEqual(["new", "old", "acc", "rev"]);
    expect(filterInvites(invites, "pending").map((i) => i.id)).toEqual(["new", "old"]);
    expect(filterInvites(invites, "expired")).toEqual([]);
    expect(filterInvites(invites, "all", "ACC@").map((i) => i.id)).toEqual(["acc"]);
  });
});

describe("audit", () => {
  const evs = [
    event("1", "invite_created", "2026-11-20T00:00:00Z"),
    event("2", "member_removed", "2026-11-21T00:00:00Z", {
      actor: { id: "u_bo", email: "bo@example.com", name: "Bo" },
      target: { kind: "member", id: "u_x", email: "x@example.com" },
    }),
    event("3", "invite_accepted", "2026-11-22T00:00:00Z", { actor: null }),
  ];
  it("filters by action and by person as actor or target", () => {
    expect(filterAudit(evs, "", "").length).toBe(3);
    expect(filterAudit(evs, "member_removed", "").map((e) => e.id)).toEqual(["2"]);
    expect(filterAudit(evs, "", "u_ana").map((e) => e.id)).toEqual(["1"]);
    expect(filterAudit(evs, "", "x@example.com").map((e) => e.id)).toEqual(["2"]);
    expect(filterAudit(evs, "invite_created", "u_bo")).toEqual([]);
  });
  it("the person filter offers every member, also those with no event among the newest", () => {
    const team = [member("carla", "member"), member("u_ana", "owner", { name: "Ana Lima" }), member("dee", "member", { name: "" })];
    expect(auditPeople(team, [])).toEqual([
      { id: "u_ana", label: "Ana Lima" },
      { id: "carla", label: "Carla" },
      { id: "dee", label: "dee@example.com" },
    ]);
  });
  it("the person filter adds whoever acted but is no longer a member, once, and says so", () => {
    const team = [member("u_ana", "owner", { name: "Ana Lima" })];
    // Ana acted (event 1) and is a member; Bo acted (event 2) and has left.
    expect(auditPeople(team, [...evs, event("4", "invite_created", "2026-11-23T00:00:00Z", { actor: evs[1].actor })])).toEqual([
      { id: "u_ana", label: "Ana Lima" },
      { id: "u_bo", label: "Bo (former member)" },
    ]);
  });
});

describe("memberColumns", () => {
  it("everything on a wide window", () => {
    expect(memberColumns(1400, { signIn: true, quota: true })).toEqual([
      "name",
      "email",
      "role",
      "sign_in_method",
      "quota",
      "last_login_at",
      "joined_at",
    ]);
  });
  it("only the columns the data has", () => {
    expect(memberColumns(1400, { signIn: false, quota: false })).toEqual(["name", "email", "role", "last_login_at", "joined_at"]);
  });
  it("drops the least important first", () => {
    expect(memberColumns(800, { signIn: true, quota: false })).toEqual(["name", "email", "role", "sign_in_method"]);
    expect(memberColumns(500, { signIn: true, quota: true })).toEqual(["name", "role", "quota"]);
  });
});
