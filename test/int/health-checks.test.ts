/**
 * Health checks and checks against a real nats-server, master and agent (real cgroups where the
 * machine has them): a failing command health check gets its task killed after N failures with
 * healthy:false updates, once its grace period is over; command checks run in the task's context
 * (user, environment, sandbox, cgroups); an HTTP check on the task's PORT0 (redirects followed)
 * keeps it healthy; TCP checks; a check that times out; general checks report check_status; and a
 * health_check given through the Mesos v1 scheduler HTTP API.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { filter, firstValueFrom, takeWhile, timeout, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { type Ev, HttpFramework } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
let offers: OfferQueue;
const NODE = process.execPath;
const HEALTH = 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED';
const CHECK = 'REASON_TASK_CHECK_STATUS_UPDATED';

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:2048;disk:1024;ports:[31000-31099]' });
  fw = await subscribe({ ...cluster.framework(), name: 'health-it', log: cluster.log });
  offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

/** Every update of a task, up to and including its terminal one. */
function allUpdates(taskId: string, ms = 30_000): Promise<TaskStatus[]> {
  return firstValueFrom(
    fw.updates$.pipe(
      filter((u) => u.taskId === taskId),
      takeWhile((u) => !isTerminal(u.state), true),
      toArray(),
      timeout({ first: ms, with: () => { throw new Error(`task ${taskId} did not end within ${ms} ms`); } }),
    ),
  );
}

function firstUpdate(taskId: string, pred: (u: TaskStatus) => boolean, what: string, ms = 20_000): Promise<TaskStatus> {
  return firstValueFrom(
    fw.updates$.pipe(
      filter((u) => u.taskId === taskId && pred(u)),
      timeout({ first: ms, with: () => { throw new Error(`no update of ${taskId} with ${what} within ${ms} ms`); } }),
    ),
  );
}

/** A tiny server on $PORT0 (HTTP: /health 200, /redirect 302 → /health, else 404; or plain TCP). */
const server = (kind: 'http' | 'tcp'): string =>
  kind === 'http'
    ? `exec ${NODE} -e "require('http').createServer((q,s)=>{if(q.url==='/redirect'){s.writeHead(302,{Location:'/health'});return s.end()}s.writeHead(q.url==='/health'?200:404);s.end('ok')}).listen(+process.env.PORT0,'127.0.0.1')"`
    : `exec ${NODE} -e "require('net').createServer((c)=>c.end()).listen(+process.env.PORT0,'127.0.0.1')"`;

/** The first port of an offer, as the task's PORT0. */
async function offerWithPort(): Promise<{ offer: Awaited<ReturnType<OfferQueue['next']>>; port: number }> {
  const offer = await offers.next();
  const port = R.ranges(offer.resources, 'ports')[0]![0];
  return { offer, port };
}

test('a failing command health check: ignored during the grace period, then healthy:false each time, and the task is killed after 3', async () => {
  const offer = await offers.next();
  const all = allUpdates('hc-fail');
  await fw.accept([offer.id], [
    {
      taskId: 'hc-fail',
      agentId: offer.agentId,
      resources: 'cpus:0.2;mem:64',
      command: 'exec sleep 600',
      healthCheck: { type: 'COMMAND', command: { value: 'echo broken >&2; exit 3' }, delayMs: 0, intervalMs: 200, timeoutMs: 5000, gracePeriodMs: 1000, consecutiveFailures: 3 },
    },
  ]);
  const updates = await all;
  const running = updates.find((u) => u.state === 'TASK_RUNNING' && u.reason === undefined)!;
  const unhealthy = updates.filter((u) => u.state === 'TASK_RUNNING' && u.reason === HEALTH);
  assert.is(unhealthy.length, 3, `three unhealthy updates: ${JSON.stringify(updates.map((u) => [u.state, u.reason, u.healthy]))}`);
  assert.ok(unhealthy.every((u) => u.healthy === false && u.uuid !== undefined));
  assert.ok(unhealthy[0]!.timestamp - running.timestamp >= 1000, 'failures within the grace period were not reported');
  const last = updates.at(-1)!;
  assert.is(last.state, 'TASK_KILLED');
  assert.is(last.healthy, false);
  assert.is(last.reason, HEALTH);
  assert.match(last.message ?? '', 'COMMAND health check failed 3 consecutive times (last: Command exited with status 3 (output: broken))');
  assert.match(last.message ?? '', 'Command terminated with signal SIGTERM');
  // The master saw it too.
  const t = await waitFor(() => cluster.master.state().frameworks.get(fw.frameworkId)?.completedTasks.find((x) => x.taskId === 'hc-fail'), 'the task to complete');
  assert.is(t.state, 'TASK_KILLED');
  assert.is(t.statuses.filter((s) => s.healthy === false).length, 4);
});

