/**
 * The provisioner on its own (no bus): images from a local store in both formats, layers applied
 * with their whiteouts, hostile and corrupt layers refused with nothing written outside the cache,
 * concurrent launches of one image sharing one build, and the cache garbage-collected by size.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProvisioner, ProvisionError, type Provisioner } from '../../agent/provisioner/index.js';
import { findHostTools } from '../../agent/isolation/host-tools.js';
import type { TaskContainer } from '../../agent/isolation/task-isolator.js';
import { testLog } from '../helpers/cluster.js';
import { busyboxLayer, haveBusybox, tarOf, writeDockerArchive, writeOciLayout } from '../helpers/image-writer.js';

let dir: string;
let store: string;
let n = 0;

test.before(() => {
  dir = mkdtempSync(join('/tmp', 'mesos-provisioner-'));
  store = join(dir, 'store');
  mkdirSync(store);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function provisioner(o: { cacheMaxBytes?: number; appcStore?: string; imageMaxBytes?: number } = {}): Promise<{ p: Provisioner; root: string }> {
  const root = join(dir, `work-${++n}`, 'provisioner');
  const p = await createProvisioner({ registry: store, root, tools: await findHostTools(), log: testLog(), ...o });
  return { p, root };
}

function container(image: string, extra: Partial<TaskContainer['options']> = {}): TaskContainer {
  const id = `c-${++n}`;
  const sandbox = join(dir, 'sandboxes', id);
  mkdirSync(sandbox, { recursive: true });
  return { containerId: id, sandbox, limits: { cpus: 0.1, memMb: 32 }, options: { image: { type: 'DOCKER', name: image }, ...extra } };
}

async function refusal(p: Provisioner, c: TaskContainer): Promise<ProvisionError> {
  try {
    await p.prepare(c);
  } catch (err) {
    assert.instance(err, ProvisionError);
    return err as ProvisionError;
  }
  throw new Error('expected a refusal');
}

/** The cached rootfs of the only image in a provisioner's cache. */
function cachedRootfs(root: string): string {
  const dirs = readdirSync(join(root, 'cache', 'rootfs')).filter((x) => !x.includes('.'));
  assert.is(dirs.length, 1, `one cached rootfs: ${dirs.join(', ')}`);
  return join(root, 'cache', 'rootfs', dirs[0]!);
}

const base = tarOf([
  { path: 'etc/', type: 'dir' },
  { path: 'etc/os-release', type: 'file', content: 'ID=base\n' },
  { path: 'etc/gone', type: 'file', content: 'lower\n' },
  { path: 'opt/', type: 'dir' },
  { path: 'opt/old-a', type: 'file', content: 'a' },
  { path: 'opt/old-b', type: 'file', content: 'b' },
  { path: 'lib/', type: 'dir' },
  { path: 'lib/link', type: 'symlink', linkname: '/etc/os-release' },
]);
const top = tarOf([
  { path: 'etc/', type: 'dir' },
  { path: 'etc/.wh.gone', type: 'file' },
  { path: 'opt/', type: 'dir' },
  { path: 'opt/new', type: 'file', content: 'n' },
  { path: 'opt/.wh..wh..opq', type: 'file' },
  { path: 'etc/os-release', type: 'file', content: 'ID=top\n' },
]);

test('a docker archive: two layers applied in order, .wh. removes a lower file, an opaque dir hides the lower contents but keeps its own', async () => {
  writeDockerArchive(store, { name: 'two:layers', layers: [base, top] });
  const { p, root } = await provisioner();
  const c = container('two:layers');
  const got = await p.prepare(c);
  assert.ok(got.image !== undefined);
  const r = cachedRootfs(root);
  assert.is(readFileSync(join(r, 'etc/os-release'), 'utf8'), 'ID=top\n');
  assert.not.ok(existsSync(join(r, 'etc/gone')), 'whiteout removed etc/gone');
  assert.not.ok(existsSync(join(r, 'etc/.wh.gone')), 'no whiteout marker left');
  assert.equal(readdirSync(join(r, 'opt')).sort(), ['new'], 'opaque dir: only the upper layer\'s file');
  assert.is(lstatSync(join(r, 'lib/link')).isSymbolicLink(), true, 'an absolute link inside the image is kept');
  await p.cleanup!(c.containerId);
  assert.not.ok(existsSync(join(root, 'containers', c.containerId)), 'the container\'s provisioner dir is removed');
});

