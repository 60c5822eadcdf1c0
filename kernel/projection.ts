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
  taskKey,
} from '../events/index.js';
import * as R from './resources.js';
import {
  type AgentState,
  type ExecutorState,
  executorKey,
  type FrameworkState,
  initialState,
  LIMITS,
  type OfferState,
  type RetiredOffer,
  type State,
  type TaskState,
} from './state.js';

export { initialState };

/** Mesos's default refuse filter; publishers resolve it (events/filters.ts), events carry the value. */
export { DEFAULT_REFUSE_SECONDS } from '../events/index.js';

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
    case 'OffersRevived': {
      const f = state.frameworks.get(e.frameworkId);
      if (f !== undefined && f.status !== 'REMOVED') {
        f.suppressed = false;
        f.filters.clear();
      }
      return state;
    }
    case 'OffersSuppressed': {
      const f = state.frameworks.get(e.frameworkId);
      if (f !== undefined && f.status !== 'REMOVED') f.suppressed = true;
      return state;
    }
    default: {
      const never: never = e;
      return never;
    }
  }
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
  // Offers of the old epoch are rescinded; the new leader offers afresh.
  const byFramework = new Map<FrameworkId, OfferId[]>();
  for (const o of [...state.offers.values()]) {
    retireOffer(state, o, 'RESCINDED');
    byFramework.set(o.frameworkId, [...(byFramework.get(o.frameworkId) ?? []), o.id]);
  }
  for (const [frameworkId, offerIds] of byFramework) {
    owe(state, { type: 'OffersRescinded', id: `rescind-${e.id}-${frameworkId}`, frameworkId, offerIds, reason: 'LEADER_CHANGED' });
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Agents

function agentRegistered(state: State, e: EventOf<'AgentRegistered'> | EventOf<'AgentReregistered'>, re: boolean): State {
  const existing = state.agents.get(e.agentId);
  const resources = R.normalise(e.resources);
  if (existing === undefined) {
    state.agents.set(e.agentId, {
      id: e.agentId,
      hostname: e.hostname,
      port: e.port,
      ...(e.ip !== undefined ? { ip: e.ip } : {}),
      version: e.version,
      isolation: e.isolation,
      resources,
      attributes: e.attributes,
      used: R.EMPTY,
      offered: R.EMPTY,
      status: 'ACTIVE',
      registeredAt: e.time,
      reregisteredAt: re ? e.time : null,
      commandSeq: 0,
      lastCommandSeqSeen: 0,
      taskKeys: new Set(),
      offerIds: new Set(),
    });
    if (re) state.counters.slaveReregistrations++;
    else state.counters.slaveRegistrations++;
  } else {
    existing.hostname = e.hostname;
    existing.port = e.port;
    existing.ip = e.ip;
    existing.version = e.version;
    existing.isolation = e.isolation;
    existing.attributes = e.attributes;
    existing.resources = resources;
    existing.status = 'ACTIVE';
    existing.reregisteredAt = e.time;
    state.counters.slaveReregistrations++;
  }
  const agent = state.agents.get(e.agentId)!;
  if (e.type === 'AgentReregistered') reconcileAgentTasks(state, agent, e);
  return state;
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
  rescindAgentOffers(state, a, causeId);
  return state;
}

function agentRemoved(state: State, e: EventOf<'AgentRemoved'>): State {
  const a = state.agents.get(e.agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  a.status = 'REMOVED';
  state.counters.slaveRemovals++;
  rescindAgentOffers(state, a, e.id);
  // Commands not yet sent to it are void: its tasks are written off below.
  for (const [id, d] of [...state.outbox]) {
    if ((d.type === 'LaunchTasks' || d.type === 'KillTask') && d.agentId === a.id) state.outbox.delete(id);
  }
  for (const key of [...a.taskKeys]) {
    const t = state.tasks.get(key);
    if (t === undefined || isTerminal(t.state)) continue;
    const fw = state.frameworks.get(t.frameworkId);
    const partitionAware = fw?.info.capabilities.includes('PARTITION_AWARE') ?? false;
    // As Mesos: the master keeps the tasks of an unreachable agent as TASK_UNREACHABLE (they come
    // back if it does) and frameworks that are not partition-aware are told TASK_LOST. An agent
    // removed by the operator is gone for good.
    const reason: StatusReason = e.reason === 'OPERATOR' ? 'REASON_AGENT_REMOVED_BY_OPERATOR' : 'REASON_AGENT_REMOVED';
    const next: TaskStateName = e.reason === 'OPERATOR' ? 'TASK_GONE_BY_OPERATOR' : 'TASK_UNREACHABLE';
    applyStatus(state, t, { state: next, source: 'SOURCE_MASTER', reason, timestamp: e.time, message: 'Agent removed' });
    ownStatus(state, t, e.id, partitionAware ? next : 'TASK_LOST');
  }
  return state;
}

function rescindAgentOffers(state: State, a: AgentState, causeId: string): void {
  const byFramework = new Map<FrameworkId, OfferId[]>();
  for (const id of [...a.offerIds]) {
    const o = state.offers.get(id);
    if (o === undefined) continue;
    retireOffer(state, o, 'RESCINDED');
    byFramework.set(o.frameworkId, [...(byFramework.get(o.frameworkId) ?? []), id]);
  }
  for (const [frameworkId, offerIds] of byFramework) {
    const fw = state.frameworks.get(frameworkId);
    if (fw?.status !== 'ACTIVE') continue;
    owe(state, { type: 'OffersRescinded', id: `rescind-${causeId}-${frameworkId}`, frameworkId, offerIds, reason: 'AGENT_GONE' });
  }
}

// ---------------------------------------------------------------------------------------------
// Frameworks

function frameworkSubscribed(state: State, e: EventOf<'FrameworkSubscribed'>): State {
  if (state.completedFrameworks.some((f) => f.id === e.frameworkId)) return state; // removed ids stay removed
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) {
    state.frameworks.set(e.frameworkId, {
      id: e.frameworkId,
      info: e.info,
      status: 'ACTIVE',
      registeredAt: e.time,
      reregisteredAt: null,
      unregisteredAt: null,
      disconnectedAt: null,
      suppressed: false,
      used: R.EMPTY,
      offered: R.EMPTY,
      filters: new Map(),
      taskKeys: new Set(),
      offerIds: new Set(),
      completedTasks: [],
    });
    state.counters.frameworksSubscribed++;
    return state;
  }
  // A re-subscription (failover of the scheduler): its outstanding offers are void.
  for (const id of [...f.offerIds]) {
    const o = state.offers.get(id);
    if (o !== undefined) retireOffer(state, o, 'RESCINDED');
  }
  f.info = { ...e.info, user: f.info.user, checkpoint: f.info.checkpoint };
  f.status = 'ACTIVE';
  f.reregisteredAt = e.time;
  f.disconnectedAt = null;
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
      !state.offers.has(o.offerId) &&
      !state.retiredOffers.has(o.offerId) &&
      a !== undefined &&
      a.status === 'ACTIVE' &&
      resources.length > 0 &&
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
    state.offers.set(offer.id, offer);
    a.offered = R.add(a.offered, resources);
    a.offerIds.add(offer.id);
    f.offered = R.add(f.offered, resources);
    f.offerIds.add(offer.id);
    state.counters.offersCreated++;
  }
  return state;
}

