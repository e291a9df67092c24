// Activity log wording and live updates.

import type { AuditAction, AuditEvent, TeamPolicy } from "../contract";
import { roleName } from "./guards";

export const ACTION_LABELS: Record<AuditAction, string> = {
  invite_created: "Invite sent",
  invite_resent: "Invite resent",
  invite_revoked: "Invite revoked",
  invite_accepted: "Invite accepted",
  member_role_changed: "Role changed",
  member_quota_changed: "Quota changed",
  member_removed: "Member removed",
  member_left: "Member left",
  owner_promotion_requested: "Owner promotion requested",
  owner_promotion_confirmed: "Owner promotion confirmed",
  owner_promotion_cancelled: "Owner promotion cancelled",
};

export const AUDIT_ACTIONS = Object.keys(ACTION_LABELS) as AuditAction[];

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

function quota(v: unknown): string {
  return v === null || v === undefined ? "unlimited" : typeof v === "number" ? v.toLocaleString("en") : String(v);
}

/** One sentence: "Ana Lima invited bob@x.com as Member". */
export function describeAudit(e: AuditEvent, policy: TeamPolicy): string {
  const who = e.actor ? e.actor.name || e.actor.email : "Someone";
  const target = e.target.email;
  const d = e.details;
  const role = (k: string) => {
    const id = str(d[k]);
    return id ? roleName(policy, id) : "?";
  };
  switch (e.action) {
    case "invite_created":
      return `${who} invited ${target} as ${role("role")}`;
    case "invite_resent":
      return `${who} resent the invite to ${target}`;
    case "invite_revoked":
      return `${who} revoked the invite to ${target}`;
    case "invite_accepted":
      return `${str(d.name) ?? who} joined as ${role("role")} (${target})`;
    case "member_role_changed":
      return `${who} changed ${target} from ${role("from")} to ${role("to")}`;
    case "member_quota_changed":
      return `${who} changed the quota of ${target} from ${quota(d.from)} to ${quota(d.to)}`;
    case "member_removed":
      return `${who} removed ${target}`;
    case "member_left":
      return `${target} left the team`;
    case "owner_promotion_requested":
      return `${who} asked to make ${target} ${role("to")}; waiting for e-mail confirmation`;
    case "owner_promotion_confirmed":
      return `${target} became ${role("to")} (confirmed by e-mail)`;
    case "owner_promotion_cancelled":
      return `${who} cancelled the promotion of ${target}`;
  }
}

/** `list` with `e` added (once, by id), newest first, at most `max` long. */
export function mergeAudit(list: AuditEvent[], e: AuditEvent, max = 200): AuditEvent[] {
  if (list.some((x) => x.id === e.id)) return list;
  const out = [e, ...list].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  return out.slice(0, max);
}
