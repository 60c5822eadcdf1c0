/**
 * The protected log, against a real nats-server: the stream denies purging and deleting messages,
 * and a master whose stream is deleted and re-created (what remains to erase history) stops leading,
 * answers 503 with the reason on /health and on everything that shows state, and logs it at error
 * level; a standby too. A master started on a log that lost its beginning never serves it. The bus
 * is secured: the stream's administrator (the admin party, the only one that may delete or purge a
 * stream, and that appends no event) does the erasing; masters, with their own credentials, write.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type Logger, pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STREAM_NAME, streamConfig } from '../../events/index.js';
import { type Bus, append, ensureStream } from '../../kernel/shell/bus.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { LEASE_BUCKET } from '../../kernel/shell/master/lease.js';
import { baselineOf, startLogGuard } from '../../kernel/shell/master/log-guard.js';
import { leaderElected } from '../helpers/events.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const quiet = testLog();

/** A logger that keeps every error-level line. */
function errorLog(): { log: Logger; lines: { msg: string; code?: string }[] } {
  const lines: { msg: string; code?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as { msg: string; code?: string });
      done();
    },
  });
  return { log: pino({ level: 'error' }, sink), lines };
}

/** The stream's administrator: every JetStream API request, no event. */
const adminBus = (nats: SecureTestNats): Promise<Bus> => nats.bus('admin', 'admin', quiet);
/** A master's connection (it creates the stream and appends). */
const masterBus = (nats: SecureTestNats, name = 'writer'): Promise<Bus> => nats.bus('master', name, quiet);
/** A master's options, with credentials of its own. */
const masterOpts = (nats: SecureTestNats) => ({ nats: nats.url, creds: nats.creds('master', `m-${randomUUID()}`), port: 0 });

test('the stream refuses a purge and a message delete, even to its administrator', async () => {
  const nats = await withSecureNats();
  const bus = await adminBus(nats);
  const master = await masterBus(nats);
  try {
    await ensureStream(master.jsm);
    await append(master.js, leaderElected(1, { time: Date.now() }));
    const cfg = (await bus.jsm.streams.info(STREAM_NAME)).config;
    assert.ok(cfg.deny_delete && cfg.deny_purge, 'created with deny_delete and deny_purge');
    const refused = async (f: () => Promise<unknown>): Promise<boolean> => f().then(() => false, (e: unknown) => e instanceof JetStreamApiError);
    assert.ok(await refused(() => bus.jsm.streams.purge(STREAM_NAME)), 'a purge is refused');
    assert.ok(await refused(() => bus.jsm.streams.deleteMessage(STREAM_NAME, 1)), 'a message delete is refused');
    assert.ok(await refused(() => bus.jsm.streams.update(STREAM_NAME, { ...cfg, deny_purge: false })), 'nats-server never lets an update cancel deny_purge');
    assert.is((await bus.jsm.streams.info(STREAM_NAME)).state.messages, 1);
  } finally {
    await bus.close();
    await master.close();
    await nats.stop();
  }
});

test('an older stream without the protection: a master may not change it (it warns, naming the admin); the admin protects it', async () => {
  const nats = await withSecureNats();
  const bus = await adminBus(nats);
  const master = await masterBus(nats);
  const warned: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') warned.push((JSON.parse(l) as { msg: string }).msg);
      done();
    },
  });
  try {
    await bus.jsm.streams.add({ ...streamConfig(), deny_delete: false, deny_purge: false });
    // A master may create the stream, never update it: the change is the admin's.
    await ensureStream(master.jsm, undefined, pino({ level: 'warn' }, sink));
    assert.not.ok((await bus.jsm.streams.info(STREAM_NAME)).config.deny_purge, 'a master updated the stream');
    assert.ok(warned.some((m) => /have the admin set deny_delete and deny_purge/.test(m)), `the master says who may: ${warned.join(' | ')}`);
    await ensureStream(bus.jsm);
    const cfg = (await bus.jsm.streams.info(STREAM_NAME)).config;
    assert.ok(cfg.deny_delete && cfg.deny_purge);
  } finally {
    await bus.close();
    await master.close();
    await nats.stop();
  }
});