/** What an agent can still offer: total − used − offered. */
export function available(a: AgentState): Resources {
  return R.subtractClamped(R.subtractClamped(a.resources, a.used), a.offered);
}

function retireOffer(state: State, o: OfferState, why: RetiredOffer): void {
  state.offers.delete(o.id);
  state.retiredOffers.set(o.id, why);
  if (state.retiredOffers.size > LIMITS.retiredOffers) {
    const oldest = state.retiredOffers.keys().next().value;
    if (oldest !== undefined) state.retiredOffers.delete(oldest);
  }
  const a = state.agents.get(o.agentId);
  if (a !== undefined) {
    a.offered = R.subtractClamped(a.offered, o.resources);
    a.offerIds.delete(o.id);
  }
  const f = state.frameworks.get(o.frameworkId);
  if (f !== undefined) {
    f.offered = R.subtractClamped(f.offered, o.resources);
    f.offerIds.delete(o.id);
  }
}

function addFilter(f: FrameworkState, agentId: AgentId, resources: Resources, filters: Filters, now: number): void {
  const secs = filters.refuseSeconds;
  if (secs === 0 || resources.length === 0) return;
  // Expired filters are dropped whenever a framework gets a new one, so the map stays small.
  for (const [id, flt] of f.filters) if (flt.until <= now) f.filters.delete(id);
  f.filters.set(agentId, { resources, until: now + Math.round(secs * 1000) });
}

