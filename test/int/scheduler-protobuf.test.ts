/**
 * A framework that speaks only protobuf (its messages built and read with protobufjs from the
 * project's .proto files, with protobufjs's own default options, as a client library would) drives a
 * real master and agent: SUBSCRIBE with offer_constraints, offers only from the agents the
 * constraints allow, LAUNCH, and acknowledgements of its task's updates — which come one at a time
 * (the next only after the previous is acknowledged, as Mesos). Also the operator API in protobuf,
 * and malformed protobuf and bad uuids answered 400 with the reason while the master keeps serving.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { request } from 'node:http';
import protobuf from 'protobufjs';
import { PROTO_FILES, decode, protoDir } from '../../proto/index.js';
import { OperatorStreamClient } from '../helpers/operator-stream.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { rawRequest } from '../helpers/scheduler-http.js';

const PB = 'application/x-protobuf';
type Obj = Record<string, any>;

// The client's own view of the schema: protobufjs defaults (camelCase field names).
const root = new protobuf.Root();
const dir = protoDir();
root.resolvePath = (_o, target) => (target.startsWith(dir) ? target : join(dir, target));
root.loadSync(PROTO_FILES.map((f) => join(dir, f)));
const Call = root.lookupType('mesos.v1.scheduler.Call');
const Event = root.lookupType('mesos.v1.scheduler.Event');
const MasterCall = root.lookupType('mesos.v1.master.Call');
const MasterResponse = root.lookupType('mesos.v1.master.Response');
const MasterEvent = root.lookupType('mesos.v1.master.Event');
const toObj = (t: protobuf.Type, b: Uint8Array): Obj => t.toObject(t.decode(b), { enums: String, longs: Number, bytes: Buffer as never });
const callBytes = (o: Obj): Buffer => Buffer.from(Call.encode(Call.fromObject(o)).finish());

let cluster: TestCluster;
let base: string;
let rackA: string;
let rackB: string;

class ProtobufStream {
  readonly events: Obj[] = [];
  streamId = '';
  contentType = '';
  private res: import('node:http').IncomingMessage | undefined;
  private readonly decoder = new RecordIoDecoder({ binary: true });
  errors: string[] = [];

  /** Each record as the JSON mapping of the message (proto/index.ts's decode), beside the client's view. */
  readonly plain: Obj[] = [];

  static open(body: Buffer, path = '/api/v1/scheduler', type: protobuf.Type = Event, headers: Record<string, string> = {}): Promise<ProtobufStream> {
    const s = new ProtobufStream();
    const url = new URL(path, base);
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'Content-Type': PB, Accept: PB, 'Content-Length': body.length, ...headers } }, (res) => {
        s.res = res;
        s.streamId = String(res.headers['mesos-stream-id'] ?? '');
        s.contentType = String(res.headers['content-type'] ?? '');
        res.on('data', (chunk: Buffer) => {
          try {
            for (const r of s.decoder.push(chunk)) {
              s.events.push(toObj(type, r as Buffer));
              if (type === MasterEvent) s.plain.push(decode('masterEvent', r as Buffer));
            }
          } catch (e) {
            s.errors.push(String(e));
          }
        });
        resolve(s);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async next(pred: (e: Obj) => boolean, what: string, from = 0, timeoutMs = 15_000): Promise<Obj> {
    let found: Obj | undefined;
    await waitFor(() => (found = this.events.slice(from).find(pred)) !== undefined, what, timeoutMs);
    return found!;
  }

  close(): void {
    this.res?.destroy();
  }
}

async function post(path: string, body: Buffer, headers: Record<string, string> = {}) {
  return rawRequest(base, { path, headers: { 'Content-Type': PB, ...headers }, body });
}

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { heartbeatIntervalMs: 500 } });
  base = cluster.master.url;
  rackA = (await cluster.addAgent(undefined, 'rack:a1')).agentId;
  rackB = (await cluster.addAgent(undefined, 'rack:b1')).agentId;
});

