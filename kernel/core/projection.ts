/**
 * The fold: `evolve(state, event) -> state`. Deterministic: no clock (time comes from the event),
 * no randomness, no I/O, the same result on every replica. Inputs are validated here, against the
 * state at this point of the log, so log order decides every race: an accept naming an offer that
 * was rescinded earlier in the log is refused by every replica alike. It never throws on an event
 * that passed its schema; a refusal that a party must hear about goes to the outbox.
 *
 * See state.ts for the ownership rule (the given state is updated in place and returned).
 */
import {
  type AcceptRefusalCode,
  type AgentId,
  type ClusterEvent,
  type Draft,
  type EventOf,
  type Filters,
  type FrameworkId,
  type GroupExecutor,
  type OfferId,
  type Resources,
  type StatusReason,
  type TaskInfo,
  type TaskStateName,
  type TaskStatus,
  epochOf,
  isTerminal,
  operationTasks,
  taskKey,
} from '../../events/index.js';
import * as R from './resources.js';
import {
  type AgentState,
  type DemandEntry,
  type ExecutorState,
  executorKey,
  filterKey,
  type FrameworkState,
  initialState,
  LIMITS,
  machineKey,
  type OfferState,
  type State,
  type TaskState,
} from './state.js';
import {
  addOffer,
  available,
  countAgent,
  joinRoles,
  leaveRoles,
  owe,
  rescindOffers,
  retireOffer,
  setAgentResources,
  touch,
  touchAll,
  use,
} from './accounts.js';
import {
  type Actor,
  allAllocatableTo,
  applyConversion,
  createVolumes,
  destroyVolumes,
  nextDynamic,
  reserve,
  unreserve,
  withDynamic,
} from './reservations.js';
import { foldAllocationEvent, isAllocationEvent } from './fold-allocation.js';
import { fromResources, coversQ, addInto } from './quantities.js';

export { initialState, available, owe };

/** Mesos's default refuse filter; publishers resolve it (events/filters.ts), events carry the value. */
export { DEFAULT_REFUSE_SECONDS } from '../../events/index.js';

export function evolve(state: State, e: ClusterEvent): State {
  // Fencing: a decision from another epoch than the current leader's has no effect at all, and an
  // election must raise the epoch.
  const epoch = epochOf(e);
  const stale = e.type === 'LeaderElected' ? e.epoch <= state.epoch : epoch !== undefined && epoch !== state.epoch;
  if (stale) {
    state.counters.staleDecisionsIgnored++;
    return state;
  }
  state.counters.eventsFolded++;
  if (e.time > state.time) state.time = e.time;
  // An owed event is marked sent when the leader's copy of it is folded (same id, same type).
  if (epoch !== undefined && state.outbox.get(e.id)?.type === e.type) state.outbox.delete(e.id);

  switch (e.type) {
    case 'LeaderElected':
      return leaderElected(state, e);
    case 'AgentRegistered':
      return agentRegistered(state, e, false);
    case 'AgentReregistered':
      return agentRegistered(state, e, true);
    case 'AgentDisconnected':
      return agentDisconnected(state, e.agentId, e.id);
    case 'AgentRemoved':
      return agentRemoved(state, e);
    case 'FrameworkSubscribed':
      return frameworkSubscribed(state, e);
    case 'FrameworkDisconnected':
      return frameworkDisconnected(state, e);
    case 'FrameworkRemoved':
      return frameworkRemoved(state, e);
    case 'OffersCreated':
      return offersCreated(state, e);
    case 'OffersRescinded':
      for (const id of e.offerIds) {
        const o = state.offers.get(id);
        if (o !== undefined && o.frameworkId === e.frameworkId) {
          retireOffer(state, o, e.reason === 'EXPIRED' ? 'EXPIRED' : 'RESCINDED');
          state.counters.offersRescinded++;
        }
      }
      return state;
    case 'OffersDeclined':
      return offersDeclined(state, e);
    case 'OffersAccepted':
      return offersAccepted(state, e);
    case 'AcceptRefused':
      return state; // a notice: the outbox entry is gone, nothing else changes
    case 'LaunchTasks':
    case 'KillTask': {
      const a = state.agents.get(e.agentId);
      // Commands sent from the outbox are marked sent by the delete above.
      if (a !== undefined && e.agentSeq > a.commandSeq) a.commandSeq = e.agentSeq;
      return state;
    }
    case 'TaskKillRequested':
      return taskKillRequested(state, e);
    case 'TaskStatusUpdated':
      return taskStatusUpdated(state, e);
    case 'StatusAcknowledged':
      return statusAcknowledged(state, e);
    case 'OffersRevived':
      return offersRevived(state, e);
    case 'OffersSuppressed': {
      const f = state.frameworks.get(e.frameworkId);
      if (f === undefined || f.status === 'REMOVED') return state;
      for (const r of rolesOf(f, e.roles)) f.suppressedRoles.add(r);
      f.suppressed = f.info.roles.every((r) => f.suppressedRoles.has(r));
      return state;
    }
    default:
      if (isAllocationEvent(e)) return foldAllocationEvent(state, e);
      return exhaustive(e);
  }
}

function exhaustive(e: never): never {
  return e;
}

