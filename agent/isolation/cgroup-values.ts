/**
 * Pure helpers for cgroups: unit conversions, name validation, path building and parsers for the
 * text formats of cgroup control files. No I/O here.
 */
import { posix as path } from 'node:path';
import { IsolationError } from './errors.js';
import type { ContainerLimits } from './types.js';

export const MIB = 1024 * 1024;

/** cgroup v1 `cpu.shares` bounds (kernel MIN_SHARES / MAX_SHARES). */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;
/** cgroup v2 `cpu.weight` bounds. */
export const MIN_CPU_WEIGHT = 1;
export const MAX_CPU_WEIGHT = 10000;

/** Kernel ticks per second in /proc and cpuacct.stat (USER_HZ; 100 on every Linux ABI in use). */
export const USER_HZ = 100;

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/** Mesos: `cpu.shares = max(2, cpus * 1024)`, also capped at the kernel maximum. */
export function cpuShares(cpus: number): number {
  return clamp(Math.round(cpus * 1024), MIN_CPU_SHARES, MAX_CPU_SHARES);
}

/**
 * v1 shares -> v2 weight, the mapping used by runc/crun/systemd:
 * `1 + ((shares - 2) * 9999) / 262142` (integer arithmetic), clamped to 1..10000.
 */
export function sharesToWeight(shares: number): number {
  const s = clamp(Math.round(shares), MIN_CPU_SHARES, MAX_CPU_SHARES);
  return clamp(Math.floor(1 + ((s - 2) * 9999) / 262142), MIN_CPU_WEIGHT, MAX_CPU_WEIGHT);
}

export function memoryLimitBytes(memMb: number): number {
  return Math.floor(memMb * MIB);
}

export function validateLimits(limits: ContainerLimits): void {
  const bad = (what: string): never => {
    throw new IsolationError('INVALID_LIMITS', `invalid container limits: ${what}`);
  };
  if (!Number.isFinite(limits.cpus) || limits.cpus <= 0) bad(`cpus must be > 0 (got ${limits.cpus})`);
  if (!Number.isFinite(limits.memMb) || limits.memMb <= 0) bad(`memMb must be > 0 (got ${limits.memMb})`);
  if (memoryLimitBytes(limits.memMb) < 4096) bad(`memMb is below one page (got ${limits.memMb})`);
  if (limits.pids !== undefined && (!Number.isInteger(limits.pids) || limits.pids <= 0)) {
    bad(`pids must be a positive integer (got ${limits.pids})`);
  }
}

const NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/** A valid single cgroup directory name: safe characters, not `.`/`..`. */
export function isValidCgroupName(name: string): boolean {
  return NAME.test(name) && name !== '.' && name !== '..';
}

export function validateContainerId(containerId: string): void {
  if (!isValidCgroupName(containerId)) {
    throw new IsolationError(
      'INVALID_CONTAINER_ID',
      `invalid container id ${JSON.stringify(containerId)}: use 1-200 of [A-Za-z0-9_.-] (it names a cgroup and a directory)`,
    );
  }
}

/**
 * Normalises a cgroups root such as `mesos` or `/mesos/agent-1/` to `mesos/agent-1`.
 * Each segment must be a valid cgroup name.
 */
export function normalizeCgroupsRoot(root: string): string {
  const segments = root.split('/').filter((s) => s.length > 0);
  if (segments.length === 0 || !segments.every(isValidCgroupName)) {
    throw new IsolationError(
      'INVALID_CGROUPS_ROOT',
      `invalid cgroups root ${JSON.stringify(root)}: use "/"-separated names of [A-Za-z0-9_.-] such as "mesos/agent-1"`,
    );
  }
  return segments.join('/');
}

/** `<mount>/<root>[/<containerId>]` for one hierarchy. */
export function cgroupPath(mount: string, root: string, containerId?: string): string {
  return containerId === undefined ? path.join(mount, root) : path.join(mount, root, containerId);
}

/**
 * The directories from `<mount>/<first root segment>` down to `<mount>/<root>`, outermost first
 * (for creating them in order, enabling v2 controllers on each, or removing them in reverse).
 */
export function rootChain(mount: string, root: string): string[] {
  const out: string[] = [];
  let current = mount;
  for (const segment of root.split('/')) {
    current = path.join(current, segment);
    out.push(current);
  }
  return out;
}

/**
 * Parses "flat keyed" control files (`key value` per line): memory.stat, memory.events,
 * memory.oom_control, cpu.stat, cpuacct.stat. Lines whose value is not an integer are skipped.
 */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(-?\d+)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
  }
  return out;
}

export interface OomControl {
  readonly oomKillDisable: boolean;
  readonly underOom: boolean;
  /** Number of OOM kills in the cgroup; undefined on kernels older than 4.13 (no such line). */
  readonly oomKill: number | undefined;
}

/** cgroup v1 `memory.oom_control`. */
export function parseOomControl(text: string): OomControl {
  const kv = parseFlatKeyed(text);
  return {
    oomKillDisable: kv.get('oom_kill_disable') === 1,
    underOom: kv.get('under_oom') === 1,
    oomKill: kv.get('oom_kill'),
  };
}

export interface MemoryEvents {
  readonly low: number;
  readonly high: number;
  readonly max: number;
  readonly oom: number;
  readonly oomKill: number;
}

/** cgroup v2 `memory.events` (missing keys read as 0). */
export function parseMemoryEvents(text: string): MemoryEvents {
  const kv = parseFlatKeyed(text);
  const get = (k: string): number => kv.get(k) ?? 0;
  return { low: get('low'), high: get('high'), max: get('max'), oom: get('oom'), oomKill: get('oom_kill') };
}

/** `cgroup.procs` / `tasks`: one pid per line. */
export function parseProcs(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/^\d+$/.test(t)) out.push(Number(t));
  }
  return out;
}

export interface CpuTimes {
  readonly userSecs: number;
  readonly systemSecs: number;
}

/** cgroup v1 `cpuacct.stat` (`user N` / `system N` in USER_HZ ticks). */
export function parseCpuacctStat(text: string): CpuTimes | undefined {
  const kv = parseFlatKeyed(text);
  const user = kv.get('user');
  const system = kv.get('system');
  if (user === undefined || system === undefined) return undefined;
  return { userSecs: user / USER_HZ, systemSecs: system / USER_HZ };
}

/** cgroup v2 `cpu.stat` (`user_usec` / `system_usec`). */
export function parseCpuStatV2(text: string): CpuTimes | undefined {
  const kv = parseFlatKeyed(text);
  const user = kv.get('user_usec');
  const system = kv.get('system_usec');
  if (user === undefined || system === undefined) return undefined;
  return { userSecs: user / 1e6, systemSecs: system / 1e6 };
}

/** cgroup v2 `cgroup.controllers` / `cgroup.subtree_control`: space-separated names. */
export function parseControllerList(text: string): string[] {
  return text.split(/\s+/).filter((s) => s.length > 0);
}

/** `memory.max` etc.: a number of bytes or `max` (unlimited -> undefined). */
export function parseMaxValue(text: string): number | undefined {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}
