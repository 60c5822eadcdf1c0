/**
 * The fold of tasks: kill requests, status updates and the task state machine (Mesos's allowed
 * transitions), acknowledgements, the resources a task holds, kills from the master's side.
 */
import { type AgentId, type EventOf, type StatusReason, type TaskStateName, type TaskStatus, isTerminal, taskKey } from '../../../events/index.js';
import { type AgentState, LIMITS, type State, type TaskState, executorKey } from '../state.js';
import { owe, use } from '../accounts.js';

export function taskKillRequested(state: State, e: EventOf<'TaskKillRequested'>): State {
  const t = state.tasks.get(taskKey(e.frameworkId, e.taskId));
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  if (t === undefined || isTerminal(t.state)) {
    // Unknown to the master: tell the framework, as Mesos does, with a status it need not acknowledge.
    owe(state, {
      type: 'TaskStatusUpdated',
      id: `killed-unknown-${e.id}`,
      status: {
        agentId: t?.agentId ?? e.agentId ?? ('unknown' as AgentId),
        frameworkId: e.frameworkId,
        taskId: e.taskId,
        state: t?.state ?? (f.info.capabilities.includes('PARTITION_AWARE') ? 'TASK_UNKNOWN' : 'TASK_LOST'),
        source: 'SOURCE_MASTER',
        reason: 'REASON_RECONCILIATION',
        message: t === undefined ? 'Cannot kill an unknown task' : 'Task is already terminal',
        timestamp: e.time,
      },
    });
    return state;
  }
  const a = state.agents.get(t.agentId);
  if (a === undefined || a.status === 'REMOVED') return state;
  a.commandSeq++;
  owe(state, {
    type: 'KillTask',
    id: `kill-${e.id}`,
    agentId: a.id,
    agentSeq: a.commandSeq,
    frameworkId: t.frameworkId,
    taskId: t.taskId,
    ...(e.gracePeriodMs !== undefined
      ? { gracePeriodMs: e.gracePeriodMs }
      : t.killGracePeriodMs !== undefined
        ? { gracePeriodMs: t.killGracePeriodMs }
        : {}),
  });
  return state;
}

/** Legal moves of Mesos's task state machine, as the master enforces them. */
function transitionAllowed(from: TaskStateName, to: TaskStateName, reason: StatusReason | undefined): boolean {
  if (from === to) return true;
  if (from === 'TASK_UNREACHABLE' || from === 'TASK_LOST') {
    // Written off by the master; the agent comes back with the truth.
    return true;
  }
  if (isTerminal(from)) return false;
  if (to === 'TASK_STAGING') return false;
  if (from === 'TASK_RUNNING' && to === 'TASK_STARTING') return false;
  if (from === 'TASK_KILLING' && (to === 'TASK_STARTING' || to === 'TASK_RUNNING')) return reason === 'REASON_RECONCILIATION';
  return true;
}

export function taskStatusUpdated(state: State, e: EventOf<'TaskStatusUpdated'>): State {
  const s = e.status;
  const t = state.tasks.get(taskKey(s.frameworkId, s.taskId));
  if (t === undefined || t.agentId !== s.agentId) {
    if (e.epoch === undefined) state.counters.invalidStatusUpdates++;
    return state;
  }
  if (e.epoch !== undefined) return state; // the leader's notice of a change the fold already made
  if (s.uuid !== undefined && t.statuses.some((r) => r.uuid === s.uuid)) return state; // a retry
  if (!transitionAllowed(t.state, s.state, s.reason)) {
    state.counters.invalidStatusUpdates++;
    return state;
  }
  state.counters.validStatusUpdates++;
  applyStatus(state, t, s);
  if (s.uuid !== undefined) t.unacknowledged.push(s.uuid);
  else if (isTerminal(t.state) && t.unacknowledged.length === 0) completeTask(state, t);
  return state;
}

export function statusAcknowledged(state: State, e: EventOf<'StatusAcknowledged'>): State {
  const t = state.tasks.get(taskKey(e.frameworkId, e.taskId));
  if (t === undefined || t.agentId !== e.agentId || !t.statuses.some((r) => r.uuid === e.uuid)) {
    state.counters.invalidAcknowledgements++;
    return state;
  }
  state.counters.validAcknowledgements++;
  const i = t.unacknowledged.indexOf(e.uuid);
  if (i >= 0) {
    t.unacknowledged.splice(i, 1);
    if (t.unacknowledged.length === 0 && isTerminal(t.state)) completeTask(state, t);
  }
  return state;
}

type StatusInput = Pick<TaskStatus, 'state' | 'source' | 'timestamp'> & Partial<Pick<TaskStatus, 'reason' | 'message' | 'uuid' | 'healthy' | 'checkStatus' | 'executorId' | 'containerId'>>;

export function applyStatus(state: State, t: TaskState, s: StatusInput): void {
  if (t.state !== s.state) reached(state, s.state);
  t.state = s.state;
  t.statuses.push({
    state: s.state,
    timestamp: s.timestamp,
    source: s.source,
    reason: s.reason,
    message: s.message,
    uuid: s.uuid,
    healthy: s.healthy,
    ...(s.checkStatus !== undefined ? { checkStatus: s.checkStatus } : {}),
    ...(s.executorId !== undefined ? { executorId: s.executorId } : {}),
    ...(s.containerId !== undefined ? { containerId: s.containerId } : {}),
  });
  if (t.statuses.length > LIMITS.statusesPerTask) {
    const [gone] = t.statuses.splice(1, 1); // keep the first (STAGING)
    // An update whose record is gone can no longer be delivered again: it is not awaited either.
    if (gone?.uuid !== undefined) {
      const i = t.unacknowledged.indexOf(gone.uuid);
      if (i >= 0) t.unacknowledged.splice(i, 1);
    }
  }
  const holds = holdsResources(t.state);
  if (!holds && t.holdsResources) releaseResources(state, t);
  else if (holds && !t.holdsResources) holdResources(state, t);
}

