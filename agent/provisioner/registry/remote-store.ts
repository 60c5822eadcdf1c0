/**
 * Images pulled from a remote registry (`--docker-registry https://host:port`): the manifest for
 * the tag (a manifest list or OCI index is resolved to its linux/amd64 image), the config blob,
 * then, only when a rootfs is to be built, the layers, downloaded into a staging directory under
 * the cache and checked against their digests as they stream; `release` removes them (the rootfs
 * cache keeps the unpacked result). Launches of one image that overlap share one resolution, so
 * one manifest, one config and (through the rootfs cache's shared build) one download per layer.
 * Limits: an image whose layers add up to more than `maxBytes`, or more than the disk has free,
 * is refused before anything is downloaded.
 *
 * As Mesos's `Image.cached` (default true): a pulled image's name is remembered in `records/`
 * (its chain id and config); a later launch of that name whose rootfs is still cached does not
 * ask the registry at all. `cached: false` pulls the manifest again (the layers only if the
 * chain is not cached).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ImageRuntimeConfig } from '../image-config.js';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { ProvisionError } from '../errors.js';
import { type ImageRef, remoteRepository } from '../image-ref.js';
import { chainIdOf, ImageConfigFile, type ImageLayer, parseJson, type ResolvedImage } from '../image-store.js';
import type { RegistryClient } from './client.js';
import { type Manifest, parseManifest, pickPlatform } from './manifest.js';

export interface RemoteStore {
  readonly url: string;
  /** `cached`: a remembered image whose rootfs is cached is used without asking the registry. */
  resolve(ref: ImageRef, stagingRoot: string, cached?: boolean): Promise<ResolvedImage>;
}