test.after(async () => {
  await cluster?.stop();
});

test('a protobuf-only framework: SUBSCRIBE with offer_constraints, offers from the allowed agent only, LAUNCH, and updates one at a time, each after the previous is acknowledged', async () => {
  const s = await ProtobufStream.open(
    callBytes({
      type: 'SUBSCRIBE',
      subscribe: {
        frameworkInfo: { user: 'root', name: 'protobuf-only', roles: ['pb'], capabilities: [{ type: 'MULTI_ROLE' }] },
        offerConstraints: { roleConstraints: { pb: { groups: [{ attributeConstraints: [{ selector: { attributeName: 'rack' }, predicate: { textEquals: { value: 'a1' } } }] }] } } },
      },
    }),
  );
  try {
    assert.is(s.contentType, PB);
    const subscribed = await s.next((e) => e.type === 'SUBSCRIBED', 'SUBSCRIBED');
    const frameworkId: string = subscribed.subscribed.frameworkId.value;
    assert.is(subscribed.subscribed.heartbeatIntervalSeconds, 0.5);
    await s.next((e) => e.type === 'HEARTBEAT', 'a HEARTBEAT');
    const offers = await s.next((e) => e.type === 'OFFERS', 'OFFERS');
    // Several allocation cycles (100 ms each): rack b1's agent is never offered to this framework.
    await new Promise((r) => setTimeout(r, 1_500));
    const offered = s.events.filter((e) => e.type === 'OFFERS').flatMap((e) => e.offers.offers as Obj[]);
    assert.ok(offered.length > 0);
    assert.equal([...new Set(offered.map((o) => o.agentId.value))], [rackA], 'only the agent on rack a1 is offered');
    assert.is(offered[0]!.allocationInfo.role, 'pb');
    assert.equal(offered[0]!.attributes, [{ name: 'rack', type: 'TEXT', text: { value: 'a1' } }]);
    // GET_FRAMEWORKS (operator API, in protobuf) reports the constraints.
    const fr = await post('/api/v1', Buffer.from(MasterCall.encode(MasterCall.fromObject({ type: 'GET_FRAMEWORKS' })).finish()), { Accept: PB });
    assert.is(fr.status, 200, fr.body);
    assert.is(fr.headers['content-type'], PB);
    const frameworks = toObj(MasterResponse, fr.raw).getFrameworks.frameworks as Obj[];
    const me = frameworks.find((f) => f.frameworkInfo.id.value === frameworkId)!;
    assert.equal(me.offerConstraints.roleConstraints.pb.groups[0].attributeConstraints[0].predicate, { textEquals: { value: 'a1' } });

    const offer = offers.offers.offers[0];
    const call = (o: Obj) => post('/api/v1/scheduler', callBytes({ frameworkId: { value: frameworkId }, ...o }), { 'Mesos-Stream-Id': s.streamId });
    const accept = await call({
      type: 'ACCEPT',
      accept: {
        offerIds: [offer.id],
        operations: [
          {
            type: 'LAUNCH',
            launch: {
              taskInfos: [
                {
                  name: 'pb-task',
                  taskId: { value: 'pb-task' },
                  agentId: offer.agentId,
                  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
                  command: { shell: true, value: 'true' },
                },
              ],
            },
          },
        ],
        filters: { refuseSeconds: 0 },
      },
    });
    assert.is(accept.status, 202, accept.body);

    // Updates: each one is held back until the one before is acknowledged.
    const isUpdate = (e: Obj) => e.type === 'UPDATE' && e.update.status.taskId.value === 'pb-task';
    const seen: string[] = [];
    for (;;) {
      const from = s.events.findIndex((e) => isUpdate(e) && !seen.includes(e.update.status.uuid.toString('hex')));
      const u = await s.next((e) => isUpdate(e) && !seen.includes(e.update.status.uuid.toString('hex')), `update ${seen.length + 1}`, Math.max(0, from));
      const st = u.update.status;
      seen.push(st.uuid.toString('hex'));
      assert.is(st.uuid.length, 16);
      assert.is(st.agentId.value, rackA);
      // The task runs `true`: its later updates exist by now, yet none may arrive before this ack.
      await new Promise((r) => setTimeout(r, 700));
      const early = s.events.filter((e) => isUpdate(e) && !seen.includes(e.update.status.uuid.toString('hex')));
      assert.equal(early.map((e) => e.update.status.state), [], `nothing after ${st.state} before it is acknowledged`);
      const ack = await call({ type: 'ACKNOWLEDGE', acknowledge: { agentId: st.agentId, taskId: st.taskId, uuid: st.uuid } });
      assert.is(ack.status, 202, ack.body);
      if (st.state === 'TASK_FINISHED') break;
    }
    const states = s.events.filter(isUpdate).map((e) => e.update.status.state);
    assert.ok(states.length >= 2, `states ${states.join(', ')}`);
    assert.is(states[states.length - 1], 'TASK_FINISHED');
    assert.is(new Set(seen).size, seen.length, 'no update was sent twice');

    // A bad uuid in protobuf: 400 with the reason.
    const bad = await call({ type: 'ACKNOWLEDGE', acknowledge: { agentId: { value: rackA }, taskId: { value: 'pb-task' }, uuid: Buffer.from('nope') } });
    assert.is(bad.status, 400);
    assert.match(bad.body, /Not a valid UUID/);
    assert.equal(s.errors, [], 'the stream is valid RecordIO of valid Events');
  } finally {
    s.close();
  }
});

