/**
 * Reliable status updates against a real nats-server that goes away and comes back (stopped, then
 * started again on the same port with the same store): updates made meanwhile wait in the agent's
 * durable queue and reach the log once it is back — none lost, none twice — also when the agent
 * itself is SIGKILLed while NATS is down; an update the log already has is not sent again after a
 * restart (the queue is read back against the log). The server is secured (operator mode, the same
 * keys across its restart); every party connects with its own credentials.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type EventOf, type TaskStatus, isTerminal, subjects } from '../../events/index.js';
import { type Bus, connectBus, readLog } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { type RunningNatsServer, startNatsServer } from '../../cli/nats/index.js';
import { type AgentProcess, cgroupsUnder, killProcessesUnder, processesUnder, removeCgroupsUnder, spawnAgent } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { type TestKeys, testKeys } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
let server: RunningNatsServer;
let port: number;
let storeDir: string;
let url: string;
let keys: TestKeys;
let master: MasterHandle;
let fw: Scheduler;
let offers: OfferQueue;
let bus: Bus;
let dir: string;
const cgroupsRoot = `mesos-test-${randomUUID().slice(0, 8)}`;
const seen: TaskStatus[] = [];
const agents: AgentProcess[] = [];

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-delivery-'));
  storeDir = join(dir, 'nats');
  keys = testKeys();
  server = await startNatsServer({ storeDir, auth: keys.auth });
  port = server.port;
  url = server.url;
  master = await startMaster({ nats: url, creds: keys.creds('master', 'm1'), port: 0, allocationIntervalMs: 100, leaderLeaseMs: 1000 }, log);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  fw = await subscribe({ nats: url, creds: keys.creds('framework', randomUUID()), name: 'delivery-test', log });
  offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => {
    seen.push(u);
    void fw.acknowledge(u).catch(() => undefined);
  });
  bus = await connectBus({ servers: url, creds: keys.creds('auditor', 'reader'), name: 'delivery-test-reader', log });
});

test.after(async () => {
  for (const a of agents) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  await killProcessesUnder(join(dir, 'agents'));
  await removeCgroupsUnder(cgroupsRoot);
  await fw?.close();
  await bus?.close();
  await master?.stop();
  await server?.stop();
  keys?.remove();
  rmSync(dir, { recursive: true, force: true });
});

async function natsDown(): Promise<void> {
  await server.stop();
}

async function natsUp(): Promise<void> {
  server = await startNatsServer({ storeDir, port, auth: keys.auth });
  assert.is(server.port, port);
}

async function launchGated(a: AgentProcess, taskId: string): Promise<void> {
  for (;;) {
    const o = await offers.next('an offer', 30_000);
    if (o.agentId !== a.agentId) {
      await fw.decline([o.id], 1);
      continue;
    }
    await fw.accept([o.id], [{ taskId, agentId: a.agentId as AgentId, resources: 'cpus:0.1;mem:32', command: 'until [ -e go ]; do sleep 0.1; done' }], { refuseSeconds: 0 });
    return;
  }
}

const statusOf = (taskId: string, state: string, ms = 60_000): Promise<TaskStatus> =>
  waitFor(() => seen.find((s) => s.taskId === taskId && s.state === state), `${taskId} ${state}`, ms);

function sandboxOf(workDir: string, taskId: string): { sandbox: string; dir: string } {
  const root = join(workDir, 'meta', 'containers');
  for (const id of readdirSync(root)) {
    const cp = JSON.parse(readFileSync(join(root, id, 'container.json'), 'utf8')) as { task: { taskId: string }; sandbox: string };
    if (cp.task.taskId === taskId) return { sandbox: cp.sandbox, dir: join(root, id) };
  }
  throw new Error(`no container for ${taskId}`);
}

async function agentStatusesInLog(taskId: string): Promise<Array<EventOf<'TaskStatusUpdated'>>> {
  const out: Array<EventOf<'TaskStatusUpdated'>> = [];
  for await (const e of readLog(bus, { filter: subjects.statusesOf(fw.frameworkId), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated' && e.decoded.event.status.taskId === taskId && e.decoded.event.epoch === undefined) out.push(e.decoded.event);
  }
  return out;
}

const queueText = (workDir: string): string => readFileSync(join(workDir, 'meta', 'status-updates.log'), 'utf8');

/** Each work dir's agent credentials (a restart is the same agent). */
const credsOf = new Map<string, string>();
async function startAgentProcess(workDir: string): Promise<AgentProcess> {
  if (!credsOf.has(workDir)) credsOf.set(workDir, keys.creds('agent', randomUUID()));
  const a = await spawnAgent({ nats: url, creds: credsOf.get(workDir)!, workDir, resources: 'cpus:2;mem:1024;disk:1024', cgroupsRoot, logLevel: 'info' });
  agents.push(a);
  await waitFor(() => master.state().agents.get(a.agentId as AgentId)?.status === 'ACTIVE', 'the agent to be active', 30_000);
  return a;
}

