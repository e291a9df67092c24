// Seat usage: "8 of 10 seats", and whether another invite fits before the user tries.

import type { Seats } from "../contract";

export type SeatInfo = {
  /** "8 of 10 seats" or "12 members · 3 pending". */
  text: string;
  /** Longer, for a tooltip. */
  detail: string;
  limited: boolean;
  full: boolean;
  /** Seats left; null without a limit. */
  remaining: number | null;
  /** Why inviting is blocked, or null. */
  blocked: string | null;
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function seatInfo(seats: Seats): SeatInfo {
  const detail = `${plural(seats.members, "member")} and ${plural(seats.pending_invites, "pending invite")}`;
  if (seats.limit === null) {
    return {
      text: `${plural(seats.members, "member")} · ${seats.pending_invites} pending`,
      detail: `${detail}; no seat limit`,
      limited: false,
      full: false,
      remaining: null,
      blocked: null,
    };
  }
  const remaining = Math.max(0, seats.limit - seats.used);
  const full = remaining === 0;
  return {
    text: `${seats.used} of ${plural(seats.limit, "seat")}`,
    detail: `${detail} use ${seats.used} of ${seats.limit} seats`,
    limited: true,
    full,
    remaining,
    blocked: full ? `All ${seats.limit} seats are in use (${detail}). Revoke a pending invite or remove a member to free one.` : null,
  };
}

/** A warning when `count` new invites would not all fit; null when they do. */
export function overflowWarning(seats: Seats, count: number): string | null {
  const info = seatInfo(seats);
  if (info.remaining === null || count <= info.remaining) return null;
  if (info.remaining === 0) return info.blocked;
  return `Only ${plural(info.remaining, "seat")} left: the first ${info.remaining} will be invited and the rest will not be sent.`;
}
