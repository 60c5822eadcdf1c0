/**
 * The services framework's offer fit on a real cluster: an app's `role` (offers to that role only),
 * `acceptedResourceRoles` (reserved resources only, or unreserved only), `requirePorts` (the host
 * ports are the definitions' own, and an instance waits, saying why, where none is free), named
 * ports as PORT_<NAME>, and a role the framework has not subscribed with refused with a 422.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { tasksOf } from '../../frameworks/services/state.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let svc: ServicesHandle;
let reservedAgent: string;

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const r = await fetch(`${svc.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? undefined : JSON.parse(text) };
};
const running = (id: string): number => tasksOf(svc.engine.state(), id).filter((t) => t.state === 'TASK_RUNNING').length;

test.before(async () => {
  // Agent 1: a little unreserved, and resources reserved for role `web`; agent 2: unreserved only.
  cluster = await startCluster({ agents: 0 });
  const a = await cluster.addAgent('cpus:0.5;mem:256;disk:64;ports:[31000-31009];cpus(web):1;mem(web):512;ports(web):[32000-32009]');
  reservedAgent = a.agentId;
  await cluster.addAgent('cpus:2;mem:1024;disk:256;ports:[31000-31099]');
  svc = await startServices({ nats: cluster.nats.url, ...cluster.services(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100, roles: ['*', 'web'] });
});
test.after(async () => {
  await svc?.close().catch(() => undefined);
  await cluster?.stop();
});

test('role web with acceptedResourceRoles [web]: only reserved resources are taken, on the agent that has them', async () => {
  const r = await api('POST', '/v2/apps', { id: '/reserved', cmd: 'sleep 600', cpus: 0.3, mem: 64, instances: 3, role: 'web', acceptedResourceRoles: ['web'] });
  assert.is(r.status, 201, JSON.stringify(r.json));
  await waitFor(() => running('/reserved') === 3, '3 tasks on reserved resources', 60_000);
  for (const t of tasksOf(svc.engine.state(), '/reserved')) {
    assert.is(t.agentId, reservedAgent);
    assert.ok(t.ports[0]! >= 32000 && t.ports[0]! <= 32009, `port ${t.ports[0]} is not of the reserved range`);
  }
  // A fourth does not fit the reserved cpus (3 × 0.3 of 1): it waits and says so.
  assert.is((await api('PUT', '/v2/apps/reserved', { instances: 4 })).status, 200);
  await waitFor(async () => ((await api('GET', '/v2/queue')).json.queue as Array<{ app: { id: string }; reason: string }>).some((q) => q.app.id === '/reserved' && /cpus of role web/.test(q.reason)), 'the fourth to wait for reserved cpus', 30_000);
  assert.is(running('/reserved'), 3);
});

test("acceptedResourceRoles ['*']: an app of role web takes only unreserved resources", async () => {
  const r = await api('POST', '/v2/apps', { id: '/unreserved', cmd: 'sleep 600', cpus: 0.2, mem: 32, instances: 2, role: 'web', acceptedResourceRoles: ['*'] });
  assert.is(r.status, 201, JSON.stringify(r.json));
  await waitFor(() => running('/unreserved') === 2, '2 tasks on unreserved resources', 60_000);
  for (const t of tasksOf(svc.engine.state(), '/unreserved')) assert.ok(t.ports[0]! >= 31000 && t.ports[0]! <= 31099, `port ${t.ports[0]}`);
});

test('requirePorts: the host port is the defined one; a second instance waits (the port is taken); named ports are PORT_<NAME>', async () => {
  const r = await api('POST', '/v2/apps', {
    id: '/fixed',
    cmd: 'test "$PORT_ADMIN" = 31050 && test "$PORT0" = 31050 && test "$PORT1" = 31020 || exit 3; sleep 600',
    cpus: 0.1,
    mem: 16,
    instances: 1,
    requirePorts: true,
    // Out of order: PORT0 is still the first definition's.
    portDefinitions: [{ port: 31050, name: 'admin' }, { port: 31020 }],
  });
  assert.is(r.status, 201, JSON.stringify(r.json));
  await waitFor(() => running('/fixed') === 1, 'the task on port 31050', 60_000);
  const t = tasksOf(svc.engine.state(), '/fixed')[0]!;
  assert.equal(t.ports, [31050, 31020]);
  assert.ok(t.agentId !== reservedAgent, 'only agent 2 offers 31050');
  assert.is((await api('PUT', '/v2/apps/fixed', { instances: 2 })).status, 200);
  await waitFor(async () => ((await api('GET', '/v2/queue')).json.queue as Array<{ app: { id: string }; reason: string }>).some((q) => q.app.id === '/fixed' && /port 31050 not offered/.test(q.reason)), 'the second to wait for port 31050', 30_000);
  assert.is(running('/fixed'), 1);
  // The command exits 3 unless it sees PORT_ADMIN=PORT0=31050, PORT1=31020: no task of the app has failed.
  assert.is(svc.engine.state().apps.get('/fixed')!.lastFailure, undefined, 'the task saw PORT_ADMIN=31050');
  assert.ok(svc.engine.state().tasks.has(t.taskId));
});

test('requirePorts with port 0, a duplicate port, a role the framework lacks: 422 naming the field', async () => {
  const zero = await api('POST', '/v2/apps', { id: '/z', cmd: 'true', requirePorts: true, portDefinitions: [{ port: 0 }] });
  assert.is(zero.status, 422);
  assert.ok(zero.json.details.some((d: { path: string }) => d.path === '/portDefinitions/0/port'), JSON.stringify(zero.json));
  const dup = await api('POST', '/v2/apps', { id: '/d', cmd: 'true', portDefinitions: [{ port: 8000 }, { port: 8000 }] });
  assert.is(dup.status, 422);
  const role = await api('POST', '/v2/apps', { id: '/r', cmd: 'true', role: 'batch' });
  assert.is(role.status, 422);
  assert.is(role.json.details[0].path, '/role');
  assert.match(role.json.details[0].errors[0], /--roles/);
  const accepted = await api('POST', '/v2/apps', { id: '/a', cmd: 'true', role: 'web', acceptedResourceRoles: ['batch'] });
  assert.is(accepted.status, 422);
});

test.run();
