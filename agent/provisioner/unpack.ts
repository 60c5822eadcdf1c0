/**
 * Applying one layer tarball onto a rootfs being built, as root, without ever writing outside it:
 * 1. a first read checks every entry (layer-entry.ts) and collects the whiteouts; one refused
 *    entry refuses the layer (nothing of it is written);
 * 2. the layer's whiteouts remove what lower layers put there: `.wh.<name>` removes `<name>`,
 *    `.wh..wh..opq` empties its directory. A path is only removed through real directories (a
 *    symbolic link on the way means the lower layer has no such path: nothing to remove);
 * 3. the entries are unpacked with node-tar (modes and owners kept), which replaces an existing
 *    symbolic link rather than writing through it and refuses to unpack through a linked
 *    directory; any warning it gives fails the layer;
 * 4. symbolic links with an absolute target (common in images: /bin/sh -> /bin/busybox) are made
 *    last, by us: node-tar would strip their leading `/` unless told to preserve paths, which would
 *    also turn off its checks above.
 */
import { lchown, lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { posix as path } from 'node:path';
import * as tar from 'tar';
import { ProvisionError } from './errors.js';
import { judgeEntry } from './layer-entry.js';

export interface AbsoluteLink {
  readonly path: string;
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
}

export interface LayerPlan {
  readonly whiteouts: readonly string[];
  readonly absoluteLinks: readonly AbsoluteLink[];
  readonly opaque: readonly string[];
  /** Bytes of file content in the layer. */
  readonly bytes: number;
}

/**
 * An APPC image (ACI) holds its root under `rootfs/` beside its `manifest`: with `prefix`, only
 * entries under it are unpacked, with the prefix taken off (hard link targets too).
 */
function stripper(prefix: string | undefined): (p: string | undefined) => string | undefined {
  if (prefix === undefined) return (p) => p;
  const want = prefix.replace(/\/+$/, '');
  return (p) => {
    if (p === undefined) return undefined;
    const parts = p.split('/').filter((x) => x !== '' && x !== '.');
    return parts[0] === want && parts.length > 1 ? parts.slice(1).join('/') : undefined;
  };
}

/** Read the layer once: refuse a hostile entry, collect the whiteouts. */
export async function planLayer(image: string, layerId: string, file: string, prefix?: string): Promise<LayerPlan> {
  const strip = stripper(prefix);
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const refused: string[] = [];
  const absoluteLinks: AbsoluteLink[] = [];
  let bytes = 0;
  try {
    await tar.t({
      file,
      onReadEntry: (e) => {
        const at = strip(e.path);
        if (at === undefined) {
          e.resume();
          return;
        }
        const linkpath = e.type === 'Link' && prefix !== undefined ? (strip(e.linkpath) ?? `../${e.linkpath ?? ''}`) : e.linkpath;
        const v = judgeEntry(at, e.type, linkpath);
        if (v.kind === 'refuse') refused.push(v.why);
        else if (v.kind === 'whiteout') whiteouts.push(v.path);
        else if (v.kind === 'opaque') opaque.push(v.dir);
        else if (v.kind === 'unpack' && isAbsoluteLink(e.type, e.linkpath)) absoluteLinks.push({ path: v.path, target: e.linkpath!, uid: e.uid ?? 0, gid: e.gid ?? 0 });
        bytes += e.size ?? 0;
        e.resume();
      },
    });
  } catch (err) {
    throw new ProvisionError('LAYER_CORRUPT', `image ${image}: layer ${layerId} is not a readable tar archive: ${(err as Error).message}`, { cause: err });
  }
  if (refused.length > 0) throw new ProvisionError('LAYER_HOSTILE', `image ${image}: layer ${layerId} is refused: ${refused[0]}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}`);
  return { whiteouts, absoluteLinks, opaque, bytes };
}

const isAbsoluteLink = (type: string, linkpath: string | undefined): boolean => type === 'SymbolicLink' && linkpath !== undefined && linkpath.startsWith('/');

/** `rel` under `root` when every directory on the way is a real one, else undefined. */
async function realPathIn(root: string, rel: string): Promise<string | undefined> {
  let p = root;
  for (const part of rel.split('/').filter((x) => x !== '')) {
    const s = await lstat(p).catch(() => undefined);
    if (s === undefined || !s.isDirectory()) return undefined;
    p = path.join(p, part);
  }
  return p;
}

export async function applyLayer(image: string, layerId: string, file: string, rootfs: string, plan: LayerPlan, prefix?: string): Promise<void> {
  const strip = stripper(prefix);
  for (const dir of plan.opaque) {
    const p = await realPathIn(rootfs, dir);
    const s = p === undefined ? undefined : await lstat(p).catch(() => undefined);
    if (p === undefined || s === undefined || !s.isDirectory()) continue;
    for (const child of await readdir(p)) await rm(path.join(p, child), { recursive: true, force: true });
  }
  for (const w of plan.whiteouts) {
    const p = await realPathIn(rootfs, w);
    if (p !== undefined) await rm(p, { recursive: true, force: true });
  }
  const warnings: string[] = [];
  try {
    await tar.x({
      file,
      cwd: rootfs,
      preserveOwner: true,
      umask: 0,
      ...(prefix !== undefined ? { strip: 1 } : {}),
      // node-tar filters on the entry's own path, before `strip` takes the prefix off.
      filter: (p, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const raw = 'linkpath' in entry ? entry.linkpath : undefined;
        const at = strip(p);
        if (at === undefined) return false;
        const link = type === 'Link' && prefix !== undefined ? strip(raw) : raw;
        if (type === 'Link' && link === undefined) return false;
        return judgeEntry(at, type, link).kind === 'unpack' && !isAbsoluteLink(type, link);
      },
      onwarn: (code, message) => warnings.push(`${code}: ${String(message)}`),
    });
  } catch (err) {
    throw new ProvisionError('LAYER_CORRUPT', `image ${image}: layer ${layerId} cannot be unpacked: ${(err as Error).message}`, { cause: err });
  }
  if (warnings.length > 0) throw new ProvisionError('LAYER_HOSTILE', `image ${image}: layer ${layerId} is refused: ${warnings[0]}`);
  for (const l of plan.absoluteLinks) {
    let dir = rootfs;
    for (const part of path.dirname(l.path).split('/').filter((x) => x !== '' && x !== '.')) {
      dir = path.join(dir, part);
      const s = await lstat(dir).catch(() => undefined);
      if (s === undefined) await mkdir(dir, { mode: 0o755 });
      else if (!s.isDirectory()) throw new ProvisionError('LAYER_HOSTILE', `image ${image}: layer ${layerId} is refused: the link ${JSON.stringify(l.path)} would be made through a link or a file`);
    }
    const at = path.join(dir, path.basename(l.path));
    await rm(at, { recursive: true, force: true });
    await symlink(l.target, at);
    await lchown(at, l.uid, l.gid).catch(() => undefined);
  }
}
