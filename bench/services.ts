/**
 * The services framework at scale: the time to deploy an app of N instances (default 1,000) on
 * K emulated agents, and to roll it (a new `cmd`: every instance replaced, healthy, the deployment
 * finished). One fresh secured nats-server, a real master, emulated agents that keep tasks running
 * (bench/emulated-agent.ts with keepRunning: RUNNING and healthy at once, TASK_KILLED on a kill),
 * and the services framework in this process, driven through its REST API as a user would.
 *
 * Beside it, in the same invocation: the pipeline's raw tasks/s (accept → TASK_FINISHED, no
 * framework logic) for the same number of tasks and agents, so the figures read as a ratio on a
 * loaded machine; and the CPU-ms of this process per instance (master, agents and framework all
 * run here), which load disturbs less than wall time.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { startMaster } from '../kernel/shell/master/index.js';
import { SERVICES_STREAM, servicesSubjects, startServices } from '../frameworks/services/index.js';
import { tasksOf, isHealthy } from '../frameworks/services/state.js';
import { startBenchNats } from './bus.js';
import { type EmulatedAgent, startEmulatedAgent } from './emulated-agent.js';
import { defaultPipelineOptions, pipelineRun } from './pipeline.js';
import { metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface ServicesBenchOptions {
  /** Instances of the app. */
  readonly instances: number;
  readonly agents: number;
  readonly runs: number;
  /** Run the pipeline beside it (same tasks and agents). */
  readonly pipeline: boolean;
  readonly secure: boolean;
  readonly timeoutMs: number;
}

export const defaultServicesBenchOptions = (): ServicesBenchOptions => ({ instances: 1000, agents: 10, runs: 1, pipeline: true, secure: true, timeoutMs: 600_000 });

const silent = () => pino({ level: 'silent' });

