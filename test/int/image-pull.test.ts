/**
 * Pulling images from a remote registry (the provisioner on its own, no bus), against a real
 * distribution registry on loopback over HTTPS with a test CA (test/helpers/registry.ts): token
 * auth (anonymous and with credentials from a Docker config.json), basic auth, Docker schema 2 and
 * OCI manifests and an OCI index (linux/amd64 picked), concurrent pulls sharing one download per
 * layer, and bad pulls (unknown image, unauthorized, wrong password, a corrupt blob, too big, an
 * untrusted certificate) refused naming the image and the cause with nothing left in the cache.
 * PRUNE_IMAGES' prune: every unused rootfs goes but the ones kept by name.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findHostTools } from '../../agent/isolation/host-tools.js';
import type { TaskContainer } from '../../agent/isolation/task-isolator.js';
import { createProvisioner, ProvisionError, type Provisioner, type ProvisionerOptions } from '../../agent/provisioner/index.js';
import { loadDockerConfig } from '../../agent/provisioner/registry/load.js';
import { testLog } from '../helpers/cluster.js';
import { tarOf } from '../helpers/image-writer.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let dir: string;
let tokenReg: TestRegistry;
let basicReg: TestRegistry;
let ca: string;
let n = 0;

const layer = (osRelease: string, extra: string): Buffer =>
  tarOf([
    { path: 'etc/', type: 'dir' },
    { path: 'etc/os-release', type: 'file', content: osRelease },
    { path: 'srv/', type: 'dir' },
    { path: `srv/${extra}`, type: 'file', content: extra.repeat(100) },
  ]);
const upper = tarOf([
  { path: 'etc/', type: 'dir' },
  { path: 'etc/motd', type: 'file', content: 'upper\n' },
  { path: 'srv/', type: 'dir' },
  { path: 'srv/.wh..wh..opq', type: 'file' },
  { path: 'srv/top', type: 'file', content: 'top' },
]);

test.before(async () => {
  dir = mkdtempSync(join('/tmp', 'mesos-image-pull-'));
  tokenReg = await startRegistry({
    auth: 'token',
    dir: join(dir, 'token-registry'),
    users: { pusher: { password: 'push-secret', push: true }, alice: { password: 'alice-secret', pull: ['private/'] } },
    anonymousPull: ['library/', 'public/'],
  });
  basicReg = await startRegistry({ auth: 'basic', dir: join(dir, 'basic-registry'), users: { bob: { password: 'bob-secret', push: true } } });
  ca = readFileSync(tokenReg.ca, 'utf8');
});
test.after(async () => {
  await tokenReg?.stop();
  await basicReg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function provisioner(reg: TestRegistry, o: Partial<ProvisionerOptions> = {}): Promise<{ p: Provisioner; root: string }> {
  const root = join(dir, `work-${++n}`, 'provisioner');
  const p = await createProvisioner({ registry: reg.url, registryCa: readFileSync(reg.ca, 'utf8'), root, tools: await findHostTools(), log: testLog(), ...o });
  return { p, root };
}

function container(image: string): TaskContainer {
  const id = `c-${++n}`;
  const sandbox = join(dir, 'sandboxes', id);
  mkdirSync(sandbox, { recursive: true });
  return { containerId: id, sandbox, limits: { cpus: 0.1, memMb: 32 }, options: { image: { type: 'DOCKER', name: image } } };
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

const rootfsDirs = (root: string): string[] => readdirSync(join(root, 'cache', 'rootfs')).filter((x) => !x.includes('.'));
function onlyRootfs(root: string): string {
  const d = rootfsDirs(root);
  assert.is(d.length, 1, `one cached rootfs: ${d.join(', ')}`);
  return join(root, 'cache', 'rootfs', d[0]!);
}
/** Nothing half-written: no staging, no build, no rootfs. */
function cacheEmpty(root: string): void {
  assert.equal(readdirSync(join(root, 'cache', 'tmp')), [], 'nothing left in cache/tmp');
  assert.equal(rootfsDirs(root), [], 'no rootfs cached');
}

