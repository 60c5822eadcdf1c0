/**
 * Why a framework's demand is not met: a pure look at the state from the framework's side, in the
 * allocator's own terms. The demand is what the framework asked for with REQUEST (or the SDK's
 * `request`), or, for a framework that stated none, "anything worth offering" (the minimum
 * allocatable) when it wants offers, holds none and has not declined any.
 *
 * For each request the agents are counted by the first reason each cannot serve it now: not
 * available (deactivated, draining, disconnected, down for maintenance), too small even when empty,
 * big enough only with resources reserved for other roles, GPU agents the framework may not use,
 * refused by the framework (a filter), or busy (its free resources are used or offered to others).
 * Then the role's quota (limit reached, or headroom kept for other roles' guarantees), suppression
 * and the role whitelist. The result is a short list of reasons with counts: recorded in the log
 * (DemandUnmet) only when the set of reasons changes, and printed by `mesos replay why-pending`.
 */
import type { AgentId, Resources } from '../../../events/index.js';
import { available } from '../accounts.js';
import { coversQ, fromResources, fromMilli, type Quantities, QUANTITY_NAMES } from '../quantities.js';
import * as R from '../resources.js';
import { allocatableTo } from '../roles.js';
import { type DemandEntry, filterKey, type FrameworkState, type PendingReason, type State } from '../state.js';
import { CycleQuota } from './headroom.js';
import { wantsOffers } from './index.js';

export interface Demand {
  /** Not stated by the framework: it wants offers and gets none ("anything worth offering"). */
  readonly implicit?: boolean;
  readonly name?: string | undefined;
  readonly role: string;
  readonly agentId?: AgentId | undefined;
  readonly resources: Resources;
}

/** The demand to explain for a framework (explicit requests, or the implicit "anything"), or none. */
export function demandOf(state: State, f: FrameworkState): Demand[] {
  const role0 = f.info.roles[0] ?? '*';
  if (f.demand.length > 0) return f.demand.map((d: DemandEntry) => ({ name: d.name, role: d.role ?? role0, agentId: d.agentId, resources: d.resources }));
  if (f.status !== 'ACTIVE' || f.offerIds.size > 0 || f.filters.size > 0) return [];
  const min = state.allocator.minAllocatable[0] ?? { cpus: 0.01 };
  const anything: Resources = R.normalise(Object.entries(min).map(([name, scalar]) => ({ name, type: 'SCALAR' as const, scalar })));
  return f.info.roles.filter((r) => !f.suppressedRoles.has(r)).map((role) => ({ role, resources: anything, name: '(any offer)', implicit: true }));
}

/** Is the demand met by an outstanding offer of the framework (in its role, on its agent)? */
export function offeredFor(state: State, f: FrameworkState, d: Demand): boolean {
  const need = fromResources(d.resources);
  for (const id of f.offerIds) {
    const o = state.offers.get(id);
    if (o === undefined || o.role !== d.role || (d.agentId !== undefined && o.agentId !== d.agentId)) continue;
    if (coversQ(fromResources(o.resources), need)) return true;
  }
  return false;
}

const describe = (d: Demand): string => d.name ?? R.format(d.resources);

/** The resource of `need` that `have` lacks most (by fraction), for messages. */
function shortOf(have: Quantities, need: Quantities): string | undefined {
  let worst: string | undefined;
  let ratio = Infinity;
  for (const n of QUANTITY_NAMES) {
    if (need[n] <= 0 || have[n] >= need[n]) continue;
    const r = have[n] / need[n];
    if (r < ratio) {
      ratio = r;
      worst = n;
    }
  }
  return worst;
}

/** Explain one framework's unmet demand (empty: nothing in the way, or nothing is wanted). */
export function explainPending(state: State, now: number, f: FrameworkState, demand: readonly Demand[] = demandOf(state, f)): PendingReason[] {
  const reasons: PendingReason[] = [];
  const quota = new CycleQuota(state);
  for (const d of demand) {
    if (offeredFor(state, f, d)) continue;
    for (const r of explainOne(state, now, f, d, quota)) {
      // Nothing stands in the way of an implicit demand that some agent could serve now: the next
      // cycle serves it. Only what blocks it is worth recording.
      if (d.implicit === true && r.code === 'LOWER_IN_FAIR_SHARE') continue;
      reasons.push(r);
    }
  }
  return reasons;
}

