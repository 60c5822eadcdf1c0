/**
 * The executor side of the SDK: a custom executor over Mesos's v1 executor HTTP API. The agent
 * starts the program with Mesos's environment (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID,
 * MESOS_EXECUTOR_ID, …); `startExecutor()` reads it, subscribes (`POST /api/v1/executor`,
 * SUBSCRIBE) and turns the agent's RecordIO stream into rxjs streams: `launches$` (LAUNCH),
 * `kills$` (KILL), `messages$` (MESSAGE from the scheduler), `acknowledged$` (ACKNOWLEDGED),
 * `shutdown$` (SHUTDOWN). `update()` sends a status update (UPDATE; kept until the agent says the
 * scheduler acknowledged it, and sent again on a re-subscription), `message()` a message for the
 * scheduler (MESSAGE).
 *
 * When the stream breaks (the agent restarts), it subscribes again with its unacknowledged
 * updates and tasks, waiting at most MESOS_SUBSCRIPTION_BACKOFF_MAX between attempts, and gives
 * up after MESOS_RECOVERY_TIMEOUT (`ended` then rejects), as Mesos's executor library does; an
 * update made while the agent is away is kept and goes with that SUBSCRIBE. An executor of a
 * framework that does not checkpoint (MESOS_CHECKPOINT=0) stops when it loses its agent, as in
 * Mesos (the agent does not re-attach to it).
 *
 * Every call carries `Authorization: Bearer $MESOS_EXECUTOR_AUTHENTICATION_TOKEN` when the agent
 * gave the executor a token (it does unless started with --no-authenticate-http-executors).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Observable, Subject } from 'rxjs';
import type { StatusReason, TaskStateName } from '../../events/index.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';

/** A task the agent hands the executor (Mesos's TaskInfo in its JSON form). */
export interface LaunchedTask {
  readonly taskId: string;
  readonly name: string;
  /** TaskInfo.data, decoded (empty when none was given). */
  readonly data: Buffer;
  /** The whole TaskInfo as Mesos's JSON (resources, labels, kill_policy, …). */
  readonly info: Readonly<Record<string, unknown>>;
  /** For a task of a task group (LAUNCH_GROUP): the ids of every task of its group, in order. */
  readonly group?: readonly string[];
}

export interface KillRequest {
  readonly taskId: string;
  /** The kill policy's grace period, when the kill or the task named one. */
  readonly gracePeriodMs?: number;
}

export interface UpdateOptions {
  readonly message?: string;
  readonly reason?: StatusReason;
  readonly healthy?: boolean;
  readonly data?: string | Uint8Array;
}

export interface ExecutorEnvironment {
  readonly agentEndpoint: string;
  readonly frameworkId: string;
  readonly executorId: string;
  readonly agentId: string | undefined;
  readonly sandbox: string | undefined;
  readonly checkpoint: boolean;
  readonly shutdownGracePeriodMs: number;
  readonly subscriptionBackoffMaxMs: number;
  readonly recoveryTimeoutMs: number;
  /** MESOS_EXECUTOR_AUTHENTICATION_TOKEN: sent as a bearer token on every call. */
  readonly authenticationToken?: string;
}

export interface ExecutorOptions {
  /** Default: process.env (what the agent gave the executor). */
  readonly env?: NodeJS.ProcessEnv;
  readonly log: Logger;
}

export interface Executor {
  readonly env: ExecutorEnvironment;
  readonly launches$: Observable<LaunchedTask>;
  readonly kills$: Observable<KillRequest>;
  readonly messages$: Observable<Buffer>;
  readonly acknowledged$: Observable<{ readonly taskId: string; readonly uuid: string }>;
  /** SHUTDOWN: kill the tasks, report them, exit within the shutdown grace period. */
  readonly shutdown$: Observable<void>;
  /** A status update for one of its tasks; resolves once the agent has it. */
  update(taskId: string, state: TaskStateName, opts?: UpdateOptions): Promise<void>;
  /** A message for the scheduler; resolves once it is in the log. */
  message(data: string | Uint8Array): Promise<void>;
  /** Updates the scheduler has not acknowledged yet. */
  unacknowledged(): number;
  /** Stop: the stream is closed (the agent then shuts the executor down as gone). */
  close(): void;
  /** Settles when the executor stops: resolves after SHUTDOWN or close(), rejects when the agent stays unreachable. */
  readonly ended: Promise<void>;
}

