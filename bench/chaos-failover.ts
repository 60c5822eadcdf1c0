/**
 * The long chaos run of issue 14: `mesos dev` (3 masters, 3 NATS nodes, 3 agents, killed children
 * restarted after 1 s) as a real process, then N SIGKILLs of the leading master, one every few
 * seconds once the cluster has recovered from the last, while the `mesos chaos` workload launches
 * short and long tasks. Reports leader loss → new leader elected and → first offer (p50/p99/max),
 * tasks launched, finished, lost and duplicated, and the replay verify of the whole log.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chaosUser, runChaos } from '../chaos/run.js';
import { percentile } from '../chaos/stats.js';
import { failures, toJson, verifyText } from '../chaos/verdict.js';
import { metric } from './stats.js';
import type { BenchContext, BenchResult } from './types.js';

export interface ChaosFailoverOptions {
  readonly kills: number;
  readonly masters: number;
  readonly agents: number;
  /** Between kills (after recovery). */
  readonly everyMs: number;
  readonly seed: number;
}

export const defaultChaosFailoverOptions = (): ChaosFailoverOptions => ({ kills: 100, masters: 3, agents: 3, everyMs: 3000, seed: 14 });

const MESOS = fileURLToPath(new URL('../cli/mesos.js', import.meta.url));

export async function runChaosFailover(o: ChaosFailoverOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const data = mkdtempSync(join(tmpdir(), 'mesos-bench-chaos-'));
  const dev = spawn(
    process.execPath,
    [MESOS, 'dev', '--masters', String(o.masters), '--agents', String(o.agents), '--nats-nodes', '3', '--restart-killed', '1s', '--port', '0', '--agent-port', '0', '--nats-port', '0', '--services-port', '0', '--log-level', 'warn', '--data', data],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dev.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => dev.once('exit', () => r()));
  try {
    const deadline = Date.now() + 120_000;
    while (!out.includes('cluster is up')) {
      if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`mesos dev did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    ctx.progress(`chaos-failover: cluster up (${o.masters} masters, 3 NATS nodes, ${o.agents} agents); ${o.kills} leader kills, one every ${o.everyMs / 1000} s after recovery`);
    const r = await runChaos(
      {
        data,
        durationMs: o.kills * (o.everyMs + 30_000),
        everyMs: o.everyMs,
        targets: 'leader',
        faults: ['kill'],
        stopMs: 0,
        seed: o.seed,
        concurrency: 12,
        longEvery: 4,
        longSecs: 5,
        resources: 'cpus:0.05;mem:16',
        drainMs: 120_000,
        failoverTimeoutMs: 30_000,
        maxFaults: o.kills,
        waitRecovered: true,
        // As root, the tasks run as nobody: mesos dev's agents refuse root tasks.
        ...(process.getuid?.() === 0 ? { user: chaosUser(undefined, 0)! } : {}),
      },
      (line) => ctx.progress(`chaos-failover: ${line.trim()}`),
      pino({ level: 'warn' }, pino.destination(2)),
    );
    const elected = r.failovers.flatMap((f) => (f.electedMs === null ? [] : [f.electedMs]));
    const served = r.failovers.flatMap((f) => (f.servedMs === null ? [] : [f.servedMs]));
    if (elected.length === 0) throw new Error(`no failover measured: ${failures(r).join('; ')}`);
    const pct = (xs: number[]): string => `p50 ${percentile(xs, 50)} ms, p99 ${percentile(xs, 99)} ms, max ${Math.max(...xs)} ms over ${xs.length}`;
    const j = toJson(r);
    return {
      name: 'chaos-failover',
      params: { ...o, natsNodes: 3, restartKilled: '1s' },
      metrics: {
        'leader kill → new leader elected': metric('ms', elected, { better: 'lower', note: pct(elected) }),
        ...(served.length > 0 ? { 'leader kill → first offer': metric('ms', served, { better: 'lower', note: pct(served) }) } : {}),
        'tasks finished': metric('tasks', [r.tasks.finished]),
        'tasks lost': metric('tasks', [r.tasks.lost], { better: 'lower' }),
        'tasks duplicated': metric('tasks', [r.tasks.duplicated], { better: 'lower' }),
      },
      notes: [
        `chaos-failover: ${r.injected.length} leader kills; new leader ${pct(elected)}${served.length > 0 ? `; first offer ${pct(served)}` : ''}`,
        `chaos-failover: tasks ${r.tasks.launched} launched, ${r.tasks.finished} finished, ${r.tasks.lost} lost, ${r.tasks.duplicated} duplicated; ${j.overcommits} over-commits; verify ${verifyText(r)}`,
        ...failures(r).map((f) => `chaos-failover: VERDICT FAILS: ${f}`),
      ],
      details: { verdict: j, failovers: r.failovers },
      wallMs: performance.now() - started,
    };
  } finally {
    if (dev.exitCode === null) {
      dev.kill('SIGINT');
      await exited;
    }
    rmSync(data, { recursive: true, force: true });
  }
}
