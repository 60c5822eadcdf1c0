/**
 * `mesos execute`: launch one command task and follow it, as Apache Mesos's `mesos-execute` does.
 * Prints each state change, acknowledges every update, exits 0 on TASK_FINISHED and 1 otherwise
 * (printing the state, reason and message), then tears the framework down. While it waits for an
 * offer that holds the task, the task is the framework's recorded demand (so `mesos replay
 * why-pending` can say why it waits).
 */
import type { Logger } from 'pino';
import { filter, firstValueFrom, Subscription } from 'rxjs';
import { isTerminal, type TaskStatus } from '../events/index.js';
import { contains, format, parseResources } from '../kernel/core/resources.js';
import { type Offer, placeTask, type Scheduler, subscribe } from './sdk/index.js';

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
  /** Run the command in this Docker image (`repo:tag`) from the agent's image store (mesos-execute's --docker_image). */
  readonly dockerImage?: string;
  readonly out: (line: string) => void;
  readonly signal?: AbortSignal;
  /** TLS: verify the master (HTTPS) or NATS against this CA (PEM file). */
  readonly tlsCa?: string;
}

export interface ExecuteOptions extends ExecuteTask {
  readonly nats: string;
  /** Framework credentials (a `.creds` file; default MESOS_CREDS): they name the framework's id. */
  readonly creds?: string;
  readonly log: Logger;
}

export async function runExecute(o: ExecuteOptions): Promise<number> {
  const wanted = parseResources(o.resources);
  const sched: Scheduler = await subscribe({
    nats: o.nats,
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
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

  // The task is placed by the SDK (placeTask), which states it as the framework's demand until an
  // offer holds it: `mesos replay why-pending` can then say why it waits (e.g. no agent is big enough).
  const placing = new AbortController();
  subs.add(
    sched.offers$.subscribe((offer) => {
      if (launched === undefined && contains(offer.resources, wanted)) return; // placeTask takes it
      void sched.decline([offer.id], launched !== undefined ? 3600 : 5).catch(() => undefined);
    }),
  );
  void placeTask(
    sched,
    {
      taskId: o.name,
      name: o.name,
      resources: wanted,
      command: o.command,
      ...(o.killGracePeriodMs !== undefined ? { killGracePeriodMs: o.killGracePeriodMs } : {}),
      ...(o.dockerImage !== undefined ? { container: { image: { type: 'DOCKER', name: o.dockerImage } } } : {}),
    },
    { role: o.role, signal: placing.signal },
  ).then(
    (offer) => {
      launched = offer;
      o.out(`Submitted task '${o.name}' to agent '${offer.agentId}' (${offer.hostname}) with ${format(wanted)}`);
      const rest = sched.outstandingOffers().map((x) => x.id);
      if (rest.length > 0) void sched.decline(rest, 3600).catch(() => undefined);
    },
    (err: unknown) => {
      if (!placing.signal.aborted) o.out(`Failed to submit the task: ${(err as Error).message}`);
    },
  );

  const result = await terminal;
  if (timer) clearTimeout(timer);
  placing.abort(new Error('mesos execute is done'));
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
