/**
 * A strict test client of the Mesos v1 scheduler HTTP API, independent of the project's own client
 * and decoder: it exposes what a test needs to check (status, headers, the raw bytes and when
 * they arrived) and checks the RecordIO framing of every byte of every stream it opens.
 *
 * - `rawRequest`: one HTTP request on its own connection; any method, headers and body (or none).
 * - `RecordIoChecker`: an incremental, strict RecordIO parser: `<decimal length>\n<exactly that
 *   many bytes of JSON>`, no byte between records, lengths counted in bytes.
 * - `SchedulerStream`: a SUBSCRIBE stream with every record logged with its arrival time.
 * - `HttpFramework`: a framework over that stream: calls with its Mesos-Stream-Id, the offers it
 *   holds, optional automatic acknowledgement of updates, waits on events.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ev = Record<string, any>;

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body's bytes (a protobuf answer). */
  readonly raw: Buffer;
}

export interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  readonly chunked?: boolean;
  readonly timeoutMs?: number;
}

/**
 * One request on a fresh connection (no keep-alive pool). Resolves with the response even when the
 * server closes the connection while the body is still being sent (as after an early 413).
 */
export function rawRequest(base: string, o: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(o.path ?? '/api/v1/scheduler', base);
  const body = o.body;
  const headers: Record<string, string> = { ...o.headers };
  if (body !== undefined && !o.chunked) headers['Content-Length'] = String(Buffer.byteLength(body));
  const timeoutMs = o.timeoutMs ?? 15_000;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    let response: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => finish(new Error(`no complete answer to ${o.method ?? 'POST'} ${url.pathname} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined && response === undefined) {
        req.destroy();
        reject(err);
        return;
      }
      if (err !== undefined && !response!.complete) {
        req.destroy();
        reject(new Error(`the answer (${response!.statusCode}) was cut short: ${err.message}`));
        return;
      }
      const raw = Buffer.concat(chunks);
      resolve({ status: response!.statusCode ?? 0, headers: response!.headers, body: raw.toString('utf8'), raw });
      req.destroy();
    };
    const req: ClientRequest = request(url, { method: o.method ?? 'POST', headers, agent: false }, (res) => {
      response = res;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish());
      res.on('error', (e) => finish(e));
      res.on('close', () => finish(new Error('connection closed')));
    });
    // Writing a large body the server has already refused may fail (EPIPE, ECONNRESET): the
    // answer, if it came, is what counts.
    req.on('error', (e) => {
      if (response === undefined) finish(e);
    });
    if (body === undefined) req.end();
    else if (o.chunked) {
      const size = 64 * 1024;
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
      let offset = 0;
      const pump = (): void => {
        while (offset < buf.length) {
          if (req.destroyed) return;
          const ok = req.write(buf.subarray(offset, offset + size));
          offset += size;
          if (!ok) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// RecordIO, checked byte for byte

export interface CheckedRecord {
  /** The decimal length as written. */
  readonly prefix: string;
  /** The payload's exact bytes. */
  readonly payload: Buffer;
  readonly json: Ev;
}

/**
 * Incremental strict RecordIO parser. Each record must be: one or more ASCII digits with no
 * leading zero (a length of at least 1), one LF, then exactly that many bytes, which must be one
 * JSON object whose last byte is `}` (so nothing such as a newline trails the JSON). The next byte
 * must start the next record. Problems are collected in `errors` (parsing stops at the first).
 */
export class RecordIoChecker {
  readonly errors: string[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private offset = 0;

  push(chunk: Buffer): CheckedRecord[] {
    if (this.errors.length > 0) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: CheckedRecord[] = [];
    for (;;) {
      const lf = this.buf.indexOf(0x0a);
      if (lf < 0) {
        if (this.buf.length > 20 || !/^\d*$/.test(this.buf.toString('latin1'))) this.fail(`a length prefix of non-digits or too long: ${JSON.stringify(this.buf.subarray(0, 40).toString('latin1'))}`);
        break;
      }
      const prefix = this.buf.subarray(0, lf).toString('latin1');
      if (!/^[1-9]\d*$/.test(prefix)) {
        this.fail(`at byte ${this.offset}: the length prefix ${JSON.stringify(prefix.slice(0, 40))} is not a positive decimal number`);
        break;
      }
      const length = Number(prefix);
      if (this.buf.length < lf + 1 + length) break;
      const payload = Buffer.from(this.buf.subarray(lf + 1, lf + 1 + length));
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch (e) {
        this.fail(`at byte ${this.offset}: the ${length} bytes after the prefix are not one JSON value (${(e as Error).message}): ${JSON.stringify(payload.toString('utf8').slice(0, 80))}`);
        break;
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as Ev).type !== 'string') {
        this.fail(`at byte ${this.offset}: the record is not an event object with a type`);
        break;
      }
      if (payload[payload.length - 1] !== 0x7d) {
        this.fail(`at byte ${this.offset}: the record's bytes end with 0x${payload[payload.length - 1]!.toString(16)}, not '}'`);
        break;
      }
      out.push({ prefix, payload, json: json as Ev });
      this.offset += lf + 1 + length;
      this.buf = this.buf.subarray(lf + 1 + length);
    }
    return out;
  }

  /** At the end of the stream nothing may be left over. */
  end(): void {
    if (this.errors.length === 0 && this.buf.length > 0) this.fail(`the stream ended inside a record: ${JSON.stringify(this.buf.subarray(0, 40).toString('latin1'))}`);
  }

  private fail(reason: string): void {
    this.errors.push(reason);
  }
}

