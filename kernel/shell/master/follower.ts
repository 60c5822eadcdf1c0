/**
 * The follower: reads the whole log in order and folds it into the projection. Every master runs
 * one; the leader also decides. Malformed messages are counted, logged once each and skipped.
 */
import type { Logger } from 'pino';
import { type ClusterEvent, CodecStats } from '../../../events/index.js';
import { type Bus, headSeq, readLog } from '../bus.js';
import { evolve, initialState } from '../../core/fold/index.js';
import type { State } from '../../core/state.js';

export interface Projection {
  state: State;
  /** Last folded stream sequence. */
  seq: number;
  caughtUp: boolean;
  readonly codec: CodecStats;
}

export interface Follower {
  readonly projection: Projection;
  /** Resolves once the fold has reached the log's head as it was at start. */
  readonly caughtUp: Promise<void>;
  /** Resolves once the fold has passed `seq`. */
  reached(seq: number): Promise<void>;
  /**
   * Whether the fold keeps up with the log: it has caught up once, and it is either at the head
   * (as the last message read said) or has folded something within `stallMs`. A master whose fold
   * is stuck behind the log must not lead.
   */
  healthy(stallMs: number): boolean;
  stop(): Promise<void>;
}

/** The longest the fold runs without letting the event loop turn (ms). */
const YIELD_EVERY_MS = 50;

/** Start from a snapshot (state and the sequence it covers) or from the beginning of the log. */
export function startFollower(bus: Bus, log: Logger, onEvent: (e: ClusterEvent, seq: number) => void, from?: { state: State; seq: number }): Follower {
  const projection: Projection = { state: from?.state ?? initialState(), seq: from?.seq ?? 0, caughtUp: false, codec: new CodecStats() };
  const abort = new AbortController();
  const waiters: { seq: number; resolve: () => void }[] = [];
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((r) => (resolveCaughtUp = r));
  const flog = log.child({ component: 'follower' });
  /** Messages after the last one folded, when it was read; and when the fold last moved. */
  let behind = 0;
  let progressAt = Date.now();

  const run = (async () => {
    const head = await headSeq(bus.jsm);
    if (head <= projection.seq) {
      projection.caughtUp = true;
      resolveCaughtUp();
    }
    let turnAt = performance.now();
    for await (const entry of readLog(bus, { fromSeq: projection.seq + 1, signal: abort.signal })) {
      // Messages already in memory are handed over without a turn of the event loop; give one now
      // and then, so that the socket is read (pings, appends' acks) and HTTP is served while a
      // long stretch of the log is folded.
      if (performance.now() - turnAt > YIELD_EVERY_MS) {
        await new Promise((r) => setImmediate(r));
        turnAt = performance.now();
      }
      projection.codec.record(entry.decoded);
      if (entry.decoded.ok) {
        projection.state = evolve(projection.state, entry.decoded.event);
      } else {
        flog.warn({ seq: entry.seq, subject: entry.subject, code: entry.decoded.error.code, reason: entry.decoded.error.message }, 'skipped a malformed message');
      }
      projection.seq = entry.seq;
      behind = entry.pending;
      progressAt = Date.now();
      if (!projection.caughtUp && entry.seq >= head) {
        projection.caughtUp = true;
        flog.info({ seq: entry.seq, events: projection.state.counters.eventsFolded }, 'caught up with the log');
        resolveCaughtUp();
      }
      if (entry.decoded.ok) onEvent(entry.decoded.event, entry.seq);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (entry.seq >= w.seq) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) flog.error({ err }, 'log follower stopped');
  });

  return {
    projection,
    caughtUp,
    reached(seq) {
      if (projection.seq >= seq) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ seq, resolve }));
    },
    healthy(stallMs) {
      return projection.caughtUp && (behind === 0 || Date.now() - progressAt <= stallMs);
    },
    async stop() {
      abort.abort();
      await run;
    },
  };
}
