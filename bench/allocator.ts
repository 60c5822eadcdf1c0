/**
 * The allocator benchmark: allocation cycles on clusters built in memory with the kernel's own
 * fold (no NATS), timed two ways — the allocator alone (`allocate`, Mesos's allocation_run), and
 * the whole cycle as the leader runs it (allocate + building the OffersCreated events + encoding
 * them with the codec, i.e. validation and JSON: what a user waits for before the offers can be
 * appended).
 *
 * Scenarios:
 * - full: every agent free, F frameworks in R roles; one cycle offers everything (Mesos 1.7.1's
 *   published figures are of this shape: all frameworks in one role, no filtering). Then the
 *   steady state with the cache: 1 % of the agents freed per cycle.
 * - decline: Mesos's DeclineOffers — every framework declines everything it is offered with a
 *   filter of a year, round after round; each round offers every agent to the next framework.
 * - quota: Mesos's LargeAndSmallQuota — quota roles (small: cpus:1;mem:1024;disk:1024, large:
 *   cpus:4;mem:4096;disk:4096, one framework each) on agents of cpus:2;mem:2048;disk:2048; the
 *   first cycle meets every guarantee, the second has nothing to do.
 * - multi: Mesos's MultiFrameworkAllocations — 80 agents of cpus:64;mem:488000; 4 frameworks × 4000
 *   tasks of cpus:0.07;mem:400 (≤100 per offer), 500 × 5 of cpus:0.1;mem:4000 (1 per offer), 50 × 20
 *   of cpus:1;mem:1000 (≤5 per offer): cycles and time until every task is placed.
 */
import { encode, type ClusterEvent, type FrameworkId, type OfferId, type Resource } from '../events/index.js';
import { EVENT_VERSIONS, type EventType, validate } from '../events/index.js';
import { AllocatorCache, runAllocation } from '../kernel/core/allocator/index.js';
import { allocationCycleEvents } from '../kernel/shell/master/allocation-cycle.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import * as R from '../kernel/core/resources.js';
import type { OfferState, State } from '../kernel/core/state.js';
import { latencySummary, type LatencySummary } from './stats.js';
import type { BenchContext } from './types.js';

export interface AllocatorBenchOptions {
  readonly scenario: 'full' | 'decline' | 'quota' | 'multi' | 'multi-suppress';
  readonly agents: number;
  readonly frameworks: number;
  readonly roles: number;
  /**
   * Timed cycles per measurement; undefined: by cluster size (200 at 500 agents down to 20 at
   * 5,000 and more), so that small clusters, whose cycles take a few milliseconds, are not
   * measured on a cold JIT or a single collection.
   */
  readonly cycles?: number;
  /** decline: rounds; quota: (small, large) roles. */
  readonly rounds: number;
  readonly quotaRoles: readonly [number, number];
}

export const defaultAllocatorBenchOptions = (): AllocatorBenchOptions => ({
  scenario: 'full',
  agents: 1000,
  frameworks: 100,
  roles: 1,
  rounds: 10,
  quotaRoles: [2500, 500],
});

export interface AllocatorBenchResult {
  readonly scenario: string;
  readonly agents: number;
  readonly frameworks: number;
  readonly roles: number;
  /** The allocator alone. */
  readonly allocate_ms: LatencySummary;
  /** allocate + events + encoding. */
  readonly cycle_ms: LatencySummary;
  readonly offers_per_cycle: number;
  /** Steady state with the cache (full), or other scenario-specific figures. */
  readonly extra: Record<string, unknown>;
  readonly setup_ms: number;
}

const AGENT = 'cpus:24;mem:4096;disk:4096;ports:[31000-32000]';

class Cluster {
  state: State = initialState();
  private n = 0;
  now = 1_700_000_000_000;
  private offerN = 0;

  constructor() {
    this.fold({ type: 'LeaderElected', epoch: 1, masterId: 'bench', hostname: 'h', ip: '127.0.0.1', port: 5050, offers: 'KEPT' });
  }

  fold(e: Record<string, unknown>, check = false): void {
    this.now += 1;
    const ev = { schemaVersion: EVENT_VERSIONS[e.type as EventType], id: `e${++this.n}`, time: this.now, ...e } as unknown as ClusterEvent;
    this.state = evolve(this.state, check ? validate(ev) : ev);
  }

