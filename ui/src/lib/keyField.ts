import type { AppError } from "../contract";
import { toAppError } from "./errors";

/** The part of an `<input>` a key field needs (a real element in the app, a stub in tests). */
export interface KeyInput {
  value: string;
  focus(): void;
}

/**
 * Hands the typed API key to `send` and empties the field in the same tick, whatever happens
 * next: the key lives in the page only while it is being typed, never across an await.
 * Resolves to `null` on success, or to the error (with the field focused for a retry).
 */
export async function sendKey(input: KeyInput, send: (key: string) => Promise<unknown>): Promise<AppError | null> {
  const call = send(input.value.trim());
  input.value = "";
  try {
    await call;
    return null;
  } catch (err) {
    input.focus();
    return toAppError(err);
  }
}
