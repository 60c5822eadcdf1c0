/**
 * What a refused accept means for each task in it, as Apache Mesos reports it: invalid offers make
 * the tasks TASK_LOST (TASK_DROPPED for partition-aware frameworks) with REASON_INVALID_OFFERS;
 * an invalid task makes it TASK_ERROR with REASON_TASK_INVALID.
 */
import type { EventOf, TaskStatus } from './index.js';

const TASK_PROBLEMS = new Set(['TASK_INVALID', 'TASK_GROUP_INVALID', 'TASK_ID_DUPLICATE', 'RESOURCES_EXCEEDED']);

export function refusalToStatuses(r: EventOf<'AcceptRefused'>, partitionAware: boolean): TaskStatus[] {
  const taskProblem = TASK_PROBLEMS.has(r.code);
  return r.tasks.map(({ taskId, agentId }) => ({
    agentId,
    frameworkId: r.frameworkId,
    taskId,
    state: taskProblem ? 'TASK_ERROR' : partitionAware ? 'TASK_DROPPED' : 'TASK_LOST',
    source: 'SOURCE_MASTER',
    reason: r.code === 'TASK_GROUP_INVALID' ? 'REASON_TASK_GROUP_INVALID' : taskProblem ? 'REASON_TASK_INVALID' : 'REASON_INVALID_OFFERS',
    message: `${r.code}: ${r.message}`,
    timestamp: r.time,
  }));
}
