/**
 * The Apache Mesos v1 scheduler HTTP API (`POST /api/v1/scheduler`) end to end: a test client
 * (test/helpers/scheduler-http.ts, which checks the RecordIO framing of every stream byte for
 * byte) drives a real master and a real agent over HTTP only: SUBSCRIBE and heartbeats, offers,
 * LAUNCH and LAUNCH_GROUP, acknowledgements, KILL, DECLINE filters, SUPPRESS/REVIVE,
 * reconciliation, invalid tasks and offers, TEARDOWN, scheduler failover and disconnection with
 * the failover timeout, bad input of every kind, /master/redirect and a standby master's 307,
 * and a SUBSCRIBE whose client is gone before the master answers (the log is paused with SIGSTOP
 * to make that race certain).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { V1SchedulerClient } from '../../frameworks/http/client.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { type Ev, HttpFramework, type RawResponse, RecordIoChecker, SchedulerStream, isUuid, rawRequest } from '../helpers/scheduler-http.js';

const HEARTBEAT_MS = 300;

let cluster: TestCluster;
let base: string;
let agentId: string;
/** The framework most tests share (torn down by the TEARDOWN test). */
let main: HttpFramework;
/** A second master (the redirect test). */
let standby: MasterHandle | undefined;
const streams: SchedulerStream[] = [];
const clientSubs: Array<{ close(): void }> = [];

async function subscribe(info: Record<string, unknown>, o: Parameters<typeof HttpFramework.subscribe>[2] = {}): Promise<HttpFramework> {
  const fw = await HttpFramework.subscribe(base, { user: 'root', ...info }, o);
  streams.push(fw.stream);
  return fw;
}

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } });
const small = () => [scalar('cpus', 0.1), scalar('mem', 32)];

function taskInfo(id: string, command: string, extra: Record<string, unknown> = {}): Ev {
  return { name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: small(), command: { shell: true, value: command }, ...extra };
}

function launch(offers: Ev[], tasks: Ev[]): Record<string, unknown> {
  return { accept: { offer_ids: offers.map((o) => o.id), operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 0 } } };
}

