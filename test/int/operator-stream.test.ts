/**
 * The operator event stream (SUBSCRIBE on `POST /api/v1`) against a real nats-server and real
 * masters: Mesos's events for agents, frameworks and tasks, the same stream (same events, same
 * ids) from a standby, resuming with Last-Event-ID after a disconnect and across a failover of the
 * leader (nothing missed, nothing twice), and a subscriber that never reads being dropped.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { SCHEMA_VERSION, asAgentId } from '../../events/index.js';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { append } from '../../kernel/shell/bus.js';
import { parseResources } from '../../kernel/core/resources.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { testLog } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { OfferQueue } from '../helpers/offers.js';
import { op } from '../helpers/operator.js';
import { OperatorStreamClient } from '../helpers/operator-stream.js';
import type { Ev } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

let nats: SecureTestNats;
const log = testLog();
const masters: MasterHandle[] = [];
const agents: EmulatedAgent[] = [];
const frameworks: Scheduler[] = [];
const clients: OperatorStreamClient[] = [];
/** Subscribed to the standby before anything happened: every event of the test, as the reference. */
let reference: OperatorStreamClient;
/** The same, asking for gzip (Accept-Encoding): its own compressed SUBSCRIBED, then the shared compressed pieces and heartbeats. */
let gzipped: OperatorStreamClient;

/** Each master with credentials of its own. */
const opts = () => ({ nats: nats.url, creds: nats.creds('master', `m-${randomUUID()}`), port: 0, allocationIntervalMs: 100, leaderLeaseMs: 600, operatorHeartbeatIntervalMs: 200 });
const open = async (base: string, o: Parameters<typeof OperatorStreamClient.open>[1] = {}): Promise<OperatorStreamClient> => {
  const c = await OperatorStreamClient.open(base, o);
  clients.push(c);
  return c;
};
const ids = (evs: Ev[]): string[] => evs.map((e) => e.event_id as string);
const leader = (): MasterHandle => masters.find((m) => m.isLeader())!;

test.before(async () => {
  nats = await withSecureNats();
  masters.push(await startMaster(opts(), log));
  await waitFor(() => masters[0]!.isLeader(), 'the first master to lead');
  masters.push(await startMaster(opts(), log));
  await masters[1]!.caughtUp;
  reference = await open(masters[1]!.url);
  await reference.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED on the standby');
  gzipped = await open(masters[1]!.url, { gzip: true });
  await gzipped.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED on the standby, gzip-compressed');
});

test.after(async () => {
  for (const c of clients) c.close();
  for (const f of frameworks) await f.close().catch(() => undefined);
  for (const a of agents) await a.close().catch(() => undefined);
  for (const m of masters) await m.stop().catch(() => undefined);
  await nats.stop();
});

