/**
 * What this agent has run, as Mesos's agent keeps it for its `/state`: frameworks, their executors
 * (a command task's executor is the task itself; a task group's is its DEFAULT executor), their
 * tasks with the updates they went through, and the completed ones. It is a fold of the agent's own
 * launches and status updates (no clock, no I/O): a task moves to its executor's completed tasks
 * at its terminal update, an executor to its framework's completed executors when it has no live
 * task left, a framework to the completed frameworks when it has no live executor left. Completed
 * lists are bounded as Mesos bounds them (the oldest are dropped).
 */
import {
  type CheckInfo,
  type EventOf,
  type FrameworkId,
  type HealthCheck,
  type Resources,
  type TaskId,
  type TaskInfo,
  type TaskStateName,
  type TaskStatus,
  isTerminal,
} from '../../events/index.js';

/** Mesos's agent defaults: --max_completed_frameworks, --max_completed_executors_per_framework, per executor tasks. */
export const HISTORY_LIMITS = { completedFrameworks: 50, completedExecutorsPerFramework: 150, completedTasksPerExecutor: 200, statusesPerTask: 20 };

export interface HistoryStatus {
  readonly state: TaskStateName;
  /** ms since the epoch. */
  readonly timestamp: number;
  readonly healthy?: boolean;
  readonly containerId?: string;
}

export interface HistoryTask {
  readonly frameworkId: FrameworkId;
  readonly taskId: TaskId;
  readonly executorId: string;
  /** True when its executor is a task group's (Mesos then names the executor in the task). */
  readonly inGroup: boolean;
  readonly name: string;
  readonly resources: Resources;
  readonly role: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly command?: TaskInfo['command'] | undefined;
  readonly healthCheck?: HealthCheck | undefined;
  readonly check?: CheckInfo | undefined;
  state: TaskStateName;
  containerId: string | undefined;
  readonly statuses: HistoryStatus[];
}

export interface HistoryExecutor {
  readonly frameworkId: FrameworkId;
  readonly executorId: string;
  /** A task group's executor (its own resources), or undefined for a command task's. */
  readonly group: { readonly resources: Resources } | undefined;
  readonly role: string;
  /** The container of its latest run. */
  containerId: string | undefined;
  readonly tasks: Map<TaskId, HistoryTask>;
  readonly completedTasks: HistoryTask[];
}

export interface HistoryFramework {
  readonly id: FrameworkId;
  name: string;
  user: string;
  checkpoint: boolean;
  role: string;
  readonly executors: Map<string, HistoryExecutor>;
  readonly completedExecutors: HistoryExecutor[];
}

/** A task the agent runs that the history may not have seen launched (re-attached after a restart). */
export interface KnownTask {
  readonly frameworkId: FrameworkId;
  readonly taskId: TaskId;
  readonly executorId: string;
  readonly containerId: string;
  readonly state: TaskStateName;
  readonly info: TaskInfo;
}

export interface TaskHistory {
  launched(cmd: EventOf<'LaunchTasks'>): void;
  status(s: TaskStatus): void;
  /** Make sure a running task is shown, even if its launch was not seen. */
  adopt(t: KnownTask): void;
  frameworks(): readonly HistoryFramework[];
  completedFrameworks(): readonly HistoryFramework[];
}

function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

export function createTaskHistory(): TaskHistory {
  const live = new Map<FrameworkId, HistoryFramework>();
  const completed: HistoryFramework[] = [];

  function framework(id: FrameworkId): HistoryFramework {
    let f = live.get(id);
    if (f === undefined) {
      // A framework that comes back (a new task after all its executors ended) is live again.
      const i = completed.findIndex((c) => c.id === id);
      f = i >= 0 ? completed.splice(i, 1)[0]! : { id, name: '', user: '', checkpoint: false, role: '*', executors: new Map(), completedExecutors: [] };
      live.set(id, f);
    }
    return f;
  }

  function executor(f: HistoryFramework, executorId: string, group: HistoryExecutor['group'], role: string): HistoryExecutor {
    let e = f.executors.get(executorId);
    if (e === undefined) {
      e = { frameworkId: f.id, executorId, group, role, containerId: undefined, tasks: new Map(), completedTasks: [] };
      f.executors.set(executorId, e);
    }
    return e;
  }

  function addTask(e: HistoryExecutor, info: TaskInfo, role: string, state: TaskStateName, containerId: string | undefined): HistoryTask {
    const t: HistoryTask = {
      frameworkId: e.frameworkId,
      taskId: info.taskId,
      executorId: e.executorId,
      inGroup: e.group !== undefined,
      name: info.name,
      resources: info.resources,
      role,
      labels: info.labels,
      command: info.command,
      healthCheck: info.healthCheck,
      check: info.check,
      state,
      containerId,
      statuses: [],
    };
    e.tasks.set(info.taskId, t);
    return t;
  }

  function complete(f: HistoryFramework, e: HistoryExecutor, t: HistoryTask): void {
    e.tasks.delete(t.taskId);
    pushBounded(e.completedTasks, t, HISTORY_LIMITS.completedTasksPerExecutor);
    if (e.tasks.size > 0) return;
    f.executors.delete(e.executorId);
    pushBounded(f.completedExecutors, e, HISTORY_LIMITS.completedExecutorsPerFramework);
    if (f.executors.size > 0) return;
    live.delete(f.id);
    pushBounded(completed, f, HISTORY_LIMITS.completedFrameworks);
  }

  function find(frameworkId: FrameworkId, taskId: TaskId): { f: HistoryFramework; e: HistoryExecutor; t: HistoryTask } | undefined {
    const f = live.get(frameworkId);
    if (f === undefined) return undefined;
    for (const e of f.executors.values()) {
      const t = e.tasks.get(taskId);
      if (t !== undefined) return { f, e, t };
    }
    return undefined;
  }

  return {
    launched(cmd) {
      const f = framework(cmd.frameworkId);
      f.name = cmd.framework.name;
      f.user = cmd.framework.user;
      f.checkpoint = cmd.framework.checkpoint;
      const role = cmd.role ?? f.role;
      f.role = role;
      for (const info of cmd.tasks) {
        if (find(cmd.frameworkId, info.taskId) !== undefined) continue; // carried out already
        const group = cmd.executor ?? cmd.customExecutor;
        const executorId = group?.executorId ?? info.taskId;
        const e = executor(f, executorId, group !== undefined ? { resources: group.resources } : undefined, role);
        addTask(e, info, role, 'TASK_STAGING', undefined);
      }
    },
    status(s) {
      const found = find(s.frameworkId, s.taskId);
      if (found === undefined) return; // not launched by this agent process, or already completed
      const { f, e, t } = found;
      t.state = s.state;
      if (s.containerId !== undefined) {
        t.containerId = s.containerId;
        e.containerId = s.containerId;
      }
      pushBounded(
        t.statuses,
        {
          state: s.state,
          timestamp: s.timestamp,
          ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
          ...(s.containerId !== undefined ? { containerId: s.containerId } : {}),
        },
        HISTORY_LIMITS.statusesPerTask,
      );
      if (isTerminal(s.state)) complete(f, e, t);
    },
    adopt(k) {
      if (find(k.frameworkId, k.taskId) !== undefined) return;
      const f = framework(k.frameworkId);
      const group = k.executorId !== k.taskId ? { resources: [] } : undefined;
      const e = executor(f, k.executorId, group, f.role);
      e.containerId ??= k.containerId;
      addTask(e, k.info, f.role, k.state, k.containerId);
    },
    frameworks: () => [...live.values()],
    completedFrameworks: () => [...completed],
  };
}