/** The roles a REVIVE or SUPPRESS names: none means all the framework's roles; unknown ones are ignored. */
function rolesOf(f: FrameworkState, roles: readonly string[] | undefined): string[] {
  return roles === undefined || roles.length === 0 ? [...f.info.roles] : roles.filter((r) => f.info.roles.includes(r));
}

/** REVIVE: the roles want offers again; their refuse filters are gone. */
function offersRevived(state: State, e: EventOf<'OffersRevived'>): State {
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined || f.status === 'REMOVED') return state;
  const roles = new Set(rolesOf(f, e.roles));
  for (const r of roles) f.suppressedRoles.delete(r);
  f.suppressed = f.info.roles.every((r) => f.suppressedRoles.has(r));
  if (roles.size === f.info.roles.length) f.filters.clear();
  else for (const [k] of f.filters) if (roles.has(k.slice(k.indexOf(' ') + 1))) f.filters.delete(k);
  touchAll(state);
  return state;
}

/** Fold a sequence of events from a state (initialState() by default). */
export function foldAll(events: Iterable<ClusterEvent>, from?: State): State {
  let s = from ?? initialState();
  for (const e of events) s = evolve(s, e);
  return s;
}


// ---------------------------------------------------------------------------------------------
// Leadership

function leaderElected(state: State, e: EventOf<'LeaderElected'>): State {
  state.epoch = e.epoch;
  state.leader = { masterId: e.masterId, epoch: e.epoch, hostname: e.hostname, ip: e.ip, port: e.port, electedAt: e.time };
  // By default (`offers: RESCINDED`, or absent in older logs) the outstanding offers are rescinded
  // and the new leader offers afresh, as after a Mesos failover. With `offers: KEPT` they survive:
  // they are in the log, the new leader knows them as the old one did, and an accept is judged by
  // the fold whoever leads. Refuse filters are state, so they hold either way.
  if (e.offers !== 'KEPT' && state.offers.size > 0) rescindOffers(state, state.offers.values(), e.id, 'LEADER_CHANGED');
  return state;
}

// ---------------------------------------------------------------------------------------------
// Agents

function agentRegistered(state: State, e: EventOf<'AgentRegistered'> | EventOf<'AgentReregistered'>, re: boolean): State {
  const existing = state.agents.get(e.agentId);
  // An agent marked gone stays gone; an agent on a machine that is down may not come back until
  // its maintenance stops (as in Mesos).
  if (existing?.gone === true) return state;
  if (machineIsDown(state, e.hostname)) return state;
  const announced = R.normalise(e.resources);
  if (existing === undefined) {
    const agent: AgentState = {
      id: e.agentId,
      hostname: e.hostname,
      port: e.port,
      ...(e.ip !== undefined ? { ip: e.ip } : {}),
      version: e.version,
      isolation: e.isolation,
      resources: R.EMPTY,
      announced,
      dynamic: R.EMPTY,
      attributes: e.attributes,
      used: R.EMPTY,
      offered: R.EMPTY,
      status: 'ACTIVE',
      deactivated: false,
      drain: null,
      gone: false,
      registeredAt: e.time,
      reregisteredAt: re ? e.time : null,
      commandSeq: 0,
      lastCommandSeqSeen: 0,
      taskKeys: new Set(),
      offerIds: new Set(),
    };
    state.agents.set(e.agentId, agent);
    setAgentResources(state, agent, announced);
    if (re) state.counters.slaveReregistrations++;
    else state.counters.slaveRegistrations++;
  } else {
    const wasRemoved = existing.status === 'REMOVED';
    existing.hostname = e.hostname;
    existing.port = e.port;
    existing.ip = e.ip;
    existing.version = e.version;
    existing.isolation = e.isolation;
    existing.attributes = e.attributes;
    existing.announced = announced;
    // Dynamic reservations and volumes are the master's: applied again to what the agent announces.
    const merged = withDynamic(announced, existing.dynamic);
    existing.dynamic = merged.dynamic;
    if (wasRemoved) {
      existing.resources = merged.resources;
      existing.status = 'ACTIVE';
      countAgent(state, existing, 1);
      touch(state, existing.id);
    } else {
      existing.status = 'ACTIVE';
      setAgentResources(state, existing, merged.resources);
    }
    existing.reregisteredAt = e.time;
    state.counters.slaveReregistrations++;
  }
  const agent = state.agents.get(e.agentId)!;
  if (e.type === 'AgentReregistered') reconcileAgentTasks(state, agent, e);
  return state;
}

/** Is the machine with this host name DOWN for maintenance? */
export function machineIsDown(state: State, hostname: string): boolean {
  return state.maintenance.machines.get(machineKey({ hostname }))?.mode === 'DOWN';
}

/**
 * An agent that comes back reports what it runs. Tasks the master had written off as unreachable
 * or lost come back; tasks the master thinks it runs, that were launched before its last carried
 * out command, and that it does not report, are lost; tasks it runs that the master does not know
 * are killed (a KillTask is owed).
 */
