/**
 * Runs an agent's tasks: each in its own container (sandbox + isolation, supervised so that it
 * outlives the agent), with the Mesos lifecycle TASK_STARTING → TASK_RUNNING → TASK_FINISHED |
 * TASK_FAILED | TASK_KILLED (TASK_STARTING once the sandbox and URIs are ready: a fetch that fails
 * is TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, straight from staging), reasons for what the agent detects (limits, launch failures), and kill
 * = SIGTERM, grace, SIGKILL.
 *
 * Exactly once: a launch command is checkpointed (container.json per task, fsync'ed) before it
 * counts as carried out (`commit`, which persists the command position) and before anything is
 * spawned; container ids and status uuids are derived from the command (ids.ts), so carrying the
 * same command out again — after a crash between the checkpoint and the position — finds the
 * tasks already known and changes nothing. After a restart, `recover` takes every checkpointed
 * container over (recovery.ts): re-attached, reported ended (with its real exit status), or
 * launched if it never started.
 *
 * Task groups (a LaunchTasks with an executor, Mesos's LAUNCH_GROUP under the default executor):
 * all or none — every task's sandbox and URIs are prepared before any is spawned, and if one
 * cannot be launched none runs (those already spawned are killed); once running, when one of them
 * ends TASK_FAILED or TASK_KILLED the others are killed (TASK_KILLED), as Mesos's default executor
 * does (Mesos has no other policy for a group).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import type { AgentId, EventOf, FrameworkId, GroupExecutor, StatusReason, StatusSource, TaskId, TaskInfo, TaskStateName, TaskStatus } from '../events/index.js';
import { isTerminal, taskKey } from '../events/index.js';
import { scalar } from '../kernel/core/resources.js';
import { secretEnvironment } from './secret-env.js';
import { type ContainerCheckpoint, readContainerCheckpoints, removeContainerDir, runtimeDirOf, writeContainerCheckpoint } from './container-checkpoint.js';
import type { Container, Containerizer, ExitInfo, LaunchSpec } from './containerizer/index.js';
import { findSupervisor } from './container-runtime.js';
import { GpuBook } from './gpus.js';
import { containerIdFor, statusUuidFor } from './ids.js';
import { PortBook, portEnvironment, portsOf } from './ports.js';
import { sandboxPath } from './sandbox.js';
import { prepareVolumes } from './volumes.js';
import { resolveUser } from './isolation/user.js';
import { decideTaskUser, requestedUser, type TaskUser, type TaskUserPolicy } from './task-user.js';
import type { StatusSender } from './status-sender.js';
import { terminalFor, type TerminalStatus } from './task-outcome.js';
import { freshCheckFields, type StartTaskChecks, type TaskChecks } from './health/index.js';

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
  /** Ports it holds (from its resources). */
  readonly ports: readonly number[];
  /** GPU indices it was given. */
  readonly gpus: readonly number[];
  /** Its task group, when launched in one. */
  readonly group?: { readonly executor: GroupExecutor; readonly taskIds: readonly TaskId[] };
  /** Its health check and check, while it runs (agent/health). */
  checks?: TaskChecks | undefined;
  /** Why the master killed it (KillTask.reason/message, e.g. a drain): its TASK_KILLED says so. */
  killedFor?: { readonly reason: StatusReason; readonly message?: string } | undefined;
}

export interface RecoverySummary {
  /** Containers running again under this agent process. */
  readonly reattached: number;
  /** Containers that ended while the agent was down (their terminal updates are queued). */
  readonly ended: number;
  /** Containers checkpointed but never started: launched now. */
  readonly relaunched: number;
  /** Unreadable checkpoints, or tasks of another agent id, cleaned up. */
  readonly discarded: number;
}