export class ExecutorError extends Error {
  override readonly name = 'ExecutorError';
  constructor(
    readonly code: 'BAD_ENVIRONMENT' | 'REFUSED' | 'AGENT_UNREACHABLE',
    message: string,
  ) {
    super(message);
  }
}

/** Mesos's duration text (`5secs`, `250ms`, `15mins`, `2.5secs`) in milliseconds. */
export function parseMesosDuration(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|secs|mins|hrs|days|weeks)\s*$/.exec(s);
  if (m === null) throw new ExecutorError('BAD_ENVIRONMENT', `"${s}" is not a Mesos duration (e.g. 5secs, 250ms, 15mins)`);
  const f: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, secs: 1000, mins: 60_000, hrs: 3_600_000, days: 86_400_000, weeks: 604_800_000 };
  return Number(m[1]) * f[m[2]!]!;
}

/** The executor's environment, as the agent sets it; a missing variable is a clear error. */
export function executorEnvironment(env: NodeJS.ProcessEnv): ExecutorEnvironment {
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined || v === '') throw new ExecutorError('BAD_ENVIRONMENT', `${k} is not set: this program is a Mesos executor, started by an agent for a task that names it`);
    return v;
  };
  const duration = (k: string, dflt: number): number => (env[k] !== undefined && env[k] !== '' ? parseMesosDuration(env[k]!) : dflt);
  return {
    agentEndpoint: need('MESOS_AGENT_ENDPOINT'),
    frameworkId: need('MESOS_FRAMEWORK_ID'),
    executorId: need('MESOS_EXECUTOR_ID'),
    agentId: env.MESOS_AGENT_ID,
    sandbox: env.MESOS_SANDBOX,
    checkpoint: env.MESOS_CHECKPOINT === '1',
    shutdownGracePeriodMs: duration('MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', 5000),
    subscriptionBackoffMaxMs: duration('MESOS_SUBSCRIPTION_BACKOFF_MAX', 2000),
    recoveryTimeoutMs: duration('MESOS_RECOVERY_TIMEOUT', 15 * 60_000),
    ...(env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN !== undefined && env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN !== '' ? { authenticationToken: env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN } : {}),
  };
}

type J = Record<string, unknown>;
const nanosToMs = (d: unknown): number | undefined => {
  const n = (d as { nanoseconds?: unknown } | undefined)?.nanoseconds;
  return typeof n === 'number' ? Math.round(n / 1e6) : undefined;
};

/**
 * Subscribe to the agent; resolves once SUBSCRIBED arrived. Subscribe to the streams right away
 * (in the continuation of the await): the events after SUBSCRIBED are delivered a macrotask later.
 */
