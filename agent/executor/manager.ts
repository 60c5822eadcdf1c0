/**
 * Custom executors on this agent (Mesos's ExecutorInfo of type CUSTOM), as Mesos's agent runs them:
 *
 * - the first task for an executor starts it: its own container (a sandbox of its own with its
 *   URIs fetched, cgroup limits from its resources plus its tasks'), with Mesos's environment
 *   (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_DIRECTORY, MESOS_SANDBOX, MESOS_AGENT_ENDPOINT,
 *   MESOS_CHECKPOINT, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, MESOS_HTTP_COMMAND_EXECUTOR=0, …);
 * - it subscribes over the v1 executor API (agent/http/executor-api.ts) and is given its tasks
 *   (LAUNCH), kills (KILL), framework messages (MESSAGE) and acknowledgements (ACKNOWLEDGED, when
 *   its scheduler acknowledges an update: the agent follows the framework's acknowledgements);
 *   tasks that arrive before it subscribed wait for it;
 * - its UPDATE calls are status updates like the agent's own: durably queued, in the log, uuid
 *   given by the executor; its MESSAGE calls become ExecutorMessageSent in the log;
 * - once it has no live task it gets SHUTDOWN and is killed after its shutdown grace period;
 * - when its process ends, its tasks that had not ended are TASK_FAILED (REASON_EXECUTOR_TERMINATED)
 *   and ExecutorExited tells the master to let go of its resources.
 *
 * - it is checkpointed (agent/executor/checkpoint.ts) and its container outlives the agent, as a
 *   task's does: a restarted agent re-attaches to it (`recover`) and waits up to
 *   --executor-reregistration-timeout for it to SUBSCRIBE again with its unacknowledged tasks and
 *   updates; an executor that does not is killed and its tasks are TASK_FAILED
 *   (REASON_EXECUTOR_REREGISTRATION_TIMEOUT). A framework that does not checkpoint loses its
 *   executor at an agent restart, as in Mesos: it is killed and its tasks are TASK_LOST
 *   (REASON_AGENT_RESTARTED).
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  type AgentId,
  type EventOf,
  type ExecutorId,
  type ExecutorInfo,
  type FrameworkId,
  type StatusReason,
  type TaskId,
  type TaskInfo,
  type TaskStateName,
  type TaskStatus,
  SCHEMA_VERSION,
  decode,
  isTerminal,
  subjects,
} from '../../events/index.js';
import { add, scalar } from '../../kernel/core/resources.js';
import { type Bus, append } from '../../kernel/shell/bus.js';
import { base64ToUuid } from '../../kernel/shell/scheduler-api/convert/statuses.js';
import { runtimeDirOf, removeContainerDir } from '../container-checkpoint.js';
import { type TokenCheck, checkExecutorToken, issueExecutorToken } from './token.js';
import { type ExecutorCheckpoint, readExecutorCheckpoints, writeExecutorCheckpoint } from './checkpoint.js';
import type { Container, Containerizer, ExitInfo, LaunchSpec } from '../containerizer/index.js';
import { containerIdFor, statusUuidFor } from '../ids.js';
import { sandboxPath } from '../sandbox.js';
import { secretEnvironment } from '../secret-env.js';
import type { StatusSender } from '../status-sender.js';
import { mkdir } from 'node:fs/promises';
import {
  type ExecutorCall,
  type ExecutorEvent,
  type ExecutorTaskStatus,
  EXECUTOR_FORBIDDEN_STATES,
  UnacknowledgedUpdate,
  acknowledgedEvent,
  executorInfoToMesos,
  heartbeatEvent,
  killEvent,
  launchEvent,
  launchGroupEvent,
  messageEvent,
  shutdownEvent,
} from './wire.js';

/** Where the executor's events go while it is subscribed (the HTTP stream). */
export interface ExecutorStream {
  send(event: ExecutorEvent): void;
  close(): void;
}

/** RECOVERING: re-attached after an agent restart, waiting for it to subscribe again. */
type Phase = 'LAUNCHING' | 'RUNNING' | 'RECOVERING' | 'TERMINATING' | 'TERMINATED';

/** How its tasks end when the executor ends for a reason of the agent's (else from its exit). */
interface EndAs {
  readonly state: TaskStateName;
  readonly reason: StatusReason;
  readonly message: string;
}

/** Tasks to hand over together: one LAUNCH each, or one LAUNCH_GROUP. */
interface Batch {
  readonly tasks: TaskInfo[];
  readonly group: boolean;
}

const queuedTasks = (run: { readonly queued: readonly Batch[] }): TaskInfo[] => run.queued.flatMap((b) => b.tasks);

interface ExecutorTask {
  readonly info: TaskInfo;
  state: TaskStateName;
}

