/**
 * state: `/master/state` of a large cluster (20,000 agents and 400,000 running tasks by default),
 * served by the master's own HTTP shell and handler over a projection folded here from a
 * cluster's log (bench/cluster-state.ts), with no NATS: what the endpoint costs, not the bus.
 *
 * Two handlers in the same run, alternating request by request:
 *   pieces  what masters serve (kernel/shell/http/state-text.ts): each task's and agent's JSON
 *           kept between requests and made again only when it changed, sent in ~1 MB chunks;
 *   tree    the earlier way: masterStateJson's object tree, JSON.stringify'd whole in one go.
 * Between two requests `changes` tasks get a status update (TASK_RUNNING again, as a health
 * check result would), so the kept pieces are not all reusable. Measured per request: the time to
 * the last byte, and the longest the event loop was held (a 5 ms timer's worst lateness while the
 * request ran): the fold and the allocator share that thread, so that is what they wait.
 * The first `pieces` request (nothing kept yet) is reported apart. Both bodies must be equal.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { pino } from 'pino';
import { type EventOf, SCHEMA_VERSION } from '../events/index.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import type { State, TaskState } from '../kernel/core/state.js';
import { type Reply, json, startHttpApi } from '../kernel/shell/http/server.js';
import { type MasterIdentity, masterStateJson } from '../kernel/shell/http/state-json.js';
import { masterStateText } from '../kernel/shell/http/state-text.js';
import { clusterEvents } from './cluster-state.js';
import { collectGarbage } from './gc.js';
import { Prng } from './prng.js';
import { latencySummary, metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface MasterStateBenchOptions {
  readonly agents: number;
  readonly tasks: number;
  /** Requests of each handler (after the first, cold, `pieces` request). */
  readonly requests: number;
  /** Tasks that get a status update between two requests. */
  readonly changes: number;
  readonly seed: number;
}

export const defaultMasterStateOptions = (): MasterStateBenchOptions => ({ agents: 20_000, tasks: 400_000, requests: 8, changes: 1_000, seed: 7 });

const ME: MasterIdentity = { id: 'bench-master', hostname: 'bench', ip: '127.0.0.1', port: 5050, version: '1.11.0', startTime: Date.now(), electedTime: Date.now(), flags: {} };

