/**
 * The agent process: announce this machine's resources, take over the tasks an earlier process of
 * this agent left running, answer the leader's pings, carry out the commands of its launch stream
 * in order (each once), and report task statuses until the log has them (from a durable queue).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { type AgentCommand, AgentPing, type AgentId, SCHEMA_VERSION, type TaskStatus, asAgentId, subjects } from '../events/index.js';
import { parseAttributes } from '../kernel/core/attributes.js';
import { type Bus, append, connectBus, credsFromEnv } from '../kernel/shell/bus.js';
import { format, parseResources, scalar } from '../kernel/core/resources.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { readCredsFile } from '../security/nats/index.js';
import { type CommandInbox, startCommandInbox } from './command-inbox.js';
import { startLeaderRecord } from './leader-record.js';
import { type Containerizer, createContainerizer } from './containerizer/index.js';
import { detectResources, mergeResources } from './detect-resources.js';
import { GpuBook } from './gpus.js';
import { taskCheckStarter } from './health/index.js';
import { agentFlagsJson } from './http/flags-json.js';
import { createAgentCounters, createTaskHistory, slavePid, startAgentHttp } from './http/index.js';
import { AGENT_REALMS, credentialStore } from '../security/http/index.js';
import { selectIsolator } from './isolation/detect.js';
import { createDiskIsolator } from './isolation/disk-du.js';
import { IsolationError } from './isolation/errors.js';
import { createFilesystemIsolator } from './isolation/filesystem-linux.js';
import { createProvisioner, type Provisioner } from './provisioner/index.js';
import { loadDockerConfig, loadRegistryCa } from './provisioner/registry/load.js';
import { CGROUP_NAMESPACE_FLAGS, cgroupMountPoints, createCgroupNamespaceIsolator } from './isolation/namespaces-cgroup.js';
import { readMounts } from './isolation/mounts.js';
import { loadServerTls } from '../security/tls/index.js';
import { createGpuIsolator } from './isolation/gpu-nvidia.js';
import { findHostTools, type HostTools, probeUnshare } from './isolation/host-tools.js';
import { createPidNamespaceIsolator } from './isolation/namespaces-pid.js';
import { createNetworkIsolator } from './isolation/network-none.js';
import { type IsolationRequest, parseIsolation, SHORTCUTS, withGpu } from './isolation/selection.js';
import type { TaskIsolator } from './isolation/task-isolator.js';
import { AgentOptions, type AgentOptionsInput } from './options.js';
import { type StatusSender, createStatusSender } from './status-sender.js';
import { openStatusQueue } from './status-queue.js';
import { createTaskRunner, type RecoverySummary, type RunningTask } from './task-runner.js';
import { createExecutorManager } from './executor/manager.js';
import { loadExecutorSecret } from './executor/token.js';
import { resolveUser } from './isolation/user.js';
import { decideTaskUser, requestedUser } from './task-user.js';
import { userInfo } from 'node:os';

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
  /** What makes the containers: `cgroups-v1`, `cgroups-v2` or `posix`. */
  readonly isolation: string;
  /** The isolators in use (`cgroups/cpu`, `namespaces/pid`, …). */
  readonly isolators: readonly string[];
  /** Why cgroups are not used, when they are not. */
  readonly isolationFallback: string | undefined;
  /** The port its HTTP endpoint listens on, and the address it announced (`slave(1)@ip:port` is its pid). */
  readonly httpPort: number;
  readonly advertisedIp: string;
  /** Whether its HTTP endpoint serves HTTPS (--tls-cert). */
  readonly tls: boolean;
  readonly pid: string;
  /** What taking over the previous process's tasks found (all zero for a fresh agent). */
  readonly recovery: RecoverySummary & { readonly executors: { readonly reattached: number; readonly ended: number } };
  readonly workDir: string;
  running(): number;
  /** The live tasks (their containers give usage()). */
  tasks(): readonly RunningTask[];
  /** The custom executors running here (their process ids once started). */
  executors(): ReadonlyArray<{ readonly frameworkId: string; readonly executorId: string; readonly containerId: string; readonly pid: number | undefined; readonly phase: string }>;
  /** Stop: kill every task, report it, leave gracefully. */
  stop(): Promise<void>;
}

