/**
 * The isolators, end to end through a real master and real agents on this host's cgroups (v1
 * here) and namespaces: memory, pids and CFS quota limits enforced; a pid namespace (and killing
 * it kills everything in it, even a process that left the task's session); a private /tmp; an
 * empty network namespace; ports in the environment; the disk limit; GPUs given by --resources
 * (bookkeeping, environment and the devices cgroup: no GPU on this machine); URIs fetched;
 * task groups all or none. Nothing left behind at the end.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type TaskInfo, type TaskStatus, isTerminal } from '../../events/index.js';
import { type AgentHandle, type AgentOptionsInput, startAgent } from '../../agent/index.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { type Scheduler, type TaskSpec, subscribe, toTaskInfo } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { parseResources } from '../../kernel/core/resources.js';
import { cgroupsUnder, killProcessesUnder, processesUnder, removeCgroupsUnder } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';
import { readProcStat } from '../../agent/isolation/proc.js';

const log = testLog();
let nats: SecureTestNats;
let master: MasterHandle;
let fw: Scheduler;
let dir: string;
let http: Server;
let httpUrl: string;
/** Requests for /slow seen by the file server (a fetch of it has begun). */
let slowRequests = 0;
const cgroupsRoot = `mesos-test-${randomUUID().slice(0, 8)}`;
const seen: TaskStatus[] = [];
const agents: AgentHandle[] = [];
/** Full isolation, cgroups: the agent most tests use. */
let full: AgentHandle;
/** posix + pid namespace: a setsid'ed process escapes the session, not the namespace. */
let posixNs: AgentHandle;

async function addAgent(name: string, o: Partial<AgentOptionsInput>): Promise<AgentHandle> {
  const a = await startAgent({ nats: nats.url, creds: nats.creds('agent', `agent-${randomUUID()}`), workDir: join(dir, name), cgroupsRoot, killGracePeriodMs: 500, allowRootTasks: true, ...o }, log);
  agents.push(a);
  await waitFor(() => master.state().agents.get(a.agentId)?.status === 'ACTIVE', `agent ${name} to register`);
  return a;
}

