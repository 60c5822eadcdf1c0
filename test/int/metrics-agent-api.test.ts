/**
 * Metrics and the agent's operator API against a real nats-server, master and agent: the master's
 * `/metrics/snapshot` has every key of a recorded Mesos master that has a meaning here (the others are
 * listed in docs/api.md) with per-framework numbers that match what the framework did; the agent's has
 * Mesos's slave/*, containerizer/* and system/* keys; `GET /metrics` on both parses with a real
 * exposition-format parser; the agent's `POST /api/v1` answers the GET_* calls, LIST_FILES and
 * READ_FILE from what it runs, and refuses bad calls with the reason.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor } from '../helpers/wait.js';
import { decode, encode } from '../../proto/index.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';

interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}
const parseProm = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];
const SAMPLE = '/work/shared/reference/mesos-samples/master-metrics-snapshot.json';
const FW_NAME = 'metrics it';

let cluster: TestCluster;
let fw: Scheduler;
let offers: OfferQueue;
let agentBase: string;
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:2048;disk:1024;ports:[31000-31099]' });
  agentBase = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  fw = await subscribe({ ...cluster.framework(), name: FW_NAME, log: cluster.log });
  offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  const update = (taskId: string, pred: (u: TaskStatus) => boolean): Promise<TaskStatus> =>
    firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === taskId && pred(u)), timeout(20_000)));
  const offer = await offers.next();
  const running = update('sleeper', (u) => u.state === 'TASK_RUNNING');
  const finished = update('hello', (u) => u.state === 'TASK_FINISHED');
  await fw.accept([offer.id], [
    { taskId: 'sleeper', resources: 'cpus:0.5;mem:64', command: 'exec sleep 600', agentId: offer.agentId },
    { taskId: 'hello', resources: 'cpus:0.25;mem:32', command: 'echo hello-from-the-sandbox', agentId: offer.agentId },
  ]);
  await Promise.all([running, finished]);
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

const getJson = async (url: string): Promise<J> => (await (await fetch(url)).json()) as J;
const call = async (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => {
  const r = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, text, json: (): J => JSON.parse(text) as J };
};

/** The not-applicable patterns of docs/api.md's metrics table, as regular expressions. */
function notApplicable(): RegExp[] {
  const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const at = doc.indexOf('<!-- metrics-not-applicable');
  assert.ok(at > 0, 'docs/api.md has the metrics-not-applicable table');
  const rows = doc.slice(at).split('\n\n')[0]!.split('\n').filter((l) => l.startsWith('| `'));
  const pats = rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  return pats.map((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
}

const normalise = (k: string): string => k.replace(/^master\/frameworks\/[^/]+\/[^/]+\//, 'master/frameworks/F/I/');

test('the master serves every key of a Mesos master that has a meaning here (same type: a number); the rest are listed in docs/api.md', async () => {
  const ours = await waitFor(async () => {
    const m = await getJson(`${cluster.master.url}/metrics/snapshot`);
    return (m['allocator/mesos/allocation_run_ms/count'] ?? 0) > 0 ? m : undefined;
  }, 'an allocation run');
  const served = new Set(Object.keys(ours).map(normalise));
  const sample = existsSync(SAMPLE) ? (JSON.parse(readFileSync(SAMPLE, 'utf8')) as J) : {};
  const na = notApplicable();
  const missing: string[] = [];
  let matched = 0;
  for (const [k, v] of Object.entries(sample)) {
    const n = normalise(k);
    if (served.has(n)) {
      matched++;
      const ourKey = Object.keys(ours).find((x) => normalise(x) === n)!;
      assert.is(typeof ours[ourKey], typeof v, `${k} is a number as in Mesos`);
      continue;
    }
    if (!na.some((re) => re.test(n) || re.test(k))) missing.push(k);
  }
  assert.equal(missing, [], 'every sample key is served or listed as not applicable');
  // Nothing listed as not applicable is in fact served.
  for (const k of served) assert.ok(!na.some((re) => re.test(k)), `${k} is served but docs/api.md lists it as not served`);
  if (existsSync(SAMPLE)) assert.ok(matched >= 220, `served ${matched} of the sample's ${Object.keys(sample).length} keys`);
});

test('per-framework keys count what the framework did, under its url-encoded name', async () => {
  const p = `master/frameworks/${encodeURIComponent(FW_NAME)}/${fw.frameworkId}`;
  assert.ok(p.includes('metrics%20it'));
  const m = await waitFor(async () => {
    const x = await getJson(`${cluster.master.url}/metrics/snapshot`);
    return x[`${p}/tasks/terminal/task_finished`] === 1 ? x : undefined;
  }, 'the finished task in the per-framework keys');
  assert.is(m[`${p}/subscribed`], 1);
  assert.is(m[`${p}/calls/subscribe`], 1);
  assert.ok(m[`${p}/calls/accept`] >= 1);
  assert.ok(m[`${p}/calls/acknowledge`] >= 3, 'STARTING/RUNNING/FINISHED acknowledged');
  assert.ok(m[`${p}/offers/sent`] >= 1);
  assert.ok(m[`${p}/offers/accepted`] >= 1);
  assert.is(m[`${p}/operations/launch`], 1);
  assert.is(m[`${p}/tasks/active/task_running`], 1);
  assert.is(m['master/tasks_running'], 1);
  assert.is(m['system/cpus_total'] > 0, true);
});

test('GET /metrics on master and agent: Prometheus text a real parser reads; HELP and TYPE on every family; framework labels', async () => {
  for (const base of [cluster.master.url, agentBase]) {
    const r = await fetch(`${base}/metrics`);
    assert.is(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    const fams = parseProm(text);
    assert.ok(fams.length > 10, base);
    const typed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
    for (const f of fams) {
      assert.ok(f.help.length > 0 && typed.has(f.name), `${f.name} has # HELP and # TYPE`);
    }
    const byName = new Map(fams.map((f) => [f.name, f]));
    if (base === cluster.master.url) {
      assert.is(byName.get('mesos_master_tasks_running')!.metrics[0]!.value, '1');
      const running = byName.get('mesos_master_frameworks_tasks_active_task_running')!;
      const mine = running.metrics.find((x) => x.labels?.['framework_id'] === fw.frameworkId)!;
      assert.equal(mine.labels, { framework_name: FW_NAME, framework_id: fw.frameworkId });
      assert.is(mine.value, '1');
    } else {
      assert.is(byName.get('mesos_slave_tasks_running')!.metrics[0]!.value, '1');
      assert.is(byName.get('mesos_slave_tasks_finished_total')!.type, 'COUNTER');
    }
  }
});

test("the agent's /metrics/snapshot has Mesos's slave/*, containerizer/* and system/* keys, with this agent's numbers", async () => {
  const m = await getJson(`${agentBase}/metrics/snapshot`);
  assert.is(m['slave/registered'], 1);
  assert.is(m['slave/tasks_running'], 1);
  assert.is(m['slave/tasks_finished'], 1);
  assert.is(m['slave/tasks_failed'], 0);
  assert.is(m['slave/cpus_total'], 2);
  assert.is(m['slave/cpus_used'], 0.5, 'the sleeper');
  assert.is(m['slave/mem_used'], 64);
  assert.is(m['slave/cpus_percent'], 0.25);
  assert.is(m['slave/frameworks_active'], 1);
  assert.is(m['slave/executors_running'], 1);
  assert.is(m['slave/executors_terminated'], 1);
  assert.ok(m['slave/valid_status_updates'] >= 5);
  assert.ok(m['slave/uptime_secs'] > 0);
  assert.is(m['containerizer/fetcher/task_fetches_succeeded'], 2);
  assert.is(m['containerizer/fetcher/task_fetches_failed'], 0);
  for (const k of ['system/cpus_total', 'system/mem_total_bytes', 'system/mem_free_bytes', 'system/load_1min']) assert.type(m[k], 'number', k);
  assert.is(m['slave/commands_refused'], 0, 'the fence keys are kept');
});

test('agent POST /api/v1: GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS', async () => {
  assert.equal((await call({ type: 'GET_HEALTH' })).json(), { type: 'GET_HEALTH', get_health: { healthy: true } });
  const flags = (await call({ type: 'GET_FLAGS' })).json();
  assert.ok((flags.get_flags.flags as J[]).some((f) => f.name === 'work_dir' && typeof f.value === 'string'));
  const v = (await call({ type: 'GET_VERSION' })).json();
  assert.is(v.get_version.version_info.version, '1.12.0');
  const met = (await call({ type: 'GET_METRICS', get_metrics: {} })).json();
  assert.is((met.get_metrics.metrics as J[]).find((x) => x.name === 'slave/tasks_running')!.value, 1);
});

test('agent POST /api/v1: GET_TASKS, GET_EXECUTORS, GET_FRAMEWORKS, GET_CONTAINERS and GET_STATE describe what it runs', async () => {
  const tasks = (await call({ type: 'GET_TASKS' })).json().get_tasks;
  assert.equal((tasks.launched_tasks as J[]).map((t) => t.task_id.value), ['sleeper']);
  assert.is(tasks.launched_tasks[0].state, 'TASK_RUNNING');
  assert.is(tasks.launched_tasks[0].framework_id.value, fw.frameworkId);
  assert.is(tasks.launched_tasks[0].agent_id.value, cluster.agents[0]!.agentId);
  assert.ok((tasks.launched_tasks[0].resources as J[]).some((r) => r.name === 'cpus' && r.scalar.value === 0.5));
  assert.equal([...(tasks.terminated_tasks as J[]), ...(tasks.completed_tasks as J[])].map((t) => t.task_id.value), ['hello']);
  const ex = (await call({ type: 'GET_EXECUTORS' })).json().get_executors;
  assert.equal((ex.executors as J[]).map((e) => e.executor_info.executor_id.value), ['sleeper']);
  assert.equal((ex.completed_executors as J[]).map((e) => e.executor_info.executor_id.value), ['hello']);
  const fws = (await call({ type: 'GET_FRAMEWORKS' })).json().get_frameworks;
  assert.equal((fws.frameworks as J[]).map((f) => [f.framework_info.id.value, f.framework_info.name]), [[fw.frameworkId, FW_NAME]]);
  const cs = (await call({ type: 'GET_CONTAINERS' })).json().get_containers.containers as J[];
  assert.is(cs.length, 1);
  assert.is(cs[0]!.executor_id.value, 'sleeper');
  assert.type(cs[0]!.container_id.value, 'string');
  const st = (await call({ type: 'GET_STATE' })).json().get_state;
  assert.equal(st.get_tasks.launched_tasks, tasks.launched_tasks);
  assert.equal(st.get_frameworks, fws);
});

test('agent POST /api/v1: LIST_FILES and READ_FILE read a sandbox (the finished task\'s stdout)', async () => {
  const dir = `/frameworks/${fw.frameworkId}/executors/hello/runs/latest`;
  const ls = await call({ type: 'LIST_FILES', list_files: { path: dir } });
  assert.is(ls.status, 200, ls.text);
  const infos = ls.json().list_files.file_infos as J[];
  const stdout = infos.find((f) => String(f.path).endsWith('/stdout'))!;
  assert.ok(stdout !== undefined, JSON.stringify(infos.map((f) => f.path)));
  assert.type(stdout.mtime.nanoseconds, 'number');
  const rd = await call({ type: 'READ_FILE', read_file: { path: `${dir}/stdout`, offset: 0 } });
  assert.is(rd.status, 200, rd.text);
  const body = rd.json().read_file;
  const data = Buffer.from(body.data as string, 'base64').toString('utf8');
  assert.match(data, /hello-from-the-sandbox/);
  assert.is(body.size, stdout.size);
  const part = (await call({ type: 'READ_FILE', read_file: { path: `${dir}/stdout`, offset: '6', length: 4 } })).json().read_file;
  assert.is(Buffer.from(part.data as string, 'base64').toString('utf8'), data.slice(6, 10));
  const missing = await call({ type: 'READ_FILE', read_file: { path: `${dir}/nope`, offset: 0 } });
  assert.is(missing.status, 404);
  const outside = await call({ type: 'LIST_FILES', list_files: { path: '/etc' } });
  assert.is(outside.status, 404);
});

/** The JSON form without empty lists (protobuf cannot tell an empty repeated field from an unset one). */
function prune(v: unknown): any {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).map(([k, x]) => [k, prune(x)]));
  return v;
}

test('agent POST /api/v1 in protobuf (agent.proto): every call served answers the same value as in JSON; bad bytes are a 400; a session streams binary ProcessIO', async () => {
  const PB = 'application/x-protobuf';
  const dir = `/frameworks/${fw.frameworkId}/executors/hello/runs/latest`;
  const calls: J[] = [
    { type: 'GET_HEALTH' },
    { type: 'GET_FLAGS' },
    { type: 'GET_VERSION' },
    { type: 'GET_STATE' },
    { type: 'GET_TASKS' },
    { type: 'GET_EXECUTORS' },
    { type: 'GET_FRAMEWORKS' },
    { type: 'GET_CONTAINERS' },
    { type: 'LIST_FILES', list_files: { path: dir } },
    { type: 'READ_FILE', read_file: { path: `${dir}/stdout`, offset: 0, length: 5 } },
  ];
  for (const c of calls) {
    const j = await call(c);
    assert.is(j.status, 200, `${c.type}: ${j.text}`);
    const r = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': PB, Accept: PB }, body: Buffer.from(encode('agentCall', c)) });
    assert.is(r.status, 200, c.type);
    assert.is(r.headers.get('content-type'), PB);
    const want = prune(j.json());
    // `implementation` is ours (JSON only): Mesos's VersionInfo has no such field.
    if (c.type === 'GET_VERSION') delete want.get_version.version_info.implementation;
    // So is a container's `sandbox` (Mesos's Container has none).
    if (c.type === 'GET_CONTAINERS') for (const x of want.get_containers.containers) delete x.sandbox;
    assert.equal(decode('agentResponse', new Uint8Array(await r.arrayBuffer())), want, c.type);
  }
  // GET_METRICS: values move between two calls; the names are the same.
  const m = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': PB, Accept: PB }, body: Buffer.from(encode('agentCall', { type: 'GET_METRICS' })) });
  const names = ((decode('agentResponse', new Uint8Array(await m.arrayBuffer())) as J).get_metrics.metrics as J[]).map((x) => x.name);
  const jsonNames = ((await call({ type: 'GET_METRICS' })).json().get_metrics.metrics as J[]).map((x) => x.name);
  assert.ok(names.length > 10);
  assert.equal(names, jsonNames);
  // JSON is preferred when both are accepted; a protobuf body answered in JSON by default.
  const both = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': PB, Accept: `${PB}, application/json` }, body: Buffer.from(encode('agentCall', { type: 'GET_HEALTH' })) });
  assert.equal(await both.json(), { type: 'GET_HEALTH', get_health: { healthy: true } });
  const bad = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': PB }, body: Buffer.from([0x08, 0x01, 0x22, 0x7f]) });
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /Failed to parse body into mesos\.v1\.agent\.Call protobuf/);
  assert.is((await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'text/html' }, body: '{"type":"GET_HEALTH"}' })).status, 406);
  // A session whose records are binary ProcessIO (Message-Accept: protobuf).
  const container = ((await call({ type: 'GET_CONTAINERS' })).json().get_containers.containers as J[]).find((x) => x.executor_id.value === 'sleeper')!;
  const launch = { type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: 'pb1', parent: { value: container.container_id.value } }, command: { value: 'echo in-protobuf' } } };
  const s = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': PB, Accept: 'application/recordio', 'Message-Accept': PB }, body: Buffer.from(encode('agentCall', launch)) });
  assert.is(s.status, 200);
  assert.is(s.headers.get('message-content-type'), PB);
  const records = new RecordIoDecoder({ binary: true }).push(Buffer.from(await s.arrayBuffer())).map((r) => decode('agentProcessIO', r as Buffer) as J);
  const out = Buffer.concat(records.filter((r) => r.type === 'DATA').map((r) => Buffer.from(r.data.data as string, 'base64'))).toString('utf8');
  assert.is(out, 'in-protobuf\n');
});

