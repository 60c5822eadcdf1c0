/**
 * The agent process: announce this machine's resources, answer the leader's pings, carry out the
 * commands of its launch stream in order, and report task statuses until the log has them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { type AgentCommand, AgentPing, type AgentId, SCHEMA_VERSION, type TaskStatus, asAgentId, subjects } from '../events/index.js';
import { parseAttributes } from '../kernel/attributes.js';
import { type Bus, append, connectBus } from '../kernel/bus.js';
import { format, parseResources } from '../kernel/resources.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type CommandInbox, startCommandInbox } from './command-inbox.js';
import { createContainerizer } from './containerizer.js';
import { detectResources, mergeResources } from './detect-resources.js';
import { taskCheckStarter } from './health/index.js';
import { agentFlagsJson } from './http/flags-json.js';
import { createTaskHistory, slavePid, startAgentHttp } from './http/index.js';
import { selectIsolator } from './isolation/detect.js';
import { AgentOptions, type AgentOptionsInput } from './options.js';
import { type StatusSender, createStatusSender } from './status-sender.js';
import { createTaskRunner } from './task-runner.js';

export { AgentOptions, type AgentOptionsInput } from './options.js';

export const AGENT_VERSION = '1.12.0';

export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly code: 'RESOURCES_CHANGED' | 'BAD_FLAGS',
    message: string,
  ) {
    super(message);
  }
}

export interface AgentHandle {
  readonly agentId: AgentId;
  readonly isolation: string;
  /** Why cgroups are not used, when they are not. */
  readonly isolationFallback: string | undefined;
  /** The port its HTTP endpoint listens on, and the address it announced (`slave(1)@ip:port` is its pid). */
  readonly httpPort: number;
  readonly advertisedIp: string;
  readonly pid: string;
  running(): number;
  /** Stop: kill every task, report it, leave gracefully. */
  stop(): Promise<void>;
}