export interface ExecutorRun {
  readonly frameworkId: FrameworkId;
  readonly executorId: ExecutorId;
  readonly info: ExecutorInfo;
  readonly framework: EventOf<'LaunchTasks'>['framework'];
  readonly role: string | undefined;
  readonly containerId: string;
  readonly sandbox: string;
  /** The user it runs as (once resolved). */
  user: string | undefined;
  phase: Phase;
  endAs: EndAs | undefined;
  /** Checkpoint writes, one after the other. */
  checkpointing: Promise<void>;
  container: Container | null;
  readonly tasks: Map<TaskId, ExecutorTask>;
  /** Tasks given to it before it subscribed: sent once it does (LAUNCH each, or one LAUNCH_GROUP for a group). */
  readonly queued: Batch[];
  stream: ExecutorStream | null;
  /** Whether it ever subscribed (else it is killed after the registration timeout). */
  everSubscribed: boolean;
  registrationTimer: NodeJS.Timeout | null;
  /** Its updates not yet acknowledged by the scheduler: uuid → task. */
  readonly unacknowledged: Map<string, TaskId>;
  shutdownTimer: NodeJS.Timeout | null;
  heartbeat: NodeJS.Timeout | null;
  /** Resolves once it has ended and its tasks and ExecutorExited are reported. */
  done: Promise<void>;
}

export interface ExecutorManagerOptions {
  readonly agentId: AgentId;
  readonly workDir: string;
  readonly metaDir: string;
  readonly containerizer: Containerizer;
  readonly statuses: StatusSender;
  readonly bus: Bus;
  /** `http://ip:port/` of this agent's endpoint (MESOS_AGENT_ENDPOINT is `ip:port`). */
  readonly endpoint: () => string;
  /** Default shutdown grace period (Mesos's --executor_shutdown_grace_period, 5 s). */
  readonly shutdownGraceMs: number;
  /** How often a subscribed executor gets HEARTBEAT. */
  readonly heartbeatMs: number;
  /** MESOS_SUBSCRIPTION_BACKOFF_MAX: the longest an executor waits between two SUBSCRIBE attempts (Mesos: 2 s). */
  readonly subscriptionBackoffMaxMs: number;
  /** MESOS_RECOVERY_TIMEOUT: how long an executor keeps trying to reach its agent before it exits (Mesos: 15 min). */
  readonly recoveryTimeoutMs: number;
  /** An executor that has not subscribed this long after it started is killed (Mesos's --executor_registration_timeout, 1 min). */
  readonly registrationTimeoutMs: number;
  /** After an agent restart, how long a re-attached executor has to subscribe again (Mesos's --executor_reregistration_timeout, 2 s). */
  readonly reregistrationTimeoutMs: number;
  readonly pidsMax?: number;
  /** The agent's secret for executor tokens (agent/executor/token.ts); absent: executors are not authenticated. */
  readonly secret?: Buffer;
  /** The user the executor runs as (as a task would: its command's, else its framework's), or why not. */
  readonly userOf: (command: ExecutorInfo['command'], frameworkUser: string) => Promise<{ ok: true; user: string | undefined } | { ok: false; why: string }>;
  readonly log: Logger;
}

export type CallResult = { readonly status: 202 } | { readonly status: 400 | 404 | 409; readonly text: string };

export interface ExecutorManager {
  /** Carry out a launch for a custom executor (start it if it does not run). */
  launch(cmd: EventOf<'LaunchTasks'>, commit?: () => Promise<void>): Promise<void>;
  /** Send KILL for a task run by an executor; false when no executor here runs it. */
  kill(cmd: EventOf<'KillTask'>): boolean;
  /** A scheduler's message: MESSAGE to the executor, when it is subscribed. */
  deliver(cmd: EventOf<'DeliverFrameworkMessage'>): void;
  /** SUBSCRIBE: the executor's stream; the reply is an error text when it cannot subscribe. */
  subscribe(call: ExecutorCall, stream: ExecutorStream): Promise<CallResult>;
  /**
   * Take over the executors an earlier process of this agent ran (from their checkpoints): their
   * container ids (so that their isolation is not removed as an orphan's).
   */
  recover(): Promise<ExecutorRecovery>;
  /** Start the re-registration timeout of the recovered executors (once the endpoint listens). */
  awaitReregistration(): void;
  /** The stream closed (the connection went). */
  unsubscribed(frameworkId: string, executorId: string, stream: ExecutorStream): void;
  /** UPDATE and MESSAGE. */
  call(call: ExecutorCall): Promise<CallResult>;
  /**
   * Whether a call's `Authorization` header names the executor it is for (its token, for its
   * current container); undefined when executors are not authenticated.
   */
  authenticate(authorization: string | undefined, call: ExecutorCall): TokenCheck | undefined;
  runs(): readonly ExecutorRun[];
  /** Its executors' tasks that have not ended, for a reregistration (else the master would count them lost). */
  reportable(): Array<{ frameworkId: FrameworkId; taskId: TaskId; state: TaskStateName }>;
  /** Kill every executor (agent shutdown) and wait for their ends to be reported. */
  killAll(): Promise<void>;
}

export interface ExecutorRecovery {
  /** Re-attached, waiting for them to subscribe again. */
  readonly reattached: number;
  /** Found ended, killed (framework without checkpoint) or started anew (never spawned). */
  readonly ended: number;
  readonly containerIds: readonly string[];
}