test('agent POST /api/v1 refuses bad calls with the reason: not JSON, unknown type, missing fields, other media, calls not served', async () => {
  const notJson = await call('{nope');
  assert.is(notJson.status, 400);
  assert.match(notJson.text, /Failed to parse the body as JSON/);
  const unknown = await call({ type: 'GET_EVERYTHING' });
  assert.is(unknown.status, 400);
  assert.match(unknown.text, /GET_HEALTH/);
  const noPath = await call({ type: 'READ_FILE', read_file: { offset: 0 } });
  assert.is(noPath.status, 400);
  assert.match(noPath.text, /read_file\.path/);
  const media = await call({ type: 'GET_HEALTH' }, { 'Content-Type': 'text/plain' });
  assert.is(media.status, 415);
  const ns = await call({ type: 'KILL_NESTED_CONTAINER' });
  assert.is(ns.status, 501);
  assert.match(ns.text, /not implemented/);
  const noId = await call({ type: 'ATTACH_CONTAINER_OUTPUT' });
  assert.is(noId.status, 400);
  assert.match(noId.text, /attach_container_output/);
  const get = await fetch(`${agentBase}/api/v1`);
  assert.is(get.status, 405);
});

const CLI = new URL('../../cli/mesos.js', import.meta.url).pathname;
const mesos = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 30_000 });

