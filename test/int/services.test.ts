/**
 * The services framework against a real cluster (nats-server, master, real agents): apps keep
 * their instances, invalid definitions get Marathon's 422, unknown fields come back, a restart
 * of the services process finds its apps and tasks again.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let svc: ServicesHandle;
/** The services framework's own credentials (with its SERVICES store), the same across its restarts. */
let creds: { creds?: string } | undefined;
const servicesCreds = (): { creds?: string } => (creds ??= cluster.services());

const start = (): Promise<ServicesHandle> =>
  startServices({ nats: cluster.nats.url, ...servicesCreds(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const r = await fetch(`${svc.url}${path}`, { method, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await r.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: r.status, json };
};

test.before(async () => {
  cluster = await startCluster({ agents: 2 });
  svc = await start();
});
test.after(async () => {
  await svc?.close().catch(() => undefined);
  await cluster?.stop();
});

test('an invalid definition is 422 with Marathon error shape; unreadable JSON is 400', async () => {
  const r = await api('POST', '/v2/apps', { id: '/Bad_Id', cpus: -1 });
  assert.is(r.status, 422);
  assert.is(r.json.message, 'Object is not valid');
  const paths = (r.json.details as Array<{ path: string }>).map((d) => d.path);
  assert.ok(paths.includes('/id'), JSON.stringify(r.json));
  assert.ok(paths.includes('/cpus'), JSON.stringify(r.json));
  const bad = await api('POST', '/v2/apps', '{"id": ');
  assert.is(bad.status, 400);
  assert.is((await api('GET', '/ping')).json, 'pong');
});

test('an app keeps its instances running; unknown fields round-trip; a killed task is replaced', async () => {
  const r = await api('POST', '/v2/apps', { id: '/web/sleeper', cmd: 'sleep 600', cpus: 0.1, mem: 16, instances: 3, portDefinitions: [], myOwnField: { keep: [1, 2] } });
  assert.is(r.status, 201, JSON.stringify(r.json));
  await waitFor(async () => (await api('GET', '/v2/apps/web/sleeper')).json.app.tasksRunning === 3, '3 running', 30_000);
  const app = (await api('GET', '/v2/apps/web/sleeper')).json.app;
  assert.equal(app.myOwnField, { keep: [1, 2] });
  await waitFor(async () => (await api('GET', '/v2/deployments')).json.length === 0, 'the deployment to finish', 30_000);
  const victim = app.tasks[0].id as string;
  const k = await api('POST', '/v2/tasks/delete', { ids: [victim] });
  assert.is(k.status, 200);
  await waitFor(async () => {
    const tasks = (await api('GET', '/v2/apps/web/sleeper/tasks')).json.tasks as Array<{ id: string; state: string }>;
    return tasks.length === 3 && tasks.every((t) => t.state === 'TASK_RUNNING' && t.id !== victim);
  }, 'the killed task replaced', 30_000);
});

test('scale down kills the newest; a restart of services finds its apps and tasks', async () => {
  const before = (await api('GET', '/v2/apps/web/sleeper/tasks')).json.tasks as Array<{ id: string; stagedAt: string }>;
  const newest = [...before].sort((a, b) => (a.stagedAt < b.stagedAt ? 1 : -1))[0]!.id;
  const p = await api('PUT', '/v2/apps/web/sleeper', { instances: 2 });
  assert.is(p.status, 200, JSON.stringify(p.json));
  await waitFor(async () => (await api('GET', '/v2/apps/web/sleeper/tasks')).json.tasks.length === 2, 'scaled to 2', 30_000);
  const after = ((await api('GET', '/v2/apps/web/sleeper/tasks')).json.tasks as Array<{ id: string }>).map((t) => t.id);
  assert.not.ok(after.includes(newest), 'the newest task was killed');
  const id = svc.engine.frameworkId;
  await svc.close();
  svc = await start();
  assert.is(svc.engine.frameworkId, id);
  const again = ((await api('GET', '/v2/apps/web/sleeper/tasks')).json.tasks as Array<{ id: string }>).map((t) => t.id).sort();
  assert.equal(again, [...after].sort());
  const h = await api('GET', '/v2/apps/web/sleeper/history');
  assert.ok((h.json.events as Array<{ type: string }>).some((e) => e.type === 'TaskKillIssued'));
});

test('an app that can never fit is accepted and waits in the queue with the reason', async () => {
  const r = await api('POST', '/v2/apps', { id: '/huge', cmd: 'sleep 600', cpus: 100, mem: 16, instances: 1, portDefinitions: [] });
  assert.is(r.status, 201);
  await waitFor(async () => {
    const q = (await api('GET', '/v2/queue')).json.queue as Array<{ app: { id: string }; reason: string }>;
    return q.some((x) => x.app.id === '/huge' && /cpus/.test(x.reason));
  }, 'the queue to say why', 20_000);
  assert.is((await api('DELETE', '/v2/apps/huge')).status, 200);
  await waitFor(async () => (await api('GET', '/v2/apps/huge')).status === 404, 'the app removed', 20_000);
});

test('mesos services apply -f, list, scale, show, delete drive the REST API', async () => {
  const run = (...args: string[]) => promisify(execFile)(process.execPath, ['dist/cli/mesos.js', 'services', ...args, '--url', svc.url]);
  const file = join(cluster.dir, 'app.json');
  writeFileSync(file, JSON.stringify({ id: '/cli/app', cmd: 'sleep 600', cpus: 0.1, mem: 16, instances: 1, portDefinitions: [] }));
  assert.match((await run('apply', '-f', file)).stdout, /applied \/cli\/app/);
  await waitFor(async () => (await api('GET', '/v2/apps/cli/app')).json.app?.tasksRunning === 1, 'the cli app running', 30_000);
  assert.match((await run('list')).stdout, /\/cli\/app\s+1\s+1/);
  await run('scale', 'cli/app', '2');
  await waitFor(async () => (await api('GET', '/v2/apps/cli/app')).json.app.tasksRunning === 2, 'scaled by the cli', 30_000);
  assert.match((await run('show', '/cli/app')).stdout, /"instances": 2/);
  // The same app in YAML: instances back to 1 (a scale).
  const yamlFile = join(cluster.dir, 'app.yaml');
  writeFileSync(yamlFile, 'id: /cli/app\ncmd: sleep 600\ncpus: 0.1\nmem: 16\ninstances: 1\nportDefinitions: []\n');
  assert.match((await run('apply', '-f', yamlFile)).stdout, /applied \/cli\/app/);
  await waitFor(async () => (await api('GET', '/v2/apps/cli/app')).json.app.tasksRunning === 1, 'scaled down from YAML', 30_000);
  // A declarative file is pointed to `mesos apply`; broken YAML names its line.
  writeFileSync(yamlFile, 'kind: service\nname: x\n');
  const kind = await run('apply', '-f', yamlFile).then(() => undefined, (e: { stderr: string }) => e.stderr);
  assert.match(kind ?? '', /declarative file \(kind: service\): apply it with `mesos apply -f/);
  writeFileSync(yamlFile, 'id: /cli/app\ncmd: [\n');
  const broken = await run('apply', '-f', yamlFile).then(() => undefined, (e: { stderr: string }) => e.stderr);
  assert.match(broken ?? '', /cannot read .*app\.yaml as YAML: .*line \d+/);
  await run('delete', 'cli/app');
  await waitFor(async () => (await api('GET', '/v2/apps/cli/app')).status === 404, 'deleted by the cli', 30_000);
});

test.run();