  agents(count: number, resources: string): void {
    const rs = R.parseResources(resources);
    for (let i = 0; i < count; i++) {
      this.fold({ type: 'AgentRegistered', agentId: `agent-${i}`, hostname: `host-${i}`, port: 5051, resources: [...rs], attributes: [], version: 'b', isolation: 'posix' });
    }
  }

  framework(id: string, role: string): void {
    this.fold({ type: 'FrameworkSubscribed', frameworkId: id, info: { name: id, user: 'b', roles: [role], failoverTimeoutMs: 0, checkpoint: false, capabilities: [] } });
  }

  ctx() {
    return { epoch: 1, now: this.now, newId: () => `x${++this.n}`, offerTimeoutMs: null, newOfferId: () => `o${++this.offerN}` as OfferId, newInverseOfferId: () => `io${++this.n}` };
  }

  /** Fold one cycle's offers (as the leader's events would be folded). */
  foldOffers(events: readonly ClusterEvent[]): void {
    for (const e of events) {
      this.now = Math.max(this.now, e.time);
      this.state = evolve(this.state, e);
    }
  }
}

/** Time one cycle as the leader runs it: allocate, build the events, encode them. */
function timedCycle(c: Cluster, cache: AllocatorCache | undefined): { allocateMs: number; cycleMs: number; events: ClusterEvent[]; offers: number } {
  const t0 = performance.now();
  const r = allocationCycleEvents(c.state, c.ctx(), cache);
  let bytes = 0;
  for (const e of r.events) bytes += encode(e).byteLength;
  const cycleMs = performance.now() - t0;
  void bytes;
  return { allocateMs: r.stats.allocateMs, cycleMs, events: r.events, offers: r.stats.offers };
}

/** The timed cycles of a measurement: --cycles, or by cluster size. */
export function cyclesFor(o: Pick<AllocatorBenchOptions, 'cycles' | 'agents'>): number {
  return o.cycles ?? Math.min(200, Math.max(20, Math.ceil(100_000 / Math.max(1, o.agents))));
}

function role(i: number, roles: number): string {
  return roles <= 1 ? '*' : `role-${i % roles}`;
}

function full(o: AllocatorBenchOptions, ctx: BenchContext): AllocatorBenchResult {
  const t0 = performance.now();
  const c = new Cluster();
  c.agents(o.agents, AGENT);
  for (let i = 0; i < o.frameworks; i++) c.framework(`fw-${i}`, role(i, o.roles));
  const setup = performance.now() - t0;
  ctx.progress(`allocator full: ${o.agents} agents, ${o.frameworks} frameworks, ${o.roles} role(s) built in ${setup.toFixed(0)} ms`);
  // The full cycle: everything is free, every agent is looked at (no cache), everything offered.
  const alloc: number[] = [];
  const cycle: number[] = [];
  let offers = 0;
  let last: ClusterEvent[] = [];
  const cycles = cyclesFor(o);
  const warmup = Math.max(3, Math.ceil(cycles / 10));
  for (let i = 0; i < cycles + warmup; i++) {
    const r = timedCycle(c, undefined);
    if (i >= warmup) {
      alloc.push(r.allocateMs);
      cycle.push(r.cycleMs);
    }
    offers = r.offers;
    last = r.events;
  }
  // Steady state: the offers are folded; each cycle 1 % of the agents are declined (refuse 0) and offered again.
  const cache = new AllocatorCache();
  runAllocation(c.state, c.now, {}, cache);
  c.foldOffers(last);
  runAllocation(c.state, c.now, {}, cache);
  const steadyAlloc: number[] = [];
  const steadyCycle: number[] = [];
  const steadyCandidates: number[] = [];
  const byFramework = new Map<FrameworkId, OfferState[]>();
  for (const off of c.state.offers.values()) {
    const l = byFramework.get(off.frameworkId) ?? [];
    l.push(off);
    byFramework.set(off.frameworkId, l);
  }
  const all = [...c.state.offers.values()];
  const step = Math.max(1, Math.floor(o.agents / 100));
  for (let i = 0; i < cycles; i++) {
    const chosen = all.splice(0, step).filter((x) => c.state.offers.has(x.id));
    for (const x of chosen) c.fold({ type: 'OffersDeclined', frameworkId: x.frameworkId, offerIds: [x.id], filters: { refuseSeconds: 0 } });
    const t = performance.now();
    const r = allocationCycleEvents(c.state, c.ctx(), cache);
    for (const e of r.events) encode(e);
    steadyCycle.push(performance.now() - t);
    steadyAlloc.push(r.stats.allocateMs);
    steadyCandidates.push(r.stats.candidates);
    c.foldOffers(r.events);
    for (const e of r.events) if (e.type === 'OffersCreated') for (const x of e.offers) all.push(c.state.offers.get(x.offerId)!);
  }
  return {
    scenario: 'full',
    agents: o.agents,
    frameworks: o.frameworks,
    roles: o.roles,
    allocate_ms: latencySummary(alloc),
    cycle_ms: latencySummary(cycle),
    offers_per_cycle: offers,
    extra: {
      timed_cycles: cycles,
      steady_agents_changed_per_cycle: step,
      steady_candidates_p50: latencySummary(steadyCandidates).p50,
      steady_allocate_ms: latencySummary(steadyAlloc),
      steady_cycle_ms: latencySummary(steadyCycle),
      events_per_full_cycle: last.length,
    },
    setup_ms: setup,
  };
}