async function frameworksJson(): Promise<Ev> {
  const r = await rawRequest(base, { method: 'GET', path: '/master/frameworks' });
  assert.is(r.status, 200, `/master/frameworks answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as Ev;
}

const findFw = (j: Ev, key: 'frameworks' | 'completed_frameworks', id: string): Ev | undefined => (j[key] as Ev[]).find((f) => f.id === id);

function accepted(r: RawResponse, what: string): void {
  assert.is(r.status, 202, `${what} answered ${r.status}: ${r.body}`);
}

/** A 4xx (or other error) answer with a clear plain-text reason. */
function refused(r: RawResponse, status: number, reason: RegExp | undefined, what: string): void {
  assert.is(r.status, status, `${what}: expected ${status}, got ${r.status}: ${r.body}`);
  assert.match(String(r.headers['content-type']), /^text\/plain/, `${what}: the reason is plain text`);
  assert.ok(r.body.trim().length > 0, `${what}: the answer gives a reason`);
  if (reason !== undefined) assert.match(r.body, reason, `${what}: reason ${JSON.stringify(r.body)}`);
}

function framingOk(...ss: SchedulerStream[]): void {
  for (const s of ss) assert.equal(s.checker.errors, [], 'the stream is valid RecordIO');
}

function uuidOk(s: Ev): void {
  assert.type(s.uuid, 'string', `the ${s.state} update of ${s.task_id.value} carries a uuid`);
  assert.match(s.uuid, /^[A-Za-z0-9+/]{22}==$/, 'the uuid is base64');
  assert.is(Buffer.from(s.uuid, 'base64').length, 16, 'the uuid is 16 bytes');
}

test.before(async () => {
  cluster = await startCluster({ agents: 1, master: { heartbeatIntervalMs: HEARTBEAT_MS } });
  base = cluster.master.url;
  agentId = cluster.agents[0]!.agentId;
});

test.after(async () => {
  for (const s of streams) s.close();
  for (const c of clientSubs) c.close();
  await standby?.stop();
  await cluster?.stop();
});

// ---------------------------------------------------------------------------------------------

test('SUBSCRIBE: 200, application/json, a Mesos-Stream-Id UUID, chunked RecordIO; SUBSCRIBED first; HEARTBEAT every interval', async () => {
  const s = await SchedulerStream.open(base, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'sched-api-subscribe' } } });
  streams.push(s);
  assert.is(s.status, 200);
  assert.is(s.headers['content-type'], 'application/json');
  assert.ok(isUuid(s.headers['mesos-stream-id']), `Mesos-Stream-Id is a UUID: ${String(s.headers['mesos-stream-id'])}`);
  assert.is(s.headers['transfer-encoding'], 'chunked');
  assert.is(s.headers['content-length'], undefined);

  const first = await s.next(() => true, 'the first record');
  assert.is(first.e.type, 'SUBSCRIBED');
  const fid = first.e.subscribed?.framework_id?.value as unknown;
  assert.type(fid, 'string');
  assert.ok((fid as string).length > 0, 'a framework id is assigned');
  assert.is(first.e.subscribed.heartbeat_interval_seconds, HEARTBEAT_MS / 1000);
  assert.is(first.e.subscribed.master_info?.port, cluster.master.port);

  // Heartbeats: one right after SUBSCRIBED, then one every interval.
  const isBeat = (e: Ev): boolean => e.type === 'HEARTBEAT';
  await s.next(() => s.log.filter((l) => isBeat(l.e)).length >= 7, 'seven heartbeats', { timeoutMs: 6_000 });
  const beats = s.log.filter((l) => isBeat(l.e));
  const gaps = beats.slice(2).map((b, i) => b.at - beats[i + 1]!.at);
  for (const g of gaps) assert.ok(g >= HEARTBEAT_MS / 2 && g <= HEARTBEAT_MS * 3, `heartbeat gaps ${gaps.join(', ')} ms for a ${HEARTBEAT_MS} ms interval`);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(mean >= HEARTBEAT_MS * 0.8 && mean <= HEARTBEAT_MS * 1.5, `mean heartbeat gap ${mean} ms`);

  // A record with multi-byte characters: its length prefix must count bytes, not characters.
  const taskId = 'tâche-✓-ü-' + randomUUID().slice(0, 4);
  const r = await rawRequest(base, {
    headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': String(s.headers['mesos-stream-id']) },
    body: JSON.stringify({ type: 'RECONCILE', framework_id: { value: fid }, reconcile: { tasks: [{ task_id: { value: taskId } }] } }),
  });
  accepted(r, 'RECONCILE');
  const reply = await s.next((e) => e.type === 'UPDATE' && e.update?.status?.task_id?.value === taskId, 'the reconciliation answer');
  assert.ok(reply.record.payload.length > reply.record.payload.toString('utf8').length, 'the record holds multi-byte characters');
  assert.is(Number(reply.record.prefix), reply.record.payload.length);

  // The whole stream so far, byte for byte: records back to back, nothing else.
  s.close();
  await s.end('the stream to close');
  const all = Buffer.concat(s.raw);
  const again = new RecordIoChecker();
  const records = again.push(all);
  assert.equal(again.errors, []);
  assert.ok(records.length >= 9, `${records.length} records`);
  const rebuilt = Buffer.concat(records.flatMap((x) => [Buffer.from(`${x.prefix}\n`, 'latin1'), x.payload]));
  assert.is(rebuilt.length, all.length, 'the stream is exactly its records: no byte before, between or after them');
  assert.ok(rebuilt.equals(all));
  assert.is(records[0]!.json.type, 'SUBSCRIBED');
  for (const x of records) assert.is(x.payload.length, Number(x.prefix), 'each prefix is the byte length of its payload');
  framingOk(s);
});

test('OFFERS: {"type":"OFFERS","offers":{"offers":[…]}} with Mesos field names and resource shapes', async () => {
  main = await subscribe({ name: 'sched-api-main' });
  const l = await main.next((e) => e.type === 'OFFERS', 'an OFFERS event');
  assert.equal(Object.keys(l.e).sort(), ['offers', 'type']);
  assert.equal(Object.keys(l.e.offers), ['offers']);
  assert.ok(Array.isArray(l.e.offers.offers) && l.e.offers.offers.length === 1, 'one offer for the one agent');
  const o = l.e.offers.offers[0] as Ev;
  assert.type(o.id?.value, 'string');
  assert.ok(o.id.value.length > 0);
  assert.equal(o.framework_id, { value: main.frameworkId });
  assert.equal(o.agent_id, { value: agentId });
  assert.type(o.hostname, 'string');
  assert.ok(o.hostname.length > 0);
  assert.equal(o.allocation_info, { role: '*' });
  const byName = new Map((o.resources as Ev[]).map((r) => [r.name as string, r]));
  assert.equal([...byName.keys()].sort(), ['cpus', 'disk', 'mem', 'ports']);
  for (const [name, value] of [['cpus', 2], ['mem', 1024], ['disk', 1024]] as const) {
    const r = byName.get(name)!;
    assert.is(r.type, 'SCALAR', name);
    assert.equal(r.scalar, { value }, name);
    assert.is(r.ranges, undefined);
  }
  const ports = byName.get('ports')!;
  assert.is(ports.type, 'RANGES');
  assert.equal(ports.ranges, { range: [{ begin: 31000, end: 31099 }] });
  assert.is(ports.scalar, undefined);
  for (const r of byName.values()) {
    assert.equal(r.allocation_info, { role: '*' }, `${r.name} carries allocation_info`);
    assert.is(r.role, '*', `${r.name} is unreserved`);
  }
  framingOk(main.stream);
});

test('ACCEPT LAUNCH → 202; STARTING, RUNNING, FINISHED with uuid, agent_id, source; ACKNOWLEDGE each → 202; then completed_tasks', async () => {
  main.autoAck = false;
  try {
    const offers = await main.takeOffers();
    let from = main.log.length;
    const r = await main.call('ACCEPT', launch(offers, [taskInfo('t-echo', 'echo hello')]));
    accepted(r, 'ACCEPT');
    assert.is(r.body, '');
    const seen: Ev[] = [];
    for (;;) {
      const l = await main.next((e) => e.type === 'UPDATE' && e.update?.status?.task_id?.value === 't-echo', 'an update of t-echo', { from, timeoutMs: 15_000 });
      from = l.index + 1;
      const s = l.e.update.status as Ev;
      seen.push(s);
      uuidOk(s);
      assert.equal(s.agent_id, { value: agentId });
      assert.is(s.source, 'SOURCE_EXECUTOR', `source of ${s.state}`);
      assert.type(s.timestamp, 'number');
      assert.ok(Math.abs(s.timestamp - Date.now() / 1000) < 60, 'timestamp in seconds');
      const ack = await main.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } });
      accepted(ack, `ACKNOWLEDGE of ${s.state}`);
      if (['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST'].includes(s.state)) break;
    }
    assert.equal(seen.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    assert.is(new Set(seen.map((s) => s.uuid)).size, 3, 'each update has its own uuid');
  } finally {
    main.autoAck = true;
  }
  const fw = await waitFor(async () => {
    const f = findFw(await frameworksJson(), 'frameworks', main.frameworkId);
    return f !== undefined && (f.completed_tasks as Ev[]).some((t) => t.id === 't-echo') ? f : undefined;
  }, 't-echo in completed_tasks');
  const t = (fw.completed_tasks as Ev[]).find((x) => x.id === 't-echo')!;
  assert.is(t.state, 'TASK_FINISHED');
  assert.not.ok((fw.tasks as Ev[]).some((x) => x.id === 't-echo'), 'no longer among the live tasks');
  framingOk(main.stream);
});

test('ACCEPT LAUNCH_GROUP (DEFAULT executor): both tasks FINISHED; a failing task of a group kills the other', async () => {
  const group = (executorId: string, tasks: Ev[]) => ({
    accept: {
      offer_ids: [] as Ev[],
      operations: [
        {
          type: 'LAUNCH_GROUP',
          launch_group: {
            executor: { type: 'DEFAULT', executor_id: { value: executorId }, framework_id: { value: main.frameworkId }, resources: small() },
            task_group: { tasks },
          },
        },
      ],
      filters: { refuse_seconds: 0 },
    },
  });
  const from = main.log.length;
  let call = group('grp-ok', [taskInfo('grp-ok.a', 'echo a'), taskInfo('grp-ok.b', 'sleep 0.2')]);
  call.accept.offer_ids = (await main.takeOffers()).map((o) => o.id);
  accepted(await main.call('ACCEPT', call), 'ACCEPT LAUNCH_GROUP');
  for (const id of ['grp-ok.a', 'grp-ok.b']) {
    const s = await main.terminal(id, { from });
    assert.is(s.state, 'TASK_FINISHED', `${id}: ${s.state} ${s.message ?? ''}`);
    assert.equal(s.executor_id, { value: 'grp-ok' }, 'a group task reports its executor');
    uuidOk(s);
  }

  call = group('grp-bad', [taskInfo('grp-bad.fail', 'sleep 0.3; exit 3'), taskInfo('grp-bad.long', 'sleep 100')]);
  call.accept.offer_ids = (await main.takeOffers()).map((o) => o.id);
  accepted(await main.call('ACCEPT', call), 'ACCEPT LAUNCH_GROUP');
  const failed = await main.terminal('grp-bad.fail', { from });
  assert.is(failed.state, 'TASK_FAILED', `grp-bad.fail: ${failed.state} ${failed.reason ?? ''} ${failed.message ?? ''}`);
  const other = await main.terminal('grp-bad.long', { from, timeoutMs: 10_000 });
  assert.ok(other.state === 'TASK_KILLED' || other.state === 'TASK_FAILED', `the other task of the group ended ${other.state}, expected TASK_KILLED or TASK_FAILED`);
  framingOk(main.stream);
});

test('KILL a running task → 202, TASK_KILLED', async () => {
  const from = main.log.length;
  accepted(await main.call('ACCEPT', launch(await main.takeOffers(), [taskInfo('t-kill', 'sleep 100')])), 'ACCEPT');
  await main.status('t-kill', 'TASK_RUNNING', { from });
  const r = await main.call('KILL', { kill: { task_id: { value: 't-kill' }, agent_id: { value: agentId } } });
  accepted(r, 'KILL');
  const end = await main.terminal('t-kill', { from });
  assert.is(end.state, 'TASK_KILLED');
  assert.equal(end.agent_id, { value: agentId });
  uuidOk(end);
  framingOk(main.stream);
});

test('DECLINE with filters.refuse_seconds: the agent is not offered to the framework again before the filter expires', async () => {
  // Quiet first: nothing runs, and the framework holds the whole agent in offers it has seen.
  await waitFor(() => {
    const s = cluster.master.state();
    const a = s.agents.get(agentId as never);
    const f = s.frameworks.get(main.frameworkId as never);
    if (a === undefined || f === undefined || a.used.length > 0) return false;
    const cpus = f.offered.find((r) => r.name === 'cpus');
    return cpus !== undefined && cpus.type === 'SCALAR' && cpus.scalar === 2 && [...f.offerIds].every((id) => main.held.has(id)) && main.held.size === f.offerIds.size;
  }, 'the framework to hold the whole idle agent');
  const from = main.log.length;
  const t0 = Date.now();
  const { ids, res } = await main.declineHeld(1.5);
  assert.ok(ids.length > 0);
  accepted(res!, 'DECLINE');
  const again = await main.next((e) => e.type === 'OFFERS' && (e.offers.offers as Ev[]).some((o) => o.agent_id?.value === agentId), 'the agent offered again', { from, timeoutMs: 6_000 });
  const waited = again.at - t0;
  assert.ok(waited >= 1_450, `the agent was offered again ${waited} ms after a DECLINE with refuse_seconds 1.5`);
  assert.ok(waited <= 1_500 + 2_500, `the agent was offered again only after ${waited} ms`);
  framingOk(main.stream);
});

test('SUPPRESS → no offers while suppressed; REVIVE → offers again', async () => {
  accepted(await main.call('SUPPRESS', { suppress: { roles: [] } }), 'SUPPRESS');
  // Give back what is held: were the framework not suppressed, it would be offered again at once.
  const { res } = await main.declineHeld(0);
  if (res !== undefined) accepted(res, 'DECLINE');
  await waitFor(async () => findFw(await frameworksJson(), 'frameworks', main.frameworkId)?.suppressed === true, '/master/frameworks to show suppressed');
  const from = main.log.length;
  // Measuring an absence: 1.5 s is 15 allocation intervals of 100 ms.
  await new Promise((r) => setTimeout(r, 1_500));
  const offers = main.log.slice(from).filter((l) => l.e.type === 'OFFERS');
  assert.is(offers.length, 0, 'no OFFERS while suppressed');
  assert.is(main.held.size, 0);
  const t0 = Date.now();
  accepted(await main.call('REVIVE', { revive: { roles: [] } }), 'REVIVE');
  const l = await main.next((e) => e.type === 'OFFERS', 'OFFERS after REVIVE', { from, timeoutMs: 3_000 });
  assert.ok(l.at - t0 < 3_000);
  assert.equal((l.e.offers.offers as Ev[])[0]!.agent_id, { value: agentId });
  assert.is(findFw(await frameworksJson(), 'frameworks', main.frameworkId)?.suppressed, false);
  // REVIVE also clears the framework's filters: declined for an hour, offered again at once.
  const all = await main.takeOffers({ cpus: 2 });
  const next = main.log.length;
  accepted(await main.call('DECLINE', { decline: { offer_ids: all.map((o) => o.id), filters: { refuse_seconds: 3600 } } }), 'DECLINE for an hour');
  accepted(await main.call('REVIVE'), 'REVIVE');
  await main.next((e) => e.type === 'OFFERS', 'OFFERS after REVIVE despite a one-hour filter', { from: next, timeoutMs: 3_000 });
  framingOk(main.stream);
});

test('RECONCILE: explicit (known task, unknown task), implicit; TASK_LOST vs TASK_GONE by PARTITION_AWARE', async () => {
  const from0 = main.log.length;
  accepted(await main.call('ACCEPT', launch(await main.takeOffers(), [taskInfo('t-rec', 'sleep 100')])), 'ACCEPT');
  await main.status('t-rec', 'TASK_RUNNING', { from: from0 });
  await main.settleAcks();
  // Only t-rec is live now (the earlier tasks are acknowledged and completed).
  await waitFor(async () => {
    const f = findFw(await frameworksJson(), 'frameworks', main.frameworkId);
    return f !== undefined && (f.tasks as Ev[]).map((t) => t.id).join() === 't-rec';
  }, 't-rec to be the only live task');

  const isRec = (id: string) => (e: Ev) => e.type === 'UPDATE' && e.update?.status?.task_id?.value === id && e.update.status.reason === 'REASON_RECONCILIATION';
  const reconcile = (tasks: Ev[]) => main.call('RECONCILE', { reconcile: { tasks } });

  // Explicit, a known task: its state, no uuid (nothing to acknowledge).
  let from = main.log.length;
  accepted(await reconcile([{ task_id: { value: 't-rec' }, agent_id: { value: agentId } }]), 'RECONCILE');
  const known = (await main.next(isRec('t-rec'), 'the answer about t-rec', { from })).e.update.status as Ev;
  assert.is(known.state, 'TASK_RUNNING');
  assert.is(known.source, 'SOURCE_MASTER');
  assert.equal(known.agent_id, { value: agentId });
  assert.not.ok('uuid' in known, 'a reconciliation answer carries no uuid');

  // Explicit, an unknown task on the real agent: TASK_LOST for a framework that is not partition-aware.
  from = main.log.length;
  accepted(await reconcile([{ task_id: { value: 'ghost-1' }, agent_id: { value: agentId } }]), 'RECONCILE');
  const ghost = (await main.next(isRec('ghost-1'), 'the answer about ghost-1', { from })).e.update.status as Ev;
  assert.is(ghost.state, 'TASK_LOST');
  assert.not.ok('uuid' in ghost);

  // Implicit: every live task, and nothing else (a sentinel marks the end of the answers).
  from = main.log.length;
  accepted(await reconcile([]), 'RECONCILE (implicit)');
  accepted(await reconcile([{ task_id: { value: 'sentinel' } }]), 'RECONCILE');
  const end = await main.next(isRec('sentinel'), 'the sentinel answer', { from });
  const answers = main.log.slice(from, end.index).filter((l) => l.e.type === 'UPDATE').map((l) => l.e.update.status as Ev);
  assert.equal(answers.map((s) => `${s.task_id.value}:${s.state}:${s.reason}`), ['t-rec:TASK_RUNNING:REASON_RECONCILIATION']);
  assert.not.ok('uuid' in answers[0]!);

  // A partition-aware framework hears TASK_GONE (agent registered) and TASK_UNKNOWN (agent unknown).
  const pa = await subscribe({ name: 'sched-api-pa', capabilities: [{ type: 'PARTITION_AWARE' }] }, { suppressedRoles: ['*'] });
  accepted(await pa.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'ghost-2' }, agent_id: { value: agentId } }, { task_id: { value: 'ghost-3' } }] } }), 'RECONCILE');
  const gone = (await pa.next(isRec('ghost-2'), 'the answer about ghost-2')).e.update.status as Ev;
  assert.is(gone.state, 'TASK_GONE');
  assert.not.ok('uuid' in gone);
  const unknown = (await pa.next(isRec('ghost-3'), 'the answer about ghost-3')).e.update.status as Ev;
  assert.is(unknown.state, 'TASK_UNKNOWN');
  assert.not.ok('agent_id' in unknown, 'no agent id for an unknown task asked about without one (as Mesos)');
  accepted(await pa.call('TEARDOWN'), 'TEARDOWN');
  await pa.stream.end('the partition-aware framework to be torn down');

  from = main.log.length;
  accepted(await main.call('KILL', { kill: { task_id: { value: 't-rec' } } }), 'KILL');
  assert.is((await main.terminal('t-rec', { from })).state, 'TASK_KILLED');
  framingOk(main.stream, pa.stream);
});

test('ACCEPT with invalid tasks (a URI whose output_file leaves the sandbox, a DOCKER container) → 202 and TASK_ERROR / REASON_TASK_INVALID; the valid task of the same ACCEPT runs', async () => {
  const from = main.log.length;
  const offers = await main.takeOffers();
  const r = await main.call(
    'ACCEPT',
    launch(offers, [
      taskInfo('bad-uris-ü', 'true', { command: { shell: true, value: 'true', uris: [{ value: 'http://example.invalid/x.tgz', output_file: '../../x.tgz' }] } }),
      taskInfo('bad-docker', 'true', { container: { type: 'DOCKER', docker: { image: 'busybox' } } }),
      taskInfo('..', 'true'),
      taskInfo('a/b', 'true'),
      taskInfo('with space', 'true'),
      taskInfo('ok-beside-bad', 'true'),
    ]),
  );
  accepted(r, 'ACCEPT with invalid tasks');
  for (const id of ['..', 'a/b', 'with space']) assert.match((await main.terminal(id, { from })).message, /Task ID .* is invalid/, id);
  for (const id of ['bad-uris-ü', 'bad-docker', '..', 'a/b', 'with space']) {
    const s = await main.terminal(id, { from });
    assert.is(s.state, 'TASK_ERROR', id);
    assert.is(s.reason, 'REASON_TASK_INVALID', id);
    assert.is(s.source, 'SOURCE_MASTER', id);
    assert.equal(s.agent_id, { value: agentId }, id);
    assert.type(s.message, 'string');
    assert.ok(s.message.length > 0, 'a message says why');
  }
  assert.is((await main.terminal('ok-beside-bad', { from })).state, 'TASK_FINISHED');
  // The bad ids never reached the agent: its /state and /files answer, and know only the good task.
  const agentBase = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  const st = await rawRequest(agentBase, { method: 'GET', path: '/state' });
  assert.is(st.status, 200, st.body);
  const ids = (JSON.parse(st.body) as Ev).completed_frameworks.concat((JSON.parse(st.body) as Ev).frameworks).flatMap((f: Ev) =>
    [...f.executors, ...f.completed_executors].map((e: Ev) => e.id as string),
  );
  assert.ok(ids.includes('ok-beside-bad') && !ids.includes('..') && !ids.includes('a/b'), ids.join(' '));
  assert.is((await rawRequest(agentBase, { method: 'GET', path: '/files/browse?path=/' })).status < 500, true);
  framingOk(main.stream);
});

test('ACCEPT of an unknown offer → 202 and TASK_LOST / REASON_INVALID_OFFERS for its task', async () => {
  const from = main.log.length;
  const r = await main.call('ACCEPT', launch([{ id: { value: 'no-such-offer' } }], [taskInfo('t-lost', 'true')]));
  accepted(r, 'ACCEPT of an unknown offer');
  const s = await main.terminal('t-lost', { from });
  assert.is(s.state, 'TASK_LOST');
  assert.is(s.reason, 'REASON_INVALID_OFFERS');
  assert.is(s.source, 'SOURCE_MASTER');
  // As Mesos (master.cpp, Master::accept): the update names the task's agent_id.
  assert.equal(s.agent_id, { value: agentId }, 'the TASK_LOST update carries the agent_id of the task');
  framingOk(main.stream);
});

test('TEARDOWN → 202; the stream ends; the framework is completed and its tasks killed', async () => {
  const from = main.log.length;
  accepted(await main.call('ACCEPT', launch(await main.takeOffers(), [taskInfo('t-td', 'sleep 100')])), 'ACCEPT');
  await main.status('t-td', 'TASK_RUNNING', { from });
  await waitFor(() => cluster.agents[0]!.running() === 1, 'the agent to run t-td');
  accepted(await main.call('TEARDOWN'), 'TEARDOWN');
  await main.stream.end('the stream to end after TEARDOWN');
  const j = await waitFor(async () => {
    const x = await frameworksJson();
    return findFw(x, 'completed_frameworks', main.frameworkId) !== undefined ? x : undefined;
  }, 'the framework among completed_frameworks');
  assert.is(findFw(j, 'frameworks', main.frameworkId), undefined);
  const t = (findFw(j, 'completed_frameworks', main.frameworkId)!.completed_tasks as Ev[]).find((x) => x.id === 't-td');
  assert.ok(t, 't-td is among the completed tasks');
  assert.is(t!.state, 'TASK_KILLED');
  await waitFor(() => cluster.agents[0]!.running() === 0, 'the agent to kill t-td');
  // A removed framework cannot subscribe again: 200, one ERROR event, the end of the stream.
  const back = await SchedulerStream.open(base, {
    type: 'SUBSCRIBE',
    framework_id: { value: main.frameworkId },
    subscribe: { framework_info: { user: 'root', name: 'sched-api-main', id: { value: main.frameworkId } } },
  });
  streams.push(back);
  assert.is(back.status, 200);
  await back.end('the refused subscription to end');
  assert.is(back.log.length, 1);
  assert.is(back.log[0]!.e.type, 'ERROR');
  assert.match(String(back.log[0]!.e.error?.message), /removed/i);
  // Its calls: the framework is unknown now.
  refused(await main.call('REVIVE'), 404, /cannot be found/, 'a call of a torn-down framework');
  framingOk(main.stream, back);
});

test('failover: re-SUBSCRIBE takes over (ERROR "Framework failed over" on the old stream), tasks kept; disconnection and the failover timeout', async () => {
  const info = { name: 'sched-api-failover', failover_timeout: 5, checkpoint: true };
  // The first instance does not acknowledge: the next one is told again.
  const fo1 = await subscribe(info, { autoAck: false });
  const fid = fo1.frameworkId;
  accepted(await fo1.call('ACCEPT', launch(await fo1.takeOffers(), [taskInfo('t-fo', 'sleep 100')])), 'ACCEPT');
  const starting = await fo1.status('t-fo', 'TASK_STARTING');
  uuidOk(starting);
  // As Mesos: the task's next update (RUNNING) waits until STARTING is acknowledged.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(fo1.statuses('t-fo').map((x) => x.state), ['TASK_STARTING'], 'nothing after an unacknowledged update');

  // A second scheduler instance subscribes as the same framework while the first stream is open.
  const fo2 = await subscribe(info, { frameworkId: fid });
  assert.is(fo2.frameworkId, fid);
  assert.is.not(fo2.streamId, fo1.streamId);
  // The update fo1 did not acknowledge (STARTING) is delivered again, the same; once fo2
  // acknowledges it, the next (RUNNING) follows.
  const again = (await fo2.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 't-fo' && e.update.status.state === 'TASK_STARTING', 'the unacknowledged update again')).e.update.status as Ev;
  assert.equal(again, starting, 'the same update (same uuid, executor_id, container_status…) is delivered again');
  await fo2.status('t-fo', 'TASK_RUNNING');
  assert.equal(
    fo2.statuses('t-fo').map((x) => x.state),
    ['TASK_STARTING', 'TASK_RUNNING'],
    'both unacknowledged updates, oldest first, each after the one before was acknowledged',
  );
  await fo2.settleAcks();
  assert.equal(fo2.acks.map((a) => a.status), [202, 202]);
  const err = await fo1.next((e) => e.type === 'ERROR', 'ERROR on the old stream');
  assert.equal(err.e, { type: 'ERROR', error: { message: 'Framework failed over' } });
  await fo1.stream.end('the old stream to end');
  assert.is(fo1.log[fo1.log.length - 1]!.e.type, 'ERROR', 'ERROR is the last event of the old stream');
  refused(await fo1.call('REVIVE'), 400, /stream/i, 'a call with the old stream id');
  // The new stream works, and the task is still there.
  let from = fo2.log.length;
  accepted(await fo2.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 't-fo' }, agent_id: { value: agentId } }] } }), 'RECONCILE on the new stream');
  const st = await fo2.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 't-fo' && e.update.status.reason === 'REASON_RECONCILIATION', 'the state of t-fo', { from });
  assert.is(st.e.update.status.state, 'TASK_RUNNING');
  let f = findFw(await frameworksJson(), 'frameworks', fid)!;
  assert.is(f.active, true);
  assert.equal((f.tasks as Ev[]).map((t) => `${t.id}:${t.state}`), ['t-fo:TASK_RUNNING']);
  assert.is(cluster.agents[0]!.running(), 1);

  // Disconnection: inactive, tasks kept.
  fo2.close();
  f = await waitFor(async () => {
    const x = findFw(await frameworksJson(), 'frameworks', fid);
    return x !== undefined && x.active === false ? x : undefined;
  }, 'the framework to be inactive');
  assert.equal((f.tasks as Ev[]).map((t) => `${t.id}:${t.state}`), ['t-fo:TASK_RUNNING']);
  refused(await fo2.call('REVIVE'), 403, /not subscribed/i, 'a call of a disconnected framework');

  // Back within the timeout (now asking for a 1 s failover timeout): active again, task kept.
  const fo3 = await subscribe({ ...info, failover_timeout: 1 }, { frameworkId: fid });
  f = await waitFor(async () => {
    const x = findFw(await frameworksJson(), 'frameworks', fid);
    return x !== undefined && x.active === true ? x : undefined;
  }, 'the framework to be active again');
  assert.equal((f.tasks as Ev[]).map((t) => `${t.id}:${t.state}`), ['t-fo:TASK_RUNNING']);
  assert.is(f.failover_timeout, 1);
  from = fo3.log.length;
  accepted(await fo3.call('RECONCILE', { reconcile: { tasks: [] } }), 'RECONCILE');
  await fo3.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 't-fo', 'the implicit reconciliation answer', { from });

  // Gone for longer than the failover timeout: removed, its task killed.
  const t0 = Date.now();
  fo3.close();
  await waitFor(async () => findFw(await frameworksJson(), 'frameworks', fid)?.active === false, 'the framework to be inactive');
  assert.is(cluster.agents[0]!.running(), 1, 'the task runs while the framework may still come back');
  const j = await waitFor(async () => {
    const x = await frameworksJson();
    return findFw(x, 'completed_frameworks', fid) !== undefined ? x : undefined;
  }, 'the framework to be removed after its failover timeout', 8_000);
  const removedAfter = Date.now() - t0;
  assert.ok(removedAfter >= 1_000, `removed ${removedAfter} ms after the disconnection, before its 1 s failover timeout`);
  assert.ok(removedAfter <= 4_000, `removed only ${removedAfter} ms after the disconnection`);
  assert.is(findFw(j, 'frameworks', fid), undefined);
  const t = (findFw(j, 'completed_frameworks', fid)!.completed_tasks as Ev[]).find((x) => x.id === 't-fo');
  assert.is(t?.state, 'TASK_KILLED');
  await waitFor(() => cluster.agents[0]!.running() === 0, 'the agent to kill t-fo');
  framingOk(fo1.stream, fo2.stream, fo3.stream);
});

test('bad input: each gets the right status and a plain-text reason; the master keeps serving', async () => {
  const json = { 'Content-Type': 'application/json' };
  const subscribeBody = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'never' } } });
  const fw = await subscribe({ name: 'sched-api-bad' }, { suppressedRoles: ['*'] });
  const callBody = (type: string, extra: Record<string, unknown> = {}, id = fw.frameworkId) => JSON.stringify({ type, framework_id: { value: id }, ...extra });

  const get = await rawRequest(base, { method: 'GET' });
  refused(get, 405, /POST/, 'GET');
  assert.is(get.headers.allow, 'POST');
  refused(await rawRequest(base, { body: subscribeBody }), 400, /Content-Type/, 'no Content-Type');
  refused(await rawRequest(base, { headers: { 'Content-Type': 'application/x-protobuf' }, body: subscribeBody }), 400, /protobuf/, 'a JSON body sent as protobuf');
  refused(await rawRequest(base, { headers: { 'Content-Type': 'application/x-protobuf' }, body: 'x' }), 400, /protobuf/, 'a body that is not protobuf');
  refused(await rawRequest(base, { headers: { 'Content-Type': 'text/plain' }, body: subscribeBody }), 415, /application\/json/, 'text/plain');
  refused(await rawRequest(base, { headers: json, body: '{"type":' }), 400, /^Failed to parse body into JSON/, 'invalid JSON');
  refused(await rawRequest(base, { headers: json, body: '' }), 400, /^Failed to parse body into JSON/, 'an empty body');
  refused(await rawRequest(base, { headers: json, body: '[]' }), 400, /object/i, '[]');
  const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
  refused(await rawRequest(base, { headers: json, body: `{"type":"SUBSCRIBE","subscribe":${deep}}` }), 400, /nested more than 100 levels/, 'JSON 20,000 deep');
  refused(
    await rawRequest(base, { headers: json, body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'neg', failover_timeout: -1 } } }) }),
    400,
    /failover_timeout' is -1: it must not be negative/,
    'a negative failover_timeout',
  );
  refused(await rawRequest(base, { headers: json, body: '{}' }), 400, /type/, '{}');
  refused(await rawRequest(base, { headers: json, body: '{"type":"NO_SUCH_CALL","framework_id":{"value":"x"}}' }), 400, /type/, 'an unknown call type name');
  refused(await rawRequest(base, { headers: json, body: '{"type":"ACCEPT"}' }), 400, /framework_id/, 'ACCEPT without framework_id');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': fw.streamId }, body: callBody('ACCEPT') }), 400, /accept/, 'ACCEPT without accept');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': fw.streamId }, body: callBody('KILL', { kill: { task_id: 7 } }) }), 400, /kill\.task_id/, 'a field of the wrong type');
  refused(await rawRequest(base, { headers: json, body: callBody('REVIVE') }), 400, /Mesos-Stream-Id/, 'a call without Mesos-Stream-Id');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': randomUUID() }, body: callBody('REVIVE') }), 400, /stream ID/i, 'a wrong stream id');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': fw.streamId }, body: callBody('REVIVE', {}, 'no-such-framework') }), 404, /cannot be found/, 'an unknown framework');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': fw.streamId }, body: subscribeBody }), 400, /Mesos-Stream-Id/, 'SUBSCRIBE with a Mesos-Stream-Id');
  refused(await rawRequest(base, { headers: { ...json, Accept: 'text/html' }, body: subscribeBody }), 406, /application\/json/, 'SUBSCRIBE accepting neither JSON nor protobuf');
  refused(await rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': fw.streamId }, body: callBody('UNKNOWN') }), 501, undefined, '"type":"UNKNOWN"');
  refused(
    await fw.call('ACKNOWLEDGE', { acknowledge: { agent_id: { value: agentId }, task_id: { value: 't' }, uuid: Buffer.from('short').toString('base64') } }),
    400,
    /UUID/i,
    'ACKNOWLEDGE with a uuid that is not 16 bytes',
  );
  // Not everything is refused: a charset parameter and case in the media type are fine, and
  // unknown fields are ignored (as Mesos's JSON parser does).
  accepted(await rawRequest(base, { headers: { 'Content-Type': 'Application/JSON; charset=utf-8', 'Mesos-Stream-Id': fw.streamId }, body: callBody('SUPPRESS') }), 'a call with a charset');
  accepted(await fw.call('SUPPRESS', { suppress: { roles: [] }, no_such_field: { x: 1 } }), 'a call with an unknown field');

  // A framework whose stream closed is not subscribed: 403.
  const gone = await subscribe({ name: 'sched-api-closed', failover_timeout: 60 }, { suppressedRoles: ['*'] });
  gone.close();
  await waitFor(async () => findFw(await frameworksJson(), 'frameworks', gone.frameworkId)?.active === false, 'the closed framework to be inactive');
  refused(await gone.call('REVIVE'), 403, /not subscribed/i, 'a call of a framework whose stream closed');

  // Huge bodies: refused with 413, by declared length and while streaming; the master survives.
  const huge = Buffer.alloc(20 * 1024 * 1024, 0x61);
  refused(await rawRequest(base, { headers: json, body: huge, timeoutMs: 30_000 }), 413, /larger/, '20 MiB with Content-Length');
  refused(await rawRequest(base, { headers: json, body: huge, chunked: true, timeoutMs: 30_000 }), 413, /larger/, '20 MiB chunked');
  assert.is((await rawRequest(base, { method: 'GET', path: '/health' })).status, 200, 'the master serves after the huge bodies');

  // A flood of bad requests in parallel: every one a 4xx, none a 5xx.
  const bad: Array<() => Promise<RawResponse>> = [
    () => rawRequest(base, { body: '{}' }),
    () => rawRequest(base, { headers: json, body: '{' }),
    () => rawRequest(base, { headers: json, body: '[1,2]' }),
    () => rawRequest(base, { headers: { 'Content-Type': 'application/x-protobuf' }, body: '\x08\x01' }),
    () => rawRequest(base, { headers: json, body: callBody('REVIVE') }),
    () => rawRequest(base, { headers: { ...json, 'Mesos-Stream-Id': 'nope' }, body: callBody('REVIVE', {}, 'unknown-fw') }),
    () => rawRequest(base, { headers: json, body: '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":7}}}' }),
    () => rawRequest(base, { method: 'GET' }),
  ];
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => bad[i % bad.length]!()));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.every((s) => s >= 400 && s < 500), `statuses: ${[...new Set(statuses)].join(', ')}`);

  // Still serving: health, and a fresh SUBSCRIBE with the project's own client.
  assert.is((await rawRequest(base, { method: 'GET', path: '/health' })).status, 200);
  const client = new V1SchedulerClient(base);
  const sub = await client.subscribe({ user: 'root', name: 'sched-api-after-abuse' }, { suppressed_roles: ['*'] });
  clientSubs.push(sub);
  assert.ok(isUuid(sub.streamId));
  assert.is((await client.call('TEARDOWN')).status, 202);
  accepted(await fw.call('TEARDOWN'), 'TEARDOWN');
  framingOk(fw.stream, gone.stream);
});

test('/master/redirect → 307 with a protocol-relative Location of the leader; a standby master redirects scheduler calls to it', async () => {
  const r = await rawRequest(base, { method: 'GET', path: '/master/redirect' });
  assert.is(r.status, 307);
  const loc = String(r.headers.location);
  const leader = cluster.master.state().leader!;
  assert.is(loc, `//${leader.hostname}:${cluster.master.port}`);
  assert.match(loc, /^\/\/[^/:]+:\d+$/);
  const health = await rawRequest(`http:${loc}`, { method: 'GET', path: '/health' });
  assert.is(health.status, 200, 'the Location reaches the leader');

  // A second master, not leading: it points at the leader.
  standby = await startMaster({ nats: cluster.nats.url, creds: cluster.creds('master', 'standby'), port: 0, allocationIntervalMs: 100, heartbeatIntervalMs: HEARTBEAT_MS }, cluster.log);
  await standby.caughtUp;
  await waitFor(() => standby!.state().leader?.masterId === cluster.master.masterId, 'the standby to know the leader');
  assert.not.ok(standby.isLeader());
  const viaStandby = await rawRequest(standby.url, { method: 'GET', path: '/master/redirect' });
  assert.is(viaStandby.status, 307);
  assert.is(viaStandby.headers.location, loc);
  const sub = await rawRequest(standby.url, {
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'sched-api-standby' } } }),
  });
  assert.is(sub.status, 307);
  assert.is(sub.headers.location, `${loc}/api/v1/scheduler`);
  // The project's client follows it.
  const client = new V1SchedulerClient(standby.url);
  const s = await client.subscribe({ user: 'root', name: 'sched-api-via-standby' }, { suppressed_roles: ['*'] });
  clientSubs.push(s);
  assert.is(client.url, `http:${loc}`, 'the client follows the Location to the leader');
  assert.is((await client.call('TEARDOWN')).status, 202);
  await standby.stop();
  standby = undefined;
});

