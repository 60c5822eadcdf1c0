/**
 * The leader lease, run in a worker thread of its own (see lease.ts for the why).
 *
 * One key in a JetStream KV bucket whose entries expire after the TTL (the bucket's max age,
 * history 1). The holder renews it every third of the TTL with compare-and-swap on its revision; a
 * master that finds the key gone creates it, which only one can. This thread has its own NATS
 * connection and its own event loop, so a main thread busy folding, allocating or serialising a
 * snapshot does not make it miss a renewal.
 *
 * It renews (or takes) the lease only while the main thread vouches for itself: the main thread
 * writes a timestamp into shared memory (the "beat") at a fraction of the TTL, and only while its
 * fold keeps up with the log. A beat older than `stallMs` (the TTL, or more: a large cluster's
 * allocation cycle or a major GC may hold the main thread for half a second) means the main thread
 * cannot lead (it is blocked, or its fold is stuck): the lease is given up at once (deleted, so a
 * standby takes over without waiting for the expiry) and not taken again until the beat is fresh.
 *
 * Presence: while it holds the lease, this thread answers requests on `live.master.<masterId>`.
 * Standbys probe the holder there every PROBE_MS. NATS answers "no responders" at once when nobody
 * subscribes to a subject — the holder's connection is gone, which is what killing its process
 * does — and two such answers in a row (the second CONFIRM_MS after the first) let a standby take
 * the lease over (compare-and-swap on the revision it read), without waiting for the entry to expire: nats-server expires KV
 * entries late and unevenly (a 500 ms entry lived 0.5 s or 1.3 s, bimodally). A holder that is
 * alive but frozen (SIGSTOP) or cut off keeps its subscription, so its probes time out instead and
 * the standbys wait for the expiry as before; fencing by epoch makes either way safe.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection, RequestError, type Subscription, connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { pino } from 'pino';
import { subjects } from '../../../events/subjects.js';
import { rideThrough, RIDE_THROUGH_MS } from '../bus.js';
import { credsFromEnv, credsOptions } from '../bus.js';
import { LEASE_BUCKET, LEASE_KEY, LeaseShared, type LeaseWorkerData, type ToLeaseWorker, type FromLeaseWorker } from './lease-shared.js';

/**
 * How often standbys look at the lease and probe its holder (ms); never more than a third of the
 * TTL. A round is two small requests to nats-server (read the key, probe the holder).
 */
const PROBE_MS = 50;
/** The second probe, after a first "no responders", comes this much later (ms). */
const CONFIRM_MS = 20;
/**
 * How long a presence probe waits for the holder to answer (ms). Only "no responders" counts as
 * gone, so a short wait costs nothing; a long one did: a killed process's connection stays open
 * while the kernel tears the process down (0.1–1 s for a large master), probes sent then go
 * unanswered, and a standby waiting 250 ms on each came late to the "no responders" after it.
 */
const PROBE_TIMEOUT_MS = 50;

const d = workerData as LeaseWorkerData;
const shared = new LeaseShared(d.shared);
const log = pino({ name: d.logName, level: d.logLevel, base: d.logBindings }, pino.destination({ fd: 2, sync: true })).child({ component: 'lease' });
const port = parentPort!;
const post = (m: FromLeaseWorker): void => port.postMessage(m);

const enc = new TextEncoder();
const dec = new TextDecoder();
const renewEveryMs = Math.max(20, Math.floor(d.ttlMs / 3));
const tickMs = Math.min(PROBE_MS, renewEveryMs);
let nc: NatsConnection | undefined;
let kv: KV | undefined;
let revision: number | null = null;
let renewedAt = 0;
let holder: string | null = null;
let presence: Subscription | null = null;
/** Consecutive "no responders" from the current holder's presence subject. */
let absent = 0;
let stopped = false;
let busy = false;
let lastReported: { held: boolean; holder: string | null } | null = null;
let staleSince: number | null = null;

function report(): void {
  const held = revision !== null;
  shared.setHeld(held);
  if (lastReported === null || lastReported.held !== held || lastReported.holder !== holder) {
    lastReported = { held, holder };
    post({ type: 'state', held, holder });
  }
}

function setHeld(rev: number | null): void {
  revision = rev;
  if (rev !== null) {
    holder = d.masterId;
    renewedAt = Date.now();
    if (presence === null && nc !== undefined) {
      presence = nc.subscribe(subjects.leaderPresence(d.masterId), {
        callback: (err, msg) => {
          if (!err) msg.respond(enc.encode(d.masterId));
        },
      });
    }
  } else if (presence !== null) {
    presence.unsubscribe();
    presence = null;
  }
  report();
}

