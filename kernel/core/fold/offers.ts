/**
 * The fold of offers: offers created by an allocation cycle, declines and the refuse filters they
 * leave, what may be offered at all.
 */
import { type AgentId, type EventOf, type Filters, type Resources } from '../../../events/index.js';
import { type AgentState, type FrameworkState, type OfferState, type State, filterKey } from '../state.js';
import { addOffer, available, retireOffer } from '../accounts.js';
import { allAllocatableTo } from '../reservations.js';
import * as R from '../resources.js';

export function offersCreated(state: State, e: EventOf<'OffersCreated'>): State {
  const f = state.frameworks.get(e.frameworkId);
  for (const o of e.offers) {
    const a = state.agents.get(o.agentId);
    const resources = R.normalise(o.resources);
    const valid =
      f !== undefined &&
      f.status === 'ACTIVE' &&
      f.info.roles.includes(o.role) &&
      !state.offers.has(o.offerId) &&
      !state.retiredOffers.has(o.offerId) &&
      a !== undefined &&
      offerable(a) &&
      resources.length > 0 &&
      allAllocatableTo(resources, o.role) &&
      R.contains(available(a), resources);
    if (!valid) {
      state.counters.offersInvalid++;
      continue;
    }
    const offer: OfferState = {
      id: o.offerId,
      frameworkId: e.frameworkId,
      agentId: o.agentId,
      hostname: o.hostname,
      role: o.role,
      resources,
      createdAt: e.time,
      expiresAt: o.expiresAt ?? null,
      epoch: e.epoch,
    };
    addOffer(state, offer);
    state.counters.offersCreated++;
  }
  return state;
}

/** May the agent's resources be offered at all? (Connected, not deactivated, draining or gone.) */
export const offerable = (a: AgentState): boolean => a.status === 'ACTIVE' && !a.deactivated && a.drain === null && !a.gone;

/** Expired filters are swept when a framework's map reaches this size, then twice the size left. */
export const FILTER_SWEEP_MIN = 64;

/**
 * A refuse filter for (agent, role). Expired filters are dropped in a sweep whenever the map has
 * doubled since the last one, so adding a filter costs O(1) amortised (declining 10,000 offers at
 * once is 10,000 filters, not 10,000 scans of the map).
 */
export function addFilter(f: FrameworkState, agentId: AgentId, role: string, resources: Resources, filters: Filters, now: number): void {
  const secs = filters.refuseSeconds;
  if (secs === 0 || resources.length === 0) return;
  if (f.filters.size >= f.filterSweepAt) {
    for (const [k, flt] of f.filters) if (flt.until <= now) f.filters.delete(k);
    f.filterSweepAt = Math.max(FILTER_SWEEP_MIN, 2 * f.filters.size);
  }
  f.filters.set(filterKey(agentId, role), { resources, until: now + Math.round(secs * 1000) });
}

export function offersDeclined(state: State, e: EventOf<'OffersDeclined'>): State {
  state.counters.declineCalls++;
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined) return state;
  // Usually one offer per agent and role: its resources are the filter's (no copy, no sum).
  const byAgentRole = new Map<string, { agentId: AgentId; role: string; res: Resources }>();
  for (const id of new Set(e.offerIds)) {
    const o = state.offers.get(id);
    if (o === undefined || o.frameworkId !== f.id) continue;
    retireOffer(state, o, 'DECLINED');
    const k = filterKey(o.agentId, o.role);
    const had = byAgentRole.get(k);
    byAgentRole.set(k, { agentId: o.agentId, role: o.role, res: had === undefined ? o.resources : R.add(had.res, o.resources) });
    state.counters.offersDeclined++;
  }
  for (const x of byAgentRole.values()) addFilter(f, x.agentId, x.role, x.res, e.filters, e.time);
  return state;
}