test('malformed protobuf on both APIs: 400 with the reason, the master keeps serving; 415 and 406 for other media types', async () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['truncated', callBytes({ type: 'SUBSCRIBE', subscribe: { frameworkInfo: { user: 'u', name: 'n' } } }).subarray(0, 6), /runs past the end|index out of range|wire type/],
    ['a huge length', Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0x07]), /length 2147483647 runs past the end/],
    ['a wrong wire type', Buffer.from([0x0a, 0x02, 0x08, 0x01]), /: wire type (varint|length-delimited), but a \w+ is (length-delimited|varint)/],
    ['an invalid wire type', Buffer.from([0x0f]), /invalid wire type 7/],
    ['JSON sent as protobuf', Buffer.from('{"type":"SUBSCRIBE"}'), /protobuf/],
  ];
  for (const [what, body, reason] of cases) {
    for (const path of ['/api/v1/scheduler', '/api/v1']) {
      const r = await post(path, body);
      assert.is(r.status, 400, `${path} ${what}: ${r.status} ${r.body}`);
      assert.match(r.body, reason, `${path} ${what}: ${r.body}`);
    }
  }
  // a valid Call that fails validation reads like its JSON twin
  const noFw = await post('/api/v1/scheduler', callBytes({ type: 'SUBSCRIBE', subscribe: { frameworkInfo: { name: 'no user' } } }));
  assert.is(noFw.status, 400);
  assert.match(noFw.body, /subscribe\.framework_info\.user' is required/);
  // other media types
  assert.is((await post('/api/v1/scheduler', Buffer.from('x'), { 'Content-Type': 'text/plain' })).status, 415);
  assert.is((await post('/api/v1', Buffer.from('x'), { 'Content-Type': 'text/plain' })).status, 415);
  const health = Buffer.from(MasterCall.encode(MasterCall.fromObject({ type: 'GET_HEALTH' })).finish());
  const na = await post('/api/v1', health, { Accept: 'text/html' });
  assert.is(na.status, 406);
  assert.match(na.body, /application\/x-protobuf/);
  // JSON is preferred when both are accepted; protobuf when only it is
  const both = await post('/api/v1', health, { Accept: `${PB}, application/json` });
  assert.equal(JSON.parse(both.body), { type: 'GET_HEALTH', get_health: { healthy: true } });
  const pb = await post('/api/v1', health, { Accept: PB });
  assert.equal(toObj(MasterResponse, pb.raw), { type: 'GET_HEALTH', getHealth: { healthy: true } });
  // A framework's stream refused at SUBSCRIBE (an invalid regex) gets its ERROR in protobuf
  const s = await ProtobufStream.open(
    callBytes({
      type: 'SUBSCRIBE',
      subscribe: {
        frameworkInfo: { user: 'root', name: 'bad-regex' },
        offerConstraints: { roleConstraints: { '*': { groups: [{ attributeConstraints: [{ selector: { attributeName: 'rack' }, predicate: { textMatches: { regex: '(' } } }] }] } } },
      },
    }),
  );
  const err = await s.next((e) => e.type === 'ERROR', 'the ERROR event');
  assert.match(err.error.message, /Failed to construct regex from pattern '\('/);
  s.close();
  assert.is((await rawRequest(base, { method: 'GET', path: '/health' })).status, 200, 'still serving');
  void rackB;
});

