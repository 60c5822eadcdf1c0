/**
 * The agent's own HTTP endpoint (Mesos's agent on :5051): `/health`, `/state` (also
 * `/slave(1)/state` and `/state.json`), `/flags`, `/version`, `/metrics/snapshot`, `/monitor/statistics`, and
 * `/files/browse|read|download` over the task sandboxes. Served by the same small node:http shell
 * as the master's API (kernel/shell/http/server.ts: 404 for an unknown path, 405 with Allow for another
 * method than GET/HEAD, `?jsonp=`).
 */
import type { Logger } from 'pino';
import type { ServerTls } from '../../security/tls/index.js';
import type { HttpAuthConfig } from '../../security/http/index.js';
import { agentRealm } from '../../security/http/endpoints.js';
import { type HttpApi, type Reply, type Route, json, startHttpApi, text } from '../../kernel/shell/http/server.js';
import { versionJson } from '../../kernel/shell/http/state-json.js';
import { sandboxPathIfValid } from '../sandbox.js';
import type { RunningTask } from '../task-runner.js';
import { type Attached, browse, download, type FilesResult, readChunk } from './sandbox-files.js';
import { type AgentIdentity, agentStateJson } from './state-json.js';
import { executorStatistics } from './statistics.js';
import type { TaskHistory } from './task-history.js';
import { type AgentCounters, agentMetrics } from './agent-metrics.js';
import { agentApiRoute } from './operator-api.js';
import { createNestedSessions } from './nested-sessions.js';
import { executorApiRoute } from './executor-api.js';
import type { ExecutorManager } from '../executor/manager.js';
import { PROMETHEUS_CONTENT_TYPE, toPrometheus } from '../../kernel/shell/http/prometheus.js';

export { createTaskHistory, type TaskHistory } from './task-history.js';
export { createAgentCounters, type AgentCounters } from './agent-metrics.js';
export { type AgentIdentity, slavePid } from './state-json.js';

export interface AgentHttpOptions {
  readonly ip: string;
  /** 0: any free port. */
  readonly port: number;
  /** Everything but the port (known once listening). */
  readonly identity: (port: number) => AgentIdentity;
  readonly history: TaskHistory;
  readonly running: () => readonly RunningTask[];
  /** Mesos's agent `/metrics/snapshot`: flat counters and gauges. */
  readonly metrics?: () => Record<string, number>;
  /** Status updates sent and launches carried out (Mesos's slave/* and containerizer/* counters). */
  readonly counters?: AgentCounters;
  /** Whether the agent has announced itself to the master (slave/registered). */
  readonly registered?: () => boolean;
  readonly log: Logger;
  /** HTTPS only, with this certificate. */
  readonly tls?: ServerTls | undefined;
  /** HTTP authentication (every endpoint but /health and /version is read-only, as Mesos's agent's). */
  readonly auth?: HttpAuthConfig;
  /** The custom executors: `POST /api/v1/executor` is theirs (absent: no such endpoint). */
  readonly executors?: ExecutorManager;
  /** PRUNE_IMAGES of the agent API: the image provisioner's prune. */
  readonly pruneImages?: (excluded: readonly string[]) => Promise<readonly string[]>;
}

/** The sandboxes to serve: every run the history knows, by real path, and each executor's latest run by Mesos's virtual path. */
export function attachedSandboxes(me: Pick<AgentIdentity, 'workDir' | 'id'>, history: TaskHistory): Attached {
  const out = new Map<string, string>();
  for (const f of [...history.frameworks(), ...history.completedFrameworks()]) {
    for (const e of [...f.executors.values(), ...f.completedExecutors]) {
      for (const t of [...e.tasks.values(), ...e.completedTasks]) {
        if (t.containerId === undefined) continue;
        // A launch whose ids cannot name a directory was refused: it has no sandbox to serve.
        const dir = sandboxPathIfValid(me.workDir, me.id, f.id, e.executorId, t.containerId);
        if (dir !== undefined) out.set(dir, dir);
      }
      const latest = e.containerId === undefined ? undefined : sandboxPathIfValid(me.workDir, me.id, f.id, e.executorId, e.containerId);
      if (latest !== undefined) out.set(`/frameworks/${f.id}/executors/${e.executorId}/runs/latest`, latest);
    }
  }
  return out;
}

