/**
 * Mesos's v1 protobuf messages, from our own schema (proto/mesos/v1/**.proto), loaded with
 * protobufjs. One schema, two forms: the protobuf bytes, and the JSON the HTTP APIs speak (Mesos's
 * mapping: field names as in the .proto, enums by name, 64-bit integers as numbers, bytes as
 * base64). `decode` turns bytes into exactly the plain object the JSON path parses, so the zod
 * schemas of the APIs stay the one validation of what comes in; `encode` turns the JSON we answer
 * with into bytes.
 *
 * Malformed bytes (truncated, a length beyond the buffer, a wire type that does not fit the
 * field, an invalid group) are a ProtobufError with protobufjs's reason; nothing is thrown on
 * unknown fields (skipped, as proto2 does) or unknown enum values (left unset, as proto2 does).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The messages served; their full names in the schema. */
export const MESSAGES = {
  schedulerCall: 'mesos.v1.scheduler.Call',
  schedulerEvent: 'mesos.v1.scheduler.Event',
  masterCall: 'mesos.v1.master.Call',
  masterResponse: 'mesos.v1.master.Response',
  masterEvent: 'mesos.v1.master.Event',
  executorCall: 'mesos.v1.executor.Call',
  executorEvent: 'mesos.v1.executor.Event',
  agentCall: 'mesos.v1.agent.Call',
  agentResponse: 'mesos.v1.agent.Response',
  agentProcessIO: 'mesos.v1.agent.ProcessIO',
} as const;
export type MessageName = keyof typeof MESSAGES;

export const PROTO_FILES = [
  'mesos/v1/mesos.proto',
  'mesos/v1/allocator/allocator.proto',
  'mesos/v1/maintenance/maintenance.proto',
  'mesos/v1/quota/quota.proto',
  'mesos/v1/scheduler/scheduler.proto',
  'mesos/v1/master/master.proto',
  'mesos/v1/executor/executor.proto',
  'mesos/v1/agent/agent.proto',
] as const;

/** The folder holding the .proto files (the source tree's proto/, also from dist/proto/). */
export function protoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/proto/index.js → <root>/proto; proto/index.ts (run from source) → itself.
  return here.split(/[\\/]/).includes('dist') ? join(here, '..', '..', 'proto') : here;
}

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

type Plain = Record<string, unknown>;

let loaded: protobuf.Root | undefined;

/** The schema, loaded once (the .proto files are read on first use). */
export function schema(): protobuf.Root {
  if (loaded !== undefined) return loaded;
  const dir = protoDir();
  const root = new protobuf.Root();
  // Imports are written as Mesos's include paths ("mesos/v1/…"): resolve them under our folder.
  root.resolvePath = (_origin, target) => (target.startsWith(dir) ? target : join(dir, target));
  for (const f of PROTO_FILES) protobuf.parse(readFileSync(join(dir, f), 'utf8'), root, { keepCase: true });
  root.resolveAll();
  loaded = root;
  return root;
}

const types = new Map<string, protobuf.Type>();
function typeOf(name: MessageName): protobuf.Type {
  let t = types.get(name);
  if (t === undefined) {
    t = schema().lookupType(MESSAGES[name]);
    types.set(name, t);
  }
  return t;
}