// ---------------------------------------------------------------------------------------------
// A SUBSCRIBE stream

export interface Logged {
  /** Arrival time (ms). */
  readonly at: number;
  readonly e: Ev;
  readonly record: CheckedRecord;
  readonly index: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): boolean => typeof s === 'string' && UUID_RE.test(s);

export class SchedulerStream {
  readonly raw: Buffer[] = [];
  readonly log: Logged[] = [];
  readonly checker = new RecordIoChecker();
  endedAt: number | undefined;
  private readonly wake = new Set<() => void>();
  private readonly listeners: Array<(l: Logged) => void> = [];
  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly req: ClientRequest,
    res: IncomingMessage,
  ) {
    res.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      const at = Date.now();
      for (const record of this.checker.push(chunk)) {
        const l: Logged = { at, e: record.json, record, index: this.log.length };
        this.log.push(l);
        for (const f of this.listeners) f(l);
      }
      this.notify();
    });
    const ended = (): void => {
      if (this.endedAt !== undefined) return;
      this.endedAt = Date.now();
      this.checker.end();
      this.notify();
    };
    res.on('end', ended);
    res.on('close', ended);
    res.on('error', ended);
  }

  /** POST a SUBSCRIBE body; resolves once the response headers are in (the stream stays open). */
  static open(base: string, body: unknown, headers: Readonly<Record<string, string>> = {}): Promise<SchedulerStream> {
    const url = new URL('/api/v1/scheduler', base);
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: false,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers, 'Content-Length': String(Buffer.byteLength(text)) },
        },
        (res) => resolve(new SchedulerStream(res.statusCode ?? 0, res.headers, req, res)),
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /** The first logged event at or after `from` that matches, waiting for it if need be. */
  next(pred: (e: Ev) => boolean, what: string, o: { from?: number; timeoutMs?: number } = {}): Promise<Logged> {
    const from = o.from ?? 0;
    const timeoutMs = o.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): boolean => {
        const hit = this.log.slice(from).find((l) => pred(l.e));
        if (hit !== undefined) {
          this.wake.delete(check1);
          clearTimeout(timer);
          resolve(hit);
          return true;
        }
        if (this.ended) {
          this.wake.delete(check1);
          clearTimeout(timer);
          reject(new Error(`the stream ended before ${what}${this.checker.errors.length > 0 ? ` (framing: ${this.checker.errors[0]})` : ''}`));
          return true;
        }
        return false;
      };
      const check1 = (): void => void check();
      if (check()) return;
      timer = setTimeout(() => {
        this.wake.delete(check1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events since #${from}: ${this.log.slice(from).map((l) => l.e.type).join(' ') || 'none'}`));
      }, timeoutMs);
      this.wake.add(check1);
    });
  }

  /** Resolves when the stream has ended. */
  async end(what: string, timeoutMs = 10_000): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!this.ended) return;
        this.wake.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wake.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.wake.add(check);
    });
  }

  /** Calls `f` with every event logged so far and every later one, in order, as it arrives. */
  forEach(f: (l: Logged) => void): void {
    for (const l of this.log) f(l);
    this.listeners.push(f);
  }

  close(): void {
    this.req.destroy();
  }

  private notify(): void {
    for (const w of [...this.wake]) w();
  }
}

