// Pure parts of the isolation layer: cgroup value conversions and parsers, mount table parsing,
// the detection decision, /proc parsing, the launch wrapper, users, exit messages, sandbox paths.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeExit, effectiveOom } from '../../agent/containerizer/index.js';
import {
  cgroupPath,
  cpuShares,
  memoryLimitBytes,
  normalizeCgroupsRoot,
  parseControllerList,
  parseCpuacctStat,
  parseCpuStatV2,
  parseFlatKeyed,
  parseMaxValue,
  parseMemoryEvents,
  parseOomControl,
  parseProcs,
  rootChain,
  sharesToWeight,
  validateContainerId,
  validateLimits,
} from '../../agent/isolation/cgroup-values.js';
import { missingControllerWrites, subtreeControlDirs } from '../../agent/isolation/cgroups-v2.js';
import { planCgroups } from '../../agent/isolation/detect.js';
import { IsolationError } from '../../agent/isolation/errors.js';
import {
  commandArgv,
  DEFAULT_PATH,
  JOIN_FAILED_STATUS,
  shellQuote,
  taskEnvironment,
  wrapperArgv,
  wrapperScript,
} from '../../agent/isolation/launch-wrapper.js';
import {
  cgroupV1Mounts,
  cgroupV2Mounts,
  parseMountinfo,
  parseProcMounts,
  unescapeMountPath,
} from '../../agent/isolation/mounts.js';
import { parseProcStat, parseVmRssBytes } from '../../agent/isolation/proc.js';
import { dropPrivilegesArgv, findInPasswd, parsePasswdLine, userSwitch } from '../../agent/isolation/user.js';
import { sandboxPath, SandboxError } from '../../agent/sandbox.js';

const throwsCode = (fn: () => unknown, code: string): void => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof IsolationError || err instanceof SandboxError, `unexpected error ${String(err)}`);
    assert.is((err as IsolationError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
};

// --- cgroup values -------------------------------------------------------------------------

test('cpuShares: cpus * 1024, at least 2, at most the kernel maximum', () => {
  assert.is(cpuShares(1), 1024);
  assert.is(cpuShares(0.5), 512);
  assert.is(cpuShares(0.1), 102);
  assert.is(cpuShares(2.5), 2560);
  assert.is(cpuShares(0.001), 2);
  assert.is(cpuShares(1000), 262144);
});

test('sharesToWeight: runc/systemd mapping, clamped to 1..10000', () => {
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(1024), 39);
  assert.is(sharesToWeight(512), 20); // 1 + floor(510*9999/262142) = 1 + 19
  assert.is(sharesToWeight(100), 4);
  assert.is(sharesToWeight(262144), 10000);
  assert.is(sharesToWeight(0), 1);
  assert.is(sharesToWeight(10_000_000), 10000);
  for (let s = 2; s <= 262144; s += 997) {
    const w = sharesToWeight(s);
    assert.ok(Number.isInteger(w) && w >= 1 && w <= 10000);
  }
});

test('memoryLimitBytes and validateLimits', () => {
  assert.is(memoryLimitBytes(32), 32 * 1024 * 1024);
  assert.is(memoryLimitBytes(0.5), 512 * 1024);
  validateLimits({ cpus: 0.1, memMb: 32 });
  throwsCode(() => validateLimits({ cpus: 0, memMb: 32 }), 'INVALID_LIMITS');
  throwsCode(() => validateLimits({ cpus: 1, memMb: Number.NaN }), 'INVALID_LIMITS');
  throwsCode(() => validateLimits({ cpus: 1, memMb: -1 }), 'INVALID_LIMITS');
  throwsCode(() => validateLimits({ cpus: 1, memMb: 32, pids: 1.5 }), 'INVALID_LIMITS');
});

test('cgroups root normalisation and container id validation', () => {
  assert.is(normalizeCgroupsRoot('mesos'), 'mesos');
  assert.is(normalizeCgroupsRoot('/mesos//agent-1/'), 'mesos/agent-1');
  throwsCode(() => normalizeCgroupsRoot(''), 'INVALID_CGROUPS_ROOT');
  throwsCode(() => normalizeCgroupsRoot('/'), 'INVALID_CGROUPS_ROOT');
  throwsCode(() => normalizeCgroupsRoot('mesos/../etc'), 'INVALID_CGROUPS_ROOT');
  throwsCode(() => normalizeCgroupsRoot('me sos'), 'INVALID_CGROUPS_ROOT');
  validateContainerId('2f7c0b5e-9d7b-4c55-8a39-1f0f3a0c4e11');
  throwsCode(() => validateContainerId('..'), 'INVALID_CONTAINER_ID');
  throwsCode(() => validateContainerId('a/b'), 'INVALID_CONTAINER_ID');
  throwsCode(() => validateContainerId(''), 'INVALID_CONTAINER_ID');
  throwsCode(() => validateContainerId('x'.repeat(201)), 'INVALID_CONTAINER_ID');
});