test('a docker archive as Docker 25+ saves it (config and layers under blobs/sha256/, manifest.json last) gives the same rootfs', async () => {
  writeDockerArchive(store, { name: 'blobs:v25', layers: [base, top], config: { Cmd: ['/bin/true'] } }, 'blobs');
  const { p, root } = await provisioner();
  const c = container('blobs:v25');
  const got = await p.prepare(c);
  assert.is(readFileSync(join(cachedRootfs(root), 'etc/os-release'), 'utf8'), 'ID=top\n');
  assert.equal(got.image?.argv({ value: '', shell: false }), ['/bin/true']);
  await p.cleanup!(c.containerId);
});

test('an OCI layout (gzip layers) gives the same rootfs; its config is applied by the image launch', async () => {
  writeOciLayout(store, { name: 'oci:v1', layers: [base, top], config: { Entrypoint: ['/bin/echo'], Cmd: ['hi'], Env: ['PATH=/opt/bin:/bin', 'A=1'], WorkingDir: '/opt' } });
  const { p, root } = await provisioner();
  const c = container('oci:v1');
  const got = await p.prepare(c);
  assert.is(readFileSync(join(cachedRootfs(root), 'etc/os-release'), 'utf8'), 'ID=top\n');
  assert.is(got.image?.workingDir, '/opt');
  assert.equal(got.image?.env, { PATH: '/opt/bin:/bin', A: '1' });
  assert.equal(got.image?.argv({ value: '', shell: false }), ['/bin/echo', 'hi']);
  assert.equal(got.image?.argv({ value: '', shell: false, arguments: ['x', 'y'] }), ['/bin/echo', 'x', 'y']);
  assert.equal(got.image?.argv({ value: 'ls -l', shell: true }), ['/bin/sh', '-c', 'ls -l']);
  await p.cleanup!(c.containerId);
});

test('hostile layers are refused and write nothing outside the cache: ../ paths, a link escaping the root, writing through a link', async () => {
  const outside = join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  const cases: [string, Buffer, RegExp][] = [
    ['dotdot', tarOf([{ path: '../../../../outside/evil', type: 'file', content: 'x' }]), /leaves the root/],
    ['absolute', tarOf([{ path: '/tmp/evil-abs', type: 'file', content: 'x' }]), /leaves the root/],
    ['escape', tarOf([{ path: 'esc', type: 'symlink', linkname: '../../../../../../outside' }, { path: 'esc/evil', type: 'file', content: 'x' }]), /escapes the rootfs/],
    ['hardlink', tarOf([{ path: 'h', type: 'hardlink', linkname: '../../../etc/passwd' }]), /points outside/],
  ];
  const { p, root } = await provisioner();
  for (const [name, layer, why] of cases) {
    writeDockerArchive(store, { name: `hostile:${name}`, layers: [layer] });
    const err = await refusal(p, container(`hostile:${name}`));
    assert.is(err.code, 'LAYER_HOSTILE', `${name}: ${err.message}`);
    assert.match(err.message, `hostile:${name}`);
    assert.match(err.message, why);
  }
  // A link to an absolute path is fine inside the image, but nothing may be written through it.
  writeDockerArchive(store, { name: 'hostile:through', layers: [tarOf([{ path: 'up', type: 'symlink', linkname: outside }]), tarOf([{ path: 'up/evil', type: 'file', content: 'x' }])] });
  const err = await refusal(p, container('hostile:through'));
  assert.is(err.code, 'LAYER_HOSTILE', err.message);
  assert.equal(readdirSync(outside), [], 'nothing written outside');
  assert.not.ok(existsSync('/tmp/evil-abs'));
  assert.equal(readdirSync(join(root, 'cache', 'rootfs')), [], 'no rootfs cached for a refused image');
  assert.equal(readdirSync(join(root, 'cache', 'tmp')), [], 'nothing half-built left');
});

