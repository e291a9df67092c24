// Turning any failure into something a person can act on. The UI branches on `code` only;
// `message` comes from roster-core and already says what went wrong in words.

import type { AppError, ErrorCode } from "../contract";

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "bad_key",
  "no_permission",
  "not_found",
  "invalid",
  "seat_limit",
  "last_owner",
  "conflict",
  "rate_limited",
  "unreachable",
  "bad_response",
  "server_error",
  "keychain_unavailable",
  "keychain_locked",
  "key_missing",
  "insecure_url",
  "unknown_account",
  "clipboard",
  "storage",
]);

/** Any rejection (an AppError from Rust, a Tauri string error, a JS Error) as an AppError. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === "string" && CODES.has(code)) return { code: code as ErrorCode, message: String(message) };
  }
  const text = e instanceof Error ? e.message : typeof e === "string" ? e : "";
  return {
    code: "server_error",
    message: text ? `Roster could not do that: ${text}` : "Roster could not do that, for a reason it did not say.",
  };
}

export function isAppError(e: unknown): e is AppError {
  return !!e && typeof e === "object" && "code" in e && "message" in e && CODES.has(String((e as AppError).code));
}

/** What the error view offers as its next step. */
export type NextStep = "rekey" | "retry" | "reload_accounts" | "none";

export type ErrorView = {
  title: string;
  /** roster-core's message, as given. */
  detail: string;
  /** Extra advice shown under it, when the code calls for some. */
  hint: string | null;
  next: NextStep;
  /** Button text for `next`, null when there is no button. */
  nextLabel: string | null;
  /** Cached data shown beside this error should be marked stale. */
  stale: boolean;
};

const UNLOCK_HINT =
  "Unlock your keychain, then retry: on Linux open “Passwords and Keys” (Seahorse) or KWallet and unlock the login keyring; " +
  "on macOS open Keychain Access and unlock “login”; on Windows sign in to your Windows account again.";

const NO_KEYCHAIN_HINT =
  "Roster keeps keys in the system keychain (a plain-text key file only if you set ROSTER_KEY_FILE). On Linux start a Secret " +
  "Service (gnome-keyring or KWallet) in your session and retry; on macOS and Windows the keychain is built in, so restart Roster.";

export function describeError(err: AppError): ErrorView {
  const v = (title: string, next: NextStep, hint: string | null = null, stale = false): ErrorView => ({
    title,
    detail: err.message,
    hint,
    next,
    nextLabel: LABELS[next],
    stale,
  });
  switch (err.code) {
    case "bad_key":
      return v(
        "The server refused this account's API key",
        "rekey",
        "Make a new key in the service's console if this one was revoked, then re-enter it.",
      );
    case "key_missing":
      return v("This account's API key is missing from the keychain", "rekey");
    case "unreachable":
      return v("Cannot reach the server", "retry", null, true);
    case "rate_limited":
      return v("The server asked Roster to slow down", "retry", "Wait a moment, then retry.", true);
    case "server_error":
      return v("Something went wrong", "retry", null, true);
    case "bad_response":
      return v("The server did not answer like a Roster Team API", "retry", "Check the server address in the account's settings.", true);
    case "keychain_locked":
      return v("The keychain is locked", "retry", UNLOCK_HINT);
    case "keychain_unavailable":
      return v("No keychain is available", "retry", NO_KEYCHAIN_HINT);
    case "no_permission":
      return v("Your role can't do that", "none");
    case "seat_limit":
      return v("All seats are taken", "none", "Revoke a pending invite or remove a member to free a seat, or raise the team's seat limit.");
    case "last_owner":
      return v("The team needs an owner", "none", "Make someone else an owner first.");
    case "conflict":
      return v("That changed in the meantime", "retry", "Refresh to see the current state.");
    case "not_found":
      return v("That is gone", "retry", "Someone may have removed it already. Refresh to see the current state.");
    case "invalid":
      return v("Check the form", "none");
    case "insecure_url":
      return v("That server address is not allowed", "none", "Use https://. Plain http:// is allowed only for localhost / 127.0.0.1.");
    case "unknown_account":
      return v("That account is no longer in Roster", "reload_accounts");
    case "clipboard":
      return v("The clipboard could not be written", "none", "Copy the link by hand from the invite row.");
    case "storage":
      return v("Roster could not read or write its files", "retry", "Check the disk space and permissions of Roster's settings folder.");
  }
}

const LABELS: Record<NextStep, string | null> = {
  rekey: "Re-enter key",
  retry: "Retry",
  reload_accounts: "Reload accounts",
  none: null,
};