function offersDeclined(state: State, e: EventOf<'OffersDeclined'>): State {
  state.counters.declineCalls++;
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  const byAgent = new Map<AgentId, Resources>();
  for (const id of new Set(e.offerIds)) {
    const o = state.offers.get(id);
    if (o === undefined || o.frameworkId !== f.id) continue;
    retireOffer(state, o, 'DECLINED');
    byAgent.set(o.agentId, R.add(byAgent.get(o.agentId) ?? R.EMPTY, o.resources));
    state.counters.offersDeclined++;
  }
  for (const [agentId, res] of byAgent) addFilter(f, agentId, res, e.filters, e.time);
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

/** An HTTP or TCP (health) check without a port defaults to the task's first port: the task must have one. */
function checkWithoutPort(t: TaskInfo): string | undefined {
  if (R.ranges(t.resources, 'ports').length > 0) return undefined;
  for (const [what, c] of [['health check', t.healthCheck], ['check', t.check]] as const) {
    if (c === undefined) continue;
    if ((c.type === 'HTTP' && c.http?.port === undefined) || (c.type === 'TCP' && c.tcp?.port === undefined)) return `${c.type} ${what}`;
  }
  return undefined;
}

function validateAccept(state: State, e: EventOf<'OffersAccepted'>, f: FrameworkState | undefined): Refusal | { offers: OfferState[]; launches: Launch[] } {
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
  const agent = state.agents.get(agentId);
  if (agent === undefined || agent.status !== 'ACTIVE') return { code: 'AGENT_INACTIVE', message: `agent ${agentId} is not active` };
  const tasks = e.operations.flatMap((op) => op.tasks);
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
  const offered = R.add(...offers.map((o) => o.resources));
  const wanted = R.add(...tasks.map((t) => t.resources), ...e.operations.map((op) => (op.type === 'LAUNCH_GROUP' ? op.executor.resources : R.EMPTY)));
  if (!R.contains(offered, wanted)) {
    return { code: 'RESOURCES_EXCEEDED', message: `the operations need ${R.format(wanted)} but the offers hold ${R.format(offered)}` };
  }
  return { offers, launches: e.operations.map((op) => (op.type === 'LAUNCH_GROUP' ? { executor: op.executor, tasks: op.tasks } : { tasks: op.tasks })) };
}

function offersAccepted(state: State, e: EventOf<'OffersAccepted'>): State {
  state.counters.acceptCalls++;
  const f = state.frameworks.get(e.frameworkId);
  const v = validateAccept(state, e, f);
  const refusedTasks = e.operations.flatMap((op) => op.tasks.map((t) => ({ taskId: t.taskId, agentId: t.agentId })));
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
  const offered = R.add(...v.offers.map((o) => o.resources));
  for (const o of v.offers) retireOffer(state, o, 'USED');
  state.counters.offersAccepted += v.offers.length;
  const role = v.offers[0]!.role;
  let used: Resources = R.EMPTY;
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
      };
      state.executors.set(ex.key, ex);
      agent.used = R.add(agent.used, resources);
      fw.used = R.add(fw.used, resources);
      used = R.add(used, resources);
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
        unacknowledged: null,
        launchSeq: seq,
        holdsResources: true,
      };
      state.tasks.set(t.key, t);
      agent.taskKeys.add(t.key);
      fw.taskKeys.add(t.key);
      if (executorId !== undefined) state.executors.get(executorKey(fw.id, executorId))!.taskKeys.add(t.key);
      agent.used = R.add(agent.used, resources);
      fw.used = R.add(fw.used, resources);
      used = R.add(used, resources);
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
  // What was offered and not used is declined with the accept's filter.
  addFilter(fw, agent.id, R.subtractClamped(offered, used), e.filters, e.time);
  return state;
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
  if (s.uuid !== undefined) t.unacknowledged = s.uuid;
  else if (isTerminal(t.state)) completeTask(state, t);
  return state;
}

