import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type ClusterEvent, type EventOf, type FrameworkId, type OfferId, type TaskKey, validate } from '../../events/index.js';
import { refusalToStatuses } from '../../events/refusals.js';
import { available, DEFAULT_REFUSE_SECONDS, foldAll, initialState } from '../../kernel/core/fold/index.js';
import { expiredFrameworkEvents } from '../../kernel/shell/master/decisions.js';
import { cloneState, filterKey, type State } from '../../kernel/core/state.js';
import {
  accepted,
  ack,
  frameworkDisconnected,
  agentDisconnected,
  agentRegistered,
  agentReregistered,
  agentRemoved,
  canonicalJson,
  declined,
  frameworkRemoved,
  frameworkSubscribed,
  given,
  killRequested,
  leaderElected,
  offersCreated,
  offersRescinded,
  owed,
  res,
  resetIds,
  revived,
  sent,
  status,
  suppressed,
  T0,
  when,
  type FrameworkArgs,
} from '../helpers/events.js';

const A1 = 'a1' as AgentId;
const FW1 = 'fw1' as FrameworkId;
const FW2 = 'fw2' as FrameworkId;
const key = (fw: string, t: string) => `${fw}/${t}` as TaskKey;
const agent = (s: State, id: string = A1) => s.agents.get(id as AgentId)!;
const fw = (s: State, id: string = FW1) => s.frameworks.get(id as FrameworkId)!;

test.before.each(() => resetIds());

/** Leader 1, agent a1 (cpus:4;mem:4096), framework fw1, offer o1 of all of a1 to fw1. */
function withOffer(fwArgs: Partial<FrameworkArgs> = {}): State {
  return given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1', ...fwArgs }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
  );
}

/** withOffer, then t1 (cpus:1;mem:1024) launched from o1. */
function withTask(fwArgs: Partial<FrameworkArgs> = {}): State {
  return when(
    withOffer(fwArgs),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:1024' }] }),
  );
}

/** The only AcceptRefused draft of the outbox. */
function refusal(s: State) {
  const rs = owed(s, 'AcceptRefused');
  assert.is(rs.length, 1, `one AcceptRefused draft, got ${rs.length}`);
  return rs[0]!;
}

// --- agents and frameworks ------------------------------------------------------------------

test('agent registration adds its resources, active, nothing used or offered', () => {
  const s = given(agentRegistered({ agentId: 'a1', resources: 'mem:4096;cpus:4;ports:[31000-32000]', time: T0 + 5 }));
  const a = agent(s);
  assert.ok(a, 'agent a1 is known');
  assert.equal(a.resources, res('cpus:4;mem:4096;ports:[31000-32000]'));
  assert.is(a.status, 'ACTIVE');
  assert.equal(a.used, []);
  assert.equal(a.offered, []);
  assert.equal(available(a), res('cpus:4;mem:4096;ports:[31000-32000]'));
  assert.is(a.registeredAt, T0 + 5);
  assert.is(a.commandSeq, 0);
  assert.is(s.counters.slaveRegistrations, 1);
  assert.is(s.counters.eventsFolded, 1);
  assert.is(s.time, T0 + 5);
  when(s, agentRegistered({ agentId: 'a2', resources: 'cpus:2' }));
  assert.is(s.agents.size, 2);
  assert.is(s.counters.slaveRegistrations, 2);
});

test('framework subscription: active, defaults applied, counted', () => {
  const s = given(frameworkSubscribed({ frameworkId: 'fw1', name: 'marathon', user: 'root' }));
  const f = fw(s);
  assert.is(f.status, 'ACTIVE');
  assert.is(f.info.name, 'marathon');
  assert.is(f.info.user, 'root');
  assert.equal(f.info.roles, ['*']);
  assert.is(f.suppressed, false);
  assert.equal(f.used, []);
  assert.is(f.filters.size, 0);
  assert.is(s.counters.frameworksSubscribed, 1);
  // Re-subscription keeps the framework (and is not a second subscription).
  when(s, frameworkSubscribed({ frameworkId: 'fw1', name: 'marathon-2', user: 'other' }));
  assert.is(s.frameworks.size, 1);
  assert.is(fw(s).info.name, 'marathon-2');
  assert.is(fw(s).info.user, 'root', 'the user cannot change on re-subscription');
  assert.is(s.counters.frameworksSubscribed, 1);
});

// --- offers and fencing ---------------------------------------------------------------------

test('OffersCreated with the current epoch creates offers and moves resources to offered', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
  );
  when(s, offersCreated({ frameworkId: 'fw1', epoch: 1, offerId: 'o1', agentId: 'a1', resources: 'cpus:3;mem:1024', expiresAt: T0 + 99_000 }));
  const o = s.offers.get('o1' as OfferId);
  assert.ok(o, 'offer o1 exists');
  assert.is(o!.frameworkId, FW1);
  assert.is(o!.agentId, A1);
  assert.is(o!.epoch, 1);
  assert.is(o!.expiresAt, T0 + 99_000);
  assert.equal(o!.resources, res('cpus:3;mem:1024'));
  assert.equal(agent(s).offered, res('cpus:3;mem:1024'));
  assert.equal(fw(s).offered, res('cpus:3;mem:1024'));
  assert.equal(available(agent(s)), res('cpus:1;mem:3072'));
  assert.ok(agent(s).offerIds.has('o1' as OfferId));
  assert.ok(fw(s).offerIds.has('o1' as OfferId));
  assert.is(s.counters.offersCreated, 1);
  assert.is(s.counters.offersInvalid, 0);
});

test('fencing: OffersCreated with a stale (or future) epoch is ignored and counted', () => {
  const s = given(
    leaderElected(1),
    leaderElected(2),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
  );
  const folded = s.counters.eventsFolded;
  when(s, offersCreated({ frameworkId: 'fw1', epoch: 1, offerId: 'o1', agentId: 'a1', resources: 'cpus:4' }));
  assert.is(s.offers.size, 0);
  assert.equal(agent(s).offered, []);
  assert.is(s.counters.staleDecisionsIgnored, 1);
  assert.is(s.counters.eventsFolded, folded, 'a fenced decision is not folded');
  when(s, offersCreated({ frameworkId: 'fw1', epoch: 3, offerId: 'o2', agentId: 'a1', resources: 'cpus:4' }));
  assert.is(s.offers.size, 0);
  assert.is(s.counters.staleDecisionsIgnored, 2);
  when(s, offersCreated({ frameworkId: 'fw1', epoch: 2, offerId: 'o3', agentId: 'a1', resources: 'cpus:4' }));
  assert.is(s.offers.size, 1);
});

test('an offer for more than the agent has available is not created (offersInvalid)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
  );
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:5' }));
  assert.is(s.offers.size, 0);
  assert.is(s.counters.offersInvalid, 1);
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:3;mem:4096' }));
  assert.is(s.offers.size, 1);
  // Only cpus:1 is left: a second offer of cpus:2 to another framework is invalid.
  when(s, offersCreated({ frameworkId: 'fw2', offerId: 'o3', agentId: 'a1', resources: 'cpus:2' }));
  assert.is(s.offers.has('o3' as OfferId), false);
  assert.is(s.counters.offersInvalid, 2);
  // Unknown agent, unknown framework, a reused offer id, resources the agent never had.
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o4', agentId: 'a9', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw9', offerId: 'o5', agentId: 'a1', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o6', agentId: 'a1', resources: 'gpus:1' }),
  );
  assert.is(s.offers.size, 1);
  assert.is(s.counters.offersInvalid, 6);
  assert.equal(agent(s).offered, res('cpus:3;mem:4096'));
  assert.is(s.offers.get('o2' as OfferId)!.frameworkId, FW1);
});

test('OffersRescinded returns the resources; an offer rescinded as EXPIRED is remembered as such', () => {
  const s = withOffer();
  when(s, offersRescinded({ frameworkId: 'fw1', offerIds: ['o1', 'nope'], reason: 'EXPIRED' }));
  assert.is(s.offers.size, 0);
  assert.equal(agent(s).offered, []);
  assert.equal(fw(s).offered, []);
  assert.is(s.retiredOffers.get('o1' as OfferId), 'EXPIRED');
  assert.is(s.counters.offersRescinded, 1);
});

// --- accept ---------------------------------------------------------------------------------