function fetchBody(port: number, path: string): Promise<{ ms: number; bytes: Buffer }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // A connection per request: the handlers run in this process, and a keep-alive connection idle
    // while one of them holds the loop for over 5 s would be closed under the next request.
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - t0, bytes: Buffer.concat(chunks) }) : reject(new SanityError(`${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The worst lateness of a 5 ms timer while `run` runs: how long the event loop was held at most. */
async function worstStall<T>(run: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  try {
    const value = await run();
    worst = Math.max(worst, performance.now() - last - 5);
    return { value, stallMs: Math.max(0, worst) };
  } finally {
    clearInterval(timer);
  }
}

function touch(state: State, tasks: readonly TaskState[], n: number, rng: Prng): void {
  for (let i = 0; i < n; i++) {
    const t = tasks[rng.int(0, tasks.length - 1)]!;
    const at = Date.now();
    const e: EventOf<'TaskStatusUpdated'> = {
      type: 'TaskStatusUpdated',
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      time: at,
      status: { agentId: t.agentId, frameworkId: t.frameworkId, taskId: t.taskId, executorId: t.taskId as string as never, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: randomUUID(), timestamp: at, healthy: rng.int(0, 1) === 0 },
    } as EventOf<'TaskStatusUpdated'>;
    evolve(state, e);
  }
}

export async function runMasterStateBench(o: MasterStateBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const frameworkIds = Array.from({ length: 10 }, (_, j) => `bench-fw-${String(j).padStart(4, '0')}` as never);
  ctx.progress(`state: folding a cluster of ${o.agents.toLocaleString('en-US')} agents and ${o.tasks.toLocaleString('en-US')} tasks`);
  const state = initialState();
  let events = 0;
  for (const e of clusterEvents({ agents: o.agents, tasks: o.tasks, frameworkIds, frameworkName: (j) => `bench-${j}`, seed: o.seed })) {
    evolve(state, e);
    events++;
  }
  const tasks = [...state.tasks.values()];
  if (tasks.length !== o.tasks) throw new SanityError(`folded ${tasks.length} tasks, expected ${o.tasks}`);
  collectGarbage();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;

  const routes = [
    { method: 'GET' as const, path: '/pieces', handler: (): Reply => ({ status: 200, pieces: masterStateText(state, ME) }) },
    { method: 'GET' as const, path: '/tree', handler: (): Reply => json(masterStateJson(state, ME)) },
  ];
  const api = await startHttpApi({ ip: '127.0.0.1', port: 0, routes, log: pino({ level: 'silent' }) });
  const rng = new Prng(o.seed);
  const ms = { pieces: [] as number[], tree: [] as number[] };
  const stall = { pieces: [] as number[], tree: [] as number[] };
  let bytes = 0;
  let cold = { ms: 0, stallMs: 0 };
  try {
    ctx.progress('state: first request (nothing kept yet)');
    const first = await worstStall(() => fetchBody(api.port, '/pieces'));
    cold = { ms: first.value.ms, stallMs: first.stallMs };
    bytes = first.value.bytes.length;
    for (let i = 0; i < o.requests; i++) {
      for (const kind of i % 2 === 0 ? (['pieces', 'tree'] as const) : (['tree', 'pieces'] as const)) {
        touch(state, tasks, o.changes, rng);
        collectGarbage();
        const r = await worstStall(() => fetchBody(api.port, `/${kind}`));
        ms[kind].push(r.value.ms);
        stall[kind].push(r.stallMs);
      }
      ctx.progress(`state: request ${i + 1}/${o.requests}: pieces ${ms.pieces.at(-1)!.toFixed(0)} ms (held the loop ${stall.pieces.at(-1)!.toFixed(0)} ms), tree ${ms.tree.at(-1)!.toFixed(0)} ms (held ${stall.tree.at(-1)!.toFixed(0)} ms)`);
    }
    // The two must say the same thing.
    const a = await fetchBody(api.port, '/pieces');
    const b = await fetchBody(api.port, '/tree');
    if (!a.bytes.equals(b.bytes)) throw new SanityError('the pieces body differs from the tree body');
  } finally {
    await api.close();
  }
  const p = latencySummary(ms.pieces);
  const t = latencySummary(ms.tree);
  return {
    name: 'state',
    params: { agents: o.agents, tasks: o.tasks, requests: o.requests, changes: o.changes, seed: o.seed },
    metrics: {
      'pieces: request, p50': metric('ms', [p.p50], { better: 'lower' }),
      'pieces: request, p99': metric('ms', [p.p99], { better: 'lower' }),
      'pieces: event loop held, max': metric('ms', [Math.max(...stall.pieces)], { better: 'lower' }),
      'pieces: first request (cold)': metric('ms', [cold.ms], { better: 'lower' }),
      'tree: request, p50': metric('ms', [t.p50], { better: 'lower' }),
      'tree: request, p99': metric('ms', [t.p99], { better: 'lower' }),
      'tree: event loop held, max': metric('ms', [Math.max(...stall.tree)], { better: 'lower' }),
      'tree ÷ pieces, p50': metric('ratio', [t.p50 / p.p50], { better: 'higher' }),
    },
    notes: [
      `projection: ${events.toLocaleString('en-US')} events folded; ${heapMb.toFixed(0)} MiB of heap after GC; body ${(bytes / 2 ** 20).toFixed(0)} MiB`,
      `${o.changes.toLocaleString('en-US')} tasks got a status update before each request; requests alternate pieces/tree (the order swapped each round)`,
      `first pieces request (every piece made): ${cold.ms.toFixed(0)} ms, held the event loop ${cold.stallMs.toFixed(0)} ms`,
      'no NATS here: the master\'s HTTP shell and handler over an in-memory projection, requests from this process over loopback',
    ],
    details: { ms, stall, cold },
    wallMs: performance.now() - started,
  };
}
