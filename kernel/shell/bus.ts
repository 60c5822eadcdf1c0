/**
 * The bus: the only module that talks JetStream for the rest of the system. It connects, makes
 * sure the cluster stream exists, appends events (validated, on the subject they belong to, with a
 * Nats-Msg-Id for de-duplication and optional compare-and-swap), and reads the log in order.
 *
 * On a NATS cluster it rides through the loss of a server: JetStream requests are re-sent while a
 * stream's RAFT group elects a new leader (see `rideThrough`), and a log reader whose consumer
 * stops answering (its server died) starts a new one where it stopped (see `readLog`).
 */
import { type Msg, type NatsConnection, type Payload, type RequestOptions, RequestError, TimeoutError, connect } from '@nats-io/transport-node';
import { loadCa } from '../../security/tls/index.js';
import { type CredsIdentity, authenticatorOf, type credsAuthenticatorOf, readCredsFile } from '../../security/nats/index.js';
import {
  DeliverPolicy,
  type JetStreamClient,
  JetStreamApiError,
  type JetStreamManager,
  type PubAck,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  type ClusterEvent,
  type ClusterEventInput,
  CodecError,
  type Decoded,
  STREAM_NAME,
  type StreamOptions,
  decode,
  defaultStreamOptions,
  encode,
  epochOf,
  streamConfig,
  subjectFor,
  subjects,
  validate,
} from '../../events/index.js';

export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code: 'CONNECT_FAILED' | 'CONFLICT' | 'STREAM_SETUP_FAILED' | 'PUBLISH_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** JetStream's "wrong last sequence": somebody appended first. */
const WRONG_LAST_SEQUENCE = 10071;

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly servers: string | readonly string[];
  readonly name: string;
  readonly log: Logger;
  /** Give up after this long when the server cannot be reached at start (ms). */
  readonly connectTimeoutMs?: number;
  /** TLS: verify the server's certificate against this CA (PEM file); the connection is then TLS only. */
  readonly tlsCa?: string;
  /**
   * NATS credentials (a `.creds` file: user JWT and nkey seed). Our credentials (security/nats)
   * also set the client's inbox prefix to the user's own (`_INBOX_<name>`), the only one it may read.
   */
  readonly creds?: string;
}

/** The connect options a `.creds` file gives (authenticator, inbox prefix); none without a file. */
export function credsOptions(file: string | undefined): { authenticator?: ReturnType<typeof credsAuthenticatorOf>; inboxPrefix?: string; identity?: CredsIdentity } {
  if (file === undefined) return {};
  const id = readCredsFile(file);
  return {
    authenticator: authenticatorOf(id.text),
    ...(id.inboxPrefix !== undefined ? { inboxPrefix: id.inboxPrefix } : {}),
    identity: id,
  };
}

/** Whether a connect failure is the server asking for credentials (or refusing the ones given). */
export const isAuthFailure = (err: unknown): boolean => /authorization|authentication|user.*revoked|AUTHORIZATION_VIOLATION/i.test(String((err as Error)?.message ?? err) + String((err as { code?: string })?.code ?? ''));

/** MESOS_CREDS: the credentials file of a process that was given no --creds. */
export const credsFromEnv = (): string | undefined => (process.env.MESOS_CREDS !== undefined && process.env.MESOS_CREDS !== '' ? process.env.MESOS_CREDS : undefined);

export const parseServers = (s: string | readonly string[]): string[] =>
  (typeof s === 'string' ? s.split(',') : [...s]).map((x) => x.trim()).filter((x) => x !== '');

