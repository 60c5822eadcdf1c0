/**
 * Test images written by the tests and the image benchmark themselves: a small ustar writer (so hostile entries — `../`
 * paths, escaping links — can be written as they are), a busybox-static root filesystem layer from
 * the host's /bin/busybox (Debian's busybox-static; scripts/busybox.sh installs it), and the two
 * store formats the provisioner reads: a `docker save` archive and an OCI image layout.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink';
  readonly content?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  h.write(name, 0, 100);
  const mode = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136);
  h.write('        ', 148);
  h.write({ file: '0', hardlink: '1', symlink: '2', dir: '5' }[e.type], 156);
  h.write(e.linkname ?? '', 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('root', 265);
  h.write('root', 297);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** A tar archive of exactly these entries. */
export function tarOf(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const BUSYBOX = '/bin/busybox';
export const haveBusybox = (): boolean => existsSync(BUSYBOX);

/** The entries of a busybox-static root: /bin/busybox, its applets as absolute links, /etc/os-release. */
function busyboxEntries(osRelease: string): TarEntry[] {
  const applets = execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  return [
    { path: 'bin/', type: 'dir' },
    { path: 'bin/busybox', type: 'file', content: readFileSync(BUSYBOX), mode: 0o755 },
    ...applets.map((a): TarEntry => ({ path: `bin/${a}`, type: 'symlink', linkname: '/bin/busybox' })),
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', type: 'file', content: osRelease },
    { path: 'etc/passwd', type: 'file', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' },
    { path: 'tmp/', type: 'dir', mode: 0o1777 },
    { path: 'root/', type: 'dir', mode: 0o700 },
  ];
}

/** A root filesystem layer of busybox-static. */
export function busyboxLayer(osRelease: string): Buffer {
  return tarOf(busyboxEntries(osRelease));
}

/** `<store>/<name>-<version>-linux-amd64.aci` (gzip): an APPC image of busybox-static, as simple discovery names it. Returns its path. */
export function writeBusyboxAci(store: string, name: string, version: string, osRelease: string, app: Record<string, unknown> = {}): string {
  const manifest = { acKind: 'ImageManifest', acVersion: '0.8.11', name, labels: [{ name: 'version', value: version }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }], app: { exec: ['/bin/sh'], user: '0', group: '0', ...app } };
  const file = join(store, `${name}-${version}-linux-amd64.aci`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(tarOf([{ path: 'manifest', type: 'file', content: JSON.stringify(manifest) }, { path: 'rootfs/', type: 'dir' }, ...busyboxEntries(osRelease).map((e) => ({ ...e, path: `rootfs/${e.path}` }))])));
  return file;
}

export interface ImageSpec {
  /** `repo:tag` */
  readonly name: string;
  readonly layers: readonly Buffer[];
  readonly config?: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function configBlob(spec: ImageSpec): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: spec.config ?? {},
      rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => `sha256:${sha(l)}`) },
    }),
  );
}

/**
 * `<store>/<repo>:<tag>.tar`, as `docker save` writes it: `classic` (before Docker 25: `<id>.json`,
 * `<id>/layer.tar`) or `blobs` (Docker 25 and later: config and layers under `blobs/sha256/`). Returns its path.
 */
export function writeDockerArchive(store: string, spec: ImageSpec, form: 'classic' | 'blobs' = 'classic'): string {
  const config = configBlob(spec);
  const configName = form === 'classic' ? `${sha(config)}.json` : `blobs/sha256/${sha(config)}`;
  const layerNames = spec.layers.map((l) => (form === 'classic' ? `${sha(l)}/layer.tar` : `blobs/sha256/${sha(l)}`));
  const manifest = [{ Config: configName, RepoTags: [spec.name], Layers: layerNames }];
  const file = join(store, `${spec.name}.tar`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    tarOf([
      ...(form === 'blobs' ? [{ path: 'blobs/', type: 'dir' as const }, { path: 'blobs/sha256/', type: 'dir' as const }] : []),
      ...spec.layers.flatMap((l, i): TarEntry[] => [
        ...(form === 'classic' ? [{ path: `${sha(l)}/`, type: 'dir' as const }] : []),
        { path: layerNames[i]!, type: 'file', content: l },
      ]),
      { path: configName, type: 'file', content: config },
      { path: 'manifest.json', type: 'file', content: JSON.stringify(manifest) },
    ]),
  );
  return file;
}

/** `<store>/<repo>:<tag>/`, an OCI image layout with gzip layers. Returns its directory. */
export function writeOciLayout(store: string, spec: ImageSpec): string {
  const dir = join(store, spec.name);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): string => {
    const d = sha(b);
    writeFileSync(join(blobs, d), b);
    return `sha256:${d}`;
  };
  const config = configBlob(spec);
  const layers = spec.layers.map((l) => {
    const gz = gzipSync(l);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(gz), size: gz.length };
  });
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length }, layers }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }] }),
  );
  return dir;
}
