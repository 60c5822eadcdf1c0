/**
 * cgroup v2 isolator: one cgroup per container in the unified hierarchy
 * (`<mount>/<root>/<containerId>`), with the controllers of the cgroups/* isolators asked for.
 * Memory: `memory.max` (+ `memory.swap.max = 0` and `memory.oom.group = 1` when present, so swap
 * cannot hide the limit and an OOM kills the whole container); CPU: cgroups-cpu.ts (`cpu.weight`,
 * `cpu.max`); pids: cgroups-pids.ts; no devices controller (an eBPF program on v2, not loaded
 * here); OOM from `memory.events`; killing
 * through `cgroup.kill` when the kernel has it (5.14+). Only cgroup v2 files are touched here.
 */
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { describeError, errnoCode, IsolationError } from './errors.js';
import {
  cgroupPath,
  memoryLimitBytes,
  normalizeCgroupsRoot,
  parseControllerList,
  parseCpuStatV2,
  parseFlatKeyed,
  parseMaxValue,
  parseMemoryEvents,
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
import { cpuWritesV2 } from './cgroups-cpu.js';
import { parsePidsEvents, pidsWrites } from './cgroups-pids.js';

/** The cgroup v2 controllers the cgroups/* isolators use. */
export const V2_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type V2Controller = (typeof V2_CONTROLLERS)[number];

export interface CgroupsV2Options {
  /** Mount point of the unified hierarchy, usually /sys/fs/cgroup. */
  readonly mount: string;
  /** cgroups root under the mount, e.g. `mesos` or `mesos/<agentId>`. */
  readonly root: string;
  readonly log: Logger;
  /** Controllers enabled for the containers (default memory and cpu). */
  readonly controllers?: readonly V2Controller[];
  /** A hard CFS quota besides the weight (--cgroups-enable-cfs). */
  readonly enableCfs?: boolean;
  readonly oomPollMs?: number;
  readonly cleanupTimeoutMs?: number;
}

/**
 * Directories whose `cgroup.subtree_control` must enable the container controllers so that
 * the container cgroup `<mount>/<root>/<id>` gets them: the mount itself and every root level.
 */
export function subtreeControlDirs(mount: string, root: string): string[] {
  return [mount, ...rootChain(mount, root)];
}

/** Controllers of `wanted` missing from a `cgroup.subtree_control` text, as `+name` writes. */
export function missingControllerWrites(subtreeControl: string, wanted: readonly string[]): string[] {
  const enabled = new Set(parseControllerList(subtreeControl));
  return wanted.filter((c) => !enabled.has(c)).map((c) => `+${c}`);
}

const readNumber = async (file: string): Promise<number | undefined> => {
  const text = await readOptional(file).catch(() => undefined);
  return text === undefined ? undefined : parseMaxValue(text);
};

export class CgroupsV2Isolator implements Isolator {
  readonly kind = 'cgroups-v2' as const;
  readonly root: string;
  readonly mount: string;
  private readonly log: Logger;
  private readonly wanted: readonly V2Controller[];
  private readonly enableCfs: boolean;
  private readonly cleanupTimeoutMs: number;
  private readonly limits = new Map<string, ContainerLimits>();
  private readonly listeners = new Map<string, LimitationListener>();
  private readonly loop: WatchLoop<string>;

  constructor(opts: CgroupsV2Options) {
    this.root = normalizeCgroupsRoot(opts.root);
    this.mount = opts.mount;
    this.log = opts.log.child({ component: 'isolator', isolator: this.kind, cgroupsRoot: this.root });
    this.wanted = opts.controllers ?? ['memory', 'cpu'];
    this.enableCfs = opts.enableCfs ?? false;
    this.cleanupTimeoutMs = opts.cleanupTimeoutMs ?? 10_000;
    this.loop = new WatchLoop(opts.oomPollMs ?? 500, (ids) => this.checkOoms(ids));
  }

  /** The controllers this isolator sets limits with. */
  controllers(): string[] {
    return [...this.wanted];
  }

  procsFiles(containerId: string): string[] {
    return [path.join(this.cgroupDir(containerId), 'cgroup.procs')];
  }

  cgroupDir(containerId: string): string {
    return cgroupPath(this.mount, this.root, containerId);
  }

  /** Create the root levels and enable memory+cpu for their children, top-down. */
  private async ensureRoot(): Promise<void> {
    for (const dir of rootChain(this.mount, this.root)) await makeCgroup(dir);
    for (const dir of subtreeControlDirs(this.mount, this.root)) {
      const file = path.join(dir, 'cgroup.subtree_control');
      const current = (await readOptional(file).catch(() => undefined)) ?? ''; // a write error says more
      for (const write of missingControllerWrites(current, this.wanted)) {
        try {
          await writeControl(file, write);
        } catch (err) {
          const busy = errnoCode(err instanceof IsolationError ? err.cause : err) === 'EBUSY';
          throw new IsolationError(
            'CGROUP_WRITE_FAILED',
            `cannot enable the ${write.slice(1)} controller in ${file}: ${describeError(err instanceof IsolationError ? err.cause : err)}` +
              (busy
                ? ' (the cgroup has processes of its own; cgroup v2 only delegates controllers from cgroups without processes: move them, e.g. the agent, into a leaf cgroup)'
                : ` (is ${write.slice(1)} listed in ${path.join(dir, 'cgroup.controllers')}?)`),
            { cause: err },
          );
        }
      }
    }
  }

  async prepare(containerId: string, limits: ContainerLimits): Promise<LaunchPreparation> {
    validateContainerId(containerId);
    validateLimits(limits);
    const dir = this.cgroupDir(containerId);
    await assertNoCgroup([dir]);
    try {
      await this.ensureRoot();
      await makeCgroup(dir);
      if (this.wanted.includes('memory')) {
        const bytes = memoryLimitBytes(limits.memMb);
        await writeControl(path.join(dir, 'memory.max'), String(bytes));
        if (await pathExists(path.join(dir, 'memory.swap.max'))) await writeControl(path.join(dir, 'memory.swap.max'), '0');
        if (await pathExists(path.join(dir, 'memory.oom.group'))) await writeControl(path.join(dir, 'memory.oom.group'), '1');
      }
      const writes = [
        ...(this.wanted.includes('cpu') ? cpuWritesV2(limits.cpus, this.enableCfs) : []),
        ...(this.wanted.includes('pids') && limits.pids !== undefined ? pidsWrites(limits.pids) : []),
      ];
      for (const w of writes) await writeControl(path.join(dir, w.file), w.value);
      this.limits.set(containerId, limits);
      this.log.debug({ containerId, memMb: limits.memMb, cpus: limits.cpus, cfs: this.enableCfs, pids: limits.pids }, 'cgroup prepared');
    } catch (err) {
      await this.cleanup(containerId).catch(() => undefined);
      throw err;
    }
    return { joinProcsFiles: [path.join(dir, 'cgroup.procs')] };
  }

  async recover(containerId: string, limits: ContainerLimits): Promise<void> {
    validateContainerId(containerId);
    this.limits.set(containerId, limits);
  }

  /** How many forks the pids limit refused. */
  async pidsLimitHits(containerId: string): Promise<number> {
    const text = await readOptional(path.join(this.cgroupDir(containerId), 'pids.events')).catch(() => undefined);
    return text === undefined ? 0 : parsePidsEvents(text);
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
      if (report === null || !this.listeners.has(id)) continue;
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
    if (!this.wanted.includes('memory')) return null;
    const dir = this.cgroupDir(containerId);
    const events = await readOptional(path.join(dir, 'memory.events'));
    if (events === undefined || parseMemoryEvents(events).oomKill === 0) return null;
    const configured = this.limits.get(containerId);
    const limitBytes =
      configured !== undefined
        ? memoryLimitBytes(configured.memMb)
        : ((await readNumber(path.join(dir, 'memory.max'))) ?? 0);
    const peak = await readNumber(path.join(dir, 'memory.peak')); // kernel 5.19+
    return peak === undefined
      ? { limitBytes, evidence: 'oom-kill' }
      : { limitBytes, maxUsedBytes: peak, evidence: 'oom-kill' };
  }

  async pids(containerId: string): Promise<number[]> {
    return readPids(this.cgroupDir(containerId));
  }

  async usage(containerId: string): Promise<ContainerUsage> {
    const dir = this.cgroupDir(containerId);
    const usage: ContainerUsage = {};
    const stat = await readOptional(path.join(dir, 'memory.stat')).catch(() => undefined);
    if (stat === undefined) return usage;
    const anon = parseFlatKeyed(stat).get('anon');
    if (anon !== undefined) usage.memRssBytes = anon;
    const current = await readNumber(path.join(dir, 'memory.current'));
    if (current !== undefined) usage.memTotalBytes = current;
    const limits = this.limits.get(containerId);
    if (limits !== undefined) usage.memLimitBytes = memoryLimitBytes(limits.memMb);
    const cpuStat = await readOptional(path.join(dir, 'cpu.stat')).catch(() => undefined);
    const cpu = cpuStat === undefined ? undefined : parseCpuStatV2(cpuStat);
    if (cpu !== undefined) {
      usage.cpuUserSecs = cpu.userSecs;
      usage.cpuSystemSecs = cpu.systemSecs;
    }
    usage.processes = (await this.pids(containerId)).length;
    const threads = await readNumber(path.join(dir, 'pids.current'));
    if (threads !== undefined) usage.threads = threads;
    return usage;
  }

  async cleanup(containerId: string): Promise<void> {
    validateContainerId(containerId);
    this.listeners.delete(containerId);
    this.loop.delete(containerId);
    const dir = this.cgroupDir(containerId);
    const killFile = path.join(dir, 'cgroup.kill');
    const hasKill = await pathExists(killFile);
    try {
      await drainCgroups([dir], {
        timeoutMs: this.cleanupTimeoutMs,
        ...(hasKill ? { killAll: () => writeControl(killFile, '1') } : {}),
      });
      await removeCgroup(dir, 2_000);
    } catch (err) {
      this.log.error({ containerId, err: describeError(err) }, 'cgroup cleanup failed');
      throw err;
    }
    this.limits.delete(containerId);
    this.log.debug({ containerId }, 'cgroup removed');
  }

  async containers(): Promise<string[]> {
    return (await childCgroups(cgroupPath(this.mount, this.root))).sort();
  }

  async removeRoot(): Promise<void> {
    await removeRootChain(rootChain(this.mount, this.root), 2_000);
    this.log.debug('cgroups root removed');
  }
}