test('a deleted and re-created stream: leader and standby step down, /health and state answer 503 with the reason, logged at error', async () => {
  const nats = await withSecureNats();
  const admin = await adminBus(nats);
  const e1 = errorLog();
  const e2 = errorLog();
  const masters: MasterHandle[] = [];
  try {
    masters.push(await startMaster({ ...masterOpts(nats), allocationIntervalMs: 100, leaderLeaseMs: 600, logCheckIntervalMs: 100 }, e1.log));
    await waitFor(() => masters[0]!.isLeader(), 'the first master to lead');
    masters.push(await startMaster({ ...masterOpts(nats), allocationIntervalMs: 100, leaderLeaseMs: 600, logCheckIntervalMs: 100 }, e2.log));
    await masters[1]!.caughtUp;
    const [leader, standby] = masters as [MasterHandle, MasterHandle];
    for (const m of masters) assert.is((await fetch(`${m.url}/health`)).status, 200);

    // The admin deletes the stream and makes a new, empty one.
    await admin.jsm.streams.delete(STREAM_NAME);
    await ensureStream(admin.jsm);

    for (const m of masters) {
      await waitFor(async () => (await fetch(`${m.url}/health`)).status === 503, `${m.url}/health to answer 503`);
      const h = await fetch(`${m.url}/health`);
      assert.match(await h.text(), /STREAM_GONE|STREAM_RECREATED/);
      for (const path of ['/master/state', '/master/tasks', '/master/frameworks', '/metrics/snapshot', '/master/redirect']) {
        const r = await fetch(`${m.url}${path}`, { redirect: 'manual' });
        assert.is(r.status, 503, `${path} of ${m.url}`);
      }
      assert.ok(m.logFault() !== null);
      assert.not.ok(m.isLeader());
    }
    assert.ok(e1.lines.some((l) => l.msg === 'THE CLUSTER LOG NO LONGER HOLDS WHAT THIS MASTER FOLDED'), 'the leader logs it at error level');
    assert.ok(e2.lines.some((l) => l.msg === 'THE CLUSTER LOG NO LONGER HOLDS WHAT THIS MASTER FOLDED'), 'the standby logs it at error level');
    // The leader gave its lease up, and nobody took it: neither master stands again.
    const kv = await new Kvm(admin.nc).open(LEASE_BUCKET);
    await waitFor(async () => {
      const e = await kv.get('leader');
      return e === null || e.operation !== 'PUT';
    }, 'the lease to be released');
    assert.not.ok(leader.isLeader() || standby.isLeader(), 'a master stood for election on a log it no longer holds');
    // Both have tripped (above): stopping them ends whatever they were still doing, so the stream
    // as it is after the stop holds everything they could have written to it.
    for (const m of masters) await m.stop();
    assert.is((await admin.jsm.streams.info(STREAM_NAME)).state.messages, 0, 'nothing was written to the new stream');
  } finally {
    for (const m of masters) await m.stop().catch(() => undefined);
    await admin.close();
    await nats.stop();
  }
});

