/**
 * publish: the raw JetStream acknowledged-publish rate on this machine, the ceiling for anything
 * that appends to the cluster log. A fresh nats-server (temp store), the cluster stream made by
 * `ensureStream`, and small messages (a real encoded TaskStatusUpdated, ~300 bytes) published on
 * a subject under `cl.` with `js.publish`:
 *   (a) one at a time, awaiting each acknowledgement;
 *   (b) pipelined: up to `window` publishes outstanding;
 *   (c) as (b), with a Nats-Msg-Id header on each (what `append` sends: de-duplication costs);
 *   (d) as (b), from a connection opened with `noAsyncTraces: true` (connectBus does not set it, so
 *       every request builds two Error objects with stack traces up front): the client's share.
 * CPU use of this process and of nats-server during the pipelined runs says which side is the limit.
 */
import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type BenchBus, startBenchNats } from './bus.js';
import { STREAM_NAME, SCHEMA_VERSION, encode } from '../events/index.js';
import { type Bus, connectBus, credsOptions, ensureStream } from '../kernel/shell/bus.js';
import { silentLogger } from './log.js';
import { processCpuSeconds, selfCpuSeconds } from './proc.js';
import { collectGarbage } from './gc.js';
import { metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface PublishOptions {
  /** Messages per pipelined run. */
  readonly messages: number;
  /** Messages per one-at-a-time run. */
  readonly serialMessages: number;
  /** Publishes outstanding at once in the pipelined runs. */
  readonly window: number;
  readonly runs: number;
  /** An operator-mode server, publishing as the master (default); false: an open bus. */
  readonly secure: boolean;
}

export const defaultPublishOptions = (): PublishOptions => ({ messages: 100_000, serialMessages: 10_000, window: 256, runs: 5, secure: true });

export const RAW_SUBJECT = 'cl.bench.raw';

/** A small status event as bytes (~300 B; what an agent appends for a task state change, without executor and container ids). */
export function statusPayload(): Uint8Array {
  const id = randomUUID();
  return encode({
    type: 'TaskStatusUpdated',
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: Date.now(),
    status: {
      agentId: `agent-${id.slice(9, 18)}`,
      frameworkId: `framework-${id.slice(19, 23)}`,
      taskId: `task-${id.slice(0, 8)}`,
      state: 'TASK_RUNNING',
      source: 'SOURCE_EXECUTOR',
      uuid: randomUUID(),
      timestamp: Date.now(),
    },
  });
}

/** One publish at a time, each acknowledged before the next. Returns the elapsed ms. */
export async function publishSerial(js: JetStreamClient, subject: string, payload: Uint8Array, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await js.publish(subject, payload);
  return performance.now() - t0;
}

/**
 * Up to `window` publishes outstanding; a new one starts as soon as one is acknowledged.
 * With `msgIdPrefix`, each carries a unique Nats-Msg-Id. Returns the elapsed ms.
 */
export function publishPipelined(js: JetStreamClient, subject: string, payload: Uint8Array, n: number, window: number, msgIdPrefix?: string): Promise<number> {
  const t0 = performance.now();
  return new Promise<number>((resolve, reject) => {
    let started = 0;
    let done = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && started < n && started - done < window) {
        const i = started++;
        const p = msgIdPrefix === undefined ? js.publish(subject, payload) : js.publish(subject, payload, { msgID: `${msgIdPrefix}-${i}` });
        p.then(
          () => {
            done++;
            if (done === n) resolve(performance.now() - t0);
            else pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err as Error);
          },
        );
      }
    };
    if (n === 0) resolve(0);
    else pump();
  });
}

async function streamMessages(bus: Bus): Promise<number> {
  return (await bus.jsm.streams.info(STREAM_NAME)).state.messages;
}

