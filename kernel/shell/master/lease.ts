/**
 * The leader lease, as the master's main thread sees it.
 *
 * The lease itself (a key in a JetStream KV bucket, renewed by compare-and-swap; see
 * lease-worker.ts) is kept by a worker thread with its own NATS connection. Renewing it on the main
 * thread made it hostage to everything else that thread does: at 10,000 agents one allocation
 * cycle, the fold of an election or a snapshot's serialisation each block the loop for longer than
 * a short lease, and leadership changed hands without any failure. Off the busy path, a renewal is
 * late only when the process or its NATS server really is.
 *
 * The reverse must hold too: a master whose main thread is stuck must not keep the lease alive from
 * its worker. So the main thread vouches for itself with a beat in shared memory, written on a timer
 * and only while `healthy()` (its fold keeps up with the log). The worker renews, or takes, the
 * lease only while the beat is younger than `stallMs`, and gives it up at once when it is not.
 *
 * Holding the lease entitles a master to append LeaderElected; the epoch in the log, not the lease,
 * is what fences a deposed leader's late writes.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { parseServers } from '../bus.js';
import { type FromLeaseWorker, LeaseShared, type LeaseWorkerData, type ToLeaseWorker } from './lease-shared.js';

export { LEASE_BUCKET } from './lease-shared.js';

export interface LeaseOptions {
  readonly servers: string | readonly string[];
  readonly tlsCa?: string;
  readonly creds?: string;
  readonly ttlMs: number;
  /** How long the main thread may go without a beat before the lease is given up (default: the TTL). */
  readonly stallMs?: number;
  readonly masterId: string;
  readonly replicas: number;
  /** Whether this master can lead right now (its fold keeps up); asked at every beat. */
  readonly healthy: () => boolean;
}

export interface Lease {
  /** Whether this master holds the lease, as the lease thread knows it now (shared memory). */
  held(): boolean;
  /** The master id in the lease, as last seen. */
  holder(): string | null;
  /** Give the lease up (on a clean stop), so another master takes over at once. */
  release(): Promise<void>;
  /** Stop the lease thread (after `release` on a clean stop). */
  stop(): Promise<void>;
}

/** How long `release` and `stop` wait for the lease thread before going on without it (ms). */
const WORKER_REPLY_MS = 3000;

export function startLease(o: LeaseOptions, onChange: (held: boolean) => void, log: Logger): Lease {
  const shared = new LeaseShared();
  const beat = (): void => {
    if (o.healthy()) shared.setBeat(Date.now());
  };
  beat();
  const beater = setInterval(beat, Math.max(10, Math.floor(o.ttlMs / 6)));
  beater.unref();

  const data: LeaseWorkerData = {
    servers: parseServers(o.servers),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    masterId: o.masterId,
    ttlMs: o.ttlMs,
    stallMs: Math.max(o.ttlMs, o.stallMs ?? o.ttlMs),
    replicas: o.replicas,
    shared: shared.buffer,
    logLevel: log.level,
    logName: undefined,
    logBindings: log.bindings(),
  };
  const worker = new Worker(new URL('./lease-worker.js', import.meta.url), { workerData: data });
  worker.unref();
  let holder: string | null = null;
  let held = false;
  let exited = false;
  const waiting = new Map<'released' | 'stopped', Array<() => void>>();
  worker.on('message', (m: FromLeaseWorker) => {
    if (m.type === 'state') {
      holder = m.holder;
      if (m.held !== held) {
        held = m.held;
        onChange(held);
      }
      return;
    }
    for (const resolve of waiting.get(m.type) ?? []) resolve();
    waiting.delete(m.type);
  });
  worker.on('error', (err) => log.error({ err, component: 'lease' }, 'the lease thread failed'));
  worker.on('exit', (code) => {
    exited = true;
    shared.setHeld(false);
    if (held) {
      held = false;
      onChange(false);
    }
    for (const list of waiting.values()) for (const resolve of list) resolve();
    waiting.clear();
    if (code !== 0) log.error({ code, component: 'lease' }, 'the lease thread exited');
  });

  const ask = (m: ToLeaseWorker, reply: 'released' | 'stopped'): Promise<void> => {
    if (exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WORKER_REPLY_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      waiting.set(reply, [...(waiting.get(reply) ?? []), done]);
      worker.postMessage(m);
    });
  };

  return {
    held: () => shared.held(),
    holder: () => holder,
    async release() {
      await ask({ type: 'release' }, 'released');
      if (held) {
        held = false;
        onChange(false);
      }
    },
    async stop() {
      clearInterval(beater);
      await ask({ type: 'stop' }, 'stopped');
      if (!exited) await worker.terminate();
    },
  };
}
