/**
 * Task reconciliation, answered from the projection (a query: nothing is appended). Rules as
 * Apache Mesos's master: a known task gets its latest state; an unknown one TASK_GONE when its
 * agent is registered, TASK_UNREACHABLE when the agent is unreachable, TASK_UNKNOWN when the agent
 * is unknown (frameworks that are not partition-aware see TASK_LOST for all three). An empty list
 * asks about every live task of the framework (implicit reconciliation). Answers carry
 * REASON_RECONCILIATION and no uuid (they need no acknowledgement). Where Mesos has already
 * forgotten a finished task (and would say TASK_GONE), its remembered terminal state is given.
 */
import type { AgentId, FrameworkId, ReconciledStatus, TaskId, TaskStateName, TaskStatus } from '../../../events/index.js';
import { taskKey } from '../../../events/index.js';
import type { State, TaskState } from '../../core/state.js';

/** Answers carry no agent id only for an unknown task asked about without one (as Mesos's). */
export function reconcileStatuses(s: State, frameworkId: FrameworkId, asked: ReadonlyArray<{ taskId: string; agentId?: string | undefined }>, now: number): ReconciledStatus[] {
  const f = s.frameworks.get(frameworkId);
  if (f === undefined) return [];
  const known = (t: TaskState): TaskStatus => {
    const last = t.statuses[t.statuses.length - 1];
    return {
      agentId: t.agentId,
      frameworkId,
      taskId: t.taskId,
      ...(t.executorId !== undefined ? { executorId: t.executorId } : {}),
      state: t.state,
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      ...(last?.message !== undefined ? { message: last.message } : {}),
      // As Mesos: the health and check status of the latest update.
      ...(last?.healthy !== undefined ? { healthy: last.healthy } : {}),
      ...(last?.checkStatus !== undefined ? { checkStatus: last.checkStatus } : {}),
      timestamp: now,
    };
  };
  if (asked.length === 0) return [...f.taskKeys].flatMap((k) => (s.tasks.has(k) ? [known(s.tasks.get(k)!)] : []));
  return asked.map(({ taskId, agentId }) => {
    const live = s.tasks.get(taskKey(frameworkId, taskId as TaskId));
    if (live !== undefined) return known(live);
    const done = [...f.completedTasks].reverse().find((t) => t.taskId === taskId);
    if (done !== undefined) return known(done);
    const a = agentId !== undefined ? s.agents.get(agentId as AgentId) : undefined;
    const state: TaskStateName = a === undefined ? 'TASK_UNKNOWN' : a.status === 'REMOVED' ? 'TASK_UNREACHABLE' : 'TASK_GONE';
    return {
      ...(agentId !== undefined ? { agentId: agentId as AgentId } : {}),
      frameworkId,
      taskId: taskId as TaskId,
      state,
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message: 'Reconciliation: task is unknown to the master',
      timestamp: now,
    };
  });
}
