/**
 * Scalar quantities of the resources that fair sharing and quota count (cpus, mem, disk, gpus),
 * in thousandths as integers: exact under any number of additions and subtractions, so that
 * aggregates the fold keeps in place never drift. Mutating helpers are named `…Into`.
 */
import type { Resource, Resources } from '../../events/resources.js';

export const QUANTITY_NAMES = ['cpus', 'mem', 'disk', 'gpus'] as const;
export type QuantityName = (typeof QUANTITY_NAMES)[number];

/** Thousandths of each resource (integers). */
export interface Quantities {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

export const zeroQ = (): Quantities => ({ cpus: 0, mem: 0, disk: 0, gpus: 0 });
export const cloneQ = (q: Quantities): Quantities => ({ cpus: q.cpus, mem: q.mem, disk: q.disk, gpus: q.gpus });
export const isQuantityName = (n: string): n is QuantityName => n === 'cpus' || n === 'mem' || n === 'disk' || n === 'gpus';

export const toMilli = (v: number): number => Math.round(v * 1000);
export const fromMilli = (m: number): number => m / 1000;

/** Add (sign 1) or subtract (-1) the scalars of `rs` that `keep` accepts. */
export function addResourcesInto(q: Quantities, rs: Resources, sign: 1 | -1 = 1, keep?: (r: Resource) => boolean): Quantities {
  for (const r of rs) {
    if (r.type !== 'SCALAR' || !isQuantityName(r.name)) continue;
    if (keep !== undefined && !keep(r)) continue;
    q[r.name] += sign * toMilli(r.scalar);
  }
  return q;
}

export const fromResources = (rs: Resources, keep?: (r: Resource) => boolean): Quantities => addResourcesInto(zeroQ(), rs, 1, keep);

export function addInto(q: Quantities, o: Quantities, sign: 1 | -1 = 1): Quantities {
  q.cpus += sign * o.cpus;
  q.mem += sign * o.mem;
  q.disk += sign * o.disk;
  q.gpus += sign * o.gpus;
  return q;
}

export const isZeroQ = (q: Quantities): boolean => q.cpus === 0 && q.mem === 0 && q.disk === 0 && q.gpus === 0;

/** Does `a` hold at least `b` of every resource? */
export const coversQ = (a: Quantities, b: Quantities): boolean => a.cpus >= b.cpus && a.mem >= b.mem && a.disk >= b.disk && a.gpus >= b.gpus;

/** max(0, a − b) of each resource. */
export const minusClampedQ = (a: Quantities, b: Quantities): Quantities => ({
  cpus: Math.max(0, a.cpus - b.cpus),
  mem: Math.max(0, a.mem - b.mem),
  disk: Math.max(0, a.disk - b.disk),
  gpus: Math.max(0, a.gpus - b.gpus),
});

/** Quantities in natural units, only those that are not zero (`{cpus: 2, mem: 1024}`). */
export function toUnits(q: Quantities): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of QUANTITY_NAMES) if (q[n] !== 0) out[n] = fromMilli(q[n]);
  return out;
}

/** A record in natural units (`{cpus: 2}`) as quantities; names other than the four are ignored. */
export function fromUnits(rec: Readonly<Record<string, number>>): Quantities {
  const q = zeroQ();
  for (const [k, v] of Object.entries(rec)) if (isQuantityName(k)) q[k] = toMilli(v);
  return q;
}

export const formatQ = (q: Quantities): string =>
  QUANTITY_NAMES.filter((n) => q[n] !== 0)
    .map((n) => `${n}:${fromMilli(q[n])}`)
    .join(';') || '(nothing)';
