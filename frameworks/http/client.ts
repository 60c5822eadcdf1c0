/**
 * A client of the Apache Mesos v1 scheduler HTTP API (`POST /api/v1/scheduler`): SUBSCRIBE opens a
 * RecordIO stream of events; every other call carries the `Mesos-Stream-Id` it returned. It
 * follows the 307 a non-leading master answers (a protocol-relative Location). Used by
 * `mesos execute --master` and by the tests; it speaks to any Mesos-compatible master.
 */
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';

const Id = z.object({ value: z.string() });

/** The events this client reads closely; others pass through as `{ type }`. */
export const MesosEvent = z.union([
  z.object({
    type: z.literal('SUBSCRIBED'),
    subscribed: z.object({ framework_id: Id, heartbeat_interval_seconds: z.number().optional() }).loose(),
  }),
  z.object({
    type: z.literal('OFFERS'),
    offers: z.object({
      offers: z.array(
        z
          .object({
            id: Id,
            agent_id: Id,
            hostname: z.string(),
            resources: z.array(z.object({ name: z.string(), type: z.string() }).loose()),
          })
          .loose(),
      ),
    }),
  }),
  z.object({ type: z.literal('RESCIND'), rescind: z.object({ offer_id: Id }) }),
  z.object({
    type: z.literal('UPDATE'),
    update: z.object({
      status: z
        .object({
          task_id: Id,
          state: z.string(),
          agent_id: Id.optional(),
          source: z.string().optional(),
          reason: z.string().optional(),
          message: z.string().optional(),
          uuid: z.string().optional(),
        })
        .loose(),
    }),
  }),
  z.object({ type: z.literal('ERROR'), error: z.object({ message: z.string() }) }),
  z.object({ type: z.string() }).loose(),
]);
export type MesosEvent = z.infer<typeof MesosEvent>;

export interface CallResult {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

export class MesosHttpError extends Error {
  override readonly name = 'MesosHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Subscription {
  readonly streamId: string;
  readonly frameworkId: string;
  /** The response's raw bytes as received, for checking the framing. */
  readonly raw: Buffer[];
  readonly events: AsyncIterableIterator<MesosEvent>;
  close(): void;
}

const MAX_REDIRECTS = 3;

export class V1SchedulerClient {
  private base: string;
  private streamId: string | undefined;
  private frameworkId: string | undefined;

  private readonly ca: Buffer | undefined;

  /**
   * `master` is `host:port` (or a URL); `authorization` an `Authorization` header sent with every
   * request (HTTP Basic). With `tlsCa` (a PEM file) the master is spoken to over HTTPS and its
   * certificate verified against that CA; `host:port` then means https.
   */
  constructor(
    master: string,
    private readonly authorization?: string,
    o: { tlsCa?: string } = {},
  ) {
    this.ca = o.tlsCa !== undefined ? readFileSync(o.tlsCa) : undefined;
    this.base = master.includes('://') ? master.replace(/\/+$/, '') : `${this.ca !== undefined ? 'https' : 'http'}://${master}`;
  }

  get url(): string {
    return this.base;
  }

  /** Open the event stream. Resolves once SUBSCRIBED has arrived. */
  async subscribe(frameworkInfo: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Subscription> {
    // Re-subscribing (failover): Mesos wants the id at the top level too.
    const id = (frameworkInfo as { id?: { value?: unknown } }).id?.value;
    const body = JSON.stringify({ type: 'SUBSCRIBE', ...(typeof id === 'string' ? { framework_id: { value: id } } : {}), subscribe: { framework_info: frameworkInfo, ...extra } });
    const res = await this.open(body, { Accept: 'application/json' });
    if (res.statusCode !== 200) {
      const text = await readAll(res);
      throw new MesosHttpError(res.statusCode ?? 0, `SUBSCRIBE answered ${res.statusCode}: ${text}`);
    }
    const streamId = String(res.headers['mesos-stream-id'] ?? '');
    const raw: Buffer[] = [];
    const decoder = new RecordIoDecoder();
    const queue: MesosEvent[] = [];
    const waiting: Array<(r: IteratorResult<MesosEvent>) => void> = [];
    let ended = false;
    let failure: Error | undefined;
    const push = (e: MesosEvent): void => {
      const w = waiting.shift();
      if (w) w({ value: e, done: false });
      else queue.push(e);
    };
    const finish = (err?: Error): void => {
      ended = true;
      failure ??= err;
      while (waiting.length > 0) waiting.shift()!({ value: undefined, done: true });
    };
    res.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      try {
        for (const rec of decoder.push(chunk)) {
          const ev = MesosEvent.safeParse(rec);
          push(ev.success ? ev.data : { type: 'MALFORMED' });
        }
      } catch (err) {
        finish(err as Error);
        res.destroy();
      }
    });
    res.on('end', () => finish());
    res.on('close', () => finish());
    res.on('error', (err) => finish(err));
    const events: AsyncIterableIterator<MesosEvent> = {
      next: () =>
        new Promise((resolve, reject) => {
          const e = queue.shift();
          if (e !== undefined) resolve({ value: e, done: false });
          else if (ended) (failure ? reject(failure) : resolve({ value: undefined, done: true }));
          else waiting.push(resolve);
        }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    const first = await events.next();
    if (first.done || first.value.type !== 'SUBSCRIBED' || !('subscribed' in first.value)) {
      res.destroy();
      throw new Error(`expected SUBSCRIBED first, got ${first.done ? 'the end of the stream' : first.value.type}`);
    }
    this.streamId = streamId;
    this.frameworkId = (first.value.subscribed as { framework_id: { value: string } }).framework_id.value;
    return { streamId, frameworkId: this.frameworkId, raw, events, close: () => res.destroy() };
  }

  /** A non-subscribe call; `framework_id` and the stream id are filled in. */
  async call(type: string, payload: Record<string, unknown> = {}): Promise<CallResult> {
    if (this.frameworkId === undefined || this.streamId === undefined) throw new Error('subscribe first');
    return this.post(JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...payload }), { 'Mesos-Stream-Id': this.streamId });
  }

  /** A raw POST to the scheduler endpoint (for tests of malformed input). */
  async post(body: string | Buffer, headers: Record<string, string> = {}, contentType = 'application/json'): Promise<CallResult> {
    const res = await this.open(body, { ...(contentType !== '' ? { 'Content-Type': contentType } : {}), ...headers });
    return { status: res.statusCode ?? 0, body: await readAll(res), headers: res.headers };
  }

  private async open(body: string | Buffer, headers: Record<string, string>, redirects = 0): Promise<IncomingMessage> {
    const url = new URL('/api/v1/scheduler', this.base);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const options = {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(this.authorization !== undefined ? { Authorization: this.authorization } : {}),
          ...headers,
          'Content-Length': Buffer.byteLength(body),
        },
      };
      const req = url.protocol === 'https:' ? httpsRequest(url, { ...options, ...(this.ca !== undefined ? { ca: this.ca } : {}) }, resolve) : request(url, options, resolve);
      req.on('error', (err) => reject(new Error(`cannot reach the master at ${this.base}: ${err.message}`)));
      req.end(body);
    });
    if (res.statusCode === 307 && typeof res.headers.location === 'string' && redirects < MAX_REDIRECTS) {
      res.resume();
      const loc = res.headers.location.startsWith('//') ? `${url.protocol}${res.headers.location}` : res.headers.location;
      const to = new URL(loc);
      this.base = `${to.protocol}//${to.host}`;
      return this.open(body, headers, redirects + 1);
    }
    return res;
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
