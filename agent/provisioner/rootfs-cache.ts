/**
 * The content-addressed cache of image root filesystems, under `<work-dir>/provisioner/`:
 * `rootfs/<chain id>/` holds an image's layers applied in order (whiteouts honoured), built once
 * in `tmp/` and renamed into place, so a half-built rootfs is never used and a crash leaves only
 * `tmp/` (emptied at start). The key is the chain id of the layer stack (Docker's), so two images
 * with the same layers share one rootfs. Concurrent requests for the same chain share one build.
 *
 * Garbage collection by size: after a build, while the cache holds more than `maxBytes`, the least
 * recently used rootfs that no container uses is removed. A prune (the agent API's PRUNE_IMAGES)
 * removes every rootfs no container uses, but those of the images it is told to keep (each rootfs
 * remembers the names it was acquired by, in `<chain id>.images`).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { ProvisionError } from './errors.js';
import { applyLayer, planLayer } from './unpack.js';
import { type ResolvedImage, verifyLayer } from './image-store.js';

export interface RootfsCache {
  /** The rootfs of the image (built if missing); `containerId` holds it until `release`. */
  acquire(image: ResolvedImage, containerId: string): Promise<string>;
  /** Whether the rootfs of this chain is in the cache now. */
  has(chainId: string): Promise<boolean>;
  /** A container that re-attaches holds its rootfs again. */
  hold(chainId: string, containerId: string): void;
  release(containerId: string): void;
  /**
   * Run garbage collection now; resolves with the chain ids removed. By size (`maxBytes`), or with
   * `all`, every rootfs no container uses but those acquired by a name in `keepImages`.
   */
  collect(o?: { readonly all?: boolean; readonly keepImages?: ReadonlySet<string> }): Promise<string[]>;
  /** Builds done (not served from the cache), for tests and metrics. */
  readonly builds: () => number;
}

const hex = (chainId: string): string => chainId.replace(/^sha256:/, '');

export async function createRootfsCache(root: string, opts: { maxBytes?: number; imageMaxBytes?: number; log: Logger }): Promise<RootfsCache> {
  const rootfsDir = path.join(root, 'rootfs');
  const tmpDir = path.join(root, 'tmp');
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(rootfsDir, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  const building = new Map<string, Promise<string>>();
  const users = new Map<string, string>(); // containerId -> chainId
  let builds = 0;

  async function build(image: ResolvedImage): Promise<string> {
    const final = path.join(rootfsDir, hex(image.chainId));
    if (await stat(final).then((s) => s.isDirectory(), () => false)) {
      const now = new Date();
      await utimes(final, now, now).catch(() => undefined);
      return final;
    }
    const work = path.join(tmpDir, randomUUID());
    await mkdir(work, { mode: 0o755 });
    const started = Date.now();
    try {
      let bytes = 0;
      for (const layer of await image.layers()) {
        if (layer.verified !== true) await verifyLayer(image.ref.text, layer);
        const plan = await planLayer(image.ref.text, layer.id, layer.file, layer.prefix);
        if (opts.imageMaxBytes !== undefined && bytes + plan.bytes > opts.imageMaxBytes) {
          throw new ProvisionError('IMAGE_TOO_BIG', `image ${image.ref.text}: unpacked, its layers hold more than the ${opts.imageMaxBytes} bytes this agent allows (--image-max-size)`);
        }
        await applyLayer(image.ref.text, layer.id, layer.file, work, plan, layer.prefix);
        bytes += plan.bytes;
      }
      await writeFile(path.join(rootfsDir, `${hex(image.chainId)}.size`), String(bytes));
      await rename(work, final);
      builds++;
      opts.log.info({ image: image.ref.text, chainId: image.chainId, layers: image.layerCount, bytes, ms: Date.now() - started }, 'image rootfs built');
      return final;
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  }

  /** Remember that `image` names this chain's rootfs (for a prune that keeps images by name). */
  async function remember(chainId: string, image: string): Promise<void> {
    const file = path.join(rootfsDir, `${hex(chainId)}.images`);
    const names = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((x) => x !== '');
    if (!names.includes(image)) await writeFile(file, [...names, image].join('\n') + '\n');
  }

  async function collect(c: { readonly all?: boolean; readonly keepImages?: ReadonlySet<string> } = {}): Promise<string[]> {
    const max = c.all === true ? 0 : opts.maxBytes;
    if (max === undefined) return [];
    const inUse = new Set(users.values());
    const entries: { chain: string; bytes: number; used: number; images: string[] }[] = [];
    for (const name of await readdir(rootfsDir)) {
      if (name.includes('.')) continue;
      const chain = `sha256:${name}`;
      const bytes = Number(await readFile(path.join(rootfsDir, `${name}.size`), 'utf8').catch(() => '0')) || 0;
      const used = (await stat(path.join(rootfsDir, name)).catch(() => undefined))?.mtimeMs ?? 0;
      const images = (await readFile(path.join(rootfsDir, `${name}.images`), 'utf8').catch(() => '')).split('\n').filter((x) => x !== '');
      entries.push({ chain, bytes, used, images });
    }
    let total = entries.reduce((n, e) => n + e.bytes, 0);
    const removed: string[] = [];
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= max && c.all !== true) break;
      if (inUse.has(e.chain) || building.has(e.chain)) continue;
      if (c.keepImages !== undefined && e.images.some((i) => c.keepImages!.has(i))) continue;
      await rm(path.join(rootfsDir, hex(e.chain)), { recursive: true, force: true });
      await rm(path.join(rootfsDir, `${hex(e.chain)}.size`), { force: true });
      await rm(path.join(rootfsDir, `${hex(e.chain)}.images`), { force: true });
      total -= e.bytes;
      removed.push(e.chain);
      opts.log.info({ chainId: e.chain, bytes: e.bytes }, 'image rootfs garbage-collected');
    }
    return removed;
  }

  return {
    async acquire(image, containerId) {
      users.set(containerId, image.chainId);
      try {
        let p = building.get(image.chainId);
        if (p === undefined) {
          p = build(image).finally(() => building.delete(image.chainId));
          building.set(image.chainId, p);
        }
        const dir = await p;
        await remember(image.chainId, image.ref.text).catch((err: unknown) => opts.log.warn({ err }, 'image name not recorded in the cache'));
        await collect().catch((err: unknown) => opts.log.warn({ err }, 'image cache garbage collection failed'));
        return dir;
      } catch (err) {
        users.delete(containerId);
        throw err;
      }
    },
    has: (chainId) => stat(path.join(rootfsDir, hex(chainId))).then((s) => s.isDirectory(), () => false),
    hold(chainId, containerId) {
      users.set(containerId, chainId);
    },
    release(containerId) {
      users.delete(containerId);
    },
    collect,
    builds: () => builds,
  };
}
