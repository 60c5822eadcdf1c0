/**
 * The fold of frameworks: subscription (roles, capabilities, failover), disconnection, removal
 * (its tasks killed from the master's side, its offers and filters gone).
 */
import { type EventOf, isTerminal } from '../../../events/index.js';
import { type FrameworkState, LIMITS, type State } from '../state.js';
import { joinRoles, leaveRoles, owe, retireOffer, touchAll } from '../accounts.js';
import * as R from '../resources.js';
import { FILTER_SWEEP_MIN } from './offers.js';
import { applyStatus, completeTask } from './tasks.js';

export function frameworkSubscribed(state: State, e: EventOf<'FrameworkSubscribed'>): State {
  if (state.completedFrameworks.some((f) => f.id === e.frameworkId)) return state; // removed ids stay removed
  const suppressedRoles = new Set((e.suppressedRoles ?? []).filter((r) => e.info.roles.includes(r)));
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) {
    const created: FrameworkState = {
      id: e.frameworkId,
      info: e.info,
      ...(e.authenticatedPrincipal !== undefined ? { authenticatedPrincipal: e.authenticatedPrincipal } : {}),
      status: 'ACTIVE',
      registeredAt: e.time,
      reregisteredAt: null,
      unregisteredAt: null,
      disconnectedAt: null,
      suppressed: e.info.roles.every((r) => suppressedRoles.has(r)),
      suppressedRoles,
      used: R.EMPTY,
      offered: R.EMPTY,
      allocation: new Map(),
      offerCounts: new Map(),
      filters: new Map(),
      filterSweepAt: FILTER_SWEEP_MIN,
      demand: [],
      taskKeys: new Set(),
      offerIds: new Set(),
      completedTasks: [],
    };
    state.frameworks.set(e.frameworkId, created);
    joinRoles(state, created, []);
    state.counters.frameworksSubscribed++;
    touchAll(state);
    return state;
  }
  // A re-subscription (failover of the scheduler): its outstanding offers are void.
  for (const id of [...f.offerIds]) {
    const o = state.offers.get(id);
    if (o !== undefined) retireOffer(state, o, 'RESCINDED');
  }
  const before = f.info.roles;
  f.info = { ...e.info, user: f.info.user, checkpoint: f.info.checkpoint };
  // The first authenticated principal binds it (the gateway refuses a SUBSCRIBE by any other).
  if (f.authenticatedPrincipal === undefined && e.authenticatedPrincipal !== undefined) f.authenticatedPrincipal = e.authenticatedPrincipal;
  joinRoles(state, f, before);
  f.suppressedRoles.clear();
  for (const r of suppressedRoles) f.suppressedRoles.add(r);
  f.suppressed = f.info.roles.every((r) => f.suppressedRoles.has(r));
  f.status = 'ACTIVE';
  f.reregisteredAt = e.time;
  f.disconnectedAt = null;
  touchAll(state);
  return state;
}

export function frameworkDisconnected(state: State, e: EventOf<'FrameworkDisconnected'>): State {
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined || f.status !== 'ACTIVE') return state;
  // Nobody is listening for a rescind: its offers simply go back to the pool.
  for (const id of [...f.offerIds]) {
    const o = state.offers.get(id);
    if (o !== undefined) retireOffer(state, o, 'RESCINDED');
  }
  f.status = 'INACTIVE';
  f.disconnectedAt = e.time;
  f.unregisteredAt = e.time;
  return state;
}

export function frameworkRemoved(state: State, e: EventOf<'FrameworkRemoved'>): State {
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  for (const id of [...f.offerIds]) {
    const o = state.offers.get(id);
    if (o !== undefined) retireOffer(state, o, 'RESCINDED');
  }
  for (const key of [...f.taskKeys]) {
    const t = state.tasks.get(key);
    if (t === undefined) continue;
    if (!isTerminal(t.state)) {
      const a = state.agents.get(t.agentId);
      if (a !== undefined && a.status !== 'REMOVED') {
        a.commandSeq++;
        owe(state, {
          type: 'KillTask',
          id: `kill-${e.id}-${t.taskId}`,
          agentId: a.id,
          agentSeq: a.commandSeq,
          frameworkId: f.id,
          taskId: t.taskId,
          reason: 'REASON_FRAMEWORK_REMOVED',
          ...(t.killGracePeriodMs !== undefined ? { gracePeriodMs: t.killGracePeriodMs } : {}),
        });
      }
      applyStatus(state, t, {
        state: 'TASK_KILLED',
        source: 'SOURCE_MASTER',
        reason: 'REASON_FRAMEWORK_REMOVED',
        timestamp: e.time,
        message: 'Framework removed',
      });
    }
    completeTask(state, t);
  }
  f.status = 'REMOVED';
  f.unregisteredAt = e.time;
  f.filters.clear();
  f.demand = [];
  leaveRoles(state, f);
  state.pending.delete(f.id);
  for (const io of [...state.inverseOffers.values()]) if (io.frameworkId === f.id) state.inverseOffers.delete(io.id);
  state.frameworks.delete(f.id);
  state.completedFrameworks.push(f);
  if (state.completedFrameworks.length > LIMITS.completedFrameworks) state.completedFrameworks.shift();
  state.counters.frameworksRemoved++;
  return state;
}
