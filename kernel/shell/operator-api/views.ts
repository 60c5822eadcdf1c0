/**
 * The operator API's answers (master.proto's Response messages) as JSON, built from the projection:
 * GET_STATE and its parts (agents, frameworks, tasks, executors), GET_ROLES, GET_WEIGHTS,
 * GET_QUOTA, the maintenance schedule and status, GET_MASTER, GET_FLAGS, GET_VERSION. Field names
 * and nesting follow Mesos (resources in the v1 form, times as `{nanoseconds}`). Pure.
 */
import * as R from '../../core/resources.js';
import { roleViews } from '../http/roles-json.js';
import { fromMilli, QUANTITY_NAMES } from '../../core/quantities.js';
import { scalarMap } from '../../core/quota.js';
import {
  attributesToMesos,
  frameworkInfoToMesos,
  type MesosResourceJson,
  nanos,
  offerConstraintsToMesos,
  offerToMesos,
  resourcesToMesos,
  statusToMesos,
  unavailabilityToMesos,
} from '../scheduler-api/convert/index.js';
import type { AgentState, FrameworkState, MachineId, State, TaskState } from '../../core/state.js';

type Json = unknown;

const idOf = (value: string): { value: string } => ({ value });
const machineJson = (m: MachineId): Record<string, string> => ({ ...(m.hostname !== undefined ? { hostname: m.hostname } : {}), ...(m.ip !== undefined ? { ip: m.ip } : {}) });

export function agentJson(a: AgentState, state: State): Json {
  const allocated: MesosResourceJson[] = [];
  // Used resources with the role they are allocated to (from the tasks on it).
  const byRole = new Map<string, R.Resources>();
  for (const k of a.taskKeys) {
    const t = state.tasks.get(k);
    if (t === undefined || !t.holdsResources) continue;
    byRole.set(t.role, R.add(byRole.get(t.role) ?? R.EMPTY, t.resources));
  }
  for (const [role, rs] of byRole) allocated.push(...resourcesToMesos(rs, role));
  const offered: MesosResourceJson[] = [];
  for (const id of a.offerIds) {
    const o = state.offers.get(id);
    if (o !== undefined) offered.push(...resourcesToMesos(o.resources, o.role));
  }
  return {
    agent_info: {
      hostname: a.hostname,
      port: a.port,
      id: idOf(a.id),
      resources: resourcesToMesos(a.resources),
      attributes: attributesToMesos(a.attributes),
    },
    active: a.status === 'ACTIVE' && !a.deactivated,
    deactivated: a.deactivated,
    version: a.version,
    pid: `slave(1)@${a.ip ?? a.hostname}:${a.port}`,
    registered_time: nanos(a.registeredAt),
    ...(a.reregisteredAt !== null ? { reregistered_time: nanos(a.reregisteredAt) } : {}),
    total_resources: resourcesToMesos(a.resources),
    allocated_resources: allocated,
    offered_resources: offered,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'AGENT_DRAINING'].map((type) => ({ type })),
    ...(a.drain !== null
      ? {
          drain_info: {
            state: a.drain.state,
            config: { ...(a.drain.maxGracePeriodMs !== null ? { max_grace_period: nanos(a.drain.maxGracePeriodMs) } : {}), mark_gone: a.drain.markGone },
          },
        }
      : {}),
  };
}

export const getAgents = (state: State): Json => ({
  agents: [...state.agents.values()].filter((a) => a.status !== 'REMOVED').map((a) => agentJson(a, state)),
  recovered_agents: [],
});

export function frameworkJson(state: State, f: FrameworkState): Json {
  const offers = [...f.offerIds].flatMap((id) => {
    const o = state.offers.get(id);
    if (o === undefined) return [];
    const a = state.agents.get(o.agentId);
    return [offerToMesos({ id: o.id, frameworkId: f.id, agentId: o.agentId, hostname: o.hostname, role: o.role, resources: o.resources }, a ? { port: a.port, attributes: a.attributes } : undefined)];
  });
  const inverse = [...state.inverseOffers.values()]
    .filter((io) => io.frameworkId === f.id)
    .map((io) => ({ id: idOf(io.id), framework_id: idOf(f.id), agent_id: idOf(io.agentId), unavailability: unavailabilityToMesos(io.unavailability) }));
  const allocated: MesosResourceJson[] = [];
  for (const k of f.taskKeys) {
    const t = state.tasks.get(k);
    if (t?.holdsResources) allocated.push(...resourcesToMesos(t.resources, t.role));
  }
  const offered = [...f.offerIds].flatMap((id) => {
    const o = state.offers.get(id);
    return o === undefined ? [] : resourcesToMesos(o.resources, o.role);
  });
  return {
    framework_info: frameworkInfoToMesos(f.info, f.id),
    active: f.status === 'ACTIVE',
    connected: f.status === 'ACTIVE',
    recovered: false,
    registered_time: nanos(f.registeredAt),
    ...(f.reregisteredAt !== null ? { reregistered_time: nanos(f.reregisteredAt) } : {}),
    ...(f.unregisteredAt !== null ? { unregistered_time: nanos(f.unregisteredAt) } : {}),
    offers,
    inverse_offers: inverse,
    allocated_resources: allocated,
    offered_resources: offered,
    ...(f.info.offerConstraints !== undefined ? { offer_constraints: offerConstraintsToMesos(f.info.offerConstraints) } : {}),
  };
}

