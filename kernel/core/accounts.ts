/**
 * The fold's bookkeeping of who holds what: an agent's used and offered resources, a framework's
 * (in total and per role), each role's account (allocated, reserved), the cluster's totals, and the
 * allocator journal. Every change of these goes through here, so the aggregates the allocator reads
 * stay equal to what recomputing them from the tasks, offers and agents would give (a property the
 * unit tests check). Mutates the state it is given, as evolve does; deterministic.
 */
import type { AgentId, Draft, FrameworkId, Resources } from '../../events/index.js';
import { addInto, addResourcesInto, isZeroQ, type Quantities, zeroQ } from './quantities.js';
import * as R from './resources.js';
import {
  type AgentState,
  type FrameworkState,
  LIMITS,
  newRoleAccount,
  type OfferState,
  type RetiredOffer,
  type RoleAccount,
  type State,
} from './state.js';

/** What an agent can still offer: total − used − offered. */
export function available(a: AgentState): Resources {
  return R.subtractClamped(R.subtractClamped(a.resources, a.used), a.offered);
}

const isReserved = (r: { reservations?: readonly unknown[] | undefined }): boolean => r.reservations !== undefined && r.reservations.length > 0;

// ---------------------------------------------------------------------------------------------
// Journal

/** The journal is trimmed when it holds more than this many entries per agent (and at least 4096). */
const JOURNAL_PER_AGENT = 4;

/** The agent's free resources, status or reservations changed: the allocator looks at it again. */
export function touch(state: State, agentId: AgentId): void {
  const j = state.journal;
  j.agents.push(agentId);
  const max = Math.max(4096, JOURNAL_PER_AGENT * state.agents.size);
  if (j.agents.length > max) {
    const drop = j.agents.length >> 1;
    j.agents.splice(0, drop);
    j.base += drop;
  }
}

/** Something that concerns every agent changed (a framework may want offers again, weights, quota, …). */
export function touchAll(state: State): void {
  state.journal.global++;
}

// ---------------------------------------------------------------------------------------------
// Roles

export function roleAccount(state: State, role: string): RoleAccount {
  let acc = state.roles.get(role);
  if (acc === undefined) {
    acc = newRoleAccount();
    state.roles.set(role, acc);
  }
  return acc;
}

/** Forget a role that holds nothing and that nobody configured. */
export function forgetRoleIfIdle(state: State, role: string): void {
  const acc = state.roles.get(role);
  if (acc === undefined) return;
  if (acc.frameworks.size > 0 || !isZeroQ(acc.allocated) || !isZeroQ(acc.reserved)) return;
  if (state.weights.has(role) || state.quotas.has(role)) return;
  state.roles.delete(role);
}

function frameworkAllocation(f: FrameworkState, role: string): Quantities {
  let q = f.allocation.get(role);
  if (q === undefined) {
    q = zeroQ();
    f.allocation.set(role, q);
  }
  return q;
}

/** used + offered of a role changed by ±rs (framework's per-role allocation and the role's account). */
function allocate(state: State, f: FrameworkState | undefined, role: string, rs: Resources, sign: 1 | -1, offer: boolean): void {
  if (f !== undefined) {
    const q = addResourcesInto(frameworkAllocation(f, role), rs, sign);
    if (isZeroQ(q)) f.allocation.delete(role);
  }
  const acc = roleAccount(state, role);
  addResourcesInto(acc.allocated, rs, sign);
  addResourcesInto(acc.allocatedReserved, rs, sign, isReserved);
  if (offer) {
    addResourcesInto(acc.offered, rs, sign);
    addResourcesInto(acc.offeredReserved, rs, sign, isReserved);
  }
  if (sign === -1) forgetRoleIfIdle(state, role);
}

// ---------------------------------------------------------------------------------------------
// Agents' totals and reservations

/** Add (1) or take away (−1) an agent's resources from the cluster totals and the roles' reservations. */
export function countAgent(state: State, a: AgentState, sign: 1 | -1): void {
  addResourcesInto(state.totals, a.resources, sign);
  for (const r of a.resources) {
    if (!isReserved(r) || r.type !== 'SCALAR') continue;
    const role = R.reservedRole(r);
    const acc = roleAccount(state, role);
    addResourcesInto(acc.reserved, [r], sign);
    if (sign === -1) forgetRoleIfIdle(state, role);
  }
}

/** Replace an agent's total resources (keeping the aggregates right) and let the allocator know. */
export function setAgentResources(state: State, a: AgentState, resources: Resources): void {
  const counted = a.status !== 'REMOVED';
  if (counted) countAgent(state, a, -1);
  a.resources = resources;
  if (counted) countAgent(state, a, 1);
  touch(state, a.id);
}

// ---------------------------------------------------------------------------------------------
// Tasks and executors: used resources

