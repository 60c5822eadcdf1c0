/**
 * Exactly once per scheduled instant: a job every 2 s with a child job, through a SIGKILL of the
 * `mesos jobs` process in the middle of a run (and its restart: instants fall due while it is
 * away) and a SIGKILL of the leading master of two. Read back from the
 * jobs log (the JOBS stream): every instant from the first to the last was started exactly once
 * and succeeded, none was skipped, the ones missed while the framework was away ran late, and
 * the child ran exactly once after each run of its parent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import type { JobsEvent } from '../../frameworks/jobs/events.js';
import { JOBS_STREAM, jobsSubjects } from '../../frameworks/jobs/index.js';
import { openStore } from '../../frameworks/jobs/store.js';
import { connectBus } from '../../kernel/shell/bus.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { findLeader, type MasterProcess, spawnMaster } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
const MESOS = join(process.cwd(), 'dist/cli/mesos.js');
const dir = mkdtempSync(join(tmpdir(), 'mesos-jobs-'));
let nats: SecureTestNats;
let masters: MasterProcess[] = [];
let agent: AgentHandle | undefined;
let jobsCreds = '';
let jobsProc: ChildProcess | undefined;
let url = '';

/** `mesos jobs` as a process of its own, with the jobs framework's credentials (the same across restarts). */
async function startJobsProcess(): Promise<void> {
  const p = spawn(process.execPath, [MESOS, 'jobs', '--nats', nats.url, '--creds', jobsCreds, '--port', '0', '--user', 'root', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  jobsProc = p;
  url = await waitFor(() => /Chronos REST API on (http:\/\/\S+)/.exec(out)?.[1] ?? (p.exitCode !== null ? Promise.reject(new Error(`mesos jobs exited: ${out}`)) : undefined), 'mesos jobs to serve', 20_000);
}
const killJobs = async (): Promise<void> => {
  const p = jobsProc!;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
};

const api = async (method: string, path: string, body?: unknown): Promise<any> => {
  const r = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
};
const job = (name: string): Promise<any> => api('GET', `/v1/scheduler/job/${name}`);

test.before(async () => {
  // uvu does not print a hook's error: say it here.
  await setUp().catch((err: unknown) => {
    process.stderr.write(`jobs-failover: setting up failed: ${(err as Error).stack ?? String(err)}\n`);
    throw err;
  });
});

async function setUp(): Promise<void> {
  nats = await withSecureNats();
  const masterArgs = (): string[] => ['--leader-lease', '500ms', '--allocation-interval', '100ms', '--creds', nats.creds('master', `m-${randomUUID()}`)];
  jobsCreds = nats.creds('framework', randomUUID(), { store: { stream: JOBS_STREAM, subjects: jobsSubjects.all } });
  const agentCreds = nats.creds('agent', `agent-${randomUUID()}`);
  masters = await Promise.all([0, 1].map(() => spawnMaster(nats.url, masterArgs())));
  // The agent and the jobs process start side by side (each waits for a leader on the bus, not for the other).
  await Promise.all([
    startAgent({ nats: nats.url, creds: agentCreds, workDir: join(dir, 'agent'), resources: 'cpus:2;mem:1024;disk:2048', cgroupsRoot: `mesos-jobs-${randomUUID().slice(0, 8)}`, isolation: 'auto', killGracePeriodMs: 500, allowRootTasks: true }, log).then((a) => (agent = a)),
    startJobsProcess(),
  ]);
  await waitFor(() => findLeader(masters), 'a leader', 20_000);
}

test.after(async () => {
  if (jobsProc !== undefined && jobsProc.exitCode === null && jobsProc.signalCode === null) await killJobs();
  await agent?.stop().catch(() => undefined);
  for (const m of masters) m.proc.kill('SIGKILL');
  await Promise.all(masters.map((m) => m.exited));
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a job every 2 s and its child: no instant missed or doubled through a jobs-framework SIGKILL and a master kill', async () => {
  const start = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000).toISOString();
  await api('POST', '/v1/scheduler/iso8601', { name: 'every2', command: 'sleep 0.5', schedule: `R/${start}/PT2S`, epsilon: 'PT30S', cpus: 0.1, mem: 32, disk: 0 });
  await api('POST', '/v1/scheduler/dependency', { name: 'after', command: 'true', parents: ['every2'], epsilon: 'PT30S', cpus: 0.1, mem: 32 });
  await waitFor(async () => (await job('after')).successCount >= 2, 'two runs of parent and child', 20_000);

  // 1. The jobs framework dies (SIGKILL) while a run of the parent is under way, and comes back ~3 s later.
  await waitFor(async () => (await job('every2')).state === 'running', 'a parent run under way', 10_000, 50);
  await killJobs();
  // Instants fall due while it is away (a new process takes seconds to start).
  await startJobsProcess();
  const afterRestart = (await job('every2')).successCount as number;
  await waitFor(async () => (await job('every2')).successCount >= afterRestart + 2, 'runs after the restart', 20_000);

  // 2. The leading master dies; the other takes over.
  const leader = (await findLeader(masters))!;
  leader.proc.kill('SIGKILL');
  await leader.exited;
  await waitFor(() => findLeader(masters), 'the other master to lead', 15_000);
  const afterFailover = (await job('every2')).successCount as number;
  await waitFor(async () => (await job('after')).successCount >= afterFailover + 2 && (await job('every2')).successCount >= afterFailover + 2, 'runs after the master failover', 20_000);

  // Stop deciding (disable both), and let the runs under way end.
  await api('POST', '/v1/scheduler/iso8601', { name: 'every2', command: 'sleep 0.5', schedule: `R/${start}/PT2S`, epsilon: 'PT30S', cpus: 0.1, mem: 32, disk: 0, disabled: true });
  await waitFor(async () => (await job('every2')).state === 'idle' && (await job('after')).state === 'idle', 'the last runs to end', 15_000);
  await killJobs();

  // Read the jobs log itself.
  const bus = await connectBus({ servers: nats.url, creds: jobsCreds, name: 'jobs-log-reader', log });
  const events: JobsEvent[] = (await (await openStore(bus, log)).readAll()).map((x) => x.event);
  await bus.close();
  const of = <T extends JobsEvent['type']>(type: T, name: string): Array<Extract<JobsEvent, { type: T }>> => events.filter((e): e is Extract<JobsEvent, { type: T }> => e.type === type && (e as { name?: string }).name === name);

  assert.equal(of('InstantsSkipped', 'every2'), [], 'no instant skipped');
  const starts = of('RunStarted', 'every2');
  const perInstant = new Map<number, number>();
  for (const s of starts) perInstant.set(s.instant, (perInstant.get(s.instant) ?? 0) + 1);
  const doubled = [...perInstant].filter(([, n]) => n > 1);
  assert.equal(doubled, [], 'no instant started twice');
  const instants = [...perInstant.keys()].sort((a, b) => a - b);
  assert.is(instants[0], Date.parse(start), 'from the first instant');
  for (let i = 1; i < instants.length; i++) assert.is(instants[i]! - instants[i - 1]!, 2000, `no instant missed after ${new Date(instants[i - 1]!).toISOString()}`);
  assert.ok(instants.length >= 6, `${instants.length} instants`);
  // Those that fell due while the framework was away ran late, within epsilon.
  assert.ok(starts.some((s) => s.at - s.instant > 1500), `an instant missed while away ran late: ${starts.map((s) => `${new Date(s.instant).toISOString().slice(14, 19)}+${s.at - s.instant}ms`).join(' ')}`);
  const outcomes = of('RunFinished', 'every2');
  assert.is(outcomes.length, starts.length, 'every run finished');
  assert.ok(outcomes.every((r) => r.outcome === 'SUCCESS'), JSON.stringify(outcomes.filter((r) => r.outcome !== 'SUCCESS')));
  // Each instant's command ran once: a retried attempt is one whose task never started (its
  // accept was lost with the process or the master that had it, so the cluster never knew it).
  const ran = new Set(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLING', 'TASK_KILLED']);
  for (const s of starts) {
    const states = of('TaskStatusChanged', 'every2').filter((e) => e.runId === s.runId);
    const tasksThatRan = new Set(states.filter((e) => ran.has(e.state)).map((e) => e.taskId));
    assert.is(tasksThatRan.size, 1, `${s.runId}: ${states.map((e) => `${e.taskId} ${e.state} ${e.reason ?? ''}`).join(', ')}`);
  }

  // The child: exactly once after each run of its parent.
  const childStarts = of('RunStarted', 'after');
  const perParent = new Map<string, number>();
  for (const s of childStarts) for (const p of s.parentRuns ?? []) perParent.set(p, (perParent.get(p) ?? 0) + 1);
  assert.equal(of('InstantsSkipped', 'after'), [], 'no child run skipped');
  for (const s of starts) assert.is(perParent.get(s.runId), 1, `the child ran once after ${s.runId}`);
  assert.is(childStarts.length, starts.length);
  assert.ok(of('RunFinished', 'after').every((r) => r.outcome === 'SUCCESS'));
  const retried = [...of('RunRetried', 'every2'), ...of('RunRetried', 'after')];
  if (retried.length > 0) process.stderr.write(`jobs-failover: ${retried.length} attempt(s) retried after their first task never started: ${retried.map((r) => r.runId).join(', ')}\n`);
});

test.run();
