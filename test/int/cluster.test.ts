/**
 * The vertical slice against a real nats-server, a real master and a real agent (real cgroups
 * where the machine has them): offer → accept → run → TASK_FINISHED; decline filters; kill; the
 * memory limit; malformed messages; replaying the log gives the master's state exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { SCHEMA_VERSION, type TaskStatus, isTerminal } from '../../events/index.js';
import { connectBus, headSeq } from '../../kernel/shell/bus.js';
import { cloneState } from '../../kernel/core/state.js';
import * as R from '../../kernel/core/resources.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { OfferQueue } from '../helpers/offers.js';
import { replayLog, stateToJson } from '../../replay/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
let offers: OfferQueue;

const terminalOf = (s: Scheduler, taskId: string, ms = 20_000): Promise<TaskStatus> =>
  firstValueFrom(
    s.updates$.pipe(
      filter((u) => u.taskId === taskId && isTerminal(u.state)),
      timeout({ first: ms, with: () => { throw new Error(`task ${taskId} did not end within ${ms} ms`); } }),
    ),
  );

/** Acknowledge everything the framework receives, as a well-behaved framework does. */
function autoAck(s: Scheduler): void {
  s.updates$.subscribe((u) => void s.acknowledge(u).catch(() => undefined));
}

test.before(async () => {
  cluster = await startCluster({ agents: 1 });
  fw = await subscribe({ ...cluster.framework(), name: 'it', log: cluster.log });
  offers = new OfferQueue(fw);
  autoAck(fw);
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
});

test('an agent registers and its resources are offered to a framework', async () => {
  const offer = await offers.next();
  const agent = cluster.agents[0]!;
  assert.is(offer.agentId, agent.agentId);
  assert.is(R.scalar(offer.resources, 'cpus'), 2);
  assert.is(R.scalar(offer.resources, 'mem'), 1024);
  assert.equal(R.ranges(offer.resources, 'ports'), [[31000, 31099]]);
  await fw.decline([offer.id], 0);
});

test('offer → accept → the task runs → STARTING, RUNNING, FINISHED reach the framework; the ack completes it', async () => {
  const offer = await offers.next();
  const seen: TaskStatus[] = [];
  const all = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 't-ok'), take(3), toArray()));
  await fw.accept([offer.id], [{ taskId: 't-ok', agentId: offer.agentId, resources: 'cpus:0.5;mem:64', command: 'echo out-$MESOS_TASK_ID; echo err >&2' }]);
  seen.push(...(await all));
  assert.equal(seen.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  for (const s of seen) assert.ok(s.uuid, 'agent updates carry a uuid to acknowledge');
  // The master: resources back, the task completed once its terminal update was acknowledged.
  const fid = fw.frameworkId;
  await waitFor(() => cluster.master.state().frameworks.get(fid)?.completedTasks.some((t) => t.taskId === 't-ok'), 'the task to complete');
  const agent = cluster.master.state().agents.get(offer.agentId)!;
  assert.is(R.scalar(agent.used, 'cpus'), 0);
  // Its sandbox holds stdout and stderr.
  const { readFileSync } = await import('node:fs');
  const sandbox = await findSandbox(cluster.dir, 't-ok');
  assert.ok(sandbox, 'a sandbox exists for the task');
  assert.match(readFileSync(`${sandbox}/stdout`, 'utf8'), 'out-t-ok');
  assert.match(readFileSync(`${sandbox}/stderr`, 'utf8'), 'err');
});

test('a failing command is TASK_FAILED with its exit status', async () => {
  const offer = await offers.next();
  const end = terminalOf(fw, 't-fail');
  await fw.accept([offer.id], [{ taskId: 't-fail', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: 'exit 3' }]);
  const s = await end;
  assert.is(s.state, 'TASK_FAILED');
  assert.match(s.message ?? '', '3');
});

