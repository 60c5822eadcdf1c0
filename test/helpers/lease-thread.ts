/**
 * A second master's lease in a thread of its own, for tests that block the test's main thread: it
 * keeps its own event loop (and so its own beats) while the main thread is stuck. Posts
 * `{ held, holder }` on every change of either (the holder as its lease thread last saw it, so a
 * test can wait until this master really stands by: starting two threads and connecting to NATS
 * takes seconds on a loaded machine).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startLease } from '../../kernel/shell/master/lease.js';

const d = workerData as { servers: string; creds?: string; ttlMs: number; masterId: string };
const lease = startLease(
  { servers: d.servers, ...(d.creds !== undefined ? { creds: d.creds } : {}), ttlMs: d.ttlMs, masterId: d.masterId, replicas: 1, healthy: () => true },
  (held) => post(held),
  pino({ level: 'silent' }),
);
let last: { held: boolean; holder: string | null } | null = null;
function post(held = lease.held()): void {
  const m = { held, holder: lease.holder() };
  if (last !== null && last.held === m.held && last.holder === m.holder) return;
  last = m;
  parentPort!.postMessage(m);
}
// The Lease has no holder callback; its holder() changes with the lease thread's messages.
const watch = setInterval(() => post(), 10);
watch.unref();
parentPort!.on('message', (m: { type: 'stop' }) => {
  if (m.type !== 'stop') return;
  clearInterval(watch);
  void lease.release().then(() => lease.stop()).then(() => parentPort!.close());
});
