/**
 * The local image store (`--docker-registry DIR`, Mesos's local docker registry): finds an image
 * and reads its manifest and config. Two forms are understood:
 * - a `docker save` archive `<repo>:<tag>.tar` (manifest.json, the config JSON, one tarball per
 *   layer; each layer is checked against the config's `rootfs.diff_ids`);
 * - an OCI image layout directory `<repo>:<tag>/` or `<repo>/` (oci-layout, index.json, blobs/sha256/…;
 *   each blob is checked against its digest).
 * A docker archive's manifest and config are read by streaming through it; only when its layers
 * are needed (a rootfs to build) is it unpacked into a staging directory under the cache (its
 * layers are files inside it), which the caller removes when done (`release`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { z } from 'zod';
import { ProvisionError } from './errors.js';
import { ImageRuntimeConfig } from './image-config.js';
import { type ImageRef, storeCandidates } from './image-ref.js';
import { judgeEntry } from './layer-entry.js';

export interface ImageLayer {
  /** The layer tarball (plain or gzip). */
  readonly file: string;
  /** Its content address (`sha256:…`): the diff id (docker archive) or blob digest (OCI). */
  readonly id: string;
  /** Whether `id` is the digest of the file as stored (OCI) or of its uncompressed tar (docker). */
  readonly digestOf: 'blob' | 'uncompressed';
  /** Already checked against `id` (a download is, while it streams). */
  readonly verified?: boolean;
  /** Only entries under this directory are the root (an APPC image's `rootfs/`). */
  readonly prefix?: string;
}

export interface ResolvedImage {
  readonly ref: ImageRef;
  readonly format: 'docker-archive' | 'oci-layout' | 'registry' | 'appc';
  readonly config: ImageRuntimeConfig;
  /** How many layers. */
  readonly layerCount: number;
  /** Content address of the whole layer stack (Docker's chain id of the last layer). */
  readonly chainId: string;
  /** The layer files, in order (a docker archive is unpacked into a staging directory for this: only a build needs it). */
  layers(): Promise<readonly ImageLayer[]>;
  /** Remove what reading it left (the docker archive's staging directory). */
  release(): Promise<void>;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

const DockerManifest = z.array(z.object({ Config: z.string(), RepoTags: z.array(z.string()).nullish(), Layers: z.array(z.string()) })).min(1);
export const ImageConfigFile = z.object({ config: ImageRuntimeConfig.nullish(), rootfs: z.object({ diff_ids: z.array(z.string().regex(DIGEST)) }) });
const OciIndex = z.object({
  manifests: z.array(z.object({ mediaType: z.string().optional(), digest: z.string().regex(DIGEST), annotations: z.record(z.string(), z.string()).optional() })),
});
const OciManifest = z.object({
  config: z.object({ digest: z.string().regex(DIGEST) }),
  layers: z.array(z.object({ mediaType: z.string(), digest: z.string().regex(DIGEST) })),
});

/** Docker's chain id: chain(1) = diff(1); chain(n) = sha256(chain(n-1) + " " + diff(n)). */
export function chainIdOf(ids: readonly string[]): string {
  let chain = '';
  for (const id of ids) chain = chain === '' ? id : `sha256:${createHash('sha256').update(`${chain} ${id}`).digest('hex')}`;
  return chain;
}

/** sha256 of a file, or of its gunzipped content when `uncompressed` and it is gzip. */
export async function digestOfFile(file: string, uncompressed: boolean): Promise<string> {
  const h = createHash('sha256');
  let gz = false;
  if (uncompressed) {
    const fh = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
      gz = head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await fh.close();
    }
  }
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) h.update(chunk);
  };
  if (gz) await pipeline(createReadStream(file), createGunzip(), sink);
  else await pipeline(createReadStream(file), sink);
  return `sha256:${h.digest('hex')}`;
}

async function kindOf(p: string): Promise<'file' | 'dir' | undefined> {
  const s = await stat(p).catch(() => undefined);
  return s === undefined ? undefined : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
}

async function readJson<T>(file: string, schema: z.ZodType<T>, what: string, image: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ProvisionError('IMAGE_INVALID', `image ${image}: cannot read its ${what}: ${(err as Error).message}`, { cause: err });
  }
  return parseJson(text, schema, what, image);
}

/** A path named inside an image (manifest entries), which must stay inside `root`. */
function inside(root: string, rel: string, image: string): string {
  const p = path.resolve(root, rel);
  if (p !== root && !p.startsWith(`${root}/`)) throw new ProvisionError('IMAGE_INVALID', `image ${image}: its manifest names ${JSON.stringify(rel)}, outside the image`);
  return p;
}

