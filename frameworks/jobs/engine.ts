/**
 * The jobs framework's engine: the I/O around the pure parts. It folds its own log on start
 * (store.ts, state.ts), subscribes as the framework it was (the id is in its log; a failover
 * timeout keeps its tasks while it is away), asks the cluster for the state of the tasks it knows
 * (reconciliation), and then, whenever something happens (an offer, a status update, a call of
 * the REST API, the clock), takes one step (plan.ts): record the decision in its log, then act.
 *
 * Exactly once per instant: a run is started by appending `RunStarted` (its job, its instant, its
 * task id) before the offer is accepted, with the expected last sequence of the stream and a
 * message id made of the run's id. A restarted process folds the log first, so it sees the run
 * and does not decide the instant again; had it not, JetStream would refuse the second copy (same
 * message id). A task launched before a crash is found again by reconciliation, and one whose
 * accept never happened comes back TASK_LOST, which counts as a failed attempt (retries apply).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { AgentId, TaskStatus } from '../../events/index.js';
import { type Bus, connectBus } from '../../kernel/shell/bus.js';
import { type Offer, type Scheduler, type TaskSpec, subscribe } from '../sdk/index.js';
import type { JobsEvent } from './events.js';
import { fit } from './fit.js';
import { type ChronosError, type JobDefinition, type JobKind, chronosError, resourcesOf, validateJob } from './job.js';
import { type StartWanted, planJob } from './plan.js';
import { type JobsStore, type StoredEvent, openStore } from './store.js';
import { type JobsState, type RunState, TERMINAL, childrenOf, currentAttempt, evolve, graphError, initialState, taskIdOf } from './state.js';
import { stepLoop } from '../step-loop.js';

export interface EngineOptions {
  readonly nats: string;
  readonly tlsCa?: string;
  /**
   * NATS credentials: framework credentials granted the JOBS store (`mesos creds issue
   * framework --store JOBS:jobs.>`); default MESOS_CREDS. They name the framework's id.
   */
  readonly creds?: string;
  /** The framework's name (default `jobs`). */
  readonly name?: string;
  /** The user runs run as when a job names none (`runAsUser`). */
  readonly user: string;
  /** How long the cluster keeps its tasks while this process is away (ms). */
  readonly failoverTimeoutMs: number;
  readonly roles?: readonly string[];
  readonly log: Logger;
  /** The clock (the engine alone reads time). */
  readonly now?: () => number;
  /** The step timer (ms). */
  readonly tickMs?: number;
  /** How often the tasks of running runs are reconciled (ms, default 5 s; a status lost in a failover is asked for again). */
  readonly reconcileEveryMs?: number;
}

/** Why a job's due run has not started. */
export interface Waiting {
  readonly since: number;
  readonly reason: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly body: ChronosError };

export interface Engine {
  readonly frameworkId: string;
  state(): JobsState;
  waiting(): ReadonlyMap<string, Waiting>;
  /** POST /v1/scheduler/iso8601 (kind schedule) or /v1/scheduler/dependency. */
  defineJob(body: unknown, kind: JobKind): Promise<Result<{ job: JobDefinition; created: boolean }>>;
  deleteJob(name: string): Promise<Result<void>>;
  /** PUT /v1/scheduler/job/{name}: a run now. */
  runNow(name: string): Promise<Result<{ runId: string }>>;
  /** Kill the job's running tasks (their runs finish KILLED). */
  killRuns(name: string): Promise<Result<{ killed: number }>>;
  history(name: string): Promise<StoredEvent[]>;
  /** Resolves when every step asked so far has run. */
  settle(): Promise<void>;
  /** Disconnect (the framework stays registered: a restart takes over its tasks). */
  close(): Promise<void>;
  /** Remove the framework from the cluster: its tasks are killed. */
  teardown(): Promise<void>;
}

const REVIVE_EVERY_MS = 1000;
const KILL_AGAIN_MS = 10_000;
/** A task launched less than this ago is not reconciled yet. */
const RECONCILE_GRACE_MS = 5_000;

const notFound = (name: string): Result<never> => ({ ok: false, status: 404, body: { status: 'Not Found', message: `Job '${name}' not found` } });
const badRequest = (errors: Array<{ field: string; message: string }>): Result<never> => ({ ok: false, status: 400, body: chronosError('Bad Request', errors) });