/** The JSON form (Mesos's mapping) of one message → its protobuf bytes. Throws ProtobufError when it does not fit the schema. */
export function encode(name: MessageName, json: unknown): Uint8Array {
  const t = typeOf(name);
  let msg: protobuf.Message;
  try {
    msg = t.fromObject(json as Plain);
  } catch (e) {
    throw new ProtobufError(`cannot encode ${MESSAGES[name]}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return t.encode(msg).finish();
}

/** Protobuf bytes → the JSON form of the message (what the JSON API would have received). Throws ProtobufError on malformed bytes. */
export function decode(name: MessageName, bytes: Uint8Array): Plain {
  const t = typeOf(name);
  let msg: protobuf.Message;
  try {
    checkWire(t, protobuf.Reader.create(bytes), bytes.length, [MESSAGES[name]]);
    msg = t.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ProtobufError(`Failed to parse body into ${MESSAGES[name]} protobuf: ${why}`);
  }
  return toPlain(t, msg as unknown as Plain);
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function toPlain(t: protobuf.Type, m: Plain): Plain {
  const out: Plain = {};
  for (const f of t.fieldsArray) {
    if (!has(m, f.name)) continue; // unset (a proto2 default lives on the prototype)
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (f.map) {
      const entries = Object.entries(v as Plain);
      if (entries.length === 0) continue;
      out[f.name] = Object.fromEntries(entries.map(([k, x]) => [k, valueOf(f, x)]).filter(([, x]) => x !== undefined));
    } else if (f.repeated) {
      const list = (v as unknown[]).map((x) => valueOf(f, x)).filter((x) => x !== undefined);
      if (list.length > 0) out[f.name] = list;
    } else {
      const x = valueOf(f, v);
      if (x !== undefined) out[f.name] = x;
    }
  }
  return out;
}

function valueOf(f: protobuf.FieldBase, v: unknown): unknown {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return toPlain(rt, v as Plain);
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number]; // unknown number: unset, as proto2
  switch (f.type) {
    case 'bytes':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return typeof v === 'number' ? v : protobuf.util.LongBits.from(v as protobuf.Long).toNumber(f.type === 'uint64' || f.type === 'fixed64');
    default:
      return v;
  }
}

/** Deeper nesting than this is refused (a hostile message could otherwise exhaust the stack). */
export const MAX_DEPTH = 64;

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start group', 'end group', '32-bit', '6 (invalid)', '7 (invalid)'];

function wireTypeOf(f: protobuf.Field): number {
  if (f.resolvedType instanceof protobuf.Type) return 2;
  if (f.resolvedType instanceof protobuf.Enum) return 0;
  switch (f.type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return 0;
  }
}

/**
 * Walks the bytes against the schema before protobufjs decodes them (its decoder trusts the wire
 * type of a known field): every known field must have the wire type its declared type has (or be
 * a packed list), every length must fit inside its enclosing message, nesting is bounded.
 */
interface FieldCheck {
  readonly name: string;
  readonly want: number;
  /** A repeated scalar: also accepted length-delimited (packed). */
  readonly packable: boolean;
  /** For a (non-map) message field: its type. */
  readonly message: protobuf.Type | undefined;
  readonly what: string;
}

const checks = new WeakMap<protobuf.Type, Map<number, FieldCheck>>();

/** Per message type, what each field number must look like on the wire (computed once). */
function checksOf(t: protobuf.Type): Map<number, FieldCheck> {
  let m = checks.get(t);
  if (m === undefined) {
    m = new Map();
    for (const f of t.fieldsArray) {
      const want = f.map ? 2 : wireTypeOf(f);
      const message = !f.map && f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
      m.set(f.id, { name: f.name, want, packable: f.repeated && !f.map && want !== 2, message, what: f.map ? 'map' : f.type });
    }
    checks.set(t, m);
  }
  return m;
}

/**
 * Walks the bytes against the schema before protobufjs decodes them (its decoder trusts the wire
 * type of a known field): every known field must have the wire type its declared type has (or be
 * a packed list), every length must fit inside its enclosing message, nesting is bounded.
 */
function checkWire(t: protobuf.Type, r: protobuf.Reader, end: number, names: string[]): void {
  const path = { toString: () => names.join('.') }; // built only for an error
  if (names.length > MAX_DEPTH + 1) throw new ProtobufError(`${path}: nested deeper than ${MAX_DEPTH} messages`);
  const fields = checksOf(t);
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 0) throw new ProtobufError(`${path}: field number 0 at byte ${at} (not a valid tag)`);
    if (wt > 5) throw new ProtobufError(`${path}: invalid wire type ${wt} for field ${id} at byte ${at}`);
    const f = fields.get(id);
    if (f === undefined) {
      r.skipType(wt); // unknown field: skipped, as proto2 does
    } else {
      if (wt !== f.want && !(f.packable && wt === 2)) {
        throw new ProtobufError(`${path}.${f.name} (field ${id}): wire type ${WIRE_NAMES[wt]}, but a ${f.what} is ${WIRE_NAMES[f.want]}`);
      }
      if (f.message !== undefined) {
        const len = r.uint32();
        if (r.pos + len > end) throw new ProtobufError(`${path}.${f.name} (field ${id}): length ${len} runs past the end of its message by ${r.pos + len - end} bytes`);
        names.push(f.name);
        checkWire(f.message, r, r.pos + len, names);
        names.pop();
      } else {
        const before = r.pos;
        r.skipType(wt);
        if (r.pos > end) throw new ProtobufError(`${path}.${f.name} (field ${id}): value at byte ${before} runs past the end of its message`);
      }
    }
  }
  if (r.pos > end) throw new ProtobufError(`${path}: truncated (the last field runs past the end)`);
}
