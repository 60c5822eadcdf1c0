/**
 * The manifests of the Docker Registry HTTP API v2 (pure): Docker's image manifest v2 schema 2 and
 * manifest list, OCI's image manifest and image index, with the platform chosen from a list
 * (linux/amd64, as an amd64 Linux agent runs).
 */
import { z } from 'zod';
import { ProvisionError } from '../errors.js';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What a pull asks for, best first. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.ociIndex].join(', ');

const DIGEST = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'a sha256 digest');
const Descriptor = z.object({ mediaType: z.string().optional(), digest: DIGEST, size: z.number().int().nonnegative() });

const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});
const ManifestList = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor.extend({ platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional() })),
});

export type Descriptor = z.infer<typeof Descriptor>;
export type Manifest =
  | { readonly kind: 'image'; readonly config: Descriptor; readonly layers: readonly Descriptor[] }
  | { readonly kind: 'list'; readonly manifests: z.infer<typeof ManifestList>['manifests'] };

export const LAYER_MEDIA = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
]);

/** Parse a manifest body; its kind from the Content-Type, else from its own mediaType, else its shape. */
export function parseManifest(image: string, body: string, contentType: string | undefined): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new ProvisionError('IMAGE_INVALID', `image ${image}: the registry's manifest is not JSON`, { cause: err });
  }
  const declared = (json as { mediaType?: unknown }).mediaType;
  const type = (contentType ?? '').split(';')[0]!.trim() || (typeof declared === 'string' ? declared : '');
  if (type === MEDIA.dockerSchema1 || type === MEDIA.dockerSchema1Signed || (json as { schemaVersion?: unknown }).schemaVersion === 1) {
    throw new ProvisionError('IMAGE_INVALID', `image ${image}: the registry serves only a schema 1 manifest, which is not supported (push it again with a current client: schema 2 or OCI)`);
  }
  const isList = type === MEDIA.dockerList || type === MEDIA.ociIndex || (type === '' && Array.isArray((json as { manifests?: unknown }).manifests));
  const parsed = (isList ? ManifestList : ImageManifest).safeParse(json);
  if (!parsed.success) {
    throw new ProvisionError('IMAGE_INVALID', `image ${image}: its manifest (${type || 'no media type'}) is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (isList) return { kind: 'list', manifests: (parsed.data as z.infer<typeof ManifestList>).manifests };
  const m = parsed.data as z.infer<typeof ImageManifest>;
  for (const l of m.layers) {
    const media = l.mediaType ?? '';
    if (!LAYER_MEDIA.has(media)) {
      throw new ProvisionError('IMAGE_INVALID', `image ${image}: layer ${l.digest} has media type ${media || '(none)'}, which is not supported (plain or gzip tar only; foreign and zstd layers are not)`);
    }
  }
  return { kind: 'image', config: m.config, layers: m.layers };
}

/** The entry of a manifest list for `os/architecture`. */
export function pickPlatform(image: string, list: Extract<Manifest, { kind: 'list' }>, os = 'linux', architecture = 'amd64'): Descriptor {
  const hit = list.manifests.find((m) => m.platform?.os === os && m.platform.architecture === architecture);
  if (hit === undefined) {
    const has = list.manifests.map((m) => (m.platform === undefined ? '?' : `${m.platform.os}/${m.platform.architecture}`)).join(', ');
    throw new ProvisionError('IMAGE_NOT_FOUND', `image ${image}: its manifest list has no ${os}/${architecture} image (it has: ${has || 'none'})`);
  }
  return hit;
}
