/**
 * Chronos's REST API over the engine: the calls users make. POST (or PUT)
 * /v1/scheduler/iso8601 and /v1/scheduler/dependency create or replace a job (204);
 * GET /v1/scheduler/jobs lists them, /v1/scheduler/jobs/search?name= filters; DELETE
 * /v1/scheduler/job/{name} deletes one (204); PUT /v1/scheduler/job/{name} runs it now (204);
 * DELETE /v1/scheduler/task/kill/{name} kills its running tasks; GET /v1/scheduler/graph/dot and
 * /graph/csv draw the dependencies; GET /v1/scheduler/leader. Ours: GET /v1/scheduler/job/{name}
 * (one job) and /v1/scheduler/job/{name}/history (its runs, from the log). Errors are Chronos's
 * `{ status, message }` (with `errors`, one per field): 400 for a bad body, an invalid job, a
 * cycle or an unknown parent; 404 for an unknown job.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Engine, Waiting } from './engine.js';
import { runHistory } from './history.js';
import { type JobState, type JobsState, activeRuns, awaitingRetry } from './state.js';
import { nextInstant } from './plan.js';

const MAX_BODY = 1 << 20;

export interface HttpOptions {
  readonly port: number;
  readonly host?: string;
  readonly log: Logger;
}

export interface JobsHttp {
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

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

/** What a job is doing now: `running` (a run's task runs), `queued` (a run is due and waits), `idle`. */
export function jobStatus(j: JobState, s: JobsState, w: Waiting | undefined): 'running' | 'queued' | 'idle' {
  const active = activeRuns(s, j.job.name);
  if (active.some((r) => !awaitingRetry(r))) return 'running';
  if (active.length > 0 || w !== undefined || j.pending.length > 0) return 'queued';
  return 'idle';
}

/** A job as Chronos returns it (its definition, unknown fields included, and its counters), and ours besides. */
export function jobView(j: JobState, s: JobsState, w: Waiting | undefined): Record<string, unknown> {
  const { parents, schedule, scheduleTimeZone, cron, ...rest } = j.job;
  const next = nextInstant(j);
  return {
    ...rest,
    executor: rest.executor ?? '',
    executorFlags: rest.executorFlags ?? '',
    successCount: j.successCount,
    errorCount: j.errorCount,
    lastSuccess: iso(j.lastSuccess),
    lastError: iso(j.lastError),
    errorsSinceLastSuccess: j.errorsSinceLastSuccess,
    highPriority: rest.highPriority ?? false,
    dataProcessingJobType: rest.dataProcessingJobType ?? false,
    constraints: rest.constraints ?? [],
    ...(j.kind === 'schedule' ? { ...(schedule !== undefined ? { schedule } : {}), scheduleTimeZone, ...(cron !== undefined ? { cron } : {}) } : { parents: parents ?? [] }),
    // Ours: what it does now, when it runs next, why it waits.
    state: jobStatus(j, s, w),
    nextRun: j.kind === 'schedule' && !j.job.disabled && next !== undefined ? iso(next) : null,
    ...(w !== undefined ? { waiting: { since: iso(w.since), reason: w.reason } } : {}),
    ...(j.lastSkip !== undefined ? { lastSkipped: { from: iso(j.lastSkip.from), to: iso(j.lastSkip.to), count: j.lastSkip.count, reason: j.lastSkip.reason, at: iso(j.lastSkip.at) } } : {}),
    skippedCount: j.skippedCount,
  };
}

const lastState = (j: JobState): 'fresh' | 'success' | 'failure' => {
  if (j.lastSuccess === undefined && j.lastError === undefined) return 'fresh';
  if (j.lastError === undefined) return 'success';
  if (j.lastSuccess === undefined) return 'failure';
  return j.lastSuccess > j.lastError ? 'success' : 'failure';
};

const dotId = (name: string): string => `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** The dependency graph in Graphviz DOT (each job a node, an edge from each parent to its child). */
export function graphDot(s: JobsState): string {
  const jobs = [...s.jobs.values()].sort((a, b) => (a.job.name < b.job.name ? -1 : 1));
  const lines = ['digraph G {'];
  for (const j of jobs) lines.push(`  ${dotId(j.job.name)} [ label = ${dotId(j.job.name)} ];`);
  for (const j of jobs) for (const p of j.job.parents ?? []) lines.push(`  ${dotId(p)} -> ${dotId(j.job.name)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, { status: 'Request Entity Too Large', message: `the body is larger than ${MAX_BODY} bytes` });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, { status: 'Bad Request', message: 'the body is empty: send the job as JSON', errors: [{ field: '', message: 'the body is empty' }] });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, { status: 'Bad Request', message: `the body is not JSON: ${(err as Error).message}`, errors: [{ field: '', message: (err as Error).message }] });
  }
}

