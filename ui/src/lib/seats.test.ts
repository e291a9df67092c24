import { describe, expect, it } from "vitest";
import { overflowWarning, seatInfo } from "./seats";

describe("seatInfo", () => {
  it("8 of 10 seats", () => {
    const s = seatInfo({ members: 6, pending_invites: 2, used: 8, limit: 10 });
    expect(s).toMatchObject({ text: "8 of 10 seats", full: false, remaining: 2, blocked: null, limited: true });
    expect(s.detail).toBe("6 members and 2 pending invites use 8 of 10 seats");
  });
  it("full blocks with the reason", () => {
    const s = seatInfo({ members: 9, pending_invites: 1, used: 10, limit: 10 });
    expect(s.full).toBe(true);
    expect(s.blocked).toMatch(/^All 10 seats are in use \(9 members and 1 pending invite\)\. Revoke a pending invite or remove a member/);
  });
  it("over the limit is still full", () => {
    expect(seatInfo({ members: 12, pending_invites: 0, used: 12, limit: 10 })).toMatchObject({ full: true, remaining: 0 });
  });
  it("no limit", () => {
    expect(seatInfo({ members: 1, pending_invites: 3, used: 4, limit: null })).toMatchObject({
      text: "1 member · 3 pending",
      limited: false,
      full: false,
      remaining: null,
    });
  });
});

describe("overflowWarning", () => {
  const seats = { members: 7, pending_invites: 1, used: 8, limit: 10 };
  it("fits", () => expect(overflowWarning(seats, 2)).toBeNull());
  it("partly", () =>
    expect(overflowWarning(seats, 5)).toBe("Only 2 seats left: the first 2 will be invited and the rest will not be sent."));
  it("none left", () => expect(overflowWarning({ ...seats, used: 10, pending_invites: 3 }, 1)).toMatch(/All 10 seats/));
  it("no limit", () => expect(overflowWarning({ ...seats, limit: null }, 500)).toBeNull());
});
