/**
 * Unacknowledged status updates are delivered again by the leader, with backoff, to native SDK
 * frameworks (core NATS) and HTTP frameworks (their stream), until acknowledged — and the log
 * holds each update once (re-delivery is not an event). Real nats-server and master; the agent is
 * emulated (it reports the statuses the test asks for).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type TaskStatus, subjects } from '../../events/index.js';
import { type Bus, readLog } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { HttpFramework } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
const MIN_MS = 300;
const MAX_MS = 600;
let nats: SecureTestNats;
let master: MasterHandle;
let agent: EmulatedAgent;
let bus: Bus;

test.before(async () => {
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', 'm1'), port: 0, allocationIntervalMs: 100, statusUpdateRetryMinMs: MIN_MS, statusUpdateRetryMaxMs: MAX_MS }, log);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  agent = await startEmulatedAgent(nats, log);
  bus = await nats.bus('auditor', 'redelivery-reader', log);
});

test.after(async () => {
  await agent?.close();
  await bus?.close();
  await master?.stop();
  await nats?.stop();
});

async function statusEventsInLog(frameworkId: string, taskId: string): Promise<number> {
  let n = 0;
  for await (const e of readLog(bus, { filter: subjects.statusesOf(frameworkId as never), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated' && e.decoded.event.status.taskId === taskId) n++;
  }
  return n;
}

test('native SDK framework: an update it does not acknowledge comes again (same uuid), with backoff, until it does; once in the log', async () => {
  const fw: Scheduler = await subscribe({ ...nats.framework(), name: 'no-ack', log });
  const seen: Array<{ s: TaskStatus; at: number }> = [];
  fw.updates$.subscribe((s) => seen.push({ s, at: Date.now() }));
  try {
    const offer = await waitFor(() => fw.outstandingOffers().find((o) => o.agentId === agent.agentId), 'an offer');
    await fw.accept([offer.id], [{ taskId: 'n1', agentId: agent.agentId as AgentId, resources: 'cpus:0.1;mem:32', command: 'true' }]);
    await waitFor(() => master.state().tasks.get(`${fw.frameworkId}/n1` as never) !== undefined, 'the task');
    await agent.report(fw.frameworkId, 'n1', 'TASK_RUNNING');
    const copies = await waitFor(() => {
      const r = seen.filter((x) => x.s.taskId === 'n1' && x.s.state === 'TASK_RUNNING');
      return r.length >= 4 ? r : undefined;
    }, 'the update three more times', 10_000);
    assert.is(new Set(copies.map((c) => c.s.uuid)).size, 1, 'the same update');
    const gaps = copies.slice(1).map((c, i) => c.at - copies[i]!.at);
    assert.ok(gaps[0]! >= MIN_MS * 0.8, `first re-delivery after ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= gaps[0]! * 1.3 || gaps[1]! >= MAX_MS * 0.8, `backoff grows: ${gaps.join(', ')}`);
    assert.is(await statusEventsInLog(fw.frameworkId, 'n1'), 1, 'the log holds it once');

    await fw.acknowledge(copies[0]!.s);
    await waitFor(() => master.state().tasks.get(`${fw.frameworkId}/n1` as never)?.unacknowledged.length === 0, 'the acknowledgement folded');
    const after = seen.length;
    const until = Date.now() + MAX_MS * 2;
    await waitFor(() => Date.now() >= until, 'two maximal retry intervals', MAX_MS * 4, 50);
    assert.is(seen.length, after, 'no more re-deliveries once acknowledged');
  } finally {
    await fw.teardown();
  }
});

test('HTTP framework: an unacknowledged update comes again on its stream; an acknowledged one does not', async () => {
  const fw = await HttpFramework.subscribe(master.url, { user: 'root', name: 'http-no-ack' }, { autoAck: false });
  try {
    const offers = await fw.takeOffers({ cpus: 0.1, mem: 32 });
    const offer = offers.find((o) => o.agent_id.value === agent.agentId)!;
    const call = await fw.call('ACCEPT', {
      accept: {
        offer_ids: [offer.id],
        operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 'h1', task_id: { value: 'h1' }, agent_id: { value: agent.agentId }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], command: { value: 'true' } }] } }],
        filters: { refuse_seconds: 0 },
      },
    });
    assert.is(call.status, 202);
    await waitFor(() => master.state().tasks.get(`${fw.frameworkId}/h1` as never) !== undefined, 'the task');
    await agent.report(fw.frameworkId, 'h1', 'TASK_RUNNING');
    await fw.next(() => fw.statuses('h1').filter((s) => s.state === 'TASK_RUNNING').length >= 3, 'the update twice more', { timeoutMs: 10_000 });
    const running = fw.statuses('h1').filter((s) => s.state === 'TASK_RUNNING');
    assert.is(new Set(running.map((s) => s.uuid)).size, 1);
    assert.is(await statusEventsInLog(fw.frameworkId, 'h1'), 1);
    const s = running[0]!;
    assert.is((await fw.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })).status, 202);
    await waitFor(() => master.state().tasks.get(`${fw.frameworkId}/h1` as never)?.unacknowledged.length === 0, 'the acknowledgement folded');
    const after = fw.statuses('h1').length;
    const until = Date.now() + MAX_MS * 2;
    await waitFor(() => Date.now() >= until, 'two maximal retry intervals', MAX_MS * 4, 50);
    assert.is(fw.statuses('h1').length, after);
  } finally {
    await fw.call('TEARDOWN');
    fw.close();
  }
});

test.run();
