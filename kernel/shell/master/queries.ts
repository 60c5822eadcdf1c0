/**
 * Queries the leader answers from its projection over core NATS request/reply (nothing is
 * appended): native frameworks' reconciliation (`q.fw.<frameworkId>.reconcile`), with the same
 * rules as the Mesos v1 RECONCILE call (kernel/shell/scheduler-api/reconcile.ts). Only the leader answers,
 * as in Mesos; while there is none the asker gets "no responders" and tries again.
 */
import type { Msg, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type FrameworkId, ReconcileQuery, type ReconciledStatus, subjects } from '../../../events/index.js';
import type { Bus } from '../bus.js';
import { PARTITION_AWARE_STATES } from '../scheduler-api/convert/index.js';
import { reconcileStatuses } from '../scheduler-api/reconcile.js';
import type { State } from '../../core/state.js';

export interface Queries {
  stop(): void;
}

/** How long a query waits for the fold to pass the asker's `afterSeq` (ms). */
const READ_YOUR_WRITES_MS = 5000;

export function answerQueries(bus: Bus, state: () => State, reached: (seq: number) => Promise<void>, log: Logger): Queries {
  const qlog = log.child({ component: 'queries' });
  const enc = new TextEncoder();
  const reply = (body: unknown): Uint8Array => enc.encode(JSON.stringify(body));
  const sub: Subscription = bus.nc.subscribe(subjects.reconcileQueries, {
    callback: (err, msg) => {
      if (err) return;
      const frameworkId = msg.subject.split('.')[2] as FrameworkId;
      let body: unknown;
      try {
        body = msg.data.length === 0 ? {} : msg.json();
      } catch {
        msg.respond(reply({ ok: false, error: 'the query is not JSON' }));
        return;
      }
      const q = ReconcileQuery.safeParse(body);
      if (!q.success) {
        msg.respond(reply({ ok: false, error: `bad reconcile query: ${q.error.issues[0]?.message ?? 'invalid'}` }));
        return;
      }
      void answer(msg, frameworkId, q.data);
    },
  });

  async function answer(msg: Msg, frameworkId: FrameworkId, q: ReconcileQuery): Promise<void> {
    if (q.afterSeq !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        reached(q.afterSeq).then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), READ_YOUR_WRITES_MS))),
      ]);
      clearTimeout(timer);
      if (late) {
        msg.respond(reply({ ok: false, error: `the master has not folded the log up to ${q.afterSeq} yet; ask again` }));
        return;
      }
    }
    const s = state();
    const f = s.frameworks.get(frameworkId);
    if (f === undefined) {
      msg.respond(reply({ ok: false, error: `framework ${frameworkId} is not known to the master (removed, or never subscribed)` }));
      return;
    }
    const partitionAware = f.info.capabilities.includes('PARTITION_AWARE');
    const statuses: ReconciledStatus[] = reconcileStatuses(s, frameworkId, q.tasks, Date.now()).map((st) =>
      !partitionAware && PARTITION_AWARE_STATES.has(st.state) ? { ...st, state: 'TASK_LOST' } : st,
    );
    qlog.debug({ frameworkId, asked: q.tasks.length, answered: statuses.length }, 'reconciliation');
    msg.respond(reply({ ok: true, statuses }));
  }
  return { stop: () => sub.unsubscribe() };
}