test.before(async () => {
  // Under /tmp on purpose (as `mesos dev`'s work dir): the private /tmp must not hide the sandbox.
  dir = mkdtempSync(join('/tmp', 'mesos-isolators-'));
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', 'm1'), port: 0, allocationIntervalMs: 100 }, log);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  full = await addAgent('full', {
    resources: 'cpus:2;mem:2048;disk:2048;ports:[31000-31009];gpus:2',
    isolation: 'cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,filesystem/linux,namespaces/network,disk/du,gpu/nvidia',
    cgroupsEnableCfs: true,
    cgroupsPidsMax: 32,
    diskWatchIntervalMs: 200,
  });
  posixNs = await addAgent('posix-ns', { resources: 'cpus:1;mem:512;disk:512', isolation: 'posix,namespaces/pid' });
  fw = await subscribe({ ...nats.framework(), name: 'isolators-test', log, capabilities: ['GPU_RESOURCES'] });
  fw.updates$.subscribe((u) => {
    seen.push(u);
    void fw.acknowledge(u).catch(() => undefined);
  });
  const files = join(dir, 'served');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello over http\n');
  http = createServer((req, res) => {
    if (req.url === '/slow') {
      slowRequests++;
      res.writeHead(200);
      res.write('x'); // and never more: a download that does not end
      return;
    }
    const f = join(files, (req.url ?? '/').slice(1));
    if (!existsSync(f)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(readFileSync(f));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
});

test.after(async () => {
  await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
  await killProcessesUnder(dir);
  await removeCgroupsUnder(cgroupsRoot);
  await fw?.close();
  await master?.stop();
  await nats?.stop();
  http?.closeAllConnections();
  await new Promise((r) => http?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Accept offers from `agent` with these tasks (one LAUNCH, or a LAUNCH_GROUP): waits until the
 * agent's outstanding offers (freed resources come as offers of their own) hold what they need.
 */
async function launchOn(agent: AgentHandle, tasks: TaskSpec[], group?: { executorId: string; resources: string }): Promise<void> {
  const need = R.add(...tasks.map((t) => toTaskInfo(t).resources), group === undefined ? [] : [...parseResources(group.resources)]);
  const ids = await waitFor(() => {
    const mine = fw.outstandingOffers().filter((o) => o.agentId === agent.agentId);
    return R.contains(R.add(...mine.map((o) => o.resources)), need) ? mine.map((o) => o.id) : undefined;
  }, `offers from ${agent.agentId} holding ${R.format(need)}`, 20_000);
  if (group === undefined) await fw.accept(ids, tasks, { refuseSeconds: 0 });
  else await fw.acceptOperations(ids, [{ type: 'LAUNCH_GROUP', executor: { executorId: group.executorId, resources: group.resources }, tasks }], { refuseSeconds: 0 });
}

const task = (agent: AgentHandle, taskId: string, command: string | NonNullable<TaskInfo['command']>, resources = 'cpus:0.1;mem:32', extra: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId,
  agentId: agent.agentId,
  resources,
  command,
  ...extra,
});

const terminalOf = (taskId: string, ms = 30_000): Promise<TaskStatus> =>
  waitFor(() => seen.find((s) => s.taskId === taskId && isTerminal(s.state)), `task ${taskId} to end`, ms);
const runningOf = (taskId: string): Promise<TaskStatus> => waitFor(() => seen.find((s) => s.taskId === taskId && s.state === 'TASK_RUNNING'), `task ${taskId} to run`);

function sandboxOf(agent: AgentHandle, taskId: string): string {
  const t = agent.tasks().find((x) => x.taskId === taskId);
  if (t !== undefined) return t.sandbox;
  // ended: its container id is in its updates; its sandbox is under its executor
  const containerId = seen.find((s) => s.taskId === taskId && s.containerId !== undefined)?.containerId;
  const root = join(agent.workDir, 'slaves', agent.agentId, 'frameworks', fw.frameworkId, 'executors');
  for (const ex of readdirSync(root)) if (containerId !== undefined && existsSync(join(root, ex, 'runs', containerId))) return join(root, ex, 'runs', containerId);
  throw new Error(`no sandbox for ${taskId}`);
}

const stdout = (agent: AgentHandle, taskId: string): string => readFileSync(join(sandboxOf(agent, taskId), 'stdout'), 'utf8');

test('memory: a task over its limit is OOM-killed: TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY', async () => {
  await launchOn(full, [task(full, 'oom', 'python3 -c "b = bytearray(200*1024*1024); import time; time.sleep(30)"', 'cpus:0.1;mem:32')]);
  const end = await terminalOf('oom');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  assert.match(end.message ?? '', /^Memory limit exceeded: Requested: 32MB/);
});

test('pids: a task cannot fork past --cgroups-pids-max; the message says so', async () => {
  await launchOn(full, [task(full, 'forks', 'i=0; while [ $i -lt 64 ]; do sleep 30 & i=$((i+1)); done; echo all forked; wait')]);
  const end = await terminalOf('forks');
  assert.is(end.state, 'TASK_FAILED');
  assert.match(end.message ?? '', /reached its process limit: \d+ forks? refused/);
  assert.not.match(stdout(full, 'forks'), /all forked/);
});

test('cpu: with --cgroups-enable-cfs a busy task gets at most its cpus (quota written, usage measured)', async () => {
  await launchOn(full, [task(full, 'busy', 'echo ready; while :; do :; done', 'cpus:0.2;mem:32')]);
  await runningOf('busy');
  await waitFor(() => stdout(full, 'busy').includes('ready'), 'the busy loop to start');
  const t = full.tasks().find((x) => x.taskId === 'busy')!;
  const quota = readFileSync(`/sys/fs/cgroup/cpu/${cgroupsRoot}/${full.agentId}/${t.containerId}/cpu.cfs_quota_us`, 'utf8').trim();
  assert.is(quota, '20000');
  const u1 = await t.container!.usage();
  const t1 = Date.now();
  await waitFor(() => Date.now() - t1 >= 2000 || undefined, 'two seconds of CPU accounting', 5000, 100);
  const u2 = await t.container!.usage();
  const wall = (Date.now() - t1) / 1000;
  const cpu = (u2.cpuUserSecs ?? 0) + (u2.cpuSystemSecs ?? 0) - ((u1.cpuUserSecs ?? 0) + (u1.cpuSystemSecs ?? 0));
  assert.ok(cpu / wall <= 0.2 * 1.25, `used ${(cpu / wall).toFixed(3)} cores with a quota of 0.2`);
  assert.ok(cpu > 0, 'it did run');
  assert.is(u2.cpusLimit, 0.2);
  await fw.kill('busy');
  assert.is((await terminalOf('busy')).state, 'TASK_KILLED');
});

test('pid namespace: the task sees its own processes only, its init as pid 1', async () => {
  await launchOn(full, [task(full, 'pidns', 'echo "me=$$"; echo "init=$(cat /proc/1/cmdline | tr "\\0" " ")"; echo "count=$(ls /proc | grep -c "^[0-9]")"')]);
  assert.is((await terminalOf('pidns')).state, 'TASK_FINISHED');
  const out = stdout(full, 'pidns');
  // Each setup step the init runs first (a bind mount, the read-only cgroup remounts, `ip link`) is a process of the namespace too.
  assert.ok(Number(/^me=(\d+)$/m.exec(out)?.[1]) <= 64, `the task has one of the first pids of its namespace: ${out}`);
  assert.ok(out.startsWith('me=') && /^init=\/bin\/sh -c /m.test(out) && /[ ]mesos-init \/bin\/sh -c echo/.test(out), `pid 1 is the init: ${out}`);
  const count = Number(/^count=(\d+)$/m.exec(out)?.[1]);
  assert.ok(count <= 5, `${count} processes visible`);
});

test('pid namespace: killing the task kills every process in it, even one that left its session (posix isolation)', async () => {
  await launchOn(posixNs, [task(posixNs, 'escaper', 'setsid sh -c "echo \\$\\$ > /proc/self/cwd/escaped.pid 2>/dev/null; sleep 1000" & echo ready; wait', 'cpus:0.1;mem:32')]);
  await runningOf('escaper');
  const sb = sandboxOf(posixNs, 'escaper');
  await waitFor(() => existsSync(join(sb, 'escaped.pid')) && readFileSync(join(sb, 'escaped.pid'), 'utf8').trim() !== '', 'the escaped process');
  // its pid inside the namespace is not ours: find it by its cwd from outside
  const escaped = await waitFor(async () => {
    const pids = await processesUnder(sb);
    for (const p of pids) if ((await readProcStat(p))?.comm === 'sleep') return p;
    return undefined;
  }, 'the escaped sleep, seen from the host');
  const stat = await readProcStat(escaped);
  assert.ok(stat !== undefined && stat.session !== posixNs.tasks().find((t) => t.taskId === 'escaper')!.container!.pid, 'it left the task session');
  await fw.kill('escaper');
  assert.is((await terminalOf('escaper')).state, 'TASK_KILLED');
  await waitFor(async () => {
    const s = await readProcStat(escaped);
    return s === undefined || s.state === 'Z';
  }, 'the escaped process to die with the namespace');
});

test('a task run as another user (nobody) in its namespaces: its uid, its private /tmp, its sandbox; loader variables reach it after the drop only', async () => {
  await launchOn(full, [
    task(full, 'as-nobody', {
      value: 'id -u; touch /tmp/mine && echo tmp-ok; touch own && echo sandbox-ok; echo "preload=$LD_PRELOAD"',
      shell: true,
      user: 'nobody',
      environment: { LD_PRELOAD: '' },
    }),
  ]);
  const end = await terminalOf('as-nobody');
  assert.is(end.state, 'TASK_FINISHED', readFileSync(join(sandboxOf(full, 'as-nobody'), 'stderr'), 'utf8'));
  assert.is(stdout(full, 'as-nobody'), '65534\ntmp-ok\nsandbox-ok\npreload=\n');
});

test("a command health check runs inside the task's namespaces: it sees the task's private /tmp and its pid namespace", async () => {
  const marker = `mesos-hc-${randomUUID()}`;
  await launchOn(full, [
    task(full, 'hc-ns', `touch /tmp/${marker}; until [ -e go ]; do sleep 0.1; done`, 'cpus:0.1;mem:32', {
      healthCheck: { type: 'COMMAND', command: { value: `test -e /tmp/${marker} && test "$(ls /proc | grep -c '^[0-9]')" -lt 20` }, delayMs: 0, intervalMs: 200, gracePeriodMs: 5000 },
    }),
  ]);
  await waitFor(() => seen.find((s) => s.taskId === 'hc-ns' && s.healthy === true), 'a healthy update (the check sees the private /tmp)');
  assert.not.ok(existsSync(`/tmp/${marker}`));
  writeFileSync(join(sandboxOf(full, 'hc-ns'), 'go'), '');
  assert.is((await terminalOf('hc-ns')).state, 'TASK_FINISHED');
});

test('private /tmp: what a task writes to /tmp is in its sandbox, not on the host', async () => {
  const name = `mesos-tmp-${randomUUID()}`;
  await launchOn(full, [task(full, 'tmp', `echo secret > /tmp/${name}; ls /tmp`)]);
  assert.is((await terminalOf('tmp')).state, 'TASK_FINISHED');
  // …and, its sandbox lying under /tmp, the first directory of the way to it.
  const wayIn = relative('/tmp', dir).split('/')[0]!;
  assert.equal(stdout(full, 'tmp').trim().split('\n').sort(), [name, wayIn].sort(), 'the task sees only its own /tmp');
  assert.not.ok(existsSync(`/tmp/${name}`), 'not on the host');
  assert.is(readFileSync(join(sandboxOf(full, 'tmp'), 'tmp', name), 'utf8'), 'secret\n');
});

test('private /tmp with the work dir under /tmp: $MESOS_SANDBOX exists inside the task and is its sandbox', async () => {
  assert.ok(full.workDir.startsWith('/tmp/'), 'the agent works under /tmp');
  await launchOn(full, [task(full, 'sbx', 'cd "$MESOS_SANDBOX" && test -f stdout && echo inside > mark && echo "ok $MESOS_SANDBOX"')]);
  const end = await terminalOf('sbx');
  const sandbox = sandboxOf(full, 'sbx');
  assert.is(end.state, 'TASK_FINISHED', `the task could not use $MESOS_SANDBOX: ${readFileSync(join(sandbox, 'stderr'), 'utf8')}`);
  assert.is(stdout(full, 'sbx').trim(), `ok ${sandbox}`);
  assert.is(readFileSync(join(sandbox, 'mark'), 'utf8'), 'inside\n', 'what the task writes to $MESOS_SANDBOX is in the sandbox on the host');
});

test('network NONE: an empty network namespace with only loopback (up); HOST keeps the host network', async () => {
  await launchOn(full, [
    task(full, 'nonet', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; cat /sys/class/net/lo/operstate 2>/dev/null; ip -o link show lo 2>/dev/null | grep -o "UP" | head -1', 'cpus:0.1;mem:32', {
      container: { network: 'NONE' },
    }),
    task(full, 'hostnet', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | wc -l'),
  ]);
  assert.is((await terminalOf('nonet')).state, 'TASK_FINISHED');
  assert.is((await terminalOf('hostnet')).state, 'TASK_FINISHED');
  const lines = stdout(full, 'nonet').trim().split('\n');
  assert.is(lines[0], 'lo');
  assert.ok(lines.includes('UP'), `loopback up: ${lines.join(' ')}`);
  const hostIfaces = Number(execFileSync('/bin/sh', ['-c', 'tail -n +3 /proc/net/dev | wc -l']).toString().trim());
  assert.is(Number(stdout(full, 'hostnet').trim()), hostIfaces);
});

test('network NONE on an agent without namespaces/network: the launch fails with the reason', async () => {
  await launchOn(posixNs, [task(posixNs, 'nonet-refused', 'true', 'cpus:0.1;mem:32', { container: { network: 'NONE' } })]);
  const end = await terminalOf('nonet-refused');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(end.message ?? '', /namespaces\/network/);
});

test('ports: a task gets its ports as PORT0.., PORTS (and PORT), in the order of its ranges', async () => {
  await launchOn(full, [task(full, 'ports', 'echo "$PORT0 $PORT1 $PORT2 $PORTS $PORT"', 'cpus:0.1;mem:32;ports:[31007-31007,31003-31004]')]);
  assert.is((await terminalOf('ports')).state, 'TASK_FINISHED');
  assert.is(stdout(full, 'ports').trim(), '31003 31004 31007 31003,31004,31007 31003');
});

test('disk: a sandbox over its disk is TASK_FAILED, REASON_CONTAINER_LIMITATION_DISK', async () => {
  await launchOn(full, [task(full, 'disk', 'dd if=/dev/zero of=big bs=1M count=8 2>/dev/null; echo written; sleep 60', 'cpus:0.1;mem:32;disk:2')]);
  const end = await terminalOf('disk');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.reason, 'REASON_CONTAINER_LIMITATION_DISK');
  assert.match(end.message ?? '', /^Disk usage \(\d+(\.\d)?MB\) exceeds quota \(2MB\)$/);
});

test('gpus (given by --resources, no GPU here): each task gets its own indices, sees only them, and the devices cgroup denies the others', async () => {
  const probe = 'echo "cuda=$CUDA_VISIBLE_DEVICES"; mknod g0 c 195 0 2>/dev/null && echo g0=ok || echo g0=denied; mknod g1 c 195 1 2>/dev/null && echo g1=ok || echo g1=denied; rm -f g0 g1; until [ -e go ]; do sleep 0.1; done';
  await launchOn(full, [task(full, 'gpu-a', probe, 'cpus:0.1;mem:32;gpus:1'), task(full, 'gpu-b', probe, 'cpus:0.1;mem:32;gpus:1')]);
  await waitFor(() => /g1=/.test(stdout(full, 'gpu-a')) && /g1=/.test(stdout(full, 'gpu-b')), 'both gpu tasks to probe');
  const a = stdout(full, 'gpu-a');
  const b = stdout(full, 'gpu-b');
  const cudaA = /cuda=(\d)/.exec(a)?.[1];
  const cudaB = /cuda=(\d)/.exec(b)?.[1];
  assert.equal([cudaA, cudaB].sort(), ['0', '1'], 'distinct indices');
  for (const [out, mine] of [[a, cudaA], [b, cudaB]] as const) {
    assert.match(out, new RegExp(`g${mine}=ok`));
    assert.match(out, new RegExp(`g${mine === '0' ? '1' : '0'}=denied`));
  }
  for (const id of ['gpu-a', 'gpu-b']) writeFileSync(join(sandboxOf(full, id), 'go'), '');
  for (const id of ['gpu-a', 'gpu-b']) assert.is((await terminalOf(id)).state, 'TASK_FINISHED');
});

test('URIs: a local file, an http URL, a .tar.gz and a .zip are fetched (and unpacked) into the sandbox; executable is honoured', async () => {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'pkg'), { recursive: true });
  writeFileSync(join(src, 'pkg', 'inside.txt'), 'from the tarball\n');
  writeFileSync(join(src, 'script.sh'), '#!/bin/sh\necho script ran\n');
  writeFileSync(join(src, 'zipped.txt'), 'from the zip\n');
  execFileSync('tar', ['-czf', join(src, 'pkg.tar.gz'), '-C', src, 'pkg']);
  execFileSync('/bin/sh', ['-c', `cd ${src} && python3 -c "import zipfile; z=zipfile.ZipFile('z.zip','w'); z.write('zipped.txt'); z.close()"`]);
  await launchOn(full, [
    task(full, 'fetch', {
      value: 'cat hello.txt pkg/inside.txt zipped.txt && ./script.sh && test -e pkg.tar.gz',
      shell: true,
      uris: [
        { value: `${httpUrl}/hello.txt`, extract: true, executable: false },
        { value: join(src, 'pkg.tar.gz'), extract: true, executable: false },
        { value: `file://${join(src, 'z.zip')}`, extract: true, executable: false },
        { value: join(src, 'script.sh'), executable: true, extract: true },
      ],
    }),
  ]);
  const end = await terminalOf('fetch');
  assert.is(end.state, 'TASK_FINISHED', `${end.message} / ${readFileSync(join(sandboxOf(full, 'fetch'), 'stderr'), 'utf8')}`);
  assert.is(stdout(full, 'fetch'), 'hello over http\nfrom the tarball\nfrom the zip\nscript ran\n');
});

