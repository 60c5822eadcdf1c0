/**
 * protobuf: how fast the scheduler API's messages are written and read in each media type, JSON
 * vs protobuf (proto/, protobufjs): an OFFERS event (written by the master, per stream) and the
 * calls a framework sends most (ACCEPT with LAUNCH, ACKNOWLEDGE), read as the gateway reads them
 * (decode, then the same zod validation). Messages/s per form, and bytes per message.
 *
 * Each run first checks that both forms of every message decode to the same value (a fast
 * codec that drops fields would be a lie).
 */
import { isDeepStrictEqual } from 'node:util';
import { decode, encode } from '../proto/index.js';
import { parseCallJson } from '../kernel/shell/scheduler-api/wire.js';
import { metric } from './stats.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface CodecOptions {
  readonly runs: number;
  /** Offers in the OFFERS event (one per agent). */
  readonly offers: number;
  /** Tasks in the ACCEPT. */
  readonly tasks: number;
  /** Time spent on each measurement of each run. */
  readonly sliceMs: number;
}

export const defaultCodecOptions = (): CodecOptions => ({ runs: 5, offers: 20, tasks: 10, sliceMs: 400 });

const scalar = (name: string, value: number, role = '*') => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role } });

function offersEvent(n: number): unknown {
  return {
    type: 'OFFERS',
    offers: {
      offers: Array.from({ length: n }, (_, i) => ({
        id: { value: `e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d${String(i).padStart(4, '0')}-O${i}` },
        framework_id: { value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-0001' },
        agent_id: { value: `e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-S${i}` },
        hostname: `agent-${i}.cluster.local`,
        url: { scheme: 'http', address: { hostname: `agent-${i}.cluster.local`, ip: `10.0.${i >> 8}.${i & 255}`, port: 5051 }, path: '/slave(1)' },
        resources: [scalar('cpus', 7.5), scalar('mem', 30_000), scalar('disk', 200_000), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, allocation_info: { role: '*' } }],
        attributes: [{ name: 'rack', type: 'TEXT', text: { value: `r${i % 8}` } }, { name: 'zone', type: 'TEXT', text: { value: 'z1' } }],
        allocation_info: { role: '*' },
      })),
    },
  };
}

