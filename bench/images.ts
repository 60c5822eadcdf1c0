/**
 * images: what provisioning a container image costs on one agent (in-process master and agent, a
 * real nats-server, an SDK framework; the agent's image store holds a docker archive written here:
 * busybox-static plus a filler layer of `imageMb` MB in 64 files):
 *   (a) cold cache: one image task accepted → TASK_RUNNING, the rootfs cache emptied before each run;
 *   (b) warm cache: the same, the rootfs already cached;
 *   (c) the same without an image (the baseline of a launch);
 *   (d) 100 (`burst`) tasks of the image in one accept, warm cache → all TASK_RUNNING, and the
 *       same on a cold cache (the burst shares one unpack);
 *   (e) cold cache, pulled: the same image pushed to a real registry on loopback (HTTPS, token auth
 *       anonymously: bench/test-registry.ts), run by a second agent started with
 *       `--docker-registry https://…`: download, verify and unpack, then TASK_RUNNING.
 * Checked: every task reached TASK_RUNNING, each cold burst built the rootfs exactly once, and each
 * cold pull fetched every layer exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchBus, startBenchNats } from './bus.js';
import { randomUUID } from 'node:crypto';
import { type AgentId, type TaskStatus } from '../events/index.js';
import { startMaster } from '../kernel/shell/master/index.js';
import { startAgent } from '../agent/index.js';
import { subscribe, type TaskSpec } from '../frameworks/sdk/index.js';
import * as R from '../kernel/core/resources.js';
import { silentLogger } from './log.js';
import { metric } from './stats.js';
import { probeBackend } from '../agent/provisioner/backend.js';
import { findHostTools } from '../agent/isolation/host-tools.js';
import { busyboxLayer, haveBusybox, tarOf, writeDockerArchive } from './test-image.js';
import { startRegistry } from './test-registry.js';
import { type BenchContext, type BenchResult, SanityError } from './types.js';

export interface ImagesBenchOptions {
  /** An operator-mode server, every party with its own credentials (default); false: an open bus. */
  readonly secure: boolean;
  readonly runs: number;
  /** Tasks in the burst. */
  readonly burst: number;
  /** Size of the filler layer. */
  readonly imageMb: number;
  readonly isolation: string;
}