export interface TaskRunner {
  /**
   * Carry out a launch command. Resolves once its tasks are checkpointed and `commit` (which
   * records the command as carried out) has run; the launches themselves go on in the background.
   */
  launch(cmd: EventOf<'LaunchTasks'>, commit?: () => Promise<void>): Promise<void>;
  kill(cmd: EventOf<'KillTask'>): Promise<void>;
  /** Tasks that have not reached a terminal state. */
  running(): readonly RunningTask[];
  /** Kill every task (agent shutdown) and wait for their terminal updates to be queued. */
  killAll(): Promise<void>;
  /** Take over what an earlier process of this agent ran (from the checkpoints). */
  recover(): Promise<RecoverySummary>;
  /** The tasks to name when reregistering: live ones, and those whose last update is not yet in the log. */
  reportable(): Array<{ frameworkId: FrameworkId; taskId: TaskId; state: TaskStateName }>;
}

export interface TaskRunnerOptions {
  readonly agentId: AgentId;
  readonly workDir: string;
  /** `<work-dir>/meta`: container checkpoints live in `containers/` below it. */
  readonly metaDir: string;
  readonly containerizer: Containerizer;
  /** For the containers of the work dir's earlier agent id (--new-agent-id): its cgroups live under its own root. */
  readonly previousContainerizer?: Containerizer;
  readonly statuses: StatusSender;
  readonly defaultGraceMs: number;
  /** Per-task process limit (cgroups/pids), if any. */
  readonly pidsMax?: number;
  /** The agent's GPUs (indices 0 … n−1). */
  readonly gpus?: GpuBook;
  readonly log: Logger;
  /** Starts a running task's health check and check (none are run without it). */
  readonly startChecks?: StartTaskChecks;
  /** Who tasks run as (agent/task-user.ts); default: switch users, no root tasks. */
  readonly userPolicy?: TaskUserPolicy;
}

const LAUNCH_FAILED: StatusReason = 'REASON_CONTAINER_LAUNCH_FAILED';

