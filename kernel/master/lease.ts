/**
 * The leader lease: one key in a JetStream KV bucket whose entries expire after `ttlMs` (the
 * bucket's max age, history 1). The holder renews it every `ttlMs / 3` with compare-and-swap on
 * its revision; a master that finds the key gone creates it (which only one can). Holding the
 * lease entitles a master to append LeaderElected; the epoch in the log, not the lease, is what
 * fences a deposed leader's late writes.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { Bus } from '../bus.js';

export const LEASE_BUCKET = 'MESOS_LEADER';
const KEY = 'leader';

export interface LeaseOptions {
  readonly ttlMs: number;
  readonly masterId: string;
  readonly replicas: number;
}

export interface Lease {
  /** Whether this master holds the lease (as of its last renewal). */
  held(): boolean;
  /** The master id in the lease, as last seen. */
  holder(): string | null;
  /** Give the lease up (on a clean stop), so another master takes over at once. */
  release(): Promise<void>;
  stop(): void;
}

export async function startLease(bus: Bus, o: LeaseOptions, onChange: (held: boolean) => void, log: Logger): Promise<Lease> {
  const llog = log.child({ component: 'lease' });
  const kv: KV = await new Kvm(bus.js).create(LEASE_BUCKET, { history: 1, ttl: o.ttlMs, replicas: o.replicas });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let revision: number | null = null;
  let holder: string | null = null;
  let stopped = false;
  let busy = false;

  const setHeld = (rev: number | null): void => {
    const was = revision !== null;
    revision = rev;
    if (was !== (rev !== null)) onChange(rev !== null);
  };

  async function round(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      if (revision !== null) {
        try {
          setHeld(await kv.update(KEY, enc.encode(o.masterId), revision));
          holder = o.masterId;
        } catch (err) {
          llog.warn({ err }, 'lost the leader lease');
          setHeld(null);
        }
        return;
      }
      const e = await kv.get(KEY);
      if (e !== null && e.operation === 'PUT') {
        holder = dec.decode(e.value);
        return;
      }
      try {
        const rev = await kv.create(KEY, enc.encode(o.masterId));
        holder = o.masterId;
        llog.info({ ttlMs: o.ttlMs }, 'holds the leader lease');
        setHeld(rev);
      } catch {
        // Another master created it first.
      }
    } catch (err) {
      llog.warn({ err }, 'lease round failed');
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void round(), Math.max(20, Math.floor(o.ttlMs / 3)));
  timer.unref();
  await round();
  return {
    held: () => revision !== null,
    holder: () => holder,
    async release() {
      if (revision === null) return;
      const rev = revision;
      setHeld(null);
      await kv.delete(KEY, { previousSeq: rev }).catch(() => undefined);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