const ImageRecord = z.object({ image: z.string(), registry: z.string(), chainId: z.string(), layerCount: z.number().int().nonnegative(), config: ImageRuntimeConfig });

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export async function createRemoteStore(o: {
  client: RegistryClient;
  maxBytes?: number;
  /** Where pulled images' names are remembered. */
  records: string;
  /** Whether a chain's rootfs is cached. */
  cached: (chainId: string) => Promise<boolean>;
  log: Logger;
}): Promise<RemoteStore> {
  const { client } = o;
  await mkdir(o.records, { recursive: true });
  const recordFile = (ref: ImageRef): string => path.join(o.records, `${createHash('sha256').update(`${client.hostPort}/${remoteRepository(ref)}:${ref.tag}`).digest('hex')}.json`);
  async function remembered(ref: ImageRef): Promise<z.infer<typeof ImageRecord> | undefined> {
    const text = await readFile(recordFile(ref), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const r = ImageRecord.safeParse(JSON.parse(text));
      return r.success && r.data.registry === client.url ? r.data : undefined;
    } catch {
      return undefined;
    }
  }
  async function remember(ref: ImageRef, img: ResolvedImage): Promise<void> {
    const file = recordFile(ref);
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify({ image: ref.text, registry: client.url, chainId: img.chainId, layerCount: img.layerCount, config: img.config }));
    await rename(tmp, file);
  }
  const shared = new Map<string, { p: Promise<ResolvedImage>; users: number }>();

  async function pull(ref: ImageRef, stagingRoot: string): Promise<ResolvedImage> {
    const repo = remoteRepository(ref);
    const first = await client.manifest(ref.text, repo, ref.tag);
    let m: Manifest = parseManifest(ref.text, first.body, first.contentType);
    let digest = first.digest;
    if (m.kind === 'list') {
      const pick = pickPlatform(ref.text, m);
      const one = await client.manifest(ref.text, repo, pick.digest);
      m = parseManifest(ref.text, one.body, one.contentType);
      digest = one.digest;
      if (m.kind === 'list') throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: the linux/amd64 entry of its manifest list is a list again`);
    }
    const image = m;
    const total = image.layers.reduce((n, l) => n + l.size, 0);
    if (o.maxBytes !== undefined && total > o.maxBytes) {
      throw new ProvisionError('IMAGE_TOO_BIG', `image ${ref.text}: its layers are ${total} bytes, more than the ${o.maxBytes} this agent allows (--image-max-size)`);
    }
    const config = parseJson((await client.blob(ref.text, repo, image.config, MAX_CONFIG_BYTES)).toString('utf8'), ImageConfigFile, `config ${image.config.digest}`, ref.text);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== image.layers.length) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: its manifest names ${image.layers.length} layers but its config ${diffIds.length} diff ids`);
    o.log.debug({ image: ref.text, registry: client.url, manifest: digest, layers: image.layers.length, bytes: total }, 'image manifest pulled');

    let staging: string | undefined;
    let downloaded: Promise<ImageLayer[]> | undefined;
    const download = async (): Promise<ImageLayer[]> => {
      staging = path.join(stagingRoot, `pull-${randomUUID()}`);
      await mkdir(staging, { recursive: true, mode: 0o700 });
      const fs = await statfs(staging);
      const free = fs.bavail * fs.bsize;
      if (total > free) throw new ProvisionError('IMAGE_TOO_BIG', `image ${ref.text}: its layers are ${total} bytes, more than the ${free} free on the agent's disk (${stagingRoot})`);
      const started = Date.now();
      const out: ImageLayer[] = [];
      for (const l of image.layers) {
        const file = path.join(staging, l.digest.slice('sha256:'.length));
        await client.download(ref.text, repo, l, file);
        out.push({ file, id: l.digest, digestOf: 'blob', verified: true });
      }
      o.log.info({ image: ref.text, registry: client.url, layers: out.length, bytes: total, ms: Date.now() - started }, 'image layers pulled');
      return out;
    };
    const resolved: ResolvedImage = {
      ref,
      format: 'registry',
      config: config.config ?? {},
      layerCount: diffIds.length,
      chainId: chainIdOf(diffIds),
      // A failed download is not remembered: its files go at once, and a later build tries again.
      layers: () =>
        (downloaded ??= download().catch(async (err: unknown) => {
          downloaded = undefined;
          if (staging !== undefined) await rm(staging, { recursive: true, force: true });
          throw err;
        })),
      release: async () => {
        if (staging !== undefined) await rm(staging, { recursive: true, force: true });
      },
    };
    await remember(ref, resolved).catch((err: unknown) => o.log.warn({ err, image: ref.text }, 'pulled image not remembered'));
    return resolved;
  }

  /** A remembered image whose rootfs is cached: no registry request; should the rootfs go before the build, the layers are pulled then. */
  async function fromRecord(ref: ImageRef, stagingRoot: string): Promise<ResolvedImage | undefined> {
    const r = await remembered(ref);
    if (r === undefined || !(await o.cached(r.chainId))) return undefined;
    let pulled: ResolvedImage | undefined;
    return {
      ref,
      format: 'registry',
      config: r.config,
      layerCount: r.layerCount,
      chainId: r.chainId,
      layers: async () => {
        pulled ??= await pull(ref, stagingRoot);
        if (pulled.chainId !== r.chainId) throw new ProvisionError('ROOTFS_FAILED', `image ${ref.text} changed in registry ${client.url} while it was being launched; launch it again`);
        return pulled.layers();
      },
      release: async () => {
        await pulled?.release();
      },
    };
  }

  return {
    url: client.url,
    async resolve(ref, stagingRoot, cached = true) {
      if (ref.registry !== undefined && ref.registry !== client.hostPort) {
        throw new ProvisionError('IMAGE_NOT_FOUND', `image ${ref.text} names the registry ${ref.registry}, but this agent pulls from ${client.url} (--docker-registry)`);
      }
      if (cached) {
        const known = await fromRecord(ref, stagingRoot);
        if (known !== undefined) return known;
      }
      let e = shared.get(ref.text);
      if (e === undefined) {
        const entry = { p: pull(ref, stagingRoot), users: 0 };
        entry.p.catch(() => {
          if (shared.get(ref.text) === entry) shared.delete(ref.text);
        });
        shared.set(ref.text, entry);
        e = entry;
      }
      const entry = e;
      entry.users++;
      let img: ResolvedImage;
      try {
        img = await entry.p;
      } catch (err) {
        entry.users--;
        throw err;
      }
      let released = false;
      return {
        ...img,
        layers: () => img.layers(),
        release: async () => {
          if (released) return;
          released = true;
          if (--entry.users > 0) return;
          if (shared.get(ref.text) === entry) shared.delete(ref.text);
          await img.release();
        },
      };
    },
  };
}
