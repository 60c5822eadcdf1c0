import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentId, ClusterEvent, FrameworkId } from '../../events/index.js';
import { allocate, allocatable, buildTree, clusterTotals, defaultAllocatorOptions, type OfferProposal } from '../../kernel/core/allocator/index.js';
import { type DrfTree, type FrameworkClient, type Group, type RoleNode, dominantShare } from '../../kernel/core/allocator/drf.js';
import { IndexedHeap } from '../../kernel/core/allocator/heap.js';
import { zeroQ } from '../../kernel/core/quantities.js';
import { available } from '../../kernel/core/fold/index.js';
import * as R from '../../kernel/core/resources.js';
import { filterKey } from '../../kernel/core/state.js';
import {
  accepted,
  agentDisconnected,
  allocatorConfigured,
  frameworkDisconnected,
  weightsUpdated,
  agentRegistered,
  agentRemoved,
  canonicalJson,
  declined,
  frameworkSubscribed,
  given,
  leaderElected,
  offersCreated,
  res,
  resetIds,
  revived,
  suppressed,
  T0,
  when,
} from '../helpers/events.js';

test.before.each(() => resetIds());

const NOW = T0 + 1_000_000;
/** Proposals as [agent, framework, resources text], sorted by agent. */
const summary = (ps: OfferProposal[]) => ps.map((p) => [p.agentId, p.frameworkId, R.format(p.resources)] as const).sort();

let offerSeq = 0;
/** The OffersCreated events the leader would append for these proposals. */
function offersFor(ps: OfferProposal[], epoch = 1): ClusterEvent[] {
  return ps.map((p) =>
    offersCreated({ frameworkId: p.frameworkId, epoch, offerId: `auto-${++offerSeq}`, agentId: p.agentId, hostname: p.hostname, role: p.role, resources: p.resources }),
  );
}

test('one framework gets offers for all active agents with free resources (all of them)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000]' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:2;mem:1024;disk:100' }),
    agentRegistered({ agentId: 'a3', resources: 'cpus:8;mem:8192' }),
    agentDisconnected({ agentId: 'a3' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
  );
  const ps = allocate(s, NOW);
  assert.equal(summary(ps), [
    ['a1', 'fw1', 'cpus:4;mem:4096;ports:[31000-32000]'],
    ['a2', 'fw1', 'cpus:2;disk:100;mem:1024'],
  ]);
  const p1 = ps.find((p) => p.agentId === 'a1')!;
  assert.is(p1.hostname, 'a1.local');
  assert.is(p1.role, '*');
});

test('no frameworks, or no agents: no proposals', () => {
  assert.equal(allocate(given(agentRegistered({ agentId: 'a1' })), NOW), []);
  assert.equal(allocate(given(frameworkSubscribed({ frameworkId: 'fw1' })), NOW), []);
});

test('only free resources are offered: used and offered parts are left out', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:1024' }], refuseSeconds: 0 }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:1' }),
  );
  assert.equal(summary(allocate(s, NOW)), [['a1', 'fw1', 'cpus:2;mem:3072']]);
});

test('an agent with nothing allocatable is skipped (min allocatable cpus:0.01 | mem:32)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'tiny', resources: 'cpus:0.009;mem:31;disk:1000' }),
    agentRegistered({ agentId: 'portsonly', resources: 'ports:[1-1000]' }),
    agentRegistered({ agentId: 'cpuonly', resources: 'cpus:0.01' }),
    agentRegistered({ agentId: 'memonly', resources: 'mem:32' }),
    agentRegistered({ agentId: 'full', resources: 'cpus:1;mem:64' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'full', resources: 'cpus:1;mem:64' }),
  );
  assert.equal(summary(allocate(s, NOW)), [
    ['cpuonly', 'fw1', 'cpus:0.01'],
    ['memonly', 'fw1', 'mem:32'],
  ]);
  // The thresholds themselves.
  const min = defaultAllocatorOptions().minAllocatable;
  assert.equal(min, [{ cpus: 0.01 }, { mem: 32 }]);
  assert.ok(allocatable(res('cpus:0.01'), min));
  assert.ok(allocatable(res('mem:32'), min));
  assert.not.ok(allocatable(res('cpus:0.009;mem:31.999'), min));
  assert.not.ok(allocatable([], min));
  assert.ok(allocatable(res('ports:[1-2]'), []), 'no minimum: anything non-empty');
  // With no minimum, the tiny agent and the ports-only agent are offered too.
  assert.equal(summary(allocate(s, NOW, { ...defaultAllocatorOptions(), minAllocatable: [] })).map((x) => x[0]), [
    'cpuonly',
    'memonly',
    'portsonly',
    'tiny',
  ]);
});

