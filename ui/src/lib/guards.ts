// Who may do what, read from the account's role catalog (never from role names). The server
// is the guard; these rules only hide or disable what would be refused, and say why.

import type { Me, Member, Role, TeamPolicy } from "../contract";

export type Guard = { ok: true; reason: null } | { ok: false; reason: string };

const yes: Guard = { ok: true, reason: null };
const no = (reason: string): Guard => ({ ok: false, reason });

export function roleById(policy: TeamPolicy, id: string): Role | undefined {
  return policy.roles.find((r) => r.id === id);
}

export function roleName(policy: TeamPolicy, id: string): string {
  return roleById(policy, id)?.name ?? id;
}

export function isOwnerRole(policy: TeamPolicy, id: string): boolean {
  return roleById(policy, id)?.is_owner ?? false;
}

/** "Owner", "Administrator", "Owner or Admin": roles named in a sentence. */
export function nameList(roles: Role[]): string {
  const names = roles.map((r) => r.name);
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

export function ownerRoles(policy: TeamPolicy): Role[] {
  return policy.roles.filter((r) => r.is_owner);
}

export function managerRoles(policy: TeamPolicy): Role[] {
  return policy.roles.filter((r) => r.manages_team);
}

// Owner counts per member list (replaced whole when its data changes) and policy: a switch
// back to a team of 10,000 asks again for a count nothing has changed.
const ownerCounts = new WeakMap<Member[], WeakMap<TeamPolicy, number>>();

export function countOwners(members: Member[], policy: TeamPolicy): number {
  const byPolicy = ownerCounts.get(members) ?? new WeakMap<TeamPolicy, number>();
  ownerCounts.set(members, byPolicy);
  const known = byPolicy.get(policy);
  if (known !== undefined) return known;
  const owners = new Set(ownerRoles(policy).map((r) => r.id));
  let n = 0;
  for (const m of members) if (owners.has(m.role)) n++;
  byPolicy.set(policy, n);
  return n;
}

/** Everything the guards need, computed once per team view. */
export type GuardCtx = {
  me: Me;
  policy: TeamPolicy;
  manages: boolean;
  iAmOwner: boolean;
  owners: number;
};

export function guardCtx(me: Me, members: Member[]): GuardCtx {
  const policy = me.policy;
  const mine = roleById(policy, me.role);
  return {
    me,
    policy,
    manages: mine?.manages_team ?? false,
    iAmOwner: mine?.is_owner ?? false,
    owners: countOwners(members, policy),
  };
}

export function isMe(ctx: GuardCtx, m: Member): boolean {
  return m.user_id === ctx.me.user.id;
}

function needsManager(ctx: GuardCtx, what: string): Guard {
  return no(`Only ${nameList(managerRoles(ctx.policy))} can ${what}.`);
}

function lastOwnerReason(ctx: GuardCtx, m: Member, what: string): string {
  const who = isMe(ctx, m) ? "You are" : `${m.name || m.email} is`;
  return `${who} the last ${roleName(ctx.policy, m.role)}: make someone else ${nameList(ownerRoles(ctx.policy))} before ${what}.`;
}

/** Whether the role dropdown of `m` is usable at all. */
export function canChangeRole(ctx: GuardCtx, m: Member): Guard {
  if (!ctx.manages) return needsManager(ctx, "change roles");
  const targetOwner = isOwnerRole(ctx.policy, m.role);
  if (targetOwner && !ctx.iAmOwner)
    return no(`Only ${nameList(ownerRoles(ctx.policy))} can change the role of ${nameList(ownerRoles(ctx.policy))}.`);
  if (targetOwner && ctx.owners <= 1 && ownerRoles(ctx.policy).length <= 1) return no(lastOwnerReason(ctx, m, "changing this role"));
  return yes;
}

export type RoleChoice = { role: Role; disabled: boolean; reason: string | null };

/** The dropdown's options for `m`: the whole catalog, with what may not be picked disabled. */
export function roleChoices(ctx: GuardCtx, m: Member): RoleChoice[] {
  const targetOwner = isOwnerRole(ctx.policy, m.role);
  return ctx.policy.roles.map((role) => {
    if (role.id === m.role) return { role, disabled: false, reason: null };
    if (role.is_owner && !ctx.iAmOwner)
      return { role, disabled: true, reason: `Only ${nameList(ownerRoles(ctx.policy))} can grant this role.` };
    if (targetOwner && !role.is_owner && ctx.owners <= 1)
      return { role, disabled: true, reason: lastOwnerReason(ctx, m, "changing this role") };
    return { role, disabled: false, reason: null };
  });
}

export function canRemove(ctx: GuardCtx, m: Member): Guard {
  if (!ctx.manages) return needsManager(ctx, "remove members");
  if (isMe(ctx, m)) return no("To take yourself off this team, use Leave.");
  const targetOwner = isOwnerRole(ctx.policy, m.role);
  if (targetOwner && !ctx.iAmOwner) return no(`Only ${nameList(ownerRoles(ctx.policy))} can remove ${nameList(ownerRoles(ctx.policy))}.`);
  if (targetOwner && ctx.owners <= 1) return no(lastOwnerReason(ctx, m, "removing them"));
  return yes;
}

export function canLeave(ctx: GuardCtx): Guard {
  if (!ctx.policy.members_can_leave)
    return no(`This team does not let members leave on their own: ask ${nameList(managerRoles(ctx.policy))} to remove you.`);
  if (ctx.iAmOwner && ctx.owners <= 1)
    return no(
      `You are the last ${roleName(ctx.policy, ctx.me.role)}: make someone else ${nameList(ownerRoles(ctx.policy))} before leaving.`,
    );
  return yes;
}

export function canEditQuota(ctx: GuardCtx): boolean {
  return ctx.manages && ctx.policy.member_quotas;
}

/**
 * The roles an invite may grant: owner-level ones only when I hold one myself, and never where
 * new owners need the requesting owner's confirmation (joining would skip it, so the server
 * refuses; such a team promotes a member instead).
 */
export function inviteRoles(ctx: GuardCtx): Role[] {
  const ownersByInvite = ctx.iAmOwner && !ctx.policy.owner_promotion_confirmation;
  return ctx.policy.roles.filter((r) => ownersByInvite || !r.is_owner);
}

/** The invite role to preselect: the policy's default if offered, else the first offered. */
export function defaultInviteRole(ctx: GuardCtx): string {
  const roles = inviteRoles(ctx);
  return roles.find((r) => r.id === ctx.policy.default_role)?.id ?? roles[0]?.id ?? ctx.policy.default_role;
}

/** Setting `roleId` needs the original owner's e-mailed confirmation (shown as pending). */
export function needsOwnerConfirmation(ctx: GuardCtx, roleId: string): boolean {
  return ctx.policy.owner_promotion_confirmation && isOwnerRole(ctx.policy, roleId);
}