test('decline with a filter keeps the agent out of this framework\'s offers until the filter expires', async () => {
  const offer = await offers.next();
  const declinedAt = Date.now();
  await fw.decline([offer.id], 1.5);
  const again = await offers.next('offer after the filter');
  const waited = Date.now() - declinedAt;
  assert.is(again.agentId, offer.agentId);
  assert.ok(waited >= 1400, `the agent was offered again after ${waited} ms, before its 1.5 s filter expired`);
  // Meanwhile another framework was not filtered.
  await fw.decline([again.id], 0);
});

test('another framework is offered what the first one declined with a long filter', async () => {
  const offer = await offers.next();
  await fw.decline([offer.id], 600);
  const other = await subscribe({ ...cluster.framework(), name: 'it-other', log: cluster.log });
  try {
    const o2 = await new OfferQueue(other).next('an offer for the second framework');
    assert.is(o2.agentId, offer.agentId);
    await other.decline([o2.id], 600);
  } finally {
    await other.teardown();
  }
  await fw.revive();
});

test('kill: SIGTERM, grace, TASK_KILLED', async () => {
  const offer = await offers.next();
  const running = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 't-kill' && u.state === 'TASK_RUNNING')));
  const end = terminalOf(fw, 't-kill');
  await fw.accept([offer.id], [{ taskId: 't-kill', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: 'sleep 1000' }]);
  await running;
  await fw.kill('t-kill');
  const s = await end;
  assert.is(s.state, 'TASK_KILLED');
});

test('a task over its memory limit is TASK_FAILED with REASON_CONTAINER_LIMITATION_MEMORY', async () => {
  const offer = await offers.next();
  const end = terminalOf(fw, 't-oom', 30_000);
  await fw.accept(
    [offer.id],
    [{ taskId: 't-oom', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: `python3 -c "b = bytearray(300*1024*1024); import time; time.sleep(30)"` }],
  );
  const s = await end;
  assert.is(s.state, 'TASK_FAILED');
  assert.is(s.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
});

test('an accept of an offer that is not outstanding is refused and the framework is told why', async () => {
  const offer = await offers.next();
  await fw.decline([offer.id], 0);
  const told = firstValueFrom(fw.refusals$);
  const update = firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === 't-stale')));
  await fw.accept([offer.id], [{ taskId: 't-stale', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: 'true' }]);
  const r = await told;
  assert.is(r.code, 'OFFER_UNKNOWN');
  const u = await update;
  assert.is(u.state, 'TASK_LOST');
  assert.is(u.reason, 'REASON_INVALID_OFFERS');
  // An accept for more than the offer holds.
  const o2 = await offers.next();
  const told2 = firstValueFrom(fw.refusals$);
  await fw.accept([o2.id], [{ taskId: 't-big', agentId: o2.agentId, resources: 'cpus:64;mem:32', command: 'true' }]);
  assert.is((await told2).code, 'RESOURCES_EXCEEDED');
});

test('malformed messages on the bus are counted and skipped; the master keeps working', async () => {
  // The framework itself, buggy: malformed messages on its own subjects, with its own credentials.
  const fid = fw.frameworkId;
  const bus = await cluster.bus('framework', fid, 'vandal');
  const enc = new TextEncoder();
  await bus.js.publish(`cl.fw.${fid}.accepted`, enc.encode('this is not json'));
  await bus.js.publish(`cl.fw.${fid}.accepted`, enc.encode(JSON.stringify({ type: 'OffersAccepted', schemaVersion: 1 })));
  await bus.js.publish(`cl.fw.${fid}.accepted`, enc.encode(JSON.stringify({ type: 'Nonsense', schemaVersion: 1, id: 'x', time: 1 })));
  // A well-formed event on the wrong subject (a framework speaking for another one).
  await bus.js.publish(
    `cl.fw.${fid}.declined`,
    enc.encode(JSON.stringify({ type: 'OffersDeclined', schemaVersion: SCHEMA_VERSION, id: 'w1', time: Date.now(), frameworkId: 'someone-else', offerIds: ['o'] })),
  );
  const head = await headSeq(bus.jsm);
  await bus.close();
  await waitFor(() => cluster.master.seq() >= head, 'the master to fold past the garbage');
  const metrics = (await (await fetch(`${cluster.master.url}/metrics/snapshot`)).json()) as Record<string, number>;
  assert.ok((metrics['master/dropped_messages'] ?? 0) >= 4, `dropped_messages is ${metrics['master/dropped_messages']}`);
  // And a task still runs.
  const offer = await offers.next();
  const end = terminalOf(fw, 't-after');
  await fw.accept([offer.id], [{ taskId: 't-after', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: 'true' }]);
  assert.is((await end).state, 'TASK_FINISHED');
});

