/**
 * What an event can change, read from the state just before it is folded: the agents, frameworks
 * and tasks it names (direct), and those it reaches through the state (indirect: the tasks of an
 * agent that is removed, the offers — and so the agents — of a framework that goes away, every
 * outstanding offer at an election). Timelines and diffs use it to look only where an event can
 * have had an effect, so they stay cheap on long logs.
 */
import { type AgentId, type ClusterEvent, type FrameworkId, type TaskKey, operationTasks, taskKey } from '../events/index.js';
import { agentsOn } from '../kernel/core/fold/allocation.js';
import type { State } from '../kernel/core/state.js';

export interface Touches {
  /** true: the event names it; false: reached through the state. */
  readonly agents: Map<AgentId, boolean>;
  readonly frameworks: Map<FrameworkId, boolean>;
  readonly tasks: Map<TaskKey, boolean>;
}

export function touches(s: State, e: ClusterEvent): Touches {
  const t: Touches = { agents: new Map(), frameworks: new Map(), tasks: new Map() };
  const agent = (id: AgentId, direct: boolean): void => void (t.agents.get(id) !== true && t.agents.set(id, direct));
  const framework = (id: FrameworkId, direct: boolean): void => void (t.frameworks.get(id) !== true && t.frameworks.set(id, direct));
  const task = (k: TaskKey, direct: boolean): void => {
    if (t.tasks.get(k) !== true) t.tasks.set(k, direct);
    const known = s.tasks.get(k);
    if (known !== undefined) {
      agent(known.agentId, false);
      framework(known.frameworkId, false);
    }
  };
  const offer = (id: string): void => {
    const o = s.offers.get(id as never);
    if (o !== undefined) {
      agent(o.agentId, false);
      framework(o.frameworkId, false);
    }
  };
  const agentWide = (id: AgentId): void => {
    const a = s.agents.get(id);
    if (a === undefined) return;
    for (const k of a.taskKeys) task(k, false);
    for (const o of a.offerIds) offer(o);
  };
  const frameworkWide = (id: FrameworkId): void => {
    const f = s.frameworks.get(id);
    if (f === undefined) return;
    for (const k of f.taskKeys) task(k, false);
    for (const o of f.offerIds) offer(o);
  };
  switch (e.type) {
    case 'LeaderElected':
      for (const o of s.offers.keys()) offer(o);
      break;
    case 'AgentRegistered':
    case 'AgentDisconnected':
    case 'AgentRemoved':
      agent(e.agentId, true);
      agentWide(e.agentId);
      break;
    case 'AgentReregistered':
      agent(e.agentId, true);
      for (const r of e.tasks) {
        framework(r.frameworkId, true);
        task(taskKey(r.frameworkId, r.taskId), true);
      }
      agentWide(e.agentId);
      break;
    case 'FrameworkSubscribed':
    case 'FrameworkDisconnected':
    case 'FrameworkRemoved':
    case 'OffersRevived':
    case 'OffersSuppressed':
      framework(e.frameworkId, true);
      frameworkWide(e.frameworkId);
      break;
    case 'OffersCreated':
      framework(e.frameworkId, true);
      for (const o of e.offers) agent(o.agentId, true);
      break;
    case 'OffersRescinded':
    case 'OffersDeclined':
      framework(e.frameworkId, true);
      for (const id of e.offerIds) offer(id);
      break;
    case 'OffersAccepted':
      framework(e.frameworkId, true);
      for (const id of e.offerIds) offer(id);
      for (const op of e.operations) {
        for (const ti of operationTasks(op)) {
          agent(ti.agentId, true);
          task(taskKey(e.frameworkId, ti.taskId), true);
        }
      }
      break;
    case 'AcceptRefused':
      framework(e.frameworkId, true);
      for (const r of e.tasks) {
        agent(r.agentId, true);
        task(taskKey(e.frameworkId, r.taskId), true);
      }
      break;
    case 'LaunchTasks':
      agent(e.agentId, true);
      framework(e.frameworkId, true);
      for (const ti of e.tasks) task(taskKey(e.frameworkId, ti.taskId), true);
      break;
    case 'FrameworkMessageSent':
    case 'DeliverFrameworkMessage':
    case 'ExecutorMessageSent':
    case 'ExecutorExited':
      agent(e.agentId, true);
      framework(e.frameworkId, true);
      break;
    case 'KillTask':
      agent(e.agentId, true);
      framework(e.frameworkId, true);
      task(taskKey(e.frameworkId, e.taskId), true);
      break;
    case 'TaskKillRequested':
      framework(e.frameworkId, true);
      if (e.agentId !== undefined) agent(e.agentId, true);
      task(taskKey(e.frameworkId, e.taskId), true);
      break;
    case 'TaskStatusUpdated':
      agent(e.status.agentId, true);
      framework(e.status.frameworkId, true);
      task(taskKey(e.status.frameworkId, e.status.taskId), true);
      break;
    case 'StatusAcknowledged':
      agent(e.agentId, true);
      framework(e.frameworkId, true);
      task(taskKey(e.frameworkId, e.taskId), true);
      break;
    // Roles, quota, the allocator's settings: cluster-wide; the offers they change are rescinded
    // by events of their own.
    case 'WeightsUpdated':
    case 'QuotaUpdated':
    case 'AllocatorConfigured':
    case 'MaintenanceScheduleUpdated':
      break;
    case 'ResourcesReserved':
    case 'ResourcesUnreserved':
    case 'VolumesCreated':
    case 'VolumesDestroyed':
      agent(e.agentId, true);
      break;
    case 'AgentDrainStarted':
    case 'AgentDeactivated':
    case 'AgentReactivated':
      agent(e.agentId, true);
      agentWide(e.agentId);
      break;
    case 'MaintenanceStarted':
    case 'MaintenanceStopped':
      for (const m of e.machines) {
        for (const a of agentsOn(s, m)) {
          agent(a.id, true);
          agentWide(a.id);
        }
      }
      break;
    case 'InverseOffersCreated':
      framework(e.frameworkId, true);
      for (const o of e.inverseOffers) agent(o.agentId, true);
      break;
    case 'InverseOffersRescinded':
    case 'InverseOffersAccepted':
    case 'InverseOffersDeclined':
    case 'ResourcesRequested':
    case 'DemandUnmet':
      framework(e.frameworkId, true);
      break;
    default: {
      const never: never = e;
      return never;
    }
  }
  return t;
}

/** The framework and task id of a task key (framework ids never hold a "/"). */
export function splitTaskKey(k: TaskKey): { frameworkId: FrameworkId; taskId: string } {
  const i = k.indexOf('/');
  return { frameworkId: k.slice(0, i) as FrameworkId, taskId: k.slice(i + 1) };
}