function filesReply<T>(r: FilesResult<T>, ok: (v: T) => Reply): Reply {
  return r.ok ? ok(r.value) : text(r.message, r.status);
}

export async function startAgentHttp(o: AgentHttpOptions): Promise<HttpApi> {
  let port = o.port;
  const me = (): AgentIdentity => {
    // Tasks re-attached after a restart are shown even though their launch was not seen.
    for (const t of o.running()) o.history.adopt(t);
    return o.identity(port);
  };
  const state = (): Reply => json(agentStateJson(me(), o.history));
  const allMetrics = (): Record<string, number> => ({
    ...(o.counters !== undefined ? agentMetrics(me(), o.running(), o.history, o.counters, { registered: o.registered?.() ?? false, now: Date.now() }) : {}),
    ...(o.metrics?.() ?? {}),
  });
  const sessions = createNestedSessions();
  const get = (path: string, handler: Route['handler']): Route => {
    const realm = agentRealm(path);
    return realm === null ? { method: 'GET', path, handler } : { method: 'GET', path, handler, realm };
  };
  const routes: Route[] = [
    get('/health', () => ({ status: 200, text: '' })),
    get('/slave(1)/health', () => ({ status: 200, text: '' })),
    get('/state', state),
    get('/state.json', state),
    get('/slave(1)/state', state),
    get('/slave(1)/state.json', state),
    get('/flags', () => json({ flags: me().flags })),
    get('/slave(1)/flags', () => json({ flags: me().flags })),
    get('/version', () => json(versionJson(me().version))),
    get('/metrics/snapshot', () => json(allMetrics())),
    get('/metrics', () => ({ status: 200, text: toPrometheus(allMetrics()), headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } })),
    {
      method: 'POST',
      path: '/api/v1',
      realm: 'readwrite',
      handler: (req) =>
        agentApiRoute(req, {
          me,
          history: o.history,
          running: o.running,
          metrics: allMetrics,
          sandboxes: () => attachedSandboxes(me(), o.history),
          version: () => versionJson(me().version),
          sessions,
          ...(o.pruneImages !== undefined ? { pruneImages: o.pruneImages } : {}),
        }),
    },
    ...(o.executors !== undefined
      ? [{ method: 'POST' as const, path: '/api/v1/executor', handler: (req: Parameters<Route['handler']>[0]) => executorApiRoute(req, o.executors!) }]
      : []),
    get('/monitor/statistics', async () => json(await executorStatistics(o.running()))),
    get('/monitor/statistics.json', async () => json(await executorStatistics(o.running()))),
    get('/slave(1)/monitor/statistics', async () => json(await executorStatistics(o.running()))),
    get('/slave(1)/monitor/statistics.json', async () => json(await executorStatistics(o.running()))),
    get('/files/browse', async (_req, url) => filesReply(await browse(url.searchParams.get('path'), attachedSandboxes(me(), o.history)), json)),
    get('/files/read', async (_req, url) =>
      filesReply(await readChunk(url.searchParams.get('path'), url.searchParams.get('offset'), url.searchParams.get('length'), attachedSandboxes(me(), o.history)), json),
    ),
    get('/files/download', async (_req, url) =>
      filesReply(await download(url.searchParams.get('path'), attachedSandboxes(me(), o.history)), (f) => ({
        status: 200,
        takeover: (res) => {
          const head = res.req.method === 'HEAD';
          res.writeHead(200, {
            'Content-Type': 'application/octet-stream',
            'Content-Length': f.size,
            'Content-Disposition': `attachment; filename="${f.name.replace(/["\\]/g, '_')}"`,
          });
          if (head || f.size === 0) {
            void f.file.close();
            return void res.end();
          }
          // The descriptor that was checked, not the path again; closed by the stream.
          f.file
            .createReadStream({ start: 0, end: f.size - 1 })
            .on('error', () => res.destroy())
            .pipe(res);
        },
      })),
    ),
  ];
  // No limit on receiving a request: an ATTACH_CONTAINER_INPUT body lasts as long as its session.
  const api = await startHttpApi({ ip: o.ip, port: o.port, routes, log: o.log, tls: o.tls, requestTimeoutMs: 0, ...(o.auth !== undefined ? { auth: o.auth } : {}) });
  port = api.port;
  return {
    server: api.server,
    port: api.port,
    close: async () => {
      sessions.killAll(); // a session's stream would keep the server from closing
      await api.close();
    },
  };
}
