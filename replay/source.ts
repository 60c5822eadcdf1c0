/**
 * Where a replay reads the log from: the cluster's JetStream stream (read only: an ordered
 * consumer, direct reads, the snapshot store opened without creating anything), or a file written
 * by `mesos replay export --format jsonl` (golden logs, archives, logs copied off a cluster). Both
 * give the same entries — sequence, subject, the time the log stored it, the decoded event — so
 * every replay command works on either.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { type Decoded, STREAM_NAME } from '../events/index.js';
import { type Bus, connectBus, readLog, seqAtTime } from '../kernel/shell/bus.js';
import { type SnapshotReader, openSnapshotReader } from '../kernel/shell/master/snapshots.js';
import { ReplayError } from './errors.js';
import { readExportFile } from './export.js';
import type { Entry } from './entry.js';

export type { Entry } from './entry.js';

export interface Head {
  /** The first and last sequences held (0, 0 when empty). */
  readonly first: number;
  readonly last: number;
  readonly lastStoredAt: number;
}

export interface ReadRange {
  readonly from: number;
  readonly to: number;
  /** Only these subjects (NATS wildcards), when the source can filter cheaply. */
  readonly subjects?: readonly string[];
}

export interface LogSource {
  /** What the source is, for messages (`nats://…`, a file name). */
  readonly name: string;
  head(): Promise<Head>;
  /** Entries with from <= seq <= to, in order. */
  read(r: ReadRange): AsyncIterable<Entry>;
  /** The last sequence stored at or before `ms` (0 when none). */
  seqAtTime(ms: number): Promise<{ seq: number; storedAt: number }>;
  /** When the log stored sequence `seq` (0 when it holds no such message). */
  storedAt(seq: number): Promise<number>;
  /** Snapshots of the projection, when the source has any. */
  snapshots(): Promise<SnapshotReader | null>;
  close(): Promise<void>;
}

/** Connect to the cluster's NATS and check its log is there; nothing is created or written. */
export async function natsSource(servers: string, log: Logger, creds?: string): Promise<LogSource> {
  const bus: Bus = await connectBus({ servers, name: 'mesos-replay', log, connectTimeoutMs: 5000, ...(creds !== undefined ? { creds } : {}) });
  const source = busSource(bus, servers, log, () => bus.close());
  try {
    await source.head();
  } catch (err) {
    await bus.close();
    throw err;
  }
  return source;
}

/** The log of an already connected bus (`close` closes only what `onClose` says). */
export function busSource(bus: Bus, name: string, log: Logger | null, onClose: () => Promise<void> = async () => undefined): LogSource {
  const info = async () => {
    try {
      return await bus.jsm.streams.info(STREAM_NAME);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === 10059) {
        throw new ReplayError('NO_LOG', `there is no cluster log (JetStream stream ${STREAM_NAME}) on ${name}: is this the cluster's NATS? A master creates the stream when it first starts`);
      }
      throw new ReplayError('NO_LOG', `cannot read the cluster log on ${name}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    name,
    async head() {
      const i = await info();
      return { first: i.state.messages === 0 ? 0 : i.state.first_seq, last: i.state.last_seq, lastStoredAt: i.state.last_ts ? Date.parse(i.state.last_ts) : 0 };
    },
    read(r) {
      // The reader itself stops at `to` (no generator around it: each layer costs every message).
      if (r.to < r.from) return (async function* () {})();
      return readLog(bus, { fromSeq: r.from, toSeq: r.to, ...(r.subjects ? { filter: r.subjects, untilHead: true } : {}) });
    },
    seqAtTime: (ms) => seqAtTime(bus.jsm, ms),
    async storedAt(seq) {
      if (seq < 1) return 0;
      const m = await bus.jsm.direct.getMessage(STREAM_NAME, { seq }).catch(() => null);
      return m?.seq === seq ? m.time.getTime() : 0;
    },
    snapshots: async () => (log === null ? null : openSnapshotReader(bus, log)),
    close: onClose,
  };
}

/** A JSON Lines export (`mesos replay export --format jsonl`, with or without `--raw`). */
export async function fileSource(path: string): Promise<LogSource> {
  const entries = await readExportFile(path);
  const first = entries[0]?.seq ?? 0;
  const last = entries.at(-1)?.seq ?? 0;
  return {
    name: path,
    async head() {
      return { first, last, lastStoredAt: entries.at(-1)?.storedAt ?? 0 };
    },
    async *read(r) {
      // Entries are in sequence order (checked when read): find the first by bisection.
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (entries[mid]!.seq < r.from) lo = mid + 1;
        else hi = mid;
      }
      const match = r.subjects ? subjectMatcher(r.subjects) : null;
      for (let i = lo; i < entries.length && entries[i]!.seq <= r.to; i++) {
        if (match === null || match(entries[i]!.subject)) yield entries[i]!;
      }
    },
    async seqAtTime(ms) {
      let best = { seq: 0, storedAt: 0 };
      for (const e of entries) {
        if (e.storedAt > ms) break;
        best = { seq: e.seq, storedAt: e.storedAt };
      }
      return best;
    },
    async storedAt(seq) {
      return entries.find((e) => e.seq === seq)?.storedAt ?? 0;
    },
    snapshots: async () => null,
    close: async () => undefined,
  };
}

/** A predicate for NATS subject filters (`*` one token, `>` the rest). */
export function subjectMatcher(filters: readonly string[]): (subject: string) => boolean {
  const compiled = filters.map((f) => f.split('.'));
  return (subject) => {
    const t = subject.split('.');
    return compiled.some((f) => {
      for (let i = 0; i < f.length; i++) {
        if (f[i] === '>') return t.length > i;
        if (i >= t.length || (f[i] !== '*' && f[i] !== t[i])) return false;
      }
      return t.length === f.length;
    });
  };
}
