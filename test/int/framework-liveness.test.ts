/**
 * Native framework liveness: the leader pings each ACTIVE framework it does not serve over HTTP
 * (`live.fw.<id>`, core NATS). One that stops answering is disconnected by an event
 * (FrameworkDisconnected) and keeps its tasks for its failover timeout; subscribing again in time
 * makes it ACTIVE with its tasks; past the timeout it is removed and its tasks are killed. An
 * emulated agent stands in for a real one (it reports what it is told to).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom } from 'rxjs';
import type { FrameworkId, TaskKey } from '../../events/index.js';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor, within } from '../helpers/wait.js';

const PING_MS = 200;
const MAX_MISSES = 3;
let cluster: TestCluster;
let agent: EmulatedAgent;
const open: Scheduler[] = [];

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { frameworkPingTimeoutMs: PING_MS, maxFrameworkPingTimeouts: MAX_MISSES } });
  agent = await startEmulatedAgent(cluster.nats, cluster.log);
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the emulated agent to register');
});

// Each test's frameworks leave (torn down) so that the next test's framework gets the agent's offers.
test.after.each(async () => {
  for (const s of open.splice(0)) await s.teardown().catch(() => undefined);
});

test.after(async () => {
  await agent?.close();
  await cluster?.stop();
});

async function framework(name: string, o: { frameworkId?: string; failoverTimeoutMs?: number } = {}): Promise<Scheduler> {
  const s = await subscribe({ ...cluster.framework(o.frameworkId), name, log: cluster.log, ...o });
  open.push(s);
  return s;
}

async function launchSleep(fw: Scheduler, taskId: string): Promise<void> {
  const offer = await new OfferQueue(fw).next();
  await fw.accept([offer.id], [{ taskId, agentId: agent.agentId, resources: 'cpus:0.5;mem:64', command: 'sleep 1000' }]);
  const running = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === taskId && u.state === 'TASK_RUNNING')));
  await waitFor(() => agent.commands.some((c) => c.type === 'LaunchTasks' && c.tasks.some((t) => t.taskId === taskId)), 'the launch to reach the agent');
  await agent.report(fw.frameworkId, taskId, 'TASK_RUNNING');
  await within(running, 10_000, `${taskId} running`);
}

const fwState = (id: FrameworkId) => cluster.master.state().frameworks.get(id);
const task = (fw: Scheduler, taskId: string) => cluster.master.state().tasks.get(`${fw.frameworkId}/${taskId}` as TaskKey);

test('a framework that answers pings stays ACTIVE', async () => {
  const fw = await framework('alive');
  const t0 = Date.now();
  await waitFor(() => Date.now() - t0 > PING_MS * MAX_MISSES * 3, 'nine ping periods', 10_000, 100);
  assert.is(fwState(fw.frameworkId)?.status, 'ACTIVE');
  assert.is(fwState(fw.frameworkId)?.disconnectedAt, null);
});

test('a framework gone silent is disconnected by an event, keeps its task, and is ACTIVE again when it subscribes again in time', async () => {
  const fw = await framework('failover', { failoverTimeoutMs: 60_000 });
  await launchSleep(fw, 'kept');
  const goneAt = Date.now();
  await fw.close(); // the process "dies": no teardown, no more pongs
  await waitFor(() => fwState(fw.frameworkId)?.status === 'INACTIVE', 'the framework to be disconnected', 10_000);
  const took = Date.now() - goneAt;
  assert.ok(took >= PING_MS * (MAX_MISSES - 1), `disconnected after ${took} ms, not before ${MAX_MISSES} missed pings could pass`);
  assert.is(task(fw, 'kept')?.state, 'TASK_RUNNING', 'its task keeps running');
  assert.not.ok(cluster.master.state().completedFrameworks.some((f) => f.id === fw.frameworkId), 'not removed');

  // The scheduler comes back (a new process) with its framework id, well within its failover timeout.
  const back = await framework('failover', { frameworkId: fw.frameworkId, failoverTimeoutMs: 60_000 });
  await waitFor(() => fwState(fw.frameworkId)?.status === 'ACTIVE', 'the framework to be active again');
  assert.is(task(back, 'kept')?.state, 'TASK_RUNNING');
  // The new scheduler process knows nothing of its tasks: it reconciles.
  const all = await back.reconcile();
  assert.equal(
    all.map((u) => [u.taskId, u.state, u.reason]),
    [['kept', 'TASK_RUNNING', 'REASON_RECONCILIATION']],
  );
  const asked = await back.reconcile([{ taskId: 'kept' }, { taskId: 'never-launched', agentId: agent.agentId }, { taskId: 'nowhere', agentId: 'no-such-agent' }]);
  assert.equal(
    asked.map((u) => [u.taskId, u.state]),
    [
      ['kept', 'TASK_RUNNING'],
      ['never-launched', 'TASK_LOST'], // TASK_GONE for a partition-aware framework
      ['nowhere', 'TASK_LOST'], // TASK_UNKNOWN for a partition-aware framework
    ],
  );
  const [noAgent] = await back.reconcile([{ taskId: 'asked-without-agent' }]);
  assert.is(noAgent?.state, 'TASK_LOST');
  assert.is(noAgent?.agentId, undefined, 'no agent id when none was given and the task is unknown');
  assert.ok(asked.every((u) => u.uuid === undefined), 'reconciliation answers need no acknowledgement');
  await new OfferQueue(back).next('an offer for the framework that came back');
});

test('a framework silent past its failover timeout is removed and its tasks are killed', async () => {
  const fw = await framework('gone', { failoverTimeoutMs: 500 });
  await launchSleep(fw, 'doomed');
  await fw.close();
  await waitFor(() => fwState(fw.frameworkId) === undefined || fwState(fw.frameworkId)?.status === 'REMOVED', 'the framework to be removed', 15_000);
  await waitFor(() => agent.commands.some((c) => c.type === 'KillTask' && c.taskId === 'doomed'), 'the kill to reach the agent', 10_000);
});

test('a live framework marked disconnected (it paused) subscribes again by itself', async () => {
  const fw = await framework('paused', { failoverTimeoutMs: 60_000 });
  await launchSleep(fw, 'paused-task');
  // Append a disconnection as the leader would after missed pings (as if the process had paused),
  // with a master's credentials.
  const { append } = await import('../../kernel/shell/bus.js');
  const bus = await cluster.bus('master', 'test');
  try {
    const epoch = cluster.master.state().epoch;
    await append(bus.js, { type: 'FrameworkDisconnected', schemaVersion: 1, id: 'paused-disconnect', time: Date.now(), epoch, frameworkId: fw.frameworkId });
  } finally {
    await bus.close();
  }
  await waitFor(() => fwState(fw.frameworkId)?.reregisteredAt !== null && fwState(fw.frameworkId)?.status === 'ACTIVE', 'the framework to subscribe again by itself', 10_000);
  assert.is(task(fw, 'paused-task')?.state, 'TASK_RUNNING');
  await new OfferQueue(fw).next('offers again');
});


test('a malformed reconciliation query gets a clear refusal, and the leader keeps answering', async () => {
  const { subjects } = await import('../../events/index.js');
  // Framework `nobody` asks about itself (the only reconcile subject its credentials may use).
  const bus = await cluster.bus('framework', 'nobody');
  try {
    const bad = await bus.nc.request(subjects.reconcileQuery('nobody' as FrameworkId), new TextEncoder().encode('{"tasks": 7}'), { timeout: 5000 });
    assert.equal(bad.json(), { ok: false, error: bad.json<{ error: string }>().error });
    assert.match(bad.json<{ error: string }>().error, 'bad reconcile query');
    const garbage = await bus.nc.request(subjects.reconcileQuery('nobody' as FrameworkId), new TextEncoder().encode('not json'), { timeout: 5000 });
    assert.match(garbage.json<{ error: string }>().error, 'not JSON');
    const unknown = await bus.nc.request(subjects.reconcileQuery('nobody' as FrameworkId), new TextEncoder().encode('{}'), { timeout: 5000 });
    assert.match(unknown.json<{ error: string }>().error, 'not known to the master');
  } finally {
    await bus.close();
  }
});

test.run();
