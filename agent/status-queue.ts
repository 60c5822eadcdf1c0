/**
 * The agent's durable queue of status updates: an append-only file in its work dir,
 * `<work-dir>/meta/status-updates.log`, holding every update that the log (JetStream) has not yet
 * acknowledged. An update is written and fdatasync'ed before anyone is told it was sent, so an
 * agent that crashes, or stops while NATS is unreachable, delivers it after it starts again.
 *
 * Format: one JSON record per line (`\n`-terminated), in the order written:
 *   {"v":1,"put":<TaskStatusUpdated event>,"after":<n>}  an update to deliver; `after` is the highest
 *                                                         stream sequence this agent had seen
 *                                                         acknowledged when it was queued, so the log
 *                                                         cannot hold it at or before that sequence
 *   {"v":1,"done":"<event id>","seq":<n>}                the log has it, at stream sequence n
 * Pending = puts without a later done, in file order. A last line cut short by a crash (no newline,
 * or not JSON) is ignored; any other unreadable line is counted and skipped. The ids of the last
 * RECENT_DONE delivered updates are remembered too (so an update queued again after a crash, with
 * the same deterministic id, is known to be delivered already). When the file grows past
 * COMPACT_BYTES it is rewritten with those done records and the pending puts only (temp file,
 * fsync, rename, fsync of the directory); so is it at every open.
 *
 * Writes are group-committed: records queued while one write+fdatasync is in flight go out
 * together in the next one. Only puts wait for the fdatasync; done records are written and ride
 * with the next sync (losing one in a crash costs a read-back from the log, not a duplicate).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { z } from 'zod';
import { type EventOf, TaskStatusUpdated } from '../events/index.js';
import { writeFileDurably } from './durable-file.js';

export const QUEUE_FILE = 'status-updates.log';
export const QUEUE_FORMAT_VERSION = 1;
/** Rewrite the file with only its live records once it is this large. */
export const COMPACT_BYTES = 256 * 1024;
/** How many delivered update ids are remembered. */
export const RECENT_DONE = 1024;

export type StatusEvent = EventOf<'TaskStatusUpdated'>;

export interface QueuedUpdate {
  readonly event: StatusEvent;
  /** The log cannot hold this update at or before this stream sequence. */
  readonly after: number;
}

const PutRecord = z.object({ v: z.literal(QUEUE_FORMAT_VERSION), put: TaskStatusUpdated, after: z.number().int().nonnegative() });
const DoneRecord = z.object({ v: z.literal(QUEUE_FORMAT_VERSION), done: z.string().min(1), seq: z.number().int().nonnegative() });

export function encodePut(u: QueuedUpdate): string {
  return `${JSON.stringify({ v: QUEUE_FORMAT_VERSION, put: u.event, after: u.after })}\n`;
}

export function encodeDone(id: string, seq: number): string {
  return `${JSON.stringify({ v: QUEUE_FORMAT_VERSION, done: id, seq })}\n`;
}

export interface DecodedQueue {
  /** Updates not yet in the log, in the order they were queued. */
  readonly pending: QueuedUpdate[];
  /** Highest stream sequence recorded as acknowledged (0 if none). */
  readonly highestSeq: number;
  /** The last RECENT_DONE delivered updates (id → stream sequence), oldest first. */
  readonly recentDone: ReadonlyMap<string, number>;
  /** Lines that could not be read (not counting a torn last line). */
  readonly corrupt: number;
  /** The last line was cut short (a crash while it was written). */
  readonly torn: boolean;
  /** Complete records read. */
  readonly records: number;
}

/** Pure: the queue's state from the file's text. */
export function decodeQueue(text: string): DecodedQueue {
  const pending = new Map<string, QueuedUpdate>();
  const recentDone = new Map<string, number>();
  let highestSeq = 0;
  let corrupt = 0;
  let torn = false;
  let records = 0;
  const lines = text.split('\n');
  // The text after the last newline is an unfinished record (or empty).
  const unfinished = lines.pop() ?? '';
  if (unfinished.trim() !== '') torn = true;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      corrupt++;
      continue;
    }
    const put = PutRecord.safeParse(raw);
    if (put.success) {
      records++;
      pending.set(put.data.put.id, { event: put.data.put, after: put.data.after });
      continue;
    }
    const done = DoneRecord.safeParse(raw);
    if (done.success) {
      records++;
      pending.delete(done.data.done);
      remember(recentDone, done.data.done, done.data.seq);
      if (done.data.seq > highestSeq) highestSeq = done.data.seq;
      continue;
    }
    corrupt++;
  }
  return { pending: [...pending.values()], highestSeq, recentDone, corrupt, torn, records };
}

function remember(recent: Map<string, number>, id: string, seq: number): void {
  recent.delete(id);
  recent.set(id, seq);
  if (recent.size > RECENT_DONE) recent.delete(recent.keys().next().value as string);
}