// ---------------------------------------------------------------------------------------------
// A framework over HTTP

export const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

export interface SubscribeOptions {
  /** Resubscribe as this framework (sets both `framework_id` and `framework_info.id`). */
  readonly frameworkId?: string;
  readonly suppressedRoles?: readonly string[];
  /** Acknowledge every update that carries a uuid (default true). */
  readonly autoAck?: boolean;
  /** Sent with the SUBSCRIBE and every call (e.g. Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class HttpFramework {
  autoAck: boolean;
  /** Offers received and neither accepted, declined nor rescinded, by id. */
  readonly held = new Map<string, Ev>();
  /** The answers to automatic acknowledgements. */
  readonly acks: Array<{ taskId: string; state: string; status: number; body: string }> = [];
  private readonly pendingAcks = new Set<Promise<void>>();

  private constructor(
    readonly base: string,
    readonly stream: SchedulerStream,
    readonly frameworkId: string,
    o: SubscribeOptions,
  ) {
    this.autoAck = o.autoAck ?? true;
    this.headers = o.headers ?? {};
  }

  private readonly headers: Readonly<Record<string, string>>;

  static async subscribe(base: string, frameworkInfo: Record<string, unknown>, o: SubscribeOptions = {}): Promise<HttpFramework> {
    const info = o.frameworkId !== undefined ? { ...frameworkInfo, id: { value: o.frameworkId } } : frameworkInfo;
    const body = {
      type: 'SUBSCRIBE',
      ...(o.frameworkId !== undefined ? { framework_id: { value: o.frameworkId } } : {}),
      subscribe: { framework_info: info, ...(o.suppressedRoles !== undefined ? { suppressed_roles: o.suppressedRoles } : {}) },
    };
    const stream = await SchedulerStream.open(base, body, o.headers ?? {});
    if (stream.status !== 200) {
      stream.close();
      throw new Error(`SUBSCRIBE answered ${stream.status}`);
    }
    const first = await stream.next(() => true, 'the first event').catch((e: unknown) => {
      stream.close();
      throw e;
    });
    if (first.e.type !== 'SUBSCRIBED') {
      stream.close();
      throw new Error(`the first event is ${JSON.stringify(first.e)}, not SUBSCRIBED`);
    }
    const fw = new HttpFramework(base, stream, String(first.e.subscribed?.framework_id?.value), o);
    fw.watch();
    return fw;
  }

  get streamId(): string {
    return String(this.stream.headers['mesos-stream-id']);
  }

  get log(): Logged[] {
    return this.stream.log;
  }

