// In-app toasts: short confirmations ("Link copied · expires Sun 6 Dec") and failures.

export type ToastKind = "success" | "info" | "error";
export type Toast = { id: number; kind: ToastKind; text: string; detail?: string };

let next = 1;
export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}

/** Shows a toast; successes fade after 5 s, errors stay 12 s (or until dismissed). */
export function toast(kind: ToastKind, text: string, detail?: string): number {
  const id = next++;
  toasts.list = [...toasts.list.slice(-3), { id, kind, text, detail }];
  setTimeout(() => dismiss(id), kind === "error" ? 12_000 : 5_000);
  return id;
}