test('a missing image, a corrupt layer, a truncated archive: refused, naming the image and what is wrong', async () => {
  const { p } = await provisioner();
  const missing = await refusal(p, container('nope:1'));
  assert.is(missing.code, 'IMAGE_NOT_FOUND');
  assert.match(missing.message, /nope:1/);
  // OCI: a blob whose content no longer matches its digest.
  const layout = writeOciLayout(store, { name: 'corrupt:oci', layers: [base] });
  const blobs = join(layout, 'blobs', 'sha256');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
  writeFileSync(join(blobs, manifest.layers[0]!.digest.slice(7)), 'not the layer');
  const corrupt = await refusal(p, container('corrupt:oci'));
  assert.is(corrupt.code, 'LAYER_CORRUPT');
  assert.match(corrupt.message, /corrupt:oci.*is corrupt/);
  // Docker archive: a layer whose content differs from the config's diff id.
  const archive = writeDockerArchive(store, { name: 'corrupt:docker', layers: [base] });
  const bytes = readFileSync(archive);
  const at = bytes.indexOf('ID=base');
  bytes.write('ID=evil', at);
  writeFileSync(archive, bytes);
  const diff = await refusal(p, container('corrupt:docker'));
  assert.is(diff.code, 'LAYER_CORRUPT', diff.message);
  writeFileSync(join(store, 'trunc:1.tar'), bytes.subarray(0, 700));
  const trunc = await refusal(p, container('trunc:1'));
  assert.match(trunc.message, /trunc:1/);
  const appc = await refusal(p, { ...container('x:1'), options: { image: { type: 'APPC', name: 'x' } } });
  assert.is(appc.code, 'NO_IMAGE_STORE');
  assert.match(appc.message, /--appc-store DIR/);
});

test('APPC: an .aci found by name and labels (simple discovery file names) gives its rootfs/ as the root, its manifest\'s app as the config; bad ones refused', async () => {
  const appcStore = join(dir, 'appc');
  mkdirSync(join(appcStore, 'example.com'), { recursive: true });
  const manifest = (name: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name, labels: [{ name: 'version', value: '1.0' }, { name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }], app: { exec: ['/bin/app', '--serve'], workingDirectory: '/srv', environment: [{ name: 'MODE', value: 'appc' }], user: '0', group: '0' }, ...extra });
  const aci = (name: string, m: string, rest: Parameters<typeof tarOf>[0] = []): Buffer =>
    tarOf([
      { path: 'manifest', type: 'file', content: m },
      { path: 'rootfs/', type: 'dir' },
      { path: 'rootfs/etc/', type: 'dir' },
      { path: 'rootfs/etc/os-release', type: 'file', content: `ID=${name}\n` },
      { path: 'rootfs/etc/hard', type: 'hardlink', linkname: 'rootfs/etc/os-release' },
      { path: 'rootfs/bin/', type: 'dir' },
      { path: 'rootfs/bin/sh', type: 'symlink', linkname: '/bin/busybox' },
      ...rest,
    ]);
  writeFileSync(join(appcStore, 'example.com', 'app-1.0-linux-amd64.aci'), gzipSync(aci('appc', manifest('example.com/app'))));
  const { p, root } = await provisioner({ appcStore });
  const c = { ...container('-'), options: { image: { type: 'APPC' as const, name: 'example.com/app', labels: { version: '1.0' } } } };
  const got = await p.prepare(c);
  const r = cachedRootfs(root);
  assert.is(readFileSync(join(r, 'etc/os-release'), 'utf8'), 'ID=appc\n');
  assert.is(readFileSync(join(r, 'etc/hard'), 'utf8'), 'ID=appc\n', 'a hard link inside rootfs/');
  assert.is(lstatSync(join(r, 'bin/sh')).isSymbolicLink(), true);
  assert.not.ok(existsSync(join(r, 'manifest')), 'the manifest is not part of the root');
  assert.not.ok(existsSync(join(r, 'rootfs')), 'rootfs/ is the root, not inside it');
  assert.equal(got.image?.argv({ value: '', shell: false }), ['/bin/app', '--serve']);
  assert.equal(got.image?.env, { MODE: 'appc' });
  assert.is(got.image?.workingDir, '/srv');
  await p.cleanup!(c.containerId);

  const appcOf = (name: string, labels: Record<string, string> = {}): TaskContainer => ({ ...container('-'), options: { image: { type: 'APPC', name, labels } } });
  const missing = await refusal(p, appcOf('example.com/app', { version: '2.0' }));
  assert.is(missing.code, 'IMAGE_NOT_FOUND');
  assert.match(missing.message, /appc image example\.com\/app:2\.0: not in the APPC store .*example\.com\/app-2\.0-linux-amd64\.aci/);
  writeFileSync(join(appcStore, 'other-latest-linux-amd64.aci'), aci('x', manifest('not-other')));
  assert.match((await refusal(p, appcOf('other'))).message, /holds the image "not-other", not "other"/);
  writeFileSync(join(appcStore, 'deps-latest-linux-amd64.aci'), aci('x', manifest('deps', { dependencies: [{ imageName: 'base' }] })));
  assert.match((await refusal(p, appcOf('deps'))).message, /dependencies/);
  writeFileSync(join(appcStore, 'evil-latest-linux-amd64.aci'), aci('x', manifest('evil'), [{ path: 'rootfs/esc', type: 'hardlink', linkname: 'manifest' }]));
  assert.is((await refusal(p, appcOf('evil'))).code, 'LAYER_HOSTILE', 'a hard link to outside rootfs/');
  assert.is((await refusal(p, appcOf('../x'))).code, 'IMAGE_NAME_INVALID');
  assert.equal(readdirSync(join(root, 'cache', 'tmp')), [], 'nothing half-built left');
});

