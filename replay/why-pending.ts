/**
 * `mesos replay why-pending`: why a framework's demand is not met. Folds the log (reading only)
 * and reports, for each framework asked about, what it still wants (its REQUEST, or a demand given
 * on the command line), the reasons the allocator recorded in the log (DemandUnmet: when, at which
 * sequence, and how they changed), and the reasons it would give now, at the end of the history
 * read. A demand that is not in the log (`--demand mem:100000`) is explained against the state as
 * if the framework had asked for it.
 */
import type { FrameworkId, Resources } from '../events/index.js';
import { type Demand, demandOf, explainPending } from '../kernel/core/allocator/why.js';
import * as R from '../kernel/core/resources.js';
import type { FrameworkState, PendingReason, State } from '../kernel/core/state.js';
import { ReplayError } from './errors.js';
import { foldTo } from './fold.js';
import type { ProgressOutput } from './progress.js';
import type { LogSource } from './source.js';

export interface WhyPendingOptions {
  /** A framework id, or a unique prefix of one, or a framework name. */
  readonly framework?: string;
  /** Only the requests with this name. */
  readonly taskName?: string;
  /** A demand to explain (not from the log), e.g. `mem:100000`. */
  readonly demand?: Resources;
  readonly role?: string;
  /** Fold up to and including this sequence (default: the head). */
  readonly toSeq?: number;
  readonly progress?: ProgressOutput | null;
}

export interface RecordedReasons {
  readonly seq: number;
  readonly time: number;
  readonly reasons: readonly PendingReason[];
}

export interface FrameworkReport {
  readonly frameworkId: FrameworkId;
  readonly name: string;
  readonly status: string;
  readonly roles: readonly string[];
  readonly demand: readonly { name?: string | undefined; role: string; agentId?: string | undefined; resources: string }[];
  /** Every DemandUnmet the leader recorded for it, oldest first. */
  readonly recorded: readonly RecordedReasons[];
  /** The reasons the allocator would give at the end of the history read. */
  readonly now: readonly PendingReason[];
}

export interface WhyPendingReport {
  readonly seq: number;
  readonly time: number;
  readonly frameworks: readonly FrameworkReport[];
}

/**
 * Fold the log up to `toSeq` (default: the head), keeping every DemandUnmet by framework. The fold
 * starts at the first event, not at a snapshot: the history of the reasons is the point.
 */
export async function whyPending(source: LogSource, o: WhyPendingOptions = {}): Promise<WhyPendingReport> {
  const head = await source.head();
  const to = Math.min(o.toSeq ?? head.last, head.last);
  const recorded = new Map<FrameworkId, RecordedReasons[]>();
  let stale = 0;
  const r = await foldTo(source, {
    to,
    useSnapshots: false,
    progress: o.progress ?? null,
    label: 'why-pending',
    before: (_entry, state) => {
      stale = state.counters.staleDecisionsIgnored;
    },
    after: (entry, state) => {
      const e = entry.decoded.ok ? entry.decoded.event : undefined;
      // A DemandUnmet of a deposed leader is ignored by the fold, and here too.
      if (e?.type !== 'DemandUnmet' || state.counters.staleDecisionsIgnored !== stale) return;
      const list = recorded.get(e.frameworkId) ?? [];
      list.push({ seq: entry.seq, time: e.time, reasons: e.reasons });
      recorded.set(e.frameworkId, list);
    },
  });
  return report(r.state, r.seq, recorded, o);
}

/** The report for a folded state (exported for tests that fold in memory). */
export function report(state: State, seq: number, recorded: ReadonlyMap<FrameworkId, readonly RecordedReasons[]>, o: WhyPendingOptions = {}): WhyPendingReport {
  const all = [...state.frameworks.values(), ...state.completedFrameworks];
  let chosen: FrameworkState[];
  if (o.framework !== undefined) {
    const q = o.framework;
    const exact = all.filter((f) => f.id === q || f.info.name === q);
    const byPrefix = exact.length > 0 ? exact : all.filter((f) => f.id.startsWith(q));
    if (byPrefix.length === 0) throw new ReplayError('NOT_FOUND', `no framework ${q} in the log (by id, id prefix or name)`);
    if (byPrefix.length > 1) throw new ReplayError('BAD_POINT', `${q} names ${byPrefix.length} frameworks: ${byPrefix.map((f) => f.id).join(', ')}; give more of the id`);
    chosen = byPrefix;
  } else {
    chosen = all.filter((f) => f.demand.length > 0 || recorded.has(f.id) || o.demand !== undefined);
  }
  const frameworks = chosen.map((f): FrameworkReport => {
    let demand: Demand[] =
      o.demand !== undefined ? [{ name: o.taskName, role: o.role ?? f.info.roles[0] ?? '*', resources: o.demand }] : f.status === 'REMOVED' ? [] : demandOf(state, f);
    if (o.taskName !== undefined && o.demand === undefined) demand = demand.filter((d) => d.name === o.taskName);
    const now = f.status === 'REMOVED' ? [] : explainPending(state, state.time, f, demand);
    const history = (recorded.get(f.id) ?? []).filter((r) => o.taskName === undefined || r.reasons.length === 0 || r.reasons.some((x) => x.demand === o.taskName));
    return {
      frameworkId: f.id,
      name: f.info.name,
      status: f.status,
      roles: f.info.roles,
      demand: demand.map((d) => ({ name: d.name, role: d.role, agentId: d.agentId, resources: R.format(d.resources) })),
      recorded: history,
      now,
    };
  });
  return { seq, time: state.time, frameworks };
}

const iso = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '-');

/** The report as a person reads it. */
export function formatReport(r: WhyPendingReport): string {
  const lines: string[] = [];
  if (r.frameworks.length === 0) lines.push('no framework has unmet demand recorded in the log (give --framework, or --demand to ask about one)');
  for (const f of r.frameworks) {
    lines.push(`framework ${f.frameworkId} (${f.name}), ${f.status.toLowerCase()}, roles ${f.roles.join(', ')}`);
    if (f.demand.length === 0) lines.push('  demand: none stated (REQUEST), and it holds offers or has declined some');
    for (const d of f.demand) lines.push(`  demand: ${d.name !== undefined ? `${d.name} = ` : ''}${d.resources} for role ${d.role}${d.agentId !== undefined ? ` on agent ${d.agentId}` : ''}`);
    if (f.recorded.length === 0) lines.push('  recorded: no reasons recorded in the log');
    for (const rec of f.recorded) {
      lines.push(`  recorded at seq ${rec.seq} (${iso(rec.time)}):${rec.reasons.length === 0 ? ' demand met or withdrawn' : ''}`);
      for (const x of rec.reasons) lines.push(`    ${x.code}: ${x.message}`);
    }
    lines.push(`  now (seq ${r.seq}, ${iso(r.time)}):${f.now.length === 0 ? ' nothing in the way' : ''}`);
    for (const x of f.now) lines.push(`    ${x.code}: ${x.message}`);
  }
  return lines.join('\n');
}
