/**
 * The allocator: a pure function of (state, now) that proposes offers, as Mesos's hierarchical
 * allocator decides them. It never mutates the state; the leader appends its proposals as
 * OffersCreated events, and the fold (not the allocator) is the arbiter of whether they hold.
 *
 * For each agent with free resources (in a fixed order), two stages, as in Mesos:
 *
 * 1. Roles whose quota guarantees are not yet met, lowest share first, get unreserved resources up
 *    to what they lack (plus their reservations, non-scalar resources, and more up to their limits
 *    while the headroom allows).
 * 2. The role tree is walked in weighted-DRF order (drf.ts); the first framework that can use the
 *    agent's resources — allocatable to its role (unreserved, or reserved for its role or an
 *    ancestor), not filtered, big enough (min allocatable), GPU-capable if the agent has GPUs —
 *    gets them, cut to its role's quota limits and to the headroom other roles' guarantees need.
 *    Reservations nobody took in the walk go, role by role, to the neediest framework of the
 *    reservation's role subtree.
 *
 * Every allocation moves the shares on the path to the root at once (no re-sort). With a cache
 * (cache.ts) a cycle looks only at the agents that changed or whose reason to stay idle expired.
 */
import type { AgentId, FrameworkId, Resource, Resources } from '../../../events/index.js';
import { available } from '../accounts.js';
import { addResourcesInto, fromResources, isQuantityName, type Quantities, QUANTITY_NAMES, zeroQ } from '../quantities.js';
import * as R from '../resources.js';
import { allocatableTo, isAncestorOrSelf } from '../roles.js';
import { agentPassesConstraints } from '../offer-constraints.js';
import { type AgentState, type AllocatorSettings, filterKey, type FrameworkState, machineKey, type State, type Unavailability } from '../state.js';
import { AllocatorCache, type IdleReason } from './cache.js';
import { type Child, DrfTree, type FrameworkClient, type Group, type RoleNode } from './drf.js';
import { IndexedHeap } from './heap.js';
import { CycleQuota } from './headroom.js';

export { AllocatorCache } from './cache.js';

export interface AllocatorOptions {
  /** Mesos's --min_allocatable_resources: an offer must hold at least one of these (natural units). */
  readonly minAllocatable: readonly Readonly<Record<string, number>>[];
  /** Mesos's --filter_gpu_resources: agents with GPUs are offered only to GPU-aware frameworks. */
  readonly filterGpuResources: boolean;
}

/** The defaults, as Mesos's (cpus:0.01|mem:32, GPU filtering on). */
export const defaultAllocatorOptions = (): AllocatorOptions => ({
  minAllocatable: [{ cpus: 0.01 }, { mem: 32 }],
  filterGpuResources: true,
});

export interface OfferProposal {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly hostname: string;
  readonly role: string;
  readonly resources: Resources;
  /** The agent's machine is scheduled for maintenance. */
  readonly unavailability?: Unavailability | undefined;
}

export interface AllocationStats {
  /** Agents looked at in this cycle. */
  readonly candidates: number;
  /** Every agent was looked at (no cache, or the cache started over). */
  readonly full: boolean;
  /** Agents with free resources nobody took, after the cycle (with a cache). */
  readonly idle: number;
  readonly frameworks: number;
  readonly roles: number;
}

export interface Allocation {
  readonly offers: OfferProposal[];
  readonly stats: AllocationStats;
}

// ---------------------------------------------------------------------------------------------
// Small pieces

type MinAllocatable = readonly (readonly [string, number][])[];

function compileMin(min: AllocatorOptions['minAllocatable']): MinAllocatable {
  return min.map((m) => Object.entries(m).map(([k, v]) => [k, Math.round(v * 1000)] as [string, number]));
}