/** The task isolators the request names, each proven to work on this host (else a clear error). */
async function taskIsolatorsFor(r: IsolationRequest, tools: HostTools, o: AgentOptions, gpus: GpuBook, log: Logger): Promise<TaskIsolator[]> {
  const unavailable = (what: string, why: string): never => {
    throw new IsolationError('ISOLATOR_UNAVAILABLE', `the ${what} isolator cannot work on this host: ${why}`);
  };
  const out: TaskIsolator[] = [
    await createProvisioner({
      ...(o.dockerRegistry !== undefined ? { registry: o.dockerRegistry } : {}),
      root: join(o.workDir, 'provisioner'),
      ...(o.imageCacheMaxMb !== undefined ? { cacheMaxBytes: o.imageCacheMaxMb * 1024 * 1024 } : {}),
      ...(o.imageMaxSizeMb !== undefined ? { imageMaxBytes: o.imageMaxSizeMb * 1024 * 1024 } : {}),
      ...(o.appcStore !== undefined ? { appcStore: o.appcStore } : {}),
      ...(o.dockerRegistryCa !== undefined ? { registryCa: await loadRegistryCa(o.dockerRegistryCa) } : {}),
      ...(o.dockerConfig !== undefined ? { dockerConfig: await loadDockerConfig(o.dockerConfig) } : {}),
      tools,
      log,
    }),
  ];
  const flags: string[] = [];
  if (r.pidNamespace) flags.push('--pid', '--fork', '--kill-child', '--mount-proc');
  if (r.mountNamespace) flags.push('--mount');
  if (r.networkNamespace) flags.push('--net');
  if (flags.length > 0) {
    if (tools.unshare === undefined) unavailable(r.names.filter((n) => n.startsWith('namespaces/') || n === 'filesystem/linux').join(', '), 'unshare (util-linux) is not installed');
    const why = await probeUnshare(tools.unshare!, flags);
    if (why !== undefined) unavailable('namespace', `\`unshare ${flags.join(' ')} -- /bin/true\` failed: ${why} (the agent must run as root on a kernel with namespaces)`);
  }
  if (r.pidNamespace) out.push(createPidNamespaceIsolator());
  if (r.mountNamespace) {
    if (tools.mount === undefined) unavailable('filesystem/linux', 'mount (util-linux) is not installed');
    out.push(createFilesystemIsolator(tools.mount!));
  }
  if (r.networkNamespace) {
    if (tools.ip === undefined) log.warn('ip (iproute2) is not installed: tasks in an empty network namespace get no loopback interface');
    out.push(createNetworkIsolator(tools.ip));
  }
  if (r.diskDu) {
    if (tools.du === undefined) unavailable('disk/du', 'du (coreutils) is not installed');
    out.push(createDiskIsolator({ du: tools.du!, intervalMs: o.diskWatchIntervalMs, log }));
  }
  if (r.gpu) out.push(createGpuIsolator(() => gpus.indices));
  if (r.cgroupNamespace !== 'off') {
    const cgroupNs = await cgroupNamespaceIsolator(r.cgroupNamespace === 'required', tools, unavailable, log);
    if (cgroupNs !== undefined) out.push(cgroupNs);
  }
  return out;
}

/** namespaces/cgroup when the host can make it: required (named) fails the start, else it is left out and said. */
async function cgroupNamespaceIsolator(
  required: boolean,
  tools: HostTools,
  unavailable: (what: string, why: string) => never,
  log: Logger,
): Promise<TaskIsolator | undefined> {
  const why =
    tools.unshare === undefined
      ? 'unshare (util-linux) is not installed'
      : tools.mount === undefined
        ? 'mount (util-linux) is not installed'
        : await probeUnshare(tools.unshare, CGROUP_NAMESPACE_FLAGS);
  if (why !== undefined) {
    if (required) unavailable('namespaces/cgroup', `\`unshare ${CGROUP_NAMESPACE_FLAGS.join(' ')}\` failed: ${why} (the agent must run as root on a kernel with cgroup namespaces, 4.6+)`);
    log.warn({ reason: why }, 'no cgroup namespaces on this host: tasks can see (and, as root, leave) their cgroups');
    return undefined;
  }
  return createCgroupNamespaceIsolator(tools.mount!, cgroupMountPoints(await readMounts()));
}

