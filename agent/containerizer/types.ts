/**
 * The containerizer's surface: what a launch is given (LaunchSpec), what a container is and says
 * (Container, ContainerExec, ExitInfo, ContainerStats), what re-attaching finds (Recovered), the
 * containerizer itself and its options, and its typed error.
 */
import type { Logger } from 'pino';
import type { CommandUri } from '../../events/index.js';
import type { HostTools } from '../isolation/host-tools.js';
import type { TaskCommand } from '../isolation/launch-wrapper.js';
import type { ContainerOptions, TaskContainer, TaskIsolator } from '../isolation/task-isolator.js';
import type { ContainerUsage, Isolator, TaskLimitation } from '../isolation/types.js';

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
