// One confirm dialog for every destructive action: `await ask({...})` resolves true on confirm.

export type ConfirmRequest = {
  title: string;
  /** What happens, in a sentence or two. */
  body: string;
  confirmLabel: string;
  danger?: boolean;
};

type Pending = ConfirmRequest & { resolve: (ok: boolean) => void };

export const confirmState = $state<{ current: Pending | null }>({ current: null });

export function ask(req: ConfirmRequest): Promise<boolean> {
  confirmState.current?.resolve(false);
  return new Promise((resolve) => {
    confirmState.current = { ...req, resolve };
  });
}

export function answer(ok: boolean): void {
  const cur = confirmState.current;
  confirmState.current = null;
  cur?.resolve(ok);
}
