/**
 * Dominant Resource Fairness sorter: clients ordered by dominant share (the largest fraction of
 * any cluster resource they hold, divided by their weight), lowest first; ties by allocation
 * count, then by id, so the order is deterministic. A binary heap: take the neediest, give it
 * something, put it back, in O(log n).
 */
import { SHARE_RESOURCES } from '../resources.js';

export type Quantities = Record<(typeof SHARE_RESOURCES)[number], number>;

export const zeroQuantities = (): Quantities => ({ cpus: 0, mem: 0, disk: 0, gpus: 0 });

export interface SorterClient {
  readonly id: string;
  readonly allocation: Quantities;
  weight: number;
  allocations: number;
  share: number;
}

export function dominantShare(allocation: Quantities, totals: Quantities, weight = 1): number {
  let share = 0;
  for (const r of SHARE_RESOURCES) {
    const total = totals[r];
    if (total > 0) {
      const s = allocation[r] / total;
      if (s > share) share = s;
    }
  }
  return share / weight;
}

const before = (a: SorterClient, b: SorterClient): boolean =>
  a.share !== b.share ? a.share < b.share : a.allocations !== b.allocations ? a.allocations < b.allocations : a.id < b.id;

export class DrfSorter {
  private readonly heap: SorterClient[] = [];

  constructor(private readonly totals: Quantities) {}

  get size(): number {
    return this.heap.length;
  }

  add(id: string, allocation: Quantities, weight = 1): void {
    this.push({ id, allocation: { ...allocation }, weight, allocations: 0, share: dominantShare(allocation, this.totals, weight) });
  }

  /** The client with the lowest share, removed from the sorter. */
  pop(): SorterClient | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Put a client back (after `allocate` or unchanged). */
  push(c: SorterClient): void {
    this.heap.push(c);
    this.up(this.heap.length - 1);
  }

  /** Record an allocation to a popped client and recompute its share. */
  allocate(c: SorterClient, q: Partial<Quantities>): void {
    for (const r of SHARE_RESOURCES) c.allocation[r] += q[r] ?? 0;
    c.allocations++;
    c.share = dominantShare(c.allocation, this.totals, c.weight);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
