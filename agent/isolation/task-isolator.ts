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
  /** Run in this image's root filesystem (agent/provisioner). */
  readonly image?: { readonly type: 'DOCKER' | 'APPC'; readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly cached?: boolean };
  /** Host or sandbox paths bound into an image task's root (agent/provisioner). */
  readonly volumes?: readonly ContainerVolume[];
}

export interface ContainerVolume {
  /** Absolute: in the image's root; relative: in the sandbox. */
  readonly containerPath: string;
  readonly mode: 'RW' | 'RO';
  readonly source: { readonly type: 'HOST_PATH' | 'SANDBOX_PATH'; readonly path: string };
}

/** A task that runs in an image's root (what the provisioner says to the containerizer). */
export interface ImageLaunch {
  readonly image: string;
  /** The root the task is chrooted into (mounted by the setup lines). */
  readonly rootfs: string;
  readonly workingDir: string;
  /** The sandbox's path inside the root (MESOS_SANDBOX). */
  readonly sandbox: string;
  /** The image's environment (under the task's own). */
  readonly env: Readonly<Record<string, string>>;
  /** The argv run in the root for the task's command (the image's Entrypoint/Cmd rules). */
  argv(command: { readonly value: string; readonly shell: boolean; readonly arguments?: readonly string[] }): string[];
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
  /** The task runs in an image (only the provisioner says this). */
  readonly image?: ImageLaunch;
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
export function mergeContributions(list: readonly LaunchContribution[]): Required<Omit<LaunchContribution, 'image'>> & Pick<LaunchContribution, 'image'> {
  const unshare = new Set<string>();
  const setup: string[] = [];
  const env: Record<string, string> = {};
  const denyDevices: DeviceRule[] = [];
  let pidNamespace = false;
  let image: ImageLaunch | undefined;
  for (const c of list) {
    image ??= c.image;
    for (const f of c.unshare ?? []) unshare.add(f);
    setup.push(...(c.setup ?? []));
    Object.assign(env, c.env ?? {});
    denyDevices.push(...(c.denyDevices ?? []));
    pidNamespace ||= c.pidNamespace ?? false;
  }
  return { unshare: [...unshare], setup, env, denyDevices, pidNamespace, ...(image !== undefined ? { image } : {}) };
}
