/**
 * The leader's decisions as pure functions of (state, now, ids): what to offer, which offers have
 * expired, and the stamped form of what the outbox owes. The leader's shell appends what these
 * return; tests call them directly.
 */
import type { ClusterEventInput, Draft, EventOf, FrameworkId, OfferId } from '../../events/index.js';
import { EVENT_VERSIONS, SCHEMA_VERSION } from '../../events/index.js';
import type { OfferProposal } from '../allocator/index.js';
import type { State } from '../state.js';

export interface DecisionContext {
  readonly epoch: number;
  readonly now: number;
  /** A fresh unique id (event ids, offer ids). */
  readonly newId: () => string;
}

/** One OffersCreated event per framework. */
export function offerEvents(
  proposals: readonly OfferProposal[],
  ctx: DecisionContext & { readonly offerTimeoutMs: number | null; readonly newOfferId: () => OfferId },
): EventOf<'OffersCreated'>[] {
  const byFramework = new Map<FrameworkId, OfferProposal[]>();
  for (const p of proposals) byFramework.set(p.frameworkId, [...(byFramework.get(p.frameworkId) ?? []), p]);
  const out: EventOf<'OffersCreated'>[] = [];
  for (const [frameworkId, ps] of byFramework) {
    out.push({
      type: 'OffersCreated',
      schemaVersion: SCHEMA_VERSION,
      id: ctx.newId(),
      time: ctx.now,
      epoch: ctx.epoch,
      frameworkId,
      offers: ps.map((p) => ({
        offerId: ctx.newOfferId(),
        agentId: p.agentId,
        hostname: p.hostname,
        role: p.role,
        resources: [...p.resources],
        ...(ctx.offerTimeoutMs !== null ? { expiresAt: ctx.now + ctx.offerTimeoutMs } : {}),
      })),
    });
  }
  return out;
}

/** Offers past their expiry, as one OffersRescinded per framework. */
export function expiredOfferEvents(state: State, ctx: DecisionContext): EventOf<'OffersRescinded'>[] {
  const byFramework = new Map<FrameworkId, OfferId[]>();
  for (const o of state.offers.values()) {
    if (o.expiresAt !== null && o.expiresAt <= ctx.now) {
      byFramework.set(o.frameworkId, [...(byFramework.get(o.frameworkId) ?? []), o.id]);
    }
  }
  return [...byFramework].map(([frameworkId, offerIds]) => ({
    type: 'OffersRescinded',
    schemaVersion: SCHEMA_VERSION,
    id: ctx.newId(),
    time: ctx.now,
    epoch: ctx.epoch,
    frameworkId,
    offerIds,
    reason: 'EXPIRED',
  }));
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
