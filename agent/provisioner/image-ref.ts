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
  /** `repository:tag`, as written in messages (with the registry part when the name has one). */
  readonly text: string;
  /** `host[:port]` when the name starts with one (`localhost:5000/app:1`, `registry.example/app`). */
  readonly registry?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseImageRef(name: string): ImageRef {
  const bad = (why: string): never => {
    throw new ProvisionError('IMAGE_NAME_INVALID', `image ${JSON.stringify(name)}: ${why}`);
  };
  if (name.includes('@')) bad('digest references (name@sha256:…) are not supported; name a tag');
  // A first component with a dot or a colon, or `localhost`, is a registry (Docker's rule).
  const first = name.indexOf('/');
  const head = first > 0 ? name.slice(0, first) : '';
  const registry = head !== '' && (head.includes('.') || head.includes(':') || head === 'localhost') ? head : undefined;
  const rest = registry !== undefined ? name.slice(first + 1) : name;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : 'latest';
  if (registry !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/.test(registry)) bad(`"${registry}" is not a valid registry host[:port]`);
  if (repository === '') bad('no repository');
  for (const part of repository.split('/')) if (!COMPONENT.test(part)) bad(`"${part}" is not a valid repository component (lower case letters, digits, separators . _ -)`);
  if (!TAG.test(tag)) bad(`"${tag}" is not a valid tag`);
  return { repository, tag, text: `${registry !== undefined ? `${registry}/` : ''}${repository}:${tag}`, ...(registry !== undefined ? { registry: registry.toLowerCase() } : {}) };
}

/** The repository to ask a remote registry for: Docker's official images live under `library/`. */
export function remoteRepository(ref: ImageRef): string {
  return ref.repository.includes('/') ? ref.repository : `library/${ref.repository}`;
}

/** Paths in the store (relative to it) that may hold the image, in the order they are tried. */
export function storeCandidates(ref: ImageRef): { archive: string; layout: string; layoutByRepo: string } {
  return {
    archive: path.join(`${ref.repository}:${ref.tag}.tar`),
    layout: path.join(`${ref.repository}:${ref.tag}`),
    layoutByRepo: path.join(ref.repository),
  };
}
