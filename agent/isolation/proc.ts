/**
 * Reading processes from /proc: pure parsers for `/proc/<pid>/stat` and `/proc/<pid>/status`,
 * and small readers built on them (used by the posix isolator and to skip zombies).
 */
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z (zombie), T, t, X (dead), I, ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** CPU time in USER_HZ ticks. */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** When the process started, in ticks since boot: with the pid, it names one process for good. */
  readonly startTicks: number;
}

/** `/proc/<pid>/stat`. `comm` may hold spaces and parentheses, so split at the last `)`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const num = (i: number): number => Number(rest[i]);
  const state = rest[0];
  if (!Number.isInteger(pid) || state === undefined || rest.length < 20) return undefined;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    utimeTicks: num(11),
    stimeTicks: num(12),
    startTicks: num(19),
  };
}

/** `VmRSS:` of `/proc/<pid>/status`, in bytes (absent for kernel threads and zombies). */
export function parseVmRssBytes(statusText: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

export const isDead = (s: ProcStat): boolean => s.state === 'Z' || s.state === 'X' || s.state === 'x';

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export async function readRssBytes(pid: number): Promise<number | undefined> {
  try {
    return parseVmRssBytes(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process on the host (threads not listed), best-effort: processes may vanish meanwhile. */
export async function listProcesses(): Promise<ProcStat[]> {
  const names = await readdir('/proc');
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProcStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/** True if the process exists and is not a zombie. */
export async function isLive(pid: number): Promise<boolean> {
  const s = await readProcStat(pid);
  return s !== undefined && !isDead(s);
}

/** The subset of `pids` that are live (not exited, not zombies). */
export async function livePids(pids: readonly number[]): Promise<number[]> {
  const alive = await Promise.all(pids.map(isLive));
  return pids.filter((_, i) => alive[i] === true);
}

/** `/proc/<pid>/cmdline` as its argv ([] for kernel threads, undefined if the process is gone). */
export async function readCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const parts = text.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}

/** The process `pid`, if it is live (not a zombie) and started at `startTicks`. */
export async function isSameLiveProcess(pid: number, startTicks: number): Promise<boolean> {
  const s = await readProcStat(pid);
  return s !== undefined && !isDead(s) && s.startTicks === startTicks;
}
