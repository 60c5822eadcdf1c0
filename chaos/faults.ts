/**
 * The faults `mesos chaos` injects into a child of `mesos dev`:
 * - kill: SIGKILL (mesos dev leaves it dead, or restarts it with --restart-killed);
 * - stop: SIGSTOP, then SIGCONT after a while (a frozen process: its connections stay open);
 * - partition: cut the process off NATS. That needs the process in a network namespace of its own
 *   (or a firewall that matches it); `partitionSupport()` says whether this machine has what it
 *   takes, and why not.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { DevChild } from './dev-state.js';

export const FAULTS = ['kill', 'stop', 'partition'] as const;
export type Fault = (typeof FAULTS)[number];

export function parseFaults(text: string): Fault[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const bad = parts.filter((p) => !(FAULTS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) throw new RangeError(`--faults takes a comma-separated list of ${FAULTS.join(', ')} (got "${text}")`);
  return [...new Set(parts)] as Fault[];
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * A partition of one process needs a packet filter that matches it: iptables or nft with the
 * cgroup match (net_cls classid on cgroup v1, the cgroup path on v2). Returns the reason when this
 * machine lacks it. (The injection itself is not built yet: even where the tools exist, the kind
 * is reported as skipped with that reason.)
 */
export function partitionSupport(): { ok: true } | { ok: false; why: string } {
  const filter = onPath('iptables') || onPath('nft');
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const netCls = existsSync('/sys/fs/cgroup/net_cls') || existsSync('/sys/fs/cgroup/net_cls,net_prio');
  if (!filter) return { ok: false, why: 'no iptables or nft on PATH to block a process\'s NATS port' };
  if (!v2 && !netCls) return { ok: false, why: 'no net_cls cgroup (cgroup v1) to tell the process\'s packets apart' };
  return { ok: false, why: 'partition injection is not built yet (the filter tools are here)' };
}

export interface Applied {
  readonly fault: Fault;
  readonly target: DevChild;
  readonly at: number;
  /** For `stop`: resolves once SIGCONT is sent. */
  readonly resumed: Promise<void>;
}

/** Sends the fault's signal(s). A `stop` is undone after `stopMs`, or at once by `resumeAll()`. */
export class FaultInjector {
  private readonly frozen = new Map<number, () => void>();

  apply(fault: Exclude<Fault, 'partition'>, target: DevChild, stopMs: number): Applied {
    const at = Date.now();
    if (fault === 'kill') {
      process.kill(target.pid, 'SIGKILL');
      return { fault, target, at, resumed: Promise.resolve() };
    }
    process.kill(target.pid, 'SIGSTOP');
    const resumed = new Promise<void>((res) => {
      const cont = (): void => {
        clearTimeout(timer);
        this.frozen.delete(target.pid);
        try {
          process.kill(target.pid, 'SIGCONT');
        } catch {
          // gone meanwhile
        }
        res();
      };
      const timer = setTimeout(cont, stopMs);
      this.frozen.set(target.pid, cont);
    });
    return { fault, target, at, resumed };
  }

  /** SIGCONT every process still frozen. */
  resumeAll(): void {
    for (const cont of [...this.frozen.values()]) cont();
  }
}
