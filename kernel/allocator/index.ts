/**
 * The allocator: a pure function of (state, now) that proposes offers. It never mutates the state;
 * the leader appends its proposals as OffersCreated events, and the fold (not the allocator) is
 * the arbiter of whether they hold.
 *
 * This is the first cut of Mesos's hierarchical DRF: frameworks are sorted by dominant share
 * (used + offered, over the cluster's total), and each agent's available resources go, whole, to
 * the neediest framework that has not refused them (refuse filters), is not suppressed and can use
 * them (GPU agents only to GPU-aware frameworks). Roles, weights, quota and reservations beyond
 * "unreserved or reserved for the framework's role" arrive with the allocator issue.
 */
import type { AgentId, FrameworkId, Resources } from '../../events/index.js';
import { available } from '../projection.js';
import * as R from '../resources.js';
import type { AgentState, FrameworkState, State } from '../state.js';
import { DrfSorter, type Quantities, zeroQuantities } from './drf.js';

export interface AllocatorOptions {
  /** Mesos's --min_allocatable_resources: an offer must hold at least one of these (default cpus:0.01|mem:32). */
  readonly minAllocatable: readonly Partial<Quantities>[];
  /** Mesos's --filter_gpu_resources: agents with GPUs are offered only to GPU-aware frameworks. */
  readonly filterGpuResources: boolean;
}

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
}

export function quantities(rs: Resources): Quantities {
  return { cpus: R.scalar(rs, 'cpus'), mem: R.scalar(rs, 'mem'), disk: R.scalar(rs, 'disk'), gpus: R.scalar(rs, 'gpus') };
}

function addInto(q: Quantities, rs: Resources): void {
  for (const r of rs) if (r.type === 'SCALAR' && r.name in q) q[r.name as keyof Quantities] += r.scalar;
}

export function allocatable(rs: Resources, min: AllocatorOptions['minAllocatable']): boolean {
  if (rs.length === 0) return false;
  if (min.length === 0) return true;
  const q = quantities(rs);
  return min.some((m) => Object.entries(m).every(([k, v]) => q[k as keyof Quantities] >= (v ?? 0)));
}

/** The part of an agent's free resources a framework in `role` may be offered. */
function offerableTo(avail: Resources, role: string): Resources {
  return avail.filter((r) => {
    const owner = R.reservedRole(r);
    return owner === '*' || owner === role || owner.startsWith(`${role}/`);
  });
}

function refused(f: FrameworkState, agentId: AgentId, rs: Resources, now: number): boolean {
  const flt = f.filters.get(agentId);
  return flt !== undefined && flt.until > now && R.contains(flt.resources, rs);
}

export function clusterTotals(state: State): Quantities {
  const q = zeroQuantities();
  for (const a of state.agents.values()) if (a.status === 'ACTIVE') addInto(q, a.resources);
  return q;
}

export function allocate(state: State, now: number, opts: AllocatorOptions = defaultAllocatorOptions()): OfferProposal[] {
  const candidates: FrameworkState[] = [];
  for (const f of state.frameworks.values()) if (f.status === 'ACTIVE' && !f.suppressed) candidates.push(f);
  if (candidates.length === 0) return [];

  const sorter = new DrfSorter(clusterTotals(state));
  const byId = new Map<string, FrameworkState>();
  for (const f of candidates) {
    const q = zeroQuantities();
    addInto(q, f.used);
    addInto(q, f.offered);
    sorter.add(f.id, q);
    byId.set(f.id, f);
  }

  const proposals: OfferProposal[] = [];
  for (const agent of state.agents.values()) {
    if (agent.status !== 'ACTIVE') continue;
    const avail = available(agent);
    if (!allocatable(avail, opts.minAllocatable)) continue;
    const proposal = pickFramework(sorter, byId, agent, avail, now, opts);
    if (proposal !== undefined) proposals.push(proposal);
  }
  return proposals;
}

function pickFramework(
  sorter: DrfSorter,
  byId: ReadonlyMap<string, FrameworkState>,
  agent: AgentState,
  avail: Resources,
  now: number,
  opts: AllocatorOptions,
): OfferProposal | undefined {
  const skipped = [];
  let result: OfferProposal | undefined;
  const agentHasGpus = R.scalar(agent.resources, 'gpus') > 0;
  for (let c = sorter.pop(); c !== undefined; c = sorter.pop()) {
    const f = byId.get(c.id)!;
    const role = f.info.roles[0] ?? '*';
    const rs = offerableTo(avail, role);
    const gpuBlocked = opts.filterGpuResources && agentHasGpus && !f.info.capabilities.includes('GPU_RESOURCES');
    if (gpuBlocked || !allocatable(rs, opts.minAllocatable) || refused(f, agent.id, rs, now)) {
      skipped.push(c);
      continue;
    }
    sorter.allocate(c, quantities(rs));
    skipped.push(c);
    result = { frameworkId: f.id, agentId: agent.id, hostname: agent.hostname, role, resources: rs };
    break;
  }
  for (const c of skipped) sorter.push(c);
  return result;
}
