/**
 * Reading task sandboxes over HTTP, as Mesos's `/files/browse`, `/files/read` and
 * `/files/download` do. Only attached paths are served: each sandbox the agent knows, under its
 * real path and under Mesos's virtual path `/frameworks/<fw>/executors/<ex>/runs/latest` for the
 * latest run of an executor. A path is resolved to the longest attached prefix plus the rest,
 * then made canonical (symlinks and `..` resolved by the file system); a result outside its
 * sandbox is refused; a file is checked again once opened (by the path the kernel gives its open
 * descriptor), so a symlink swapped in meanwhile cannot lead out either. Answers follow Mesos: 400 for a missing path, a bad offset or length, a path
 * that leaves its sandbox, or a directory to read; 404 for a path that is not in a sandbox or
 * does not exist.
 */
import type { Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';

export type FilesResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 400 | 404 | 500; readonly message: string };

/** Virtual path → real directory. */
export type Attached = ReadonlyMap<string, string>;

/** The file's st_mode (type and permission bits), as the v1 API's FileInfo.mode (a uint32); a symbol key, so not in /files/browse's JSON. */
export const ST_MODE: unique symbol = Symbol('st_mode');

export interface FileInfoJson {
  path: string;
  nlink: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** `ls -l` style, e.g. `-rw-r--r--`. */
  mode: string;
  /** Owner and group names (numbers when the name is unknown). */
  uid: string;
  gid: string;
  [ST_MODE]?: number;
}

/** Mesos caps one read at 16 pages. */
export const MAX_READ_BYTES = 16 * 4096;

const notFound = <T>(message = ''): FilesResult<T> => ({ ok: false, status: 404, message });
const bad = <T>(message: string): FilesResult<T> => ({ ok: false, status: 400, message });

/** `a` is `root` or inside it. */
const within = (a: string, root: string): boolean => a === root || a.startsWith(root.endsWith('/') ? root : `${root}/`);

export interface Resolved {
  /** The canonical path. */
  readonly real: string;
  /** The canonical path of the sandbox it is in. */
  readonly root: string;
}

/** The real, canonical path a virtual path names, if it is inside an attached directory. */
export async function resolvePath(path: string, attached: Attached): Promise<FilesResult<Resolved>> {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const tokens = trimmed.split('/');
  for (let k = tokens.length; k > 0; k--) {
    const prefix = tokens.slice(0, k).join('/');
    const root = attached.get(prefix);
    if (root === undefined) continue;
    const suffix = tokens.slice(k).join('/');
    let rootReal: string;
    try {
      rootReal = await realpath(root);
    } catch {
      return notFound(); // the sandbox is gone
    }
    // Joined as text: the file system, not a lexical normalisation, resolves `..` and symlinks.
    const candidate = suffix === '' ? rootReal : `${rootReal}/${suffix}`;
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return notFound();
      return bad(`Failed to determine canonical path of '${candidate}': ${code ?? (err as Error).message}.\n`);
    }
    if (!within(real, rootReal)) return bad(`'${candidate}' is inaccessible.\n`);
    return { ok: true, value: { real, root: rootReal } };
  }
  return notFound();
}

const TYPE_CHAR: ReadonlyArray<readonly [(s: Stats) => boolean, string]> = [
  [(s) => s.isFile(), '-'],
  [(s) => s.isDirectory(), 'd'],
  [(s) => s.isCharacterDevice(), 'c'],
  [(s) => s.isBlockDevice(), 'b'],
  [(s) => s.isFIFO(), 'p'],
  [(s) => s.isSymbolicLink(), 'l'],
  [(s) => s.isSocket(), 's'],
];

export function modeString(s: Stats): string {
  const type = TYPE_CHAR.find(([is]) => is(s))?.[1] ?? '-';
  const bits = 'rwxrwxrwx'
    .split('')
    .map((c, i) => ((s.mode & (0o400 >> i)) !== 0 ? c : '-'))
    .join('');
  return type + bits;
}

/** `name:x:id:…` lines of /etc/passwd or /etc/group → id → name. */
export function idNames(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name !== undefined && name !== '' && id !== undefined && /^\d+$/.test(id) && !out.has(Number(id))) out.set(Number(id), name);
  }
  return out;
}

async function names(file: string): Promise<Map<number, string>> {
  return idNames(await readFile(file, 'utf8').catch(() => ''));
}

/** Open a resolved file, and make sure what was opened is still inside its sandbox. */
export async function openConfined(r: Resolved): Promise<FilesResult<FileHandle>> {
  let fh: FileHandle;
  try {
    fh = await open(r.real, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return notFound();
    return { ok: false, status: 500, message: `Failed to open file at '${r.real}': ${(err as Error).message}.\n` };
  }
  const opened = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => r.real);
  if (!within(opened, r.root)) {
    await fh.close();
    return bad(`'${r.real}' is inaccessible.\n`);
  }
  return { ok: true, value: fh };
}

