/**
 * readLog pulls batches sized by the messages it sees (kernel/shell/bus.ts, readBatchFor): a log whose
 * events swing between a few hundred bytes and hundreds of kilobytes is read whole, in order, each
 * message once, across the consumers it opens to change the batch. Real nats-server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { type Bus, append, connectBus, ensureStream, readBatchFor, readLog } from '../../kernel/shell/bus.js';
import { agentRegistered, offersCreated, resetIds } from '../helpers/events.js';
import { type TestNats, withNats } from '../helpers/nats.js';

let nats: TestNats | undefined;
let bus: Bus | undefined;

test.after(async () => {
  await bus?.close();
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
  nats = await withNats();
  bus = await connectBus({ servers: nats.url, name: 'bus-read-test', log: pino({ level: 'silent' }) });
  await ensureStream(bus.jsm);
  resetIds();
  const sizes: number[] = [];
  const pending: Array<Promise<unknown>> = [];
  const add = (large: boolean): void => {
    const e = large
      ? offersCreated({
          frameworkId: 'f1',
          offers: Array.from({ length: 1500 }, (_, i) => ({ offerId: `o${sizes.length}-${i}`, agentId: `a${i}`, resources: 'cpus:4;mem:4096;disk:10000;ports:[31000-32000]' })),
        })
      : agentRegistered({ agentId: `a${sizes.length}`, resources: 'cpus:1;mem:1024' });
    sizes.push(large ? 1 : 0);
    pending.push(append(bus!.js, e));
  };
  // small, a run of large (each ~250 KB: batches must shrink), small again (and grow back)
  for (let i = 0; i < 3000; i++) add(false);
  for (let i = 0; i < 60; i++) add(true);
  for (let i = 0; i < 6000; i++) add(false);
  for (let i = 0; i < 20; i++) add(true);
  for (let i = 0; i < 500; i++) add(false);
  await Promise.all(pending);

  const seen: number[] = [];
  let large = 0;
  for await (const entry of readLog(bus, { untilHead: true })) {
    assert.ok(entry.decoded.ok, `message ${entry.seq} decodes`);
    seen.push(entry.seq);
    if (entry.decoded.ok && entry.decoded.event.type === 'OffersCreated') large++;
  }
  assert.is(seen.length, sizes.length, 'every message once');
  assert.ok(
    seen.every((s, i) => s === i + 1),
    'in order, no gap, no repeat',
  );
  assert.is(large, 80);
});

test.run();
