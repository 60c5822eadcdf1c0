/** A canonical JSON form of a state: Maps become objects (sorted keys), Sets sorted arrays. */
import type { State } from '../kernel/core/state.js';

export function canonical(value: unknown): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), canonical(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  if (value instanceof Set) return [...value].map(canonical).sort();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export const stateToJson = (s: State): unknown => canonical(s);
