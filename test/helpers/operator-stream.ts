/**
 * A test client of the operator event stream (SUBSCRIBE on `POST /api/v1`): every record checked
 * for RecordIO framing, kept in arrival order, with waits on what has arrived and on the end.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { type Ev, RecordIoChecker } from './scheduler-http.js';
import { waitFor } from './wait.js';

export class OperatorStreamClient {
  readonly events: Ev[] = [];
  readonly checker = new RecordIoChecker();
  status = 0;
  ended = false;
  /** The answer's Content-Encoding (gzip when asked for with `gzip`). */
  encoding: string | undefined;
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;

  private constructor() {}

  /**
   * Subscribe; `lastEventId` resumes after it (sent as the Last-Event-ID header, or in the body);
   * `gzip` asks for the stream compressed (Accept-Encoding: gzip) and inflates it as it comes.
   */
  static async open(base: string, o: { lastEventId?: string; inBody?: boolean; gzip?: boolean } = {}): Promise<OperatorStreamClient> {
    const c = new OperatorStreamClient();
    const body = JSON.stringify(o.lastEventId !== undefined && o.inBody === true ? { type: 'SUBSCRIBE', subscribe: { last_event_id: o.lastEventId } } : { type: 'SUBSCRIBE' });
    const url = new URL('/api/v1', base);
    await new Promise<void>((resolve, reject) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
      if (o.lastEventId !== undefined && o.inBody !== true) headers['Last-Event-ID'] = o.lastEventId;
      if (o.gzip === true) headers['Accept-Encoding'] = 'gzip';
      c.req = request(url, { method: 'POST', headers, agent: false }, (res) => {
        c.res = res;
        c.status = res.statusCode ?? 0;
        c.encoding = res.headers['content-encoding'];
        // Inflated as it comes: the stream never ends in a gzip trailer, so the inflater's end-of-input error is expected.
        const body = c.encoding === 'gzip' ? res.pipe(createGunzip({ finishFlush: 2 /* Z_SYNC_FLUSH */ })).on('error', () => undefined) : res;
        body.on('data', (chunk: Buffer) => {
          if (c.status === 200) for (const r of c.checker.push(chunk)) c.events.push(r.json);
          else c.events.push({ text: chunk.toString('utf8') });
        });
        const end = () => (c.ended = true);
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        resolve();
      });
      c.req.on('error', (e) => {
        c.ended = true;
        reject(e);
      });
      c.req.end(body);
    });
    return c;
  }

  /** The stream's events with an event_id (not SUBSCRIBED, not HEARTBEAT). */
  get derived(): Ev[] {
    return this.events.filter((e) => e.type !== 'SUBSCRIBED' && e.type !== 'HEARTBEAT');
  }

  lastId(): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) if (typeof this.events[i]!.event_id === 'string') return this.events[i]!.event_id as string;
    return undefined;
  }

  async until(cond: (events: Ev[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => {
      if (this.checker.errors.length > 0) throw new Error(`bad RecordIO on the operator stream: ${this.checker.errors.join('; ')}`);
      return cond(this.events) || undefined;
    }, what, timeoutMs);
  }

  close(): void {
    this.res?.destroy();
    this.req?.destroy();
  }
}