const keyOf = (f: string, e: string): string => `${f}/${e}`;

export function createExecutorManager(o: ExecutorManagerOptions): ExecutorManager {
  const runs = new Map<string, ExecutorRun>();
  const log = o.log.child({ component: 'executors' });
  /** One core subscription per framework with an executor here: its acknowledgements. */
  const ackSubs = new Map<string, Subscription>();

  /** Shutting down or gone (a phase read after an await: it may have changed meanwhile). */
  const ending = (run: ExecutorRun): boolean => run.phase === 'TERMINATING' || run.phase === 'TERMINATED';
  const graceOf = (run: ExecutorRun): number => run.info.shutdownGracePeriodMs ?? o.shutdownGraceMs;
  const live = (run: ExecutorRun): ExecutorTask[] => [...run.tasks.values()].filter((t) => !isTerminal(t.state));

  async function report(run: ExecutorRun, taskId: TaskId, state: TaskStateName, reason: StatusReason, message: string, what: string): Promise<void> {
    const t = run.tasks.get(taskId);
    if (t !== undefined) t.state = state;
    const uuid = statusUuidFor(`${run.containerId}/${taskId}`, what);
    await checkpoint(run);
    const status: TaskStatus = {
      agentId: o.agentId,
      frameworkId: run.frameworkId,
      taskId,
      executorId: run.executorId,
      state,
      source: 'SOURCE_AGENT',
      reason,
      message,
      uuid,
      timestamp: Date.now(),
      containerId: run.containerId,
    };
    await o.statuses.send(status, uuid).catch((err: unknown) => log.error({ err, taskId }, 'cannot queue a status update'));
  }

  /** Write the executor's checkpoint (its tasks and their states), after the writes before it. */
  function checkpoint(run: ExecutorRun): Promise<void> {
    if (runs.get(keyOf(run.frameworkId, run.executorId)) !== run || run.phase === 'TERMINATED') return run.checkpointing ?? Promise.resolve();
    const cp: ExecutorCheckpoint = {
      version: 1,
      containerId: run.containerId,
      agentId: o.agentId,
      frameworkId: run.frameworkId,
      framework: run.framework,
      ...(run.role !== undefined ? { role: run.role } : {}),
      info: run.info,
      sandbox: run.sandbox,
      ...(run.user !== undefined ? { user: run.user } : {}),
      tasks: [...run.tasks.values()].map((t) => ({ info: t.info, state: t.state })),
      checkpointedAt: Date.now(),
    };
    run.checkpointing = run.checkpointing.then(() =>
      run.phase === 'TERMINATED' ? undefined : writeExecutorCheckpoint(o.metaDir, cp).catch((err: unknown) => log.error({ err, executorId: run.executorId }, 'cannot checkpoint the executor')),
    );
    return run.checkpointing;
  }

  function watchAcks(frameworkId: FrameworkId): void {
    if (ackSubs.has(frameworkId)) return;
    const subject = subjects.frameworkCall(frameworkId, 'acknowledged');
    ackSubs.set(
      frameworkId,
      o.bus.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          const d = decode(msg.data, msg.subject);
          if (!d.ok || d.event.type !== 'StatusAcknowledged' || d.event.agentId !== o.agentId) return;
          const e = d.event;
          for (const run of runs.values()) {
            if (run.frameworkId !== e.frameworkId || run.unacknowledged.get(e.uuid) !== e.taskId) continue;
            run.unacknowledged.delete(e.uuid);
            run.stream?.send(acknowledgedEvent(e.taskId, e.uuid));
          }
        },
      }),
    );
  }

  function unwatchAcks(frameworkId: FrameworkId): void {
    if ([...runs.values()].some((r) => r.frameworkId === frameworkId)) return;
    ackSubs.get(frameworkId)?.unsubscribe();
    ackSubs.delete(frameworkId);
  }

  function limitsOf(run: ExecutorRun): LaunchSpec['limits'] {
    // Mesos: the executor's container is limited by the executor's resources plus its tasks'.
    const all = add(run.info.resources, ...[...run.tasks.values()].map((t) => t.info.resources));
    return {
      cpus: scalar(all, 'cpus') || 0.01,
      memMb: scalar(all, 'mem') || 32,
      ...(o.pidsMax !== undefined ? { pids: o.pidsMax } : {}),
      ...(scalar(all, 'disk') > 0 ? { diskMb: scalar(all, 'disk') } : {}),
      gpus: [],
    };
  }

  function specOf(run: ExecutorRun, user: string | undefined): LaunchSpec {
    const c = run.info.command;
    const endpoint = o.endpoint();
    return {
      containerId: run.containerId,
      sandbox: run.sandbox,
      runtimeDir: runtimeDirOf(o.metaDir, run.containerId),
      command: {
        value: c.value,
        shell: c.shell,
        ...(c.arguments !== undefined ? { arguments: c.arguments } : {}),
        environment: {
          ...c.environment,
          ...secretEnvironment(c.secrets),
          MESOS_FRAMEWORK_ID: run.frameworkId,
          MESOS_EXECUTOR_ID: run.executorId,
          MESOS_AGENT_ID: o.agentId,
          MESOS_SLAVE_ID: o.agentId,
          MESOS_CONTAINER_ID: run.containerId,
          MESOS_DIRECTORY: run.sandbox,
          MESOS_SANDBOX: run.sandbox,
          MESOS_AGENT_ENDPOINT: endpoint,
          MESOS_SLAVE_PID: `slave(1)@${endpoint}`,
          MESOS_CHECKPOINT: run.framework.checkpoint ? '1' : '0',
          MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: mesosDuration(graceOf(run)),
          MESOS_HTTP_COMMAND_EXECUTOR: '0',
          MESOS_SUBSCRIPTION_BACKOFF_MAX: mesosDuration(o.subscriptionBackoffMaxMs),
          MESOS_RECOVERY_TIMEOUT: mesosDuration(o.recoveryTimeoutMs),
          ...(o.secret !== undefined ? { MESOS_EXECUTOR_AUTHENTICATION_TOKEN: issueExecutorToken(o.secret, { frameworkId: run.frameworkId, executorId: run.executorId, containerId: run.containerId }) } : {}),
          ...(user !== undefined ? { USER: user } : {}),
        },
      },
      limits: limitsOf(run),
      ...(user !== undefined ? { user } : {}),
    };
  }

  /** One LAUNCH per task, or the whole group as one batch. */
  const batchesOf = (tasks: readonly TaskInfo[], group: boolean): Batch[] => (tasks.length === 0 ? [] : group ? [{ tasks: [...tasks], group: true }] : tasks.map((t) => ({ tasks: [t], group: false })));
  const batchEvent = (run: ExecutorRun, b: Batch): ExecutorEvent => (b.group ? launchGroupEvent(b.tasks, run.frameworkId, run.role) : launchEvent(b.tasks[0]!, run.frameworkId, run.role));

  function send(run: ExecutorRun, event: ExecutorEvent): void {
    run.stream?.send(event);
  }

  /** No live task left: SHUTDOWN, then the kill after the grace period. */
  function shutdownIfIdle(run: ExecutorRun): void {
    if (run.phase !== 'RUNNING' || live(run).length > 0 || run.queued.length > 0) return;
    shutdown(run, 'it has no tasks left');
  }

  function shutdown(run: ExecutorRun, why: string): void {
    if (run.phase === 'TERMINATING' || run.phase === 'TERMINATED') return;
    run.phase = 'TERMINATING';
    log.info({ executorId: run.executorId, frameworkId: run.frameworkId, why, graceMs: graceOf(run) }, 'shutting the executor down');
    send(run, shutdownEvent());
    run.shutdownTimer = setTimeout(() => {
      void run.container?.kill(0).catch((err: unknown) => log.error({ err, executorId: run.executorId }, 'cannot kill the executor'));
    }, graceOf(run));
    run.shutdownTimer.unref();
    // Never subscribed, or already gone: nothing will answer SHUTDOWN.
    if (run.stream === null) void run.container?.kill(graceOf(run)).catch(() => undefined);
  }

  async function ended(run: ExecutorRun, exit: ExitInfo | { message: string; code: null; signal: null }): Promise<void> {
    run.phase = 'TERMINATED';
    if (run.shutdownTimer !== null) clearTimeout(run.shutdownTimer);
    if (run.registrationTimer !== null) clearTimeout(run.registrationTimer);
    if (run.heartbeat !== null) clearInterval(run.heartbeat);
    run.stream?.close();
    run.stream = null;
    log.info({ executorId: run.executorId, frameworkId: run.frameworkId, message: exit.message }, 'executor ended');
    // Why its tasks end: the agent's reason (a re-registration timeout, a restart), else a limit
    // the isolators enforced (as Mesos's containerizer reports a limitation), else its exit.
    const limited = 'oomKilled' in exit && exit.oomKilled ? ('REASON_CONTAINER_LIMITATION_MEMORY' as const) : 'limitation' in exit ? exit.limitation?.reason : undefined;
    const endAs: EndAs = run.endAs ?? (limited !== undefined ? { state: 'TASK_FAILED', reason: limited, message: `Executor terminated: ${exit.message}` } : { state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', message: `Executor terminated: ${exit.message}` });
    const unended = new Map<string, TaskInfo>([...live(run).map((x) => [x.info.taskId, x.info] as const), ...queuedTasks(run).map((t) => [t.taskId, t] as const)]);
    for (const t of unended.values()) {
      await report(run, t.taskId, endAs.state, endAs.reason, endAs.message, 'executor-ended');
    }
    run.queued.length = 0;
    const status = exit.code !== null ? exit.code << 8 : exit.signal !== null ? signalNumber(exit.signal) : undefined;
    await appendRetrying({
      type: 'ExecutorExited',
      schemaVersion: SCHEMA_VERSION,
      id: `exited-${run.containerId}`,
      time: Date.now(),
      agentId: o.agentId,
      frameworkId: run.frameworkId,
      executorId: run.executorId,
      ...(status !== undefined ? { status } : {}),
      message: exit.message.slice(0, 4096),
    });
    runs.delete(keyOf(run.frameworkId, run.executorId));
    unwatchAcks(run.frameworkId);
    await run.checkpointing;
    await removeContainerDir(o.metaDir, run.containerId).catch(() => undefined);
  }

  async function appendRetrying(e: Parameters<typeof append>[1]): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await append(o.bus.js, e);
        return;
      } catch (err) {
        log.warn({ err, attempt }, 'cannot append an executor event yet');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
    log.error({ event: e.type }, 'gave up appending an executor event');
  }

  async function start(run: ExecutorRun): Promise<void> {
    const who = await o.userOf(run.info.command, run.framework.user);
    const fail = async (message: string): Promise<void> => {
      log.warn({ executorId: run.executorId, message }, 'executor launch failed');
      for (const t of queuedTasks(run)) await report(run, t.taskId, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', message, 'launch-failed');
      run.queued.length = 0;
      await ended(run, { message, code: null, signal: null });
    };
    if (!who.ok) return fail(`Failed to launch executor: ${who.why}`);
    run.user = who.user;
    await checkpoint(run);
    const spec = specOf(run, who.user);
    try {
      await mkdir(spec.runtimeDir, { recursive: true });
      await o.containerizer.prepareSandbox(spec, run.info.command.uris ?? []);
      run.container = await o.containerizer.launch(spec);
    } catch (err) {
      return fail(`Failed to launch executor: ${(err as Error).message}`);
    }
    if (run.phase === 'LAUNCHING') run.phase = 'RUNNING';
    run.registrationTimer = setTimeout(() => {
      if (run.everSubscribed) return;
      log.warn({ executorId: run.executorId, frameworkId: run.frameworkId, timeoutMs: o.registrationTimeoutMs }, 'executor did not subscribe in time');
      shutdown(run, `it did not subscribe within ${o.registrationTimeoutMs} ms`);
    }, o.registrationTimeoutMs);
    run.registrationTimer.unref();
    log.info({ executorId: run.executorId, frameworkId: run.frameworkId, containerId: run.containerId, pid: run.container.pid }, 'executor launched');
    const container = run.container;
    await container.exited.then((exit) => ended(run, exit));
  }

  /** An executor's status update (UPDATE, or one it re-sends when it subscribes again). */
  async function acceptUpdate(run: ExecutorRun, s: ExecutorTaskStatus, idleCheck = true): Promise<CallResult> {
    const uuid = base64ToUuid(s.uuid);
    if (uuid === null) return { status: 400, text: "'status.uuid' must be a base64-encoded 16-byte UUID" };
    if (EXECUTOR_FORBIDDEN_STATES.has(s.state)) return { status: 400, text: `An executor may not send ${s.state}` };
    const t = run.tasks.get(s.task_id.value as TaskId);
    if (t === undefined) return { status: 400, text: `Task ${s.task_id.value} is not a task of executor ${run.executorId}` };
    if (s.executor_id !== undefined && s.executor_id.value !== run.executorId) return { status: 400, text: `'status.executor_id' ${s.executor_id.value} is not this executor (${run.executorId})` };
    if (isTerminal(t.state) && !isTerminal(s.state)) return { status: 409, text: `Task ${s.task_id.value} is already ${t.state}` };
    const changed = t.state !== s.state;
    t.state = s.state;
    const status: TaskStatus = {
      agentId: o.agentId,
      frameworkId: run.frameworkId,
      taskId: t.info.taskId,
      executorId: run.executorId,
      state: s.state,
      source: 'SOURCE_EXECUTOR',
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      uuid,
      timestamp: Date.now(),
      containerId: run.containerId,
    };
    run.unacknowledged.set(uuid, t.info.taskId);
    // Checkpointed first: a crash between the two then leaves the checkpoint ahead (the executor
    // re-sends the update when it subscribes again) and never behind what the framework was told (a
    // restarted agent would list the task in an older state when it reregisters).
    if (changed) await checkpoint(run);
    // The same uuid again (a re-sent update) is recognised by the durable queue and not sent twice.
    await o.statuses.send(status, uuid);
    if (idleCheck && isTerminal(s.state)) shutdownIfIdle(run);
    return { status: 202 };
  }

  return {
    async launch(cmd, commit) {
      const info = cmd.customExecutor!;
      const k = keyOf(cmd.frameworkId, info.executorId);
      let run = runs.get(k);
      if (run !== undefined && (run.phase === 'TERMINATING' || run.phase === 'TERMINATED')) {
        await commit?.();
        for (const t of cmd.tasks) {
          if (run.tasks.has(t.taskId)) continue;
          run.tasks.set(t.taskId, { info: t, state: 'TASK_STAGING' });
          await report(run, t.taskId, 'TASK_LOST', 'REASON_EXECUTOR_TERMINATED', `Executor ${info.executorId} is terminating`, 'executor-terminating');
        }
        return;
      }
      if (run === undefined) {
        const containerId = containerIdFor(o.agentId, cmd.agentSeq, cmd.frameworkId, `executor:${info.executorId}`);
        let sandbox: string;
        try {
          sandbox = sandboxPath(o.workDir, o.agentId, cmd.frameworkId, info.executorId, containerId);
        } catch (err) {
          await commit?.();
          const dummy = { containerId, frameworkId: cmd.frameworkId, executorId: info.executorId, tasks: new Map() } as unknown as ExecutorRun;
          for (const t of cmd.tasks) await report(dummy, t.taskId, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', `Failed to launch executor: ${(err as Error).message}`, 'launch-failed');
          return;
        }
        run = {
          frameworkId: cmd.frameworkId,
          executorId: info.executorId,
          info,
          framework: cmd.framework,
          role: cmd.role,
          containerId,
          sandbox,
          user: undefined,
          phase: 'LAUNCHING',
          endAs: undefined,
          checkpointing: Promise.resolve(),
          container: null,
          tasks: new Map(),
          queued: [],
          stream: null,
          everSubscribed: false,
          registrationTimer: null,
          unacknowledged: new Map(),
          shutdownTimer: null,
          heartbeat: null,
          done: Promise.resolve(),
        };
        runs.set(k, run);
        watchAcks(cmd.frameworkId);
        for (const t of cmd.tasks) run.tasks.set(t.taskId, { info: t, state: 'TASK_STAGING' });
        run.queued.push(...batchesOf(cmd.tasks, cmd.group === true));
        // Checkpointed before the command counts as carried out: a restart finds it.
        await checkpoint(run);
        await commit?.();
        const r = run;
        run.done = start(r).catch((err: unknown) => log.error({ err, executorId: r.executorId }, 'executor run failed unexpectedly'));
        return;
      }
      const fresh = cmd.tasks.filter((t) => !run!.tasks.has(t.taskId)); // else the same command again
      for (const t of fresh) run.tasks.set(t.taskId, { info: t, state: 'TASK_STAGING' });
      if (fresh.length > 0) await checkpoint(run);
      await commit?.();
      for (const b of batchesOf(fresh, cmd.group === true)) {
        if (run.stream !== null) send(run, batchEvent(run, b));
        else run.queued.push(b);
      }
    },

    kill(cmd) {
      for (const run of runs.values()) {
        if (run.frameworkId !== cmd.frameworkId) continue;
        const t = run.tasks.get(cmd.taskId);
        if (t === undefined) continue;
        if (isTerminal(t.state)) return true;
        const q = run.queued.findIndex((b) => b.tasks.some((x) => x.taskId === cmd.taskId));
        if (q >= 0) {
          // Not handed to the executor yet: killed here, as Mesos's agent does.
          const b = run.queued[q]!;
          b.tasks.splice(b.tasks.findIndex((x) => x.taskId === cmd.taskId), 1);
          if (b.tasks.length === 0) run.queued.splice(q, 1);
          void report(run, cmd.taskId, 'TASK_KILLED', cmd.reason ?? 'REASON_TASK_KILLED_DURING_LAUNCH', cmd.message ?? 'Killed before the executor took it', 'killed-queued').then(() => shutdownIfIdle(run));
          return true;
        }
        if (run.stream !== null) send(run, killEvent(cmd.taskId, cmd.gracePeriodMs ?? t.info.killGracePeriodMs));
        else log.warn({ taskId: cmd.taskId, executorId: run.executorId }, 'kill for a task whose executor is not subscribed; it is killed with the executor');
        return true;
      }
      return false;
    },

    deliver(cmd) {
      const run = runs.get(keyOf(cmd.frameworkId, cmd.executorId));
      if (run === undefined || run.stream === null) {
        log.info({ executorId: cmd.executorId, frameworkId: cmd.frameworkId }, 'framework message for an executor that is not subscribed here; dropped');
        return;
      }
      send(run, messageEvent(cmd.data));
    },

    async subscribe(call, stream) {
      const run = runs.get(keyOf(call.framework_id.value, call.executor_id.value));
      if (run === undefined || run.phase === 'TERMINATED') return { status: 404, text: `Executor ${call.executor_id.value} of framework ${call.framework_id.value} is not running on this agent` };
      if (run.phase === 'TERMINATING') return { status: 409, text: `Executor ${call.executor_id.value} is shutting down` };
      const parsedUpdates: ExecutorTaskStatus[] = [];
      for (const [i, u] of (call.subscribe?.unacknowledged_updates ?? []).entries()) {
        const p = UnacknowledgedUpdate.safeParse(u);
        if (!p.success) return { status: 400, text: `'subscribe.unacknowledged_updates[${i}]': ${p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}` };
        parsedUpdates.push(p.data.status);
      }
      const knownToExecutor = new Set<string>();
      for (const t of call.subscribe?.unacknowledged_tasks ?? []) {
        const id = (t as { task_id?: { value?: unknown } } | null)?.task_id?.value;
        if (typeof id === 'string') knownToExecutor.add(id);
      }
      const recovering = run.phase === 'RECOVERING';
      // Nothing goes to the new stream before SUBSCRIBED: it is taken once the updates are in.
      run.stream?.close();
      run.stream = null;
      run.everSubscribed = true;
      if (recovering) {
        run.phase = 'RUNNING';
        if (run.registrationTimer !== null) clearTimeout(run.registrationTimer);
        run.registrationTimer = null;
      }
      // Its updates the agent may not have (sent while the agent was away): taken as UPDATEs
      // (the durable queue knows those it has by uuid), and followed for their acknowledgements.
      for (const u of parsedUpdates) {
        const r = await acceptUpdate(run, u, false); // SHUTDOWN, if it is idle now, only after SUBSCRIBED
        if (r.status !== 202) log.info({ executorId: run.executorId, taskId: u.task_id.value, why: r.text }, 'an unacknowledged update of a re-subscribing executor not taken');
      }
      if (recovering) {
        // Mesos: a task still staging that the executor does not know was launched while the
        // agent restarted; it never reached the executor.
        for (const t of [...run.tasks.values()]) {
          if (t.state !== 'TASK_STAGING' || knownToExecutor.has(t.info.taskId) || queuedTasks(run).some((q) => q.taskId === t.info.taskId)) continue;
          await report(run, t.info.taskId, 'TASK_LOST', 'REASON_AGENT_RESTARTED', 'Task launched during agent restart', 'lost-in-restart');
        }
      }
      if (ending(run)) return { status: 409, text: `Executor ${call.executor_id.value} is shutting down` };
      run.stream = stream;
      stream.send({
        type: 'SUBSCRIBED',
        subscribed: {
          executor_info: executorInfoToMesos(run.info, run.frameworkId),
          framework_info: { id: { value: run.frameworkId }, name: run.framework.name, user: run.framework.user, checkpoint: run.framework.checkpoint },
          agent_info: { id: { value: o.agentId }, hostname: o.endpoint().split(':')[0] ?? '' },
          container_id: { value: run.containerId },
        },
      });
      for (const b of run.queued.splice(0)) stream.send(batchEvent(run, b));
      if (run.heartbeat === null) {
        run.heartbeat = setInterval(() => send(run, heartbeatEvent()), o.heartbeatMs);
        run.heartbeat.unref();
      }
      log.info({ executorId: run.executorId, frameworkId: run.frameworkId, resubscribed: recovering, unacknowledgedUpdates: parsedUpdates.length }, recovering ? 'executor re-subscribed after the agent restart' : 'executor subscribed');
      shutdownIfIdle(run);
      return { status: 202 };
    },

    async recover() {
      let reattached = 0;
      let endedCount = 0;
      const containerIds: string[] = [];
      for (const read of await readExecutorCheckpoints(o.metaDir)) {
        if (!read.ok) {
          log.error({ containerId: read.containerId, error: read.error }, 'unreadable executor checkpoint; its container is removed');
          await removeContainerDir(o.metaDir, read.containerId).catch(() => undefined);
          continue;
        }
        const cp = read.checkpoint;
        containerIds.push(cp.containerId);
        const run: ExecutorRun = {
          frameworkId: cp.frameworkId,
          executorId: cp.info.executorId,
          info: cp.info,
          framework: cp.framework,
          role: cp.role,
          containerId: cp.containerId,
          sandbox: cp.sandbox,
          user: cp.user,
          phase: 'RECOVERING',
          endAs: undefined,
          checkpointing: Promise.resolve(),
          container: null,
          tasks: new Map(cp.tasks.map((t) => [t.info.taskId, { info: t.info, state: t.state }])),
          queued: [],
          stream: null,
          everSubscribed: true,
          registrationTimer: null,
          unacknowledged: new Map(),
          shutdownTimer: null,
          heartbeat: null,
          done: Promise.resolve(),
        };
        runs.set(keyOf(run.frameworkId, run.executorId), run);
        watchAcks(run.frameworkId);
        const rlog = { executorId: run.executorId, frameworkId: run.frameworkId, containerId: run.containerId };
        const r = await o.containerizer.recover(specOf(run, run.user)).catch((err: unknown) => {
          log.error({ ...rlog, err }, 'cannot re-attach to the executor');
          return { kind: 'failed' as const };
        });
        if (r.kind === 'not-started') {
          // The agent stopped between the checkpoint and the spawn: start it now, with its tasks.
          await o.containerizer.destroy(run.containerId).catch(() => undefined);
          run.phase = 'LAUNCHING';
          run.everSubscribed = false;
          run.queued.push(...batchesOf([...run.tasks.values()].filter((t) => !isTerminal(t.state)).map((t) => t.info), false));
          run.done = start(run).catch((err: unknown) => log.error({ err, ...rlog }, 'executor run failed unexpectedly'));
          endedCount++;
          continue;
        }
        if (r.kind === 'failed') {
          run.endAs = { state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_TERMINATED', message: 'The agent restarted and could not re-attach to the executor' };
          await o.containerizer.destroy(run.containerId).catch(() => undefined);
          run.done = ended(run, { message: 'the agent could not re-attach to it', code: null, signal: null });
          endedCount++;
          continue;
        }
        run.container = r.container;
        if (cp.agentId !== o.agentId) {
          run.endAs = { state: 'TASK_FAILED', reason: 'REASON_AGENT_RESTARTED', message: 'The agent was restarted as a new agent (--new-agent-id); the executors of its earlier id were killed' };
          run.phase = 'TERMINATING';
          void r.container.kill(0).catch(() => undefined);
        } else if (!run.framework.checkpoint) {
          // As Mesos: only a checkpointing framework's executors survive an agent restart (and
          // its executor library stops the executor when it loses its agent).
          run.endAs = { state: 'TASK_LOST', reason: 'REASON_AGENT_RESTARTED', message: 'The agent restarted and the framework does not checkpoint: its executor was killed' };
          run.phase = 'TERMINATING';
          log.info(rlog, 'killing the executor of a framework without checkpoint');
          if (r.running) void r.container.kill(0).catch(() => undefined);
        }
        const container = r.container;
        run.done = container.exited.then((exit) => ended(run, exit));
        if (r.running && run.phase === 'RECOVERING') {
          reattached++;
          log.info({ ...rlog, pid: container.pid }, 're-attached to the executor; waiting for it to subscribe again');
        } else endedCount++;
      }
      return { reattached, ended: endedCount, containerIds };
    },

    awaitReregistration() {
      for (const run of runs.values()) {
        if (run.phase !== 'RECOVERING' || run.registrationTimer !== null) continue;
        run.registrationTimer = setTimeout(() => {
          if (run.phase !== 'RECOVERING') return;
          log.warn({ executorId: run.executorId, frameworkId: run.frameworkId, timeoutMs: o.reregistrationTimeoutMs }, 'executor did not re-subscribe in time after the agent restart; killing it');
          run.endAs = { state: 'TASK_FAILED', reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT', message: `Executor did not re-register within ${o.reregistrationTimeoutMs} ms after the agent restarted` };
          run.phase = 'TERMINATING';
          void run.container?.kill(0).catch((err: unknown) => log.error({ err, executorId: run.executorId }, 'cannot kill the executor'));
        }, o.reregistrationTimeoutMs);
        run.registrationTimer.unref();
      }
    },

    unsubscribed(frameworkId, executorId, stream) {
      const run = runs.get(keyOf(frameworkId, executorId));
      if (run !== undefined && run.stream === stream) run.stream = null;
    },

    async call(call) {
      const run = runs.get(keyOf(call.framework_id.value, call.executor_id.value));
      if (run === undefined || run.phase === 'TERMINATED') return { status: 404, text: `Executor ${call.executor_id.value} of framework ${call.framework_id.value} is not running on this agent` };
      if (call.type === 'MESSAGE') {
        if (call.message === undefined) return { status: 400, text: "Expecting 'message' to be present" };
        await append(o.bus.js, {
          type: 'ExecutorMessageSent',
          schemaVersion: SCHEMA_VERSION,
          id: randomUUID(),
          time: Date.now(),
          agentId: o.agentId,
          frameworkId: run.frameworkId,
          executorId: run.executorId,
          data: call.message.data,
        });
        return { status: 202 };
      }
      if (call.type !== 'UPDATE') return { status: 400, text: `${call.type} is not a call to make here` };
      if (call.update === undefined) return { status: 400, text: "Expecting 'update' to be present" };
      return acceptUpdate(run, call.update.status);
    },

    authenticate(authorization, call) {
      if (o.secret === undefined) return undefined;
      const c = checkExecutorToken(o.secret, authorization, { frameworkId: call.framework_id.value, executorId: call.executor_id.value });
      if (!c.ok) return c;
      const run = runs.get(keyOf(call.framework_id.value, call.executor_id.value));
      if (run !== undefined && run.containerId !== c.principal.containerId) {
        return { ok: false, status: 403, why: `The token is for container ${c.principal.containerId}, not executor ${run.executorId}'s current container ${run.containerId}` };
      }
      return c;
    },

    runs: () => [...runs.values()],

    reportable: () =>
      [...runs.values()].flatMap((r) =>
        [...r.tasks.values()].filter((t) => !isTerminal(t.state)).map((t) => ({ frameworkId: r.frameworkId, taskId: t.info.taskId, state: t.state === 'TASK_STAGING' ? ('TASK_STARTING' as const) : t.state })),
      ),

    async killAll() {
      const all = [...runs.values()];
      for (const run of all) {
        if (run.phase === 'TERMINATED') continue;
        run.phase = 'TERMINATING';
        send(run, shutdownEvent());
        void run.container?.kill(Math.min(graceOf(run), 2000)).catch(() => undefined);
      }
      await Promise.all(all.map((r) => r.done));
      for (const s of ackSubs.values()) s.unsubscribe();
      ackSubs.clear();
    },
  };
}

/** A duration as Mesos writes one in an executor's environment (`5secs`, `250ms`). */
export function mesosDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}secs` : `${ms}ms`;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
const signalNumber = (s: NodeJS.Signals): number | undefined => SIGNALS[s];