/** Pure: the text of a compacted file (the remembered done records, then the pending puts). */
export function compactText(recentDone: ReadonlyMap<string, number>, pending: Iterable<QueuedUpdate>): string {
  let out = '';
  for (const [id, seq] of recentDone) out += encodeDone(id, seq);
  for (const u of pending) out += encodePut(u);
  return out;
}

export interface StatusQueue {
  /** What was pending when the queue was opened, in order (to be delivered first). */
  readonly recovered: readonly QueuedUpdate[];
  /** Lines of the file that could not be read when it was opened. */
  readonly corruptRecords: number;
  /** Highest stream sequence known to hold one of our updates. */
  highestSeq(): number;
  /** Durably queue an update (resolves after fdatasync). */
  put(event: StatusEvent): Promise<QueuedUpdate>;
  /** Record that the log has the update (durably). */
  done(id: string, seq: number): Promise<void>;
  /** Is this update queued and not delivered, or among the recently delivered ones? */
  knows(id: string): 'pending' | 'done' | undefined;
  /** Updates queued and not yet done. */
  pendingCount(): number;
  close(): Promise<void>;
}

export class StatusQueueError extends Error {
  override readonly name = 'StatusQueueError';
  constructor(
    readonly code: 'QUEUE_UNREADABLE' | 'QUEUE_WRITE_FAILED' | 'QUEUE_CLOSED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function openStatusQueue(metaDir: string): Promise<StatusQueue> {
  await mkdir(metaDir, { recursive: true });
  const file = path.join(metaDir, QUEUE_FILE);
  let text = '';
  try {
    const h = await open(file, 'a+');
    try {
      text = (await h.readFile()).toString('utf8');
    } finally {
      await h.close();
    }
  } catch (err) {
    throw new StatusQueueError('QUEUE_UNREADABLE', `cannot read the status update queue ${file}: ${(err as Error).message}`, { cause: err });
  }
  const decoded = decodeQueue(text);
  const pending = new Map<string, QueuedUpdate>(decoded.pending.map((u) => [u.event.id, u]));
  const recentDone = new Map(decoded.recentDone);
  let highestSeq = decoded.highestSeq;
  // Start from a clean file holding exactly the live records (drops a torn tail and old records).
  const initial = compactText(recentDone, pending.values());
  let fh: FileHandle = await rewrite(file, initial);
  let bytes = Buffer.byteLength(initial);
  let closed = false;

  interface Waiter {
    readonly line: string;
    /** Must be on disk before it resolves (a put); a done record rides with the next sync. */
    readonly sync: boolean;
    readonly resolve: () => void;
    readonly reject: (e: unknown) => void;
  }
  let buffer: Waiter[] = [];
  let flushing: Promise<void> | null = null;

  async function flushLoop(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer;
      buffer = [];
      const data = batch.map((w) => w.line).join('');
      try {
        await fh.write(data);
        bytes += Buffer.byteLength(data);
        if (batch.some((w) => w.sync)) await fh.datasync();
        if (bytes > COMPACT_BYTES) {
          const keep = compactText(recentDone, pending.values());
          await fh.close();
          fh = await rewrite(file, keep);
          bytes = Buffer.byteLength(keep);
        }
        for (const w of batch) w.resolve();
      } catch (err) {
        const e = new StatusQueueError('QUEUE_WRITE_FAILED', `cannot write the status update queue ${file}: ${(err as Error).message}`, { cause: err });
        for (const w of batch) w.reject(e);
      }
    }
  }

  function write(line: string, sync: boolean): Promise<void> {
    if (closed) return Promise.reject(new StatusQueueError('QUEUE_CLOSED', 'the status update queue is closed'));
    const p = new Promise<void>((resolve, reject) => buffer.push({ line, sync, resolve, reject }));
    if (flushing === null) {
      flushing = flushLoop().finally(() => {
        flushing = null;
      });
    }
    return p;
  }

  return {
    recovered: decoded.pending,
    corruptRecords: decoded.corrupt,
    highestSeq: () => highestSeq,
    async put(event) {
      const u: QueuedUpdate = { event, after: highestSeq };
      pending.set(event.id, u);
      try {
        await write(encodePut(u), true);
      } catch (err) {
        pending.delete(event.id);
        throw err;
      }
      return u;
    },
    async done(id, seq) {
      if (seq > highestSeq) highestSeq = seq;
      if (!pending.delete(id)) return;
      remember(recentDone, id, seq);
      // Not synced on its own: a done record lost in a crash only makes the agent read the update
      // back from the log after the restart (and find it there), never send it twice.
      await write(encodeDone(id, seq), false);
    },
    knows: (id) => (pending.has(id) ? 'pending' : recentDone.has(id) ? 'done' : undefined),
    pendingCount: () => pending.size,
    async close() {
      closed = true;
      while (flushing !== null) await flushing;
      await fh.datasync().catch(() => undefined);
      await fh.close();
    },
  };
}

/** Replace the file's content atomically and durably, and return a handle open for appending to it. */
async function rewrite(file: string, content: string): Promise<FileHandle> {
  await writeFileDurably(file, content);
  return open(file, 'a');
}