function decline(o: AllocatorBenchOptions, ctx: BenchContext): AllocatorBenchResult {
  const t0 = performance.now();
  const c = new Cluster();
  c.agents(o.agents, AGENT);
  for (let i = 0; i < o.frameworks; i++) c.framework(`fw-${i}`, role(i, o.roles));
  const setup = performance.now() - t0;
  ctx.progress(`allocator decline: ${o.agents} agents, ${o.frameworks} frameworks, ${o.rounds} rounds`);
  const cache = new AllocatorCache();
  const alloc: number[] = [];
  const cycle: number[] = [];
  const offers: number[] = [];
  const idle: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const r = timedCycle(c, cache);
    alloc.push(r.allocateMs);
    cycle.push(r.cycleMs);
    offers.push(r.offers);
    c.foldOffers(r.events);
    // Every framework declines everything it holds, with a filter of a year (one call each).
    const byFw = new Map<string, string[]>();
    for (const off of c.state.offers.values()) byFw.set(off.frameworkId, [...(byFw.get(off.frameworkId) ?? []), off.id]);
    for (const [fw, ids] of byFw) c.fold({ type: 'OffersDeclined', frameworkId: fw, offerIds: ids, filters: { refuseSeconds: 365 * 24 * 3600 } });
    idle.push(c.state.offers.size);
  }
  // And once every framework has refused every agent (simulated by more rounds), nothing to do:
  const quiet = timedCycle(c, cache);
  return {
    scenario: 'decline',
    agents: o.agents,
    frameworks: o.frameworks,
    roles: o.roles,
    allocate_ms: latencySummary(alloc),
    cycle_ms: latencySummary(cycle),
    offers_per_cycle: Math.round(offers.reduce((a, b) => a + b, 0) / Math.max(1, offers.length)),
    extra: { rounds: o.rounds, offers_per_round: offers, next_cycle_allocate_ms: quiet.allocateMs },
    setup_ms: setup,
  };
}

