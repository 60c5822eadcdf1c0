/**
 * The contract of the isolators that add to a container rather than make it (Mesos's isolators
 * other than the cgroups/posix launcher): namespaces/pid, filesystem/linux, namespaces/network,
 * disk/du, gpu/nvidia. Each, in its own file, says what the launch needs (namespaces, setup steps
 * run as root inside them, environment, device rules), may watch the running task for a limit, and
 * cleans up after it. The containerizer merges what they say into the launch chain.
 */
import type { DeviceRule } from './types.js';
import type { ContainerLimits, ContainerUsage, TaskLimitation } from './types.js';

/** Per-task isolation options (TaskInfo.container). */
export interface ContainerOptions {
  /** HOST (default): the agent's network; NONE: an empty network namespace (namespaces/network). */
  readonly network?: 'HOST' | 'NONE';
  /** Stay in the agent's pid namespace even with namespaces/pid (Mesos LinuxInfo.share_pid_namespace). */
  readonly sharePidNamespace?: boolean;
}

export interface TaskContainer {
  readonly containerId: string;
  readonly sandbox: string;
  readonly limits: ContainerLimits & {
    /** The task's `disk` in MB (disk/du). */
    readonly diskMb?: number;
    /** GPU indices assigned to the task (gpu/nvidia). */
    readonly gpus?: readonly number[];
  };
  readonly options: ContainerOptions;
  /** The user the task runs as, when it is not the agent's. */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export interface LaunchContribution {
  /** unshare(1) flags: the namespaces the task gets. */
  readonly unshare?: readonly string[];
  /** Shell lines run as root inside the new namespaces, before the privilege drop. */
  readonly setup?: readonly string[];
  /** The task needs an init as pid 1 of a new pid namespace. */
  readonly pidNamespace?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** Devices the task may not use (cgroups/devices). */
  readonly denyDevices?: readonly DeviceRule[];
}

export interface TaskIsolator {
  /** The --isolation name. */
  readonly name: string;
  /** Before the launch (and again, with `recovering`, when an agent re-attaches to a running task: nothing is created then). */
  prepare(c: TaskContainer, recovering?: boolean): Promise<LaunchContribution>;
  /** Watch the running task; `onLimitation` at most once. */
  watch?(c: TaskContainer, onLimitation: (l: TaskLimitation) => void): void;
  /** Figures for usage() (e.g. disk used). */
  usage?(containerId: string): Promise<Partial<ContainerUsage>>;
  /** Stop watching and undo what prepare made. Safe to call twice. */
  cleanup?(containerId: string): Promise<void>;
}

/** Merge contributions in isolator order. */
export function mergeContributions(list: readonly LaunchContribution[]): Required<LaunchContribution> {
  const unshare = new Set<string>();
  const setup: string[] = [];
  const env: Record<string, string> = {};
  const denyDevices: DeviceRule[] = [];
  let pidNamespace = false;
  for (const c of list) {
    for (const f of c.unshare ?? []) unshare.add(f);
    setup.push(...(c.setup ?? []));
    Object.assign(env, c.env ?? {});
    denyDevices.push(...(c.denyDevices ?? []));
    pidNamespace ||= c.pidNamespace ?? false;
  }
  return { unshare: [...unshare], setup, env, denyDevices, pidNamespace };
}