test('token auth, anonymous: a Docker schema 2 image of two layers is pulled (library/ for a one-part name), its config applied', async () => {
  const pushed = await tokenReg.push('library/app', '1', { layers: [layer('ID=pulled\n', 'a'), upper], config: { Env: ['FROM=registry'], Cmd: ['/bin/true'], WorkingDir: '/srv' } });
  const { p, root } = await provisioner(tokenReg);
  const c = container('app:1');
  const got = await p.prepare(c);
  const r = onlyRootfs(root);
  assert.is(readFileSync(join(r, 'etc/os-release'), 'utf8'), 'ID=pulled\n');
  assert.equal(readdirSync(join(r, 'srv')), ['top'], 'the opaque whiteout of the upper layer held');
  assert.equal(got.image?.env, { FROM: 'registry' });
  assert.is(got.image?.workingDir, '/srv');
  assert.equal(got.image?.argv({ value: '', shell: false }), ['/bin/true']);
  for (const l of pushed.layers) assert.is(tokenReg.blobGets(l, 'library/app'), 1, `layer ${l} fetched once`);
  assert.ok(tokenReg.tokenRequests().some((t) => t.scope === 'repository:library/app:pull' && t.user === undefined && t.status === 200), 'an anonymous token for the pull scope');
  assert.equal(readdirSync(join(root, 'cache', 'tmp')), [], 'the downloaded layers are gone once unpacked');
  await p.cleanup!(c.containerId);
  // The same name with the registry part is the same image; cached (Mesos's Image.cached, default true), the registry is not asked at all.
  const manifestGets = (): number => tokenReg.requests().filter((r) => r.method === 'GET' && r.uri.startsWith('/v2/library/app/manifests/')).length;
  const before = manifestGets();
  const again = container(`${tokenReg.hostPort}/app:1`);
  const warm = await p.prepare(again);
  assert.is(p.cache.builds(), 1, 'warm: no second build');
  assert.is(manifestGets(), before, 'warm and cached: no manifest GET');
  assert.equal(warm.image?.env, { FROM: 'registry' }, 'the config is remembered');
  for (const l of pushed.layers) assert.is(tokenReg.blobGets(l, 'library/app'), 1, 'warm: no layer fetched again');
  await p.cleanup!(again.containerId);
  const fresh = { ...container('app:1'), options: { image: { type: 'DOCKER' as const, name: 'app:1', cached: false } } };
  await p.prepare(fresh);
  assert.ok(manifestGets() > before, 'cached: false asks the registry for the manifest again');
  for (const l of pushed.layers) assert.is(tokenReg.blobGets(l, 'library/app'), 1, 'its layers are still cached: not fetched');
  await p.cleanup!(fresh.containerId);
  const other = await refusal(p, container('elsewhere.example:5000/app:1'));
  assert.is(other.code, 'IMAGE_NOT_FOUND');
  assert.match(other.message, /names the registry elsewhere\.example:5000, but this agent pulls from https:\/\/127\.0\.0\.1/);
});

test('an OCI manifest, and an OCI index whose linux/amd64 image is picked (not the arm64 one)', async () => {
  await tokenReg.push('public/oci', 'v1', { layers: [layer('ID=oci\n', 'o')] }, 'oci');
  await tokenReg.push('public/multi', 'v1', { layers: [layer('ID=amd64\n', 'm')] }, 'index');
  const { p, root } = await provisioner(tokenReg);
  const a = container('public/oci:v1');
  await p.prepare(a);
  assert.is(readFileSync(join(onlyRootfs(root), 'etc/os-release'), 'utf8'), 'ID=oci\n');
  await p.cleanup!(a.containerId);
  await p.prune([]);
  const b = container('public/multi:v1');
  await p.prepare(b);
  assert.is(readFileSync(join(onlyRootfs(root), 'etc/os-release'), 'utf8'), 'ID=amd64\n');
  await p.cleanup!(b.containerId);
});

test('concurrent pulls of one image share one download: six launches at once, each layer and the config fetched once, one unpack', async () => {
  const pushed = await tokenReg.push('public/burst', '1', { layers: [layer('ID=burst\n', 'b'), upper] });
  const { p } = await provisioner(tokenReg);
  const cs = Array.from({ length: 6 }, () => container('public/burst:1'));
  const all = await Promise.all(cs.map((c) => p.prepare(c)));
  assert.is(new Set(all.map((x) => x.image?.rootfs)).size, 6, 'a root per container');
  for (const l of pushed.layers) assert.is(tokenReg.blobGets(l, 'public/burst'), 1, `layer ${l}: one GET for six launches`);
  assert.is(tokenReg.blobGets(pushed.config, 'public/burst'), 1, 'the config: one GET');
  assert.is(tokenReg.blobGets(undefined, 'public/burst'), 3, 'no other blob GET');
  assert.is(p.cache.builds(), 1, 'one unpack');
  for (const c of cs) await p.cleanup!(c.containerId);
});

test('a private repository: anonymous is refused, the credentials of a --docker-config file pull it, a wrong password is refused', async () => {
  await tokenReg.push('private/secret', '1', { layers: [layer('ID=private\n', 's')] });
  const anon = await provisioner(tokenReg);
  const e1 = await refusal(anon.p, container('private/secret:1'));
  assert.is(e1.code, 'REGISTRY_UNAUTHORIZED', e1.message);
  assert.match(e1.message, /private\/secret:1/);
  assert.match(e1.message, /--docker-config/);
  cacheEmpty(anon.root);

  const good = await provisioner(tokenReg, { dockerConfig: await loadDockerConfig(tokenReg.dockerConfig('alice', 'alice-secret')) });
  const c = container('private/secret:1');
  await good.p.prepare(c);
  assert.is(readFileSync(join(onlyRootfs(good.root), 'etc/os-release'), 'utf8'), 'ID=private\n');
  assert.ok(tokenReg.tokenRequests().some((t) => t.user === 'alice' && t.scope === 'repository:private/secret:pull'), 'the token was asked for as alice');
  await good.p.cleanup!(c.containerId);

  const bad = await provisioner(tokenReg, { dockerConfig: await loadDockerConfig(tokenReg.dockerConfig('alice', 'wrong')) });
  const e2 = await refusal(bad.p, container('private/secret:1'));
  assert.is(e2.code, 'REGISTRY_UNAUTHORIZED');
  assert.match(e2.message, /token server .* refused the credentials of user alice/);
  cacheEmpty(bad.root);
});