test('a command check runs in the task\'s context (its user, environment, sandbox and cgroups); a general check reports its exit code', async () => {
  const offer = await offers.next();
  const agent = cluster.agents[0]!;
  const root = process.getuid?.() === 0;
  const conditions = [
    'test -f marker',
    'test "$APP" = demo',
    'test "$CHECK_VAR" = 1',
    'test "$(pwd)" = "$MESOS_SANDBOX"',
    ...(root ? ['test "$(id -un)" = nobody'] : []),
    // In the container's cgroups: its id is the sandbox's last path component; in the task's cgroup
    // namespace (namespaces/cgroup) the container's cgroups are its root, `/` in every hierarchy.
    ...(agent.isolators.includes('namespaces/cgroup')
      ? ["! grep -v ':/$' /proc/self/cgroup"]
      : agent.isolation !== 'posix'
        ? ['grep -q "$(basename "$MESOS_SANDBOX")" /proc/self/cgroup']
        : []),
  ];
  const healthy = firstUpdate('ctx', (u) => u.reason === HEALTH, 'a health update');
  const checked = firstUpdate('ctx', (u) => u.reason === CHECK, 'a check update');
  await fw.accept([offer.id], [
    {
      taskId: 'ctx',
      agentId: offer.agentId,
      resources: 'cpus:0.2;mem:64',
      command: { value: 'touch marker && exec sleep 600', shell: true, environment: { APP: 'demo' }, ...(root ? { user: 'nobody' } : {}) },
      healthCheck: { type: 'COMMAND', command: { value: conditions.join(' && '), environment: { CHECK_VAR: '1' } }, delayMs: 100, intervalMs: 300, gracePeriodMs: 10_000 },
      check: { type: 'COMMAND', command: { value: 'exit 7' }, delayMs: 0, intervalMs: 300 },
    },
  ]);
  const h = await healthy;
  assert.is(h.healthy, true, 'every condition held in the check');
  assert.is(h.state, 'TASK_RUNNING');
  const c = await checked;
  assert.equal(c.checkStatus, { type: 'COMMAND', command: { exitCode: 7 } });
  const all = allUpdates('ctx');
  await fw.kill('ctx');
  const rest = await all;
  const end = rest.at(-1)!;
  assert.is(end.state, 'TASK_KILLED');
  assert.is(end.reason, undefined, 'killed by its framework, not by its health check');
  assert.is(end.healthy, undefined);
  assert.equal(end.checkStatus, { type: 'COMMAND', command: {} }, 'fresh updates carry the empty check status, as Mesos');
});

test('an HTTP health check on the task\'s PORT0 (a redirect followed) keeps it healthy; an HTTP check reports the status code', async () => {
  const { offer, port } = await offerWithPort();
  const updates: TaskStatus[] = [];
  const sub = fw.updates$.pipe(filter((u) => u.taskId === 'web')).subscribe((u) => updates.push(u));
  const healthy = firstUpdate('web', (u) => u.healthy === true, 'healthy:true');
  const checked = firstUpdate('web', (u) => u.checkStatus?.http?.statusCode !== undefined, 'an HTTP status code');
  await fw.accept([offer.id], [
    {
      taskId: 'web',
      agentId: offer.agentId,
      resources: `cpus:0.2;mem:128;ports:[${port}-${port}]`,
      command: { value: server('http'), shell: true, environment: { PORT0: String(port) } },
      // No port: the task's first port. The grace period covers node's start-up.
      healthCheck: { type: 'HTTP', http: { path: '/redirect' }, delayMs: 0, intervalMs: 200, timeoutMs: 2000, gracePeriodMs: 15_000, consecutiveFailures: 2 },
      check: { type: 'HTTP', http: { port, path: '/missing' }, delayMs: 500, intervalMs: 200 },
    },
  ]);
  const h = await healthy;
  assert.is(h.reason, HEALTH);
  assert.equal((await checked).checkStatus, { type: 'HTTP', http: { statusCode: 404 } });
  // Several more rounds: it stays healthy (only the first success is reported) and running.
  const seen = updates.length;
  await new Promise((r) => setTimeout(r, 1200)); // measuring absence: six check rounds (200 ms each) with nothing new
  assert.ok(updates.every((u) => u.healthy !== false), 'never unhealthy');
  assert.is(updates.filter((u) => u.reason === HEALTH).length, 1, 'one health update: the first success');
  assert.is(updates.length, seen, 'nothing new while nothing changes');
  assert.is(cluster.master.state().tasks.get(`${fw.frameworkId}/web` as never)?.state, 'TASK_RUNNING');
  const end = allUpdates('web');
  await fw.kill('web');
  assert.is((await end).at(-1)!.state, 'TASK_KILLED');
  sub.unsubscribe();
});

test('TCP: a health check on PORT0 passes; a check of a closed port reports succeeded:false', async () => {
  const { offer, port } = await offerWithPort();
  const closed = port + 1; // offered to this framework, so nobody else listens there
  const healthy = firstUpdate('tcp', (u) => u.healthy === true, 'healthy:true');
  const checked = firstUpdate('tcp', (u) => u.checkStatus?.tcp?.succeeded !== undefined, 'a TCP result');
  await fw.accept([offer.id], [
    {
      taskId: 'tcp',
      agentId: offer.agentId,
      resources: `cpus:0.2;mem:128;ports:[${port}-${closed}]`,
      command: { value: server('tcp'), shell: true, environment: { PORT0: String(port) } },
      healthCheck: { type: 'TCP', tcp: {}, delayMs: 0, intervalMs: 200, gracePeriodMs: 15_000 },
      check: { type: 'TCP', tcp: { port: closed }, delayMs: 0, intervalMs: 200 },
    },
  ]);
  assert.is((await healthy).state, 'TASK_RUNNING');
  assert.equal((await checked).checkStatus, { type: 'TCP', tcp: { succeeded: false } });
  const end = allUpdates('tcp');
  await fw.kill('tcp');
  assert.is((await end).at(-1)!.state, 'TASK_KILLED');
});

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

