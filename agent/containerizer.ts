/**
 * The agent's containerizer: runs one task's command contained by an isolator.
 *
 * launch: prepare the isolation -> create the sandbox -> spawn the launch wrapper detached (own
 * session and process group), stdout/stderr appended to `<sandbox>/stdout|stderr`, which joins
 * the cgroups as root and execs the command (as the task's user if one is given).
 * exit: ask the isolator whether it was an OOM -> SIGKILL whatever is left (process group and
 * isolator) -> remove the isolation -> resolve `exited`, exactly once, never rejecting.
 * kill(grace): SIGTERM to everything, SIGKILL after the grace period.
 * A memory limitation noticed while running destroys the container at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, open, type FileHandle } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { signalPids } from './isolation/cgroup-io.js';
import { MIB } from './isolation/cgroup-values.js';
import { describeError } from './isolation/errors.js';
import { taskEnvironment, wrapperArgv, type TaskCommand } from './isolation/launch-wrapper.js';
import type { ContainerLimits, ContainerUsage, Isolator, OomReport } from './isolation/types.js';
import { resolveUser, userSwitch, type UserInfo } from './isolation/user.js';
import { createSandbox } from './sandbox.js';

export interface LaunchSpec {
  readonly containerId: string;
  /** Absolute sandbox directory (see sandbox.ts); created if missing. */
  readonly sandbox: string;
  readonly command: TaskCommand & { readonly environment?: Readonly<Record<string, string>> };
  readonly limits: ContainerLimits;
  /** Run as this user (requires the agent to be root, unless it is the agent's own user). */
  readonly user?: string;
}

export interface ExitInfo {
  /** Exit status, null if the command was terminated by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The container went over its memory limit (and was killed for it). */
  readonly oomKilled: boolean;
  /** kill() was called before the command exited. */
  readonly killedByUs: boolean;
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
 * counts against the container's limits), as its user, with its environment, in its sandbox.
 */
export interface ContainerExec {
  /** The sandbox: the working directory. */
  readonly cwd: string;
  /** The task's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The argv that runs `command` inside the container (argv[0] is the program to spawn). */
  argv(command: TaskCommand): string[];
}

export interface Container {
  readonly containerId: string;
  readonly pid: number;
  readonly exec: ContainerExec;
  /** Resolves once, after the command exited and the isolation was removed. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after `gracePeriodMs`; resolves with the (single) ExitInfo. */
  kill(gracePeriodMs: number): Promise<ExitInfo>;
  usage(): Promise<ContainerStats>;
}

export interface Containerizer {
  readonly isolation: Isolator['kind'];
  launch(spec: LaunchSpec): Promise<Container>;
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
  readonly log: Logger;
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

interface ExitEvent {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is empty
  }
}

class RunningContainer implements Container {
  readonly exited: Promise<ExitInfo>;
  private resolveExited!: (info: ExitInfo) => void;
  private readonly commandExited: Promise<void>;
  private markCommandExited!: () => void;
  private commandHasExited = false;
  private killRequested = false;
  private limitation: OomReport | null = null;

  constructor(
    readonly containerId: string,
    readonly pid: number,
    readonly exec: ContainerExec,
    private readonly limits: ContainerLimits,
    private readonly isolator: Isolator,
    private readonly log: Logger,
    private readonly onDone: () => void,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.commandExited = new Promise((resolve) => (this.markCommandExited = resolve));
  }

  /** Wire up a freshly spawned child; `exit` was subscribed to right at spawn time. */
  attach(child: ChildProcess, exit: Promise<ExitEvent>): void {
    child.on('error', (err) => this.log.warn({ err: describeError(err) }, 'child process error'));
    void exit.then(({ code, signal }) => this.finish(code, signal));
    try {
      this.isolator.watch(this.containerId, this.pid, (report) => this.onLimitation(report));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot watch container limits');
    }
  }

  private onLimitation(report: OomReport): void {
    if (this.commandHasExited) return;
    this.limitation = report;
    this.log.warn({ limitBytes: report.limitBytes, maxUsedBytes: report.maxUsedBytes }, 'memory limit exceeded; destroying container');
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

  private async finish(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.commandHasExited = true;
    this.markCommandExited();
    let oom = this.limitation;
    try {
      oom ??= effectiveOom(await this.isolator.oom(this.containerId), code, signal);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'cannot tell whether the container was OOM-killed');
    }
    signalGroup(this.pid, 'SIGKILL'); // leftovers outside the isolator's view (e.g. posix)
    try {
      await this.isolator.cleanup(this.containerId);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'container cleanup failed; processes or cgroups may be left');
    }
    const info: ExitInfo = {
      code,
      signal,
      oomKilled: oom !== null,
      killedByUs: this.killRequested,
      message: describeExit(code, signal, oom),
    };
    this.log.info({ ...info }, 'container exited');
    this.onDone();
    this.resolveExited(info);
  }

