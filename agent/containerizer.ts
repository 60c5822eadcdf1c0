/**
 * The agent's containerizer: runs one task contained by the isolators, in a way that outlives the
 * agent process.
 *
 * launch: the task isolators say what the launch needs (namespaces, setup, environment, device
 * rules) -> the container isolator (cgroups v1/v2, or posix) prepares -> the sandbox is created ->
 * a per-task **supervisor** is spawned detached (its own session, outside the task's cgroups): it
 * starts the chain join cgroups -> setsid -> [unshare + init] -> [setpriv] -> the command, each
 * step exec'ing the next (launch-wrapper.ts), reports the task's pid, waits for it and writes its
 * exit status into the container's runtime dir (container-runtime.ts). The agent records the
 * supervisor's pid and start time there too.
 *
 * exit: the supervisor exiting (the agent's child) or, for a container the agent re-attached to
 * after a restart, its status file appearing or the supervisor vanishing (polled) -> OOM? limits?
 * -> SIGKILL whatever is left -> remove the isolation -> `exited` resolves, exactly once, never
 * rejecting.
 *
 * kill(grace): recorded in the runtime dir (so a restarted agent finishes the job and reports
 * TASK_KILLED), SIGTERM to the task's process group and every process of its container, SIGKILL
 * after the grace period. A limitation noticed while running (memory, disk) destroys it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, open, type FileHandle } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { posix as path } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import {
  findSupervisor,
  type KillRecord,
  readExitStatus,
  readKillRecord,
  readSupervisorRecord,
  readTaskPid,
  RUNTIME_FILES,
  splitExitStatus,
  supervisorAlive,
  type SupervisorRecord,
  writeRuntimeJson,
} from './container-runtime.js';
import { signalPids } from './isolation/cgroup-io.js';
import { MIB, USER_HZ } from './isolation/cgroup-values.js';
import { describeError } from './isolation/errors.js';
import type { HostTools } from './isolation/host-tools.js';
import { commandArgv, launchArgv, splitEnvironment, taskEnvironment, type TaskCommand, WRAPPER_NAME, wrapperScript } from './isolation/launch-wrapper.js';
import { readProcStat, readRssBytes } from './isolation/proc.js';
import { type ContainerOptions, mergeContributions, type TaskContainer, type TaskIsolator } from './isolation/task-isolator.js';
import type { ContainerLimits, ContainerUsage, Isolator, OomReport, TaskLimitation } from './isolation/types.js';
import { resolveUser, userSwitch, type UserInfo } from './isolation/user.js';
import { decideRecovery } from './recovery.js';
import { createSandbox } from './sandbox.js';
import type { CommandUri } from '../events/index.js';
import { fetchUris } from './fetcher.js';

export interface LaunchSpec {
  readonly containerId: string;
  /** Absolute sandbox directory (see sandbox.ts); created if missing. */
  readonly sandbox: string;
  /** The container's runtime dir in the agent's meta dir (must exist). */
  readonly runtimeDir: string;
  readonly command: TaskCommand & { readonly environment?: Readonly<Record<string, string>> };
  readonly limits: TaskContainer['limits'];
  readonly options?: ContainerOptions;
  /** Run as this user (requires the agent to be root, unless it is the agent's own user). */
  readonly user?: string;
}

export interface ExitInfo {
  /** Exit status, null if the command was terminated by a signal (or its status is unknown). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The container went over its memory limit (and was killed for it). */
  readonly oomKilled: boolean;
  /** Another limit (disk) that ended it. */
  readonly limitation?: TaskLimitation;
  /** kill() was called before the command exited. */
  readonly killedByUs: boolean;
  /** The exit status is unknown: the supervisor died without recording it. */
  readonly statusUnknown?: boolean;
  /** e.g. "Command exited with status 3", "Command terminated with signal SIGKILL", "Memory limit exceeded: …". */
  readonly message: string;
}

export interface ContainerStats extends ContainerUsage {
  readonly cpusLimit: number;
  readonly memLimitBytes: number;
  /** Seconds since the epoch, when the sample was taken. */
  readonly timestamp: number;
}

