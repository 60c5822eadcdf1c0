/**
 * The provisioner's pure rules: image names, which layer entries may be unpacked, Mesos's table
 * of how a command combines with the image's Entrypoint/Cmd, the image's Env and WorkingDir, the
 * mounts made in the task's namespace and the chain id of a layer stack.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageArgv, imageEnvironment, imageWorkingDir } from '../../agent/provisioner/image-config.js';
import { parseImageRef, storeCandidates } from '../../agent/provisioner/image-ref.js';
import { judgeEntry, relativeTargetInside } from '../../agent/provisioner/layer-entry.js';
import { enterRootArgv, mountLines, overlayPathProblem } from '../../agent/provisioner/mount-plan.js';
import { chainIdOf } from '../../agent/provisioner/image-store.js';
import { ProvisionError } from '../../agent/provisioner/errors.js';

test('image names: repo[:tag] (latest by default), path components checked, digests refused', () => {
  assert.equal(parseImageRef('busybox'), { repository: 'busybox', tag: 'latest', text: 'busybox:latest' });
  assert.equal(parseImageRef('library/busybox:1.36'), { repository: 'library/busybox', tag: '1.36', text: 'library/busybox:1.36' });
  assert.equal(storeCandidates(parseImageRef('a/b:c')), { archive: 'a/b:c.tar', layout: 'a/b:c', layoutByRepo: 'a/b' });
  for (const bad of ['../etc:1', 'UPPER:1', 'a//b:1', 'x:../y', 'x@sha256:00', '']) assert.throws(() => parseImageRef(bad), (e: unknown) => e instanceof ProvisionError && e.code === 'IMAGE_NAME_INVALID', bad);
});

test("layer entries: ../ and absolute paths refused, links escaping the root refused, absolute links allowed, devices skipped, whiteouts recognised", () => {
  assert.equal(judgeEntry('./bin/sh', 'SymbolicLink', '/bin/busybox'), { kind: 'unpack', path: 'bin/sh' });
  assert.equal(judgeEntry('usr/lib/x', 'SymbolicLink', '../../lib/x'), { kind: 'unpack', path: 'usr/lib/x' });
  assert.is(judgeEntry('usr/x', 'SymbolicLink', '../../../etc').kind, 'refuse');
  assert.is(judgeEntry('../x', 'File', undefined).kind, 'refuse');
  assert.is(judgeEntry('a/../../x', 'File', undefined).kind, 'refuse');
  assert.is(judgeEntry('/etc/passwd', 'File', undefined).kind, 'refuse');
  assert.is(judgeEntry('h', 'Link', '../etc/shadow').kind, 'refuse');
  assert.equal(judgeEntry('h', 'Link', 'bin/busybox'), { kind: 'unpack', path: 'h' });
  assert.equal(judgeEntry('dev/null', 'CharacterDevice', undefined), { kind: 'skip' });
  assert.equal(judgeEntry('etc/.wh.motd', 'File', undefined), { kind: 'whiteout', path: 'etc/motd' });
  assert.equal(judgeEntry('.wh.top', 'File', undefined), { kind: 'whiteout', path: 'top' });
  assert.equal(judgeEntry('srv/.wh..wh..opq', 'File', undefined), { kind: 'opaque', dir: 'srv' });
  assert.is(judgeEntry('etc/.wh...', 'File', undefined).kind, 'refuse');
  assert.ok(relativeTargetInside('a/b/c', '../../x'));
  assert.not.ok(relativeTargetInside('a/b/c', '../../../x'));
});

test("Mesos's Entrypoint/Cmd table (docker/runtime): shell ignores both; a value overrides both; else Entrypoint + (arguments | Cmd), or Cmd[0] + (arguments | Cmd[1..])", () => {
  const E = { Entrypoint: ['/e', 'e1'] };
  const C = { Cmd: ['/c', 'c1'] };
  const EC = { ...E, ...C };
  const none = {};
  const args = ['a0', 'a1'];
  // sh=0 value=0 argv=0
  assert.throws(() => imageArgv('i', { value: '', shell: false }, none), /neither Entrypoint nor Cmd/);
  assert.equal(imageArgv('i', { value: '', shell: false }, C), ['/c', 'c1']);
  assert.equal(imageArgv('i', { value: '', shell: false }, E), ['/e', 'e1']);
  assert.equal(imageArgv('i', { value: '', shell: false }, EC), ['/e', 'e1', '/c', 'c1']);
  // sh=0 value=0 argv=1
  assert.throws(() => imageArgv('i', { value: '', shell: false, arguments: args }, none));
  assert.equal(imageArgv('i', { value: '', shell: false, arguments: args }, C), ['/c', 'a0', 'a1']);
  assert.equal(imageArgv('i', { value: '', shell: false, arguments: args }, E), ['/e', 'e1', 'a0', 'a1']);
  assert.equal(imageArgv('i', { value: '', shell: false, arguments: args }, EC), ['/e', 'e1', 'a0', 'a1']);
  // sh=0 value=1: argv[0] is arguments[0] (CommandInfo's rule), so the value runs with arguments[1..]
  for (const cfg of [none, C, E, EC]) {
    assert.equal(imageArgv('i', { value: '/v', shell: false }, cfg), ['/v']);
    assert.equal(imageArgv('i', { value: '/v', shell: false, arguments: args }, cfg), ['/v', 'a1']);
    assert.equal(imageArgv('i', { value: 'ls -l', shell: true, arguments: args }, cfg), ['/bin/sh', '-c', 'ls -l']);
    assert.throws(() => imageArgv('i', { value: '', shell: true }, cfg), /shell command needs a value/);
  }
});

test("the image's Env and WorkingDir", () => {
  assert.equal(imageEnvironment({ Env: ['PATH=/bin:/usr/bin', 'EMPTY=', 'X=a=b', 'BROKEN'] }), { PATH: '/bin:/usr/bin', EMPTY: '', X: 'a=b' });
  assert.equal(imageEnvironment({ Env: null }), {});
  assert.is(imageWorkingDir({ WorkingDir: '/srv' }, '/mnt/mesos/sandbox'), '/srv');
  assert.is(imageWorkingDir({ WorkingDir: '' }, '/mnt/mesos/sandbox'), '/mnt/mesos/sandbox');
  assert.is(imageWorkingDir({}, '/mnt/mesos/sandbox'), '/mnt/mesos/sandbox');
});

test('the mounts: overlay over the cache, the sandbox, /proc, /sys read-only, devices, host files, volumes (RO remounted read-only); entering the root drops the user last', () => {
  const lines = mountLines({
    mount: '/usr/bin/mount',
    rootfs: '/w/c/rootfs',
    overlay: { lower: '/w/cache/x', upper: '/w/c/upper', work: '/w/c/work' },
    sandbox: '/w/sb',
    hostFiles: ['/etc/hosts'],
    volumes: [
      { source: '/srv/a', target: '/data', readOnly: true },
      { source: '/srv/b', target: '/rw', readOnly: false },
    ],
  });
  assert.is(lines[0], "'/usr/bin/mount' -t overlay overlay -o 'lowerdir=/w/cache/x,upperdir=/w/c/upper,workdir=/w/c/work' '/w/c/rootfs'");
  assert.ok(lines.includes("'/usr/bin/mount' --bind '/w/sb' '/w/c/rootfs/mnt/mesos/sandbox'"));
  assert.ok(lines.includes("'/usr/bin/mount' -t sysfs -o ro,nosuid,nodev,noexec sysfs '/w/c/rootfs/sys'"));
  assert.ok(lines.includes("'/usr/bin/mount' --bind /dev/null '/w/c/rootfs/dev/null'"));
  assert.ok(lines.includes("'/usr/bin/mount' --bind '/etc/hosts' '/w/c/rootfs/etc/hosts'"));
  const ro = lines.indexOf("'/usr/bin/mount' --bind '/srv/a' '/w/c/rootfs/data'");
  assert.is(lines[ro + 1], "'/usr/bin/mount' -o remount,bind,ro '/w/c/rootfs/data'");
  assert.not.ok(lines.some((l) => l.includes('remount') && l.includes('/rw')));
  assert.is(mountLines({ mount: 'm', rootfs: '/r', sandbox: '/s', hostFiles: [], volumes: [] }).some((l) => l.includes('overlay')), false, 'copy backend: no overlay');
  assert.ok(overlayPathProblem('/a,b') !== undefined);
  assert.is(overlayPathProblem('/a/b'), undefined);
  assert.equal(enterRootArgv('/usr/bin/unshare', '/r', '/srv', { uid: 65534, gid: 65534 }), ['/usr/bin/unshare', '--root=/r', '--wd=/srv', '--setgid', '65534', '--setuid', '65534', '--']);
  assert.equal(enterRootArgv('/usr/bin/unshare', '/r', '/srv', undefined), ['/usr/bin/unshare', '--root=/r', '--wd=/srv', '--']);
});

test("chain ids as Docker's: the first layer's diff id, then sha256 of '<chain> <diff>'", () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  assert.is(chainIdOf([a]), a);
  assert.is(chainIdOf([a, b]), `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`);
});

test.run();
