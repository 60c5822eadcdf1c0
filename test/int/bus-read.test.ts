/**
 * readLog pulls batches sized by the messages it sees (kernel/shell/bus.ts, readBatchFor): a log whose
 * events swing between a few hundred bytes and hundreds of kilobytes is read whole, in order, each
 * message once, across the consumers it opens to change the batch. Real nats-server, secured: the
 * master writes (its offers), the auditor reads.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Bus, append, ensureStream, readBatchFor, readLog } from '../../kernel/shell/bus.js';
import { offersCreated, resetIds } from '../helpers/events.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';

let nats: SecureTestNats | undefined;
let bus: Bus | undefined;
let reader: Bus | undefined;

test.after(async () => {
  await bus?.close();
  await reader?.close();
  await nats?.stop();
});

test('readBatchFor: 1,024 small messages, fewer large ones, never below 4', () => {
  assert.is(readBatchFor(300), 1024);
  assert.is(readBatchFor(8 * 1024), 1024);
  assert.is(readBatchFor(100 * 1024), 81);
  assert.is(readBatchFor(400 * 1024), 20);
  assert.is(readBatchFor(64 * 1024 * 1024), 4);
});

test('a log of small and large events in runs is read whole, in order, once each', async () => {
  nats = await withSecureNats();
  bus = await nats.bus('master', 'm1');
  reader = await nats.bus('auditor', 'reader');
  await ensureStream(bus.jsm);
  resetIds();
  const sizes: number[] = [];
  // At most IN_FLIGHT appends await their acknowledgement at once, as a real writer would: 9,580
  // unacknowledged publishes (20 MB) sent at once all start their 5 s ack timeouts together, and on
  // a loaded machine the last of them time out while still queued (then are re-sent, queueing more).
  const IN_FLIGHT = 128;
  const pending = new Set<Promise<unknown>>();
  const failures: unknown[] = [];
  const add = async (large: boolean): Promise<void> => {
    while (pending.size >= IN_FLIGHT) await Promise.race(pending);
    const e = large
      ? offersCreated({
          frameworkId: 'f1',
          offers: Array.from({ length: 1500 }, (_, i) => ({ offerId: `o${sizes.length}-${i}`, agentId: `a${i}`, resources: 'cpus:4;mem:4096;disk:10000;ports:[31000-32000]' })),
        })
      : offersCreated({ frameworkId: 'f1', offers: [{ offerId: `o${sizes.length}`, agentId: 'a1', resources: 'cpus:1;mem:1024' }] });
    sizes.push(large ? 1 : 0);
    const p: Promise<unknown> = append(bus!.js, e)
      .catch((err: unknown) => failures.push(err))
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  // small, a run of large (each ~250 KB: batches must shrink), small again (and grow back)
  for (let i = 0; i < 3000; i++) await add(false);
  for (let i = 0; i < 60; i++) await add(true);
  for (let i = 0; i < 6000; i++) await add(false);
  for (let i = 0; i < 20; i++) await add(true);
  for (let i = 0; i < 500; i++) await add(false);
  await Promise.all(pending);
  assert.equal(failures, [], 'every append acknowledged');

  const seen: number[] = [];
  let large = 0;
  for await (const entry of readLog(reader, { untilHead: true })) {
    assert.ok(entry.decoded.ok, `message ${entry.seq} decodes`);
    seen.push(entry.seq);
    if (entry.decoded.ok && entry.decoded.event.type === 'OffersCreated' && entry.decoded.event.offers.length > 1) large++;
  }
  assert.is(seen.length, sizes.length, 'every message once');
  assert.ok(
    seen.every((s, i) => s === i + 1),
    'in order, no gap, no repeat',
  );
  assert.is(large, 80);
});

test.run();