test('URIs: a fetch that fails fails the launch with the reason', async () => {
  await launchOn(full, [task(full, 'fetch-404', { value: 'true', shell: true, uris: [{ value: `${httpUrl}/missing.bin`, extract: true, executable: false }] })]);
  const end = await terminalOf('fetch-404');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(end.message ?? '', /HTTP 404/);
  assert.not.ok(
    seen.some((s) => s.taskId === 'fetch-404' && s.state === 'TASK_STARTING'),
    'no TASK_STARTING: the container fails before the task starts (as Mesos)',
  );
});

test('URIs: a task killed while it is being fetched ends TASK_KILLED, REASON_TASK_KILLED_DURING_LAUNCH, at once', async () => {
  await launchOn(full, [task(full, 'fetch-slow', { value: 'true', shell: true, uris: [{ value: `${httpUrl}/slow`, extract: true, executable: false }] })]);
  await waitFor(() => slowRequests > 0 || undefined, 'the fetch to start');
  const t0 = Date.now();
  await fw.kill('fetch-slow');
  const end = await terminalOf('fetch-slow', 10_000);
  assert.is(end.state, 'TASK_KILLED');
  assert.is(end.reason, 'REASON_TASK_KILLED_DURING_LAUNCH');
  assert.ok(Date.now() - t0 < 5_000, 'the download was aborted');
});

