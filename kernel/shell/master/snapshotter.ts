/**
 * The leader's snapshots, written off the main thread.
 *
 * Serialising the projection is synchronous and grows with the cluster: 0.6 s at 10,000 agents and
 * 100,000 tasks, 3 s at 40,000 / 400,000. On the main thread that is a pause in folding, deciding
 * and serving HTTP, and it made a short leader lease lapse. So the leader runs a worker thread
 * (snapshot-worker.ts) that keeps its own copy of the projection — the newest snapshot plus the log
 * after it, folded with the same deterministic `evolve`, so it is the same state — and writes a
 * snapshot every `everyEvents` events. It costs a second copy of the state in memory and the CPU of
 * a second fold (a core the main thread does not use), and nothing on the main thread.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { parseServers } from '../bus.js';
import { type SnapshotRetention, defaultSnapshotRetention } from './snapshot-retention.js';

export interface SnapshotWorkerData {
  readonly servers: string[];
  /** TLS: the CA the NATS server's certificate is verified against. */
  readonly tlsCa?: string;
  /** NATS credentials (a `.creds` file). */
  readonly creds?: string;
  readonly replicas: number;
  readonly everyEvents: number;
  /** Which snapshots the store keeps (snapshot-retention.ts). */
  readonly retention: SnapshotRetention;
  readonly logLevel: string;
  readonly logBindings: Record<string, unknown>;
}

export type FromSnapshotWorker = { type: 'written'; seq: number; bytes: number; ms: number } | { type: 'stopped' };

export interface Snapshotter {
  /** The sequence of the last snapshot this writer wrote (0: none yet). */
  lastWritten(): number;
  stop(): Promise<void>;
}

const STOP_WAIT_MS = 5000;

export function startSnapshotter(o: { servers: string; tlsCa?: string; creds?: string; replicas: number; everyEvents: number; retention?: SnapshotRetention }, log: Logger): Snapshotter {
  const data: SnapshotWorkerData = {
    servers: parseServers(o.servers),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    replicas: o.replicas,
    everyEvents: o.everyEvents,
    retention: o.retention ?? defaultSnapshotRetention(),
    logLevel: log.level,
    logBindings: log.bindings(),
  };
  const worker = new Worker(new URL('./snapshot-worker.js', import.meta.url), { workerData: data });
  worker.unref();
  let last = 0;
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: FromSnapshotWorker) => {
      if (m.type === 'written') last = m.seq;
      else resolve();
    });
    worker.on('exit', () => resolve());
  });
  worker.on('error', (err) => log.error({ err, component: 'snapshotter' }, 'the snapshot thread failed'));
  return {
    lastWritten: () => last,
    async stop() {
      worker.postMessage({ type: 'stop' });
      const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
      await stopped;
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