function quota(o: AllocatorBenchOptions, ctx: BenchContext): AllocatorBenchResult {
  const [small, large] = o.quotaRoles;
  const agents = Math.floor(small / 5) + large * 5;
  const t0 = performance.now();
  const c = new Cluster();
  c.agents(agents, 'cpus:2;mem:2048;disk:2048');
  const configs: { role: string; guarantees: Record<string, number>; limits: Record<string, number> }[] = [];
  for (let i = 0; i < small; i++) configs.push({ role: `small-${i}`, guarantees: { cpus: 1, mem: 1024, disk: 1024 }, limits: { cpus: 1, mem: 1024, disk: 1024 } });
  for (let i = 0; i < large; i++) configs.push({ role: `large-${i}`, guarantees: { cpus: 4, mem: 4096, disk: 4096 }, limits: { cpus: 4, mem: 4096, disk: 4096 } });
  c.fold({ type: 'QuotaUpdated', configs, force: true });
  for (const q of configs) c.framework(`fw-${q.role}`, q.role);
  const setup = performance.now() - t0;
  ctx.progress(`allocator quota: ${small} small + ${large} large quota roles, ${agents} agents (built in ${setup.toFixed(0)} ms)`);
  const cache = new AllocatorCache();
  const first = timedCycle(c, cache);
  c.foldOffers(first.events);
  const second = timedCycle(c, cache);
  // Repeat the first cycle (no cache, the same state before offers) for a distribution.
  const c2 = new Cluster();
  c2.agents(agents, 'cpus:2;mem:2048;disk:2048');
  c2.fold({ type: 'QuotaUpdated', configs, force: true });
  for (const q of configs) c2.framework(`fw-${q.role}`, q.role);
  const alloc: number[] = [first.allocateMs];
  const cycle: number[] = [first.cycleMs];
  for (let i = 0; i < Math.min(cyclesFor(o), 5); i++) {
    const r = timedCycle(c2, undefined);
    alloc.push(r.allocateMs);
    cycle.push(r.cycleMs);
  }
  const satisfied = configs.filter((q) => {
    const acc = c.state.roles.get(q.role);
    return acc !== undefined && acc.allocated.cpus >= q.guarantees.cpus! * 1000;
  }).length;
  return {
    scenario: 'quota',
    agents,
    frameworks: configs.length,
    roles: configs.length,
    allocate_ms: latencySummary(alloc),
    cycle_ms: latencySummary(cycle),
    offers_per_cycle: first.offers,
    extra: { guarantees_met_after_first_cycle: `${satisfied}/${configs.length}`, second_cycle_allocate_ms: second.allocateMs, second_cycle_ms: second.cycleMs, second_cycle_offers: second.offers },
    setup_ms: setup,
  };
}

interface Profile {
  readonly prefix: string;
  readonly role: (i: number) => string;
  readonly count: number;
  readonly tasks: number;
  readonly task: readonly Resource[];
  readonly perOffer: number;
}

/**
 * Mesos's MultiFrameworkAllocations. As Mesos wrote it, a framework that has all its tasks keeps
 * declining what it is offered with no filter: done frameworks of small share then take most agents
 * every cycle (that is what DRF says), and the 500 Jenkins frameworks, all in one role, starve. With
 * `suppress`, a framework suppresses offers once it has its tasks, as a well-behaved one does.
 */