test('task group: all or none — one task that cannot be fetched means none runs', async () => {
  await launchOn(
    full,
    [
      task(full, 'g1-ok', 'echo should-not-run > ran; sleep 30'),
      task(full, 'g1-bad', { value: 'true', shell: true, uris: [{ value: '/nonexistent/file', extract: true, executable: false }] }),
    ],
    { executorId: 'group-1', resources: 'cpus:0.1;mem:32' },
  );
  const bad = await terminalOf('g1-bad');
  const ok = await terminalOf('g1-ok');
  assert.is(bad.state, 'TASK_FAILED');
  assert.is(bad.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.is(ok.state, 'TASK_FAILED');
  assert.is(ok.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(ok.message ?? '', /Task group was not launched: task g1-bad/);
  assert.not.ok(seen.some((s) => s.taskId === 'g1-ok' && s.state === 'TASK_RUNNING'));
  assert.not.ok(existsSync(join(sandboxOf(full, 'g1-ok'), 'ran')));
});

test('task group: when one task fails, the others are killed (TASK_KILLED)', async () => {
  await launchOn(
    full,
    [task(full, 'g2-long', 'sleep 60'), task(full, 'g2-fails', 'sleep 0.5; exit 7')],
    { executorId: 'group-2', resources: 'cpus:0.1;mem:32' },
  );
  const failed = await terminalOf('g2-fails');
  assert.is(failed.state, 'TASK_FAILED');
  assert.is(failed.message, 'Command exited with status 7');
  assert.is((await terminalOf('g2-long')).state, 'TASK_KILLED');
});

test('task group: a task that finishes does not stop the others', async () => {
  await launchOn(full, [task(full, 'g3-quick', 'true'), task(full, 'g3-gated', 'until [ -e go ]; do sleep 0.1; done')], { executorId: 'group-3', resources: 'cpus:0.1;mem:32' });
  assert.is((await terminalOf('g3-quick')).state, 'TASK_FINISHED');
  await runningOf('g3-gated');
  writeFileSync(join(sandboxOf(full, 'g3-gated'), 'go'), '');
  assert.is((await terminalOf('g3-gated')).state, 'TASK_FINISHED');
});

test('usage() covers cpu times, memory, limits and processes', async () => {
  await launchOn(full, [task(full, 'usage', 'echo ready; sleep 60', 'cpus:0.3;mem:48;disk:10')]);
  await runningOf('usage');
  await waitFor(() => stdout(full, 'usage').includes('ready'), 'the task to start');
  const u = await full.tasks().find((t) => t.taskId === 'usage')!.container!.usage();
  assert.is(u.cpusLimit, 0.3);
  assert.is(u.memLimitBytes, 48 * 1024 * 1024);
  assert.ok(typeof u.cpuUserSecs === 'number' && typeof u.cpuSystemSecs === 'number');
  assert.ok(typeof u.memRssBytes === 'number');
  assert.ok((u.processes ?? 0) >= 2, `processes: ${u.processes}`);
  await fw.kill('usage');
  await terminalOf('usage');
});

test('nothing is left behind: no task process, no cgroup, once the agents stop', async () => {
  await Promise.all(agents.map((a) => a.stop()));
  assert.equal(await processesUnder(dir), []);
  assert.equal(await cgroupsUnder(cgroupsRoot), []);
});

test.after(() => { if (process.env.SHOW_SEEN) for (const s of seen) console.log(s.taskId, s.state, s.reason ?? "", s.message ?? ""); });
test.run();
