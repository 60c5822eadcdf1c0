/**
 * The fetcher (Mesos's mesos-fetcher, without its cache): before a task starts, each of its URIs
 * is copied into the sandbox — an http(s) URL is downloaded, a file:// URL or an absolute path on
 * the agent is copied — as `outputFile` or the URI's last path segment. Then, unless the URI is
 * `executable` (chmod 0755), an archive is unpacked into the sandbox when `extract` is set (the
 * default, as in Mesos): .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz with tar(1), .zip with
 * unzip(1); a missing tool is a clear error. What it does is logged to the sandbox's stderr, as
 * Mesos's fetcher does. Fetched files belong to the task's user.
 *
 * Any failure fails the launch (TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, "Failed to fetch …").
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { appendFile, chmod, chown, copyFile, mkdir, stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandUri } from '../events/index.js';
import type { HostTools } from './isolation/host-tools.js';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly code: 'BAD_URI' | 'DOWNLOAD_FAILED' | 'COPY_FAILED' | 'EXTRACT_FAILED' | 'TOOL_MISSING',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type UriSource = { readonly kind: 'http'; readonly url: URL } | { readonly kind: 'file'; readonly path: string };

/** Pure: where a URI is fetched from. */
export function uriSource(value: string): UriSource {
  if (value.startsWith('/')) return { kind: 'file', path: path.normalize(value) };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FetchError('BAD_URI', `"${value}" is neither an absolute path nor a URL`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'http', url };
  if (url.protocol === 'file:') return { kind: 'file', path: decodeURIComponent(url.pathname) };
  throw new FetchError('BAD_URI', `"${value}": scheme ${url.protocol.replace(/:$/, '')} is not supported (http, https, file, or an absolute path)`);
}

/** Pure: the file name a URI is saved as (its last path segment), unless outputFile says. */
export function outputName(uri: Pick<CommandUri, 'value' | 'outputFile'>): string {
  if (uri.outputFile !== undefined) return uri.outputFile;
  const src = uriSource(uri.value);
  const p = src.kind === 'http' ? decodeURIComponent(src.url.pathname) : src.path;
  const base = path.basename(p);
  if (base === '' || base === '/' || base === '.' || base === '..') throw new FetchError('BAD_URI', `"${uri.value}" names no file; give outputFile`);
  return base;
}

export type ArchiveKind = 'tar' | 'zip';

/** Pure: is this file name an archive the fetcher unpacks, and with what. */
export function archiveKind(name: string): ArchiveKind | undefined {
  const n = name.toLowerCase();
  if (/\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz)$/.test(n)) return 'tar';
  if (n.endsWith('.zip')) return 'zip';
  return undefined;
}

export interface FetchOptions {
  readonly sandbox: string;
  readonly tools: HostTools;
  /** Owner of what is fetched (the task's user), when the agent switches users. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** argv prefix that runs the unpacking as that user (setpriv …), so an archive cannot write as root. */
  readonly asOwner?: readonly string[];
  /** Per download (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Aborts the fetch (the task was killed while it was being fetched). */
  readonly signal?: AbortSignal;
}

function run(argv: readonly string[], cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(file!, args, { cwd, timeout: timeoutMs, maxBuffer: 1024 * 1024, ...(signal !== undefined ? { signal } : {}) }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`${path.basename(file!)} failed: ${(stderr || err.message).trim().slice(0, 500)}`));
    });
  });
}

async function download(url: URL, dest: string, timeoutMs: number, abort?: AbortSignal): Promise<void> {
  let res: Response;
  const signal = abort === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([AbortSignal.timeout(timeoutMs), abort]);
  try {
    res = await fetch(url, { redirect: 'follow', signal });
  } catch (err) {
    throw new FetchError('DOWNLOAD_FAILED', `cannot download ${url.href}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || res.body === null) throw new FetchError('DOWNLOAD_FAILED', `cannot download ${url.href}: HTTP ${res.status} ${res.statusText}`);
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(dest, { mode: 0o644 }));
  } catch (err) {
    throw new FetchError('DOWNLOAD_FAILED', `cannot download ${url.href}: ${(err as Error).message}`, { cause: err });
  }
}

/** Fetch every URI into the sandbox, in order. Resolves with what was fetched (sandbox paths). */
export async function fetchUris(uris: readonly CommandUri[], o: FetchOptions): Promise<string[]> {
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  const note = (line: string): Promise<void> => appendFile(path.join(o.sandbox, 'stderr'), `${line}\n`).catch(() => undefined);
  const out: string[] = [];
  for (const uri of uris) {
    if (o.signal?.aborted === true) throw new FetchError('DOWNLOAD_FAILED', 'the fetch was aborted (the task was killed)');
    const src = uriSource(uri.value);
    const name = outputName(uri);
    const dest = path.join(o.sandbox, name);
    if (!dest.startsWith(`${o.sandbox}/`)) throw new FetchError('BAD_URI', `output file ${name} is outside the sandbox`);
    await mkdir(path.dirname(dest), { recursive: true });
    await note(`Fetching ${uri.value} to ${dest}`);
    if (src.kind === 'http') {
      await download(src.url, dest, timeoutMs, o.signal);
    } else {
      try {
        const st = await stat(src.path);
        if (!st.isFile()) throw new Error('not a regular file');
        await copyFile(src.path, dest);
      } catch (err) {
        throw new FetchError('COPY_FAILED', `cannot copy ${src.path}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (o.owner !== undefined) await chown(dest, o.owner.uid, o.owner.gid);
    if (uri.executable) {
      await chmod(dest, 0o755);
    } else if (uri.extract) {
      const kind = archiveKind(name);
      if (kind !== undefined) {
        const tool = kind === 'tar' ? o.tools.tar : o.tools.unzip;
        if (tool === undefined) {
          throw new FetchError('TOOL_MISSING', `cannot extract ${name}: ${kind === 'tar' ? 'tar' : 'unzip'} is not installed on this agent (install it, or fetch with extract: false)`);
        }
        const dir = path.dirname(dest);
        try {
          // tar detects the compression itself (-a is for creating); never follow the archive out of the sandbox.
          const as = o.asOwner ?? [];
          if (kind === 'tar') await run([...as, tool, '-xf', dest, '-C', dir, '--no-same-owner', '--no-same-permissions'], dir, timeoutMs, o.signal);
          else await run([...as, tool, '-o', '-q', dest, '-d', dir], dir, timeoutMs, o.signal);
        } catch (err) {
          throw new FetchError('EXTRACT_FAILED', `cannot extract ${name}: ${(err as Error).message}`, { cause: err });
        }
        await note(`Extracted ${dest} into ${dir}`);
      }
    }
    out.push(dest);
  }
  return out;
}
