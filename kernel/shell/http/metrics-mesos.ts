/**
 * The rest of Mesos's master `/metrics/snapshot` beyond metrics.ts: per-framework keys
 * (`master/frameworks/<url-encoded name>/<id>/…`), `master/operations/…`, `master/messages_*`,
 * the allocator's `offered_or_allocated` and timer percentiles, and `system/*`. Keys that cannot
 * apply here are listed in docs/api.md ("Metrics") with the reason.
 */
import type { State } from '../../core/state.js';
import * as R from '../../core/resources.js';
import { CALL_NAMES, EVENT_NAMES, type MetricsTally, OPERATION_NAMES, TERMINAL_NAMES } from './metrics-tally.js';

const ACTIVE_TASK_STATES = ['TASK_KILLING', 'TASK_RUNNING', 'TASK_STAGING', 'TASK_STARTING', 'TASK_UNKNOWN', 'TASK_UNREACHABLE'] as const;
/** Operation states of Mesos's `master/operations/…` keys. */
const OPERATION_STATES = ['dropped', 'error', 'failed', 'finished', 'gone_by_operator', 'pending', 'recovering', 'total', 'unreachable'] as const;
/** Offer operations (LAUNCH and LAUNCH_GROUP are tasks, not operations, in these keys). */
const OFFER_OPERATIONS = OPERATION_NAMES.filter((n) => n !== 'launch' && n !== 'launch_group');

/** Percentile keys of a Mesos timer, as `/p50` … `/p9999`. */
const TIMER_PERCENTILES: readonly [string, number][] = [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999], ['p9999', 0.9999]];

/** Mesos's timer keys of a window of samples (ms): the last value, `/count`, `/min`, `/max`, percentiles. */
export function timerKeys(name: string, samples: readonly number[]): Record<string, number> {
  const m: Record<string, number> = { [`${name}/count`]: samples.length };
  if (samples.length === 0) return m;
  const sorted = [...samples].sort((a, b) => a - b);
  m[name] = samples[samples.length - 1]!;
  m[`${name}/min`] = sorted[0]!;
  m[`${name}/max`] = sorted[sorted.length - 1]!;
  for (const [k, q] of TIMER_PERCENTILES) m[`${name}/${k}`] = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return m;
}

/** The url-encoded framework name, as Mesos spells it in the key (a space is `%20`). */
export const frameworkMetricPrefix = (name: string, id: string): string => `master/frameworks/${encodeURIComponent(name)}/${id}`;

