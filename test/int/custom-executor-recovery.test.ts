/**
 * Custom executors across an agent restart, with the agent as a real process killed with SIGKILL
 * (cgroups where the host has them), on a secured bus:
 * - a checkpointing framework's executor outlives the agent, re-subscribes to the restarted one
 *   (the SDK retries on its own) and its tasks carry on: a task that ends after the restart and
 *   one that ends while the agent is down (its update goes with the re-SUBSCRIBE) each reach the
 *   scheduler as one TASK_RUNNING and one TASK_FINISHED; the reregistration lists the tasks;
 * - an executor that does not re-subscribe in time is killed, its task TASK_FAILED with
 *   REASON_EXECUTOR_REREGISTRATION_TIMEOUT;
 * - a framework without checkpoint loses its executor at the restart (TASK_LOST, REASON_AGENT_RESTARTED).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type EventOf, type TaskStatus, isTerminal, subjects } from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { type Bus, readLog } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { shellExecutorSpec } from '../../frameworks/examples/shell-scheduler.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { readProcStat } from '../../agent/isolation/proc.js';
import { type AgentProcess, killProcessesUnder, processesUnder, removeCgroupsUnder, spawnAgent } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
const RESOURCES = 'cpus:2;mem:1024;disk:1024';
let nats: SecureTestNats;
let master: MasterHandle;
let bus: Bus;
let dir: string;
const cgroupsRoot = `mesos-test-${randomUUID().slice(0, 8)}`;
const agents: AgentProcess[] = [];
const schedulers: Scheduler[] = [];

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-exec-recovery-'));
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', 'm1'), port: 0, allocationIntervalMs: 100 }, log);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  bus = await nats.bus('auditor', 'exec-recovery-reader', log);
});

test.after(async () => {
  for (const a of agents) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  await killProcessesUnder(dir);
  await removeCgroupsUnder(cgroupsRoot);
  for (const s of schedulers) await s.close().catch(() => undefined);
  await bus?.close();
  await master?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A free TCP port: the executor finds its agent at the same address after the restart (as with Mesos's fixed --port). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const credsOf = new Map<string, string>();
async function startAgentProcess(workDir: string, port: number, extra: readonly string[] = []): Promise<AgentProcess> {
  if (!credsOf.has(workDir)) credsOf.set(workDir, nats.creds('agent', `agent-${randomUUID()}`));
  const a = await spawnAgent({ nats: nats.url, creds: credsOf.get(workDir)!, workDir, resources: RESOURCES, cgroupsRoot, extra: ['--port', String(port), '--executor-reregistration-timeout', '10secs', ...extra] });
  agents.push(a);
  await waitFor(() => master.state().agents.get(a.agentId as AgentId)?.status === 'ACTIVE', `agent ${a.agentId} to be active`);
  return a;
}

interface Fw {
  readonly sched: Scheduler;
  readonly seen: TaskStatus[];
  readonly offers: OfferQueue;
}

async function framework(checkpoint: boolean): Promise<Fw> {
  const sched = await subscribe({ ...nats.framework(), name: `exec-recovery-${checkpoint ? 'cp' : 'nocp'}`, checkpoint, log });
  schedulers.push(sched);
  const seen: TaskStatus[] = [];
  sched.updates$.subscribe((u) => {
    seen.push(u);
    void sched.acknowledge(u).catch(() => undefined);
  });
  return { sched, seen, offers: new OfferQueue(sched) };
}

/** Launch tasks (each a shell command for the example executor) under one executor on this agent. */
async function launchUnderExecutor(fw: Fw, agentId: string, tasks: Array<{ id: string; command: string }>): Promise<void> {
  for (;;) {
    const o = await fw.offers.next(`an offer from ${agentId}`, 30_000);
    if (o.agentId !== agentId) {
      await fw.sched.decline([o.id], 1);
      continue;
    }
    await fw.sched.accept(
      [o.id],
      tasks.map((t) => ({ taskId: t.id, agentId: o.agentId, resources: parseResources('cpus:0.1;mem:16'), executor: shellExecutorSpec(), data: t.command })),
      { refuseSeconds: 0 },
    );
    return;
  }
}