test('DRF: two frameworks, one already using a lot — the other gets the next agent', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:8;mem:8192' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:8;mem:8192' }),
    // fw0 sorts first by id: on a tie it would win.
    frameworkSubscribed({ frameworkId: 'fw0' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw0', offerId: 'o1', agentId: 'a1', resources: 'cpus:8;mem:8192' }),
    accepted({ frameworkId: 'fw0', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:6;mem:1024' }], refuseSeconds: 0 }),
  );
  assert.equal(summary(allocate(s, NOW)), [
    // fw0's share is 6/16 cpus, fw1's is 0: fw1 gets the first agent it is asked about...
    ['a1', 'fw1', 'cpus:2;mem:7168'],
    // ...and, having got 7168/16384 mem (0.4375 > 0.375), fw0 gets the next.
    ['a2', 'fw0', 'cpus:8;mem:8192'],
  ]);
});

test('DRF: two equal frameworks alternate over agents, ties broken by id', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:2;mem:2048' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:2;mem:2048' }),
    agentRegistered({ agentId: 'a3', resources: 'cpus:2;mem:2048' }),
    agentRegistered({ agentId: 'a4', resources: 'cpus:2;mem:2048' }),
    frameworkSubscribed({ frameworkId: 'fwB' }),
    frameworkSubscribed({ frameworkId: 'fwA' }),
  );
  const ps = allocate(s, NOW);
  assert.equal(
    ps.map((p) => [p.agentId, p.frameworkId]),
    [
      ['a1', 'fwA'],
      ['a2', 'fwB'],
      ['a3', 'fwA'],
      ['a4', 'fwB'],
    ],
  );
});

test('offered resources are not offered again', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
  );
  const first = allocate(s, NOW);
  assert.is(first.length, 2);
  when(s, ...offersFor(first));
  assert.is(s.offers.size, 2, 'the fold accepted both proposals');
  assert.is(s.counters.offersInvalid, 0);
  assert.equal(allocate(s, NOW), []);
  // A new agent is offered; the old ones still are not.
  when(s, agentRegistered({ agentId: 'a3', resources: 'cpus:1;mem:64' }));
  assert.equal(allocate(s, NOW).map((p) => p.agentId), ['a3']);
});

test('suppressed frameworks get nothing; revived ones do again', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
    suppressed({ frameworkId: 'fw1' }),
  );
  assert.equal(summary(allocate(s, NOW)).map((x) => x[1]), ['fw2', 'fw2']);
  when(s, suppressed({ frameworkId: 'fw2' }));
  assert.equal(allocate(s, NOW), []);
  when(s, revived({ frameworkId: 'fw1' }));
  assert.equal(summary(allocate(s, NOW)).map((x) => x[1]), ['fw1', 'fw1']);
});

