/**
 * posix isolator: the fallback when cgroups cannot be used. A container is the session (and
 * process group) its first process created when it was spawned detached. No CPU isolation; the
 * memory limit is best-effort: every `pollMs` the resident set of the session's processes is
 * summed from /proc and, above the limit, the whole session is SIGKILLed and that is reported
 * as a memory limitation. A process that calls setsid() itself escapes all of this.
 */
import type { Logger } from 'pino';
import { IsolationError } from './errors.js';
import { memoryLimitBytes, USER_HZ, validateContainerId, validateLimits } from './cgroup-values.js';
import { sleep } from './cgroup-io.js';
import { isDead, listProcesses, readRssBytes, type ProcStat } from './proc.js';
import type {
  ContainerLimits,
  ContainerUsage,
  Isolator,
  LaunchPreparation,
  LimitationListener,
  OomReport,
} from './types.js';
import { WatchLoop } from './watch-loop.js';

export interface PosixIsolatorOptions {
  readonly log: Logger;
  /** RSS poll interval (default 500 ms). */
  readonly pollMs?: number;
  /** How long cleanup keeps killing before it gives up (default 10 s). */
  readonly cleanupTimeoutMs?: number;
}

interface Tracked {
  readonly limits: ContainerLimits;
  /** Session (and process group) id = pid of the first process; set by watch(). */
  leader?: number;
  listener?: LimitationListener;
  maxRssBytes: number;
  oom?: OomReport;
}

/** The live processes of a session: its members by session id or process group (not zombies). */
function members(procs: readonly ProcStat[], leader: number): ProcStat[] {
  return procs.filter((p) => (p.session === leader || p.pgrp === leader) && !isDead(p));
}

async function rssOf(procs: readonly ProcStat[]): Promise<number> {
  const sizes = await Promise.all(procs.map((p) => readRssBytes(p.pid)));
  return sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
}

function killSession(leader: number, procs: readonly ProcStat[]): void {
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // the group may be empty while members that changed group remain
  }
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export class PosixIsolator implements Isolator {
  readonly kind = 'posix' as const;
  private readonly log: Logger;
  private readonly cleanupTimeoutMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private readonly loop: WatchLoop<string>;

  constructor(opts: PosixIsolatorOptions) {
    this.log = opts.log.child({ component: 'isolator', isolator: this.kind });
    this.cleanupTimeoutMs = opts.cleanupTimeoutMs ?? 10_000;
    this.loop = new WatchLoop(opts.pollMs ?? 500, (ids) => this.poll(ids));
  }

  async prepare(containerId: string, limits: ContainerLimits): Promise<LaunchPreparation> {
    validateContainerId(containerId);
    validateLimits(limits);
    this.tracked.set(containerId, { limits, maxRssBytes: 0 });
    return { joinProcsFiles: [] };
  }

  controllers(): string[] {
    return [];
  }

  procsFiles(): string[] {
    return [];
  }

  async recover(containerId: string, limits: ContainerLimits, pid: number): Promise<void> {
    validateContainerId(containerId);
    // pid 0/1: the task's pid is unknown; there is no session to follow then.
    this.tracked.set(containerId, pid > 1 ? { limits, maxRssBytes: 0, leader: pid } : { limits, maxRssBytes: 0 });
  }

  watch(containerId: string, pid: number, onLimitation: LimitationListener): void {
    const t = this.tracked.get(containerId);
    if (t === undefined) throw new IsolationError('UNKNOWN_CONTAINER', `container ${containerId} was not prepared`);
    t.leader = pid;
    t.listener = onLimitation;
    this.loop.add(containerId);
  }

  private async poll(ids: readonly string[]): Promise<void> {
    let procs: ProcStat[];
    try {
      procs = await listProcesses();
    } catch (err) {
      this.log.warn({ err }, 'cannot list processes');
      return;
    }
    for (const id of ids) {
      const t = this.tracked.get(id);
      if (t?.leader === undefined || t.listener === undefined) continue;
      const group = members(procs, t.leader);
      const rss = await rssOf(group);
      t.maxRssBytes = Math.max(t.maxRssBytes, rss);
      const limitBytes = memoryLimitBytes(t.limits.memMb);
      if (rss <= limitBytes) continue;
      const listener = t.listener;
      delete t.listener;
      this.loop.delete(id);
      killSession(t.leader, group);
      t.oom = { limitBytes, maxUsedBytes: t.maxRssBytes, evidence: 'rss-poll' };
      this.log.info({ containerId: id, ...t.oom }, 'container exceeded its memory limit; killed it');
      try {
        listener(t.oom);
      } catch (err) {
        this.log.error({ containerId: id, err }, 'limitation listener threw');
      }
    }
  }

  async oom(containerId: string): Promise<OomReport | null> {
    return this.tracked.get(containerId)?.oom ?? null;
  }

  private async liveMembers(containerId: string): Promise<ProcStat[]> {
    const leader = this.tracked.get(containerId)?.leader;
    return leader === undefined ? [] : members(await listProcesses(), leader);
  }

  async pids(containerId: string): Promise<number[]> {
    return (await this.liveMembers(containerId)).map((p) => p.pid);
  }

  async usage(containerId: string): Promise<ContainerUsage> {
    const t = this.tracked.get(containerId);
    if (t === undefined) return {};
    const group = await this.liveMembers(containerId);
    const ticks = (f: (p: ProcStat) => number): number => group.reduce((s, p) => s + f(p), 0) / USER_HZ;
    return {
      memRssBytes: await rssOf(group),
      memLimitBytes: memoryLimitBytes(t.limits.memMb),
      cpuUserSecs: ticks((p) => p.utimeTicks),
      cpuSystemSecs: ticks((p) => p.stimeTicks),
      processes: group.length,
    };
  }

  async cleanup(containerId: string): Promise<void> {
    this.loop.delete(containerId);
    const t = this.tracked.get(containerId);
    if (t === undefined) return;
    delete t.listener;
    if (t.leader !== undefined) {
      const deadline = Date.now() + this.cleanupTimeoutMs;
      let delay = 5;
      for (;;) {
        const group = members(await listProcesses(), t.leader);
        if (group.length === 0) break;
        if (Date.now() > deadline) {
          throw new IsolationError(
            'PROCESSES_REMAIN',
            `processes ${group.map((p) => p.pid).join(', ')} of container ${containerId} survived SIGKILL for ${this.cleanupTimeoutMs} ms`,
          );
        }
        killSession(t.leader, group);
        await sleep(delay);
        delay = Math.min(delay * 2, 100);
      }
    }
    this.tracked.delete(containerId);
  }

  async containers(): Promise<string[]> {
    return [...this.tracked.keys()].sort();
  }

  async removeRoot(): Promise<void> {
    // Nothing on the host to remove.
  }
}