test('accept of a valid offer: STAGING task, resources used, LaunchTasks draft, filter for the leftover', () => {
  const s = withOffer();
  const acc = accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:1024' }] });
  when(s, acc);
  const t = s.tasks.get(key('fw1', 't1'));
  assert.ok(t, 'task fw1/t1 exists');
  assert.is(t!.state, 'TASK_STAGING');
  assert.is(t!.agentId, A1);
  assert.is(t!.launchSeq, 1);
  assert.ok(t!.holdsResources);
  assert.equal(t!.resources, res('cpus:1;mem:1024'));
  assert.equal(agent(s).used, res('cpus:1;mem:1024'));
  assert.equal(fw(s).used, res('cpus:1;mem:1024'));
  assert.equal(agent(s).offered, []);
  assert.equal(available(agent(s)), res('cpus:3;mem:3072'));
  assert.is(s.offers.size, 0);
  assert.is(s.retiredOffers.get('o1' as OfferId), 'USED');
  assert.ok(agent(s).taskKeys.has(key('fw1', 't1')));
  assert.ok(fw(s).taskKeys.has(key('fw1', 't1')));
  assert.is(s.counters.offersAccepted, 1);
  assert.is(s.counters.tasksReached['TASK_STAGING'], 1);
  // The launch command is owed, keyed by the id it will carry.
  const launch = s.outbox.get('launch-acc1');
  assert.ok(launch, 'LaunchTasks draft launch-acc1');
  assert.is(launch!.type, 'LaunchTasks');
  if (launch!.type !== 'LaunchTasks') return;
  assert.is(launch.agentId, A1);
  assert.is(launch.agentSeq, 1);
  assert.is(launch.frameworkId, FW1);
  assert.equal(launch.framework, { name: 'fw fw1', user: 'tester', checkpoint: false });
  assert.equal(launch.tasks.map((x) => x.taskId), ['t1']);
  assert.is(agent(s).commandSeq, 1);
  // The leftover is filtered for the default 5 s.
  const flt = fw(s).filters.get(filterKey(A1, '*'));
  assert.ok(flt, 'a refuse filter on a1');
  assert.equal(flt!.resources, res('cpus:3;mem:3072'));
  assert.is(flt!.until, acc.time + DEFAULT_REFUSE_SECONDS * 1000);
});

test('accept: the next launch on the same agent carries agentSeq 2; refuseSeconds sets the filter', () => {
  const s = withTask();
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:3;mem:3072' }));
  const acc2 = accepted({
    id: 'acc2',
    frameworkId: 'fw1',
    offerIds: ['o2'],
    tasks: [
      { taskId: 't2', agentId: 'a1', resources: 'cpus:1' },
      { taskId: 't3', agentId: 'a1', resources: 'cpus:1;mem:1000' },
    ],
    refuseSeconds: 30,
  });
  when(s, acc2);
  const launches = owed(s, 'LaunchTasks');
  assert.equal(
    launches.map((l) => [l.id, l.agentSeq, l.tasks.length]),
    [
      ['launch-acc1', 1, 1],
      ['launch-acc2', 2, 2],
    ],
  );
  assert.is(s.tasks.get(key('fw1', 't3'))!.launchSeq, 2);
  assert.equal(agent(s).used, res('cpus:3;mem:2024'));
  assert.equal(fw(s).filters.get(filterKey(A1, '*'))!.resources, res('cpus:1;mem:2072'));
  assert.is(fw(s).filters.get(filterKey(A1, '*'))!.until, acc2.time + 30_000);
});

test('accept refused: unknown offer → OFFER_UNKNOWN', () => {
  const s = withOffer();
  const acc = accepted({ id: 'acc9', frameworkId: 'fw1', offerIds: ['nope'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] });
  when(s, acc);
  const r = refusal(s);
  assert.is(r.id, 'refused-acc9');
  assert.is(r.code, 'OFFER_UNKNOWN');
  assert.is(r.acceptId, 'acc9');
  assert.is(r.frameworkId, FW1);
  assert.equal(r.offerIds, ['nope']);
  assert.equal(r.tasks.map((t) => t.taskId), ['t1']);
  assert.equal(r.tasks.map((t) => t.agentId), ['a1']);
  assert.is(s.tasks.size, 0);
  assert.is(owed(s, 'LaunchTasks').length, 0);
  assert.is(s.counters.acceptsRefused, 1);
  assert.ok(s.offers.has('o1' as OfferId), 'an unrelated offer is untouched');
});

test('accept refused: rescinded offer → OFFER_RESCINDED', () => {
  const s = withOffer();
  when(
    s,
    offersRescinded({ frameworkId: 'fw1', offerIds: ['o1'], reason: 'AGENT_GONE' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }),
  );
  assert.is(refusal(s).code, 'OFFER_RESCINDED');
  assert.is(s.tasks.size, 0);
  assert.equal(agent(s).used, []);
});

test('accept refused: an accept after the offer expiresAt → OFFER_EXPIRED, the offer goes back to the pool', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096', expiresAt: T0 + 10_000, time: T0 + 5_000 }),
  );
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }], time: T0 + 10_001 }));
  assert.is(refusal(s).code, 'OFFER_EXPIRED');
  assert.is(s.tasks.size, 0);
  assert.is(s.offers.size, 0);
  assert.equal(agent(s).offered, [], 'resources of the refused offer return to the pool');
  assert.equal(fw(s).offered, []);
});

test('accept at exactly expiresAt is still in time', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096', expiresAt: T0 + 10_000, time: T0 + 5_000 }),
  );
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }], time: T0 + 10_000 }));
  assert.is(owed(s, 'AcceptRefused').length, 0);
  assert.is(s.tasks.size, 1);
});

test("accept refused: another framework's offer → OFFER_NOT_YOURS (and that offer stays)", () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
  );
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o2'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }));
  const r = refusal(s);
  assert.is(r.code, 'OFFER_NOT_YOURS');
  assert.is(r.frameworkId, FW1);
  assert.ok(s.offers.has('o2' as OfferId), "fw2's offer is not retired by fw1's bad accept");
  assert.equal(fw(s, 'fw2').offered, res('cpus:4;mem:4096'));
});

test('accept: a task beyond what is left of the offers is dropped alone (RESOURCES_EXCEEDED → TASK_ERROR); the tasks before it launch', () => {
  const s = withOffer();
  when(
    s,
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 't1', agentId: 'a1', resources: 'cpus:3' },
        { taskId: 't2', agentId: 'a1', resources: 'cpus:1.5' },
      ],
    }),
  );
  const r = refusal(s);
  assert.is(r.code, 'RESOURCES_EXCEEDED');
  assert.is(r.operation, 0);
  assert.equal(r.tasks.map((t) => t.taskId), ['t2']);
  assert.equal([...s.tasks.values()].map((t) => t.taskId), ['t1']);
  assert.equal(agent(s).used, res('cpus:3'));
  assert.equal(owed(s, 'LaunchTasks').flatMap((c) => c.tasks.map((t) => t.taskId)), ['t1']);
  const [st] = refusalToStatuses({ ...r, epoch: 1, time: 0 } as EventOf<'AcceptRefused'>, true);
  assert.is(st?.state, 'TASK_ERROR');
  assert.is(st?.reason, 'REASON_TASK_INVALID');
});

test('accept: one invalid task among valid ones → TASK_ERROR for it only (as Mesos), the others launch', () => {
  const s = withOffer();
  when(
    s,
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 'ok-1', agentId: 'a1', resources: 'cpus:1;mem:128' },
        { taskId: 'bad', agentId: 'a1', resources: 'cpus:1;gpus:0.5' },
        { taskId: 'ok-2', agentId: 'a1', resources: 'cpus:1;mem:128' },
      ],
    }),
  );
  const r = refusal(s);
  assert.is(r.code, 'TASK_INVALID');
  assert.equal(r.tasks.map((t) => t.taskId), ['bad']);
  assert.match(r.message, /fractional number of gpus/);
  assert.equal([...s.tasks.keys()].sort(), [key('fw1', 'ok-1'), key('fw1', 'ok-2')].sort());
  assert.equal(owed(s, 'LaunchTasks').flatMap((c) => c.tasks.map((t) => t.taskId)), ['ok-1', 'ok-2']);
  assert.is(s.counters.acceptsRefused, 0, 'the accept itself went ahead');
  assert.not.ok(s.offers.has('o1' as OfferId), 'the offer is used');
});

