/**
 * A custom executor that speaks the executor API in protobuf only (as an executor built on Mesos's
 * C++ or Java library does): its messages built and read with protobufjs from the project's .proto
 * files with protobufjs's own defaults (camelCase fields), not with the agent's JSON mapping. It
 * subscribes, answers each LAUNCH with TASK_RUNNING then TASK_FINISHED (the message says what it
 * saw of SUBSCRIBED and of the task), and exits on SHUTDOWN. Started by the agent with Mesos's
 * environment (MESOS_AGENT_ENDPOINT, MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTO_FILES, protoDir } from '../../proto/index.js';
import { RecordIoDecoder, encodeBinaryRecord } from '../../kernel/shell/scheduler-api/recordio.js';

const PB = 'application/x-protobuf';
const root = new protobuf.Root();
const dir = protoDir();
root.resolvePath = (_o, target) => (target.startsWith(dir) ? target : join(dir, target));
root.loadSync(PROTO_FILES.map((f) => join(dir, f)));
const Call = root.lookupType('mesos.v1.executor.Call');
const Event = root.lookupType('mesos.v1.executor.Event');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const endpoint = process.env.MESOS_AGENT_ENDPOINT!;
// The agent's token for this executor (absent when the agent authenticates no executor).
const token = process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
const auth: Record<string, string> = token !== undefined ? { Authorization: `Bearer ${token}` } : {};
const ids = { executorId: { value: process.env.MESOS_EXECUTOR_ID! }, frameworkId: { value: process.env.MESOS_FRAMEWORK_ID! } };

function post(call: Obj, onResponse?: (res: import('node:http').IncomingMessage) => void): void {
  const body = Buffer.from(Call.encode(Call.fromObject({ ...ids, ...call })).finish());
  const req = request(`http://${endpoint}/api/v1/executor`, { method: 'POST', headers: { 'Content-Type': PB, Accept: PB, 'Content-Length': body.length, ...auth } }, (res) => {
    if (onResponse !== undefined) return onResponse(res);
    res.resume();
    if (res.statusCode !== 202) process.stderr.write(`${call.type} answered ${res.statusCode}\n`);
  });
  req.on('error', (e) => process.stderr.write(`${call.type}: ${e.message}\n`));
  req.end(body);
}

let seen = '';
const update = (taskId: Obj, state: string, message: string): void =>
  post({ type: 'UPDATE', update: { status: { taskId, state, source: 'SOURCE_EXECUTOR', message, uuid: randomBytes(16), timestamp: Date.now() / 1000 } } });

post({ type: 'SUBSCRIBE', subscribe: {} }, (res) => {
  if (res.statusCode !== 200 || res.headers['content-type'] !== PB) {
    process.stderr.write(`SUBSCRIBE answered ${res.statusCode} ${String(res.headers['content-type'])}\n`);
    process.exit(3);
  }
  const decoder = new RecordIoDecoder({ binary: true });
  res.on('data', (chunk: Buffer) => {
    for (const r of decoder.push(chunk)) {
      const e = Event.toObject(Event.decode(r as Buffer), { enums: String, longs: Number }) as Obj;
      if (e.type === 'SUBSCRIBED') seen = `subscribed as ${e.subscribed.executorInfo.executorId.value} in container ${e.subscribed.containerId.value}`;
      else if (e.type === 'LAUNCH') {
        const t = e.launch.task;
        update(t.taskId, 'TASK_RUNNING', `${seen}; task ${t.name} with ${t.resources.length} resources`);
        update(t.taskId, 'TASK_FINISHED', 'done in protobuf');
      } else if (e.type === 'SHUTDOWN') process.exit(0);
    }
  });
  res.on('end', () => process.exit(0));
});
