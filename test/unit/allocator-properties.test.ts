/**
 * Property tests of the allocator over random clusters, folded and allocated for many rounds with
 * a seeded PRNG (a failing seed is printed and can be replayed): no resource offered twice at once,
 * reservations only within their role's subtree, suppressed frameworks get nothing, quota limits
 * never exceeded, the fold's aggregates equal a recomputation, a cycle with the cache proposes what
 * a full cycle proposes; and, in steady state, dominant shares converge to the weighted fair split
 * and guarantees are met whenever the cluster can meet them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentId, FrameworkId, Resource } from '../../events/index.js';
import { AllocatorCache, runAllocation } from '../../kernel/core/allocator/index.js';
import { consumption } from '../../kernel/core/accounts.js';
import { quotaQuantities, subtreeConsumption } from '../../kernel/core/quota.js';
import { addResourcesInto, QUANTITY_NAMES, type Quantities, zeroQ } from '../../kernel/core/quantities.js';
import * as R from '../../kernel/core/resources.js';
import { allocatableTo, isAncestorOrSelf } from '../../kernel/core/roles.js';
import type { State } from '../../kernel/core/state.js';
import { Sim } from '../helpers/sim.js';

const ROLES = ['a', 'a/x', 'a/y', 'b', 'b/z/w', 'c', '*'];

const dyn = (r: Resource, role: string): Resource => ({ ...r, reservations: [...(r.reservations ?? []), { type: 'DYNAMIC', role }] });

/** Per-role aggregates recomputed from agents, tasks and offers (thousandths). */
interface Agg {
  allocated: Quantities;
  reserved: Quantities;
  allocatedReserved: Quantities;
  offered: Quantities;
  offeredReserved: Quantities;
}
const zeroAgg = (): Agg => ({ allocated: zeroQ(), reserved: zeroQ(), allocatedReserved: zeroQ(), offered: zeroQ(), offeredReserved: zeroQ() });
function recompute(s: State): Map<string, Agg> {
  const m = new Map<string, Agg>();
  const get = (r: string) => {
    let x = m.get(r);
    if (x === undefined) m.set(r, (x = zeroAgg()));
    return x;
  };
  const reservedOnly = (r: Resource): boolean => (r.reservations?.length ?? 0) > 0;
  for (const a of s.agents.values()) {
    if (a.status === 'REMOVED') continue;
    for (const r of a.resources) if (reservedOnly(r)) addResourcesInto(get(R.reservedRole(r)).reserved, [r]);
  }
  for (const t of s.tasks.values()) {
    if (!t.holdsResources) continue;
    addResourcesInto(get(t.role).allocated, t.resources);
    addResourcesInto(get(t.role).allocatedReserved, t.resources, 1, reservedOnly);
  }
  for (const o of s.offers.values()) {
    addResourcesInto(get(o.role).allocated, o.resources);
    addResourcesInto(get(o.role).allocatedReserved, o.resources, 1, reservedOnly);
    addResourcesInto(get(o.role).offered, o.resources);
    addResourcesInto(get(o.role).offeredReserved, o.resources, 1, reservedOnly);
  }
  return m;
}

