/**
 * The services framework's engine: the I/O around the pure parts. It folds its own log on start
 * (store.ts, state.ts), subscribes as the framework it was (the id is in its log; a failover
 * timeout keeps its tasks while it is away), asks the cluster for the state of the tasks it knows
 * (reconciliation), and then, whenever something happens (an offer, a status update, a call of
 * the REST API, the clock), takes one step: record the decision in its log, then act on it.
 *
 * Health checks are Mesos-native: each task's TaskInfo carries the app's health check, which the
 * agent runs (agent/health/) and reports in the status updates' `healthy`; a task the agent finds
 * failing too often is killed by the agent, and replaced here.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Subject, type Subscription } from 'rxjs';
import type { z } from 'zod';
import { type AgentId, type Attribute, type HealthCheck, type TaskStatus, subjects } from '../../events/index.js';
import { type Bus, connectBus, readLog } from '../../kernel/shell/bus.js';
import { formatRanges } from '../../kernel/core/resources.js';
import { type Offer, type Scheduler, type TaskSpec, subscribe } from '../sdk/index.js';
import { type AppDefinition, type Validated, canonical, onlyScaled, taskIdFor, validateApp } from './app.js';
import { type Place, refusedBy } from './constraints.js';
import type { DeploymentKind, ServicesEvent } from './events.js';
import { fit } from './fit.js';
import { planApp } from './plan.js';
import { type ServicesStore, openStore } from './store.js';
import { type Deployment, type ServicesState, TERMINAL, activeDeployment, evolve, initialState, latestDefinition, tasksOf } from './state.js';
import { stepLoop } from '../step-loop.js';

export interface EngineOptions {
  readonly nats: string;
  readonly tlsCa?: string;
  /**
   * NATS credentials: framework credentials granted the SERVICES store (`mesos creds issue
   * framework --store SERVICES:svc.>`); default MESOS_CREDS. They name the framework's id.
   */
  readonly creds?: string;
  /** The framework's name (default `services`). */
  readonly name?: string;
  /** The user tasks run as when the app names none. */
  readonly user: string;
  /** How long the cluster keeps its tasks while this process is away (ms). */
  readonly failoverTimeoutMs: number;
  readonly roles?: readonly string[];
  readonly log: Logger;
  /** The clock (tests may not need it; it is here so the engine alone reads time). */
  readonly now?: () => number;
  /** The step timer (ms). */
  readonly tickMs?: number;
}

/** Why an app's instances wait, from the last offers looked at (GET /v2/queue). */
export interface Waiting {
  readonly since: number;
  readonly reason: string;
  readonly processed: number;
  readonly unused: number;
  readonly reasons: ReadonlyMap<string, number>;
}

export interface ServicesEventOut {
  readonly eventType: string;
  readonly timestamp: string;
  readonly [k: string]: unknown;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly body: unknown };

export interface Engine {
  readonly frameworkId: string;
  state(): ServicesState;
  waiting(): ReadonlyMap<string, Waiting>;
  readonly events$: Subject<ServicesEventOut>;
  createApp(body: unknown): Promise<Result<{ app: AppDefinition; deploymentId: string; version: string }>>;
  putApp(id: string, body: unknown, force: boolean): Promise<Result<{ deploymentId: string; version: string; created: boolean }>>;
  deleteApp(id: string, force: boolean): Promise<Result<{ deploymentId: string; version: string }>>;
  restartApp(id: string, force: boolean): Promise<Result<{ deploymentId: string; version: string }>>;
  cancelDeployment(id: string, force: boolean): Promise<Result<{ deploymentId?: string; version?: string }>>;
  killTask(taskId: string, scale: boolean): Promise<Result<{ taskId: string }>>;
  history(appId: string): Promise<Array<{ seq: number; event: ServicesEvent }>>;
  /** Resolves when every step asked so far has run. */
  settle(): Promise<void>;
  /** Disconnect (the framework stays registered: a restart takes over its tasks). */
  close(): Promise<void>;
  /** Remove the framework from the cluster: its tasks are killed. */
  teardown(): Promise<void>;
}

const REVIVE_EVERY_MS = 1000;
const KILL_AGAIN_MS = 10_000;
/** A task it does not count is asked to be killed this long at most (its agent may never say it ended: it may be gone). */
const ORPHAN_GIVE_UP_MS = 10 * 60_000;

