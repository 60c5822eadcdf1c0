/**
 * `mesos execute`: launch one command task and follow it, as Apache Mesos's `mesos-execute` does.
 * Prints each state change, acknowledges every update, exits 0 on TASK_FINISHED and 1 otherwise
 * (printing the state, reason and message), then tears the framework down.
 */
import type { Logger } from 'pino';
import { filter, firstValueFrom, Subscription } from 'rxjs';
import { isTerminal, type TaskStatus } from '../events/index.js';
import { contains, format, parseResources } from '../kernel/core/resources.js';
import { type Offer, type Scheduler, subscribe } from './sdk/index.js';

/** What `mesos execute` runs, whichever way it reaches the master. */
export interface ExecuteTask {
  readonly name: string;
  readonly command: string;
  readonly resources: string;
  readonly role: string;
  readonly user?: string;
  /** Give up when no offer fits within this long (ms; null waits forever). */
  readonly timeoutMs: number | null;
  readonly killGracePeriodMs?: number;
  readonly out: (line: string) => void;
  readonly signal?: AbortSignal;
  /** TLS: verify the master (HTTPS) or NATS against this CA (PEM file). */
  readonly tlsCa?: string;
}

export interface ExecuteOptions extends ExecuteTask {
  readonly nats: string;
  readonly log: Logger;
}

export async function runExecute(o: ExecuteOptions): Promise<number> {
  const wanted = parseResources(o.resources);
  const sched: Scheduler = await subscribe({
    nats: o.nats,
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
    name: `${o.name} (mesos execute)`,
    ...(o.user !== undefined ? { user: o.user } : {}),
    roles: [o.role],
    capabilities: ['TASK_KILLING_STATE'],
    log: o.log,
  });
  o.out(`Subscribed with ID ${sched.frameworkId}`);
  const subs = new Subscription();
  let launched: Offer | undefined;
  let timer: NodeJS.Timeout | undefined;

  const terminal = new Promise<TaskStatus | 'timeout' | 'aborted' | 'removed'>((resolve) => {
    subs.add(
      sched.updates$.subscribe((s) => {
        if (s.taskId !== o.name) return;
        const extra = [s.source ? `source: ${s.source}` : '', s.reason ? `reason: ${s.reason}` : '', s.message ? `message: '${s.message}'` : '']
          .filter((x) => x !== '')
          .join(', ');
        o.out(`Received status update ${s.state} for task '${s.taskId}'${extra ? ` (${extra})` : ''}`);
        void sched.acknowledge(s).catch((err: unknown) => o.log.warn({ err }, 'acknowledgement failed'));
        if (isTerminal(s.state)) resolve(s);
      }),
    );
    subs.add(sched.removed$.subscribe(() => resolve('removed')));
    if (o.timeoutMs !== null) timer = setTimeout(() => launched === undefined && resolve('timeout'), o.timeoutMs);
    o.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });

  subs.add(
    sched.offers$.subscribe((offer) => {
      if (launched !== undefined || !contains(offer.resources, wanted)) {
        void sched.decline([offer.id], launched !== undefined ? 3600 : 5).catch(() => undefined);
        return;
      }
      launched = offer;
      void sched
        .accept(
          [offer.id],
          [
            {
              taskId: o.name,
              name: o.name,
              agentId: offer.agentId,
              resources: wanted,
              command: o.command,
              ...(o.killGracePeriodMs !== undefined ? { killGracePeriodMs: o.killGracePeriodMs } : {}),
            },
          ],
        )
        .then(() => o.out(`Submitted task '${o.name}' to agent '${offer.agentId}' (${offer.hostname}) with ${format(wanted)}`))
        .catch((err: unknown) => o.out(`Failed to submit the task: ${(err as Error).message}`));
    }),
  );

  const result = await terminal;
  if (timer) clearTimeout(timer);
  let code: number;
  if (result === 'timeout') {
    o.out(`No offer with ${format(wanted)} arrived within ${(o.timeoutMs ?? 0) / 1000}s; is any agent big enough?`);
    code = 2;
  } else if (result === 'aborted') {
    if (launched !== undefined) {
      o.out(`Killing task '${o.name}'`);
      await sched.kill(o.name, { agentId: launched.agentId }).catch(() => undefined);
      await firstValueFrom(sched.updates$.pipe(filter((s) => s.taskId === o.name && isTerminal(s.state))), { defaultValue: undefined }).catch(() => undefined);
    }
    code = 130;
  } else if (result === 'removed') {
    o.out('The framework was removed by the master');
    code = 1;
  } else {
    code = result.state === 'TASK_FINISHED' ? 0 : 1;
  }
  subs.unsubscribe();
  await sched.teardown().catch(() => sched.close());
  return code;
}
