/**
 * The operator event stream: `SUBSCRIBE` on `POST /api/v1`, served by every master (leader or
 * standby). RecordIO-framed JSON `Event`s as Mesos sends them: SUBSCRIBED (with GET_STATE), then
 * TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED, FRAMEWORK_UPDATED,
 * FRAMEWORK_REMOVED as the fold moves, and HEARTBEAT.
 *
 * Beyond Mesos, each derived event carries `event_id` = `<log seq>-<index>` (the log event it came
 * from, and its place among that event's stream events). Every master derives the same events with
 * the same ids (stream-events.ts is a pure function of the fold), so a subscriber that lost its
 * connection, or whose master died, subscribes again to any master with `Last-Event-ID: <id>` (or
 * `subscribe.last_event_id`) and gets exactly the events after that id: none missed, none twice.
 *
 * Each master keeps a journal of the last `journalEvents` events (each one encoded once, shared by
 * all subscribers). A subscriber is a cursor into the journal: it is written to while its socket
 * takes data and paused while it does not; one that falls more than `maxLagEvents` behind, or whose
 * socket has not drained for `maxStallMs`, is dropped with a log line — nothing is buffered for it
 * beyond the journal. Writes are batched every `flushMs` (longer with many subscribers: at most
 * ~4,000 subscriber writes a second), so a thousand subscribers cost a thousand socket writes per
 * flush, not per event; subscribers that arrive while the fold stands still share
 * one encoding of SUBSCRIBED's state.
 *
 * What a thousand subscribers cost the master is then the bytes its socket writes copy (each event
 * ~0.4 KB, times every subscriber). A subscriber that sends `Accept-Encoding: gzip` (browsers and
 * most HTTP libraries do) gets the stream gzip-compressed, and compressed once for all of them:
 * each flush's new events are deflated once, ending in a full flush (which resets the compressor's
 * history), so that piece can follow any other such piece in any subscriber's stream; a subscriber
 * is sent the 10-byte gzip header, then pieces (its SUBSCRIBED, the shared flush pieces, heartbeats,
 * and, for one that resumed mid-piece, its own piece up to the next shared one). The stream has no
 * natural end, and none is written: no gzip trailer follows when the master closes it.
 *
 * A subscriber that asks for `Accept: application/x-protobuf` gets the same events as RecordIO of
 * binary master.proto `Event`s (with `event_id` as our field 100); each event is encoded to
 * protobuf once, the first time a protobuf subscriber is sent it, and that encoding is shared.
 * Protobuf streams are not compressed.
 */
import { randomUUID } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterEvent } from '../../../events/index.js';
import type { Reply } from '../http/server.js';
import type { Follower } from '../master/follower.js';
import { encodeBinaryRecord, encodeRecord } from '../scheduler-api/recordio.js';
import { encode as encodeProtobuf } from '../../../proto/index.js';
import { deriveEvents, seedView, type StreamView } from './stream-events.js';
import { getState } from './views.js';

export interface OperatorStreamOptions {
  readonly follower: Follower;
  readonly log: Logger;
  readonly heartbeatIntervalMs: number;
  /** Events kept for resuming subscribers (and for slow ones to catch up from). */
  readonly journalEvents: number;
  /** A subscriber further behind the journal's head than this is dropped. */
  readonly maxLagEvents: number;
  /** A subscriber whose socket has not drained for this long is dropped. */
  readonly maxStallMs: number;
  /** Events are written to subscribers at most this often (ms). */
  readonly flushMs: number;
  /** Beyond this many subscribers, the oldest is closed (Mesos's --max_operator_event_stream_subscribers). */
  readonly maxSubscribers: number;
}

/** A position in the stream: after event `index` of log sequence `seq` (index Infinity: after all of it). */
export interface Cursor {
  readonly seq: number;
  readonly index: number;
}

/** Subscriber writes per second the flush interval aims to stay under (see onEvent). */
const WRITES_PER_SECOND = 4000;

const cmp = (a: Cursor, b: Cursor): number => (a.seq !== b.seq ? a.seq - b.seq : a.index - b.index);
export const cursorText = (c: Cursor): string => (c.index === Number.POSITIVE_INFINITY ? String(c.seq) : `${c.seq}-${c.index}`);

/** `123-4` (after that event) or `123` (after every event of sequence 123). */
export function parseCursor(text: string): Cursor | string {
  const m = /^\s*(\d{1,15})(?:-(\d{1,9}))?\s*$/.exec(text);
  if (m === null) return `Invalid event id '${text}': expected '<log sequence>-<index>' as sent in 'event_id' (or '<log sequence>')`;
  return { seq: Number(m[1]), index: m[2] === undefined ? Number.POSITIVE_INFINITY : Number(m[2]) };
}

