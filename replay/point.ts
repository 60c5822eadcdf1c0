/**
 * A point of history, as the replay commands take it (`--at`, `--from`, `--to`):
 *   1234                        a log sequence (the state after folding events 1..1234; 0 is empty)
 *   seq:1234                    the same, explicitly
 *   2026-12-01T08:00:00Z        a time, ISO 8601 with a zone (Z or ±hh:mm), or a date (UTC midnight)
 *   1764576000000 / ms:1764…    a time in ms since the epoch (a bare number from 10^11 up is a
 *                               time: no log holds a hundred billion events)
 *   head                        the last event stored when the command starts
 * A time means the events the log had stored by then, by the log's own clock (JetStream's
 * timestamps, one clock that grows with the sequence), not the `time` an appender wrote in its
 * event (each party's own clock).
 */
import { ReplayError } from './errors.js';
import type { Head, LogSource } from './source.js';

export type PointSpec =
  | { readonly kind: 'seq'; readonly seq: number; readonly text: string }
  | { readonly kind: 'time'; readonly ms: number; readonly text: string }
  | { readonly kind: 'head'; readonly text: string };

export interface Point {
  readonly seq: number;
  /** When the log stored event `seq` (0 for seq 0 or unknown). */
  readonly storedAt: number;
  /** How the point was given, and what it resolved to, for messages. */
  readonly label: string;
}

const TIME_FROM = 1e11;

export function parsePoint(text: string, flag: string): PointSpec {
  const t = text.trim();
  const bad = (why: string): never => {
    throw new ReplayError(
      'BAD_POINT',
      `--${flag} ${JSON.stringify(text)}: ${why}. Give a log sequence (1234), a time with a zone (2026-12-01T08:00:00Z), ms since the epoch (ms:1764576000000) or "head"`,
    );
  };
  if (t === 'head') return { kind: 'head', text: t };
  const prefixed = /^(seq|ms):(.*)$/.exec(t);
  const num = prefixed ? prefixed[2]!.trim() : t;
  if (/^-?\d+$/.test(num)) {
    const n = Number(num);
    if (!Number.isSafeInteger(n) || n < 0) bad('a negative or too large number');
    if (prefixed?.[1] === 'seq' || (prefixed === null && n < TIME_FROM)) return { kind: 'seq', seq: n, text: t };
    return { kind: 'time', ms: n, text: t };
  }
  if (prefixed !== null) bad(`"${prefixed[1]}:" needs a whole number`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    if (Number.isNaN(ms)) bad('not a valid date');
    return { kind: 'time', ms, text: t };
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) bad('a time needs a zone (Z or an offset such as +01:00), so that it means the same everywhere');
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) bad('not a valid ISO 8601 time');
    return { kind: 'time', ms, text: t };
  }
  return bad('not a sequence or a time');
}

export async function resolvePoint(source: LogSource, spec: PointSpec, head: Head, flag: string): Promise<Point> {
  const iso = (ms: number): string => new Date(ms).toISOString();
  switch (spec.kind) {
    case 'head':
      return { seq: head.last, storedAt: head.lastStoredAt, label: `the head (seq ${head.last})` };
    case 'seq':
      if (spec.seq > head.last) {
        throw new ReplayError('BAD_POINT', `--${flag} ${spec.seq}: the log ends at seq ${head.last}${head.lastStoredAt > 0 ? ` (stored ${iso(head.lastStoredAt)})` : ''}`);
      }
      if (spec.seq > 0 && spec.seq < head.first) {
        throw new ReplayError('BAD_POINT', `--${flag} ${spec.seq}: the log begins at seq ${head.first} (earlier events were deleted)`);
      }
      return { seq: spec.seq, storedAt: await source.storedAt(spec.seq), label: `seq ${spec.seq}` };
    case 'time': {
      const r = await source.seqAtTime(spec.ms);
      const when = iso(spec.ms);
      if (r.seq === 0) return { seq: 0, storedAt: 0, label: `${when} (before the first event: the empty state)` };
      return { seq: r.seq, storedAt: r.storedAt, label: `${when} (seq ${r.seq}, stored ${iso(r.storedAt)}${r.seq === head.last ? ', the head' : ''})` };
    }
  }
}