test('accept: two tasks of one accept asking for the same port → the second is dropped (TASK_INVALID: a port is held by one task)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31010]' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31010]' }),
  );
  when(
    s,
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 't1', agentId: 'a1', resources: 'cpus:1;ports:[31000-31002]' },
        { taskId: 't2', agentId: 'a1', resources: 'cpus:1;ports:[31002-31003]' },
      ],
    }),
  );
  const r = refusal(s);
  assert.is(r.code, 'TASK_INVALID');
  assert.match(r.message, /task t1 and task t2 both ask for ports 31002/);
  assert.equal(r.tasks.map((t) => t.taskId), ['t2']);
  assert.equal([...s.tasks.values()].map((t) => t.taskId), ['t1']);
});

test('ports: a port held by a live task is not offered again; disjoint ports of one accept are fine', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31010]' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31010]' }),
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 't1', agentId: 'a1', resources: 'cpus:1;ports:[31000-31001]' },
        { taskId: 't2', agentId: 'a1', resources: 'cpus:1;ports:[31005-31005]' },
      ],
    }),
  );
  assert.is(s.tasks.size, 2);
  // an offer of a port in use is invalid when folded
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'ports:[31001-31001]' }));
  assert.not.ok(s.offers.has('o2' as OfferId));
  assert.is(s.counters.offersInvalid, 1);
});

test('accept: a duplicate task id is dropped → TASK_ID_DUPLICATE (within the accept and against a live task)', () => {
  const s1 = withOffer();
  when(
    s1,
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 't1', agentId: 'a1', resources: 'cpus:1' },
        { taskId: 't1', agentId: 'a1', resources: 'cpus:1' },
      ],
    }),
  );
  assert.is(refusal(s1).code, 'TASK_ID_DUPLICATE');
  assert.equal(refusal(s1).tasks.map((t) => t.taskId), ['t1']);
  assert.is(s1.tasks.size, 1, 'the first t1 launches, the second is dropped');

  resetIds();
  const s2 = withTask();
  when(
    s2,
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:3' }),
    accepted({ id: 'acc2', frameworkId: 'fw1', offerIds: ['o2'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }),
  );
  assert.is(refusal(s2).code, 'TASK_ID_DUPLICATE');
  assert.is(s2.tasks.size, 1);
  assert.equal(agent(s2).used, res('cpus:1;mem:1024'));
});

test('accept refused: offers on two agents → OFFERS_ON_DIFFERENT_AGENTS', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({
      frameworkId: 'fw1',
      offers: [
        { offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' },
        { offerId: 'o2', agentId: 'a2', resources: 'cpus:4;mem:4096' },
      ],
    }),
  );
  assert.is(s.offers.size, 2);
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o1', 'o2'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }));
  assert.is(refusal(s).code, 'OFFERS_ON_DIFFERENT_AGENTS');
  assert.is(s.tasks.size, 0);
  assert.is(s.offers.size, 0, 'both offers go back to the pool');
  assert.equal(agent(s, 'a2').offered, []);
});

test('accept refused: the other codes (duplicated offer id, task on another agent, unknown framework, fractional gpus)', () => {
  const cases: [string, ClusterEvent, string][] = [
    ['OFFER_DUPLICATED', accepted({ frameworkId: 'fw1', offerIds: ['o1', 'o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }), 'fw1'],
    ['TASK_INVALID', accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a2', resources: 'cpus:1' }] }), 'fw1'],
    ['TASK_INVALID', accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'gpus:0.5' }] }), 'fw1'],
    ['FRAMEWORK_UNKNOWN', accepted({ frameworkId: 'fw9', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }), 'fw9'],
  ];
  for (const [code, acc, fwId] of cases) {
    const s = when(withOffer(), acc);
    const r = refusal(s);
    assert.is(r.code, code, `${code} for ${JSON.stringify((acc as { operations: unknown }).operations)}`);
    assert.is(r.frameworkId, fwId);
    assert.is(s.tasks.size, 0);
  }
});

test('health checks: kept with the task and sent to the agent; an HTTP/TCP check without a port needs a task with ports', () => {
  const hc = { type: 'HTTP' as const, http: { path: '/health' }, delayMs: 0 };
  const s = when(
    withOffer(),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1', healthCheck: hc }] }),
  );
  const r = refusal(s);
  assert.is(r.code, 'TASK_INVALID');
  assert.match(r.message, 'task t1: its HTTP health check names no port and the task has no ports to default to');
  // With a port of its own, or a task holding ports, it is launched; the task and its launch command keep the check.
  const withPorts = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31009]' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-31009]' }),
  );
  when(
    withPorts,
    accepted({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      tasks: [
        { taskId: 't1', agentId: 'a1', resources: 'cpus:1;ports:[31000-31000]', healthCheck: hc },
        { taskId: 't2', agentId: 'a1', resources: 'cpus:1', check: { type: 'TCP', tcp: { port: 8080 } } },
      ],
    }),
  );
  const t1 = withPorts.tasks.get(key('fw1', 't1'))!;
  assert.equal(t1.healthCheck, { type: 'HTTP', http: { path: '/health' }, delayMs: 0, intervalMs: 10_000, timeoutMs: 20_000, consecutiveFailures: 3, gracePeriodMs: 10_000 });
  assert.is(withPorts.tasks.get(key('fw1', 't2'))!.check?.tcp?.port, 8080);
  const launch = [...withPorts.outbox.values()].find((d) => d.type === 'LaunchTasks');
  assert.ok(launch?.type === 'LaunchTasks' && launch.tasks[0]!.healthCheck?.type === 'HTTP' && launch.role === '*');
  // Status updates keep `healthy` and `checkStatus` in the task's history.
  when(
    withPorts,
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't2', state: 'RUNNING', uuid: 'u1', checkStatus: { type: 'TCP', tcp: { succeeded: true } } }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u2', healthy: false, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' }),
  );
  assert.equal(withPorts.tasks.get(key('fw1', 't2'))!.statuses.at(-1)?.checkStatus, { type: 'TCP', tcp: { succeeded: true } });
  assert.is(withPorts.tasks.get(key('fw1', 't1'))!.statuses.at(-1)?.healthy, false);
});

test('an accept refusal draft, sent with the current epoch, removes itself from the outbox', () => {
  const s = withOffer();
  when(s, accepted({ id: 'acc9', frameworkId: 'fw1', offerIds: ['nope'] }));
  const r = refusal(s);
  when(s, sent(r, 1));
  assert.is(s.outbox.size, 0);
});

// --- outbox ---------------------------------------------------------------------------------

test('folding the LaunchTasks event (draft id, current epoch) removes the outbox entry; a stale epoch does not', () => {
  const s = given(leaderElected(1), leaderElected(2), agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }), frameworkSubscribed({ frameworkId: 'fw1' }));
  when(
    s,
    offersCreated({ frameworkId: 'fw1', epoch: 2, offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1' }] }),
  );
  const draft = s.outbox.get('launch-acc1')!;
  assert.ok(draft);
  const launch = sent(draft, 2);
  assert.is(launch.type, 'LaunchTasks');
  when(s, sent(draft, 1));
  assert.ok(s.outbox.has('launch-acc1'), 'a stale leader sending it does not mark it sent');
  assert.is(s.counters.staleDecisionsIgnored, 1);
  when(s, launch);
  assert.is(s.outbox.has('launch-acc1'), false);
  assert.is(s.outbox.size, 0);
  assert.is(agent(s).commandSeq, 1);
  assert.is(s.tasks.get(key('fw1', 't1'))!.state, 'TASK_STAGING', 'sending the command changes no task');
});

test('every draft the fold owes is a valid event once stamped with the epoch', () => {
  const s = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(
    s,
    accepted({ id: 'bad', frameworkId: 'fw1', offerIds: ['zz'] }),
    killRequested({ frameworkId: 'fw1', taskId: 't1' }),
    killRequested({ frameworkId: 'fw1', taskId: 'ghost' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:1;mem:64' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a2', resources: 'cpus:1' }),
    agentRemoved({ agentId: 'a2' }),
  );
  const types = new Set<string>();
  for (const d of s.outbox.values()) {
    const e = sent(d, 1);
    assert.is(e.id, d.id);
    assert.equal(validate(e), e);
    types.add(d.type);
  }
  assert.equal([...types].sort(), ['AcceptRefused', 'KillTask', 'LaunchTasks', 'OffersRescinded', 'TaskStatusUpdated']);
});

