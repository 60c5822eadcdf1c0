/**
 * The operator API (`POST /api/v1`) against a real nats-server and a real master, with emulated
 * agents and native SDK frameworks: each call as an operator makes it, what it puts in the log, and
 * what the allocator then does (or stops doing); bad calls get Mesos's answers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom } from 'rxjs';
import type { ClusterEvent } from '../../events/index.js';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { connectBus, headSeq, readLog } from '../../kernel/shell/bus.js';
import * as R from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { OfferQueue } from '../helpers/offers.js';
import { dynamic, op, scalar } from '../helpers/operator.js';
import { waitFor, within } from '../helpers/wait.js';

let cluster: TestCluster;
let url: string;
const agents: EmulatedAgent[] = [];
const frameworks: Scheduler[] = [];

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { allocationIntervalMs: 100 } });
  url = cluster.master.url;
  for (const host of ['h1', 'h2', 'h3']) {
    const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:4096;disk:2048', { hostname: host });
    agents.push(a);
    await waitFor(() => cluster.master.state().agents.get(a.agentId)?.status === 'ACTIVE', `agent ${host} to register`);
  }
});

test.after(async () => {
  for (const f of frameworks) await f.close().catch(() => undefined);
  for (const a of agents) await a.close().catch(() => undefined);
  await cluster?.stop();
});

async function framework(name: string, roles: string[], extra: Partial<Parameters<typeof subscribe>[0]> = {}): Promise<Scheduler> {
  const f = await subscribe({ ...cluster.framework(), name, roles, capabilities: roles.length > 1 ? ['MULTI_ROLE'] : [], log: cluster.log, ...extra });
  frameworks.push(f);
  return f;
}

/** The events of the log of the given types, in order. */
async function logged(...types: ClusterEvent['type'][]): Promise<ClusterEvent[]> {
  const bus = await cluster.bus('auditor', 'reader');
  const out: ClusterEvent[] = [];
  try {
    for await (const e of readLog(bus, { fromSeq: 1, untilHead: true })) if (e.decoded.ok && types.includes(e.decoded.event.type)) out.push(e.decoded.event);
  } finally {
    await bus.close();
  }
  return out;
}

const agent = (i: number): EmulatedAgent => agents[i]!;

/** Until the master has folded everything in the log now (what was just appended has taken effect, or not). */
async function foldedToHead(): Promise<void> {
  const bus = await cluster.bus('auditor', 'head');
  try {
    const head = await headSeq(bus.jsm);
    await waitFor(() => cluster.master.seq() >= head, 'the master to fold the log to its head');
  } finally {
    await bus.close();
  }
}

/** Until the leader has run `n` more allocation cycles. */
async function allocationCycles(n: number): Promise<void> {
  const runs = async (): Promise<number> => ((await (await fetch(`${url}/metrics/snapshot`)).json()) as Record<string, number>)['allocator/mesos/allocation_runs'] ?? 0;
  const from = await runs();
  await waitFor(async () => (await runs()) >= from + n || undefined, `${n} allocation cycles`);
}
const stateAgent = (a: EmulatedAgent) => cluster.master.state().agents.get(a.agentId)!;

test('queries: GET_HEALTH, GET_VERSION, GET_FLAGS, GET_MASTER, GET_STATE, GET_AGENTS in Mesos’s shapes', async () => {
  const h = await op(url, { type: 'GET_HEALTH' });
  assert.is(h.status, 200);
  assert.equal(h.json, { type: 'GET_HEALTH', get_health: { healthy: true } });
  const v = await op(url, { type: 'GET_VERSION' });
  assert.is(v.json.get_version.version_info.version, '1.12.0');
  const fl = await op(url, { type: 'GET_FLAGS' });
  assert.ok(fl.json.get_flags.flags.some((x: { name: string; value: string }) => x.name === 'min_allocatable_resources' && x.value === 'cpus:0.01|mem:32'));
  const m = await op(url, { type: 'GET_MASTER' });
  assert.is(m.json.get_master.master_info.id, cluster.master.masterId);
  const s = await op(url, { type: 'GET_STATE' });
  assert.equal(Object.keys(s.json.get_state).sort(), ['get_agents', 'get_executors', 'get_frameworks', 'get_tasks']);
  const ag = await op(url, { type: 'GET_AGENTS' });
  const a0 = ag.json.get_agents.agents.find((x: { agent_info: { id: { value: string } } }) => x.agent_info.id.value === agent(0).agentId);
  assert.is(a0.agent_info.hostname, 'h1');
  assert.equal(a0.total_resources.find((r: { name: string }) => r.name === 'cpus'), { name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: '*' });
  assert.is(a0.active, true);
  assert.is(a0.deactivated, false);
});