test("the master's GET_AGENTS pid is slave(1)@<ip>:<port>, as Mesos writes it (the CLI reaches agents by it)", async () => {
  const r = await fetch(`${cluster.master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_AGENTS' }) });
  const agents = ((await r.json()) as J).get_agents.agents as J[];
  assert.is(agents[0]!.pid, cluster.agents[0]!.pid);
});

test('mesos task list shows the live tasks (--all: the completed too); mesos task log prints a sandbox file from the agent', async () => {
  const live = (await mesos('task', 'list', '--master', cluster.master.url)).stdout;
  assert.match(live, /^ID\s+NAME\s+STATE\s+FRAMEWORK\s+AGENT/);
  assert.match(live, /sleeper\s+sleeper\s+TASK_RUNNING/);
  assert.not.match(live, /hello/);
  const all = (await mesos('task', 'list', '--all', '--master', cluster.master.url)).stdout;
  assert.match(all, /hello\s+hello\s+TASK_FINISHED/);
  const log = (await mesos('task', 'log', '--task', 'hello', '--master', cluster.master.url)).stdout;
  assert.match(log, /hello-from-the-sandbox/);
  const last = (await mesos('task', 'log', '--task', 'hello', '--file', 'stdout', '--lines', '1', '--master', cluster.master.url)).stdout;
  assert.is(last.split('\n').filter((l) => l !== '').length, 1);
  const err = await mesos('task', 'log', '--task', 'nope', '--master', cluster.master.url).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.ok(err !== null);
  assert.match(err!.stderr, /no task nope is known to the master/);
});

test.run();
