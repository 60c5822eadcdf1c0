/**
 * cgroup v1 isolator: one cgroup per container in each hierarchy it uses (memory, cpu, cpuacct,
 * pids, devices: those of the cgroups/* isolators asked for; `<mount>/<root>/<containerId>`).
 * Memory (cgroups/mem): hard limit (`memory.limit_in_bytes`, and `memory.memsw.limit_in_bytes`
 * when swap accounting exists so swap cannot hide the limit); OOM from `memory.oom_control`. CPU
 * (cgroups/cpu): cgroups-cpu.ts; pids: cgroups-pids.ts; devices: cgroups-devices.ts. Usage from
 * memory.stat, cpuacct.stat and pids.current. Only cgroup v1 files are touched here.
 */
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { describeError, IsolationError } from './errors.js';
import { cpuWritesV1 } from './cgroups-cpu.js';
import type { ControlWrite } from './types.js';
import { deviceDenyWrites } from './cgroups-devices.js';
import { parsePidsEvents, pidsWrites } from './cgroups-pids.js';
import {
  cgroupPath,
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

/** Mount points of the v1 hierarchies used (a co-mounted hierarchy appears under each of its names). */
export interface CgroupsV1Mounts {
  readonly memory?: string;
  readonly cpu?: string;
  /** Accounting only (cpu time in usage()); used whenever it is mounted. */
  readonly cpuacct?: string;
  readonly pids?: string;
  readonly devices?: string;
}

export interface CgroupsV1Options {
  readonly mounts: CgroupsV1Mounts;
  /** cgroups root under each hierarchy, e.g. `mesos` or `mesos/<agentId>`. */
  readonly root: string;
  readonly log: Logger;
  /** A hard CFS quota besides the shares (--cgroups-enable-cfs). */
  readonly enableCfs?: boolean;
  /** How often running containers are checked for OOM kills (default 500 ms). */
  readonly oomPollMs?: number;
  /** How long cleanup keeps killing before it gives up (default 10 s). */
  readonly cleanupTimeoutMs?: number;
}

const readNumber = async (file: string): Promise<number | undefined> => {
  const text = await readOptional(file).catch(() => undefined);
  return text === undefined ? undefined : parseMaxValue(text);
};

type V1Controller = keyof CgroupsV1Mounts;

export class CgroupsV1Isolator implements Isolator {
  readonly kind = 'cgroups-v1' as const;
  readonly root: string;
  private readonly mounts: CgroupsV1Mounts;
  /** Distinct hierarchy mount points (memory first). */
  private readonly hierarchies: readonly string[];
  private readonly log: Logger;
  private readonly enableCfs: boolean;
  private readonly cleanupTimeoutMs: number;
  private readonly limits = new Map<string, ContainerLimits>();
  private readonly listeners = new Map<string, LimitationListener>();
  private readonly loop: WatchLoop<string>;

  constructor(opts: CgroupsV1Options) {
    this.root = normalizeCgroupsRoot(opts.root);
    this.mounts = opts.mounts;
    const order: V1Controller[] = ['memory', 'cpu', 'cpuacct', 'pids', 'devices'];
    const all = order.map((c) => opts.mounts[c]).filter((m): m is string => m !== undefined);
    if (all.length === 0) throw new IsolationError('CGROUPS_UNAVAILABLE', 'no cgroup v1 hierarchy to use');
    this.hierarchies = [...new Set(all)];
    this.log = opts.log.child({ component: 'isolator', isolator: this.kind, cgroupsRoot: this.root });
    this.enableCfs = opts.enableCfs ?? false;
    this.cleanupTimeoutMs = opts.cleanupTimeoutMs ?? 10_000;
    this.loop = new WatchLoop(opts.oomPollMs ?? 500, (ids) => this.checkOoms(ids));
  }

  /** The controllers this isolator sets limits with. */
  controllers(): string[] {
    return (['memory', 'cpu', 'pids', 'devices'] as const).filter((c) => this.mounts[c] !== undefined);
  }

  /** The container's cgroup directory in the hierarchy of `controller`. */
  cgroupDir(controller: V1Controller, containerId: string): string | undefined {
    const mount = this.mounts[controller];
    return mount === undefined ? undefined : cgroupPath(mount, this.root, containerId);
  }

  procsFiles(containerId: string): string[] {
    return this.containerDirs(containerId).map((d) => path.join(d, 'cgroup.procs'));
  }

  private containerDirs(containerId: string): string[] {
    return this.hierarchies.map((h) => cgroupPath(h, this.root, containerId));
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
      const memory = this.cgroupDir('memory', containerId);
      if (memory !== undefined) await this.setMemoryLimit(memory, memoryLimitBytes(limits.memMb));
      const cpu = this.cgroupDir('cpu', containerId);
      if (cpu !== undefined) await applyWrites(cpu, cpuWritesV1(limits.cpus, this.enableCfs));
      const pids = this.cgroupDir('pids', containerId);
      if (pids !== undefined && limits.pids !== undefined) await applyWrites(pids, pidsWrites(limits.pids));
      const devices = this.cgroupDir('devices', containerId);
      if (devices !== undefined && limits.devices !== undefined) await applyWrites(devices, deviceDenyWrites(limits.devices));
      this.limits.set(containerId, limits);
      this.log.debug({ containerId, memMb: limits.memMb, cpus: limits.cpus, cfs: this.enableCfs, pids: limits.pids }, 'cgroups prepared');
    } catch (err) {
      await this.cleanup(containerId).catch(() => undefined);
      throw err;
    }
    return { joinProcsFiles: this.procsFiles(containerId) };
  }

  async recover(containerId: string, limits: ContainerLimits): Promise<void> {
    validateContainerId(containerId);
    this.limits.set(containerId, limits);
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

  /** How many forks the pids limit refused (0 without cgroups/pids). */
  async pidsLimitHits(containerId: string): Promise<number> {
    const dir = this.cgroupDir('pids', containerId);
    const text = dir === undefined ? undefined : await readOptional(path.join(dir, 'pids.events')).catch(() => undefined);
    return text === undefined ? 0 : parsePidsEvents(text);
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
    const dir = this.cgroupDir('memory', containerId);
    if (dir === undefined) return null;
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
    const mem = this.cgroupDir('memory', containerId);
    const stat = mem === undefined ? undefined : await readOptional(path.join(mem, 'memory.stat')).catch(() => undefined);
    const kv = stat === undefined ? undefined : parseFlatKeyed(stat);
    const acctDir = this.cgroupDir('cpuacct', containerId);
    const acct =
      acctDir === undefined ? undefined : await readOptional(path.join(acctDir, 'cpuacct.stat')).catch(() => undefined);
    const cpu = acct === undefined ? undefined : parseCpuacctStat(acct);
    const usage: ContainerUsage = {};
    const rss = kv?.get('total_rss') ?? kv?.get('rss');
    if (rss !== undefined) usage.memRssBytes = rss;
    const total = mem === undefined ? undefined : await readNumber(path.join(mem, 'memory.usage_in_bytes'));
    if (total !== undefined) usage.memTotalBytes = total;
    const limits = this.limits.get(containerId);
    if (limits !== undefined) usage.memLimitBytes = memoryLimitBytes(limits.memMb);
    if (cpu !== undefined) {
      usage.cpuUserSecs = cpu.userSecs;
      usage.cpuSystemSecs = cpu.systemSecs;
    }
    usage.processes = (await this.pids(containerId)).length;
    const pidsDir = this.cgroupDir('pids', containerId);
    const threads = pidsDir === undefined ? undefined : await readNumber(path.join(pidsDir, 'pids.current'));
    if (threads !== undefined) usage.threads = threads;
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

async function applyWrites(dir: string, writes: readonly ControlWrite[]): Promise<void> {
  for (const w of writes) await writeControl(path.join(dir, w.file), w.value);
}
