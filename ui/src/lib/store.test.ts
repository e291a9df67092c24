import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AccountsView, AppError, AuditNotice, SavedAccount, TeamView } from "../contract";
import { event, me, member, ownerMember } from "../test/fixtures";

// The store talks to Rust only through ../ipc: replace it with a fake.
const ipc = vi.hoisted(() => ({
  accountsList: vi.fn(),
  accountSwitch: vi.fn(),
  teamRefresh: vi.fn(),
  teamCached: vi.fn(async (_id: string): Promise<TeamView | null> => null),
  teamFirstPage: vi.fn(async (): Promise<TeamView> => {
    throw { code: "unreachable", message: "not in this test" };
  }),
  accountAdd: vi.fn(),
  accountReorder: vi.fn(),
  promotionsList: vi.fn(async () => []),
  memberRemove: vi.fn(),
}));
vi.mock("../ipc", () => ipc);

const { store } = await import("./store.svelte");
const { toasts } = await import("./toasts.svelte");

const acct = (id: string, order: number): SavedAccount => ({
  id,
  label: id.toUpperCase(),
  server: "http://127.0.0.1:1",
  account_id: id,
  account_name: id,
  preset: "p",
  user_email: "ana@example.com",
  user_name: "Ana",
  role: "owner",
  role_name: "Owner",
  colour: "#2563eb",
  order,
  key_store: { kind: "memory" },
  added_at: "2026-01-01T00:00:00Z",
});
const accounts = (active: string | null, ...ids: string[]): AccountsView => ({
  accounts: ids.map((id, i) => acct(id, i)),
  active,
  keychain: { kind: "memory", plain_text: false, banner: null },
  demo: false,
});
const team = (id: string, fetched: string, extra: Partial<TeamView> = {}): TeamView => ({
  account: id,
  me: me(ownerMember, "ana", "owner"),
  members: [member("ana", "owner"), member("bob", "member")],
  invites: [],
  audit: [],
  fetched_at: fetched,
  stale: false,
  error: null,
  partial: false,
  ...extra,
});
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  vi.clearAllMocks();
  // A new session: reading ahead again, and an earlier test's read-ahead ends.
  const session = store as unknown as { readingAhead: boolean; readAheadRun: number };
  session.readingAhead = false;
  session.readAheadRun++;
  store.views = {};
  store.loadErrors = {};
  store.refreshing = {};
  store.activeId = null;
  toasts.list = [];
});

