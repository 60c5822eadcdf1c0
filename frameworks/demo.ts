/**
 * The demo workload `npm start` runs on a fresh local cluster: a small framework that launches a
 * handful of short command tasks over whatever offers arrive, prints every state change, and
 * leaves when all are done.
 */
import type { Logger } from 'pino';
import { Subscription } from 'rxjs';
import { isTerminal, type TaskStatus } from '../events/index.js';
import { contains, parseResources, subtract } from '../kernel/core/resources.js';
import { subscribe, type TaskSpec } from './sdk/index.js';

export interface DemoOptions {
  readonly nats: string;
  readonly tlsCa?: string;
  /** NATS credentials of the demo framework (a `.creds` file). */
  readonly creds?: string;
  /** FrameworkInfo.user of the demo (default: the invoking user). */
  readonly user?: string;
  readonly tasks: number;
  readonly log: Logger;
  readonly out: (line: string) => void;
}

export async function runDemo(o: DemoOptions): Promise<{ finished: number; failed: number }> {
  const per = parseResources('cpus:0.1;mem:32');
  const sched = await subscribe({ nats: o.nats, ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}), ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.user !== undefined ? { user: o.user } : {}), name: 'demo', roles: ['*'], log: o.log });
  o.out(`demo framework ${sched.frameworkId} subscribed; launching ${o.tasks} tasks`);
  let next = 0;
  const done = new Map<string, TaskStatus>();
  const subs = new Subscription();
  const finished = new Promise<void>((resolve) => {
    subs.add(
      sched.updates$.subscribe((s) => {
        o.out(`  ${s.taskId.padEnd(8)} ${s.state}${s.message ? `  (${s.message})` : ''}`);
        void sched.acknowledge(s).catch(() => undefined);
        if (isTerminal(s.state)) done.set(s.taskId, s);
        if (done.size === o.tasks) resolve();
      }),
    );
  });
  subs.add(
    sched.offers$.subscribe((offer) => {
      const tasks: TaskSpec[] = [];
      let left = offer.resources;
      while (next < o.tasks && contains(left, per)) {
        const id = `task-${++next}`;
        tasks.push({
          taskId: id,
          agentId: offer.agentId,
          resources: per,
          command: `echo "hello from $MESOS_TASK_ID on agent $MESOS_AGENT_ID"; sleep 2`,
        });
        left = subtract(left, per);
      }
      if (tasks.length === 0) {
        void sched.decline([offer.id], 60).catch(() => undefined);
        return;
      }
      o.out(`offer from agent ${offer.agentId}: launching ${tasks.map((t) => t.taskId).join(', ')} (cpus:0.1;mem:32 each)`);
      void sched.accept([offer.id], tasks).catch((err: unknown) => o.out(`accept failed: ${(err as Error).message}`));
    }),
  );
  await finished;
  subs.unsubscribe();
  await sched.teardown();
  const ok = [...done.values()].filter((s) => s.state === 'TASK_FINISHED').length;
  o.out(`demo done: ${ok} finished, ${o.tasks - ok} did not`);
  return { finished: ok, failed: o.tasks - ok };
}
