/**
 * Runs an agent's command tasks: each in its own container (sandbox + isolation), with the Mesos
 * lifecycle TASK_STARTING → TASK_RUNNING → TASK_FINISHED | TASK_FAILED | TASK_KILLED, reasons for
 * what the agent detects (memory limit, launch failure), and kill = SIGTERM, grace, SIGKILL.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AgentId, EventOf, FrameworkId, StatusReason, StatusSource, TaskId, TaskInfo, TaskStateName, TaskStatus } from '../events/index.js';
import { scalar } from '../kernel/resources.js';
import type { Container, Containerizer, ExitInfo } from './containerizer.js';
import { freshCheckFields, type StartTaskChecks, type TaskChecks } from './health/index.js';
import { sandboxPath } from './sandbox.js';
import { prepareVolumes } from './volumes.js';
import type { StatusSender } from './status-sender.js';

export interface RunningTask {
  readonly frameworkId: FrameworkId;
  readonly taskId: TaskId;
  /** The task group's executor, or the task's own id for a command task (as Mesos's command executor). */
  readonly executorId: string;
  readonly containerId: string;
  readonly sandbox: string;
  readonly info: TaskInfo;
  state: TaskStateName;
  container: Container | null;
  killing: boolean;
  /** Its health check and check, while it runs (agent/health). */
  checks?: TaskChecks | undefined;
}

export interface TaskRunner {
  launch(cmd: EventOf<'LaunchTasks'>): Promise<void>;
  kill(cmd: EventOf<'KillTask'>): Promise<void>;
  /** Tasks that have not reached a terminal state. */
  running(): readonly RunningTask[];
  /** Kill every task (agent shutdown) and wait for their terminal updates to be queued. */
  killAll(): Promise<void>;
}

export interface TaskRunnerOptions {
  readonly agentId: AgentId;
  readonly workDir: string;
  readonly containerizer: Containerizer;
  readonly statuses: StatusSender;
  readonly defaultGraceMs: number;
  readonly log: Logger;
  /** Starts a running task's health check and check (none are run without it). */
  readonly startChecks?: StartTaskChecks;
}

