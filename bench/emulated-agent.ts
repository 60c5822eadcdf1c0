/**
 * An emulated agent for the pipeline benchmark: the wire behaviour of agent/index.ts without
 * containers. It announces itself (AgentRegistered), answers the leader's pings with
 * `{ agentId, lastCommandSeq }`, receives its commands with a core-NATS subscription on its
 * command subjects (as the real command inbox does), and for each LaunchTasks appends, for every
 * task, TASK_RUNNING then TASK_FINISHED (TASK_STARTING first when asked) with fresh uuids, through
 * `append` (validated, with a Nats-Msg-Id), without waiting for one append before the next: one
 * connection keeps them in order, so a task's RUNNING is stored before its FINISHED.
 *
 * What it does not do (and the real agent does): catch up from the stream on a gap, persist its
 * position, retry failed appends. Gaps, duplicates and failed appends are counted instead, so the
 * benchmark can say whether they happened.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type AgentId, type EventOf, SCHEMA_VERSION, type TaskStateName, asAgentId, decode, subjects } from '../events/index.js';
import { type Bus, append, connectBus } from '../kernel/shell/bus.js';
import { readCredsFile } from '../security/nats/index.js';
import { parseResources } from '../kernel/core/resources.js';

export interface EmulatedAgentStats {
  commands: number;
  launches: number;
  kills: number;
  tasks: number;
  /** Commands seen again (agentSeq already carried out), e.g. an outbox re-send. */
  duplicates: number;
  /** Commands that skipped ahead of the next expected agentSeq. */
  gaps: number;
  malformed: number;
  pings: number;
  statusesAppended: number;
  appendErrors: number;
  firstError?: string;
}

export interface EmulatedAgent {
  readonly agentId: AgentId;
  readonly stats: EmulatedAgentStats;
  lastCommandSeq(): number;
  /** Resolves when every append started so far has been acknowledged or has failed. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmulatedAgentOptions {
  readonly url: string;
  readonly index: number;
  /** Mesos text form, e.g. `cpus:1000;mem:1000000`. */
  readonly resources: string;
  readonly sendStarting: boolean;
  readonly log: Logger;
  /** Called when a LaunchTasks for a task arrives (before any status is appended). */
  readonly onLaunch?: (taskId: string, at: number) => void;
  /** TLS: the CA NATS's certificate is verified against. */
  readonly tlsCa?: string;
  /** NATS credentials of an agent: the agent takes the id they name. */
  readonly creds?: string;
  /**
   * Long-running tasks (the services benchmark): a task reports TASK_RUNNING (healthy when it has
   * a health check, as a passing check would) and runs until a KillTask, answered TASK_KILLED.
   */
  readonly keepRunning?: boolean;
}

export async function startEmulatedAgent(o: EmulatedAgentOptions): Promise<EmulatedAgent> {
  const agentId = asAgentId(o.creds !== undefined ? readCredsFile(o.creds).name : `emulated-${o.index}-${randomUUID().slice(0, 8)}`);
  const bus: Bus = await connectBus({ servers: o.url, name: `bench-agent-${o.index}`, log: o.log, ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}), ...(o.creds !== undefined ? { creds: o.creds } : {}) });
  const stats: EmulatedAgentStats = {
    commands: 0,
    launches: 0,
    kills: 0,
    tasks: 0,
    duplicates: 0,
    gaps: 0,
    malformed: 0,
    pings: 0,
    statusesAppended: 0,
    appendErrors: 0,
  };
  let lastSeq = 0;
  const inflight = new Set<Promise<unknown>>();
  const enc = new TextEncoder();
  const states: TaskStateName[] = o.sendStarting ? ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'] : ['TASK_RUNNING', 'TASK_FINISHED'];

  /** Running tasks (keepRunning): their framework and container. */
  const running = new Map<string, { frameworkId: EventOf<'LaunchTasks'>['frameworkId']; containerId: string }>();
  const report = (cmd: Pick<EventOf<'LaunchTasks'>, 'frameworkId'>, taskId: string, state: TaskStateName, containerId: string, healthy?: boolean): void => {
    const now = Date.now();
    const p = append(bus.js, {
      type: 'TaskStatusUpdated',
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      time: now,
      status: {
        agentId,
        frameworkId: cmd.frameworkId,
        taskId,
        executorId: taskId,
        state,
        source: 'SOURCE_EXECUTOR',
        uuid: randomUUID(),
        timestamp: now,
        containerId,
        ...(state === 'TASK_FINISHED' ? { message: 'Command exited with status 0' } : {}),
        ...(healthy !== undefined ? { healthy } : {}),
      },
    }).then(
      () => {
        stats.statusesAppended++;
      },
      (err: unknown) => {
        stats.appendErrors++;
        stats.firstError ??= (err as Error).message;
      },
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  function launch(cmd: EventOf<'LaunchTasks'>): void {
    const at = performance.now();
    const containers = cmd.tasks.map(() => randomUUID());
    for (const t of cmd.tasks) o.onLaunch?.(t.taskId, at);
    stats.tasks += cmd.tasks.length;
    if (o.keepRunning === true) {
      cmd.tasks.forEach((t, i) => {
        running.set(t.taskId, { frameworkId: cmd.frameworkId, containerId: containers[i]! });
        report(cmd, t.taskId, 'TASK_RUNNING', containers[i]!, t.healthCheck !== undefined ? true : undefined);
      });
      return;
    }
    // Every task's first status, then every task's next one: all pipelined on one connection.
    for (const state of states) cmd.tasks.forEach((t, i) => report(cmd, t.taskId, state, containers[i]!));
  }

  const pingSub = bus.nc.subscribe(subjects.agentPing(agentId), {
    callback: (err, msg) => {
      if (err) return;
      stats.pings++;
      msg.respond(enc.encode(JSON.stringify({ agentId, lastCommandSeq: lastSeq })));
    },
  });
  const cmdSub = bus.nc.subscribe(subjects.commandsOf(agentId), {
    callback: (err, msg) => {
      if (err) return;
      const d = decode(msg.data, msg.subject);
      if (!d.ok) {
        stats.malformed++;
        return;
      }
      const e = d.event;
      if (e.type !== 'LaunchTasks' && e.type !== 'KillTask') return;
      stats.commands++;
      if (e.agentSeq <= lastSeq) {
        stats.duplicates++;
        return;
      }
      if (e.agentSeq !== lastSeq + 1) stats.gaps++;
      lastSeq = e.agentSeq;
      if (e.type === 'LaunchTasks') {
        stats.launches++;
        launch(e);
      } else {
        stats.kills++;
        const r = running.get(e.taskId);
        if (o.keepRunning === true && r !== undefined) {
          running.delete(e.taskId);
          report(r, e.taskId, 'TASK_KILLED', r.containerId);
        }
      }
    },
  });
  await bus.nc.flush();

  await append(bus.js, {
    type: 'AgentRegistered',
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: Date.now(),
    agentId,
    hostname: `emulated-${o.index}.bench.local`,
    port: 0,
    resources: [...parseResources(o.resources)],
    attributes: [],
    version: 'bench-emulated',
    isolation: 'none (emulated)',
  });

  const settle = async (): Promise<void> => {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };

  return {
    agentId,
    stats,
    lastCommandSeq: () => lastSeq,
    settle,
    async stop() {
      pingSub.unsubscribe();
      cmdSub.unsubscribe();
      await settle();
      await bus.close();
    },
  };
}
