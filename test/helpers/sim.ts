/**
 * A cluster simulated in memory for the allocator's property tests: events are built, folded with
 * the kernel's own `evolve`, the allocator proposes, the proposals become OffersCreated events as
 * the leader would make them, and simulated frameworks accept (launching tasks), decline or keep
 * their offers. Everything is driven by a seeded PRNG, so a failing seed can be replayed.
 */
import { type ClusterEvent, EVENT_VERSIONS, type EventType, type Resource, validate } from '../../events/index.js';
import { Prng } from '../../bench/prng.js';
import { type AllocatorCache, type OfferProposal, runAllocation } from '../../kernel/core/allocator/index.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import * as R from '../../kernel/core/resources.js';
import type { OfferState, State } from '../../kernel/core/state.js';

export class Sim {
  readonly rng: Prng;
  state: State = initialState();
  now = 1_700_000_000_000;
  private n = 0;
  readonly log: ClusterEvent[] = [];
  /** Invalid offers the fold dropped (a proposal it did not accept). */
  invalidOffers = 0;

  constructor(seed: number) {
    this.rng = new Prng(seed);
    this.fold({ type: 'LeaderElected', epoch: 1, masterId: 'm', hostname: 'h', ip: '127.0.0.1', port: 5050, offers: 'KEPT' });
  }

  id(prefix = 'e'): string {
    return `${prefix}${++this.n}`;
  }

  /** Validate (as the codec would) and fold one event; the clock moves a little. */
  fold(e: Record<string, unknown>): ClusterEvent {
    this.now += 10;
    const ev = validate({ schemaVersion: EVENT_VERSIONS[e.type as EventType], id: this.id(), time: this.now, ...e } as never);
    this.state = evolve(this.state, ev);
    this.log.push(ev);
    return ev;
  }

  /** The leader's side: the proposals of one cycle, folded as OffersCreated (one event per proposal). */
  allocate(cache?: AllocatorCache): OfferProposal[] {
    const before = this.state.counters.offersInvalid;
    const { offers } = runAllocation(this.state, this.now, {}, cache);
    for (const p of offers) {
      this.fold({
        type: 'OffersCreated',
        epoch: 1,
        frameworkId: p.frameworkId,
        offers: [{ offerId: this.id('o'), agentId: p.agentId, hostname: p.hostname, role: p.role, resources: [...p.resources] }],
      });
    }
    this.invalidOffers += this.state.counters.offersInvalid - before;
    return offers;
  }

  offersOf(frameworkId: string): OfferState[] {
    return [...this.state.offers.values()].filter((o) => o.frameworkId === frameworkId);
  }

  /**
   * Launch one task of `task` on the offer (if it fits) and decline the rest with `refuse` seconds;
   * an offer too small for a task is declined with `refuseTooSmall` seconds (as a real framework
   * does, so that it is not offered the same crumbs every cycle).
   */
  launchOne(o: OfferState, task: string, refuse = 0, refuseTooSmall = 3600): boolean {
    const want = R.parseResources(task);
    // Use the offer's own resources (reserved or not) of the wanted amounts.
    const used = takeFrom(o.resources, want);
    if (used === null) {
      this.fold({ type: 'OffersDeclined', frameworkId: o.frameworkId, offerIds: [o.id], filters: { refuseSeconds: refuseTooSmall } });
      return false;
    }
    this.fold({
      type: 'OffersAccepted',
      frameworkId: o.frameworkId,
      offerIds: [o.id],
      filters: { refuseSeconds: refuse },
      operations: [{ type: 'LAUNCH', tasks: [{ taskId: this.id('t'), name: 't', agentId: o.agentId, resources: used, command: { value: 'true' } }] }],
    });
    return true;
  }

  /** End a random live task (TASK_FINISHED, with no uuid: it completes at once). */
  finishRandomTask(): void {
    const tasks = [...this.state.tasks.values()];
    if (tasks.length === 0) return;
    const t = this.rng.pick(tasks);
    this.fold({
      type: 'TaskStatusUpdated',
      status: { agentId: t.agentId, frameworkId: t.frameworkId, taskId: t.taskId, state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', timestamp: this.now },
    });
  }
}

/**
 * Resources of `from` that make up `want` by quantity (any reservation), or null when they do not
 * fit: unreserved first, then reserved.
 */
export function takeFrom(from: readonly Resource[], want: readonly Resource[]): Resource[] | null {
  const out: Resource[] = [];
  for (const w of want) {
    if (w.type !== 'SCALAR') continue;
    let need = Math.round(w.scalar * 1000);
    const pool = from.filter((r) => r.name === w.name && r.type === 'SCALAR' && r.disk === undefined);
    pool.sort((a, b) => (a.reservations?.length ?? 0) - (b.reservations?.length ?? 0));
    for (const r of pool) {
      if (need <= 0 || r.type !== 'SCALAR') break;
      const have = Math.round(r.scalar * 1000);
      const take = Math.min(have, need);
      if (take > 0) out.push({ ...r, scalar: take / 1000 });
      need -= take;
    }
    if (need > 0) return null;
  }
  return out;
}
