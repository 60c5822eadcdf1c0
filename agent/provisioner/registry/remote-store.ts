/**
 * Images pulled from a remote registry (`--docker-registry https://host:port`): the manifest for
 * the tag (a manifest list or OCI index is resolved to its linux/amd64 image), the config blob,
 * then, only when a rootfs is to be built, the layers, downloaded into a staging directory under
 * the cache and checked against their digests as they stream; `release` removes them (the rootfs
 * cache keeps the unpacked result). Launches of one image that overlap share one resolution, so
 * one manifest, one config and (through the rootfs cache's shared build) one download per layer.
 * Limits: an image whose layers add up to more than `maxBytes`, or more than the disk has free,
 * is refused before anything is downloaded.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, statfs } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Logger } from 'pino';
import { ProvisionError } from '../errors.js';
import { type ImageRef, remoteRepository } from '../image-ref.js';
import { chainIdOf, ImageConfigFile, type ImageLayer, parseJson, type ResolvedImage } from '../image-store.js';
import type { RegistryClient } from './client.js';
import { type Manifest, parseManifest, pickPlatform } from './manifest.js';

export interface RemoteStore {
  readonly url: string;
  resolve(ref: ImageRef, stagingRoot: string): Promise<ResolvedImage>;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export function createRemoteStore(o: { client: RegistryClient; maxBytes?: number; log: Logger }): RemoteStore {
  const { client } = o;
  const shared = new Map<string, { p: Promise<ResolvedImage>; users: number }>();

  async function pull(ref: ImageRef, stagingRoot: string): Promise<ResolvedImage> {
    if (ref.registry !== undefined && ref.registry !== client.hostPort) {
      throw new ProvisionError('IMAGE_NOT_FOUND', `image ${ref.text} names the registry ${ref.registry}, but this agent pulls from ${client.url} (--docker-registry)`);
    }
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
    return {
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
  }

  return {
    url: client.url,
    async resolve(ref, stagingRoot) {
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
