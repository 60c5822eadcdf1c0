/**
 * Agents as real processes (`mesos agent`), so that tests can kill -9 and restart them; and the
 * checks that nothing an agent started is left on the host (processes, cgroups).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cgroupV1Mounts, cgroupV2Mounts, readMounts } from '../../agent/isolation/mounts.js';
import { readProcStat } from '../../agent/isolation/proc.js';
import { waitFor } from './wait.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));

export interface AgentProcess {
  readonly agentId: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The line it printed when it was up (isolation, recovery). */
  readonly banner: string;
  output(): string;
  /** SIGKILL, and wait until it is gone. */
  crash(): Promise<void>;
  /** SIGTERM (graceful stop: tasks killed), and wait. */
  stop(): Promise<number | null>;
}

export interface AgentProcessOptions {
  readonly nats: string;
  /** The agent's own NATS credentials (`--creds`): they name its id. */
  readonly creds?: string;
  readonly workDir: string;
  readonly resources: string;
  readonly cgroupsRoot: string;
  readonly isolation?: string;
  readonly extra?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Default: $MESOS_TEST_LOG, else warn. */
  readonly logLevel?: string;
}

export async function spawnAgent(o: AgentProcessOptions): Promise<AgentProcess> {
  const proc = spawn(
    process.execPath,
    [
      MESOS,
      'agent',
      '--nats',
      o.nats,
      ...(o.creds !== undefined ? ['--creds', o.creds] : []),
      '--work-dir',
      o.workDir,
      '--resources',
      o.resources,
      '--isolation',
      o.isolation ?? 'auto',
      '--cgroups-root',
      o.cgroupsRoot,
      '--kill-grace-period',
      '500ms',
      '--allow-root-tasks',
      // its HTTP endpoint on a free port (the command's default, 5051, is shared by everyone here)
      ...((o.extra ?? []).includes('--port') ? [] : ['--port', '0']),
      '--log-level',
      o.logLevel ?? process.env.MESOS_TEST_LOG ?? 'warn',
      ...(o.extra ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const banner = await waitFor(
    () => /^agent \S+ running .*\n/m.exec(out)?.[0]?.trim() ?? (proc.exitCode !== null ? `EXITED ${proc.exitCode}` : undefined),
    'the agent to start',
    o.readyTimeoutMs ?? 30_000,
  );
  if (banner.startsWith('EXITED ')) throw new Error(`the agent exited (${banner.slice(7)}): ${out}`);
  const agentId = /^agent (\S+) running/.exec(banner)![1]!;
  return {
    agentId,
    proc,
    exited,
    banner,
    output: () => out,
    async crash() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Start an agent expected to refuse to start; resolves with its exit code and output. */
export function runAgentExpectingExit(o: AgentProcessOptions): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [MESOS, 'agent', '--nats', o.nats, ...(o.creds !== undefined ? ['--creds', o.creds] : []), '--work-dir', o.workDir, '--resources', o.resources, '--isolation', o.isolation ?? 'auto', '--cgroups-root', o.cgroupsRoot, '--port', '0', '--allow-root-tasks', '--log-level', 'warn', ...(o.extra ?? [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, output: out });
    });
  });
}

/**
 * Live processes that belong to a work dir: whose argv names it (supervisors), or whose cwd is in
 * it (tasks run in their sandbox). Zombies are not counted (this host's init does not reap).
 */
export async function processesUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const st = await readProcStat(pid);
    if (st === undefined || st.state === 'Z' || st.state === 'X') continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cmd.includes(dir) || cwd.startsWith(dir)) out.push(pid);
  }
  return out;
}

/** Kill whatever processes are left under a work dir (test cleanup). */
export async function killProcessesUnder(dir: string): Promise<void> {
  for (const pid of await processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Every cgroup directory under `<mount>/<root>` in every hierarchy (v1 and v2), recursively. */
export async function cgroupsUnder(root: string): Promise<string[]> {
  const mounts = await readMounts();
  const points = new Set([...cgroupV1Mounts(mounts).values(), ...cgroupV2Mounts(mounts)]);
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const s = await stat(dir).catch(() => undefined);
    if (s === undefined || !s.isDirectory()) return;
    out.push(dir);
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  for (const m of points) await walk(join(m, root));
  return out;
}

/** Test cleanup after a failure: remove every cgroup under the root, deepest first. */
export async function removeCgroupsUnder(root: string): Promise<void> {
  const { rmdir } = await import('node:fs/promises');
  for (const d of (await cgroupsUnder(root)).sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
}