export const getFrameworks = (state: State): Json => ({
  frameworks: [...state.frameworks.values()].map((f) => frameworkJson(state, f)),
  completed_frameworks: state.completedFrameworks.map((f) => frameworkJson(state, f)),
});

export function taskJson(t: TaskState): Json {
  const last = t.statuses[t.statuses.length - 1];
  return {
    name: t.name,
    task_id: idOf(t.taskId),
    framework_id: idOf(t.frameworkId),
    ...(t.executorId !== undefined ? { executor_id: idOf(t.executorId) } : {}),
    agent_id: idOf(t.agentId),
    state: t.state,
    resources: resourcesToMesos(t.resources, t.role),
    statuses: t.statuses
      .filter((s) => !(s.state === 'TASK_STAGING' && s.source === 'SOURCE_MASTER'))
      .map((s) =>
        statusToMesos({
          agentId: t.agentId,
          frameworkId: t.frameworkId,
          taskId: t.taskId,
          state: s.state,
          source: s.source,
          timestamp: s.timestamp,
          ...(s.reason !== undefined ? { reason: s.reason } : {}),
          ...(s.message !== undefined ? { message: s.message } : {}),
          ...(s.uuid !== undefined ? { uuid: s.uuid } : {}),
        }),
      ),
    ...(last !== undefined ? { status_update_state: last.state } : {}),
    ...(t.labels !== undefined ? { labels: { labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })) } } : {}),
  };
}

export function getTasks(state: State): Json {
  const tasks: Json[] = [];
  const unreachable: Json[] = [];
  for (const t of state.tasks.values()) (t.state === 'TASK_UNREACHABLE' ? unreachable : tasks).push(taskJson(t));
  const completed: Json[] = [];
  for (const f of state.frameworks.values()) for (const t of f.completedTasks) completed.push(taskJson(t));
  for (const f of state.completedFrameworks) for (const t of f.completedTasks) completed.push(taskJson(t));
  return { tasks, unreachable_tasks: unreachable, completed_tasks: completed };
}

export function getExecutors(state: State): Json {
  return {
    executors: [...state.executors.values()].map((ex) => ({
      executor_info: { type: 'DEFAULT', executor_id: idOf(ex.executorId), framework_id: idOf(ex.frameworkId), resources: resourcesToMesos(ex.resources, ex.role) },
      agent_id: idOf(ex.agentId),
    })),
  };
}

export const getState = (state: State): Json => ({
  get_tasks: getTasks(state),
  get_executors: getExecutors(state),
  get_frameworks: getFrameworks(state),
  get_agents: getAgents(state),
});

const scalars = (q: { cpus: number; mem: number; disk: number; gpus: number }): MesosResourceJson[] =>
  QUANTITY_NAMES.filter((n) => q[n] !== 0).map((n) => ({ name: n, type: 'SCALAR' as const, scalar: { value: fromMilli(q[n]) } }));

export const getRoles = (state: State): Json => ({
  roles: roleViews(state).map((v) => ({
    name: v.name,
    weight: v.weight,
    frameworks: v.frameworks.map(idOf),
    resources: scalars({ cpus: v.allocated.cpus + v.offered.cpus, mem: v.allocated.mem + v.offered.mem, disk: v.allocated.disk + v.offered.disk, gpus: v.allocated.gpus + v.offered.gpus }),
  })),
});

export const getWeights = (state: State): Json => ({
  weight_infos: [...state.weights].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, weight]) => ({ weight, role })),
});

export function getQuota(state: State): Json {
  const entries = [...state.quotas].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    status: {
      // Deprecated QuotaInfo (guarantees as resources), kept for old clients as Mesos does.
      infos: entries.map(([role, q]) => ({ role, guarantee: Object.entries(q.guarantees).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } })) })),
      configs: entries.map(([role, q]) => ({
        role,
        ...(Object.keys(q.guarantees).length > 0 ? { guarantees: scalarMap(q.guarantees) } : {}),
        ...(Object.keys(q.limits).length > 0 ? { limits: scalarMap(q.limits) } : {}),
      })),
    },
  };
}

export const getMaintenanceSchedule = (state: State): Json => ({
  schedule: {
    windows: state.maintenance.windows.map((w) => ({ machine_ids: w.machines.map(machineJson), unavailability: unavailabilityToMesos(w.unavailability) })),
  },
});

export function getMaintenanceStatus(state: State): Json {
  const draining: Json[] = [];
  const down: Json[] = [];
  for (const m of state.maintenance.machines.values()) {
    if (m.mode === 'DOWN') {
      down.push(machineJson(m.id));
      continue;
    }
    const hosts = new Set<string>([m.id.hostname?.toLowerCase(), m.id.ip].filter((x): x is string => x !== undefined));
    const statuses = [...state.inverseOffers.values()]
      .filter((io) => hosts.has(state.agents.get(io.agentId)?.hostname.toLowerCase() ?? ''))
      .map((io) => ({
        framework_id: idOf(io.frameworkId),
        status: io.status === 'ACCEPTED' ? 'ACCEPT' : io.status === 'DECLINED' ? 'DECLINE' : 'UNKNOWN',
        timestamp: nanos(io.answeredAt ?? io.createdAt),
      }));
    draining.push({ id: machineJson(m.id), statuses });
  }
  return { status: { draining_machines: draining, down_machines: down } };
}