/** Connect and open (or create) the bucket; tried again on every round until it works. */
/** The authenticator and inbox prefix of a `.creds` file (none without one). */
function credsOptionsOnly(file: string | undefined) {
  const { identity: _id, ...rest } = credsOptions(file);
  return rest;
}

async function open(): Promise<KV> {
  if (kv !== undefined) return kv;
  nc ??= await connect({
    servers: d.servers,
    name: `master-${d.masterId}-lease`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5000,
    noAsyncTraces: true,
    ...credsOptionsOnly(d.creds ?? credsFromEnv()),
    ...(d.tlsCa !== undefined ? { tls: { ca: readFileSync(d.tlsCa, 'utf8') } } : {}),
  });
  kv = await new Kvm(jetstream(rideThrough(nc, RIDE_THROUGH_MS))).create(LEASE_BUCKET, { history: 1, ttl: d.ttlMs, replicas: d.replicas });
  log.info({ ttlMs: d.ttlMs }, 'lease bucket open');
  return kv;
}

async function release(rev: number): Promise<void> {
  await kv?.delete(LEASE_KEY, { previousSeq: rev }).catch(() => undefined);
}

/** Whether the holder's process is gone: nobody subscribes to its presence subject. */
async function holderGone(masterId: string): Promise<boolean> {
  try {
    await nc!.request(subjects.leaderPresence(masterId), undefined, { timeout: PROBE_TIMEOUT_MS });
    return false;
  } catch (err) {
    return err instanceof RequestError && err.isNoResponders();
  }
}

async function round(): Promise<void> {
  if (busy || stopped) return;
  busy = true;
  try {
    const bucket = await open();
    const age = Date.now() - shared.beat();
    const fresh = age <= d.stallMs;
    if (!fresh) staleSince ??= Date.now();
    else if (staleSince !== null) {
      log.info({ stalledMs: Date.now() - staleSince }, 'the main thread vouches for itself again');
      staleSince = null;
    }
    if (revision !== null) {
      if (!fresh) {
        // The main thread has not vouched for itself for a whole TTL: it cannot lead. Give the lease
        // up now rather than renewing it for a master that does nothing with it.
        log.warn({ beatAgeMs: age, stallMs: d.stallMs }, 'the main thread is stalled (blocked, or its fold is stuck): giving up the leader lease');
        const rev = revision;
        setHeld(null);
        await release(rev);
        return;
      }
      if (Date.now() - renewedAt < renewEveryMs) return;
      try {
        setHeld(await bucket.update(LEASE_KEY, enc.encode(d.masterId), revision));
      } catch (err) {
        log.warn({ err }, 'lost the leader lease');
        setHeld(null);
      }
      return;
    }
    const e = await bucket.get(LEASE_KEY);
    if (e !== null && e.operation === 'PUT') {
      const h = dec.decode(e.value);
      if (h !== holder) absent = 0;
      holder = h;
      report();
      if (!fresh || h === d.masterId) return;
      absent = (await holderGone(h)) ? absent + 1 : 0;
      if (absent === 1) {
        // Make sure at once rather than at the next tick: a second probe a moment later.
        await new Promise((r) => setTimeout(r, CONFIRM_MS));
        absent = (await holderGone(h)) ? absent + 1 : 0;
      }
      if (absent < 2) return;
      // Its process is gone: take its lease over now, by compare-and-swap on the entry we read (if
      // it renewed or another standby took it meanwhile, the revision has moved and this fails).
      absent = 0;
      try {
        const rev = await bucket.update(LEASE_KEY, enc.encode(d.masterId), e.revision);
        log.info({ holder: h }, 'the lease holder is gone (no answer on its presence subject): took its lease over');
        log.info({ ttlMs: d.ttlMs }, 'holds the leader lease');
        setHeld(rev);
      } catch {
        // renewed or taken meanwhile
      }
      return;
    }
    holder = null;
    report();
    if (!fresh) return; // a stalled master does not stand
    try {
      const rev = await bucket.create(LEASE_KEY, enc.encode(d.masterId));
      log.info({ ttlMs: d.ttlMs }, 'holds the leader lease');
      setHeld(rev);
    } catch {
      // Another master created it first.
    }
  } catch (err) {
    log.warn({ err }, 'lease round failed; trying again');
  } finally {
    busy = false;
  }
}

const timer = setInterval(() => void round(), tickMs);

port.on('message', (m: ToLeaseWorker) => {
  if (m.type === 'release') {
    void (async () => {
      const rev = revision;
      if (rev !== null) {
        setHeld(null);
        await release(rev);
      }
      post({ type: 'released' });
    })();
  } else if (m.type === 'stop') {
    stopped = true;
    clearInterval(timer);
    void (async () => {
      if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => undefined);
      post({ type: 'stopped' });
      port.close();
    })();
  }
});

void round();
