/**
 * The snapshot writer, in a worker thread of its own (see snapshotter.ts for the why). It keeps a
 * projection of its own — the newest snapshot plus the log after it, folded with the very same
 * `evolve` — and writes a snapshot every `everyEvents` events. Serialising a large state takes
 * seconds (3 s at 40,000 agents); here that blocks only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { connectBus, headSeq, readLog } from '../bus.js';
import { evolve, initialState } from '../../core/fold/index.js';
import { openSnapshotStore } from './snapshots.js';
import type { SnapshotWorkerData, FromSnapshotWorker } from './snapshotter.js';

/** Far behind the head, a snapshot only every this many times `everyEvents`. */
const CATCH_UP_SPACING = 50;

const d = workerData as SnapshotWorkerData;
const log = pino({ level: d.logLevel, base: d.logBindings }, pino.destination({ fd: 2, sync: true })).child({ component: 'snapshotter' });
const port = parentPort!;
const post = (m: FromSnapshotWorker): void => port.postMessage(m);
const abort = new AbortController();

port.on('message', (m: { type: 'stop' }) => {
  if (m.type === 'stop') abort.abort();
});

async function run(): Promise<void> {
  const bus = await connectBus({ servers: d.servers, name: 'master-snapshotter', log, ...(d.creds !== undefined ? { creds: d.creds } : {}), ...(d.tlsCa !== undefined ? { tlsCa: d.tlsCa } : {}) });
  try {
    const store = await openSnapshotStore(bus, d.replicas, log, d.retention);
    const from = await store.latest(await headSeq(bus.jsm));
    let state = from?.state ?? initialState();
    let seq = from?.seq ?? 0;
    let lastWritten = seq;
    let caughtUp = false;
    log.info({ fromSeq: seq }, 'snapshot writer started');
    for await (const entry of readLog(bus, { fromSeq: seq + 1, signal: abort.signal })) {
      if (entry.decoded.ok) state = evolve(state, entry.decoded.event);
      seq = entry.seq;
      // Write every `everyEvents` events once caught up with the log. Until then (a new leader's
      // writer catching up from an old snapshot), only every CATCH_UP_SPACING times as many, and
      // at the head: each snapshot of a large state costs seconds of this thread (5 s at 40,000
      // agents), and the one that matters, the newest, would come minutes later. A snapshot is of
      // the state after `seq`, whatever comes next.
      if (entry.pending === 0) caughtUp = true;
      const every = caughtUp ? d.everyEvents : d.everyEvents * CATCH_UP_SPACING;
      if (seq - lastWritten >= every) {
        try {
          const { bytes, ms } = await store.write(state, seq);
          lastWritten = seq;
          log.info({ seq, bytes, ms: Math.round(ms) }, 'wrote a snapshot');
          post({ type: 'written', seq, bytes, ms });
        } catch (err) {
          log.warn({ err, seq }, 'snapshot failed; trying again later');
          lastWritten = seq - Math.floor(d.everyEvents / 2); // try again after half the interval
        }
      }
      if (abort.signal.aborted) break;
    }
  } finally {
    await bus.close();
  }
}

run()
  .catch((err: unknown) => {
    if (!abort.signal.aborted) log.error({ err }, 'snapshot writer stopped');
  })
  .finally(() => {
    post({ type: 'stopped' });
    port.close();
  });
