/**
 * The allocation side of the v1 scheduler API, over HTTP against a real master and emulated agents:
 * a MULTI_ROLE framework gets offers per role (`allocation_info.role`); SUPPRESS and REVIVE per
 * role; RESERVE then CREATE in an ACCEPT, in Mesos's JSON, and the reserved resources offered back
 * to the role; REQUEST becomes demand (explained when unmet); maintenance reaches the stream as
 * INVERSE_OFFERS and offers carrying `unavailability`, answered with ACCEPT_INVERSE_OFFERS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { op } from '../helpers/operator.js';
import { type Ev, HttpFramework } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let agent: EmulatedAgent;
let fw: HttpFramework;

const scalar = (name: string, value: number, extra: Record<string, unknown> = {}) => ({ name, type: 'SCALAR', scalar: { value }, ...extra });
const offersFor = (role: string, from = 0): Promise<Ev> =>
  fw.next((e) => e.type === 'OFFERS' && (e.offers.offers as Ev[]).some((o) => o.allocation_info?.role === role), `an offer for ${role}`, { from }).then((l) => l.e);
const firstOffer = (e: Ev, role: string): Ev => (e.offers.offers as Ev[]).find((o) => o.allocation_info?.role === role)!;

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { allocationIntervalMs: 100, whyPendingIntervalMs: 200 } });
  agent = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:4096;disk:1024', { hostname: 'host-m' });
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent');
  fw = await HttpFramework.subscribe(
    cluster.master.url,
    { user: 'root', name: 'multi', roles: ['web', 'batch'], capabilities: [{ type: 'MULTI_ROLE' }, { type: 'RESERVATION_REFINEMENT' }] },
    { suppressedRoles: ['batch'] },
  );
});

test.after(async () => {
  fw?.stream.close();
  await agent?.close();
  await cluster?.stop();
});

test('a MULTI_ROLE framework subscribed with a suppressed role is offered for the other role only; REVIVE and SUPPRESS per role', async () => {
  const e = await offersFor('web');
  const o = firstOffer(e, 'web');
  assert.ok((o.resources as Ev[]).every((r) => r.allocation_info?.role === 'web'), 'each resource says its allocation role');
  assert.equal(cluster.master.state().frameworks.get(fw.frameworkId as never)!.suppressedRoles, new Set(['batch']));
  const bad = await fw.call('REVIVE', { revive: { roles: ['nope'] } });
  assert.is(bad.status, 400);
  assert.is((await fw.call('SUPPRESS', { suppress: { roles: ['web'] } })).status, 202);
  assert.is((await fw.call('DECLINE', { decline: { offer_ids: [o.id], filters: { refuse_seconds: 0 } } })).status, 202);
  const from = fw.log.length;
  assert.is((await fw.call('REVIVE', { revive: { roles: ['batch'] } })).status, 202);
  const b = await offersFor('batch', from);
  assert.ok(firstOffer(b, 'batch') !== undefined);
  assert.not.ok(fw.log.slice(from).some((l) => l.e.type === 'OFFERS' && (l.e.offers.offers as Ev[]).some((x) => x.allocation_info?.role === 'web')), 'no offer for the suppressed role');
  fw.held.clear();
  await fw.call('DECLINE', { decline: { offer_ids: [firstOffer(b, 'batch').id], filters: { refuse_seconds: 0 } } });
  await fw.call('REVIVE', { revive: { roles: [] } });
});

/** The next offer for `role`; offers for the framework's other role are declined (no filter) meanwhile. */
async function offerFor(role: string): Promise<Ev> {
  return waitFor(async () => {
    const e = await fw.next((x) => x.type === 'OFFERS', 'an offer', { from: seen });
    seen = fw.log.indexOf(fw.log.find((l) => l.e === e.e)!) + 1;
    const mine = (e.e.offers.offers as Ev[]).find((o) => o.allocation_info?.role === role);
    for (const o of e.e.offers.offers as Ev[]) {
      if (o === mine) continue;
      fw.held.delete(o.id.value);
      await fw.call('DECLINE', { decline: { offer_ids: [o.id], filters: { refuse_seconds: 0 } } });
    }
    return mine;
  }, `an offer for ${role}`, 20_000);
}
let seen = 0;