function explainOne(state: State, now: number, f: FrameworkState, d: Demand, quota: CycleQuota): PendingReason[] {
  const what = describe(d);
  const base = { role: d.role, demand: what };
  if (f.status !== 'ACTIVE') {
    return [{ code: 'FRAMEWORK_INACTIVE', message: `framework ${f.id} is ${f.status === 'INACTIVE' ? 'disconnected' : 'removed'}: it gets no offers until it subscribes again`, ...base }];
  }
  if (!f.info.roles.includes(d.role)) {
    return [{ code: 'ROLE_NOT_ALLOWED', message: `framework ${f.id} is not subscribed with role '${d.role}'`, ...base }];
  }
  if (f.suppressedRoles.has(d.role)) {
    return [{ code: 'FRAMEWORK_SUPPRESSED', message: `framework ${f.id} suppressed offers for role '${d.role}' (REVIVE to get offers again)`, ...base }];
  }
  if (!wantsOffers(f, d.role, state.allocator)) {
    return [{ code: 'ROLE_NOT_ALLOWED', message: `role '${d.role}' is not in the master's --roles whitelist`, ...base }];
  }
  const need = fromResources(d.resources);
  const out: PendingReason[] = [];
  // Quota: the role's limits (and its ancestors'), and the headroom other roles' guarantees need.
  const cap = quota.capFor(d.role);
  if (cap !== null && !coversQ(cap, need)) {
    const short = shortOf(cap, need)!;
    out.push({
      code: 'QUOTA_LIMIT',
      message: `role '${d.role}' (or an ancestor) has reached its quota limit: ${fromMilli(Math.max(0, cap[short as keyof Quantities]))} ${short} left under it, ${what} needs ${fromMilli(need[short as keyof Quantities])}`,
      resource: short,
      ...base,
    });
  }
  const surplus = quota.surplus();
  if (surplus !== null && quota.unsatisfied(d.role) === null && !coversQ(surplus, need)) {
    const short = shortOf(surplus, need)!;
    out.push({
      code: 'QUOTA_HEADROOM',
      message: `unreserved ${short} is held back so that other roles' quota guarantees can be met (${fromMilli(surplus[short as keyof Quantities])} left to share)`,
      resource: short,
      ...base,
    });
  }
  // The agents, each counted once by the first thing in the way.
  let unavailable = 0;
  let tooSmall = 0;
  let reservedElsewhere = 0;
  let gpuOnly = 0;
  let filtered = 0;
  let busy = 0;
  let could = 0;
  let considered = 0;
  const largest: Quantities = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const gpuCapable = f.info.capabilities.includes('GPU_RESOURCES');
  const agents = d.agentId !== undefined ? [state.agents.get(d.agentId)].filter((a) => a !== undefined) : state.agents.values();
  for (const a of agents) {
    if (a.status === 'REMOVED') continue;
    considered++;
    if (a.status !== 'ACTIVE' || a.deactivated || a.drain !== null || a.gone) {
      unavailable++;
      continue;
    }
    const mine = fromResources(a.resources.filter((r) => allocatableTo(R.reservedRole(r), d.role)));
    for (const n of QUANTITY_NAMES) if (mine[n] > largest[n]) largest[n] = mine[n];
    if (!coversQ(mine, need)) {
      if (coversQ(fromResources(a.resources), need)) reservedElsewhere++;
      else tooSmall++;
      continue;
    }
    if (state.allocator.filterGpuResources && !gpuCapable && R.scalar(a.resources, 'gpus') > 0) {
      gpuOnly++;
      continue;
    }
    const flt = f.filters.get(filterKey(a.id, d.role));
    if (flt !== undefined && flt.until > now) {
      filtered++;
      continue;
    }
    const free = fromResources(available(a).filter((r) => allocatableTo(R.reservedRole(r), d.role)));
    if (!coversQ(free, need)) {
      busy++;
      continue;
    }
    could++;
  }
  const of = (n: number): string => `${n} of ${considered} agent${considered === 1 ? '' : 's'}`;
  if (d.agentId !== undefined && considered === 0) {
    out.push({ code: 'AGENT_NOT_FOUND', message: `agent ${d.agentId} is not in the cluster`, agents: 0, ...base });
  }
  if (considered > 0 && tooSmall === considered - unavailable && tooSmall > 0) {
    const short = shortOf(largest, need) ?? 'resources';
    const have = short in largest ? fromMilli(largest[short as keyof Quantities]) : 0;
    out.push({
      code: 'NO_AGENT_LARGE_ENOUGH',
      message: `no agent has enough ${short} for ${what}: it needs ${fromMilli(need[short as keyof Quantities] ?? 0)}, the largest ${short} any agent offers role '${d.role}' is ${have}`,
      agents: tooSmall,
      resource: short,
      ...base,
    });
  } else if (tooSmall > 0 && could === 0) {
    out.push({ code: 'NO_AGENT_LARGE_ENOUGH', message: `${of(tooSmall)} are too small for ${what} even when empty`, agents: tooSmall, ...base });
  }
  if (reservedElsewhere > 0 && could === 0) {
    out.push({ code: 'RESERVED_FOR_OTHER_ROLE', message: `${of(reservedElsewhere)} would fit ${what} only with resources reserved for other roles`, agents: reservedElsewhere, ...base });
  }
  if (unavailable > 0 && could === 0) {
    out.push({ code: 'AGENTS_UNAVAILABLE', message: `${of(unavailable)} are unavailable (disconnected, deactivated, draining or in maintenance)`, agents: unavailable, ...base });
  }
  if (gpuOnly > 0 && could === 0) {
    out.push({ code: 'GPU_AGENTS_ONLY', message: `${of(gpuOnly)} have GPUs and the framework is not GPU_RESOURCES-capable`, agents: gpuOnly, ...base });
  }
  if (filtered > 0 && could === 0) {
    out.push({ code: 'FILTERED', message: `the framework declined ${of(filtered)} with a refuse filter that has not expired (REVIVE clears it)`, agents: filtered, ...base });
  }
  if (busy > 0 && could === 0) {
    out.push({ code: 'RESOURCES_IN_USE', message: `${of(busy)} could fit ${what} but their resources are used or offered to other frameworks`, agents: busy, ...base });
  }
  if (could > 0 && out.length === 0) {
    out.push({
      code: 'LOWER_IN_FAIR_SHARE',
      message: `${of(could)} could serve ${what} now; other frameworks or roles come first in the fair-share order, or the next allocation cycle has not run yet`,
      agents: could,
      ...base,
    });
  }
  return out;
}

/** The identity of a set of reasons (codes, roles, demands; not counts), to record only changes. */
export const reasonsKey = (rs: readonly PendingReason[]): string =>
  rs
    .map((r) => `${r.code}|${r.role ?? ''}|${r.demand ?? ''}`)
    .sort()
    .join('\n');