/** Find `ref` in the store and read it. `stagingRoot`: where a docker archive is unpacked. */
export async function resolveImage(store: string, ref: ImageRef, stagingRoot: string): Promise<ResolvedImage> {
  if (ref.registry !== undefined) throw new ProvisionError('IMAGE_NOT_FOUND', `image ${ref.text} names the registry ${ref.registry}, but this agent's image store is the directory ${store} (start it with --docker-registry https://${ref.registry} to pull from there)`);
  const c = storeCandidates(ref);
  const archive = path.join(store, c.archive);
  if ((await kindOf(archive)) === 'file') return readDockerArchive(archive, ref, stagingRoot);
  for (const [dir, byTag] of [[path.join(store, c.layout), false], [path.join(store, c.layoutByRepo), true]] as const) {
    if ((await kindOf(dir)) === 'dir' && (await kindOf(path.join(dir, 'index.json'))) === 'file') return readOciLayout(dir, ref, byTag);
  }
  throw new ProvisionError('IMAGE_NOT_FOUND', `image ${ref.text} is not in the image store ${store} (looked for ${c.archive}, ${c.layout}/ and ${c.layoutByRepo}/ with an OCI index)`);
}

/** What pass 1 read from a docker archive, by path, size and mtime (so a warm launch does not stream it again). */
const archiveJson = new Map<string, Map<string, string>>();
const ARCHIVES_REMEMBERED = 64;

/** Small files of an archive (at most 4 MB each) that `wanted` names, read by streaming through it; entries are judged on the way. */
async function archiveFiles(archive: string, ref: ImageRef, wanted: (p: string) => boolean, into: Map<string, string>): Promise<void> {
  const problems: string[] = [];
  try {
    await tar.t({
      file: archive,
      onReadEntry: (e) => {
        const v = judgeEntry(e.path, e.type, e.linkpath);
        if (v.kind === 'refuse') problems.push(v.why);
        if (v.kind === 'unpack' && e.type === 'File' && wanted(v.path) && (e.size ?? 0) < 4 * 1024 * 1024) {
          const chunks: Buffer[] = [];
          e.on('data', (c: Buffer) => chunks.push(c));
          e.on('end', () => into.set(v.path, Buffer.concat(chunks).toString('utf8')));
        } else e.resume();
      },
    });
  } catch (err) {
    throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: ${archive} is not a readable tar archive: ${(err as Error).message}`, { cause: err });
  }
  if (problems.length > 0) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: ${archive}: ${problems[0]}`);
}

/**
 * manifest.json and the config it names. Older `docker save` writes the config as `<id>.json` at the
 * top (read in the first pass); newer (OCI-style) as `blobs/sha256/<digest>` (a second pass).
 */