export async function startExecutor(o: ExecutorOptions): Promise<Executor> {
  const env = executorEnvironment(o.env ?? process.env);
  const log = o.log.child({ component: 'executor', executorId: env.executorId });
  const url = `http://${env.agentEndpoint}/api/v1/executor`;
  const ids = { framework_id: { value: env.frameworkId }, executor_id: { value: env.executorId } };

  const launches$ = new Subject<LaunchedTask>();
  const kills$ = new Subject<KillRequest>();
  const messages$ = new Subject<Buffer>();
  const acknowledged$ = new Subject<{ taskId: string; uuid: string }>();
  const shutdown$ = new Subject<void>();
  /** Tasks launched and not yet acknowledged terminal, and the updates not yet acknowledged (uuid → status). */
  const tasks = new Map<string, J>();
  const pending = new Map<string, J>();
  let stopped = false;
  let abort = new AbortController();
  let settle: { resolve: () => void; reject: (e: Error) => void };
  const ended = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ended.catch(() => undefined); // the caller may not await it

  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    ...(env.authenticationToken !== undefined ? { Authorization: `Bearer ${env.authenticationToken}` } : {}),
  };
  /** Waiting for the next SUBSCRIBED (updates made while the agent was away go with that SUBSCRIBE). */
  const resubscribed: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const nextSubscription = (): Promise<void> => new Promise((resolve, reject) => resubscribed.push({ resolve, reject }));

  const post = async (body: J): Promise<void> => {
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ ...ids, ...body }) });
    if (r.status !== 202) throw new ExecutorError('REFUSED', `${String(body.type)} refused by the agent: ${r.status} ${(await r.text()).trim()}`);
  };

  function finish(err?: Error): void {
    if (stopped) return;
    stopped = true;
    abort.abort();
    for (const s of [launches$, kills$, messages$, acknowledged$]) s.complete();
    shutdown$.complete();
    for (const w of resubscribed.splice(0)) w.reject(err ?? new ExecutorError('AGENT_UNREACHABLE', 'the executor stopped before its update reached the agent'));
    if (err === undefined) settle.resolve();
    else settle.reject(err);
  }

  function launch(task: J, group?: readonly string[]): void {
    const taskId = String((task.task_id as J).value);
    tasks.set(taskId, task);
    launches$.next({ taskId, name: String(task.name ?? taskId), data: Buffer.from(typeof task.data === 'string' ? task.data : '', 'base64'), info: task, ...(group !== undefined ? { group } : {}) });
  }

  function onEvent(e: J): void {
    switch (e.type) {
      case 'LAUNCH':
        launch((e.launch as J).task as J);
        return;
      case 'LAUNCH_GROUP': {
        const group = (((e.launch_group as J).task_group as J).tasks as J[] | undefined) ?? [];
        const ids = group.map((t) => String((t.task_id as J).value));
        for (const task of group) launch(task, ids);
        return;
      }
      case 'KILL': {
        const k = e.kill as J;
        const grace = nanosToMs((k.kill_policy as J | undefined)?.grace_period);
        kills$.next({ taskId: String((k.task_id as J).value), ...(grace !== undefined ? { gracePeriodMs: grace } : {}) });
        return;
      }
      case 'ACKNOWLEDGED': {
        const a = e.acknowledged as J;
        const uuid = String(a.uuid);
        const taskId = String((a.task_id as J).value);
        const s = pending.get(uuid);
        pending.delete(uuid);
        if (s !== undefined && isTerminalState(String(s.state))) tasks.delete(taskId);
        acknowledged$.next({ taskId, uuid });
        return;
      }
      case 'MESSAGE':
        messages$.next(Buffer.from(String((e.message as J).data ?? ''), 'base64'));
        return;
      case 'SHUTDOWN':
        log.info('SHUTDOWN from the agent');
        shutdown$.next();
        return;
      case 'ERROR':
        log.error({ message: (e.error as J | undefined)?.message }, 'ERROR from the agent');
        return;
      default:
        return; // SUBSCRIBED (handled by the caller), HEARTBEAT
    }
  }

  /** One subscription: resolves when the stream ends; `onSubscribed` once SUBSCRIBED came. */
  async function subscribeOnce(onSubscribed: () => void): Promise<void> {
    abort = new AbortController();
    const body = {
      ...ids,
      type: 'SUBSCRIBE',
      subscribe: { unacknowledged_tasks: [...tasks.values()], unacknowledged_updates: [...pending.values()].map((status) => ({ framework_id: ids.framework_id, status })) },
    };
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: abort.signal });
    if (r.status !== 200 || r.body === null) throw new ExecutorError('REFUSED', `SUBSCRIBE refused by the agent: ${r.status} ${(await r.text()).trim()}`);
    const decoder = new RecordIoDecoder();
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      for (const rec of decoder.push(Buffer.from(chunk))) {
        const e = rec as J;
        if (e.type === 'SUBSCRIBED') {
          onSubscribed();
          for (const w of resubscribed.splice(0)) w.resolve();
          // The caller subscribes to the streams when startExecutor resolves: the LAUNCHes right
          // behind SUBSCRIBED wait for that (a macrotask later than the caller's continuation).
          await new Promise((r) => setImmediate(r));
        }
        onEvent(e);
      }
    }
  }

  /** Subscribe, and again after a break, until stopped or the recovery timeout. */
  const first = new Promise<void>((resolve, reject) => {
    let subscribed = false;
    void (async () => {
      let lostAt: number | undefined;
      let backoff = 100;
      while (!stopped) {
        try {
          await subscribeOnce(() => {
            subscribed = true;
            lostAt = undefined;
            backoff = 100;
            resolve();
          });
          if (stopped) return;
          if (!env.checkpoint) {
            finish(new ExecutorError('AGENT_UNREACHABLE', 'the agent closed the stream and the framework does not checkpoint (MESOS_CHECKPOINT=0): stopping'));
            return;
          }
          log.warn('the agent closed the stream; subscribing again');
        } catch (err) {
          if (stopped) return;
          if (!subscribed) {
            // The first SUBSCRIBE fails at once: the agent does not know this executor, or is not there.
            reject(err as Error);
            finish(err as Error);
            return;
          }
          if (!env.checkpoint) {
            finish(new ExecutorError('AGENT_UNREACHABLE', `lost the agent and the framework does not checkpoint (MESOS_CHECKPOINT=0): stopping (${(err as Error).message})`));
            return;
          }
          log.warn({ err }, 'lost the agent; subscribing again');
        }
        lostAt ??= Date.now();
        if (Date.now() - lostAt > env.recoveryTimeoutMs) {
          finish(new ExecutorError('AGENT_UNREACHABLE', `the agent at ${env.agentEndpoint} could not be reached for ${env.recoveryTimeoutMs} ms (MESOS_RECOVERY_TIMEOUT)`));
          return;
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, env.subscriptionBackoffMaxMs);
      }
    })();
  });
  await first;

  return {
    env,
    launches$: launches$.asObservable(),
    kills$: kills$.asObservable(),
    messages$: messages$.asObservable(),
    acknowledged$: acknowledged$.asObservable(),
    shutdown$: shutdown$.asObservable(),
    async update(taskId, state, uo = {}) {
      const uuid = randomBytes(16).toString('base64');
      const status: J = {
        task_id: { value: taskId },
        state,
        source: 'SOURCE_EXECUTOR',
        uuid,
        executor_id: ids.executor_id,
        timestamp: Date.now() / 1000,
        ...(uo.message !== undefined ? { message: uo.message } : {}),
        ...(uo.reason !== undefined ? { reason: uo.reason } : {}),
        ...(uo.healthy !== undefined ? { healthy: uo.healthy } : {}),
        ...(uo.data !== undefined ? { data: Buffer.from(uo.data).toString('base64') } : {}),
      };
      pending.set(uuid, status);
      try {
        await post({ type: 'UPDATE', update: { status } });
      } catch (err) {
        if (err instanceof ExecutorError || !env.checkpoint || stopped) {
          pending.delete(uuid);
          throw err;
        }
        // The agent is away (restarting): the update is kept and goes with the next SUBSCRIBE.
        log.warn({ taskId, state, err: (err as Error).message }, 'the agent is not reachable; the update goes with the next subscription');
        await nextSubscription();
      }
    },
    message: (data) => post({ type: 'MESSAGE', message: { data: Buffer.from(data).toString('base64') } }),
    unacknowledged: () => pending.size,
    close: () => finish(),
    ended,
  };
}

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
const isTerminalState = (s: string): boolean => TERMINAL.has(s);