test('a refuse filter keeps the agent out of that framework’s offers until `until`, then it is offered again', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
  );
  const d = declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 10 });
  when(s, d);
  const until = s.frameworks.get('fw1' as FrameworkId)!.filters.get(filterKey('a1' as AgentId, '*'))!.until;
  assert.is(until, d.time + 10_000);
  assert.equal(summary(allocate(s, d.time)).map((x) => x[0]), ['a2']);
  assert.equal(summary(allocate(s, until - 1)).map((x) => x[0]), ['a2']);
  assert.equal(summary(allocate(s, until)).map((x) => x[0]), ['a1', 'a2'], 'the filter has lapsed at `until`');
  assert.equal(summary(allocate(s, until + 60_000)).map((x) => x[0]), ['a1', 'a2']);
});

test('a refuse filter passes the agent to the next framework, and does not cover more than was refused', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:1024' }),
  );
  const d = declined({ frameworkId: 'fw1', offerIds: ['o1'], refuseSeconds: 60 });
  when(s, d);
  // fw1 refused only part of a1: the whole of a1 is more than it refused, so fw1 gets it.
  assert.equal(summary(allocate(s, d.time + 1)), [['a1', 'fw1', 'cpus:4;mem:4096']]);
  // Once fw1 has refused all of a1, a1 goes to the next framework.
  when(s, frameworkSubscribed({ frameworkId: 'fw2' }), offersCreated({ frameworkId: 'fw1', offerId: 'o2', agentId: 'a1', resources: 'cpus:4;mem:4096' }));
  const d2 = declined({ frameworkId: 'fw1', offerIds: ['o2'], refuseSeconds: 60 });
  when(s, d2);
  assert.equal(summary(allocate(s, d2.time + 1)), [['a1', 'fw2', 'cpus:4;mem:4096']]);
});

test('equal shares: the framework offered less often goes first (Mesos’s tie-break by allocations)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2' }),
  );
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const [p] = allocate(s, NOW);
    order.push(p!.frameworkId);
    when(s, offersCreated({ frameworkId: p!.frameworkId, offerId: `o${i}`, agentId: 'a1', resources: p!.resources }), declined({ frameworkId: p!.frameworkId, offerIds: [`o${i}`], refuseSeconds: 0 }));
  }
  assert.equal(order, ['fw1', 'fw2', 'fw1', 'fw2']);
});