async function archiveJsonFiles(archive: string, ref: ImageRef, configOf: (json: Map<string, string>) => string): Promise<Map<string, string>> {
  const st = await stat(archive);
  const key = `${archive}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  const known = archiveJson.get(key);
  if (known !== undefined) return known;
  const json = new Map<string, string>();
  await archiveFiles(archive, ref, (p) => p.endsWith('.json') && !p.includes('/'), json);
  const config = configOf(json);
  if (!json.has(config)) await archiveFiles(archive, ref, (p) => p === config, json);
  if (archiveJson.size >= ARCHIVES_REMEMBERED) archiveJson.delete(archiveJson.keys().next().value!);
  archiveJson.set(key, json);
  return json;
}

async function readDockerArchive(archive: string, ref: ImageRef, stagingRoot: string): Promise<ResolvedImage> {
  // Pass 1: the small JSON files (manifest.json, the configs) without unpacking anything.
  const manifestOf = (json: Map<string, string>): z.infer<typeof DockerManifest>[number] => {
    const manifests = parseJson(json.get('manifest.json'), DockerManifest, 'manifest.json', ref.text);
    return manifests.find((x) => (x.RepoTags ?? []).includes(ref.text) || (x.RepoTags ?? []).includes(`${ref.repository.replace(/^library\//, '')}:${ref.tag}`)) ?? manifests[0]!;
  };
  const json = await archiveJsonFiles(archive, ref, (j) => path.normalize(manifestOf(j).Config));
  const m = manifestOf(json);
  const configName = path.normalize(m.Config);
  const configFile = parseJson(json.get(configName), ImageConfigFile, `config ${m.Config}`, ref.text);
  const diffIds = configFile.rootfs.diff_ids;
  if (diffIds.length !== m.Layers.length) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: manifest.json names ${m.Layers.length} layers but the config ${diffIds.length} diff ids`);

  let staging: string | undefined;
  const release = async (): Promise<void> => {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  };
  // Pass 2, only for a build: unpack the archive (its entries checked again) and point at the layer files.
  const layers = async (): Promise<ImageLayer[]> => {
    staging ??= path.join(stagingRoot, randomUUID());
    await mkdir(staging, { recursive: true });
    const warnings: string[] = [];
    await tar
      .x({
        file: archive,
        cwd: staging,
        preserveOwner: false,
        filter: (p, entry) => judgeEntry(p, 'type' in entry ? entry.type : 'File', 'linkpath' in entry ? entry.linkpath : undefined).kind === 'unpack',
        onwarn: (_code, message) => warnings.push(String(message)),
      })
      .catch((err: unknown) => {
        throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: ${archive} cannot be unpacked: ${(err as Error).message}`, { cause: err });
      });
    if (warnings.length > 0) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: ${archive}: ${warnings[0]}`);
    const out: ImageLayer[] = [];
    for (const [i, l] of m.Layers.entries()) {
      const file = inside(staging, l, ref.text);
      const st = await lstat(file).catch(() => undefined);
      if (st === undefined || !st.isFile()) throw new ProvisionError('LAYER_CORRUPT', `image ${ref.text}: layer ${l} is missing from ${archive}`);
      out.push({ file, id: diffIds[i]!, digestOf: 'uncompressed' });
    }
    return out;
  };
  return { ref, format: 'docker-archive', config: configFile.config ?? {}, layerCount: diffIds.length, chainId: chainIdOf(diffIds), layers, release };
}

export function parseJson<T>(text: string | undefined, schema: z.ZodType<T>, what: string, image: string): T {
  if (text === undefined) throw new ProvisionError('IMAGE_INVALID', `image ${image}: its ${what} is missing`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProvisionError('IMAGE_INVALID', `image ${image}: its ${what} is not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ProvisionError('IMAGE_INVALID', `image ${image}: its ${what} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
]);

async function readOciLayout(dir: string, ref: ImageRef, byTag: boolean): Promise<ResolvedImage> {
  const index = await readJson(path.join(dir, 'index.json'), OciIndex, 'OCI index.json', ref.text);
  const named = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref.tag);
  const pick = named[0] ?? (!byTag && index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (pick === undefined) throw new ProvisionError('IMAGE_NOT_FOUND', `image ${ref.text}: the OCI layout ${dir} has no manifest for tag ${ref.tag}`);
  if (pick.mediaType !== undefined && pick.mediaType.includes('index')) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: multi-platform indexes are not supported; store a single-platform image`);
  const blob = (digest: string): string => path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const verify = async (digest: string, what: string): Promise<void> => {
    const got = await digestOfFile(blob(digest), false).catch((err: unknown) => {
      throw new ProvisionError('LAYER_CORRUPT', `image ${ref.text}: ${what} ${digest} is missing: ${(err as Error).message}`, { cause: err });
    });
    if (got !== digest) throw new ProvisionError('LAYER_CORRUPT', `image ${ref.text}: ${what} ${digest} is corrupt (its content hashes to ${got})`);
  };
  await verify(pick.digest, 'manifest');
  const manifest = await readJson(blob(pick.digest), OciManifest, 'OCI manifest', ref.text);
  await verify(manifest.config.digest, 'config');
  const config = await readJson(blob(manifest.config.digest), ImageConfigFile, 'OCI config', ref.text);
  const layers: ImageLayer[] = manifest.layers.map((l) => {
    if (!LAYER_TYPES.has(l.mediaType)) throw new ProvisionError('IMAGE_INVALID', `image ${ref.text}: layer ${l.digest} has media type ${l.mediaType}, which is not supported (plain or gzip tar only)`);
    return { file: blob(l.digest), id: l.digest, digestOf: 'blob' };
  });
  return { ref, format: 'oci-layout', config: config.config ?? {}, layerCount: layers.length, chainId: chainIdOf(layers.map((l) => l.id)), layers: async () => layers, release: async () => undefined };
}

/** Check a layer file against its content address; throws LAYER_CORRUPT. */
export async function verifyLayer(image: string, layer: ImageLayer): Promise<void> {
  const got = await digestOfFile(layer.file, layer.digestOf === 'uncompressed').catch((err: unknown) => {
    throw new ProvisionError('LAYER_CORRUPT', `image ${image}: layer ${layer.id} cannot be read: ${(err as Error).message}`, { cause: err });
  });
  if (got !== layer.id) throw new ProvisionError('LAYER_CORRUPT', `image ${image}: layer ${layer.id} is corrupt (its content hashes to ${got})`);
}
