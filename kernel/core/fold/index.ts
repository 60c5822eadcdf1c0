/**
 * The fold: `evolve(state, event) -> state`. Deterministic: no clock (time comes from the event),
 * no randomness, no I/O, the same result on every replica. Inputs are validated here, against the
 * state at this point of the log, so log order decides every race: an accept naming an offer that
 * was rescinded earlier in the log is refused by every replica alike. It never throws on an event
 * that passed its schema; a refusal that a party must hear about goes to the outbox.
 *
 * This file dispatches each event to the fold of the concept it concerns: agents.ts, frameworks.ts,
 * offers.ts (offers, filters, declines), accept.ts (validating and applying an accept), tasks.ts
 * (kills, status updates, the task state machine), allocation.ts (quota, weights, reservations,
 * volumes, maintenance, draining: the operator's decisions).
 *
 * See ../state.ts for the ownership rule (the given state is updated in place and returned).
 */
import { type ClusterEvent, type EventOf, epochOf } from '../../../events/index.js';
import { type FrameworkState, type State, initialState } from '../state.js';
import { rescindOffers, retireOffer, touchAll } from '../accounts.js';
import { foldAllocationEvent, isAllocationEvent } from './allocation.js';
import { offersAccepted } from './accept.js';
import { agentDisconnected, agentRegistered, agentRemoved } from './agents.js';
import { frameworkDisconnected, frameworkRemoved, frameworkSubscribed } from './frameworks.js';
import { offersCreated, offersDeclined } from './offers.js';
import { executorExited, executorMessageSent, frameworkMessageSent } from './executors.js';
import { statusAcknowledged, taskKillRequested, taskStatusUpdated } from './tasks.js';

export { initialState };
export { available, owe } from '../accounts.js';

/** Mesos's default refuse filter; publishers resolve it (events/filters.ts), events carry the value. */
export { DEFAULT_REFUSE_SECONDS } from '../../../events/index.js';

export function evolve(state: State, e: ClusterEvent): State {
  // Fencing: a decision from another epoch than the current leader's has no effect at all, and an
  // election must raise the epoch.
  const epoch = epochOf(e);
  const stale = e.type === 'LeaderElected' ? e.epoch <= state.epoch : epoch !== undefined && epoch !== state.epoch;
  if (stale) {
    state.counters.staleDecisionsIgnored++;
    return state;
  }
  state.counters.eventsFolded++;
  if (e.time > state.time) state.time = e.time;
  // An owed event is marked sent when the leader's copy of it is folded (same id, same type).
  const wasOwed = epoch !== undefined && state.outbox.get(e.id)?.type === e.type;
  if (wasOwed) state.outbox.delete(e.id);

  switch (e.type) {
    case 'LeaderElected':
      return leaderElected(state, e);
    case 'AgentRegistered':
      return agentRegistered(state, e, false);
    case 'AgentReregistered':
      return agentRegistered(state, e, true);
    case 'AgentDisconnected':
      return agentDisconnected(state, e.agentId, e.id);
    case 'AgentRemoved':
      return agentRemoved(state, e);
    case 'FrameworkSubscribed':
      return frameworkSubscribed(state, e);
    case 'FrameworkDisconnected':
      return frameworkDisconnected(state, e);
    case 'FrameworkRemoved':
      return frameworkRemoved(state, e);
    case 'OffersCreated':
      return offersCreated(state, e);
    case 'OffersRescinded':
      for (const id of e.offerIds) {
        const o = state.offers.get(id);
        if (o !== undefined && o.frameworkId === e.frameworkId) {
          retireOffer(state, o, e.reason === 'EXPIRED' ? 'EXPIRED' : 'RESCINDED');
          state.counters.offersRescinded++;
        }
      }
      return state;
    case 'OffersDeclined':
      return offersDeclined(state, e);
    case 'OffersAccepted':
      return offersAccepted(state, e);
    case 'AcceptRefused':
      return state; // a notice: the outbox entry is gone, nothing else changes
    case 'FrameworkMessageSent':
      return frameworkMessageSent(state, e);
    case 'ExecutorMessageSent':
      return executorMessageSent(state, e);
    case 'ExecutorExited':
      return executorExited(state, e);
    case 'LaunchTasks':
    case 'KillTask':
    case 'DeliverFrameworkMessage': {
      const a = state.agents.get(e.agentId);
      // Commands sent from the outbox are marked sent by the delete above. Only a command the fold
      // drafted may move the agent's numbering: one it never owed (forged) must not make the next
      // real commands skip numbers the agent would wait for.
      if (wasOwed && a !== undefined && e.agentSeq > a.commandSeq) a.commandSeq = e.agentSeq;
      return state;
    }
    case 'TaskKillRequested':
      return taskKillRequested(state, e);
    case 'TaskStatusUpdated':
      return taskStatusUpdated(state, e);
    case 'StatusAcknowledged':
      return statusAcknowledged(state, e);
    case 'OffersRevived':
      return offersRevived(state, e);
    case 'OffersSuppressed': {
      const f = state.frameworks.get(e.frameworkId);
      if (f === undefined || f.status === 'REMOVED') return state;
      for (const r of rolesOf(f, e.roles)) f.suppressedRoles.add(r);
      f.suppressed = f.info.roles.every((r) => f.suppressedRoles.has(r));
      return state;
    }
    default:
      if (isAllocationEvent(e)) return foldAllocationEvent(state, e);
      return exhaustive(e);
  }
}

function exhaustive(e: never): never {
  return e;
}

/** The roles a REVIVE or SUPPRESS names: none means all the framework's roles; unknown ones are ignored. */
function rolesOf(f: FrameworkState, roles: readonly string[] | undefined): string[] {
  return roles === undefined || roles.length === 0 ? [...f.info.roles] : roles.filter((r) => f.info.roles.includes(r));
}

/** REVIVE: the roles want offers again; their refuse filters are gone. */
function offersRevived(state: State, e: EventOf<'OffersRevived'>): State {
  const f = state.frameworks.get(e.frameworkId);
  if (f === undefined || f.status === 'REMOVED') return state;
  const roles = new Set(rolesOf(f, e.roles));
  for (const r of roles) f.suppressedRoles.delete(r);
  f.suppressed = f.info.roles.every((r) => f.suppressedRoles.has(r));
  if (roles.size === f.info.roles.length) f.filters.clear();
  else for (const [k] of f.filters) if (roles.has(k.slice(k.indexOf(' ') + 1))) f.filters.delete(k);
  touchAll(state);
  return state;
}

/** Fold a sequence of events from a state (initialState() by default). */
export function foldAll(events: Iterable<ClusterEvent>, from?: State): State {
  let s = from ?? initialState();
  for (const e of events) s = evolve(s, e);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Leadership

function leaderElected(state: State, e: EventOf<'LeaderElected'>): State {
  state.epoch = e.epoch;
  state.leader = { masterId: e.masterId, epoch: e.epoch, hostname: e.hostname, ip: e.ip, port: e.port, electedAt: e.time };
  // By default (`offers: RESCINDED`, or absent in older logs) the outstanding offers are rescinded
  // and the new leader offers afresh, as after a Mesos failover. With `offers: KEPT` they survive:
  // they are in the log, the new leader knows them as the old one did, and an accept is judged by
  // the fold whoever leads. Refuse filters are state, so they hold either way.
  if (e.offers !== 'KEPT' && state.offers.size > 0) rescindOffers(state, state.offers.values(), e.id, 'LEADER_CHANGED');
  return state;
}
