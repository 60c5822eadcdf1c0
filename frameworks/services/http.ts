/**
 * Marathon's REST API v2 over the engine: the calls users make (apps, tasks, deployments, queue,
 * info, leader, ping, the event stream). Bodies are JSON; an unreadable body is 400, an invalid
 * definition 422 with Marathon's error shape, an unknown app 404.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { normaliseAppId } from './app.js';
import { actionOf, type Engine } from './engine.js';
import { type AppState, type Deployment, type ServicesState, type TaskState, isHealthy, latestDefinition, tasksOf } from './state.js';

export const VERSION = '1.0.0';
const MAX_BODY = 1 << 20;

export interface HttpOptions {
  readonly port: number;
  readonly host?: string;
  readonly log: Logger;
}

export interface ServicesHttp {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function taskView(t: TaskState, s: ServicesState): Record<string, unknown> {
  const a = s.apps.get(t.appId);
  return {
    id: t.taskId,
    appId: t.appId,
    host: t.hostname,
    slaveId: t.agentId,
    ports: t.ports,
    stagedAt: iso(t.launchedAt),
    startedAt: iso(t.startedAt),
    state: t.state,
    version: t.configVersion,
    healthCheckResults: a !== undefined && a.app.healthChecks.length > 0 && t.healthy !== undefined ? [{ taskId: t.taskId, alive: t.healthy }] : [],
  };
}

export function appView(a: AppState, s: ServicesState, embedTasks: boolean): Record<string, unknown> {
  const latest = latestDefinition(s, a.app.id)!;
  const tasks = tasksOf(s, a.app.id);
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING');
  const healthy = tasks.filter((t) => isHealthy(a.app, t)).length;
  return {
    ...latest.app,
    version: latest.version,
    versionInfo: { lastScalingAt: a.version, lastConfigChangeAt: a.configVersion },
    tasksStaged: tasks.filter((t) => t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING').length,
    tasksRunning: running.length,
    tasksHealthy: a.app.healthChecks.length > 0 ? healthy : 0,
    tasksUnhealthy: a.app.healthChecks.length > 0 ? running.filter((t) => t.healthy === false).length : 0,
    deployments: s.deployments.filter((d) => d.appId === a.app.id).map((d) => ({ id: d.id })),
    ...(a.lastFailure !== undefined ? { lastTaskFailure: { taskId: a.lastFailure.taskId, state: a.lastFailure.state, message: a.lastFailure.message ?? '', timestamp: iso(a.lastFailure.at), appId: a.app.id } } : {}),
    ...(embedTasks ? { tasks: tasks.map((t) => taskView(t, s)) } : {}),
  };
}

export function deploymentView(d: Deployment, s: ServicesState): Record<string, unknown> {
  const actions = [{ action: actionOf(d.kind), app: d.appId }];
  const active = s.deployments.find((x) => x.appId === d.appId)?.id === d.id;
  return {
    id: d.id,
    version: d.version,
    affectedApps: [d.appId],
    steps: [{ actions }],
    currentActions: active ? actions.map((x) => ({ ...x, readinessCheckResults: [] })) : [],
    currentStep: active ? 1 : 0,
    totalSteps: 1,
    // Ours: the kind of change, and whether it waits behind another deployment of its app.
    kind: d.kind,
    queued: !active,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, { message: `the body is larger than ${MAX_BODY} bytes` });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, { message: 'Invalid JSON', details: [{ path: '/', errors: ['the body is empty'] }] });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, { message: 'Invalid JSON', details: [{ path: '/', errors: [(err as Error).message] }] });
  }
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
};

const appIdOf = (raw: string): string => {
  try {
    return normaliseAppId(decodeURIComponent(raw));
  } catch (err) {
    throw new HttpError(422, { message: 'Object is not valid', details: [{ path: '/id', errors: [(err as Error).message] }] });
  }
};

export function serveHttp(engine: Engine, o: HttpOptions): Promise<ServicesHttp> {
  const log = o.log.child({ component: 'services-http' });
  const sse = new Set<ServerResponse>();
  const sub = engine.events$.subscribe((e) => {
    const frame = `event: ${e.eventType}\ndata: ${JSON.stringify(e)}\n\n`;
    for (const res of sse) res.write(frame);
  });
  let leaderAddr = '';

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const force = url.searchParams.get('force') === 'true';
    const s = engine.state();
    const result = <T>(r: { ok: true; value: T } | { ok: false; status: number; body: unknown }): T => {
      if (!r.ok) throw new HttpError(r.status, r.body);
      return r.value;
    };

    if (path === '/ping') return send(res, 200, 'pong');
    if (path === '/v2/info' && method === 'GET') {
      return send(res, 200, {
        name: 'mesos-ts services',
        version: VERSION,
        frameworkId: engine.frameworkId,
        leader: leaderAddr,
        elected: true,
        http_config: { http_port: Number(leaderAddr.split(':').at(-1)) },
        marathon_config: { framework_name: 'services', failover_timeout: null, mesos_role: null },
      });
    }
    if (path === '/v2/leader' && method === 'GET') return send(res, 200, { leader: leaderAddr });
    if (path === '/v2/events' && method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.write(`event: event_stream_attached\ndata: ${JSON.stringify({ eventType: 'event_stream_attached', timestamp: new Date().toISOString(), remoteAddress: req.socket.remoteAddress ?? '' })}\n\n`);
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    if (path === '/v2/tasks' && method === 'GET') {
      const states = url.searchParams.get('status');
      const tasks = [...s.tasks.values()].filter((t) => states === null || t.state.toLowerCase() === `task_${states.toLowerCase()}`);
      return send(res, 200, { tasks: tasks.map((t) => taskView(t, s)) });
    }
    if (path === '/v2/tasks/delete' && method === 'POST') {
      const body = (await readJson(req)) as { ids?: unknown };
      if (!Array.isArray(body.ids) || !body.ids.every((x) => typeof x === 'string')) throw new HttpError(422, { message: 'Object is not valid', details: [{ path: '/ids', errors: ['a list of task ids'] }] });
      const scale = url.searchParams.get('scale') === 'true';
      for (const id of body.ids as string[]) result(await engine.killTask(id, scale));
      return send(res, 200, {});
    }
    if (path === '/v2/deployments' && method === 'GET') return send(res, 200, s.deployments.map((d) => deploymentView(d, s)));
    const dep = /^\/v2\/deployments\/([^/]+)$/.exec(path);
    if (dep !== null && method === 'DELETE') {
      const r = result(await engine.cancelDeployment(decodeURIComponent(dep[1]!), force));
      return send(res, r.deploymentId !== undefined ? 200 : 202, r);
    }
    if (path === '/v2/queue' && method === 'GET') {
      const queue = [...engine.waiting()].map(([appId, w]) => {
        const a = s.apps.get(appId);
        const live = tasksOf(s, appId).filter((t) => !t.killIssued && t.configVersion === a?.configVersion).length;
        const backoff = /^backoff/.test(w.reason);
        return {
          app: a !== undefined ? appView(a, s, false) : { id: appId },
          count: Math.max(0, (a?.app.instances ?? 0) - live),
          delay: { overdue: !backoff, timeLeftSeconds: 0 },
          since: iso(w.since),
          // Ours: why the instances wait, from the last offers looked at.
          reason: w.reason,
          processedOffersSummary: {
            processedOffersCount: w.processed,
            unusedOffersCount: w.unused,
            rejectSummaryLastOffers: [...w.reasons].map(([reason, declined]) => ({ reason, declined, processed: w.processed })),
          },
        };
      });
      return send(res, 200, { queue });
    }
    if (path === '/v2/apps') {
      if (method === 'GET') {
        const embed = url.searchParams.getAll('embed').some((e) => e === 'apps.tasks');
        const prefix = url.searchParams.get('id');
        const apps = [...s.apps.values()].filter((a) => prefix === null || a.app.id.includes(prefix)).sort((x, y) => (x.app.id < y.app.id ? -1 : 1));
        return send(res, 200, { apps: apps.map((a) => appView(a, s, embed)) });
      }
      if (method === 'POST') {
        const r = result(await engine.createApp(await readJson(req)));
        const a = engine.state().apps.get(r.app.id)!;
        return send(res, 201, { ...appView(a, engine.state(), false), deployments: [{ id: r.deploymentId }] }, { Location: `/v2/apps${r.app.id}` });
      }
    }
    const m = /^\/v2\/apps(\/.+?)(\/tasks|\/restart|\/versions(?:\/[^/]+)?|\/history)?$/.exec(path);
    if (m !== null) {
      const id = appIdOf(m[1]!);
      const sub = m[2];
      const a = s.apps.get(id);
      if (sub === undefined) {
        if (method === 'GET') {
          if (a === undefined) throw new HttpError(404, { message: `App '${id}' does not exist` });
          return send(res, 200, { app: appView(a, s, true) });
        }
        if (method === 'PUT') {
          const r = result(await engine.putApp(id, await readJson(req), force));
          return send(res, r.created ? 201 : 200, { version: r.version, deploymentId: r.deploymentId });
        }
        if (method === 'DELETE') return send(res, 200, result(await engine.deleteApp(id, force)));
      }
      if (a === undefined) throw new HttpError(404, { message: `App '${id}' does not exist` });
      if (sub === '/tasks' && method === 'GET') return send(res, 200, { tasks: tasksOf(s, id).map((t) => taskView(t, s)) });
      if (sub === '/restart' && method === 'POST') return send(res, 200, result(await engine.restartApp(id, force)));
      if (sub === '/versions' && method === 'GET') return send(res, 200, { versions: [...a.versions].reverse() });
      if (sub?.startsWith('/versions/') === true && method === 'GET') {
        const def = a.definitions.get(decodeURIComponent(sub.slice('/versions/'.length)));
        if (def === undefined) throw new HttpError(404, { message: `App '${id}' has no version ${sub.slice(10)}` });
        return send(res, 200, def);
      }
      if (sub === '/history' && method === 'GET') {
        const h = await engine.history(id);
        return send(res, 200, { appId: id, events: h.map((x) => ({ seq: x.seq, ...x.event, time: iso(x.event.at) })) });
      }
    }
    throw new HttpError(404, { message: `no such endpoint: ${method} ${path}` });
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return send(res, err.status, err.body);
      log.error({ err, url: req.url }, 'services request failed');
      if (!res.headersSent) send(res, 500, { message: (err as Error).message });
      else res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => {
      const port = (server.address() as AddressInfo).port;
      leaderAddr = `${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((r) => {
            sub.unsubscribe();
            for (const x of sse) x.end();
            sse.clear();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