test('bad calls: not JSON, no type, unknown type, protobuf, GET, unknown agent', async () => {
  assert.is((await op(url, '{oops')).status, 400);
  const noType = await op(url, {});
  assert.is(noType.status, 400);
  assert.match(noType.text, /Expecting 'type' to be present/);
  assert.is((await op(url, { type: 'NO_SUCH_CALL' })).status, 400);
  assert.is((await op(url, { type: 'GROW_VOLUME' })).status, 501);
  assert.is((await op(url, { type: 'GET_HEALTH' }, { contentType: 'application/x-protobuf' })).status, 400, 'JSON sent as protobuf');
  assert.is((await op(url, { type: 'GET_HEALTH' }, { contentType: 'text/plain' })).status, 415);
  assert.is((await op(url, undefined, { method: 'GET' })).status, 405);
  assert.is((await op(url, { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: 'nope' } } })).status, 404);
  // Bodies no code should walk: 20,000 levels deep, a number no double holds. 400, never 500.
  const deep = await op(url, `{"type":"GET_HEALTH","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
  assert.is(deep.status, 400);
  assert.match(deep.text, /nested more than 100 levels/);
  for (const where of ['limits', 'guarantees']) {
    const huge = await op(url, `{"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"web","${where}":{"cpus":{"value":1e400}}}]}}`);
    assert.is(huge.status, 400, `a quota ${where} of 1e400: ${huge.text}`);
    assert.match(huge.text, /1e400 is out of range/);
  }
  const missing = await op(url, { type: 'DRAIN_AGENT' });
  assert.is(missing.status, 400);
  assert.match(missing.text, /drain_agent/);
});

test('UPDATE_WEIGHTS / GET_WEIGHTS / GET_ROLES: weights are events; bad weights are 400', async () => {
  const r = await op(url, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'eng', weight: 3 }, { role: 'ops', weight: 0.5 }] } });
  assert.is(r.status, 200);
  const w = await op(url, { type: 'GET_WEIGHTS' });
  assert.equal(w.json, { type: 'GET_WEIGHTS', get_weights: { weight_infos: [{ weight: 3, role: 'eng' }, { weight: 0.5, role: 'ops' }] } });
  const roles = await op(url, { type: 'GET_ROLES' });
  assert.ok(roles.json.get_roles.roles.some((x: { name: string; weight: number }) => x.name === 'eng' && x.weight === 3));
  assert.is((await op(url, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'eng', weight: -1 }] } })).status, 400);
  assert.is((await op(url, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: '/bad', weight: 1 }] } })).status, 400);
  const ev = await logged('WeightsUpdated');
  assert.is(ev.length, 1, 'one event per accepted call, none for refused ones');
  const legacy = (await (await fetch(`${url}/master/roles`)).json()) as { roles: { name: string; weight: number; quota: unknown }[] };
  assert.ok(legacy.roles.some((x) => x.name === 'eng' && x.weight === 3 && x.quota !== undefined));
  await op(url, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'eng', weight: 1 }, { role: 'ops', weight: 1 }] } });
});

