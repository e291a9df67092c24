// Relative and exact times. `now` is always passed in (ms since epoch), so the UI can tick
// one clock and tests stay deterministic.

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function parse(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function span(ms: number): string {
  if (ms < MIN) return "less than a minute";
  if (ms < HOUR) return `${Math.floor(ms / MIN)} min`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h`;
  if (ms < 30 * DAY) return `${Math.floor(ms / DAY)} d`;
  if (ms < 365 * DAY) return `${Math.floor(ms / (30 * DAY))} mo`;
  return `${Math.floor(ms / (365 * DAY))} y`;
}

/** "just now", "3 min ago", "2 h ago", "yesterday", "5 d ago", "in 4 d"; "never" for null. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  const t = parse(iso);
  if (t === null) return "never";
  const d = now - t;
  if (Math.abs(d) < 45_000) return "just now";
  if (d < 0) return `in ${span(-d)}`;
  if (d >= DAY && d < 2 * DAY) return "yesterday";
  return `${span(d)} ago`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "Sun 6 Dec 2026, 14:05" in local time; for title attributes. */
export function exactTime(iso: string | null | undefined): string {
  const t = parse(iso);
  if (t === null) return "";
  const d = new Date(t);
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "6 Dec", with the year when it is not the year of `now`. */
export function shortDate(iso: string | null | undefined, now: number): string {
  const t = parse(iso);
  if (t === null) return "";
  const d = new Date(t);
  const y = new Date(now).getFullYear();
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${d.getFullYear() === y ? "" : ` ${d.getFullYear()}`}`;
}

/** The header's data age: "updated just now" for fresh data, "cached 3 min ago" for a cached snapshot. */
export function ageLabel(fetchedAt: string, now: number, stale: boolean): string {
  return `${stale ? "cached" : "updated"} ${relativeTime(fetchedAt, now)}`;
}

/** "expires in 5 d", "expires today", "expired 2 d ago". */
export function expiryLabel(iso: string, now: number): string {
  const t = parse(iso);
  if (t === null) return "";
  const d = t - now;
  if (d <= 0) return `expired ${relativeTime(iso, now)}`;
  if (d < DAY) return `expires in ${span(d)}`;
  return `expires ${shortDate(iso, now)}`;
}

/** The date `days` days from `now`, as shortDate would show it. */
export function dateInDays(days: number, now: number): string {
  return shortDate(new Date(now + days * DAY).toISOString(), now);
}