function reconcileAgentTasks(state: State, agent: AgentState, e: EventOf<'AgentReregistered'>): void {
  if (e.lastCommandSeq > agent.lastCommandSeqSeen) agent.lastCommandSeqSeen = e.lastCommandSeq;
  const reported = new Map(e.tasks.map((t) => [taskKey(t.frameworkId, t.taskId), t.state]));
  for (const rt of e.tasks) {
    const key = taskKey(rt.frameworkId, rt.taskId);
    const t = state.tasks.get(key);
    if (t === undefined && !isTerminal(rt.state)) {
      // It runs a task the master does not know (its framework was removed, or the task ended
      // here, while the agent was away): it must not run on unnoticed. As Mesos's master does for
      // the tasks of a completed framework, the agent is told to kill it.
      agent.commandSeq++;
      owe(state, {
        type: 'KillTask',
        id: `kill-unknown-${e.id}-${key}`,
        agentId: agent.id,
        agentSeq: agent.commandSeq,
        frameworkId: rt.frameworkId,
        taskId: rt.taskId,
        reason: 'REASON_TASK_UNKNOWN',
      });
    }
  }
  for (const [key, reportedState] of reported) {
    const t = state.tasks.get(key);
    if (t === undefined || t.agentId !== agent.id) continue;
    if ((t.state === 'TASK_UNREACHABLE' || t.state === 'TASK_LOST') && !isTerminal(reportedState)) {
      applyStatus(state, t, {
        state: reportedState,
        source: 'SOURCE_MASTER',
        reason: 'REASON_AGENT_REREGISTERED',
        timestamp: e.time,
        message: 'Agent reregistered',
      });
      ownStatus(state, t, e.id);
    }
  }
  for (const key of [...agent.taskKeys]) {
    const t = state.tasks.get(key);
    if (t === undefined || isTerminal(t.state) || reported.has(key)) continue;
    if (t.launchSeq > e.lastCommandSeq) continue; // its launch command has not reached the agent yet
    applyStatus(state, t, {
      state: 'TASK_LOST',
      source: 'SOURCE_MASTER',
      reason: 'REASON_AGENT_RESTARTED',
      timestamp: e.time,
      message: 'Task is not known to the agent that reregistered',
    });
    ownStatus(state, t, e.id);
  }
}

