// The v1 executor API in protobuf (proto/mesos/v1/executor/executor.proto): every event the agent
// sends and every call an executor makes round-trips between its JSON form and protobuf to the
// same value, and a call decoded from protobuf passes the same zod validation as JSON; golden
// bytes written by hand from Mesos's field numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, type MessageName } from '../../proto/index.js';
import { ExecutorInfo, TaskInfo } from '../../events/index.js';
import { parseResources } from '../../kernel/core/resources.js';
import { RecordIoDecoder, encodeBinaryRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import {
  ExecutorCall,
  acknowledgedEvent,
  errorEvent,
  executorInfoToMesos,
  heartbeatEvent,
  killEvent,
  launchEvent,
  launchGroupEvent,
  messageEvent,
  shutdownEvent,
  taskInfoToMesos,
} from '../../agent/executor/wire.js';

const uuid16 = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex').toString('base64');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!(Array.isArray(x) && x.length === 0) && x !== undefined) out[k] = prune(x);
    return out;
  }
  return v;
}

function roundTrips(name: MessageName, json: unknown): Uint8Array {
  const bytes = encode(name, json);
  assert.equal(decode(name, bytes), prune(json), `${name} ${(json as { type?: string }).type ?? ''}`);
  return bytes;
}

const executor = ExecutorInfo.parse({
  executorId: 'ex1',
  name: 'my executor',
  command: { value: '/usr/bin/node', shell: false, arguments: ['node', 'ex.js'], environment: { A: '1' }, uris: [{ value: 'http://h/x.tgz', executable: false, extract: true, outputFile: 'x.tgz' }] },
  resources: parseResources('cpus:0.1;mem:32'),
  shutdownGracePeriodMs: 5000,
});

const task = TaskInfo.parse({
  taskId: 't1',
  name: 'task one',
  agentId: 'a1',
  resources: parseResources('cpus:0.5;mem:64'),
  executor,
  data: Buffer.from('exec sleep 1').toString('base64'),
  killGracePeriodMs: 2500,
  labels: { k: 'v' },
});

const EVENTS: unknown[] = [
  {
    type: 'SUBSCRIBED',
    subscribed: {
      executor_info: executorInfoToMesos(executor, 'f1'),
      framework_info: { id: { value: 'f1' }, name: 'fw', user: 'root', checkpoint: true },
      agent_info: { id: { value: 'a1' }, hostname: '127.0.0.1' },
      container_id: { value: 'c1' },
    },
  },
  launchEvent(task, 'f1', 'r1'),
  launchGroupEvent([task, TaskInfo.parse({ ...task, taskId: 't2', name: 'task two' })], 'f1'),
  killEvent('t1', 1500),
  killEvent('t1'),
  acknowledgedEvent('t1', '00010203-0405-0607-0809-0a0b0c0d0e0f'),
  messageEvent(Buffer.from('hello').toString('base64')),
  shutdownEvent(),
  errorEvent('bad call'),
  heartbeatEvent(),
];

const status = { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid: uuid16, source: 'SOURCE_EXECUTOR', executor_id: { value: 'ex1' }, agent_id: { value: 'a1' }, timestamp: 1700000000.5, message: 'up', reason: 'REASON_TASK_CHECK_STATUS_UPDATED', healthy: true, data: Buffer.from('d').toString('base64') };
const ids = { executor_id: { value: 'ex1' }, framework_id: { value: 'f1' } };
const CALLS: unknown[] = [
  { ...ids, type: 'SUBSCRIBE', subscribe: {} },
  { ...ids, type: 'SUBSCRIBE', subscribe: { unacknowledged_tasks: [taskInfoToMesos(task, 'f1')], unacknowledged_updates: [{ status }] } },
  { ...ids, type: 'UPDATE', update: { status } },
  { ...ids, type: 'MESSAGE', message: { data: Buffer.from('hi').toString('base64') } },
];

test('every executor event round-trips JSON → protobuf → JSON', () => {
  for (const e of EVENTS) roundTrips('executorEvent', e);
});

test('every executor call round-trips, and decoded from protobuf it passes the JSON validation', () => {
  for (const c of CALLS) {
    const bytes = roundTrips('executorCall', c);
    const parsed = ExecutorCall.safeParse(decode('executorCall', bytes));
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  }
});

test('golden bytes: a MESSAGE call, written by hand from the field numbers', () => {
  // executor_id = 1 {value = 1: "e"}, framework_id = 2 {value: "f"}, type = 3 (MESSAGE = 3), message = 6 {data = 2: "hi"}
  const golden = '0a030a0165' + '12030a0166' + '1803' + '320412026869';
  const call = { executor_id: { value: 'e' }, framework_id: { value: 'f' }, type: 'MESSAGE', message: { data: Buffer.from('hi').toString('base64') } };
  assert.is(hex(encode('executorCall', call)), golden);
  assert.equal(decode('executorCall', Buffer.from(golden, 'hex')), call);
});

test('golden bytes: an ACKNOWLEDGED event, and its RecordIO framing', () => {
  // type = 1 (ACKNOWLEDGED = 4), acknowledged = 3 {task_id = 1 {value: "t"}, uuid = 2: 16 bytes}
  const golden = '0804' + '1a17' + '0a030a0174' + '1210' + '000102030405060708090a0b0c0d0e0f';
  const bytes = encode('executorEvent', acknowledgedEvent('t', '00010203-0405-0607-0809-0a0b0c0d0e0f'));
  assert.is(hex(bytes), golden);
  const framed = encodeBinaryRecord(bytes);
  assert.is(framed.subarray(0, 3).toString('ascii'), '27\n', 'the length in ASCII digits, then a line feed');
  const records = new RecordIoDecoder({ binary: true }).push(framed);
  assert.is(records.length, 1);
  assert.is(hex(records[0] as Uint8Array), golden);
});

test('an event whose type Mesos does not have (HEARTBEAT) is the number 9; an unknown number decodes as no type', () => {
  assert.is(hex(encode('executorEvent', heartbeatEvent())), '0809');
  assert.equal(decode('executorEvent', Buffer.from('0863', 'hex')), {}, 'type 99: unset, as proto2 leaves an unknown enum value');
});

test.run();
