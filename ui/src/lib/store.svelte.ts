// The app's state: the account list, one TeamView per account (shown at once when switching,
// refreshed behind it), and the actions that change them. All I/O goes through ../ipc.

import * as ipc from "../ipc";
import type { AccountsView, AppError, AuditNotice, Invite, Member, OwnerPromotion, SavedAccount, TeamView } from "../contract";
import { mergeAudit } from "./audit";
import { railOrder } from "./accounts";
import { guardCtx } from "./guards";
import { toast } from "./toasts.svelte";
import { toAppError } from "./errors";
import { afterNextPaint, markRowsPainted, markSwitch, whenIdle } from "./timing";

export type Tab = "members" | "invites" | "activity";

const NO_PROMOTIONS: OwnerPromotion[] = [];

/** How many teams the window reads ahead from the cache (MemberTables keeps as many tables). */
export const READ_AHEAD = 8;
export const TABS: Tab[] = ["members", "invites", "activity"];

class Store {
  /** null until the first accounts_list answers. */
  accounts = $state.raw<AccountsView | null>(null);
  accountsError = $state.raw<AppError | null>(null);
  /** The account on screen (set at once on a switch, before Rust answers). */
  activeId = $state<string | null>(null);
  /** Per account. Raw: replaced whole, never deep-proxied (10,000 members). */
  views = $state.raw<Record<string, TeamView>>({});
  refreshing = $state.raw<Record<string, boolean>>({});
  /** A refresh that failed with nothing cached to show. */
  loadErrors = $state.raw<Record<string, AppError | null>>({});
  promotions = $state.raw<Record<string, OwnerPromotion[]>>({});
  tab = $state<Tab>("members");

  get rail(): SavedAccount[] {
    return this.accounts ? railOrder(this.accounts.accounts) : [];
  }

  get active(): SavedAccount | null {
    return this.rail.find((a) => a.id === this.activeId) ?? null;
  }

  /** The account's owner promotions; one shared empty list for none, so a table given it again
   * sees no change (a fresh `[]` on every switch re-derived each row's pending chip). */
  promotionsOf(id: string): OwnerPromotion[] {
    return this.promotions[id] ?? NO_PROMOTIONS;
  }

  get view(): TeamView | null {
    return this.activeId ? (this.views[this.activeId] ?? null) : null;
  }

  private setView(id: string, v: TeamView): void {
    this.views = { ...this.views, [id]: v };
  }

  private patchView(id: string, f: (v: TeamView) => TeamView): void {
    const v = this.views[id];
    if (v) this.setView(id, f(v));
  }

  // ---- accounts --------------------------------------------------------------------------

  async loadAccounts(): Promise<void> {
    try {
      this.applyAccounts(await ipc.accountsList());
      this.accountsError = null;
    } catch (e) {
      this.accountsError = toAppError(e);
    }
  }

  /** Takes a new AccountsView; switches when the active account changed or vanished. */
  applyAccounts(v: AccountsView): void {
    this.accounts = v;
    const ids = new Set(v.accounts.map((a) => a.id));
    for (const id of Object.keys(this.views)) if (!ids.has(id)) this.forget(id);
    const want = v.active && ids.has(v.active) ? v.active : (railOrder(v.accounts)[0]?.id ?? null);
    if (want !== this.activeId || (want && !this.views[want] && !this.refreshing[want])) {
      if (want) void this.switchTo(want);
      else this.activeId = null;
    }
  }

  private forget(id: string): void {
    const { [id]: _v, ...views } = this.views;
    this.views = views;
    const { [id]: _e, ...errs } = this.loadErrors;
    this.loadErrors = errs;
  }