function statusAcknowledged(state: State, e: EventOf<'StatusAcknowledged'>): State {
  const t = state.tasks.get(taskKey(e.frameworkId, e.taskId));
  if (t === undefined || t.agentId !== e.agentId || !t.statuses.some((r) => r.uuid === e.uuid)) {
    state.counters.invalidAcknowledgements++;
    return state;
  }
  state.counters.validAcknowledgements++;
  if (t.unacknowledged === e.uuid) {
    t.unacknowledged = null;
    if (isTerminal(t.state)) completeTask(state, t);
  }
  return state;
}

type StatusInput = Pick<TaskStatus, 'state' | 'source' | 'timestamp'> & Partial<Pick<TaskStatus, 'reason' | 'message' | 'uuid' | 'healthy' | 'checkStatus'>>;

function applyStatus(state: State, t: TaskState, s: StatusInput): void {
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
  if (t.statuses.length > LIMITS.statusesPerTask) t.statuses.splice(1, 1); // keep the first (STAGING)
  const holds = holdsResources(t.state);
  if (!holds && t.holdsResources) releaseResources(state, t);
  else if (holds && !t.holdsResources) holdResources(state, t);
}

/** Terminal tasks, and tasks on an unreachable agent, hold no resources. */
const holdsResources = (s: TaskStateName): boolean => !isTerminal(s) && s !== 'TASK_UNREACHABLE';

function releaseResources(state: State, t: TaskState): void {
  t.holdsResources = false;
  unhold(state, t.agentId, t.frameworkId, t.resources);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  // A group's executor lets go of its own resources when none of its tasks holds any.
  if (ex !== undefined && ex.holdsResources && ![...ex.taskKeys].some((k) => state.tasks.get(k)?.holdsResources === true)) {
    ex.holdsResources = false;
    unhold(state, ex.agentId, ex.frameworkId, ex.resources);
  }
}

function holdResources(state: State, t: TaskState): void {
  t.holdsResources = true;
  hold(state, t.agentId, t.frameworkId, t.resources);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  if (ex !== undefined && !ex.holdsResources) {
    ex.holdsResources = true;
    hold(state, ex.agentId, ex.frameworkId, ex.resources);
  }
}

function hold(state: State, agentId: AgentId, frameworkId: FrameworkId, rs: Resources): void {
  const a = state.agents.get(agentId);
  if (a !== undefined) a.used = R.add(a.used, rs);
  const f = state.frameworks.get(frameworkId);
  if (f !== undefined) f.used = R.add(f.used, rs);
}

function unhold(state: State, agentId: AgentId, frameworkId: FrameworkId, rs: Resources): void {
  const a = state.agents.get(agentId);
  if (a !== undefined) a.used = R.subtractClamped(a.used, rs);
  const f = state.frameworks.get(frameworkId);
  if (f !== undefined) f.used = R.subtractClamped(f.used, rs);
}

/** A terminal task leaves the live set for its framework's completed list. */
function completeTask(state: State, t: TaskState): void {
  if (t.holdsResources) releaseResources(state, t);
  state.tasks.delete(t.key);
  state.agents.get(t.agentId)?.taskKeys.delete(t.key);
  if (t.executorId !== undefined) {
    const ex = state.executors.get(executorKey(t.frameworkId, t.executorId));
    if (ex !== undefined && [...ex.taskKeys].every((k) => !state.tasks.has(k))) state.executors.delete(ex.key);
  }
  const f = state.frameworks.get(t.frameworkId);
  if (f === undefined) return;
  f.taskKeys.delete(t.key);
  f.completedTasks.push(t);
  if (f.completedTasks.length > LIMITS.completedTasksPerFramework) f.completedTasks.shift();
}

/**
 * The leader owes the framework a notice of a status the master itself decided (`told` is what a
 * framework that is not partition-aware hears instead, e.g. TASK_LOST for TASK_UNREACHABLE).
 */
function ownStatus(state: State, t: TaskState, causeId: string, told?: TaskStateName): void {
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

function owe(state: State, d: Draft): void {
  state.outbox.set(d.id, d);
}
