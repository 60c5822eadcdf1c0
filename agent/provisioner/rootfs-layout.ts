/**
 * Making paths inside a tree the agent does not trust (a copied image rootfs, a sandbox a task
 * wrote into) without following a symbolic link out of it: each component is checked with lstat
 * and anything that is not what it must be (a link, a file where a directory goes) is replaced.
 */
import { lstat, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';

function components(rel: string): string[] {
  const parts = rel.split('/').filter((x) => x !== '' && x !== '.');
  if (parts.includes('..')) throw new Error(`path ${JSON.stringify(rel)} leaves its root`);
  return parts;
}

/** Make `rel` under `root` a real directory (and every directory on the way); returns its path. */
export async function realDirIn(root: string, rel: string, mode = 0o755): Promise<string> {
  let p = root;
  for (const part of components(rel)) {
    p = path.join(p, part);
    const s = await lstat(p).catch(() => undefined);
    if (s !== undefined && s.isDirectory()) continue;
    if (s !== undefined) await rm(p, { recursive: true, force: true });
    await mkdir(p, { mode });
  }
  return p;
}

/** Make `rel` under `root` a regular file (empty when it was not one already). */
export async function realFileIn(root: string, rel: string): Promise<string> {
  const parts = components(rel);
  const dir = await realDirIn(root, parts.slice(0, -1).join('/'));
  const p = path.join(dir, parts[parts.length - 1] ?? '');
  const s = await lstat(p).catch(() => undefined);
  if (s !== undefined && s.isFile()) return p;
  if (s !== undefined) await rm(p, { recursive: true, force: true });
  await writeFile(p, '', { mode: 0o644 });
  return p;
}

/** A symbolic link at `rel` under `root` (replacing what is there). */
export async function linkIn(root: string, rel: string, target: string): Promise<void> {
  const parts = components(rel);
  const dir = await realDirIn(root, parts.slice(0, -1).join('/'));
  const p = path.join(dir, parts[parts.length - 1] ?? '');
  await rm(p, { recursive: true, force: true });
  await symlink(target, p);
}
