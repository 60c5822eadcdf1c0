/**
 * A framework on the native SDK that wants nothing: it declines every offer with a short filter
 * (refuse_seconds), so that the leader always has something to offer again soon. Offers that
 * arrive together are declined together, in calls of at most `chunk` offer ids (one event each,
 * well under NATS's 1 MB message limit).
 *
 * It holds (neither accepts nor declines) the offers of one agent in `holdEvery`, as a framework
 * deciding slowly does: those are outstanding when the leader is killed, so the new leader's
 * rescind-and-re-offer of them is what a failover measurement sees first. Without held offers,
 * everything is under a refuse filter at the kill, and the first offer of the new epoch waits for a
 * filter to expire — a wait the framework asked for, not a failover cost.
 */
import type { FrameworkId, OfferId } from '../events/index.js';
import { type Scheduler, subscribe } from '../frameworks/sdk/index.js';
import { silentLogger } from './log.js';

export interface DeclinerStats {
  offers: number;
  /** Offers held, not declined (see holdEvery). */
  held: number;
  declineCalls: number;
  declineErrors: number;
  firstError?: string;
}

export interface Decliner {
  readonly frameworkId: FrameworkId;
  readonly stats: DeclinerStats;
  stop(): Promise<void>;
}

export async function startDecliner(o: {
  url: string;
  name: string;
  frameworkId?: string;
  refuseSeconds: number;
  chunk: number;
  holdEvery?: number;
  /** Its credentials (a framework's, named by its id), and the CA over TLS. */
  creds?: string;
  tlsCa?: string;
  /** Subscribe with its role suppressed (it runs its tasks and wants no offers); any offer that still comes is declined. */
  suppressed?: boolean;
}): Promise<Decliner> {
  const sched: Scheduler = await subscribe({
    nats: o.url,
    name: o.name,
    user: 'bench',
    log: silentLogger(),
    ...(o.suppressed === true ? { suppressedRoles: ['*'] } : {}),
    ...(o.frameworkId !== undefined ? { frameworkId: o.frameworkId } : {}),
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
  });
  const stats: DeclinerStats = { offers: 0, held: 0, declineCalls: 0, declineErrors: 0 };
  const inflight = new Set<Promise<void>>();
  let queue: OfferId[] = [];
  let scheduled = false;
  let stopped = false;
  const flush = (): void => {
    scheduled = false;
    if (stopped) return;
    const ids = queue;
    queue = [];
    for (let i = 0; i < ids.length; i += o.chunk) {
      stats.declineCalls++;
      const p = sched.decline(ids.slice(i, i + o.chunk), o.refuseSeconds).catch((err: unknown) => {
        stats.declineErrors++;
        stats.firstError ??= (err as Error).message;
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  };
  const holds = (agentId: string): boolean => {
    if (o.holdEvery === undefined || o.holdEvery <= 0) return false;
    let h = 0;
    for (let i = 0; i < agentId.length; i++) h = (h * 31 + agentId.charCodeAt(i)) >>> 0;
    return h % o.holdEvery === 0;
  };
  const sub = sched.offers$.subscribe((offer) => {
    stats.offers++;
    if (o.suppressed !== true && holds(offer.agentId)) {
      stats.held++;
      return;
    }
    queue.push(offer.id);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return {
    frameworkId: sched.frameworkId,
    stats,
    async stop() {
      stopped = true;
      sub.unsubscribe();
      await Promise.allSettled([...inflight]);
      await sched.close();
    },
  };
}
