// The pure parts of what a task may do: who it runs as (agent/task-user.ts), namespaces/cgroup in
// --isolation, the cgroup mounts made read-only, and checks entering the task's cgroup namespace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideTaskUser, requestedUser } from '../../agent/task-user.js';
import { parseIsolation } from '../../agent/isolation/selection.js';
import { cgroupMountPoints, readOnlyRemounts } from '../../agent/isolation/namespaces-cgroup.js';
import { parseMountinfo } from '../../agent/isolation/mounts.js';
import { nsenterFlags } from '../../agent/containerizer/index.js';

const ROOT_AGENT = { uid: 0, name: 'root' };
const nobody = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' };
const root = { name: 'root', uid: 0, gid: 0, home: '/root' };
const DEFAULTS = { switchUser: true, allowRootTasks: false };

test('task user: CommandInfo.user, else FrameworkInfo.user', () => {
  assert.is(requestedUser('daemon', 'nobody'), 'daemon');
  assert.is(requestedUser(undefined, 'nobody'), 'nobody');
});

test('task user: a root agent runs the task as its user; root only with --allow-root-tasks; an unknown user is refused', () => {
  assert.equal(decideTaskUser('nobody', ROOT_AGENT, DEFAULTS, nobody), { ok: true, user: nobody });
  const noRoot = decideTaskUser('root', ROOT_AGENT, DEFAULTS, root);
  assert.ok(!noRoot.ok && /would run as root .*--allow-root-tasks/.test(noRoot.why));
  const uid0 = decideTaskUser('toor', ROOT_AGENT, DEFAULTS, { ...root, name: 'toor' });
  assert.ok(!uid0.ok, 'uid 0 under any name is root');
  assert.equal(decideTaskUser('root', ROOT_AGENT, { ...DEFAULTS, allowRootTasks: true }, root), { ok: true, user: undefined });
  const ghost = decideTaskUser('ghost', ROOT_AGENT, { ...DEFAULTS, allowRootTasks: true }, undefined);
  assert.ok(!ghost.ok && /user "ghost" does not exist on this agent/.test(ghost.why), 'never a silent run as the agent');
});

test('task user: --no-switch-user runs tasks as the agent (root counts as root); a non-root agent runs them as itself', () => {
  const off = { switchUser: false, allowRootTasks: false };
  const refused = decideTaskUser('nobody', ROOT_AGENT, off, nobody);
  assert.ok(!refused.ok && /--no-switch-user/.test(refused.why));
  assert.equal(decideTaskUser('nobody', ROOT_AGENT, { ...off, allowRootTasks: true }, nobody), { ok: true, user: undefined });
  assert.equal(decideTaskUser('root', { uid: 1000, name: 'dev' }, DEFAULTS, undefined), { ok: true, user: undefined });
});

test('--isolation: auto and cgroups take namespaces/cgroup along (optional); named it is required; posix has none', () => {
  assert.is(parseIsolation('auto').cgroupNamespace, 'optional');
  assert.is(parseIsolation('cgroups').cgroupNamespace, 'optional');
  assert.is(parseIsolation('posix').cgroupNamespace, 'off');
  assert.is(parseIsolation('cgroups/mem').cgroupNamespace, 'off');
  assert.is(parseIsolation('cgroups/mem,namespaces/cgroup').cgroupNamespace, 'required');
  assert.is(parseIsolation('posix,namespaces/cgroup').cgroupNamespace, 'required');
});

const V1 = `25 30 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw
31 25 0:28 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw
40 30 0:40 / /tmp rw - tmpfs tmpfs rw`;
const V2 = `25 30 0:23 / /sys rw - sysfs sysfs rw
31 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate`;

test('namespaces/cgroup: every cgroup filesystem (v1 hierarchies, v2, the tmpfs holding them) is remounted read-only', () => {
  assert.equal(cgroupMountPoints(parseMountinfo(V1)), ['/sys/fs/cgroup', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/unified']);
  assert.equal(cgroupMountPoints(parseMountinfo(V2)), ['/sys/fs/cgroup']);
  assert.equal(readOnlyRemounts('/usr/bin/mount', ['/sys/fs/cgroup', "/odd 'dir'"]), [
    "'/usr/bin/mount' -o remount,bind,ro '/sys/fs/cgroup'",
    "'/usr/bin/mount' -o remount,bind,ro '/odd '\\''dir'\\'''",
  ]);
});

test('checks enter the task\'s cgroup namespace as well', () => {
  assert.equal(nsenterFlags(['--pid', '--fork', '--mount-proc', '--cgroup', '--mount']), ['--mount', '--pid', '--cgroup']);
  assert.equal(nsenterFlags(['--net']), ['--net']);
});

test.run();
