/**
 * `/metrics/snapshot`: a flat map of Mesos metric names to numbers, for what exists here.
 * Gauges come from the projection; counters from the fold's deterministic counters and from the
 * process's own run-time statistics (allocation runs, events folded, malformed messages).
 */
import { clusterTotals, dominantShare } from '../../core/allocator/index.js';
import { roleViews } from './roles-json.js';
import * as R from '../../core/resources.js';
import type { State } from '../../core/state.js';

export interface RuntimeStats {
  readonly elected: boolean;
  readonly uptimeSecs: number;
  readonly allocationRuns: number;
  /** Durations of recent allocation runs (ms). */
  readonly allocationRunMs: readonly number[];
  /** Durations of recent whole cycles, until their events were in the log and folded (ms). */
  readonly allocationCycleMs?: readonly number[];
  /** Agents the last cycle looked at, and whether that was all of them (no memo to go by). */
  readonly allocationLastCandidates?: number;
  readonly allocationLastFull?: boolean;
  /** Allocator runs of this master as a standby, only to keep its memo warm. */
  readonly standbyWarmRuns?: number;
  readonly malformedMessages: number;
  readonly eventsFolded: number;
  readonly logSeq: number;
  /** The sequence of the snapshot this master started from (0: none). */
  readonly snapshotLoadedSeq: number;
  /** The sequence of the last snapshot this master wrote as leader (0: none). */
  readonly snapshotWrittenSeq: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const TASK_GAUGES = [
  ['staging', 'TASK_STAGING'],
  ['starting', 'TASK_STARTING'],
  ['running', 'TASK_RUNNING'],
  ['killing', 'TASK_KILLING'],
  ['unreachable', 'TASK_UNREACHABLE'],
] as const;
const TASK_COUNTERS = [
  ['finished', 'TASK_FINISHED'],
  ['failed', 'TASK_FAILED'],
  ['killed', 'TASK_KILLED'],
  ['lost', 'TASK_LOST'],
  ['error', 'TASK_ERROR'],
  ['dropped', 'TASK_DROPPED'],
  ['gone', 'TASK_GONE'],
  ['gone_by_operator', 'TASK_GONE_BY_OPERATOR'],
] as const;

export function metricsSnapshot(state: State, rt: RuntimeStats): Record<string, number> {
  const m: Record<string, number> = {};
  const agents = [...state.agents.values()];
  const frameworks = [...state.frameworks.values()];
  m['master/elected'] = rt.elected ? 1 : 0;
  m['master/uptime_secs'] = rt.uptimeSecs;
  m['master/slaves_active'] = agents.filter((a) => a.status === 'ACTIVE').length;
  m['master/slaves_inactive'] = agents.filter((a) => a.status !== 'ACTIVE').length;
  m['master/slaves_connected'] = agents.filter((a) => a.status === 'ACTIVE').length;
  m['master/slaves_disconnected'] = agents.filter((a) => a.status === 'DISCONNECTED').length;
  m['master/slaves_unreachable'] = agents.filter((a) => a.status === 'REMOVED').length;
  m['master/slave_registrations'] = state.counters.slaveRegistrations;
  m['master/slave_reregistrations'] = state.counters.slaveReregistrations;
  m['master/slave_removals'] = state.counters.slaveRemovals;
  m['master/frameworks_active'] = frameworks.filter((f) => f.status === 'ACTIVE').length;
  m['master/frameworks_inactive'] = frameworks.filter((f) => f.status !== 'ACTIVE').length;
  m['master/frameworks_connected'] = m['master/frameworks_active'];
  m['master/frameworks_disconnected'] = m['master/frameworks_inactive'];
  m['master/outstanding_offers'] = state.offers.size;

  const byState = new Map<string, number>();
  for (const t of state.tasks.values()) byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
  for (const [name, st] of TASK_GAUGES) m[`master/tasks_${name}`] = byState.get(st) ?? 0;
  for (const [name, st] of TASK_COUNTERS) m[`master/tasks_${name}`] = state.counters.tasksReached[st] ?? 0;

  const totals = clusterTotals(state);
  const used = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const a of agents) {
    if (a.status !== 'ACTIVE') continue;
    for (const r of ['cpus', 'mem', 'disk', 'gpus'] as const) used[r] += R.scalar(a.used, r);
  }
  // Not in Mesos: what is offered now (the web UI's live totals read it; the event stream does not carry offers).
  const offered = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const o of state.offers.values()) for (const r of ['cpus', 'mem', 'disk', 'gpus'] as const) offered[r] += R.scalar(o.resources, r);
  for (const r of ['cpus', 'mem', 'disk', 'gpus'] as const) {
    m[`master/${r}_offered`] = R.roundScalar(offered[r]);
    m[`master/${r}_total`] = R.roundScalar(totals[r]);
    m[`master/${r}_used`] = R.roundScalar(used[r]);
    m[`master/${r}_percent`] = totals[r] > 0 ? used[r] / totals[r] : 0;
  }

  m['master/valid_status_updates'] = state.counters.validStatusUpdates;
  m['master/invalid_status_updates'] = state.counters.invalidStatusUpdates;
  m['master/valid_status_update_acknowledgements'] = state.counters.validAcknowledgements;
  m['master/invalid_status_update_acknowledgements'] = state.counters.invalidAcknowledgements;
  m['master/dropped_messages'] = rt.malformedMessages;
  m['master/messages_decline_offers'] = state.counters.declineCalls;
  m['master/messages_launch_tasks'] = state.counters.acceptCalls;

  const runs = [...rt.allocationRunMs].sort((a, b) => a - b);
  m['allocator/mesos/allocation_runs'] = rt.allocationRuns;
  m['allocator/mesos/allocation_run_ms/count'] = runs.length;
  if (runs.length > 0) {
    m['allocator/mesos/allocation_run_ms'] = rt.allocationRunMs[rt.allocationRunMs.length - 1]!;
    m['allocator/mesos/allocation_run_ms/min'] = runs[0]!;
    m['allocator/mesos/allocation_run_ms/max'] = runs[runs.length - 1]!;
    for (const p of [50, 90, 95, 99]) m[`allocator/mesos/allocation_run_ms/p${p}`] = percentile(runs, p);
  }
  if (rt.allocationLastCandidates !== undefined) m['allocator/last_cycle_candidates'] = rt.allocationLastCandidates;
  if (rt.allocationLastFull !== undefined) m['allocator/last_cycle_full'] = rt.allocationLastFull ? 1 : 0;
  if (rt.standbyWarmRuns !== undefined) m['allocator/standby_warm_runs'] = rt.standbyWarmRuns;
  const cycles = [...(rt.allocationCycleMs ?? [])].sort((a, b) => a - b);
  if (cycles.length > 0) {
    for (const p of [50, 90, 99]) m[`allocator/cycle_ms/p${p}`] = percentile(cycles, p);
    m['allocator/cycle_ms/max'] = cycles[cycles.length - 1]!;
  }
  for (const r of ['cpus', 'mem', 'disk'] as const) {
    m[`allocator/mesos/resources/${r}/total`] = R.roundScalar(totals[r]);
  }
  // Per role: dominant share (weighted), quota, active refuse filters.
  const filters = new Map<string, number>();
  for (const f of frameworks) {
    for (const [k, flt] of f.filters) {
      if (flt.until <= state.time) continue;
      const role = k.slice(k.indexOf(' ') + 1);
      filters.set(role, (filters.get(role) ?? 0) + 1);
    }
  }
  for (const v of roleViews(state)) {
    const held = { cpus: v.allocated.cpus + v.offered.cpus, mem: v.allocated.mem + v.offered.mem, disk: v.allocated.disk + v.offered.disk, gpus: v.allocated.gpus + v.offered.gpus };
    m[`allocator/mesos/roles/${v.name}/shares/dominant`] = dominantShare(held, state.totals, v.weight);
    m[`allocator/mesos/offer_filters/roles/${v.name}/active`] = filters.get(v.name) ?? 0;
    if (!state.quotas.has(v.name)) continue;
    for (const r of ['cpus', 'mem', 'disk', 'gpus'] as const) {
      const g = v.guarantees[r];
      const l = v.limits[r];
      if (g !== undefined) m[`allocator/mesos/quota/roles/${v.name}/resources/${r}/guarantee`] = g;
      if (l !== undefined) m[`allocator/mesos/quota/roles/${v.name}/resources/${r}/limit`] = l;
      m[`allocator/mesos/quota/roles/${v.name}/resources/${r}/offered_or_allocated`] = v.consumed[r] / 1000;
    }
  }

  // This project's own: the log.
  m['log/seq'] = rt.logSeq;
  m['log/events_folded'] = rt.eventsFolded;
  m['log/stale_decisions_ignored'] = state.counters.staleDecisionsIgnored;
  m['log/accepts_refused'] = state.counters.acceptsRefused;
  m['log/offers_invalid'] = state.counters.offersInvalid;
  m['log/outbox_pending'] = state.outbox.size;
  m['log/snapshot_loaded_seq'] = rt.snapshotLoadedSeq;
  m['log/snapshot_written_seq'] = rt.snapshotWrittenSeq;
  return m;
}