async function assertOnceEach(taskId: string): Promise<void> {
  const events = await agentStatusesInLog(taskId);
  assert.equal(
    events.map((e) => e.status.state),
    ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'],
    `${taskId}: every update once in the log`,
  );
  assert.is(new Set(events.map((e) => e.status.uuid)).size, events.length);
}

test('NATS down for a while: the update waits in the durable queue and reaches the log once NATS is back, once', async () => {
  const workDir = join(dir, 'agents', 'a1');
  const a = await startAgentProcess(workDir);
  await launchGated(a, 'through-outage');
  await statusOf('through-outage', 'TASK_RUNNING');
  const { sandbox } = sandboxOf(workDir, 'through-outage');

  await natsDown();
  await waitFor(() => /"status":"disconnect".*"msg":"nats connection"/.test(a.output()), 'the agent to see NATS gone');
  writeFileSync(join(sandbox, 'go'), '');
  await waitFor(() => /"put".*"through-outage".*TASK_FINISHED/.test(queueText(workDir)), 'the update in the durable queue');
  assert.not.ok(seen.some((s) => s.taskId === 'through-outage' && s.state === 'TASK_FINISHED'));
  await natsUp();

  await statusOf('through-outage', 'TASK_FINISHED');
  await assertOnceEach('through-outage');
  await a.stop();
});

test('the agent SIGKILLed while NATS is down: its queued update is delivered after both are back, once', async () => {
  const workDir = join(dir, 'agents', 'a2');
  const a = await startAgentProcess(workDir);
  await launchGated(a, 'through-crash');
  await statusOf('through-crash', 'TASK_RUNNING');
  const { sandbox, dir: runtime } = sandboxOf(workDir, 'through-crash');

  await natsDown();
  writeFileSync(join(sandbox, 'go'), '');
  await waitFor(() => /"put".*"through-crash".*TASK_FINISHED/.test(queueText(workDir)), 'the update in the durable queue');
  await a.crash(); // its checkpoint may be gone or not yet: either way the update goes once
  void runtime;
  await natsUp();

  const b = await startAgentProcess(workDir);
  assert.match(b.output(), /status updates from before the restart will be delivered/);
  await statusOf('through-crash', 'TASK_FINISHED');
  await assertOnceEach('through-crash');
  await b.stop();
});

test('after a restart, an update the log already has is not sent again (the queue is read back against the log)', async () => {
  const workDir = join(dir, 'agents', 'a3');
  const a = await startAgentProcess(workDir);
  await launchGated(a, 'read-back');
  await statusOf('read-back', 'TASK_RUNNING');
  writeFileSync(join(sandboxOf(workDir, 'read-back').sandbox, 'go'), '');
  await statusOf('read-back', 'TASK_FINISHED');
  await a.crash();
  // As if the agent had died after the log took the update but before it recorded that: the
  // queue holds it as pending again.
  const [finished] = (await agentStatusesInLog('read-back')).filter((e) => e.status.state === 'TASK_FINISHED');
  assert.ok(finished);
  appendFileSync(join(workDir, 'meta', 'status-updates.log'), `${JSON.stringify({ v: 1, put: finished, after: 0 })}\n`);
  const b = await startAgentProcess(workDir);
  await waitFor(() => /already in the log; not sending them again/.test(b.output()), 'the read-back');
  await assertOnceEach('read-back');
  await b.stop();
});

test('nothing is left behind', async () => {
  for (const a of agents) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  assert.equal(await processesUnder(join(dir, 'agents')), []);
  assert.equal(await cgroupsUnder(cgroupsRoot), []);
  assert.ok(seen.every((s) => !isTerminal(s.state) || s.state === 'TASK_FINISHED'), JSON.stringify(seen.filter((s) => isTerminal(s.state) && s.state !== 'TASK_FINISHED')));
});

test.run();
