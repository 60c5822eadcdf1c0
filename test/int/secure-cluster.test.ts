/**
 * A whole cluster on a secured bus (nats-server in operator mode): a master, an agent and a
 * native-SDK framework, each with its own credentials, run a task from offer to FINISHED; the
 * SDK is bound to the framework id of its credentials.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { OfferQueue } from '../helpers/offers.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
const FW = randomUUID();

test.before(async () => {
  cluster = await startCluster({ agents: 1 });
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
});

test('without credentials the SDK is refused, naming --creds', async () => {
  const err = await subscribe({ nats: cluster.nats.url, name: 'anon', log: cluster.log }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  assert.ok(err !== null);
  assert.match(err.message, /--creds FILE/);
});

test("framework credentials bind the SDK to their id; another id is refused", async () => {
  const creds = cluster.creds('framework', FW);
  const err = await subscribe({ nats: cluster.nats.url, name: 'other', log: cluster.log, creds, frameworkId: randomUUID() }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  assert.ok(err !== null);
  assert.match(err.message, /cannot subscribe as framework/);
  fw = await subscribe({ nats: cluster.nats.url, name: 'secure', log: cluster.log, creds, user: 'nobody' });
  assert.is(fw.frameworkId, FW);
});

test('offer → accept → STARTING, RUNNING, FINISHED on a secured bus', async () => {
  const offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  const offer = await offers.next();
  assert.is(offer.agentId, cluster.agents[0]!.agentId);
  const all = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 't-sec'), take(3), toArray(), timeout(30_000)));
  await fw.accept([offer.id], [{ taskId: 't-sec', agentId: offer.agentId, resources: 'cpus:0.5;mem:64', command: 'echo secure' }]);
  assert.equal((await all).map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  await waitFor(() => cluster.master.state().frameworks.get(fw.frameworkId)?.completedTasks.some((t) => t.taskId === 't-sec'), 'the task to complete');
  // No party met a permission it lacks while doing its job.
  const violations = cluster.nats.server.logTail().split('\n').filter((l) => /Violation/.test(l) && !/Authorization Violation/.test(l));
  assert.equal(violations, []);
  // Reconciliation (a request/reply to the leader) works with per-user inboxes.
  const answer = await fw.reconcile([{ taskId: 't-sec' }]);
  assert.ok(Array.isArray(answer));
});

test.run();
