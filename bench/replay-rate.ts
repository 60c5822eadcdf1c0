/**
 * replay: a cold replay of a long log from JetStream, as `mesos replay state` does it.
 *
 * A fresh nats-server gets a deterministic synthetic history (bench/synthetic-log.ts, 1,000,000
 * events by default), appended pipelined; while it is appended, the same history is folded here
 * and a snapshot is written every `snapshotEvery` events into the snapshot store, through the
 * store's own retention (the newest 3 and up to 32 spread over history), as a leader would. Then,
 * in the same run and alternating:
 *   (a) raw: the log reader (`readLog`, the same ordered consumer and batches) reads every message
 *       without decoding or folding — what JetStream and the client can deliver;
 *   (b) replay: `foldTo` from the first event, decode (with the canonical fast path) + `evolve`;
 *   (c) replay with zod only: the same, decoding as before the fast path (JSON + upcast + zod +
 *       subject check), to show what the fast path is worth end to end;
 * and once `mesos replay verify`'s work: decode, fold and every invariant after every event.
 * The figure is (b)/(a). Every replay must end in the state the generator predicts.
 * Then `points` random points of the history: the time to the state there, from the nearest
 * snapshot at or before it (listing the store, fetching and deserialising the snapshot, folding
 * the rest), as `mesos replay state --at` does: p50, p99 and max.
 */
import { pino } from 'pino';
import { type BenchBus, startBenchNats } from './bus.js';
import { ClusterEvent, CodecError, type Decoded, subjectFor, upcast } from '../events/index.js';
import { type Bus, connectBus, ensureStream, headSeq, readLog } from '../kernel/shell/bus.js';
import { openSnapshotStore } from '../kernel/shell/master/snapshots.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import type { State } from '../kernel/core/state.js';
import { busSource, foldTo, verifySource } from '../replay/index.js';
import { checkFoldedState } from './fold-rate.js';
import { collectGarbage } from './gc.js';
import { prefillLog } from './prefill.js';
import { Prng } from './prng.js';
import { latencySummary, metric } from './stats.js';
import { generateLog } from './synthetic-log.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface ReplayBenchOptions {
  /** An operator-mode server, every connection with credentials (default); false: an open bus. */
  readonly secure: boolean;
  readonly events: number;
  readonly agents: number;
  readonly frameworks: number;
  readonly seed: number;
  /** Timed runs of each kind of read. */
  readonly runs: number;
  /** A snapshot every this many events. */
  readonly snapshotEvery: number;
  /** Random points of history timed. */
  readonly points: number;
  /** Publishes outstanding while the log is appended. */
  readonly window: number;
}

export const defaultReplayOptions = (): ReplayBenchOptions => ({ events: 1_000_000, agents: 100, frameworks: 10, seed: 42, runs: 3, snapshotEvery: 20_000, points: 30, window: 512, secure: true });

const SKIPPED: Decoded = { ok: false, error: new CodecError('NOT_AN_EVENT', 'not decoded (raw read)') };
const dec = new TextDecoder();

/** Decoding as it was before the canonical fast path: JSON, upcast, zod, subject check. */
function zodDecode(data: Uint8Array, subject: string): Decoded {
  const raw = JSON.parse(dec.decode(data)) as Record<string, unknown>;
  const u = upcast(raw);
  if (!u.ok) return { ok: false, error: new CodecError('UNKNOWN_SCHEMA_VERSION', u.message) };
  const p = ClusterEvent.safeParse(u.value);
  if (!p.success) return { ok: false, error: new CodecError('SCHEMA_VIOLATION', 'invalid') };
  if (subjectFor(p.data) !== subject) return { ok: false, error: new CodecError('WRONG_SUBJECT', 'wrong subject') };
  return { ok: true, event: p.data };
}

async function rawRead(bus: Bus, head: number): Promise<number> {
  let n = 0;
  let bytes = 0;
  for await (const e of readLog(bus, { fromSeq: 1, toSeq: head, decoder: () => SKIPPED })) {
    n++;
    bytes += e.data.length;
    if (e.seq >= head) break;
  }
  if (n !== head) throw new SanityError(`raw read: ${n} messages of ${head}`);
  return bytes;
}

