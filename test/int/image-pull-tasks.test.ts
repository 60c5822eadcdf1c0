/**
 * Image tasks pulled from a remote registry, end to end on a secured bus: a real master and an
 * agent started with `dockerRegistry: https://…` (a real distribution registry on loopback with
 * token auth, test/helpers/registry.ts), its CA and a Docker config.json. Several tasks of one
 * image launched at once all run in its root and share one download (the registry's blob GETs
 * are counted); bad pulls are TASK_FAILED REASON_CONTAINER_LAUNCH_FAILED naming the image and the
 * cause; PRUNE_IMAGES on the agent's API empties the cache of what no task uses.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { type Scheduler, type TaskSpec, subscribe, toTaskInfo } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { busyboxLayer, haveBusybox, tarOf, writeBusyboxAci } from '../helpers/image-writer.js';
import { type PushedImage, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let reg: TestRegistry;
let cluster: TestCluster;
let fw: Scheduler;
let busybox: PushedImage;
let corrupt: PushedImage;
const seen: TaskStatus[] = [];
const OS_RELEASE = 'NAME="mesos-ts pulled image"\nID=mesosts-pulled\n';

test.before(async () => {
  if (!haveBusybox()) throw new Error('busybox-static is not installed (scripts/busybox.sh installs it)');
  dir = mkdtempSync('/tmp/mesos-image-pull-tasks-');
  reg = await startRegistry({ auth: 'token', dir: join(dir, 'registry'), users: { pusher: { password: 'p', push: true }, carol: { password: 'carol-pw', pull: ['private/'] } }, anonymousPull: ['library/'] });
  busybox = await reg.push('private/busybox', 'pulled', { layers: [busyboxLayer(OS_RELEASE), tarOf([{ path: 'srv/', type: 'dir' }, { path: 'srv/marker', type: 'file', content: 'second layer\n' }])] });
  corrupt = await reg.push('library/broken', '1', { layers: [tarOf([{ path: 'x', type: 'file', content: 'x'.repeat(4000) }])] });
  reg.corruptBlob(corrupt.layers[0]!);
  writeBusyboxAci(join(dir, 'appc'), 'example.com/busybox', '1.0', 'ID=mesosts-appc\n', { environment: [{ name: 'FROM_ACI', value: 'yes' }] });
  cluster = await startCluster({
    agents: 1,
    agentResources: 'cpus:4;mem:2048;disk:2048',
    agent: { dockerRegistry: reg.url, dockerRegistryCa: reg.ca, appcStore: join(dir, 'appc'), dockerConfig: reg.dockerConfig('carol', 'carol-pw'), isolation: 'cgroups/cpu,cgroups/mem,namespaces/pid,filesystem/linux' },
  });
  fw = await subscribe({ nats: cluster.nats.url, name: 'image-pull-test', log: cluster.log, creds: cluster.secure!.creds('framework', randomUUID()), user: 'root' });
  fw.updates$.subscribe((u) => {
    seen.push(u);
    void fw.acknowledge(u).catch(() => undefined);
  });
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
  await reg?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
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

const imageTask = (taskId: string, image: string, command: string): TaskSpec => ({
  taskId,
  agentId: cluster.agents[0]!.agentId,
  resources: 'cpus:0.1;mem:32',
  command,
  container: { image: { type: 'DOCKER', name: image } },
});
const terminalOf = (taskId: string, ms = 60_000): Promise<TaskStatus> => waitFor(() => seen.find((s) => s.taskId === taskId && isTerminal(s.state)), `task ${taskId} to end`, ms);

function stdoutOf(taskId: string): string {
  const agent = cluster.agents[0]!;
  const containerId = seen.find((s) => s.taskId === taskId && s.containerId !== undefined)?.containerId;
  const root = join(agent.workDir, 'slaves', agent.agentId, 'frameworks', fw.frameworkId, 'executors');
  for (const ex of readdirSync(root)) {
    const f = join(root, ex, 'runs', containerId ?? '-', 'stdout');
    if (existsSync(f)) return readFileSync(f, 'utf8');
  }
  throw new Error(`no stdout for ${taskId}`);
}

test('five tasks of one pulled image launched at once: each sees the image\'s root, and each layer was downloaded once', async () => {
  const ids = Array.from({ length: 5 }, (_, i) => `pulled-${i}`);
  await launch(ids.map((id) => imageTask(id, 'private/busybox:pulled', 'cat /etc/os-release /srv/marker; test ! -e /usr && echo no-host-usr')));
  for (const id of ids) {
    const end = await terminalOf(id);
    assert.is(end.state, 'TASK_FINISHED', `${id}: ${end.message ?? ''}`);
    assert.is(stdoutOf(id), `${OS_RELEASE}second layer\nno-host-usr\n`);
  }
  for (const l of busybox.layers) assert.is(reg.blobGets(l, 'private/busybox'), 1, `layer ${l}: one download for five tasks`);
  assert.ok(reg.tokenRequests().some((t) => t.user === 'carol'), 'pulled with the credentials of --docker-config');
});

test('bad pulls: an unknown image and a corrupt layer are TASK_FAILED REASON_CONTAINER_LAUNCH_FAILED naming the image and the cause; nothing half-written stays', async () => {
  await launch([imageTask('unknown', 'library/nope:1', 'true'), imageTask('corrupt', 'broken:1', 'true')]);
  const unknown = await terminalOf('unknown');
  assert.is(unknown.state, 'TASK_FAILED');
  assert.is(unknown.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(unknown.message ?? '', /image library\/nope:1 is not in registry https:\/\/127\.0\.0\.1:\d+/);
  const bad = await terminalOf('corrupt');
  assert.is(bad.state, 'TASK_FAILED');
  assert.is(bad.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  assert.match(bad.message ?? '', new RegExp(`image broken:1: blob ${corrupt.layers[0]} from registry .* is corrupt`));
  assert.equal(readdirSync(join(cluster.agents[0]!.workDir, 'provisioner', 'cache', 'tmp')), [], 'no staging or half-built rootfs left');
});

test('an APPC task (mesos.image.type APPC, by name and version label) runs in the ACI\'s rootfs with its app environment', async () => {
  await launch([{ ...imageTask('appc', '-', 'cat /etc/os-release; echo "FROM_ACI=$FROM_ACI"'), container: { image: { type: 'APPC', name: 'example.com/busybox', labels: { version: '1.0' } } } }]);
  const end = await terminalOf('appc');
  assert.is(end.state, 'TASK_FINISHED', end.message ?? '');
  assert.is(stdoutOf('appc'), 'ID=mesosts-appc\nFROM_ACI=yes\n');
});

test('PRUNE_IMAGES on the agent API: the cached rootfs no task uses is removed', async () => {
  const rootfs = join(cluster.agents[0]!.workDir, 'provisioner', 'cache', 'rootfs');
  assert.is(readdirSync(rootfs).filter((x) => !x.includes('.')).length, 2, 'the pulled image and the ACI are cached');
  const prune = (excluded: unknown[]): Promise<Response> =>
    fetch(`http://127.0.0.1:${cluster.agents[0]!.httpPort}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'PRUNE_IMAGES', prune_images: { excluded_images: excluded } }) });
  const keep = await prune([{ type: 'APPC', appc: { name: 'example.com/busybox', labels: { labels: [{ key: 'version', value: '1.0' }] } } }]);
  assert.is(keep.status, 200, await keep.text());
  assert.is(readdirSync(rootfs).filter((x) => !x.includes('.')).length, 1, 'the excluded ACI stays');
  const all = await prune([]);
  assert.is(all.status, 200, await all.text());
  assert.equal(readdirSync(rootfs).filter((x) => !x.includes('.')), []);
});

test.run();