test('UPDATE_QUOTA / GET_QUOTA: a limit caps what the role is offered; below consumption is 400 unless forced', async () => {
  const r = await op(url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'capped', limits: { cpus: { value: 3 }, mem: { value: 2048 } } }] } });
  assert.is(r.status, 200, r.text);
  const q = await op(url, { type: 'GET_QUOTA' });
  assert.equal(q.json.get_quota.status.configs, [{ role: 'capped', limits: { cpus: { value: 3 }, mem: { value: 2048 } } }]);
  const f = await framework('capped', ['capped']);
  const offers = new OfferQueue(f);
  const o = await offers.next();
  assert.is(R.scalar(o.resources, 'cpus'), 3, 'chopped to the limit');
  assert.is(R.scalar(o.resources, 'mem'), 2048);
  await waitFor(() => cluster.master.state().counters.offersCreated > 0, 'offers');
  // It holds 3 cpus (offered): a limit of 1 is refused without force, accepted with it.
  const low = await op(url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'capped', limits: { cpus: { value: 1 } } }] } });
  assert.is(low.status, 200, 'offered resources are not consumption (Mesos): nothing is used yet');
  await f.accept([o.id], []).catch(() => undefined);
  const bad = await op(url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'capped', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 1 } } }] } });
  assert.is(bad.status, 400);
  assert.match(bad.text, /above its limit/);
  const over = await op(url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'big', guarantees: { cpus: { value: 1000 } } }] } });
  assert.is(over.status, 400);
  assert.match(over.text, /exceed cluster capacity/);
  assert.is((await op(url, { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: 'big', guarantees: { cpus: { value: 1000 } } }] } })).status, 200);
  assert.is((await op(url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'big' }, { role: 'capped' }] } })).status, 200, 'an empty config removes a quota');
  assert.equal((await op(url, { type: 'GET_QUOTA' })).json.get_quota.status.configs, []);
  await f.teardown();
});

test('RESERVE_RESOURCES / UNRESERVE_RESOURCES: reserved resources go to their role only; too much is 409', async () => {
  const a = agent(1);
  const reserve = await op(url, {
    type: 'RESERVE_RESOURCES',
    reserve_resources: { agent_id: { value: a.agentId }, source: [scalar('cpus', 2), scalar('mem', 1024)], resources: [scalar('cpus', 2, dynamic('web', 'ops')), scalar('mem', 1024, dynamic('web', 'ops'))] },
  });
  assert.is(reserve.status, 202, reserve.text);
  assert.equal(R.format(stateAgent(a).resources), 'cpus:2;cpus(web):2;disk:2048;mem:3072;mem(web):1024');
  const tooMuch = await op(url, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: a.agentId }, resources: [scalar('cpus', 99, dynamic('web'))] } });
  assert.is(tooMuch.status, 409);
  const star = await op(url, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: a.agentId }, resources: [scalar('cpus', 1, dynamic('*'))] } });
  assert.is(star.status, 400);
  // A framework of another role never sees web's reservation; one of web/frontend (a descendant) does.
  const other = await framework('other', ['other']);
  const child = await framework('web-frontend', ['web/frontend']);
  const otherOffers = new OfferQueue(other);
  const childOffers = new OfferQueue(child);
  const seen = await waitFor(async () => {
    const o = await childOffers.next('an offer for web/frontend', 5000);
    if (o.agentId !== a.agentId) {
      await child.decline([o.id], 0);
      return undefined;
    }
    return o;
  }, 'web/frontend to be offered agent h2');
  assert.ok(seen.resources.some((r) => R.reservedRole(r) === 'web'), `web/frontend got web's reservation: ${R.format(seen.resources)}`);
  for (const o of otherOffers.drain()) assert.not.ok(o.resources.some((r) => R.reservedRole(r) !== '*'), `other got ${R.format(o.resources)}`);
  await child.decline([seen.id], 0);
  await other.teardown();
  await child.teardown();
  await waitFor(() => stateAgent(a).offerIds.size === 0, 'the offers to go');
  const un = await op(url, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: a.agentId }, resources: [scalar('cpus', 2, dynamic('web', 'ops')), scalar('mem', 1024, dynamic('web', 'ops'))] } });
  assert.is(un.status, 202, un.text);
  assert.equal(R.format(stateAgent(a).resources), 'cpus:4;disk:2048;mem:4096');
  assert.is((await logged('ResourcesReserved', 'ResourcesUnreserved')).length, 2);
});

