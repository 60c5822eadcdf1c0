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
 *   GET /replay/timeline?task=ID[&framework=ID] | ?agent=ID | ?framework=ID   (as `mesos replay timeline`)
 *   GET /replay/why-pending[?framework=ID|NAME][&at=POINT]                    (as `mesos replay why-pending`)
 *   GET /replay/diff?from=POINT[&to=POINT]                                     (as `mesos replay diff --json`)
 *   GET /replay/verify[?wait=true]                                            (as `mesos replay verify`, kept up to date)
 *
 * The last four read every framework and task of the log, so under view ACLs they are served only
 * to a principal allowed to view every framework, task and executor (as the operator event stream).
 * Verify runs in the background, one pass that resumes where it stopped: a request answers at once
 * with the newest result and starts a pass over what the log gained since. The series is sampled
 * from that same fold as it goes (every `stride` events, at most 2,000 samples kept), so asking
 * for it again after the head moved folds only the new events, and waits on no other history call.
 */
import { secretMaskingReplacer } from '../events/index.js';
import { cloneState } from '../kernel/core/state.js';
import { type Acls, authorize, denial, restricts } from '../security/http/index.js';
import { DiffTrail, diffStates } from './diff.js';
import { TimelineCollector, type TimelineTarget } from './timeline.js';
import { Verifier, type VerifyReport } from './verify.js';
import { formatReport, whyPending } from './why-pending.js';
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
/** Series samples kept (every `stride` events; the stride doubles when they would be more). */
const SERIES_KEPT = 2 * SERIES_MAX_POINTS;
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

