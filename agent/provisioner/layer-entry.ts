/**
 * Whether one entry of a layer tarball may be unpacked (pure). A layer is unpacked by the agent as
 * root, so a path must stay inside the rootfs whatever the entry says: refused are absolute paths,
 * `..` components, hard links to outside, and symbolic links whose relative target climbs above
 * the rootfs (an absolute target is fine: inside the container it names the image's own file, and
 * the agent never follows a link while unpacking). Device nodes, fifos and sockets are skipped (a
 * container gets its /dev from the agent). Whiteouts (`.wh.<name>`, `.wh..wh..opq`) are recognised.
 */
import { posix as path } from 'node:path';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type EntryVerdict =
  | { readonly kind: 'unpack'; readonly path: string }
  | { readonly kind: 'skip' }
  | { readonly kind: 'whiteout'; readonly path: string }
  | { readonly kind: 'opaque'; readonly dir: string }
  | { readonly kind: 'refuse'; readonly why: string };

/** `./a/b/` -> `a/b`; undefined when the path leaves its root. */
export function normalEntryPath(p: string): string | undefined {
  if (p.startsWith('/') || p.includes('\0')) return undefined;
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  if (parts.some((x) => x === '..')) return undefined;
  return parts.join('/');
}

/** Does a link target, relative to the link at `entry`, stay inside the root? */
export function relativeTargetInside(entry: string, target: string): boolean {
  if (target.startsWith('/')) return true;
  let depth = entry.split('/').length - 1;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      depth--;
      if (depth < 0) return false;
    } else depth++;
  }
  return true;
}

export function judgeEntry(entryPath: string, type: string, linkpath: string | undefined): EntryVerdict {
  const p = normalEntryPath(entryPath);
  if (p === undefined) return { kind: 'refuse', why: `entry ${JSON.stringify(entryPath)} leaves the root (absolute path or ..)` };
  if (p === '') return { kind: 'skip' };
  const base = path.basename(p);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: path.dirname(p) === '.' ? '' : path.dirname(p) };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') return { kind: 'refuse', why: `whiteout ${JSON.stringify(entryPath)} names nothing` };
    const dir = path.dirname(p);
    return { kind: 'whiteout', path: dir === '.' ? name : `${dir}/${name}` };
  }
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
    case 'Directory':
      return { kind: 'unpack', path: p };
    case 'SymbolicLink':
      if (linkpath === undefined || linkpath === '') return { kind: 'refuse', why: `symbolic link ${JSON.stringify(entryPath)} has no target` };
      if (!relativeTargetInside(p, linkpath)) return { kind: 'refuse', why: `symbolic link ${JSON.stringify(entryPath)} -> ${JSON.stringify(linkpath)} escapes the rootfs` };
      return { kind: 'unpack', path: p };
    case 'Link': {
      const target = linkpath === undefined ? undefined : normalEntryPath(linkpath);
      if (target === undefined || target === '') return { kind: 'refuse', why: `hard link ${JSON.stringify(entryPath)} -> ${JSON.stringify(linkpath ?? '')} points outside the rootfs` };
      return { kind: 'unpack', path: p };
    }
    case 'CharacterDevice':
    case 'BlockDevice':
    case 'FIFO':
    case 'Socket':
      return { kind: 'skip' };
    // Metadata records (pax headers, GNU long names) are folded into the entries by the reader.
    default:
      return { kind: 'refuse', why: `entry ${JSON.stringify(entryPath)} has an unsupported type ${type}` };
  }
}