test('CREATE_VOLUMES / DESTROY_VOLUMES on reserved disk', async () => {
  const a = agent(1);
  assert.is(
    (await op(url, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: a.agentId }, resources: [scalar('disk', 512, dynamic('db'))] } })).status,
    202,
  );
  const vol = scalar('disk', 512, { ...dynamic('db'), disk: { persistence: { id: 'pg-data' }, volume: { container_path: 'data', mode: 'RW' } } });
  const c = await op(url, { type: 'CREATE_VOLUMES', create_volumes: { agent_id: { value: a.agentId }, volumes: [vol] } });
  assert.is(c.status, 202, c.text);
  assert.ok(stateAgent(a).resources.some((r) => R.isVolume(r)), 'the volume is in the agent’s resources');
  assert.is((await op(url, { type: 'CREATE_VOLUMES', create_volumes: { agent_id: { value: a.agentId }, volumes: [vol] } })).status, 400, 'the same id twice');
  const unreserveVolume = await op(url, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: a.agentId }, resources: [vol] } });
  assert.is(unreserveVolume.status, 400);
  assert.match(unreserveVolume.text, /DESTROY it first/);
  const d = await op(url, { type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: { value: a.agentId }, volumes: [vol] } });
  assert.is(d.status, 202, d.text);
  assert.is((await op(url, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: a.agentId }, resources: [scalar('disk', 512, dynamic('db'))] } })).status, 202);
  assert.equal(R.format(stateAgent(a).resources), 'cpus:4;disk:2048;mem:4096');
});

test('DEACTIVATE_AGENT / REACTIVATE_AGENT: no offers meanwhile, its offers rescinded', async () => {
  const a = agent(2);
  const f = await framework('deact', ['*']);
  const offers = new OfferQueue(f);
  await waitFor(() => f.outstandingOffers().some((o) => o.agentId === a.agentId), 'an offer of h3');
  const rescinded = firstValueFrom(f.rescinds$);
  assert.is((await op(url, { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: a.agentId } } })).status, 200);
  await within(rescinded, 5000, 'the rescind');
  assert.is(stateAgent(a).deactivated, true);
  for (const o of offers.drain()) await f.decline([o.id], 0);
  await allocationCycles(3);
  assert.not.ok(f.outstandingOffers().some((o) => o.agentId === a.agentId), 'no offer for a deactivated agent');
  const ag = await op(url, { type: 'GET_AGENTS' });
  assert.is(ag.json.get_agents.agents.find((x: { agent_info: { id: { value: string } } }) => x.agent_info.id.value === a.agentId).deactivated, true);
  assert.is((await op(url, { type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: a.agentId } } })).status, 200);
  await waitFor(() => f.outstandingOffers().some((o) => o.agentId === a.agentId), 'an offer of h3 again');
  await f.teardown();
});

