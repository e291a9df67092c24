// Searching, sorting and filtering the lists. Pure functions over arrays; 10,000 members
// sort in a few milliseconds.

import type { AuditAction, AuditEvent, Invite, InviteStatus, Member, TeamPolicy } from "../contract";

export type SortDir = "asc" | "desc";
export type MemberSortKey = "name" | "email" | "role" | "sign_in_method" | "last_login_at" | "joined_at" | "quota";
export type MemberSort = { key: MemberSortKey; dir: SortDir };

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

function terms(q: string): string[] {
  return q.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Members whose name, e-mail or role name contain every word of `q`. */
export function searchMembers(members: Member[], q: string, policy: TeamPolicy): Member[] {
  const words = terms(q);
  if (words.length === 0) return members;
  const names = new Map(policy.roles.map((r) => [r.id, r.name.toLowerCase()]));
  return members.filter((m) => {
    const hay = `${m.name}\n${m.email}\n${names.get(m.role) ?? m.role}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

// Sorted copies per member list and order: a list is replaced whole when its data changes, so
// switching back to a team reuses the order instead of re-sorting 10,000 names (BENCHMARKS.md §2).
const sorted = new WeakMap<Member[], Map<string, Member[]>>();

/** Sorted copy. Empty values (never logged in, no quota) go last in either direction; ties by name. */
export function sortMembers(members: Member[], sort: MemberSort, policy: TeamPolicy): Member[] {
  const memo = sorted.get(members) ?? new Map<string, Member[]>();
  sorted.set(members, memo);
  const key = `${sort.key} ${sort.dir} ${policy.roles.map((r) => r.id).join(",")}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const out = sortFresh(members, sort, policy);
  memo.set(key, out);
  return out;
}

function sortFresh(members: Member[], sort: MemberSort, policy: TeamPolicy): Member[] {
  const rank = new Map(policy.roles.map((r, i) => [r.id, i]));
  const sign = sort.dir === "asc" ? 1 : -1;
  const value = (m: Member): string | number | null => {
    switch (sort.key) {
      case "name":
        return m.name || m.email;
      case "email":
        return m.email;
      case "role":
        return rank.get(m.role) ?? Number.MAX_SAFE_INTEGER;
      case "sign_in_method":
        return m.sign_in_method ?? null;
      case "last_login_at":
        return m.last_login_at ? Date.parse(m.last_login_at) : null;
      case "joined_at":
        return Date.parse(m.joined_at);
      case "quota":
        // Unlimited (null) is the largest quota; absent means the policy has none.
        return m.quota === undefined ? null : m.quota === null ? Number.POSITIVE_INFINITY : m.quota;
    }
  };
  const keyed = members.map((m) => ({ m, v: value(m) }));
  const order = (a: { m: Member; v: string | number | null }, b: { m: Member; v: string | number | null }) => {
    if (a.v === null || b.v === null) {
      if (a.v === b.v) return collator.compare(a.m.name || a.m.email, b.m.name || b.m.email);
      return a.v === null ? 1 : -1;
    }
    const c = typeof a.v === "number" && typeof b.v === "number" ? a.v - b.v : collator.compare(String(a.v), String(b.v));
    return c !== 0 ? sign * c : collator.compare(a.m.name || a.m.email, b.m.name || b.m.email);
  };
  // Rust hands members over in this (default) order already: one pass proves it, where a sort
  // compares ~14 times as often, which is slow in a web view that has just started and not yet
  // compiled this code (BENCHMARKS.md §2).
  let inOrder = true;
  for (let i = 1; i < keyed.length && inOrder; i++) inOrder = order(keyed[i - 1], keyed[i]) <= 0;
  if (!inOrder) keyed.sort(order);
  return keyed.map((k) => k.m);
}

/** Clicking a column header: same column flips the direction, a new one starts sensibly. */
export function nextSort(cur: MemberSort, key: MemberSortKey): MemberSort {
  if (cur.key === key) return { key, dir: cur.dir === "asc" ? "desc" : "asc" };
  const newestFirst = key === "last_login_at" || key === "joined_at";
  return { key, dir: newestFirst ? "desc" : "asc" };
}

export const INVITE_STATUSES: InviteStatus[] = ["pending", "accepted", "expired", "revoked"];
export type InviteFilter = InviteStatus | "all";

export function inviteCounts(invites: Invite[]): Record<InviteFilter, number> {
  const c: Record<InviteFilter, number> = { all: invites.length, pending: 0, accepted: 0, expired: 0, revoked: 0 };
  for (const i of invites) c[i.status]++;
  return c;
}

/** Invites of one status (or all) matching `q`; pending first, then newest first. */
export function filterInvites(invites: Invite[], status: InviteFilter, q = ""): Invite[] {
  const words = terms(q);
  const order: Record<InviteStatus, number> = { pending: 0, accepted: 1, expired: 2, revoked: 3 };
  return invites
    .filter((i) => status === "all" || i.status === status)
    .filter((i) => words.length === 0 || words.every((w) => `${i.email}\n${i.notification_email ?? ""}`.toLowerCase().includes(w)))
    .sort((a, b) => order[a.status] - order[b.status] || Date.parse(b.created_at) - Date.parse(a.created_at));
}

/** Audit events of `action` ("" = any) that involve `person` ("" = anyone) as actor or target. */
export function filterAudit(events: AuditEvent[], action: AuditAction | "", person: string): AuditEvent[] {
  const p = person.toLowerCase();
  return events.filter(
    (e) =>
      (!action || e.action === action) &&
      (!p || e.actor?.id === person || e.actor?.email.toLowerCase() === p || e.target.id === person || e.target.email.toLowerCase() === p),
  );
}

export type Person = { id: string; label: string };

/**
 * The activity log's person filter, by name: every member, since the server finds their
 * actions beyond the newest events held here, and whoever acted in `events` but has left.
 */
export function auditPeople(members: Member[], events: AuditEvent[]): Person[] {
  const seen = new Map<string, string>();
  for (const m of members) seen.set(m.user_id, m.name || m.email);
  for (const e of events) if (e.actor && !seen.has(e.actor.id)) seen.set(e.actor.id, `${e.actor.name || e.actor.email} (former member)`);
  return [...seen].map(([id, label]) => ({ id, label })).sort((a, b) => collator.compare(a.label, b.label));
}

/** Narrowest useful width of each member column, px. */
export const MEMBER_COLUMN_MIN: Record<MemberSortKey, number> = {
  name: 150,
  email: 160,
  role: 150,
  sign_in_method: 110,
  quota: 120,
  last_login_at: 96,
  joined_at: 96,
};

/**
 * The member columns that fit `width` px: the optional ones where the data has them, then the
 * least important dropped first (joined, last login, sign-in, e-mail) until the rest fit.
 */
export function memberColumns(width: number, has: { signIn: boolean; quota: boolean }): MemberSortKey[] {
  const cols: MemberSortKey[] = ["name", "email", "role"];
  if (has.signIn) cols.push("sign_in_method");
  if (has.quota) cols.push("quota");
  cols.push("last_login_at", "joined_at");
  const GAP = 12;
  const FIXED = 36 + 80 + GAP; // row padding + actions column
  const fits = () => cols.reduce((s, k) => s + MEMBER_COLUMN_MIN[k] + GAP, FIXED) <= width;
  for (const drop of ["joined_at", "last_login_at", "sign_in_method", "email"] as MemberSortKey[]) {
    if (fits()) break;
    const i = cols.indexOf(drop);
    if (i >= 0) cols.splice(i, 1);
  }
  return cols;
}
