/**
 * The agent's `/state` as Apache Mesos's agent writes it (src/slave/http.cpp; the recorded
 * sample is shared/reference/mesos-samples/agent-state.json): field names, nesting and units
 * (times in seconds as doubles, resources flattened to {cpus, mem, disk, gpus, ports}, plus the
 * `_full` forms in Mesos's Resource JSON). Pure: the HTTP shell serialises what it returns.
 */
import type { AgentId, Attribute, Resources } from '../../events/index.js';
import { attributesJson, buildJson } from '../../kernel/shell/http/state-json.js';
import * as R from '../../kernel/core/resources.js';
import { healthCheckToMesos } from '../../kernel/shell/scheduler-api/checks.js';
import { resourcesToMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { sandboxPathIfValid } from '../sandbox.js';
import type { HistoryExecutor, HistoryFramework, HistoryTask, TaskHistory } from './task-history.js';

export interface AgentIdentity {
  readonly id: AgentId;
  readonly hostname: string;
  /** The address its HTTP endpoint is reached at, and the port. */
  readonly ip: string;
  readonly port: number;
  readonly version: string;
  /** When the agent process started (ms). */
  readonly startTime: number;
  readonly resources: Resources;
  readonly attributes: readonly Attribute[];
  readonly workDir: string;
  /** `cgroups-v1`, `cgroups-v2` or `posix`. */
  readonly isolation: string;
  /** Why cgroups are not used, when the agent fell back to posix. */
  readonly isolationFallback?: string | undefined;
  /** The agent's settings, as strings (Mesos's `flags`). */
  readonly flags: Readonly<Record<string, string>>;
}

/** Mesos's agent capabilities that hold here. */
export const AGENT_CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'] as const;

const secs = (ms: number): number => ms / 1000;

function byRole(rs: Resources): Map<string, Resources> {
  const out = new Map<string, Resources>();
  for (const r of rs) {
    const role = R.reservedRole(r);
    if (role !== '*') out.set(role, [...(out.get(role) ?? []), r]);
  }
  return out;
}
const unreserved = (rs: Resources): Resources => rs.filter((r) => R.reservedRole(r) === '*');

export const slavePid = (me: Pick<AgentIdentity, 'ip' | 'port'>): string => `slave(1)@${me.ip}:${me.port}`;

/** Mesos's name for a command task's executor, e.g. `Command Executor (Task: t) (Command: sh -c 'echo hi')`. */
export function commandExecutorName(t: Pick<HistoryTask, 'taskId' | 'command'>): string {
  const c = t.command;
  const command = c === undefined ? '' : c.shell ? `sh -c '${c.value}'` : `[${[c.value, ...(c.arguments?.slice(1) ?? [])].join(', ')}]`;
  return `Command Executor (Task: ${t.taskId}) (Command: ${command})`;
}

function taskJson(t: HistoryTask, agentId: AgentId): Record<string, unknown> {
  return {
    id: t.taskId,
    name: t.name,
    framework_id: t.frameworkId,
    executor_id: t.inGroup ? t.executorId : '',
    slave_id: agentId,
    state: t.state,
    resources: R.toFlatJson(t.resources),
    role: t.role,
    statuses: t.statuses.map((s) => ({
      state: s.state,
      timestamp: secs(s.timestamp),
      ...(s.containerId !== undefined ? { container_status: { container_id: { value: s.containerId } } } : {}),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
    })),
    ...(t.labels !== undefined ? { labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })) } : {}),
    ...(t.healthCheck !== undefined ? { health_check: healthCheckToMesos(t.healthCheck) } : {}),
  };
}

/** What an executor holds: its live tasks' resources, plus a task group executor's own. */
function executorResources(e: HistoryExecutor): Resources {
  return R.add(e.group?.resources ?? [], ...[...e.tasks.values()].map((t) => t.resources));
}

function executorJson(e: HistoryExecutor, me: AgentIdentity): Record<string, unknown> {
  const first = e.tasks.values().next().value ?? e.completedTasks[0];
  return {
    id: e.executorId,
    name: e.group === undefined && first !== undefined ? commandExecutorName(first) : '',
    source: e.group === undefined ? e.executorId : '',
    container: e.containerId ?? '',
    directory: e.containerId === undefined ? '' : (sandboxPathIfValid(me.workDir, me.id, e.frameworkId, e.executorId, e.containerId) ?? ''),
    resources: R.toFlatJson(executorResources(e)),
    role: e.role,
    ...(e.group !== undefined ? { type: 'DEFAULT' } : {}),
    tasks: [...e.tasks.values()].map((t) => taskJson(t, me.id)),
    queued_tasks: [],
    completed_tasks: e.completedTasks.map((t) => taskJson(t, me.id)),
  };
}

function frameworkJson(f: HistoryFramework, me: AgentIdentity): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    user: f.user,
    // The agent is told only a framework's name, user and checkpoint flag.
    failover_timeout: 0,
    checkpoint: f.checkpoint,
    hostname: '',
    role: f.role,
    executors: [...f.executors.values()].map((e) => executorJson(e, me)),
    completed_executors: f.completedExecutors.map((e) => executorJson(e, me)),
  };
}

/** Resources held by live executors (their tasks, and task group executors' own). */
export function allocatedResources(history: TaskHistory): Resources {
  return R.add(...history.frameworks().flatMap((f) => [...f.executors.values()].map(executorResources)));
}

export function agentStateJson(me: AgentIdentity, history: TaskHistory): Record<string, unknown> {
  const total = me.resources;
  const allocated = allocatedResources(history);
  const reserved = byRole(total);
  const reservedAllocated = byRole(allocated);
  return {
    ...buildJson(me.version, me.startTime),
    id: me.id,
    pid: slavePid(me),
    hostname: me.hostname,
    capabilities: [...AGENT_CAPABILITIES],
    resources: R.toFlatJson(total),
    reserved_resources: Object.fromEntries([...reserved].map(([role, rs]) => [role, R.toFlatJson(rs)])),
    unreserved_resources: R.toFlatJson(unreserved(total)),
    reserved_resources_full: Object.fromEntries([...reserved].map(([role, rs]) => [role, resourcesToMesos(rs)])),
    unreserved_resources_full: resourcesToMesos(unreserved(total)),
    reserved_resources_allocated: Object.fromEntries([...reservedAllocated].map(([role, rs]) => [role, R.toFlatJson(rs)])),
    unreserved_resources_allocated: R.toFlatJson(unreserved(allocated)),
    resource_providers: [],
    attributes: attributesJson(me.attributes),
    flags: { ...me.flags },
    // Not in Mesos: what contains the tasks, and why not cgroups when the agent fell back.
    isolation: me.isolation,
    ...(me.isolationFallback !== undefined ? { isolation_fallback: me.isolationFallback } : {}),
    frameworks: history.frameworks().map((f) => frameworkJson(f, me)),
    completed_frameworks: history.completedFrameworks().map((f) => frameworkJson(f, me)),
  };
}