const send = (res: ServerResponse, status: number, body?: unknown): void => {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' });
  res.end(text);
};

export function serveHttp(engine: Engine, o: HttpOptions): Promise<JobsHttp> {
  const log = o.log.child({ component: 'jobs-http' });
  let leaderAddr = '';

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const s = engine.state();
    const result = <T>(r: { ok: true; value: T } | { ok: false; status: number; body: unknown }): T => {
      if (!r.ok) throw new HttpError(r.status, r.body);
      return r.value;
    };
    const view = (j: JobState): Record<string, unknown> => jobView(j, s, engine.waiting().get(j.job.name));
    const byName = [...s.jobs.values()].sort((a, b) => (a.job.name < b.job.name ? -1 : 1));

    if (path === '/ping') return send(res, 200, 'pong');
    if ((path === '/v1/scheduler/iso8601' || path === '/v1/scheduler/dependency') && (method === 'POST' || method === 'PUT')) {
      result(await engine.defineJob(await readJson(req), path.endsWith('iso8601') ? 'schedule' : 'dependency'));
      return send(res, 204);
    }
    if (path === '/v1/scheduler/jobs' && method === 'GET') return send(res, 200, byName.map(view));
    if (path === '/v1/scheduler/jobs/search' && method === 'GET') {
      const name = url.searchParams.get('name');
      const command = url.searchParams.get('command');
      const any = url.searchParams.get('any');
      const limit = Number(url.searchParams.get('limit') ?? '') || Number.POSITIVE_INFINITY;
      const has = (x: string, q: string | null): boolean => q === null || x.toLowerCase().includes(q.toLowerCase());
      const hits = byName.filter((j) => has(j.job.name, name) && has(j.job.command, command) && (any === null || has(j.job.name, any) || has(j.job.command, any) || has(j.job.description, any)));
      return send(res, 200, hits.slice(0, limit).map(view));
    }
    if (path === '/v1/scheduler/graph/dot' && method === 'GET') return send(res, 200, graphDot(s));
    if (path === '/v1/scheduler/graph/csv' && method === 'GET') {
      const lines = byName.map((j) => `node,${j.job.name},${lastState(j)},${jobStatus(j, s, engine.waiting().get(j.job.name))}`);
      for (const j of byName) for (const p of j.job.parents ?? []) lines.push(`link,${p},${j.job.name}`);
      return send(res, 200, lines.map((l) => `${l}\n`).join(''));
    }
    if (path === '/v1/scheduler/leader' && method === 'GET') return send(res, 200, { leader: leaderAddr });
    const kill = /^\/v1\/scheduler\/task\/kill\/([^/]+)$/.exec(path);
    if (kill !== null && method === 'DELETE') {
      result(await engine.killRuns(decodeURIComponent(kill[1]!)));
      return send(res, 204);
    }
    const m = /^\/v1\/scheduler\/job\/([^/]+)(\/history)?$/.exec(path);
    if (m !== null) {
      const name = decodeURIComponent(m[1]!);
      if (m[2] === '/history') {
        if (method !== 'GET') throw new HttpError(405, { status: 'Method Not Allowed', message: `${method} ${path}: only GET` });
        if (!s.jobs.has(name)) throw new HttpError(404, { status: 'Not Found', message: `Job '${name}' not found` });
        const h = await engine.history(name);
        const runs = runHistory(
          h.map((x) => x.event),
          engine.frameworkId,
        );
        return send(res, 200, { name, frameworkId: engine.frameworkId, runs });
      }
      if (method === 'GET') {
        const j = s.jobs.get(name);
        if (j === undefined) throw new HttpError(404, { status: 'Not Found', message: `Job '${name}' not found` });
        return send(res, 200, view(j));
      }
      if (method === 'DELETE') {
        result(await engine.deleteJob(name));
        return send(res, 204);
      }
      if (method === 'PUT') {
        result(await engine.runNow(name));
        return send(res, 204);
      }
    }
    throw new HttpError(404, { status: 'Not Found', message: `no such endpoint: ${method} ${path}` });
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return send(res, err.status, err.body);
      log.error({ err, url: req.url }, 'jobs request failed');
      if (!res.headersSent) send(res, 500, { status: 'Internal Server Error', message: (err as Error).message });
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
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
