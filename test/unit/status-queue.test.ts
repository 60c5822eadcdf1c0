// The durable status queue's file format: records, torn tails, corruption, compaction, and the
// group-committed writes of a real queue file in a temp dir.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMPACT_BYTES, QUEUE_FILE, RECENT_DONE, compactText, decodeQueue, encodeDone, encodePut, openStatusQueue, type StatusEvent } from '../../agent/status-queue.js';

const ev = (n: number, state = 'TASK_RUNNING'): StatusEvent =>
  ({
    type: 'TaskStatusUpdated',
    schemaVersion: 1,
    id: `u${n}`,
    time: 1000 + n,
    status: { agentId: 'a1', frameworkId: 'f1', taskId: `t${n % 3}`, state, source: 'SOURCE_EXECUTOR', uuid: `u${n}`, timestamp: 1000 + n },
  }) as StatusEvent;

test('given puts and dones, when decoded, then pending is the puts without a done, in order', () => {
  const text = encodePut({ event: ev(1), after: 0 }) + encodePut({ event: ev(2), after: 0 }) + encodeDone('u1', 17) + encodePut({ event: ev(3), after: 17 });
  const q = decodeQueue(text);
  assert.equal(q.pending.map((u) => u.event.id), ['u2', 'u3']);
  assert.equal(q.pending.map((u) => u.after), [0, 17]);
  assert.is(q.highestSeq, 17);
  assert.equal([...q.recentDone], [['u1', 17]]);
  assert.is(q.records, 4);
  assert.is(q.corrupt, 0);
  assert.is(q.torn, false);
});

test('given a last line cut short by a crash, when decoded, then it is ignored (torn), the rest stands', () => {
  const full = encodePut({ event: ev(1), after: 0 });
  const cut = encodePut({ event: ev(2), after: 0 }).slice(0, 40);
  const q = decodeQueue(full + cut);
  assert.equal(q.pending.map((u) => u.event.id), ['u1']);
  assert.is(q.torn, true);
  assert.is(q.corrupt, 0);
  // zeros left by a crash while the file grew
  assert.is(decodeQueue(full + '\0\0\0\0').torn, true);
});

test('given a corrupt line in the middle, when decoded, then it is counted and skipped', () => {
  const q = decodeQueue(encodePut({ event: ev(1), after: 0 }) + 'garbage\n' + '{"v":1,"put":{"type":"nope"}}\n' + encodePut({ event: ev(2), after: 0 }));
  assert.equal(q.pending.map((u) => u.event.id), ['u1', 'u2']);
  assert.is(q.corrupt, 2);
});

test('given a done, then a put of the same update again, when decoded, then it is pending again', () => {
  const q = decodeQueue(encodePut({ event: ev(1), after: 0 }) + encodeDone('u1', 5) + encodePut({ event: ev(1), after: 0 }));
  assert.equal(q.pending.map((u) => u.event.id), ['u1']);
});

test('compactText keeps the remembered dones and the pending puts, and decodes to the same queue', () => {
  const text = compactText(new Map([['u1', 3]]), [{ event: ev(2), after: 3 }]);
  const q = decodeQueue(text);
  assert.equal(q.pending.map((u) => u.event.id), ['u2']);
  assert.equal([...q.recentDone], [['u1', 3]]);
  assert.is(q.highestSeq, 3);
});

test('a queue file: put and done are durable; reopening recovers what is pending; knows() remembers delivered ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-'));
  try {
    const q = await openStatusQueue(dir);
    await Promise.all([q.put(ev(1)), q.put(ev(2)), q.put(ev(3))]); // group-committed
    await q.done('u2', 42);
    assert.is(q.pendingCount(), 2);
    assert.is(q.knows('u1'), 'pending');
    assert.is(q.knows('u2'), 'done');
    assert.is(q.knows('u9'), undefined);
    await q.close();
    // a torn record appended by a crash
    writeFileSync(join(dir, QUEUE_FILE), readFileSync(join(dir, QUEUE_FILE), 'utf8') + '{"v":1,"put":{"ty');
    const again = await openStatusQueue(dir);
    assert.equal(again.recovered.map((u) => u.event.id), ['u1', 'u3']);
    assert.is(again.highestSeq(), 42);
    assert.is(again.knows('u2'), 'done');
    const u4 = await again.put(ev(4));
    assert.is(u4.after, 42, 'a new update records the highest sequence known');
    await again.close();
    assert.not.match(readFileSync(join(dir, QUEUE_FILE), 'utf8'), /"ty$/, 'the torn tail was dropped at open');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a queue file is compacted once it grows past COMPACT_BYTES, remembering at most RECENT_DONE delivered ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-'));
  try {
    const q = await openStatusQueue(dir);
    let n = 0;
    while (statSync(join(dir, QUEUE_FILE)).size < COMPACT_BYTES / 2 || n < RECENT_DONE + 10) {
      const e = ev(++n);
      await q.put(e);
      await q.done(e.id, n);
      if (n > 20_000) break;
    }
    await q.put(ev(++n));
    assert.ok(statSync(join(dir, QUEUE_FILE)).size <= COMPACT_BYTES + 4096, 'compacted');
    await q.close();
    const d = decodeQueue(readFileSync(join(dir, QUEUE_FILE), 'utf8'));
    assert.equal(d.pending.map((u) => u.event.id), [`u${n}`]);
    assert.ok(d.recentDone.size <= RECENT_DONE);
    assert.ok(d.recentDone.has(`u${n - 1}`), 'the newest delivered ids are kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