test('a command health check that does not answer in time fails (and its process is killed)', async () => {
  const offer = await offers.next();
  const all = allUpdates('slow');
  await fw.accept([offer.id], [
    {
      taskId: 'slow',
      agentId: offer.agentId,
      resources: 'cpus:0.2;mem:64',
      command: 'exec sleep 600',
      healthCheck: { type: 'COMMAND', command: { value: 'exec sleep 31.4159' }, delayMs: 0, intervalMs: 100, timeoutMs: 300, gracePeriodMs: 0, consecutiveFailures: 1 },
    },
  ]);
  const end = (await all).at(-1)!;
  assert.is(end.state, 'TASK_KILLED');
  assert.is(end.healthy, false);
  assert.match(end.message ?? '', 'COMMAND health check timed out after 0.3s');
  await waitFor(() => processesWith('sleep 31.4159').length === 0, 'the timed-out check process to be gone', 5000);
});

test('a health_check and a check given through the Mesos v1 scheduler HTTP API', async () => {
  await fw.teardown(); // its offers go back; the HTTP framework gets the agent
  const http = await HttpFramework.subscribe(cluster.master.url, { user: 'root', name: 'health-http' });
  try {
    const [offer] = await http.takeOffers({ cpus: 0.4, mem: 128 });
    const agentId = offer!.agent_id;
    const port = Number((offer!.resources as Ev[]).find((r) => r.name === 'ports')!.ranges.range[0].begin);
    const cmd = (value: string) => ({ value, shell: true });
    const res = (cpus: number, mem: number) => [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } },
      { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
    ];
    const accept = await http.call('ACCEPT', {
      accept: {
        offer_ids: [offer!.id],
        operations: [
          {
            type: 'LAUNCH',
            launch: {
              task_infos: [
                {
                  name: 'api-hc',
                  task_id: { value: 'api-hc' },
                  agent_id: agentId,
                  resources: res(0.2, 64),
                  command: cmd('exec sleep 600'),
                  health_check: { type: 'COMMAND', command: { value: 'exit 1' }, delay_seconds: 0, interval_seconds: 0.2, grace_period_seconds: 0, consecutive_failures: 2 },
                },
                {
                  name: 'api-check',
                  task_id: { value: 'api-check' },
                  agent_id: agentId,
                  resources: res(0.2, 64),
                  command: cmd('exec sleep 600'),
                  check: { type: 'TCP', tcp: { port }, delay_seconds: 0, interval_seconds: 0.2 },
                },
              ],
            },
          },
        ],
      },
    });
    assert.is(accept.status, 202, accept.body);
    const killed = await http.terminal('api-hc', { timeoutMs: 20_000 });
    assert.is(killed.state, 'TASK_KILLED');
    assert.is(killed.healthy, false);
    assert.is(killed.reason, HEALTH);
    const unhealthy = http.statuses('api-hc').filter((s) => s.state === 'TASK_RUNNING' && s.reason === HEALTH);
    assert.is(unhealthy.length, 2);
    assert.ok(unhealthy.every((s) => s.healthy === false && typeof s.uuid === 'string'));
    const checked = await http.status('api-check', (s) => s === 'TASK_RUNNING');
    assert.equal(checked.check_status, { type: 'TCP', tcp: {} }, 'the RUNNING update carries the empty check status');
    const l = await http.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 'api-check' && e.update.status.reason === CHECK, 'a check update');
    assert.equal(l.e.update.status.check_status, { type: 'TCP', tcp: { succeeded: false } });
    // /master/state shows the task's health_check in Mesos's JSON (defaults written out).
    await http.settleAcks();
    const state = (await (await fetch(`${cluster.master.url}/master/state`)).json()) as Ev;
    const f = (state.frameworks as Ev[]).find((x) => x.id === http.frameworkId)!;
    const done = (f.completed_tasks as Ev[]).find((t) => t.id === 'api-hc')!;
    assert.equal(done.health_check, {
      delay_seconds: 0,
      interval_seconds: 0.2,
      timeout_seconds: 20,
      consecutive_failures: 2,
      grace_period_seconds: 0,
      command: { shell: true, value: 'exit 1' },
      type: 'COMMAND',
    });
    assert.ok((done.statuses as Ev[]).some((s) => s.healthy === false));
    await http.call('KILL', { kill: { task_id: { value: 'api-check' }, agent_id: agentId } });
    assert.is((await http.terminal('api-check')).state, 'TASK_KILLED');
  } finally {
    await http.call('TEARDOWN').catch(() => undefined);
    http.close();
  }
});

test.run();