export function moreMasterMetrics(state: State, tally: MetricsTally, allocationRunMs: readonly number[]): Record<string, number> {
  const m: Record<string, number> = {};
  Object.assign(m, timerKeys('allocator/mesos/allocation_run_ms', allocationRunMs));

  const offeredOrAllocated = { cpus: 0, mem: 0, disk: 0 };
  const activeByFw = new Map<string, Map<string, number>>();
  for (const t of state.tasks.values()) {
    let c = activeByFw.get(t.frameworkId);
    if (c === undefined) activeByFw.set(t.frameworkId, (c = new Map()));
    c.set(t.state, (c.get(t.state) ?? 0) + 1);
  }

  const messages = { register: 0, kill: 0, ack: 0, revive: 0, suppress: 0, teardown: 0 };
  for (const f of state.frameworks.values()) {
    for (const r of ['cpus', 'mem', 'disk'] as const) offeredOrAllocated[r] += R.scalar(f.used, r) + R.scalar(f.offered, r);
    const p = frameworkMetricPrefix(f.info.name, f.id);
    m[`${p}/subscribed`] = f.status === 'ACTIVE' ? 1 : 0;
    for (const role of f.info.roles) m[`${p}/roles/${role}/suppressed`] = f.suppressed || f.suppressedRoles.has(role) ? 1 : 0;
    const active = activeByFw.get(f.id);
    for (const s of ACTIVE_TASK_STATES) m[`${p}/tasks/active/${s.toLowerCase()}`] = active?.get(s) ?? 0;
    const t = tally.framework(f.id);
    const sum = (r: Record<string, number> | undefined) => (r === undefined ? 0 : Object.values(r).reduce((a, b) => a + b, 0));
    m[`${p}/calls`] = sum(t?.calls);
    for (const c of CALL_NAMES) m[`${p}/calls/${c}`] = t?.calls[c] ?? 0;
    m[`${p}/events`] = sum(t?.events);
    for (const e of EVENT_NAMES) m[`${p}/events/${e}`] = t?.events[e] ?? 0;
    for (const o of ['sent', 'accepted', 'declined', 'rescinded'] as const) m[`${p}/offers/${o}`] = t?.offers[o] ?? 0;
    m[`${p}/operations`] = sum(t?.operations);
    for (const o of OPERATION_NAMES) m[`${p}/operations/${o}`] = t?.operations[o] ?? 0;
    for (const s of TERMINAL_NAMES) m[`${p}/tasks/terminal/${s}`] = t?.terminal[s] ?? 0;
  }
  for (const t of tally.frameworks()) {
    messages.register += t.calls['subscribe']!;
    messages.kill += t.calls['kill']!;
    messages.ack += t.calls['acknowledge']!;
    messages.revive += t.calls['revive']!;
    messages.suppress += t.calls['suppress']!;
    messages.teardown += t.calls['teardown']!;
  }
  for (const r of ['cpus', 'mem', 'disk'] as const) m[`allocator/mesos/resources/${r}/offered_or_allocated`] = R.roundScalar(offeredOrAllocated[r]);

  m['master/messages_register_framework'] = messages.register;
  m['master/messages_kill_task'] = messages.kill;
  m['master/messages_status_update_acknowledgement'] = messages.ack;
  m['master/messages_revive_offers'] = messages.revive;
  m['master/messages_suppress_offers'] = messages.suppress;
  m['master/messages_unregister_framework'] = messages.teardown;
  m['master/messages_status_update'] = state.counters.validStatusUpdates + state.counters.invalidStatusUpdates;
  m['master/messages_register_slave'] = state.counters.slaveRegistrations;
  m['master/messages_reregister_slave'] = state.counters.slaveReregistrations;
  // Framework ↔ executor messages (custom executors), as the fold counted them.
  const c = state.counters;
  m['master/valid_framework_to_executor_messages'] = c.validFrameworkToExecutorMessages ?? 0;
  m['master/invalid_framework_to_executor_messages'] = c.invalidFrameworkToExecutorMessages ?? 0;
  m['master/messages_framework_to_executor'] = (c.validFrameworkToExecutorMessages ?? 0) + (c.invalidFrameworkToExecutorMessages ?? 0);
  m['master/valid_executor_to_framework_messages'] = c.validExecutorToFrameworkMessages ?? 0;
  m['master/messages_executor_to_framework'] = c.validExecutorToFrameworkMessages ?? 0;
  m['master/invalid_executor_to_framework_messages'] = 0; // an agent can append only its own executors' messages
  m['master/slave_removals/reason_unhealthy'] = tally.agentRemovals['UNREACHABLE'] ?? 0;
  m['master/slave_unreachable_completed'] = tally.agentRemovals['UNREACHABLE'] ?? 0;

  // Offer operations: applied when the accept is folded, so each is finished at once (speculative, as in Mesos).
  let total = 0;
  for (const o of OFFER_OPERATIONS) {
    const n = tally.operations[o] ?? 0;
    total += n;
    for (const s of OPERATION_STATES) m[`master/operations/${o}/${s}`] = s === 'total' || s === 'finished' ? n : 0;
  }
  for (const s of OPERATION_STATES) m[`master/operations/${s}`] = s === 'total' || s === 'finished' ? total : 0;
  return m;
}