test('SUBSCRIBED carries GET_STATE; agents, frameworks and tasks give Mesos’s events; a standby streams the same events with the same ids', async () => {
  const onLeader = await open(masters[0]!.url);
  await onLeader.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED');
  const sub = onLeader.events[0]!;
  assert.equal(Object.keys(sub.subscribed.get_state).sort(), ['get_agents', 'get_executors', 'get_frameworks', 'get_tasks']);
  assert.is(sub.subscribed.heartbeat_interval_seconds, 0.2);
  assert.match(sub.event_id, /^\d+$/);

  const a = await startEmulatedAgent(nats, log, 'cpus:4;mem:4096;disk:1024', { hostname: 'h1' });
  agents.push(a);
  await onLeader.until((evs) => evs.some((e) => e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.id.value === a.agentId), 'AGENT_ADDED');
  const f = await subscribe({ ...nats.framework(), name: 'streamed', roles: ['*'], log });
  frameworks.push(f);
  const offers = new OfferQueue(f);
  await onLeader.until((evs) => evs.some((e) => e.type === 'FRAMEWORK_ADDED' && e.framework_added.framework.framework_info.id.value === f.frameworkId), 'FRAMEWORK_ADDED');
  const offer = await offers.next();
  await f.accept([offer.id], [{ taskId: 't1', agentId: a.agentId, resources: 'cpus:1;mem:64', command: 'sleep 100' }, { taskId: 't2', agentId: a.agentId, resources: 'cpus:1;mem:64', command: 'sleep 100' }]);
  await onLeader.until((evs) => evs.filter((e) => e.type === 'TASK_ADDED').length === 2, 'two TASK_ADDED');
  const added = onLeader.events.find((e) => e.type === 'TASK_ADDED')!;
  assert.is(added.task_added.task.task_id.value, 't1');
  assert.is(added.task_added.task.framework_id.value, f.frameworkId);
  assert.is(added.task_added.task.state, 'TASK_STAGING');
  await a.report(f.frameworkId, 't1', 'TASK_RUNNING');
  await onLeader.until((evs) => evs.some((e) => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_RUNNING'), 'TASK_UPDATED RUNNING');
  const upd = onLeader.events.find((e) => e.type === 'TASK_UPDATED')!;
  assert.equal(upd.task_updated.framework_id, { value: f.frameworkId });
  assert.is(upd.task_updated.status.task_id.value, 't1');
  assert.is(upd.task_updated.status.state, 'TASK_RUNNING');

  // The operator tears the framework down: its tasks are killed (TASK_UPDATED), then FRAMEWORK_REMOVED.
  assert.is((await op(leader().url, { type: 'TEARDOWN', teardown: { framework_id: { value: f.frameworkId } } })).status, 200);
  await onLeader.until((evs) => evs.some((e) => e.type === 'FRAMEWORK_REMOVED'), 'FRAMEWORK_REMOVED');
  const tail = onLeader.derived.slice(-3);
  assert.equal(tail.map((e) => e.type), ['TASK_UPDATED', 'TASK_UPDATED', 'FRAMEWORK_REMOVED']);
  assert.equal(tail.slice(0, 2).map((e) => e.task_updated.state), ['TASK_KILLED', 'TASK_KILLED']);
  assert.is(tail[2]!.framework_removed.framework_info.id.value, f.frameworkId);
  // All three came from one log event: ids <seq>-0, -1, -2.
  const [s0, s1, s2] = tail.map((e) => e.event_id as string);
  assert.is(s0!.split('-')[0], s2!.split('-')[0]);
  assert.equal([s0, s1, s2].map((x) => x!.split('-')[1]), ['0', '1', '2']);

  // The operator marks the agent gone: AGENT_REMOVED.
  assert.is((await op(leader().url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.agentId } } })).status, 200);
  await onLeader.until((evs) => evs.some((e) => e.type === 'AGENT_REMOVED' && e.agent_removed.agent_id.value === a.agentId), 'AGENT_REMOVED');
  // Heartbeats come while the subscriber is caught up (every 200 ms here).
  await onLeader.until((evs) => evs.some((e) => e.type === 'HEARTBEAT'), 'a HEARTBEAT');

  // The standby's stream: the same derived events, byte for byte the same JSON, same ids.
  const last = onLeader.lastId()!;
  await reference.until((evs) => evs.some((e) => e.event_id === last), 'the standby to stream the same last event');
  const fromLeader = onLeader.derived;
  const fromStandby = reference.derived.filter((e) => fromLeader.some((l) => l.event_id === e.event_id));
  assert.is(fromStandby.length, fromLeader.length);
  assert.equal(fromStandby, fromLeader);
  // Mesos answers SUBSCRIBE on the leader only; here a standby serves it itself (no redirect).
  assert.is(reference.status, 200);
  // Compressed for a subscriber that asked: the same events, and heartbeats between them.
  await gzipped.until((evs) => evs.some((e) => e.event_id === last), 'the gzip subscriber to have the same last event');
  assert.is(gzipped.encoding, 'gzip');
  assert.is(reference.encoding, undefined);
  assert.equal(gzipped.derived, reference.derived.slice(0, gzipped.derived.length));
  assert.ok(gzipped.events.some((e) => e.type === 'HEARTBEAT'));
});

