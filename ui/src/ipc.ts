// The one door to the Rust side: a typed function per Tauri command and per event.
// Commands reject with an `AppError` ({code, message}) and nothing else; see lib/errors.ts.
//
// Command names, what each takes and answers, and the event names all come from the one
// command list in Rust (roster-desk's `ipc_commands!`), generated into ./bindings/ipc.ts:
// a name, an argument or an answer the list does not have fails `npm run check`.
//
// The API key crosses here exactly once, into accountAdd / accountRekey, as an argument the
// caller does not keep. No command returns it.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { EVENTS, type Commands, type Events } from "./bindings/ipc";
import type { AuditFilter, MemberPatch } from "./contract";
import { toAppError } from "./lib/errors";

type Command = keyof Commands;
type Answer<C extends Command> = Commands[C]["answer"];

/** `invoke(cmd, args)` for a command of the list: `args` is its request, or nothing. */
async function call<C extends Command>(cmd: C, ...args: Commands[C]["args"] extends null ? [] : [Commands[C]["args"]]): Promise<Answer<C>> {
  try {
    return await invoke<Answer<C>>(cmd, args[0] ?? {});
  } catch (e) {
    throw toAppError(e);
  }
}

function on<E extends keyof Events>(event: E, cb: (payload: Events[E]) => void): Promise<UnlistenFn> {
  return listen<Events[E]>(event, (e) => cb(e.payload));
}

// ---- accounts ----------------------------------------------------------------------------
export const accountsList = () => call("accounts_list");
export const accountAdd = (server: string, key: string, label?: string) => call("account_add", { server, key, label: label || undefined });
export const accountRekey = (id: string, key: string) => call("account_rekey", { id, key });
export const accountRemove = (id: string) => call("account_remove", { id });
/** `wantCached`: the disk snapshot, when the window holds none of this account's data. */
export const accountSwitch = (id: string, wantCached: boolean) => call("account_switch", { id, wantCached });
export const accountReorder = (ids: string[]) => call("account_reorder", { ids });
export const accountUpdate = (id: string, change: { label?: string; colour?: string }) => call("account_update", { id, ...change });
export const keychainDoctor = () => call("keychain_doctor");

// ---- team data ---------------------------------------------------------------------------
export const teamRefresh = (id: string) => call("team_refresh", { id });
export const teamFirstPage = (id: string) => call("team_first_page", { id });
export const teamCached = (id: string) => call("team_cached", { id });

// ---- members -----------------------------------------------------------------------------
const memberUpdate = (id: string, userId: string, patch: MemberPatch) => call("member_update", { id, userId, patch });
export const memberSetRole = (id: string, userId: string, role: string) => memberUpdate(id, userId, { role });
/** `quota: null` lifts the quota (unlimited). */
export const memberSetQuota = (id: string, userId: string, quota: number | null) => memberUpdate(id, userId, { quota });
export const memberRemove = (id: string, userId: string) => call("member_remove", { id, userId });
export const teamLeave = (id: string) => call("team_leave", { id });
export const promotionCancel = (id: string, promotionId: string) => call("promotion_cancel", { id, promotionId });
export const promotionsList = (id: string) => call("promotions_list", { id });

// ---- invites -----------------------------------------------------------------------------
/** `idempotencyKey`: one per invite the user asks for, the same when they retry it (lib/inviteForm.ts). */
export const inviteCreate = (id: string, invite: Commands["invite_create"]["args"]["invite"], idempotencyKey: string) =>
  call("invite_create", { id, invite, idempotencyKey });
/** `options`: what every address gets (delivery, identity provider, secure sign-in, expiry; lib/inviteForm.ts). */
export const inviteBulk = (id: string, text: string, role: string, options: Commands["invite_bulk"]["args"]["options"]) =>
  call("invite_bulk", { id, text, role, options });
export const inviteRecopy = (id: string, inviteId: string) => call("invite_recopy", { id, inviteId });
export const inviteCopyMessage = (id: string, inviteId: string) => call("invite_copy_message", { id, inviteId });
export const inviteResend = (id: string, inviteId: string) => call("invite_resend", { id, inviteId });
export const inviteRevoke = (id: string, inviteId: string) => call("invite_revoke", { id, inviteId });

// ---- activity ----------------------------------------------------------------------------
export type AuditQuery = AuditFilter & { cursor?: string };
export const auditPage = (id: string, { cursor, ...filter }: AuditQuery = {}) => call("audit_page", { id, filter, cursor });

// ---- misc --------------------------------------------------------------------------------
export const openServerPage = (id: string, path: string) => call("open_server_page", { id, path });

// ---- events ------------------------------------------------------------------------------
export const onAudit = (cb: (n: Events["audit"]) => void) => on(EVENTS.AUDIT, cb);
export const onAccountsChanged = (cb: (v: Events["accounts-changed"]) => void) => on(EVENTS.ACCOUNTS_CHANGED, cb);
export const onCopyInviteRequested = (cb: () => void) => on(EVENTS.COPY_INVITE_REQUESTED, () => cb());