  /** A call with this framework's id and stream id. */
  call(type: string, payload: Record<string, unknown> = {}, headers: Readonly<Record<string, string>> = {}): Promise<RawResponse> {
    return rawRequest(this.base, {
      headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId, ...this.headers, ...headers },
      body: JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...payload }),
    });
  }

  next(pred: (e: Ev) => boolean, what: string, o: { from?: number; timeoutMs?: number } = {}): Promise<Logged> {
    return this.stream.next(pred, what, o);
  }

  /**
   * Every held offer, once together they hold at least `need` of each scalar (waiting for more
   * offers if need be); they are no longer held. Offers of one agent can go in one ACCEPT.
   */
  async takeOffers(need: Readonly<Record<string, number>> = { cpus: 0.5, mem: 128 }, what = 'offers', timeoutMs = 10_000): Promise<Ev[]> {
    const total = (name: string): number =>
      [...this.held.values()].flatMap((o) => (o.resources ?? []) as Ev[]).filter((r) => r.name === name && r.type === 'SCALAR').reduce((a, r) => a + Number(r.scalar?.value ?? 0), 0);
    await this.stream.next(() => Object.entries(need).every(([name, n]) => total(name) >= n - 1e-9), `${what} holding ${JSON.stringify(need)}`, { timeoutMs });
    const offers = [...this.held.values()];
    this.held.clear();
    return offers;
  }

  /** Decline every held offer in one call. */
  async declineHeld(refuseSeconds: number): Promise<{ ids: string[]; res: RawResponse | undefined }> {
    const ids = [...this.held.keys()];
    this.held.clear();
    if (ids.length === 0) return { ids, res: undefined };
    const res = await this.call('DECLINE', { decline: { offer_ids: ids.map((value) => ({ value })), filters: { refuse_seconds: refuseSeconds } } });
    return { ids, res };
  }

  /** The statuses received for a task (UPDATE events), from event index `from`. */
  statuses(taskId: string, from = 0): Ev[] {
    return this.stream.log
      .slice(from)
      .filter((l) => l.e.type === 'UPDATE' && l.e.update?.status?.task_id?.value === taskId)
      .map((l) => l.e.update.status as Ev);
  }

  /** Waits for an update of `taskId` in `state` (not a reconciliation answer). */
  async status(taskId: string, state: string | ((s: string) => boolean), o: { from?: number; timeoutMs?: number } = {}): Promise<Ev> {
    const ok = typeof state === 'string' ? (s: string) => s === state : state;
    const l = await this.stream.next(
      (e) => e.type === 'UPDATE' && e.update?.status?.task_id?.value === taskId && e.update.status.reason !== 'REASON_RECONCILIATION' && ok(e.update.status.state),
      `task ${taskId} to be ${typeof state === 'string' ? state : 'in the expected state'}`,
      { timeoutMs: 15_000, ...o },
    );
    return l.e.update.status as Ev;
  }

  /** Waits for the terminal update of a task. */
  terminal(taskId: string, o: { from?: number; timeoutMs?: number } = {}): Promise<Ev> {
    return this.status(taskId, (s) => TERMINAL.has(s), o);
  }

  /** Waits until every automatic acknowledgement sent so far has been answered. */
  async settleAcks(): Promise<void> {
    while (this.pendingAcks.size > 0) await Promise.all([...this.pendingAcks]);
  }

  close(): void {
    this.stream.close();
  }

  /** Follows the log: offers held, rescinds, automatic acknowledgements. */
  private watch(): void {
    this.stream.forEach(({ e }) => {
      if (e.type === 'OFFERS') for (const o of (e.offers?.offers ?? []) as Ev[]) this.held.set(String(o.id?.value), o);
      else if (e.type === 'RESCIND') this.held.delete(String(e.rescind?.offer_id?.value));
      else if (e.type === 'UPDATE' && this.autoAck && typeof e.update?.status?.uuid === 'string') {
        const s = e.update.status as Ev;
        const p: Promise<void> = this.call('ACKNOWLEDGE', { acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
          .then((r) => void this.acks.push({ taskId: String(s.task_id?.value), state: String(s.state), status: r.status, body: r.body }))
          .catch((err: unknown) => void this.acks.push({ taskId: String(s.task_id?.value), state: String(s.state), status: 0, body: String(err) }))
          .finally(() => this.pendingAcks.delete(p));
        this.pendingAcks.add(p);
      }
    });
  }
}
