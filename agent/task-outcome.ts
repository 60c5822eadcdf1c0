/**
 * How a container's end becomes the task's terminal status (pure), as Mesos's command and default
 * executors report it:
 *  - over its memory limit: TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY (source agent);
 *  - over another limit (disk): TASK_FAILED with that limitation's reason (source agent);
 *  - killed (a kill request, a group's kill policy, the agent stopping): TASK_KILLED;
 *  - exit status 0: TASK_FINISHED;
 *  - its supervisor died without recording the exit status: TASK_FAILED, REASON_EXECUTOR_TERMINATED;
 *  - anything else: TASK_FAILED, REASON_COMMAND_EXECUTOR_FAILED.
 */
import type { StatusReason, StatusSource, TaskStateName } from '../events/index.js';
import type { ExitInfo } from './containerizer/index.js';

export interface TerminalStatus {
  readonly state: TaskStateName;
  readonly source: StatusSource;
  readonly reason?: StatusReason;
  readonly message: string;
}

export function terminalFor(exit: ExitInfo): TerminalStatus {
  if (exit.oomKilled) return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: exit.message };
  if (exit.limitation !== undefined) return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: exit.limitation.reason, message: exit.message };
  if (exit.killedByUs) return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: exit.message };
  if (exit.statusUnknown === true) return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: exit.message };
  if (exit.code === 0) return { state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', message: exit.message };
  return { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: exit.message };
}