export async function startAgent(input: AgentOptionsInput, rootLog: Logger): Promise<AgentHandle> {
  const o = AgentOptions.parse(input);
  const startTime = Date.now();
  let request = parseIsolation(o.isolation); // bad flags fail before anything is touched
  const serverTls = loadServerTls(o.tls);
  const workDir = resolve(o.workDir);
  const metaDir = join(workDir, 'meta');
  await mkdir(metaDir, { recursive: true });

  const given = o.resources !== undefined ? parseResources(o.resources) : [];
  const resources = mergeResources(detectResources(workDir), given);
  const attributes = o.attributes !== undefined ? parseAttributes(o.attributes) : [];
  const hostname = o.hostname ?? osHostname();

  const previous = await loadCheckpoint(workDir);
  if (previous !== null && previous.resources !== format(resources) && !o.newAgentId) {
    throw new AgentError(
      'RESOURCES_CHANGED',
      `this work dir belongs to agent ${previous.agentId}, which announced ${previous.resources}; now the resources are ${format(resources)}. ` +
        'Start with the same resources, or start as a new agent with --new-agent-id (the tasks the old one still runs are then killed), or use a new --work-dir.',
    );
  }
  const sameAgent = previous !== null && !o.newAgentId;
  // Credentials issued to an agent name its id: the agent is that agent, and no other.
  const credsFile = o.creds ?? credsFromEnv();
  const bound = credsFile !== undefined ? readCredsFile(credsFile) : undefined;
  const boundId = bound?.party === 'agent' ? asAgentId(bound.name) : undefined;
  if (bound !== undefined && bound.party !== undefined && bound.party !== 'agent') {
    throw new AgentError('BAD_FLAGS', `the credentials ${credsFile} are a ${bound.party}'s, not an agent's: issue agent credentials with \`mesos creds issue agent NAME\``);
  }
  if (boundId !== undefined && sameAgent && previous.agentId !== boundId) {
    throw new AgentError('BAD_FLAGS', `this work dir belongs to agent ${previous.agentId}, but the credentials ${credsFile} are agent ${boundId}'s: use that agent's credentials, or a new --work-dir`);
  }
  const agentId = sameAgent ? previous.agentId : (boundId ?? asAgentId(randomUUID()));
  const log = rootLog.child({ agentId });
  if (previous !== null && !sameAgent) log.warn({ oldAgentId: previous.agentId }, 'starting as a new agent (--new-agent-id); the tasks of the earlier id will be killed');

  // Isolation: the request, the host tools it needs, the container isolator and the task isolators.
  const gpuCount = Math.floor(scalar(resources, 'gpus'));
  if (gpuCount > 0 && !request.gpu) {
    // A shortcut takes gpu/nvidia along; an explicit list must name it (as Mesos requires).
    const first = o.isolation.split(',')[0]?.trim() ?? '';
    if (!(SHORTCUTS as readonly string[]).includes(first)) {
      throw new AgentError('BAD_FLAGS', `the agent has gpus:${gpuCount} but --isolation does not name gpu/nvidia: add it (tasks would see every GPU otherwise)`);
    }
    request = withGpu(request);
  }
  const gpus = new GpuBook(gpuCount);
  const tools = await findHostTools();
  if (tools.setsid === undefined) throw new IsolationError('ISOLATOR_UNAVAILABLE', 'setsid (util-linux) is not installed in /usr/bin or /bin: the agent needs it to start tasks in their own session');
  const { isolator, fallbackReason, controllers, missing } = await selectIsolator(request, {
    cgroupsRoot: `${o.cgroupsRoot}/${agentId}`,
    log,
    enableCfs: o.cgroupsEnableCfs,
  });
  if (fallbackReason !== undefined) {
    log.warn({ reason: fallbackReason }, 'CGROUPS CANNOT BE USED: tasks run with posix isolation only (no memory or cpu limits enforced by the kernel)');
  }
  const taskIsolators = await taskIsolatorsFor(request, tools, o, gpus, log);
  const provisioner = taskIsolators.find((i): i is Provisioner => i.name === 'docker/runtime' && 'prune' in i);
  const cgroupNames: Record<string, string> = { memory: 'cgroups/mem', cpu: 'cgroups/cpu', pids: 'cgroups/pids', devices: 'cgroups/devices' };
  const isolators = [
    ...(isolator.kind === 'posix' ? ['posix/cpu', 'posix/mem'] : controllers.map((c) => cgroupNames[c] ?? `cgroups/${c}`)),
    ...taskIsolators.map((t) => t.name),
  ];
  if (missing.length > 0) log.warn({ missing }, 'cgroup controllers not on this host: their limits are not enforced');
  const containerizer: Containerizer = createContainerizer({ isolator, taskIsolators, tools, log });

  let bus: Bus;
  try {
    bus = await connectBus({ servers: o.nats, name: `agent-${agentId}`, log, ...(o.creds !== undefined ? { creds: o.creds } : {}), ...(o.tls.ca !== undefined ? { tlsCa: o.tls.ca } : {}) });
  } catch (err) {
    await isolator.removeRoot().catch(() => undefined); // only goes if no container is under it
    throw err;
  }
  const queue = await openStatusQueue(metaDir);
  if (queue.corruptRecords > 0) log.error({ corrupt: queue.corruptRecords }, 'the status update queue had unreadable records (skipped)');
  // What the agent ran, for its /state: every launch it carries out and every update it sends.
  const history = createTaskHistory();
  const counters = createAgentCounters();
  let registered = false;
  const statuses = observed(createStatusSender({ bus, agentId, queue, log }), (s) => {
    history.status(s);
    counters.status(s);
  });
  const uses = (name: string): boolean => isolators.includes(name);
  // The earlier agent id's containers (--new-agent-id) have their cgroups under its own root.
  const previousIsolator =
    previous !== null && !sameAgent && isolator.kind !== 'posix'
      ? (await selectIsolator(request, { cgroupsRoot: `${o.cgroupsRoot}/${previous.agentId}`, log, enableCfs: o.cgroupsEnableCfs })).isolator
      : undefined;
  const runner = createTaskRunner({
    agentId,
    workDir,
    metaDir,
    containerizer,
    ...(previousIsolator !== undefined ? { previousContainerizer: createContainerizer({ isolator: previousIsolator, taskIsolators, tools, log }) } : {}),
    statuses,
    defaultGraceMs: o.killGracePeriodMs,
    ...(uses('cgroups/pids') ? { pidsMax: o.cgroupsPidsMax } : {}),
    gpus,
    log,
    startChecks: taskCheckStarter(),
    userPolicy: { switchUser: o.switchUser, allowRootTasks: o.allowRootTasks },
  });

  const advertisedIp = o.advertiseIp ?? (o.ip === '0.0.0.0' ? (externalIPv4() ?? '127.0.0.1') : o.ip);
  // Custom executors: started by their first task, they speak POST /api/v1/executor with us.
  let httpPort = 0;
  const userPolicy = { switchUser: o.switchUser, allowRootTasks: o.allowRootTasks };
  // Executor authentication (on by default, as --authenticate_http_executors): a token per executor.
  const executorSecret = o.authenticateHttpExecutors ? await loadExecutorSecret(metaDir) : undefined;
  if (executorSecret === undefined) {
    log.warn('EXECUTORS ARE NOT AUTHENTICATED (--no-authenticate-http-executors): anyone who can reach this agent can send status updates and messages for any executor it runs');
  }
  const executors = createExecutorManager({
    ...(executorSecret !== undefined ? { secret: executorSecret } : {}),
    agentId,
    workDir,
    metaDir,
    containerizer,
    statuses,
    bus,
    endpoint: () => `${advertisedIp}:${httpPort}`,
    shutdownGraceMs: o.executorShutdownGracePeriodMs,
    heartbeatMs: o.executorHeartbeatMs,
    subscriptionBackoffMaxMs: 2000,
    recoveryTimeoutMs: 15 * 60_000,
    registrationTimeoutMs: o.executorRegistrationTimeoutMs,
    reregistrationTimeoutMs: o.executorReregistrationTimeoutMs,
    ...(uses('cgroups/pids') ? { pidsMax: o.cgroupsPidsMax } : {}),
    // As a task's: its command's user, else its framework's (agent/task-user.ts).
    userOf: async (command, frameworkUser) => {
      const requested = requestedUser(command.user, frameworkUser);
      const me = { uid: process.getuid?.() ?? -1, name: userInfo().username };
      const entry = me.uid === 0 ? await resolveUser(requested).catch(() => undefined) : undefined;
      const d = decideTaskUser(requested, me, userPolicy, entry);
      return d.ok ? { ok: true, user: d.user?.name } : d;
    },
    log,
  });
  // Take over what the previous process of this agent ran; then clean up isolation nobody owns.
  const taskRecovery = await runner.recover();
  const executorRecovery = await executors.recover();
  const recovery = { ...taskRecovery, executors: { reattached: executorRecovery.reattached, ended: executorRecovery.ended } };
  if (previousIsolator !== undefined) {
    for (const id of await previousIsolator.containers().catch(() => [])) await previousIsolator.cleanup(id).catch(() => undefined);
    await previousIsolator.removeRoot().catch((err: unknown) => log.warn({ err }, 'could not remove the earlier agent id\'s cgroups root'));
  }
  const owned = new Set([...runner.running().map((t) => t.containerId), ...executorRecovery.containerIds]);
  for (const id of await containerizer.containersOnHost().catch(() => [])) {
    if (owned.has(id)) continue;
    log.warn({ containerId: id }, 'removing container isolation left by an earlier agent process');
    await containerizer.destroy(id).catch((err: unknown) => log.error({ err, containerId: id }, 'cannot remove left-over container isolation'));
  }

  const flags = agentFlagsJson(o, workDir, hostname);
  // Set once the inbox runs (the HTTP endpoint starts first).
  let inboxRef: CommandInbox | undefined;
  if ((o.authenticateHttpReadonly || o.authenticateHttpReadwrite) && o.httpCredentials === null) {
    throw new Error('--authenticate-http-readonly and --authenticate-http-readwrite need --http-credentials FILE (Mesos\'s JSON: {"credentials":[{"principal":"…","secret":"…"}]})');
  }
  const http = await startAgentHttp({
    ip: o.ip,
    port: o.port,
    tls: serverTls,
    auth: {
      credentials: o.httpCredentials === null ? null : credentialStore(o.httpCredentials),
      readonly: o.authenticateHttpReadonly,
      readwrite: o.authenticateHttpReadwrite,
      frameworks: false,
      realmNames: AGENT_REALMS,
    },
    history,
    running: () => runner.running(),
    executors,
    ...(provisioner !== undefined ? { pruneImages: (excluded: readonly string[]) => provisioner.prune(excluded) } : {}),
    counters,
    registered: () => registered,
    metrics: () => {
      const refused = inboxRef?.refused() ?? { STALE_EPOCH: 0, UNKNOWN_EPOCH: 0 };
      return {
        'slave/tasks_running': runner.running().length,
        'slave/commands_carried_out': inboxRef?.position().lastCommandSeq ?? 0,
        'slave/commands_refused': refused.STALE_EPOCH + refused.UNKNOWN_EPOCH,
        'slave/commands_refused_stale_epoch': refused.STALE_EPOCH,
        'slave/commands_refused_unknown_epoch': refused.UNKNOWN_EPOCH,
      };
    },
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
    // Leave nothing behind but the tasks (they run on; a later start takes them over).
    await statuses.stop();
    await queue.close();
    await bus.close();
    await isolator.removeRoot().catch(() => undefined); // only goes if no container is under it
    throw err;
  });
  httpPort = http.port;
  // Re-attached executors may subscribe again from now on; those that do not in time are killed.
  executors.awaitReregistration();
  log.info({ address: `${o.ip}:${http.port}`, pid: slavePid({ ip: advertisedIp, port: http.port }) }, 'agent HTTP endpoint listening');

  let position = sameAgent ? { lastCommandSeq: previous.lastCommandSeq, catchupFromSeq: previous.catchupFromSeq } : { lastCommandSeq: 0, catchupFromSeq: 1 };
  const persist = async (p: typeof position): Promise<void> => {
    position = p;
    await saveCheckpoint(workDir, { agentId, resources: format(resources), ...p });
  };
  await persist(position);

  // Commands count only from the epoch that led where they sit in the log (fencing).
  const leaders = startLeaderRecord(bus, log);
  await leaders.refresh().catch((err: unknown) => log.warn({ err }, 'cannot read the leader record yet; commands wait for it'));
  const inbox: CommandInbox = startCommandInbox({
    bus,
    agentId,
    start: position,
    leaders,
    log,
    persist,
    handle: async (c: AgentCommand, commit) => {
      if (c.type === 'LaunchTasks') {
        history.launched(c);
        if (c.customExecutor !== undefined) await executors.launch(c, commit);
        else await runner.launch(c, commit);
      } else if (c.type === 'KillTask') {
        if (!executors.kill(c)) await runner.kill(c);
      } else executors.deliver(c);
    },
  });
  inboxRef = inbox;

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
    isolators,
    ...(fallbackReason !== undefined ? { isolationFallback: fallbackReason } : {}),
  };
  const announce = async (re: boolean): Promise<void> => {
    const envelope = { schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() };
    if (re) {
      await append(bus.js, {
        type: 'AgentReregistered',
        ...envelope,
        ...info,
        tasks: [...runner.reportable(), ...executors.reportable()],
        lastCommandSeq: inbox.position().lastCommandSeq,
      });
    } else {
      await append(bus.js, { type: 'AgentRegistered', ...envelope, ...info });
    }
  };
  await announce(sameAgent);
  registered = true;
  if (previous !== null && !sameAgent) {
    // The earlier id is gone for good: the master stops offering it (and removes it when it stays away).
    await append(bus.js, { type: 'AgentDisconnected', schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), agentId: previous.agentId }).catch(
      (err: unknown) => log.warn({ err }, 'could not announce that the earlier agent id is gone'),
    );
  }
  log.info({ resources: format(resources), isolation: isolator.kind, isolators, reregistered: sameAgent, recovery }, 'agent registered');
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
    isolators,
    isolationFallback: fallbackReason,
    httpPort: http.port,
    advertisedIp,
    tls: serverTls !== undefined,
    pid: slavePid({ ip: advertisedIp, port: http.port }),
    recovery,
    workDir,
    running: () => runner.running().length,
    tasks: () => runner.running(),
    executors: () => executors.runs().map((r) => ({ frameworkId: r.frameworkId, executorId: r.executorId, containerId: r.containerId, pid: r.container?.pid, phase: r.phase })),
    stop() {
      stopping ??= (async () => {
        clearInterval(watchdog);
        pingSub.unsubscribe();
        await inbox.stop();
        leaders.stop();
        await Promise.all([runner.killAll(), executors.killAll()]);
        // Bounded: with NATS gone, what is not in the log by then stays in the durable queue and
        // is delivered when the agent starts again.
        const flushed = await Promise.race([statuses.flush().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), o.stopFlushTimeoutMs).unref())]);
        if (!flushed) log.warn({ waitedMs: o.stopFlushTimeoutMs }, 'stopping with status updates not yet in the log (they stay queued in the work dir)');
        await append(bus.js, { type: 'AgentDisconnected', schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), agentId }).catch(
          (err: unknown) => log.warn({ err }, 'could not announce the disconnection'),
        );
        await statuses.stop();
        await queue.close();
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
    send(status, id) {
      see(status);
      return sender.send(status, id);
    },
    flush: () => sender.flush(),
    undelivered: () => sender.undelivered(),
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