const notFound = (id: string): Result<never> => ({ ok: false, status: 404, body: { message: `App '${id}' does not exist` } });

function attributeText(a: Attribute): string {
  switch (a.type) {
    case 'TEXT':
      return a.text;
    case 'SCALAR':
      return String(a.scalar);
    case 'SET':
      return `{${a.set.join(',')}}`;
    case 'RANGES':
      return formatRanges(a.ranges);
  }
}

export async function startEngine(o: EngineOptions): Promise<Engine> {
  const log = o.log.child({ component: 'services' });
  const now = o.now ?? Date.now;
  const bus: Bus = await connectBus({ servers: o.nats, name: 'services-store', log, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}) });
  const store: ServicesStore = await openStore(bus, log);
  let state = initialState();
  const replayed = await store.readAll();
  for (const { event } of replayed) state = evolve(state, event);
  log.info({ events: replayed.length, apps: state.apps.size, tasks: state.tasks.size }, 'services state replayed');

  const events$ = new Subject<ServicesEventOut>();
  const record = async (e: ServicesEvent): Promise<void> => {
    await store.append(e);
    const before = state;
    state = evolve(state, e);
    publish(before, e);
  };

  const sched: Scheduler = await subscribe({
    nats: o.nats,
    ...(o.creds !== undefined ? { creds: o.creds } : {}),
    ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}),
    name: o.name ?? 'services',
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

  // Agents' hostnames and attributes, from the cluster log (constraints on attributes need them).
  const places = new Map<string, Place>();
  const abort = new AbortController();
  // One reader per fact: a single filter is carried in the consumer-create subject, which is what a
  // framework's credentials permit (security/nats/permissions.ts).
  const readFacts = async (fact: 'registered' | 'reregistered'): Promise<void> => {
    for await (const entry of readLog(bus, { filter: subjects.agentFact('*' as AgentId, fact), signal: abort.signal })) {
      if (!entry.decoded.ok) continue;
      const e = entry.decoded.event;
      if (e.type !== 'AgentRegistered' && e.type !== 'AgentReregistered') continue;
      places.set(e.agentId, { hostname: e.hostname, attributes: Object.fromEntries(e.attributes.map((a) => [a.name, attributeText(a)])) });
    }
  };
  const agentsRead = Promise.all([readFacts('registered'), readFacts('reregistered')]).catch((err: unknown) => {
    if (!abort.signal.aborted) log.error({ err }, 'the agents read ended');
  });

  const waiting = new Map<string, Waiting>();
  const lastKill = new Map<string, number>();
  /** Tasks it does not count that it asked to kill (an agent back with tasks replaced meanwhile): asked again until they end. */
  const orphans = new Map<string, { agentId: AgentId; at: number; since: number }>();
  let lastRevive = 0;
  let demandKey = '';

  // --- status updates ----------------------------------------------------------------------
  const onStatus = async (s: TaskStatus): Promise<void> => {
    const t = state.tasks.get(s.taskId);
    if (t === undefined) {
      // A task we do not count (replaced while its agent was away, or launched before a crash and
      // given up): it must not run beside its replacement.
      // Only its agent's word ends it: the master answers a kill folded while it still holds the
      // task unreachable (its agent coming back) with "already terminal", and the task runs on.
      if (TERMINAL.has(s.state)) {
        if (s.source !== 'SOURCE_MASTER') orphans.delete(s.taskId);
      } else if (s.state !== 'TASK_KILLING') {
        log.warn({ taskId: s.taskId, state: s.state }, 'killing a task this framework does not count');
        orphans.set(s.taskId, { agentId: s.agentId, at: now(), since: orphans.get(s.taskId)?.since ?? now() });
        await sched.kill(s.taskId, { agentId: s.agentId });
      }
      return;
    }
    const healthChanged = s.healthy !== undefined && s.healthy !== t.healthy;
    if (s.state === t.state && !healthChanged) return;
    await record({
      type: 'TaskStatusChanged',
      at: now(),
      appId: t.appId,
      taskId: s.taskId,
      state: s.state,
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message.slice(0, 512) } : {}),
    });
  };

  // --- one step: kills, launches, finished deployments ----------------------------------------
  const stepOnce = async (): Promise<void> => {
    const t = now();
    const need = new Map<string, number>();
    let earliestBackoff = Number.POSITIVE_INFINITY;
    for (const appId of [...state.apps.keys()]) {
      const p = planApp(state, appId, t);
      for (const k of p.kill) {
        await record({ type: 'TaskKillIssued', at: now(), appId, taskId: k.taskId, why: k.why });
        const task = state.tasks.get(k.taskId);
        lastKill.set(k.taskId, now());
        await sched.kill(k.taskId, task !== undefined ? { agentId: task.agentId as AgentId } : {});
      }
      if (p.done) {
        const d = activeDeployment(state, appId)!;
        const a = state.apps.get(appId)!;
        if (a.deleting) await record({ type: 'AppRemoved', at: now(), appId });
        else await record({ type: 'DeploymentFinished', at: now(), appId, deploymentId: d.id });
        continue;
      }
      if (p.launch > 0) need.set(appId, p.launch);
      else if (p.backoffUntil !== undefined) {
        earliestBackoff = Math.min(earliestBackoff, p.backoffUntil);
        waiting.set(appId, { since: waiting.get(appId)?.since ?? t, reason: `backoff: the next launch waits until ${new Date(p.backoffUntil).toISOString()} (${state.apps.get(appId)!.failures} failures in a row)`, processed: 0, unused: 0, reasons: new Map() });
      } else waiting.delete(appId);
    }
    // Kills that got no answer (an agent away): ask again.
    for (const task of state.tasks.values()) {
      if (task.killIssued && now() - (lastKill.get(task.taskId) ?? 0) > KILL_AGAIN_MS) {
        lastKill.set(task.taskId, now());
        await sched.kill(task.taskId, { agentId: task.agentId as AgentId });
      }
    }
    for (const [taskId, x] of orphans) {
      if (now() - x.since > ORPHAN_GIVE_UP_MS) orphans.delete(taskId);
      else if (now() - x.at > KILL_AGAIN_MS) {
        orphans.set(taskId, { ...x, at: now() });
        await sched.kill(taskId, { agentId: x.agentId });
      }
    }
    await place(need);
    await stateDemand(need);
    if (earliestBackoff !== Number.POSITIVE_INFINITY) schedule(Math.max(0, earliestBackoff - now()) + 5);
  };

  /** Put what is needed on the offers held; decline what is left over. */
  const place = async (need: Map<string, number>): Promise<void> => {
    const offers = sched.outstandingOffers();
    const tally = new Map<string, { processed: number; unused: number; reasons: Map<string, number> }>();
    for (const appId of need.keys()) tally.set(appId, { processed: 0, unused: 0, reasons: new Map() });
    const placed = new Map<string, Place[]>();
    const placesOf = (appId: string): Place[] => {
      let p = placed.get(appId);
      if (p === undefined) {
        p = tasksOf(state, appId).filter((x) => !x.killIssued).map((x) => ({ hostname: x.hostname, attributes: x.attributes }));
        placed.set(appId, p);
      }
      return p;
    };
    const known = [...places.values()];
    for (const offer of offers) {
      const where: Place = places.get(offer.agentId) ?? { hostname: offer.hostname, attributes: {} };
      let rest = offer.resources;
      const tasks: TaskSpec[] = [];
      const launched: ServicesEvent[] = [];
      for (const [appId, n] of need) {
        if (n <= 0) continue;
        const a = state.apps.get(appId)!;
        const app = a.app;
        const tl = tally.get(appId)!;
        tl.processed++;
        let left = n;
        let reason: string | undefined;
        // An offer is made to one of the framework's roles; the app takes only offers to its own.
        if (offer.role !== app.role) reason = `role: the offer is for role ${offer.role}, the app's is ${app.role}`;
        while (reason === undefined && left > 0) {
          const refused = refusedBy(app.constraints, where, placesOf(appId), known);
          if (refused !== undefined) {
            reason = refused;
            break;
          }
          const f = fit(app, rest);
          if (!f.ok) {
            reason = f.reason;
            break;
          }
          rest = f.rest;
          const taskId = taskIdFor(appId, randomUUID());
          tasks.push(taskSpec(app, a.configVersion, taskId, offer, f.resources, f.ports, where.hostname));
          launched.push({ type: 'TaskLaunched', at: now(), appId, taskId, agentId: offer.agentId, hostname: where.hostname, attributes: { ...where.attributes }, configVersion: a.configVersion, ports: f.ports });
          placesOf(appId).push(where);
          left--;
        }
        need.set(appId, left);
        if (left === n) {
          tl.unused++;
          const key = (reason ?? 'unknown').split(' (')[0]!;
          tl.reasons.set(key, (tl.reasons.get(key) ?? 0) + 1);
          if (reason !== undefined) lastReason.set(appId, reason);
        }
      }
      if (tasks.length > 0) {
        for (const e of launched) await record(e);
        await sched.accept([offer.id], tasks, { refuseSeconds: 1 });
      } else {
        const anyNeed = [...need.values()].some((x) => x > 0);
        await sched.decline([offer.id], anyNeed ? 2 : 30);
      }
    }
    const t = now();
    for (const [appId, left] of need) {
      if (left <= 0) {
        waiting.delete(appId);
        continue;
      }
      const tl = tally.get(appId)!;
      const prev = waiting.get(appId);
      const reason = offers.length === 0 ? (lastReason.get(appId) ?? 'no offers: waiting for the cluster to offer resources') : (lastReason.get(appId) ?? 'no offer fits');
      waiting.set(appId, { since: prev?.since ?? t, reason, processed: tl.processed, unused: tl.unused, reasons: tl.reasons.size > 0 ? tl.reasons : (prev?.reasons ?? new Map()) });
    }
    if ([...need.values()].some((x) => x > 0) && now() - lastRevive > REVIVE_EVERY_MS && sched.outstandingOffers().length === 0) {
      lastRevive = now();
      await sched.revive();
    }
  };
  const lastReason = new Map<string, string>();

  /** What still waits is the framework's recorded demand, so `mesos replay why-pending` explains it too. */
  const stateDemand = async (need: Map<string, number>): Promise<void> => {
    const reqs = [...need].filter(([, n]) => n > 0).map(([appId]) => {
      const app = state.apps.get(appId)!.app;
      const parts = [`cpus:${app.cpus}`, `mem:${app.mem}`, ...(app.disk > 0 ? [`disk:${app.disk}`] : []), ...(app.gpus > 0 ? [`gpus:${app.gpus}`] : [])];
      return { name: appId, role: app.role, resources: parts.join(';') };
    });
    const key = canonical(reqs);
    if (key === demandKey) return;
    demandKey = key;
    await sched.request(reqs);
  };

  // --- the step loop: one step at a time; anything that happens meanwhile asks for another ------
  const loop = stepLoop(() => stepOnce(), (err) => log.error({ err }, 'services step failed'));
  const step = loop.step;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number): void => {
    if (loop.closed) return;
    const t = setTimeout(() => void step(), ms);
    t.unref();
  };
  const subs: Subscription[] = [];
  const statusQueue: TaskStatus[] = [];
  let draining = false;
  const drainStatuses = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (statusQueue.length > 0) {
        const s = statusQueue.shift()!;
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

  // What became of the tasks we know while we were away (or before a crash).
  if (state.tasks.size > 0) {
    const answers = await sched.reconcile([...state.tasks.values()].map((t) => ({ taskId: t.taskId, agentId: t.agentId })));
    for (const s of answers) {
      statusQueue.push({ agentId: s.agentId ?? ('' as AgentId), frameworkId: sched.frameworkId, taskId: s.taskId, state: s.state, source: s.source ?? 'SOURCE_MASTER', timestamp: now(), ...(s.healthy !== undefined ? { healthy: s.healthy } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}), ...(s.message !== undefined ? { message: s.message } : {}) } as TaskStatus);
    }
    await drainStatuses();
  }
  timer = setInterval(() => void step(), o.tickMs ?? 250);
  void step();

  // --- the REST API's calls --------------------------------------------------------------------
  const newVersion = (): string => {
    // Versions are ISO times, strictly increasing even within one millisecond.
    let v = new Date(now()).toISOString();
    const last = [...state.apps.values()].map((a) => a.version).concat(state.deployments.map((d) => d.version)).sort().at(-1);
    if (last !== undefined && v <= last) v = new Date(Date.parse(last) + 1).toISOString();
    return v;
  };
  const define = async (app: AppDefinition, kind: DeploymentKind, configVersion?: string): Promise<{ deploymentId: string; version: string }> => {
    const version = newVersion();
    const deploymentId = randomUUID();
    await record({ type: 'AppDefined', at: now(), app, version, configVersion: configVersion ?? version, deploymentId, kind });
    void step();
    return { deploymentId, version };
  };
  const cancelActive = async (appId: string): Promise<void> => {
    const d = activeDeployment(state, appId);
    if (d !== undefined) await record({ type: 'DeploymentCancelled', at: now(), appId, deploymentId: d.id });
  };
  const frameworkRoles = [...(o.roles ?? ['*'])];
  const invalid = (v: Validated & { ok: false }): Result<never> => ({ ok: false, status: 422, body: v.error });
  /** An app's role must be one the framework subscribed with: it gets offers for no other. */
  const roleRefused = (app: AppDefinition): Result<never> | undefined =>
    frameworkRoles.includes(app.role)
      ? undefined
      : { ok: false, status: 422, body: { message: 'Object is not valid', details: [{ path: '/role', errors: [`role '${app.role}' is not one of this framework's roles (${frameworkRoles.join(', ')}): start \`mesos services\` with --roles ${[...frameworkRoles, app.role].join(',')}`] }] } };

  const engine: Engine = {
    frameworkId: sched.frameworkId,
    state: () => state,
    waiting: () => waiting,
    events$,
    async createApp(body) {
      const v = validateApp(body);
      if (!v.ok) return invalid(v);
      const refused = roleRefused(v.app);
      if (refused !== undefined) return refused;
      if (state.apps.has(v.app.id)) return { ok: false, status: 409, body: { message: `An app with id [${v.app.id}] already exists.` } };
      const r = await define(v.app, 'create');
      return { ok: true, value: { app: v.app, ...r } };
    },
    async putApp(id, body, force) {
      const current = latestDefinition(state, id);
      const merged = current !== undefined && typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...current.app, ...(body as Record<string, unknown>) } : body;
      const v = validateApp(merged, id);
      if (!v.ok) return invalid(v);
      const refused = roleRefused(v.app);
      if (refused !== undefined) return refused;
      if (force) await cancelActive(v.app.id);
      const a = state.apps.get(v.app.id);
      if (a === undefined || a.deleting) {
        const r = await define(v.app, 'create');
        return { ok: true, value: { ...r, created: true } };
      }
      const base = current!.app;
      const scaled = onlyScaled(base, v.app);
      // A scale keeps the configuration its tasks run; anything else is a new one (a rolling upgrade).
      const lastConfig = state.deployments.filter((d) => d.appId === id && d.target.kind === 'define').at(-1);
      const configVersion = lastConfig !== undefined && lastConfig.target.kind === 'define' ? lastConfig.target.configVersion : a.configVersion;
      const r = await define(v.app, scaled ? 'scale' : 'upgrade', scaled ? configVersion : undefined);
      return { ok: true, value: { ...r, created: false } };
    },
    async deleteApp(id, force) {
      if (!state.apps.has(id)) return notFound(id);
      if (force) await cancelActive(id);
      const version = newVersion();
      const deploymentId = randomUUID();
      await record({ type: 'AppDeletionStarted', at: now(), appId: id, deploymentId, version });
      void step();
      return { ok: true, value: { deploymentId, version } };
    },
    async restartApp(id, force) {
      const current = latestDefinition(state, id);
      if (current === undefined) return notFound(id);
      if (force) await cancelActive(id);
      return { ok: true, value: await define(current.app, 'restart') };
    },
    async cancelDeployment(id, force) {
      const d: Deployment | undefined = state.deployments.find((x) => x.id === id);
      if (d === undefined) return { ok: false, status: 404, body: { message: `DeploymentPlan ${id} does not exist` } };
      const wasActive = activeDeployment(state, d.appId)?.id === d.id;
      const queuedBehind = state.deployments.some((x) => x.appId === d.appId && x.id !== d.id);
      await record({ type: 'DeploymentCancelled', at: now(), appId: d.appId, deploymentId: d.id });
      // Marathon rolls a cancelled deployment back (unless forced): the definition before it returns.
      if (force || !wasActive || queuedBehind) {
        void step();
        return { ok: true, value: {} };
      }
      if (d.previous === null) {
        if (d.kind === 'delete') return { ok: true, value: {} };
        const version = newVersion();
        const deploymentId = randomUUID();
        await record({ type: 'AppDeletionStarted', at: now(), appId: d.appId, deploymentId, version });
        void step();
        return { ok: true, value: { deploymentId, version } };
      }
      const prev = d.previous;
      const version = newVersion();
      const deploymentId = randomUUID();
      await record({ type: 'AppDefined', at: now(), app: prev.app, version, configVersion: prev.configVersion, deploymentId, kind: 'rollback' });
      void step();
      return { ok: true, value: { deploymentId, version } };
    },
    async killTask(taskId, scale) {
      const t = state.tasks.get(taskId);
      if (t === undefined) return { ok: false, status: 404, body: { message: `Task '${taskId}' does not exist` } };
      if (scale) {
        const cur = latestDefinition(state, t.appId)!;
        await define({ ...cur.app, instances: Math.max(0, cur.app.instances - 1) }, 'scale', state.apps.get(t.appId)!.configVersion);
      }
      await record({ type: 'TaskKillIssued', at: now(), appId: t.appId, taskId, why: 'killed through the API' });
      lastKill.set(taskId, now());
      await sched.kill(taskId, { agentId: t.agentId as AgentId });
      void step();
      return { ok: true, value: { taskId } };
    },
    history: (appId) => store.history(appId),
    async settle() {
      while (loop.busy || draining) await (loop.busy ? loop.idle() : new Promise((r) => setTimeout(r, 10)));
    },
    async close() {
      if (loop.closed) return;
      const stepping = loop.close();
      if (timer !== undefined) clearInterval(timer);
      for (const s of subs) s.unsubscribe();
      await stepping;
      abort.abort();
      await sched.close();
      await agentsRead;
      await bus.close();
      events$.complete();
    },
    async teardown() {
      if (timer !== undefined) clearInterval(timer);
      const stepping = loop.close();
      for (const s of subs) s.unsubscribe();
      await stepping;
      abort.abort();
      await sched.teardown();
      await agentsRead;
      await bus.close();
      events$.complete();
    },
  };

  /** Marathon's event stream names for what happened. */
  function publish(before: ServicesState, e: ServicesEvent): void {
    if (!events$.observed) return;
    const ts = new Date(e.at).toISOString();
    switch (e.type) {
      case 'AppDefined':
        events$.next({ eventType: 'api_post_event', timestamp: ts, appDefinition: e.app });
        events$.next({ eventType: 'deployment_info', timestamp: ts, plan: { id: e.deploymentId, version: e.version }, currentStep: { actions: [{ action: actionOf(e.kind), app: e.app.id }] } });
        break;
      case 'AppDeletionStarted':
        events$.next({ eventType: 'app_terminated_event', timestamp: ts, appId: e.appId });
        events$.next({ eventType: 'deployment_info', timestamp: ts, plan: { id: e.deploymentId, version: e.version }, currentStep: { actions: [{ action: 'StopApplication', app: e.appId }] } });
        break;
      case 'DeploymentFinished':
        events$.next({ eventType: 'deployment_success', timestamp: ts, id: e.deploymentId });
        break;
      case 'DeploymentCancelled':
        events$.next({ eventType: 'deployment_failed', timestamp: ts, id: e.deploymentId });
        break;
      case 'AppRemoved':
        events$.next({ eventType: 'deployment_success', timestamp: ts, appId: e.appId });
        break;
      case 'TaskStatusChanged': {
        const t = before.tasks.get(e.taskId);
        events$.next({ eventType: 'status_update_event', timestamp: ts, appId: e.appId, taskId: e.taskId, taskStatus: e.state, slaveId: t?.agentId, host: t?.hostname, ports: t?.ports ?? [], version: t?.configVersion, ...(e.message !== undefined ? { message: e.message } : {}) });
        if (e.healthy !== undefined && e.healthy !== t?.healthy) events$.next({ eventType: 'health_status_changed_event', timestamp: ts, appId: e.appId, taskId: e.taskId, alive: e.healthy });
        break;
      }
      case 'TaskLaunched':
        events$.next({ eventType: 'status_update_event', timestamp: ts, appId: e.appId, taskId: e.taskId, taskStatus: 'TASK_STAGING', slaveId: e.agentId, host: e.hostname, ports: e.ports, version: e.configVersion });
        break;
      case 'TaskKillIssued':
      case 'FrameworkIdRecorded':
        break;
    }
  }

  function taskSpec(app: AppDefinition, configVersion: string, taskId: string, offer: Offer, resources: TaskSpec['resources'], ports: readonly number[], host: string): TaskSpec {
    const environment: Record<string, string> = {
      ...app.env,
      MARATHON_APP_ID: app.id,
      MARATHON_APP_VERSION: configVersion,
      MESOS_TASK_ID: taskId,
      HOST: host,
      ...Object.fromEntries(app.labels !== undefined ? Object.entries(app.labels).map(([k, v]) => [`MARATHON_APP_LABEL_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, v]) : []),
    };
    const command = app.cmd !== undefined ? { value: app.cmd, shell: true, environment, user: app.user ?? o.user } : { value: app.args![0]!, shell: false, arguments: [...app.args!], environment, user: app.user ?? o.user };
    // PORTi is the port of portDefinitions[i] (the agent's own PORTi follow its ranges' order, which
    // differs when requirePorts asks for ports out of order), and a named port is PORT_<NAME>.
    if (ports.length > 0) Object.assign(environment, { PORT: String(ports[0]), PORTS: ports.join(',') });
    app.portDefinitions.forEach((d, i) => {
      if (ports[i] === undefined) return;
      environment[`PORT${i}`] = String(ports[i]);
      if (d.name !== undefined) environment[`PORT_${d.name.toUpperCase().replaceAll('-', '_')}`] = String(ports[i]);
    });
    const image = app.container?.docker?.image;
    const h = app.healthChecks[0];
    return {
      ...(image !== undefined ? { container: { image: { type: 'DOCKER' as const, name: image } } } : {}),
      taskId,
      name: app.id.slice(1).replaceAll('/', '.'),
      agentId: offer.agentId,
      resources,
      command,
      labels: { ...app.labels },
      ...(app.killGracePeriodSeconds !== undefined ? { killGracePeriodMs: Math.round(app.killGracePeriodSeconds * 1000) } : {}),
      ...(h !== undefined ? { healthCheck: toMesosHealthCheck(h, ports) } : {}),
    };
  }

  return engine;
}

/** Marathon's health check as Mesos's (the agent runs it): its port resolved to the task's. */
export function toMesosHealthCheck(h: AppDefinition['healthChecks'][number], ports: readonly number[]): z.input<typeof HealthCheck> {
  const timing = {
    delayMs: Math.round(h.delaySeconds * 1000),
    intervalMs: Math.round(h.intervalSeconds * 1000),
    timeoutMs: Math.round(h.timeoutSeconds * 1000),
    consecutiveFailures: h.maxConsecutiveFailures,
    gracePeriodMs: Math.round(h.gracePeriodSeconds * 1000),
  };
  const port = h.port ?? ports[h.portIndex ?? 0];
  switch (h.protocol) {
    case 'COMMAND':
      return { type: 'COMMAND', command: { value: h.command!.value, shell: true }, ...timing };
    case 'TCP':
    case 'MESOS_TCP':
      return { type: 'TCP', tcp: { ...(port !== undefined ? { port } : {}) }, ...timing };
    default:
      return {
        type: 'HTTP',
        http: { ...(port !== undefined ? { port } : {}), path: h.path ?? '/', scheme: h.protocol === 'HTTPS' || h.protocol === 'MESOS_HTTPS' ? 'https' : 'http' },
        ...timing,
      };
  }
}

export const actionOf = (k: DeploymentKind): string =>
  ({ create: 'StartApplication', scale: 'ScaleApplication', upgrade: 'RestartApplication', restart: 'RestartApplication', rollback: 'RestartApplication', delete: 'StopApplication' })[k];