const statusOf = (fw: Fw, taskId: string, pred: (s: TaskStatus) => boolean, what: string, ms = 60_000): Promise<TaskStatus> => waitFor(() => fw.seen.find((s) => s.taskId === taskId && pred(s)), what, ms);
const terminalOf = (fw: Fw, taskId: string): Promise<TaskStatus> => statusOf(fw, taskId, (s) => isTerminal(s.state), `task ${taskId} to end`);

/** The executor's checkpoint in a work dir: its sandbox and runtime dir. */
function executorCheckpoint(workDir: string, frameworkId: string): { dir: string; sandbox: string; containerId: string } | undefined {
  const root = join(workDir, 'meta', 'containers');
  if (!existsSync(root)) return undefined;
  for (const id of readdirSync(root)) {
    try {
      const cp = JSON.parse(readFileSync(join(root, id, 'executor.json'), 'utf8')) as { frameworkId: string; sandbox: string };
      if (cp.frameworkId === frameworkId) return { dir: join(root, id), sandbox: cp.sandbox, containerId: id };
    } catch {
      // a task's container, or being written
    }
  }
  return undefined;
}

async function alive(pid: number): Promise<boolean> {
  const s = await readProcStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** The executor's own pid (its container's task pid). */
const executorPid = (c: { dir: string }): number => Number(readFileSync(join(c.dir, 'task.pid'), 'utf8').trim());

