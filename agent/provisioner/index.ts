/**
 * The provisioner (Mesos containerizer's, without a Docker engine): a task whose container names
 * a Docker image gets a root filesystem made from that image, found in the agent's local image
 * store (`--docker-registry DIR`), its layers unpacked once into the cache under
 * `<work-dir>/provisioner/` (rootfs-cache.ts), and a root per container: an overlay over the
 * cached rootfs, or a copy (backend.ts). It is a task isolator (`docker/runtime`): its prepare
 * provisions and says the mounts to make in the task's mount namespace and the root to enter;
 * its cleanup removes the container's provisioner directory (its mounts went with the namespace).
 *
 * Per container, `<work-dir>/provisioner/containers/<id>/`: `upper/` and `work/` (overlay) or
 * `rootfs/` (copy), the mount point `rootfs/`, and `launch.json` (what a re-attaching agent needs).
 */
import { lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import type { ContainerVolume, ImageLaunch, LaunchContribution, TaskContainer, TaskIsolator } from '../isolation/task-isolator.js';
import { type Backend, copyRootfs, probeBackend } from './backend.js';
import { ProvisionError } from './errors.js';
import { imageArgv, imageEnvironment, type ImageRuntimeConfig, imageWorkingDir } from './image-config.js';
import { type ImageRef, parseImageRef } from './image-ref.js';
import { resolveAppcImage } from './appc-store.js';
import { resolveImage, type ResolvedImage } from './image-store.js';
import type { DockerConfig } from './registry/auth.js';
import { createRegistryClient } from './registry/client.js';
import { createRemoteStore } from './registry/remote-store.js';
import { DEVICES, HOST_FILES, type MountPlan, mountLines, overlayPathProblem, SANDBOX_IN_CONTAINER, type VolumeMount } from './mount-plan.js';
import { createRootfsCache, type RootfsCache } from './rootfs-cache.js';
import { linkIn, realDirIn, realFileIn } from './rootfs-layout.js';

export { ProvisionError } from './errors.js';
export { SANDBOX_IN_CONTAINER } from './mount-plan.js';

export interface ProvisionerOptions {
  /** The local image store (a directory), or a remote registry (`https://host:port`); undefined: image tasks are refused with the reason. */
  readonly registry?: string;
  /** PEM of the CA the remote registry's (and its token server's) certificates are verified against. */
  readonly registryCa?: string;
  /** Credentials for remote registries (Docker's config.json). */
  readonly dockerConfig?: DockerConfig;
  /** Refuse an image whose layers (compressed, and again unpacked) are bigger than this. */
  readonly imageMaxBytes?: number;
  /** The local APPC store (`.aci` files by simple discovery's names); undefined: APPC tasks are refused with the reason. */
  readonly appcStore?: string;
  /** `<work-dir>/provisioner` */
  readonly root: string;
  /** Garbage-collect the rootfs cache above this many bytes (undefined: never). */
  readonly cacheMaxBytes?: number;
  readonly tools: { readonly unshare?: string; readonly mount?: string; readonly cp?: string };
  readonly log: Logger;
}

export interface Provisioner extends TaskIsolator {
  readonly cache: RootfsCache;
  /** Resolves with the backend in use (probed on first use). */
  backend(): Promise<Backend>;
  /** PRUNE_IMAGES: remove every cached rootfs no container uses, but those of the images named (`repo:tag`); resolves with the chain ids removed. */
  prune(excluded: readonly string[]): Promise<string[]>;
}

interface LaunchRecord {
  readonly image: string;
  readonly chainId: string;
  readonly rootfs: string;
  readonly workingDir: string;
  readonly config: ImageRuntimeConfig;
}

export async function createProvisioner(o: ProvisionerOptions): Promise<Provisioner> {
  const log = o.log.child({ component: 'provisioner' });
  const cache = await createRootfsCache(path.join(o.root, 'cache'), { ...(o.cacheMaxBytes !== undefined ? { maxBytes: o.cacheMaxBytes } : {}), ...(o.imageMaxBytes !== undefined ? { imageMaxBytes: o.imageMaxBytes } : {}), log });
  const registry = o.registry;
  const remote =
    registry !== undefined && /^https?:\/\//i.test(registry)
      ? await createRemoteStore({
          client: createRegistryClient({ url: registry, ...(o.registryCa !== undefined ? { ca: o.registryCa } : {}), ...(o.dockerConfig !== undefined ? { config: o.dockerConfig } : {}) }),
          ...(o.imageMaxBytes !== undefined ? { maxBytes: o.imageMaxBytes } : {}),
          records: path.join(o.root, 'cache', 'images'),
          cached: (chainId) => cache.has(chainId),
          log,
        })
      : undefined;
  const staging = path.join(o.root, 'cache', 'tmp');
  const resolve = (ref: ImageRef, cached: boolean): Promise<ResolvedImage> => (remote !== undefined ? remote.resolve(ref, staging, cached) : resolveImage(registry!, ref, staging));
  const containersDir = path.join(o.root, 'containers');
  await mkdir(containersDir, { recursive: true });
  let backendProbe: Promise<Backend> | undefined;
  const backend = (): Promise<Backend> =>
    (backendProbe ??= probeBackend(o.root, o.tools).then(({ backend: b, why }) => {
      if (why !== undefined) log.warn({ why }, 'OVERLAYFS CANNOT BE USED: each image container gets a copy of the image rootfs (slower, more disk)');
      else log.info('image containers use overlayfs over the rootfs cache');
      return b;
    }));

  const launchOf = (rec: LaunchRecord): ImageLaunch => ({
    image: rec.image,
    rootfs: rec.rootfs,
    workingDir: rec.workingDir,
    sandbox: SANDBOX_IN_CONTAINER,
    env: imageEnvironment(rec.config),
    argv: (command) => imageArgv(rec.image, command, rec.config),
  });

  async function volumeMounts(image: string, c: TaskContainer, volumes: readonly ContainerVolume[], targetRoot: string): Promise<VolumeMount[]> {
    const out: VolumeMount[] = [];
    for (const v of volumes) {
      const bad = (why: string): never => {
        throw new ProvisionError('VOLUME_INVALID', `image ${image}: volume ${JSON.stringify(v.containerPath)}: ${why}`);
      };
      let source: string;
      if (v.source.type === 'HOST_PATH') {
        if (!v.source.path.startsWith('/')) bad(`the host path ${JSON.stringify(v.source.path)} must be absolute`);
        source = path.normalize(v.source.path);
        if ((await stat(source).catch(() => undefined)) === undefined) bad(`the host path ${source} does not exist`);
      } else {
        if (v.source.path.startsWith('/') || v.source.path.split('/').includes('..')) bad(`the sandbox path ${JSON.stringify(v.source.path)} must be relative and stay in the sandbox`);
        source = await realDirIn(c.sandbox, v.source.path);
      }
      const isDir = (await stat(source)).isDirectory();
      if (v.containerPath.split('/').includes('..')) bad('the container path may not contain ..');
      const abs = v.containerPath.startsWith('/');
      const target = abs ? path.normalize(v.containerPath) : path.join(SANDBOX_IN_CONTAINER, v.containerPath);
      if (target === '/' || target === SANDBOX_IN_CONTAINER) bad('cannot be mounted over the root or the sandbox');
      // Relative container paths are in the sandbox (bound at SANDBOX_IN_CONTAINER); absolute ones in the root.
      const [base, rel] = abs ? [targetRoot, target] : [c.sandbox, v.containerPath];
      if (isDir) await realDirIn(base, rel);
      else await realFileIn(base, rel);
      out.push({ source, target, readOnly: v.mode === 'RO' });
    }
    return out;
  }

  /** The mount points in the tree the container's root is made of (upper dir, or the copy). */
  async function mountPoints(base: string, hostFiles: readonly string[]): Promise<void> {
    await realDirIn(base, SANDBOX_IN_CONTAINER);
    for (const d of ['proc', 'sys', 'dev/shm', 'dev/pts']) await realDirIn(base, d);
    for (const d of DEVICES) await realFileIn(base, `dev/${d}`);
    for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['ptmx', 'pts/ptmx']] as const) {
      await linkIn(base, `dev/${name}`, target);
    }
    for (const f of hostFiles) await realFileIn(base, f);
  }

  async function prepare(c: TaskContainer, recovering = false): Promise<LaunchContribution> {
    const wanted = c.options.image;
    if (wanted === undefined) {
      if ((c.options.volumes ?? []).length > 0) throw new ProvisionError('VOLUME_INVALID', 'container volumes are only supported for tasks with an image (container.mesos.image) on this agent');
      return {};
    }
    const dir = path.join(containersDir, c.containerId);
    if (recovering) {
      const rec = JSON.parse(await readFile(path.join(dir, 'launch.json'), 'utf8')) as LaunchRecord;
      cache.hold(rec.chainId, c.containerId);
      return { unshare: ['--mount'], image: launchOf(rec) };
    }
    if (wanted.type === 'APPC' && o.appcStore === undefined) throw new ProvisionError('NO_IMAGE_STORE', `appc image ${wanted.name}: this agent has no APPC store; start it with --appc-store DIR (a directory of .aci files)`);
    if (wanted.type === 'DOCKER' && registry === undefined) throw new ProvisionError('NO_IMAGE_STORE', `image ${wanted.name}: this agent has no image store; start it with --docker-registry DIR (a local store) or --docker-registry https://host:port (a registry)`);
    const started = Date.now();
    const resolved = wanted.type === 'APPC' ? await resolveAppcImage(o.appcStore!, wanted.name, wanted.labels) : await resolve(parseImageRef(wanted.name), wanted.cached !== false);
    const ref = resolved.ref;
    let cached: string;
    try {
      cached = await cache.acquire(resolved, c.containerId);
    } finally {
      await resolved.release();
    }
    try {
      const b = await backend();
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const rootfs = path.join(dir, 'rootfs');
      await mkdir(rootfs, { mode: 0o755 });
      let overlay: MountPlan['overlay'];
      let base: string;
      if (b === 'overlay') {
        overlay = { lower: cached, upper: path.join(dir, 'upper'), work: path.join(dir, 'work') };
        for (const p of [overlay.lower, overlay.upper, overlay.work]) {
          const why = overlayPathProblem(p);
          if (why !== undefined) throw new ProvisionError('ROOTFS_FAILED', `image ${ref.text}: ${why}`);
        }
        await mkdir(overlay.upper, { mode: 0o755 });
        await mkdir(overlay.work, { mode: 0o700 });
        base = overlay.upper;
      } else {
        if (o.tools.cp === undefined) throw new ProvisionError('ROOTFS_FAILED', `image ${ref.text}: cp (coreutils) is not installed`);
        await copyRootfs(o.tools.cp, cached, rootfs);
        base = rootfs;
      }
      const hostFiles: string[] = [];
      for (const f of HOST_FILES) if ((await lstat(f).catch(() => undefined))?.isFile() === true) hostFiles.push(f);
      await mountPoints(base, hostFiles);
      const volumes = await volumeMounts(ref.text, c, c.options.volumes ?? [], base);
      if (o.tools.mount === undefined) throw new ProvisionError('ROOTFS_FAILED', `image ${ref.text}: mount (util-linux) is not installed`);
      const rec: LaunchRecord = { image: ref.text, chainId: resolved.chainId, rootfs, workingDir: imageWorkingDir(resolved.config, SANDBOX_IN_CONTAINER), config: resolved.config };
      await writeFile(path.join(dir, 'launch.json'), JSON.stringify(rec));
      const setup = mountLines({ mount: o.tools.mount, rootfs, ...(overlay !== undefined ? { overlay } : {}), sandbox: c.sandbox, hostFiles, volumes });
      log.info({ containerId: c.containerId, image: ref.text, chainId: resolved.chainId, backend: b, ms: Date.now() - started }, 'container rootfs provisioned');
      return { unshare: ['--mount'], setup, image: launchOf(rec) };
    } catch (err) {
      cache.release(c.containerId);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  return {
    name: 'docker/runtime',
    cache,
    backend,
    prepare,
    async prune(excluded) {
      const keep = new Set(excluded.map((n) => (n.startsWith('appc:') ? n.slice(5) : parseImageRef(n).text)));
      const removed = await cache.collect({ all: true, keepImages: keep });
      log.info({ removed: removed.length, kept: [...keep] }, 'image cache pruned');
      return removed;
    },
    async cleanup(containerId) {
      cache.release(containerId);
      await rm(path.join(containersDir, containerId), { recursive: true, force: true });
    },
  };
}
