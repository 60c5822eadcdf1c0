/**
 * History over HTTP, served by every master (`mesos master` adds these routes): the state of the
 * cluster at any point of its log, folded by the same code as `mesos replay state --at` (the
 * nearest snapshot at or before the point, then the events after it), and a series of the
 * cluster's totals over the whole log for charts. Read only; the state is filtered by the view
 * ACLs (`view_frameworks`, `view_tasks`, `view_executors`, `get_quotas`) for the principal, as
 * `/master/state` is. The web UI's time travel uses these, and any client can.
 *
 *   GET /replay/state?at=POINT[&view=master|operator]
 *   GET /replay/series[?points=N]
 */
import { secretMaskingReplacer } from '../events/index.js';
import { type Route, type Reply, HttpError } from '../kernel/shell/http/server.js';
import type { MasterServices } from '../kernel/shell/master/index.js';
import { metricsSnapshot } from '../kernel/shell/http/metrics.js';
import * as OV from '../kernel/shell/operator-api/views.js';
import type { State } from '../kernel/core/state.js';
import { viewableState } from '../security/http/index.js';
import { ReplayError } from './errors.js';
import { foldTo } from './fold.js';
import { parsePoint, resolvePoint } from './point.js';
import { busSource } from './source.js';
import { masterView } from './views.js';

export const HTTP_STATE_VIEWS = ['master', 'operator'] as const;
export type HttpStateView = (typeof HTTP_STATE_VIEWS)[number];

/** The operator calls' answers at a point, keyed by call (as GET_STATE answers `get_state`). */
export function operatorView(s: State): Record<string, unknown> {
  return {
    get_state: OV.getState(s),
    get_roles: OV.getRoles(s),
    get_weights: OV.getWeights(s),
    get_quota: OV.getQuota(s),
    get_maintenance_schedule: OV.getMaintenanceSchedule(s),
    get_maintenance_status: OV.getMaintenanceStatus(s),
  };
}

/** The numbers of a series point, from the same gauges /metrics/snapshot serves. */
export const SERIES_METRICS = [
  'master/cpus_total',
  'master/cpus_used',
  'master/mem_total',
  'master/mem_used',
  'master/disk_total',
  'master/disk_used',
  'master/gpus_total',
  'master/gpus_used',
  'master/slaves_active',
  'master/frameworks_active',
  'master/tasks_running',
  'master/tasks_staging',
  'master/tasks_finished',
  'master/tasks_failed',
  'master/tasks_killed',
  'master/outstanding_offers',
] as const;

const SERIES_MAX_POINTS = 1000;
const CACHED_STATES = 8;

/** JSON with secret values masked, as `mesos replay state` prints it. */
const masked = (body: unknown): Reply => ({ status: 200, text: JSON.stringify(body, secretMaskingReplacer), headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });

function seriesPoint(s: State): Record<string, number> {
  const m = metricsSnapshot(s, {
    elected: false,
    uptimeSecs: 0,
    allocationRuns: 0,
    allocationRunMs: [],
    malformedMessages: 0,
    eventsFolded: 0,
    logSeq: 0,
    snapshotLoadedSeq: 0,
    snapshotWrittenSeq: 0,
  });
  const out: Record<string, number> = {};
  for (const k of SERIES_METRICS) out[k.slice('master/'.length)] = m[k] ?? 0;
  return out;
}

export function replayRoutes(m: MasterServices): Route[] {
  const source = busSource(m.bus, 'the cluster log', m.log.child({ component: 'replay-http' }));
  // States by sequence: a slider moved back and forth folds each point once.
  const states = new Map<number, { state: State; snapshot: number | null; malformed: number }>();
  // One fold at a time: a slider dragged fast queues its points instead of running folds in parallel.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };
  let series: { head: number; points: number; body: unknown } | null = null;

  const stateAt = async (seq: number): Promise<{ state: State; snapshot: number | null; malformed: number }> => {
    const hit = states.get(seq);
    if (hit !== undefined) return hit;
    const r = await foldTo(source, { to: seq, useSnapshots: true });
    const v = { state: r.state, snapshot: r.snapshotSeq, malformed: r.codec.malformed };
    states.set(seq, v);
    if (states.size > CACHED_STATES) states.delete(states.keys().next().value!);
    return v;
  };

  const badPoint = (err: unknown): never => {
    if (err instanceof ReplayError && err.code === 'BAD_POINT') throw new HttpError(400, err.message.replace(/^--at /, 'at='));
    throw err;
  };

  return [
    {
      method: 'GET',
      path: '/replay/state',
      handler: async (_req, url, ctx) => {
        const at = url.searchParams.get('at');
        if (at === null || at.trim() === '') throw new HttpError(400, 'at= is required: a log sequence (1234), a time with a zone (2026-12-01T08:00:00Z), ms:<ms since the epoch> or head');
        const view = url.searchParams.get('view') ?? 'master';
        if (!(HTTP_STATE_VIEWS as readonly string[]).includes(view)) throw new HttpError(400, `view=${view}: expected one of ${HTTP_STATE_VIEWS.join(', ')}`);
        return serial(async () => {
          const head = await source.head();
          let point;
          try {
            point = await resolvePoint(source, parsePoint(at, 'at'), head, 'at');
          } catch (err) {
            return badPoint(err);
          }
          const r = await stateAt(point.seq);
          const seen = viewableState(r.state, m.acls, ctx.principal);
          return masked({
            seq: point.seq,
            storedAt: point.storedAt > 0 ? new Date(point.storedAt).toISOString() : null,
            at: point.label,
            snapshot: r.snapshot,
            malformed: r.malformed,
            head: { first: head.first, last: head.last, lastStoredAt: head.lastStoredAt > 0 ? new Date(head.lastStoredAt).toISOString() : null },
            view,
            state: view === 'master' ? masterView(seen) : operatorView(seen),
          });
        });
      },
    },
    {
      method: 'GET',
      path: '/replay/series',
      handler: async (_req, url) => {
        const points = Number(url.searchParams.get('points') ?? 200);
        if (!Number.isInteger(points) || points < 2 || points > SERIES_MAX_POINTS) throw new HttpError(400, `points= must be a whole number from 2 to ${SERIES_MAX_POINTS}`);
        return serial(async () => {
          const head = await source.head();
          if (series !== null && series.head === head.last && series.points === points) return masked(series.body);
          // Whole-cluster totals only (no framework or task detail): one fold of the whole log.
          const from = Math.max(1, head.first);
          const span = Math.max(1, head.last - from + 1);
          const every = Math.max(1, Math.ceil(span / (points - 1)));
          const out: { seq: number; storedAt: string | null; values: Record<string, number> }[] = [];
          const take = (seq: number, storedAt: number, s: State): void => {
            out.push({ seq, storedAt: storedAt > 0 ? new Date(storedAt).toISOString() : null, values: seriesPoint(s) });
          };
          if (head.last > 0) {
            await foldTo(source, {
              to: head.last,
              useSnapshots: false,
              after: (e, s) => {
                if ((e.seq - from) % every === 0 || e.seq === head.last) take(e.seq, e.storedAt, s);
              },
            });
          }
          const body = { head: head.last, every, metrics: SERIES_METRICS.map((k) => k.slice('master/'.length)), points: out };
          series = { head: head.last, points, body };
          return masked(body);
        });
      },
    },
  ];
}