/** Terminal tasks, and tasks on an unreachable agent, hold no resources. */
export const holdsResources = (s: TaskStateName): boolean => !isTerminal(s) && s !== 'TASK_UNREACHABLE';

function releaseResources(state: State, t: TaskState): void {
  t.holdsResources = false;
  use(state, t.agentId, t.frameworkId, t.role, t.resources, -1);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  // A group's executor lets go of its own resources when none of its tasks holds any.
  if (ex !== undefined && ex.kind !== 'CUSTOM' && ex.holdsResources && ![...ex.taskKeys].some((k) => state.tasks.get(k)?.holdsResources === true)) {
    ex.holdsResources = false;
    use(state, ex.agentId, ex.frameworkId, ex.role ?? t.role, ex.resources, -1);
  }
}

function holdResources(state: State, t: TaskState): void {
  t.holdsResources = true;
  use(state, t.agentId, t.frameworkId, t.role, t.resources, 1);
  const ex = t.executorId !== undefined ? state.executors.get(executorKey(t.frameworkId, t.executorId)) : undefined;
  if (ex !== undefined && ex.kind !== 'CUSTOM' && !ex.holdsResources) {
    ex.holdsResources = true;
    use(state, ex.agentId, ex.frameworkId, ex.role ?? t.role, ex.resources, 1);
  }
}

/** A terminal task leaves the live set for its framework's completed list. */
export function completeTask(state: State, t: TaskState): void {
  if (t.holdsResources) releaseResources(state, t);
  state.tasks.delete(t.key);
  const a = state.agents.get(t.agentId);
  a?.taskKeys.delete(t.key);
  if (t.executorId !== undefined) {
    const ex = state.executors.get(executorKey(t.frameworkId, t.executorId));
    // A custom executor stays until its agent reports it exited (ExecutorExited).
    if (ex?.kind === 'CUSTOM') ex.taskKeys.delete(t.key);
    else if (ex !== undefined && [...ex.taskKeys].every((k) => !state.tasks.has(k))) state.executors.delete(ex.key);
  }
  if (a !== undefined) drainProgress(state, a, t.key);
  const f = state.frameworks.get(t.frameworkId);
  if (f === undefined) return;
  f.taskKeys.delete(t.key);
  f.completedTasks.push(t);
  if (f.completedTasks.length > LIMITS.completedTasksPerFramework) f.completedTasks.shift();
}

/**
 * A draining agent is DRAINED once none of its tasks is left (their terminal updates acknowledged);
 * with mark_gone it is then marked gone, which the leader decides (AgentRemoved{OPERATOR}).
 */
export function drainProgress(state: State, a: AgentState, causeId: string): void {
  if (a.drain === null || a.drain.state !== 'DRAINING' || a.taskKeys.size > 0) return;
  a.drain.state = 'DRAINED';
  if (a.drain.markGone && a.status !== 'REMOVED') owe(state, { type: 'AgentRemoved', id: `gone-${a.id}-${causeId}`, agentId: a.id, reason: 'OPERATOR' });
}

/** Kill a live task from the master (drain, framework removal): a KillTask command is owed. */
export function killFromMaster(state: State, t: TaskState, causeId: string, reason: StatusReason, maxGraceMs?: number | null, message?: string): void {
  const a = state.agents.get(t.agentId);
  if (a === undefined || a.status === 'REMOVED') return;
  a.commandSeq++;
  const grace = maxGraceMs === undefined || maxGraceMs === null ? t.killGracePeriodMs : Math.min(maxGraceMs, t.killGracePeriodMs ?? maxGraceMs);
  owe(state, {
    type: 'KillTask',
    id: `kill-${causeId}-${t.taskId}`,
    agentId: a.id,
    agentSeq: a.commandSeq,
    frameworkId: t.frameworkId,
    taskId: t.taskId,
    reason,
    ...(message !== undefined ? { message } : {}),
    ...(grace !== undefined ? { gracePeriodMs: grace } : {}),
  });
}

/**
 * The leader owes the framework a notice of a status the master itself decided (`told` is what a
 * framework that is not partition-aware hears instead, e.g. TASK_LOST for TASK_UNREACHABLE).
 */
export function ownStatus(state: State, t: TaskState, causeId: string, told?: TaskStateName): void {
  const last = t.statuses[t.statuses.length - 1]!;
  owe(state, {
    type: 'TaskStatusUpdated',
    id: `status-${causeId}-${t.key}`,
    status: {
      agentId: t.agentId,
      frameworkId: t.frameworkId,
      taskId: t.taskId,
      state: told ?? last.state,
      source: last.source,
      timestamp: last.timestamp,
      ...(last.reason !== undefined ? { reason: last.reason } : {}),
      ...(last.message !== undefined ? { message: last.message } : {}),
    },
  });
  if (isTerminal(t.state)) completeTask(state, t);
}

export function reached(state: State, s: TaskStateName): void {
  state.counters.tasksReached[s] = (state.counters.tasksReached[s] ?? 0) + 1;
}