function agentDisconnected(state: State, agentId: AgentId, causeId: string): State {
  const a = state.agents.get(agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  a.status = 'DISCONNECTED';
  touch(state, a.id);
  rescindAgentOffers(state, a, causeId, 'AGENT_GONE');
  return state;
}

function agentRemoved(state: State, e: EventOf<'AgentRemoved'>): State {
  const a = state.agents.get(e.agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  removeAgent(state, a, e.reason, e.id, e.time);
  return state;
}

/**
 * An agent leaves the cluster: unreachable (its tasks become TASK_UNREACHABLE and come back if it
 * does), marked gone by the operator (TASK_GONE_BY_OPERATOR, for good) or taken down for
 * maintenance (TASK_GONE_BY_OPERATOR; it may come back once the maintenance stops).
 */
export function removeAgent(state: State, a: AgentState, reason: 'UNREACHABLE' | 'OPERATOR' | 'MAINTENANCE', causeId: string, time: number): void {
  rescindAgentOffers(state, a, causeId, 'AGENT_GONE');
  a.status = 'REMOVED';
  if (reason === 'OPERATOR') a.gone = true;
  countAgent(state, a, -1);
  touch(state, a.id);
  state.counters.slaveRemovals++;
  // Commands not yet sent to it are void: its tasks are written off below.
  for (const [id, d] of [...state.outbox]) {
    if ((d.type === 'LaunchTasks' || d.type === 'KillTask') && d.agentId === a.id) state.outbox.delete(id);
  }
  // Its inverse offers go with it.
  for (const io of [...state.inverseOffers.values()]) if (io.agentId === a.id) state.inverseOffers.delete(io.id);
  for (const key of [...a.taskKeys]) {
    const t = state.tasks.get(key);
    if (t === undefined || isTerminal(t.state)) continue;
    const fw = state.frameworks.get(t.frameworkId);
    const partitionAware = fw?.info.capabilities.includes('PARTITION_AWARE') ?? false;
    // As Mesos: the master keeps the tasks of an unreachable agent as TASK_UNREACHABLE (they come
    // back if it does) and frameworks that are not partition-aware are told TASK_LOST. An agent
    // removed by the operator is gone for good.
    const byOperator = reason !== 'UNREACHABLE';
    const why: StatusReason = byOperator ? 'REASON_AGENT_REMOVED_BY_OPERATOR' : 'REASON_AGENT_REMOVED';
    const next: TaskStateName = byOperator ? 'TASK_GONE_BY_OPERATOR' : 'TASK_UNREACHABLE';
    applyStatus(state, t, { state: next, source: 'SOURCE_MASTER', reason: why, timestamp: time, message: 'Agent removed' });
    ownStatus(state, t, causeId, partitionAware ? next : 'TASK_LOST');
  }
}

export function rescindAgentOffers(state: State, a: AgentState, causeId: string, reason: 'AGENT_GONE' | 'AGENT_DEACTIVATED'): void {
  const offers: OfferState[] = [];
  for (const id of a.offerIds) {
    const o = state.offers.get(id);
    if (o !== undefined) offers.push(o);
  }
  rescindOffers(state, offers, causeId, reason);
}

// ---------------------------------------------------------------------------------------------
// Frameworks

function frameworkSubscribed(state: State, e: EventOf<'FrameworkSubscribed'>): State {
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

function frameworkDisconnected(state: State, e: EventOf<'FrameworkDisconnected'>): State {
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

function frameworkRemoved(state: State, e: EventOf<'FrameworkRemoved'>): State {
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

// ---------------------------------------------------------------------------------------------
// Offers

function offersCreated(state: State, e: EventOf<'OffersCreated'>): State {
  const f = state.frameworks.get(e.frameworkId);
  for (const o of e.offers) {
    const a = state.agents.get(o.agentId);
    const resources = R.normalise(o.resources);
    const valid =
      f !== undefined &&
      f.status === 'ACTIVE' &&
      f.info.roles.includes(o.role) &&
      !state.offers.has(o.offerId) &&
      !state.retiredOffers.has(o.offerId) &&
      a !== undefined &&
      offerable(a) &&
      resources.length > 0 &&
      allAllocatableTo(resources, o.role) &&
      R.contains(available(a), resources);
    if (!valid) {
      state.counters.offersInvalid++;
      continue;
    }
    const offer: OfferState = {
      id: o.offerId,
      frameworkId: e.frameworkId,
      agentId: o.agentId,
      hostname: o.hostname,
      role: o.role,
      resources,
      createdAt: e.time,
      expiresAt: o.expiresAt ?? null,
      epoch: e.epoch,
    };
    addOffer(state, offer);
    state.counters.offersCreated++;
  }
  return state;
}

/** May the agent's resources be offered at all? (Connected, not deactivated, draining or gone.) */
export const offerable = (a: AgentState): boolean => a.status === 'ACTIVE' && !a.deactivated && a.drain === null && !a.gone;

/** Expired filters are swept when a framework's map reaches this size, then twice the size left. */
const FILTER_SWEEP_MIN = 64;

/**
 * A refuse filter for (agent, role). Expired filters are dropped in a sweep whenever the map has
 * doubled since the last one, so adding a filter costs O(1) amortised (declining 10,000 offers at
 * once is 10,000 filters, not 10,000 scans of the map).
 */
function addFilter(f: FrameworkState, agentId: AgentId, role: string, resources: Resources, filters: Filters, now: number): void {
  const secs = filters.refuseSeconds;
  if (secs === 0 || resources.length === 0) return;
  if (f.filters.size >= f.filterSweepAt) {
    for (const [k, flt] of f.filters) if (flt.until <= now) f.filters.delete(k);
    f.filterSweepAt = Math.max(FILTER_SWEEP_MIN, 2 * f.filters.size);
  }
  f.filters.set(filterKey(agentId, role), { resources, until: now + Math.round(secs * 1000) });
}

function offersDeclined(state: State, e: EventOf<'OffersDeclined'>): State {
  state.counters.declineCalls++;
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  // Usually one offer per agent and role: its resources are the filter's (no copy, no sum).
  const byAgentRole = new Map<string, { agentId: AgentId; role: string; res: Resources }>();
  for (const id of new Set(e.offerIds)) {
    const o = state.offers.get(id);
    if (o === undefined || o.frameworkId !== f.id) continue;
    retireOffer(state, o, 'DECLINED');
    const k = filterKey(o.agentId, o.role);
    const had = byAgentRole.get(k);
    byAgentRole.set(k, { agentId: o.agentId, role: o.role, res: had === undefined ? o.resources : R.add(had.res, o.resources) });
    state.counters.offersDeclined++;
  }
  for (const x of byAgentRole.values()) addFilter(f, x.agentId, x.role, x.res, e.filters, e.time);
  return state;
}

interface Refusal {
  readonly code: AcceptRefusalCode;
  readonly message: string;
}

interface Launch {
  readonly executor?: GroupExecutor | undefined;
  readonly tasks: readonly TaskInfo[];
}

interface ValidAccept {
  readonly offers: OfferState[];
  readonly launches: Launch[];
  /** The agent's total resources after the RESERVE/UNRESERVE/CREATE/DESTROY operations. */
  readonly total: Resources;
  readonly dynamic: Resources;
  /** What the offers held after those operations and the launches: declined with the accept's filter. */
  readonly left: Resources;
}


/** An HTTP or TCP (health) check without a port defaults to the task's first port: the task must have one. */
function checkWithoutPort(t: TaskInfo): string | undefined {
  if (R.ranges(t.resources, 'ports').length > 0) return undefined;
  for (const [what, c] of [['health check', t.healthCheck], ['check', t.check]] as const) {
    if (c === undefined) continue;
    if ((c.type === 'HTTP' && c.http?.port === undefined) || (c.type === 'TCP' && c.tcp?.port === undefined)) return `${c.type} ${what}`;
  }
  return undefined;
}

function validateAccept(state: State, e: EventOf<'OffersAccepted'>, f: FrameworkState | undefined): Refusal | ValidAccept {
  if (f === undefined) return { code: 'FRAMEWORK_UNKNOWN', message: `framework ${e.frameworkId} is not subscribed` };
  if (f.status !== 'ACTIVE') return { code: 'FRAMEWORK_INACTIVE', message: `framework ${e.frameworkId} is ${f.status.toLowerCase()}` };
  if (new Set(e.offerIds).size !== e.offerIds.length) return { code: 'OFFER_DUPLICATED', message: 'an offer id appears more than once' };
  const offers: OfferState[] = [];
  for (const id of e.offerIds) {
    const o = state.offers.get(id);
    if (o === undefined) {
      const retired = state.retiredOffers.get(id);
      if (retired === 'RESCINDED') return { code: 'OFFER_RESCINDED', message: `offer ${id} was rescinded` };
      if (retired === 'EXPIRED') return { code: 'OFFER_EXPIRED', message: `offer ${id} expired` };
      if (retired !== undefined) return { code: 'OFFER_UNKNOWN', message: `offer ${id} was already ${retired.toLowerCase()}` };
      return { code: 'OFFER_UNKNOWN', message: `offer ${id} is unknown` };
    }
    if (o.frameworkId !== f.id) return { code: 'OFFER_NOT_YOURS', message: `offer ${id} was made to another framework` };
    if (o.expiresAt !== null && e.time > o.expiresAt) return { code: 'OFFER_EXPIRED', message: `offer ${id} expired` };
    offers.push(o);
  }
  const agentId = offers[0]!.agentId;
  if (offers.some((o) => o.agentId !== agentId)) {
    return { code: 'OFFERS_ON_DIFFERENT_AGENTS', message: 'all offers of one accept must be from the same agent' };
  }
  const role = offers[0]!.role;
  if (offers.some((o) => o.role !== role)) {
    return { code: 'OFFERS_ON_DIFFERENT_ROLES', message: 'all offers of one accept must be allocated to the same role' };
  }
  const agent = state.agents.get(agentId);
  if (agent === undefined || agent.status !== 'ACTIVE') return { code: 'AGENT_INACTIVE', message: `agent ${agentId} is not active` };
  const tasks = e.operations.flatMap(operationTasks);
  const ids = new Set<string>();
  for (const t of tasks) {
    if (t.agentId !== agentId) return { code: 'TASK_INVALID', message: `task ${t.taskId} names agent ${t.agentId}, but the offers are on ${agentId}` };
    if (ids.has(t.taskId)) return { code: 'TASK_ID_DUPLICATE', message: `task id ${t.taskId} appears twice` };
    ids.add(t.taskId);
    const live = state.tasks.get(taskKey(f.id, t.taskId));
    if (live !== undefined) return { code: 'TASK_ID_DUPLICATE', message: `task ${t.taskId} already exists in framework ${f.id}` };
    if (R.isEmpty(t.resources)) return { code: 'TASK_INVALID', message: `task ${t.taskId} uses no resources` };
    const gpus = R.scalar(t.resources, 'gpus');
    if (gpus !== Math.floor(gpus)) return { code: 'TASK_INVALID', message: `task ${t.taskId} asks for a fractional number of gpus` };
    const portless = checkWithoutPort(t);
    if (portless !== undefined) {
      return { code: 'TASK_INVALID', message: `task ${t.taskId}: its ${portless} names no port and the task has no ports to default to` };
    }
  }
  // Ports (any RANGES or SET resource) are held by one task each.
  const shared = R.sharedItem([
    ...tasks.map((t) => ({ owner: `task ${t.taskId}`, resources: t.resources })),
    ...e.operations.flatMap((op) => (op.type === 'LAUNCH_GROUP' ? [{ owner: `executor ${op.executor.executorId}`, resources: op.executor.resources }] : [])),
  ]);
  if (shared !== undefined) {
    return { code: 'TASK_INVALID', message: `${shared.owners[0]} and ${shared.owners[1]} both ask for ${shared.name} ${shared.item}` };
  }
  const executors = new Set<string>();
  for (const op of e.operations) {
    if (op.type !== 'LAUNCH_GROUP') continue;
    const k = executorKey(f.id, op.executor.executorId);
    if (state.executors.has(k) || executors.has(k)) {
      return { code: 'TASK_GROUP_INVALID', message: `executor ${op.executor.executorId} already exists; a task group needs a new executor` };
    }
    executors.add(k);
    // As Mesos's default executor: it needs some cpu and memory of its own.
    if (R.scalar(op.executor.resources, 'cpus') < 0.01 || R.scalar(op.executor.resources, 'mem') < 32) {
      return { code: 'TASK_GROUP_INVALID', message: `executor ${op.executor.executorId} needs at least cpus:0.01 and mem:32 of its own` };
    }
  }
  // The operations apply in order to what the offers hold: a RESERVE makes reserved resources a
  // later LAUNCH of the same accept may use, as in Mesos.
  const actor: Actor = {
    kind: 'framework',
    role,
    principal: f.info.principal,
    refinement: f.info.capabilities.includes('RESERVATION_REFINEMENT'),
  };
  let pool = R.add(...offers.map((o) => o.resources));
  let total = agent.resources;
  let dynamic = agent.dynamic;
  const launches: Launch[] = [];
  for (const [i, op] of e.operations.entries()) {
    if (op.type === 'LAUNCH' || op.type === 'LAUNCH_GROUP') {
      const wanted = R.add(...op.tasks.map((t) => t.resources), op.type === 'LAUNCH_GROUP' ? op.executor.resources : R.EMPTY);
      if (!R.contains(pool, wanted)) {
        return { code: 'RESOURCES_EXCEEDED', message: `operation ${i} (${op.type}) needs ${R.format(wanted)} but the offers hold ${R.format(pool) || 'nothing'} at that point` };
      }
      if (!allAllocatableTo(wanted, role)) {
        return { code: 'TASK_INVALID', message: `operation ${i} (${op.type}) uses resources reserved for another role than '${role}'` };
      }
      pool = R.subtract(pool, wanted);
      launches.push(op.type === 'LAUNCH_GROUP' ? { executor: op.executor, tasks: op.tasks } : { tasks: op.tasks });
      continue;
    }
    const c =
      op.type === 'RESERVE'
        ? reserve(op.resources, op.source, actor)
        : op.type === 'UNRESERVE'
          ? unreserve(op.resources, actor)
          : op.type === 'CREATE'
            ? createVolumes(op.volumes, total, actor)
            : destroyVolumes(op.volumes, actor);
    if (!c.ok) return { code: 'OPERATION_INVALID', message: `operation ${i}: ${c.error}` };
    const next = applyConversion(pool, c);
    if (typeof next === 'string') return { code: 'OPERATION_INVALID', message: `operation ${i} (${op.type}): ${next}` };
    pool = next;
    total = R.add(R.subtract(total, c.from), c.to);
    dynamic = nextDynamic(dynamic, c.from, c.to);
  }
  return { offers, launches, total, dynamic, left: pool };
}

function offersAccepted(state: State, e: EventOf<'OffersAccepted'>): State {
  state.counters.acceptCalls++;
  const f = state.frameworks.get(e.frameworkId);
  const v = validateAccept(state, e, f);
  const refusedTasks = e.operations.flatMap(operationTasks).map((t) => ({ taskId: t.taskId, agentId: t.agentId }));
  if ('code' in v) {
    state.counters.acceptsRefused++;
    // Offers of this framework named in a refused accept go back to the pool.
    for (const id of e.offerIds) {
      const o = state.offers.get(id);
      if (o !== undefined && o.frameworkId === e.frameworkId) retireOffer(state, o, 'USED');
    }
    owe(state, {
      type: 'AcceptRefused',
      id: `refused-${e.id}`,
      frameworkId: e.frameworkId,
      acceptId: e.id,
      code: v.code,
      message: v.message,
      offerIds: e.offerIds,
      tasks: refusedTasks,
    });
    return state;
  }
  const fw = f!;
  const agent = state.agents.get(v.offers[0]!.agentId)!;
  for (const o of v.offers) retireOffer(state, o, 'USED');
  state.counters.offersAccepted += v.offers.length;
  const role = v.offers[0]!.role;
  // Reservations and volumes made or undone by the accept change the agent's total resources.
  if (!R.equals(v.total, agent.resources)) {
    agent.dynamic = v.dynamic;
    setAgentResources(state, agent, v.total);
  }
  let launched = R.EMPTY;
  v.launches.forEach((launch, i) => {
    agent.commandSeq++;
    const seq = agent.commandSeq;
    const executorId = launch.executor?.executorId;
    if (launch.executor !== undefined) {
      const resources = R.normalise(launch.executor.resources);
      const ex: ExecutorState = {
        key: executorKey(fw.id, launch.executor.executorId),
        executorId: launch.executor.executorId,
        frameworkId: fw.id,
        agentId: agent.id,
        resources,
        taskKeys: new Set(),
        holdsResources: true,
        role,
      };
      state.executors.set(ex.key, ex);
      use(state, agent.id, fw.id, role, resources, 1);
      launched = R.add(launched, resources);
    }
    for (const info of launch.tasks) {
      const resources = R.normalise(info.resources);
      const t: TaskState = {
        key: taskKey(fw.id, info.taskId),
        taskId: info.taskId,
        frameworkId: fw.id,
        agentId: agent.id,
        name: info.name,
        resources,
        role,
        command: info.command,
        killGracePeriodMs: info.killGracePeriodMs,
        labels: info.labels,
        ...(info.healthCheck !== undefined ? { healthCheck: info.healthCheck } : {}),
        ...(info.check !== undefined ? { check: info.check } : {}),
        executorId,
        state: 'TASK_STAGING',
        statuses: [{ state: 'TASK_STAGING', timestamp: e.time, source: 'SOURCE_MASTER' }],
        unacknowledged: [],
        launchSeq: seq,
        holdsResources: true,
      };
      state.tasks.set(t.key, t);
      agent.taskKeys.add(t.key);
      fw.taskKeys.add(t.key);
      if (executorId !== undefined) state.executors.get(executorKey(fw.id, executorId))!.taskKeys.add(t.key);
      use(state, agent.id, fw.id, role, resources, 1);
      launched = R.add(launched, resources);
      reached(state, 'TASK_STAGING');
    }
    owe(state, {
      type: 'LaunchTasks',
      id: i === 0 ? `launch-${e.id}` : `launch-${e.id}-${i}`,
      agentId: agent.id,
      agentSeq: seq,
      frameworkId: fw.id,
      framework: { name: fw.info.name, user: fw.info.user, checkpoint: fw.info.checkpoint },
      role,
      ...(launch.executor !== undefined ? { executor: launch.executor } : {}),
      tasks: [...launch.tasks],
    });
  });
  // What the launches used meets the framework's stated demand.
  if (fw.demand.length > 0 && launched.length > 0) fw.demand = demandLeft(fw.demand, launched, role, agent.id);
  // What was offered and not used is declined with the accept's filter.
  addFilter(fw, agent.id, role, v.left, e.filters, e.time);
  return state;
}

/** Requests met by what was launched (by quantity, in order) leave the demand. */
function demandLeft(demand: readonly DemandEntry[], launched: Resources, role: string, agentId: AgentId): DemandEntry[] {
  const left = fromResources(launched);
  const out: DemandEntry[] = [];
  for (const d of demand) {
    const need = fromResources(d.resources);
    const fits = (d.role === undefined || d.role === role) && (d.agentId === undefined || d.agentId === agentId) && coversQ(left, need);
    if (fits) addInto(left, need, -1);
    else out.push(d);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tasks

function taskKillRequested(state: State, e: EventOf<'TaskKillRequested'>): State {
  const t = state.tasks.get(taskKey(e.frameworkId, e.taskId));
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  if (t === undefined || isTerminal(t.state)) {
    // Unknown to the master: tell the framework, as Mesos does, with a status it need not acknowledge.
    owe(state, {
      type: 'TaskStatusUpdated',
      id: `killed-unknown-${e.id}`,
      status: {
        agentId: t?.agentId ?? e.agentId ?? ('unknown' as AgentId),
        frameworkId: e.frameworkId,
        taskId: e.taskId,
        state: t?.state ?? (f.info.capabilities.includes('PARTITION_AWARE') ? 'TASK_UNKNOWN' : 'TASK_LOST'),
        source: 'SOURCE_MASTER',
        reason: 'REASON_RECONCILIATION',
        message: t === undefined ? 'Cannot kill an unknown task' : 'Task is already terminal',
        timestamp: e.time,
      },
    });
    return state;
  }
  const a = state.agents.get(t.agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  a.commandSeq++;
  owe(state, {
    type: 'KillTask',
    id: `kill-${e.id}`,
    agentId: a.id,
    agentSeq: a.commandSeq,
    frameworkId: t.frameworkId,
    taskId: t.taskId,
    ...(e.gracePeriodMs !== undefined
      ? { gracePeriodMs: e.gracePeriodMs }
      : t.killGracePeriodMs !== undefined
        ? { gracePeriodMs: t.killGracePeriodMs }
        : {}),
  });
  return state;
}

/** Legal moves of Mesos's task state machine, as the master enforces them. */
function transitionAllowed(from: TaskStateName, to: TaskStateName, reason: StatusReason | undefined): boolean {
  if (from === to) return true;
  if (from === 'TASK_UNREACHABLE' || from === 'TASK_LOST') {
    // Written off by the master; the agent comes back with the truth.
    return true;
  }
  if (isTerminal(from)) return false;
  if (to === 'TASK_STAGING') return false;
  if (from === 'TASK_RUNNING' && to === 'TASK_STARTING') return false;
  if (from === 'TASK_KILLING' && (to === 'TASK_STARTING' || to === 'TASK_RUNNING')) return reason === 'REASON_RECONCILIATION';
  return true;
}

function taskStatusUpdated(state: State, e: EventOf<'TaskStatusUpdated'>): State {
  const s = e.status;
  const t = state.tasks.get(taskKey(s.frameworkId, s.taskId));
  if (t === undefined || t.agentId !== s.agentId) {
    if (e.epoch === undefined) state.counters.invalidStatusUpdates++;
    return state;
  }
  if (e.epoch !== undefined) return state; // the leader's notice of a change the fold already made
  if (s.uuid !== undefined && t.statuses.some((r) => r.uuid === s.uuid)) return state; // a retry
  if (!transitionAllowed(t.state, s.state, s.reason)) {
    state.counters.invalidStatusUpdates++;
    return state;
  }
  state.counters.validStatusUpdates++;
  applyStatus(state, t, s);
  if (s.uuid !== undefined) t.unacknowledged.push(s.uuid);
  else if (isTerminal(t.state) && t.unacknowledged.length === 0) completeTask(state, t);
  return state;
}

function statusAcknowledged(state: State, e: EventOf<'StatusAcknowledged'>): State {
  const t = state.tasks.get(taskKey(e.frameworkId, e.taskId));
  if (t === undefined || t.agentId !== e.agentId || !t.statuses.some((r) => r.uuid === e.uuid)) {
    state.counters.invalidAcknowledgements++;
    return state;
  }
  state.counters.validAcknowledgements++;
  const i = t.unacknowledged.indexOf(e.uuid);
  if (i >= 0) {
    t.unacknowledged.splice(i, 1);
    if (t.unacknowledged.length === 0 && isTerminal(t.state)) completeTask(state, t);
  }
  return state;
}

type StatusInput = Pick<TaskStatus, 'state' | 'source' | 'timestamp'> & Partial<Pick<TaskStatus, 'reason' | 'message' | 'uuid' | 'healthy' | 'checkStatus'>>;

export function applyStatus(state: State, t: TaskState, s: StatusInput): void {
  if (t.state !== s.state) reached(state, s.state);
  t.state = s.state;
  t.statuses.push({
    state: s.state,
    timestamp: s.timestamp,
    source: s.source,
    reason: s.reason,
    message: s.message,
    uuid: s.uuid,
    healthy: s.healthy,
    ...(s.checkStatus !== undefined ? { checkStatus: s.checkStatus } : {}),
  });
  if (t.statuses.length > LIMITS.statusesPerTask) {
    const [gone] = t.statuses.splice(1, 1); // keep the first (STAGING)
    // An update whose record is gone can no longer be delivered again: it is not awaited either.
    if (gone?.uuid !== undefined) {
      const i = t.unacknowledged.indexOf(gone.uuid);
      if (i >= 0) t.unacknowledged.splice(i, 1);
    }
  }
  const holds = holdsResources(t.state);
  if (!holds && t.holdsResources) releaseResources(state, t);
  else if (holds && !t.holdsResources) holdResources(state, t);
}

/** Terminal tasks, and tasks on an unreachable agent, hold no resources. */
const holdsResources = (s: TaskStateName): boolean => !isTerminal(s) && s !== 'TASK_UNREACHABLE';

function releaseResources(state: State, t: TaskState): void {
  t.holdsResources = false;
  use(state, t.agentId, t.frameworkId, t.role, t.resources, -1);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  // A group's executor lets go of its own resources when none of its tasks holds any.
  if (ex !== undefined && ex.holdsResources && ![...ex.taskKeys].some((k) => state.tasks.get(k)?.holdsResources === true)) {
    ex.holdsResources = false;
    use(state, ex.agentId, ex.frameworkId, ex.role ?? t.role, ex.resources, -1);
  }
}

function holdResources(state: State, t: TaskState): void {
  t.holdsResources = true;
  use(state, t.agentId, t.frameworkId, t.role, t.resources, 1);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  if (ex !== undefined && !ex.holdsResources) {
    ex.holdsResources = true;
    use(state, ex.agentId, ex.frameworkId, ex.role ?? t.role, ex.resources, 1);
  }
}

/** A terminal task leaves the live set for its framework's completed list. */
function completeTask(state: State, t: TaskState): void {
  if (t.holdsResources) releaseResources(state, t);
  state.tasks.delete(t.key);
  const a = state.agents.get(t.agentId);
  a?.taskKeys.delete(t.key);
  if (t.executorId !== undefined) {
    const ex = state.executors.get(executorKey(t.frameworkId, t.executorId));
    if (ex !== undefined && [...ex.taskKeys].every((k) => !state.tasks.has(k))) state.executors.delete(ex.key);
  }
  if (a !== undefined) drainProgress(state, a, t.key);
  const f = state.frameworks.get(t.frameworkId);
  if (f === undefined) return;
  f.taskKeys.delete(t.key);
  f.completedTasks.push(t);
  if (f.completedTasks.length > LIMITS.completedTasksPerFramework) f.completedTasks.shift();
}

/**
 * A draining agent is DRAINED once none of its tasks is left (their terminal updates acknowledged);
 * with mark_gone it is then marked gone, which the leader decides (AgentRemoved{OPERATOR}).
 */
export function drainProgress(state: State, a: AgentState, causeId: string): void {
  if (a.drain === null || a.drain.state !== 'DRAINING' || a.taskKeys.size > 0) return;
  a.drain.state = 'DRAINED';
  if (a.drain.markGone && a.status !== 'REMOVED') owe(state, { type: 'AgentRemoved', id: `gone-${a.id}-${causeId}`, agentId: a.id, reason: 'OPERATOR' });
}

/** Kill a live task from the master (drain, framework removal): a KillTask command is owed. */
export function killFromMaster(state: State, t: TaskState, causeId: string, reason: StatusReason, maxGraceMs?: number | null): void {
  const a = state.agents.get(t.agentId);
  if (a === undefined || a.status === 'REMOVED') return;
  a.commandSeq++;
  const grace = maxGraceMs === undefined || maxGraceMs === null ? t.killGracePeriodMs : Math.min(maxGraceMs, t.killGracePeriodMs ?? maxGraceMs);
  owe(state, {
    type: 'KillTask',
    id: `kill-${causeId}-${t.taskId}`,
    agentId: a.id,
    agentSeq: a.commandSeq,
    frameworkId: t.frameworkId,
    taskId: t.taskId,
    reason,
    ...(grace !== undefined ? { gracePeriodMs: grace } : {}),
  });
}

/**
 * The leader owes the framework a notice of a status the master itself decided (`told` is what a
 * framework that is not partition-aware hears instead, e.g. TASK_LOST for TASK_UNREACHABLE).
 */
export function ownStatus(state: State, t: TaskState, causeId: string, told?: TaskStateName): void {
  const last = t.statuses[t.statuses.length - 1]!;
  owe(state, {
    type: 'TaskStatusUpdated',
    id: `status-${causeId}-${t.key}`,
    status: {
      agentId: t.agentId,
      frameworkId: t.frameworkId,
      taskId: t.taskId,
      state: told ?? last.state,
      source: last.source,
      timestamp: last.timestamp,
      ...(last.reason !== undefined ? { reason: last.reason } : {}),
      ...(last.message !== undefined ? { message: last.message } : {}),
    },
  });
  if (isTerminal(t.state)) completeTask(state, t);
}

function reached(state: State, s: TaskStateName): void {
  state.counters.tasksReached[s] = (state.counters.tasksReached[s] ?? 0) + 1;
}