function multi(o: AllocatorBenchOptions, ctx: BenchContext, suppress: boolean): AllocatorBenchResult {
  const t0 = performance.now();
  const c = new Cluster();
  c.agents(80, 'cpus:64;mem:488000');
  const profiles: Profile[] = [
    { prefix: 'marathon', role: (i) => `roleA-${i + 1}`, count: 4, tasks: 4000, task: R.parseResources('cpus:0.07;mem:400'), perOffer: 100 },
    { prefix: 'jenkins', role: () => 'roleB', count: 500, tasks: 5, task: R.parseResources('cpus:0.1;mem:4000'), perOffer: 1 },
    { prefix: 'spark', role: (i) => `roleC-${i + 1}`, count: 50, tasks: 20, task: R.parseResources('cpus:1;mem:1000'), perOffer: 5 },
  ];
  const profileOf = new Map<string, Profile>();
  const launched = new Map<string, number>();
  let target = 0;
  for (const p of profiles) {
    for (let i = 0; i < p.count; i++) {
      const id = `${p.prefix}-${i}`;
      c.framework(id, p.role(i));
      profileOf.set(id, p);
      launched.set(id, 0);
      target += p.tasks;
    }
  }
  const setup = performance.now() - t0;
  ctx.progress(`allocator multi: 80 agents, ${profileOf.size} frameworks, ${target} tasks to place`);
  const cache = new AllocatorCache();
  const alloc: number[] = [];
  const cycle: number[] = [];
  let placed = 0;
  let cycles = 0;
  let taskN = 0;
  const started = performance.now();
  const maxCycles = suppress ? 50_000 : 3000;
  const suppressed = new Set<string>();
  while (placed < target && cycles < maxCycles) {
    cycles++;
    const r = timedCycle(c, cache);
    alloc.push(r.allocateMs);
    cycle.push(r.cycleMs);
    c.foldOffers(r.events);
    // Each framework launches what it may on each of its offers and gives back the rest (no filter).
    for (const off of [...c.state.offers.values()]) {
      const p = profileOf.get(off.frameworkId)!;
      let left: R.Resources = off.resources;
      const tasks = [];
      while (tasks.length < p.perOffer && launched.get(off.frameworkId)! < p.tasks && R.contains(left, p.task)) {
        left = R.subtract(left, p.task);
        launched.set(off.frameworkId, launched.get(off.frameworkId)! + 1);
        tasks.push({ taskId: `t${++taskN}`, name: 't', agentId: off.agentId, resources: [...p.task], command: { value: 'true', shell: true } });
      }
      placed += tasks.length;
      if (tasks.length > 0) c.fold({ type: 'OffersAccepted', frameworkId: off.frameworkId, offerIds: [off.id], operations: [{ type: 'LAUNCH', tasks }], filters: { refuseSeconds: 0 } });
      else c.fold({ type: 'OffersDeclined', frameworkId: off.frameworkId, offerIds: [off.id], filters: { refuseSeconds: 0 } });
      if (suppress && launched.get(off.frameworkId) === p.tasks && !suppressed.has(off.frameworkId)) {
        suppressed.add(off.frameworkId);
        c.fold({ type: 'OffersSuppressed', frameworkId: off.frameworkId });
      }
    }
  }
  const total = performance.now() - started;
  return {
    scenario: suppress ? 'multi-suppress' : 'multi',
    agents: 80,
    frameworks: profileOf.size,
    roles: 55,
    allocate_ms: latencySummary(alloc),
    cycle_ms: latencySummary(cycle),
    offers_per_cycle: 80,
    extra: {
      tasks_placed: `${placed}/${target}`,
      ...(placed >= target ? { cycles_to_place_all: cycles } : { gave_up_after_cycles: cycles }),
      total_ms_including_simulated_frameworks: Math.round(total),
      allocation_ms_sum: Math.round(cycle.reduce((a, b) => a + b, 0)),
    },
    setup_ms: setup,
  };
}

export function runAllocatorBench(o: AllocatorBenchOptions, ctx: BenchContext): AllocatorBenchResult {
  switch (o.scenario) {
    case 'full':
      return full(o, ctx);
    case 'decline':
      return decline(o, ctx);
    case 'quota':
      return quota(o, ctx);
    case 'multi':
      return multi(o, ctx, false);
    case 'multi-suppress':
      return multi(o, ctx, true);
  }
}

/** Mesos 1.7.1's published allocation cycle times (all frameworks in one role), ms, and 10x faster. */
export const MESOS_171: readonly { agents: number; frameworks: number; ms: number }[] = [
  { agents: 1000, frameworks: 100, ms: 100 },
  { agents: 5000, frameworks: 500, ms: 500 },
  { agents: 10000, frameworks: 1000, ms: 1400 },
  { agents: 20000, frameworks: 2000, ms: 4400 },
];

const f1 = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** One line per result. */
export function renderAllocatorTable(rs: readonly AllocatorBenchResult[]): string {
  const head = ['scenario', 'agents', 'frameworks', 'roles', 'offers', 'allocate p50', 'allocate p99', 'cycle p50', 'cycle p99', 'notes'];
  const rows = rs.map((r) => {
    const mesos = MESOS_171.find((m) => m.agents === r.agents && m.frameworks === r.frameworks);
    const notes: string[] = [];
    if (mesos !== undefined && r.scenario === 'full') notes.push(`Mesos 1.7.1 ${mesos.ms} ms: ${(mesos.ms / r.cycle_ms.p50).toFixed(0)}x faster`);
    for (const [k, v] of Object.entries(r.extra)) {
      if (typeof v === 'object' && v !== null && 'p50' in v) notes.push(`${k} p50 ${f1((v as LatencySummary).p50)} p99 ${f1((v as LatencySummary).p99)}`);
      else if (!Array.isArray(v)) notes.push(`${k} ${String(typeof v === 'number' ? f1(v) : v)}`);
    }
    return [r.scenario, String(r.agents), String(r.frameworks), String(r.roles), String(r.offers_per_cycle), f1(r.allocate_ms.p50), f1(r.allocate_ms.p99), f1(r.cycle_ms.p50), f1(r.cycle_ms.p99), notes.join('; ')];
  });
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
