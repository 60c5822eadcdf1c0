/**
 * Masters as real processes (`mesos master`), so that tests can kill -9, SIGSTOP and SIGCONT them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const MESOS = fileURLToPath(new URL('../../cli/mesos.js', import.meta.url));

export interface MasterProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  /** Is it elected, per its own metrics? (null when it does not answer) */
  elected(): Promise<boolean | null>;
}

/** `wrap`: a command prefix it runs under (e.g. nsenter into a network namespace; it must exec). */
export async function spawnMaster(nats: string, args: readonly string[] = [], wrap: readonly string[] = []): Promise<MasterProcess> {
  const argv = [MESOS, 'master', '--nats', nats, '--port', '0', '--log-level', 'warn', ...args];
  const proc = spawn(wrap[0] ?? process.execPath, wrap.length > 0 ? [...wrap.slice(1), process.execPath, ...argv] : argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await waitFor(() => /master listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(`master exited: ${out}`)) : undefined), 'the master to listen', 20_000);
  return {
    url,
    proc,
    exited,
    output: () => out,
    async elected() {
      try {
        const m = (await (await fetch(`${url}/metrics/snapshot`, { signal: AbortSignal.timeout(1000) })).json()) as Record<string, number>;
        return m['master/elected'] === 1;
      } catch {
        return null;
      }
    },
  };
}

/** The master (among these) that says it is elected. */
export async function findLeader(masters: readonly MasterProcess[]): Promise<MasterProcess | undefined> {
  for (const m of masters) if (m.proc.exitCode === null && m.proc.signalCode === null && (await m.elected()) === true) return m;
  return undefined;
}

export interface ChildProcessHandle {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  /** Lines of stdout that parse as JSON. */
  events(): Array<Record<string, unknown>>;
}

function track(proc: ChildProcess): ChildProcessHandle {
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    exited,
    output: () => out + err,
    events: () =>
      out.split('\n').flatMap((l) => {
        try {
          return l.trim() === '' ? [] : [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
  };
}

/** `mesos agent` as a process of its own (so that it can be killed with SIGKILL and started again). */
export async function spawnAgent(nats: string, args: readonly string[]): Promise<ChildProcessHandle & { agentId: string }> {
  // Its HTTP endpoint on a free port unless the test names one (the command's default, 5051, is shared by everyone on this machine).
  const port = args.includes('--port') ? [] : ['--port', '0'];
  // The suite's frameworks run tasks as the tests' user, root: allowed here, refused by default.
  const proc = spawn(process.execPath, [MESOS, 'agent', '--nats', nats, '--log-level', 'warn', '--allow-root-tasks', ...port, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const h = track(proc);
  const agentId = await waitFor(
    () => /agent (\S+) running/.exec(h.output())?.[1] ?? (proc.exitCode !== null ? Promise.reject(new Error(`agent exited: ${h.output()}`)) : undefined),
    'the agent to start',
    20_000,
  );
  return { ...h, agentId };
}

const FRAMEWORK = fileURLToPath(new URL('./framework-process.js', import.meta.url));

/** test/helpers/framework-process.ts as a process of its own; resolves once it has subscribed. */
export async function spawnFramework(options: Record<string, unknown>): Promise<ChildProcessHandle> {
  const proc = spawn(process.execPath, [FRAMEWORK, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const h = track(proc);
  await waitFor(
    () => h.events().some((e) => e.ev === 'subscribed') || (proc.exitCode !== null ? Promise.reject(new Error(`framework exited: ${h.output()}`)) : undefined),
    'the framework to subscribe',
    20_000,
  );
  return h;
}
