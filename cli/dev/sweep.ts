/**
 * After `mesos dev` has stopped its children: anything they left behind goes too. Processes
 * whose working directory lies under the agents' work dirs (`<data>/agents`: sandboxes), or whose
 * cgroup lies under the agents' cgroups root (e.g. the tasks of an agent that was SIGKILLed and left dead), are
 * SIGKILLed; mounts under the data dir are unmounted (lazily); the agents' cgroups are removed.
 * Linux only (reads /proc); elsewhere it finds nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Leftovers {
  readonly pids: number[];
  readonly mounts: string[];
  readonly cgroups: string[];
}

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** Pids (not this process) that belong to this dev cluster. */
export function leftoverPids(data: string, cgroupsRoot: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || pid === process.ppid) continue;
    try {
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // a zombie or not ours to read
      }
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      const mine =
        under(cwd, join(data, 'agents')) ||
        cgroup.split('\n').some((l) => l.split(':')[2]?.split('/').includes(cgroupsRoot));
      if (mine) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Mount points under the data dir (deepest first). */
export function leftoverMounts(data: string): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m !== '' && under(m, data))
      .sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

/** The agents' cgroup dirs under every hierarchy (deepest first). */
export function leftoverCgroups(cgroupsRoot: string): string[] {
  const base = '/sys/fs/cgroup';
  const roots: string[] = [];
  if (existsSync(join(base, 'cgroup.controllers'))) roots.push(join(base, cgroupsRoot)); // v2
  else {
    try {
      for (const h of readdirSync(base)) roots.push(join(base, h, cgroupsRoot));
    } catch {
      // no cgroups
    }
  }
  const out: string[] = [];
  const walk = (dir: string): void => {
    try {
      if (!statSync(dir).isDirectory()) return;
    } catch {
      return;
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    out.push(dir);
  };
  roots.forEach(walk);
  return out;
}

export function findLeftovers(data: string, cgroupsRoot: string): Leftovers {
  return { pids: leftoverPids(data, cgroupsRoot), mounts: leftoverMounts(data), cgroups: leftoverCgroups(cgroupsRoot) };
}

/** Removes what is left; returns what it found. */
export async function sweep(data: string, cgroupsRoot: string): Promise<Leftovers> {
  const found = findLeftovers(data, cgroupsRoot);
  for (const pid of found.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (found.pids.length > 0) await new Promise((r) => setTimeout(r, 200)); // let the kernel reap them before their cgroups go
  for (const m of found.mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // not ours to unmount
    }
  }
  for (const dir of leftoverCgroups(cgroupsRoot)) {
    try {
      rmdirSync(dir);
    } catch {
      // busy or not ours
    }
  }
  return found;
}