describe("switching", () => {
  it("shows the cached snapshot at once, then the refreshed one", async () => {
    let release!: (v: TeamView) => void;
    ipc.accountSwitch.mockResolvedValue(team("a", "2026-11-24T10:00:00Z", { stale: true }));
    ipc.teamRefresh.mockReturnValue(new Promise((r) => (release = r)));
    store.accounts = accounts("b", "a", "b");
    const done = store.switchTo("a");
    await flush();
    expect(store.activeId).toBe("a");
    expect(store.view?.stale).toBe(true);
    expect(store.refreshing.a).toBe(true);
    release(team("a", "2026-11-24T10:05:00Z"));
    await done;
    expect(store.view).toMatchObject({ stale: false, fetched_at: "2026-11-24T10:05:00Z" });
    expect(store.accounts?.active).toBe("a");
  });

  it("with nothing cached, shows the first page of members while the whole team loads", async () => {
    let release!: (v: TeamView) => void;
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamFirstPage.mockResolvedValueOnce(team("a", "2026-11-24T10:00:00Z", { partial: true, members: [member("ana", "owner")] }));
    ipc.teamRefresh.mockReturnValue(new Promise((r) => (release = r)));
    store.accounts = accounts(null, "a");
    const done = store.switchTo("a");
    await flush();
    expect(store.view).toMatchObject({ partial: true });
    expect(store.view?.members).toHaveLength(1);
    release(team("a", "2026-11-24T10:00:01Z"));
    await done;
    expect(store.view).toMatchObject({ partial: false });
    expect(store.view?.members).toHaveLength(2);
  });

  it("a first page that answers after the whole team never replaces it", async () => {
    let late!: (v: TeamView) => void;
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamFirstPage.mockReturnValueOnce(new Promise((r) => (late = r)));
    ipc.teamRefresh.mockResolvedValue(team("a", "2026-11-24T10:00:01Z"));
    store.accounts = accounts(null, "a");
    await store.switchTo("a");
    late(team("a", "2026-11-24T10:00:00Z", { partial: true, members: [] }));
    await flush();
    expect(store.view).toMatchObject({ partial: false });
    expect(store.view?.members).toHaveLength(2);
  });

  it("with something cached, asks for no first page", async () => {
    ipc.accountSwitch.mockResolvedValue(team("a", "2026-11-24T10:00:00Z", { stale: true }));
    ipc.teamRefresh.mockResolvedValue(team("a", "2026-11-24T10:00:01Z"));
    store.accounts = accounts(null, "a");
    await store.switchTo("a");
    expect(ipc.teamFirstPage).not.toHaveBeenCalled();
  });

  it("after the first team is in, reads the other accounts' cached views ahead, skipping any the window holds", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockImplementation(async (id: string) => team(id, "2026-11-24T10:00:00Z"));
    ipc.teamCached.mockImplementation(async (id: string) => (id === "c" ? null : team(id, "2026-11-24T09:00:00Z", { stale: true })));
    store.accounts = accounts(null, "a", "b", "c");
    await store.switchTo("a");
    for (let i = 0; i < 20 && ipc.teamCached.mock.calls.length < 2; i++) await new Promise((r) => setTimeout(r, 60));
    await flush();
    expect(ipc.teamCached.mock.calls.map(([id]) => id)).toEqual(["b", "c"]);
    expect(store.views.b).toMatchObject({ stale: true, fetched_at: "2026-11-24T09:00:00Z" });
    expect(store.views.c).toBeUndefined();
    expect(store.activeId).toBe("a");
  });

  it("a failed refresh keeps the data and marks it stale with the error", async () => {
    const err: AppError = { code: "unreachable", message: "Cannot reach" };
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockResolvedValueOnce(team("a", "2026-11-24T10:00:00Z")).mockRejectedValueOnce(err);
    store.accounts = accounts(null, "a");
    await store.switchTo("a");
    await store.refresh("a");
    expect(store.view).toMatchObject({ stale: true, error: err });
  });

  it("with nothing cached, a failure is a load error", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockRejectedValue({ code: "bad_key", message: "refused" });
    store.accounts = accounts(null, "a");
    await store.switchTo("a");
    expect(store.view).toBeNull();
    expect(store.loadErrors.a).toEqual({ code: "bad_key", message: "refused" });
  });

  it("switches by rail position and ignores a position past the end", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockImplementation(async (id: string) => team(id, "2026-11-24T10:00:00Z"));
    store.accounts = accounts(null, "a", "b");
    await store.switchToIndex(1);
    expect(store.activeId).toBe("b");
    await store.switchToIndex(7);
    expect(store.activeId).toBe("b");
  });
});

describe("timing marks (read by the benchmarks)", () => {
  const marks = (name: string) => performance.getEntriesByName(name, "mark").map((m) => (m as PerformanceMark).detail);
  const settle = async () => {
    for (let i = 0; i < 5; i++) await flush();
  };
  // Earlier tests' marks land late (each waits for a "paint"): start from an empty timeline.
  beforeEach(async () => {
    await settle();
    performance.clearMarks();
  });

  it("a first switch marks the start, then the rows from disk, then from the network", async () => {
    ipc.accountSwitch.mockResolvedValue(team("a", "2026-11-24T10:00:00Z", { stale: true }));
    ipc.teamRefresh.mockResolvedValue(team("a", "2026-11-24T10:05:00Z"));
    store.accounts = accounts("b", "a", "b");
    await store.switchTo("a");
    await settle();
    expect(marks("roster:switch")).toEqual([{ id: "a" }]);
    expect(marks("roster:rows").map((d) => d.source)).toEqual(["disk", "network"]);
    expect(ipc.accountSwitch).toHaveBeenCalledWith("a", true);
    // Each mark splits its wait: applied to the DOM, then the frame began, then painted.
    const start = performance.getEntriesByName("roster:switch", "mark")[0].startTime;
    for (const m of performance.getEntriesByName("roster:rows", "mark") as PerformanceMark[]) {
      expect(start).toBeLessThanOrEqual(m.detail.applied);
      expect(m.detail.applied).toBeLessThanOrEqual(m.detail.frame);
      expect(m.detail.frame).toBeLessThanOrEqual(m.startTime);
    }
  });

  it("with nothing cached, marks the first page's rows, then the whole team's", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamFirstPage.mockResolvedValueOnce(team("a", "2026-11-24T10:00:00Z", { partial: true }));
    ipc.teamRefresh.mockImplementation(async () => {
      await settle();
      return team("a", "2026-11-24T10:00:01Z");
    });
    store.accounts = accounts(null, "a");
    await store.switchTo("a");
    await settle();
    expect(marks("roster:rows").map((d) => d.source)).toEqual(["first-page", "network"]);
  });

  it("switching back to an account seen this session marks rows from memory first, and clears the last switch's marks", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockImplementation(async (id: string) => team(id, "2026-11-24T10:00:00Z"));
    store.accounts = accounts(null, "a", "b");
    await store.switchTo("a");
    await store.switchTo("b");
    await settle();
    await store.switchTo("a");
    await settle();
    expect(marks("roster:switch")).toEqual([{ id: "a" }]);
    expect(marks("roster:rows").map((d) => `${d.id}:${d.source}`)).toEqual(["a:memory", "a:network"]);
    // The window holds a's data: Rust neither reads nor sends the disk snapshot.
    expect(ipc.accountSwitch).toHaveBeenLastCalledWith("a", false);
  });
});