test('resume after any event id, on the leader or the standby, gives exactly the events after it', async () => {
  const all = reference.derived;
  assert.ok(all.length >= 8);
  for (const k of [0, 3, all.length - 3, all.length - 2]) {
    for (const [m, inBody] of [[masters[0]!, false], [masters[1]!, true]] as const) {
      // gzip too: a resume point inside a shared compressed piece starts with a piece of its own.
      for (const gzip of [false, true]) {
        const c = await open(m.url, { lastEventId: all[k]!.event_id as string, inBody, gzip });
        const want = all.slice(k + 1);
        await c.until((evs) => evs.filter((e) => e.event_id !== undefined && e.type !== 'SUBSCRIBED').length >= want.length, `the ${want.length} events after #${k}`);
        assert.is(c.events[0]!.type, 'SUBSCRIBED');
        assert.is(c.events[0]!.subscribed.get_state, undefined, 'a resumed stream does not send the state again');
        assert.equal(c.derived, want);
        assert.is(c.encoding, gzip ? 'gzip' : undefined);
        c.close();
      }
    }
  }
  // A resume point the journal no longer holds, and a malformed one.
  const old = await op(masters[1]!.url, { type: 'SUBSCRIBE', subscribe: { last_event_id: 'x-1' } });
  assert.is(old.status, 400);
  assert.match(old.text, /Invalid event id 'x-1'/);
});

test('across a failover of the leader: resume on the new leader, nothing missed, nothing twice', async () => {
  const before = leader();
  const standby = masters.find((m) => m !== before)!;
  const s1 = await open(before.url);
  await s1.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED');
  const hosts: string[] = [];
  const register = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const a = await startEmulatedAgent(nats, log, 'cpus:1;mem:512;disk:64', { hostname: `f${hosts.length}` });
      hosts.push(a.agentId);
      agents.push(a);
    }
  };
  await register(5);
  await s1.until((evs) => evs.filter((e) => e.type === 'AGENT_ADDED').length === 5, 'five AGENT_ADDED on the leader');
  // Agents keep registering while the leader stops and the standby takes over.
  const during = register(10);
  await before.stop();
  masters.splice(masters.indexOf(before), 1);
  await during;
  await waitFor(() => standby.isLeader(), 'the standby to take over');
  assert.ok(s1.ended, 'the stream of the stopped master ended');
  const resumeAfter = s1.lastId()!;
  const s2 = await open(standby.url, { lastEventId: resumeAfter });
  await register(5);
  await s2.until((evs) => evs.filter((e) => e.type === 'AGENT_ADDED').length + s1.events.filter((e) => e.type === 'AGENT_ADDED').length >= 20, 'all 20 AGENT_ADDED');
  const got = [...s1.derived, ...s2.derived];
  const added = got.filter((e) => e.type === 'AGENT_ADDED').map((e) => e.agent_added.agent.agent_info.id.value as string);
  assert.equal(added.sort(), [...hosts].sort(), 'every agent added exactly once');
  assert.is(new Set(ids(got)).size, got.length, 'no event twice');
  // And nothing else is missing: the concatenation is the reference stream's stretch.
  const ref = reference.derived;
  const from = ref.findIndex((e) => e.event_id === got[0]!.event_id);
  await reference.until((evs) => evs.some((e) => e.event_id === got[got.length - 1]!.event_id), 'the reference to catch up');
  assert.equal(got, reference.derived.slice(from, from + got.length));
});

