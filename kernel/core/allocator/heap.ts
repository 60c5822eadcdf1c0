/**
 * A binary min-heap whose items know their position, so that an item whose key changed can be
 * moved in O(log n) (`update`) and any item removed (`remove`). Items not in the heap have
 * position −1.
 */
export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    x.heapIndex = this.items.length;
    this.items.push(x);
    this.up(x.heapIndex);
  }

  pop(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    top.heapIndex = -1;
    if (h.length > 0) {
      h[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    return top;
  }

  /** Restore the order after x's key changed (no-op if x is not in the heap). */
  update(x: T): void {
    const i = x.heapIndex;
    if (i < 0 || this.items[i] !== x) return;
    this.up(i);
    this.down(x.heapIndex);
  }

  remove(x: T): void {
    const i = x.heapIndex;
    const h = this.items;
    if (i < 0 || h[i] !== x) return;
    const last = h.pop()!;
    x.heapIndex = -1;
    if (last !== x) {
      h[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
  }

  /** The items in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  private swap(i: number, j: number): void {
    const h = this.items;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }

  private up(i: number): void {
    const h = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
