/**
 * The fold of the allocation events: weights, quota and allocator settings; the operator's
 * reservations and volumes; maintenance, draining and agent (de)activation; inverse offers; demand
 * and its unmet reasons. Part of `evolve` (kernel/core/fold/index.ts dispatches here): deterministic,
 * updates the state in place, never throws on an event that passed its schema. An operator call the
 * state refuses is remembered in `operatorRefusals` with the reason, so the API can answer it.
 */
import type { AgentId, ClusterEvent, EventOf, Resources } from '../../../events/index.js';
import { isTerminal } from '../../../events/index.js';
import { available, owe, refuseOperator, rescindOffers, roleAccount, forgetRoleIfIdle, setAgentResources, touch, touchAll } from '../accounts.js';
import { removeAgent, rescindAgentOffers } from './agents.js';
import { drainProgress, killFromMaster } from './tasks.js';
import { quotaUpdateError, subtreeConsumption, quotaQuantities } from '../quota.js';
import { type Actor, applyConversion, createVolumes, destroyVolumes, nextDynamic, reserve, unreserve } from '../reservations.js';
import * as R from '../resources.js';
import { addResourcesInto, QUANTITY_NAMES, formatQ } from '../quantities.js';
import { isAncestorOrSelf, roleError } from '../roles.js';
import {
  type AgentState,
  type InverseOfferState,
  machineKey,
  type MachineId,
  type MaintenanceWindow,
  type OfferState,
  type State,
} from '../state.js';

export type AllocationEvent = EventOf<
  | 'WeightsUpdated'
  | 'QuotaUpdated'
  | 'AllocatorConfigured'
  | 'ResourcesReserved'
  | 'ResourcesUnreserved'
  | 'VolumesCreated'
  | 'VolumesDestroyed'
  | 'MaintenanceScheduleUpdated'
  | 'MaintenanceStarted'
  | 'MaintenanceStopped'
  | 'AgentDrainStarted'
  | 'AgentDeactivated'
  | 'AgentReactivated'
  | 'InverseOffersCreated'
  | 'InverseOffersRescinded'
  | 'InverseOffersAccepted'
  | 'InverseOffersDeclined'
  | 'ResourcesRequested'
  | 'DemandUnmet'
>;

const ALLOCATION_EVENTS: ReadonlySet<string> = new Set<AllocationEvent['type']>([
  'WeightsUpdated',
  'QuotaUpdated',
  'AllocatorConfigured',
  'ResourcesReserved',
  'ResourcesUnreserved',
  'VolumesCreated',
  'VolumesDestroyed',
  'MaintenanceScheduleUpdated',
  'MaintenanceStarted',
  'MaintenanceStopped',
  'AgentDrainStarted',
  'AgentDeactivated',
  'AgentReactivated',
  'InverseOffersCreated',
  'InverseOffersRescinded',
  'InverseOffersAccepted',
  'InverseOffersDeclined',
  'ResourcesRequested',
  'DemandUnmet',
]);

export const isAllocationEvent = (e: ClusterEvent): e is AllocationEvent => ALLOCATION_EVENTS.has(e.type);

export function foldAllocationEvent(state: State, e: AllocationEvent): State {
  switch (e.type) {
    case 'WeightsUpdated':
      return weightsUpdated(state, e);
    case 'QuotaUpdated':
      return quotaUpdated(state, e);
    case 'AllocatorConfigured':
      state.allocator = { minAllocatable: e.minAllocatable, filterGpuResources: e.filterGpuResources, roleWhitelist: e.roleWhitelist };
      touchAll(state);
      return state;
    case 'ResourcesReserved':
    case 'ResourcesUnreserved':
    case 'VolumesCreated':
    case 'VolumesDestroyed':
      return operatorConversion(state, e);
    case 'MaintenanceScheduleUpdated':
      return scheduleUpdated(state, e);
    case 'MaintenanceStarted':
      return maintenanceStarted(state, e);
    case 'MaintenanceStopped':
      return maintenanceStopped(state, e);
    case 'AgentDrainStarted':
      return drainStarted(state, e);
    case 'AgentDeactivated': {
      const a = knownAgent(state, e.id, e.agentId);
      if (a === undefined) return state;
      a.deactivated = true;
      touch(state, a.id);
      rescindAgentOffers(state, a, e.id, 'AGENT_DEACTIVATED');
      return state;
    }
    case 'AgentReactivated': {
      const a = knownAgent(state, e.id, e.agentId);
      if (a === undefined) return state;
      a.deactivated = false;
      a.drain = null;
      touch(state, a.id);
      return state;
    }
    case 'InverseOffersCreated':
      return inverseOffersCreated(state, e);
    case 'InverseOffersRescinded':
      for (const id of e.inverseOfferIds) if (state.inverseOffers.get(id)?.frameworkId === e.frameworkId) state.inverseOffers.delete(id);
      return state;
    case 'InverseOffersAccepted':
    case 'InverseOffersDeclined':
      for (const id of e.inverseOfferIds) {
        const io = state.inverseOffers.get(id);
        if (io === undefined || io.frameworkId !== e.frameworkId) continue;
        io.status = e.type === 'InverseOffersAccepted' ? 'ACCEPTED' : 'DECLINED';
        io.answeredAt = e.time;
      }
      return state;
    case 'ResourcesRequested': {
      const f = state.frameworks.get(e.frameworkId);
      if (f === undefined) return state;
      f.demand = e.requests.map((r) => ({ name: r.name, role: r.role, agentId: r.agentId, resources: R.normalise(r.resources), since: e.time }));
      return state;
    }
    case 'DemandUnmet': {
      if (!state.frameworks.has(e.frameworkId)) return state;
      if (e.reasons.length === 0) state.pending.delete(e.frameworkId);
      else {
        const had = state.pending.get(e.frameworkId);
        state.pending.set(e.frameworkId, { reasons: e.reasons, since: had?.since ?? e.time, recordedAt: e.time });
      }
      return state;
    }
  }
}