/**
 * How to run another command in a container's context (a command check): in its cgroups (so it
 * counts against the container's limits), in its namespaces, as its user, with its environment, in
 * its sandbox.
 */
export interface ContainerExec {
  /** The sandbox: the working directory. */
  readonly cwd: string;
  /** The environment of the root-side steps (the task's, without the loader's variables when the user is switched). */
  readonly env: Readonly<Record<string, string>>;
  /** The argv that runs `command` inside the container (argv[0] is the program to spawn). */
  argv(command: TaskCommand): string[];
}

export interface Container {
  readonly containerId: string;
  /** The task's pid (its session and process group). */
  readonly pid: number;
  readonly exec: ContainerExec;
  /** The pid of its supervisor. */
  readonly supervisorPid: number;
  /** Resolves once, after the command exited and the isolation was removed. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after `gracePeriodMs`; resolves with the (single) ExitInfo. */
  kill(gracePeriodMs: number): Promise<ExitInfo>;
  usage(): Promise<ContainerStats>;
}

/** What re-attaching to a container found. */
export type Recovered =
  /** Its supervisor runs (or ended while the agent was down): `exited` says how it ends. */
  | { readonly kind: 'attached'; readonly container: Container; readonly running: boolean }
  /** It was never started (the agent stopped before the spawn): launch it. */
  | { readonly kind: 'not-started' };

export interface Containerizer {
  readonly isolation: Isolator['kind'];
  /** Names of the isolators in use (for the agent's state). */
  readonly isolators: readonly string[];
  /** Create the sandbox (the task's user owns it) and fetch the task's URIs into it (`signal` aborts the fetch). */
  prepareSandbox(spec: LaunchSpec, uris: readonly CommandUri[], signal?: AbortSignal): Promise<void>;
  launch(spec: LaunchSpec): Promise<Container>;
  /** Take over a container launched by an earlier agent process, from its runtime dir. */
  recover(spec: LaunchSpec): Promise<Recovered>;
  /** Remove whatever isolation a container left (one that never started, or an orphan). */
  destroy(containerId: string): Promise<void>;
  /** Containers with isolation on the host under the agent's root. */
  containersOnHost(): Promise<string[]>;
}

export class ContainerizerError extends Error {
  override readonly name = 'ContainerizerError';
  constructor(
    readonly code: 'CONTAINER_EXISTS' | 'LAUNCH_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ContainerizerOptions {
  readonly isolator: Isolator;
  /** namespaces/pid, filesystem/linux, namespaces/network, disk/du, gpu/nvidia (those in use). */
  readonly taskIsolators?: readonly TaskIsolator[];
  readonly tools: HostTools;
  readonly log: Logger;
  /** How often a re-attached container is checked for its end (default 250 ms). */
  readonly recoveredPollMs?: number;
}

const mb = (bytes: number): string => String(Math.round((bytes / MIB) * 10) / 10);

/** The human message for an exit (Mesos wording). */
export function describeExit(code: number | null, signal: NodeJS.Signals | null, oom: OomReport | null): string {
  if (oom !== null) {
    const used = oom.maxUsedBytes === undefined ? '' : ` Maximum Used: ${mb(oom.maxUsedBytes)}MB`;
    return `Memory limit exceeded: Requested: ${mb(oom.limitBytes)}MB${used}`;
  }
  if (signal !== null) return `Command terminated with signal ${signal}`;
  if (code !== null) return `Command exited with status ${code}`;
  return 'Command terminated for an unknown reason';
}

/**
 * Only a certain OOM report counts; `limit-hit` (old kernels without an OOM kill counter) only
 * if the command died of SIGKILL, which is what the kernel OOM killer sends (status 137 is how
 * a shell reports a child that died of it).
 */
export function effectiveOom(report: OomReport | null, code: number | null, signal: NodeJS.Signals | null): OomReport | null {
  if (report === null) return null;
  if (report.evidence === 'limit-hit' && signal !== 'SIGKILL' && code !== 128 + 9) return null;
  return report;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is empty
  }
}

