// The one door to the Rust side: a typed function per Tauri command and per event.
// Commands reject with an `AppError` ({code, message}) and nothing else; see lib/errors.ts.
//
// The API key crosses here exactly once, into accountAdd / accountRekey, as an argument the
// caller does not keep. No command returns it.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AccountsView,
  AuditAction,
  AuditEvent,
  AuditNotice,
  BulkOptions,
  BulkReport,
  CopiedMessage,
  Invite,
  InviteCreated,
  KeyReport,
  MemberUpdate,
  NewInvite,
  OwnerPromotion,
  Page,
  TeamView,
} from "./contract";
import { toAppError } from "./lib/errors";

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

// ---- accounts ----------------------------------------------------------------------------
export const accountsList = () => call<AccountsView>("accounts_list");
export const accountAdd = (server: string, key: string, label?: string) => call<AccountsView>("account_add", { server, key, label: label || undefined });
export const accountRekey = (id: string, key: string) => call<AccountsView>("account_rekey", { id, key });
export const accountRemove = (id: string) => call<AccountsView>("account_remove", { id });
/** `wantCached`: the disk snapshot, when the window holds none of this account's data. */
export const accountSwitch = (id: string, wantCached: boolean) => call<TeamView | null>("account_switch", { id, wantCached });
export const accountReorder = (ids: string[]) => call<AccountsView>("account_reorder", { ids });
export const accountUpdate = (id: string, change: { label?: string; colour?: string }) => call<AccountsView>("account_update", { id, ...change });
export const keychainDoctor = () => call<KeyReport[]>("keychain_doctor");

// ---- team data ---------------------------------------------------------------------------
export const teamRefresh = (id: string) => call<TeamView>("team_refresh", { id });
export const teamFirstPage = (id: string) => call<TeamView>("team_first_page", { id });
export const teamCached = (id: string) => call<TeamView | null>("team_cached", { id });

// ---- members -----------------------------------------------------------------------------
export const memberSetRole = (id: string, userId: string, role: string) => call<MemberUpdate>("member_update", { id, userId, role, setQuota: false });
/** `quota: null` lifts the quota (unlimited). */
export const memberSetQuota = (id: string, userId: string, quota: number | null) => call<MemberUpdate>("member_update", { id, userId, quota, setQuota: true });
export const memberRemove = (id: string, userId: string) => call<void>("member_remove", { id, userId });
export const teamLeave = (id: string) => call<AccountsView>("team_leave", { id });
export const promotionCancel = (id: string, promotionId: string) => call<OwnerPromotion>("promotion_cancel", { id, promotionId });
export const promotionsList = (id: string) => call<OwnerPromotion[]>("promotions_list", { id });

// ---- invites -----------------------------------------------------------------------------
/** `idempotencyKey`: one per invite the user asks for, the same when they retry it (lib/inviteForm.ts). */
export const inviteCreate = (id: string, invite: NewInvite, idempotencyKey: string) => call<InviteCreated>("invite_create", { id, invite, idempotencyKey });
/** `options`: what every address gets (delivery, identity provider, secure sign-in, expiry; lib/inviteForm.ts). */
export const inviteBulk = (id: string, text: string, role: string, options: BulkOptions) => call<BulkReport>("invite_bulk", { id, text, role, options });
export const inviteRecopy = (id: string, inviteId: string) => call<InviteCreated>("invite_recopy", { id, inviteId });
export const inviteCopyMessage = (id: string, inviteId: string) => call<CopiedMessage>("invite_copy_message", { id, inviteId });
export const inviteResend = (id: string, inviteId: string) => call<Invite>("invite_resend", { id, inviteId });
export const inviteRevoke = (id: string, inviteId: string) => call<Invite>("invite_revoke", { id, inviteId });

// ---- activity ----------------------------------------------------------------------------
export type AuditQuery = { action?: AuditAction; actor?: string; q?: string; cursor?: string };
export const auditPage = (id: string, query: AuditQuery = {}) => call<Page<AuditEvent>>("audit_page", { id, ...query });

// ---- misc --------------------------------------------------------------------------------
export const openServerPage = (id: string, path: string) => call<void>("open_server_page", { id, path });

// ---- events ------------------------------------------------------------------------------
export const onAudit = (cb: (n: AuditNotice) => void): Promise<UnlistenFn> => listen<AuditNotice>("audit", (e) => cb(e.payload));
export const onAccountsChanged = (cb: (v: AccountsView) => void): Promise<UnlistenFn> => listen<AccountsView>("accounts-changed", (e) => cb(e.payload));
export const onCopyInviteRequested = (cb: () => void): Promise<UnlistenFn> => listen("copy-invite-requested", () => cb());
