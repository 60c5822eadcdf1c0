/**
 * Timeouts. Offers held too long are rescinded and made again. Agent liveness: the leader pings agents over plain request/reply; one that stops answering is
 * declared unreachable by an event (AgentRemoved), its tasks are written off (TASK_LOST for a
 * framework that is not partition-aware) and it comes back with its tasks when it reregisters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom } from 'rxjs';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { OfferQueue } from '../helpers/offers.js';
import { op } from '../helpers/operator.js';
import { waitFor, within } from '../helpers/wait.js';

let cluster: TestCluster;
let agent: EmulatedAgent;
let fw: Scheduler;

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { agentPingTimeoutMs: 150, maxAgentPingTimeouts: 3, offerTimeoutMs: 600 } });
  agent = await startEmulatedAgent(cluster.nats, cluster.log);
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the emulated agent to register');
  fw = await subscribe({ ...cluster.framework(), name: 'liveness', log: cluster.log });
});

test.after(async () => {
  await fw?.close();
  await agent?.close();
  await cluster?.stop();
});

test('an offer held past the offer timeout is rescinded, and the resources are offered again', async () => {
  const q = new OfferQueue(fw);
  const first = await q.next();
  const rescinded = firstValueFrom(fw.rescinds$.pipe(filter((id) => id === first.id)));
  const t0 = Date.now();
  await within(rescinded, 5000, 'the rescind');
  const held = Date.now() - t0;
  assert.ok(held >= 300 && held < 3000, `rescinded after ${held} ms with a 600 ms offer timeout`);
  assert.not.ok(fw.outstandingOffers().some((o) => o.id === first.id), 'the SDK forgets a rescinded offer');
  const again = await q.next('the same resources offered again');
  assert.is(again.agentId, first.agentId);
  assert.is.not(again.id, first.id);
  // An accept of the rescinded offer is refused as such.
  const told = firstValueFrom(fw.refusals$);
  await fw.accept([first.id], []);
  assert.is((await within(told, 5000, 'the refusal')).code, 'OFFER_EXPIRED');
});

test('an agent that answers pings stays active across many ping rounds', async () => {
  const before = Date.now();
  await waitFor(() => Date.now() - before > 1000, 'a second of pings (7 rounds)', 5000, 100);
  assert.is(cluster.master.state().agents.get(agent.agentId)?.status, 'ACTIVE');
});

test('an agent that stops answering is removed by an event and its running task is TASK_LOST', async () => {
  const offer = await new OfferQueue(fw).next();
  assert.ok(offer.expiresAt !== undefined, 'offers say when they expire');
  await fw.accept([offer.id], [{ taskId: 'long', agentId: agent.agentId, resources: 'cpus:1;mem:128', command: 'sleep 1000' }]);
  await waitFor(() => agent.commands.length === 1, 'the launch command to reach the agent');
  const running = firstValueFrom(fw.updates$.pipe(filter((u) => u.state === 'TASK_RUNNING')));
  await agent.report(fw.frameworkId, 'long', 'TASK_RUNNING');
  await within(running, 10_000, 'TASK_RUNNING');
  const lost = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 'long' && u.state === 'TASK_LOST')));
  const silentAt = Date.now();
  agent.silence();
  const u = await within(lost, 10_000, 'TASK_LOST');
  const took = Date.now() - silentAt;
  assert.is(u.reason, 'REASON_AGENT_REMOVED');
  assert.is(u.source, 'SOURCE_MASTER');
  assert.ok(took >= 300, `removed after ${took} ms, before 3 ping timeouts of 150 ms could pass`);
  const s = cluster.master.state();
  assert.is(s.agents.get(agent.agentId)?.status, 'REMOVED');
  assert.is(s.counters.slaveRemovals, 1);
  assert.is(s.tasks.get(`${fw.frameworkId}/long` as never)?.state, 'TASK_UNREACHABLE');
  assert.is(s.offers.size, 0, 'no offers on a removed agent');
});

test('the agent comes back: it is active again and its task is running again', async () => {
  const back = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 'long' && u.state === 'TASK_RUNNING')));
  await agent.reregister([{ frameworkId: fw.frameworkId, taskId: 'long', state: 'TASK_RUNNING' }]);
  const u = await within(back, 10_000, 'the task to come back');
  assert.is(u.reason, 'REASON_AGENT_REREGISTERED');
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent to be active');
  const t = cluster.master.state().tasks.get(`${fw.frameworkId}/long` as never);
  assert.is(t?.state, 'TASK_RUNNING');
  assert.ok(t?.holdsResources, 'its resources are counted again');
});

test('MARK_AGENT_GONE on an unreachable agent takes effect: gone for good, its task TASK_GONE_BY_OPERATOR, it may not come back', async () => {
  const other = await startEmulatedAgent(cluster.nats, cluster.log);
  await waitFor(() => cluster.master.state().agents.get(other.agentId)?.status === 'ACTIVE', 'a second agent to register');
  try {
    const offer = await waitFor(() => fw.outstandingOffers().find((o) => o.agentId === other.agentId), 'an offer of the second agent');
    await fw.accept([offer.id], [{ taskId: 'stranded', agentId: other.agentId, resources: 'cpus:1;mem:128', command: 'sleep 1000' }]);
    await waitFor(() => other.commands.length === 1, 'the launch command to reach the agent');
    await other.report(fw.frameworkId, 'stranded', 'TASK_RUNNING');
    await waitFor(() => cluster.master.state().tasks.get(`${fw.frameworkId}/stranded` as never)?.state === 'TASK_RUNNING' || undefined, 'the task to run');
    other.silence();
    await waitFor(() => cluster.master.state().agents.get(other.agentId)?.status === 'REMOVED' || undefined, 'the agent to be unreachable', 10_000);
    const r = await op(cluster.master.url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: other.agentId } } });
    assert.is(r.status, 200, r.text);
    await waitFor(() => cluster.master.state().agents.get(other.agentId)?.gone === true || undefined, 'the agent to be marked gone');
    const s = cluster.master.state();
    assert.not.ok(s.tasks.has(`${fw.frameworkId}/stranded` as never), 'its task is no longer live');
    const done = s.frameworks.get(fw.frameworkId)?.completedTasks.find((t) => t.taskId === 'stranded');
    assert.is(done?.state, 'TASK_GONE_BY_OPERATOR');
    await other.reregister([{ frameworkId: fw.frameworkId, taskId: 'stranded', state: 'TASK_RUNNING' }]);
    const head = cluster.master.seq();
    await waitFor(() => cluster.master.seq() > head || undefined, 'the reregistration to be folded');
    assert.is(cluster.master.state().agents.get(other.agentId)?.status, 'REMOVED', 'a gone agent stays gone');
  } finally {
    await other.close();
  }
});

test.run();