test('a party\'s event that happens to carry a draft\'s id does not clear the draft', () => {
  // Framework calls carry ids the framework chooses; only the leader's stamped draft (same type,
  // current epoch) may mark an owed event as sent.
  const s = withTask();
  assert.ok(s.outbox.has('launch-acc1'));
  when(s, frameworkSubscribed({ frameworkId: 'fw2' }), declined({ id: 'launch-acc1', frameworkId: 'fw2', offerIds: ['zz'] }));
  assert.ok(s.outbox.has('launch-acc1'), 'the launch command for fw1 is still owed');
});

test('a stale LeaderElected has no effect at all (not folded, time unchanged)', () => {
  const s = given(leaderElected(2), agentRegistered({ agentId: 'a1' }));
  const folded = s.counters.eventsFolded;
  const time = s.time;
  when(s, leaderElected(1, { time: time + 1_000_000 }));
  assert.is(s.epoch, 2);
  assert.is(s.counters.staleDecisionsIgnored, 1);
  assert.is(s.counters.eventsFolded, folded, 'like every other fenced decision, it is not counted as folded');
  assert.is(s.time, time, 'a fenced decision does not move the state time');
});

// --- status updates -------------------------------------------------------------------------

test('status STARTING → RUNNING → FINISHED; resources released at FINISHED; completed when the terminal update is acknowledged', () => {
  const s = withTask();
  const base = { frameworkId: 'fw1', agentId: 'a1', taskId: 't1' };
  when(s, status({ ...base, state: 'STARTING', uuid: 'u1' }));
  assert.is(s.tasks.get(key('fw1', 't1'))!.state, 'TASK_STARTING');
  assert.equal(s.tasks.get(key('fw1', 't1'))!.unacknowledged, ['u1']);
  when(s, ack({ ...base, uuid: 'u1' }), status({ ...base, state: 'RUNNING', uuid: 'u2' }), ack({ ...base, uuid: 'u2' }));
  const t = s.tasks.get(key('fw1', 't1'))!;
  assert.is(t.state, 'TASK_RUNNING');
  assert.equal(t.unacknowledged, []);
  assert.equal(agent(s).used, res('cpus:1;mem:1024'));

  when(s, status({ ...base, state: 'FINISHED', uuid: 'u3' }));
  assert.is(t.state, 'TASK_FINISHED');
  assert.ok(s.tasks.has(key('fw1', 't1')), 'the task stays until its terminal update is acknowledged');
  assert.is(t.holdsResources, false);
  assert.equal(agent(s).used, [], 'agent resources released at FINISHED');
  assert.equal(fw(s).used, [], 'framework resources released at FINISHED');
  assert.equal(available(agent(s)), res('cpus:4;mem:4096'));
  assert.is(fw(s).completedTasks.length, 0);

  when(s, ack({ ...base, uuid: 'u3' }));
  assert.is(s.tasks.has(key('fw1', 't1')), false);
  assert.is(agent(s).taskKeys.size, 0);
  assert.is(fw(s).taskKeys.size, 0);
  assert.equal(
    fw(s).completedTasks.map((x) => [x.key, x.state]),
    [[key('fw1', 't1'), 'TASK_FINISHED']],
  );
  assert.equal(
    fw(s).completedTasks[0]!.statuses.map((r) => r.state),
    ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'],
  );
  assert.is(s.counters.validStatusUpdates, 3);
  assert.is(s.counters.validAcknowledgements, 3);
  assert.is(s.counters.invalidStatusUpdates, 0);
  assert.is(s.counters.tasksReached['TASK_FINISHED'], 1);
  assert.equal(agent(s).used, []);
});

test('every update is awaited: a terminal task completes only when all its updates are acknowledged, in any order; a bogus ack is counted invalid', () => {
  const s = withTask();
  const base = { frameworkId: 'fw1', agentId: 'a1', taskId: 't1' };
  when(s, status({ ...base, state: 'RUNNING', uuid: 'u1' }), status({ ...base, state: 'FAILED', uuid: 'u2' }));
  assert.equal(s.tasks.get(key('fw1', 't1'))!.unacknowledged, ['u1', 'u2'], 'both awaited, oldest first');
  when(s, ack({ ...base, uuid: 'u1' }));
  assert.ok(s.tasks.has(key('fw1', 't1')));
  assert.equal(s.tasks.get(key('fw1', 't1'))!.unacknowledged, ['u2']);
  when(s, ack({ ...base, uuid: 'nope' }));
  assert.is(s.counters.invalidAcknowledgements, 1);
  assert.ok(s.tasks.has(key('fw1', 't1')));
  when(s, ack({ ...base, uuid: 'u2' }));
  assert.is(s.tasks.has(key('fw1', 't1')), false);
  // The terminal update acknowledged first: the task waits for the earlier one.
  resetIds();
  const s2 = withTask();
  when(s2, status({ ...base, state: 'RUNNING', uuid: 'u1' }), status({ ...base, state: 'FINISHED', uuid: 'u2' }), ack({ ...base, uuid: 'u2' }));
  assert.ok(s2.tasks.has(key('fw1', 't1')), 'not completed while u1 is awaited');
  assert.equal(s2.tasks.get(key('fw1', 't1'))!.unacknowledged, ['u1']);
  when(s2, ack({ ...base, uuid: 'u1' }));
  assert.is(s2.tasks.has(key('fw1', 't1')), false);
});

test('a terminal update without uuid completes the task at once', () => {
  const s = withTask();
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'KILLED' }));
  assert.is(s.tasks.size, 0);
  assert.equal(fw(s).completedTasks.map((t) => t.state), ['TASK_KILLED']);
  assert.equal(agent(s).used, []);
});

test('an illegal transition (FINISHED → RUNNING) is ignored and counted', () => {
  const s = withTask();
  const base = { frameworkId: 'fw1', agentId: 'a1', taskId: 't1' };
  when(s, status({ ...base, state: 'RUNNING', uuid: 'u1' }), status({ ...base, state: 'FINISHED', uuid: 'u2' }));
  const before = s.counters.invalidStatusUpdates;
  when(s, status({ ...base, state: 'RUNNING', uuid: 'u3' }));
  const t = s.tasks.get(key('fw1', 't1'))!;
  assert.is(t.state, 'TASK_FINISHED');
  assert.equal(t.unacknowledged, ['u1', 'u2'], 'the illegal update is not awaited');
  assert.is(s.counters.invalidStatusUpdates, before + 1);
  assert.equal(agent(s).used, [], 'resources are not taken back');
  // RUNNING → STARTING and anything → STAGING are illegal too.
  resetIds();
  const s2 = withTask();
  when(s2, status({ ...base, state: 'RUNNING', uuid: 'u1' }), status({ ...base, state: 'STARTING', uuid: 'u2' }), status({ ...base, state: 'STAGING', uuid: 'u3' }));
  assert.is(s2.tasks.get(key('fw1', 't1'))!.state, 'TASK_RUNNING');
  assert.is(s2.counters.invalidStatusUpdates, 2);
});

test('a status for an unknown task or from the wrong agent is counted invalid', () => {
  const s = withTask();
  when(
    s,
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'ghost', state: 'RUNNING', uuid: 'u1' }),
    status({ frameworkId: 'fw1', agentId: 'a2', taskId: 't1', state: 'RUNNING', uuid: 'u2' }),
  );
  assert.is(s.counters.invalidStatusUpdates, 2);
  assert.is(s.tasks.get(key('fw1', 't1'))!.state, 'TASK_STAGING');
});

test('a duplicate uuid (a retry) is ignored', () => {
  const s = withTask();
  const base = { frameworkId: 'fw1', agentId: 'a1', taskId: 't1' };
  when(s, status({ ...base, state: 'RUNNING', uuid: 'u1' }), ack({ ...base, uuid: 'u1' }));
  const t = s.tasks.get(key('fw1', 't1'))!;
  const n = t.statuses.length;
  when(s, status({ ...base, state: 'RUNNING', uuid: 'u1' }));
  assert.is(t.statuses.length, n);
  assert.equal(t.unacknowledged, [], 'the retried update does not await a second acknowledgement');
  assert.is(s.counters.validStatusUpdates, 1);
  // Even a retried terminal update carrying an old uuid changes nothing.
  when(s, status({ ...base, state: 'FAILED', uuid: 'u1' }));
  assert.is(t.state, 'TASK_RUNNING');
});