/** The JSON form without empty lists (protobuf cannot tell an empty repeated field from an unset one). */
function prune(v: unknown): any {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).map(([k, x]) => [k, prune(x)]));
  return v;
}

test('the operator event stream in protobuf: SUBSCRIBED with the state, then the same events as the JSON stream (event_id as field 100), and resume after one', async () => {
  const subscribe = Buffer.from(MasterCall.encode(MasterCall.fromObject({ type: 'SUBSCRIBE' })).finish());
  const pb = await ProtobufStream.open(subscribe, '/api/v1', MasterEvent);
  const js = await OperatorStreamClient.open(base);
  const sub = await pb.next((e) => e.type === 'SUBSCRIBED', 'SUBSCRIBED in protobuf');
  assert.is(pb.contentType, PB);
  assert.ok(sub.subscribed.getState.getAgents.agents.length >= 2, 'the state with the agents');
  await js.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'SUBSCRIBED in JSON');
  const added = await cluster.addAgent(undefined, 'rack:c1');
  const isAdded = (e: Obj) => e.type === 'AGENT_ADDED' && e.agent_added.agent.agent_info.id.value === added.agentId;
  await js.until((evs) => evs.some(isAdded), 'AGENT_ADDED in JSON');
  await waitFor(() => pb.plain.some(isAdded), 'AGENT_ADDED in protobuf');
  const fromJson = js.events.find(isAdded)!;
  const fromPb = pb.plain.find(isAdded)!;
  assert.equal(fromPb, prune(fromJson), 'the protobuf Event is the JSON one, field for field (protobuf has no empty lists)');
  assert.match(pb.events.find((e) => e.type === 'AGENT_ADDED')!.eventId, /^\d+-\d+$/);
  // Resume in protobuf after the SUBSCRIBED's position: the same events as the first stream had
  // after it, up to AGENT_ADDED (others may come between: e.g. an earlier test's framework removed).
  const again = await ProtobufStream.open(subscribe, '/api/v1', MasterEvent, { 'Last-Event-ID': String(sub.eventId) });
  await waitFor(() => again.plain.some(isAdded), 'AGENT_ADDED after resuming');
  assert.is(again.plain[0]!.type, 'SUBSCRIBED');
  assert.is(again.plain[0]!.subscribed.get_state, undefined);
  const upToAdded = (evs: Obj[]): Obj[] => {
    const rest = evs.filter((e) => e.type !== 'SUBSCRIBED' && e.type !== 'HEARTBEAT');
    return rest.slice(0, rest.findIndex(isAdded) + 1);
  };
  assert.equal(upToAdded(again.plain), upToAdded(pb.plain), 'nothing missed, nothing repeated');
  assert.equal(upToAdded(again.plain).at(-1), prune(fromJson));
  for (const c of [pb, again]) c.close();
  js.close();
});

test.run();
