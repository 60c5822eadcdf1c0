/**
 * The log guard: a master's check that the stream still holds what it folded.
 *
 * A master's state is a fold of the log; it may serve it only while the log still holds every
 * event it is made of. The stream is created with `deny_delete` and `deny_purge` (events/stream.ts),
 * so no message can be removed from it through the JetStream API; what remains is deleting the whole
 * stream (which credentials restrict to the admin) and re-creating it. The guard reads the stream's
 * info on an interval and trips, for good, when:
 *
 * - STREAM_GONE: the stream no longer exists;
 * - STREAM_RECREATED: it exists, but with another creation time than when this master started;
 * - HISTORY_REMOVED: it no longer starts where it did (its first sequence moved past what this
 *   master's start — its snapshot, or the beginning — needs), or messages were deleted from it;
 * - LOG_BEHIND: its last sequence is behind what this master has already folded.
 *
 * A fault is acted on only when a second look, a moment later, sees it too. What to do about it
 * (stop leading, answer 503, stop folding) is the caller's; the guard only says.
 */
import { JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { STREAM_NAME } from '../../../events/index.js';

export type LogFaultCode = 'STREAM_GONE' | 'STREAM_RECREATED' | 'HISTORY_REMOVED' | 'LOG_BEHIND';

export interface LogFault {
  readonly code: LogFaultCode;
  /** What is wrong and what to do, for /health and the log. */
  readonly message: string;
  /** When it was noticed (ms since the epoch). */
  readonly at: number;
}

/** What the stream looked like when the master started. */
export interface LogBaseline {
  readonly created: string;
  /** The first sequence it held (last + 1 when empty). */
  readonly firstSeq: number;
  readonly deleted: number;
}

export interface LogGuardOptions {
  readonly jsm: JetStreamManager;
  /** The stream's state when the master started (`baselineOf`). */
  readonly baseline: LogBaseline;
  /** The last sequence this master folded. */
  readonly folded: () => number;
  /** The sequence the master's start covers without the log (its snapshot's; 0 folding from the start). */
  readonly snapshotSeq: number;
  readonly intervalMs: number;
  readonly onFault: (f: LogFault) => void;
  readonly log: Logger;
}

export interface LogGuard {
  fault(): LogFault | null;
  /** Check now (the interval does it too). */
  check(): Promise<LogFault | null>;
  stop(): void;
}

const firstOf = (i: StreamInfo): number => (i.state.messages === 0 ? i.state.last_seq + 1 : i.state.first_seq);

export const baselineOf = (i: StreamInfo): LogBaseline => ({ created: i.created, firstSeq: firstOf(i), deleted: i.state.num_deleted ?? 0 });

/** A fault is acted on only when a second look this long after the first sees it too (ms). */
const CONFIRM_AFTER_MS = 250;

const ADVICE = 'This master stopped leading and serves nothing more; restore the stream from a backup (or start a new cluster) and restart the masters.';

/** What is wrong with the stream as it is now, against the baseline (null: nothing). */
export function judgeStream(info: StreamInfo | null, b: LogBaseline, folded: number, snapshotSeq: number, now: number): LogFault | null {
  const fault = (code: LogFaultCode, what: string): LogFault => ({ code, message: `${what}. ${ADVICE}`, at: now });
  if (info === null) return fault('STREAM_GONE', `the cluster log (stream ${STREAM_NAME}) is gone: it was deleted`);
  if (info.created !== b.created) {
    return fault('STREAM_RECREATED', `the cluster log (stream ${STREAM_NAME}) was re-created (created ${info.created}; this master started on the stream created ${b.created}): the history this master folded is not in it`);
  }
  const first = firstOf(info);
  if (first > b.firstSeq && first > 1) {
    return fault('HISTORY_REMOVED', `the cluster log now starts at sequence ${first}, but it started at ${b.firstSeq} when this master started: events it folded were removed (purged)`);
  }
  if (first > snapshotSeq + 1 && folded > 0 && first > 1) {
    return fault('HISTORY_REMOVED', `the cluster log starts at sequence ${first}, but this master's start (${snapshotSeq === 0 ? 'the beginning of the log' : `its snapshot at ${snapshotSeq}`}) needs it from ${snapshotSeq + 1}`);
  }
  const deleted = info.state.num_deleted ?? 0;
  if (deleted > b.deleted) return fault('HISTORY_REMOVED', `${deleted - b.deleted} message(s) were deleted from the cluster log since this master started`);
  if (info.state.last_seq < folded) {
    return fault('LOG_BEHIND', `the cluster log ends at sequence ${info.state.last_seq}, behind the ${folded} this master has folded: it lost events this master holds`);
  }
  return null;
}

export function startLogGuard(o: LogGuardOptions): LogGuard {
  const glog = o.log.child({ component: 'log-guard' });
  let tripped: LogFault | null = null;
  let checking: Promise<LogFault | null> | null = null;

  async function read(): Promise<StreamInfo | null | undefined> {
    try {
      return await o.jsm.streams.info(STREAM_NAME);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === 10059) return null;
      // NATS unreachable or slow: not a verdict on the log (the follower's health covers it).
      glog.debug({ err }, 'cannot read the stream info now');
      return undefined;
    }
  }

  /** One verdict on the stream as it is now (undefined: it could not be read). */
  async function judge(): Promise<LogFault | null | undefined> {
    // What was folded before the stream is asked: the fold moves on while the answer travels, and
    // what it folds meanwhile is past the last sequence the answer reports.
    const folded = o.folded();
    const info = await read();
    return info === undefined ? undefined : judgeStream(info, o.baseline, folded, o.snapshotSeq, Date.now());
  }

  function check(): Promise<LogFault | null> {
    if (tripped !== null) return Promise.resolve(tripped);
    checking ??= (async () => {
      let f = await judge();
      if (f === undefined || f === null || tripped !== null) return tripped;
      // Confirmed by a second look a moment later: a stream info answered by a server that is
      // still catching up (a node of a cluster just restarted) must not end a healthy master.
      await new Promise((r) => setTimeout(r, CONFIRM_AFTER_MS));
      const again = await judge();
      if (again === undefined || again === null || again.code !== f.code || tripped !== null) return tripped;
      f = again;
      if (f !== null) {
        tripped = f;
        glog.error({ code: f.code, reason: f.message }, 'THE CLUSTER LOG NO LONGER HOLDS WHAT THIS MASTER FOLDED');
        o.onFault(f);
      }
      return tripped;
    })().finally(() => {
      checking = null;
    });
    return checking;
  }

  const timer = setInterval(() => void check(), o.intervalMs);
  timer.unref();
  return {
    fault: () => tripped,
    check,
    stop: () => clearInterval(timer),
  };
}