/** Isolators with a pids limit can tell how many forks it refused. */
interface PidsAware {
  pidsLimitHits(containerId: string): Promise<number>;
}
const hasPidsHits = (i: Isolator): i is Isolator & PidsAware => typeof (i as Partial<PidsAware>).pidsLimitHits === 'function';

class RunningContainer implements Container {
  readonly exited: Promise<ExitInfo>;
  private resolveExited!: (info: ExitInfo) => void;
  private readonly commandExited: Promise<void>;
  private markCommandExited!: () => void;
  private commandHasExited = false;
  private finishing = false;
  private killRequested = false;
  private limitation: OomReport | null = null;
  private taskLimitation: TaskLimitation | null = null;
  private poller: NodeJS.Timeout | undefined;

  constructor(
    readonly containerId: string,
    readonly pid: number,
    readonly exec: ContainerExec,
    private readonly supervisor: SupervisorRecord,
    private readonly runtimeDir: string,
    private readonly tc: TaskContainer,
    private readonly isolator: Isolator,
    private readonly taskIsolators: readonly TaskIsolator[],
    private readonly log: Logger,
    private readonly onDone: () => void,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.commandExited = new Promise((resolve) => (this.markCommandExited = resolve));
  }

  get supervisorPid(): number {
    return this.supervisor.pid;
  }

  /** Watch limits: the container isolator (memory) and the task isolators (disk). */
  watch(): void {
    try {
      this.isolator.watch(this.containerId, this.pid, (report) => this.onLimitation(report, null));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot watch container limits');
    }
    for (const ti of this.taskIsolators) {
      try {
        ti.watch?.(this.tc, (l) => this.onLimitation(null, l));
      } catch (err) {
        this.log.error({ err: describeError(err), isolator: ti.name }, 'cannot watch the task');
      }
    }
  }

  /** A freshly spawned supervisor: its exit (subscribed to right at the spawn) is the task's end. */
  attachChild(child: ChildProcess, exit: Promise<void>): void {
    child.on('error', (err) => this.log.warn({ err: describeError(err) }, 'supervisor process error'));
    void exit.then(() => this.observe(true));
  }

  /** A re-attached container: poll for the status file or the supervisor's end. */
  startPolling(everyMs: number): void {
    const tick = (): void => {
      this.poller = undefined;
      void this.observe(false).then((done) => {
        if (!done && !this.commandHasExited) this.poller = setTimeout(tick, everyMs).unref();
      });
    };
    tick();
  }

  /** Has the task ended? If so, finish. `supervisorGone`: the agent saw its child exit. */
  private async observe(supervisorGone: boolean): Promise<boolean> {
    if (this.finishing) return true;
    let status = await readExitStatus(this.runtimeDir);
    if (status === undefined) {
      if (!supervisorGone && (await supervisorAlive(this.supervisor))) return false;
      status = await readExitStatus(this.runtimeDir); // written just before it exited?
    }
    if (this.finishing) return true;
    this.finishing = true;
    await this.finish(status);
    return true;
  }