test('a subscriber that never reads is dropped with a log line; the others go on', async () => {
  const lines: Ev[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Ev);
      cb();
    },
  });
  const m = await startMaster({ ...opts(), operatorStreamMaxStallMs: 300 }, pino({ level: 'info' }, sink));
  masters.push(m);
  await m.caughtUp;
  const reader = await open(m.url);
  await reader.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED');
  // A raw connection that sends SUBSCRIBE and never reads a byte of the answer.
  const body = JSON.stringify({ type: 'SUBSCRIBE' });
  const sock: Socket = connect(m.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.pause();
  sock.write(`POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.on('error', () => undefined);
  await waitFor(() => lines.some((l) => l.msg === 'operator event subscriber connected' && l.remote !== undefined) && lines.filter((l) => l.msg === 'operator event subscriber connected').length >= 2, 'the raw subscriber to be connected');
  // ~20 MB of events (agents with big attributes), far more than the sockets' buffers hold.
  const big = 'x'.repeat(500_000);
  const env = () => ({ schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now() });
  const fat: string[] = [];
  for (let i = 0; i < 40; i++) {
    const agentId = asAgentId(`fat-${randomUUID()}`);
    fat.push(agentId);
    // Each agent registers itself, with its own credentials.
    const own = await nats.bus('agent', agentId, log);
    try {
      await append(own.js, {
        type: 'AgentRegistered',
        ...env(),
        agentId,
        hostname: `fat${i}`,
        port: 0,
        resources: [...parseResources('cpus:1;mem:64')],
        attributes: [{ name: 'blob', type: 'TEXT', text: big }],
        version: 'test',
        isolation: 'none',
      });
    } finally {
      await own.close();
    }
  }
  const drop = await waitFor(() => lines.find((l) => l.msg === 'dropped a slow operator event subscriber'), 'the slow subscriber to be dropped');
  assert.is(drop.level, 40, 'a warning');
  assert.match(drop.reason, /has not taken data|behind/);
  assert.ok(typeof drop.bufferedBytes === 'number');
  sock.resume(); // now read: the server has closed it
  await waitFor(() => closed, 'the dropped connection to be closed');
  // The reader that reads got every one of them.
  await reader.until((evs) => fat.every((id) => evs.some((e) => e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.id.value === id)), 'the reader to get all 40');
  assert.ok(!reader.ended);
});

test('SET_LOGGING_LEVEL raises the master’s pino level for its duration, GET_LOGGING_LEVEL reports it; both on any master', async () => {
  const lines: Ev[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Ev);
      cb();
    },
  });
  const m = await startMaster({ ...opts(), operatorStreamJournalEvents: 4 }, pino({ level: 'info' }, sink));
  masters.push(m);
  await m.caughtUp;
  // Its journal keeps 4 events (5 before a trim), and the earlier tests made dozens: resuming
  // before it is a clear 410.
  const tooOld = await op(m.url, { type: 'SUBSCRIBE', subscribe: { last_event_id: '1-0' } });
  assert.is(tooOld.status, 410);
  assert.match(tooOld.text, /journal starts after/);
  const debugLines = () => lines.filter((l) => l.level === 20 && l.msg === 'operator call').length;
  assert.equal((await op(m.url, { type: 'GET_LOGGING_LEVEL' })).json, { type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 0 } });
  assert.is(debugLines(), 0, 'no debug output at level 0');
  const set = await op(m.url, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1, duration: { nanoseconds: 1_500_000_000 } } });
  assert.is(set.status, 200);
  assert.equal((await op(m.url, { type: 'GET_LOGGING_LEVEL' })).json.get_logging_level, { level: 1 });
  assert.ok(debugLines() >= 1, 'debug output at level 1');
  await waitFor(async () => (await op(m.url, { type: 'GET_LOGGING_LEVEL' })).json.get_logging_level.level === 0 || undefined, 'the level to revert', 5000, 100);
  const n = debugLines();
  await op(m.url, { type: 'GET_HEALTH' });
  assert.is(debugLines(), n, 'no debug output once the duration is over');
  assert.ok(lines.some((l) => l.msg === 'logging level reverted'));
  // Bad calls.
  assert.is((await op(m.url, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1 } })).status, 400);
  assert.is((await op(m.url, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: -1, duration: { nanoseconds: 1 } } })).status, 400);
  assert.is((await op(m.url, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1, duration: { nanoseconds: 0 } } })).status, 400);
});

test.run();