interface Entry {
  readonly seq: number;
  readonly index: number;
  readonly frame: Buffer;
  /** Set on the first entry of each shared compressed piece: that piece (raw deflate, full flush) and the position it ends at. */
  piece?: { readonly gz: Buffer; readonly end: number };
  /** The event as a binary RecordIO record of a protobuf Event, once a protobuf subscriber needed it. */
  pb?: Buffer;
}

/** A JSON record's event (its payload after the length line). */
const eventOf = (frame: Buffer): Record<string, unknown> => JSON.parse(frame.subarray(frame.indexOf(0x0a) + 1).toString('utf8')) as Record<string, unknown>;
const protobufRecord = (event: unknown): Buffer => encodeBinaryRecord(encodeProtobuf('masterEvent', event));
const pbFrame = (e: Entry): Buffer => (e.pb ??= protobufRecord(eventOf(e.frame)));

/** The gzip header of a compressed stream: magic, deflate, no flags, no time, no extra flags, OS unknown. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
/** Raw deflate ending in a full flush: a piece that may follow any other such piece. */
export const deflatePiece = (b: Buffer): Buffer => deflateRawSync(b, { level: 6, finishFlush: zlibConstants.Z_FULL_FLUSH });

/** Whether an Accept-Encoding header takes gzip (by name or `*`, with a q above 0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const text = Array.isArray(header) ? header.join(',') : header ?? '';
  let gzip: boolean | undefined;
  let star: boolean | undefined;
  for (const part of text.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((x) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(x)).find((m) => m !== null);
    const ok = q === undefined || Number(q![1]) > 0;
    if (name === 'gzip' || name === 'x-gzip') gzip = ok;
    else if (name === '*') star = ok;
  }
  return gzip ?? star ?? false;
}

interface Subscriber {
  readonly id: string;
  readonly res: ServerResponse;
  /** Sent gzip-compressed (it asked for it). */
  readonly gzip: boolean;
  /** Sent protobuf Events (it asked for them). */
  readonly protobuf: boolean;
  readonly remote: string;
  /** Absolute journal position of the next event to write. */
  next: number;
  /** Events at or before this are not written (a resume point ahead of this master's fold). */
  skipUntil: Cursor | null;
  stalledSince: number | null;
  closed: boolean;
}

export interface OperatorStreamStats {
  readonly subscribers: number;
  readonly dropped: number;
  readonly journalFirst: string;
  readonly journalLength: number;
}

export interface OperatorStream {
  /** Called by the follower after each folded event. */
  onEvent(e: ClusterEvent, seq: number): void;
  /** The reply to SUBSCRIBE; `after` resumes after that event id; `protobuf`: binary Events, not JSON. */
  subscribe(after: Cursor | null, remote: string, protobuf?: boolean): Reply;
  stats(): OperatorStreamStats;
  close(): void;
}