function checkInvariants(sim: Sim, seed: number, round: number): void {
  const s = sim.state;
  const where = `seed ${seed}, round ${round}`;
  assert.is(sim.invalidOffers, 0, `${where}: the fold refused a proposal (offered twice, or beyond what is free)`);
  const totals = zeroQ();
  for (const a of s.agents.values()) {
    assert.ok(R.contains(a.resources, R.add(a.used, a.offered)), `${where}: agent ${a.id} over-committed: ${R.format(a.used)} + ${R.format(a.offered)} > ${R.format(a.resources)}`);
    if (a.status !== 'REMOVED') addResourcesInto(totals, a.resources);
  }
  assert.equal(s.totals, totals, `${where}: totals`);
  for (const o of s.offers.values()) {
    const f = s.frameworks.get(o.frameworkId);
    assert.ok(f !== undefined && f.info.roles.includes(o.role), `${where}: offer ${o.id} for a role the framework does not have`);
    for (const r of o.resources) {
      assert.ok(allocatableTo(R.reservedRole(r), o.role), `${where}: ${R.format([r])} offered to role ${o.role}, outside the reservation's subtree`);
    }
  }
  // The fold's per-role aggregates equal a recomputation.
  const fresh = recompute(s);
  for (const [role, acc] of s.roles) {
    const x = fresh.get(role) ?? zeroAgg();
    assert.equal(acc.allocated, x.allocated, `${where}: role ${role} allocated`);
    assert.equal(acc.offered, x.offered, `${where}: role ${role} offered`);
    assert.equal(acc.offeredReserved, x.offeredReserved, `${where}: role ${role} offeredReserved`);
    assert.equal(acc.reserved, x.reserved, `${where}: role ${role} reserved`);
    assert.equal(acc.allocatedReserved, x.allocatedReserved, `${where}: role ${role} allocatedReserved`);
  }
  for (const [role, x] of fresh) {
    const zero = QUANTITY_NAMES.every((n) => x.allocated[n] === 0 && x.reserved[n] === 0);
    if (!zero) assert.ok(s.roles.has(role), `${where}: role ${role} has resources but no account`);
  }
  // Framework per-role allocation equals its tasks + offers.
  for (const f of s.frameworks.values()) {
    const per = new Map<string, Quantities>();
    const add = (role: string, rs: readonly Resource[]) => {
      let q = per.get(role);
      if (q === undefined) per.set(role, (q = zeroQ()));
      addResourcesInto(q, rs);
    };
    for (const k of f.taskKeys) {
      const t = s.tasks.get(k);
      if (t?.holdsResources) add(t.role, t.resources);
    }
    for (const id of f.offerIds) add(s.offers.get(id)!.role, s.offers.get(id)!.resources);
    for (const [role, q] of per) if (QUANTITY_NAMES.some((n) => q[n] !== 0)) assert.equal(f.allocation.get(role), q, `${where}: ${f.id} in ${role}`);
  }
}

/** Each role's consumption with quota (thousandths). */
function consumptions(s: State): Map<string, Quantities> {
  return new Map([...s.quotas.keys()].map((r) => [r, subtreeConsumption(s, r)] as const));
}

/**
 * Quota limits are never exceeded by the allocator: after a cycle's offers are folded, a role with
 * limits consumes no more than its limit — or, if it was already above it (a forced lower limit, a
 * static reservation of an agent that registered), no more than before.
 */
function checkLimits(s: State, before: Map<string, Quantities>, where: string): void {
  for (const [role, q] of s.quotas) {
    const { limits } = quotaQuantities(q);
    const used = subtreeConsumption(s, role);
    const was = before.get(role) ?? zeroQ();
    for (const n of QUANTITY_NAMES) {
      assert.ok(used[n] <= Math.max(limits[n], was[n]), `${where}: role ${role} consumes ${used[n]} ${n}, above its limit ${limits[n]} (it consumed ${was[n]} before the cycle)`);
    }
  }
}

