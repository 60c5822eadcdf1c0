/**
 * Apache Mesos's legacy JSON views of the cluster (`/master/state`, `/master/slaves`,
 * `/master/frameworks`, `/master/tasks`), built from the projection. Field names, nesting and
 * units follow Mesos (times in seconds as doubles; resources flattened to {cpus, mem, disk, gpus,
 * ports: "[a-b]"}). Pure functions: the HTTP shell only serialises what they return.
 */
import type { Attribute } from '../../../events/index.js';
import * as R from '../../core/resources.js';
import { healthCheckToMesos } from '../scheduler-api/checks.js';
import type { AgentState, ExecutorState, FrameworkState, OfferState, State, TaskState } from '../../core/state.js';
import { BUILD } from './build-info.js';

export interface MasterIdentity {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly port: number;
  readonly version: string;
  readonly startTime: number;
  /** When this master became leader (ms), or null. */
  readonly electedTime: number | null;
  readonly flags: Readonly<Record<string, string>>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Mesos's build fields, as its master and agent write them at the top of their state. */
export const buildJson = (version: string, startTimeMs: number) => ({
  version,
  build_date: BUILD.buildDate,
  build_time: BUILD.buildTime,
  build_user: '',
  start_time: startTimeMs / 1000,
});

/** The body of `/version` on the master and on agents. */
export const versionJson = (version: string) => ({ version, build_date: BUILD.buildDate, build_time: BUILD.buildTime, build_user: '', git_sha: '', implementation: 'mesos-ts' });

const secs = (ms: number): number => ms / 1000;
const pid = (m: { hostname: string; port: number } | { ip: string; port: number }, name = 'master'): string =>
  `${name}@${'ip' in m ? m.ip : m.hostname}:${m.port}`;

export function attributesJson(attrs: readonly Attribute[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const a of attrs) {
    switch (a.type) {
      case 'TEXT':
        out[a.name] = a.text;
        break;
      case 'SCALAR':
        out[a.name] = a.scalar;
        break;
      case 'RANGES':
        out[a.name] = R.formatRanges(a.ranges);
        break;
      case 'SET':
        out[a.name] = `{${a.set.join(',')}}`;
        break;
    }
  }
  return out;
}

function reservedByRole(rs: R.Resources): Record<string, Json> {
  const byRole = new Map<string, R.Resources>();
  for (const r of rs) {
    const role = R.reservedRole(r);
    if (role !== '*') byRole.set(role, [...(byRole.get(role) ?? []), r]);
  }
  return Object.fromEntries([...byRole].map(([role, list]) => [role, R.toFlatJson(list)]));
}

export function slaveJson(a: AgentState): Record<string, Json> {
  return {
    id: a.id,
    hostname: a.hostname,
    port: a.port,
    attributes: attributesJson(a.attributes),
    // Mesos: the agent's libprocess address; the IP it announced, else (older logs) its host name.
    pid: `slave(1)@${a.ip ?? a.hostname}:${a.port}`,
    registered_time: secs(a.registeredAt),
    ...(a.reregisteredAt !== null ? { reregistered_time: secs(a.reregisteredAt) } : {}),
    resources: R.toFlatJson(a.resources),
    used_resources: R.toFlatJson(a.used),
    offered_resources: R.toFlatJson(a.offered),
    reserved_resources: reservedByRole(a.resources),
    unreserved_resources: R.toFlatJson(a.resources.filter((r) => R.reservedRole(r) === '*')),
    active: a.status === 'ACTIVE' && !a.deactivated,
    deactivated: a.status !== 'ACTIVE' || a.deactivated,
    version: a.version,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'AGENT_DRAINING'],
    ...(a.drain !== null
      ? {
          drain_info: {
            state: a.drain.state,
            config: { ...(a.drain.maxGracePeriodMs !== null ? { max_grace_period: { nanoseconds: a.drain.maxGracePeriodMs * 1e6 } } : {}), mark_gone: a.drain.markGone },
          },
        }
      : {}),
    isolation: a.isolation,
  };
}

export function taskJson(t: TaskState): Record<string, Json> {
  return {
    id: t.taskId,
    name: t.name,
    framework_id: t.frameworkId,
    // Mesos: empty for a command task, the executor's id for a task run by an executor.
    executor_id: t.executorId ?? '',
    slave_id: t.agentId,
    state: t.state,
    resources: R.toFlatJson(t.resources),
    role: t.role,
    // Mesos lists the updates a task went through, not the master's own initial STAGING.
    statuses: t.statuses.filter((s) => !(s.state === 'TASK_STAGING' && s.source === 'SOURCE_MASTER')).map((s) => ({
      state: s.state,
      timestamp: secs(s.timestamp),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
    })),
    ...(t.labels ? { labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })) } : {}),
    ...(t.healthCheck !== undefined ? { health_check: healthCheckToMesos(t.healthCheck) } : {}),
  };
}

/** A framework's custom executors running now (Mesos lists those; the built-in executors are not). */
function customExecutorsOf(state: State, frameworkId: FrameworkState['id']): ExecutorState[] {
  return [...state.executors.values()].filter((e) => e.kind === 'CUSTOM' && e.frameworkId === frameworkId);
}

/** Mesos's model of an ExecutorInfo in /master/state: its id, name, command, resources and agent. */
function executorJson(e: ExecutorState): Record<string, Json> {
  return {
    executor_id: e.executorId,
    name: e.info?.name ?? '',
    framework_id: e.frameworkId,
    command: { value: e.info?.command.value ?? '', shell: e.info?.command.shell ?? true, ...(e.info?.command.arguments !== undefined ? { argv: [...e.info.command.arguments] } : {}) },
    resources: R.toFlatJson(e.resources),
    ...(e.role !== undefined ? { role: e.role } : {}),
    slave_id: e.agentId,
  };
}

