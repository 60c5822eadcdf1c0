/**
 * The services framework on emulated agents (they record the commands they get and report what
 * the test says): UNIQUE hostname across agents, and a restart of the services process in the
 * middle of a rolling upgrade that resumes it with nothing lost or doubled.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { tasksOf } from '../../frameworks/services/state.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let svc: ServicesHandle;
/** The services framework's own credentials (with its SERVICES store), the same across its restarts. */
let creds: { creds?: string } | undefined;
const servicesCreds = (): { creds?: string } => (creds ??= cluster.services());
const agents: EmulatedAgent[] = [];
const start = (): Promise<ServicesHandle> => startServices({ nats: cluster.nats.url, ...servicesCreds(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });
const launchedOn = (a: EmulatedAgent): string[] => a.commands.flatMap((c) => (c.type === 'LaunchTasks' ? c.tasks.map((t) => t.taskId as string) : []));
const killedOn = (a: EmulatedAgent): string[] => a.commands.flatMap((c) => (c.type === 'KillTask' ? [c.taskId as string] : []));

test.before(async () => {
  cluster = await startCluster({ agents: 0 });
  for (const h of ['h1', 'h1', 'h2']) {
    const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:4096;disk:1024;ports:[31000-31099]', { hostname: h });
    agents.push(a);
    await waitFor(() => cluster.master.state().agents.get(a.agentId)?.status === 'ACTIVE', 'the agent to register');
  }
  svc = await start();
});
test.after(async () => {
  await svc?.close().catch(() => undefined);
  for (const a of agents) await a.close();
  await cluster?.stop();
});

const api = (method: string, path: string, body?: unknown) => fetch(`${svc.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

test('UNIQUE hostname: one task per host; the third waits with the constraint as its reason', async () => {
  assert.is((await api('POST', '/v2/apps', { id: '/u', cmd: 'x', cpus: 0.1, mem: 16, instances: 3, portDefinitions: [], constraints: [['hostname', 'UNIQUE']] })).status, 201);
  await waitFor(() => tasksOf(svc.engine.state(), '/u').length === 2, '2 placed');
  const hosts = tasksOf(svc.engine.state(), '/u').map((t) => t.hostname).sort();
  assert.equal(hosts, ['h1', 'h2']);
  await waitFor(async () => {
    const q = ((await (await api('GET', '/v2/queue')).json()) as { queue: Array<{ app: { id: string }; reason: string; count: number }> }).queue;
    return q.some((x) => x.app.id === '/u' && /UNIQUE/.test(x.reason) && x.count === 1);
  }, 'the queue to name the constraint');
  assert.is(tasksOf(svc.engine.state(), '/u').length, 2);
  assert.is((await api('DELETE', '/v2/apps/u')).status, 200);
  // Kills reach the agents; they report the tasks killed.
  await waitFor(() => agents.flatMap(killedOn).length >= 2, 'the kills');
  for (const a of agents) for (const id of killedOn(a)) await a.report(svc.engine.frameworkId, id, 'TASK_KILLED');
  await waitFor(() => !svc.engine.state().apps.has('/u'), 'the app removed');
});

test('a services restart in the middle of a rolling upgrade resumes it: nothing lost or doubled', async () => {
  const fw = svc.engine.frameworkId;
  const reportAll = async (state: 'TASK_RUNNING' | 'TASK_KILLED', ids: (a: EmulatedAgent) => string[], done: Set<string>) => {
    for (const a of agents) for (const id of ids(a)) if (!done.has(id)) {
      done.add(id);
      await a.report(fw, id, state);
    }
  };
  const running = new Set<string>();
  const killed = new Set<string>(agents.flatMap(killedOn));
  for (const a of agents) for (const id of launchedOn(a)) running.add(id); // the earlier test's tasks
  assert.is((await api('POST', '/v2/apps', { id: '/r', cmd: 'v1', cpus: 0.1, mem: 16, instances: 3, portDefinitions: [] })).status, 201);
  await waitFor(() => agents.flatMap(launchedOn).length - running.size >= 3, '3 launched');
  await reportAll('TASK_RUNNING', launchedOn, running);
  await waitFor(async () => ((await (await api('GET', '/v2/deployments')).json()) as unknown[]).length === 0, 'created');
  const v1 = tasksOf(svc.engine.state(), '/r').map((t) => t.taskId).sort();
  assert.is((await api('PUT', '/v2/apps/r', { cmd: 'v2' })).status, 200);
  await waitFor(() => agents.flatMap(launchedOn).length - running.size >= 3, 'the new version launched');
  // Mid-deployment: the new tasks are not running yet; services goes away and comes back.
  await svc.close();
  svc = await start();
  assert.is(svc.engine.frameworkId, fw);
  const deps = (await (await api('GET', '/v2/deployments')).json()) as Array<{ kind: string }>;
  assert.is(deps.length, 1);
  assert.is(deps[0]!.kind, 'upgrade');
  await reportAll('TASK_RUNNING', launchedOn, running);
  await waitFor(() => agents.flatMap(killedOn).some((id) => v1.includes(id)), 'old tasks killed');
  await waitFor(async () => {
    await reportAll('TASK_KILLED', killedOn, killed);
    return ((await (await api('GET', '/v2/deployments')).json()) as unknown[]).length === 0;
  }, 'the upgrade to finish', 30_000);
  const now = tasksOf(svc.engine.state(), '/r');
  assert.is(now.length, 3);
  assert.ok(now.every((t) => !v1.includes(t.taskId)));
  // Exactly 3 launched for v2 (none doubled by the restart), every v1 task killed.
  const launchedR = agents.flatMap(launchedOn).filter((id) => id.startsWith('r.'));
  assert.is(launchedR.length, 6, `launched: ${launchedR.length}`);
  assert.ok(v1.every((id) => agents.flatMap(killedOn).includes(id)));
});

test.run();