test('DRAIN_AGENT: no new offers, tasks killed with the grace period and REASON_AGENT_DRAINING; DRAINED, then gone with mark_gone', async () => {
  const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:2;mem:1024', { hostname: 'drainme' });
  agents.push(a);
  await waitFor(() => stateAgent(a)?.status === 'ACTIVE', 'the agent to register');
  const f = await framework('drainer', ['*'], { capabilities: ['PARTITION_AWARE'] });
  f.updates$.subscribe((u) => void f.acknowledge(u).catch(() => undefined));
  const offer = await waitFor(() => f.outstandingOffers().find((o) => o.agentId === a.agentId), 'an offer of the agent');
  await f.accept([offer.id], [{ taskId: 'victim', agentId: a.agentId, resources: 'cpus:1;mem:128', command: 'sleep 100', killGracePeriodMs: 30_000 }]);
  await waitFor(() => a.commands.length === 1, 'the launch');
  await a.report(f.frameworkId, 'victim', 'TASK_RUNNING');
  const drain = await op(url, { type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: a.agentId }, max_grace_period: { seconds: 2 }, mark_gone: true } });
  assert.is(drain.status, 200, drain.text);
  const kill = await waitFor(() => a.commands.find((c) => c.type === 'KillTask'), 'the kill command');
  assert.is(kill.type === 'KillTask' && kill.reason, 'REASON_AGENT_DRAINING');
  assert.is(kill.type === 'KillTask' && kill.gracePeriodMs, 2000, 'the smaller of the task’s grace period and the drain’s');
  assert.is(stateAgent(a).drain?.state, 'DRAINING');
  const conflicting = await op(url, { type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: a.agentId }, mark_gone: false } });
  assert.is(conflicting.status, 409);
  await a.report(f.frameworkId, 'victim', 'TASK_KILLED');
  await waitFor(() => stateAgent(a).status === 'REMOVED', 'the drained agent to be marked gone');
  assert.is(stateAgent(a).gone, true);
  assert.is(stateAgent(a).drain?.state, 'DRAINED');
  await f.teardown();
});

test('MARK_AGENT_GONE: tasks become TASK_GONE_BY_OPERATOR and the agent may not come back; unknown is 404', async () => {
  const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:1;mem:512', { hostname: 'goner' });
  agents.push(a);
  await waitFor(() => stateAgent(a)?.status === 'ACTIVE', 'the agent to register');
  const f = await framework('gone', ['*'], { capabilities: ['PARTITION_AWARE'] });
  const offer = await waitFor(() => f.outstandingOffers().find((o) => o.agentId === a.agentId), 'an offer of the agent');
  await f.accept([offer.id], [{ taskId: 'doomed', agentId: a.agentId, resources: 'cpus:0.5;mem:64', command: 'sleep 100' }]);
  await waitFor(() => a.commands.length === 1, 'the launch');
  const goneUpdate = firstValueFrom(f.updates$.pipe(filter((u) => u.taskId === 'doomed' && u.state === 'TASK_GONE_BY_OPERATOR')));
  assert.is((await op(url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.agentId } } })).status, 200);
  await within(goneUpdate, 5000, 'TASK_GONE_BY_OPERATOR');
  assert.is((await op(url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: a.agentId } } })).status, 200, 'idempotent');
  await a.reregister([]);
  await foldedToHead();
  assert.is(stateAgent(a).status, 'REMOVED', 'a gone agent stays gone');
  assert.is((await op(url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'unknown' } } })).status, 404);
  await f.teardown();
});