async function zodReplay(bus: Bus, head: number): Promise<State> {
  let s = initialState();
  let n = 0;
  for await (const e of readLog(bus, { fromSeq: 1, toSeq: head, decoder: zodDecode })) {
    if (!e.decoded.ok) throw new SanityError(`seq ${e.seq} did not decode: ${e.decoded.error.message}`);
    s = evolve(s, e.decoded.event);
    n++;
    if (e.seq >= head) break;
  }
  if (n !== head) throw new SanityError(`zod replay: ${n} events of ${head}`);
  return s;
}

export async function runReplay(o: ReplayBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  const wall = performance.now();
  const log = pino({ level: 'silent' });
  ctx.progress(`replay: generating ${o.events.toLocaleString('en-US')} events (seed ${o.seed})`);
  const synth = generateLog({ events: o.events, agents: o.agents, frameworks: o.frameworks, seed: o.seed });
  // Secured (default): the synthetic history and its snapshots are written by the bench's history
  // writer (bench/bus.ts), and everything timed reads as the auditor, as `mesos replay` does.
  const nb: BenchBus = await startBenchNats({ auth: o.secure });
  const server = nb.server;
  const writer = await connectBus({ servers: server.url, name: 'bench-replay-writer', log, ...nb.historyWriter() });
  const bus = await connectBus({ servers: server.url, name: 'bench-replay', log, ...nb.as('auditor', 'bench-replay') });
  try {
    await ensureStream(writer.jsm);
    const store = await openSnapshotStore(writer, 1, log);
    // Append the history; fold it alongside and snapshot as a leader would (seq = index + 1 on a fresh stream).
    ctx.progress(`replay: appending to JetStream (window ${o.window}) with a snapshot every ${o.snapshotEvery.toLocaleString('en-US')} events`);
    let state = initialState();
    let folded = 0;
    let snapshotBytes = 0;
    let snapshots = 0;
    const writes: Promise<unknown>[] = [];
    const pre = await prefillLog(writer.js, synth.events, {
      window: o.window,
      onEvent: (e) => {
        state = evolve(state, e);
        folded++;
        if (folded % o.snapshotEvery === 0) {
          // The store serialises the state synchronously (a consistent copy at this sequence).
          writes.push(store.write(state, folded).then((r) => ((snapshotBytes += r.bytes), snapshots++)));
        }
      },
      progress: (done) => ctx.progress(`replay: appended ${done.toLocaleString('en-US')}`),
      progressEvery: 200_000,
    });
    await Promise.all(writes);
    const head = await headSeq(bus.jsm);
    if (head !== o.events || pre.lastSeq !== o.events) throw new SanityError(`the stream holds ${head} messages, expected ${o.events}`);
    checkFoldedState(state, synth.expected, synth);
    const kept = await store.seqs();
    const expected = synth.expected;
    const eventCount = synth.events.length;
    synth.events.length = 0; // only the bytes in JetStream from here on
    state = initialState();
    collectGarbage();
    ctx.progress(`replay: ${(pre.bytes / 1e6).toFixed(0)} MB appended in ${(pre.ms / 1000).toFixed(1)} s; ${snapshots} snapshots written (${(snapshotBytes / snapshots / 1e6).toFixed(1)} MB each), ${kept.length} kept`);

    const source = busSource(bus, server.url, log);
    const raw: number[] = [];
    const replay: number[] = [];
    const zod: number[] = [];
    let rawBytes = 0;
    for (let r = 0; r < o.runs; r++) {
      collectGarbage();
      let t = performance.now();
      rawBytes = await rawRead(bus, head);
      raw.push(head / ((performance.now() - t) / 1000));
      collectGarbage();
      t = performance.now();
      const rr = await foldTo(source, { to: head, useSnapshots: false });
      replay.push(head / ((performance.now() - t) / 1000));
      if (rr.codec.malformed > 0) throw new SanityError(`${rr.codec.malformed} malformed in the replay`);
      checkFoldedState(rr.state, expected, { ...synth, events: [] });
      collectGarbage();
      t = performance.now();
      const zs = await zodReplay(bus, head);
      zod.push(head / ((performance.now() - t) / 1000));
      checkFoldedState(zs, expected, { ...synth, events: [] });
      ctx.progress(`replay: run ${r + 1}/${o.runs}: raw ${fmt(raw.at(-1)!)}/s, replay ${fmt(replay.at(-1)!)}/s (${((100 * replay.at(-1)!) / raw.at(-1)!).toFixed(0)}% of raw), zod-only replay ${fmt(zod.at(-1)!)}/s`);
    }

    // The auditor's full check: decode, fold and every invariant after every event.
    collectGarbage();
    const vt = performance.now();
    const report = await verifySource(source, { maxViolations: 5 });
    const verifyRate = head / ((performance.now() - vt) / 1000);
    if (report.violations.length > 0) throw new SanityError(`verify found violations in the synthetic log: ${report.violations.map((v) => `${v.invariant}@${v.seq}: ${v.message}`).join('; ')}`);
    ctx.progress(`replay: verify ${fmt(verifyRate)}/s, all invariants hold`);

    // Random points, from the nearest snapshot.
    const rng = new Prng(o.seed + 1);
    const times: number[] = [];
    const loadTimes: number[] = [];
    const foldedAfter: number[] = [];
    for (let i = 0; i < o.points; i++) {
      const at = rng.int(1, head);
      collectGarbage();
      const t = performance.now();
      const r = await foldTo(source, { to: at });
      times.push(performance.now() - t);
      loadTimes.push(r.snapshotMs);
      foldedAfter.push(at - (r.snapshotSeq ?? 0));
      if (r.seq !== at) throw new SanityError(`state at ${at} ended at ${r.seq}`);
    }
    const lat = latencySummary(times);
    const ratios = replay.map((x, i) => x / raw[i]!);
    return {
      name: 'replay',
      params: { events: o.events, agents: o.agents, frameworks: o.frameworks, seed: o.seed, runs: o.runs, snapshotEvery: o.snapshotEvery, points: o.points, window: o.window, snapshotsKept: kept.length, bus: o.secure ? 'secured (auditor reads)' : 'open' },
      metrics: {
        'raw read (no decode, no fold)': metric('events/s', raw),
        'replay (decode + fold)': metric('events/s', replay),
        'replay / raw': metric('ratio', ratios),
        'replay, zod-only decode': metric('events/s', zod),
        'verify (every invariant)': metric('events/s', [verifyRate]),
        'state at a random point, p50': metric('ms', [lat.p50], { better: 'lower' }),
        'state at a random point, p99': metric('ms', [lat.p99], { better: 'lower' }),
      },
      notes: [
        `log: ${eventCount.toLocaleString('en-US')} events, ${(rawBytes / 1e6).toFixed(0)} MB (${(rawBytes / eventCount).toFixed(0)} B/event) read by the same ordered consumer in every run`,
        `snapshots: one every ${o.snapshotEvery.toLocaleString('en-US')} events through the store's retention: ${kept.length} kept (${kept
          .slice()
          .sort((a, b) => a - b)
          .map((s) => `${Math.round(s / 1000)}k`)
          .join(', ')}), ${(snapshotBytes / Math.max(1, snapshots) / 1e6).toFixed(1)} MB each`,
        `${o.points} random points: ${lat.p50.toFixed(0)} ms p50, ${lat.p99.toFixed(0)} ms p99, ${lat.max.toFixed(0)} ms max; of which finding, fetching and deserialising the snapshot ${median(loadTimes).toFixed(0)} ms median; events folded after the snapshot: median ${fmt(median(foldedAfter))}, max ${fmt(Math.max(...foldedAfter))}`,
        'checks: every replay (fast and zod-only) ended in the state the generator predicts',
      ],
      details: { times, loadTimes, foldedAfter, kept, prefill: pre },
      wallMs: performance.now() - wall,
    };
  } finally {
    await bus.close();
    await writer.close();
    await nb.stop();
  }
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
