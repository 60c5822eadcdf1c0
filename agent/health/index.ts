/**
 * Health checks and general checks of the agent's tasks: what the task runner starts when a task
 * is running and stops when it ends. Public surface of agent/health.
 */
import type { Logger } from 'pino';
import type { CheckInfo, HealthCheck, TaskInfo } from '../../events/index.js';
import type { ContainerExec } from '../containerizer/index.js';
import { type Clock, systemClock } from './clock.js';
import { commandProbe } from './command-probe.js';
import { httpProbe } from './http-probe.js';
import type { Probe } from './probe.js';
import { type CheckUpdate, type TaskChecks, startTaskChecks } from './task-checks.js';
import { tcpProbe } from './tcp-probe.js';

export { freshCheckFields, type CheckUpdate, type TaskChecks } from './task-checks.js';
export { type Clock, systemClock } from './clock.js';

/** What the task runner gives the checks of one task. */
export interface TaskCheckHooks {
  /** Send a TASK_RUNNING update with these fields (the runner drops it once the task is being killed or has ended). */
  readonly update: (u: CheckUpdate) => void;
  /** Kill the task: its health check failed too often. */
  readonly kill: (message: string) => void;
}

/** Starts the checks of a task that has reached TASK_RUNNING; undefined when it has none. */
export type StartTaskChecks = (info: TaskInfo, exec: ContainerExec, hooks: TaskCheckHooks, log: Logger) => TaskChecks | undefined;

/** The task's first port, its PORT0: the first port of its `ports` resource, in the order its ranges list them. */
export function firstPort(info: TaskInfo): number | undefined {
  for (const r of info.resources) if (r.name === 'ports' && r.type === 'RANGES' && r.ranges.length > 0) return r.ranges[0]![0];
  return undefined;
}

export function probeFor(c: HealthCheck | CheckInfo, info: TaskInfo, exec: ContainerExec): Probe {
  const noPort: Probe = async () => ({ type: 'ERROR', message: `the ${c.type} check names no port and the task has no ports` });
  switch (c.type) {
    case 'COMMAND':
      return c.command === undefined ? async () => ({ type: 'ERROR', message: 'the COMMAND check has no command' }) : commandProbe(c.command, exec);
    case 'HTTP': {
      const port = c.http?.port ?? firstPort(info);
      return port === undefined ? noPort : httpProbe({ ...c.http, port });
    }
    case 'TCP': {
      const port = c.tcp?.port ?? firstPort(info);
      return port === undefined ? noPort : tcpProbe({ ...c.tcp, port });
    }
  }
}

export function taskCheckStarter(clock: Clock = systemClock): StartTaskChecks {
  return (info, exec, hooks, log) => {
    if (info.healthCheck === undefined && info.check === undefined) return undefined;
    return startTaskChecks({
      healthCheck: info.healthCheck,
      check: info.check,
      probeFor: (c) => probeFor(c, info, exec),
      clock,
      log: log.child({ component: 'checks', taskId: info.taskId }),
      update: hooks.update,
      kill: hooks.kill,
    });
  };
}