test('basic auth (the registry\'s htpasswd): no credentials is refused saying what to give, the right ones pull', async () => {
  await basicReg.push('team/tool', '2', { layers: [layer('ID=basic\n', 't')] });
  const none = await provisioner(basicReg);
  const e = await refusal(none.p, container('team/tool:2'));
  assert.is(e.code, 'REGISTRY_UNAUTHORIZED');
  assert.match(e.message, /HTTP Basic.*--docker-config/);
  const withCreds = await provisioner(basicReg, { dockerConfig: await loadDockerConfig(basicReg.dockerConfig('bob', 'bob-secret')) });
  const c = container('team/tool:2');
  await withCreds.p.prepare(c);
  assert.is(readFileSync(join(onlyRootfs(withCreds.root), 'etc/os-release'), 'utf8'), 'ID=basic\n');
  await withCreds.p.cleanup!(c.containerId);
});

test('bad pulls: an unknown image (404), a corrupt blob, an image over --image-max-size, an untrusted certificate: refused naming the image and the cause, nothing left in the cache', async () => {
  const { p, root } = await provisioner(tokenReg);
  const missing = await refusal(p, container('public/nope:404'));
  assert.is(missing.code, 'IMAGE_NOT_FOUND');
  assert.match(missing.message, /image public\/nope:404 is not in registry https:\/\/127\.0\.0\.1:\d+/);
  const missingTag = await refusal(p, container('app:no-such-tag'));
  assert.is(missingTag.code, 'IMAGE_NOT_FOUND');
  cacheEmpty(root);

  const pushed = await tokenReg.push('public/corrupt', '1', { layers: [layer('ID=fine\n', 'f'), layer('ID=corrupt\n', 'c')] });
  tokenReg.corruptBlob(pushed.layers[1]!);
  const corrupt = await refusal(p, container('public/corrupt:1'));
  assert.is(corrupt.code, 'LAYER_CORRUPT');
  assert.match(corrupt.message, new RegExp(`public/corrupt:1: blob ${pushed.layers[1]} from registry .* is corrupt: its content hashes to sha256:`));
  cacheEmpty(root);

  const big = await tokenReg.push('public/big', '1', { layers: [tarOf([{ path: 'blob', type: 'file', content: randomBytes(300_000) }])] });
  const small = await provisioner(tokenReg, { imageMaxBytes: 100_000 });
  const tooBig = await refusal(small.p, container('public/big:1'));
  assert.is(tooBig.code, 'IMAGE_TOO_BIG', tooBig.message);
  assert.match(tooBig.message, /public\/big:1: its layers are \d+ bytes, more than the 100000 this agent allows/);
  assert.is(tokenReg.blobGets(big.layers[0]), 0, 'refused before anything was downloaded');
  cacheEmpty(small.root);

  const untrusted = await provisioner(tokenReg, { registryCa: undefined as unknown as string });
  const tls = await refusal(untrusted.p, container('app:1'));
  assert.is(tls.code, 'REGISTRY_FAILED');
  assert.match(tls.message, /cannot reach https:\/\/127\.0\.0\.1:\d+: .*--docker-registry-ca/);
  cacheEmpty(untrusted.root);
});

test('prune (PRUNE_IMAGES): every rootfs no container uses goes, but one in use and one excluded by name stay', async () => {
  await tokenReg.push('public/p1', '1', { layers: [layer('ID=p1\n', '1')] });
  await tokenReg.push('public/p2', '1', { layers: [layer('ID=p2\n', '2')] });
  await tokenReg.push('public/p3', '1', { layers: [layer('ID=p3\n', '3')] });
  const { p, root } = await provisioner(tokenReg);
  const [a, b, c] = [container('public/p1:1'), container('public/p2:1'), container('public/p3:1')];
  for (const x of [a, b, c]) await p.prepare(x);
  await p.cleanup!(b.containerId);
  await p.cleanup!(c.containerId);
  assert.is(rootfsDirs(root).length, 3);
  const removed = await p.prune(['public/p3:1']);
  assert.is(removed.length, 1, 'only p2 (unused, not excluded) removed');
  const left = rootfsDirs(root).map((d) => readFileSync(join(root, 'cache', 'rootfs', d, 'etc/os-release'), 'utf8')).sort();
  assert.equal(left, ['ID=p1\n', 'ID=p3\n']);
  await p.cleanup!(a.containerId);
  await p.prune([]);
  assert.equal(rootfsDirs(root), [], 'all gone once unused');
  assert.not.ok(existsSync(join(root, 'containers', a.containerId)));
});

test.run();
