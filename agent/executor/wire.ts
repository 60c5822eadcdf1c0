/**
 * The v1 executor HTTP API's JSON (Mesos's executor.proto in its JSON form): the calls an executor
 * makes (zod, validated at the edge) and the events the agent sends it, with our TaskInfo and
 * ExecutorInfo in Mesos's shape.
 */
import { z } from 'zod';
import type { CommandInfo, ExecutorInfo, TaskInfo, TaskStateName } from '../../events/index.js';
import { StatusReason, TaskStateName as TaskStateSchema } from '../../events/index.js';
import { resourcesToMesos } from '../../kernel/shell/scheduler-api/convert/resources.js';
import { uuidToBase64 } from '../../kernel/shell/scheduler-api/convert/statuses.js';

const MesosId = z.object({ value: z.string().min(1) });
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64-encoded bytes');

/** TaskStatus as an executor sends it in UPDATE (the fields the agent uses; others are ignored). */
export const ExecutorTaskStatus = z.object({
  task_id: MesosId,
  state: TaskStateSchema,
  message: z.string().max(4096).optional(),
  reason: StatusReason.optional(),
  /** 16 bytes, base64 (Mesos: required on an executor's update). */
  uuid: base64,
  healthy: z.boolean().optional(),
  data: base64.optional(),
  executor_id: MesosId.optional(),
  agent_id: MesosId.optional(),
  source: z.string().optional(),
  timestamp: z.number().optional(),
});
export type ExecutorTaskStatus = z.infer<typeof ExecutorTaskStatus>;

/** An update an executor re-sends when it subscribes again (Mesos's Call.Update in SUBSCRIBE). */
export const UnacknowledgedUpdate = z.object({ framework_id: MesosId.optional(), status: ExecutorTaskStatus });

export const EXECUTOR_CALL_TYPES = ['SUBSCRIBE', 'UPDATE', 'MESSAGE'] as const;

export const ExecutorCall = z.object({
  executor_id: MesosId,
  framework_id: MesosId,
  type: z.enum(EXECUTOR_CALL_TYPES),
  subscribe: z
    .object({
      unacknowledged_tasks: z.array(z.unknown()).optional(),
      unacknowledged_updates: z.array(z.unknown()).optional(),
    })
    .optional(),
  update: z.object({ status: ExecutorTaskStatus }).optional(),
  message: z.object({ data: base64 }).optional(),
});
export type ExecutorCall = z.infer<typeof ExecutorCall>;

/** The event types of the executor's stream. */
export type ExecutorEventType = 'SUBSCRIBED' | 'LAUNCH' | 'LAUNCH_GROUP' | 'KILL' | 'ACKNOWLEDGED' | 'MESSAGE' | 'SHUTDOWN' | 'ERROR' | 'HEARTBEAT';
export type ExecutorEvent = { readonly type: ExecutorEventType } & Record<string, unknown>;

const nanos = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) });

function commandToMesos(c: CommandInfo): Record<string, unknown> {
  const variables = Object.entries(c.environment ?? {}).map(([name, value]) => ({ name, type: 'VALUE', value }));
  return {
    value: c.value,
    shell: c.shell,
    ...(c.arguments !== undefined ? { arguments: c.arguments } : {}),
    ...(variables.length > 0 ? { environment: { variables } } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.uris !== undefined ? { uris: c.uris.map((u) => ({ value: u.value, executable: u.executable, extract: u.extract, ...(u.outputFile !== undefined ? { output_file: u.outputFile } : {}) })) } : {}),
  };
}

export function executorInfoToMesos(e: ExecutorInfo, frameworkId: string): Record<string, unknown> {
  return {
    type: 'CUSTOM',
    executor_id: { value: e.executorId },
    framework_id: { value: frameworkId },
    ...(e.name !== undefined ? { name: e.name } : {}),
    command: commandToMesos(e.command),
    resources: resourcesToMesos(e.resources),
    ...(e.shutdownGracePeriodMs !== undefined ? { shutdown_grace_period: nanos(e.shutdownGracePeriodMs) } : {}),
  };
}

export function taskInfoToMesos(t: TaskInfo, frameworkId: string, role?: string): Record<string, unknown> {
  return {
    name: t.name,
    task_id: { value: t.taskId },
    agent_id: { value: t.agentId },
    resources: resourcesToMesos(t.resources, role),
    ...(t.executor !== undefined ? { executor: executorInfoToMesos(t.executor, frameworkId) } : {}),
    ...(t.command !== undefined ? { command: commandToMesos(t.command) } : {}),
    ...(t.data !== undefined ? { data: t.data } : {}),
    ...(t.labels !== undefined ? { labels: { labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })) } } : {}),
    ...(t.killGracePeriodMs !== undefined ? { kill_policy: { grace_period: nanos(t.killGracePeriodMs) } } : {}),
  };
}

export const launchEvent = (t: TaskInfo, frameworkId: string, role?: string): ExecutorEvent => ({ type: 'LAUNCH', launch: { task: taskInfoToMesos(t, frameworkId, role) } });
export const launchGroupEvent = (tasks: readonly TaskInfo[], frameworkId: string, role?: string): ExecutorEvent => ({
  type: 'LAUNCH_GROUP',
  launch_group: { task_group: { tasks: tasks.map((t) => taskInfoToMesos(t, frameworkId, role)) } },
});
export const killEvent = (taskId: string, gracePeriodMs?: number): ExecutorEvent => ({
  type: 'KILL',
  kill: { task_id: { value: taskId }, ...(gracePeriodMs !== undefined ? { kill_policy: { grace_period: nanos(gracePeriodMs) } } : {}) },
});
export const acknowledgedEvent = (taskId: string, uuid: string): ExecutorEvent => ({ type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: taskId }, uuid: uuidToBase64(uuid) } });
export const messageEvent = (data: string): ExecutorEvent => ({ type: 'MESSAGE', message: { data } });
export const shutdownEvent = (): ExecutorEvent => ({ type: 'SHUTDOWN' });
export const errorEvent = (message: string): ExecutorEvent => ({ type: 'ERROR', error: { message } });
export const heartbeatEvent = (): ExecutorEvent => ({ type: 'HEARTBEAT' });

/** States an executor may not report (Mesos: TASK_STAGING is the master's). */
export const EXECUTOR_FORBIDDEN_STATES: ReadonlySet<TaskStateName> = new Set<TaskStateName>(['TASK_STAGING']);
