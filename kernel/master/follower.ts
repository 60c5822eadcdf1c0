/**
 * The follower: reads the whole log in order and folds it into the projection. Every master runs
 * one; the leader also decides. Malformed messages are counted, logged once each and skipped.
 */
import type { Logger } from 'pino';
import { type ClusterEvent, CodecStats } from '../../events/index.js';
import { type Bus, headSeq, readLog } from '../bus.js';
import { evolve, initialState } from '../projection.js';
import type { State } from '../state.js';

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
  stop(): Promise<void>;
}

/** Start from a snapshot (state and the sequence it covers) or from the beginning of the log. */
export function startFollower(bus: Bus, log: Logger, onEvent: (e: ClusterEvent, seq: number) => void, from?: { state: State; seq: number }): Follower {
  const projection: Projection = { state: from?.state ?? initialState(), seq: from?.seq ?? 0, caughtUp: false, codec: new CodecStats() };
  const abort = new AbortController();
  const waiters: { seq: number; resolve: () => void }[] = [];
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((r) => (resolveCaughtUp = r));
  const flog = log.child({ component: 'follower' });

  const run = (async () => {
    const head = await headSeq(bus.jsm);
    if (head <= projection.seq) {
      projection.caughtUp = true;
      resolveCaughtUp();
    }
    for await (const entry of readLog(bus, { fromSeq: projection.seq + 1, signal: abort.signal })) {
      projection.codec.record(entry.decoded);
      if (entry.decoded.ok) {
        projection.state = evolve(projection.state, entry.decoded.event);
      } else {
        flog.warn({ seq: entry.seq, subject: entry.subject, code: entry.decoded.error.code, reason: entry.decoded.error.message }, 'skipped a malformed message');
      }
      projection.seq = entry.seq;
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
    async stop() {
      abort.abort();
      await run;
    },
  };
}
