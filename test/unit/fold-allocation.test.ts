/**
 * The fold of the allocation events, given / when / then: weights, quota (and its refusals),
 * allocator settings, the operator's reservations and volumes, reservations and volumes as offer
 * operations, draining, (de)activation, marking gone, maintenance, inverse offers, REVIVE and
 * SUPPRESS per role, demand; and the fold's bookkeeping (refuse filters swept in amortised O(1),
 * dynamic reservations kept across re-registration).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentId, FrameworkId, ScalarResource, TaskKey } from '../../events/index.js';
import * as R from '../../kernel/core/resources.js';
import { consumption } from '../../kernel/core/accounts.js';
import { filterKey, type State } from '../../kernel/core/state.js';
import {
  acceptedOps,
  accepted,
  ack,
  agentDeactivated,
  agentReactivated,
  agentRegistered,
  agentRemoved,
  agentReregistered,
  allocatorConfigured,
  declined,
  demandUnmet,
  drainStarted,
  dynamicFor,
  frameworkRemoved,
  frameworkSubscribed,
  given,
  inverseOffersAccepted,
  inverseOffersCreated,
  inverseOffersDeclined,
  leaderElected,
  maintenanceSchedule,
  maintenanceStarted,
  maintenanceStopped,
  offersCreated,
  owed,
  quotaUpdated,
  requested,
  res,
  reserved,
  resetIds,
  revived,
  status,
  suppressed,
  unreserved,
  volumesCreated,
  volumesDestroyed,
  weightsUpdated,
  when,
} from '../helpers/events.js';

test.before.each(() => resetIds());

const A1 = 'a1' as AgentId;
const agent = (s: State, id = 'a1') => s.agents.get(id as AgentId)!;
const fw = (s: State, id = 'fw1') => s.frameworks.get(id as FrameworkId)!;
const refusals = (s: State): string[] => [...s.operatorRefusals.values()];

// --- weights, quota, settings -------------------------------------------------------------------

test('WeightsUpdated sets weights (1 removes one), marks them set, and rescinds offers of the roles', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['eng'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'eng', resources: 'cpus:1' }),
  );
  when(s, weightsUpdated({ id: 'w1', weights: { eng: 3, ops: 0.5 } }));
  assert.equal([...s.weights], [['eng', 3], ['ops', 0.5]]);
  assert.ok(s.weightsSet);
  assert.is(s.offers.size, 0, 'the offer of the reweighted role is rescinded');
  assert.equal(owed(s, 'OffersRescinded').map((r) => [r.offerIds, r.reason]), [[['o1'], 'ALLOCATION_CHANGED']]);
  when(s, weightsUpdated({ weights: { eng: 1 } }));
  assert.equal([...s.weights], [['ops', 0.5]]);
  when(s, weightsUpdated({ id: 'bad', weights: { '/x': 2 } }));
  assert.match(s.operatorRefusals.get('bad')!, /slash/);
});

test('QuotaUpdated: applied all or nothing; refused with a reason for overcommit, guarantees above limits, children above parents', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:8;mem:8192' }));
  when(s, quotaUpdated({ configs: [{ role: 'eng', guarantees: { cpus: 4 }, limits: { cpus: 6 } }, { role: 'eng/a', guarantees: { cpus: 2 }, limits: { cpus: 5 } }] }));
  assert.equal(s.quotas.get('eng'), { guarantees: { cpus: 4 }, limits: { cpus: 6 } });
  assert.ok(s.quotas.has('eng/a'));
  const cases: [string, Parameters<typeof quotaUpdated>[0], RegExp][] = [
    ['over', { configs: [{ role: 'x', guarantees: { cpus: 100 } }] }, /exceed cluster capacity/],
    ['gl', { configs: [{ role: 'x', guarantees: { cpus: 3 }, limits: { cpus: 2 } }] }, /above its limit/],
    ['child-limit', { configs: [{ role: 'eng/b', limits: { cpus: 7 } }] }, /above its parent/],
    ['child-guarantees', { configs: [{ role: 'eng/b', guarantees: { cpus: 3 } }] }, /does not contain the sum of its children/],
    ['name', { configs: [{ role: 'x', limits: { ports: 3 } }] }, /not 'ports'/],
  ];
  for (const [id, args, why] of cases) {
    when(s, quotaUpdated({ ...args, id }));
    assert.match(s.operatorRefusals.get(id) ?? '', why, id);
  }
  assert.is(s.quotas.size, 2, 'refused updates change nothing');
  when(s, quotaUpdated({ id: 'forced', configs: [{ role: 'x', guarantees: { cpus: 100 } }], force: true }));
  assert.ok(s.quotas.has('x'), 'force skips the capacity check');
  when(s, quotaUpdated({ configs: [{ role: 'x' }] }));
  assert.not.ok(s.quotas.has('x'), 'an empty config removes the quota');
});

test('QuotaUpdated: a limit below what the role already uses is refused unless forced (offers do not count)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:8;mem:8192' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['eng'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'eng', resources: 'cpus:8;mem:8192' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:3;mem:100' }], refuseSeconds: 0 }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', role: 'eng', resources: 'cpus:5' }),
  );
  when(s, quotaUpdated({ id: 'q1', configs: [{ role: 'eng', limits: { cpus: 4 } }] }));
  assert.ok(s.quotas.has('eng'), 'using 3, offered 5: a limit of 4 is fine');
  when(s, quotaUpdated({ id: 'q2', configs: [{ role: 'eng', limits: { cpus: 2 } }] }));
  assert.match(s.operatorRefusals.get('q2')!, /already consuming/);
  when(s, quotaUpdated({ id: 'q3', configs: [{ role: 'eng', limits: { cpus: 2 } }], force: true }));
  assert.equal(s.quotas.get('eng')!.limits, { cpus: 2 });
  assert.equal(consumption(s.roles.get('eng')!, false), { cpus: 3000, mem: 100_000, disk: 0, gpus: 0 });
});

test('AllocatorConfigured records the leader’s settings', () => {
  const s = given(leaderElected(1), allocatorConfigured({ minAllocatable: [{ cpus: 1 }], filterGpuResources: false, roleWhitelist: ['a'] }));
  assert.equal(s.allocator, { minAllocatable: [{ cpus: 1 }], filterGpuResources: false, roleWhitelist: ['a'] });
});

// --- the operator's reservations and volumes -----------------------------------------------------

test('ResourcesReserved / ResourcesUnreserved convert free resources; too much, or in use, is refused', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;disk:1000' }));
  when(s, reserved({ agentId: 'a1', resources: dynamicFor('eng', 'cpus:2;mem:1024', 'ops') }));
  assert.equal(R.format(agent(s).resources), 'cpus:2;cpus(eng):2;disk:1000;mem:3072;mem(eng):1024');
  assert.equal(R.format(agent(s).dynamic), 'cpus(eng):2;mem(eng):1024');
  assert.equal(s.roles.get('eng')!.reserved, { cpus: 2000, mem: 1_024_000, disk: 0, gpus: 0 });
  assert.equal(s.totals.cpus, 4000, 'totals do not change');
  when(s, reserved({ id: 'r2', agentId: 'a1', resources: dynamicFor('eng', 'cpus:9') }));
  assert.match(s.operatorRefusals.get('r2')!, /Insufficient/);
  when(s, reserved({ id: 'r3', agentId: 'a1', resources: 'cpus:1' }));
  assert.match(s.operatorRefusals.get('r3')!, /must carry the reservation/);
  when(s, reserved({ id: 'r4', agentId: 'nope', resources: dynamicFor('eng', 'cpus:1') }));
  assert.match(s.operatorRefusals.get('r4')!, /unknown/);
  // Refinement: eng's reservation pushed down to eng/batch, and back.
  when(s, reserved({ agentId: 'a1', resources: [{ ...dynamicFor('eng', 'cpus:1')[0]!, reservations: [{ type: 'DYNAMIC', role: 'eng', principal: 'ops' }, { type: 'DYNAMIC', role: 'eng/batch' }] }] }));
  assert.ok(agent(s).resources.some((r) => R.reservedRole(r) === 'eng/batch'));
  when(s, unreserved({ agentId: 'a1', resources: [{ ...dynamicFor('eng', 'cpus:1')[0]!, reservations: [{ type: 'DYNAMIC', role: 'eng', principal: 'ops' }, { type: 'DYNAMIC', role: 'eng/batch' }] }] }));
  when(s, unreserved({ agentId: 'a1', resources: dynamicFor('eng', 'cpus:2;mem:1024', 'ops') }));
  assert.equal(R.format(agent(s).resources), 'cpus:4;disk:1000;mem:4096');
  assert.equal(agent(s).dynamic, []);
  assert.not.ok(s.roles.has('eng'), 'a role with nothing left is forgotten');
});

test('VolumesCreated / VolumesDestroyed: on reserved disk only, ids unique per role, a volume cannot be unreserved', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:1;mem:128;disk:1000;disk(db):100' }));
  when(s, volumesCreated({ id: 'v0', agentId: 'a1', volumes: [{ name: 'disk', type: 'SCALAR', scalar: 10, disk: { persistence: { id: 'x' }, volume: { containerPath: 'd', mode: 'RW' } } }] }));
  assert.match(s.operatorRefusals.get('v0')!, /reserved disk/);
  when(s, volumesCreated({ agentId: 'a1', volumes: 'disk(db)[pg:data]:60' }));
  assert.equal(R.format(agent(s).resources), 'cpus:1;disk:1000;disk(db):40;disk(db)[pg:data]:60;mem:128');
  when(s, volumesCreated({ id: 'v2', agentId: 'a1', volumes: 'disk(db)[pg:other]:10' }));
  assert.match(s.operatorRefusals.get('v2')!, /already exists/);
  when(s, volumesCreated({ id: 'v3', agentId: 'a1', volumes: 'disk(db)[x:/abs]:10' }));
  assert.match(s.operatorRefusals.get('v3')!, /must be relative/);
  when(s, volumesDestroyed({ agentId: 'a1', volumes: 'disk(db)[pg:data]:60' }));
  assert.equal(R.format(agent(s).resources), 'cpus:1;disk:1000;disk(db):100;mem:128');
});

test('dynamic reservations and volumes survive the agent re-registering (its own announcement has neither)', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;disk:1000' }));
  when(s, reserved({ agentId: 'a1', resources: dynamicFor('db', 'cpus:1;disk:200') }));
  when(s, volumesCreated({ agentId: 'a1', volumes: [{ ...(dynamicFor('db', 'disk:50')[0]! as ScalarResource), disk: { persistence: { id: 'v' }, volume: { containerPath: 'd', mode: 'RW' } } }] }));
  const before = R.format(agent(s).resources);
  when(s, agentRemoved({ agentId: 'a1' }), agentReregistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;disk:1000' }));
  assert.is(R.format(agent(s).resources), before);
  assert.equal(s.roles.get('db')!.reserved, { cpus: 1000, mem: 0, disk: 200_000, gpus: 0 });
  // An agent that comes back smaller keeps what still fits.
  when(s, agentReregistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;disk:100' }));
  assert.equal(R.format(agent(s).dynamic), 'cpus(db):1;disk(db)[v:d]:50', 'the 150 MB reservation no longer fits; the volume does');
});

// --- reservations and volumes as offer operations --------------------------------------------------

test('an accept applies RESERVE, CREATE and LAUNCH in order; what is left is declined with the filter', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:1024;disk:1000' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['db'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'db', resources: 'cpus:4;mem:1024;disk:1000' }),
  );
  const vol = [{ ...(dynamicFor('db', 'disk:100')[0]! as ScalarResource), disk: { persistence: { id: 'pg' }, volume: { containerPath: 'data', mode: 'RW' as const } } }];
  when(
    s,
    acceptedOps({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      refuseSeconds: 60,
      operations: [
        { type: 'RESERVE', resources: dynamicFor('db', 'cpus:1;mem:256;disk:100') },
        { type: 'CREATE', volumes: vol },
        { type: 'LAUNCH', tasks: [{ taskId: 't1', name: 't1', agentId: 'a1', resources: [...dynamicFor('db', 'cpus:1;mem:256'), ...vol], command: { value: 'true' } }] },
      ],
    }),
  );
  assert.equal(owed(s, 'AcceptRefused'), []);
  assert.ok(s.tasks.has('fw1/t1' as TaskKey));
  assert.equal(R.format(agent(s).used), 'cpus(db):1;disk(db)[pg:data]:100;mem(db):256');
  assert.equal(R.format(agent(s).dynamic), 'cpus(db):1;disk(db)[pg:data]:100;mem(db):256');
  assert.equal(R.format(fw(s).filters.get(filterKey(A1, 'db'))!.resources), 'cpus:3;disk:900;mem:768');
  assert.equal(s.roles.get('db')!.allocatedReserved.cpus, 1000);
});

test('an invalid operation of an accept is dropped (OPERATION_INVALID) and changes nothing', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:1024' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['db'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'db', resources: 'cpus:4;mem:1024' }),
  );
  const before = R.format(agent(s).resources);
  when(s, acceptedOps({ frameworkId: 'fw1', offerIds: ['o1'], operations: [{ type: 'RESERVE', resources: dynamicFor('other', 'cpus:1') }] }));
  const [r] = owed(s, 'AcceptRefused');
  assert.is(r!.code, 'OPERATION_INVALID');
  assert.match(r!.message, /only reserve for the role of its offer/);
  assert.is(R.format(agent(s).resources), before);
  // Refining needs RESERVATION_REFINEMENT.
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', role: 'db', resources: 'cpus:4;mem:1024' }),
    acceptedOps({ frameworkId: 'fw1', offerIds: ['o2'], operations: [{ type: 'UNRESERVE', resources: dynamicFor('db', 'cpus:1') }] }),
  );
  assert.match(owed(s, 'AcceptRefused').at(-1)!.message, /not there to convert/);
});

test('offers of one accept must share their role; an offer for another role than the framework’s is invalid', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:1024;cpus(b):1' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['a', 'b'], capabilities: ['MULTI_ROLE'] }),
    offersCreated({ frameworkId: 'fw1', offers: [{ offerId: 'o1', agentId: 'a1', role: 'a', resources: 'cpus:1' }, { offerId: 'o2', agentId: 'a1', role: 'b', resources: 'cpus(b):1' }] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o3', agentId: 'a1', role: 'c', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o4', agentId: 'a1', role: 'a', resources: 'cpus(b):1' }),
  );
  assert.equal([...s.offers.keys()].sort(), ['o1', 'o2']);
  assert.is(s.counters.offersInvalid, 2, 'not a framework role; reserved for another role');
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o1', 'o2'] }));
  assert.is(owed(s, 'AcceptRefused')[0]!.code, 'OFFERS_ON_DIFFERENT_ROLES');
});

// --- agents: drain, deactivate, gone --------------------------------------------------------------

function withRunningTask(): State {
  return given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:1024' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:512' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:64', killGracePeriodMs: 10_000 }], refuseSeconds: 0 }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
  );
}

test('AgentDrainStarted: deactivated, offers rescinded, tasks killed with the smaller grace period; DRAINED after the last ack; gone with mark_gone', () => {
  const s = withRunningTask();
  when(s, drainStarted({ id: 'd1', agentId: 'a1', maxGracePeriodMs: 2000, markGone: true }));
  assert.equal(agent(s).drain, { state: 'DRAINING', maxGracePeriodMs: 2000, markGone: true, startedAt: agent(s).drain!.startedAt });
  assert.ok(agent(s).deactivated);
  assert.is(s.offers.size, 0);
  const [kill] = owed(s, 'KillTask');
  assert.equal([kill!.taskId, kill!.gracePeriodMs, kill!.reason], ['t1', 2000, 'REASON_AGENT_DRAINING']);
  when(s, drainStarted({ id: 'd2', agentId: 'a1', markGone: false }));
  assert.match(s.operatorRefusals.get('d2')!, /other settings/);
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'KILLED', uuid: 'u2' }));
  assert.is(agent(s).drain!.state, 'DRAINING', 'until the terminal update is acknowledged');
  when(s, ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u2' }));
  assert.is(agent(s).drain!.state, 'DRAINING', 'and every update before it (RUNNING, u1)');
  when(s, ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }));
  assert.is(agent(s).drain!.state, 'DRAINED');
  const [gone] = owed(s, 'AgentRemoved');
  assert.equal([gone!.agentId, gone!.reason], ['a1', 'OPERATOR']);
  // Reactivating a drained agent ends the drain.
  const s2 = withRunningTask();
  when(s2, drainStarted({ agentId: 'a1' }), agentReactivated({ agentId: 'a1' }));
  assert.is(agent(s2).drain, null);
  assert.not.ok(agent(s2).deactivated);
});

test('AgentDeactivated / AgentReactivated: offers rescinded, tasks untouched', () => {
  const s = withRunningTask();
  when(s, agentDeactivated({ agentId: 'a1' }));
  assert.ok(agent(s).deactivated);
  assert.is(s.offers.size, 0);
  assert.equal(owed(s, 'OffersRescinded').map((r) => r.reason), ['AGENT_DEACTIVATED']);
  assert.equal(owed(s, 'KillTask'), []);
  when(s, agentReactivated({ agentId: 'a1' }));
  assert.not.ok(agent(s).deactivated);
  when(s, agentDeactivated({ id: 'x', agentId: 'zz' }));
  assert.equal(refusals(s), ['Agent zz is unknown']);
});

test('AgentRemoved{OPERATOR} (marked gone): TASK_GONE_BY_OPERATOR, and the agent may not register again', () => {
  const s = withRunningTask();
  when(s, agentRemoved({ agentId: 'a1', reason: 'OPERATOR' }));
  assert.ok(agent(s).gone);
  assert.is(s.tasks.get('fw1/t1' as TaskKey)?.state ?? fw(s).completedTasks[0]!.state, 'TASK_GONE_BY_OPERATOR');
  when(s, agentReregistered({ agentId: 'a1' }), agentRegistered({ agentId: 'a1' }));
  assert.is(agent(s).status, 'REMOVED');
  assert.is(s.totals.cpus, 0);
});

// --- maintenance and inverse offers ---------------------------------------------------------------

test('maintenance: scheduled machines are DRAINING, START takes them DOWN (agents removed, may not come back), STOP ends it', () => {
  const s = withRunningTask();
  when(s, maintenanceSchedule({ windows: [{ machines: [{ hostname: 'A1.local' }], start: 5000, durationMs: 60_000 }] }));
  const m = s.maintenance.machines.get('host:a1.local')!;
  assert.equal([m.mode, m.unavailability], ['DRAINING', { start: 5000, durationMs: 60_000 }]);
  assert.is(s.offers.size, 0, 'offers of the machine are made again, with their unavailability');
  when(s, inverseOffersCreated({ frameworkId: 'fw1', offers: [{ inverseOfferId: 'io1', agentId: 'a1', start: 5000 }] }));
  assert.is(s.inverseOffers.get('io1')!.status, 'UNKNOWN');
  when(s, inverseOffersDeclined({ frameworkId: 'fw1', inverseOfferIds: ['io1'] }));
  assert.is(s.inverseOffers.get('io1')!.status, 'DECLINED');
  when(s, inverseOffersAccepted({ frameworkId: 'fw1', inverseOfferIds: ['io1'] }));
  assert.is(s.inverseOffers.get('io1')!.status, 'ACCEPTED');
  when(s, maintenanceStarted({ id: 'bad', machines: [{ hostname: 'elsewhere' }] }));
  assert.match(s.operatorRefusals.get('bad')!, /not in the maintenance schedule/);
  when(s, maintenanceStarted({ machines: [{ hostname: 'a1.local' }] }));
  assert.is(agent(s).status, 'REMOVED');
  assert.not.ok(agent(s).gone, 'down for maintenance is not gone');
  assert.is(s.inverseOffers.size, 0);
  when(s, maintenanceSchedule({ id: 'drop', windows: [] }));
  assert.match(s.operatorRefusals.get('drop')!, /down for maintenance/);
  when(s, agentReregistered({ agentId: 'a1' }));
  assert.is(agent(s).status, 'REMOVED', 'refused while down');
  when(s, maintenanceStopped({ machines: [{ hostname: 'a1.local' }] }));
  assert.is(s.maintenance.machines.size, 0);
  assert.equal(s.maintenance.windows, []);
  when(s, agentReregistered({ agentId: 'a1' }));
  assert.is(agent(s).status, 'ACTIVE');
});

// --- frameworks: roles, suppression, filters, demand ------------------------------------------------

test('SUPPRESS and REVIVE per role; REVIVE of a role clears only that role’s filters', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['a', 'b'], capabilities: ['MULTI_ROLE'], suppressedRoles: ['b'] }),
  );
  assert.equal([...fw(s).suppressedRoles], ['b']);
  assert.not.ok(fw(s).suppressed);
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'a', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', role: 'b', resources: 'cpus:1' }),
    declined({ frameworkId: 'fw1', offerIds: ['o1', 'o2'], refuseSeconds: 3600 }),
  );
  assert.equal([...fw(s).filters.keys()].sort(), ['a1 a', 'a1 b']);
  when(s, suppressed({ frameworkId: 'fw1', roles: ['a'] }));
  assert.ok(fw(s).suppressed, 'every role is suppressed now');
  when(s, revived({ frameworkId: 'fw1', roles: ['b'] }));
  assert.equal([...fw(s).suppressedRoles], ['a']);
  assert.equal([...fw(s).filters.keys()], ['a1 a'], 'b’s filter is gone, a’s stays');
  when(s, revived({ frameworkId: 'fw1' }));
  assert.equal(fw(s).filters.size, 0);
  assert.not.ok(fw(s).suppressed);
});

test('refuse filters: expired ones are swept when the map has doubled, so a framework declining 10,000 offers is not quadratic', () => {
  const s = given(leaderElected(1), frameworkSubscribed({ frameworkId: 'fw1' }));
  for (let i = 0; i < 100; i++) when(s, agentRegistered({ agentId: `a${i}`, resources: 'cpus:1' }));
  const offers = Array.from({ length: 100 }, (_, i) => ({ offerId: `o${i}`, agentId: `a${i}`, resources: 'cpus:1' }));
  when(s, offersCreated({ frameworkId: 'fw1', offers }));
  when(s, declined({ frameworkId: 'fw1', offerIds: offers.map((o) => o.offerId), refuseSeconds: 1 }));
  assert.is(fw(s).filters.size, 100);
  assert.is(fw(s).filterSweepAt, 128, 'swept at 64 (none expired), next sweep at twice the size');
  // Later, after they expired, the next sweep drops them.
  const later = offers.map((o, i) => ({ ...o, offerId: `p${i}` }));
  when(s, offersCreated({ frameworkId: 'fw1', offers: later, time: 1_800_000_000_000 }));
  when(s, declined({ frameworkId: 'fw1', offerIds: later.slice(0, 40).map((o) => o.offerId), refuseSeconds: 3600, time: 1_800_000_000_001 }));
  assert.ok(fw(s).filters.size <= 100);
  assert.is(fw(s).filters.get(filterKey('a0' as AgentId, '*'))!.until, 1_800_000_000_001 + 3_600_000);
});

test('ResourcesRequested states demand; a launch that fits a request meets it; DemandUnmet records reasons (none: cleared)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['eng'] }),
    requested({ frameworkId: 'fw1', requests: [{ name: 'big', resources: 'mem:100000' }, { name: 'small', resources: 'cpus:1;mem:128' }] }),
  );
  assert.equal(fw(s).demand.map((d) => d.name), ['big', 'small']);
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', role: 'eng', resources: 'cpus:4;mem:4096' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:256' }] }),
  );
  assert.equal(fw(s).demand.map((d) => d.name), ['big'], 'the small request was met by the launch');
  when(s, demandUnmet({ frameworkId: 'fw1', reasons: [{ code: 'NO_AGENT_LARGE_ENOUGH', message: 'no agent has enough mem', role: 'eng', demand: 'big' }] }));
  assert.equal(s.pending.get('fw1' as FrameworkId)!.reasons.map((r) => r.code), ['NO_AGENT_LARGE_ENOUGH']);
  when(s, demandUnmet({ frameworkId: 'fw1', reasons: [] }));
  assert.not.ok(s.pending.has('fw1' as FrameworkId));
  when(s, frameworkRemoved({ frameworkId: 'fw1' }));
  assert.not.ok(s.roles.get('eng')?.frameworks.has('fw1' as FrameworkId));
});

test('role accounts: frameworks join and leave their roles; used, offered and reserved are counted per role', () => {
  const s = withRunningTask();
  const star = s.roles.get('*')!;
  assert.ok(star.frameworks.has('fw1' as FrameworkId));
  assert.equal(star.allocated, { cpus: 2000, mem: 64_000, disk: 0, gpus: 0 }, 'used cpus:1;mem:64 + offered cpus:1');
  assert.equal(star.offered, { cpus: 1000, mem: 0, disk: 0, gpus: 0 });
  assert.equal(fw(s).allocation.get('*'), { cpus: 2000, mem: 64_000, disk: 0, gpus: 0 });
  assert.is(star.offers, 2);
  assert.equal(fw(s).offerCounts.get('*'), 2);
});

test.run();
