/**
 * Docker image names as the local store knows them (pure): `repo[/more]:tag` (`latest` when no tag
 * is given), and the names of the store entries that may hold it: a `docker save` archive
 * `<repo>:<tag>.tar`, or an OCI image layout directory `<repo>:<tag>` (or `<repo>` whose index
 * names the tag with `org.opencontainers.image.ref.name`).
 */
import { posix as path } from 'node:path';
import { ProvisionError } from './errors.js';

export interface ImageRef {
  /** e.g. `library/busybox` */
  readonly repository: string;
  readonly tag: string;
  /** `repository:tag`, as written in messages. */
  readonly text: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseImageRef(name: string): ImageRef {
  const bad = (why: string): never => {
    throw new ProvisionError('IMAGE_NAME_INVALID', `image ${JSON.stringify(name)}: ${why}`);
  };
  if (name.includes('@')) bad('digest references (name@sha256:…) are not supported by the local store; name a tag');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : 'latest';
  if (repository === '') bad('no repository');
  for (const part of repository.split('/')) if (!COMPONENT.test(part)) bad(`"${part}" is not a valid repository component (lower case letters, digits, separators . _ -)`);
  if (!TAG.test(tag)) bad(`"${tag}" is not a valid tag`);
  return { repository, tag, text: `${repository}:${tag}` };
}

/** Paths in the store (relative to it) that may hold the image, in the order they are tried. */
export function storeCandidates(ref: ImageRef): { archive: string; layout: string; layoutByRepo: string } {
  return {
    archive: path.join(`${ref.repository}:${ref.tag}.tar`),
    layout: path.join(`${ref.repository}:${ref.tag}`),
    layoutByRepo: path.join(ref.repository),
  };
}
