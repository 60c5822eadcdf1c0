/**
 * declines: the log's growth under a framework that declines every offer with refuse_seconds 0
 * (issue 14, defect 4). A real nats-server, an in-process master (allocation interval 1 s, Mesos's
 * default; no offer timeout), K emulated agents and one native SDK framework (bench/decliner.ts)
 * that declines each offer at once with a filter of 0 s. Over D seconds it measures the events
 * appended per second, the offers made per second, and offers per agent per allocation interval
 * — Mesos's allocator gives such a framework at most one offer per agent per interval, since
 * recovered resources wait for the next batch allocation. Checked: the framework got offers.
 */
import { randomUUID } from 'node:crypto';
import { type RunningNatsServer } from '../cli/nats/index.js';
import { type BenchBus, startBenchNats } from './bus.js';
import { connectBus, headSeq } from '../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../kernel/shell/master/index.js';
import { startDecliner } from './decliner.js';
import { type EmulatedAgent, startEmulatedAgent } from './emulated-agent.js';
import { silentLogger } from './log.js';
import { metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface DeclinesBenchOptions {
  readonly agents: number;
  /** Measured seconds per run. */
  readonly seconds: number;
  readonly runs: number;
  readonly allocationIntervalMs: number;
  readonly refuseSeconds: number;
  /** An operator-mode server, every party with its own credentials (default); false: an open bus. */
  readonly secure: boolean;
}

export const defaultDeclinesBenchOptions = (): DeclinesBenchOptions => ({ agents: 10, seconds: 10, runs: 3, allocationIntervalMs: 1000, refuseSeconds: 0, secure: true });

async function until(what: string, f: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new SanityError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface RunResult {
  readonly eventsPerSec: number;
  readonly offersPerSec: number;
  readonly offersPerAgentPerInterval: number;
  readonly allocationRuns: number;
}

async function oneRun(o: DeclinesBenchOptions, ctx: BenchContext, run: number): Promise<RunResult> {
  const nb: BenchBus = await startBenchNats({ auth: o.secure });
  const server: RunningNatsServer = nb.server;
  const cleanups: Array<() => Promise<unknown>> = [() => nb.stop()];
  try {
    const log = silentLogger();
    const master: MasterHandle = await startMaster({ nats: server.url, port: 0, allocationIntervalMs: o.allocationIntervalMs, offerTimeoutMs: null, ...nb.as('master', 'bench-master') }, log);
    cleanups.unshift(() => master.stop());
    await master.caughtUp;
    await until('the master to lead', () => master.isLeader(), 30_000);
    const agents: EmulatedAgent[] = [];
    for (let i = 0; i < o.agents; i++) agents.push(await startEmulatedAgent({ url: server.url, index: i, resources: 'cpus:8;mem:16384', sendStarting: false, log, ...nb.as('agent', `emulated-${i}-${randomUUID().slice(0, 8)}`) }));
    cleanups.unshift(() => Promise.all(agents.map((a) => a.stop())));
    await until('the agents to register', () => agents.every((a) => master.state().agents.get(a.agentId)?.status === 'ACTIVE'), 30_000);
    const decliner = await startDecliner({ url: server.url, name: `bench-declines-${run}`, refuseSeconds: o.refuseSeconds, chunk: 500, ...nb.as('framework', randomUUID()) });
    cleanups.unshift(() => decliner.stop());
    await until('the first offers', () => decliner.stats.offers >= o.agents, 30_000);
    const bus = await connectBus({ servers: server.url, name: 'bench-declines-monitor', log, ...nb.as('auditor', 'bench-declines-monitor') });
    cleanups.unshift(() => bus.close());
    const runs = async (): Promise<number> => ((await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Record<string, number>)['allocator/mesos/allocation_runs'] ?? 0;
    const seq0 = await headSeq(bus.jsm);
    const offers0 = decliner.stats.offers;
    const runs0 = await runs();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000)); // the measured window: how much the log grows in it
    const secs = (performance.now() - t0) / 1000;
    const seq1 = await headSeq(bus.jsm);
    const offers = decliner.stats.offers - offers0;
    if (decliner.stats.declineErrors > 0) throw new SanityError(`declines failed: ${decliner.stats.firstError}`);
    const intervals = (secs * 1000) / o.allocationIntervalMs;
    const r = { eventsPerSec: (seq1 - seq0) / secs, offersPerSec: offers / secs, offersPerAgentPerInterval: offers / o.agents / intervals, allocationRuns: (await runs()) - runs0 };
    ctx.progress(`declines run ${run + 1}: ${r.eventsPerSec.toFixed(1)} events/s, ${r.offersPerSec.toFixed(1)} offers/s, ${r.offersPerAgentPerInterval.toFixed(2)} offers per agent per interval, ${r.allocationRuns} allocation runs`);
    return r;
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

export async function runDeclinesBench(o: DeclinesBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const results: RunResult[] = [];
  for (let i = 0; i < o.runs; i++) results.push(await oneRun(o, ctx, i));
  return {
    name: 'declines',
    params: { ...o },
    metrics: {
      events_per_s: metric('events/s', results.map((r) => r.eventsPerSec), { better: 'lower', note: 'log growth with one framework declining everything' }),
      offers_per_s: metric('offers/s', results.map((r) => r.offersPerSec), { better: 'lower' }),
      offers_per_agent_per_interval: metric('offers', results.map((r) => r.offersPerAgentPerInterval), { better: 'lower', note: 'Mesos: at most 1' }),
      allocation_runs_per_s: metric('runs/s', results.map((r) => r.allocationRuns / o.seconds), { better: 'lower' }),
    },
    notes: [`${o.agents} emulated agents, one framework declining every offer with refuse_seconds ${o.refuseSeconds}, allocation interval ${o.allocationIntervalMs} ms, ${o.seconds} s measured per run`],
    wallMs: performance.now() - started,
  };
}
