/**
 * The remote registry's pure rules: the WWW-Authenticate challenge, credentials from Docker's
 * config.json, the manifests of the v2 API (schema 2, OCI, lists and indexes, the linux/amd64
 * pick; schema 1 and foreign layers refused), and image names that carry a registry.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProvisionError } from '../../agent/provisioner/errors.js';
import { parseImageRef, remoteRepository } from '../../agent/provisioner/image-ref.js';
import { credentialsFor, DockerConfig, parseChallenge, registryKey } from '../../agent/provisioner/registry/auth.js';
import { MEDIA, parseManifest, pickPlatform } from '../../agent/provisioner/registry/manifest.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const code = (c: string) => (e: unknown): boolean => e instanceof ProvisionError && e.code === c;

test('WWW-Authenticate: Bearer with realm, service and scope (quoted, commas inside quotes); Basic; anything else is not answerable', () => {
  assert.equal(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/busybox:pull,push"'), {
    scheme: 'bearer',
    realm: 'https://auth.example/token',
    service: 'registry.example',
    scope: 'repository:library/busybox:pull,push',
  });
  assert.equal(parseChallenge('bearer realm="https://a/t"'), { scheme: 'bearer', realm: 'https://a/t' });
  assert.equal(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', realm: 'Registry Realm' });
  assert.is(parseChallenge('Bearer service="x"'), undefined, 'a Bearer challenge without a realm');
  assert.is(parseChallenge('Negotiate'), undefined);
  assert.is(parseChallenge(undefined), undefined);
});

test("config.json: auth (base64 user:password) or username/password, keyed by host:port with or without scheme and path", () => {
  const config = DockerConfig.parse({
    auths: {
      'https://reg.example:5000/v1/': { auth: Buffer.from('alice:pa:ss').toString('base64') },
      'other.example': { username: 'bob', password: 'pw' },
      'token.example': { identitytoken: 'refresh' },
    },
  });
  assert.equal(credentialsFor(config, 'reg.example:5000'), { username: 'alice', password: 'pa:ss' });
  assert.equal(credentialsFor(config, 'OTHER.example'), { username: 'bob', password: 'pw' });
  assert.is(credentialsFor(config, 'token.example'), undefined, 'an identity token alone is not used');
  assert.is(credentialsFor(config, 'reg.example'), undefined, 'the port is part of the key');
  assert.is(registryKey('https://Reg.Example:443/v2/'), 'reg.example:443');
  assert.equal(DockerConfig.parse({}), { auths: {} });
});

test('manifests: Docker schema 2 and OCI image manifests; lists and indexes resolved to linux/amd64; schema 1, foreign and zstd layers refused', () => {
  const image = { schemaVersion: 2, config: { digest: D('a'), size: 10 }, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: D('b'), size: 20 }] };
  const m = parseManifest('x:1', JSON.stringify({ ...image, mediaType: MEDIA.dockerManifest }), `${MEDIA.dockerManifest}; charset=utf-8`);
  assert.equal(m, { kind: 'image', config: image.config, layers: image.layers });
  assert.is(parseManifest('x:1', JSON.stringify(image), MEDIA.ociManifest).kind, 'image');
  const list = parseManifest(
    'x:1',
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { digest: D('c'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { digest: D('d'), size: 2, platform: { os: 'linux', architecture: 'amd64' } },
        { digest: D('e'), size: 3, platform: { os: 'windows', architecture: 'amd64' } },
      ],
    }),
    MEDIA.ociIndex,
  );
  assert.is(list.kind, 'list');
  if (list.kind !== 'list') return;
  assert.is(pickPlatform('x:1', list).digest, D('d'));
  assert.throws(() => pickPlatform('x:1', list, 'linux', 's390x'), (e: unknown) => code('IMAGE_NOT_FOUND')(e) && /has no linux\/s390x image \(it has: linux\/arm64, linux\/amd64, windows\/amd64\)/.test((e as Error).message));
  assert.is(parseManifest('x:1', JSON.stringify({ schemaVersion: 2, manifests: [] }), undefined).kind, 'list', 'a list known by its shape when no type is said');
  assert.throws(() => parseManifest('x:1', JSON.stringify({ schemaVersion: 1, fsLayers: [] }), MEDIA.dockerSchema1Signed), (e: unknown) => code('IMAGE_INVALID')(e) && /schema 1/.test((e as Error).message));
  for (const media of ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.oci.image.layer.v1.tar+zstd']) {
    const bad = { ...image, layers: [{ mediaType: media, digest: D('b'), size: 1 }] };
    assert.throws(() => parseManifest('x:1', JSON.stringify(bad), MEDIA.dockerManifest), (e: unknown) => code('IMAGE_INVALID')(e) && (e as Error).message.includes(media));
  }
  assert.throws(() => parseManifest('x:1', '{"schemaVersion":2,"config":{"digest":"md5:x","size":1},"layers":[]}', MEDIA.dockerManifest), code('IMAGE_INVALID'));
  assert.throws(() => parseManifest('x:1', 'not json', MEDIA.dockerManifest), code('IMAGE_INVALID'));
});

test('image names with a registry part: host:port or a dotted host or localhost first; official images under library/', () => {
  assert.equal(parseImageRef('localhost:5000/team/app:2'), { repository: 'team/app', tag: '2', text: 'localhost:5000/team/app:2', registry: 'localhost:5000' });
  assert.equal(parseImageRef('Registry.Example/app'), { repository: 'app', tag: 'latest', text: 'Registry.Example/app:latest', registry: 'registry.example' });
  assert.equal(parseImageRef('team/app:2'), { repository: 'team/app', tag: '2', text: 'team/app:2' });
  assert.is(remoteRepository(parseImageRef('busybox:1')), 'library/busybox');
  assert.is(remoteRepository(parseImageRef('team/app')), 'team/app');
  for (const bad of ['-bad-.example/app:1', 'host:99999x/app', '../x:1']) assert.throws(() => parseImageRef(bad), code('IMAGE_NAME_INVALID'), bad);
});

test.run();