/** Undefined when `principal` may view everything; else the 403 text. */
function wholeLogDenied(acls: Acls, principal: string | undefined): string | undefined {
  for (const action of ['view_frameworks', 'view_tasks', 'view_executors'] as const) {
    if (!restricts(acls, action)) continue;
    const d = authorize(acls, action, principal, undefined);
    if (!d.allowed) return `${denial(action, principal, undefined, d)} (this endpoint reads every framework and task of the log: it is served only to principals the ACLs let view every framework, task and executor)`;
  }
  return undefined;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/**
 * The totals of the cluster every `stride` events since `from`, sampled from the verifier's fold as
 * the background verify pass reads the log: a chart over the whole log costs each event one fold,
 * once, however often it is asked for (not a fold of the whole log each time the head moves).
 */
class SeriesSamples {
  from = 0;
  stride = 1;
  readonly samples: { seq: number; storedAt: number; values: Record<string, number> }[] = [];

  note(seq: number, storedAt: number, s: State): void {
    if (this.from === 0) this.from = seq;
    if ((seq - this.from) % this.stride !== 0) return;
    this.samples.push({ seq, storedAt, values: seriesPoint(s) });
    if (this.samples.length <= SERIES_KEPT) return;
    this.stride *= 2;
    let kept = 0;
    for (const x of this.samples) if ((x.seq - this.from) % this.stride === 0) this.samples[kept++] = x;
    this.samples.length = kept;
  }
}

/** The verify pass kept by a master: the verifier fed up to `seq`, and the newest report. */
interface VerifyRunState {
  readonly verifier: Verifier;
  seq: number;
  /** When the log stored `seq`. */
  storedAt: number;
  malformed: number;
  running: Promise<void> | null;
  report: Omit<VerifyReport, 'state'> | null;
  startedAt: number;
  finishedAt: number;
  /** CPU-free wall time spent reading and checking, over every pass (ms). */
  ms: number;
  error: string | null;
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
  const series = new SeriesSamples();

  const stateAt = async (seq: number): Promise<{ state: State; snapshot: number | null; malformed: number }> => {
    const hit = states.get(seq);
    if (hit !== undefined) return hit;
    const r = await foldTo(source, { to: seq, useSnapshots: true });
    const v = { state: r.state, snapshot: r.snapshotSeq, malformed: r.codec.malformed };
    states.set(seq, v);
    if (states.size > CACHED_STATES) states.delete(states.keys().next().value!);
    return v;
  };

  const badPoint = (err: unknown, flag = 'at'): never => {
    if (err instanceof ReplayError && (err.code === 'BAD_POINT' || err.code === 'NOT_FOUND')) throw new HttpError(err.code === 'NOT_FOUND' ? 404 : 400, err.message.replace(new RegExp(`^--${flag} `), `${flag}=`));
    throw err;
  };
  const pointOf = async (text: string, flag: string, head: Awaited<ReturnType<typeof source.head>>) => {
    try {
      return await resolvePoint(source, parsePoint(text, flag), head, flag);
    } catch (err) {
      return badPoint(err, flag);
    }
  };
  const mustSeeAll = (principal: string | undefined): void => {
    const denied = wholeLogDenied(m.acls, principal);
    if (denied !== undefined) throw new HttpError(403, denied);
  };

  const verify: VerifyRunState = { verifier: new Verifier({}), seq: 0, storedAt: 0, malformed: 0, running: null, report: null, startedAt: 0, finishedAt: 0, ms: 0, error: null };
  /** One pass over what the log gained since the last: reads in batches, so the master keeps serving. */
  const verifyPass = (): Promise<void> => {
    if (verify.running !== null) return verify.running;
    verify.startedAt = Date.now();
    const p = (async () => {
      const started = performance.now();
      try {
        const head = await source.head();
        if (head.last > verify.seq) {
          for await (const entry of source.read({ from: verify.seq + 1, to: head.last })) {
            if (entry.decoded.ok) verify.verifier.feed(entry.seq, entry.decoded.event, { subject: entry.subject, storedAt: entry.storedAt });
            else {
              verify.verifier.skip(entry.seq);
              verify.malformed++;
            }
            verify.seq = entry.seq;
            verify.storedAt = entry.storedAt;
            series.note(entry.seq, entry.storedAt, verify.verifier.folded);
          }
        }
        const { state: _state, ...report } = verify.verifier.reportSoFar();
        verify.report = report;
        verify.error = null;
      } catch (err) {
        verify.error = (err as Error).message;
        m.log.warn({ err }, 'the background replay verify failed');
      } finally {
        verify.ms += performance.now() - started;
        verify.finishedAt = Date.now();
        verify.running = null;
      }
    })();
    verify.running = p;
    return p;
  };
  const verifyBody = async () => {
    const head = await source.head();
    return {
      head: head.last,
      checked_seq: verify.seq,
      running: verify.running !== null,
      started_at: iso(verify.startedAt),
      finished_at: iso(verify.finishedAt),
      ms: Math.round(verify.ms),
      malformed: verify.malformed,
      error: verify.error,
      report: verify.report,
    };
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
      path: '/replay/timeline',
      handler: async (_req, url, ctx) => {
        mustSeeAll(ctx.principal);
        const task = url.searchParams.get('task');
        const agent = url.searchParams.get('agent');
        const framework = url.searchParams.get('framework');
        let target: TimelineTarget;
        if (task !== null && task !== '') target = { kind: 'task', taskId: task, ...(framework !== null && framework !== '' ? { frameworkId: framework } : {}) };
        else if (agent !== null && agent !== '') target = { kind: 'agent', agentId: agent };
        else if (framework !== null && framework !== '') target = { kind: 'framework', frameworkId: framework };
        else throw new HttpError(400, 'give task=ID (and framework=ID when the task id is used by more than one), agent=ID or framework=ID');
        return serial(async () => {
          const head = await source.head();
          const c = new TimelineCollector(target);
          if (head.last > 0) await foldTo(source, { to: head.last, useSnapshots: false, before: (e, s) => c.before(e, s), after: (e, s) => c.after(e, s) });
          return masked({
            head: head.last,
            target,
            lines: c.lines.map((l) => ({
              seq: l.seq,
              storedAt: iso(l.storedAt),
              time: iso(l.time),
              type: l.type,
              subject: l.subject,
              summary: l.summary,
              direct: l.direct,
              effects: l.effects,
              ...(l.ignored !== undefined ? { ignored: l.ignored } : {}),
              ...(l.task !== undefined ? { task: l.task } : {}),
              event: l.event,
            })),
          });
        });
      },
    },
    {
      method: 'GET',
      path: '/replay/why-pending',
      handler: async (_req, url, ctx) => {
        mustSeeAll(ctx.principal);
        const framework = url.searchParams.get('framework') ?? undefined;
        const at = url.searchParams.get('at') ?? 'head';
        return serial(async () => {
          const head = await source.head();
          const point = await pointOf(at, 'at', head);
          let r;
          try {
            r = await whyPending(source, { ...(framework !== undefined && framework !== '' ? { framework } : {}), toSeq: point.seq });
          } catch (err) {
            return badPoint(err, 'framework');
          }
          return masked({ ...r, at: point.label, text: formatReport(r) });
        });
      },
    },
    {
      method: 'GET',
      path: '/replay/diff',
      handler: async (_req, url, ctx) => {
        mustSeeAll(ctx.principal);
        const fromText = url.searchParams.get('from');
        if (fromText === null || fromText.trim() === '') throw new HttpError(400, 'from= is required (and to=, default the head): a log sequence, a time with a zone, ms:<ms> or head');
        return serial(async () => {
          const head = await source.head();
          const from = await pointOf(fromText, 'from', head);
          const to = await pointOf(url.searchParams.get('to') ?? 'head', 'to', head);
          if (from.seq > to.seq) throw new HttpError(400, `from= ${from.label} is after to= ${to.label}`);
          const a = await foldTo(source, { to: from.seq, useSnapshots: true });
          const before = cloneState(a.state);
          const trail = new DiffTrail(before);
          const b = await foldTo(source, {
            to: to.seq,
            from: { state: a.state, seq: a.seq },
            before: (entry, s) => trail.before(s, (entry.decoded as { ok: true; event: never }).event),
            after: (_entry, s) => trail.after(s),
          });
          const point = (p: typeof from) => ({ seq: p.seq, storedAt: iso(p.storedAt), label: p.label });
          return masked({ from: point(from), to: point(to), ...diffStates(before, b.state, trail, b.codec.malformed) });
        });
      },
    },
    {
      method: 'GET',
      path: '/replay/verify',
      handler: async (_req, url, ctx) => {
        mustSeeAll(ctx.principal);
        const head = await source.head();
        const pass = head.last > verify.seq || verify.report === null ? verifyPass() : null;
        if (url.searchParams.get('wait') === 'true' && pass !== null) await pass;
        return masked(await verifyBody());
      },
    },
    {
      method: 'GET',
      path: '/replay/series',
      handler: async (_req, url) => {
        const points = Number(url.searchParams.get('points') ?? 200);
        if (!Number.isInteger(points) || points < 2 || points > SERIES_MAX_POINTS) throw new HttpError(400, `points= must be a whole number from 2 to ${SERIES_MAX_POINTS}`);
        const head = await source.head();
        // The background verify pass folds what the log gained; the samples come from its fold.
        while (verify.seq < head.last) {
          const before = verify.seq;
          await verifyPass();
          if (verify.error !== null) throw new HttpError(503, `cannot read the cluster log for the series: ${verify.error}`);
          if (verify.seq === before) break; // the log holds nothing more up to that head
        }
        const kept = series.samples;
        const pick = Math.max(1, Math.ceil(kept.length / (points - 1)));
        const out: { seq: number; storedAt: string | null; values: Record<string, number> }[] = [];
        const push = (x: { seq: number; storedAt: number; values: Record<string, number> }): void => {
          out.push({ seq: x.seq, storedAt: iso(x.storedAt), values: x.values });
        };
        // Up to where the fold is now (the head read above, or later when a pass went on past it).
        const at = verify.seq;
        for (let i = 0; i < kept.length; i += pick) push(kept[i]!);
        if (at > 0 && (out.at(-1)?.seq ?? 0) < at) push({ seq: at, storedAt: verify.storedAt, values: seriesPoint(verify.verifier.folded) });
        return masked({ head: at, every: series.stride * pick, metrics: SERIES_METRICS.map((k) => k.slice('master/'.length)), points: out });
      },
    },
  ];
}
