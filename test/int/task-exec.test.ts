/**
 * `mesos task exec` and the agent's LAUNCH_NESTED_CONTAINER_SESSION / WAIT_NESTED_CONTAINER against
 * a real nats-server, master and agent running a real task: the command runs in the task's
 * container (its cgroups, its environment and sandbox), its output comes back as RecordIO ProcessIO
 * records, its exit code reaches the CLI's, a bad container id is refused with the reason, and a
 * client that goes away takes the command's process group with it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TaskStatus } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = new URL('../../cli/mesos.js', import.meta.url).pathname;
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let cluster: TestCluster;
let fw: Scheduler;
let agentBase: string;
let containerId: string;
let taskPid: number;

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]' });
  agentBase = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  fw = await subscribe({ ...cluster.framework(), name: 'exec it', log: cluster.log });
  const offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  const offer = await offers.next();
  const running = firstValueFrom(fw.updates$.pipe(filter((u: TaskStatus) => u.taskId === 'sleeper' && u.state === 'TASK_RUNNING'), timeout(20_000)));
  await fw.accept([offer.id], [{ taskId: 'sleeper', resources: 'cpus:0.5;mem:64', command: { value: 'exec sleep 600', shell: true, environment: { APP: 'exec-demo' } }, agentId: offer.agentId }]);
  await running;
  const c = ((await call({ type: 'GET_CONTAINERS' })).json().get_containers.containers as J[]).find((x) => x.executor_id.value === 'sleeper')!;
  containerId = c.container_id.value;
  taskPid = c.container_status.executor_pid;
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

async function call(body: unknown) {
  const r = await fetch(`${agentBase}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: (): J => JSON.parse(text) as J };
}

const session = (id: string, command: J, parent = containerId) => ({
  type: 'LAUNCH_NESTED_CONTAINER_SESSION',
  launch_nested_container_session: { container_id: { value: id, parent: { value: parent } }, command },
});

/** The stream's records, decoded; stdout and stderr joined. */
function decode(body: Buffer): { records: J[]; stdout: string; stderr: string } {
  const records = new RecordIoDecoder().push(body) as J[];
  const part = (t: string) => Buffer.concat(records.filter((r) => r.type === 'DATA' && r.data.type === t).map((r) => Buffer.from(r.data.data, 'base64'))).toString('utf8');
  return { records, stdout: part('STDOUT'), stderr: part('STDERR') };
}

async function mesos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('LAUNCH_NESTED_CONTAINER_SESSION runs the command in the task\'s container and streams its output as RecordIO ProcessIO records', async () => {
  const r = await fetch(`${agentBase}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(session('s1', { value: 'cat /proc/self/cgroup; echo "env=$APP pwd=$(pwd) sandbox=$MESOS_SANDBOX"; echo to-stderr >&2' })),
  });
  assert.is(r.status, 200);
  assert.is(r.headers.get('content-type'), 'application/recordio');
  assert.is(r.headers.get('message-content-type'), 'application/json');
  const { records, stdout, stderr } = decode(Buffer.from(await r.arrayBuffer()));
  assert.ok(records.length > 0 && records.every((x) => x.type === 'DATA'), JSON.stringify(records));
  assert.is(stderr, 'to-stderr\n');
  const agent = cluster.agents[0]!;
  const cgroupLines = stdout.split('\n').filter((l) => /^\d+:[^:]*:/.test(l));
  assert.ok(cgroupLines.length > 0, stdout);
  if (agent.isolators.includes('namespaces/cgroup')) {
    // In the task's cgroup namespace its cgroups are the root of every hierarchy.
    assert.ok(cgroupLines.every((l) => l.endsWith(':/')), stdout);
  } else {
    // The very cgroups of the task, as the host sees them.
    assert.is(`${cgroupLines.join('\n')}\n`, readFileSync(`/proc/${taskPid}/cgroup`, 'utf8'));
    if (agent.isolation !== 'posix') assert.ok(cgroupLines.some((l) => l.includes(containerId)), stdout);
  }
  const m = /env=(\S*) pwd=(\S*) sandbox=(\S*)/.exec(stdout);
  assert.ok(m, stdout);
  assert.is(m[1], 'exec-demo');
  assert.is(m[2], m[3]);
  assert.ok(m[3]!.endsWith(containerId), m[3]);
  // WAIT_NESTED_CONTAINER after the stream: a wait(2) status, as Mesos's.
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's1', parent: { value: containerId } } } });
  assert.is(w.status, 200, w.text);
  assert.equal(w.json(), { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: 0 } });
});

test('the exit status: WAIT_NESTED_CONTAINER gives it (exit 3 → 768), and the same id twice is refused', async () => {
  const r = await call(session('s2', { value: 'sh', shell: false, arguments: ['sh', '-c', 'exit 3'] }));
  assert.is(r.status, 200, r.text);
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's2', parent: { value: containerId } } } });
  assert.is(w.json().wait_nested_container.exit_status, 3 << 8);
  const again = await call(session('s2', { value: 'true' }));
  assert.is(again.status, 400);
  assert.match(again.text, /already exists/);
});

test('a bad container id is refused: an unknown parent 404, no parent 400, an unknown nested container 404', async () => {
  const unknown = await call(session('x', { value: 'true' }, 'no-such-container'));
  assert.is(unknown.status, 404);
  assert.match(unknown.text, /no-such-container is not a running container/);
  const noParent = await call({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: { value: 'x' }, command: { value: 'true' } } });
  assert.is(noParent.status, 400);
  assert.match(noParent.text, /parent/);
  const noValue = await call(session('y', { shell: true }));
  assert.is(noValue.status, 400);
  const wait = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 'nope', parent: { value: containerId } } } });
  assert.is(wait.status, 404);
});

/** Pids whose command line is exactly these words. */
function pidsOf(...argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === want) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

test('a client that disconnects takes the session\'s process group with it (WAIT then says SIGKILL)', async () => {
  const marker = String(7000 + Math.floor(Math.random() * 999));
  const ac = new AbortController();
  const r = await fetch(`${agentBase}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(session('s3', { value: `echo ready; sleep ${marker} & sleep ${marker}; wait` })),
    signal: ac.signal,
  });
  assert.is(r.status, 200);
  const reader = r.body!.getReader();
  const first = await reader.read();
  assert.match(decode(Buffer.from(first.value!)).stdout, /ready/);
  await waitFor(() => pidsOf('sleep', marker).length === 2, 'both sleeps of the session');
  ac.abort();
  await waitFor(() => pidsOf('sleep', marker).length === 0, 'the session\'s processes to be killed');
  const w = await call({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { container_id: { value: 's3', parent: { value: containerId } } } });
  assert.is(w.json().wait_nested_container.exit_status, 9);
  // The task itself is untouched.
  assert.ok(existsSync(`/proc/${taskPid}`), 'the task still runs');
});

test('mesos task exec TASK_ID -- CMD prints stdout and stderr and exits with the command\'s exit code', async () => {
  const r = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper', '--', 'sh', '-c', 'echo out-line; echo err-line >&2; exit 3');
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stdout, 'out-line\n');
  assert.is(r.stderr, 'err-line\n');
  const ok = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper', '--', 'cat', '/proc/self/cgroup');
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^\d+:/m);
  const missing = await mesos('task', 'exec', '--master', cluster.master.url, 'no-such-task', '--', 'true');
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no task no-such-task/);
  const noCmd = await mesos('task', 'exec', '--master', cluster.master.url, 'sleeper');
  assert.is(noCmd.code, 2);
  assert.match(noCmd.stderr, /usage: mesos task exec TASK_ID -- CMD/);
});

test.run();
