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
 * Not checkpointed: an agent restart does not re-attach to an executor (its container is removed
 * as an orphan and its tasks are lost, as for a Mesos executor of a framework without checkpoint).
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
import type { Container, Containerizer, ExitInfo, LaunchSpec } from '../containerizer/index.js';
import { containerIdFor, statusUuidFor } from '../ids.js';
import { sandboxPath } from '../sandbox.js';
import { secretEnvironment } from '../secret-env.js';
import type { StatusSender } from '../status-sender.js';
import { mkdir } from 'node:fs/promises';
import {
  type ExecutorCall,
  type ExecutorEvent,
  EXECUTOR_FORBIDDEN_STATES,
  acknowledgedEvent,
  executorInfoToMesos,
  heartbeatEvent,
  killEvent,
  launchEvent,
  messageEvent,
  shutdownEvent,
} from './wire.js';

/** Where the executor's events go while it is subscribed (the HTTP stream). */
export interface ExecutorStream {
  send(event: ExecutorEvent): void;
  close(): void;
}

type Phase = 'LAUNCHING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED';

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
  phase: Phase;
  container: Container | null;
  readonly tasks: Map<TaskId, ExecutorTask>;
  /** Tasks given to it before it subscribed: sent as LAUNCH once it does. */
  readonly queued: TaskInfo[];
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
  readonly pidsMax?: number;
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
  subscribe(call: ExecutorCall, stream: ExecutorStream): CallResult;
  /** The stream closed (the connection went). */
  unsubscribed(frameworkId: string, executorId: string, stream: ExecutorStream): void;
  /** UPDATE and MESSAGE. */
  call(call: ExecutorCall): Promise<CallResult>;
  runs(): readonly ExecutorRun[];
  /** Its executors' tasks that have not ended, for a reregistration (else the master would count them lost). */
  reportable(): Array<{ frameworkId: FrameworkId; taskId: TaskId; state: TaskStateName }>;
  /** Kill every executor (agent shutdown) and wait for their ends to be reported. */
  killAll(): Promise<void>;
}

const keyOf = (f: string, e: string): string => `${f}/${e}`;

export function createExecutorManager(o: ExecutorManagerOptions): ExecutorManager {
  const runs = new Map<string, ExecutorRun>();
  const log = o.log.child({ component: 'executors' });
  /** One core subscription per framework with an executor here: its acknowledgements. */
  const ackSubs = new Map<string, Subscription>();

  const graceOf = (run: ExecutorRun): number => run.info.shutdownGracePeriodMs ?? o.shutdownGraceMs;
  const live = (run: ExecutorRun): ExecutorTask[] => [...run.tasks.values()].filter((t) => !isTerminal(t.state));

  async function report(run: ExecutorRun, taskId: TaskId, state: TaskStateName, reason: StatusReason, message: string, what: string): Promise<void> {
    const t = run.tasks.get(taskId);
    if (t !== undefined) t.state = state;
    const uuid = statusUuidFor(`${run.containerId}/${taskId}`, what);
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
          ...(user !== undefined ? { USER: user } : {}),
        },
      },
      limits: limitsOf(run),
      ...(user !== undefined ? { user } : {}),
    };
  }

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
    for (const t of [...live(run).map((x) => x.info), ...run.queued]) {
      await report(run, t.taskId, 'TASK_FAILED', 'REASON_EXECUTOR_TERMINATED', `Executor terminated: ${exit.message}`, 'executor-ended');
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
      for (const t of run.queued) await report(run, t.taskId, 'TASK_FAILED', 'REASON_CONTAINER_LAUNCH_FAILED', message, 'launch-failed');
      run.queued.length = 0;
      await ended(run, { message, code: null, signal: null });
    };
    if (!who.ok) return fail(`Failed to launch executor: ${who.why}`);
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
          phase: 'LAUNCHING',
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
        for (const t of cmd.tasks) {
          run.tasks.set(t.taskId, { info: t, state: 'TASK_STAGING' });
          run.queued.push(t);
        }
        await commit?.();
        const r = run;
        run.done = start(r).catch((err: unknown) => log.error({ err, executorId: r.executorId }, 'executor run failed unexpectedly'));
        return;
      }
      await commit?.();
      for (const t of cmd.tasks) {
        if (run.tasks.has(t.taskId)) continue; // the same command again
        run.tasks.set(t.taskId, { info: t, state: 'TASK_STAGING' });
        if (run.stream !== null) send(run, launchEvent(t, run.frameworkId, run.role));
        else run.queued.push(t);
      }
    },

    kill(cmd) {
      for (const run of runs.values()) {
        if (run.frameworkId !== cmd.frameworkId) continue;
        const t = run.tasks.get(cmd.taskId);
        if (t === undefined) continue;
        if (isTerminal(t.state)) return true;
        const q = run.queued.findIndex((x) => x.taskId === cmd.taskId);
        if (q >= 0) {
          // Not handed to the executor yet: killed here, as Mesos's agent does.
          run.queued.splice(q, 1);
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

    subscribe(call, stream) {
      const run = runs.get(keyOf(call.framework_id.value, call.executor_id.value));
      if (run === undefined || run.phase === 'TERMINATED') return { status: 404, text: `Executor ${call.executor_id.value} of framework ${call.framework_id.value} is not running on this agent` };
      if (run.phase === 'TERMINATING') return { status: 409, text: `Executor ${call.executor_id.value} is shutting down` };
      run.stream?.close();
      run.stream = stream;
      run.everSubscribed = true;
      stream.send({
        type: 'SUBSCRIBED',
        subscribed: {
          executor_info: executorInfoToMesos(run.info, run.frameworkId),
          framework_info: { id: { value: run.frameworkId }, name: run.framework.name, user: run.framework.user, checkpoint: run.framework.checkpoint },
          agent_info: { id: { value: o.agentId }, hostname: o.endpoint().split(':')[0] ?? '' },
          container_id: { value: run.containerId },
        },
      });
      for (const t of run.queued.splice(0)) stream.send(launchEvent(t, run.frameworkId, run.role));
      if (run.heartbeat === null) {
        run.heartbeat = setInterval(() => send(run, heartbeatEvent()), o.heartbeatMs);
        run.heartbeat.unref();
      }
      log.info({ executorId: run.executorId, frameworkId: run.frameworkId }, 'executor subscribed');
      return { status: 202 };
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
      const s = call.update.status;
      const uuid = base64ToUuid(s.uuid);
      if (uuid === null) return { status: 400, text: "'status.uuid' must be a base64-encoded 16-byte UUID" };
      if (EXECUTOR_FORBIDDEN_STATES.has(s.state)) return { status: 400, text: `An executor may not send ${s.state}` };
      const t = run.tasks.get(s.task_id.value as TaskId);
      if (t === undefined) return { status: 400, text: `Task ${s.task_id.value} is not a task of executor ${run.executorId}` };
      if (s.executor_id !== undefined && s.executor_id.value !== run.executorId) return { status: 400, text: `'status.executor_id' ${s.executor_id.value} is not this executor (${run.executorId})` };
      if (isTerminal(t.state) && !isTerminal(s.state)) return { status: 409, text: `Task ${s.task_id.value} is already ${t.state}` };
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
      await o.statuses.send(status, uuid);
      if (isTerminal(s.state)) shutdownIfIdle(run);
      return { status: 202 };
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
