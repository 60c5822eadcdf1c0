/**
 * `mesos master` as a real child process, for benchmarks that kill -9 it (bench/failover.ts).
 *
 * The process logs JSON lines (pino) at `info` to stderr: the lines the benchmark reads (lease,
 * election, snapshot load and writes, catching up) are kept with their own timestamps, every line is
 * counted by message, and the last ones are kept for a failure report. Everything spawned here is
 * SIGKILLed when this process exits (and, through the IPC channel, a master stops by itself when
 * this process goes away without exiting cleanly).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MESOS = fileURLToPath(new URL('../cli/mesos.js', import.meta.url));

/** A log line of interest: its message, its own time (ms) and its fields. */
export interface MasterLogLine {
  readonly msg: string;
  readonly time: number;
  readonly level: number;
  readonly fields: Record<string, unknown>;
}

const KEEP_MESSAGES = new Set([
  'holds the leader lease',
  'elected leader',
  'loaded a snapshot',
  'caught up with the log',
  'wrote a snapshot',
  'no longer the leader',
  'lost the leader lease',
  'master started',
]);

export interface MasterProcess {
  readonly label: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Wall time (Date.now) just before spawn. */
  readonly spawnedAt: number;
  /** Set once it printed its URL. */
  url: string | undefined;
  port: number | undefined;
  readonly exited: Promise<number | null>;
  alive(): boolean;
  /** Lines of interest (KEEP_MESSAGES), in order. */
  readonly lines: MasterLogLine[];
  /** Lines per message, warnings and errors included. */
  readonly counts: Map<string, number>;
  /** Warnings and errors: message → count, and the first few verbatim. */
  readonly warnings: Map<string, number>;
  readonly firstWarnings: string[];
  tail(): string;
  /** Resident set size now (bytes), NaN when gone. */
  rssBytes(): number;
  /** Peak resident set size so far (VmHWM, bytes), NaN when gone. */
  peakRssBytes(): number;
  /** SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
let hooked = false;
function killChildren(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killChildren);
  // Interrupted (Ctrl-C, timeout): kill the masters, then exit, which runs every other exit hook
  // (cli/nats/ kills its servers there). A master told by signal or by the IPC channel
  // to stop may take long to stop while it is busy, so they are not asked.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`bench: ${sig}: killing ${children.size} master process(es)\n`);
      killChildren();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface SpawnOptions {
  readonly label: string;
  /** node's --max-old-space-size (MB) for the master; undefined: node's default. */
  readonly heapMb?: number;
  /** How long to wait for it to listen (it loads a snapshot first). */
  readonly listenTimeoutMs: number;
}

/** Spawn `mesos master --nats URL --port 0 --log-level info ARGS`; resolves once it listens. */
export async function spawnMasterProcess(nats: string, args: readonly string[], o: SpawnOptions): Promise<MasterProcess> {
  hookExit();
  const nodeArgs = o.heapMb !== undefined ? [`--max-old-space-size=${o.heapMb}`] : [];
  const spawnedAt = Date.now();
  const proc = spawn(process.execPath, [...nodeArgs, MESOS, 'master', '--nats', nats, '--port', '0', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(proc);
  // The IPC channel exists only so the master stops when we vanish; it must not keep us alive.
  proc.channel?.unref();
  const lines: MasterLogLine[] = [];
  const counts = new Map<string, number>();
  const warnings = new Map<string, number>();
  const firstWarnings: string[] = [];
  const ring: string[] = [];
  let partial = '';
  let stdout = '';
  let gone = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      gone = true;
      children.delete(proc);
      resolve(code);
    });
    proc.once('error', () => {
      gone = true;
      children.delete(proc);
      resolve(null);
    });
  });
  const onLine = (line: string): void => {
    ring.push(line.slice(0, 2000));
    if (ring.length > 40) ring.shift();
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const msg = String(j.msg ?? '?');
    const level = Number(j.level ?? 0);
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
    if (level >= 40) {
      warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
      if (firstWarnings.length < 10) {
        const err = j.err as { message?: unknown } | undefined;
        const extra = Object.entries(j)
          .filter(([k]) => !['level', 'time', 'pid', 'name', 'masterId', 'msg', 'err', 'component', 'hostname'].includes(k))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        firstWarnings.push(`${new Date(Number(j.time ?? 0)).toISOString().slice(11, 23)} ${msg}${err?.message !== undefined ? `: ${String(err.message).slice(0, 300)}` : ''}${extra ? ` (${extra.slice(0, 300)})` : ''}`);
      }
    }
    if (KEEP_MESSAGES.has(msg)) lines.push({ msg, time: Number(j.time ?? 0), level, fields: j });
  };
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (l.trim() !== '') onLine(l);
  });
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < 10_000) stdout += d;
  });

  const m: MasterProcess = {
    label: o.label,
    pid: proc.pid ?? -1,
    proc,
    spawnedAt,
    url: undefined,
    port: undefined,
    exited,
    alive: () => !gone && proc.exitCode === null && proc.signalCode === null,
    lines,
    counts,
    warnings,
    firstWarnings,
    tail: () => [...ring, partial].filter((l) => l !== '').join('\n'),
    rssBytes: () => (gone ? Number.NaN : procStatusBytes(proc.pid ?? -1, 'VmRSS')),
    peakRssBytes: () => (gone ? Number.NaN : procStatusBytes(proc.pid ?? -1, 'VmHWM')),
    async kill() {
      if (!gone) proc.kill('SIGKILL');
      await exited;
    },
  };

  const deadline = Date.now() + o.listenTimeoutMs;
  for (;;) {
    const u = /master listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    if (u !== undefined) {
      m.url = u;
      m.port = Number(new URL(u).port);
      return m;
    }
    if (gone) throw new Error(`master ${o.label} exited before listening (code ${proc.exitCode}, signal ${proc.signalCode}); its last output:\n${m.tail()}\n${stdout}`);
    if (Date.now() > deadline) {
      await m.kill();
      throw new Error(`master ${o.label} did not listen within ${o.listenTimeoutMs} ms; its last output:\n${m.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** GET a master's URL path with a timeout; null when it does not answer. */
export async function getJson<T>(m: MasterProcess, path: string, timeoutMs: number): Promise<T | null> {
  if (m.url === undefined || !m.alive()) return null;
  try {
    const r = await fetch(`${m.url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return null;
    return (await r.json()) as T;
  } catch {
    return null;
  }
}

/** Is /health 200 (caught up with the log)? */
export async function healthy(m: MasterProcess, timeoutMs = 2000): Promise<boolean> {
  if (m.url === undefined || !m.alive()) return false;
  try {
    const r = await fetch(`${m.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}