export function createTaskRunner(o: TaskRunnerOptions): TaskRunner {
  const tasks = new Map<string, RunningTask>();
  const exits = new Set<Promise<void>>();
  const tlog = o.log.child({ component: 'tasks' });
  const key = (f: FrameworkId, t: TaskId): string => `${f}/${t}`;

  type Extra = { reason?: StatusReason; message?: string; healthy?: boolean; checkStatus?: TaskStatus['checkStatus'] };
  function report(t: RunningTask, state: TaskStateName, source: StatusSource, extra: Extra = {}): Promise<void> {
    t.state = state;
    const status: TaskStatus = {
      agentId: o.agentId,
      frameworkId: t.frameworkId,
      taskId: t.taskId,
      executorId: t.executorId as TaskStatus['executorId'],
      state,
      source,
      uuid: randomUUID(),
      timestamp: Date.now(),
      containerId: t.containerId,
      ...freshCheckFields(t.info.check),
      ...extra,
    };
    return o.statuses.send(status);
  }

  type Terminal = { state: TaskStateName; source: StatusSource; reason?: StatusReason; message: string; healthy?: boolean };
  /** Killed because its health check failed (and not for its memory): TASK_KILLED, healthy false, with the health reason. */
  function healthKill(checks: TaskChecks | undefined, exit: ExitInfo): Terminal | undefined {
    const why = checks?.killedBecause;
    if (why === undefined || exit.oomKilled || !exit.killedByUs) return undefined;
    return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', message: `Task killed: ${why}; ${exit.message}`, healthy: false };
  }

  function terminalFor(exit: ExitInfo): Terminal {
    if (exit.oomKilled) {
      return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: exit.message };
    }
    if (exit.killedByUs) return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: exit.message };
    if (exit.code === 0) return { state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', message: exit.message };
    return { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: exit.message };
  }

  async function launchOne(cmd: EventOf<'LaunchTasks'>, info: TaskInfo): Promise<void> {
    const k = key(cmd.frameworkId, info.taskId);
    if (tasks.has(k)) return; // carried out already
    const containerId = randomUUID();
    const executorId = cmd.executor?.executorId ?? info.taskId;
    const t: RunningTask = {
      frameworkId: cmd.frameworkId,
      taskId: info.taskId,
      executorId,
      containerId,
      sandbox: sandboxPath(o.workDir, o.agentId, cmd.frameworkId, executorId, containerId),
      info,
      state: 'TASK_STAGING',
      container: null,
      killing: false,
    };
    tasks.set(k, t);
    void report(t, 'TASK_STARTING', 'SOURCE_EXECUTOR');
    const user = info.command.user ?? cmd.framework.user;
    try {
      // Persistent volumes in the task's resources are linked into its sandbox first.
      await prepareVolumes(o.workDir, t.sandbox, info.resources);
      t.container = await o.containerizer.launch({
        containerId,
        sandbox: t.sandbox,
        command: {
          value: info.command.value,
          shell: info.command.shell,
          ...(info.command.arguments ? { arguments: info.command.arguments } : {}),
          environment: {
            ...info.command.environment,
            MESOS_TASK_ID: info.taskId,
            MESOS_FRAMEWORK_ID: cmd.frameworkId,
            MESOS_AGENT_ID: o.agentId,
          },
        },
        limits: { cpus: scalar(info.resources, 'cpus'), memMb: scalar(info.resources, 'mem') },
        ...(user !== undefined && user !== 'root' && process.getuid?.() === 0 && userExists(user) ? { user } : {}),
      });
    } catch (err) {
      tlog.warn({ err, taskId: info.taskId }, 'task launch failed');
      tasks.delete(k);
      await report(t, 'TASK_FAILED', 'SOURCE_AGENT', {
        reason: 'REASON_CONTAINER_LAUNCH_FAILED',
        message: `Failed to launch container: ${(err as Error).message}`,
      });
      return;
    }
    void report(t, 'TASK_RUNNING', 'SOURCE_EXECUTOR');
    const container = t.container;
    t.checks = o.startChecks?.(
      info,
      container.exec,
      {
        update: (u) => {
          if (!t.killing && tasks.get(k) === t) void report(t, 'TASK_RUNNING', 'SOURCE_EXECUTOR', u);
        },
        kill: () => {
          if (t.killing) return;
          t.killing = true;
          void container.kill(info.killGracePeriodMs ?? o.defaultGraceMs).catch((err: unknown) => tlog.error({ err, taskId: t.taskId }, 'kill failed'));
        },
      },
      tlog,
    );
    const done = t.container.exited.then(async (exit) => {
      t.checks?.stop();
      const term = healthKill(t.checks, exit) ?? terminalFor(exit);
      tasks.delete(k);
      // Mesos's default executor: when a task of a group fails or is killed, the rest of the group is killed.
      if (cmd.executor !== undefined && term.state !== 'TASK_FINISHED') killGroup(cmd.frameworkId, cmd.executor.executorId);
      tlog.info({ taskId: t.taskId, state: term.state, message: term.message }, 'task ended');
      await report(t, term.state, term.source, { ...(term.reason ? { reason: term.reason } : {}), message: term.message, ...(term.healthy !== undefined ? { healthy: term.healthy } : {}) });
    });
    exits.add(done);
    void done.finally(() => exits.delete(done));
  }

  function killGroup(frameworkId: FrameworkId, executorId: string): void {
    for (const other of tasks.values()) {
      if (other.frameworkId === frameworkId && other.executorId === executorId && other.container !== null && !other.killing) {
        other.killing = true;
        void other.container.kill(other.info.killGracePeriodMs ?? o.defaultGraceMs).catch(() => undefined);
      }
    }
  }

  return {
    async launch(cmd) {
      // A group of tasks from one accept is launched together.
      await Promise.all(cmd.tasks.map((info) => launchOne(cmd, info)));
    },
    async kill(cmd) {
      const t = tasks.get(key(cmd.frameworkId, cmd.taskId));
      if (t === undefined || t.container === null || t.killing) return;
      t.killing = true;
      const grace = cmd.gracePeriodMs ?? t.info.killGracePeriodMs ?? o.defaultGraceMs;
      void t.container.kill(grace).catch((err: unknown) => tlog.error({ err, taskId: t.taskId }, 'kill failed'));
    },
    running: () => [...tasks.values()],
    async killAll() {
      for (const t of tasks.values()) {
        if (t.container !== null && !t.killing) {
          t.killing = true;
          void t.container.kill(t.info.killGracePeriodMs ?? o.defaultGraceMs).catch(() => undefined);
        }
      }
      await Promise.all([...exits]);
    },
  };
}

/** Tasks run as the framework's user only when that user exists on this host. */
function userExists(user: string): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.split(':')[0] === user);
  } catch {
    return false;
  }
}