test('cgroup paths', () => {
  assert.is(cgroupPath('/sys/fs/cgroup/memory', 'mesos/a1', 'c1'), '/sys/fs/cgroup/memory/mesos/a1/c1');
  assert.is(cgroupPath('/sys/fs/cgroup/memory', 'mesos/a1'), '/sys/fs/cgroup/memory/mesos/a1');
  assert.equal(rootChain('/sys/fs/cgroup', 'mesos/a1'), ['/sys/fs/cgroup/mesos', '/sys/fs/cgroup/mesos/a1']);
  assert.equal(subtreeControlDirs('/sys/fs/cgroup', 'mesos/a1'), [
    '/sys/fs/cgroup',
    '/sys/fs/cgroup/mesos',
    '/sys/fs/cgroup/mesos/a1',
  ]);
});

test('parseOomControl: modern kernel with oom_kill, old kernel without', () => {
  const modern = parseOomControl('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  assert.equal(modern, { oomKillDisable: false, underOom: false, oomKill: 2 });
  const old = parseOomControl('oom_kill_disable 0\nunder_oom 1\n');
  assert.equal(old, { oomKillDisable: false, underOom: true, oomKill: undefined });
  assert.is(parseOomControl('oom_kill_disable 1\nunder_oom 0\noom_kill 0\n').oomKill, 0);
});

test('parseMemoryEvents', () => {
  const ev = parseMemoryEvents('low 0\nhigh 3\nmax 17\noom 1\noom_kill 1\noom_group_kill 1\n');
  assert.equal(ev, { low: 0, high: 3, max: 17, oom: 1, oomKill: 1 });
  assert.is(parseMemoryEvents('low 0\nhigh 0\nmax 0\noom 0\n').oomKill, 0);
  assert.is(parseMemoryEvents('').oomKill, 0);
});

test('flat keyed, procs, cpu stats, controller lists, max values', () => {
  const kv = parseFlatKeyed('cache 4096\nrss 8192\ntotal_rss 12288\nbogus line here\nneg -1\n');
  assert.is(kv.get('total_rss'), 12288);
  assert.is(kv.get('neg'), -1);
  assert.not.ok(kv.has('bogus'));
  assert.equal(parseProcs('12\n345\n\n'), [12, 345]);
  assert.equal(parseCpuacctStat('user 250\nsystem 50\n'), { userSecs: 2.5, systemSecs: 0.5 });
  assert.is(parseCpuacctStat('user 1\n'), undefined);
  assert.equal(parseCpuStatV2('usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 0\n'), {
    userSecs: 2,
    systemSecs: 1,
  });
  assert.equal(parseControllerList('cpuset cpu io memory hugetlb pids rdma misc\n'), [
    'cpuset',
    'cpu',
    'io',
    'memory',
    'hugetlb',
    'pids',
    'rdma',
    'misc',
  ]);
  assert.equal(parseControllerList('\n'), []);
  assert.is(parseMaxValue('max\n'), undefined);
  assert.is(parseMaxValue('33554432\n'), 33554432);
  assert.equal(missingControllerWrites('cpu io\n', ['memory', 'cpu']), ['+memory']);
  assert.equal(missingControllerWrites('', ['memory', 'cpu']), ['+memory', '+cpu']);
  assert.equal(missingControllerWrites('memory cpu pids', ['memory', 'cpu']), []);
});

// --- mounts and detection ------------------------------------------------------------------

const HYBRID_MOUNTINFO = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime shared:11 - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;

const COMOUNTED_MOUNTINFO = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,memory
90 88 0:23 /docker/abc /mnt/memory\\040copy rw,relatime - cgroup cgroup rw,memory
`;

const V2_MOUNTINFO = `29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

test('parseMountinfo: fields, optional fields, escapes', () => {
  const entries = parseMountinfo(HYBRID_MOUNTINFO);
  assert.is(entries.length, 8);
  const cpu = entries.find((e) => e.mountPoint === '/sys/fs/cgroup/cpu');
  assert.equal(cpu, {
    mountPoint: '/sys/fs/cgroup/cpu',
    root: '/',
    fsType: 'cgroup',
    source: 'cgroup',
    superOptions: ['rw', 'cpu'],
  });
  const co = parseMountinfo(COMOUNTED_MOUNTINFO);
  assert.is(co[2]?.mountPoint, '/mnt/memory copy');
  assert.is(co[2]?.root, '/docker/abc');
  assert.is(unescapeMountPath('a\\040b\\011c\\134d'), 'a b\tc\\d');
  assert.equal(parseMountinfo('garbage\n\n'), []);
});

test('cgroupV1Mounts: separate and co-mounted controllers, root mounts win, name= ignored', () => {
  const hybrid = cgroupV1Mounts(parseMountinfo(HYBRID_MOUNTINFO));
  assert.is(hybrid.get('cpu'), '/sys/fs/cgroup/cpu');
  assert.is(hybrid.get('cpuacct'), '/sys/fs/cgroup/cpuacct');
  assert.is(hybrid.get('memory'), '/sys/fs/cgroup/memory');
  assert.is(hybrid.get('pids'), '/sys/fs/cgroup/pids');
  assert.not.ok(hybrid.has('name=systemd'));
  assert.not.ok(hybrid.has('xattr'));
  const co = cgroupV1Mounts(parseMountinfo(COMOUNTED_MOUNTINFO));
  assert.is(co.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.is(co.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.is(co.get('memory'), '/sys/fs/cgroup/memory');
  // a bind mount of a sub-cgroup listed first loses against the hierarchy's root mount
  const reversed = cgroupV1Mounts(parseMountinfo(COMOUNTED_MOUNTINFO.split('\n').reverse().join('\n')));
  assert.is(reversed.get('memory'), '/sys/fs/cgroup/memory');
});

test('cgroupV2Mounts prefers /sys/fs/cgroup', () => {
  const entries = parseMountinfo(
    `1 0 0:1 / /other rw - cgroup2 cgroup2 rw\n${V2_MOUNTINFO}`,
  );
  assert.equal(cgroupV2Mounts(entries), ['/sys/fs/cgroup', '/other']);
  assert.equal(cgroupV2Mounts(parseMountinfo(HYBRID_MOUNTINFO)), ['/sys/fs/cgroup/unified']);
});

test('parseProcMounts', () => {
  const entries = parseProcMounts(
    'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n',
  );
  assert.is(entries.length, 2);
  assert.is(cgroupV1Mounts(entries).get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(cgroupV2Mounts(entries), ['/sys/fs/cgroup/unified']);
});

test('planCgroups: v2 with controllers, hybrid -> v1, nothing -> none', () => {
  const v2 = planCgroups(parseMountinfo(V2_MOUNTINFO), new Map([['/sys/fs/cgroup', ['cpuset', 'cpu', 'io', 'memory', 'pids']]]));
  assert.equal(v2, { version: 'v2', mount: '/sys/fs/cgroup', controllers: ['memory', 'cpu'], missing: [] });

  // the v2 mount of a hybrid host has no controllers: use v1
  const hybrid = planCgroups(parseMountinfo(HYBRID_MOUNTINFO), new Map([['/sys/fs/cgroup/unified', []]]));
  assert.equal(hybrid, {
    version: 'v1',
    mounts: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct' },
    missing: [],
  });

  // v2 lacking cpu and no v1
  const noCpu = planCgroups(parseMountinfo(V2_MOUNTINFO), new Map([['/sys/fs/cgroup', ['memory', 'pids']]]));
  assert.is(noCpu.version, 'none');
  if (noCpu.version === 'none') {
    assert.match(noCpu.reason, /cgroup2 at \/sys\/fs\/cgroup offers \[memory pids\]/);
    assert.match(noCpu.reason, /no cgroup v1 controller is mounted/);
  }

  const nothing = planCgroups(parseMountinfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n'), new Map());
  assert.is(nothing.version, 'none');
  if (nothing.version === 'none') assert.match(nothing.reason, /no cgroup2 filesystem is mounted/);

  // v1 with memory only
  const memOnly = planCgroups(
    parseMountinfo('26 24 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n'),
    new Map(),
  );
  assert.is(memOnly.version, 'none');
  if (memOnly.version === 'none') assert.match(memOnly.reason, /missing: cpu/);

  // v1 without cpuacct still works (no CPU time in usage)
  const noAcct = planCgroups(
    parseMountinfo(
      '26 24 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n27 24 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n',
    ),
    new Map(),
  );
  assert.equal(noAcct, { version: 'v1', mounts: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu' }, missing: [] });
});

test('planCgroups: optional controllers are used where present and listed as missing elsewhere; required ones decide', () => {
  const want = { required: ['memory', 'cpu'], optional: ['pids', 'devices'] } as const;
  // v2 with pids: pids used, devices (no v2 controller) missing
  const v2 = planCgroups(parseMountinfo(V2_MOUNTINFO), new Map([['/sys/fs/cgroup', ['cpu', 'memory', 'pids']]]), want);
  assert.equal(v2, { version: 'v2', mount: '/sys/fs/cgroup', controllers: ['memory', 'cpu', 'pids'], missing: ['devices'] });
  // hybrid: v1 has pids and devices too
  const hybrid = planCgroups(parseMountinfo(HYBRID_MOUNTINFO), new Map([['/sys/fs/cgroup/unified', []]]), want);
  assert.is(hybrid.version, 'v1');
  if (hybrid.version === 'v1') {
    assert.is(hybrid.mounts.pids, '/sys/fs/cgroup/pids');
    assert.is(hybrid.mounts.devices, undefined);
    assert.equal(hybrid.missing, ['devices']);
  }
  // devices required (cgroups/devices named): never v2
  const dev = planCgroups(parseMountinfo(V2_MOUNTINFO), new Map([['/sys/fs/cgroup', ['cpu', 'memory', 'pids']]]), { required: ['memory', 'devices'], optional: [] });
  assert.is(dev.version, 'none');
  // memory alone (cgroups/mem named alone)
  const mem = planCgroups(parseMountinfo('26 24 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n'), new Map(), { required: ['memory'], optional: [] });
  assert.equal(mem, { version: 'v1', mounts: { memory: '/sys/fs/cgroup/memory' }, missing: [] });
});

// --- /proc -----------------------------------------------------------------------------------

test('parseProcStat handles spaces and parentheses in comm', () => {
  const text =
    '4242 (we ird) (x)) S 1 4240 4240 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 123 4096000 350 18446744073709551615';
  const s = parseProcStat(text);
  assert.ok(s);
  assert.is(s?.pid, 4242);
  assert.is(s?.comm, 'we ird) (x)');
  assert.is(s?.state, 'S');
  assert.is(s?.ppid, 1);
  assert.is(s?.pgrp, 4240);
  assert.is(s?.session, 4240);
  assert.is(s?.utimeTicks, 250);
  assert.is(s?.stimeTicks, 75);
  assert.is(parseProcStat('nonsense'), undefined);
  assert.is(parseVmRssBytes('Name:\tsleep\nVmRSS:\t    1536 kB\nThreads: 1\n'), 1536 * 1024);
  assert.is(parseVmRssBytes('Name:\tkthreadd\n'), undefined);
});

// --- launch wrapper --------------------------------------------------------------------------

test('shellQuote survives a real /bin/sh', () => {
  for (const s of ["plain", "it's", 'a "b" $HOME `x` \\ ;|&', '', "'''", 'new\nline']) {
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
    assert.is(out, s);
  }
});

test('commandArgv and wrapperArgv', () => {
  assert.equal(commandArgv({ value: 'echo hi && exit 3', shell: true }), ['/bin/sh', '-c', 'echo hi && exit 3']);
  assert.equal(commandArgv({ value: '/bin/echo', shell: false, arguments: ['echo', 'a b', 'c'] }), ['/bin/echo', 'a b', 'c']);
  assert.equal(commandArgv({ value: '/bin/true', shell: false }), ['/bin/true']);
  const argv = wrapperArgv({
    joinProcsFiles: ["/cg/memory/r/c'1/cgroup.procs"],
    privilegeDrop: ['/usr/bin/setpriv', '--reuid=1', '--regid=1', '--init-groups', '--'],
    command: { value: 'id', shell: true },
  });
  assert.is(argv[0], '/bin/sh');
  assert.is(argv[1], '-c');
  assert.equal(argv.slice(3), [
    'mesos-containerizer',
    '/usr/bin/setpriv',
    '--reuid=1',
    '--regid=1',
    '--init-groups',
    '--',
    '/bin/sh',
    '-c',
    'id',
  ]);
  const script = wrapperScript(['/a/cgroup.procs', '/b/cgroup.procs']);
  assert.match(script, /^echo \$\$ > '\/a\/cgroup.procs' \|\|/);
  assert.match(script, new RegExp(`exit ${JOIN_FAILED_STATUS}`));
  assert.ok(script.endsWith('exec "$@"'));
  assert.is(wrapperScript([]), 'exec "$@"');
});

test('wrapper script: joins before exec, fails closed when a join fails', () => {
  const run = (files: string[]): { status: number | null; out: string } => {
    try {
      const out = execFileSync('/bin/sh', ['-c', wrapperScript(files), 'w', '/bin/echo', 'ran'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return { status: 0, out };
    } catch (err) {
      return { status: (err as { status: number | null }).status, out: '' };
    }
  };
  assert.equal(run([]), { status: 0, out: 'ran\n' });
  assert.equal(run(['/nonexistent/dir/cgroup.procs']), { status: JOIN_FAILED_STATUS, out: '' });
});

test('taskEnvironment: defaults < task variables < Mesos variables', () => {
  const env = taskEnvironment({
    sandbox: '/sb',
    home: '/home/u',
    user: 'u',
    environment: { PATH: '/opt/bin', FOO: 'bar', MESOS_SANDBOX: '/evil' },
  });
  assert.equal(env, {
    PATH: '/opt/bin',
    HOME: '/home/u',
    USER: 'u',
    LOGNAME: 'u',
    FOO: 'bar',
    MESOS_SANDBOX: '/sb',
    MESOS_DIRECTORY: '/sb',
  });
  assert.is(taskEnvironment({ sandbox: '/sb', home: '/' }).PATH, DEFAULT_PATH);
  assert.not.ok('USER' in taskEnvironment({ sandbox: '/sb', home: '/' }));
});

// --- users -----------------------------------------------------------------------------------

test('passwd parsing and privilege drop argv', async () => {
  assert.equal(parsePasswdLine('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'), {
    name: 'nobody',
    uid: 65534,
    gid: 65534,
    home: '/nonexistent',
  });
  assert.is(parsePasswdLine('broken:x:abc:1:::'), undefined);
  assert.is(parsePasswdLine('short:x:1'), undefined);
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n';
  assert.is(findInPasswd(passwd, 'alice')?.uid, 1000);
  assert.is(findInPasswd(passwd, '1000')?.name, 'alice');
  assert.is(findInPasswd(passwd, 'bob'), undefined);
  const alice = { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' };
  assert.equal(dropPrivilegesArgv('/usr/bin/setpriv', alice), [
    '/usr/bin/setpriv',
    '--reuid=1000',
    '--regid=1000',
    '--init-groups',
    '--',
  ]);
  assert.equal(await userSwitch(alice, { uid: 1000 }), []);
  try {
    await userSwitch(alice, { uid: 1001 });
    assert.unreachable('non-root cannot switch users');
  } catch (err) {
    assert.is((err as IsolationError).code, 'USER_SWITCH_NOT_PERMITTED');
  }
});

// --- exit messages ---------------------------------------------------------------------------

test('describeExit and effectiveOom', () => {
  assert.is(describeExit(3, null, null), 'Command exited with status 3');
  assert.is(describeExit(null, 'SIGKILL', null), 'Command terminated with signal SIGKILL');
  const oom = { limitBytes: 32 * 1024 * 1024, maxUsedBytes: 32 * 1024 * 1024, evidence: 'oom-kill' as const };
  assert.is(describeExit(null, 'SIGKILL', oom), 'Memory limit exceeded: Requested: 32MB Maximum Used: 32MB');
  assert.is(
    describeExit(null, 'SIGKILL', { limitBytes: 64 * 1024 * 1024, evidence: 'rss-poll' }),
    'Memory limit exceeded: Requested: 64MB',
  );
  const hit = { limitBytes: 1, evidence: 'limit-hit' as const };
  assert.is(effectiveOom(hit, null, 'SIGKILL'), hit);
  assert.is(effectiveOom(hit, 137, null), hit);
  assert.is(effectiveOom(hit, 1, null), null);
  assert.is(effectiveOom(hit, null, 'SIGTERM'), null);
  assert.is(effectiveOom(oom, 0, null), oom);
  assert.is(effectiveOom(null, null, 'SIGKILL'), null);
});

// --- sandbox ---------------------------------------------------------------------------------

test('sandboxPath: Mesos layout, rejects unsafe ids', () => {
  assert.is(
    sandboxPath('/var/lib/mesos', 'a1', 'f1', 'e1', 'c1'),
    '/var/lib/mesos/slaves/a1/frameworks/f1/executors/e1/runs/c1',
  );
  throwsCode(() => sandboxPath('/w', 'a1', 'f1', '../../etc', 'c1'), 'INVALID_PATH_COMPONENT');
  throwsCode(() => sandboxPath('/w', 'a1', 'f1', '..', 'c1'), 'INVALID_PATH_COMPONENT');
  throwsCode(() => sandboxPath('/w', '', 'f1', 'e1', 'c1'), 'INVALID_PATH_COMPONENT');
});

test.run();