test('HTTP: /health, /master/state with Mesos field names, /metrics/snapshot', async () => {
  const base = cluster.master.url;
  assert.is((await fetch(`${base}/health`)).status, 200);
  const st = (await (await fetch(`${base}/master/state`)).json()) as Record<string, unknown> & {
    slaves: Array<Record<string, unknown>>;
    frameworks: Array<Record<string, unknown>>;
  };
  for (const k of ['version', 'id', 'pid', 'hostname', 'leader', 'leader_info', 'start_time', 'elected_time', 'activated_slaves', 'slaves', 'frameworks', 'completed_frameworks', 'flags']) {
    assert.ok(k in st, `/master/state has ${k}`);
  }
  const slave = st.slaves[0]!;
  for (const k of ['id', 'hostname', 'resources', 'used_resources', 'offered_resources', 'attributes', 'active', 'registered_time']) assert.ok(k in slave, `slave has ${k}`);
  assert.is((slave.resources as Record<string, unknown>).ports, '[31000-31099]');
  const f = st.frameworks.find((x) => x.id === fw.frameworkId)!;
  for (const k of ['id', 'name', 'tasks', 'completed_tasks', 'offered_resources', 'used_resources', 'active']) assert.ok(k in f, `framework has ${k}`);
  const completed = f.completed_tasks as Array<Record<string, unknown>>;
  assert.ok(completed.some((t) => t.id === 't-ok' && t.state === 'TASK_FINISHED'));
  const m = (await (await fetch(`${base}/metrics/snapshot`)).json()) as Record<string, number>;
  assert.is(m['master/elected'], 1);
  assert.is(m['master/slaves_active'], 1);
  assert.ok((m['master/tasks_finished'] ?? 0) >= 2);
  assert.ok((m['master/tasks_failed'] ?? 0) >= 2);
  assert.ok((m['master/tasks_killed'] ?? 0) >= 1);
  assert.is(m['master/cpus_total'], 2);
  const r404 = await fetch(`${base}/nope`);
  assert.is(r404.status, 404);
  const r405 = await fetch(`${base}/master/state`, { method: 'DELETE' });
  assert.is(r405.status, 405);
});

test('replaying the log reproduces the master\'s state exactly', async () => {
  // Take the master's state and its sequence in the same tick, then fold the log up to there.
  const seq = cluster.master.seq();
  const mine = cloneState(cluster.master.state());
  const bus = await cluster.bus('auditor', 'replay');
  try {
    const r = await replayLog(bus, { toSeq: seq });
    assert.is(r.seq, seq);
    assert.ok(r.codec.malformed >= 4, 'the replay skips the same malformed messages');
    assert.equal(stateToJson(r.state), stateToJson(mine));
  } finally {
    await bus.close();
  }
});

/** The run directory of a task's sandbox (Mesos layout …/executors/<taskId>/runs/<containerId>). */
async function findSandbox(root: string, taskId: string): Promise<string | undefined> {
  const { readdirSync, statSync } = await import('node:fs');
  const walk = (dir: string, depth: number): string | undefined => {
    if (depth > 12) return undefined;
    for (const name of readdirSync(dir)) {
      const p = `${dir}/${name}`;
      if (!statSync(p).isDirectory()) continue;
      if (p.includes(`/executors/${taskId}/runs/`) && name !== 'runs') return p;
      const found = walk(p, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root, 0);
}

test.run();
