// Test data shaped like the reference server's presets. Only tests import this: the UI reads
// every policy from the server.

import type { Access, Me, Member, Role, TeamPolicy, Invite, AuditEvent } from "../contract";

const role = (id: string, name: string, isOwner: boolean, team: Access): Role => ({
  id,
  name,
  description: `${name} role`,
  is_owner: isOwner,
  manages_team: team === "full",
  permissions: { team, resources: "full", billing: "read", settings: "read" },
});

const base: Omit<TeamPolicy, "roles" | "default_role"> = {
  invite_lifetime_days: 14,
  seat_limit: null,
  delivery_methods: ["link"],
  identity_provider_restriction: false,
  notification_email: false,
  secure_sign_in_option: false,
  owner_promotion_confirmation: false,
  member_quotas: false,
  members_can_leave: true,
};

export const ownerMember: TeamPolicy = {
  ...base,
  roles: [role("owner", "Owner", true, "full"), role("member", "Member", false, "read")],
  default_role: "member",
};

export const sixRoles: TeamPolicy = {
  ...base,
  delivery_methods: ["email"],
  secure_sign_in_option: true,
  owner_promotion_confirmation: true,
  roles: [
    role("owner", "Owner", true, "full"),
    role("biller", "Biller", false, "read"),
    role("billing_viewer", "Billing viewer", false, "read"),
    role("member", "Member", false, "read"),
    role("modifier", "Modifier", false, "read"),
    role("resource_viewer", "Resource viewer", false, "read"),
  ],
  default_role: "member",
};

export const quotas: TeamPolicy = {
  ...base,
  invite_lifetime_days: 7,
  delivery_methods: ["link", "email"],
  member_quotas: true,
  roles: [role("owner", "Owner", true, "full"), role("admin", "Admin", false, "full"), role("member", "Member", false, "read")],
  default_role: "member",
};

export const idp: TeamPolicy = {
  ...base,
  seat_limit: 10,
  delivery_methods: ["email", "link"],
  identity_provider_restriction: true,
  notification_email: true,
  roles: [role("administrator", "Administrator", true, "full"), role("member", "Member", false, "read")],
  default_role: "member",
};

export function member(id: string, roleId: string, extra: Partial<Member> = {}): Member {
  return {
    user_id: id,
    email: `${id}@example.com`,
    name: id[0].toUpperCase() + id.slice(1),
    role: roleId,
    joined_at: "2026-01-01T00:00:00Z",
    last_login_at: null,
    ...extra,
  };
}

export function me(policy: TeamPolicy, userId: string, roleId: string): Me {
  return {
    account: { id: "acc_1", name: "Acme", preset: "x" },
    user: { id: userId, email: `${userId}@example.com`, name: userId },
    role: roleId,
    policy,
    seats: { members: 0, pending_invites: 0, used: 0, limit: policy.seat_limit },
  };
}

export function invite(id: string, status: Invite["status"], created: string, extra: Partial<Invite> = {}): Invite {
  return {
    id,
    email: `${id}@example.com`,
    notification_email: null,
    role: "member",
    delivery: "link",
    status,
    created_by: null,
    created_at: created,
    expires_at: "2026-12-06T12:00:00Z",
    accepted_at: null,
    accepted_by: null,
    revoked_at: null,
    identity_provider: { provider: "any" },
    require_secure_sign_in: false,
    times_sent: 1,
    last_sent_at: null,
    link: status === "pending" ? `https://x.example/join/${id}` : null,
    ...extra,
  };
}

export function event(id: string, action: AuditEvent["action"], created: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id,
    action,
    actor: { id: "u_ana", email: "ana@example.com", name: "Ana Lima" },
    target: { kind: "invite", id: "inv_1", email: "bob@example.com" },
    details: {},
    created_at: created,
    ...extra,
  };
}