/** One random step of history. */
function step(sim: Sim, agents: AgentId[], frameworks: FrameworkId[]): void {
  const rng = sim.rng;
  const s = sim.state;
  const x = rng.next();
  if (x < 0.06 || agents.length < 3) {
    const id = `ag${agents.length}-${sim.id('')}` as AgentId;
    agents.push(id);
    const static_ = rng.chance(0.3) ? `;cpus(${rng.pick(ROLES.filter((r) => r !== '*'))}):${rng.int(1, 4)}` : '';
    const gpus = rng.chance(0.15) ? `;gpus:${rng.int(1, 2)}` : '';
    sim.fold({
      type: 'AgentRegistered',
      agentId: id,
      hostname: `${id}.local`,
      port: 5051,
      resources: [...R.parseResources(`cpus:${rng.int(2, 16)};mem:${rng.int(1, 32) * 512};disk:${rng.int(1, 10) * 1024};ports:[31000-31100]${static_}${gpus}`)],
      version: 't',
      isolation: 'posix',
    });
  } else if (x < 0.1 || frameworks.length < 2) {
    const id = `fw${frameworks.length}-${sim.id('')}` as FrameworkId;
    frameworks.push(id);
    const roles = rng.chance(0.3) ? [...new Set([rng.pick(ROLES), rng.pick(ROLES)])] : [rng.pick(ROLES)];
    sim.fold({
      type: 'FrameworkSubscribed',
      frameworkId: id,
      info: { name: id, user: 'u', roles, capabilities: [...(roles.length > 1 ? ['MULTI_ROLE'] : []), ...(rng.chance(0.3) ? ['GPU_RESOURCES'] : [])] },
      ...(rng.chance(0.2) ? { suppressedRoles: [roles[0]!] } : {}),
    });
  } else if (x < 0.13) {
    const f = s.frameworks.get(rng.pick(frameworks));
    if (f !== undefined) sim.fold({ type: rng.chance(0.5) ? 'OffersSuppressed' : 'OffersRevived', frameworkId: f.id, roles: rng.chance(0.5) ? [] : [rng.pick(f.info.roles)] });
  } else if (x < 0.15) {
    sim.fold({ type: 'WeightsUpdated', weights: [{ role: rng.pick(ROLES.filter((r) => r !== '*')), weight: rng.pick([0.5, 1, 2, 3]) }] });
  } else if (x < 0.19) {
    const role = rng.pick(ROLES);
    const limits: Record<string, number> = rng.chance(0.2) ? {} : { cpus: rng.int(2, 40), mem: rng.int(1, 40) * 1024 };
    const guarantees: Record<string, number> = rng.chance(0.5) ? {} : { cpus: rng.int(1, 4) };
    if (limits.cpus !== undefined && guarantees.cpus !== undefined && guarantees.cpus > limits.cpus) guarantees.cpus = limits.cpus;
    sim.fold({ type: 'QuotaUpdated', configs: [{ role, guarantees, limits }], force: rng.chance(0.5) });
  } else if (x < 0.23) {
    const a = s.agents.get(rng.pick(agents));
    if (a !== undefined && a.status !== 'REMOVED') {
      const role = rng.pick(ROLES.filter((r) => r !== '*'));
      const r = R.parseResources(`cpus:${rng.int(1, 2)}`)[0]!;
      if (rng.chance(0.7)) sim.fold({ type: 'ResourcesReserved', agentId: a.id, resources: [dyn(r, role)] });
      else {
        const d = a.dynamic.find((x) => x.type === 'SCALAR' && x.disk === undefined);
        if (d !== undefined) sim.fold({ type: 'ResourcesUnreserved', agentId: a.id, resources: [d] });
      }
    }
  } else if (x < 0.25) {
    const a = s.agents.get(rng.pick(agents));
    if (a !== undefined) sim.fold({ type: rng.pick(['AgentDeactivated', 'AgentReactivated', 'AgentReactivated'] as const), agentId: a.id });
  } else if (x < 0.27) {
    const a = s.agents.get(rng.pick(agents));
    if (a !== undefined && a.status !== 'REMOVED') {
      if (rng.chance(0.5)) sim.fold({ type: 'AgentDisconnected', agentId: a.id });
      else sim.fold({ type: 'AgentRemoved', epoch: 1, agentId: a.id, reason: 'UNREACHABLE' });
    } else if (a !== undefined) {
      sim.fold({ type: 'AgentReregistered', agentId: a.id, hostname: a.hostname, port: 5051, resources: [...a.announced], version: 't', isolation: 'posix' });
    }
  } else if (x < 0.29) {
    const f = s.frameworks.get(rng.pick(frameworks));
    if (f !== undefined) sim.fold({ type: 'FrameworkRemoved', frameworkId: f.id, reason: 'TEARDOWN' });
  } else if (x < 0.4) {
    for (let i = 0; i < 3; i++) sim.finishRandomTask();
  } else if (x < 0.45) {
    sim.now += rng.pick([1000, 5000, 60_000]);
  }
}

/** Frameworks answer their offers: launch a task and decline the rest, decline it all, or keep it. */
function frameworksAct(sim: Sim): void {
  const rng = sim.rng;
  for (const o of [...sim.state.offers.values()]) {
    const y = rng.next();
    if (y < 0.5) sim.launchOne(o, `cpus:${rng.pick([0.5, 1, 2])};mem:${rng.pick([128, 512, 1024])}`, rng.pick([0, 0, 1, 5]), rng.pick([0, 5, 60]));
    else if (y < 0.85) sim.fold({ type: 'OffersDeclined', frameworkId: o.frameworkId, offerIds: [o.id], filters: { refuseSeconds: rng.pick([0, 1, 5, 3600]) } });
  }
}