test("the leader's own status notice (with epoch) changes nothing", () => {
  const s = withTask();
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'LOST', epoch: 1, source: 'SOURCE_MASTER' }));
  assert.is(s.tasks.get(key('fw1', 't1'))!.state, 'TASK_STAGING');
  assert.is(s.counters.invalidStatusUpdates, 0);
});

// --- decline, kill, suppress, revive --------------------------------------------------------

test('decline returns the resources and adds a filter for refuseSeconds', () => {
  const s = withOffer();
  const d = declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 60 });
  when(s, d);
  assert.is(s.offers.size, 0);
  assert.is(s.retiredOffers.get('o1' as OfferId), 'DECLINED');
  assert.equal(agent(s).offered, []);
  assert.equal(fw(s).offered, []);
  assert.is(s.counters.offersDeclined, 1);
  const flt = fw(s).filters.get(filterKey(A1, '*'))!;
  assert.ok(flt);
  assert.equal(flt.resources, res('cpus:4;mem:4096'));
  assert.is(flt.until, d.time + 60_000);
  // Default and zero.
  resetIds();
  const s2 = withOffer();
  const d2 = declined({ frameworkId: 'fw1', offerIds: ['o1'] });
  when(s2, d2);
  assert.is(fw(s2).filters.get(filterKey(A1, '*'))!.until, d2.time + 5_000);
  resetIds();
  const s3 = when(withOffer(), declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 0 }));
  assert.is(fw(s3).filters.size, 0, 'refuseSeconds 0: no filter');
});

test("decline of another framework's offer does nothing", () => {
  const s = withOffer();
  when(s, frameworkSubscribed({ frameworkId: 'fw2' }), declined({ frameworkId: 'fw2', offerIds: ['o1'] }));
  assert.ok(s.offers.has('o1' as OfferId));
  assert.is(fw(s, 'fw2').filters.size, 0);
});

test('revive clears filters and suppression; suppress sets it', () => {
  const s = when(withOffer(), declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 600 }), suppressed({ frameworkId: 'fw1' }));
  assert.is(fw(s).suppressed, true);
  assert.is(fw(s).filters.size, 1);
  when(s, revived({ frameworkId: 'fw1' }));
  assert.is(fw(s).suppressed, false);
  assert.is(fw(s).filters.size, 0);
});

test('kill request puts a KillTask draft in the outbox (next agentSeq, the grace period)', () => {
  const s = withTask();
  when(s, killRequested({ id: 'k1', frameworkId: 'fw1', taskId: 't1', gracePeriodMs: 3000 }));
  const k = s.outbox.get('kill-k1');
  assert.ok(k, 'KillTask draft kill-k1');
  assert.equal(k, {
    type: 'KillTask',
    id: 'kill-k1',
    agentId: A1,
    agentSeq: 2,
    frameworkId: FW1,
    taskId: 't1',
    gracePeriodMs: 3000,
  });
  assert.is(agent(s).commandSeq, 2);
  assert.is(s.tasks.get(key('fw1', 't1'))!.state, 'TASK_STAGING', 'the task changes state when the agent reports');
});

test('kill of an unknown task owes a TaskStatusUpdated notice (TASK_LOST; TASK_UNKNOWN if partition-aware)', () => {
  const s = withTask();
  when(s, killRequested({ id: 'k1', frameworkId: 'fw1', taskId: 'ghost', agentId: 'a1' }));
  const n = s.outbox.get('killed-unknown-k1');
  assert.ok(n, 'a notice is owed');
  assert.is(n!.type, 'TaskStatusUpdated');
  if (n!.type !== 'TaskStatusUpdated') return;
  assert.is(n.status.taskId, 'ghost');
  assert.is(n.status.frameworkId, FW1);
  assert.is(n.status.agentId, A1);
  assert.is(n.status.state, 'TASK_LOST');
  assert.is(n.status.source, 'SOURCE_MASTER');
  assert.is(n.status.reason, 'REASON_RECONCILIATION');
  assert.is(n.status.uuid, undefined, 'it needs no acknowledgement');
  assert.is(owed(s, 'KillTask').length, 0);

  resetIds();
  const s2 = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(s2, killRequested({ id: 'k2', frameworkId: 'fw1', taskId: 'ghost' }));
  const n2 = s2.outbox.get('killed-unknown-k2');
  assert.ok(n2 && n2.type === 'TaskStatusUpdated' && n2.status.state === 'TASK_UNKNOWN');
});

// --- agents going away and coming back ------------------------------------------------------

test('AgentRemoved(UNREACHABLE): tasks kept as TASK_UNREACHABLE, told TASK_LOST (not partition-aware), resources released, offers rescinded', () => {
  const s = withTask();
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }));
  assert.equal(agent(s).offered, res('cpus:1'));
  when(s, agentRemoved({ id: 'rm1', agentId: 'a1', reason: 'UNREACHABLE' }));
  assert.is(agent(s).status, 'REMOVED');
  assert.is(s.counters.slaveRemovals, 1);
  // The task.
  const lost = [...s.tasks.values(), ...fw(s).completedTasks].find((t) => t.key === key('fw1', 't1'))!;
  assert.ok(lost);
  assert.is(lost.state, 'TASK_UNREACHABLE', 'the master keeps it, in case the agent comes back');
  assert.is(lost.statuses.at(-1)!.reason, 'REASON_AGENT_REMOVED');
  assert.is(lost.statuses.at(-1)!.source, 'SOURCE_MASTER');
  // Resources.
  assert.equal(agent(s).used, []);
  assert.equal(fw(s).used, []);
  assert.equal(agent(s).offered, []);
  assert.equal(fw(s).offered, []);
  // Offers rescinded, and the framework told.
  assert.is(s.offers.size, 0);
  assert.is(s.retiredOffers.get('o2' as OfferId), 'RESCINDED');
  const rescinds = owed(s, 'OffersRescinded');
  assert.is(rescinds.length, 1);
  assert.equal(rescinds[0]!.offerIds, ['o2']);
  assert.is(rescinds[0]!.reason, 'AGENT_GONE');
  assert.is(rescinds[0]!.frameworkId, FW1);
  // The framework is told of the lost task.
  const notices = owed(s, 'TaskStatusUpdated');
  assert.is(notices.length, 1);
  assert.is(notices[0]!.status.state, 'TASK_LOST');
  assert.is(notices[0]!.status.reason, 'REASON_AGENT_REMOVED');
  // The launch command not yet sent is void.
  assert.is(owed(s, 'LaunchTasks').length, 0);
});

test('AgentRemoved(UNREACHABLE) for a PARTITION_AWARE framework: TASK_UNREACHABLE, REASON_AGENT_REMOVED', () => {
  const s = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(s, agentRemoved({ agentId: 'a1', reason: 'UNREACHABLE' }));
  const t = s.tasks.get(key('fw1', 't1'))!;
  assert.ok(t, 'an unreachable task stays known (it may come back)');
  assert.is(t.state, 'TASK_UNREACHABLE');
  assert.is(t.statuses.at(-1)!.reason, 'REASON_AGENT_REMOVED');
  const notices = owed(s, 'TaskStatusUpdated');
  assert.is(notices.length, 1);
  assert.is(notices[0]!.status.state, 'TASK_UNREACHABLE');
});

test('AgentRemoved(UNREACHABLE) for a PARTITION_AWARE framework releases the resources too', () => {
  // Mesos removes unreachable tasks' resources from the framework (and the agent is gone); the
  // framework's `used` must not keep counting them, or its DRF share stays inflated for as long
  // as the agent stays away.
  const s = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(s, agentRemoved({ agentId: 'a1', reason: 'UNREACHABLE' }));
  assert.equal(fw(s).used, [], 'framework used');
  assert.equal(agent(s).used, [], 'agent used');
});

