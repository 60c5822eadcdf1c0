/**
 * Placing a task without naming an agent: `placeTask(scheduler, task)` states what the framework
 * waits for (its demand, Mesos's REQUEST: one request per task being placed, named by the task)
 * before it waits for an offer that holds the task's resources, accepts that offer and withdraws
 * the request. A framework that places its tasks this way needs no `request` calls of its own for
 * `mesos replay why-pending` to say why a task is still pending (NO_AGENT_LARGE_ENOUGH, QUOTA_LIMIT,
 * FILTERED, …): the leader explains recorded demand that stays unmet.
 *
 * Several placements of one scheduler may run at once: their requests are stated together (a
 * ResourcesRequested replaces the one before) and one offer goes to one of them. Offers that fit no
 * placement are left alone: declining them is the framework's business.
 */
import { filter, take } from 'rxjs';
import type { Resources } from '../../events/index.js';
import { contains, parseResources } from '../../kernel/core/resources.js';
import type { Offer, ResourceRequest, Scheduler, TaskSpec } from './scheduler.js';

export interface PlaceOptions {
  /** The role whose offers may hold it (default: any of the framework's roles). */
  readonly role?: string;
  /** The refuse filter for what the accepted offer holds beyond the task (default 5 s). */
  readonly refuseSeconds?: number;
  /** Give up: the request is withdrawn and `placeTask` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly request: ResourceRequest;
}

/** Per scheduler: what is being placed (by task id), and offers already taken by a placement. */
const book = new WeakMap<Scheduler, { readonly pending: Map<string, Pending>; readonly taken: Set<string> }>();

function bookOf(s: Scheduler): { readonly pending: Map<string, Pending>; readonly taken: Set<string> } {
  let b = book.get(s);
  if (b === undefined) {
    b = { pending: new Map(), taken: new Set() };
    book.set(s, b);
  }
  return b;
}

/** State the demand of every placement in progress (none: withdraw it). */
const stateDemand = (s: Scheduler): Promise<void> => s.request([...bookOf(s).pending.values()].map((p) => p.request));

/**
 * Launch `task` on the first offer (outstanding or new) that holds its resources, stating it as the
 * framework's demand meanwhile. Resolves with the offer used once the accept is in the log.
 */
export async function placeTask(sched: Scheduler, task: Omit<TaskSpec, 'agentId'>, o: PlaceOptions = {}): Promise<Offer> {
  const resources: Resources = typeof task.resources === 'string' ? parseResources(task.resources) : task.resources;
  const b = bookOf(sched);
  if (b.pending.has(task.taskId)) throw new Error(`task ${task.taskId} is being placed already`);
  o.signal?.throwIfAborted();
  b.pending.set(task.taskId, { request: { name: task.name ?? task.taskId, resources, ...(o.role !== undefined ? { role: o.role } : {}) } });
  let placed = false;
  try {
    await stateDemand(sched);
    const fits = (offer: Offer): boolean => !b.taken.has(offer.id) && (o.role === undefined || offer.role === o.role) && contains(offer.resources, resources);
    const offer = await firstFitting(sched, fits, o.signal);
    b.taken.add(offer.id);
    try {
      await sched.accept([offer.id], [{ ...task, agentId: offer.agentId }], o.refuseSeconds !== undefined ? { refuseSeconds: o.refuseSeconds } : {});
    } finally {
      b.taken.delete(offer.id); // accepted (the offer is gone) or not (it may be used again)
    }
    placed = true;
    return offer;
  } finally {
    b.pending.delete(task.taskId);
    // The accept meets the request in the fold; what is left (other placements, or none) is stated again.
    await stateDemand(sched).catch((err: unknown) => {
      if (!placed) throw err;
    });
  }
}

/** The first offer that fits (outstanding offers come first), or the signal's reason once aborted. */
function firstFitting(sched: Scheduler, fits: (o: Offer) => boolean, signal: AbortSignal | undefined): Promise<Offer> {
  return new Promise<Offer>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      sub.unsubscribe();
      reject(signal!.reason);
    };
    const sub = sched.offers$.pipe(filter(fits), take(1)).subscribe({
      next: (offer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(offer);
      },
      complete: () => reject(new Error('the scheduler closed before an offer fitted')),
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
