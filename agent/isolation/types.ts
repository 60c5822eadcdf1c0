/**
 * The isolator contract: what the containerizer asks of whatever contains a task (cgroups v1,
 * cgroups v2, or a plain process group). One implementation per file; the containerizer talks
 * only to this interface.
 *
 * Life of a container, as the containerizer drives it:
 *   prepare() -> spawn a wrapper that joins `joinProcsFiles` as root, then execs the command
 *   -> watch() -> (task runs; usage()/pids() any time) -> task exits or is killed
 *   -> oom() -> cleanup()
 */


export type IsolatorKind = 'cgroups-v1' | 'cgroups-v2' | 'posix';

export interface ContainerLimits {
  /** CPU share of the host, as in Mesos `cpus` (1 = one core's worth of weight). */
  readonly cpus: number;
  /** Memory limit in MiB (hard limit: exceeding it kills the container). */
  readonly memMb: number;
  /** Process (and thread) limit, enforced by cgroups/pids. */
  readonly pids?: number;
  /** Devices the container may not use (cgroups/devices, cgroup v1). */
  readonly devices?: readonly DeviceRule[];
}

/** What the launch wrapper must do before exec'ing the task (Mesos: ContainerLaunchInfo). */
export interface LaunchPreparation {
  /**
   * Absolute paths of `cgroup.procs` files. The wrapper writes its own pid into each, as root,
   * before it execs the task's command, so the command never runs outside its cgroups.
   */
  readonly joinProcsFiles: readonly string[];
}

/** Evidence that the container went over its memory limit. */
export interface OomReport {
  readonly limitBytes: number;
  /** Highest usage seen, when the isolator can tell. */
  readonly maxUsedBytes?: number;
  /**
   * How the isolator knows:
   *  - `oom-kill`: the kernel's OOM killer killed a process of the container (counter in
   *    memory.oom_control / memory.events), certain;
   *  - `limit-hit`: the usage reached the limit (memory.failcnt, old kernels without an OOM kill
   *    counter), only meaningful if the task was SIGKILLed;
   *  - `rss-poll`: the posix isolator saw the resident set exceed the limit and killed the group.
   */
  readonly evidence: 'oom-kill' | 'limit-hit' | 'rss-poll';
}

/** Called at most once per container, when the isolator notices a limit was exceeded. */
export type LimitationListener = (report: OomReport) => void;

/** A limit other than memory that a task isolator enforces (disk/du). */
export interface TaskLimitation {
  readonly reason: 'REASON_CONTAINER_LIMITATION_DISK' | 'REASON_CONTAINER_LIMITATION';
  readonly message: string;
}

/** A plain snapshot (fields absent when the isolator cannot tell). */
export interface ContainerUsage {
  /** Resident (anonymous) memory of the container's processes. */
  memRssBytes?: number;
  /** All memory charged to the container (includes page cache) when the isolator knows it. */
  memTotalBytes?: number;
  memLimitBytes?: number;
  cpuUserSecs?: number;
  cpuSystemSecs?: number;
  processes?: number;
  /** Threads (cgroups/pids counts them with processes). */
  threads?: number;
  /** Bytes used by the sandbox (disk/du). */
  diskUsedBytes?: number;
  diskLimitBytes?: number;
}

export interface Isolator {
  readonly kind: IsolatorKind;

  /** The cgroup controllers it sets limits with (none for posix). */
  controllers(): string[];

  /** The `cgroup.procs` files a process writes its pid to to join the container (none for posix). */
  procsFiles(containerId: string): string[];

  /** Create the container's isolation (cgroups, bookkeeping) before the launch. */
  prepare(containerId: string, limits: ContainerLimits): Promise<LaunchPreparation>;

  /**
   * Start watching the running container, whose first process (and process-group/session
   * leader) is `pid`. `onLimitation` fires at most once; the containerizer then destroys the
   * container. Watching stops at cleanup().
   */
  watch(containerId: string, pid: number, onLimitation: LimitationListener): void;

  /** Did the container exceed its memory limit? Ask after the task exited, before cleanup(). */
  oom(containerId: string): Promise<OomReport | null>;

  /** Every live process currently in the container (zombies excluded). */
  pids(containerId: string): Promise<number[]>;

  usage(containerId: string): Promise<ContainerUsage>;

  /**
   * Kill whatever is left in the container, wait for it to be gone, and remove the isolation.
   * Safe to call twice or for a container that was never prepared.
   */
  cleanup(containerId: string): Promise<void>;

  /**
   * Take over a container that an earlier agent process prepared and whose task still runs (agent
   * recovery): its isolation stays as it is; `pid` is the task's (session leader's) pid.
   */
  recover(containerId: string, limits: ContainerLimits, pid: number): Promise<void>;

  /** Container ids that have isolation on this host under our root (e.g. left by a crash). */
  containers(): Promise<string[]>;

  /**
   * Remove the isolator's root (e.g. the `mesos/<agentId>` cgroups) in every hierarchy, and its
   * parents if they are left empty. Throws CGROUP_BUSY if containers are still under it.
   */
  removeRoot(): Promise<void>;
}

/** One rule of the devices cgroup (v1 `devices.allow`/`deny`; a BPF program's rule on v2). */
export interface DeviceRule {
  readonly type: 'c' | 'b';
  readonly major: number;
  /** A minor number, or every minor of the major. */
  readonly minor: number | '*';
  /** Some of r (read), w (write), m (mknod). */
  readonly access: string;
}

/** One write an isolator makes to a control file of a container's cgroup. */
export interface ControlWrite {
  /** File name in the container's cgroup directory. */
  readonly file: string;
  readonly value: string;
}
