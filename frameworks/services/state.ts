/**
 * The services framework's state, a pure fold of its log (events.ts): apps, their deployments
 * (queued per app, the first one active), their tasks and their launch backoff. Nothing here reads
 * a clock or does I/O; `evolve` never throws (an event about something unknown changes nothing).
 */
import type { AppDefinition } from './app.js';
import type { DeploymentKind, ServicesEvent } from './events.js';

/** States after which a task no longer counts (TASK_UNREACHABLE too: it is replaced, and killed should it come back). */
export const TERMINAL = new Set(['TASK_UNREACHABLE', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);

export interface AppState {
  readonly app: AppDefinition;
  readonly version: string;
  readonly configVersion: string;
  /** Every version it had, oldest first (GET /v2/apps/{id}/versions). */
  readonly versions: readonly string[];
  /** Versions by id, for GET …/versions/{version} and rollbacks. */
  readonly definitions: ReadonlyMap<string, AppDefinition>;
  /** Failed launches in a row (the backoff exponent), and when the last one ended. */
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly lastFailure?: { readonly taskId: string; readonly state: string; readonly message?: string; readonly at: number };
  readonly deleting: boolean;
}

/** What a deployment brings: a definition, or the app's deletion. */
export type Target = { readonly kind: 'define'; readonly app: AppDefinition; readonly version: string; readonly configVersion: string } | { readonly kind: 'delete' };

export interface Deployment {
  readonly target: Target;
  readonly id: string;
  readonly appId: string;
  readonly kind: DeploymentKind;
  readonly version: string;
  readonly startedAt: number;
  /** The definition before it (null: the app did not exist, or the deployment is still queued), for a rollback. */
  readonly previous: { readonly app: AppDefinition; readonly version: string; readonly configVersion: string } | null;
}

export interface TaskState {
  readonly taskId: string;
  readonly appId: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly configVersion: string;
  readonly ports: readonly number[];
  readonly launchedAt: number;
  readonly state: string;
  readonly startedAt?: number;
  readonly healthy?: boolean;
  readonly killIssued: boolean;
}

export interface ServicesState {
  readonly frameworkId?: string;
  readonly apps: ReadonlyMap<string, AppState>;
  /** In the order they were started; per app the first is the active one. */
  readonly deployments: readonly Deployment[];
  /** Tasks not known to have ended. */
  readonly tasks: ReadonlyMap<string, TaskState>;
}

export const initialState = (): ServicesState => ({ apps: new Map(), deployments: [], tasks: new Map() });

const withApp = (s: ServicesState, id: string, f: (a: AppState) => AppState): ServicesState => {
  const a = s.apps.get(id);
  if (a === undefined) return s;
  return { ...s, apps: new Map(s.apps).set(id, f(a)) };
};

const withTask = (s: ServicesState, id: string, f: (t: TaskState) => TaskState | undefined): ServicesState => {
  const t = s.tasks.get(id);
  if (t === undefined) return s;
  const next = f(t);
  const tasks = new Map(s.tasks);
  if (next === undefined) tasks.delete(id);
  else tasks.set(id, next);
  return { ...s, tasks };
};

export function evolve(s: ServicesState, e: ServicesEvent): ServicesState {
  switch (e.type) {
    case 'FrameworkIdRecorded':
      return { ...s, frameworkId: e.frameworkId };
    case 'AppDefined': {
      const target: Target = { kind: 'define', app: e.app, version: e.version, configVersion: e.configVersion };
      const d: Deployment = { id: e.deploymentId, appId: e.app.id, kind: e.kind, version: e.version, startedAt: e.at, previous: null, target };
      return enqueue(s, d);
    }
    case 'AppDeletionStarted': {
      if (!s.apps.has(e.appId)) return s;
      const d: Deployment = { id: e.deploymentId, appId: e.appId, kind: 'delete', version: e.version, startedAt: e.at, previous: null, target: { kind: 'delete' } };
      // A deletion supersedes what was under way or queued for the app (as Marathon's).
      return enqueue({ ...s, deployments: s.deployments.filter((x) => x.appId !== e.appId) }, d);
    }
    case 'AppRemoved': {
      const apps = new Map(s.apps);
      apps.delete(e.appId);
      return { ...s, apps, deployments: s.deployments.filter((d) => d.appId !== e.appId) };
    }
    case 'DeploymentFinished':
    case 'DeploymentCancelled': {
      const d = s.deployments.find((x) => x.id === e.deploymentId);
      if (d === undefined) return s;
      const wasActive = activeDeployment(s, d.appId)?.id === d.id;
      const rest = { ...s, deployments: s.deployments.filter((x) => x.id !== e.deploymentId) };
      if (!wasActive) return rest;
      // The next deployment of the app (queued behind it) takes over: its definition applies now.
      const next = activeDeployment(rest, d.appId);
      return next === undefined ? rest : activate(rest, next, e.at);
    }
    case 'TaskLaunched': {
      const t: TaskState = {
        taskId: e.taskId,
        appId: e.appId,
        agentId: e.agentId,
        hostname: e.hostname,
        attributes: e.attributes,
        configVersion: e.configVersion,
        ports: e.ports,
        launchedAt: e.at,
        state: 'TASK_STAGING',
        killIssued: false,
      };
      return { ...s, tasks: new Map(s.tasks).set(e.taskId, t) };
    }
    case 'TaskStatusChanged': {
      const t = s.tasks.get(e.taskId);
      if (t === undefined) return s;
      if (TERMINAL.has(e.state)) {
        const next = withTask(s, e.taskId, () => undefined);
        // A task that ended without our asking is a failure: the next launch of its app waits longer.
        if (t.killIssued) return next;
        return withApp(next, t.appId, (a) =>
          t.configVersion !== a.configVersion
            ? a
            : { ...a, failures: a.failures + 1, lastFailureAt: e.at, lastFailure: { taskId: e.taskId, state: e.state, ...(e.message !== undefined ? { message: e.message } : {}), at: e.at } },
        );
      }
      const becameHealthy = e.healthy === true && t.healthy !== true;
      const s2 = withTask(s, e.taskId, (x) => ({
        ...x,
        state: e.state,
        ...(e.state === 'TASK_RUNNING' && x.startedAt === undefined ? { startedAt: e.at } : {}),
        ...(e.healthy !== undefined ? { healthy: e.healthy } : {}),
      }));
      // A task of the current configuration that is running well ends the backoff.
      const app = s2.apps.get(t.appId);
      const good = app !== undefined && t.configVersion === app.configVersion && (app.app.healthChecks.length > 0 ? becameHealthy : e.state === 'TASK_RUNNING' && t.state !== 'TASK_RUNNING');
      return good ? withApp(s2, t.appId, (a) => ({ ...a, failures: 0, lastFailureAt: 0 })) : s2;
    }
    case 'TaskKillIssued':
      return withTask(s, e.taskId, (t) => ({ ...t, killIssued: true }));
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** The deployment an app is carrying out now (the first of its queue). */
export const activeDeployment = (s: ServicesState, appId: string): Deployment | undefined => s.deployments.find((d) => d.appId === appId);

export const tasksOf = (s: ServicesState, appId: string): TaskState[] => [...s.tasks.values()].filter((t) => t.appId === appId);

/** Healthy as Marathon counts it: running, and its health check passed when it has one. */
export const isHealthy = (app: AppDefinition, t: TaskState): boolean => t.state === 'TASK_RUNNING' && (app.healthChecks.length === 0 || t.healthy === true);

/** The launch delay after `failures` failures in a row (ms): backoffSeconds × backoffFactor^(n-1), at most maxLaunchDelaySeconds. */
export function launchDelayMs(app: AppDefinition, failures: number): number {
  if (failures <= 0) return 0;
  const s = app.backoffSeconds * app.backoffFactor ** (failures - 1);
  return Math.round(Math.min(s, app.maxLaunchDelaySeconds) * 1000);
}

/** Add a deployment to its app's queue; when nothing is ahead of it, it applies at once. */
function enqueue(s: ServicesState, d: Deployment): ServicesState {
  const ahead = activeDeployment(s, d.appId);
  const withD = { ...s, deployments: [...s.deployments, d] };
  // The history lists every version as it was asked for.
  const app = withD.apps.get(d.appId);
  const s2 = d.target.kind === 'define' && app !== undefined ? withApp(withD, d.appId, (a) => ({ ...a, versions: [...a.versions, d.version], definitions: new Map(a.definitions).set(d.version, (d.target as { app: AppDefinition }).app) })) : withD;
  return ahead === undefined ? activate(s2, d, d.startedAt) : s2;
}

/** A deployment becomes the active one: its target applies to the app. */
function activate(s: ServicesState, d: Deployment, at: number): ServicesState {
  const before = s.apps.get(d.appId);
  const previous = before === undefined || before.deleting ? null : { app: before.app, version: before.version, configVersion: before.configVersion };
  const deployments = s.deployments.map((x) => (x.id === d.id ? { ...x, previous, startedAt: at } : x));
  if (d.target.kind === 'delete') {
    if (before === undefined) return { ...s, deployments };
    return { ...s, deployments, apps: new Map(s.apps).set(d.appId, { ...before, deleting: true }) };
  }
  const t = d.target;
  const newConfig = before === undefined || before.configVersion !== t.configVersion;
  const seen = before !== undefined && before.versions.includes(t.version);
  const app: AppState = {
    app: t.app,
    version: t.version,
    configVersion: t.configVersion,
    versions: seen ? before.versions : [...(before?.versions ?? []), t.version],
    definitions: new Map(before?.definitions ?? []).set(t.version, t.app),
    // A new configuration starts its backoff afresh (as Marathon's).
    failures: newConfig ? 0 : (before?.failures ?? 0),
    lastFailureAt: newConfig ? 0 : (before?.lastFailureAt ?? 0),
    ...(before?.lastFailure !== undefined ? { lastFailure: before.lastFailure } : {}),
    deleting: false,
  };
  return { ...s, deployments, apps: new Map(s.apps).set(d.appId, app) };
}

/** The definition an app is headed for: that of its last queued deployment, or its own. */
export function latestDefinition(s: ServicesState, appId: string): { app: AppDefinition; version: string } | undefined {
  const queued = s.deployments.filter((d) => d.appId === appId && d.target.kind === 'define');
  const last = queued.at(-1);
  if (last !== undefined && last.target.kind === 'define') return { app: last.target.app, version: last.target.version };
  const a = s.apps.get(appId);
  return a === undefined ? undefined : { app: a.app, version: a.version };
}