test('a SUBSCRIBE whose connection drops before the answer does not leave a subscribed framework nobody listens to', async () => {
  // The race made certain: the log (nats-server) is paused while the master appends the
  // subscription, and the client gives up (a client timeout, a crash) during that append.
  const name = `sched-api-dropped-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name } } });
  const { hostname, port } = new URL(base);
  const head = `POST /api/v1/scheduler HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const pid = cluster.nats.server.pid;
  const stopped = (): boolean => readdirSync(`/proc/${pid}/task`).every((t) => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')));
  cluster.nats.server.kill('SIGSTOP');
  let answered = '';
  try {
    await waitFor(stopped, 'every thread of nats-server to be stopped', 2_000, 1);
    const sock = connect(Number(port), hostname, () => sock.write(head + body));
    sock.on('data', (d: Buffer) => (answered += d.toString('utf8')));
    sock.on('error', () => undefined);
    // Fixed pauses: there is no event to await for "the master has read the request" (it then
    // waits on the paused log) nor for "the master has seen the connection close".
    await sleep(250);
    await new Promise<void>((resolve) => {
      sock.on('close', () => resolve());
      sock.destroy();
    });
    await sleep(150);
  } finally {
    cluster.nats.server.kill('SIGCONT');
  }
  assert.is(answered, '', 'the master could not answer while the log was paused');
  const all = (j: Ev): Ev[] => [...(j.frameworks as Ev[]), ...(j.completed_frameworks as Ev[])];
  await waitFor(async () => all(await frameworksJson()).some((f) => f.name === name), 'the framework to be recorded');
  // Nobody listens: as for any closed stream, it is disconnected (with failover_timeout 0, removed).
  try {
    await waitFor(async () => all(await frameworksJson()).find((f) => f.name === name)?.active === false, 'the framework whose client is gone to be inactive', 3_000);
  } catch (e) {
    const f = all(await frameworksJson()).find((x) => x.name === name);
    throw new Error(`${(e as Error).message}: it stays subscribed (active: ${String(f?.active)}, offered cpus: ${String(f?.offered_resources?.cpus)}) with no connection`);
  }
});

test('every stream opened was valid RecordIO to its last byte', () => {
  assert.ok(streams.length >= 8);
  for (const s of streams) framingOk(s);
});

test.run();