test('AgentRemoved(OPERATOR) of an unreachable agent (MARK_AGENT_GONE): gone for good, its TASK_UNREACHABLE tasks TASK_GONE_BY_OPERATOR, told', () => {
  const s = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(s, agentRemoved({ id: 'rm1', agentId: 'a1', reason: 'UNREACHABLE' }));
  s.outbox.clear();
  when(s, agentRemoved({ id: 'gone1', agentId: 'a1', reason: 'OPERATOR' }));
  assert.is(agent(s).gone, true, 'marked gone');
  assert.is(s.counters.slaveRemovals, 1, 'removed once');
  assert.not.ok(s.tasks.has(key('fw1', 't1')), 'the task is no longer live');
  const t = fw(s).completedTasks.find((x) => x.key === key('fw1', 't1'));
  assert.is(t?.state, 'TASK_GONE_BY_OPERATOR');
  assert.is(t?.statuses.at(-1)!.reason, 'REASON_AGENT_REMOVED_BY_OPERATOR');
  const notices = owed(s, 'TaskStatusUpdated');
  assert.equal(notices.map((n) => n.status.state), ['TASK_GONE_BY_OPERATOR']);
  // It may not come back.
  when(s, agentReregistered({ agentId: 'a1', resources: 'cpus:4;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }));
  assert.is(agent(s).status, 'REMOVED');
  // Marking it gone again changes nothing.
  s.outbox.clear();
  when(s, agentRemoved({ id: 'gone2', agentId: 'a1', reason: 'OPERATOR' }));
  assert.is(owed(s, 'TaskStatusUpdated').length, 0);
});

test('AgentReregistered brings a TASK_UNREACHABLE task back as reported, with REASON_AGENT_REREGISTERED', () => {
  const s = withTask({ capabilities: ['PARTITION_AWARE'] });
  when(
    s,
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }),
    agentRemoved({ agentId: 'a1' }),
  );
  s.outbox.clear();
  when(
    s,
    agentReregistered({ id: 'rr1', agentId: 'a1', resources: 'cpus:4;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }),
  );
  assert.is(agent(s).status, 'ACTIVE');
  const t = s.tasks.get(key('fw1', 't1'))!;
  assert.is(t.state, 'TASK_RUNNING');
  assert.is(t.statuses.at(-1)!.reason, 'REASON_AGENT_REREGISTERED');
  assert.equal(agent(s).used, res('cpus:1;mem:1024'));
  assert.equal(fw(s).used, res('cpus:1;mem:1024'));
  const notices = owed(s, 'TaskStatusUpdated');
  assert.is(notices.length, 1);
  assert.is(notices[0]!.status.state, 'TASK_RUNNING');
  assert.is(notices[0]!.status.reason, 'REASON_AGENT_REREGISTERED');
  assert.is(s.counters.slaveReregistrations, 1);
});

test('AgentReregistered brings a TASK_LOST task back as reported, with REASON_AGENT_REREGISTERED', () => {
  const s = withTask();
  when(
    s,
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }),
    agentRemoved({ agentId: 'a1' }),
  );
  s.outbox.clear();
  when(
    s,
    agentReregistered({ agentId: 'a1', resources: 'cpus:4;mem:4096', tasks: [{ frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' }], lastCommandSeq: 1 }),
  );
  const t = s.tasks.get(key('fw1', 't1'));
  assert.ok(t, 'the lost task is live again');
  assert.is(t!.state, 'TASK_RUNNING');
  assert.is(t!.statuses.at(-1)!.reason, 'REASON_AGENT_REREGISTERED');
  assert.equal(agent(s).used, res('cpus:1;mem:1024'));
  assert.equal(fw(s).used, res('cpus:1;mem:1024'));
  assert.is(owed(s, 'TaskStatusUpdated').length, 1);
});

test('AgentReregistered: a task the agent does not report, launched before its last command, is lost', () => {
  const s = withTask();
  when(s, sent(s.outbox.get('launch-acc1')!, 1), agentReregistered({ id: 'rr', agentId: 'a1', tasks: [], lastCommandSeq: 1 }));
  const t = fw(s).completedTasks.find((x) => x.taskId === 't1');
  assert.ok(t, 'the task is written off');
  assert.is(t!.state, 'TASK_LOST');
  assert.is(t!.statuses.at(-1)!.reason, 'REASON_AGENT_RESTARTED');
  assert.equal(agent(s).used, []);
  // A task whose launch the agent has not seen yet is left alone.
  resetIds();
  const s2 = withTask();
  when(s2, agentReregistered({ agentId: 'a1', tasks: [], lastCommandSeq: 0 }));
  assert.is(s2.tasks.get(key('fw1', 't1'))!.state, 'TASK_STAGING');
});

test('AgentReregistered: a task the agent runs but the master does not know (its framework was removed meanwhile) is owed a kill', () => {
  const s = withTask();
  when(s, sent(s.outbox.get('launch-acc1')!, 1), frameworkRemoved({ frameworkId: 'fw1' }));
  s.outbox.clear(); // the kill command of the removal went to an agent that was away
  const seqBefore = agent(s).commandSeq;
  when(
    s,
    agentReregistered({
      id: 'rr',
      agentId: 'a1',
      tasks: [
        { frameworkId: 'fw1', taskId: 't1', state: 'RUNNING' },
        { frameworkId: 'fw1', taskId: 'gone', state: 'FINISHED' },
      ],
      lastCommandSeq: seqBefore,
    }),
  );
  const kills = owed(s, 'KillTask');
  assert.equal(
    kills.map((k) => [k.id, k.taskId, k.agentSeq, k.reason]),
    [[`kill-unknown-rr-fw1/t1`, 't1', seqBefore + 1, 'REASON_TASK_UNKNOWN']],
    'only the live one; a terminal one needs nothing',
  );
  assert.is(agent(s).commandSeq, seqBefore + 1);
});

test('AgentDisconnected rescinds its offers but keeps its tasks', () => {
  const s = withOffer();
  when(s, agentDisconnected({ id: 'd1', agentId: 'a1' }));
  assert.is(agent(s).status, 'DISCONNECTED');
  assert.is(s.offers.size, 0);
  assert.equal(owed(s, 'OffersRescinded').map((d) => [d.id, d.offerIds]), [['rescind-d1-fw1', ['o1']]]);
});

// --- leadership -----------------------------------------------------------------------------

test('LeaderElected with a higher epoch keeps the offers and filters (nothing is re-offered); a lower epoch is ignored', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:4096' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a2', resources: 'cpus:2' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o0', agentId: 'a1', resources: 'cpus:2' }),
    declined({ frameworkId: 'fw1', offerIds: ['o0'], refuseSeconds: 3600 }),
  );
  const le = leaderElected(3, { id: 'le3', masterId: 'm3' });
  when(s, le);
  assert.is(s.epoch, 3);
  assert.equal(s.leader, { masterId: 'm3', epoch: 3, hostname: 'master.local', ip: '127.0.0.1', port: 5050, electedAt: le.time });
  assert.equal([...s.offers.keys()].sort(), ['o1', 'o2'], 'the offers are still outstanding');
  assert.equal(agent(s).offered, res('cpus:2;mem:4096'));
  assert.equal(owed(s, 'OffersRescinded'), [], 'nobody is told of a rescind');
  assert.is(fw(s).filters.size, 1, 'refuse filters hold across the election');
  // An accept of an offer of the old epoch is judged like any other.
  when(s, accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128' }] }));
  assert.ok(s.tasks.has('fw1/t1' as TaskKey));
  // The new leader's offers hold; the old leader's do not.
  when(
    s,
    offersCreated({ frameworkId: 'fw1', epoch: 1, offerId: 'o3', agentId: 'a1', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw1', epoch: 3, offerId: 'o4', agentId: 'a1', resources: 'cpus:1' }),
  );
  assert.equal([...s.offers.keys()].sort(), ['o2', 'o4']);
  // A lower (or equal) epoch changes nothing.
  const stale = s.counters.staleDecisionsIgnored;
  when(s, leaderElected(2), leaderElected(3, { masterId: 'other' }));
  assert.is(s.epoch, 3);
  assert.is(s.leader!.masterId, 'm3');
  assert.ok(s.offers.has('o4' as OfferId), 'offers survive a stale election');
  assert.is(s.counters.staleDecisionsIgnored, stale + 2);
});

test('LeaderElected as older builds wrote it (no `offers`) rescinds every outstanding offer, as it meant then; filters hold', () => {
  const s = given(
    leaderElected(1, { offers: null }),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:4096' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o0', agentId: 'a1', resources: 'cpus:1' }),
    declined({ frameworkId: 'fw1', offerIds: ['o0'], refuseSeconds: 3600 }),
  );
  when(s, leaderElected(2, { id: 'le2', offers: null }));
  assert.is(s.offers.size, 0, 'every offer rescinded');
  assert.equal(agent(s).offered, res(''));
  assert.is(s.retiredOffers.get('o1' as OfferId), 'RESCINDED');
  const told = owed(s, 'OffersRescinded') as { id: string; frameworkId: string; offerIds: string[]; reason: string }[];
  assert.equal(
    told.map((d) => [d.id, d.frameworkId, d.offerIds, d.reason]).sort(),
    [
      ['rescind-le2-fw1', 'fw1', ['o1'], 'LEADER_CHANGED'],
      ['rescind-le2-fw2', 'fw2', ['o2'], 'LEADER_CHANGED'],
    ],
    'one rescind per framework, with the ids older builds gave them',
  );
  assert.is(fw(s).filters.size, 1, 'refuse filters hold');
});

// --- framework removal ----------------------------------------------------------------------

test('FrameworkRemoved kills live tasks (KillTask drafts) and moves the framework to completedFrameworks', () => {
  const s = withTask();
  when(
    s,
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:3;mem:3072' }),
    accepted({ id: 'acc2', frameworkId: 'fw1', offerIds: ['o2'], tasks: [{ taskId: 't2', agentId: 'a1', resources: 'cpus:1', killGracePeriodMs: 7000 }] }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o3', agentId: 'a1', resources: 'cpus:1' }),
    frameworkRemoved({ id: 'rm', frameworkId: 'fw1', reason: 'TEARDOWN' }),
  );
  assert.is(s.frameworks.has(FW1), false);
  const f = s.completedFrameworks.find((x) => x.id === FW1)!;
  assert.ok(f, 'in completedFrameworks');
  assert.is(f.status, 'REMOVED');
  assert.is(s.counters.frameworksRemoved, 1);
  assert.is(s.tasks.size, 0);
  assert.equal(f.completedTasks.map((t) => [t.taskId, t.state]).sort(), [
    ['t1', 'TASK_KILLED'],
    ['t2', 'TASK_KILLED'],
  ]);
  const kills = owed(s, 'KillTask');
  assert.equal(kills.map((k) => [k.id, k.taskId, k.agentSeq, k.reason, k.gracePeriodMs]).sort(), [
    ['kill-rm-t1', 't1', 3, 'REASON_FRAMEWORK_REMOVED', undefined],
    ['kill-rm-t2', 't2', 4, 'REASON_FRAMEWORK_REMOVED', 7000],
  ]);
  assert.equal(agent(s).used, []);
  assert.equal(agent(s).offered, []);
  assert.is(s.offers.size, 0);
  assert.is(agent(s).taskKeys.size, 0);
  // A removed framework id stays removed.
  when(s, frameworkSubscribed({ frameworkId: 'fw1' }));
  assert.is(s.frameworks.has(FW1), false);
});

// --- determinism ----------------------------------------------------------------------------

function history(): ClusterEvent[] {
  resetIds();
  const evs: ClusterEvent[] = [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000]' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:8;mem:8192;disk(ads):100' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2', capabilities: ['PARTITION_AWARE'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000]' }),
    offersCreated({ frameworkId: 'fw2', offerId: 'o2', agentId: 'a2', resources: 'cpus:8;mem:8192' }),
    accepted({ id: 'acc1', frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128;ports:[31000-31000]' }] }),
    accepted({ id: 'acc2', frameworkId: 'fw2', offerIds: ['o2'], tasks: [{ taskId: 't2', agentId: 'a2', resources: 'cpus:2;mem:256' }], refuseSeconds: 1 }),
    accepted({ id: 'acc3', frameworkId: 'fw2', offerIds: ['o2'] }),
  ];
  const s = foldAll(evs);
  const more: ClusterEvent[] = [
    ...[...s.outbox.values()].map((d) => sent(d, 1)),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
    status({ frameworkId: 'fw2', agentId: 'a2', taskId: 't2', state: 'RUNNING', uuid: 'u2' }),
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u1' }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'FINISHED', uuid: 'u3' }),
    ack({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', uuid: 'u3' }),
    killRequested({ frameworkId: 'fw2', taskId: 't2' }),
    agentRemoved({ agentId: 'a2' }),
    leaderElected(2),
    offersCreated({ frameworkId: 'fw1', epoch: 2, offerId: 'o3', agentId: 'a1', resources: 'cpus:2' }),
    declined({ frameworkId: 'fw1', offerIds: ['o3'], refuseSeconds: 10 }),
    agentReregistered({ agentId: 'a2', resources: 'cpus:8;mem:8192;disk(ads):100', tasks: [{ frameworkId: 'fw2', taskId: 't2', state: 'RUNNING' }], lastCommandSeq: 1 }),
    frameworkRemoved({ frameworkId: 'fw2', reason: 'OPERATOR', epoch: 2 }),
  ];
  return [...evs, ...more];
}

test('determinism: folding the same events twice from initialState gives deep-equal states', () => {
  const evs = history();
  const frozen = JSON.stringify(evs);
  const a = foldAll(evs);
  const b = foldAll(evs, initialState());
  assert.is(JSON.stringify(evs), frozen, 'the fold does not mutate the events');
  assert.is(canonicalJson(a), canonicalJson(b));
  // Sanity: the history really did something.
  assert.is(a.epoch, 2);
  assert.ok(a.counters.eventsFolded > 20);
  assert.is(a.completedFrameworks.length, 1);
  assert.equal(fw(a).filters.get(filterKey(A1, '*'))!.resources, res('cpus:2'));
  // And one changed event changes the state.
  const c = foldAll(evs.slice(0, -1));
  assert.is.not(canonicalJson(a), canonicalJson(c));
});

test('determinism: a cloned state folds on exactly like the original', () => {
  const evs = history();
  const half = Math.floor(evs.length / 2);
  const s = foldAll(evs.slice(0, half));
  const copy = cloneState(s);
  assert.is(canonicalJson(copy), canonicalJson(s));
  foldAll(evs.slice(half), s);
  foldAll(evs.slice(half), copy);
  assert.is(canonicalJson(copy), canonicalJson(s));
  assert.is(canonicalJson(s), canonicalJson(foldAll(evs)));
});

test('canonicalJson sees differences inside Maps and Sets', () => {
  const s = withTask();
  const c = cloneState(s);
  assert.is(canonicalJson(c), canonicalJson(s));
  agent(c).taskKeys.add(key('fw1', 'zzz'));
  assert.is.not(canonicalJson(c), canonicalJson(s));
});

// --- framework disconnection and task groups ------------------------------------------------

test('FrameworkDisconnected: inactive, offers back to the pool, tasks kept; resubscription makes it active', () => {
  const s = withTask();
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }));
  when(s, frameworkDisconnected({ frameworkId: 'fw1', epoch: 1, time: T0 + 100_000 }));
  const f = fw(s);
  assert.is(f.status, 'INACTIVE');
  assert.is(f.disconnectedAt, T0 + 100_000);
  assert.is(s.offers.size, 0);
  assert.equal(agent(s).offered, []);
  assert.is(s.tasks.get(key('fw1', 't1'))?.state, 'TASK_STAGING', 'its tasks are kept');
  when(s, frameworkSubscribed({ frameworkId: 'fw1' }));
  assert.is(fw(s).status, 'ACTIVE');
  assert.is(fw(s).disconnectedAt, null);
});

test('expiredFrameworkEvents: a disconnected framework is removed once its failover timeout runs out', () => {
  const s = withTask({ failoverTimeoutMs: 60_000 });
  when(s, frameworkDisconnected({ frameworkId: 'fw1', epoch: 1, time: T0 + 100_000 }));
  let n = 0;
  const ctx = (now: number) => ({ epoch: 1, now, newId: () => `x${++n}` });
  assert.equal(expiredFrameworkEvents(s, ctx(T0 + 159_999)), []);
  const [removal] = expiredFrameworkEvents(s, ctx(T0 + 160_000));
  assert.is(removal?.frameworkId, FW1);
  assert.is(removal?.reason, 'FAILOVER_TIMEOUT');
  when(s, removal!);
  assert.not.ok(s.frameworks.has(FW1));
  assert.is(owed(s, 'KillTask').length, 1, 'its agent is told to kill the task');
  assert.is(s.completedFrameworks[0]?.completedTasks[0]?.state, 'TASK_KILLED');
});

const launchGroup = (o: { id: string; offerId: string; executorId: string; executorResources: string; tasks: Array<{ taskId: string; resources: string }> }): ClusterEvent =>
  validate({
    type: 'OffersAccepted',
    schemaVersion: 2,
    id: o.id,
    time: T0 + 50_000,
    frameworkId: 'fw1',
    offerIds: [o.offerId],
    operations: [
      {
        type: 'LAUNCH_GROUP',
        executor: { executorId: o.executorId, resources: res(o.executorResources) },
        tasks: o.tasks.map((t) => ({ taskId: t.taskId, name: t.taskId, agentId: 'a1', resources: res(t.resources), command: { value: 'true' } })),
      },
    ],
    filters: { refuseSeconds: 5 },
  });

test('LAUNCH_GROUP: tasks and their executor\'s resources are held; one command with the executor; released after the last task', () => {
  const s = withOffer();
  when(
    s,
    launchGroup({ id: 'g1', offerId: 'o1', executorId: 'pod-1', executorResources: 'cpus:0.1;mem:32', tasks: [{ taskId: 'a', resources: 'cpus:1;mem:256' }, { taskId: 'b', resources: 'cpus:1;mem:256' }] }),
  );
  assert.equal(agent(s).used, res('cpus:2.1;mem:544'));
  assert.equal(fw(s).used, res('cpus:2.1;mem:544'));
  const [cmd] = owed(s, 'LaunchTasks');
  assert.is(cmd?.executor?.executorId, 'pod-1');
  assert.equal(cmd?.tasks.map((t) => t.taskId), ['a', 'b']);
  assert.is(s.tasks.get(key('fw1', 'a'))?.executorId, 'pod-1');
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'a', state: 'TASK_FINISHED' }));
  assert.equal(agent(s).used, res('cpus:1.1;mem:288'), 'the executor holds its resources while b runs');
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'b', state: 'TASK_FAILED' }));
  assert.equal(agent(s).used, [], 'the last task ended: the executor lets go too');
});

