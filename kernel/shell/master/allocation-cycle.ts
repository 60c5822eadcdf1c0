/**
 * One allocation cycle as the leader runs it, without I/O: offers past their expiry, frameworks
 * past their failover timeout, the allocator's offers (split into bounded events), inverse offers
 * for maintenance, and the reasons of unmet demand that changed. The leader's shell appends what
 * this returns; the benchmark times exactly this (plus encoding).
 */
import type { ClusterEvent, EventOf, FrameworkId, OfferId } from '../../../events/index.js';
import { SCHEMA_VERSION } from '../../../events/index.js';
import { type AllocationStats, type AllocatorCache, runAllocation } from '../../core/allocator/index.js';
import { inverseOffers } from '../../core/allocator/inverse.js';
import { demandOf, explainPending, reasonsKey } from '../../core/allocator/why.js';
import type { State } from '../../core/state.js';
import { chunk, type DecisionContext, expiredFrameworkEvents, expiredOfferEvents, groupBy, offerEvents } from './decisions.js';

export interface CycleContext extends DecisionContext {
  readonly offerTimeoutMs: number | null;
  readonly newOfferId: () => OfferId;
  readonly newInverseOfferId: () => string;
}

export interface CycleResult {
  readonly events: ClusterEvent[];
  readonly stats: AllocationStats & { readonly offers: number; readonly allocateMs: number };
}

/**
 * Explaining unmet demand looks at every agent for a framework, so it is rationed: a framework is
 * explained again at most every `intervalMs`, and at most `perCycle` frameworks per cycle (fewer on
 * a large cluster: ~200,000 agent checks a cycle), the least recently explained first. What it
 * finds is appended only when the set of reasons changed.
 */
export class PendingExplainer {
  private readonly lastExplained = new Map<FrameworkId, number>();
  constructor(
    private readonly intervalMs = 5000,
    private readonly perCycle = 20,
  ) {}

  events(state: State, ctx: DecisionContext): EventOf<'DemandUnmet'>[] {
    const out: EventOf<'DemandUnmet'>[] = [];
    const emit = (frameworkId: FrameworkId, reasons: EventOf<'DemandUnmet'>['reasons']): void => {
      out.push({ type: 'DemandUnmet', schemaVersion: SCHEMA_VERSION, id: ctx.newId(), time: ctx.now, epoch: ctx.epoch, frameworkId, reasons });
    };
    // Each explanation looks at every agent: at most ~200,000 agent checks a cycle.
    let budget = Math.min(this.perCycle, Math.max(1, Math.floor(200_000 / Math.max(1, state.agents.size))));
    const due = [...state.frameworks.values()]
      .filter((f) => f.status !== 'REMOVED')
      .map((f) => ({ f, at: this.lastExplained.get(f.id) ?? -Infinity }))
      .filter((x) => ctx.now - x.at >= this.intervalMs)
      .sort((a, b) => a.at - b.at);
    for (const { f } of due) {
      if (budget === 0) break;
      const recorded = state.pending.get(f.id);
      const demand = demandOf(state, f);
      if (demand.length === 0 && recorded === undefined) continue;
      budget--;
      this.lastExplained.set(f.id, ctx.now);
      const reasons = demand.length === 0 ? [] : explainPending(state, ctx.now, f, demand);
      if (reasons.length === 0 && recorded === undefined) continue;
      if (recorded !== undefined && reasonsKey(recorded.reasons) === reasonsKey(reasons)) continue;
      emit(f.id, reasons.map((r) => ({ ...r, code: r.code as EventOf<'DemandUnmet'>['reasons'][number]['code'] })));
    }
    for (const id of this.lastExplained.keys()) if (!state.frameworks.has(id)) this.lastExplained.delete(id);
    return out;
  }
}

export function allocationCycleEvents(state: State, ctx: CycleContext, cache: AllocatorCache | undefined, pending?: PendingExplainer): CycleResult {
  const events: ClusterEvent[] = [...expiredOfferEvents(state, ctx), ...expiredFrameworkEvents(state, ctx)];
  const started = performance.now();
  const allocation = runAllocation(state, ctx.now, {}, cache);
  const allocateMs = performance.now() - started;
  events.push(...offerEvents(allocation.offers, ctx));
  const inverse = inverseOffers(state);
  for (const [frameworkId, ps] of groupBy(inverse, (p) => p.frameworkId)) {
    for (const part of chunk(ps, (p) => 200 + p.hostname.length)) {
      events.push({
        type: 'InverseOffersCreated',
        schemaVersion: SCHEMA_VERSION,
        id: ctx.newId(),
        time: ctx.now,
        epoch: ctx.epoch,
        frameworkId,
        inverseOffers: part.map((p) => ({ inverseOfferId: ctx.newInverseOfferId(), agentId: p.agentId, hostname: p.hostname, unavailability: { ...p.unavailability } })),
      });
    }
  }
  if (pending !== undefined) events.push(...pending.events(state, ctx));
  return { events, stats: { ...allocation.stats, offers: allocation.offers.length, allocateMs } };
}