test('a standby whose guard has not yet seen the stream re-created gets the lease: it does not stand for election on the new stream', async () => {
  const nats = await withSecureNats();
  const admin = await adminBus(nats);
  const lines: { msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as { msg: string });
      done();
    },
  });
  const masters: MasterHandle[] = [];
  try {
    masters.push(await startMaster({ ...masterOpts(nats), allocationIntervalMs: 100, leaderLeaseMs: 600, logCheckIntervalMs: 100 }, quiet));
    await waitFor(() => masters[0]!.isLeader(), 'the first master to lead');
    // The standby checks its log only when it starts (and then once an hour): it is the slow one.
    masters.push(await startMaster({ ...masterOpts(nats), allocationIntervalMs: 100, leaderLeaseMs: 600, logCheckIntervalMs: 3_600_000 }, pino({ level: 'error' }, sink)));
    await masters[1]!.caughtUp;
    await admin.jsm.streams.delete(STREAM_NAME);
    await ensureStream(admin.jsm);
    // The leader trips and gives the lease up; the standby takes it and would stand.
    await waitFor(() => masters[0]!.logFault() !== null, 'the leader to notice');
    const refused = (): boolean => lines.some((l) => l.msg === 'not standing for election: the cluster log does not hold the elections this master folded');
    const written = async (): Promise<number> => (await admin.jsm.streams.info(STREAM_NAME)).state.messages;
    await waitFor(async () => refused() || masters[1]!.isLeader() || (await written()) > 0, 'the standby to stand or refuse to', 20_000);
    assert.is(await written(), 0, 'nothing was written to the new stream');
    assert.not.ok(masters[1]!.isLeader(), 'the standby leads on a log that lost its history');
    for (const m of masters) await m.stop();
    assert.is((await admin.jsm.streams.info(STREAM_NAME)).state.messages, 0, 'nothing was written to the new stream');
  } finally {
    for (const m of masters) await m.stop().catch(() => undefined);
    await admin.close();
    await nats.stop();
  }
});

test('a master started on a log that lost its beginning serves nothing of it', async () => {
  const nats = await withSecureNats();
  const admin = await adminBus(nats);
  const writer = await masterBus(nats);
  const e = errorLog();
  let m: MasterHandle | undefined;
  try {
    // A stream made by an older build, purged by its admin before this master starts.
    await admin.jsm.streams.add({ ...streamConfig(), deny_delete: false, deny_purge: false });
    await append(writer.js, leaderElected(1, { time: Date.now() }));
    await append(writer.js, leaderElected(2, { time: Date.now() }));
    await admin.jsm.streams.purge(STREAM_NAME, { seq: 2 });
    m = await startMaster({ ...masterOpts(nats), allocationIntervalMs: 100, leaderLeaseMs: 600, logCheckIntervalMs: 100, snapshotEveryEvents: 0 }, e.log);
    await waitFor(() => m!.logFault() !== null, 'the master to notice');
    assert.is(m.logFault()!.code, 'HISTORY_REMOVED');
    const h = await fetch(`${m.url}/health`);
    assert.is(h.status, 503);
    assert.match(await h.text(), /starts at sequence 2/);
    assert.is((await fetch(`${m.url}/master/state`)).status, 503);
    assert.not.ok(m.isLeader());
  } finally {
    await m?.stop().catch(() => undefined);
    await writer.close();
    await admin.close();
    await nats.stop();
  }
});

test('a log that grows fast while it is checked is fine: the fold passing the head the answer reports is not a fault', async () => {
  const nats = await withSecureNats();
  const bus = await masterBus(nats, 'guarded');
  try {
    await ensureStream(bus.jsm);
    await append(bus.js, leaderElected(1, { time: Date.now() }));
    // A fold that is always at the log's head, fed by another connection appending without pause:
    // it moves while each stream info request travels.
    const writer = await masterBus(nats);
    let folded = 1;
    const faults: string[] = [];
    const guard = startLogGuard({ jsm: bus.jsm, baseline: baselineOf(await bus.jsm.streams.info(STREAM_NAME)), folded: () => folded, snapshotSeq: 0, intervalMs: 1, log: quiet, onFault: (f) => faults.push(f.message) });
    const checks: Promise<unknown>[] = [];
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      sends.push(append(writer.js, leaderElected(i + 2, { id: `e-${i}`, time: Date.now() })).then((ack) => void (folded = Math.max(folded, ack.seq))));
      if (i % 10 === 0) {
        checks.push(guard.check());
        await new Promise((r) => setImmediate(r));
      }
    }
    await Promise.all([...sends, ...checks]);
    guard.stop();
    await writer.close();
    assert.equal(faults, []);
  } finally {
    await bus.close();
    await nats.stop();
  }
});

test.run();
