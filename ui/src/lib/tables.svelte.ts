// The members tables of the accounts seen this session (MemberTables mounts them), kept here so
// they outlive the component that shows them: a switch to a team with nothing loaded yet, or a
// visit to another tab, unmounts that component, not the tables.

import type { OwnerPromotion, SavedAccount, TeamView } from "../contract";

export class TableProps {
  view = $state.raw() as TeamView;
  account = $state.raw() as SavedAccount;
  promotions = $state.raw() as OwnerPromotion[];
  now = $state(0);

  constructor(view: TeamView, account: SavedAccount, promotions: OwnerPromotion[], now: number) {
    this.set(view, account, promotions, now);
  }

  /** An unchanged value wakes nothing: state compares before it notifies. */
  set(view: TeamView, account: SavedAccount, promotions: OwnerPromotion[], now: number): void {
    this.view = view;
    this.account = account;
    this.promotions = promotions;
    this.now = now;
  }
}

/** A mounted table: its element (on the page or parked off it), props and exports. */
export type Table = { el: HTMLDivElement; props: TableProps; exports: { focusSearch(): void; resume(): void } };

/** By account, in the order shown, most recent last. Not reactive on purpose: nothing renders
 * from it; MemberTables reads it inside its own effects. */
// eslint-disable-next-line svelte/prefer-svelte-reactivity
export const parked = new Map<string, Table>();

/** Least recently shown first: the accounts whose tables go when more than `keep` are kept. */
export function evictable(order: string[], keep: number, exists: (id: string) => boolean): string[] {
  const gone = order.filter((id) => !exists(id));
  const live = order.filter(exists);
  return [...gone, ...live.slice(0, Math.max(0, live.length - keep))];
}
