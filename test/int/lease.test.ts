/**
 * The leader lease lives in a worker thread, so a busy main thread does not lose it; and the main
 * thread vouches for itself, so a stuck master does not keep it. Real nats-server; a second
 * master's lease runs in a thread of its own (test/helpers/lease-thread.ts). The bus is secured:
 * each master holds the lease with its own credentials (the lease bucket is the masters' alone).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { Kvm } from '@nats-io/kv';
import { LEASE_BUCKET, type Lease, startLease } from '../../kernel/shell/master/lease.js';
import { serverAuth } from '../../security/nats/index.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const TTL = 600;
const silent = pino({ level: 'silent' });
let nats: SecureTestNats | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

test.after.each(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
test.after(async () => {
  await nats?.stop();
});

/** Block this thread (no timers, no messages) for `ms`. */
function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: what a long synchronous fold or allocation does to the event loop
  }
}

/** The holder as the bucket says (read as a master: only masters may read the lease bucket). */
async function holderInBucket(): Promise<string | null> {
  const bus = await nats!.bus('master', 'lease-test-reader', silent);
  try {
    const kv = await new Kvm(bus.js).open(LEASE_BUCKET);
    const e = await kv.get('leader');
    return e !== null && e.operation === 'PUT' ? new TextDecoder().decode(e.value) : null;
  } finally {
    await bus.close();
  }
}

function mainLease(url: string, masterId: string, healthy: () => boolean, ttlMs = TTL): { lease: Lease; changes: boolean[] } {
  const changes: boolean[] = [];
  const lease = startLease({ servers: url, creds: nats!.creds('master', masterId), ttlMs, masterId, replicas: 1, healthy }, (h) => changes.push(h), silent);
  cleanups.push(async () => {
    await lease.release();
    await lease.stop();
  });
  return { lease, changes };
}

function threadLease(url: string, masterId: string, ttlMs = TTL): { states: Array<{ held: boolean; holder: string | null }>; held(): boolean; holder(): string | null; kill(): Promise<number> } {
  const w = new Worker(new URL('../helpers/lease-thread.js', import.meta.url), { workerData: { servers: url, creds: nats!.creds('master', masterId), ttlMs, masterId } });
  const states: Array<{ held: boolean; holder: string | null }> = [];
  w.on('message', (m: { held: boolean; holder: string | null }) => states.push(m));
  let exited = false;
  w.once('exit', () => (exited = true));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        w.once('exit', () => resolve());
        w.postMessage({ type: 'stop' });
        setTimeout(() => void w.terminate().then(() => resolve()), 3000).unref();
      }),
  );
  // Ends the thread without a word (its NATS connections close, as when a process is killed).
  return { states, held: () => states.at(-1)?.held === true, holder: () => states.at(-1)?.holder ?? null, kill: () => w.terminate() };
}

test('setup', async () => {
  nats = await withSecureNats();
});

test('a main thread blocked for longer than the lease keeps it (renewals come from the lease thread)', async () => {
  const a = mainLease(nats!.url, 'A', () => true);
  await waitFor(() => a.lease.held(), 'A to hold the lease', 10_000);
  // Shorter than a TTL: the beat is still fresh when the main thread comes back.
  for (let i = 0; i < 5; i++) {
    blockFor(TTL * 0.8);
    await new Promise((r) => setTimeout(r, 1)); // a turn of the loop: the beat timer runs
  }
  assert.ok(a.lease.held(), 'still held after five blocks of 0.8 TTL');
  assert.equal(a.changes, [true], 'never lost');
  assert.is(await holderInBucket(), 'A');
});

test('a main thread stuck for longer than the lease gives it up, and the standby takes it', async () => {
  const a = mainLease(nats!.url, 'A', () => true);
  await waitFor(() => a.lease.held(), 'A to hold the lease', 10_000);
  const b = threadLease(nats!.url, 'B');
  // B's threads start and connect (seconds under load): block only once B has seen A hold the lease,
  // or A gives it up before B stands and, fresh again, takes it back.
  await waitFor(() => b.holder() === 'A', 'B to stand by, seeing A hold the lease', 20_000);
  await new Promise((r) => setTimeout(r, TTL)); // measuring absence: B stands by while A holds it
  assert.not.ok(b.held(), 'B stands by while A holds it');
  blockFor(TTL * 4);
  // Before any message from the lease thread is handled, the shared flag already says it is gone.
  assert.not.ok(a.lease.held(), 'A no longer holds the lease as soon as it looks');
  await waitFor(() => b.held(), 'B to take the lease', 5000);
  assert.is(await holderInBucket(), 'B');
  assert.equal(a.changes, [true, false]);
  // A is healthy again but B holds the lease: A does not get it back.
  await new Promise((r) => setTimeout(r, TTL * 2)); // measuring absence: two TTLs with A fresh
  assert.not.ok(a.lease.held());
});

test('a master whose fold is stuck (healthy() false) gives the lease up; healthy again, it stands again', async () => {
  let healthy = true;
  const a = mainLease(nats!.url, 'A', () => healthy);
  await waitFor(() => a.lease.held(), 'A to hold the lease', 10_000);
  healthy = false;
  await waitFor(() => !a.lease.held(), 'A to give the lease up', 5000);
  assert.is(await holderInBucket(), null, 'released at once (deleted), not left to expire');
  await new Promise((r) => setTimeout(r, TTL * 2)); // measuring absence: a stuck master does not take it again
  assert.not.ok(a.lease.held());
  healthy = true;
  await waitFor(() => a.lease.held(), 'A to take the lease again', 5000);
  assert.equal(a.changes, [true, false, true]);
});

test('a holder whose process is gone (no answer on its presence subject) is replaced long before its lease expires', async () => {
  const LONG = 10_000;
  const b = threadLease(nats!.url, 'B', LONG);
  await waitFor(() => b.held(), 'B to hold the lease', 10_000);
  const a = mainLease(nats!.url, 'A', () => true, LONG);
  await new Promise((r) => setTimeout(r, 500)); // measuring absence: A stands by while B lives
  assert.not.ok(a.lease.held());
  const killedAt = Date.now();
  await b.kill();
  await waitFor(() => a.lease.held(), 'A to take the lease', LONG);
  const took = Date.now() - killedAt;
  assert.ok(took < LONG / 3, `taken over ${took} ms after the holder died, with a ${LONG} ms lease`);
  assert.is(await holderInBucket(), 'A');
});

test('the lease thread keeps trying while NATS is unreachable at start, and takes the lease once it is there', async () => {
  const { getFreePort, startNatsServer } = await import('../../cli/nats/index.js');
  const port = await getFreePort();
  const url = `nats://127.0.0.1:${port}`;
  let server: Awaited<ReturnType<typeof startNatsServer>> | undefined;
  cleanups.push(async () => server?.stop()); // runs last
  const a = mainLease(url, 'A', () => true);
  await new Promise((r) => setTimeout(r, 1500)); // measuring absence: nothing to hold yet
  assert.not.ok(a.lease.held());
  // Secured with the same keys as the suite's server, so A's credentials are good here too.
  server = await startNatsServer({ port, auth: serverAuth(nats!.keystore) });
  await waitFor(() => a.lease.held(), 'A to hold the lease once NATS is up', 15_000);
});

test.run();
