/**
 * The leader's decisions as pure functions of (state, now, ids): what to offer, which offers have
 * expired, and the stamped form of what the outbox owes. The leader's shell appends what these
 * return; tests call them directly.
 */
import type { ClusterEventInput, Draft, EventOf, OfferId } from '../../../events/index.js';
import { EVENT_VERSIONS, SCHEMA_VERSION } from '../../../events/index.js';
import type { OfferProposal } from '../../core/allocator/index.js';
import type { OfferState, State } from '../../core/state.js';

export interface DecisionContext {
  readonly epoch: number;
  readonly now: number;
  /** A fresh unique id (event ids, offer ids). */
  readonly newId: () => string;
}

/**
 * Events are kept well under nats-server's max_payload (1 MiB by default): a framework's offers of
 * one cycle are split into several OffersCreated events of at most this many bytes (estimated) and
 * offers. 10,000 offers to one framework are ~3 MiB of JSON: about a dozen events.
 */
export const EVENT_MAX_BYTES = 256 * 1024;
export const EVENT_MAX_ITEMS = 2000;

/** A generous estimate of an offer's JSON size (the real one is checked by the codec on append). */
function offerBytes(p: OfferProposal): number {
  let n = 200 + p.agentId.length + p.hostname.length + p.role.length + (p.unavailability !== undefined ? 60 : 0);
  for (const r of p.resources) {
    n += 80 + r.name.length;
    if (r.type === 'RANGES') n += 24 * r.ranges.length;
    else if (r.type === 'SET') for (const x of r.set) n += 4 + x.length;
    else if (r.disk !== undefined) n += 120 + JSON.stringify(r.disk).length;
    if (r.reservations !== undefined) n += JSON.stringify(r.reservations).length + 20;
  }
  return n;
}

/** Split items into chunks of at most `maxItems` and (estimated) `maxBytes`. */
export function chunk<T>(items: readonly T[], size: (x: T) => number, maxBytes = EVENT_MAX_BYTES, maxItems = EVENT_MAX_ITEMS): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const x of items) {
    const b = size(x);
    if (cur.length > 0 && (cur.length >= maxItems || bytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(x);
    bytes += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Group by a key in one pass (no copying of the groups). */
export function groupBy<T, K>(items: Iterable<T>, key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of items) {
    const k = key(x);
    const g = m.get(k);
    if (g === undefined) m.set(k, [x]);
    else g.push(x);
  }
  return m;
}

/** OffersCreated events: per framework, split so that each stays well under the bus's message size limit. */
export function offerEvents(
  proposals: readonly OfferProposal[],
  ctx: DecisionContext & { readonly offerTimeoutMs: number | null; readonly newOfferId: () => OfferId },
): EventOf<'OffersCreated'>[] {
  const out: EventOf<'OffersCreated'>[] = [];
  for (const [frameworkId, ps] of groupBy(proposals, (p) => p.frameworkId)) {
    for (const part of chunk(ps, offerBytes)) {
      out.push({
        type: 'OffersCreated',
        schemaVersion: SCHEMA_VERSION,
        id: ctx.newId(),
        time: ctx.now,
        epoch: ctx.epoch,
        frameworkId,
        offers: part.map((p) => ({
          offerId: ctx.newOfferId(),
          agentId: p.agentId,
          hostname: p.hostname,
          role: p.role,
          // Resource lists are never mutated: the proposal's own list goes into the event.
          resources: p.resources as EventOf<'OffersCreated'>['offers'][number]['resources'],
          ...(ctx.offerTimeoutMs !== null ? { expiresAt: ctx.now + ctx.offerTimeoutMs } : {}),
          ...(p.unavailability !== undefined ? { unavailability: { ...p.unavailability } } : {}),
        })),
      });
    }
  }
  return out;
}

/** Offers past their expiry, as OffersRescinded events per framework (bounded like offers). */
export function expiredOfferEvents(state: State, ctx: DecisionContext): EventOf<'OffersRescinded'>[] {
  const expired: OfferState[] = [];
  for (const o of state.offers.values()) if (o.expiresAt !== null && o.expiresAt <= ctx.now) expired.push(o);
  const out: EventOf<'OffersRescinded'>[] = [];
  for (const [frameworkId, os] of groupBy(expired, (o) => o.frameworkId)) {
    for (const part of chunk(os, (o) => 8 + o.id.length)) {
      out.push({
        type: 'OffersRescinded',
        schemaVersion: SCHEMA_VERSION,
        id: ctx.newId(),
        time: ctx.now,
        epoch: ctx.epoch,
        frameworkId,
        offerIds: part.map((o) => o.id),
        reason: 'EXPIRED',
      });
    }
  }
  return out;
}

/**
 * Frameworks disconnected for longer than their failover timeout are removed (their tasks are
 * killed). The clock starts at FrameworkDisconnected in the log, so a new leader resumes it.
 */
export function expiredFrameworkEvents(state: State, ctx: DecisionContext): EventOf<'FrameworkRemoved'>[] {
  const out: EventOf<'FrameworkRemoved'>[] = [];
  for (const f of state.frameworks.values()) {
    if (f.status !== 'INACTIVE' || f.disconnectedAt === null) continue;
    if (ctx.now >= f.disconnectedAt + f.info.failoverTimeoutMs) {
      out.push({ type: 'FrameworkRemoved', schemaVersion: SCHEMA_VERSION, id: ctx.newId(), time: ctx.now, epoch: ctx.epoch, frameworkId: f.id, reason: 'FAILOVER_TIMEOUT' });
    }
  }
  return out;
}

/** Stamp an outbox draft with the envelope and this leader's epoch. */
export function stampDraft(d: Draft, ctx: Pick<DecisionContext, 'epoch' | 'now'>): ClusterEventInput {
  // The current version of the draft's own type (versions are per type; the cast would hide a wrong one).
  return { ...d, schemaVersion: EVENT_VERSIONS[d.type], time: ctx.now, epoch: ctx.epoch } as ClusterEventInput;
}