function knownAgent(state: State, eventId: string, agentId: AgentId): AgentState | undefined {
  const a = state.agents.get(agentId);
  if (a === undefined) refuseOperator(state, eventId, `Agent ${agentId} is unknown`);
  else if (a.status === 'REMOVED') refuseOperator(state, eventId, `Agent ${agentId} has been removed`);
  else return a;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Weights, quota

/** Offers of these roles (and their descendants) are rescinded, so that they are made afresh under the new rules. */
function rescindRoleOffers(state: State, roles: readonly string[], causeId: string): void {
  const hit: OfferState[] = [];
  for (const o of state.offers.values()) if (roles.some((r) => isAncestorOrSelf(r, o.role))) hit.push(o);
  rescindOffers(state, hit, causeId, 'ALLOCATION_CHANGED');
}

function weightsUpdated(state: State, e: EventOf<'WeightsUpdated'>): State {
  for (const w of e.weights) {
    const bad = roleError(w.role);
    if (bad !== undefined) {
      refuseOperator(state, e.id, bad);
      return state;
    }
  }
  for (const w of e.weights) {
    if (w.weight === 1) state.weights.delete(w.role);
    else state.weights.set(w.role, w.weight);
    roleAccount(state, w.role);
    forgetRoleIfIdle(state, w.role);
  }
  state.weightsSet = true;
  rescindRoleOffers(state, e.weights.map((w) => w.role), e.id);
  touchAll(state);
  return state;
}

function quotaUpdated(state: State, e: EventOf<'QuotaUpdated'>): State {
  const why = quotaUpdateError(state, e.configs, e.force);
  if (why !== undefined) {
    refuseOperator(state, e.id, why);
    return state;
  }
  for (const c of e.configs) {
    if (Object.keys(c.guarantees).length === 0 && Object.keys(c.limits).length === 0) {
      state.quotas.delete(c.role);
      forgetRoleIfIdle(state, c.role);
    } else {
      state.quotas.set(c.role, { guarantees: { ...c.guarantees }, limits: { ...c.limits } });
      roleAccount(state, c.role);
    }
  }
  rescindRoleOffers(state, e.configs.map((c) => c.role), e.id);
  touchAll(state);
  return state;
}

// ---------------------------------------------------------------------------------------------
// The operator's reservations and volumes (on an agent's free resources)

function operatorConversion(state: State, e: EventOf<'ResourcesReserved' | 'ResourcesUnreserved' | 'VolumesCreated' | 'VolumesDestroyed'>): State {
  const a = knownAgent(state, e.id, e.agentId);
  if (a === undefined) return state;
  const actor: Actor = { kind: 'operator', principal: e.principal };
  const c =
    e.type === 'ResourcesReserved'
      ? reserve(e.resources, e.source, actor)
      : e.type === 'ResourcesUnreserved'
        ? unreserve(e.resources, actor)
        : e.type === 'VolumesCreated'
          ? createVolumes(e.volumes, a.resources, actor)
          : destroyVolumes(e.volumes, actor);
  if (!c.ok) {
    refuseOperator(state, e.id, c.error);
    return state;
  }
  const free = available(a);
  const next = applyConversion(free, c);
  if (typeof next === 'string') {
    refuseOperator(state, e.id, `Insufficient resources on agent ${a.id}: ${next}`);
    return state;
  }
  if (e.type === 'ResourcesReserved') {
    const over = reservationOverLimit(state, c.to, c.from);
    if (over !== undefined) {
      refuseOperator(state, e.id, over);
      return state;
    }
  }
  a.dynamic = nextDynamic(a.dynamic, c.from, c.to);
  setAgentResources(state, a, R.add(R.subtract(a.resources, c.from), c.to));
  return state;
}

/** Would reserving `to` (made from `from`) take a role over a quota limit? */
export function reservationOverLimit(state: State, to: Resources, from: Resources): string | undefined {
  for (const r of to) {
    const role = R.reservedRole(r);
    for (const [qrole, q] of state.quotas) {
      if (!isAncestorOrSelf(qrole, role)) continue;
      const { limits, hasLimits } = quotaQuantities(q);
      if (!hasLimits) continue;
      const after = subtreeConsumption(state, qrole, false);
      addResourcesInto(after, to.filter((x) => isAncestorOrSelf(qrole, R.reservedRole(x))));
      // What the reservation is made from counts already if it was the role's own (a refinement).
      addResourcesInto(after, from.filter((x) => R.reservedRole(x) !== '*' && isAncestorOrSelf(qrole, R.reservedRole(x))), -1);
      for (const n of QUANTITY_NAMES) {
        if (after[n] > limits[n]) return `Reserving ${R.format(to)} would take role '${qrole}' to ${formatQ(after)}, above its quota limits`;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Draining

function drainStarted(state: State, e: EventOf<'AgentDrainStarted'>): State {
  const a = knownAgent(state, e.id, e.agentId);
  if (a === undefined) return state;
  if (a.drain !== null) {
    // As Mesos: draining again with the same settings is fine; with others it is a conflict.
    const same = a.drain.markGone === e.markGone && a.drain.maxGracePeriodMs === (e.maxGracePeriodMs ?? null);
    if (!same) refuseOperator(state, e.id, `Agent ${a.id} is already ${a.drain.state.toLowerCase()} with other settings`);
    return state;
  }
  a.drain = { state: 'DRAINING', maxGracePeriodMs: e.maxGracePeriodMs ?? null, markGone: e.markGone, startedAt: e.time };
  a.deactivated = true;
  touch(state, a.id);
  rescindAgentOffers(state, a, e.id, 'AGENT_DEACTIVATED');
  const grace = a.drain.maxGracePeriodMs === null ? '' : `, max grace period ${a.drain.maxGracePeriodMs / 1000} s`;
  const message = `Task killed: agent ${a.id} is draining (DRAIN_AGENT, event ${e.id}${grace}${e.markGone ? ', mark_gone' : ''})`;
  for (const key of a.taskKeys) {
    const t = state.tasks.get(key);
    if (t === undefined || isTerminal(t.state)) continue;
    killFromMaster(state, t, e.id, 'REASON_AGENT_DRAINING', a.drain.maxGracePeriodMs, message);
  }
  drainProgress(state, a, e.id);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Maintenance

/** Agents on a machine: matched by host name (case-insensitive), or by ip when the host name is one. */
/** The agents on a machine (by hostname, or an agent whose hostname is the machine's ip). */
export function agentsOn(state: State, m: MachineId): AgentState[] {
  const out: AgentState[] = [];
  const host = m.hostname?.toLowerCase();
  for (const a of state.agents.values()) {
    const h = a.hostname.toLowerCase();
    if ((host !== undefined && h === host) || (m.ip !== undefined && h === m.ip)) out.push(a);
  }
  return out;
}

const sameMachine = (a: MachineId, b: MachineId): boolean => machineKey(a) === machineKey(b);

function scheduleUpdated(state: State, e: EventOf<'MaintenanceScheduleUpdated'>): State {
  const windows: MaintenanceWindow[] = e.windows.map((w) => ({ machines: w.machines, unavailability: w.unavailability }));
  const scheduled = new Map<string, MaintenanceWindow>();
  for (const w of windows) {
    for (const m of w.machines) {
      const k = machineKey(m);
      if (scheduled.has(k)) {
        refuseOperator(state, e.id, `Machine ${m.hostname ?? m.ip} appears in more than one maintenance window`);
        return state;
      }
      scheduled.set(k, w);
    }
  }
  // As Mesos: a machine that is down must stay in the schedule until its maintenance stops.
  for (const [k, m] of state.maintenance.machines) {
    if (m.mode === 'DOWN' && !scheduled.has(k)) {
      refuseOperator(state, e.id, `Machine ${m.id.hostname ?? m.id.ip} is down for maintenance; stop its maintenance before taking it off the schedule`);
      return state;
    }
  }
  const changed: MachineId[] = [];
  for (const [k, m] of [...state.maintenance.machines]) {
    if (!scheduled.has(k)) {
      state.maintenance.machines.delete(k);
      changed.push(m.id);
    }
  }
  for (const [k, w] of scheduled) {
    const m = state.maintenance.machines.get(k);
    const id = w.machines.find((x) => machineKey(x) === k)!;
    if (m === undefined) {
      state.maintenance.machines.set(k, { id, mode: 'DRAINING', unavailability: w.unavailability });
      changed.push(id);
    } else if (m.unavailability.start !== w.unavailability.start || m.unavailability.durationMs !== w.unavailability.durationMs) {
      m.unavailability = w.unavailability;
      changed.push(id);
    }
  }
  state.maintenance.windows = windows;
  // Offers and inverse offers on machines whose maintenance changed are made afresh (with, or
  // without, their unavailability).
  for (const m of changed) {
    for (const a of agentsOn(state, m)) {
      rescindAgentOffers(state, a, e.id, 'AGENT_DEACTIVATED');
      rescindInverseOffers(state, a.id, e.id);
      touch(state, a.id);
    }
  }
  touchAll(state);
  return state;
}

function maintenanceStarted(state: State, e: EventOf<'MaintenanceStarted'>): State {
  for (const m of e.machines) {
    const st = state.maintenance.machines.get(machineKey(m));
    if (st === undefined) {
      refuseOperator(state, e.id, `Machine ${m.hostname ?? m.ip} is not in the maintenance schedule`);
      return state;
    }
  }
  for (const m of e.machines) {
    const st = state.maintenance.machines.get(machineKey(m))!;
    if (st.mode === 'DOWN') continue;
    st.mode = 'DOWN';
    for (const a of agentsOn(state, m)) {
      rescindInverseOffers(state, a.id, e.id);
      if (a.status !== 'REMOVED') removeAgent(state, a, 'MAINTENANCE', e.id, e.time);
    }
  }
  touchAll(state);
  return state;
}

function maintenanceStopped(state: State, e: EventOf<'MaintenanceStopped'>): State {
  for (const m of e.machines) {
    const st = state.maintenance.machines.get(machineKey(m));
    if (st === undefined || st.mode !== 'DOWN') {
      refuseOperator(state, e.id, `Machine ${m.hostname ?? m.ip} is not down for maintenance`);
      return state;
    }
  }
  for (const m of e.machines) {
    state.maintenance.machines.delete(machineKey(m));
    state.maintenance.windows = state.maintenance.windows
      .map((w) => ({ ...w, machines: w.machines.filter((x) => !sameMachine(x, m)) }))
      .filter((w) => w.machines.length > 0);
  }
  touchAll(state);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Inverse offers

function inverseOffersCreated(state: State, e: EventOf<'InverseOffersCreated'>): State {
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined || f.status !== 'ACTIVE') return state;
  for (const io of e.inverseOffers) {
    const a = state.agents.get(io.agentId);
    if (a === undefined || a.status === 'REMOVED' || state.inverseOffers.has(io.inverseOfferId)) continue;
    const st: InverseOfferState = {
      id: io.inverseOfferId,
      frameworkId: e.frameworkId,
      agentId: io.agentId,
      unavailability: io.unavailability,
      createdAt: e.time,
      status: 'UNKNOWN',
      answeredAt: null,
    };
    state.inverseOffers.set(st.id, st);
  }
  return state;
}

/** Inverse offers on an agent are withdrawn (its maintenance changed or began); the frameworks are told. */
function rescindInverseOffers(state: State, agentId: AgentId, causeId: string): void {
  const byFramework = new Map<string, string[]>();
  for (const io of [...state.inverseOffers.values()]) {
    if (io.agentId !== agentId) continue;
    state.inverseOffers.delete(io.id);
    const ids = byFramework.get(io.frameworkId) ?? [];
    ids.push(io.id);
    byFramework.set(io.frameworkId, ids);
  }
  for (const [frameworkId, ids] of byFramework) {
    const f = state.frameworks.get(frameworkId as EventOf<'InverseOffersRescinded'>['frameworkId']);
    if (f?.status !== 'ACTIVE') continue;
    owe(state, { type: 'InverseOffersRescinded', id: `irescind-${causeId}-${frameworkId}-${agentId}`, frameworkId: f.id, inverseOfferIds: ids });
  }
}