const customTask = (id: string, taskId: string, offerId: string): EventOf<'OffersAccepted'> =>
  ({
    type: 'OffersAccepted',
    schemaVersion: 2,
    id,
    time: 1_700_000_900_000,
    frameworkId: 'fw1',
    offerIds: [offerId],
    operations: [{ type: 'LAUNCH', tasks: [{ taskId, name: taskId, agentId: 'a1', resources: res('cpus:0.5;mem:64'), executor: { executorId: 'ex1', command: { value: 'my-executor', shell: true }, resources: res('cpus:0.1;mem:32') } }] }],
    filters: { refuseSeconds: 5 },
  }) as unknown as EventOf<'OffersAccepted'>;

test('custom executor: its resources are held once per agent while it runs; a second task joins it; ExecutorExited releases them', () => {
  const s = withOffer();
  when(s, customTask('c1', 'a', 'o1'));
  assert.equal(agent(s).used, res('cpus:0.6;mem:96'));
  const [cmd] = owed(s, 'LaunchTasks');
  assert.is(cmd?.customExecutor?.executorId, 'ex1');
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1;mem:512' }));
  when(s, customTask('c2', 'b', 'o2'));
  assert.equal(agent(s).used, res('cpus:1.1;mem:160'), 'the executor is counted once');
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'a', state: 'TASK_FINISHED' }));
  when(s, status({ frameworkId: 'fw1', agentId: 'a1', taskId: 'b', state: 'TASK_FINISHED' }));
  assert.equal(agent(s).used, res('cpus:0.1;mem:32'), 'the executor holds its own until it exits');
  when(s, { type: 'ExecutorExited', schemaVersion: 1, id: 'x1', time: 1_700_000_990_000, agentId: 'a1', frameworkId: 'fw1', executorId: 'ex1', message: 'exited' } as unknown as EventOf<'ExecutorExited'>);
  assert.equal(agent(s).used, []);
  assert.is(s.executors.size, 0);
});

