/**
 * Watches what a takeover writes, with the server's own store times: every LeaderElected and every
 * OffersCreated in the cluster log (one raw ordered consumer: no zod, so that multi-megabyte offer
 * events at 10,000 agents cost this process little), and every write of the leader lease key (the
 * KV bucket's own stream). Times are JetStream's timestamps (ms, fractional) of the same machine's
 * clock, to compare with the wall time of a kill.
 */
import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { STREAM_NAME, subjects } from '../events/index.js';
import type { Bus } from '../kernel/shell/bus.js';
import { LEASE_BUCKET } from '../kernel/shell/master/lease.js';

export interface Election {
  readonly seq: number;
  readonly storedAt: number;
  readonly epoch: number;
  readonly masterId: string;
  readonly port: number;
}

/** The offers of one epoch: the first OffersCreated, and totals. */
export interface EpochOffers {
  readonly epoch: number;
  readonly firstSeq: number;
  readonly firstStoredAt: number;
  readonly firstBytes: number;
  readonly firstOffers: number;
  /** The frameworks of the events stored in the same millisecond-window as the first (first allocation cycle). */
  events: number;
  offers: number;
  bytes: number;
  maxBytes: number;
  lastStoredAt: number;
}

export interface LeaseWrite {
  readonly at: number;
  readonly holder: string;
  readonly revision: number;
  readonly op: string;
}

export interface LogWatch {
  readonly elections: Election[];
  readonly offersByEpoch: Map<number, EpochOffers>;
  readonly leaseWrites: LeaseWrite[];
  latestElection(): Election | undefined;
  /** Resolves with the first OffersCreated of an epoch above `epoch` (and that epoch's election). */
  nextEpochOffers(epoch: number, timeoutMs: number): Promise<{ election: Election; offers: EpochOffers }>;
  /** First lease write at or after `at` by someone other than `notBy`. */
  leaseTakenAfter(at: number, notBy: string): LeaseWrite | undefined;
  /**
   * Gaps between consecutive writes of the lease by the same holder (ms), from `from` on: a leader
   * renews every third of the TTL, so a gap much longer than that is its event loop (or the
   * server) stalling; one longer than the TTL loses the lease.
   */
  renewalGaps(from: number): number[];
  /** Last lease write by `holder` at or before `at`. */
  lastLeaseWriteBy(holder: string, at: number): LeaseWrite | undefined;
  /** Resolves once the current epoch has had at least one OffersCreated. */
  offersInCurrentEpoch(timeoutMs: number): Promise<EpochOffers>;
  stop(): Promise<void>;
}

const dec = new TextDecoder();
const OFFER_ID = Buffer.from('"offerId"');

function countOffers(data: Uint8Array): number {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let i = b.indexOf(OFFER_ID); i >= 0; i = b.indexOf(OFFER_ID, i + OFFER_ID.length)) n++;
  return n;
}

/** The epoch of an encoded decision: the envelope comes first, so the head of the JSON holds it. */
function epochOfHead(data: Uint8Array): number {
  const head = dec.decode(data.subarray(0, Math.min(data.byteLength, 400)));
  const m = /"epoch":(\d+)/.exec(head);
  return m ? Number(m[1]) : Number.NaN;
}