test('maintenance: schedule → offers carry unavailability and inverse offers go to frameworks on the machine; START takes it down; STOP brings it back', async () => {
  const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:1;mem:512', { hostname: 'maint' });
  agents.push(a);
  await waitFor(() => stateAgent(a)?.status === 'ACTIVE', 'the agent to register');
  const f = await framework('maint', ['*']);
  const offer = await waitFor(() => f.outstandingOffers().find((o) => o.agentId === a.agentId), 'an offer of the agent');
  await f.accept([offer.id], [{ taskId: 'resident', agentId: a.agentId, resources: 'cpus:0.5;mem:64', command: 'sleep 100' }]);
  await waitFor(() => a.commands.length === 1, 'the launch');
  const inverse = firstValueFrom(f.inverseOffers$);
  const start = Date.now() + 3_600_000;
  const sched = await op(url, {
    type: 'UPDATE_MAINTENANCE_SCHEDULE',
    update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: 'maint' }], unavailability: { start: { nanoseconds: start * 1e6 }, duration: { nanoseconds: 600 * 1e9 } } }] } },
  });
  assert.is(sched.status, 200, sched.text);
  const got = await within(inverse, 5000, 'an inverse offer');
  assert.is(got.agentId, a.agentId);
  assert.equal(got.unavailability, { start, durationMs: 600_000 });
  const withUnavailability = await waitFor(async () => {
    const o = f.outstandingOffers().find((x) => x.agentId === a.agentId);
    return o;
  }, 'the rest of the agent offered again');
  assert.ok(withUnavailability);
  const offered = [...cluster.master.state().offers.values()].find((o) => o.agentId === a.agentId);
  assert.ok(offered !== undefined);
  await f.acceptInverseOffers([got.id]);
  const status = await waitFor(async () => {
    const s = await op(url, { type: 'GET_MAINTENANCE_STATUS' });
    const d = s.json.get_maintenance_status.status.draining_machines[0];
    return d?.statuses?.[0]?.status === 'ACCEPT' ? d : undefined;
  }, 'the accepted inverse offer in the status');
  assert.equal(status.id, { hostname: 'maint' });
  const schedule = await op(url, { type: 'GET_MAINTENANCE_SCHEDULE' });
  assert.equal(schedule.json.get_maintenance_schedule.schedule.windows[0].machine_ids, [{ hostname: 'maint' }]);
  // Down: the agent is removed, its task TASK_GONE_BY_OPERATOR (TASK_LOST for this framework).
  assert.is((await op(url, { type: 'START_MAINTENANCE', start_maintenance: { machines: [{ hostname: 'nope' }] } })).status, 400);
  assert.is((await op(url, { type: 'START_MAINTENANCE', start_maintenance: { machines: [{ hostname: 'maint' }] } })).status, 200);
  await waitFor(() => stateAgent(a).status === 'REMOVED', 'the agent to be removed');
  const removing = await op(url, { type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: { windows: [] } } });
  assert.is(removing.status, 400, 'a machine that is down stays on the schedule');
  await a.reregister([]);
  await foldedToHead();
  assert.is(stateAgent(a).status, 'REMOVED', 'it may not come back while down');
  assert.is((await op(url, { type: 'STOP_MAINTENANCE', stop_maintenance: { machines: [{ hostname: 'maint' }] } })).status, 200);
  await a.reregister([]);
  await waitFor(() => stateAgent(a).status === 'ACTIVE', 'the agent back after maintenance');
  assert.equal((await op(url, { type: 'GET_MAINTENANCE_SCHEDULE' })).json.get_maintenance_schedule.schedule.windows, []);
  await f.teardown();
});

test('TEARDOWN: the operator removes a framework', async () => {
  const f = await framework('doomed-fw', ['*']);
  await waitFor(() => cluster.master.state().frameworks.has(f.frameworkId), 'the framework');
  const removed = firstValueFrom(f.removed$);
  assert.is((await op(url, { type: 'TEARDOWN', teardown: { framework_id: { value: f.frameworkId } } })).status, 200);
  assert.is((await within(removed, 5000, 'the removal')).reason, 'OPERATOR');
  assert.is((await op(url, { type: 'TEARDOWN', teardown: { framework_id: { value: f.frameworkId } } })).status, 400);
});

test('the log holds every operator call, and a standby answers 307 to the leader', async () => {
  const types = (await logged('WeightsUpdated', 'QuotaUpdated', 'ResourcesReserved', 'AgentDeactivated', 'AgentDrainStarted', 'MaintenanceScheduleUpdated', 'MaintenanceStarted')).map((e) => e.type);
  for (const t of ['WeightsUpdated', 'QuotaUpdated', 'ResourcesReserved', 'AgentDeactivated', 'AgentDrainStarted', 'MaintenanceScheduleUpdated', 'MaintenanceStarted']) {
    assert.ok(types.includes(t as ClusterEvent['type']), `${t} in the log`);
  }
  const { startMaster } = await import('../../kernel/shell/master/index.js');
  const standby = await startMaster({ nats: cluster.nats.url, creds: cluster.creds('master', 'standby'), port: 0 }, cluster.log);
  try {
    await standby.caughtUp;
    const r = await op(standby.url, { type: 'GET_ROLES' });
    assert.is(r.status, 307);
    assert.is((await op(standby.url, { type: 'GET_HEALTH' })).status, 200, 'health is answered by any master');
  } finally {
    await standby.stop();
  }
});

test.run();