const customGroup = (id: string, offerId: string, taskIds: string[], info: Record<string, unknown> = {}): EventOf<'OffersAccepted'> =>
  ({
    type: 'OffersAccepted',
    schemaVersion: 2,
    id,
    time: 1_700_000_900_000,
    frameworkId: 'fw1',
    offerIds: [offerId],
    operations: [
      {
        type: 'LAUNCH_GROUP',
        executor: { executorId: 'cx', resources: res('cpus:0.1;mem:32') },
        customExecutor: { executorId: 'cx', command: { value: 'my-executor', shell: true }, resources: res('cpus:0.1;mem:32'), ...info },
        tasks: taskIds.map((taskId) => ({ taskId, name: taskId, agentId: 'a1', resources: res('cpus:0.5;mem:64'), data: 'cnVu' })),
      },
    ],
    filters: { refuseSeconds: 5 },
  }) as unknown as EventOf<'OffersAccepted'>;

test('LAUNCH_GROUP to a custom executor: one LaunchTasks (a group, its ExecutorInfo), the executor held once; a later group joins the running executor', () => {
  const s = withOffer();
  when(s, customGroup('g1', 'o1', ['a', 'b']));
  const [cmd] = owed(s, 'LaunchTasks');
  assert.is(cmd?.customExecutor?.executorId, 'cx');
  assert.is(cmd?.group, true);
  assert.is(cmd?.executor, undefined, 'not the DEFAULT executor');
  assert.equal(cmd?.tasks.map((t) => t.taskId), ['a', 'b']);
  assert.equal(agent(s).used, res('cpus:1.1;mem:160'));
  assert.is(s.executors.get('fw1/cx' as never)?.kind, 'CUSTOM');
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:0.8;mem:400' }));
  when(s, customGroup('g2', 'o2', ['c']));
  assert.equal(agent(s).used, res('cpus:1.6;mem:224'), 'the running executor takes the group: its resources are not asked again');
  assert.is(s.tasks.get('fw1/c' as never)?.executorId, 'cx');
});

test('LAUNCH_GROUP to a custom executor: a different ExecutorInfo than the running one, or a group id that is not its ExecutorInfo\'s, is TASK_GROUP_INVALID', () => {
  const s = withOffer();
  when(s, customGroup('g1', 'o1', ['a']));
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1;mem:512' }));
  when(s, customGroup('g2', 'o2', ['b'], { command: { value: 'other-executor', shell: true } }));
  assert.is(refusal(s).code, 'TASK_GROUP_INVALID');
  assert.match(refusal(s).message, /not compatible with the running executor/);
  const mismatch = when(withOffer(), customGroup('g3', 'o1', ['a'], { executorId: 'other' }));
  assert.is(refusal(mismatch).code, 'TASK_GROUP_INVALID');
});

test('LAUNCH_GROUP refusals: executor too small, executor id in use, executor resources beyond the offer', () => {
  const tooSmall = when(withOffer(), launchGroup({ id: 'g1', offerId: 'o1', executorId: 'e', executorResources: 'cpus:0.1', tasks: [{ taskId: 'a', resources: 'cpus:1' }] }));
  assert.is(refusal(tooSmall).code, 'TASK_GROUP_INVALID');
  const s = withOffer();
  when(s, launchGroup({ id: 'g1', offerId: 'o1', executorId: 'e', executorResources: 'cpus:0.1;mem:32', tasks: [{ taskId: 'a', resources: 'cpus:1' }] }));
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:2;mem:1024' }));
  when(s, launchGroup({ id: 'g2', offerId: 'o2', executorId: 'e', executorResources: 'cpus:0.1;mem:32', tasks: [{ taskId: 'b', resources: 'cpus:1' }] }));
  assert.is(refusal(s).code, 'TASK_GROUP_INVALID');
  const big = when(withOffer(), launchGroup({ id: 'g3', offerId: 'o1', executorId: 'e', executorResources: 'cpus:0.5;mem:32', tasks: [{ taskId: 'a', resources: 'cpus:4' }] }));
  assert.is(refusal(big).code, 'RESOURCES_EXCEEDED');
});

test.run();