export async function startLogWatch(bus: Bus, fromSeq: number): Promise<LogWatch> {
  const elections: Election[] = [];
  const offersByEpoch = new Map<number, EpochOffers>();
  const leaseWrites: LeaseWrite[] = [];
  let wake: (() => void)[] = [];
  const notify = (): void => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const changed = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      wake.push(() => {
        clearTimeout(t);
        resolve();
      });
    });

  const consumer = await bus.js.consumers.get(STREAM_NAME, {
    filter_subjects: [subjects.sys('leader'), 'cl.tell.*.offers'],
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, fromSeq),
  });
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });
  const logLoop = (async () => {
    for await (const m of messages) {
      const storedAt = m.info.timestampNanos / 1e6;
      if (m.subject === subjects.sys('leader')) {
        const e = JSON.parse(dec.decode(m.data)) as { epoch: number; masterId: string; port: number };
        elections.push({ seq: m.seq, storedAt, epoch: e.epoch, masterId: e.masterId, port: e.port });
      } else {
        const epoch = epochOfHead(m.data);
        const n = countOffers(m.data);
        const cur = offersByEpoch.get(epoch);
        if (cur === undefined) {
          offersByEpoch.set(epoch, {
            epoch,
            firstSeq: m.seq,
            firstStoredAt: storedAt,
            firstBytes: m.data.byteLength,
            firstOffers: n,
            events: 1,
            offers: n,
            bytes: m.data.byteLength,
            maxBytes: m.data.byteLength,
            lastStoredAt: storedAt,
          });
        } else {
          cur.events++;
          cur.offers += n;
          cur.bytes += m.data.byteLength;
          cur.maxBytes = Math.max(cur.maxBytes, m.data.byteLength);
          cur.lastStoredAt = storedAt;
        }
      }
      notify();
    }
  })();

  // The lease key's writes, from the KV bucket's stream (created by the first master).
  let leaseMessages: ConsumerMessages | undefined;
  let leaseLoop: Promise<void> = Promise.resolve();
  let stopped = false;
  const startLease = async (): Promise<void> => {
    for (;;) {
      if (stopped) return;
      try {
        const c = await bus.js.consumers.get(`KV_${LEASE_BUCKET}`, { deliver_policy: DeliverPolicy.New });
        leaseMessages = await c.consume({ max_messages: 64 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for await (const m of leaseMessages) {
      const op = m.headers?.get('KV-Operation') || 'PUT';
      leaseWrites.push({ at: m.info.timestampNanos / 1e6, holder: dec.decode(m.data), revision: m.seq, op });
      if (leaseWrites.length > 50_000) leaseWrites.splice(0, 10_000);
    }
  };
  leaseLoop = startLease().catch(() => undefined);

  const latestElection = (): Election | undefined => elections.at(-1);

  return {
    elections,
    offersByEpoch,
    leaseWrites,
    latestElection,
    async nextEpochOffers(epoch, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        for (const e of elections) {
          if (e.epoch <= epoch) continue;
          const o = offersByEpoch.get(e.epoch);
          if (o !== undefined) return { election: e, offers: o };
        }
        const left = until - Date.now();
        if (left <= 0) {
          const el = elections.filter((e) => e.epoch > epoch).map((e) => `epoch ${e.epoch} by ${e.masterId} (port ${e.port}) stored at seq ${e.seq}`);
          throw new Error(`no OffersCreated of an epoch above ${epoch} within ${timeoutMs} ms; elections since: ${el.length > 0 ? el.join(', ') : 'none'}`);
        }
        await changed(Math.min(left, 1000));
      }
    },
    leaseTakenAfter(at, notBy) {
      return leaseWrites.find((w) => w.at >= at && w.holder !== notBy && w.op === 'PUT');
    },
    renewalGaps(from) {
      const gaps: number[] = [];
      let prev: LeaseWrite | undefined;
      for (const w of leaseWrites) {
        if (w.at < from) continue;
        if (prev !== undefined && prev.holder === w.holder && w.op === 'PUT') gaps.push(w.at - prev.at);
        prev = w;
      }
      return gaps;
    },
    lastLeaseWriteBy(holder, at) {
      for (let i = leaseWrites.length - 1; i >= 0; i--) {
        const w = leaseWrites[i]!;
        if (w.at <= at && w.holder === holder) return w;
      }
      return undefined;
    },
    async offersInCurrentEpoch(timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const e = latestElection();
        const o = e === undefined ? undefined : offersByEpoch.get(e.epoch);
        if (o !== undefined) return o;
        const left = until - Date.now();
        if (left <= 0) throw new Error(`no OffersCreated in the current epoch (${e?.epoch ?? 'none elected'}) within ${timeoutMs} ms`);
        await changed(Math.min(left, 1000));
      }
    },
    async stop() {
      stopped = true;
      await messages.close().catch(() => undefined);
      await leaseMessages?.close().catch(() => undefined);
      await Promise.race([Promise.all([logLoop.catch(() => undefined), leaseLoop]), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
