/**
 * A container's runtime directory, `<work-dir>/meta/containers/<containerId>/`: the files through
 * which a task outlives the agent that started it.
 *
 *   supervisor.json   written by the agent after the spawn: {pid, startTicks} of the supervisor
 *   task.pid          written by the supervisor: the task's pid (its session and process group)
 *   status            written by the supervisor when the task ended: its exit status (128+N: signal N)
 *   kill.json         written by the agent when it starts killing the task: {gracePeriodMs, at}
 *
 * (The task runner keeps its own checkpoint, container.json, in the same directory.)
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { posix as path } from 'node:path';
import { z } from 'zod';
import { SUPERVISOR_NAME } from './isolation/launch-wrapper.js';
import { isDead, readCmdline, readProcStat } from './isolation/proc.js';

export const RUNTIME_FILES = {
  supervisor: 'supervisor.json',
  taskPid: 'task.pid',
  status: 'status',
  kill: 'kill.json',
} as const;

export const SupervisorRecord = z.object({ pid: z.number().int().positive(), startTicks: z.number().int().nonnegative() });
export type SupervisorRecord = z.infer<typeof SupervisorRecord>;

export const KillRecord = z.object({ gracePeriodMs: z.number().int().nonnegative(), at: z.number().int().nonnegative() });
export type KillRecord = z.infer<typeof KillRecord>;

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const readSupervisorRecord = (dir: string): Promise<SupervisorRecord | undefined> => readJson(path.join(dir, RUNTIME_FILES.supervisor), SupervisorRecord);
export const readKillRecord = (dir: string): Promise<KillRecord | undefined> => readJson(path.join(dir, RUNTIME_FILES.kill), KillRecord);

export async function writeRuntimeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFile(path.join(dir, name), JSON.stringify(value));
}

/** A pid written as text, or undefined (absent, empty, or cut short). */
export function parsePidText(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) && Number(t) > 0 ? Number(t) : undefined;
}

export const readTaskPid = async (dir: string): Promise<number | undefined> => parsePidText(await readText(path.join(dir, RUNTIME_FILES.taskPid)));

/** The text of a status file: a number and a newline (anything else: absent or still being written). */
export function parseExitStatusText(text: string | undefined): number | undefined {
  if (text === undefined || !text.endsWith('\n')) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** The exit status the supervisor wrote (undefined while the task runs, or if it is cut short). */
export async function readExitStatus(dir: string): Promise<number | undefined> {
  return parseExitStatusText(await readText(path.join(dir, RUNTIME_FILES.status)));
}

/** A shell's exit status as (code, signal): 128+N is "terminated by signal N" when N is a signal. */
export function splitExitStatus(status: number): { code: number | null; signal: NodeJS.Signals | null } {
  if (status > 128 && status < 128 + 65) {
    const n = status - 128;
    const name = (Object.entries(osConstants.signals) as Array<[NodeJS.Signals, number]>).find(([, v]) => v === n)?.[0];
    if (name !== undefined) return { code: null, signal: name };
  }
  return { code: status, signal: null };
}

/** Is the recorded supervisor still running (same pid, same start time, not a zombie)? */
export async function supervisorAlive(r: SupervisorRecord): Promise<boolean> {
  const s = await readProcStat(r.pid);
  return s !== undefined && !isDead(s) && s.startTicks === r.startTicks;
}

/**
 * Find a live supervisor of this runtime dir by its argv (`/bin/sh -c <script> mesos-supervisor
 * <runtimeDir> …`): for an agent that crashed between spawning it and recording its pid.
 */
export async function findSupervisor(runtimeDir: string): Promise<SupervisorRecord | undefined> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    const argv = await readCmdline(pid);
    if (argv === undefined || argv[3] !== SUPERVISOR_NAME || argv[4] !== runtimeDir) continue;
    const s = await readProcStat(pid);
    if (s !== undefined && !isDead(s)) return { pid, startTicks: s.startTicks };
  }
  return undefined;
}