export async function connectBus(o: ConnectOptions): Promise<Bus> {
  const servers = parseServers(o.servers);
  let nc: NatsConnection;
  const creds = o.creds ?? credsFromEnv();
  const { identity: _identity, ...auth } = credsOptions(creds);
  try {
    nc = await connect({
      servers,
      name: o.name,
      ...auth,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: o.connectTimeoutMs ?? 5000,
      waitOnFirstConnect: false,
      // Without this, every request (so every JetStream publish) builds Error objects with stack
      // traces up front, in case it fails: measured at +52% pipelined publishes (bench/).
      noAsyncTraces: true,
      ...(o.tlsCa !== undefined ? { tls: { ca: loadCa(o.tlsCa).toString('utf8') } } : {}),
    });
  } catch (cause) {
    throw new BusError(
      'CONNECT_FAILED',
      isAuthFailure(cause)
        ? creds === undefined
          ? `NATS at ${servers.join(',')} requires credentials: give --creds FILE (or MESOS_CREDS), a .creds file from \`mesos creds issue\` (\`mesos dev\` writes them under <data>/credentials/)`
          : `NATS at ${servers.join(',')} refused the credentials ${creds}: ${(cause as Error).message} (revoked, or issued by another operator?)`
        : /certificate|TLS|SSL/i.test((cause as Error).message)
        ? `cannot connect to NATS at ${servers.join(',')} over TLS: ${(cause as Error).message}. ${o.tlsCa === undefined ? 'The server requires TLS: give --tls-ca FILE, the CA that signed its certificate (`mesos dev --tls` prints it).' : `Is ${o.tlsCa} the CA that signed the server's certificate?`}`
        : `cannot reach NATS at ${servers.join(',')}: ${(cause as Error).message}. Is nats-server running there? (\`mesos dev\` starts one)`,
      { cause },
    );
  }
  const log = o.log.child({ component: 'bus' });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') log.info({ status: s.type, server: 'server' in s ? s.server : undefined }, 'nats connection');
    }
  })().catch(() => undefined);
  // JetStream (and the KV bucket and object store built on `js`) talks through a connection whose
  // requests ride through a RAFT leader election; `nc` itself (pings, commands) is left alone.
  const jsnc = rideThrough(nc, RIDE_THROUGH_MS);
  const jsm = await jetstreamManager(jsnc);
  const js = jetstream(jsnc);
  readerClients.set(js, jetstream(jsnc, { timeout: CONSUMER_CREATE_TIMEOUT_MS }));
  return {
    nc,
    js,
    jsm,
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

/**
 * How long a JetStream request is re-sent while it finds no leader to answer it (ms). A stream's
 * RAFT group elects a new leader within nats-server's election timeout (4 to 9 s, randomised) of
 * losing the old one; this leaves room for that and for the meta leader's election after it.
 */
export const RIDE_THROUGH_MS = 20_000;

/**
 * JetStream API requests that may be sent again after a timeout: reads. Anything else that timed
 * out may have happened, so it is not repeated blindly. (Creating a consumer is not repeated
 * either: the same name again would be placed where the first was, possibly on the dead server;
 * `readLog` tries a new consumer instead.)
 */
const IDEMPOTENT_API = /^\$JS\.API\.(INFO$|STREAM\.(INFO|NAMES|LIST|MSG\.GET)\b|DIRECT\.GET\b|CONSUMER\.(INFO|NAMES|LIST)\b)/;

/**
 * `nc` with a `request` that survives the few seconds in which a JetStream stream has no leader
 * (its leader's server died; the RAFT group is electing another):
 * - "no responders" is always re-sent: nobody received the request, so nothing happened. This is
 *   what a publish to a stream without a leader gets;
 * - a timeout is re-sent only when repeating is harmless: a publish with a `Nats-Msg-Id` (the
 *   stream's duplicate window absorbs a second copy; but see `append` for a compare-and-swap) or
 *   an idempotent API request (IDEMPOTENT_API). This is what API requests get while the stream
 *   has no leader, and what a request sent to a server just before it died gets;
 * with backoff (50 ms doubling to 500 ms), until `budgetMs` after the first attempt, and never
 * once the connection is closed or draining. Every other property is the connection's own.
 */
export function rideThrough(nc: NatsConnection, budgetMs: number): NatsConnection {
  const request = async (subject: string, payload?: Payload, opts?: RequestOptions): Promise<Msg> => {
    const deadline = Date.now() + budgetMs;
    const repeatable = IDEMPOTENT_API.test(subject) || opts?.headers?.has('Nats-Msg-Id') === true;
    for (let attempt = 0; ; attempt++) {
      try {
        return await nc.request(subject, payload, opts);
      } catch (err) {
        const transient = (err instanceof RequestError && err.isNoResponders()) || (repeatable && err instanceof TimeoutError);
        const wait = Math.min(500, 50 * 2 ** attempt);
        if (!transient || Date.now() + wait >= deadline || nc.isClosed() || nc.isDraining()) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') return request;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Create the cluster stream when it is missing. An existing stream keeps its replicas and limits
 * (a master started without --stream-replicas must not shrink an R3 log to R1); only its subjects
 * are checked, since everything depends on them.
 */
export async function ensureStream(jsm: JetStreamManager, o: StreamOptions = defaultStreamOptions(), log?: Logger): Promise<void> {
  const cfg = streamConfig(o);
  try {
    let existing;
    try {
      existing = await jsm.streams.info(cfg.name);
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === 10059) {
        await addWhenPlaceable(jsm, cfg);
        return;
      }
      throw e;
    }
    const subjectsOk = cfg.subjects!.every((s) => existing.config.subjects?.includes(s));
    if (!subjectsOk) {
      throw new Error(`stream ${cfg.name} exists with subjects ${JSON.stringify(existing.config.subjects)}; expected ${JSON.stringify(cfg.subjects)}`);
    }
    if (existing.config.deny_delete !== true || existing.config.deny_purge !== true) {
      // Made by an older build: protect it now (nats-server lets an update set these, never cancel them).
      try {
        await jsm.streams.update(cfg.name, { ...existing.config, deny_delete: true, deny_purge: true });
        log?.info({ stream: cfg.name }, 'the cluster stream now denies deleting and purging messages');
      } catch (err) {
        log?.warn({ err, stream: cfg.name }, 'the cluster stream allows deleting or purging messages, and this identity cannot change that: have the admin set deny_delete and deny_purge');
      }
    }
    if (existing.config.num_replicas !== cfg.num_replicas) {
      log?.warn({ stream: cfg.name, replicas: existing.config.num_replicas, asked: cfg.num_replicas }, 'the cluster stream exists with other replicas; keeping them');
    }
  } catch (cause) {
    throw new BusError('STREAM_SETUP_FAILED', `cannot create or check stream ${cfg.name}: ${(cause as Error).message}`, { cause });
  }
}

/** JetStream's "no suitable peers for placement": a cluster still forming cannot place replicas yet. */
const NO_SUITABLE_PEERS = 10005;
/** How long stream creation waits for a forming cluster to be able to place its replicas (ms). */
const PLACEMENT_WAIT_MS = 30_000;

async function addWhenPlaceable(jsm: JetStreamManager, cfg: ReturnType<typeof streamConfig>): Promise<void> {
  const deadline = Date.now() + PLACEMENT_WAIT_MS;
  for (;;) {
    try {
      await jsm.streams.add(cfg);
      return;
    } catch (e) {
      if (!(e instanceof JetStreamApiError && e.code === NO_SUITABLE_PEERS) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface AppendOptions {
  /** De-duplication id; defaults to the event id (plus the epoch for decisions). */
  readonly msgId?: string;
  /** Compare-and-swap on the subject: the append succeeds only if the subject's last sequence is this. */
  readonly expectLastSubjectSequence?: number;
  readonly timeoutMs?: number;
}

/** The Nats-Msg-Id of an event: a re-send of the same decision in the same epoch is absorbed. */
export const msgIdOf = (e: ClusterEvent): string => {
  const epoch = epochOf(e);
  return epoch === undefined ? e.id : `${e.id}@${epoch}`;
};

/**
 * Validate and append one event on its own subject. Resolves with the stream sequence. On a
 * connection from `connectBus`, a publish that finds no stream leader (a RAFT election after a
 * server died) or whose acknowledgement was lost is re-sent with the same Nats-Msg-Id for up to
 * RIDE_THROUGH_MS (see `rideThrough`); a second copy is absorbed by the duplicate window.
 */
export async function append(js: JetStreamClient, input: ClusterEventInput | ClusterEvent, o: AppendOptions = {}): Promise<PubAck> {
  const event = validate(input);
  const data = encode(event);
  const subject = subjectFor(event);
  const msgID = o.msgId ?? msgIdOf(event);
  try {
    return await js.publish(subject, data, {
      msgID,
      timeout: o.timeoutMs ?? 5000,
      ...(o.expectLastSubjectSequence !== undefined ? { expect: { lastSubjectSequence: o.expectLastSubjectSequence } } : {}),
    });
  } catch (cause) {
    if (cause instanceof JetStreamApiError && cause.code === WRONG_LAST_SEQUENCE) {
      // A compare-and-swap re-sent after its acknowledgement was lost is refused by a clustered
      // stream even when the first copy landed (there the check comes before the de-duplication;
      // a single server answers "duplicate"). Our own copy last on the subject is a success.
      const mine = await ownLastOnSubject(js, subject, msgID).catch(() => null);
      if (mine !== null) return { stream: STREAM_NAME, seq: mine, duplicate: true };
      throw new BusError('CONFLICT', `another writer appended to ${subject} first`, { cause });
    }
    if (cause instanceof CodecError) throw cause;
    throw new BusError('PUBLISH_FAILED', `append of ${event.type} failed: ${(cause as Error).message}`, { cause });
  }
}

/** The sequence of the subject's last message when it carries this Nats-Msg-Id, else null. */
async function ownLastOnSubject(js: JetStreamClient, subject: string, msgId: string): Promise<number | null> {
  const jsm = await js.jetstreamManager(false);
  const m = await jsm.streams.getMessage(STREAM_NAME, { last_by_subj: subject });
  return m !== null && m.header?.get('Nats-Msg-Id') === msgId ? m.seq : null;
}

export interface LogEntry {
  readonly seq: number;
  readonly subject: string;
  /** Server time of the append (ms). */
  readonly storedAt: number;
  /** Messages after this one at the time it was read (0 at the head). */
  readonly pending: number;
  readonly decoded: Decoded;
  /** The message as stored (for readers that export it). */
  readonly data: Uint8Array;
}

export interface ReadOptions {
  /** First stream sequence to read (default 1). */
  readonly fromSeq?: number;
  /** Only these subjects (default: the whole log). */
  readonly filter?: string | readonly string[];
  /** Stop at the head as it was when reading began (default false: follow the log forever). */
  readonly untilHead?: boolean;
  /** Stop after this sequence. */
  readonly toSeq?: number;
  readonly signal?: AbortSignal;
  /** How each message is decoded (default `decode`, which validates it against its subject). */
  readonly decoder?: (data: Uint8Array, subject: string) => Decoded;
}

/** The stream's last sequence now (0 when empty). */
export async function headSeq(jsm: JetStreamManager): Promise<number> {
  const info = await jsm.streams.info(STREAM_NAME);
  return info.state.last_seq;
}

/**
 * The last sequence the stream stored at or before `ms` (ms since the epoch; 0 when the first
 * message is later), by its own timestamps, which grow with the sequence. A binary search over
 * direct reads: about log2(messages) requests.
 */
export async function seqAtTime(jsm: JetStreamManager, ms: number): Promise<{ seq: number; storedAt: number }> {
  const info = await jsm.streams.info(STREAM_NAME);
  if (info.state.messages === 0) return { seq: 0, storedAt: 0 };
  // The message at `seq`, or the next one stored (a deleted sequence has none of its own).
  const at = async (seq: number): Promise<{ seq: number; storedAt: number } | null> => {
    const m = await jsm.direct.getMessage(STREAM_NAME, { seq, next_by_subj: subjects.all });
    return m === null ? null : { seq: m.seq, storedAt: m.time.getTime() };
  };
  let lo = info.state.first_seq;
  let hi = info.state.last_seq;
  let best = await at(lo);
  if (best === null || best.storedAt > ms) return { seq: 0, storedAt: 0 };
  lo = best.seq;
  // Invariant: the message at `lo` was stored at or before `ms`; the answer is at most `hi`.
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    const m = await at(mid);
    if (m === null || m.seq > hi || m.storedAt > ms) hi = mid - 1;
    else {
      best = m;
      lo = m.seq;
    }
  }
  return best;
}

/** The last sequence stored on one subject (0 when none). */
export async function lastSubjectSeq(jsm: JetStreamManager, subject: string): Promise<number> {
  try {
    const m = await jsm.streams.getMessage(STREAM_NAME, { last_by_subj: subject });
    return m?.seq ?? 0;
  } catch (e) {
    if (e instanceof JetStreamApiError && (e.code === 10037 || e.status === 404)) return 0;
    throw e;
  }
}

/**
 * A log reader's pull batch, in messages: as many as fit READ_BATCH_BYTES at the size of the
 * messages seen, between READ_BATCH_MIN and READ_BATCH_MAX. A batch arrives whole in the client's
 * memory and is folded without the event loop reading the socket in between; at 1,024 messages of
 * 400 KB (offers at 40,000 agents) that is 400 MB the server must buffer for a reader that is busy,
 * far past nats-server's 64 MB max_pending, and the server cuts the connection as a slow consumer.
 * (The client's own byte limit forces batches of 100 messages, which reads small events 40% slower:
 * measured 141k against 236k messages/s.)
 */
const READ_BATCH_BYTES = 8 * 1024 * 1024;
const READ_BATCH_MAX = 1024;
const READ_BATCH_MIN = 4;
/** The batch for messages of about `bytes` each. */
export const readBatchFor = (bytes: number): number => Math.max(READ_BATCH_MIN, Math.min(READ_BATCH_MAX, Math.floor(READ_BATCH_BYTES / Math.max(1, bytes))));

/** Idle heartbeat asked of a log reader's consumer (ms). */
const READ_HEARTBEAT_MS = 1000;
/** A reader waiting this long with neither a message nor a heartbeat starts a new consumer (ms). */
const READ_STALL_MS = 3500;
/** A reader that reads up to a point gives up when it cannot create a consumer for this long (ms). */
const READ_OPEN_MS = 60_000;
/**
 * JetStream API timeout of a reader's consumer (its creation, its info). Creating one takes a few
 * milliseconds; but after a server was killed, the meta leader goes on placing a third of the new
 * one-replica consumers on it (it does not know the server is gone), and those creations never
 * answer. A short timeout makes such a try cheap; the next one is a new consumer, placed anew.
 */
const CONSUMER_CREATE_TIMEOUT_MS = 2000;
/** Per `Bus.js` from `connectBus`: the same connection with CONSUMER_CREATE_TIMEOUT_MS. */
const readerClients = new WeakMap<JetStreamClient, JetStreamClient>();

/** A failure to create a consumer that another try (a new consumer) may not meet. */
const transientOpenError = (err: unknown): boolean =>
  err instanceof TimeoutError || (err instanceof RequestError && err.isNoResponders()) || (err instanceof Error && err.name === 'JetStreamNotEnabled');

/**
 * Read the log in order with an ordered consumer (ephemeral; it resumes by itself after a
 * reconnect). Each message is decoded and validated against its subject; malformed ones are
 * yielded as `decoded.ok === false` so the caller counts and skips them.
 *
 * The consumer lives on one server (an ordered consumer has one replica). When that server dies
 * the consumer's heartbeats stop, and the client library alone would wait for the server to come
 * back; so a reader that has waited READ_STALL_MS with neither a message nor a heartbeat drops
 * the consumer and starts a new one after the last sequence it yielded (on a server that lives).
 * Creating a consumer that times out is tried again with a new one, with backoff: for ever for a
 * reader that follows the log, for READ_OPEN_MS for one that stops (`toSeq`, `untilHead`).
 */
export async function* readLog(bus: Bus, o: ReadOptions = {}): AsyncGenerator<LogEntry> {
  const fromSeq = o.fromSeq ?? 1;
  const decoder = o.decoder ?? decode;
  const stopAt = o.untilHead ? Math.min(await headSeq(bus.jsm), o.toSeq ?? Infinity) : (o.toSeq ?? Infinity);
  if (stopAt < fromSeq) return;
  const filter = o.filter === undefined ? undefined : typeof o.filter === 'string' ? [o.filter] : [...o.filter];
  let next = fromSeq;
  let batch = READ_BATCH_MAX;
  /** Running average of message sizes (bytes). */
  let avgBytes = 512;
  for (let round = 0; !o.signal?.aborted; round++) {
    const consumer = await openConsumer(bus, filter, next, stopAt === Infinity ? Infinity : READ_OPEN_MS, o.signal);
    if (consumer === null) return; // aborted
    if (round === 0 && o.untilHead && filter !== undefined && (await consumer.info()).num_pending === 0) return;
    const messages = await consumer.consume({ max_messages: batch, idle_heartbeat: READ_HEARTBEAT_MS });
    let sinceOpen = 0;
    let resize = false;
    // Stall watch: only while we wait for the server (not while the caller holds an entry).
    let waitingSince: number | null = null;
    let lastHeartbeat = 0;
    let stalled = false;
    void (async () => {
      for await (const s of messages.status()) if (s.type === 'heartbeat') lastHeartbeat = Date.now();
    })().catch(() => undefined);
    const watch = setInterval(() => {
      if (waitingSince !== null && Date.now() - Math.max(waitingSince, lastHeartbeat) > READ_STALL_MS) {
        stalled = true;
        void messages.close().catch(() => undefined);
      }
    }, 250);
    const onAbort = (): void => void messages.close().catch(() => undefined);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // Stop the iterator before closing: close() waits for an iterator left open (it hangs
    // otherwise when we return before the consumer has delivered everything).
    const it = messages[Symbol.asyncIterator]();
    try {
      for (;;) {
        waitingSince = Date.now();
        const r = await it.next();
        waitingSince = null;
        if (r.done) break;
        const m = r.value;
        if (m.seq < next) continue; // already yielded by the consumer before
        next = m.seq + 1;
        // Batches follow the size of the messages: down at once when one is far too big for the
        // batch, back up once a few batches of small ones have gone by.
        const size = m.data.length;
        avgBytes = avgBytes * 0.95 + size * 0.05;
        sinceOpen++;
        const fitsLarge = readBatchFor(size);
        const fitsAvg = readBatchFor(avgBytes);
        if (fitsLarge * 4 <= batch) {
          batch = fitsLarge;
          resize = true;
        } else if (fitsAvg >= batch * 4 && sinceOpen >= batch * 4) {
          batch = fitsAvg;
          resize = true;
        }
        const entry: LogEntry = {
          seq: m.seq,
          subject: m.subject,
          storedAt: Math.floor(m.info.timestampNanos / 1e6),
          pending: m.info.pending,
          decoded: decoder(m.data, m.subject),
          data: m.data,
        };
        yield entry;
        if (m.seq >= stopAt || (o.untilHead && filter !== undefined && m.info.pending === 0)) return;
        if (resize) break; // a new consumer from `next`, pulling `batch` at a time
      }
    } finally {
      clearInterval(watch);
      o.signal?.removeEventListener('abort', onAbort);
      await it.return?.(undefined)?.catch(() => undefined);
      await messages.close().catch(() => undefined);
    }
    if (o.signal?.aborted) return;
    if (resize) {
      void bus.jsm.consumers.delete(STREAM_NAME, (await consumer.info(true)).name).catch(() => undefined);
      continue;
    }
    if (!stalled) return; // closed: aborted, or the connection was closed
    // Best effort: the consumer's server may be gone (the consumer then expires by itself).
    void bus.jsm.consumers.delete(STREAM_NAME, (await consumer.info(true)).name).catch(() => undefined);
  }
}

/** An ordered consumer from `seq`; each failed try is a new consumer (a new name, placed anew). */
async function openConsumer(bus: Bus, filter: string[] | undefined, seq: number, giveUpMs: number, signal?: AbortSignal) {
  const deadline = Date.now() + giveUpMs;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return null;
    try {
      return await (readerClients.get(bus.js) ?? bus.js).consumers.get(STREAM_NAME, {
        // One filter goes as `filter_subject`, which the create request carries in its subject:
        // what lets a party that may read only its own subjects (security/nats) read them.
        ...(filter ? { filter_subjects: filter.length === 1 ? filter[0]! : filter } : {}),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: seq,
      });
    } catch (err) {
      if (!transientOpenError(err) || Date.now() >= deadline || bus.nc.isClosed()) throw err;
      await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
    }
  }
}
