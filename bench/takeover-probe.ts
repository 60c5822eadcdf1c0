/**
 * The work of a takeover at a given cluster size, timed in this process on the same code the
 * master runs (no I/O): the allocator over every agent, grouping its proposals into OffersCreated
 * events (one per framework), encoding them as `append` does (zod + JSON) against NATS's default
 * 1 MB message limit, decoding them as every follower does, folding them; folding the
 * LeaderElected of the next epoch (which rescinds every outstanding offer and owes one
 * OffersRescinded per framework); folding the frameworks' declines (which add refuse filters);
 * and writing and reading a snapshot of the state. The state is consumed (changed in place).
 */
import { randomUUID } from 'node:crypto';
import { type ClusterEvent, type EventOf, type FrameworkId, type OfferId, SCHEMA_VERSION, EVENT_VERSIONS, decode, encode, refuseFilter, subjectFor } from '../events/index.js';
import { allocate, defaultAllocatorOptions } from '../kernel/core/allocator/index.js';
import { offerEvents, stampDraft } from '../kernel/shell/master/decisions.js';
import { evolve } from '../kernel/core/fold/index.js';
import { decodeSnapshot, encodeSnapshot } from '../kernel/shell/snapshot.js';
import type { State } from '../kernel/core/state.js';

/** nats-server's default max_payload (the servers here run with the default). */
export const NATS_MAX_PAYLOAD = 1024 * 1024;

export interface ProbeResult {
  readonly agents: number;
  readonly tasks: number;
  readonly frameworks: number;
  readonly allocateMs: number;
  readonly proposals: number;
  /** offerEvents(): grouping proposals into one event per framework. */
  readonly offerEventsMs: number;
  readonly offerEvents: number;
  /** validate + JSON of every OffersCreated (what `append` does before publishing). */
  readonly encodeOffersMs: number;
  readonly largestOffersEventBytes: number;
  readonly offersEventsOverMaxPayload: number;
  /** JSON.parse + zod of every OffersCreated (what each follower does per event). */
  readonly decodeOffersMs: number;
  readonly foldOffersMs: number;
  /** Folding LeaderElected with every offer outstanding. */
  readonly foldElectionMs: number;
  readonly rescindEvents: number;
  readonly largestRescindEventBytes: number;
  /** Folding the declines of every offer (chunks of `declineChunk` ids), filters accumulating. */
  readonly foldDeclinesMs: number;
  readonly declineEvents: number;
  /** The same again, a second round with every filter in place (steady state). */
  readonly foldDeclinesSecondRoundMs: number;
  readonly snapshotEncodeMs: number;
  readonly snapshotBytes: number;
  readonly snapshotDecodeMs: number;
}

const ms = (t0: number): number => performance.now() - t0;

export function probeTakeover(state: State, o: { declineChunk: number; refuseSeconds: number; offerTimeoutMs: number | null }): ProbeResult {
  const opts = defaultAllocatorOptions();
  let offerCounter = 0;
  const newOfferId = (): OfferId => `probe-O${++offerCounter}` as OfferId;

  const allocateAndOffer = (epoch: number, now: number) => {
    let t = performance.now();
    const proposals = allocate(state, now, opts);
    const allocateMs = ms(t);
    t = performance.now();
    const events = offerEvents(proposals, { epoch, now, newId: randomUUID, offerTimeoutMs: o.offerTimeoutMs, newOfferId });
    const offerEventsMs = ms(t);
    return { proposals, events, allocateMs, offerEventsMs };
  };

  const now0 = Math.max(Date.now(), state.time + 1);
  const first = allocateAndOffer(state.epoch, now0);
  let t = performance.now();
  const encoded = first.events.map((e) => encode(e));
  const encodeOffersMs = ms(t);
  t = performance.now();
  for (let i = 0; i < encoded.length; i++) {
    const d = decode(encoded[i]!, subjectFor(first.events[i]!));
    if (!d.ok) throw new Error(`probe: an OffersCreated does not decode: ${d.error.message}`);
  }
  const decodeOffersMs = ms(t);
  t = performance.now();
  for (const e of first.events) evolve(state, e);
  const foldOffersMs = ms(t);

  // The next leader's election, every offer outstanding.
  const election: EventOf<'LeaderElected'> = {
    type: 'LeaderElected',
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: now0 + 1,
    epoch: state.epoch + 1,
    masterId: 'probe',
    hostname: 'probe',
    ip: '127.0.0.1',
    port: 1,
    offers: 'KEPT',
  };
  t = performance.now();
  evolve(state, election);
  const foldElectionMs = ms(t);
  const rescinds = [...state.outbox.values()].filter((d) => d.type === 'OffersRescinded');
  let largestRescind = 0;
  for (const d of rescinds) largestRescind = Math.max(largestRescind, encode(stampDraft(d, { epoch: election.epoch, now: now0 + 1 })).byteLength);
  for (const d of rescinds) evolve(state, { ...stampDraft(d, { epoch: election.epoch, now: now0 + 1 }) } as ClusterEvent);

  // The new leader's offers, then every framework declines them all.
  const second = allocateAndOffer(election.epoch, now0 + 2);
  for (const e of second.events) evolve(state, e);
  const declineAll = (now: number): { ms: number; events: number } => {
    const byFw = new Map<FrameworkId, OfferId[]>();
    for (const off of state.offers.values()) {
      const l = byFw.get(off.frameworkId);
      if (l === undefined) byFw.set(off.frameworkId, [off.id]);
      else l.push(off.id);
    }
    const declines: EventOf<'OffersDeclined'>[] = [];
    for (const [frameworkId, ids] of byFw) {
      for (let i = 0; i < ids.length; i += o.declineChunk) {
        declines.push({ type: 'OffersDeclined', schemaVersion: EVENT_VERSIONS.OffersDeclined, id: randomUUID(), time: now, frameworkId, offerIds: ids.slice(i, i + o.declineChunk), filters: refuseFilter(o.refuseSeconds) });
      }
    }
    const t1 = performance.now();
    for (const d of declines) evolve(state, d);
    return { ms: ms(t1), events: declines.length };
  };
  const d1 = declineAll(now0 + 3);
  // Offer again (as if every filter had run out, but none is expired at fold time), decline again.
  const third = allocateAndOffer(election.epoch, now0 + 4 + Math.ceil(o.refuseSeconds * 1000));
  for (const e of third.events) evolve(state, { ...e, time: now0 + 4 });
  const d2 = declineAll(now0 + 5);

  t = performance.now();
  const snap = encodeSnapshot(state, 1, Date.now());
  const snapshotEncodeMs = ms(t);
  t = performance.now();
  decodeSnapshot(snap);
  const snapshotDecodeMs = ms(t);

  return {
    agents: state.agents.size,
    tasks: state.tasks.size,
    frameworks: state.frameworks.size,
    allocateMs: first.allocateMs,
    proposals: first.proposals.length,
    offerEventsMs: first.offerEventsMs,
    offerEvents: first.events.length,
    encodeOffersMs,
    largestOffersEventBytes: Math.max(0, ...encoded.map((b) => b.byteLength)),
    offersEventsOverMaxPayload: encoded.filter((b) => b.byteLength > NATS_MAX_PAYLOAD).length,
    decodeOffersMs,
    foldOffersMs,
    foldElectionMs,
    rescindEvents: rescinds.length,
    largestRescindEventBytes: largestRescind,
    foldDeclinesMs: d1.ms,
    declineEvents: d1.events,
    foldDeclinesSecondRoundMs: d2.ms,
    snapshotEncodeMs,
    snapshotBytes: snap.byteLength,
    snapshotDecodeMs,
  };
}
