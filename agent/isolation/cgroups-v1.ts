/**
 * cgroup v1 isolator: one cgroup per container in the memory, cpu and cpuacct hierarchies
 * (`<mount>/<root>/<containerId>`). Memory: hard limit (`memory.limit_in_bytes`, and
 * `memory.memsw.limit_in_bytes` when swap accounting exists so swap cannot hide the limit);
 * CPU: `cpu.shares`; usage from memory.stat and cpuacct.stat; OOM from `memory.oom_control`.
 * Only cgroup v1 files are touched here.
 */
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { describeError } from './errors.js';
import {
  cgroupPath,
  cpuShares,
  memoryLimitBytes,
  normalizeCgroupsRoot,
  parseCpuacctStat,
  parseFlatKeyed,
  parseMaxValue,
  parseOomControl,
  rootChain,
  validateContainerId,
  validateLimits,
} from './cgroup-values.js';
import {
  assertNoCgroup,
  childCgroups,
  drainCgroups,
  makeCgroup,
  pathExists,
  readOptional,
  readPids,
  removeCgroup,
  removeRootChain,
  writeControl,
} from './cgroup-io.js';
import type {
  ContainerLimits,
  ContainerUsage,
  Isolator,
  LaunchPreparation,
  LimitationListener,
  OomReport,
} from './types.js';
import { WatchLoop } from './watch-loop.js';

/** Mount points of the v1 hierarchies used (cpu and cpuacct may be the same co-mounted one). */
export interface CgroupsV1Mounts {
  readonly memory: string;
  readonly cpu: string;
  /** Absent if the host has no cpuacct controller: then no CPU time in usage(). */
  readonly cpuacct?: string;
}

export interface CgroupsV1Options {
  readonly mounts: CgroupsV1Mounts;
  /** cgroups root under each hierarchy, e.g. `mesos` or `mesos/<agentId>`. */
  readonly root: string;
  readonly log: Logger;
  /** How often running containers are checked for OOM kills (default 500 ms). */
  readonly oomPollMs?: number;
  /** How long cleanup keeps killing before it gives up (default 10 s). */
  readonly cleanupTimeoutMs?: number;
}

const readNumber = async (file: string): Promise<number | undefined> => {
  const text = await readOptional(file).catch(() => undefined);
  return text === undefined ? undefined : parseMaxValue(text);
};

export class CgroupsV1Isolator implements Isolator {
  readonly kind = 'cgroups-v1' as const;
  readonly root: string;
  private readonly mounts: CgroupsV1Mounts;
  /** Distinct hierarchy mount points (memory first). */
  private readonly hierarchies: readonly string[];
  private readonly log: Logger;
  private readonly cleanupTimeoutMs: number;
  private readonly limits = new Map<string, ContainerLimits>();
  private readonly listeners = new Map<string, LimitationListener>();
  private readonly loop: WatchLoop<string>;

  constructor(opts: CgroupsV1Options) {
    this.root = normalizeCgroupsRoot(opts.root);
    this.mounts = opts.mounts;
    const all = [opts.mounts.memory, opts.mounts.cpu, ...(opts.mounts.cpuacct === undefined ? [] : [opts.mounts.cpuacct])];
    this.hierarchies = [...new Set(all)];
    this.log = opts.log.child({ component: 'isolator', isolator: this.kind, cgroupsRoot: this.root });
    this.cleanupTimeoutMs = opts.cleanupTimeoutMs ?? 10_000;
    this.loop = new WatchLoop(opts.oomPollMs ?? 500, (ids) => this.checkOoms(ids));
  }

  /** The container's cgroup directory in the hierarchy of `controller`. */
  cgroupDir(controller: 'memory' | 'cpu' | 'cpuacct', containerId: string): string | undefined {
    const mount = this.mounts[controller];
    return mount === undefined ? undefined : cgroupPath(mount, this.root, containerId);
  }

  private containerDirs(containerId: string): string[] {
    return this.hierarchies.map((h) => cgroupPath(h, this.root, containerId));
  }

  private memoryDir(containerId: string): string {
    return cgroupPath(this.mounts.memory, this.root, containerId);
  }

  async prepare(containerId: string, limits: ContainerLimits): Promise<LaunchPreparation> {
    validateContainerId(containerId);
    validateLimits(limits);
    await assertNoCgroup(this.containerDirs(containerId));
    try {
      for (const h of this.hierarchies) {
        for (const dir of rootChain(h, this.root)) await makeCgroup(dir);
        await makeCgroup(cgroupPath(h, this.root, containerId));
      }
      await this.setMemoryLimit(this.memoryDir(containerId), memoryLimitBytes(limits.memMb));
      const shares = cpuShares(limits.cpus);
      await writeControl(path.join(cgroupPath(this.mounts.cpu, this.root, containerId), 'cpu.shares'), String(shares));
      this.limits.set(containerId, limits);
      this.log.debug({ containerId, memMb: limits.memMb, cpuShares: shares }, 'cgroups prepared');
    } catch (err) {
      await this.cleanup(containerId).catch(() => undefined);
      throw err;
    }
    return { joinProcsFiles: this.containerDirs(containerId).map((d) => path.join(d, 'cgroup.procs')) };
  }