export async function startEngine(o: EngineOptions): Promise<Engine> {
  const log = o.log.child({ component: 'jobs' });
  const now = o.now ?? Date.now;
  const bus: Bus = await connectBus({ servers: o.nats, name: 'jobs-store', log, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}) });
  const store: JobsStore = await openStore(bus, log);
  let state = initialState();
  const replayed = await store.readAll();
  for (const { event } of replayed) state = evolve(state, event);
  log.info({ events: replayed.length, jobs: state.jobs.size, runs: state.runs.size }, 'jobs state replayed');

  /** Append, then fold. False: JetStream already held this decision (nothing to act on). */
  const record = async (e: JobsEvent, msgId?: string): Promise<boolean> => {
    const r = await store.append(e, msgId);
    if (r.duplicate) {
      log.warn({ msgId, type: e.type }, 'this decision is in the log already: not acted on twice');
      return false;
    }
    state = evolve(state, e);
    return true;
  };

  const sched: Scheduler = await subscribe({
    nats: o.nats,
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
    name: o.name ?? 'jobs',
    user: o.user,
    roles: [...(o.roles ?? ['*'])],
    failoverTimeoutMs: o.failoverTimeoutMs,
    checkpoint: true,
    capabilities: ['TASK_KILLING_STATE', 'PARTITION_AWARE'],
    ...(state.frameworkId !== undefined ? { frameworkId: state.frameworkId } : {}),
    log,
  });
  if (state.frameworkId === undefined) await record({ type: 'FrameworkIdRecorded', at: now(), frameworkId: sched.frameworkId });
  else log.info({ frameworkId: sched.frameworkId }, 'subscribed again as the framework this log belongs to');

  const waiting = new Map<string, Waiting>();
  const lastReason = new Map<string, string>();
  const lastKill = new Map<string, number>();
  let lastRevive = 0;

  const setWaiting = (name: string, reason: string): void => {
    const prev = waiting.get(name);
    waiting.set(name, { since: prev?.since ?? now(), reason });
  };

  // --- status updates ----------------------------------------------------------------------
  const finishIfDone = async (runId: string): Promise<void> => {
    const run = state.runs.get(runId);
    if (run === undefined) return;
    const a = currentAttempt(run);
    if (!TERMINAL.has(a.state)) return;
    const job = state.jobs.get(run.name);
    const why = `${a.state}${a.reason !== undefined ? ` (${a.reason})` : ''}${a.message !== undefined ? `: ${a.message}` : ''}`;
    if (a.state === 'TASK_FINISHED') await record({ type: 'RunFinished', at: now(), name: run.name, runId, outcome: 'SUCCESS' });
    else if (job === undefined) await record({ type: 'RunFinished', at: now(), name: run.name, runId, outcome: 'KILLED', reason: `the job was deleted; its task ended ${why}` });
    else if (run.killRequested === true) await record({ type: 'RunFinished', at: now(), name: run.name, runId, outcome: 'KILLED', reason: `killed through the API; its task ended ${why}` });
    else if (run.attempts.length > job.job.retries) await record({ type: 'RunFinished', at: now(), name: run.name, runId, outcome: 'FAILED', reason: `attempt ${run.attempts.length} of ${job.job.retries + 1} ended ${why}` });
    // else: it waits for its next attempt (plan.ts: retries).
  };

  const onStatus = async (s: TaskStatus): Promise<void> => {
    const runId = state.tasks.get(s.taskId);
    const run = runId !== undefined ? state.runs.get(runId) : undefined;
    const attempt = run?.attempts.find((a) => a.taskId === s.taskId);
    if (run === undefined || attempt === undefined) {
      // A task this framework does not count (a deleted job's, or one given up): it must not run on.
      if (!TERMINAL.has(s.state) && s.state !== 'TASK_KILLING') {
        log.warn({ taskId: s.taskId, state: s.state }, 'killing a task this framework does not count');
        await sched.kill(s.taskId, { agentId: s.agentId });
      }
      return;
    }
    if (s.state === attempt.state) return;
    await record({
      type: 'TaskStatusChanged',
      at: now(),
      name: run.name,
      runId: run.runId,
      taskId: s.taskId,
      state: s.state,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message.slice(0, 512) } : {}),
    });
    await finishIfDone(run.runId);
  };

  // --- one step ------------------------------------------------------------------------------
  type Need = { readonly name: string; readonly start?: StartWanted; readonly retry?: RunState };
  let nextWake: number | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;

  const stepOnce = async (): Promise<void> => {
    const t = now();
    const needs: Need[] = [];
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const name of [...state.jobs.keys()]) {
      const p = planJob(state, name, t);
      for (const sk of p.skips) {
        const offers = lastReason.get(name);
        await record({
          type: 'InstantsSkipped',
          at: now(),
          name,
          from: sk.from,
          to: sk.to,
          count: sk.count,
          ...(sk.capped ? { capped: true } : {}),
          ...(sk.parentRuns !== undefined ? { parentRuns: [...sk.parentRuns] } : {}),
          reason: `${sk.reason}${offers !== undefined && waiting.has(name) ? `; no offer fitted: ${offers}` : ''}`,
        });
        log.warn({ job: name, from: new Date(sk.from).toISOString(), to: new Date(sk.to).toISOString(), count: sk.count }, 'instants skipped');
      }
      const after = p.skips.length > 0 ? planJob(state, name, t) : p;
      for (const r of after.retries) needs.push({ name, retry: r });
      for (const s of after.starts) needs.push({ name, start: s });
      if (after.wakeAt !== undefined) wakeAt = Math.min(wakeAt, after.wakeAt);
      if (after.retries.length === 0 && after.starts.length === 0) {
        if (after.blocked !== undefined) setWaiting(name, after.blocked);
        else waiting.delete(name);
      }
    }
    // Runs of deleted jobs, and runs killed through the API: their tasks are killed; a run waiting
    // for a retry ends at once.
    for (const run of [...state.runs.values()]) {
      const gone = !state.jobs.has(run.name);
      const a = currentAttempt(run);
      if (!gone && run.killRequested !== true) continue;
      if (TERMINAL.has(a.state)) await finishIfDone(run.runId);
      else if (now() - (lastKill.get(a.taskId) ?? 0) > KILL_AGAIN_MS) {
        lastKill.set(a.taskId, now());
        await sched.kill(a.taskId, { agentId: a.agentId as AgentId });
      }
    }
    await place(needs);
    if (wakeAt !== Number.POSITIVE_INFINITY) wakeUpAt(wakeAt);
  };

  const wakeUpAt = (t: number): void => {
    if (loop.closed || (nextWake !== undefined && nextWake <= t && nextWake > now())) return;
    if (wakeTimer !== undefined) clearTimeout(wakeTimer);
    nextWake = t;
    wakeTimer = setTimeout(() => {
      nextWake = undefined;
      void step();
    }, Math.max(0, t - now()) + 2);
    wakeTimer.unref();
  };

  /** Put what is due on the offers held; decline what is left over. */
  const place = async (needs: Need[]): Promise<void> => {
    const offers = sched.outstandingOffers();
    const left = [...needs];
    for (const offer of offers) {
      let rest = offer.resources;
      const tasks: TaskSpec[] = [];
      for (let i = 0; i < left.length; i++) {
        const n = left[i]!;
        const job = state.jobs.get(n.name);
        if (job === undefined) continue;
        if (offer.role !== '*' && !(o.roles ?? ['*']).includes(offer.role)) continue;
        const f = fit(resourcesOf(job.job), rest);
        if (!f.ok) {
          lastReason.set(n.name, `${f.reason} (agent ${offer.hostname})`);
          continue;
        }
        let spec: TaskSpec | undefined;
        if (n.start !== undefined) {
          const s = n.start;
          const taskId = taskIdOf({ runId: s.runId, name: n.name, instant: s.instant }, 1);
          const ok = await record(
            { type: 'RunStarted', at: now(), name: n.name, runId: s.runId, trigger: s.trigger, instant: s.instant, ...(s.parentRuns !== undefined ? { parentRuns: [...s.parentRuns] } : {}), taskId, agentId: offer.agentId, hostname: offer.hostname },
            `run:${s.runId}`,
          );
          if (ok) spec = taskSpec(job.job, taskId, offer, f.resources, s.instant, s.trigger);
          log.info({ job: n.name, runId: s.runId, instant: new Date(s.instant).toISOString(), taskId, agent: offer.hostname }, 'run started');
        } else if (n.retry !== undefined) {
          const r = n.retry;
          const attempt = r.attempts.length + 1;
          const taskId = taskIdOf(r, attempt);
          const ok = await record({ type: 'RunRetried', at: now(), name: n.name, runId: r.runId, attempt, taskId, agentId: offer.agentId, hostname: offer.hostname }, `run:${r.runId}:${attempt}`);
          if (ok) spec = taskSpec(job.job, taskId, offer, f.resources, r.instant, r.trigger);
          log.info({ job: n.name, runId: r.runId, attempt, taskId }, 'run retried');
        }
        left.splice(i--, 1);
        if (spec !== undefined) {
          tasks.push(spec);
          rest = f.rest;
          waiting.delete(n.name);
          lastReason.delete(n.name);
        }
      }
      if (tasks.length > 0) await sched.accept([offer.id], tasks, { refuseSeconds: 1 });
      else await sched.decline([offer.id], left.length > 0 ? 1 : 5);
    }
    for (const n of left) setWaiting(n.name, offers.length === 0 ? (lastReason.get(n.name) ?? 'no offers: waiting for the cluster to offer resources') : (lastReason.get(n.name) ?? 'no offer fits'));
    if (left.length > 0 && now() - lastRevive > REVIVE_EVERY_MS && sched.outstandingOffers().length === 0) {
      lastRevive = now();
      await sched.revive();
    }
  };

  function taskSpec(job: JobDefinition, taskId: string, offer: Offer, resources: TaskSpec['resources'], instant: number, trigger: string): TaskSpec {
    const r = resourcesOf(job);
    const environment: Record<string, string> = {
      ...Object.fromEntries(job.environmentVariables.map((v) => [v.name, v.value])),
      mesos_task_id: taskId,
      MESOS_TASK_ID: taskId,
      CHRONOS_JOB_NAME: job.name,
      CHRONOS_JOB_OWNER: job.owner,
      CHRONOS_JOB_RUN_TIME: new Date(instant).toISOString(),
      CHRONOS_JOB_RUN_TRIGGER: trigger,
      CHRONOS_RESOURCE_CPU: String(r.cpus),
      CHRONOS_RESOURCE_MEM: String(r.mem),
      CHRONOS_RESOURCE_DISK: String(r.disk),
    };
    const uris = [
      ...job.uris.map((u) => ({ value: u })),
      ...job.fetch.map((f) => ({ value: f.uri, ...(f.executable !== undefined ? { executable: f.executable } : {}), ...(f.extract !== undefined ? { extract: f.extract } : {}), ...(f.output_file !== undefined ? { outputFile: f.output_file } : {}) })),
    ];
    const user = job.runAsUser !== '' ? job.runAsUser : o.user;
    return {
      taskId,
      name: `ChronosTask:${job.name}`,
      agentId: offer.agentId,
      resources,
      command: { value: job.command, shell: job.shell, ...(job.shell ? {} : { arguments: [job.command, ...job.arguments] }), environment, user, ...(uris.length > 0 ? { uris } : {}) },
      labels: { 'chronos.job': job.name },
    };
  }

  // --- the step loop: one step at a time; anything that happens meanwhile asks for another ------
  const loop = stepLoop(() => stepOnce(), (err) => log.error({ err }, 'jobs step failed'));
  const step = loop.step;
  const subs: Subscription[] = [];
  const statusQueue: TaskStatus[] = [];
  let draining = false;
  const drainStatuses = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (statusQueue.length > 0) {
        const s = statusQueue.shift()!;
        // A step in flight finishes first: a status and a launch are never folded at once.
        while (loop.busy) await loop.idle();
        await onStatus(s).catch((err: unknown) => log.error({ err, taskId: s.taskId }, 'status not recorded'));
        await sched.acknowledge(s).catch((err: unknown) => log.warn({ err }, 'acknowledgement failed'));
      }
    } finally {
      draining = false;
    }
    void step();
  };
  subs.push(
    sched.updates$.subscribe((s) => {
      statusQueue.push(s);
      void drainStatuses();
    }),
  );
  subs.push(sched.offers$.subscribe(() => void step()));
  subs.push(sched.removed$.subscribe((e) => log.error({ reason: e.reason }, 'the cluster removed this framework')));

  /**
   * Ask the cluster what became of the tasks of running runs (a restart; a status lost in a master
   * failover). Not of a task launched moments ago: its accept may still be on its way to the log,
   * and the answer "unknown" would count it lost while it starts.
   */
  const reconcile = async (): Promise<void> => {
    const settled = now() - RECONCILE_GRACE_MS;
    const tasks = [...state.runs.values()].map(currentAttempt).filter((a) => !TERMINAL.has(a.state) && a.launchedAt <= settled).map((a) => ({ taskId: a.taskId, agentId: a.agentId }));
    if (tasks.length === 0) return;
    const answers = await sched.reconcile(tasks);
    for (const s of answers) {
      statusQueue.push({ agentId: s.agentId ?? ('' as AgentId), frameworkId: sched.frameworkId, taskId: s.taskId, state: s.state, source: s.source ?? 'SOURCE_MASTER', timestamp: now(), ...(s.reason !== undefined ? { reason: s.reason } : {}), ...(s.message !== undefined ? { message: s.message } : {}) } as TaskStatus);
    }
    await drainStatuses();
  };
  await reconcile();
  const timer = setInterval(() => void step(), o.tickMs ?? 250);
  let reconciling = false;
  const reconcileTimer = setInterval(() => {
    if (reconciling || loop.closed) return;
    reconciling = true;
    reconcile()
      .catch((err: unknown) => log.warn({ err }, 'reconciliation failed'))
      .finally(() => {
        reconciling = false;
      });
  }, o.reconcileEveryMs ?? 5_000);
  reconcileTimer.unref();
  void step();

  // --- the REST API's calls --------------------------------------------------------------------
  const stop = async (teardown: boolean): Promise<void> => {
    if (loop.closed) return;
    const stepping = loop.close();
    clearInterval(timer);
    clearInterval(reconcileTimer);
    if (wakeTimer !== undefined) clearTimeout(wakeTimer);
    for (const s of subs) s.unsubscribe();
    await stepping;
    if (teardown) await sched.teardown();
    else await sched.close();
    await bus.close();
  };

  const engine: Engine = {
    frameworkId: sched.frameworkId,
    state: () => state,
    waiting: () => waiting,
    async defineJob(body, kind) {
      // One time for both: a schedule whose start is empty (now) keeps its first instant.
      const t = now();
      const v = validateJob(body, kind, t);
      if (!v.ok) return badRequest(v.errors);
      if (kind === 'dependency') {
        const g = graphError(state, v.job.name, v.job.parents ?? []);
        if (g !== undefined) return badRequest([g]);
      }
      const created = !state.jobs.has(v.job.name);
      await record({ type: 'JobDefined', at: t, kind, job: v.job });
      void step();
      return { ok: true, value: { job: v.job, created } };
    },
    async deleteJob(name) {
      if (!state.jobs.has(name)) return notFound(name);
      const children = childrenOf(state, name);
      if (children.length > 0) {
        return badRequest([{ field: 'name', message: `job '${name}' is a parent of ${children.map((c) => `'${c}'`).join(', ')}: delete ${children.length > 1 ? 'them' : 'it'} first, or post ${children.length > 1 ? 'them' : 'it'} again without '${name}' among the parents` }]);
      }
      await record({ type: 'JobDeleted', at: now(), name });
      waiting.delete(name);
      void step();
      return { ok: true, value: undefined };
    },
    async runNow(name) {
      if (!state.jobs.has(name)) return notFound(name);
      const runId = `${name}@manual-${randomUUID()}`;
      await record({ type: 'RunRequested', at: now(), name, runId });
      void step();
      return { ok: true, value: { runId } };
    },
    async killRuns(name) {
      if (!state.jobs.has(name)) return notFound(name);
      let killed = 0;
      for (const run of [...state.runs.values()].filter((r) => r.name === name && r.killRequested !== true)) {
        await record({ type: 'RunKillRequested', at: now(), name, runId: run.runId });
        const a = currentAttempt(run);
        killed++;
        if (TERMINAL.has(a.state)) await finishIfDone(run.runId);
        else {
          lastKill.set(a.taskId, now());
          await sched.kill(a.taskId, { agentId: a.agentId as AgentId });
        }
      }
      void step();
      return { ok: true, value: { killed } };
    },
    history: (name) => store.history(name),
    async settle() {
      while (loop.busy || draining) await (loop.busy ? loop.idle() : new Promise((r) => setTimeout(r, 10)));
    },
    close: () => stop(false),
    teardown: () => stop(true),
  };
  return engine;
}