  /** Shows the cached snapshot at once (memory, else Rust's disk cache), then refreshes; with
   * nothing cached, the team's first page of members while the rest loads. */
  async switchTo(id: string): Promise<void> {
    markSwitch(id);
    this.activeId = id;
    const inMemory = !!this.views[id];
    if (inMemory) {
      void markRowsPainted(id, "memory");
      // The window shows the team already: Rust hears of the switch once it is drawn, so its
      // answer and the accounts-changed event it sends do not compete with that frame. A newer
      // switch in the meantime makes this one moot. A hidden window draws no frames: then
      // Rust hears of it 100 ms later all the same.
      await Promise.race([afterNextPaint(), new Promise((r) => setTimeout(r, 100))]);
      if (this.activeId !== id) return;
    }
    try {
      const cached = await ipc.accountSwitch(id, !inMemory);
      const mine = this.views[id];
      if (cached && (!mine || Date.parse(cached.fetched_at) > Date.parse(mine.fetched_at))) {
        this.setView(id, cached);
        void markRowsPainted(id, "disk");
      }
      if (this.accounts && this.accounts.active !== id) this.accounts = { ...this.accounts, active: id };
    } catch (e) {
      this.loadErrors = { ...this.loadErrors, [id]: toAppError(e) };
      return;
    }
    if (!this.views[id]) void this.firstPage(id);
    await this.refresh(id);
  }

  /** One round trip for the first screen; the whole team (often 50 pages) follows. */
  private async firstPage(id: string): Promise<void> {
    let v: TeamView;
    try {
      v = await ipc.teamFirstPage(id);
    } catch {
      return; // the full refresh, asked for at the same time, reports what went wrong
    }
    if (this.views[id]) return; // the whole team came first
    this.setView(id, v);
    if (id === this.activeId) void markRowsPainted(id, "first-page");
  }

  async switchToIndex(i: number): Promise<void> {
    const a = this.rail[i];
    if (a && a.id !== this.activeId) await this.switchTo(a.id);
  }

  async refresh(id = this.activeId): Promise<void> {
    if (!id || this.refreshing[id]) return;
    this.refreshing = { ...this.refreshing, [id]: true };
    try {
      const v = await ipc.teamRefresh(id);
      this.setView(id, v);
      if (id === this.activeId) void markRowsPainted(id, "network");
      if (!this.readingAhead) {
        this.readingAhead = true;
        void this.readAhead();
      }
      this.loadErrors = { ...this.loadErrors, [id]: null };
      void this.loadPromotions(id, v);
    } catch (e) {
      const err = toAppError(e);
      if (this.views[id]) this.patchView(id, (v) => ({ ...v, stale: true, error: err }));
      else this.loadErrors = { ...this.loadErrors, [id]: err };
    } finally {
      this.refreshing = { ...this.refreshing, [id]: false };
    }
  }

  /** Once per session, after the first team is in; a later run ends an earlier one. */
  private readingAhead = false;
  private readAheadRun = 0;

  /** The other accounts' cached views, read one at a time while the window is idle after a
   * start: the first switch to each then shows at once instead of waiting for the disk and a
   * first display (BENCHMARKS.md §2). A team the user reaches first is simply skipped. */
  private async readAhead(): Promise<void> {
    const run = ++this.readAheadRun;
    for (const a of this.rail.slice(0, READ_AHEAD)) {
      if (this.views[a.id]) continue;
      await whenIdle();
      if (run !== this.readAheadRun) return;
      if (this.views[a.id]) continue;
      try {
        const v = await ipc.teamCached(a.id);
        if (v && !this.views[a.id]) this.setView(a.id, v);
      } catch {
        // Nothing lost: a switch reads the cache again and says what went wrong.
      }
    }
  }

  private async loadPromotions(id: string, v: TeamView): Promise<void> {
    const ctx = guardCtx(v.me, v.members);
    if (!ctx.manages || !v.me.policy.owner_promotion_confirmation) return;
    try {
      this.promotions = { ...this.promotions, [id]: await ipc.promotionsList(id) };
    } catch {
      // Not worth a banner: the member rows simply show no pending chip.
    }
  }

