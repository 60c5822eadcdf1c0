/**
 * A full garbage collection between timed runs, so that one run does not pay for the garbage of
 * the previous one. `npm run bench` starts node without --expose-gc, so the flag is set at run
 * time and `gc` is taken from a fresh context (a documented V8 flag; harmless if unavailable).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f = runInNewContext('gc') as unknown;
      gcFn = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gcFn = null;
    }
  }
  if (gcFn === null) return false;
  gcFn();
  return true;
}
