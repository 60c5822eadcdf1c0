/**
 * The services framework with Mesos-native HTTP health checks on real agents: an app of 5 stays
 * at 5 healthy through task kills (SIGKILL of the task's process), and a rolling upgrade never
 * has fewer healthy tasks than ⌈5 × minimumHealthCapacity⌉.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { isHealthy, tasksOf } from '../../frameworks/services/state.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let svc: ServicesHandle;

const server = (tag: string): string =>
  `${process.execPath} -e "require('http').createServer((q,s)=>s.end(JSON.stringify({pid:process.pid,tag:'${tag}'}))).listen(Number(process.env.PORT0),'127.0.0.1')"`;

const healthyCount = (): number => {
  const s = svc.engine.state();
  const a = s.apps.get('/web');
  return a === undefined ? 0 : tasksOf(s, '/web').filter((t) => isHealthy(a.app, t)).length;
};

test.before(async () => {
  cluster = await startCluster({ agents: 2, agentResources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]' });
  svc = await startServices({ nats: cluster.nats.url, ...cluster.services(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });
});
test.after(async () => {
  await svc?.close().catch(() => undefined);
  await cluster?.stop();
});

const put = (body: unknown) => fetch(`${svc.url}/v2/apps/web`, { method: 'PUT', body: JSON.stringify(body) });
const app = (tag: string) => ({
  id: '/web', cmd: server(tag), cpus: 0.1, mem: 48, instances: 5, backoffSeconds: 0.2,
  healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, delaySeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 10, maxConsecutiveFailures: 2 }],
  upgradeStrategy: { minimumHealthCapacity: 0.6, maximumOverCapacity: 0.4 },
});

test('5 instances with an HTTP health check stay at 5 healthy through task kills', async () => {
  assert.is((await put(app('v1'))).status, 201);
  await waitFor(() => healthyCount() === 5, '5 healthy', 60_000);
  for (let round = 0; round < 2; round++) {
    const t = tasksOf(svc.engine.state(), '/web')[round]!;
    const body = (await (await fetch(`http://127.0.0.1:${t.ports[0]}/`)).json()) as { pid: number };
    process.kill(body.pid, 'SIGKILL');
    await waitFor(() => !svc.engine.state().tasks.has(t.taskId), 'the killed task to end', 30_000);
    await waitFor(() => healthyCount() === 5 && tasksOf(svc.engine.state(), '/web').length === 5, '5 healthy again', 60_000);
  }
});

test('a rolling upgrade never drops below minimumHealthCapacity', async () => {
  let lowest = healthyCount();
  const watch = setInterval(() => (lowest = Math.min(lowest, healthyCount())), 10);
  try {
    assert.is((await put(app('v2'))).status, 200);
    await waitFor(async () => {
      const deps = (await (await fetch(`${svc.url}/v2/deployments`)).json()) as unknown[];
      const s = svc.engine.state();
      const cfg = s.apps.get('/web')!.configVersion;
      return deps.length === 0 && tasksOf(s, '/web').length === 5 && tasksOf(s, '/web').every((t) => t.configVersion === cfg);
    }, 'the upgrade to finish', 90_000);
  } finally {
    clearInterval(watch);
  }
  assert.ok(lowest >= 3, `healthy went down to ${lowest}`);
  const t = tasksOf(svc.engine.state(), '/web')[0]!;
  assert.is(((await (await fetch(`http://127.0.0.1:${t.ports[0]}/`)).json()) as { tag: string }).tag, 'v2');
});

test.run();