  /** Debounced refresh for live events (one burst of events → one refresh). */
  private liveTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshSoon(id: string): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = setTimeout(() => void this.refresh(id), 400);
  }

  onAudit(n: AuditNotice): void {
    const v = this.views[n.account];
    if (!v) return;
    this.setView(n.account, { ...v, audit: mergeAudit(v.audit, n.event) });
    // Built in Rust, the same text as the native notification.
    if (n.notification) toast("success", n.notification);
    this.refreshSoon(n.account);
  }

  async add(server: string, key: string, label?: string): Promise<void> {
    const before = new Set(this.accounts?.accounts.map((a) => a.id) ?? []);
    const v = await ipc.accountAdd(server, key, label);
    const added = v.accounts.find((a) => !before.has(a.id));
    this.applyAccounts(added ? { ...v, active: added.id } : v);
  }

  async rekey(id: string, key: string): Promise<void> {
    this.applyAccounts(await ipc.accountRekey(id, key));
    await this.refresh(id);
  }

  async removeAccount(id: string): Promise<void> {
    this.applyAccounts(await ipc.accountRemove(id));
  }

  async reorder(ids: string[]): Promise<void> {
    if (!this.accounts) return;
    // Show the new order at once; Rust's answer confirms it.
    const pos = new Map(ids.map((id, i) => [id, i]));
    this.accounts = { ...this.accounts, accounts: this.accounts.accounts.map((a) => ({ ...a, order: pos.get(a.id) ?? a.order })) };
    try {
      this.accounts = await ipc.accountReorder(ids);
    } catch (e) {
      await this.loadAccounts();
      throw e;
    }
  }

  async updateAccount(id: string, change: { label?: string; colour?: string }): Promise<void> {
    this.accounts = await ipc.accountUpdate(id, change);
  }

  // ---- members ---------------------------------------------------------------------------

  private replaceMember(id: string, m: Member): void {
    this.patchView(id, (v) => ({ ...v, members: v.members.map((x) => (x.user_id === m.user_id ? m : x)) }));
  }

  /** Returns the pending promotion when the change waits for the owner's e-mailed confirmation. */
  async setRole(id: string, userId: string, role: string): Promise<OwnerPromotion | null> {
    const r = await ipc.memberSetRole(id, userId, role);
    this.replaceMember(id, r.member);
    if (r.promotion)
      this.promotions = { ...this.promotions, [id]: [...(this.promotions[id] ?? []).filter((p) => p.id !== r.promotion!.id), r.promotion] };
    void this.refresh(id);
    return r.promotion;
  }

  async setQuota(id: string, userId: string, quota: number | null): Promise<void> {
    const r = await ipc.memberSetQuota(id, userId, quota);
    this.replaceMember(id, r.member);
    void this.refresh(id);
  }

  async removeMember(id: string, userId: string): Promise<void> {
    await ipc.memberRemove(id, userId);
    this.patchView(id, (v) => ({ ...v, members: v.members.filter((m) => m.user_id !== userId) }));
    void this.refresh(id);
  }

  async leave(id: string): Promise<void> {
    this.applyAccounts(await ipc.teamLeave(id));
  }

  async cancelPromotion(id: string, promotionId: string): Promise<void> {
    const p = await ipc.promotionCancel(id, promotionId);
    this.promotions = { ...this.promotions, [id]: (this.promotions[id] ?? []).map((x) => (x.id === p.id ? p : x)) };
    void this.refresh(id);
  }

  // ---- invites ---------------------------------------------------------------------------

  putInvite(id: string, inv: Invite): void {
    this.patchView(id, (v) => {
      const has = v.invites.some((i) => i.id === inv.id);
      return { ...v, invites: has ? v.invites.map((i) => (i.id === inv.id ? inv : i)) : [inv, ...v.invites] };
    });
  }
}

export const store = new Store();

/** Subscribes to the Rust side's events; returns the unsubscribe. */
export async function listenAll(handlers: { onCopyInvite: () => void }): Promise<() => void> {
  const offs = await Promise.all([
    ipc.onAudit((n) => store.onAudit(n)),
    ipc.onAccountsChanged((v) => store.applyAccounts(v)),
    ipc.onCopyInviteRequested(handlers.onCopyInvite),
  ]);
  return () => offs.forEach((off) => off());
}
