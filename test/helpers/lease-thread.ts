/**
 * A second master's lease in a thread of its own, for tests that block the test's main thread: it
 * keeps its own event loop (and so its own beats) while the main thread is stuck. Posts
 * `{ held, holder }` on every change.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startLease } from '../../kernel/shell/master/lease.js';

const d = workerData as { servers: string; ttlMs: number; masterId: string };
const lease = startLease(
  { servers: d.servers, ttlMs: d.ttlMs, masterId: d.masterId, replicas: 1, healthy: () => true },
  (held) => parentPort!.postMessage({ held, holder: lease.holder() }),
  pino({ level: 'silent' }),
);
parentPort!.on('message', (m: { type: 'stop' }) => {
  if (m.type === 'stop') void lease.release().then(() => lease.stop()).then(() => parentPort!.close());
});