export function offerJson(o: OfferState): Record<string, Json> {
  return {
    id: o.id,
    framework_id: o.frameworkId,
    slave_id: o.agentId,
    resources: R.toFlatJson(o.resources),
    allocation_info: { role: o.role },
  };
}

/** A framework's tasks as `/master/state` lists them: live, unreachable, completed. */
export function frameworkTaskLists(state: State, f: FrameworkState): { tasks: TaskState[]; unreachable: TaskState[]; completed: readonly TaskState[] } {
  const tasks: TaskState[] = [];
  const unreachable: TaskState[] = [];
  for (const key of f.taskKeys) {
    const t = state.tasks.get(key);
    if (t === undefined) continue;
    (t.state === 'TASK_UNREACHABLE' ? unreachable : tasks).push(t);
  }
  return { tasks, unreachable, completed: f.completedTasks };
}

/** A framework's fields before its task lists (frameworkJson's order; state-text.ts relies on it). */
export function frameworkHeadJson(f: FrameworkState): Record<string, Json> {
  const roles = f.info.roles;
  return {
    id: f.id,
    name: f.info.name,
    used_resources: R.toFlatJson(f.used),
    offered_resources: R.toFlatJson(f.offered),
    capabilities: [...f.info.capabilities],
    hostname: f.info.hostname ?? '',
    webui_url: f.info.webuiUrl ?? '',
    active: f.status === 'ACTIVE',
    connected: f.status === 'ACTIVE',
    recovered: false,
    user: f.info.user,
    failover_timeout: secs(f.info.failoverTimeoutMs),
    checkpoint: f.info.checkpoint,
    registered_time: secs(f.registeredAt),
    ...(f.reregisteredAt !== null ? { reregistered_time: secs(f.reregisteredAt) } : {}),
    ...(f.unregisteredAt !== null ? { unregistered_time: secs(f.unregisteredAt) } : {}),
    ...(f.info.principal !== undefined ? { principal: f.info.principal } : {}),
    resources: R.toFlatJson(R.add(f.used, f.offered)),
    ...(f.info.capabilities.includes('MULTI_ROLE') ? { roles: [...roles] } : { role: roles[0] ?? '*' }),
  };
}

/** A framework's fields after its task lists. */
export function frameworkTailJson(state: State, f: FrameworkState): Record<string, Json> {
  return {
    offers: [...f.offerIds].flatMap((id) => {
      const o = state.offers.get(id);
      return o ? [offerJson(o)] : [];
    }),
    executors: customExecutorsOf(state, f.id).map(executorJson),
    offer_constraints: {},
    suppressed: f.suppressed,
  };
}

export function frameworkJson(state: State, f: FrameworkState): Record<string, Json> {
  const l = frameworkTaskLists(state, f);
  return {
    ...frameworkHeadJson(f),
    tasks: l.tasks.map(taskJson),
    unreachable_tasks: l.unreachable.map(taskJson),
    completed_tasks: l.completed.map(taskJson),
    ...frameworkTailJson(state, f),
  };
}

/** The agents `/master/state` lists (all but the removed). */
export const listedAgents = (state: State): AgentState[] => [...state.agents.values()].filter((a) => a.status !== 'REMOVED');

/** `/master/state`'s fields before `slaves` (masterStateJson's order; state-text.ts relies on it). */
export function masterStateHeadJson(state: State, me: MasterIdentity): Record<string, Json> {
  const agents = [...state.agents.values()];
  const leader = state.leader;
  const leaderPid = leader ? `master@${leader.ip}:${leader.port}` : '';
  return {
    ...buildJson(me.version, me.startTime),
    ...(me.electedTime !== null ? { elected_time: secs(me.electedTime) } : {}),
    id: me.id,
    pid: pid(me),
    hostname: me.hostname,
    capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'],
    activated_slaves: agents.filter((a) => a.status === 'ACTIVE' && !a.deactivated).length,
    deactivated_slaves: agents.filter((a) => a.status === 'DISCONNECTED' || (a.status === 'ACTIVE' && a.deactivated)).length,
    unreachable_slaves: agents.filter((a) => a.status === 'REMOVED').length,
    ...(leader
      ? {
          leader: leaderPid,
          leader_info: { id: leader.masterId, pid: leaderPid, port: leader.port, hostname: leader.hostname },
        }
      : {}),
    flags: { ...me.flags },
  };
}

export function masterStateJson(state: State, me: MasterIdentity): Record<string, Json> {
  return {
    ...masterStateHeadJson(state, me),
    slaves: listedAgents(state).map(slaveJson),
    recovered_slaves: [],
    frameworks: [...state.frameworks.values()].map((f) => frameworkJson(state, f)),
    completed_frameworks: state.completedFrameworks.map((f) => frameworkJson(state, f)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

/** `/master/tasks`: every task, live and completed, Mesos's shape `{tasks:[…]}`. */
export function masterTasksJson(state: State, limit = 100, offset = 0): Record<string, Json> {
  const all: TaskState[] = [...state.tasks.values()];
  for (const f of state.frameworks.values()) all.push(...f.completedTasks);
  for (const f of state.completedFrameworks) all.push(...f.completedTasks);
  return { tasks: all.slice(offset, offset + limit).map(taskJson) };
}
