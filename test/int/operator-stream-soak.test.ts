/**
 * A 1,000-subscriber soak of the operator event stream against a real nats-server and master:
 * 800 subscribers in JSON, 100 asking for gzip and 100 for protobuf follow a cluster's life (agents
 * registering, a framework running 30 tasks, its teardown killing them, an agent removed); every one
 * of them gets every event the reference subscriber got, with the same ids, in order, none twice;
 * none is dropped; and the master answers its API all along.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createGunzip, constants as zlibConstants } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import { decode } from '../../proto/index.js';
import { testLog } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { OfferQueue } from '../helpers/offers.js';
import { op } from '../helpers/operator.js';
import { OperatorStreamClient } from '../helpers/operator-stream.js';
import { waitFor } from '../helpers/wait.js';

type Form = 'json' | 'gzip' | 'protobuf';
type Ev = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A light subscriber: the event ids of what it received (SUBSCRIBED and HEARTBEAT aside). */
class Light {
  readonly ids: string[] = [];
  subscribed = false;
  closedByServer = false;
  errors: string[] = [];
  encoding: string | undefined;
  private stopping = false;
  private destroy: () => void = () => undefined;

  constructor(base: string, readonly form: Form) {
    const body = JSON.stringify({ type: 'SUBSCRIBE' });
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
    if (form === 'gzip') headers['Accept-Encoding'] = 'gzip';
    if (form === 'protobuf') headers.Accept = 'application/x-protobuf';
    const req = request(new URL('/api/v1', base), { method: 'POST', headers, agent: false }, (res) => {
      this.encoding = res.headers['content-encoding'];
      const decoder = new RecordIoDecoder({ binary: form === 'protobuf' });
      const body = form === 'gzip' ? res.pipe(createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH })).on('error', () => undefined) : res;
      body.on('data', (chunk: Buffer) => {
        try {
          for (const r of decoder.push(chunk)) {
            const e = (form === 'protobuf' ? decode('masterEvent', r as Buffer) : r) as Ev;
            if (e.type === 'SUBSCRIBED') this.subscribed = true;
            else if (e.type !== 'HEARTBEAT') this.ids.push(e.event_id as string);
          }
        } catch (err) {
          this.errors.push(String(err));
        }
      });
      res.on('close', () => {
        if (!this.stopping) this.closedByServer = true;
      });
    });
    req.on('error', (e) => this.errors.push(e.message));
    req.end(body);
    this.destroy = () => req.destroy();
  }

  close(): void {
    this.stopping = true;
    this.destroy();
  }
}

let nats: SecureTestNats;
let master: MasterHandle;
const log = testLog();
const agents: EmulatedAgent[] = [];
let fw: Scheduler | undefined;
const lights: Light[] = [];
let reference: OperatorStreamClient | undefined;

test.before(async () => {
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', `m-${randomUUID()}`), port: 0, allocationIntervalMs: 100, operatorHeartbeatIntervalMs: 1000, operatorStreamMaxSubscribers: 1100 }, log);
  await waitFor(() => master.isLeader(), 'the master to lead');
});

test.after(async () => {
  for (const l of lights) l.close();
  reference?.close();
  await fw?.close().catch(() => undefined);
  for (const a of agents) await a.close().catch(() => undefined);
  await master?.stop().catch(() => undefined);
  await nats?.stop();
});

test('1,000 subscribers (JSON, gzip, protobuf) each get every event, same ids, in order; none dropped; the master keeps answering', async () => {
  reference = await OperatorStreamClient.open(master.url);
  await reference.until((evs) => evs[0]?.type === 'SUBSCRIBED', 'the reference SUBSCRIBED');
  for (let i = 0; i < 1000; i++) lights.push(new Light(master.url, i % 10 === 0 ? 'gzip' : i % 10 === 1 ? 'protobuf' : 'json'));
  await waitFor(() => lights.every((l) => l.subscribed), 'every subscriber to have its SUBSCRIBED', 60_000);

  for (let i = 0; i < 3; i++) agents.push(await startEmulatedAgent(nats, log, 'cpus:8;mem:8192;disk:1024', { hostname: `soak-${i}` }));
  fw = await subscribe({ ...nats.framework(), name: 'soak', roles: ['*'], log });
  const offers = new OfferQueue(fw);
  let launched = 0;
  while (launched < 30) {
    const offer = await offers.next();
    const n = Math.min(10, 30 - launched);
    await fw.accept([offer.id], Array.from({ length: n }, (_, k) => ({ taskId: `t${launched + k}`, agentId: offer.agentId, resources: 'cpus:0.1;mem:16', command: 'sleep 100' })));
    const agent = agents.find((a) => a.agentId === offer.agentId)!;
    for (let k = 0; k < n; k++) await agent.report(fw.frameworkId, `t${launched + k}`, 'TASK_RUNNING');
    launched += n;
    // The master answers while it streams to everyone.
    assert.is((await op(master.url, { type: 'GET_HEALTH' })).status, 200);
  }
  assert.is((await op(master.url, { type: 'TEARDOWN', teardown: { framework_id: { value: fw.frameworkId } } })).status, 200);
  assert.is((await op(master.url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agents[2]!.agentId } } })).status, 200);
  await reference.until((evs) => evs.some((e) => e.type === 'AGENT_REMOVED'), 'AGENT_REMOVED on the reference', 60_000);

  const want = reference.derived.map((e) => e.event_id as string);
  // 3 AGENT_ADDED, FRAMEWORK_ADDED, 30 TASK_ADDED, 30 TASK_UPDATED RUNNING, 30 killed, FRAMEWORK_REMOVED, AGENT_REMOVED, and updates between.
  assert.ok(want.length >= 96, `${want.length} events`);
  const last = want[want.length - 1]!;
  await waitFor(() => lights.every((l) => l.ids.includes(last) || l.closedByServer || l.errors.length > 0), 'every subscriber to have the last event', 120_000);
  for (const form of ['json', 'gzip', 'protobuf'] as const) {
    const of = lights.filter((l) => l.form === form);
    assert.ok(of.every((l) => l.errors.length === 0), `${form}: ${of.find((l) => l.errors.length > 0)?.errors.join('; ')}`);
    assert.ok(of.every((l) => !l.closedByServer), `${form}: a subscriber was closed by the master`);
    assert.ok(of.every((l) => l.ids.length === want.length && l.ids.every((id, i) => id === want[i])), `${form}: the same events as the reference`);
    assert.ok(of.every((l) => l.encoding === (form === 'gzip' ? 'gzip' : undefined)), `${form}: its encoding`);
  }
  const metrics = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Record<string, number>;
  assert.is(metrics['master/operator_event_stream_subscribers'], 1001);
});

test.run();
