/**
 * agent: what health checks and the agent's HTTP endpoint cost on this machine, with real
 * containers (the isolator `auto` picks: cgroups when it can, under a cgroups root of its own).
 *   (a) one check round, sequentially, `--rounds` times per run: a COMMAND check (`true`) run
 *       inside a running container (launch wrapper, cgroup join, privilege drop as the task's user
 *       when root), an HTTP check and a TCP check against a small server in a child process;
 *   (b) with `--containers` sleeping containers: GET /state and GET /monitor/statistics of the
 *       agent's endpoint (statistics read every container's cgroup files or /proc).
 * Each run checks its own results (exit code 0, HTTP 200, TCP connected, one statistics entry per
 * container, the /state shows them all); a wrong result fails the benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentId, FrameworkId, TaskId, TaskInfo } from '../events/index.js';
import { asAgentId } from '../events/index.js';
import { type Container, createContainerizer } from '../agent/containerizer/index.js';
import { commandProbe } from '../agent/health/command-probe.js';
import { httpProbe } from '../agent/health/http-probe.js';
import type { Probe } from '../agent/health/probe.js';
import { tcpProbe } from '../agent/health/tcp-probe.js';
import { createTaskHistory, startAgentHttp } from '../agent/http/index.js';
import { selectIsolator } from '../agent/isolation/detect.js';
import { findHostTools } from '../agent/isolation/host-tools.js';
import { sandboxPath } from '../agent/sandbox.js';
import type { RunningTask } from '../agent/task-runner.js';
import { parseResources } from '../kernel/core/resources.js';
import { silentLogger } from './log.js';
import { latencySummary, metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface AgentBenchOptions {
  /** Check rounds of each kind per run. */
  readonly rounds: number;
  /** Sleeping containers behind the endpoint. */
  readonly containers: number;
  /** Requests of each endpoint per run. */
  readonly requests: number;
  readonly runs: number;
}

export const defaultAgentBenchOptions = (): AgentBenchOptions => ({ rounds: 200, containers: 50, requests: 50, runs: 3 });

async function timeEach(n: number, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A small HTTP/TCP server in a child process (so it does not share the measuring event loop). */
async function startServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  return { port, child };
}