async function waitUntil(what: string, ms: number, cond: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) throw new SanityError(`services bench: ${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface ServicesRun {
  readonly deployMs: number;
  readonly rollMs: number;
  readonly deployCpuMs: number;
  readonly rollCpuMs: number;
  readonly launches: number;
  readonly kills: number;
}

async function servicesRun(o: ServicesBenchOptions, ctx: BenchContext): Promise<ServicesRun> {
  const bus = await startBenchNats({ auth: o.secure });
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const master = await startMaster({ nats: bus.url, port: 0, allocationIntervalMs: 100, offerTimeoutMs: null, ...bus.as('master', 'bench-master') }, silent());
    cleanups.push(() => master.stop());
    const leadUntil = performance.now() + 15_000;
    while (!master.isLeader()) {
      if (performance.now() > leadUntil) throw new SanityError('services bench: the master did not lead');
      await new Promise((r) => setTimeout(r, 20));
    }
    const per = Math.ceil(o.instances / o.agents) * 2 + 10; // room for a whole new set beside the old
    const agents: EmulatedAgent[] = await Promise.all(
      Array.from({ length: o.agents }, (_, i) =>
        startEmulatedAgent({ url: bus.url, index: i, resources: `cpus:${per};mem:${per * 16};disk:1000;ports:[10000-${10000 + per + 100}]`, sendStarting: false, keepRunning: true, log: silent(), ...bus.as('agent', `emulated-${i}-${randomUUID().slice(0, 8)}`) }),
      ),
    );
    cleanups.push(() => Promise.all(agents.map((a) => a.stop())));
    await waitUntil('agents registered', 15_000, () => master.state().agents.size === o.agents);
    const svc = await startServices({ nats: bus.url, ...bus.as('framework', randomUUID(), { store: { stream: SERVICES_STREAM, subjects: servicesSubjects.all } }), port: 0, host: '127.0.0.1', user: 'nobody', failoverTimeoutMs: 600_000, log: silent(), tickMs: 100 });
    cleanups.unshift(() => svc.close());
    const app = (cmd: string) => ({
      id: '/bench/web',
      cmd,
      cpus: 0.5,
      mem: 8,
      instances: o.instances,
      healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 10 }],
    });
    const put = async (body: unknown): Promise<void> => {
      const r = await fetch(`${svc.url}/v2/apps/bench/web`, { method: 'PUT', body: JSON.stringify(body) });
      if (r.status >= 300) throw new SanityError(`services bench: PUT answered ${r.status}: ${await r.text()}`);
    };
    const settled = (): boolean => {
      const s = svc.engine.state();
      const a = s.apps.get('/bench/web');
      if (a === undefined || s.deployments.length > 0) return false;
      const ts = tasksOf(s, '/bench/web');
      return ts.length === o.instances && ts.every((t) => t.configVersion === a.configVersion && isHealthy(a.app, t));
    };

    ctx.progress(`services: deploying ${o.instances.toLocaleString('en-US')} instances on ${o.agents} emulated agents`);
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    await put(app('serve v1'));
    await waitUntil(`${o.instances} instances healthy`, o.timeoutMs, settled);
    const deployMs = performance.now() - t0;
    let c = process.cpuUsage(cpu0);
    const deployCpuMs = (c.user + c.system) / 1000;
    ctx.progress(`services: deployed in ${(deployMs / 1000).toFixed(1)} s; rolling to a new cmd`);

    const before = new Set(svc.engine.state().tasks.keys());
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    await put(app('serve v2'));
    await waitUntil(`${o.instances} instances replaced and healthy`, o.timeoutMs, () => settled() && [...svc.engine.state().tasks.keys()].every((id) => !before.has(id)));
    const rollMs = performance.now() - t0;
    c = process.cpuUsage(cpu0);
    const rollCpuMs = (c.user + c.system) / 1000;
    await Promise.all(agents.map((a) => a.settle()));
    const launches = agents.reduce((n, a) => n + a.stats.tasks, 0);
    const kills = agents.reduce((n, a) => n + a.stats.kills, 0);
    if (launches < 2 * o.instances) throw new SanityError(`services bench: ${launches} launches for ${2 * o.instances} instances`);
    if (kills < o.instances) throw new SanityError(`services bench: ${kills} kills, ${o.instances} old instances`);
    ctx.progress(`services: rolled in ${(rollMs / 1000).toFixed(1)} s (${launches} launches, ${kills} kills)`);
    return { deployMs, rollMs, deployCpuMs, rollCpuMs, launches, kills };
  } finally {
    for (const f of cleanups) await f().catch(() => undefined);
    await bus.stop();
  }
}

export async function runServicesBench(o: ServicesBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const wall = performance.now();
  const runs: ServicesRun[] = [];
  const pipe: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    runs.push(await servicesRun(o, ctx));
    if (o.pipeline) {
      ctx.progress(`services: the pipeline beside it (${o.instances} tasks, ${o.agents} agents)`);
      const p = await pipelineRun({ ...defaultPipelineOptions(), agents: o.agents, auth: o.secure ? 'on' : 'off', warmupTasks: 0 }, o.instances, ctx, `services-beside-${r + 1}`);
      pipe.push(p.tasksPerSec);
    }
  }
  const n = o.instances;
  const metrics: BenchResult['metrics'] = {
    deploy_s: metric('s', runs.map((x) => x.deployMs / 1000), { better: 'lower', note: `POST → ${n} healthy, deployment done` }),
    roll_s: metric('s', runs.map((x) => x.rollMs / 1000), { better: 'lower', note: `new cmd → ${n} replaced, healthy, done` }),
    deploy_instances_per_s: metric('inst/s', runs.map((x) => n / (x.deployMs / 1000)), { better: 'higher' }),
    roll_instances_per_s: metric('inst/s', runs.map((x) => n / (x.rollMs / 1000)), { better: 'higher' }),
    deploy_cpu_ms_per_instance: metric('ms', runs.map((x) => x.deployCpuMs / n), { better: 'lower', note: 'this process: master, agents, framework' }),
    roll_cpu_ms_per_instance: metric('ms', runs.map((x) => x.rollCpuMs / n), { better: 'lower' }),
    ...(pipe.length > 0 ? { pipeline_tasks_per_s: metric('tasks/s', pipe, { better: 'higher', note: 'same tasks and agents, same invocation' }) } : {}),
  };
  const ratio = pipe.length > 0 ? runs.map((x, i) => n / (x.deployMs / 1000) / pipe[i]!) : [];
  return {
    name: 'services',
    params: { instances: n, agents: o.agents, runs: o.runs, secure: o.secure },
    metrics,
    notes: [
      `emulated agents: a task is RUNNING and healthy as soon as it is launched, so this times the framework, the master and the log, not processes or health checks`,
      ...(ratio.length > 0 ? [`deploy rate / pipeline raw rate: ${ratio.map((x) => x.toFixed(2)).join(', ')} (same run, so load cancels out more than in either figure)`] : []),
    ],
    details: { runs, pipelineTasksPerSec: pipe },
    wallMs: performance.now() - wall,
  };
}
