/**
 * recovery: what the agent's reliability costs and how fast it comes back.
 *   (a) the durable status queue on this disk: updates queued per second, one at a time (each
 *       fdatasync'ed before the next) and 64 at a time (group commit);
 *   (b) launch: N tasks accepted in one offer, time until all are TASK_RUNNING (each has its
 *       checkpoint fsync'ed, its supervisor spawned, its cgroups made);
 *   (c) recovery: the agent (a real `mesos agent` process) is SIGKILLed with those N tasks running
 *       and started again on its work dir: time from the spawn until it is up with all N
 *       re-attached and reregistered (its line says so); checked: none lost, each finished once.
 * A real nats-server (temp store), an in-process master and SDK framework; the agent's isolation is
 * `--isolation` (auto: cgroups where the host has them).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { type BenchBus, startBenchNats } from './bus.js';
import { type AgentId, SCHEMA_VERSION, type TaskStatus } from '../events/index.js';
import { startMaster } from '../kernel/shell/master/index.js';
import { subscribe } from '../frameworks/sdk/index.js';
import { openStatusQueue, type StatusEvent } from '../agent/status-queue.js';
import { silentLogger } from './log.js';
import { metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface RecoveryBenchOptions {
  /** Tasks running on the agent when it is killed. */
  readonly tasks: number;
  /** Kill/restart cycles (timed runs). */
  readonly runs: number;
  readonly isolation: string;
  /** Updates queued per run of the queue measurement. */
  readonly queueUpdates: number;
  /** An operator-mode server, every party with its own credentials (default); false: an open bus. */
  readonly secure: boolean;
}

export const defaultRecoveryBenchOptions = (): RecoveryBenchOptions => ({ tasks: 50, runs: 5, isolation: 'auto', queueUpdates: 2000, secure: true });

const MESOS = fileURLToPath(new URL('../cli/mesos.js', import.meta.url));

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new SanityError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (i: number): StatusEvent => ({
  type: 'TaskStatusUpdated',
  schemaVersion: SCHEMA_VERSION,
  id: `bench-${i}`,
  time: Date.now(),
  status: { agentId: 'a' as AgentId, frameworkId: 'f' as never, taskId: `t${i}` as never, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: `bench-${i}`, timestamp: Date.now() },
});

