/**
 * Draining an agent that runs real tasks (a real master, a real agent, posix isolation): the tasks
 * the drain kills end TASK_KILLED with REASON_AGENT_DRAINING and a message naming the drain, as
 * Mesos reports them; the drained agent is then DRAINED.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTerminal, type TaskStatus } from '../../events/index.js';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { connectBus, readLog } from '../../kernel/shell/bus.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { op } from '../helpers/operator.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
const seen: TaskStatus[] = [];

test.before(async () => {
  cluster = await startCluster({ agents: 1, isolation: 'posix', agentResources: 'cpus:2;mem:1024;disk:1024' });
  fw = await subscribe({ ...cluster.framework(), name: 'drain-test', log: cluster.log, capabilities: ['PARTITION_AWARE'] });
  fw.updates$.subscribe((u) => {
    seen.push(u);
    void fw.acknowledge(u).catch(() => undefined);
  });
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

test('DRAIN_AGENT: a running task ends TASK_KILLED, REASON_AGENT_DRAINING, with a message naming the drain', async () => {
  const agent = cluster.agents[0]!;
  const offer = await waitFor(() => fw.outstandingOffers().find((o) => o.agentId === agent.agentId), 'an offer of the agent');
  await fw.accept([offer.id], [{ taskId: 'drained', agentId: agent.agentId, resources: 'cpus:0.5;mem:64', command: 'sleep 100', killGracePeriodMs: 30_000 }]);
  await waitFor(() => seen.find((s) => s.taskId === 'drained' && s.state === 'TASK_RUNNING'), 'the task to run');
  const drain = await op(cluster.master.url, { type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: agent.agentId }, max_grace_period: { seconds: 1 } } });
  assert.is(drain.status, 200, drain.text);
  const end = await waitFor(() => seen.find((s) => s.taskId === 'drained' && isTerminal(s.state)), 'the task to end', 20_000);
  assert.is(end.state, 'TASK_KILLED');
  assert.is(end.reason, 'REASON_AGENT_DRAINING');
  const bus = await cluster.bus('auditor', 'reader');
  let drainId: string | undefined;
  try {
    for await (const e of readLog(bus, { fromSeq: 1, untilHead: true })) if (e.decoded.ok && e.decoded.event.type === 'AgentDrainStarted') drainId = e.decoded.event.id;
  } finally {
    await bus.close();
  }
  assert.ok(drainId !== undefined, 'the drain is in the log');
  assert.ok(end.message?.includes(`agent ${agent.agentId} is draining`), end.message);
  assert.ok(end.message?.includes(drainId!), `the message names the drain (${drainId}): ${end.message}`);
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.drain?.state === 'DRAINED' || undefined, 'the agent to be DRAINED');
});

test.run();
