/**
 * Executor authentication on `POST /api/v1/executor` (on by default, as Mesos's
 * --authenticate_http_executors): each executor is given its own token
 * (MESOS_EXECUTOR_AUTHENTICATION_TOKEN, a JWT signed by the agent) and the SDK sends it; a call
 * without one, or with one the agent did not sign, is 401; a call for another executor than the
 * token names is 403 and changes nothing. With the agent's flag off, no token is given or asked.
 * The same calls in protobuf (Mesos's executor.proto) are taken, and a protobuf SUBSCRIBE gets a
 * stream of protobuf records.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { TaskStatus } from '../../events/index.js';
import { contains, parseResources } from '../../kernel/core/resources.js';
import { shellExecutorSpec } from '../../frameworks/examples/shell-scheduler.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { decode, encode } from '../../proto/index.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const opened: Scheduler[] = [];
let cluster: TestCluster | undefined;

test.after(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await cluster?.stop();
});

interface Running {
  readonly sched: Scheduler;
  readonly statuses: TaskStatus[];
  readonly messages: string[];
  readonly taskId: string;
  readonly pid: number;
  readonly env: Record<string, string>;
}

/** A framework with one long task under the example executor; its executor's pid and environment. */
async function runOne(c: TestCluster, taskId: string): Promise<Running> {
  const sched = await subscribe({ ...c.framework(), name: 'auth', log: c.log });
  opened.push(sched);
  const statuses: TaskStatus[] = [];
  const messages: string[] = [];
  sched.updates$.subscribe((s) => {
    statuses.push(s);
    void sched.acknowledge(s).catch(() => undefined);
  });
  sched.messages$.subscribe((m) => messages.push(m.data.toString('utf8')));
  const offer = await firstValueFrom(sched.offers$.pipe(filter((o) => contains(o.resources, parseResources('cpus:0.2;mem:150'))), timeout(30_000)));
  await sched.accept([offer.id], [{ taskId, agentId: offer.agentId, resources: parseResources('cpus:0.1;mem:16'), executor: shellExecutorSpec(), data: 'exec sleep 120' }]);
  // What is left goes to the next framework.
  sched.offers$.subscribe((o) => void sched.decline([o.id], 60).catch(() => undefined));
  await waitFor(() => statuses.some((s) => s.taskId === taskId && s.state === 'TASK_RUNNING'), `${taskId} to run`, 60_000);
  const ex = c.agents[0]!.executors().find((e) => e.frameworkId === sched.frameworkId)!;
  const env = Object.fromEntries(
    readFileSync(`/proc/${ex.pid!}/environ`, 'utf8')
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return { sched, statuses, messages, taskId, pid: ex.pid!, env };
}

async function call(c: TestCluster, body: unknown, token?: string): Promise<{ status: number; text: string; wwwAuthenticate: string | null }> {
  const a = c.agents[0]!;
  const r = await fetch(`http://${a.advertisedIp}:${a.httpPort}/api/v1/executor`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: r.status, text: await r.text(), wwwAuthenticate: r.headers.get('www-authenticate') };
}

const messageCall = (r: Running, text: string): unknown => ({
  type: 'MESSAGE',
  framework_id: { value: r.sched.frameworkId },
  executor_id: { value: 'shell-executor' },
  message: { data: Buffer.from(text).toString('base64') },
});

test('executors are authenticated: their own token works, none or a forged one is 401, another executor\'s is 403', async () => {
  const c = (cluster = await startCluster({ agents: 1 }));
  const a = await runOne(c, 'auth-a');
  const b = await runOne(c, 'auth-b');
  const tokenA = a.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
  assert.ok(tokenA !== undefined && tokenA.split('.').length === 3, 'the executor was given a JWT');
  assert.is.not(b.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN, tokenA, 'each executor its own');
  const claims = JSON.parse(Buffer.from(tokenA.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  assert.is(claims.fid, a.sched.frameworkId);
  assert.is(claims.eid, 'shell-executor');
  assert.is(claims.cid, c.agents[0]!.executors().find((e) => e.frameworkId === a.sched.frameworkId)!.containerId);

  const none = await call(c, messageCall(a, 'no token'));
  assert.is(none.status, 401, none.text);
  assert.match(none.text, /Authorization/);
  assert.match(none.wwwAuthenticate ?? '', /^Bearer/);
  const [h, p, s] = tokenA.split('.') as [string, string, string];
  const forgedClaims = Buffer.from(JSON.stringify({ ...claims, fid: b.sched.frameworkId })).toString('base64url');
  const forged = await call(c, messageCall(b, 'forged'), `${h}.${forgedClaims}.${s}`);
  assert.is(forged.status, 401, forged.text);
  assert.match(forged.text, /signature/);
  assert.is((await call(c, messageCall(a, 'garbage'), 'not-a-jwt')).status, 401);

  // A's token for B's executor: refused, and B's task is untouched.
  const other = await call(c, messageCall(b, 'from a'), tokenA);
  assert.is(other.status, 403, other.text);
  const update = await call(
    c,
    { type: 'UPDATE', framework_id: { value: b.sched.frameworkId }, executor_id: { value: 'shell-executor' }, update: { status: { task_id: { value: 'auth-b' }, state: 'TASK_FINISHED', uuid: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64') } } },
    tokenA,
  );
  assert.is(update.status, 403, update.text);

  // Its own token: taken (the message reaches A's scheduler).
  const own = await call(c, messageCall(a, 'hello with a token'), tokenA);
  assert.is(own.status, 202, own.text);
  await waitFor(() => a.messages.includes('hello with a token'), 'the message to reach the scheduler', 30_000);
  await new Promise((r) => setTimeout(r, 300)); // measuring absence: the refused UPDATE must not have ended B's task
  assert.not.ok(b.statuses.some((st) => st.taskId === 'auth-b' && st.state === 'TASK_FINISHED'), 'the refused UPDATE changed nothing');
  assert.not.ok(b.messages.includes('from a'), 'the refused MESSAGE did not reach B');
  // The executors themselves (the SDK sends the token) ran their tasks: both TASK_RUNNING came from them.
  for (const r of [a, b]) assert.is(r.statuses.find((st) => st.state === 'TASK_RUNNING')?.source, 'SOURCE_EXECUTOR');

  // Protobuf (Mesos's executor.proto): a MESSAGE call, then a SUBSCRIBE whose stream is protobuf records.
  const agent = c.agents[0]!;
  const url = `http://${agent.advertisedIp}:${agent.httpPort}/api/v1/executor`;
  const pbHeaders = { 'Content-Type': 'application/x-protobuf', Accept: 'application/x-protobuf', Authorization: `Bearer ${tokenA}` };
  const pbMessage = await fetch(url, { method: 'POST', headers: pbHeaders, body: encode('executorCall', messageCall(a, 'in protobuf')) });
  assert.is(pbMessage.status, 202, await pbMessage.text());
  await waitFor(() => a.messages.includes('in protobuf'), 'the protobuf message to reach the scheduler', 30_000);
  const bad = await fetch(url, { method: 'POST', headers: pbHeaders, body: Buffer.from('0a05', 'hex') });
  assert.is(bad.status, 400, 'truncated protobuf is refused');
  assert.match(await bad.text(), /Failed to parse body into mesos\.v1\.executor\.Call/);
  const ctl = new AbortController();
  const sub = await fetch(url, {
    method: 'POST',
    headers: pbHeaders,
    body: encode('executorCall', { type: 'SUBSCRIBE', framework_id: { value: a.sched.frameworkId }, executor_id: { value: 'shell-executor' }, subscribe: { unacknowledged_tasks: [], unacknowledged_updates: [] } }),
    signal: ctl.signal,
  });
  assert.is(sub.status, 200);
  assert.is(sub.headers.get('content-type'), 'application/x-protobuf', 'the records\' media type, as Mesos answers an executor');
  const decoder = new RecordIoDecoder({ binary: true });
  let first: Record<string, unknown> | undefined;
  for await (const chunk of sub.body as unknown as AsyncIterable<Uint8Array>) {
    const recs = decoder.push(Buffer.from(chunk));
    if (recs.length > 0) {
      first = decode('executorEvent', recs[0] as Uint8Array);
      break;
    }
  }
  ctl.abort();
  assert.is(first?.type, 'SUBSCRIBED');
  const subscribed = first!.subscribed as { container_id: { value: string }; framework_info: { id: { value: string } } };
  assert.is(subscribed.framework_info.id.value, a.sched.frameworkId);
  assert.is(subscribed.container_id.value, claims.cid);

  for (const r of [a, b]) await r.sched.teardown();
  await waitFor(() => c.agents[0]!.executors().length === 0, 'the executors to go');
  await c.stop();
  cluster = undefined;
});

test('--no-authenticate-http-executors: no token is given, and calls without one are taken', async () => {
  const c = (cluster = await startCluster({ agents: 1, agent: { authenticateHttpExecutors: false } }));
  const a = await runOne(c, 'open-a');
  assert.is(a.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN, undefined, 'no token given');
  const r = await call(c, messageCall(a, 'open call'));
  assert.is(r.status, 202, r.text);
  await waitFor(() => a.messages.includes('open call'), 'the message to reach the scheduler', 30_000);
  await a.sched.teardown();
  await waitFor(() => c.agents[0]!.executors().length === 0, 'the executor to go');
});

test.run();