async function queueRates(n: number): Promise<{ serial: number; grouped: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  try {
    const q = await openStatusQueue(dir);
    let t0 = performance.now();
    for (let i = 0; i < n; i++) await q.put(event(i));
    const serial = n / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, (_, j) => q.put(event(n + i + j))));
    const grouped = n / ((performance.now() - t0) / 1000);
    await q.close();
    return { serial, grouped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runRecoveryBench(o: RecoveryBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const log = silentLogger();
  const serial: number[] = [];
  const grouped: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const q = await queueRates(o.queueUpdates);
    serial.push(q.serial);
    grouped.push(q.grouped);
  }
  ctx.progress(`recovery: queue ${Math.round(serial[0]!)}/s one at a time, ${Math.round(grouped[0]!)}/s grouped`);

  const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const nb: BenchBus = await startBenchNats({ auth: o.secure });
  const server = nb.server;
  const master = await startMaster({ nats: server.url, port: 0, allocationIntervalMs: 100, ...nb.as('master', 'bench-master') }, log);
  const fw = await subscribe({ nats: server.url, name: 'bench-agent', log, ...nb.as('framework', randomUUID()) });
  // One agent identity for every restart: its id is its credentials' name.
  const agentArgs = nb.cliArgs('agent', randomUUID());
  const seen: TaskStatus[] = [];
  fw.updates$.subscribe((s) => {
    seen.push(s);
    void fw.acknowledge(s).catch(() => undefined);
  });
  const workDir = join(dir, 'agent');
  const cgroupsRoot = `mesos-bench-${process.pid}`;
  let proc: ChildProcess | undefined;
  const startAgent = async (): Promise<{ proc: ChildProcess; agentId: string; banner: string; ms: number }> => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [MESOS, 'agent', '--nats', server.url, '--work-dir', workDir, '--resources', `cpus:${o.tasks};mem:${32 * o.tasks + 512};disk:1024`, '--isolation', o.isolation, '--cgroups-root', cgroupsRoot, '--port', '0', '--allow-root-tasks', '--log-level', process.env.BENCH_AGENT_LOG ?? 'warn', ...agentArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    if (process.env.BENCH_AGENT_LOG !== undefined) p.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    const banner = await until('the agent to start', () => /^agent (\S+) running .*\n/m.exec(out)?.[0]?.trim() ?? (p.exitCode !== null ? Promise.reject(new SanityError(`agent exited: ${out}`)) : undefined), 60_000);
    return { proc: p, agentId: /^agent (\S+)/.exec(banner)![1]!, banner, ms: performance.now() - t0 };
  };
  const restartMs: number[] = [];
  const reregisterMs: number[] = [];
  let launchMs = 0;
  try {
    await master.caughtUp;
    await until('the master to lead', () => master.isLeader(), 30_000);
    const first = await startAgent();
    proc = first.proc;
    const agentId = first.agentId as AgentId;
    // (b) launch N tasks in one accept
    const offer = await until('an offer', () => fw.outstandingOffers().find((x) => x.agentId === agentId), 30_000);
    const t0 = performance.now();
    await fw.accept(
      [offer.id],
      Array.from({ length: o.tasks }, (_, i) => ({ taskId: `b${i}`, agentId, resources: 'cpus:0.5;mem:32', command: 'until [ -e go ]; do sleep 0.5; done' })),
      { refuseSeconds: 0 },
    );
    await until('every task to run', () => new Set(seen.filter((s) => s.state === 'TASK_RUNNING').map((s) => s.taskId)).size === o.tasks, 120_000);
    launchMs = performance.now() - t0;
    ctx.progress(`recovery: ${o.tasks} tasks running after ${Math.round(launchMs)} ms`);
    // (c) kill -9 and restart, R times
    for (let r = 0; r < o.runs; r++) {
      const before = master.state().agents.get(agentId)?.reregisteredAt ?? 0;
      proc.kill('SIGKILL');
      await new Promise((res) => proc!.once('exit', res));
      const again = await startAgent();
      proc = again.proc;
      if (again.agentId !== agentId) throw new SanityError('the agent came back with another id');
      if (!again.banner.includes(`recovered: ${o.tasks} running`)) throw new SanityError(`not every task was re-attached: ${again.banner}`);
      const t1 = performance.now() - again.ms;
      await until('the reregistration to be folded', () => (master.state().agents.get(agentId)?.reregisteredAt ?? 0) > before, 30_000);
      restartMs.push(again.ms);
      reregisterMs.push(performance.now() - t1);
      ctx.progress(`recovery: restart ${r + 1}/${o.runs}: up in ${Math.round(again.ms)} ms`);
    }
    if (seen.some((s) => s.state === 'TASK_LOST' || s.state === 'TASK_FAILED')) throw new SanityError('a task was lost or failed across the restarts');
    // Let them finish: every task reports TASK_FINISHED, once.
    const root = join(workDir, 'meta', 'containers');
    for (const id of readdirSync(root)) {
      const cp = JSON.parse(readFileSync(join(root, id, 'container.json'), 'utf8')) as { sandbox: string };
      writeFileSync(join(cp.sandbox, 'go'), '');
    }
    await until('every task to finish', () => seen.filter((s) => s.state === 'TASK_FINISHED').length === o.tasks, 120_000);
  } finally {
    if (proc !== undefined && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((res) => proc!.once('exit', res));
    }
    await fw.close();
    await master.stop();
    await nb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'recovery',
    params: { tasks: o.tasks, runs: o.runs, isolation: o.isolation, queueUpdates: o.queueUpdates },
    metrics: {
      'status queue, one at a time': metric('updates/s', serial, { note: 'each put fdatasync\'ed before the next' }),
      'status queue, 64 at a time': metric('updates/s', grouped, { note: 'group commit' }),
      [`launch of ${o.tasks} tasks`]: metric('ms', [launchMs], { better: 'lower', note: 'one accept → all TASK_RUNNING' }),
      [`restart with ${o.tasks} running`]: metric('ms', restartMs, { better: 'lower', note: 'SIGKILL, spawn → up, all re-attached' }),
    },
    notes: [
      `isolation ${o.isolation}; no task lost or failed across ${o.runs} SIGKILLs; each finished once afterwards`,
      `the agent appends AgentReregistered before it says it is up; the master had folded it ${Math.round(Math.max(...reregisterMs) - Math.max(...restartMs))} ms or less after that (polled)`,
    ],
    wallMs: performance.now() - started,
  };
}
