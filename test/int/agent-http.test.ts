/**
 * The agent's own HTTP endpoint against a real nats-server, master and agent (real cgroups where
 * the machine has them): /health and errors; the real port announced to the master
 * (slave(1)@ip:port); /state in Mesos's shape (keys compared with a recorded Mesos agent's);
 * /monitor/statistics with real numbers (rss of a task that allocates, cpu time of a busy loop,
 * process count); /files browse/read/download of sandboxes, and every way out of a sandbox refused.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConfined, resolvePath } from '../../agent/http/sandbox-files.js';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { startAgent } from '../../agent/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import type { Ev } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
let offers: OfferQueue;
let base: string;
const MIB = 1024 * 1024;
const NODE = process.execPath;
const SAMPLE = '/work/shared/reference/mesos-samples/agent-state.json';

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:2048;disk:1024;ports:[31000-31099]' });
  base = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  fw = await subscribe({ ...cluster.framework(), name: 'agent-http-it', log: cluster.log });
  offers = new OfferQueue(fw);
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

interface Got {
  status: number;
  text: string;
  headers: Headers;
  json: () => Ev;
}
async function get(path: string, init?: RequestInit): Promise<Got> {
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) as Ev };
}
const q = (p: string): string => encodeURIComponent(p);

function update(taskId: string, pred: (u: TaskStatus) => boolean, ms = 20_000): Promise<TaskStatus> {
  return firstValueFrom(
    fw.updates$.pipe(
      filter((u) => u.taskId === taskId && pred(u)),
      timeout({ first: ms, with: () => { throw new Error(`no awaited update of ${taskId} within ${ms} ms`); } }),
    ),
  );
}

async function launch(tasks: Array<{ taskId: string; resources: string; command: string }>): Promise<void> {
  const offer = await offers.next();
  const running = tasks.map((t) => update(t.taskId, (u) => u.state === 'TASK_RUNNING' || isTerminal(u.state)));
  await fw.accept([offer.id], tasks.map((t) => ({ ...t, agentId: offer.agentId })));
  await Promise.all(running);
}

async function killAll(ids: readonly string[]): Promise<void> {
  const ends = ids.map((id) => update(id, (u) => isTerminal(u.state)));
  for (const id of ids) await fw.kill(id);
  await Promise.all(ends);
}

const keys = (o: Ev): string[] => Object.keys(o).sort();

test('/health answers 200; unknown paths 404; other methods 405', async () => {
  for (const p of ['/health', '/slave(1)/health']) {
    const r = await get(p);
    assert.is(r.status, 200, p);
    assert.is(r.text, '');
  }
  const missing = await get('/nope');
  assert.is(missing.status, 404);
  assert.is(missing.text, 'No such endpoint: /nope');
  const post = await get('/state', { method: 'POST' });
  assert.is(post.status, 405);
  assert.is(post.headers.get('allow'), 'GET');
  const v = await get('/version?jsonp=cb');
  assert.match(v.text, /^cb\(\{"version":"1\.12\.0"/);
});

test('the agent announces the port it took (it was started with port 0); the master shows it and slave(1)@ip:port', async () => {
  const agent = cluster.agents[0]!;
  assert.ok(agent.httpPort > 0);
  assert.is(agent.pid, `slave(1)@127.0.0.1:${agent.httpPort}`);
  const ms = (await (await fetch(`${cluster.master.url}/master/state`)).json()) as Ev;
  const slave = (ms.slaves as Ev[]).find((s) => s.id === agent.agentId)!;
  assert.is(slave.port, agent.httpPort);
  assert.is(slave.pid, agent.pid);
  const st = (await get('/state')).json();
  assert.is(st.pid, agent.pid);
  assert.is(st.flags.port, '0', 'flags show the setting as given');
});

test('/state has Mesos\'s shape: frameworks → executors → tasks, completed ones, resources, flags, and the isolation in use', async () => {
  const agent = cluster.agents[0]!;
  // Awaited from before the launch: `echo hi` may finish in the same breath as it starts.
  const doneFinished = update('done', (u) => u.state === 'TASK_FINISHED');
  await launch([
    { taskId: 'sleeper', resources: 'cpus:0.3;mem:64', command: 'exec sleep 600' },
    { taskId: 'done', resources: 'cpus:0.1;mem:32', command: 'echo hi' },
  ]);
  await doneFinished;
  const s = await waitFor(async () => {
    const st = (await get('/state')).json();
    const f = (st.frameworks as Ev[])[0];
    return f !== undefined && (f.completed_executors as Ev[]).length === 1 ? st : undefined;
  }, 'the finished task to be among the completed executors');

  // Top level: every key of a real Mesos agent's /state, except those it writes only when known.
  const absent = ['git_sha', 'git_branch', 'master_hostname', 'log_dir'];
  const mesosTop = ['version', 'git_sha', 'git_branch', 'build_date', 'build_time', 'build_user', 'start_time', 'id', 'pid', 'hostname', 'capabilities', 'resources', 'reserved_resources', 'unreserved_resources', 'reserved_resources_full', 'unreserved_resources_full', 'reserved_resources_allocated', 'unreserved_resources_allocated', 'resource_providers', 'attributes', 'master_hostname', 'log_dir', 'flags', 'frameworks', 'completed_frameworks'];
  if (existsSync(SAMPLE)) assert.equal(keys(JSON.parse(readFileSync(SAMPLE, 'utf8')) as Ev), [...mesosTop].sort(), 'the recorded sample has these keys');
  assert.equal(keys(s), [...mesosTop.filter((k) => !absent.includes(k)), 'isolation', ...(agent.isolationFallback !== undefined ? ['isolation_fallback'] : [])].sort());
  assert.is(s.id, agent.agentId);
  assert.is(s.version, '1.12.0');
  assert.equal(s.resources, { disk: 1024, mem: 2048, gpus: 0, cpus: 2, ports: '[31000-31099]' });
  assert.equal(s.unreserved_resources_full[0], { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: '*' });
  assert.equal(s.unreserved_resources_allocated, { disk: 0, mem: 64, gpus: 0, cpus: 0.3 }, 'what the running task holds');
  assert.is(s.isolation, agent.isolation);
  assert.is(s.flags.isolation, 'auto');
  assert.is(s.flags.work_dir, `${cluster.dir}/agent-1`);
  assert.is(s.flags.kill_grace_period, '500ms');
  assert.ok(Object.values(s.flags as Ev).every((v) => typeof v === 'string'), 'flags are strings, as Mesos');

  // A framework, an executor, a task: the keys of the recorded Mesos agent.
  const sample = existsSync(SAMPLE) ? (JSON.parse(readFileSync(SAMPLE, 'utf8')) as Ev).completed_frameworks[0] : undefined;
  const f = (s.frameworks as Ev[])[0]!;
  const fwKeys = ['id', 'name', 'user', 'failover_timeout', 'checkpoint', 'hostname', 'role', 'executors', 'completed_executors'];
  assert.equal(keys(f), [...fwKeys].sort());
  if (sample) assert.equal(keys(sample), [...fwKeys].sort());
  assert.is(f.id, fw.frameworkId);
  assert.is(f.name, 'agent-http-it');
  assert.is(f.role, '*');
  const ex = (f.executors as Ev[]).find((e) => e.id === 'sleeper')!;
  const exKeys = ['id', 'name', 'source', 'container', 'directory', 'resources', 'role', 'tasks', 'queued_tasks', 'completed_tasks'];
  assert.equal(keys(ex), [...exKeys].sort());
  if (sample) assert.equal(keys(sample.completed_executors[0]), [...exKeys].sort());
  assert.is(ex.name, "Command Executor (Task: sleeper) (Command: sh -c 'exec sleep 600')");
  assert.is(ex.source, 'sleeper');
  assert.ok(existsSync(`${ex.directory}/stdout`), 'the executor directory is the sandbox');
  assert.ok(String(ex.directory).endsWith(`/runs/${ex.container}`));
  assert.equal(ex.resources, { disk: 0, mem: 64, gpus: 0, cpus: 0.3 });
  const task = (ex.tasks as Ev[])[0]!;
  const taskKeys = ['id', 'name', 'framework_id', 'executor_id', 'slave_id', 'state', 'resources', 'role', 'statuses'];
  assert.equal(keys(task), [...taskKeys].sort());
  if (sample) assert.equal(keys(sample.completed_executors[0].completed_tasks[0]), [...taskKeys].sort());
  assert.is(task.state, 'TASK_RUNNING');
  assert.is(task.executor_id, '', 'a command task names no executor, as in Mesos');
  assert.equal((task.statuses as Ev[]).map((x) => x.state), ['TASK_STARTING', 'TASK_RUNNING']);
  assert.equal(keys((task.statuses as Ev[])[0]!), ['container_status', 'state', 'timestamp']);
  assert.equal((task.statuses as Ev[])[0]!.container_status, { container_id: { value: ex.container } });
  const doneEx = (f.completed_executors as Ev[])[0]!;
  assert.is(doneEx.id, 'done');
  assert.equal(doneEx.tasks, []);
  assert.equal((doneEx.completed_tasks as Ev[]).map((t) => t.state), ['TASK_FINISHED']);
  assert.is(readFileSync(`${doneEx.directory}/stdout`, 'utf8'), 'hi\n');
  assert.equal(s.completed_frameworks, []);

  // Once nothing of the framework runs here, it is a completed framework.
  await killAll(['sleeper']);
  const after = await waitFor(async () => {
    const st = (await get('/state.json')).json();
    return (st.frameworks as Ev[]).length === 0 ? st : undefined;
  }, 'the framework to be completed');
  const cf = (after.completed_frameworks as Ev[])[0]!;
  assert.is(cf.id, fw.frameworkId);
  assert.equal((cf.completed_executors as Ev[]).map((e) => e.id).sort(), ['done', 'sleeper']);
  assert.equal((await get('/slave(1)/state')).json().completed_frameworks.length, 1, 'the legacy path serves the same');
});

test('/monitor/statistics: real rss for a task that allocates, cpu time that grows for a busy loop, the process count, the limits', async () => {
  await launch([
    { taskId: 'mem', resources: 'cpus:0.2;mem:256', command: `exec ${NODE} -e "const b=Buffer.alloc(96*1024*1024,1);setInterval(()=>b[0]++,1000)"` },
    { taskId: 'busy', resources: 'cpus:0.5;mem:32', command: 'while :; do :; done' },
    { taskId: 'procs', resources: 'cpus:0.1;mem:32', command: 'sleep 1000 & sleep 1000 & wait' },
  ]);
  const stats = async (): Promise<Map<string, Ev>> => {
    const r = await get('/monitor/statistics');
    assert.is(r.status, 200);
    return new Map((r.json() as unknown as Ev[]).map((e) => [String(e.executor_id), e]));
  };
  const mem = await waitFor(async () => {
    const e = (await stats()).get('mem');
    return e !== undefined && Number(e.statistics.mem_rss_bytes) >= 96 * MIB ? e : undefined;
  }, 'the allocating task to show its rss', 20_000);
  assert.equal(keys(mem), ['executor_id', 'executor_name', 'framework_id', 'source', 'statistics']);
  assert.is(mem.framework_id, fw.frameworkId);
  assert.is(mem.statistics.mem_limit_bytes, 256 * MIB);
  assert.is(mem.statistics.cpus_limit, 0.2);
  assert.ok(Math.abs(mem.statistics.timestamp - Date.now() / 1000) < 30, 'timestamp in seconds');
  assert.ok(mem.statistics.mem_rss_bytes < 256 * MIB);

  const cpu = (e: Ev): number => Number(e.statistics.cpus_user_time_secs) + Number(e.statistics.cpus_system_time_secs);
  const first = cpu((await stats()).get('busy')!);
  await waitFor(async () => cpu((await stats()).get('busy')!) > first + 0.3, 'the busy loop to use 0.3 s more cpu', 30_000, 200);
  const procs = await waitFor(async () => {
    const e = (await stats()).get('procs');
    return e?.statistics.processes === 3 ? e : undefined;
  }, 'the shell and its two sleeps to be counted');
  assert.is(procs.statistics.processes, 3);
  assert.is((await stats()).get('busy')!.statistics.processes, 1);
  await killAll(['mem', 'busy', 'procs']);
  await waitFor(async () => (await stats()).size === 0, 'no statistics once nothing runs');
});

test('/files: browse and read a sandbox (real and virtual paths), download, Mesos\'s read semantics', async () => {
  await launch([
    {
      taskId: 'files',
      resources: 'cpus:0.1;mem:32',
      command:
        "echo hello-stdout; echo err >&2; printf abcdefghij > data.txt; head -c 100000 /dev/zero | tr '\\0' a > big.txt; mkdir sub; ln -s /etc/passwd leak; ln -s / rootlink; ln -s data.txt inside; touch ready; exec sleep 600",
    },
  ]);
  const st = (await get('/state')).json();
  const dir = String(((st.frameworks as Ev[])[0]!.executors as Ev[]).find((e) => e.id === 'files')!.directory);
  await waitFor(() => existsSync(`${dir}/ready`), 'the task to write its files');

  const b = await get(`/files/browse?path=${q(dir)}`);
  assert.is(b.status, 200);
  const entries = b.json() as unknown as Ev[];
  assert.equal(entries.map((e) => e.path), ['big.txt', 'data.txt', 'inside', 'leak', 'ready', 'rootlink', 'stderr', 'stdout', 'sub'].map((n) => `${dir}/${n}`));
  const data = entries.find((e) => e.path === `${dir}/data.txt`)!;
  assert.equal(keys(data), ['gid', 'mode', 'mtime', 'nlink', 'path', 'size', 'uid']);
  assert.is(data.size, 10);
  assert.is(data.nlink, 1);
  assert.match(data.mode, /^-rw/);
  assert.is(typeof data.uid, 'string');
  assert.ok(Math.abs(data.mtime - Date.now() / 1000) < 120);
  assert.match(entries.find((e) => e.path === `${dir}/sub`)!.mode, /^d/);
  // A symlink out of the sandbox is listed as the link itself (nothing of its target); one inside as its target.
  const leak = entries.find((e) => e.path === `${dir}/leak`)!;
  assert.match(leak.mode, /^l/);
  assert.is(leak.size, '/etc/passwd'.length);
  assert.match(entries.find((e) => e.path === `${dir}/rootlink`)!.mode, /^l/);
  assert.equal([entries.find((e) => e.path === `${dir}/inside`)!.mode.slice(0, 1), entries.find((e) => e.path === `${dir}/inside`)!.size], ['-', 10]);

  // Mesos's virtual path for the executor's latest run.
  const latest = `/frameworks/${fw.frameworkId}/executors/files/runs/latest`;
  const vb = (await get(`/files/browse?path=${q(latest)}`)).json() as unknown as Ev[];
  assert.ok(vb.some((e) => e.path === `${latest}/stdout`));

  const read = async (p: string, extra = ''): Promise<Got> => get(`/files/read?path=${q(p)}${extra}`);
  assert.equal((await read(`${dir}/stdout`, '&offset=0')).json(), { data: 'hello-stdout\n', offset: 0 });
  assert.equal((await read(`${latest}/stderr`, '&offset=0')).json(), { data: 'err\n', offset: 0 });
  assert.equal((await read(`${dir}/data.txt`, '&offset=2&length=3')).json(), { data: 'cde', offset: 2 });
  assert.equal((await read(`${dir}/data.txt`, '&offset=-1')).json(), { data: '', offset: 10 }, 'offset -1 gives the length');
  assert.equal((await read(`${dir}/data.txt`)).json(), { data: '', offset: 10 }, 'no offset: the length too');
  assert.equal((await read(`${dir}/data.txt`, '&offset=8&length=-1')).json(), { data: 'ij', offset: 8 });
  assert.equal((await read(`${dir}/data.txt`, '&offset=50')).json(), { data: '', offset: 50 }, 'past the end: nothing');
  assert.equal((await read(`${dir}/inside`, '&offset=0')).json(), { data: 'abcdefghij', offset: 0 }, 'a symlink inside the sandbox is followed');
  assert.is(String((await read(`${dir}/big.txt`, '&offset=0')).json().data).length, 65536, 'one read is at most 16 pages');

  const dl = await get(`/files/download?path=${q(`${dir}/stdout`)}`);
  assert.is(dl.status, 200);
  assert.is(dl.text, 'hello-stdout\n');
  assert.is(dl.headers.get('content-type'), 'application/octet-stream');
  assert.is((await get(`/files/download?path=${q(`${dir}/sub`)}`)).status, 400);
  await killAll(['files']);
  // A finished task's sandbox stays readable (until it is garbage-collected).
  assert.equal((await read(`${dir}/stdout`, '&offset=0&length=5')).json(), { data: 'hello', offset: 0 });
});

test('/files: a file swapped for a symlink out of the sandbox between resolving and opening is refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mesos-files-'));
  try {
    writeFileSync(join(root, 'f'), 'inside');
    const r = await resolvePath(join(root, 'f'), new Map([[root, root]]));
    assert.ok(r.ok);
    if (!r.ok) return;
    const fine = await openConfined(r.value);
    assert.ok(fine.ok);
    if (fine.ok) await fine.value.close();
    rmSync(join(root, 'f'));
    symlinkSync('/etc/passwd', join(root, 'f'));
    const swapped = await openConfined(r.value);
    assert.ok(!swapped.ok && swapped.status === 400, JSON.stringify(swapped));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('/files refuses every path outside the sandboxes, as Mesos: 400 for a way out, 404 for elsewhere, 400 for bad input', async () => {
  const st = (await get('/state')).json();
  const ex = ((st.completed_frameworks as Ev[]).concat(st.frameworks as Ev[]).flatMap((f) => (f.completed_executors as Ev[]).concat(f.executors as Ev[]))).find((e) => e.id === 'files')!;
  const dir = String(ex.directory);
  const latestRoot = `/frameworks/${fw.frameworkId}/executors/files/runs/latest`;
  const up = '/..'.repeat(40); // more than the sandbox is deep: up to /
  const cases: Array<[string, number, RegExp | string]> = [
    // Out through `..`, a symlink to a file, a symlink to a directory: 400, "inaccessible".
    [`/files/read?offset=0&path=${q(`${dir}${up}/etc/passwd`)}`, 400, /is inaccessible/],
    [`/files/browse?path=${q(`${dir}/..`)}`, 400, /is inaccessible/],
    [`/files/read?offset=0&path=${q(`${dir}/leak`)}`, 400, /is inaccessible/],
    [`/files/browse?path=${q(`${dir}/rootlink`)}`, 400, /is inaccessible/],
    [`/files/read?offset=0&path=${q(`${dir}/rootlink/etc/passwd`)}`, 400, /is inaccessible/],
    [`/files/download?path=${q(`${dir}/leak`)}`, 400, /is inaccessible/],
    [`/files/read?offset=0&path=${q(`${latestRoot}${up}/etc/passwd`)}`, 400, /is inaccessible/],
    // Not in a sandbox, or not there (a way out to nothing, too, as Mesos): 404.
    [`/files/read?offset=0&path=${q(`${dir}${up}/no/such/file`)}`, 404, ''],
    [`/files/read?offset=0&path=${q('/etc/passwd')}`, 404, ''],
    [`/files/browse?path=${q('/etc')}`, 404, ''],
    [`/files/browse?path=${q('/')}`, 404, ''],
    [`/files/read?offset=0&path=stdout`, 404, ''],
    [`/files/read?offset=0&path=${q(`${dir}-other/stdout`)}`, 404, ''],
    [`/files/read?offset=0&path=${q(`/etc/../${dir}/stdout`)}`, 404, ''],
    [`/files/read?offset=0&path=${q(`${dir}/missing`)}`, 404, ''],
    [`/files/browse?path=${q(`/frameworks/${fw.frameworkId}/executors/nope/runs/latest`)}`, 404, ''],
    // Bad requests: 400 with Mesos's messages.
    ['/files/browse', 400, "Expecting 'path=value' in query.\n"],
    ['/files/read?path=', 400, "Expecting 'path=value' in query.\n"],
    [`/files/read?path=${q(`${dir}/stdout`)}&offset=abc`, 400, /^Failed to parse offset/],
    [`/files/read?path=${q(`${dir}/stdout`)}&offset=-2`, 400, 'Negative offset provided: -2.\n'],
    [`/files/read?path=${q(`${dir}/stdout`)}&offset=0&length=-5`, 400, 'Negative length provided: -5.\n'],
    [`/files/read?path=${q(`${dir}/stdout`)}&offset=0&length=1.5`, 400, /^Failed to parse length/],
    [`/files/read?path=${q(`${dir}/sub`)}&offset=0`, 400, 'Cannot read a directory.\n'],
  ];
  for (const [path, status, body] of cases) {
    const r = await get(path);
    assert.is(r.status, status, `${decodeURIComponent(path)} → ${r.status} ${r.text}`);
    if (typeof body === 'string') assert.is(r.text, body, path);
    else assert.match(r.text, body, path);
    assert.not.match(r.text, /root:x:0:0/, 'no byte of the file leaks');
  }
});

test('/monitor/statistics under posix isolation: the numbers come from /proc (rss, cpu time, processes of the task\'s session)', async () => {
  const posix = await startAgent(
    { nats: cluster.nats.url, creds: cluster.creds('agent', randomUUID()), workDir: join(cluster.dir, 'agent-posix'), resources: 'cpus:2;mem:1024;disk:100', isolation: 'posix', killGracePeriodMs: 500, allowRootTasks: true },
    cluster.log,
  );
  cluster.agents.push(posix); // stopped with the cluster
  assert.is(posix.isolation, 'posix');
  const pbase = `http://127.0.0.1:${posix.httpPort}`;
  assert.is(((await (await fetch(`${pbase}/state`)).json()) as Ev).isolation, 'posix');
  // An offer of the posix agent (the other agent's are declined for long).
  const offer = await waitFor(async () => {
    const o = await offers.next('an offer of the posix agent', 15_000);
    if (o.agentId === posix.agentId) return o;
    await fw.decline([o.id], 600);
    return undefined;
  }, 'an offer of the posix agent');
  const tasks = [
    { taskId: 'p-mem', resources: 'cpus:0.2;mem:256', command: `exec ${NODE} -e "const b=Buffer.alloc(96*1024*1024,1);setInterval(()=>b[0]++,1000)"` },
    { taskId: 'p-busy', resources: 'cpus:0.5;mem:32', command: 'while :; do :; done' },
    { taskId: 'p-procs', resources: 'cpus:0.1;mem:32', command: 'sleep 1000 & sleep 1000 & wait' },
  ];
  const running = tasks.map((t) => update(t.taskId, (u) => u.state === 'TASK_RUNNING' || isTerminal(u.state)));
  await fw.accept([offer.id], tasks.map((t) => ({ ...t, agentId: posix.agentId })));
  await Promise.all(running);
  const stats = async (): Promise<Map<string, Ev>> => {
    const list = (await (await fetch(`${pbase}/monitor/statistics`)).json()) as Ev[];
    return new Map(list.map((e) => [String(e.executor_id), e]));
  };
  const mem = await waitFor(async () => {
    const e = (await stats()).get('p-mem');
    return e !== undefined && Number(e.statistics.mem_rss_bytes) >= 96 * MIB ? e : undefined;
  }, 'the allocating task to show its rss', 20_000);
  assert.is(mem.statistics.mem_limit_bytes, 256 * MIB);
  assert.not.ok('mem_total_bytes' in mem.statistics, 'posix cannot tell the page cache');
  const cpu = (e: Ev): number => Number(e.statistics.cpus_user_time_secs) + Number(e.statistics.cpus_system_time_secs);
  const first = cpu((await stats()).get('p-busy')!);
  await waitFor(async () => cpu((await stats()).get('p-busy')!) > first + 0.3, 'the busy loop to use 0.3 s more cpu', 30_000, 200);
  await waitFor(async () => (await stats()).get('p-procs')?.statistics.processes === 3, 'the shell and its two sleeps');
  await killAll(tasks.map((t) => t.taskId));
});

test.run();
