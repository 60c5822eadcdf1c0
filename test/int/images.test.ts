/**
 * Container images end to end on a secured bus (every party with its own credentials): a real
 * master and an agent with `--docker-registry`, a test image built here from busybox-static (a
 * docker archive and an OCI layout, with an /etc/os-release unlike the host's). The task sees the
 * image's root and not the host's, whiteouts hold across layers, the image's config is applied,
 * volumes are bound (RO really read-only), the user switch happens inside the image, bad images
 * fail the launch with the reason, and nothing stays mounted.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { type Scheduler, type TaskSpec, subscribe, toTaskInfo } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { busyboxLayer, haveBusybox, tarOf, writeDockerArchive, writeOciLayout } from '../helpers/image-writer.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
let store: string;
const seen: TaskStatus[] = [];
const OS_RELEASE = 'NAME="mesos-ts test image"\nID=mesosts-busybox\n';

test.before(async () => {
  if (!haveBusybox()) throw new Error('busybox-static is not installed (scripts/busybox.sh installs it)');
  const { mkdtempSync } = await import('node:fs');
  store = mkdtempSync('/tmp/mesos-image-store-');
  const bb = busyboxLayer(OS_RELEASE);
  writeDockerArchive(store, { name: 'busybox:test', layers: [bb] });
  const lower = tarOf([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/motd', type: 'file', content: 'from the lower layer\n' },
    { path: 'srv/', type: 'dir' },
    { path: 'srv/old', type: 'file', content: 'old\n' },
  ]);
  const upper = tarOf([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/.wh.motd', type: 'file' },
    { path: 'srv/', type: 'dir' },
    { path: 'srv/.wh..wh..opq', type: 'file' },
    { path: 'srv/new', type: 'file', content: 'new\n' },
  ]);
  writeOciLayout(store, { name: 'layered:v2', layers: [bb, lower, upper], config: { Env: ['GREETING=from the image', 'PATH=/bin'], WorkingDir: '/srv', Cmd: ['/bin/sh', '-c', 'echo cmd'] } });
  writeDockerArchive(store, { name: 'hostile:escape', layers: [bb, tarOf([{ path: 'x', type: 'symlink', linkname: '../../../../../../../etc' }, { path: 'x/pwned', type: 'file', content: 'x' }])] });
  cluster = await startCluster({
    agents: 1,
    agentResources: 'cpus:4;mem:2048;disk:2048',
    agent: { dockerRegistry: store, isolation: 'cgroups/cpu,cgroups/mem,namespaces/pid,filesystem/linux' },
  });
  fw = await subscribe({ nats: cluster.nats.url, name: 'images-test', log: cluster.log, creds: cluster.secure!.creds('framework', randomUUID()), user: 'root' });
  fw.updates$.subscribe((u) => {
    seen.push(u);
    void fw.acknowledge(u).catch(() => undefined);
  });
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
  const { rmSync } = await import('node:fs');
  if (store !== undefined) rmSync(store, { recursive: true, force: true });
});

async function launch(tasks: TaskSpec[]): Promise<void> {
  const agent = cluster.agents[0]!;
  const need = R.add(...tasks.map((t) => toTaskInfo(t).resources));
  const ids = await waitFor(() => {
    const mine = fw.outstandingOffers().filter((o) => o.agentId === agent.agentId);
    return R.contains(R.add(...mine.map((o) => o.resources)), need) ? mine.map((o) => o.id) : undefined;
  }, 'offers holding the tasks', 20_000);
  await fw.accept(ids, tasks, { refuseSeconds: 0 });
}

const imageTask = (taskId: string, image: string, command: TaskSpec['command'], extra: Partial<NonNullable<TaskSpec['container']>> = {}): TaskSpec => ({
  taskId,
  agentId: cluster.agents[0]!.agentId,
  resources: 'cpus:0.1;mem:32',
  command,
  container: { image: { type: 'DOCKER', name: image }, ...extra },
});

const terminalOf = (taskId: string, ms = 30_000): Promise<TaskStatus> => waitFor(() => seen.find((s) => s.taskId === taskId && isTerminal(s.state)), `task ${taskId} to end`, ms);

function sandboxOf(taskId: string): string {
  const agent = cluster.agents[0]!;
  const containerId = seen.find((s) => s.taskId === taskId && s.containerId !== undefined)?.containerId;
  const root = join(agent.workDir, 'slaves', agent.agentId, 'frameworks', fw.frameworkId, 'executors');
  for (const ex of readdirSync(root)) if (containerId !== undefined && existsSync(join(root, ex, 'runs', containerId))) return join(root, ex, 'runs', containerId);
  throw new Error(`no sandbox for ${taskId}`);
}
const out = (taskId: string, f = 'stdout'): string => readFileSync(join(sandboxOf(taskId), f), 'utf8');

async function finished(taskId: string): Promise<string> {
  const end = await terminalOf(taskId);
  assert.is(end.state, 'TASK_FINISHED', `${taskId}: ${end.message ?? ''} ${out(taskId, 'stderr')}`);
  return out(taskId);
}

test("a task in a docker-archive image sees the image's root, not the host's: os-release, /, its sandbox at /mnt/mesos/sandbox, /proc, /sys read-only, /dev", async () => {
  await launch([
    imageTask(
      'root-view',
      'busybox:test',
      'cat /etc/os-release; echo "root: $(ls / | tr "\\n" " ")"; echo "sandbox=$MESOS_SANDBOX pwd=$(pwd)"; echo written > $MESOS_SANDBOX/mark; ' +
        'echo "procs=$(ls /proc | grep -c "^[0-9]")"; touch /sys/x 2>/dev/null && echo sys-rw || echo sys-ro; echo x > /dev/null && echo null-ok; echo "dev: $(ls /dev | tr "\\n" " ")"; cat /etc/hosts >/dev/null && echo hosts-ok',
    ),
  ]);
  const text = await finished('root-view');
  assert.ok(text.startsWith(OS_RELEASE), `the image's os-release: ${text}`);
  assert.not.equal(readFileSync('/etc/os-release', 'utf8'), OS_RELEASE);
  const root = /root: (.*)/.exec(text)?.[1]?.trim().split(' ');
  assert.equal(root, ['bin', 'dev', 'etc', 'mnt', 'proc', 'root', 'sys', 'tmp'], `no host directory in /: ${text}`);
  assert.match(text, 'sandbox=/mnt/mesos/sandbox pwd=/mnt/mesos/sandbox');
  assert.is(readFileSync(join(sandboxOf('root-view'), 'mark'), 'utf8'), 'written\n', 'a write to $MESOS_SANDBOX lands in the sandbox on the host');
  const procs = Number(/procs=(\d+)/.exec(text)?.[1]);
  assert.ok(procs >= 1 && procs < 10, `its own pid namespace in /proc: ${procs}`);
  assert.match(text, 'sys-ro');
  assert.match(text, 'null-ok');
  assert.match(text, /dev: .*null .*tty .*urandom/);
  assert.match(text, 'hosts-ok');
});

test("an OCI layout with three layers: whiteouts and an opaque dir hold in the task; the image's Env and WorkingDir apply (shell: false), the task's env over the image's", async () => {
  await launch([
    imageTask('layered', 'layered:v2', {
      value: '/bin/sh',
      shell: false,
      arguments: ['sh', '-c', 'cat /etc/motd 2>/dev/null || echo no-motd; ls /srv; pwd; echo "$GREETING / $OTHER / $PATH"'],
      environment: { OTHER: 'from the task' },
    }),
  ]);
  const lines = (await finished('layered')).trim().split('\n');
  assert.equal(lines, ['no-motd', 'new', '/srv', 'from the image / from the task / /bin']);
});

test("no command value with shell false: the image's Cmd runs; with arguments, Cmd[0] with them (Mesos's docker/runtime table)", async () => {
  await launch([
    imageTask('image-cmd', 'layered:v2', { value: '', shell: false }),
    imageTask('image-cmd-args', 'layered:v2', { value: '', shell: false, arguments: ['-c', 'echo args $GREETING'] }),
  ]);
  assert.is((await finished('image-cmd')).trim(), 'cmd');
  assert.is((await finished('image-cmd-args')).trim(), 'args from the image');
});

test('volumes: HOST_PATH read-only is really read-only (even for root), HOST_PATH RW writes to the host, SANDBOX_PATH is in the sandbox', async () => {
  const ro = join(cluster.dir, 'vol-ro');
  const rw = join(cluster.dir, 'vol-rw');
  mkdirSync(ro);
  mkdirSync(rw);
  writeFileSync(join(ro, 'data'), 'read me\n');
  await launch([
    imageTask('volumes', 'busybox:test', 'cat /data/ro/data; echo x > /data/ro/new 2>&1 || echo ro-refused; echo wrote > /data/rw/out && echo rw-ok; echo s > cache/file && echo sandbox-ok', {
      volumes: [
        { containerPath: '/data/ro', mode: 'RO', source: { type: 'HOST_PATH', path: ro } },
        { containerPath: '/data/rw', mode: 'RW', source: { type: 'HOST_PATH', path: rw } },
        { containerPath: 'cache', mode: 'RW', source: { type: 'SANDBOX_PATH', path: 'shared-cache' } },
      ],
    }),
  ]);
  const text = await finished('volumes');
  assert.match(text, 'read me');
  assert.match(text, 'ro-refused');
  assert.match(out('volumes', 'stderr'), 'Read-only file system');
  assert.not.ok(existsSync(join(ro, 'new')));
  assert.is(readFileSync(join(rw, 'out'), 'utf8'), 'wrote\n');
  assert.is(readFileSync(join(sandboxOf('volumes'), 'shared-cache', 'file'), 'utf8'), 's\n');
});

test("the task's user is switched inside the image (unshare --setuid after the chroot)", async () => {
  await launch([imageTask('as-nobody', 'busybox:test', { value: 'id -u; id -g; echo hi > $MESOS_SANDBOX/by-nobody && echo can-write', shell: true, user: 'nobody' })]);
  const text = await finished('as-nobody');
  assert.equal(text.trim().split('\n'), ['65534', '65534', 'can-write']);
});

test("a command check of an image task runs in the image's root (its os-release), as the task's user", async () => {
  await launch([
    {
      ...imageTask('checked', 'busybox:test', { value: 'sleep 30', shell: true, user: 'nobody' }),
      check: { type: 'COMMAND', command: { value: 'grep -q "^ID=mesosts-busybox$" /etc/os-release && test ! -e /usr && test "$(id -u)" = 65534' }, delayMs: 0, intervalMs: 300 },
    },
  ]);
  // A check with no delay may run before the task's init has made its mounts (TASK_RUNNING is sent
  // once the task is in its own session): that first result can fail; the next ones see the image.
  const checked = await waitFor(() => seen.find((s) => s.taskId === 'checked' && s.checkStatus?.command?.exitCode === 0), 'a passing check', 30_000);
  assert.equal(checked.checkStatus, { type: 'COMMAND', command: { exitCode: 0 } });
  await fw.kill('checked', { agentId: cluster.agents[0]!.agentId });
  assert.is((await terminalOf('checked')).state, 'TASK_KILLED');
});

test('bad images: missing, hostile (a link escaping the root): TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, naming the image and what is wrong', async () => {
  await launch([imageTask('missing', 'nope:1', 'true'), imageTask('hostile', 'hostile:escape', 'true'), imageTask('appc-like', 'Bad Name', 'true')]);
  const missing = await terminalOf('missing');
  assert.is(missing.state, 'TASK_FAILED');
  assert.is(missing.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(missing.message ?? '', /image nope:1 is not in the image store/);
  const hostile = await terminalOf('hostile');
  assert.is(hostile.state, 'TASK_FAILED');
  assert.is(hostile.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(hostile.message ?? '', /hostile:escape.*escapes the rootfs/);
  const bad = await terminalOf('appc-like');
  assert.is(bad.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(bad.message ?? '', /Bad Name/);
});

test('a task group (the DEFAULT executor) whose tasks name images: each task runs in its own image\'s root', async () => {
  const agent = cluster.agents[0]!;
  const tasks = [imageTask('group-busybox', 'busybox:test', 'cat /etc/os-release'), imageTask('group-layered', 'layered:v2', 'cat /srv/new; ls /srv')];
  const need = R.add(...tasks.map((t) => toTaskInfo(t).resources), R.parseResources('cpus:0.1;mem:32'));
  const ids = await waitFor(() => {
    const mine = fw.outstandingOffers().filter((o) => o.agentId === agent.agentId);
    return R.contains(R.add(...mine.map((o) => o.resources)), need) ? mine.map((o) => o.id) : undefined;
  }, 'offers holding the group', 20_000);
  await fw.acceptOperations(ids, [{ type: 'LAUNCH_GROUP', executor: { executorId: `pod-${randomUUID().slice(0, 8)}`, resources: 'cpus:0.1;mem:32' }, tasks }], { refuseSeconds: 0 });
  assert.ok((await finished('group-busybox')).startsWith(OS_RELEASE), 'the first task sees the docker-archive image');
  assert.is(await finished('group-layered'), 'new\nnew\n', 'the second sees the OCI layout (its whiteouts too), not the first image');
});

test('nothing stays mounted and no container provisioner dir is left once the tasks ended', async () => {
  const agent = cluster.agents[0]!;
  await waitFor(() => agent.tasks().length === 0, 'every task to end');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(cluster.dir) || l.includes(store));
  assert.equal(mounts, []);
  await waitFor(() => readdirSync(join(agent.workDir, 'provisioner', 'containers')).length === 0 || undefined, 'the provisioner dirs to go');
  assert.ok(existsSync(join(agent.workDir, 'provisioner', 'cache', 'rootfs')));
});

test.run();