export async function runPublish(o: PublishOptions, ctx: BenchContext): Promise<BenchResult> {
  const wallStart = performance.now();
  ctx.progress('publish: starting nats-server (fresh temp store)');
  // Secured (default): as the master, the only party that may append under cl.> beside the agents
  // and frameworks on their own subjects.
  const nb: BenchBus = await startBenchNats({ auth: o.secure });
  const server = nb.server;
  const asMaster = nb.as('master', 'bench-publish');
  let bus: Bus | undefined;
  let cleanupLean: (() => Promise<void>) | undefined;
  try {
    bus = await connectBus({ servers: server.url, name: 'bench-publish', log: silentLogger(), ...asMaster });
    await ensureStream(bus.jsm);
    const payload = statusPayload();
    let published = 0;

    ctx.progress('publish: warm-up');
    await publishSerial(bus.js, RAW_SUBJECT, payload, 1_000);
    await publishPipelined(bus.js, RAW_SUBJECT, payload, 10_000, o.window);
    published += 11_000;

    const { identity: _identity, ...leanAuth } = credsOptions(asMaster.creds);
    const lean = await connect({ servers: server.url, name: 'bench-publish-no-async-traces', noAsyncTraces: true, ...leanAuth });
    cleanupLean = () => lean.close();
    const leanJs = jetstream(lean);
    await publishPipelined(leanJs, RAW_SUBJECT, payload, 10_000, o.window);
    published += 10_000;

    const serial: number[] = [];
    const pipelined: number[] = [];
    const withIds: number[] = [];
    const noTraces: number[] = [];
    const cpu = { self: 0, nats: 0, wall: 0 };
    const cpuLean = { self: 0, nats: 0, wall: 0 };
    /** Time a pipelined run and add the CPU both sides used to `acc`. */
    const timed = async (acc: typeof cpu, run: () => Promise<number>): Promise<number> => {
      const s0 = selfCpuSeconds();
      const n0 = processCpuSeconds(server.pid);
      const ms = await run();
      acc.self += selfCpuSeconds() - s0;
      acc.nats += processCpuSeconds(server.pid) - n0;
      acc.wall += ms / 1000;
      return ms;
    };
    for (let r = 0; r < o.runs; r++) {
      collectGarbage();
      const ms1 = await publishSerial(bus.js, RAW_SUBJECT, payload, o.serialMessages);
      serial.push(o.serialMessages / (ms1 / 1000));
      collectGarbage();
      const ms2 = await timed(cpu, () => publishPipelined(bus!.js, RAW_SUBJECT, payload, o.messages, o.window));
      pipelined.push(o.messages / (ms2 / 1000));
      collectGarbage();
      const ms3 = await publishPipelined(bus.js, RAW_SUBJECT, payload, o.messages, o.window, `run${r}-${randomUUID()}`);
      withIds.push(o.messages / (ms3 / 1000));
      collectGarbage();
      const ms4 = await timed(cpuLean, () => publishPipelined(leanJs, RAW_SUBJECT, payload, o.messages, o.window));
      noTraces.push(o.messages / (ms4 / 1000));
      published += o.serialMessages + 3 * o.messages;
      ctx.progress(
        `publish: run ${r + 1}/${o.runs}: one-at-a-time ${fmt(serial.at(-1)!)} msgs/s, pipelined ${fmt(pipelined.at(-1)!)} msgs/s, ` +
          `pipelined+msgID ${fmt(withIds.at(-1)!)} msgs/s, pipelined noAsyncTraces ${fmt(noTraces.at(-1)!)} msgs/s`,
      );
    }
    const stored = await streamMessages(bus);
    if (stored !== published) throw new SanityError(`publish: the stream holds ${stored} messages, ${published} were acknowledged`);

    return {
      name: 'publish',
      params: {
        serialMessages: o.serialMessages,
        messages: o.messages,
        window: o.window,
        runs: o.runs,
        payloadBytes: payload.length,
        subject: RAW_SUBJECT,
        bus: o.secure ? 'secured (as the master)' : 'open',
        stream: `${STREAM_NAME} (ensureStream defaults: file storage, 1 replica, 2 min duplicate window)`,
        syncInterval: 'nats-server default (2m; no fsync per message)',
        warmup: '1,000 one-at-a-time + 10,000 pipelined',
      },
      metrics: {
        '(a) one at a time': metric('msgs/s', serial),
        [`(b) pipelined, window ${o.window}`]: metric('msgs/s', pipelined),
        [`(c) pipelined + Nats-Msg-Id`]: metric('msgs/s', withIds),
        [`(d) pipelined, noAsyncTraces client`]: metric('msgs/s', noTraces),
      },
      notes: [
        `every acknowledged message is in the stream (${stored.toLocaleString('en-US')} stored); payload ${payload.length} B`,
        `CPU during (b): this process ${pct(cpu.self, cpu.wall)}, nats-server ${pct(cpu.nats, cpu.wall)} (of one core; 200% = both); ` +
          `during (d): this process ${pct(cpuLean.self, cpuLean.wall)}, nats-server ${pct(cpuLean.nats, cpuLean.wall)}`,
      ],
      wallMs: performance.now() - wallStart,
    };
  } finally {
    await cleanupLean?.().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await nb.stop();
  }
}

const pct = (cpuS: number, wallS: number): string => `${((100 * cpuS) / wallS).toFixed(0)}%`;

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