function allocatableCompiled(rs: Resources, min: MinAllocatable): boolean {
  if (rs.length === 0) return false;
  if (min.length === 0) return true;
  for (const m of min) {
    let ok = true;
    for (const [name, milli] of m) {
      let have = 0;
      for (const r of rs) if (r.name === name && r.type === 'SCALAR') have += Math.round(r.scalar * 1000);
      if (have < milli) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** allocatableCompiled of the resources of `rs` that `keep` accepts, without building the list. */
function allocatableWhere(rs: Resources, keep: (r: Resource) => boolean, min: MinAllocatable): boolean {
  let any = false;
  for (const r of rs) if (keep(r)) any = true;
  if (!any) return false;
  if (min.length === 0) return true;
  for (const m of min) {
    let ok = true;
    for (const [name, milli] of m) {
      let have = 0;
      for (const r of rs) if (r.name === name && r.type === 'SCALAR' && keep(r)) have += Math.round(r.scalar * 1000);
      if (have < milli) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** Does `rs` hold at least one of the minimums (Mesos's --min_allocatable_resources)? */
export function allocatable(rs: Resources, min: AllocatorOptions['minAllocatable']): boolean {
  return allocatableCompiled(rs, compileMin(min));
}

const isReserved = (r: Resource): boolean => r.reservations !== undefined && r.reservations.length > 0;
const isUnreserved = (r: Resource): boolean => r.reservations === undefined || r.reservations.length === 0;
/** Unreserved scalars that quota counts (cpus, mem, disk, gpus). */
const isQuotaScalar = (r: Resource): boolean => r.type === 'SCALAR' && !isReserved(r) && isQuantityName(r.name);

/** Cut the quota scalars of `rs` to `cap` (thousandths). */
function shrink(rs: Resources, cap: Quantities): Resources {
  return R.mapScalars(rs, (r) => {
    if (!isQuantityName(r.name)) return undefined;
    const c = cap[r.name];
    return Math.round(r.scalar * 1000) <= c ? undefined : Math.max(0, c);
  });
}

function minQ(a: Quantities | null, b: Quantities | null): Quantities | null {
  if (a === null) return b;
  if (b === null) return a;
  const out = zeroQ();
  for (const n of QUANTITY_NAMES) out[n] = Math.min(a[n], b[n]);
  return out;
}

/** Total cluster resources of the agents that are not removed (natural units), for metrics. */
export function clusterTotals(state: State): Record<(typeof QUANTITY_NAMES)[number], number> {
  const t = state.totals;
  return { cpus: t.cpus / 1000, mem: t.mem / 1000, disk: t.disk / 1000, gpus: t.gpus / 1000 };
}

/** May this framework get offers for this role at all (active, role not suppressed, role allowed)? */
export function wantsOffers(f: FrameworkState, role: string, settings: Pick<AllocatorSettings, 'roleWhitelist'>): boolean {
  if (f.status !== 'ACTIVE' || f.suppressedRoles.has(role)) return false;
  return settings.roleWhitelist === null || settings.roleWhitelist.includes(role);
}

/** The DRF tree of every framework role that may get offers now. */
export function buildTree(state: State, settings: Pick<AllocatorSettings, 'roleWhitelist'>): DrfTree {
  const tree = new DrfTree(state.totals, (role) => state.weights.get(role) ?? 1);
  for (const f of state.frameworks.values()) {
    if (f.status !== 'ACTIVE') continue;
    for (const role of f.info.roles) if (wantsOffers(f, role, settings)) tree.addClient(f, role, f.allocation.get(role), f.offerCounts.get(role));
  }
  tree.seal(state.roles);
  return tree;
}

// ---------------------------------------------------------------------------------------------
// One cycle

interface AgentOutcome {
  /** Free resources somebody could use are left. */
  idle: boolean;
  /** The earliest time a refuse filter that kept them idle expires (Infinity: none did). */
  filteredUntil: number;
  /** Quota limits or headroom cut or refused something. */
  quotaInvolved: boolean;
}

class Cycle {
  readonly offers: OfferProposal[] = [];
  readonly min: MinAllocatable;
  /** Stage 1: roles with unmet guarantees, lowest share first (kept in order as shares move). */
  private readonly guaranteed = new IndexedHeap<Guaranteed>((a, b) => {
    const x = a.node;
    const y = b.node;
    return x.share !== y.share ? x.share < y.share : x.allocations !== y.allocations ? x.allocations < y.allocations : x.name < y.name;
  });
  private readonly guaranteedOf = new Map<RoleNode, Guaranteed>();
  /** Some role was left out of the fair walk for quota: every agent walked since saw quota at work. */
  private droppedCapped = false;
  /** Children left out of a node's heap for the rest of the cycle (limits only shrink within a cycle). */
  private readonly droppedFrom = new Map<RoleNode, Child[]>();

  constructor(
    readonly state: State,
    readonly now: number,
    readonly settings: AllocatorOptions,
    readonly tree: DrfTree,
    readonly quota: CycleQuota,
  ) {
    this.min = compileMin(settings.minAllocatable);
    for (const role of quota.guaranteedRoles()) {
      const n = tree.nodes.get(role);
      if (n === undefined || n.children.size === 0) continue;
      const g: Guaranteed = { node: n, heapIndex: -1 };
      this.guaranteedOf.set(n, g);
      this.guaranteed.push(g);
    }
    if (this.guaranteedOf.size > 0) {
      tree.onShareChange = (n) => {
        const g = this.guaranteedOf.get(n);
        if (g !== undefined) this.guaranteed.update(g);
      };
    }
  }

  offerAgent(a: AgentState): AgentOutcome {
    const out: AgentOutcome = { idle: false, filteredUntil: Infinity, quotaInvolved: false };
    let pool = available(a);
    if (!allocatableCompiled(pool, this.min) && !pool.some(isReserved)) return out;
    const gpuAgent = R.scalar(a.resources, 'gpus') > 0;
    const machine = this.state.maintenance.machines.get(machineKey({ hostname: a.hostname }));
    const unavailability = machine?.mode === 'DRAINING' ? machine.unavailability : undefined;
    const ctx: AgentCtx = { a, gpuAgent, unavailability, out, pool };

    // Stage 1: unmet guarantees, lowest share first; a role whose guarantees are met leaves.
    if (this.guaranteed.size > 0 && this.unreservedAllocatable(ctx.pool)) {
      out.quotaInvolved = true;
      const popped: Guaranteed[] = [];
      for (let g = this.guaranteed.pop(); g !== undefined; g = this.guaranteed.pop()) {
        if (this.quota.unsatisfied(g.node.name) === null) continue;
        popped.push(g);
        if (this.walk(g.node, ctx, 'guarantee', () => !this.unreservedAllocatable(ctx.pool))) break;
      }
      for (const g of popped) if (this.quota.unsatisfied(g.node.name) !== null) this.guaranteed.push(g);
    }
    // Stage 2: fair share of what is unreserved (and the walkers' reservations with it) — unless the
    // headroom kept for guarantees leaves nothing worth offering of it to anyone.
    if (this.unreservedAllocatable(ctx.pool)) {
      if (this.belowMinimum(this.quota.surplus())) out.quotaInvolved = true;
      else this.walk(this.tree.root, ctx, 'fair', () => !this.unreservedAllocatable(ctx.pool), true);
    }
    // Reservations nobody took: each to its role's subtree.
    if (ctx.pool.some(isReserved)) {
      const owners = [...new Set(ctx.pool.filter(isReserved).map(R.reservedRole))].sort();
      const tops = owners.filter((o) => !owners.some((p) => p !== o && isAncestorOrSelf(p, o)));
      for (const owner of tops) {
        const node = this.tree.nodes.get(owner);
        if (node === undefined) continue;
        const mine = (pool: Resources): boolean => pool.some((r) => isReserved(r) && isAncestorOrSelf(owner, R.reservedRole(r)));
        this.walk(node, ctx, 'fair', (pool) => !mine(pool), false, true);
      }
    }
    if (this.droppedCapped) out.quotaInvolved = true;
    out.idle = allocatableCompiled(ctx.pool, this.min) || (ctx.pool.some(isReserved) && ctx.pool.length > 0 && this.reservedUsable(ctx.pool));
    return out;
  }

  /** Less than any minimum offer fits under this bound (null: no bound). */
  private belowMinimum(bound: Quantities | null): boolean {
    if (bound === null || this.min.length === 0) return false;
    return !this.min.some((alt) => alt.every(([name, milli]) => !isQuantityName(name) || bound[name] >= milli));
  }

  /** The role's quota limits (or an ancestor's) leave it less than any minimum offer of unreserved resources. */
  private capped(role: string): boolean {
    return this.quota.active && this.belowMinimum(this.quota.capFor(role));
  }

  private unreservedAllocatable(pool: Resources): boolean {
    return allocatableWhere(pool, isUnreserved, this.min);
  }

  /** Reserved resources left that some framework could use (their role has a node). */
  private reservedUsable(pool: Resources): boolean {
    for (const r of pool) if (isReserved(r) && this.tree.nodes.has(R.reservedRole(r))) return true;
    return false;
  }

  /**
   * Walk a node's subtree in DRF order, offering the agent's resources; stop when `done(pool)`.
   * Returns whether it stopped because of `done`.
   */
  private walk(node: RoleNode, ctx: AgentCtx, mode: Mode, done: (pool: Resources) => boolean, dropCapped = false, withDropped = false): boolean {
    const back = withDropped ? this.droppedFrom.get(node) : undefined;
    if (back !== undefined) for (const c of back) node.children.push(c);
    const popped: Child[] = [];
    let stop = false;
    while (!stop) {
      const c = node.children.pop();
      if (c === undefined) break;
      // A role its quota limits leave nothing worth offering of unreserved resources stays out of
      // this cycle's fair walk (limits only shrink within a cycle); its reservations are still
      // offered in the reservation pass, which walks the dropped nodes too.
      if (dropCapped && this.capped(c.kind === 'group' ? c.role : c.name)) {
        this.droppedCapped = true;
        const list = this.droppedFrom.get(node);
        if (list === undefined) this.droppedFrom.set(node, [c]);
        else list.push(c);
        continue;
      }
      popped.push(c);
      stop = c.kind === 'group' ? this.visitGroup(c, ctx, mode, done) : this.walk(c, ctx, mode, done, dropCapped, withDropped);
    }
    for (const c of popped) node.children.push(c);
    if (back !== undefined) for (const c of back) node.children.remove(c);
    return stop;
  }

  private visitGroup(g: Group, ctx: AgentCtx, mode: Mode, done: (pool: Resources) => boolean): boolean {
    const role = g.role;
    const mine = (r: Resource): boolean => allocatableTo(R.reservedRole(r), role);
    if (!allocatableWhere(ctx.pool, mine, this.min)) return false;
    if (mode === 'guarantee' && this.quota.unsatisfied(role) === null) return false;
    const popped: FrameworkClient[] = [];
    let stop = false;
    for (;;) {
      const c = g.clients.pop();
      if (c === undefined) break;
      popped.push(c);
      const r = this.tryClient(c, ctx, mode);
      if (r === 'OFFERED') {
        if (done(ctx.pool)) {
          stop = true;
          break;
        }
        if (!allocatableWhere(ctx.pool, mine, this.min)) break;
      } else if (r === 'ROLE_CAPPED') break;
    }
    for (const c of popped) g.clients.push(c);
    return stop;
  }

  private tryClient(c: FrameworkClient, ctx: AgentCtx, mode: Mode): 'OFFERED' | 'SKIPPED' | 'ROLE_CAPPED' {
    const f = c.framework;
    const role = c.role;
    if (ctx.gpuAgent && this.settings.filterGpuResources && !f.info.capabilities.includes('GPU_RESOURCES')) return 'SKIPPED';
    // The common case — no quota anywhere, nothing reserved left on the agent: all of it, as it is.
    if (!this.quota.active && ctx.pool.every(isUnreserved)) return this.offer(c, ctx, ctx.pool, null);
    const avail = R.filterResources(ctx.pool, (r) => allocatableTo(R.reservedRole(r), role));
    const quotaPart = R.filterResources(avail, isQuotaScalar);
    const always = R.filterResources(avail, (r) => !isQuotaScalar(r));
    let guaranteed: Resources = R.EMPTY;
    let additional: Resources = quotaPart;
    if (mode === 'guarantee') {
      const left = this.quota.unsatisfied(role);
      if (left === null) return 'ROLE_CAPPED';
      // Guarantees never take a role (or an ancestor) past its limits.
      guaranteed = shrink(quotaPart, minQ(left, this.quota.capFor(role))!);
      if (guaranteed.length === 0) return 'ROLE_CAPPED';
      additional = R.subtractClamped(quotaPart, guaranteed);
    }
    let cut = false;
    if (additional.length > 0) {
      const cap = this.quota.capFor(role);
      const gq = fromResources(guaranteed);
      const limit = cap === null ? null : { cpus: cap.cpus - gq.cpus, mem: cap.mem - gq.mem, disk: cap.disk - gq.disk, gpus: cap.gpus - gq.gpus };
      const bound = minQ(limit, this.quota.surplus());
      if (bound !== null) {
        const shrunk = shrink(additional, bound);
        cut = shrunk.length !== additional.length || shrunk.some((r, i) => r !== additional[i]);
        additional = shrunk;
      }
    }
    if (cut) ctx.out.quotaInvolved = true;
    const toOffer = R.add(guaranteed, additional, always);
    // Cut by quota to nothing useful: the rest of the role would be cut alike.
    if (!allocatableCompiled(toOffer, this.min)) return cut ? 'ROLE_CAPPED' : 'SKIPPED';
    const charged = zeroQ();
    addResourcesInto(charged, guaranteed);
    addResourcesInto(charged, additional, 1, isQuotaScalar);
    return this.offer(c, ctx, toOffer, charged);
  }

  /** Offer `toOffer` to the client unless its refuse filter covers it; charge quota with `charged`. */
  private offer(c: FrameworkClient, ctx: AgentCtx, toOffer: Resources, charged: Quantities | null): 'OFFERED' | 'SKIPPED' {
    const f = c.framework;
    const role = c.role;
    if (f.info.offerConstraints !== undefined && !agentPassesConstraints(f.info.offerConstraints, role, ctx.a)) return 'SKIPPED';
    const flt = f.filters.get(filterKey(ctx.a.id, role));
    if (flt !== undefined && flt.until > this.now && R.contains(flt.resources, toOffer)) {
      if (flt.until < ctx.out.filteredUntil) ctx.out.filteredUntil = flt.until;
      return 'SKIPPED';
    }
    this.offers.push({
      frameworkId: f.id,
      agentId: ctx.a.id,
      hostname: ctx.a.hostname,
      role,
      resources: toOffer,
      ...(ctx.unavailability !== undefined ? { unavailability: ctx.unavailability } : {}),
    });
    ctx.pool = toOffer === ctx.pool ? R.EMPTY : R.subtractClamped(ctx.pool, toOffer);
    this.tree.allocated(c, fromResources(toOffer));
    if (charged !== null) this.quota.charge(role, charged);
    return 'OFFERED';
  }
}

type Mode = 'guarantee' | 'fair';

/** A role with unmet guarantees in stage 1's heap. */
interface Guaranteed {
  readonly node: RoleNode;
  heapIndex: number;
}

interface AgentCtx {
  readonly a: AgentState;
  readonly gpuAgent: boolean;
  readonly unavailability: Unavailability | undefined;
  readonly out: AgentOutcome;
  pool: Resources;
}

const offerableAgent = (a: AgentState): boolean => a.status === 'ACTIVE' && !a.deactivated && a.drain === null && !a.gone;

/**
 * One allocation cycle. Without a cache every agent is looked at; with one, only those that
 * changed or whose reason to stay idle expired (the proposals are the same either way).
 */
export function runAllocation(state: State, now: number, opts: Partial<AllocatorOptions> = {}, cache?: AllocatorCache): Allocation {
  const settings: AllocatorOptions = {
    minAllocatable: opts.minAllocatable ?? state.allocator.minAllocatable,
    filterGpuResources: opts.filterGpuResources ?? state.allocator.filterGpuResources,
  };
  const settingsKey = JSON.stringify(settings);
  const j = state.journal;
  let full = cache === undefined;
  if (cache !== undefined && (cache.state !== state || j.base > cache.journalPos)) {
    cache.reset(state);
    full = true;
  }

  // The agents to look at, in the cluster's agent order.
  let candidates: AgentId[];
  const quota = new CycleQuota(state);
  const signature = quota.signature();
  if (full) {
    candidates = [...state.agents.keys()];
    if (cache !== undefined) for (const id of candidates) cache.orderOf(id);
  } else {
    const c = cache!;
    const set = new Set<AgentId>();
    for (let i = c.journalPos - j.base; i < j.agents.length; i++) {
      const id = j.agents[i]!;
      c.orderOf(id);
      set.add(id);
    }
    for (const id of c.proposed) set.add(id);
    for (const id of c.due(now)) set.add(id);
    if (j.global !== c.global || settingsKey !== c.settingsKey) for (const id of c.idle.keys()) set.add(id);
    else if (signature !== c.quotaSignature) for (const id of c.quotaBlocked) set.add(id);
    candidates = [...set].sort((x, y) => c.orderOf(x) - c.orderOf(y));
  }
  if (cache !== undefined) {
    cache.journalPos = j.base + j.agents.length;
    cache.global = j.global;
    cache.settingsKey = settingsKey;
    cache.proposed = new Set();
  }

  const tree = buildTree(state, state.allocator);
  const cycle = new Cycle(state, now, settings, tree, quota);
  for (const id of candidates) {
    const a = state.agents.get(id);
    if (a === undefined) continue;
    let out: AgentOutcome;
    if (!offerableAgent(a)) out = { idle: false, filteredUntil: Infinity, quotaInvolved: false };
    else if (tree.clients.length === 0) out = { idle: allocatableCompiled(available(a), cycle.min), filteredUntil: Infinity, quotaInvolved: false };
    else {
      const before = cycle.offers.length;
      out = cycle.offerAgent(a);
      if (cycle.offers.length > before) cache?.proposed.add(id);
    }
    if (cache === undefined) continue;
    cache.quotaBlocked.delete(id);
    if (!out.idle) {
      cache.idle.delete(id);
      continue;
    }
    const reason: IdleReason = out.quotaInvolved ? 'QUOTA' : out.filteredUntil !== Infinity ? 'FILTERED' : 'NOBODY';
    cache.idle.set(id, reason);
    if (out.quotaInvolved) cache.quotaBlocked.add(id);
    if (out.filteredUntil !== Infinity) cache.recheckAt(out.filteredUntil, id);
  }
  // What quota looked like once this cycle's offers were charged: if the next cycle starts from
  // something else (offers declined, tasks ended), agents held back by quota are looked at again.
  if (cache !== undefined) cache.quotaSignature = quota.signature();
  return {
    offers: cycle.offers,
    stats: {
      candidates: candidates.length,
      full,
      idle: cache?.idle.size ?? 0,
      frameworks: tree.clients.length,
      roles: tree.nodes.size - 1,
    },
  };
}

/** The proposals of one full cycle (no cache). */
export function allocate(state: State, now: number, opts: Partial<AllocatorOptions> = {}): OfferProposal[] {
  return runAllocation(state, now, opts).offers;
}

export { DrfTree, dominantShare } from './drf.js';
export type { Quantities };
