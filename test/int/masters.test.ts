/**
 * Several masters on one log: one leads (it holds the lease and its LeaderElected is the last in
 * the log); the others fold the log, show who leads, redirect API calls to it, and one of them
 * takes over when it stops. A decision of the deposed leader's epoch has no effect.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEMA_VERSION, asAgentId } from '../../events/index.js';
import { append } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

let nats: SecureTestNats;
const masters: MasterHandle[] = [];
const log = testLog();
/** Each master with credentials of its own. */
const opts = () => ({ nats: nats.url, creds: nats.creds('master', `m-${randomUUID()}`), port: 0, allocationIntervalMs: 100, leaderLeaseMs: 600 });

const leaders = () => masters.filter((m) => m.isLeader());

test.before(async () => {
  nats = await withSecureNats();
});

test.after(async () => {
  for (const m of masters) await m.stop().catch(() => undefined);
  await nats.stop();
});

test('the first master leads; two more stand by, caught up and healthy', async () => {
  masters.push(await startMaster(opts(), log));
  await waitFor(() => masters[0]!.isLeader(), 'the first master to lead');
  masters.push(await startMaster(opts(), log), await startMaster(opts(), log));
  for (const m of masters) await m.caughtUp;
  await waitFor(() => masters.every((m) => m.state().leader?.masterId === masters[0]!.masterId), 'every master to know the leader');
  // Standing by for a while changes nothing: the lease is renewed, nobody else is elected.
  const epoch = masters[0]!.state().epoch;
  await waitFor(() => masters[1]!.seq() > 0 && Date.now() > 0, 'a fold');
  await new Promise((r) => setTimeout(r, 1500)); // measuring absence: 2.5 lease periods without a change
  assert.equal(leaders().map((m) => m.masterId), [masters[0]!.masterId]);
  assert.is(masters[0]!.state().epoch, epoch);
  for (const m of masters) assert.is((await fetch(`${m.url}/health`)).status, 200, `${m.url}/health`);
});

test('a standby shows who leads and redirects scheduler calls there (307, protocol-relative)', async () => {
  const standby = masters[1]!;
  const leader = masters[0]!;
  const st = (await (await fetch(`${standby.url}/master/state`)).json()) as { leader: string; leader_info: { id: string; port: number }; elected_time?: number };
  assert.is(st.leader_info.id, leader.masterId);
  assert.is(st.leader_info.port, leader.port);
  assert.is(st.elected_time, undefined, 'a standby was never elected');
  const m = (await (await fetch(`${standby.url}/metrics/snapshot`)).json()) as Record<string, number>;
  assert.is(m['master/elected'], 0);
  const r = await fetch(`${standby.url}/api/v1/scheduler`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"type":"SUBSCRIBE"}', redirect: 'manual' });
  assert.is(r.status, 307);
  assert.match(r.headers.get('location') ?? '', new RegExp(`^//[^/]+:${leader.port}/api/v1/scheduler$`));
  const red = await fetch(`${standby.url}/master/redirect`, { redirect: 'manual' });
  assert.is(red.status, 307);
  assert.match(red.headers.get('location') ?? '', new RegExp(`^//[^/]+:${leader.port}$`));
});

test('the leader stops: a standby takes over with a higher epoch', async () => {
  const old = masters.shift()!;
  const epoch = old.state().epoch;
  await old.stop();
  const next = await waitFor(() => leaders()[0], 'a standby to take over', 10_000);
  assert.ok(next.state().epoch > epoch);
  await waitFor(() => masters.every((m) => m.state().leader?.masterId === next.masterId), 'every master to follow the new leader');
});

test('a decision of the deposed epoch has no effect (fencing)', async () => {
  const leader = leaders()[0]!;
  const agentId = asAgentId(`a-${randomUUID()}`);
  // The agent registers itself; a deposed master (credentials of a master, the lease lost) writes late.
  const agent = await nats.bus('agent', agentId, log);
  const bus = await nats.bus('master', 'deposed', log, 'stale-writer');
  try {
    await append(agent.js, { type: 'AgentRegistered', schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), agentId, hostname: 'h', port: 0, resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1 }], attributes: [], version: 't', isolation: 'none' });
    const before = leader.state().counters.staleDecisionsIgnored;
    const stale = leader.state().epoch - 1;
    const ack = await append(bus.js, { type: 'AgentRemoved', schemaVersion: SCHEMA_VERSION, id: randomUUID(), time: Date.now(), epoch: stale, agentId, reason: 'UNREACHABLE' });
    await waitFor(() => masters.every((m) => m.seq() >= ack.seq), 'every master to fold it');
    for (const m of masters) {
      assert.is(m.state().agents.get(agentId)?.status, 'ACTIVE', 'the agent was not removed by a stale decision');
      assert.is(m.state().counters.staleDecisionsIgnored, before + 1);
    }
  } finally {
    await agent.close();
    await bus.close();
  }
});

test.run();