  /** Finish now, with what the runtime dir says (for containers found ended at recovery). */
  async finishFound(): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    await this.finish(await readExitStatus(this.runtimeDir));
  }

  /** A kill was started before the agent restarted (the task ended meanwhile: it was killed). */
  markKillRequested(): void {
    this.killRequested = true;
  }

  /** Continue a kill that an earlier agent process started. */
  resumeKill(k: KillRecord): void {
    this.killRequested = true;
    const left = Math.max(0, k.at + k.gracePeriodMs - Date.now());
    this.log.info({ graceLeftMs: left }, 'resuming the kill started before the agent restarted');
    void this.kill(left, true);
  }

  private onLimitation(report: OomReport | null, l: TaskLimitation | null): void {
    if (this.commandHasExited || this.limitation !== null || this.taskLimitation !== null) return;
    this.limitation = report;
    this.taskLimitation = l;
    this.log.warn({ limitBytes: report?.limitBytes, maxUsedBytes: report?.maxUsedBytes, limitation: l?.message }, 'container over a limit; destroying it');
    void this.signalAll('SIGKILL');
  }

  /** Signal the process group and every process the isolator knows of. */
  private async signalAll(signal: NodeJS.Signals): Promise<void> {
    signalGroup(this.pid, signal);
    try {
      signalPids(await this.isolator.pids(this.containerId), signal);
    } catch (err) {
      this.log.warn({ err: describeError(err), signal }, 'cannot list container processes');
    }
  }

  private async finish(status: number | undefined): Promise<void> {
    clearTimeout(this.poller);
    this.commandHasExited = true;
    this.markCommandExited();
    const { code, signal } = status === undefined ? { code: null, signal: null } : splitExitStatus(status);
    let oom = this.limitation;
    try {
      oom ??= effectiveOom(await this.isolator.oom(this.containerId), code, signal);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot tell whether the container was OOM-killed');
    }
    let pidsHits = 0;
    if (hasPidsHits(this.isolator)) pidsHits = await this.isolator.pidsLimitHits(this.containerId).catch(() => 0);
    signalGroup(this.pid, 'SIGKILL'); // leftovers outside the isolator's view (e.g. posix)
    try {
      await this.isolator.cleanup(this.containerId);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'container cleanup failed; processes or cgroups may be left');
    }
    for (const ti of this.taskIsolators) await ti.cleanup?.(this.containerId).catch((err: unknown) => this.log.error({ err: describeError(err), isolator: ti.name }, 'isolator cleanup failed'));
    let message =
      status === undefined && oom === null && this.taskLimitation === null
        ? `Abnormal executor termination: the task's supervisor (pid ${this.supervisor.pid}) ended without recording the task's exit status`
        : this.taskLimitation !== null && oom === null
          ? this.taskLimitation.message
          : describeExit(code, signal, oom);
    if (pidsHits > 0) message += ` (the task reached its process limit: ${pidsHits} fork${pidsHits > 1 ? 's' : ''} refused)`;
    const info: ExitInfo = {
      code,
      signal,
      oomKilled: oom !== null,
      ...(this.taskLimitation !== null && oom === null ? { limitation: this.taskLimitation } : {}),
      killedByUs: this.killRequested,
      ...(status === undefined ? { statusUnknown: true } : {}),
      message,
    };
    this.log.info({ ...info }, 'container exited');
    this.onDone();
    this.resolveExited(info);
  }

  async kill(gracePeriodMs: number, resumed = false): Promise<ExitInfo> {
    if (this.commandHasExited) return this.exited;
    if (!resumed) {
      if (this.killRequested) return this.exited;
      this.killRequested = true;
      await writeRuntimeJson(this.runtimeDir, RUNTIME_FILES.kill, { gracePeriodMs, at: Date.now() }).catch((err: unknown) =>
        this.log.warn({ err: describeError(err) }, 'cannot record the kill'),
      );
    }
    this.log.info({ gracePeriodMs }, 'killing container');
    await this.signalAll('SIGTERM');
    const inTime = await Promise.race([this.commandExited.then(() => true), sleep(Math.max(0, gracePeriodMs)).then(() => false)]);
    if (!inTime) {
      this.log.info({ gracePeriodMs }, 'grace period over; sending SIGKILL');
      await this.signalAll('SIGKILL');
    }
    return this.exited;
  }

  async usage(): Promise<ContainerStats> {
    let usage: ContainerUsage = {};
    if (!this.commandHasExited) {
      try {
        usage = { ...(await this.isolator.usage(this.containerId)) };
        for (const ti of this.taskIsolators) if (ti.usage !== undefined) Object.assign(usage, await ti.usage(this.containerId));
        if (usage.cpuUserSecs === undefined || usage.memRssBytes === undefined || usage.processes === undefined) {
          Object.assign(usage, { ...(await procUsage(await this.isolator.pids(this.containerId))), ...usage });
        }
      } catch (err) {
        this.log.debug({ err: describeError(err) }, 'cannot read usage');
      }
    }
    return {
      ...usage,
      cpusLimit: this.tc.limits.cpus,
      memLimitBytes: Math.floor(this.tc.limits.memMb * MIB),
      timestamp: Date.now() / 1000,
    };
  }
}