test('random clusters: nothing offered twice, reservations stay in their subtree, suppressed get nothing, limits hold, aggregates agree, the cache changes nothing', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const sim = new Sim(seed);
    const agents: AgentId[] = [];
    const frameworks: FrameworkId[] = [];
    const cache = new AllocatorCache();
    for (let round = 0; round < 60; round++) {
      for (let k = 0; k < 4; k++) step(sim, agents, frameworks);
      // The same cycle with and without the cache.
      const full = runAllocation(sim.state, sim.now).offers;
      const cached = runAllocation(sim.state, sim.now, {}, cache).offers;
      if (JSON.stringify(cached) !== JSON.stringify(full)) {
        const key = (p: { agentId: string; frameworkId: string; role: string }) => `${p.agentId}/${p.frameworkId}/${p.role}`;
        const fk = new Set(full.map(key));
        const ck = new Set(cached.map(key));
        console.log('only full', [...fk].filter((k) => !ck.has(k)), 'only cached', [...ck].filter((k) => !fk.has(k)));
        for (const k of [...fk].filter((k) => !ck.has(k))) {
          const agentId = k.split('/')[0] as AgentId;
          const a = sim.state.agents.get(agentId)!;
          console.log('agent', agentId, 'idle', cache.idle.get(agentId), 'blocked', cache.quotaBlocked.has(agentId), 'status', a.status, a.deactivated, R.format(a.resources), 'used', R.format(a.used), 'offered', R.format(a.offered));
          const f = sim.state.frameworks.get(k.split('/')[1] as FrameworkId)!;
          console.log('fw', f.id, f.info.roles, [...f.suppressedRoles], [...f.filters.entries()].filter(([kk]) => kk.startsWith(agentId)));
          console.log('last events', sim.log.slice(-12).map((e) => e.type + ' ' + JSON.stringify(e).slice(0, 200)));
        }
      }
      assert.equal(cached, full, `seed ${seed}, round ${round}: the incremental cycle differs from a full one`);
      for (const p of full) {
        const f = sim.state.frameworks.get(p.frameworkId)!;
        assert.ok(f.status === 'ACTIVE' && !f.suppressedRoles.has(p.role), `seed ${seed}, round ${round}: ${p.frameworkId} offered in suppressed or inactive role ${p.role}`);
        const a = sim.state.agents.get(p.agentId)!;
        assert.ok(a.status === 'ACTIVE' && !a.deactivated && a.drain === null, `seed ${seed}, round ${round}: agent ${a.id} is not offerable`);
      }
      // Within one cycle, proposals on an agent fit its free resources together.
      const byAgent = new Map<string, readonly Resource[]>();
      for (const p of full) byAgent.set(p.agentId, R.add(byAgent.get(p.agentId) ?? [], p.resources));
      for (const [agentId, rs] of byAgent) {
        const a = sim.state.agents.get(agentId as AgentId)!;
        assert.ok(R.contains(R.subtractClamped(R.subtractClamped(a.resources, a.used), a.offered), rs), `seed ${seed}, round ${round}: two offers of one cycle overlap on ${agentId}`);
      }
      // Fold them as the leader would.
      const before = consumptions(sim.state);
      for (const p of full) {
        sim.fold({ type: 'OffersCreated', epoch: 1, frameworkId: p.frameworkId, offers: [{ offerId: sim.id('o'), agentId: p.agentId, hostname: p.hostname, role: p.role, resources: [...p.resources] }] });
      }
      assert.is(sim.state.counters.offersInvalid, 0, `seed ${seed}, round ${round}: the fold refused a proposal`);
      checkLimits(sim.state, before, `seed ${seed}, round ${round}`);
      checkInvariants(sim, seed, round);
      frameworksAct(sim);
      checkInvariants(sim, seed, round);
    }
  }
});

/** Roles with weights, one greedy framework each, unit tasks: run until nothing moves. */
function steadyState(weights: Record<string, number>, agents: number, agentRes: string, task: string, seed: number, extra?: (sim: Sim) => void): Sim {
  const sim = new Sim(seed);
  for (let i = 0; i < agents; i++) {
    sim.fold({ type: 'AgentRegistered', agentId: `a${i}`, hostname: `a${i}.local`, port: 1, resources: [...R.parseResources(agentRes)], version: 't', isolation: 'posix' });
  }
  sim.fold({ type: 'WeightsUpdated', weights: Object.entries(weights).map(([role, weight]) => ({ role, weight })) });
  extra?.(sim);
  for (const role of Object.keys(weights)) sim.fold({ type: 'FrameworkSubscribed', frameworkId: `f-${role.replace(/\//g, '_')}`, info: { name: role, user: 'u', roles: [role] } });
  const cache = new AllocatorCache();
  for (let round = 0; round < 2000; round++) {
    const offers = sim.allocate(cache);
    if (offers.length === 0 && sim.state.offers.size === 0) break;
    // Each framework launches one unit task per offer and gives the rest back at once.
    for (const o of [...sim.state.offers.values()]) sim.launchOne(o, task, 0);
  }
  return sim;
}

