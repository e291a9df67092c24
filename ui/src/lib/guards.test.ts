import { describe, expect, it } from "vitest";
import {
  canChangeRole,
  canEditQuota,
  canLeave,
  canRemove,
  countOwners,
  defaultInviteRole,
  guardCtx,
  inviteRoles,
  nameList,
  needsOwnerConfirmation,
  roleChoices,
} from "./guards";
import { idp, me, member, ownerMember, quotas, sixRoles } from "../test/fixtures";

describe("owner count comes from the catalog's is_owner", () => {
  it("counts owner-level roles whatever they are called", () => {
    expect(countOwners([member("a", "administrator"), member("b", "member"), member("c", "administrator")], idp)).toBe(2);
    expect(countOwners([member("a", "admin")], quotas)).toBe(0); // admin manages but is not owner-level
  });
  it("names roles in a sentence", () => {
    expect(nameList(quotas.roles.filter((r) => r.manages_team))).toBe("Owner or Admin");
    expect(nameList(sixRoles.roles.slice(0, 3))).toBe("Owner, Biller or Billing viewer");
  });
});

describe("last-owner guard", () => {
  const members = [member("ana", "owner"), member("bob", "member")];
  const ctx = guardCtx(me(ownerMember, "ana", "owner"), members);

  it("the sole owner cannot leave, be removed or demoted — with the reason", () => {
    expect(canLeave(ctx)).toEqual({ ok: false, reason: "You are the last Owner: make someone else Owner before leaving." });
    expect(canRemove(ctx, members[0]).reason).toBe("To take yourself off this team, use Leave.");
    expect(canChangeRole(ctx, members[0])).toEqual({
      ok: false,
      reason: "You are the last Owner: make someone else Owner before changing this role.",
    });
  });
  it("with a second owner it all opens up", () => {
    const two = [...members, member("cy", "owner")];
    const c2 = guardCtx(me(ownerMember, "ana", "owner"), two);
    expect(c2.owners).toBe(2);
    expect(canLeave(c2).ok).toBe(true);
    expect(canRemove(c2, two[2]).ok).toBe(true);
    expect(canChangeRole(c2, two[0]).ok).toBe(true);
    expect(roleChoices(c2, two[0]).every((c) => !c.disabled)).toBe(true);
  });
  it("another member can be changed and removed", () => {
    expect(canChangeRole(ctx, members[1]).ok).toBe(true);
    expect(canRemove(ctx, members[1]).ok).toBe(true);
  });
  it("the last owner of someone else is named", () => {
    const c = guardCtx(me(ownerMember, "zed", "owner"), [member("ana", "owner"), member("zed", "member")]);
    // zed claims owner in me but is member in the list: the list decides the count
    expect(canRemove(c, member("ana", "owner")).reason).toBe("Ana is the last Owner: make someone else Owner before removing them.");
  });
});

describe("non-owner managers and non-managers", () => {
  const members = [member("o", "owner"), member("ad", "admin"), member("m", "member")];
  it("an admin cannot touch owners nor grant ownership", () => {
    const ctx = guardCtx(me(quotas, "ad", "admin"), members);
    expect(ctx.manages).toBe(true);
    expect(canChangeRole(ctx, members[0]).reason).toBe("Only Owner can change the role of Owner.");
    expect(canRemove(ctx, members[0]).reason).toBe("Only Owner can remove Owner.");
    const choices = roleChoices(ctx, members[2]);
    expect(choices.find((c) => c.role.id === "owner")).toMatchObject({ disabled: true, reason: "Only Owner can grant this role." });
    expect(choices.find((c) => c.role.id === "admin")?.disabled).toBe(false);
    expect(inviteRoles(ctx).map((r) => r.id)).toEqual(["admin", "member"]);
    expect(canEditQuota(ctx)).toBe(true);
  });
  it("a non-manager can do nothing but leave", () => {
    const ctx = guardCtx(me(quotas, "m", "member"), members);
    expect(ctx.manages).toBe(false);
    expect(canChangeRole(ctx, members[1]).reason).toBe("Only Owner or Admin can change roles.");
    expect(canRemove(ctx, members[1]).reason).toBe("Only Owner or Admin can remove members.");
    expect(canEditQuota(ctx)).toBe(false);
    expect(canLeave(ctx).ok).toBe(true);
  });
  it("members_can_leave=false says whom to ask", () => {
    const ctx = guardCtx(me({ ...quotas, members_can_leave: false }, "m", "member"), members);
    expect(canLeave(ctx).reason).toBe("This team does not let members leave on their own: ask Owner or Admin to remove you.");
  });
});

describe("invite roles and owner confirmation", () => {
  it("an owner may invite any role; the default is preselected", () => {
    const ctx = guardCtx(me(quotas, "o", "owner"), [member("o", "owner")]);
    expect(inviteRoles(ctx).map((r) => r.id)).toEqual(["owner", "admin", "member"]);
    expect(defaultInviteRole(ctx)).toBe("member");
  });
  it("where new owners need confirmation, not even an owner invites one: every other role is offered", () => {
    const ctx = guardCtx(me(sixRoles, "o", "owner"), [member("o", "owner")]);
    expect(inviteRoles(ctx).map((r) => r.id)).toEqual(["biller", "billing_viewer", "member", "modifier", "resource_viewer"]);
    expect(defaultInviteRole(ctx)).toBe("member");
  });
  it("an owner-level default role is not preselected where it cannot be invited", () => {
    const ctx = guardCtx(me({ ...sixRoles, default_role: "owner" }, "o", "owner"), [member("o", "owner")]);
    expect(defaultInviteRole(ctx)).toBe("biller");
  });
  it("owner promotion needs confirmation only where the policy says so", () => {
    const six = guardCtx(me(sixRoles, "o", "owner"), [member("o", "owner")]);
    expect(needsOwnerConfirmation(six, "owner")).toBe(true);
    expect(needsOwnerConfirmation(six, "biller")).toBe(false);
    const two = guardCtx(me(ownerMember, "o", "owner"), [member("o", "owner")]);
    expect(needsOwnerConfirmation(two, "owner")).toBe(false);
  });
});