export function createTaskRunner(o: TaskRunnerOptions): TaskRunner {
  const tasks = new Map<string, RunningTask>();
  /** Launches and exits in progress (killAll waits for them). */
  const work = new Set<Promise<void>>();
  const tlog = o.log.child({ component: 'tasks' });
  const ports = new PortBook();
  /** Fetches in progress, by container: a kill aborts them. */
  const fetching = new Map<string, AbortController>();
  const gpus = o.gpus ?? new GpuBook(0);
  const userPolicy: TaskUserPolicy = o.userPolicy ?? { switchUser: true, allowRootTasks: false };
  const keyOf = (f: FrameworkId, t: TaskId): string => taskKey(f, t);
  const track = (p: Promise<void>): void => {
    work.add(p);
    void p.finally(() => work.delete(p));
  };

  /**
   * Queue a status update. `what`: a once-per-container update (`starting`, `running`,
   * `terminal`): its uuid is derived from the container, and a marker in the container's runtime
   * dir (`reported.<what>`) says it was queued, so that a restarted agent does not queue it again
   * (the durable queue only remembers the last 1,024 delivered updates).
   */
  type Extra = { reason?: StatusReason; message?: string; healthy?: boolean; checkStatus?: TaskStatus['checkStatus'] };
  async function report(t: RunningTask, state: TaskStateName, source: StatusSource, extra: Extra = {}, what?: string): Promise<void> {
    t.state = state;
    const marker = what === undefined ? undefined : join(runtimeDirOf(o.metaDir, t.containerId), `reported.${what}`);
    if (marker !== undefined && existsSync(marker)) return;
    const uuid = what === undefined ? randomUUID() : statusUuidFor(t.containerId, what);
    const status: TaskStatus = {
      agentId: o.agentId,
      frameworkId: t.frameworkId,
      taskId: t.taskId,
      executorId: t.executorId as TaskStatus['executorId'],
      state,
      source,
      uuid,
      timestamp: Date.now(),
      containerId: t.containerId,
      ...freshCheckFields(t.info.check),
      ...extra,
    };
    try {
      await o.statuses.send(status, uuid);
    } catch (err) {
      tlog.error({ err, taskId: t.taskId, state }, 'cannot queue a status update');
      return;
    }
    // Not fsync'ed: lost in a crash, the same update is queued again with the same id, which the
    // queue, JetStream's duplicate window or the fold recognise.
    if (marker !== undefined) await writeFile(marker, '').catch(() => undefined);
  }

  function specOf(t: RunningTask, user: string | undefined): LaunchSpec {
    const info = { ...t.info, command: commandOf(t.info) };
    return {
      containerId: t.containerId,
      sandbox: t.sandbox,
      runtimeDir: runtimeDirOf(o.metaDir, t.containerId),
      command: {
        value: info.command.value,
        shell: info.command.shell,
        ...(info.command.arguments ? { arguments: info.command.arguments } : {}),
        environment: {
          ...portEnvironment(t.ports),
          ...info.command.environment,
          ...secretEnvironment(info.command.secrets),
          MESOS_TASK_ID: info.taskId,
          MESOS_FRAMEWORK_ID: t.frameworkId,
          MESOS_AGENT_ID: o.agentId,
          MESOS_EXECUTOR_ID: t.executorId,
          MESOS_CONTAINER_ID: t.containerId,
        },
      },
      limits: {
        cpus: scalar(info.resources, 'cpus') || 0.01,
        memMb: scalar(info.resources, 'mem') || 32,
        ...(o.pidsMax !== undefined ? { pids: o.pidsMax } : {}),
        ...(scalar(info.resources, 'disk') > 0 ? { diskMb: scalar(info.resources, 'disk') } : {}),
        gpus: t.gpus,
      },
      options: info.container ?? {},
      ...(user !== undefined ? { user } : {}),
    };
  }

  /** The user a task runs as (its command's, else its framework's), or why it may not run. */
  async function userOf(info: TaskInfo, frameworkUser: string): Promise<TaskUser> {
    const requested = requestedUser(info.command?.user, frameworkUser);
    const agent = { uid: process.getuid?.() ?? -1, name: userInfo().username };
    const entry = agent.uid === 0 ? await resolveUser(requested).catch(() => undefined) : undefined;
    return decideTaskUser(requested, agent, userPolicy, entry);
  }

  /** The task leaves the agent's books (ports, GPUs, the live set). */
  function forget(t: RunningTask): void {
    const k = keyOf(t.frameworkId, t.taskId);
    if (tasks.get(k) === t) tasks.delete(k);
    ports.release(t.containerId);
    gpus.release(t.containerId);
  }

  /** Report a terminal state (durably queued), then drop the container's checkpoint. */
  async function end(t: RunningTask, state: TaskStateName, source: StatusSource, reason: StatusReason | undefined, message: string, healthy?: boolean): Promise<void> {
    forget(t);
    tlog.info({ taskId: t.taskId, containerId: t.containerId, state, reason, message }, 'task ended');
    await report(t, state, source, { ...(reason !== undefined ? { reason } : {}), message, ...(healthy !== undefined ? { healthy } : {}) }, 'terminal');
    await removeContainerDir(o.metaDir, t.containerId).catch((err: unknown) => tlog.warn({ err, containerId: t.containerId }, 'cannot remove a container checkpoint'));
  }

  /** Killed because its health check failed (and not for a limit): TASK_KILLED, healthy false, with the health reason. */
  function healthKill(checks: TaskChecks | undefined, exit: ExitInfo): (TerminalStatus & { healthy: boolean }) | undefined {
    const why = checks?.killedBecause;
    if (why === undefined || exit.oomKilled || exit.limitation !== undefined || !exit.killedByUs) return undefined;
    return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', message: `Task killed: ${why}; ${exit.message}`, healthy: false };
  }

  /** A running task's health check and check (agent/health): started at TASK_RUNNING. */
  function startChecks(t: RunningTask, container: Container): void {
    t.checks = o.startChecks?.(
      t.info,
      container.exec,
      {
        update: (u) => {
          if (!t.killing && tasks.get(keyOf(t.frameworkId, t.taskId)) === t) void report(t, 'TASK_RUNNING', 'SOURCE_EXECUTOR', u);
        },
        kill: () => {
          if (t.killing) return;
          t.killing = true;
          void container.kill(graceOf(t)).catch((err: unknown) => tlog.error({ err, taskId: t.taskId }, 'kill failed'));
        },
      },
      tlog,
    );
  }

  /** Follow a started container to its end; resolves once its terminal update is queued. */
  function follow(t: RunningTask, container: Container): Promise<void> {
    t.container = container;
    const done = container.exited.then(async (exit: ExitInfo) => {
      t.checks?.stop();
      const health = healthKill(t.checks, exit);
      const term = health ?? withKillReason(t, terminalFor(exit));
      // Mesos's default executor: when a task of a group fails or is killed, the rest of the group is killed.
      if (t.group !== undefined && (term.state === 'TASK_FAILED' || term.state === 'TASK_KILLED')) killGroup(t);
      await end(t, term.state, term.source, term.reason, term.message, health?.healthy);
    });
    track(done);
    return done;
  }

  function graceOf(t: RunningTask, given?: number): number {
    return given ?? t.info.killGracePeriodMs ?? o.defaultGraceMs;
  }

  function killTask(t: RunningTask, grace: number): void {
    if (t.killing) return;
    t.killing = true;
    if (t.container !== null) void t.container.kill(grace).catch((err: unknown) => tlog.error({ err, taskId: t.taskId }, 'kill failed'));
    // A task still launching is stopped by its launcher, which sees `killing` (a fetch is aborted).
    else fetching.get(t.containerId)?.abort();
  }

  function killGroup(failed: RunningTask): void {
    for (const other of tasks.values()) {
      if (other === failed || other.frameworkId !== failed.frameworkId || other.executorId !== failed.executorId) continue;
      if (!other.killing) tlog.info({ taskId: other.taskId, because: failed.taskId }, 'killing the rest of the task group');
      killTask(other, graceOf(other));
    }
  }

  /**
   * Launch a set of tasks together. For a group: prepare all, then spawn all; any failure before
   * all are running stops the whole group. Tasks of a plain LAUNCH are each their own set.
   */
  async function runLaunch(list: readonly RunningTask[], users: ReadonlyMap<RunningTask, string | undefined>, isGroup: boolean): Promise<void> {
    const pending = new Set(list);
    /** Stop the set: `culprit` failed (or was killed); the rest are not launched (or are killed if running). */
    const abort = async (culprit: RunningTask, state: TaskStateName, reason: StatusReason, message: string): Promise<void> => {
      pending.delete(culprit);
      await end(culprit, state, culprit.killing ? 'SOURCE_EXECUTOR' : 'SOURCE_AGENT', reason, message);
      if (!isGroup) return;
      for (const other of [...pending]) {
        pending.delete(other);
        if (culprit.killing || other.killing) {
          await end(other, 'TASK_KILLED', 'SOURCE_EXECUTOR', 'REASON_TASK_KILLED_DURING_LAUNCH', `Task group was killed during its launch (task ${culprit.taskId})`);
        } else {
          await end(other, 'TASK_FAILED', 'SOURCE_AGENT', LAUNCH_FAILED, `Task group was not launched: task ${culprit.taskId} failed to launch: ${message}`);
        }
      }
      for (const other of list) if (other.container !== null) killTask(other, graceOf(other));
    };
    const killedDuringLaunch = (t: RunningTask): Promise<void> =>
      t.killedFor === undefined
        ? abort(t, 'TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH', 'Task was killed during its launch')
        : abort(t, 'TASK_KILLED', t.killedFor.reason, `${t.killedFor.message ?? 'Task killed by the master'}; it was killed during its launch`);

    // 1. Sandboxes and URIs, for every task before any is spawned.
    for (const t of list) {
      if (!pending.has(t)) continue;
      if (t.killing) {
        await killedDuringLaunch(t);
        continue;
      }
      const ac = new AbortController();
      fetching.set(t.containerId, ac);
      try {
        await o.containerizer.prepareSandbox(specOf(t, users.get(t)), t.info.command?.uris ?? [], ac.signal);
        // Persistent volumes in the task's resources are linked into its sandbox (agent/volumes.ts).
        await prepareVolumes(o.workDir, t.sandbox, t.info.resources);
      } catch (err) {
        if (t.killing) {
          await killedDuringLaunch(t);
        } else {
          tlog.warn({ err, taskId: t.taskId }, 'task sandbox or fetch failed');
          await abort(t, 'TASK_FAILED', LAUNCH_FAILED, `Failed to launch container: ${(err as Error).message}`);
        }
      } finally {
        fetching.delete(t.containerId);
      }
    }
    // 2. Spawn. TASK_STARTING only now, as Mesos's executor sends it once the container is
    // prepared: a task whose sandbox or URIs failed goes from STAGING to TASK_FAILED directly.
    for (const t of list) {
      if (!pending.has(t)) continue;
      if (t.killing) {
        await killedDuringLaunch(t);
        continue;
      }
      await report(t, 'TASK_STARTING', 'SOURCE_EXECUTOR', {}, 'starting');
      let container: Container;
      try {
        container = await o.containerizer.launch(specOf(t, users.get(t)));
      } catch (err) {
        tlog.warn({ err, taskId: t.taskId }, 'task launch failed');
        await abort(t, 'TASK_FAILED', LAUNCH_FAILED, `Failed to launch container: ${(err as Error).message}`);
        continue;
      }
      pending.delete(t);
      follow(t, container);
      if (t.killing) {
        t.killing = false; // a kill that came while spawning: carry it out now
        killTask(t, graceOf(t));
      }
      void report(t, 'TASK_RUNNING', 'SOURCE_EXECUTOR', {}, 'running');
      if (!t.killing) startChecks(t, container);
    }
  }

  function startLaunch(list: RunningTask[], users: ReadonlyMap<RunningTask, string | undefined>): void {
    if (list.length === 0) return;
    const groups = new Map<string, RunningTask[]>();
    for (const t of list) {
      const g = t.group === undefined ? `task:${t.containerId}` : `group:${t.frameworkId}/${t.executorId}`;
      groups.set(g, [...(groups.get(g) ?? []), t]);
    }
    for (const members of groups.values()) {
      track(runLaunch(members, users, members[0]!.group !== undefined).catch((err: unknown) => tlog.error({ err }, 'launch failed unexpectedly')));
    }
  }

  function newTask(cp: ContainerCheckpoint): RunningTask {
    return {
      frameworkId: cp.frameworkId,
      taskId: cp.task.taskId,
      executorId: cp.executorId,
      containerId: cp.containerId,
      sandbox: cp.sandbox,
      info: cp.task,
      state: 'TASK_STAGING',
      container: null,
      killing: false,
      ports: cp.ports,
      gpus: cp.gpus,
      ...(cp.group !== undefined ? { group: cp.group } : {}),
    };
  }

  async function launch(cmd: EventOf<'LaunchTasks'>, commit?: () => Promise<void>): Promise<void> {
    const group = cmd.executor !== undefined ? { executor: cmd.executor, taskIds: cmd.tasks.map((t) => t.taskId) } : undefined;
    const fresh: RunningTask[] = [];
    const users = new Map<RunningTask, string | undefined>();
    const refused = new Map<RunningTask, string>();
    for (const info of cmd.tasks) {
      const k = keyOf(cmd.frameworkId, info.taskId);
      if (tasks.has(k)) continue; // carried out already (the same command again)
      const containerId = containerIdFor(o.agentId, cmd.agentSeq, cmd.frameworkId, info.taskId);
      const executorId = cmd.executor?.executorId ?? info.taskId;
      let sandbox: string;
      try {
        sandbox = sandboxPath(o.workDir, o.agentId, cmd.frameworkId, executorId, containerId);
      } catch (err) {
        refused.set(newTaskShell(cmd, info, containerId, executorId, group), (err as Error).message);
        continue;
      }
      const cp: ContainerCheckpoint = {
        version: 1,
        containerId,
        agentId: o.agentId,
        frameworkId: cmd.frameworkId,
        framework: cmd.framework,
        executorId,
        ...(group !== undefined ? { group } : {}),
        task: info,
        sandbox,
        ports: portsOf(info.resources),
        gpus: [],
        agentSeq: cmd.agentSeq,
        checkpointedAt: Date.now(),
      };
      let t = newTask(cp);
      const asUser = await userOf(info, cmd.framework.user);
      if (!asUser.ok) {
        refused.set(t, asUser.why);
        continue;
      }
      const user = asUser.user?.name;
      try {
        ports.hold(containerId, t.ports);
        const mine = gpus.allocate(containerId, Math.round(scalar(info.resources, 'gpus')));
        t = { ...t, gpus: mine };
        await writeContainerCheckpoint(o.metaDir, { ...cp, gpus: mine, ...(user !== undefined ? { user } : {}) });
      } catch (err) {
        ports.release(containerId);
        gpus.release(containerId);
        refused.set(t, (err as Error).message);
        continue;
      }
      users.set(t, user);
      fresh.push(t);
    }
    // A group is all or none: one task that cannot even be checkpointed stops the rest.
    if (group !== undefined && refused.size > 0 && fresh.length > 0) {
      const [culprit, why] = [...refused][0]!;
      for (const t of fresh) {
        forget(t);
        await removeContainerDir(o.metaDir, t.containerId).catch(() => undefined);
        refused.set(t, `Task group was not launched: task ${culprit.taskId} cannot be launched: ${why}`);
      }
      fresh.length = 0;
    }
    for (const t of fresh) tasks.set(keyOf(t.frameworkId, t.taskId), t);
    await commit?.();
    for (const [t, why] of refused) {
      tlog.warn({ taskId: t.taskId, reason: why }, 'task refused');
      await report(t, 'TASK_FAILED', 'SOURCE_AGENT', { reason: LAUNCH_FAILED, message: `Failed to launch container: ${why}` }, 'terminal');
    }
    startLaunch(fresh, users);
  }

  async function recover(): Promise<RecoverySummary> {
    let reattached = 0;
    let ended = 0;
    let discarded = 0;
    const relaunch: RunningTask[] = [];
    const users = new Map<RunningTask, string | undefined>();
    const endings: Promise<void>[] = [];
    for (const read of await readContainerCheckpoints(o.metaDir)) {
      if (!read.ok) {
        tlog.error({ containerId: read.containerId, error: read.error }, 'unreadable container checkpoint; cleaning the container up');
        await discard(read.containerId, read.dir);
        discarded++;
        continue;
      }
      const cp = read.checkpoint;
      const t = newTask(cp);
      if (cp.agentId !== o.agentId) {
        // A task of this work dir's earlier agent id (the operator asked for a new one): it goes.
        tlog.warn({ containerId: cp.containerId, taskId: cp.task.taskId, oldAgentId: cp.agentId }, 'killing a task of the earlier agent id');
        const old = o.previousContainerizer ?? o.containerizer;
        const r = await old.recover(specOf(t, cp.user));
        if (r.kind === 'attached') await r.container.kill(0);
        else await old.destroy(cp.containerId).catch(() => undefined);
        await o.statuses
          .send(
            {
              agentId: cp.agentId,
              frameworkId: cp.frameworkId,
              taskId: cp.task.taskId,
              executorId: cp.executorId as TaskStatus['executorId'],
              state: 'TASK_FAILED',
              source: 'SOURCE_AGENT',
              reason: 'REASON_AGENT_RESTARTED',
              message: 'The agent was restarted as a new agent (--new-agent-id); the tasks of its earlier id were killed',
              uuid: statusUuidFor(cp.containerId, 'terminal'),
              timestamp: Date.now(),
              containerId: cp.containerId,
            },
            statusUuidFor(cp.containerId, 'terminal'),
          )
          .catch((err: unknown) => tlog.error({ err }, 'cannot queue a status update'));
        await removeContainerDir(o.metaDir, cp.containerId).catch(() => undefined);
        discarded++;
        continue;
      }
      try {
        ports.hold(cp.containerId, cp.ports);
        gpus.restore(cp.containerId, cp.gpus);
      } catch (err) {
        tlog.error({ err, containerId: cp.containerId }, 'a recovered task claims ports or GPUs another one holds');
      }
      tasks.set(keyOf(t.frameworkId, t.taskId), t);
      const r = await o.containerizer.recover(specOf(t, cp.user));
      if (r.kind === 'not-started') {
        await o.containerizer.destroy(cp.containerId).catch(() => undefined);
        users.set(t, cp.user);
        relaunch.push(t);
        continue;
      }
      void report(t, 'TASK_STARTING', 'SOURCE_EXECUTOR', {}, 'starting');
      const done = follow(t, r.container);
      if (r.running) {
        void report(t, 'TASK_RUNNING', 'SOURCE_EXECUTOR', {}, 'running');
        startChecks(t, r.container);
        reattached++;
      } else {
        ended++;
      }
      if (!r.running) endings.push(done);
    }
    startLaunch(relaunch, users);
    // Those found ended report at once; wait until their terminal updates are queued.
    await Promise.all(endings);
    const summary = { reattached, ended, relaunched: relaunch.length, discarded };
    tlog.info(summary, 'recovered the tasks of the previous agent process');
    return summary;
  }

  /** An unreadable checkpoint: kill whatever its container runs, remove its isolation and files. */
  async function discard(containerId: string, dir: string): Promise<void> {
    const sup = await findSupervisor(dir);
    if (sup !== undefined) {
      try {
        process.kill(sup.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await o.containerizer.destroy(containerId).catch(() => undefined);
    await removeContainerDir(o.metaDir, containerId).catch(() => undefined);
  }

  return {
    launch,
    async kill(cmd) {
      const t = tasks.get(keyOf(cmd.frameworkId, cmd.taskId));
      if (t === undefined) {
        tlog.info({ taskId: cmd.taskId }, 'kill for a task this agent does not run; ignored');
        return;
      }
      if (cmd.reason !== undefined && !t.killing) t.killedFor = { reason: cmd.reason, ...(cmd.message !== undefined ? { message: cmd.message } : {}) };
      killTask(t, graceOf(t, cmd.gracePeriodMs));
    },
    running: () => [...tasks.values()].filter((t) => !isTerminal(t.state)),
    async killAll() {
      for (const t of tasks.values()) killTask(t, graceOf(t));
      while (work.size > 0) await Promise.all([...work]);
    },
    recover,
    reportable() {
      const out = new Map<string, { frameworkId: FrameworkId; taskId: TaskId; state: TaskStateName }>();
      for (const s of o.statuses.undelivered()) out.set(keyOf(s.frameworkId, s.taskId), { frameworkId: s.frameworkId, taskId: s.taskId, state: s.state });
      for (const t of tasks.values()) out.set(keyOf(t.frameworkId, t.taskId), { frameworkId: t.frameworkId, taskId: t.taskId, state: t.state === 'TASK_STAGING' ? 'TASK_STARTING' : t.state });
      return [...out.values()];
    },
  };
}

/** The command of a command task; a task without one is its executor's to run, not this runner's. */
function commandOf(info: TaskInfo): NonNullable<TaskInfo['command']> {
  if (info.command === undefined) throw new Error(`task ${info.taskId} has no command: it is run by its executor`);
  return info.command;
}

/** A TASK_KILLED of a task the master killed for a reason (a drain) carries that reason and message. */
function withKillReason(t: RunningTask, term: TerminalStatus): TerminalStatus {
  if (term.state !== 'TASK_KILLED' || t.killedFor === undefined) return term;
  return { ...term, reason: t.killedFor.reason, message: `${t.killedFor.message ?? 'Task killed by the master'}; ${term.message}` };
}

/** A task refused before it got a sandbox (an id that cannot name a directory). */
function newTaskShell(cmd: EventOf<'LaunchTasks'>, info: TaskInfo, containerId: string, executorId: string, group: RunningTask['group']): RunningTask {
  return {
    frameworkId: cmd.frameworkId,
    taskId: info.taskId,
    executorId,
    containerId,
    sandbox: '',
    info,
    state: 'TASK_STAGING',
    container: null,
    killing: false,
    ports: [],
    gpus: [],
    ...(group !== undefined ? { group } : {}),
  };
}