/** The task's environment, split into what the root-side steps get and what only the task gets. */
function environmentsOf(spec: LaunchSpec, user: UserInfo | undefined, isolatorEnv: Readonly<Record<string, string>>, dropsPrivileges: boolean): { chain: Record<string, string>; afterDrop: Record<string, string> } {
  const env = taskEnvironment({
    sandbox: spec.sandbox,
    home: user?.home ?? userInfo().homedir,
    ...(user === undefined ? {} : { user: user.name }),
    environment: { ...isolatorEnv, ...(spec.command.environment ?? {}) },
  });
  return splitEnvironment(env, dropsPrivileges);
}

/** nsenter(1) flags for the namespaces made by these unshare(1) flags. */
export function nsenterFlags(unshareFlags: readonly string[]): string[] {
  const out: string[] = [];
  if (unshareFlags.includes('--mount') || unshareFlags.includes('--mount-proc')) out.push('--mount');
  if (unshareFlags.includes('--net')) out.push('--net');
  if (unshareFlags.includes('--pid')) out.push('--pid');
  // After joining the task's cgroups (the wrapper), so that the check is contained as the task is.
  if (unshareFlags.includes('--cgroup')) out.push('--cgroup');
  return out;
}

/** A process inside the task's namespaces: the task itself, or with a pid namespace its init (the child of unshare). */
function namespaceTarget(pid: number, pidNamespace: boolean): number | undefined {
  if (!pidNamespace) return pid;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first !== undefined && /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function containerExec(o: {
  readonly sandbox: string;
  readonly chainEnv: Readonly<Record<string, string>>;
  readonly afterDrop: Readonly<Record<string, string>>;
  readonly joinProcsFiles: readonly string[];
  readonly privilegeDrop: readonly string[];
  readonly nsenter?: { readonly bin: string; readonly flags: readonly string[]; readonly pid: () => number; readonly pidNamespace: boolean };
}): ContainerExec {
  return {
    cwd: o.sandbox,
    env: o.chainEnv,
    argv(command) {
      const target = o.nsenter === undefined || o.nsenter.flags.length === 0 ? undefined : namespaceTarget(o.nsenter.pid(), o.nsenter.pidNamespace);
      // Entering a mount namespace moves the process to its root. nsenter --wd takes the sandbox
      // along (as a directory of the agent's namespace: the task's user could not name it with
      // getcwd), then `cd` names it by its path in the task's namespace, where it has one (a work
      // dir under /tmp is hidden by the task's private /tmp: the --wd directory stays).
      const mnt = o.nsenter?.flags.includes('--mount') === true;
      const wd = mnt ? [`--wd=${o.sandbox}`] : [];
      const cd = mnt ? ['/bin/sh', '-c', 'cd "$1" 2>/dev/null; shift; exec "$@"', 'mesos-enter', o.sandbox] : [];
      const enter = target === undefined || o.nsenter === undefined ? [] : [o.nsenter.bin, `--target=${target}`, ...o.nsenter.flags, ...wd, '--', ...cd];
      const after = Object.keys(o.afterDrop).length > 0 ? ['/usr/bin/env', ...Object.entries(o.afterDrop).map(([k, v]) => `${k}=${v}`)] : [];
      return ['/bin/sh', '-c', wrapperScript(o.joinProcsFiles), WRAPPER_NAME, ...enter, ...o.privilegeDrop, ...after, ...commandArgv(command)];
    },
  };
}

/** Usage summed from /proc for isolators that cannot tell (e.g. cgroups/mem without cpuacct). */
async function procUsage(pids: readonly number[]): Promise<ContainerUsage> {
  let user = 0;
  let system = 0;
  let rss = 0;
  for (const pid of pids) {
    const s = await readProcStat(pid);
    if (s === undefined) continue;
    user += s.utimeTicks;
    system += s.stimeTicks;
    rss += (await readRssBytes(pid)) ?? 0;
  }
  return { cpuUserSecs: user / USER_HZ, cpuSystemSecs: system / USER_HZ, memRssBytes: rss, processes: pids.length };
}

/** Wait until `pid` leads its own session (or is gone). */
async function waitForOwnSession(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const s = await readProcStat(pid);
    if (s === undefined || s.session === pid || s.state === 'Z') return;
    if (Date.now() > deadline) throw new Error(`the task (pid ${pid}) did not start its own session within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay)); // kept referenced: the launch is awaited
  }
}

async function openAppend(file: string): Promise<FileHandle> {
  return open(file, 'a', 0o644);
}

/** The task's pid, as the supervisor writes it on fd 3 (a line), or an error if it died first. */
function readPidPipe(stream: Readable | null | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stream === null || stream === undefined) {
      reject(new Error('no pipe to the supervisor'));
      return;
    }
    let text = '';
    const done = (err: Error | null, pid?: number): void => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      if (err !== null) reject(err);
      else resolve(pid!);
    };
    const timer = setTimeout(() => done(new Error(`the supervisor did not report the task's pid within ${timeoutMs} ms`)), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        const pid = Number(text.slice(0, nl).trim());
        done(Number.isInteger(pid) && pid > 1 ? null : new Error(`the supervisor reported a bad pid ${JSON.stringify(text.slice(0, nl))}`), pid);
      }
    });
    stream.once('end', () => done(new Error('the supervisor exited before starting the task')));
    stream.once('error', (e) => done(e));
  });
}

