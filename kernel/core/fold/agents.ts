/**
 * The fold of agents: registration and re-registration (reconciling the tasks an agent reports),
 * disconnection, removal (its tasks lost or gone, its offers rescinded), machines that are down.
 */
import { type AgentId, type EventOf, type StatusReason, type TaskStateName, isTerminal, taskKey } from '../../../events/index.js';
import { type AgentState, type OfferState, type State, machineKey } from '../state.js';
import { countAgent, owe, rescindOffers, setAgentResources, touch } from '../accounts.js';
import { withDynamic } from '../reservations.js';
import * as R from '../resources.js';
import { applyStatus, ownStatus } from './tasks.js';
import { dropAgentExecutors } from './executors.js';

export function agentRegistered(state: State, e: EventOf<'AgentRegistered'> | EventOf<'AgentReregistered'>, re: boolean): State {
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

export function agentDisconnected(state: State, agentId: AgentId, causeId: string): State {
  const a = state.agents.get(agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  a.status = 'DISCONNECTED';
  touch(state, a.id);
  rescindAgentOffers(state, a, causeId, 'AGENT_GONE');
  return state;
}

export function agentRemoved(state: State, e: EventOf<'AgentRemoved'>): State {
  const a = state.agents.get(e.agentId);
  if (a === undefined) return state;
  if (a.status === 'REMOVED') {
    // As Mesos: an unreachable agent may still be marked gone; its tasks are then gone for good.
    if (e.reason === 'OPERATOR' && !a.gone) markRemovedAgentGone(state, a, e.id, e.time);
    return state;
  }
  removeAgent(state, a, e.reason, e.id, e.time);
  return state;
}

/**
 * MARK_AGENT_GONE on an agent already removed (unreachable, or down for maintenance): it may never
 * come back, and the tasks it was still known to hold (TASK_UNREACHABLE) become
 * TASK_GONE_BY_OPERATOR, told to their frameworks (TASK_LOST to one that is not partition-aware).
 */
function markRemovedAgentGone(state: State, a: AgentState, causeId: string, time: number): void {
  a.gone = true;
  touch(state, a.id);
  for (const key of [...a.taskKeys]) {
    const t = state.tasks.get(key);
    if (t === undefined || isTerminal(t.state)) continue;
    const partitionAware = state.frameworks.get(t.frameworkId)?.info.capabilities.includes('PARTITION_AWARE') ?? false;
    applyStatus(state, t, { state: 'TASK_GONE_BY_OPERATOR', source: 'SOURCE_MASTER', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', timestamp: time, message: 'Agent marked gone by the operator' });
    ownStatus(state, t, causeId, partitionAware ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST');
  }
}

/**
 * An agent leaves the cluster: unreachable (its tasks become TASK_UNREACHABLE and come back if it
 * does), marked gone by the operator (TASK_GONE_BY_OPERATOR, for good) or taken down for
 * maintenance (TASK_GONE_BY_OPERATOR; it may come back once the maintenance stops).
 */
export function removeAgent(state: State, a: AgentState, reason: 'UNREACHABLE' | 'OPERATOR' | 'MAINTENANCE', causeId: string, time: number): void {
  rescindAgentOffers(state, a, causeId, 'AGENT_GONE');
  dropAgentExecutors(state, a);
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
