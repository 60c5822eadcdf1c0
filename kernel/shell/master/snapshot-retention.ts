/**
 * Which snapshots the store keeps. Two needs:
 * - a master starting cold wants the newest one (the newest few are kept, in case the last one is
 *   unreadable);
 * - an auditor asking for the state at any point of history (`mesos replay state --at`) wants one
 *   not far before that point, wherever it is.
 *
 * So: the newest `newest`, plus at most `spread` older ones spread evenly over the whole history.
 * The older ones are put in buckets of 2^k sequences, with k the smallest that gives at most
 * `spread` buckets, and the first snapshot of each bucket is kept. As history grows, k rises and
 * neighbouring buckets merge two by two, keeping the earlier keeper: a snapshot dropped once is
 * never wanted again, and one kept is dropped only when its bucket merges. A point of history is
 * then less than two buckets (about 2 × head / spread events) after a kept snapshot.
 *
 * Pure: the store calls it with the sequences it holds and deletes what is not returned.
 */

export interface SnapshotRetention {
  /** The newest snapshots kept whatever their spacing (a cold master loads the newest). */
  readonly newest: number;
  /** At most this many older snapshots, spread over all of history (0: keep only the newest). */
  readonly spread: number;
}

export const defaultSnapshotRetention = (): SnapshotRetention => ({ newest: 3, spread: 32 });

/** The sequences to keep, of the snapshots that cover `seqs`. */
export function snapshotsToKeep(seqs: readonly number[], r: SnapshotRetention): Set<number> {
  const sorted = [...new Set(seqs)].sort((a, b) => b - a);
  const keep = new Set(sorted.slice(0, Math.max(0, r.newest)));
  const older = sorted.slice(Math.max(0, r.newest));
  if (r.spread <= 0 || older.length === 0) return keep;
  let shift = 0;
  while (bucketCount(older, shift) > r.spread) shift++;
  const keeper = new Map<number, number>();
  for (const seq of older) {
    const b = Math.floor(seq / 2 ** shift);
    const k = keeper.get(b);
    if (k === undefined || seq < k) keeper.set(b, seq);
  }
  for (const seq of keeper.values()) keep.add(seq);
  return keep;
}

function bucketCount(seqs: readonly number[], shift: number): number {
  const buckets = new Set<number>();
  for (const s of seqs) buckets.add(Math.floor(s / 2 ** shift));
  return buckets.size;
}