test('RESERVE and CREATE in an ACCEPT (Mesos JSON); the reservation and the volume are offered to the role again', async () => {
  seen = fw.log.length;
  for (const [, o] of fw.held) await fw.call('DECLINE', { decline: { offer_ids: [o.id], filters: { refuse_seconds: 0 } } });
  fw.held.clear();
  const o = await offerFor('web');
  const reservedCpu = scalar('cpus', 1, { reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'p' }] });
  const reservedDisk = scalar('disk', 100, { reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'p' }] });
  const volume = scalar('disk', 100, { reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'p' }], disk: { persistence: { id: 'data1', principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } } });
  const from = fw.log.length;
  const r = await fw.call('ACCEPT', {
    accept: {
      offer_ids: [o.id],
      operations: [
        { type: 'RESERVE', reserve: { resources: [reservedCpu, reservedDisk] } },
        { type: 'CREATE', create: { volumes: [volume] } },
      ],
      filters: { refuse_seconds: 0 },
    },
  });
  assert.is(r.status, 202, r.body);
  const back = await fw.next(
    (x) => x.type === 'OFFERS' && (x.offers.offers as Ev[]).some((y) => (y.resources as Ev[]).some((res) => res.disk?.persistence?.id === 'data1')),
    'the volume offered again',
    { from },
  );
  const offer = (back.e.offers.offers as Ev[]).find((y) => (y.resources as Ev[]).some((res) => res.disk?.persistence?.id === 'data1'))!;
  assert.is(offer.allocation_info.role, 'web');
  const vol = (offer.resources as Ev[]).find((res) => res.disk?.persistence?.id === 'data1')!;
  assert.equal(vol.disk, { persistence: { id: 'data1', principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } });
  assert.equal(vol.reservations, [{ type: 'DYNAMIC', role: 'web', principal: 'p' }]);
  const st = cluster.master.state().agents.get(agent.agentId)!;
  assert.ok(st.dynamic.length === 2, 'the reserved cpu and the volume are the agent’s dynamic resources');
  fw.held.clear();
  await fw.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
});

test('REQUEST becomes the framework’s demand, explained when unmet', async () => {
  const r = await fw.call('REQUEST', { request: { requests: [{ resources: [scalar('mem', 999_999, { allocation_info: { role: 'web' } })] }] } });
  assert.is(r.status, 202, r.body);
  const p = await waitFor(() => cluster.master.state().pending.get(fw.frameworkId as never), 'the reason');
  assert.equal(p.reasons.map((x) => [x.code, x.role]), [['NO_AGENT_LARGE_ENOUGH', 'web']]);
  assert.is((await fw.call('REQUEST', { request: { requests: [{ resources: [] }] } })).status, 400, 'a request of nothing');
  await fw.call('REQUEST', { request: { requests: [] } });
});

test('maintenance: INVERSE_OFFERS on the stream, offers with unavailability, ACCEPT_INVERSE_OFFERS recorded', async () => {
  // The framework needs something on the agent to be asked for it back: a task (on web's own
  // reserved cpu, which only web is offered).
  seen = fw.log.length;
  for (const [, h] of fw.held) await fw.call('DECLINE', { decline: { offer_ids: [h.id], filters: { refuse_seconds: 0 } } });
  fw.held.clear();
  const o = await offerFor('web');
  fw.held.clear();
  await fw.call('ACCEPT', {
    accept: {
      offer_ids: [o.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 't', task_id: { value: 'resident' }, agent_id: { value: agent.agentId }, resources: [scalar('cpus', 0.5, { reservations: [{ type: 'DYNAMIC', role: 'web', principal: 'p' }] })], command: { value: 'sleep 100' } }] } }],
      filters: { refuse_seconds: 0 },
    },
  });
  await waitFor(() => agent.commands.length > 0, 'the launch');
  const from = fw.log.length;
  const start = Date.now() + 86_400_000;
  const sched = await op(cluster.master.url, {
    type: 'UPDATE_MAINTENANCE_SCHEDULE',
    update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: 'host-m' }], unavailability: { start: { nanoseconds: start * 1e6 } } }] } },
  });
  assert.is(sched.status, 200, sched.text);
  const inv = await fw.next((x) => x.type === 'INVERSE_OFFERS', 'an inverse offer', { from });
  const io = inv.e.inverse_offers.inverse_offers[0] as Ev;
  assert.is(io.agent_id.value, agent.agentId);
  assert.equal(io.unavailability, { start: { nanoseconds: start * 1e6 } });
  const withU = await fw.next((x) => x.type === 'OFFERS' && (x.offers.offers as Ev[]).some((y) => y.unavailability !== undefined), 'an offer with unavailability', { from });
  assert.ok(withU);
  assert.is((await fw.call('ACCEPT_INVERSE_OFFERS', { accept_inverse_offers: { inverse_offer_ids: [io.id] } })).status, 202);
  await waitFor(() => cluster.master.state().inverseOffers.get(io.id.value)?.status === 'ACCEPTED', 'the answer in the state');
  const stop = await op(cluster.master.url, { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: { windows: [] } } });
  assert.is(stop.status, 200);
  await fw.next((x) => x.type === 'RESCIND_INVERSE_OFFER', 'the inverse offer withdrawn', { from });
});

test.run();
