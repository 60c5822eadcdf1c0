import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshotsToKeep } from '../../kernel/shell/master/snapshot-retention.js';

/** The store as the leader grows it: a snapshot every `every` events, retention applied after each write. */
function simulate(writes: number, every: number, r: { newest: number; spread: number }, onStep?: (held: number[], head: number) => void): number[] {
  let held: number[] = [];
  for (let i = 1; i <= writes; i++) {
    const seq = i * every;
    held.push(seq);
    const keep = snapshotsToKeep(held, r);
    held = held.filter((s) => keep.has(s));
    onStep?.(held, seq);
  }
  return held.sort((a, b) => a - b);
}

/** The longest stretch of history (in events) not preceded closely by a kept snapshot. */
const largestGap = (held: readonly number[], head: number): number => {
  const s = [0, ...held, head].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < s.length; i++) gap = Math.max(gap, s[i]! - s[i - 1]!);
  return gap;
};

test('the newest snapshots are always kept (a cold master loads the newest)', () => {
  simulate(300, 10_000, { newest: 3, spread: 16 }, (held, head) => {
    for (const s of [head, head - 10_000, head - 20_000]) if (s > 0) assert.ok(held.includes(s), `snapshot ${s} kept at head ${head}`);
  });
});

test('older snapshots are bounded in number and spread over all of history', () => {
  const spread = 16;
  simulate(1000, 10_000, { newest: 3, spread }, (held, head) => {
    assert.ok(held.length <= 3 + spread, `${held.length} held at head ${head}`);
    // Any point of history is a bounded distance after a kept snapshot: about 4 × head / spread at most.
    assert.ok(largestGap(held, head) <= (4 * head) / spread + 10_000, `gap ${largestGap(held, head)} at head ${head} (held ${held.join(',')})`);
  });
  const final = simulate(1000, 10_000, { newest: 3, spread });
  assert.ok(final.length >= spread / 2, `at least half the budget is used (${final.length})`);
  assert.ok(final[0]! <= 10_000 * 64, 'the early history keeps a snapshot');
});

test('a snapshot dropped is never one a later step would keep (no churn), and keepers survive until their bucket merges', () => {
  const everKept = new Set<number>();
  const dropped = new Set<number>();
  let prev: number[] = [];
  simulate(500, 1000, { newest: 2, spread: 8 }, (held) => {
    for (const s of prev) if (!held.includes(s)) dropped.add(s);
    for (const s of held) {
      assert.not.ok(dropped.has(s), `snapshot ${s} came back`);
      everKept.add(s);
    }
    prev = held;
  });
  assert.ok(dropped.size > 400);
});

test('spread 0 keeps only the newest; duplicates and order do not matter', () => {
  assert.equal([...snapshotsToKeep([5, 1, 9, 9, 3], { newest: 2, spread: 0 })].sort((a, b) => a - b), [5, 9]);
  assert.equal(snapshotsToKeep([], { newest: 3, spread: 8 }).size, 0);
  assert.equal([...snapshotsToKeep([1, 2, 3], { newest: 3, spread: 8 })].sort(), [1, 2, 3]);
});

test.run();