export const defaultImagesBenchOptions = (): ImagesBenchOptions => ({ runs: 5, burst: 100, imageMb: 32, isolation: 'auto', secure: true });

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new SanityError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function runImagesBench(o: ImagesBenchOptions, ctx: BenchContext): Promise<BenchResult> {
  if (!haveBusybox()) throw new SanityError('busybox-static is not installed (scripts/busybox.sh)');
  const started = performance.now();
  const log = silentLogger();
  const dir = mkdtempSync(join(tmpdir(), 'bench-images-'));
  const store = join(dir, 'store');
  const per = Math.max(1, Math.floor((o.imageMb * 1024 * 1024) / 64));
  const filler = tarOf([{ path: 'data/', type: 'dir' }, ...Array.from({ length: 64 }, (_, i) => ({ path: `data/f${i}`, type: 'file' as const, content: randomBytes(per) }))]);
  const layers = [busyboxLayer('ID=bench\n'), filler];
  writeDockerArchive(store, { name: 'bench:image', layers });
  const registry = await startRegistry({ auth: 'token', dir: join(dir, 'registry'), users: { pusher: { password: randomUUID(), push: true } }, anonymousPull: ['bench/'] });
  const pushed = await registry.push('bench/image', '1', { layers });
  const nb: BenchBus = await startBenchNats({ auth: o.secure });
  const server = nb.server;
  const master = await startMaster({ nats: server.url, port: 0, allocationIntervalMs: 50, ...nb.as('master', 'bench-master') }, log);
  const fw = await subscribe({ nats: server.url, name: 'bench-images', log, user: 'root', ...nb.as('framework', randomUUID()) });
  const seen = new Map<string, TaskStatus['state']>();
  const failures: string[] = [];
  fw.updates$.subscribe((s) => {
    seen.set(s.taskId, s.state);
    if (s.state === 'TASK_FAILED' || s.state === 'TASK_ERROR') failures.push(`${s.taskId}: ${s.message ?? s.state}`);
    void fw.acknowledge(s).catch(() => undefined);
  });
  const workDir = join(dir, 'agent');
  const agent = await startAgent(
    { nats: server.url, ...nb.as('agent', randomUUID()), workDir, resources: `cpus:${o.burst};mem:${o.burst * 8 + 256};disk:4096`, isolation: o.isolation, cgroupsRoot: `mesos-bench-images-${process.pid}`, allowRootTasks: true, dockerRegistry: store, killGracePeriodMs: 200 },
    log,
  );
  const agentId = agent.agentId as AgentId;
  const cacheDir = join(workDir, 'provisioner', 'cache', 'rootfs');
  const pullDir = join(dir, 'agent-pull');
  const puller = await startAgent(
    { nats: server.url, ...nb.as('agent', randomUUID()), workDir: pullDir, resources: 'cpus:2;mem:256;disk:4096', isolation: o.isolation, cgroupsRoot: `mesos-bench-images-pull-${process.pid}`, allowRootTasks: true, dockerRegistry: registry.url, dockerRegistryCa: registry.ca, killGracePeriodMs: 200 },
    log,
  );
  const pullerId = puller.agentId as AgentId;
  const pullCacheDir = join(pullDir, 'provisioner', 'cache', 'rootfs');
  let n = 0;
  const spec = (image: boolean): TaskSpec => ({ taskId: `t${++n}`, agentId, resources: 'cpus:0.5;mem:4', command: 'sleep 600', ...(image ? { container: { image: { type: 'DOCKER', name: 'bench:image' } } } : {}) });
  /** Accept `tasks` in one go; ms until all are TASK_RUNNING; then kill them and wait for the ends. */
  const pullSpec = (): TaskSpec => ({ taskId: `t${++n}`, agentId: pullerId, resources: 'cpus:0.5;mem:4', command: 'sleep 600', container: { image: { type: 'DOCKER', name: 'bench/image:1' } } });
  const timed = async (tasks: TaskSpec[], on: AgentId = agentId): Promise<number> => {
    const need = R.add(...tasks.map((t) => [...R.parseResources(t.resources as string)]));
    const ids = await until('offers holding the tasks', () => {
      const mine = fw.outstandingOffers().filter((x) => x.agentId === on);
      return R.contains(R.add(...mine.map((x) => x.resources)), need) ? mine.map((x) => x.id) : undefined;
    }, 60_000);
    const t0 = performance.now();
    await fw.accept(ids, tasks, { refuseSeconds: 0 });
    await until('the tasks to run', () => (failures.length > 0 ? (() => { throw new SanityError(failures[0]); })() : tasks.every((t) => seen.get(t.taskId) === 'TASK_RUNNING')), 300_000);
    const ms = performance.now() - t0;
    for (const t of tasks) await fw.kill(t.taskId, { agentId });
    await until('the tasks to end', () => tasks.every((t) => seen.get(t.taskId) === 'TASK_KILLED'), 120_000);
    await until('the containers to go', () => agent.tasks().length === 0 && puller.tasks().length === 0, 60_000);
    return ms;
  };
  const emptyCache = (d = cacheDir): void => {
    for (const e of readdirSync(d)) rmSync(join(d, e), { recursive: true, force: true });
  };
  const backend = await probeBackend(dir, await findHostTools());
  const cold: number[] = [];
  const warm: number[] = [];
  const plain: number[] = [];
  const pulled: number[] = [];
  let burstWarm = 0;
  let burstCold = 0;
  let burstPlain = 0;
  try {
    await master.caughtUp;
    await until('the master to lead', () => master.isLeader(), 30_000);
    await until('the agents to register', () => master.state().agents.get(agentId)?.status === 'ACTIVE' && master.state().agents.get(pullerId)?.status === 'ACTIVE', 30_000);
    for (let r = 0; r < o.runs; r++) {
      emptyCache();
      cold.push(await timed([spec(true)]));
      warm.push(await timed([spec(true)]));
      plain.push(await timed([spec(false)]));
      emptyCache(pullCacheDir);
      const before = registry.blobGets(undefined, 'bench/image');
      pulled.push(await timed([pullSpec()], pullerId));
      if (pushed.layers.some((l) => registry.blobGets(l, 'bench/image') !== r + 1) || registry.blobGets(undefined, 'bench/image') - before !== pushed.layers.length + 1) {
        throw new SanityError(`cold pull ${r + 1}: expected each of the ${pushed.layers.length} layers and the config fetched once`);
      }
      ctx.progress(`images: run ${r + 1}/${o.runs}: cold ${Math.round(cold[r]!)} ms, warm ${Math.round(warm[r]!)} ms, no image ${Math.round(plain[r]!)} ms, cold pulled ${Math.round(pulled[r]!)} ms`);
    }
    burstPlain = await timed(Array.from({ length: o.burst }, () => spec(false)));
    ctx.progress(`images: ${o.burst} tasks without an image: all running after ${Math.round(burstPlain)} ms`);
    burstWarm = await timed(Array.from({ length: o.burst }, () => spec(true)));
    ctx.progress(`images: ${o.burst} tasks, warm cache: all running after ${Math.round(burstWarm)} ms`);
    emptyCache();
    burstCold = await timed(Array.from({ length: o.burst }, () => spec(true)));
    if (readdirSync(cacheDir).filter((x) => !x.includes('.')).length !== 1) throw new SanityError('the cold burst did not leave exactly one cached rootfs');
    ctx.progress(`images: ${o.burst} tasks, cold cache: all running after ${Math.round(burstCold)} ms`);
  } finally {
    await agent.stop();
    await puller.stop();
    await registry.stop();
    await fw.close();
    await master.stop();
    await nb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'images',
    params: { runs: o.runs, burst: o.burst, imageMb: o.imageMb, isolation: o.isolation },
    metrics: {
      'first RUNNING, cold cache': metric('ms', cold, { better: 'lower', note: 'accept → TASK_RUNNING; layers verified and unpacked' }),
      'first RUNNING, warm cache': metric('ms', warm, { better: 'lower', note: 'rootfs cached; archive manifest read, overlay mounted' }),
      'first RUNNING, no image': metric('ms', plain, { better: 'lower', note: 'the same task on the host' }),
      'first RUNNING, cold cache, pulled': metric('ms', pulled, { better: 'lower', note: 'from a registry on loopback (HTTPS, token auth): manifest, config, layers downloaded and verified, unpacked' }),
      [`${o.burst} tasks, warm cache`]: metric('ms', [burstWarm], { better: 'lower', note: 'one accept → all TASK_RUNNING' }),
      [`${o.burst} tasks, cold cache`]: metric('ms', [burstCold], { better: 'lower', note: 'one shared unpack' }),
      [`${o.burst} tasks, no image`]: metric('ms', [burstPlain], { better: 'lower', note: 'the baseline of the burst' }),
    },
    notes: [
      `image: busybox-static + ${o.imageMb} MB in 64 files (docker archive); agent isolation ${o.isolation}; backend ${backend.backend}${backend.why !== undefined ? ` (${backend.why})` : ''}`,
      'warm cache: a docker archive\'s manifest and config are read once per archive version (streamed, not unpacked) and remembered; an OCI layout is read in place',
    ],
    wallMs: performance.now() - started,
  };
}
