/** Await a condition (polling), with a timeout only as a failure guard. */
export async function waitFor<T>(cond: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolve with the first value an observable-like source emits that matches. */
export function firstMatch<T>(
  subscribe: (next: (v: T) => void) => { unsubscribe(): void },
  pred: (v: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let sub: { unsubscribe(): void } | undefined;
    const t = setTimeout(() => {
      sub?.unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    sub = subscribe((v) => {
      if (pred(v)) {
        clearTimeout(t);
        queueMicrotask(() => sub?.unsubscribe());
        resolve(v);
      }
    });
  });
}

/** `p`, or a rejection after `timeoutMs` (the timer is cleared either way). */
export async function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)))]);
  } finally {
    clearTimeout(t);
  }
}