const requirePath = (path: string | null): FilesResult<string> =>
  path === null || path === '' ? bad("Expecting 'path=value' in query.\n") : { ok: true, value: path };

/** `/files/browse?path=`: the entries of an attached directory, sorted by path. */
export async function browse(pathParam: string | null, attached: Attached): Promise<FilesResult<FileInfoJson[]>> {
  const p = requirePath(pathParam);
  if (!p.ok) return p;
  const r = await resolvePath(p.value, attached);
  if (!r.ok) return r;
  let entries: string[];
  try {
    entries = (await stat(r.value.real)).isDirectory() ? await readdir(r.value.real) : [];
  } catch {
    return notFound();
  }
  const [users, groups] = await Promise.all([names('/etc/passwd'), names('/etc/group')]);
  const base = p.value.replace(/\/+$/, '');
  const out: FileInfoJson[] = [];
  for (const name of entries.sort()) {
    const full = `${r.value.real}/${name}`;
    let s: Stats;
    try {
      // As Mesos: a symlink is shown as what it points to (a dangling one is left out) — but one
      // that points out of the sandbox is shown as the link itself, telling nothing of its target.
      s = await stat(full);
      if ((await lstat(full)).isSymbolicLink() && !within(await realpath(full), r.value.root)) s = await lstat(full);
    } catch {
      continue;
    }
    out.push({
      path: `${base}/${name}`,
      nlink: s.nlink,
      size: s.size,
      mtime: s.mtimeMs / 1000,
      mode: modeString(s),
      uid: users.get(s.uid) ?? String(s.uid),
      gid: groups.get(s.gid) ?? String(s.gid),
      [ST_MODE]: s.mode,
    });
  }
  return { ok: true, value: out };
}

/** A query number as Mesos's numify: an optional sign and digits, nothing else. */
function parseInteger(raw: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
}

/**
 * `/files/read?path=&offset=&length=`: `{data, offset}`. No offset, or -1: the file's size and
 * no data (how a pager asks for the length). No length, or -1: to the end. At most MAX_READ_BYTES
 * per call; a read stops before a UTF-8 character cut in half, so `offset + byte length of data`
 * is where the next read starts.
 */
export async function readChunk(
  pathParam: string | null,
  offsetParam: string | null,
  lengthParam: string | null,
  attached: Attached,
): Promise<FilesResult<{ data: string; offset: number }>> {
  const p = requirePath(pathParam);
  if (!p.ok) return p;
  let offset = -1;
  if (offsetParam !== null) {
    const n = parseInteger(offsetParam);
    if (n === undefined) return bad(`Failed to parse offset: Failed to convert '${offsetParam}' to number.\n`);
    if (n < -1) return bad(`Negative offset provided: ${n}.\n`);
    offset = n;
  }
  let length: number | undefined;
  if (lengthParam !== null) {
    const n = parseInteger(lengthParam);
    if (n === undefined) return bad(`Failed to parse length: Failed to convert '${lengthParam}' to number.\n`);
    if (n < -1) return bad(`Negative length provided: ${n}.\n`);
    if (n > -1) length = n;
  }
  const r = await resolvePath(p.value, attached);
  if (!r.ok) return r;
  const opened = await openConfined(r.value);
  if (!opened.ok) return opened;
  const fh = opened.value;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) return bad('Cannot read a directory.\n');
    const size = st.size;
    if (offset === -1) return { ok: true, value: { data: '', offset: size } };
    if (offset >= size || length === 0) return { ok: true, value: { data: '', offset } };
    const want = Math.min(length ?? size - offset, size - offset, MAX_READ_BYTES);
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, offset);
    return { ok: true, value: { data: buf.subarray(0, utf8Boundary(buf, bytesRead)).toString('utf8'), offset } };
  } finally {
    await fh.close();
  }
}

/** The largest n ≤ len such that buf[0, n) does not end inside a UTF-8 sequence (len if none is cut). */
export function utf8Boundary(buf: Uint8Array, len: number): number {
  // Look back over at most 3 continuation bytes for the lead byte of the last sequence.
  for (let i = len - 1, back = 0; i >= 0 && back < 4; i--, back++) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return len - i >= need ? len : i === 0 && need > len ? len : i;
  }
  return len;
}

/** `/files/download?path=`: the open file (the caller streams and closes it), its name and size. */
export async function download(pathParam: string | null, attached: Attached): Promise<FilesResult<{ file: FileHandle; name: string; size: number }>> {
  const p = requirePath(pathParam);
  if (!p.ok) return p;
  const r = await resolvePath(p.value, attached);
  if (!r.ok) return r;
  const opened = await openConfined(r.value);
  if (!opened.ok) return opened;
  const s = await opened.value.stat();
  if (s.isDirectory()) {
    await opened.value.close();
    return bad('Cannot download a directory.\n');
  }
  return { ok: true, value: { file: opened.value, name: r.value.real.slice(r.value.real.lastIndexOf('/') + 1), size: s.size } };
}