  /**
   * The kernel insists memsw >= limit at all times: on a fresh cgroup (both unlimited) write
   * the limit first; if that is refused because memsw is lower (shrinking), write memsw first.
   */
  private async setMemoryLimit(dir: string, bytes: number): Promise<void> {
    const limitFile = path.join(dir, 'memory.limit_in_bytes');
    const memswFile = path.join(dir, 'memory.memsw.limit_in_bytes');
    const hasMemsw = await pathExists(memswFile);
    try {
      await writeControl(limitFile, String(bytes));
    } catch (err) {
      if (!hasMemsw) throw err;
      await writeControl(memswFile, String(bytes));
      await writeControl(limitFile, String(bytes));
      return;
    }
    if (hasMemsw) await writeControl(memswFile, String(bytes));
  }

  watch(containerId: string, _pid: number, onLimitation: LimitationListener): void {
    this.listeners.set(containerId, onLimitation);
    this.loop.add(containerId);
  }

  private async checkOoms(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const listener = this.listeners.get(id);
      if (listener === undefined) continue;
      const report = await this.oom(id).catch(() => null);
      // Only a counted OOM kill is certain enough to destroy a running container.
      if (report?.evidence !== 'oom-kill' || !this.listeners.has(id)) continue;
      this.listeners.delete(id);
      this.loop.delete(id);
      this.log.info({ containerId: id, ...report }, 'container hit its memory limit');
      try {
        listener(report);
      } catch (err) {
        this.log.error({ containerId: id, err }, 'limitation listener threw');
      }
    }
  }

  async oom(containerId: string): Promise<OomReport | null> {
    const dir = this.memoryDir(containerId);
    const control = await readOptional(path.join(dir, 'memory.oom_control'));
    if (control === undefined) return null;
    const oc = parseOomControl(control);
    const configured = this.limits.get(containerId);
    const limitBytes =
      configured !== undefined
        ? memoryLimitBytes(configured.memMb)
        : ((await readNumber(path.join(dir, 'memory.limit_in_bytes'))) ?? 0);
    const maxUsedBytes = await readNumber(path.join(dir, 'memory.max_usage_in_bytes'));
    const report = (evidence: OomReport['evidence']): OomReport =>
      maxUsedBytes === undefined ? { limitBytes, evidence } : { limitBytes, maxUsedBytes, evidence };
    if (oc.oomKill !== undefined) return oc.oomKill > 0 ? report('oom-kill') : null;
    // Kernels before 4.13 have no oom_kill counter: fall back to "usage reached the limit".
    const failcnt = (await readNumber(path.join(dir, 'memory.failcnt'))) ?? 0;
    if (oc.underOom || (failcnt > 0 && maxUsedBytes !== undefined && maxUsedBytes >= limitBytes)) {
      return report('limit-hit');
    }
    return null;
  }

  async pids(containerId: string): Promise<number[]> {
    const all = new Set<number>();
    for (const dir of this.containerDirs(containerId)) for (const pid of await readPids(dir)) all.add(pid);
    return [...all];
  }

  async usage(containerId: string): Promise<ContainerUsage> {
    const mem = this.memoryDir(containerId);
    const stat = await readOptional(path.join(mem, 'memory.stat')).catch(() => undefined);
    const kv = stat === undefined ? undefined : parseFlatKeyed(stat);
    const acctDir = this.cgroupDir('cpuacct', containerId);
    const acct =
      acctDir === undefined ? undefined : await readOptional(path.join(acctDir, 'cpuacct.stat')).catch(() => undefined);
    const cpu = acct === undefined ? undefined : parseCpuacctStat(acct);
    const usage: ContainerUsage = {};
    const rss = kv?.get('total_rss') ?? kv?.get('rss');
    if (rss !== undefined) usage.memRssBytes = rss;
    const total = await readNumber(path.join(mem, 'memory.usage_in_bytes'));
    if (total !== undefined) usage.memTotalBytes = total;
    const limits = this.limits.get(containerId);
    if (limits !== undefined) usage.memLimitBytes = memoryLimitBytes(limits.memMb);
    if (cpu !== undefined) {
      usage.cpuUserSecs = cpu.userSecs;
      usage.cpuSystemSecs = cpu.systemSecs;
    }
    if (stat !== undefined) usage.processes = (await this.pids(containerId)).length;
    return usage;
  }

  async cleanup(containerId: string): Promise<void> {
    validateContainerId(containerId);
    this.listeners.delete(containerId);
    this.loop.delete(containerId);
    const dirs = this.containerDirs(containerId);
    let first: unknown;
    try {
      await drainCgroups(dirs, { timeoutMs: this.cleanupTimeoutMs });
    } catch (err) {
      first = err;
    }
    for (const dir of dirs) {
      try {
        await removeCgroup(dir, 2_000);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) {
      this.log.error({ containerId, err: describeError(first) }, 'cgroups cleanup failed');
      throw first;
    }
    this.limits.delete(containerId);
    this.log.debug({ containerId }, 'cgroups removed');
  }

  async containers(): Promise<string[]> {
    const ids = new Set<string>();
    for (const h of this.hierarchies) for (const id of await childCgroups(cgroupPath(h, this.root))) ids.add(id);
    return [...ids].sort();
  }

  async removeRoot(): Promise<void> {
    for (const h of this.hierarchies) await removeRootChain(rootChain(h, this.root), 2_000);
    this.log.debug('cgroups root removed');
  }
}
