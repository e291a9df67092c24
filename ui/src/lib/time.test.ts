import { describe, expect, it } from "vitest";
import { ageLabel, dateInDays, exactTime, expiryLabel, relativeTime, shortDate } from "./time";

const now = new Date(2026, 10, 24, 12, 0, 0).getTime(); // 24 Nov 2026, local
const ago = (ms: number) => new Date(now - ms).toISOString();
const MIN = 60_000;

describe("relativeTime", () => {
  it("reads like a person", () => {
    expect(relativeTime(ago(10_000), now)).toBe("just now");
    expect(relativeTime(ago(3 * MIN), now)).toBe("3 min ago");
    expect(relativeTime(ago(59 * MIN), now)).toBe("59 min ago");
    expect(relativeTime(ago(2 * 60 * MIN), now)).toBe("2 h ago");
    expect(relativeTime(ago(30 * 60 * MIN), now)).toBe("yesterday");
    expect(relativeTime(ago(5 * 24 * 60 * MIN), now)).toBe("5 d ago");
    expect(relativeTime(ago(65 * 24 * 60 * MIN), now)).toBe("2 mo ago");
    expect(relativeTime(ago(800 * 24 * 60 * MIN), now)).toBe("2 y ago");
    expect(relativeTime(ago(-4 * 24 * 60 * MIN), now)).toBe("in 4 d");
  });
  it("says never for no date and tolerates junk", () => {
    expect(relativeTime(null, now)).toBe("never");
    expect(relativeTime("not a date", now)).toBe("never");
  });
});

describe("absolute dates", () => {
  it("exactTime is full and local", () => {
    expect(exactTime(new Date(2026, 11, 6, 9, 5).toISOString())).toBe("Sun 6 Dec 2026, 09:05");
    expect(exactTime(null)).toBe("");
  });
  it("shortDate adds the year only when it differs", () => {
    expect(shortDate(new Date(2026, 11, 6).toISOString(), now)).toBe("6 Dec");
    expect(shortDate(new Date(2027, 0, 2).toISOString(), now)).toBe("2 Jan 2027");
  });
  it("dateInDays", () => {
    expect(dateInDays(12, now)).toBe("6 Dec");
  });
});

describe("ageLabel and expiryLabel", () => {
  it("cached vs updated", () => {
    expect(ageLabel(ago(3 * MIN), now, true)).toBe("cached 3 min ago");
    expect(ageLabel(ago(1000), now, false)).toBe("updated just now");
  });
  it("expiry", () => {
    expect(expiryLabel(new Date(2026, 11, 6, 12).toISOString(), now)).toBe("expires 6 Dec");
    expect(expiryLabel(new Date(now + 5 * 60 * MIN).toISOString(), now)).toBe("expires in 5 h");
    expect(expiryLabel(ago(2 * 24 * 60 * MIN), now)).toBe("expired 2 d ago");
  });
});