export async function runAgentBench(o: AgentBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const started = performance.now();
  const log = silentLogger();
  const dir = await mkdtemp(join(tmpdir(), 'mesos-bench-agent-'));
  const agentId: AgentId = asAgentId(`bench-${randomUUID().slice(0, 8)}`);
  const { isolator, fallbackReason } = await selectIsolator('auto', { cgroupsRoot: `mesos-bench-${randomUUID().slice(0, 8)}/${agentId}`, log });
  const containerizer = createContainerizer({ isolator, tools: await findHostTools(), log });
  const fid = 'bench-framework' as FrameworkId;
  const running: RunningTask[] = [];
  const history = createTaskHistory();
  const server = await startServer();
  let http: Awaited<ReturnType<typeof startAgentHttp>> | undefined;
  const user = process.getuid?.() === 0 ? 'nobody' : undefined;
  try {
    ctx.progress(`agent: isolation ${isolator.kind}${fallbackReason !== undefined ? ` (${fallbackReason})` : ''}; launching ${o.containers} containers`);
    for (let i = 0; i < o.containers; i++) {
      const taskId = `t${i}` as TaskId;
      const containerId = randomUUID();
      const sandbox = sandboxPath(dir, agentId, fid, taskId, containerId);
      const runtimeDir = join(dir, 'meta', 'containers', containerId);
      await mkdir(runtimeDir, { recursive: true });
      const info: TaskInfo = { taskId, name: taskId, agentId, resources: [...parseResources('cpus:0.01;mem:16')], command: { value: 'exec sleep 3600', shell: true } };
      const container: Container = await containerizer.launch({
        containerId,
        sandbox,
        runtimeDir,
        command: { value: info.command!.value, shell: true },
        limits: { cpus: 0.01, memMb: 16 },
        ...(user !== undefined ? { user } : {}),
      });
      running.push({ frameworkId: fid, taskId, executorId: taskId, containerId, sandbox, info, state: 'TASK_RUNNING', container, killing: false, ports: [], gpus: [] });
      history.launched({
        type: 'LaunchTasks',
        schemaVersion: 1,
        id: `l${i}`,
        time: Date.now(),
        epoch: 1,
        agentId,
        agentSeq: i + 1,
        frameworkId: fid,
        framework: { name: 'bench', user: user ?? 'root', checkpoint: false },
        tasks: [info],
      });
      history.status({ agentId, frameworkId: fid, taskId, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', timestamp: Date.now(), containerId });
    }
    http = await startAgentHttp({
      ip: '127.0.0.1',
      port: 0,
      history,
      running: () => running,
      log,
      identity: (port) => ({
        id: agentId,
        hostname: 'bench',
        ip: '127.0.0.1',
        port,
        version: '1.12.0',
        startTime: Date.now(),
        resources: parseResources('cpus:2;mem:2048'),
        attributes: [],
        workDir: dir,
        isolation: isolator.kind,
        isolationFallback: fallbackReason,
        flags: {},
      }),
    });
    const base = `http://127.0.0.1:${http.port}`;
    const exec = running[0]!.container!.exec;
    const probes: Array<[string, Probe, (r: Awaited<ReturnType<Probe>>) => boolean]> = [
      ['command check', commandProbe({ value: 'true', shell: true }, exec), (r) => r.type === 'COMMAND' && r.exitCode === 0],
      ['HTTP check', httpProbe({ port: server.port }), (r) => r.type === 'HTTP' && r.statusCode === 200],
      ['TCP check', tcpProbe({ port: server.port }), (r) => r.type === 'TCP' && r.succeeded],
    ];
    const p50: Record<string, number[]> = {};
    const p99: Record<string, number[]> = {};
    const details: Record<string, unknown> = {};
    const record = (label: string, xs: number[]): void => {
      const s = latencySummary(xs);
      (p50[label] ??= []).push(s.p50);
      (p99[label] ??= []).push(s.p99);
      ((details[label] ??= []) as unknown[]).push(s);
    };
    const never = new AbortController().signal;
    for (let run = 1; run <= o.runs; run++) {
      ctx.progress(`agent: run ${run}/${o.runs}`);
      for (const [label, probe, ok] of probes) {
        record(
          label,
          await timeEach(o.rounds, async () => {
            const r = await probe(never);
            if (!ok(r)) throw new SanityError(`${label}: unexpected result ${JSON.stringify(r)}`);
          }),
        );
      }
      record(
        'GET /state',
        await timeEach(o.requests, async () => {
          const s = (await (await fetch(`${base}/state`)).json()) as { frameworks: Array<{ executors: unknown[] }> };
          if (s.frameworks[0]?.executors.length !== o.containers) throw new SanityError('/state does not show every container');
        }),
      );
      record(
        'GET /monitor/statistics',
        await timeEach(o.requests, async () => {
          const s = (await (await fetch(`${base}/monitor/statistics`)).json()) as Array<{ statistics: { processes?: number } }>;
          if (s.length !== o.containers || s.some((e) => (e.statistics.processes ?? 0) < 1)) throw new SanityError('/monitor/statistics does not count every container');
        }),
      );
    }
    const metrics: BenchResult['metrics'] = {};
    for (const label of Object.keys(p50)) {
      metrics[`${label} p50`] = metric('ms', p50[label]!, { better: 'lower' });
      metrics[`${label} p99`] = metric('ms', p99[label]!, { better: 'lower' });
    }
    return {
      name: 'agent',
      params: { ...o, isolation: isolator.kind },
      metrics,
      notes: [
        `checks: ${o.rounds} rounds of each kind per run, one at a time; the command check runs \`true\` in a running container (${isolator.kind}${user !== undefined ? `, as ${user}` : ''}); HTTP/TCP hit a server in a child process`,
        `endpoint: ${o.containers} sleeping containers; ${o.requests} requests of each endpoint per run`,
      ],
      details,
      wallMs: performance.now() - started,
    };
  } finally {
    await http?.close();
    server.child.kill('SIGKILL');
    await Promise.all(running.map((t) => t.container?.kill(0)));
    await isolator.removeRoot().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