export function createContainerizer(opts: ContainerizerOptions): Containerizer {
  const { isolator } = opts;
  const taskIsolators = opts.taskIsolators ?? [];
  const log = opts.log.child({ component: 'containerizer' });
  const live = new Set<string>();
  const pollMs = opts.recoveredPollMs ?? 250;
  const hasNetwork = taskIsolators.some((t) => t.name === 'namespaces/network');

  function taskContainer(spec: LaunchSpec, user: UserInfo | undefined, privileged: boolean): TaskContainer {
    return {
      containerId: spec.containerId,
      sandbox: spec.sandbox,
      limits: spec.limits,
      options: spec.options ?? {},
      ...(user !== undefined && privileged ? { user: { uid: user.uid, gid: user.gid } } : {}),
    };
  }

  async function launch(spec: LaunchSpec): Promise<Container> {
    const { containerId } = spec;
    const clog = log.child({ containerId });
    if (live.has(containerId)) {
      throw new ContainerizerError('CONTAINER_EXISTS', `container ${containerId} is already running`);
    }
    live.add(containerId);
    let prepared = false;
    const handles: FileHandle[] = [];
    let tc: TaskContainer | undefined;
    try {
      if (opts.tools.setsid === undefined) throw new Error('setsid (util-linux) is not installed in the system directories');
      let user: UserInfo | undefined;
      let privilegeDrop: readonly string[] = [];
      if (spec.user !== undefined) {
        user = await resolveUser(spec.user);
        privilegeDrop = await userSwitch(user);
      }
      if (spec.options?.network === 'NONE' && !hasNetwork) {
        throw new Error('the task asks for an empty network namespace (container network NONE), but this agent does not run the namespaces/network isolator (see --isolation)');
      }
      tc = taskContainer(spec, user, privilegeDrop.length > 0);
      await createSandbox(spec.sandbox);
      const contribution = mergeContributions(await Promise.all(taskIsolators.map((ti) => ti.prepare(tc!))));
      if (contribution.unshare.length > 0 && opts.tools.unshare === undefined) throw new Error('unshare (util-linux) is not installed in the system directories');
      const limits: ContainerLimits = contribution.denyDevices.length > 0 ? { ...spec.limits, devices: contribution.denyDevices } : spec.limits;
      const preparation = await isolator.prepare(containerId, limits);
      prepared = true;
      const stdout = await openAppend(path.join(spec.sandbox, 'stdout'));
      handles.push(stdout);
      const stderr = await openAppend(path.join(spec.sandbox, 'stderr'));
      handles.push(stderr);
      if (user !== undefined && privilegeDrop.length > 0) {
        await chown(spec.sandbox, user.uid, user.gid);
        await stdout.chown(user.uid, user.gid);
        await stderr.chown(user.uid, user.gid);
      }
      const { chain, afterDrop } = environmentsOf(spec, user, contribution.env, privilegeDrop.length > 0);
      const argv = launchArgv({
        runtimeDir: spec.runtimeDir,
        joinProcsFiles: preparation.joinProcsFiles,
        setsid: opts.tools.setsid,
        ...(contribution.unshare.length > 0
          ? { unshare: { bin: opts.tools.unshare!, flags: contribution.unshare, init: { setup: contribution.setup, pidNamespace: contribution.pidNamespace } } }
          : {}),
        privilegeDrop,
        ...(Object.keys(afterDrop).length > 0 ? { afterDrop: { env: '/usr/bin/env', variables: afterDrop } } : {}),
        command: spec.command,
      });
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const child = spawn(file, args, {
        cwd: spec.sandbox,
        env: chain,
        stdio: ['ignore', stdout.fd, stderr.fd, 'pipe'],
        detached: true,
      });
      const supervisorExit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Listen to the pipe at once: when the child exits, Node drains stdio streams nobody listens to.
      const reportedPid = readPidPipe(child.stdio[3] as Readable | null, 10_000);
      reportedPid.catch(() => undefined);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const supPid = child.pid;
      if (supPid === undefined) throw new Error('spawned supervisor has no pid');
      const supStat = await readProcStat(supPid);
      const supervisor: SupervisorRecord = { pid: supPid, startTicks: supStat?.startTicks ?? 0 };
      await writeRuntimeJson(spec.runtimeDir, RUNTIME_FILES.supervisor, supervisor);
      const pid = await reportedPid.catch(async (err: unknown) => {
        // It may have run and ended already (a task that exits at once): its pid file says.
        const written = await readTaskPid(spec.runtimeDir);
        if (written !== undefined) return written;
        child.kill('SIGKILL');
        throw err;
      });
      // The pid is known as soon as the supervisor forks; the task is contained (in its cgroups,
      // its own session) once that process has run setsid: signals before that would miss it.
      await waitForOwnSession(pid, 10_000);
      const exec = containerExec({
        sandbox: spec.sandbox,
        chainEnv: chain,
        afterDrop,
        joinProcsFiles: preparation.joinProcsFiles,
        privilegeDrop,
        ...(opts.tools.nsenter !== undefined ? { nsenter: { bin: opts.tools.nsenter, flags: nsenterFlags(contribution.unshare), pid: () => pid, pidNamespace: contribution.pidNamespace } } : {}),
      });
      const container = new RunningContainer(containerId, pid, exec, supervisor, spec.runtimeDir, tc, isolator, taskIsolators, clog.child({ pid }), () => live.delete(containerId));
      container.attachChild(child, supervisorExit);
      container.watch();
      clog.info(
        { pid, supervisorPid: supPid, isolation: isolator.kind, sandbox: spec.sandbox, user: spec.user, limits: spec.limits, namespaces: contribution.unshare },
        'container launched',
      );
      return container;
    } catch (err) {
      live.delete(containerId);
      if (prepared) {
        await isolator.cleanup(containerId).catch((e: unknown) => clog.error({ err: describeError(e) }, 'cleanup after failed launch failed'));
      }
      for (const ti of taskIsolators) await ti.cleanup?.(containerId).catch(() => undefined);
      clog.warn({ err: describeError(err) }, 'container launch failed');
      throw new ContainerizerError('LAUNCH_FAILED', `failed to launch container ${containerId}: ${describeError(err)}`, { cause: err });
    } finally {
      for (const h of handles) await h.close().catch(() => undefined);
    }
  }

  async function recover(spec: LaunchSpec): Promise<Recovered> {
    const { containerId } = spec;
    const clog = log.child({ containerId });
    const supervisor = (await readSupervisorRecord(spec.runtimeDir)) ?? (await findSupervisor(spec.runtimeDir));
    const decision = decideRecovery({
      supervisorKnown: supervisor !== undefined,
      supervisorAlive: supervisor !== undefined && (await supervisorAlive(supervisor)),
      exitStatusWritten: (await readExitStatus(spec.runtimeDir)) !== undefined,
    });
    if (decision === 'launch') {
      clog.info('container was never started; it will be launched');
      return { kind: 'not-started' };
    }
    const sup = supervisor ?? { pid: 0, startTicks: 0 };
    const pid = (await readTaskPid(spec.runtimeDir)) ?? 0;
    let user: UserInfo | undefined;
    let privilegeDrop: readonly string[] = [];
    if (spec.user !== undefined) {
      user = await resolveUser(spec.user).catch(() => undefined);
      if (user !== undefined) privilegeDrop = await userSwitch(user).catch(() => []);
    }
    const tc = taskContainer(spec, user, privilegeDrop.length > 0);
    live.add(containerId);
    await isolator.recover(containerId, spec.limits, pid).catch((err: unknown) => clog.warn({ err: describeError(err) }, 'cannot take over the container isolation'));
    const contribution = mergeContributions(await Promise.all(taskIsolators.map((ti) => ti.prepare(tc, true).catch(() => ({})))));
    const { chain, afterDrop } = environmentsOf(spec, user, contribution.env, privilegeDrop.length > 0);
    const exec = containerExec({
      sandbox: spec.sandbox,
      chainEnv: chain,
      afterDrop,
      joinProcsFiles: isolator.procsFiles(containerId),
      privilegeDrop,
      ...(opts.tools.nsenter !== undefined ? { nsenter: { bin: opts.tools.nsenter, flags: nsenterFlags(contribution.unshare), pid: () => pid, pidNamespace: contribution.pidNamespace } } : {}),
    });
    const container = new RunningContainer(containerId, pid, exec, sup, spec.runtimeDir, tc, isolator, taskIsolators, clog.child({ pid, recovered: true }), () => live.delete(containerId));
    const kill = await readKillRecord(spec.runtimeDir);
    if (decision === 'ended') {
      if (kill !== undefined) container.markKillRequested();
      clog.info({ supervisorPid: sup.pid }, 'container ended while the agent was down');
      await container.finishFound();
      return { kind: 'attached', container, running: false };
    }
    container.watch();
    container.startPolling(pollMs);
    if (kill !== undefined) container.resumeKill(kill);
    clog.info({ pid, supervisorPid: sup.pid }, 'container re-attached');
    return { kind: 'attached', container, running: true };
  }

  async function prepareSandbox(spec: LaunchSpec, uris: readonly CommandUri[], signal?: AbortSignal): Promise<void> {
    await createSandbox(spec.sandbox);
    if (uris.length === 0 && spec.user === undefined) return;
    let user: UserInfo | undefined;
    let drop: readonly string[] = [];
    if (spec.user !== undefined) {
      user = await resolveUser(spec.user);
      drop = await userSwitch(user);
      if (drop.length > 0) await chown(spec.sandbox, user.uid, user.gid);
    }
    if (uris.length === 0) return;
    await fetchUris(uris, {
      sandbox: spec.sandbox,
      tools: opts.tools,
      ...(user !== undefined && drop.length > 0 ? { owner: { uid: user.uid, gid: user.gid }, asOwner: drop } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  }

  return {
    isolation: isolator.kind,
    isolators: taskIsolators.map((t) => t.name),
    prepareSandbox,
    launch,
    recover,
    async destroy(containerId) {
      await isolator.cleanup(containerId);
      for (const ti of taskIsolators) await ti.cleanup?.(containerId).catch(() => undefined);
    },
    containersOnHost: () => isolator.containers(),
  };
}