/** Resources of a task or executor start (sign 1) or stop (−1) being used. */
export function use(state: State, agentId: AgentId, frameworkId: FrameworkId, role: string, rs: Resources, sign: 1 | -1): void {
  const a = state.agents.get(agentId);
  if (a !== undefined) {
    a.used = sign === 1 ? R.add(a.used, rs) : R.subtractClamped(a.used, rs);
    touch(state, agentId);
  }
  const f = state.frameworks.get(frameworkId);
  if (f !== undefined) f.used = sign === 1 ? R.add(f.used, rs) : R.subtractClamped(f.used, rs);
  allocate(state, f, role, rs, sign, false);
}

// ---------------------------------------------------------------------------------------------
// Offers

export function addOffer(state: State, o: OfferState): void {
  state.offers.set(o.id, o);
  const a = state.agents.get(o.agentId);
  if (a !== undefined) {
    a.offered = R.add(a.offered, o.resources);
    a.offerIds.add(o.id);
    touch(state, a.id);
  }
  const f = state.frameworks.get(o.frameworkId);
  if (f !== undefined) {
    f.offered = R.add(f.offered, o.resources);
    f.offerIds.add(o.id);
    f.offerCounts.set(o.role, (f.offerCounts.get(o.role) ?? 0) + 1);
  }
  allocate(state, f, o.role, o.resources, 1, true);
  roleAccount(state, o.role).offers++;
}

/**
 * Keep the newest `limit` entries of a map once it holds twice as many (amortised O(1): deleting
 * its oldest entry one at a time would make every later "oldest" lookup step over the deleted
 * slots, which V8 keeps until the map is rebuilt).
 */
export function trimOldest<K, V>(m: Map<K, V>, limit: number): void {
  if (m.size <= 2 * limit) return;
  const keep = [...m].slice(m.size - limit);
  m.clear();
  for (const [k, v] of keep) m.set(k, v);
}

export function retireOffer(state: State, o: OfferState, why: RetiredOffer): void {
  state.offers.delete(o.id);
  state.retiredOffers.set(o.id, why);
  trimOldest(state.retiredOffers, LIMITS.retiredOffers);
  const a = state.agents.get(o.agentId);
  if (a !== undefined) {
    a.offered = R.subtractClamped(a.offered, o.resources);
    a.offerIds.delete(o.id);
    touch(state, a.id);
  }
  const f = state.frameworks.get(o.frameworkId);
  if (f !== undefined) {
    f.offered = R.subtractClamped(f.offered, o.resources);
    f.offerIds.delete(o.id);
  }
  allocate(state, f, o.role, o.resources, -1, true);
}

/** Retire offers and owe each ACTIVE framework that held some one OffersRescinded. */
export function rescindOffers(state: State, offers: Iterable<OfferState>, causeId: string, reason: EventRescindReason): void {
  const byFramework = new Map<FrameworkId, OfferState['id'][]>();
  for (const o of [...offers]) {
    retireOffer(state, o, 'RESCINDED');
    let ids = byFramework.get(o.frameworkId);
    if (ids === undefined) byFramework.set(o.frameworkId, (ids = []));
    ids.push(o.id);
  }
  for (const [frameworkId, offerIds] of byFramework) {
    const fw = state.frameworks.get(frameworkId);
    if (fw?.status !== 'ACTIVE') continue;
    owe(state, { type: 'OffersRescinded', id: `rescind-${causeId}-${frameworkId}`, frameworkId, offerIds, reason });
  }
}

export type EventRescindReason = Extract<Draft, { type: 'OffersRescinded' }>['reason'];

// ---------------------------------------------------------------------------------------------
// Frameworks' roles

/** Record a framework under its roles (after subscribing, or a change of roles). */
export function joinRoles(state: State, f: FrameworkState, before: readonly string[]): void {
  for (const r of before) if (!f.info.roles.includes(r)) {
    state.roles.get(r)?.frameworks.delete(f.id);
    forgetRoleIfIdle(state, r);
  }
  for (const r of f.info.roles) roleAccount(state, r).frameworks.add(f.id);
}

export function leaveRoles(state: State, f: FrameworkState): void {
  for (const r of f.info.roles) {
    state.roles.get(r)?.frameworks.delete(f.id);
    forgetRoleIfIdle(state, r);
  }
}

// ---------------------------------------------------------------------------------------------
// The outbox

export function owe(state: State, d: Draft): void {
  state.outbox.set(d.id, d);
}

/** Remember why the fold refused an operator's call (the API answers with it). */
export function refuseOperator(state: State, eventId: string, why: string): void {
  state.operatorRefusals.set(eventId, why);
  trimOldest(state.operatorRefusals, LIMITS.operatorRefusals);
}

/**
 * A role's quota consumption: its reservations plus the unreserved resources it holds. With
 * `offered` (the allocator's view, which must not offer past a limit) that includes what it is
 * offered; without (Mesos's `consumed` in UPDATE_QUOTA's check and /roles), only what its tasks use.
 */
export function consumption(acc: RoleAccount, offered = true): Quantities {
  const q = zeroQ();
  addInto(q, acc.reserved);
  addInto(q, acc.allocated);
  addInto(q, acc.allocatedReserved, -1);
  if (!offered) {
    addInto(q, acc.offered, -1);
    addInto(q, acc.offeredReserved);
  }
  return q;
}