function acceptCall(tasks: number): unknown {
  return {
    framework_id: { value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-0001' },
    type: 'ACCEPT',
    accept: {
      offer_ids: [{ value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-O1' }],
      operations: [
        {
          type: 'LAUNCH',
          launch: {
            task_infos: Array.from({ length: tasks }, (_, i) => ({
              name: `web-${i}`,
              task_id: { value: `web-${i}-2c1e7a` },
              agent_id: { value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-S1' },
              resources: [scalar('cpus', 0.5), scalar('mem', 512)],
              command: { shell: true, value: `exec ./server --port $PORT0 --id ${i}`, environment: { variables: [{ name: 'MODE', type: 'VALUE', value: 'prod' }] } },
              labels: { labels: [{ key: 'app', value: 'web' }] },
            })),
          },
        },
      ],
      filters: { refuse_seconds: 5 },
    },
  };
}

const ackCall = {
  framework_id: { value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-0001' },
  type: 'ACKNOWLEDGE',
  acknowledge: { agent_id: { value: 'e0a1c5b2-5f0e-4cf4-9d33-1f2a0c7d0000-S1' }, task_id: { value: 'web-1-2c1e7a' }, uuid: Buffer.alloc(16, 7).toString('base64') },
};

/** Operations per second of `fn` over about `ms` milliseconds. */
function rate(fn: () => unknown, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export async function runProtobufCodec(o: CodecOptions, ctx: BenchContext): Promise<BenchResult> {
  const t0 = performance.now();
  const offers = offersEvent(o.offers);
  const accept = acceptCall(o.tasks);
  const offersJson = Buffer.from(JSON.stringify(offers));
  const offersPb = encode('schedulerEvent', offers);
  const calls = { accept, ack: ackCall } as const;
  const callBytes = Object.fromEntries(Object.entries(calls).map(([k, c]) => [k, { json: Buffer.from(JSON.stringify(c)), pb: encode('schedulerCall', c) }])) as Record<keyof typeof calls, { json: Buffer; pb: Uint8Array }>;

  // Both forms are the same message.
  if (!isDeepStrictEqual(decode('schedulerEvent', offersPb), JSON.parse(offersJson.toString()))) throw new SanityError('the OFFERS event does not round-trip through protobuf');
  for (const [k, b] of Object.entries(callBytes)) {
    const a = parseCallJson(JSON.parse(b.json.toString()));
    if (!a.ok || !isDeepStrictEqual(a, parseCallJson(decode('schedulerCall', b.pb)))) throw new SanityError(`the ${k} call reads differently from its two forms`);
  }

  const samples: Record<string, number[]> = {};
  const add = (k: string, v: number) => (samples[k] ??= []).push(v);
  for (let run = 0; run < o.runs; run++) {
    ctx.progress(`protobuf: run ${run + 1}/${o.runs}`);
    add('offers_encode_json', rate(() => Buffer.from(JSON.stringify(offers)), o.sliceMs));
    add('offers_encode_protobuf', rate(() => encode('schedulerEvent', offers), o.sliceMs));
    add('offers_decode_json', rate(() => JSON.parse(offersJson.toString('utf8')), o.sliceMs));
    add('offers_decode_protobuf', rate(() => decode('schedulerEvent', offersPb), o.sliceMs));
    for (const k of ['accept', 'ack'] as const) {
      const b = callBytes[k];
      add(`${k}_read_json`, rate(() => parseCallJson(JSON.parse(b.json.toString('utf8'))), o.sliceMs));
      add(`${k}_read_protobuf`, rate(() => parseCallJson(decode('schedulerCall', b.pb)), o.sliceMs));
      add(`${k}_encode_protobuf`, rate(() => encode('schedulerCall', calls[k]), o.sliceMs));
    }
  }
  const m = (k: string, what: string) => metric('msg/s', samples[k]!, { note: what });
  return {
    name: 'protobuf',
    params: { runs: o.runs, offers: o.offers, tasks: o.tasks, sliceMs: o.sliceMs },
    metrics: {
      [`OFFERS (${o.offers}) write, JSON`]: m('offers_encode_json', 'JSON.stringify as the stream writes it'),
      [`OFFERS (${o.offers}) write, protobuf`]: m('offers_encode_protobuf', 'fromObject + encode'),
      [`OFFERS (${o.offers}) read, JSON`]: m('offers_decode_json', 'JSON.parse, as a client reads it'),
      [`OFFERS (${o.offers}) read, protobuf`]: m('offers_decode_protobuf', 'wire check + decode + JSON form'),
      [`ACCEPT (${o.tasks} tasks) read, JSON`]: m('accept_read_json', 'JSON.parse + zod, as the gateway reads it'),
      [`ACCEPT (${o.tasks} tasks) read, protobuf`]: m('accept_read_protobuf', 'decode + the same zod'),
      [`ACCEPT (${o.tasks} tasks) write, protobuf`]: m('accept_encode_protobuf', 'a client encoding it'),
      ['ACKNOWLEDGE read, JSON']: m('ack_read_json', 'JSON.parse + zod'),
      ['ACKNOWLEDGE read, protobuf']: m('ack_read_protobuf', 'decode + the same zod'),
    },
    notes: [
      `bytes per message: OFFERS (${o.offers}) JSON ${offersJson.length} / protobuf ${offersPb.length}; ACCEPT (${o.tasks} tasks) JSON ${callBytes.accept.json.length} / protobuf ${callBytes.accept.pb.length}; ACKNOWLEDGE JSON ${callBytes.ack.json.length} / protobuf ${callBytes.ack.pb.length}`,
    ],
    details: { bytes: { offersJson: offersJson.length, offersProtobuf: offersPb.length, acceptJson: callBytes.accept.json.length, acceptProtobuf: callBytes.accept.pb.length } },
    wallMs: performance.now() - t0,
  };
}