test('dominant shares converge to the weighted fair split (roles weighted 1, 2, 3)', () => {
  for (const seed of [1, 2, 3]) {
    const weights = { r1: 1, r2: 2, r3: 3 };
    const sim = steadyState(weights, 30, 'cpus:4;mem:4096', 'cpus:0.5;mem:256', seed);
    const total = sim.state.totals.cpus;
    const sum = 6;
    for (const [role, w] of Object.entries(weights)) {
      const share = sim.state.roles.get(role)!.allocated.cpus / total;
      // One task is 0.5 of 120 cpus (0.4 %): the split is exact to within a task or two.
      assert.ok(Math.abs(share - w / sum) <= 0.01, `seed ${seed}: role ${role} holds ${share.toFixed(4)} of the cpus, its fair share is ${(w / sum).toFixed(4)}`);
    }
    assert.ok(sim.state.agents.size > 0 && [...sim.state.agents.values()].every((a) => R.scalar(a.used, 'cpus') === 4), 'the cluster is full');
  }
});

test('hierarchical weights: children split their parent’s share by their own weights', () => {
  const weights = { eng: 3, ops: 1, 'eng/a': 1, 'eng/b': 2 };
  const sim = new Sim(7);
  for (let i = 0; i < 20; i++) sim.fold({ type: 'AgentRegistered', agentId: `a${i}`, hostname: `a${i}`, port: 1, resources: [...R.parseResources('cpus:4;mem:4096')], version: 't', isolation: 'posix' });
  sim.fold({ type: 'WeightsUpdated', weights: Object.entries(weights).map(([role, weight]) => ({ role, weight })) });
  for (const role of ['eng/a', 'eng/b', 'ops']) sim.fold({ type: 'FrameworkSubscribed', frameworkId: `f-${role.replace('/', '_')}`, info: { name: role, user: 'u', roles: [role] } });
  const cache = new AllocatorCache();
  for (let round = 0; round < 2000; round++) {
    const offers = sim.allocate(cache);
    if (offers.length === 0 && sim.state.offers.size === 0) break;
    for (const o of [...sim.state.offers.values()]) sim.launchOne(o, 'cpus:0.5;mem:128', 0);
  }
  const total = sim.state.totals.cpus;
  const share = (r: string): number => sim.state.roles.get(r)!.allocated.cpus / total;
  assert.ok(Math.abs(share('ops') - 0.25) <= 0.01, `ops ${share('ops')}`);
  assert.ok(Math.abs(share('eng/a') - 0.25) <= 0.01, `eng/a ${share('eng/a')}`);
  assert.ok(Math.abs(share('eng/b') - 0.5) <= 0.01, `eng/b ${share('eng/b')}`);
});

