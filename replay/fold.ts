/**
 * Replay: fold any range of the log with the kernel's own `evolve`, reading only (it never writes).
 * Malformed messages are counted and skipped, exactly as the master does.
 */
import { CodecStats } from '../events/index.js';
import { type Bus, headSeq, readLog } from '../kernel/bus.js';
import { evolve, initialState } from '../kernel/projection.js';
import type { State } from '../kernel/state.js';

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
  readonly onProgress?: (seq: number, head: number) => void;
}

export async function replayLog(bus: Bus, o: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const head = await headSeq(bus.jsm);
  const to = Math.min(o.toSeq ?? head, head);
  let state = o.fromState?.state ?? initialState();
  let seq = o.fromState?.seq ?? 0;
  const codec = new CodecStats();
  let events = 0;
  if (to > seq) {
    for await (const entry of readLog(bus, { fromSeq: seq + 1, toSeq: to })) {
      codec.record(entry.decoded);
      if (entry.decoded.ok) state = evolve(state, entry.decoded.event);
      seq = entry.seq;
      events++;
      if (o.onProgress && events % 10_000 === 0) o.onProgress(seq, to);
      if (seq >= to) break;
    }
  }
  return { state, seq, codec, events, ms: performance.now() - started };
}
