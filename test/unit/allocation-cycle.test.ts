/**
 * The leader's cycle without I/O: OffersCreated events stay well under nats-server's 1 MiB
 * max_payload however many offers a framework gets (a defect found at 10,000 agents: 3.26 MiB in
 * one event); expired offers are grouped by framework in one pass; the allocator settings and
 * --weights become events when (and only when) they should; inverse offers for maintenance.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, type OfferId } from '../../events/index.js';
import { AllocatorCache } from '../../kernel/core/allocator/index.js';
import { allocationCycleEvents, PendingExplainer } from '../../kernel/shell/master/allocation-cycle.js';
import { configurationEvents } from '../../kernel/shell/master/allocator-config.js';
import { EVENT_MAX_BYTES, chunk, expiredOfferEvents, groupBy } from '../../kernel/shell/master/decisions.js';
import { MasterOptions } from '../../kernel/shell/master/options.js';
import { agentRegistered, frameworkSubscribed, given, leaderElected, maintenanceSchedule, offersCreated, accepted, requested, resetIds, weightsUpdated, when } from '../helpers/events.js';

test.before.each(() => resetIds());

let n = 0;
const ctx = (now = 1_800_000_000_000) => ({
  epoch: 1,
  now,
  newId: () => `id-${++n}`,
  offerTimeoutMs: 30_000,
  newOfferId: () => `m-O${++n}` as OfferId,
  newInverseOfferId: () => `m-IO${++n}`,
});

test('6,000 offers to one framework: many OffersCreated events, each well under 1 MiB, all offers in them', () => {
  const s = given(leaderElected(1), frameworkSubscribed({ frameworkId: 'fw1' }));
  for (let i = 0; i < 6000; i++) when(s, agentRegistered({ agentId: `agent-${i}`, hostname: `a-rather-long-host-name-${i}.example.internal`, resources: 'cpus:24;mem:4096;disk:4096;ports:[31000-31010,31020-32000];zones:{a,b,c}' }));
  const r = allocationCycleEvents(s, ctx(), new AllocatorCache());
  const offers = r.events.filter((e) => e.type === 'OffersCreated');
  assert.ok(offers.length > 5, `${offers.length} events`);
  let total = 0;
  for (const e of offers) {
    const bytes = encode(e).byteLength;
    assert.ok(bytes < EVENT_MAX_BYTES * 1.5 && bytes < 1024 * 1024 / 2, `an event of ${bytes} bytes`);
    total += e.type === 'OffersCreated' ? e.offers.length : 0;
  }
  assert.is(total, 6000);
  assert.is(r.stats.offers, 6000);
});

test('chunk and groupBy', () => {
  assert.equal(chunk([1, 2, 3, 4, 5], () => 10, 25, 100), [[1, 2], [3, 4], [5]]);
  assert.equal(chunk([1, 2, 3], () => 1, 100, 2), [[1, 2], [3]]);
  assert.equal(chunk([50], () => 50, 10), [[50]], 'one item larger than the bound is its own chunk');
  assert.equal([...groupBy(['a1', 'b1', 'a2'], (x) => x[0])], [['a', ['a1', 'a2']], ['b', ['b1']]]);
});

test('expired offers: one OffersRescinded per framework (split when huge), only those past expiry', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:100' }), frameworkSubscribed({ frameworkId: 'fw1' }), frameworkSubscribed({ frameworkId: 'fw2' }));
  for (let i = 0; i < 50; i++) when(s, offersCreated({ frameworkId: i % 2 === 0 ? 'fw1' : 'fw2', offerId: `o${i}`, agentId: 'a1', resources: 'cpus:1', expiresAt: i < 40 ? 1000 : 10 ** 13 }));
  const ev = expiredOfferEvents(s, ctx(5000));
  assert.equal(ev.map((e) => [e.frameworkId, e.offerIds.length, e.reason]), [['fw1', 20, 'EXPIRED'], ['fw2', 20, 'EXPIRED']]);
});

test('configurationEvents: settings recorded when they differ; --weights applied once, ignored (with a warning) when the log holds others', () => {
  const o = MasterOptions.parse({ nats: 'x', weights: { eng: 2 }, roles: ['eng', 'ops'] });
  const s = given(leaderElected(1));
  const first = configurationEvents(s, o, ctx());
  assert.equal(first.list.map((e) => e.type), ['AllocatorConfigured', 'WeightsUpdated']);
  when(s, ...first.list);
  assert.equal(s.allocator.roleWhitelist, ['eng', 'ops']);
  assert.equal([...s.weights], [['eng', 2]]);
  const again = configurationEvents(s, o, ctx());
  assert.equal(again, { list: [], ignoredWeights: false }, 'nothing new, and the flag agrees with the log');
  when(s, weightsUpdated({ weights: { eng: 5 } }));
  assert.equal(configurationEvents(s, o, ctx()), { list: [], ignoredWeights: true });
});

test('inverse offers go once to each framework with tasks or offers on a machine scheduled for maintenance', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', hostname: 'h1', resources: 'cpus:4;mem:1024' }),
    agentRegistered({ agentId: 'a2', hostname: 'h2', resources: 'cpus:4;mem:1024' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:1024', hostname: 'h1' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:64' }], refuseSeconds: 0 }),
    maintenanceSchedule({ windows: [{ machines: [{ hostname: 'h1' }], start: 2_000_000_000_000 }] }),
  );
  const r = allocationCycleEvents(s, ctx(), undefined);
  const inv = r.events.filter((e) => e.type === 'InverseOffersCreated');
  assert.is(inv.length, 1);
  if (inv[0]?.type === 'InverseOffersCreated') assert.equal(inv[0].inverseOffers.map((x) => [x.agentId, x.unavailability.start]), [['a1', 2_000_000_000_000]]);
  const offers = r.events.flatMap((e) => (e.type === 'OffersCreated' ? e.offers : []));
  assert.equal(offers.find((x) => x.agentId === 'a1')?.unavailability, { start: 2_000_000_000_000 }, 'offers of the machine carry its unavailability');
  assert.equal(offers.find((x) => x.agentId === 'a2')?.unavailability, undefined);
  when(s, ...r.events);
  assert.equal(allocationCycleEvents(s, ctx(), undefined).events.filter((e) => e.type === 'InverseOffersCreated'), [], 'not twice');
});

test('PendingExplainer: records reasons once, again only when they change, and clears them when the demand goes', () => {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:1024' }), frameworkSubscribed({ frameworkId: 'fw1' }));
  // The framework holds an offer: no implicit demand; then it asks for too much memory.
  when(s, offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:1024' }), requested({ frameworkId: 'fw1', requests: [{ name: 'big', resources: 'mem:5000' }] }));
  const p = new PendingExplainer(1000, 10);
  const first = p.events(s, ctx(1_800_000_000_000));
  assert.equal(first.map((e) => e.reasons.map((r) => r.code)), [['NO_AGENT_LARGE_ENOUGH']]);
  when(s, ...first);
  assert.equal(p.events(s, ctx(1_800_000_000_500)), [], 'within the interval: not explained again');
  assert.equal(p.events(s, ctx(1_800_000_002_000)), [], 'same reasons: nothing recorded');
  when(s, requested({ frameworkId: 'fw1', requests: [] }));
  const cleared = p.events(s, ctx(1_800_000_004_000));
  assert.equal(cleared.map((e) => e.reasons), [[]]);
});

test.run();