describe("owner promotions", () => {
  it("an account without any gets the same empty list every time, so its table sees no change", () => {
    store.promotions = {};
    expect(store.promotionsOf("a")).toEqual([]);
    expect(store.promotionsOf("a")).toBe(store.promotionsOf("b"));
  });
});

describe("accounts", () => {
  it("follows a newly added account", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockImplementation(async (id: string) => team(id, "2026-11-24T10:00:00Z"));
    store.accounts = accounts("a", "a");
    store.activeId = "a";
    ipc.accountAdd.mockResolvedValue(accounts("a", "a", "n"));
    await store.add("http://127.0.0.1:1", "k");
    await flush();
    expect(store.activeId).toBe("n");
    expect(ipc.accountAdd).toHaveBeenCalledWith("http://127.0.0.1:1", "k", undefined);
  });

  it("forgets the views of removed accounts and falls back to the first", async () => {
    ipc.accountSwitch.mockResolvedValue(null);
    ipc.teamRefresh.mockImplementation(async (id: string) => team(id, "2026-11-24T10:00:00Z"));
    store.views = { a: team("a", "2026-11-24T10:00:00Z"), b: team("b", "2026-11-24T10:00:00Z") };
    store.activeId = "b";
    store.applyAccounts(accounts(null, "a"));
    await flush();
    expect(Object.keys(store.views)).toEqual(["a"]);
    expect(store.activeId).toBe("a");
  });

  it("shows a reorder at once", async () => {
    store.accounts = accounts("a", "a", "b", "c");
    let release!: (v: AccountsView) => void;
    ipc.accountReorder.mockReturnValue(new Promise((r) => (release = r)));
    const done = store.reorder(["c", "a", "b"]);
    expect(store.rail.map((a) => a.id)).toEqual(["c", "a", "b"]);
    release({ ...accounts("a", "c", "a", "b") });
    await done;
    expect(store.rail.map((a) => a.id)).toEqual(["c", "a", "b"]);
  });
});

describe("live events", () => {
  it("merges the event, toasts a join, and refreshes soon", async () => {
    vi.useFakeTimers();
    try {
      store.accounts = accounts("a", "a");
      store.activeId = "a";
      store.views = { a: team("a", "2026-11-24T10:00:00Z") };
      ipc.teamRefresh.mockResolvedValue(team("a", "2026-11-24T10:01:00Z"));
      const joined = "Ana Lima joined Team A as Member";
      const n: AuditNotice = {
        account: "a",
        event: event("e1", "invite_accepted", "2026-11-24T10:00:30Z", { details: { role: "member", name: "Ana Lima" } }),
        notification: joined,
      };
      store.onAudit(n);
      store.onAudit(n);
      expect(store.views.a.audit.map((e) => e.id)).toEqual(["e1"]);
      // The notice's own text, built in Rust as the native notification's is.
      expect(toasts.list.map((t) => t.text)).toContain(joined);
      expect(ipc.teamRefresh).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(500);
      expect(ipc.teamRefresh).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("members", () => {
  it("removing drops the row at once", async () => {
    store.views = { a: team("a", "2026-11-24T10:00:00Z") };
    ipc.memberRemove.mockResolvedValue(undefined);
    ipc.teamRefresh.mockResolvedValue(team("a", "2026-11-24T10:01:00Z", { members: [member("ana", "owner")] }));
    await store.removeMember("a", "bob");
    expect(ipc.memberRemove).toHaveBeenCalledWith("a", "bob");
    expect(store.views.a.members.map((m) => m.user_id)).not.toContain("bob");
  });
});