test('guarantees are met whenever the cluster can meet them, though a greedy role without quota came first', () => {
  for (const seed of [1, 2, 3, 4]) {
    const sim = new Sim(seed);
    for (let i = 0; i < 10; i++) sim.fold({ type: 'AgentRegistered', agentId: `a${i}`, hostname: `a${i}`, port: 1, resources: [...R.parseResources('cpus:4;mem:4096')], version: 't', isolation: 'posix' });
    // The greedy framework fills the cluster first.
    sim.fold({ type: 'FrameworkSubscribed', frameworkId: 'greedy', info: { name: 'g', user: 'u', roles: ['free'] } });
    for (let round = 0; round < 200 && sim.allocate().length > 0; round++) for (const o of [...sim.state.offers.values()]) sim.launchOne(o, 'cpus:1;mem:256', 0);
    assert.is(R.scalar(sim.state.agents.get('a0' as AgentId)!.used, 'cpus'), 4);
    // Then guarantees (13 + 9 of 40 cpus) for two roles; the greedy tasks end over time.
    sim.fold({ type: 'QuotaUpdated', configs: [{ role: 'g1', guarantees: { cpus: 13 }, limits: {} }, { role: 'g2', guarantees: { cpus: 9, mem: 1024 }, limits: { cpus: 12 } }], force: false });
    assert.is(sim.state.quotas.size, 2, JSON.stringify([...sim.state.operatorRefusals.values()]));
    for (const r of ['g1', 'g2']) sim.fold({ type: 'FrameworkSubscribed', frameworkId: `f-${r}`, info: { name: r, user: 'u', roles: [r] } });
    const cache = new AllocatorCache();
    const got = (r: string): Quantities => consumption(sim.state.roles.get(r)!);
    for (let round = 0; round < 1500 && (got('g1').cpus < 13_000 || got('g2').cpus < 9_000); round++) {
      if (sim.rng.chance(0.5)) sim.finishRandomTask();
      sim.now += 1000;
      sim.allocate(cache);
      for (const o of [...sim.state.offers.values()]) sim.launchOne(o, 'cpus:1;mem:256', 0, 1);
    }
    assert.ok(got('g1').cpus >= 13_000, `seed ${seed}: g1 has ${got('g1').cpus / 1000} cpus of its 13 guaranteed`);
    assert.ok(got('g2').cpus >= 9_000, `seed ${seed}: g2 has ${got('g2').cpus / 1000} cpus of its 9 guaranteed`);
    assert.ok(got('g2').cpus <= 12_000, `seed ${seed}: g2 is over its limit`);
  }
});

test('reserved resources are offered only to their role and its descendants', () => {
  const sim = new Sim(11);
  sim.fold({ type: 'AgentRegistered', agentId: 'a1', hostname: 'a1', port: 1, resources: [...R.parseResources('cpus:1;mem:512;cpus(eng):4;mem(eng):2048;cpus(ops):2')], version: 't', isolation: 'posix' });
  for (const [id, role] of [['fe', 'eng'], ['fb', 'eng/backend'], ['fo', 'ops'], ['fs', '*'], ['fx', 'engx']] as const) {
    sim.fold({ type: 'FrameworkSubscribed', frameworkId: id, info: { name: id, user: 'u', roles: [role] } });
  }
  const seen = new Map<string, Set<string>>();
  for (let round = 0; round < 200; round++) {
    sim.allocate();
    for (const o of [...sim.state.offers.values()]) {
      for (const r of o.resources) {
        const owner = R.reservedRole(r);
        if (!seen.has(owner)) seen.set(owner, new Set());
        seen.get(owner)!.add(o.role);
        assert.ok(owner === '*' || isAncestorOrSelf(owner, o.role), `${R.format([r])} offered to ${o.role}`);
      }
      sim.fold({ type: 'OffersDeclined', frameworkId: o.frameworkId, offerIds: [o.id], filters: { refuseSeconds: 0 } });
    }
  }
  assert.equal([...seen.get('eng')!].sort(), ['eng', 'eng/backend'], 'eng/backend gets eng’s reservation too');
  assert.equal([...seen.get('ops')!], ['ops']);
});

test('suppressed roles of a MULTI_ROLE framework get nothing; its other role still does', () => {
  const sim = new Sim(5);
  for (let i = 0; i < 4; i++) sim.fold({ type: 'AgentRegistered', agentId: `a${i}`, hostname: `a${i}`, port: 1, resources: [...R.parseResources('cpus:2;mem:1024')], version: 't', isolation: 'posix' });
  sim.fold({ type: 'FrameworkSubscribed', frameworkId: 'f', info: { name: 'f', user: 'u', roles: ['x', 'y'], capabilities: ['MULTI_ROLE'] }, suppressedRoles: ['x'] });
  const ps = sim.allocate();
  assert.is(ps.length, 4);
  assert.ok(ps.every((p) => p.role === 'y'));
  sim.fold({ type: 'OffersSuppressed', frameworkId: 'f', roles: ['y'] });
  assert.ok(sim.state.frameworks.get('f' as FrameworkId)!.suppressed);
  for (const o of [...sim.state.offers.values()]) sim.fold({ type: 'OffersDeclined', frameworkId: 'f', offerIds: [o.id], filters: { refuseSeconds: 0 } });
  assert.equal(sim.allocate(), []);
  sim.fold({ type: 'OffersRevived', frameworkId: 'f', roles: ['x'] });
  const again = sim.allocate();
  assert.is(again.length, 4);
  assert.ok(again.every((p) => p.role === 'x'));
});

test.run();