export async function startAgent(input: AgentOptionsInput, rootLog: Logger): Promise<AgentHandle> {
  const o = AgentOptions.parse(input);
  const startTime = Date.now();
  const workDir = resolve(o.workDir);
  await mkdir(workDir, { recursive: true });

  const given = o.resources !== undefined ? parseResources(o.resources) : [];
  const resources = mergeResources(detectResources(workDir), given);
  const attributes = o.attributes !== undefined ? parseAttributes(o.attributes) : [];
  const hostname = o.hostname ?? osHostname();

  const previous = await loadCheckpoint(workDir);
  if (previous !== null && previous.resources !== format(resources)) {
    throw new AgentError(
      'RESOURCES_CHANGED',
      `this work dir belongs to agent ${previous.agentId}, which announced ${previous.resources}; now the resources are ${format(resources)}. ` +
        'Start with the same resources, or use a new --work-dir to start as a new agent.',
    );
  }
  const agentId = previous?.agentId ?? asAgentId(randomUUID());
  const log = rootLog.child({ agentId });

  const { isolator, fallbackReason } = await selectIsolator(o.isolation, { cgroupsRoot: `${o.cgroupsRoot}/${agentId}`, log });
  if (fallbackReason !== undefined) {
    log.warn({ reason: fallbackReason }, 'CGROUPS CANNOT BE USED: tasks run with posix isolation only (no memory or cpu limits enforced by the kernel)');
  }
  const containerizer = createContainerizer({ isolator, log });

  const bus: Bus = await connectBus({ servers: o.nats, name: `agent-${agentId}`, log });
  // What the agent ran, for its /state: every launch it carries out and every update it sends.
  const history = createTaskHistory();
  const statuses = observed(createStatusSender(bus, log), (s) => history.status(s));
  const runner = createTaskRunner({
    agentId,
    workDir,
    containerizer,
    statuses,
    defaultGraceMs: o.killGracePeriodMs,
    log,
    startChecks: taskCheckStarter(),
  });
  const advertisedIp = o.advertiseIp ?? (o.ip === '0.0.0.0' ? (externalIPv4() ?? '127.0.0.1') : o.ip);
  const flags = agentFlagsJson(o, workDir, hostname);
  const http = await startAgentHttp({
    ip: o.ip,
    port: o.port,
    history,
    running: () => runner.running(),
    log,
    identity: (port) => ({
      id: agentId,
      hostname,
      ip: advertisedIp,
      port,
      version: AGENT_VERSION,
      startTime,
      resources,
      attributes,
      workDir,
      isolation: isolator.kind,
      isolationFallback: fallbackReason,
      flags,
    }),
  }).catch(async (err: unknown) => {
    // Leave nothing behind: the connection, and the cgroups root the isolator probe made.
    await bus.close();
    await isolator.removeRoot().catch((e: unknown) => log.warn({ err: e }, 'could not remove the cgroups root'));
    throw err;
  });
  log.info({ address: `${o.ip}:${http.port}`, pid: slavePid({ ip: advertisedIp, port: http.port }) }, 'agent HTTP endpoint listening');

  let position = { lastCommandSeq: previous?.lastCommandSeq ?? 0, catchupFromSeq: previous?.catchupFromSeq ?? 1 };
  const persist = async (p: typeof position): Promise<void> => {
    position = p;
    await saveCheckpoint(workDir, { agentId, resources: format(resources), ...p });
  };
  await persist(position);

  const inbox: CommandInbox = startCommandInbox({
    bus,
    agentId,
    start: position,
    log,
    persist,
    handle: async (c: AgentCommand) => {
      if (c.type === 'LaunchTasks') {
        history.launched(c);
        await runner.launch(c);
      } else await runner.kill(c);
    },
  });

  // Liveness: answer pings; a ping also says how many commands the log holds for us.
  let lastPingAt = Date.now();
  const enc = new TextEncoder();
  const pingSub = bus.nc.subscribe(subjects.agentPing(agentId), {
    callback: (err, msg) => {
      if (err) return;
      lastPingAt = Date.now();
      const ping = AgentPing.safeParse(safeJson(msg.data));
      msg.respond(enc.encode(JSON.stringify({ agentId, lastCommandSeq: inbox.position().lastCommandSeq })));
      if (ping.success) inbox.noteLeaderSeq(ping.data.commandSeq);
    },
  });
  await bus.nc.flush();

  const info = {
    agentId,
    hostname,
    port: http.port,
    ip: advertisedIp,
    resources: [...resources],
    attributes,
    version: AGENT_VERSION,
    isolation: isolator.kind,
  };
  const announce = async (re: boolean): Promise<void> => {
    const envelope = { schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() };
    if (re) {
      await append(bus.js, {
        type: 'AgentReregistered',
        ...envelope,
        ...info,
        tasks: runner.running().map((t) => ({ frameworkId: t.frameworkId, taskId: t.taskId, state: t.state })),
        lastCommandSeq: inbox.position().lastCommandSeq,
      });
    } else {
      await append(bus.js, { type: 'AgentRegistered', ...envelope, ...info });
    }
  };
  await announce(previous !== null);
  log.info({ resources: format(resources), isolation: isolator.kind, reregistered: previous !== null }, 'agent registered');
  await inbox.catchUp();

  // Nobody pinged for a long time (the master lost us, or was down): announce ourselves again.
  const watchdog = setInterval(() => {
    if (Date.now() - lastPingAt > o.masterPingTimeoutMs) {
      lastPingAt = Date.now();
      log.warn({ silenceMs: o.masterPingTimeoutMs }, 'no ping from a master for too long; reregistering');
      void announce(true).catch((err: unknown) => log.warn({ err }, 'reregistration failed'));
    }
  }, Math.min(5000, o.masterPingTimeoutMs));
  watchdog.unref();

  let stopping: Promise<void> | null = null;
  return {
    agentId,
    isolation: isolator.kind,
    isolationFallback: fallbackReason,
    httpPort: http.port,
    advertisedIp,
    pid: slavePid({ ip: advertisedIp, port: http.port }),
    running: () => runner.running().length,
    stop() {
      stopping ??= (async () => {
        clearInterval(watchdog);
        pingSub.unsubscribe();
        await inbox.stop();
        await runner.killAll();
        // Bounded: with NATS gone, updates not in the log by then are lost (a durable on-disk
        // queue comes with the agent-recovery work), and the agent still stops.
        const flushed = await Promise.race([statuses.flush().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), o.stopFlushTimeoutMs).unref())]);
        if (!flushed) log.warn({ waitedMs: o.stopFlushTimeoutMs }, 'stopping with status updates not yet in the log');
        await append(bus.js, { type: 'AgentDisconnected', schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), agentId }).catch(
          (err: unknown) => log.warn({ err }, 'could not announce the disconnection'),
        );
        statuses.stop();
        await bus.close();
        await isolator.removeRoot().catch((err: unknown) => log.warn({ err }, 'could not remove the cgroups root'));
        await http.close();
        log.info('agent stopped');
      })();
      return stopping;
    },
  };
}

/** A sender that shows every update to `see` before queueing it. */
function observed(sender: StatusSender, see: (s: TaskStatus) => void): StatusSender {
  return {
    send(status) {
      see(status);
      return sender.send(status);
    },
    flush: () => sender.flush(),
    stop: () => sender.stop(),
  };
}

/** The first non-internal IPv4 address of this machine (what to announce when listening on 0.0.0.0). */
function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