test('an image whose layers unpack to more than --image-max-size is refused while it is built, nothing left behind', async () => {
  const big = (c: string): Buffer => tarOf([{ path: `${c}`, type: 'file', content: c.repeat(60_000) }]);
  writeDockerArchive(store, { name: 'too:big', layers: [big('a'), big('b')] });
  const { p, root } = await provisioner({ imageMaxBytes: 100_000 });
  const err = await refusal(p, container('too:big'));
  assert.is(err.code, 'IMAGE_TOO_BIG');
  assert.match(err.message, /image too:big: unpacked, its layers hold more than the 100000 bytes this agent allows/);
  assert.equal(readdirSync(join(root, 'cache', 'rootfs')), []);
  assert.equal(readdirSync(join(root, 'cache', 'tmp')), []);
});

test('concurrent launches of one image share one build; a second provisioner run reuses the cache', async () => {
  if (!haveBusybox()) throw new Error('busybox-static is not installed (scripts/busybox.sh)');
  writeDockerArchive(store, { name: 'busybox:shared', layers: [busyboxLayer('ID=shared\n')] });
  const { p } = await provisioner();
  const cs = Array.from({ length: 8 }, () => container('busybox:shared'));
  const all = await Promise.all(cs.map((c) => p.prepare(c)));
  assert.is(p.cache.builds(), 1, 'one unpack for eight launches');
  assert.is(new Set(all.map((a) => a.image?.rootfs)).size, 8, 'a root per container');
  const again = container('busybox:shared');
  await p.prepare(again);
  assert.is(p.cache.builds(), 1, 'warm cache: no build');
  for (const c of [...cs, again]) await p.cleanup!(c.containerId);
});

test('garbage collection by size: the least recently used image not in use goes', async () => {
  const { p, root } = await provisioner({ cacheMaxBytes: 40 });
  const layer = (id: string): Buffer => tarOf([{ path: 'f', type: 'file', content: id.repeat(30) }]);
  writeDockerArchive(store, { name: 'gc:a', layers: [layer('a')] });
  writeDockerArchive(store, { name: 'gc:b', layers: [layer('b')] });
  const a = container('gc:a');
  await p.prepare(a);
  const b = container('gc:b');
  await p.prepare(b); // 60 bytes > 40, but both are in use
  assert.is(readdirSync(join(root, 'cache', 'rootfs')).filter((x) => !x.includes('.')).length, 2);
  await p.cleanup!(a.containerId);
  const removed = await p.cache.collect();
  assert.is(removed.length, 1, 'gc:a (unused) removed');
  assert.is(readdirSync(join(root, 'cache', 'rootfs')).filter((x) => !x.includes('.')).length, 1);
  await p.cleanup!(b.containerId);
});

test.run();
