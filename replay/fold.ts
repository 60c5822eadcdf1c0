/**
 * Replay: fold any range of the log with the kernel's own `evolve`, reading only (it never writes).
 * Malformed messages are counted and skipped, exactly as the master does. To reach a point of a
 * long history quickly, the fold starts from the nearest snapshot at or before it (the snapshots a
 * leader writes; see kernel/shell/master/snapshots.ts) and folds only the rest.
 */
import { CodecStats } from '../events/index.js';
import { type Bus, headSeq } from '../kernel/shell/bus.js';
import { evolve, initialState } from '../kernel/core/fold/index.js';
import type { State } from '../kernel/core/state.js';
import { type ProgressOutput, startProgress } from './progress.js';
import { type Entry, type LogSource, busSource } from './source.js';

export interface FoldOptions {
  /** Fold up to and including this sequence. */
  readonly to: number;
  /** Start from this state (updated in place) and the sequence it covers. */
  readonly from?: { readonly state: State; readonly seq: number };
  /** Start from the nearest snapshot at or before `to`, if the source has one (default true). */
  readonly useSnapshots?: boolean;
  /** Where a progress bar goes (a terminal), or null for none. */
  readonly progress?: ProgressOutput | null;
  readonly label?: string;
  /** Called for each decoded entry before it is folded, with the state it is folded into. */
  readonly before?: (entry: Entry, state: State) => void;
  /** Called after it is folded. */
  readonly after?: (entry: Entry, state: State) => void;
}

export interface FoldResult {
  readonly state: State;
  /** The last sequence covered (= `to`). */
  readonly seq: number;
  /** The snapshot the fold started from, if any. */
  readonly snapshotSeq: number | null;
  /** Time spent finding, fetching and deserialising it (ms). */
  readonly snapshotMs: number;
  readonly codec: CodecStats;
  /** Entries read (folded or skipped as malformed). */
  readonly events: number;
  readonly ms: number;
}

export async function foldTo(source: LogSource, o: FoldOptions): Promise<FoldResult> {
  const started = performance.now();
  let state: State | undefined;
  let seq = 0;
  let snapshotSeq: number | null = null;
  let snapshotMs = 0;
  if (o.from !== undefined) {
    state = o.from.state;
    seq = o.from.seq;
  } else if (o.useSnapshots !== false && o.to > 0) {
    const t = performance.now();
    const snap = await (await source.snapshots())?.latest(o.to);
    snapshotMs = performance.now() - t;
    if (snap != null) {
      state = snap.state;
      seq = snap.seq;
      snapshotSeq = snap.seq;
    }
  }
  state ??= initialState();
  const codec = new CodecStats();
  const progress = startProgress(o.progress ?? null, { label: o.label ?? 'folding', from: seq + 1, to: o.to });
  if (o.to > seq) {
    for await (const entry of source.read({ from: seq + 1, to: o.to })) {
      codec.record(entry.decoded);
      progress.tick(entry.seq);
      if (entry.decoded.ok) {
        o.before?.(entry, state);
        state = evolve(state, entry.decoded.event);
        o.after?.(entry, state);
      }
    }
  }
  const p = progress.done();
  return { state, seq: Math.max(seq, o.to), snapshotSeq, snapshotMs, codec, events: p.events, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// The original entry point (a connected bus, from the start), kept for its callers.

export interface ReplayResult {
  readonly state: State;
  /** The last sequence folded (0 when nothing was). */
  readonly seq: number;
  readonly codec: CodecStats;
  readonly events: number;
  readonly ms: number;
}

export interface ReplayOptions {
  /** Fold up to and including this sequence (default: the head when the replay starts). */
  readonly toSeq?: number;
  readonly fromState?: { readonly state: State; readonly seq: number };
}

export async function replayLog(bus: Bus, o: ReplayOptions = {}): Promise<ReplayResult> {
  const head = await headSeq(bus.jsm);
  const to = Math.min(o.toSeq ?? head, head);
  const r = await foldTo(busSource(bus, 'bus', null), { to, useSnapshots: false, ...(o.fromState ? { from: o.fromState } : {}) });
  return { state: r.state, seq: r.seq, codec: r.codec, events: r.events, ms: r.ms };
}
