/**
 * The steady workload of `mesos chaos`: one framework over the native SDK that keeps up to
 * `concurrency` tasks in flight, most of them short (`sleep 0.1`), every `longEvery`-th long
 * (`sleep <longSecs>`), acknowledges every update, and sends again only the launches that never
 * took effect (refused: the offer was rescinded by a leader change). Everything it sees goes into
 * a TaskTally.
 */
import type { Logger } from 'pino';
import type { OfferId } from '../events/index.js';
import { type Offer, type Scheduler, type TaskSpec, subscribe } from '../frameworks/sdk/index.js';
import { contains, parseResources, subtract } from '../kernel/core/resources.js';
import { TaskTally } from './tally.js';

export interface WorkloadOptions {
  readonly nats: string;
  readonly name?: string;
  readonly runId: string;
  /** Tasks in flight at most. */
  readonly concurrency: number;
  /** Every n-th task is long. */
  readonly longEvery: number;
  readonly longSecs: number;
  readonly resources: string;
  /** The framework's user, whom the tasks run as (default: the SDK's, $USER or root). */
  readonly user?: string;
  readonly log: Logger;
  /** NATS credentials of the workload's framework (its id is theirs). */
  readonly creds?: string;
}

export interface Workload {
  readonly tally: TaskTally;
  readonly frameworkId: string;
  /** No new tasks from now on (refused launches are still sent again). */
  stopLaunching(): void;
  /** Resolves true once every task launched has ended, false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /** The time of the first offer received after `t` (ms since the epoch), or null after `timeoutMs`. */
  offerAfter(t: number, timeoutMs: number): Promise<number | null>;
  close(): Promise<void>;
}

export async function startWorkload(o: WorkloadOptions): Promise<Workload> {
  const sched: Scheduler = await subscribe({ nats: o.nats, name: o.name ?? 'mesos-chaos', roles: ['*'], failoverTimeoutMs: 300_000, ...(o.user !== undefined ? { user: o.user } : {}), log: o.log, ...(o.creds !== undefined ? { creds: o.creds } : {}) });
  const tally = new TaskTally();
  const per = parseResources(o.resources);
  const again: string[] = [];
  let next = 0;
  let launching = true;
  const offerWaiters: Array<{ after: number; resolve: (t: number) => void }> = [];

  const open = (): number => tally.counts().open;
  const nextTask = (offer: Offer): TaskSpec | undefined => {
    const id = again.shift() ?? (launching && open() < o.concurrency ? `chaos-${o.runId}-${next++}` : undefined);
    if (id === undefined) return undefined;
    const long = Number(id.split('-').pop()) % o.longEvery === o.longEvery - 1;
    tally.launched(id);
    return { taskId: id, agentId: offer.agentId, resources: per, command: long ? `sleep ${o.longSecs}` : 'sleep 0.1' };
  };

  const subs = [
    sched.offers$.subscribe((offer) => {
      const now = Date.now();
      for (const w of offerWaiters.splice(0)) {
        if (now > w.after) w.resolve(now);
        else offerWaiters.push(w);
      }
      const tasks: TaskSpec[] = [];
      let left = offer.resources;
      while (contains(left, per)) {
        const t = nextTask(offer);
        if (t === undefined) break;
        tasks.push(t);
        left = subtract(left, per);
      }
      if (tasks.length === 0) {
        void sched.decline([offer.id as OfferId], 1).catch(() => undefined);
        return;
      }
      void sched.accept([offer.id], tasks, { refuseSeconds: 0 }).catch(() => again.push(...tasks.map((t) => t.taskId)));
    }),
    sched.updates$.subscribe((u) => {
      void sched.acknowledge(u).catch(() => undefined);
      if (tally.update(u)) {
        again.push(u.taskId);
        void sched.revive().catch(() => undefined);
      }
    }),
  ];

  return {
    tally,
    frameworkId: sched.frameworkId,
    stopLaunching: () => void (launching = false),
    drain: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (open() === 0 && again.length === 0) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return open() === 0 && again.length === 0;
    },
    offerAfter: (t, timeoutMs) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        offerWaiters.push({
          after: t,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      }),
    close: async () => {
      subs.forEach((s) => s.unsubscribe());
      await sched.close();
    },
  };
}
