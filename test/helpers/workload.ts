/**
 * A framework workload for tests: launch N short tasks over whatever offers come, acknowledge
 * every update, and re-launch only tasks that never started (their accept was refused, e.g. an
 * offer rescinded by a leader change). Anything else that ends badly is recorded as a failure.
 */
import type { OfferId, Resources, TaskStateName, TaskStatus } from '../../events/index.js';
import { isTerminal } from '../../events/index.js';
import type { Offer, Scheduler, TaskSpec } from '../../frameworks/sdk/index.js';
import { contains, parseResources, subtract } from '../../kernel/core/resources.js';

export interface Workload {
  readonly done: Promise<void>;
  readonly finished: Set<string>;
  readonly failures: TaskStatus[];
  readonly history: Map<string, TaskStateName[]>;
  stats(): { pending: number; finished: number; failures: number; accepts: number; refusedRelaunches: number };
  /** The tasks not finished yet, with the states seen for each (for a timeout's message). */
  unfinished(): string[];
  stop(): void;
}

/** Takes from `pending` as many tasks of `per` as fit the offer (at most `perOffer`). */
export function packTasks(pending: string[], offer: Offer, per: Resources, perOffer: number, command: string): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  let left = offer.resources;
  while (pending.length > 0 && tasks.length < perOffer && contains(left, per)) {
    tasks.push({ taskId: pending.shift()!, agentId: offer.agentId, resources: per, command });
    left = subtract(left, per);
  }
  return tasks;
}

export function runWorkload(s: Scheduler, o: { tasks: number; resources: string; command: string; perOffer: number; prefix?: string }): Workload {
  const per = parseResources(o.resources);
  const pending: string[] = Array.from({ length: o.tasks }, (_, i) => `${o.prefix ?? 't'}-${i}`);
  // Only this workload's tasks are its business: another workload on the same scheduler (an
  // earlier test's, say) sees the same offers and updates.
  const mine = new Set(pending);
  const relaunch = (id: string): void => {
    if (!pending.includes(id)) pending.push(id);
  };
  const finished = new Set<string>();
  const failures: TaskStatus[] = [];
  const history = new Map<string, TaskStateName[]>();
  let accepts = 0;
  let refusedRelaunches = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const subs = [
    s.offers$.subscribe((offer) => {
      const tasks = packTasks(pending, offer, per, o.perOffer, o.command);
      if (tasks.length === 0) {
        void s.decline([offer.id as OfferId], 1).catch(() => undefined);
        return;
      }
      accepts++;
      void s.accept([offer.id], tasks, { refuseSeconds: 0 }).catch(() => tasks.forEach((t) => relaunch(t.taskId)));
    }),
    s.updates$.subscribe((u) => {
      if (!mine.has(u.taskId)) return;
      history.set(u.taskId, [...(history.get(u.taskId) ?? []), u.state]);
      void s.acknowledge(u).catch(() => undefined);
      if (u.state === 'TASK_FINISHED') {
        finished.add(u.taskId);
        if (finished.size === o.tasks) resolve();
      } else if (isTerminal(u.state)) {
        if (u.reason === 'REASON_INVALID_OFFERS' && !finished.has(u.taskId)) {
          refusedRelaunches++;
          relaunch(u.taskId);
          void s.revive().catch(() => undefined);
        } else failures.push(u);
      }
    }),
  ];
  return {
    done,
    finished,
    failures,
    history,
    stats: () => ({ pending: pending.length, finished: finished.size, failures: failures.length, accepts, refusedRelaunches }),
    unfinished: () => [...mine].filter((id) => !finished.has(id)).map((id) => `${id}: ${(history.get(id) ?? []).join(',') || 'no update'}${pending.includes(id) ? ' (pending)' : ''}`),
    stop: () => subs.forEach((x) => x.unsubscribe()),
  };
}