  async kill(gracePeriodMs: number): Promise<ExitInfo> {
    if (this.commandHasExited) return this.exited;
    this.killRequested = true;
    this.log.info({ gracePeriodMs }, 'killing container');
    await this.signalAll('SIGTERM');
    const inTime = await Promise.race([
      this.commandExited.then(() => true),
      sleep(Math.max(0, gracePeriodMs)).then(() => false),
    ]);
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
        usage = await this.isolator.usage(this.containerId);
      } catch (err) {
        this.log.debug({ err: describeError(err) }, 'cannot read usage');
      }
    }
    return {
      ...usage,
      cpusLimit: this.limits.cpus,
      memLimitBytes: Math.floor(this.limits.memMb * MIB),
      timestamp: Date.now() / 1000,
    };
  }
}

async function openAppend(file: string): Promise<FileHandle> {
  return open(file, 'a', 0o644);
}

export function createContainerizer(opts: ContainerizerOptions): Containerizer {
  const { isolator } = opts;
  const log = opts.log.child({ component: 'containerizer' });
  const live = new Set<string>();

  async function launch(spec: LaunchSpec): Promise<Container> {
    const { containerId } = spec;
    const clog = log.child({ containerId });
    if (live.has(containerId)) {
      throw new ContainerizerError('CONTAINER_EXISTS', `container ${containerId} is already running`);
    }
    live.add(containerId);
    let prepared = false;
    const handles: FileHandle[] = [];
    try {
      let user: UserInfo | undefined;
      let privilegeDrop: readonly string[] = [];
      if (spec.user !== undefined) {
        user = await resolveUser(spec.user);
        privilegeDrop = await userSwitch(user);
      }
      const preparation = await isolator.prepare(containerId, spec.limits);
      prepared = true;
      await createSandbox(spec.sandbox);
      const stdout = await openAppend(path.join(spec.sandbox, 'stdout'));
      handles.push(stdout);
      const stderr = await openAppend(path.join(spec.sandbox, 'stderr'));
      handles.push(stderr);
      if (user !== undefined && privilegeDrop.length > 0) {
        await chown(spec.sandbox, user.uid, user.gid);
        await stdout.chown(user.uid, user.gid);
        await stderr.chown(user.uid, user.gid);
      }
      const argv = wrapperArgv({ joinProcsFiles: preparation.joinProcsFiles, privilegeDrop, command: spec.command });
      const env = taskEnvironment({
        sandbox: spec.sandbox,
        home: user?.home ?? userInfo().homedir,
        ...(user === undefined ? {} : { user: user.name }),
        ...(spec.command.environment === undefined ? {} : { environment: spec.command.environment }),
      });
      const [file, ...args] = argv;
      if (file === undefined) throw new Error('empty argv');
      const child = spawn(file, args, {
        cwd: spec.sandbox,
        env,
        stdio: ['ignore', stdout.fd, stderr.fd],
        detached: true,
      });
      const exit = new Promise<ExitEvent>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error('spawned child has no pid');
      const exec: ContainerExec = {
        cwd: spec.sandbox,
        env,
        argv: (command) => wrapperArgv({ joinProcsFiles: preparation.joinProcsFiles, privilegeDrop, command }),
      };
      const container = new RunningContainer(containerId, pid, exec, spec.limits, isolator, clog.child({ pid }), () =>
        live.delete(containerId),
      );
      container.attach(child, exit);
      clog.info(
        { pid, isolation: isolator.kind, sandbox: spec.sandbox, user: spec.user, limits: spec.limits },
        'container launched',
      );
      return container;
    } catch (err) {
      live.delete(containerId);
      if (prepared) {
        await isolator.cleanup(containerId).catch((e: unknown) =>
          clog.error({ err: describeError(e) }, 'cleanup after failed launch failed'),
        );
      }
      clog.warn({ err: describeError(err) }, 'container launch failed');
      throw new ContainerizerError('LAUNCH_FAILED', `failed to launch container ${containerId}: ${describeError(err)}`, {
        cause: err,
      });
    } finally {
      for (const h of handles) await h.close().catch(() => undefined);
    }
  }

  return { isolation: isolator.kind, launch };
}