test('a GPU agent is not offered to a framework without GPU_RESOURCES', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'cpu', resources: 'cpus:4;mem:4096' }),
    agentRegistered({ agentId: 'gpu', resources: 'cpus:4;mem:4096;gpus:2' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
  );
  assert.equal(summary(allocate(s, NOW)).map((x) => x[0]), ['cpu']);
  when(s, frameworkSubscribed({ frameworkId: 'fw2', capabilities: ['GPU_RESOURCES'] }));
  const ps = summary(allocate(s, NOW));
  assert.ok(ps.some((p) => p[0] === 'gpu' && p[1] === 'fw2' && p[2] === 'cpus:4;gpus:2;mem:4096'), JSON.stringify(ps));
  assert.not.ok(ps.some((p) => p[0] === 'gpu' && p[1] === 'fw1'));
  // Without --filter_gpu_resources, anyone may have it.
  const s2 = given(
    agentRegistered({ agentId: 'gpu', resources: 'cpus:4;mem:4096;gpus:2' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
  );
  assert.equal(summary(allocate(s2, NOW, { ...defaultAllocatorOptions(), filterGpuResources: false })), [['gpu', 'fw1', 'cpus:4;gpus:2;mem:4096']]);
});

test('reservations: a framework is offered unreserved resources and those reserved for its role', () => {
  const s = given(
    agentRegistered({ agentId: 'a1', resources: 'cpus:1;mem:64;cpus(ads):2;mem(web):128' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['ads'] }),
  );
  const ps = allocate(s, NOW);
  assert.is(ps.length, 1);
  assert.is(ps[0]!.role, 'ads');
  assert.equal(ps[0]!.resources, res('cpus:1;mem:64;cpus(ads):2'));
  const s2 = given(agentRegistered({ agentId: 'a1', resources: 'cpus(ads):2;mem(ads):128' }), frameworkSubscribed({ frameworkId: 'fw1' }));
  assert.equal(allocate(s2, NOW), [], "a '*' framework gets nothing from resources reserved for another role");
});

test('the allocator never mutates the state', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000];x:{a,b}' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:4;mem:4096;gpus:1' }),
    agentRegistered({ agentId: 'a3', resources: 'cpus:4;mem:4096;disk(ads):100' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    frameworkSubscribed({ frameworkId: 'fw2', capabilities: ['GPU_RESOURCES'], roles: ['ads'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096;ports:[31000-32000]' }),
    accepted({ frameworkId: 'fw1', offerIds: ['o1'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:100;ports:[31000-31010]' }] }),
  );
  const before = canonicalJson(s);
  const agentsBefore = [...s.agents.values()].map((a) => [a, a.resources, a.used, a.offered] as const);
  const ps1 = allocate(s, NOW);
  const ps2 = allocate(s, NOW);
  assert.ok(ps1.length > 0);
  assert.is(canonicalJson(s), before);
  assert.equal(ps1, ps2, 'the same state and time give the same proposals');
  for (const [a, r, u, o] of agentsBefore) {
    assert.ok(a.resources === r && a.used === u && a.offered === o, 'no field is reassigned');
  }
  // Mutating a proposal does not reach into the state.
  (ps1[0]!.resources as unknown as unknown[]).length = 0;
  assert.is(canonicalJson(s), before);
});

test('clusterTotals sums the scalars of the agents that are not removed (disconnected ones count, as in Mesos)', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096;gpus:1' }),
    agentRegistered({ agentId: 'a2', resources: 'cpus:2.5;mem:1024;disk(ads):10' }),
    agentRegistered({ agentId: 'a3', resources: 'cpus:100' }),
    agentDisconnected({ agentId: 'a3' }),
  );
  assert.equal(clusterTotals(s), { cpus: 106.5, mem: 5120, disk: 10, gpus: 1 });
  when(s, agentRemoved({ agentId: 'a3' }));
  assert.equal(clusterTotals(s), { cpus: 6.5, mem: 5120, disk: 10, gpus: 1 });
  assert.equal(available(s.agents.get('a3' as AgentId)!), res('cpus:100'));
});

// --- the DRF tree -------------------------------------------------------------------------------

const Q = (cpus: number, mem: number, disk = 0, gpus = 0) => ({ cpus: cpus * 1000, mem: mem * 1000, disk: disk * 1000, gpus: gpus * 1000 });

test('dominantShare: the largest fraction of any resource, over the weight', () => {
  const totals = Q(10, 1000);
  assert.is(dominantShare(Q(2, 100), totals), 0.2);
  assert.is(dominantShare(Q(1, 500, 5), totals), 0.5, 'resources with no total are ignored');
  assert.is(dominantShare(Q(2, 100), totals, 2), 0.1);
  assert.is(dominantShare(zeroQ(), totals), 0);
});

/** The order in which a walk of the tree visits frameworks (pop everything, as the allocator would). */
function order(tree: DrfTree): string[] {
  const out: string[] = [];
  const walk = (n: RoleNode): void => {
    const popped: (RoleNode | Group)[] = [];
    for (let c = n.children.pop(); c !== undefined; c = n.children.pop()) {
      popped.push(c);
      if (c.kind === 'group') {
        const cs: FrameworkClient[] = [];
        for (let x = c.clients.pop(); x !== undefined; x = c.clients.pop()) {
          cs.push(x);
          out.push(`${c.role}:${x.framework.id}`);
        }
        for (const x of cs) c.clients.push(x);
      } else walk(c);
    }
    for (const c of popped) n.children.push(c);
  };
  walk(tree.root);
  return out;
}

function treeOf(weights: Record<string, number>, fws: [string, string, number][]): DrfTree {
  const s = given(leaderElected(1), agentRegistered({ agentId: 'a1', resources: 'cpus:100;mem:100000' }));
  if (Object.keys(weights).length > 0) when(s, weightsUpdated({ weights }));
  for (const [id, role] of fws) when(s, frameworkSubscribed({ frameworkId: id, roles: [role] }));
  for (const [id, role, cpus] of fws) {
    if (cpus === 0) continue;
    when(s, offersCreated({ frameworkId: id, offerId: `o-${id}`, agentId: 'a1', role, resources: `cpus:${cpus}` }));
  }
  return buildTree(s, s.allocator);
}

test('DRF tree: roles by weighted share, frameworks by share within their role; ties by allocations, then name', () => {
  // a: 10 cpus (0.1), b: 30 cpus (0.3) but weight 4 (0.075): b's frameworks come first.
  const t = treeOf({ b: 4 }, [
    ['fa1', 'a', 10],
    ['fb1', 'b', 20],
    ['fb2', 'b', 10],
    ['fc', 'c', 0],
  ]);
  assert.equal(order(t), ['c:fc', 'b:fb2', 'b:fb1', 'a:fa1']);
});

test('DRF tree: hierarchical — siblings compete inside their parent; a role with frameworks and children shares its weight with its own frameworks', () => {
  const t = treeOf({}, [
    ['x', 'eng', 5],
    ['y', 'eng/backend', 1],
    ['z', 'eng/frontend', 2],
    ['w', 'ops', 7],
  ]);
  // eng's subtree holds 8 (0.08) > ops 7 (0.07): ops first; inside eng: backend 1, frontend 2, eng/. 5.
  assert.equal(order(t), ['ops:w', 'eng/backend:y', 'eng/frontend:z', 'eng:x']);
  const n = t.nodes.get('eng')!;
  assert.equal(n.alloc, Q(8, 0));
  assert.is(t.nodes.get('eng/backend')!.parent, n);
});

test('DRF tree: an allocation moves the shares on the path to the root at once', () => {
  const t = treeOf({}, [
    ['x', 'eng/a', 1],
    ['y', 'eng/b', 2],
    ['z', 'ops', 4],
  ]);
  assert.equal(order(t), ['eng/a:x', 'eng/b:y', 'ops:z']);
  const x = t.clients.find((c) => c.framework.id === 'x')!;
  t.allocated(x, Q(5, 0)); // eng: 8 > ops 4; inside eng: a 6 > b 2
  assert.equal(order(t), ['ops:z', 'eng/b:y', 'eng/a:x']);
  assert.equal(t.nodes.get('eng')!.alloc, Q(8, 0));
  assert.equal(t.root.alloc, Q(12, 0));
});

test('DRF tree: suppressed roles, inactive frameworks and roles off the whitelist are left out', () => {
  const s = given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1' }),
    frameworkSubscribed({ frameworkId: 'f1', roles: ['a', 'b'], capabilities: ['MULTI_ROLE'] }),
    frameworkSubscribed({ frameworkId: 'f2', roles: ['c'] }),
    frameworkSubscribed({ frameworkId: 'f3', roles: ['d'] }),
    suppressed({ frameworkId: 'f1', roles: ['b'] }),
    frameworkDisconnected({ frameworkId: 'f2' }),
    allocatorConfigured({ roleWhitelist: ['a', 'b', 'c'] }),
  );
  assert.equal(order(buildTree(s, s.allocator)), ['a:f1']);
});

test('IndexedHeap: update and remove keep the heap order', () => {
  type It = { k: number; heapIndex: number };
  const h = new IndexedHeap<It>((a, b) => a.k < b.k);
  const items: It[] = [5, 3, 8, 1, 9, 2].map((k) => ({ k, heapIndex: -1 }));
  for (const x of items) h.push(x);
  items[2]!.k = 0;
  h.update(items[2]!);
  h.remove(items[1]!);
  const out: number[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x.k);
  assert.equal(out, [0, 1, 2, 5, 9]);
  assert.is(items[1]!.heapIndex, -1);
});

test.run();