/** The agent's own updates of a task in the log (not the master's notices). */
async function agentStatusesInLog(frameworkId: string, taskId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(bus, { filter: subjects.statusesOf(frameworkId as never), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated' && e.decoded.event.status.taskId === taskId && e.decoded.event.epoch === undefined) out.push(e.decoded.event.status.state);
  }
  return out;
}

async function reregistrations(agentId: string): Promise<Array<EventOf<'AgentReregistered'>>> {
  const out: Array<EventOf<'AgentReregistered'>> = [];
  for await (const e of readLog(bus, { filter: subjects.agentFact(agentId as AgentId, 'reregistered'), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'AgentReregistered') out.push(e.decoded.event);
  }
  return out;
}

const GATE = (file: string): string => `until [ -e ${file} ]; do sleep 0.1; done`;

test('SIGKILL + restart: a checkpointing framework\'s executor is re-attached, re-subscribes, and its tasks run on and finish, each status once', async () => {
  const workDir = join(dir, 'a1');
  const port = await freePort();
  const a = await startAgentProcess(workDir, port);
  const fw = await framework(true);
  await launchUnderExecutor(fw, a.agentId, [
    { id: 'after', command: GATE('go-after') },
    { id: 'during', command: GATE('go-during') },
  ]);
  for (const id of ['after', 'during']) await statusOf(fw, id, (s) => s.state === 'TASK_RUNNING', `${id} to run`);
  const c = executorCheckpoint(workDir, fw.sched.frameworkId);
  assert.ok(c, 'the executor is checkpointed');
  const pid = executorPid(c);

  await a.crash();
  assert.ok(await alive(pid), 'the executor outlives the agent');
  // While the agent is down, one task ends: the executor keeps its update for the re-SUBSCRIBE.
  writeFileSync(join(c.sandbox, 'go-during'), '');
  await new Promise((r) => setTimeout(r, 500)); // let the task end while the agent is away (measured below: its update arrives once)

  const b = await startAgentProcess(workDir, port);
  assert.is(b.agentId, a.agentId);
  assert.match(b.banner, /executors recovered: 1 re-attached/, b.banner);
  const during = await terminalOf(fw, 'during');
  assert.is(during.state, 'TASK_FINISHED', `${during.state}: ${during.message ?? ''}`);
  assert.is(during.source, 'SOURCE_EXECUTOR');
  assert.ok(await alive(pid), 'the same executor process runs on');

  // The reregistration listed the executor's running task (else the master would count it lost).
  const rereg = await waitFor(async () => (await reregistrations(a.agentId)).at(-1), 'the agent to reregister');
  assert.ok(
    rereg.tasks.some((t) => t.taskId === 'after' && t.frameworkId === fw.sched.frameworkId && t.state === 'TASK_RUNNING'),
    `the reregistration lists the executor's task (got ${JSON.stringify(rereg.tasks)})`,
  );
  assert.is(master.state().tasks.get(`${fw.sched.frameworkId}/after` as never)?.state, 'TASK_RUNNING', 'the master still has it running');

  writeFileSync(join(c.sandbox, 'go-after'), '');
  const after = await terminalOf(fw, 'after');
  assert.is(after.state, 'TASK_FINISHED');
  for (const id of ['after', 'during']) {
    const states = fw.seen.filter((s) => s.taskId === id).map((s) => s.state);
    assert.equal(states, ['TASK_RUNNING', 'TASK_FINISHED'], `${id}: one status of each kind reached the scheduler`);
    assert.equal(await agentStatusesInLog(fw.sched.frameworkId, id), ['TASK_RUNNING', 'TASK_FINISHED'], `${id}: each update once in the log`);
  }
  assert.not.ok(fw.seen.some((s) => s.state === 'TASK_LOST' || s.state === 'TASK_FAILED'));
  // No task left: the executor is shut down, its checkpoint goes.
  await waitFor(async () => !(await alive(pid)), 'the idle executor to be shut down', 30_000);
  await waitFor(() => !existsSync(c.dir), 'the executor checkpoint to go');
  await fw.sched.teardown();
  await b.stop();
  assert.equal(await processesUnder(workDir), [], 'nothing left running');
});

test('an executor that does not re-subscribe within --executor-reregistration-timeout is killed: TASK_FAILED, REASON_EXECUTOR_REREGISTRATION_TIMEOUT', async () => {
  const workDir = join(dir, 'a2');
  const port = await freePort();
  const a = await startAgentProcess(workDir, port);
  const fw = await framework(true);
  await launchUnderExecutor(fw, a.agentId, [{ id: 'stuck', command: 'exec sleep 600' }]);
  await statusOf(fw, 'stuck', (s) => s.state === 'TASK_RUNNING', 'stuck to run');
  const c = executorCheckpoint(workDir, fw.sched.frameworkId)!;
  const pid = executorPid(c);
  await a.crash();
  process.kill(pid, 'SIGSTOP'); // it cannot answer: it will not re-subscribe
  const b = await startAgentProcess(workDir, port);
  const end = await terminalOf(fw, 'stuck');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.reason, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
  assert.is(end.source, 'SOURCE_AGENT');
  await waitFor(async () => !(await alive(pid)), 'the executor to be killed');
  await waitFor(() => ![...master.state().executors.values()].some((e) => e.frameworkId === fw.sched.frameworkId), 'the master to release the executor');
  await fw.sched.teardown();
  await b.stop();
});

test('a framework without checkpoint loses its executor at the agent restart: killed, its task TASK_LOST with REASON_AGENT_RESTARTED', async () => {
  const workDir = join(dir, 'a3');
  const port = await freePort();
  const a = await startAgentProcess(workDir, port);
  const fw = await framework(false);
  await launchUnderExecutor(fw, a.agentId, [{ id: 'volatile', command: 'exec sleep 600' }]);
  await statusOf(fw, 'volatile', (s) => s.state === 'TASK_RUNNING', 'volatile to run');
  const c = executorCheckpoint(workDir, fw.sched.frameworkId)!;
  const pid = executorPid(c);
  await a.crash();
  const b = await startAgentProcess(workDir, port);
  const end = await terminalOf(fw, 'volatile');
  assert.is(end.state, 'TASK_LOST');
  assert.is(end.reason, 'REASON_AGENT_RESTARTED');
  await waitFor(async () => !(await alive(pid)), 'the executor to be gone');
  await fw.sched.teardown();
  await b.stop();
});

test.run();