export function createOperatorStream(o: OperatorStreamOptions): OperatorStream {
  const log = o.log.child({ component: 'operator-stream' });
  const state = () => o.follower.projection.state;
  const view: StreamView = seedView(state());
  /** Events at or before this are not in the journal (folded before it started, or trimmed). */
  let floor: Cursor = { seq: o.follower.projection.seq, index: Number.POSITIVE_INFINITY };
  const journal: Entry[] = [];
  /** Absolute position of journal[0]. */
  let base = 0;
  const subs = new Set<Subscriber>();
  let dropped = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  const heartbeatFrame = encodeRecord({ type: 'HEARTBEAT' });
  const heartbeatGz = deflatePiece(heartbeatFrame);
  const heartbeatPb = protobufRecord({ type: 'HEARTBEAT' });
  /** SUBSCRIBED (with the state) as encoded for the last fresh subscriber, and the sequence it is at. */
  let subscribedCache: { readonly seq: number; readonly value: unknown; readonly frame: Buffer; gz?: Buffer; pb?: Buffer } | null = null;
  /** Absolute position up to which the journal is cut into shared compressed pieces. */
  let piecedUpTo = 0;
  /** Subscribers that take gzip (pieces are made only while there are some). */
  let gzipSubs = 0;

  const end = (): number => base + journal.length;

  function onEvent(e: ClusterEvent, seq: number): void {
    let events;
    try {
      events = deriveEvents(view, e, state());
    } catch (err) {
      log.error({ err, seq, type: e.type }, 'could not derive the operator events of a log event');
      return;
    }
    for (let i = 0; i < events.length; i++) journal.push({ seq, index: i, frame: encodeRecord({ ...events[i], event_id: `${seq}-${i}` }) });
    if (journal.length > o.journalEvents * 1.25) {
      const cut = journal.length - o.journalEvents;
      const last = journal[cut - 1]!;
      floor = { seq: last.seq, index: last.index };
      journal.splice(0, cut);
      base += cut;
      piecedUpTo = Math.max(piecedUpTo, base);
    }
    if (events.length > 0 && subs.size > 0 && flushTimer === null) {
      // Each flush is a socket write per subscriber: with many, flush less often, so that the
      // master makes at most ~4,000 such writes a second (1,000 subscribers: every 250 ms).
      flushTimer = setTimeout(flush, Math.max(o.flushMs, subs.size / WRITES_PER_SECOND * 1000));
      flushTimer.unref();
    }
  }

  function drop(s: Subscriber, reason: string, fields: Record<string, unknown>): void {
    if (s.closed) return;
    dropped++;
    log.warn({ subscriber: s.id, remote: s.remote, reason, ...fields, bufferedBytes: s.res.writableLength }, 'dropped a slow operator event subscriber');
    close(s);
    s.res.destroy();
  }

  function close(s: Subscriber): void {
    if (!s.closed && s.gzip) gzipSubs--;
    s.closed = true;
    subs.delete(s);
  }

  /** Cut the journal's new events into one shared compressed piece (once per flush, for all gzip subscribers). */
  function makePieces(): void {
    if (gzipSubs === 0) {
      piecedUpTo = end(); // nobody takes gzip: a later one starts its own piece up to the next shared one
      return;
    }
    if (piecedUpTo >= end()) return;
    const from = Math.max(piecedUpTo, base);
    const plain = from + 1 === end() ? journal[from - base]!.frame : Buffer.concat(journal.slice(from - base).map((x) => x.frame));
    journal[from - base]!.piece = { gz: deflatePiece(plain), end: end() };
    piecedUpTo = end();
  }

  /** The compressed bytes of journal positions [from, end()): shared pieces, and its own up to the first. */
  function compressedFrom(from: number): Buffer {
    const parts: Buffer[] = [];
    let i = from;
    const own: Buffer[] = [];
    while (i < end() && journal[i - base]!.piece === undefined) own.push(journal[i++ - base]!.frame);
    if (own.length > 0) parts.push(deflatePiece(own.length === 1 ? own[0]! : Buffer.concat(own)));
    while (i < end()) {
      const p = journal[i - base]!.piece!;
      parts.push(p.gz);
      i = p.end;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * The chunks written since the journal last grew, by form and position: every subscriber at the
   * same position gets the same Buffer, at a flush and also when each of many stalled ones drains.
   */
  let chunks: { end: number; readonly byKey: Map<string, Buffer> } = { end: -1, byKey: new Map() };

  /** Write what `s` has not been sent, in one write, while its socket takes it. */
  function pump(s: Subscriber): void {
    if (s.closed || s.stalledSince !== null) return;
    if (s.next < base) {
      drop(s, 'its position fell out of the journal', { behindEvents: end() - s.next });
      return;
    }
    if (end() - s.next > o.maxLagEvents) {
      drop(s, 'it fell too far behind', { behindEvents: end() - s.next, maxLagEvents: o.maxLagEvents });
      return;
    }
    if (s.next >= end()) return;
    let from = s.next;
    if (s.skipUntil !== null) {
      while (from < end() && cmp(journal[from - base]!, s.skipUntil) <= 0) from++;
      if (from < end()) s.skipUntil = null;
    }
    // Subscribers at the same position, in the same form, share one chunk.
    const key = `${s.protobuf ? 'pb' : s.gzip ? 'gz' : 'json'}:${from}`;
    if (chunks.end !== end()) chunks = { end: end(), byKey: new Map() };
    let chunk: Buffer | undefined = chunks.byKey.get(key);
    if (chunk === undefined) {
      if (s.gzip) {
        makePieces();
        chunk = compressedFrom(from);
      } else if (s.protobuf) chunk = from + 1 === end() ? pbFrame(journal[from - base]!) : Buffer.concat(journal.slice(from - base).map(pbFrame));
      else chunk = from + 1 === end() ? journal[from - base]!.frame : Buffer.concat(journal.slice(from - base).map((x) => x.frame));
      chunks.byKey.set(key, chunk);
    }
    s.next = end();
    if (chunk.length > 0 && !s.res.write(chunk)) stall(s);
  }

  function stall(s: Subscriber): void {
    s.stalledSince = Date.now();
    s.res.once('drain', () => {
      s.stalledSince = null;
      pump(s);
    });
  }

  function flush(): void {
    flushTimer = null;
    makePieces();
    for (const s of subs) pump(s);
  }

  // Heartbeats, and the subscribers that stopped reading.
  const beat = setInterval(() => {
    for (const s of subs) if (s.stalledSince === null && s.next >= end()) {
      if (!s.res.write(s.gzip ? heartbeatGz : s.protobuf ? heartbeatPb : heartbeatFrame)) stall(s);
    }
  }, o.heartbeatIntervalMs);
  beat.unref();
  const watch = setInterval(
    () => {
      const now = Date.now();
      for (const s of subs) {
        if (s.stalledSince !== null && now - s.stalledSince > o.maxStallMs) drop(s, 'its connection has not taken data', { stalledMs: now - s.stalledSince, behindEvents: end() - s.next });
        else if (s.stalledSince !== null && end() - s.next > o.maxLagEvents) drop(s, 'it fell too far behind', { behindEvents: end() - s.next, maxLagEvents: o.maxLagEvents });
      }
    },
    Math.max(10, Math.min(1000, Math.floor(o.maxStallMs / 4))),
  );
  watch.unref();

  /** The absolute position of the first event after `c` (end() if none is yet). */
  function positionAfter(c: Cursor): number {
    let lo = 0;
    let hi = journal.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(journal[mid]!, c) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return base + lo;
  }

  function subscribe(after: Cursor | null, remote: string, protobuf = false): Reply {
    if (after !== null && cmp(after, floor) < 0) {
      return {
        status: 410,
        text: `Cannot resume after event ${cursorText(after)}: this master's journal starts after ${cursorText(floor)} (it keeps the last ${o.journalEvents} events). Subscribe without Last-Event-ID and start from SUBSCRIBED's state.`,
      };
    }
    return {
      status: 200,
      takeover: (res) => {
        if (res.destroyed || res.socket === null || res.socket.destroyed) return;
        const gzip = !protobuf && acceptsGzip(res.req?.headers['accept-encoding']);
        res.writeHead(200, {
          'Content-Type': protobuf ? 'application/x-protobuf' : 'application/json',
          'Cache-Control': 'no-cache',
          'Mesos-Stream-Id': randomUUID(),
          Vary: 'Accept-Encoding',
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        });
        res.socket.setNoDelay(true);
        const s: Subscriber = { id: randomUUID(), res, gzip, protobuf, remote, next: end(), skipUntil: null, stalledSince: null, closed: false };
        if (gzip) gzipSubs++;
        const heartbeat_interval_seconds = o.heartbeatIntervalMs / 1000;
        let first: Buffer;
        if (after === null) {
          // The state as folded now: the journal's head is this very position. Subscribers that
          // come while the fold stands still share one encoding of it.
          const seq = o.follower.projection.seq;
          if (subscribedCache?.seq !== seq) {
            const value = { type: 'SUBSCRIBED', subscribed: { get_state: getState(state()), heartbeat_interval_seconds }, event_id: String(seq) };
            subscribedCache = { seq, value, frame: encodeRecord(value) };
          }
          const c = subscribedCache;
          if (gzip) first = c.gz ??= deflatePiece(c.frame);
          else if (protobuf) first = c.pb ??= protobufRecord(c.value);
          else first = c.frame;
        } else {
          s.next = positionAfter(after);
          if (s.next >= end() && (journal.length === 0 ? cmp(after, floor) > 0 : cmp(after, journal[journal.length - 1]!) > 0)) s.skipUntil = after;
          const value = { type: 'SUBSCRIBED', subscribed: { heartbeat_interval_seconds }, event_id: cursorText(after) };
          first = protobuf ? protobufRecord(value) : gzip ? deflatePiece(encodeRecord(value)) : encodeRecord(value);
        }
        subs.add(s);
        res.on('close', () => close(s));
        if (subs.size > o.maxSubscribers) {
          const oldest = subs.values().next().value!;
          log.warn({ subscriber: oldest.id, remote: oldest.remote, maxSubscribers: o.maxSubscribers }, 'closed the oldest operator event subscriber: too many subscribers');
          close(oldest);
          oldest.res.end();
        }
        log.info({ subscriber: s.id, remote, resumeAfter: after === null ? undefined : cursorText(after) }, 'operator event subscriber connected');
        if (gzip) res.write(GZIP_HEADER);
        if (!res.write(first)) stall(s);
        else pump(s);
      },
    };
  }

  return {
    onEvent,
    subscribe,
    stats: () => ({ subscribers: subs.size, dropped, journalFirst: cursorText(floor), journalLength: journal.length }),
    close() {
      clearInterval(beat);
      clearInterval(watch);
      if (flushTimer !== null) clearTimeout(flushTimer);
      for (const s of [...subs]) {
        close(s);
        s.res.end();
      }
    },
  };
}
