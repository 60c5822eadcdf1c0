// Pure parts of the agent: --isolation parsing, ports and their environment, GPU bookkeeping,
// recovery decisions and terminal statuses (given/when/then), deterministic ids, the fetcher's
// naming rules, and the supervisor and init scripts run by a real /bin/sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IsolationError } from '../../agent/isolation/errors.js';
import { parseIsolation, withGpu } from '../../agent/isolation/selection.js';
import { PortBook, portEnvironment, portsOf } from '../../agent/ports.js';
import { GpuBook } from '../../agent/gpus.js';
import { decideRecovery } from '../../agent/recovery.js';
import { terminalFor } from '../../agent/task-outcome.js';
import { containerIdFor, statusUuidFor, uuidV5 } from '../../agent/ids.js';
import { archiveKind, outputName, uriSource } from '../../agent/fetcher.js';
import { initScript, launchArgv, splitEnvironment, supervisorScript } from '../../agent/isolation/launch-wrapper.js';
import { parseExitStatusText, splitExitStatus } from '../../agent/container-runtime.js';
import { cfsQuotaUs, cpuWritesV1, cpuWritesV2 } from '../../agent/isolation/cgroups-cpu.js';
import { gpuDenyRules, gpuEnvironment } from '../../agent/isolation/gpu-nvidia.js';
import { diskLimitation, parseDuKb } from '../../agent/isolation/disk-du.js';
import { parsePidsEvents } from '../../agent/isolation/cgroups-pids.js';
import type { ExitInfo } from '../../agent/containerizer/index.js';
import { parseResources } from '../../kernel/core/resources.js';

// --- --isolation -------------------------------------------------------------------------------

test('--isolation: shortcuts keep their old meaning and may be followed by isolators', () => {
  const auto = parseIsolation('auto');
  assert.is(auto.host, 'auto');
  assert.equal([...auto.controllers].sort(), ['cpu', 'mem']);
  assert.equal([...auto.optionalControllers], ['pids']);
  assert.is(auto.pidNamespace, false);
  assert.is(parseIsolation('posix').host, 'posix');
  assert.equal([...parseIsolation('posix').controllers], []);
  assert.is(parseIsolation('cgroups').host, 'cgroups');
  const more = parseIsolation('auto,namespaces/pid,disk/du');
  assert.is(more.host, 'auto');
  assert.is(more.pidNamespace, true);
  assert.is(more.diskDu, true);
});

test('--isolation: a Mesos-style list; names are required controllers; aliases; gpu implies devices (optional)', () => {
  const r = parseIsolation('cgroups/cpu, cgroups/mem,cgroups/pids,namespaces/pid,namespaces/mount,namespaces/network,disk/du,gpu/nvidia');
  assert.is(r.host, 'cgroups');
  assert.equal([...r.controllers].sort(), ['cpu', 'mem', 'pids']);
  assert.equal([...r.optionalControllers], ['devices']);
  assert.ok(r.pidNamespace && r.mountNamespace && r.networkNamespace && r.diskDu && r.gpu);
  assert.ok(r.names.includes('filesystem/linux'), 'namespaces/mount is filesystem/linux');
  assert.is(parseIsolation('namespaces/pid').host, 'posix', 'no cgroups named: posix');
  const g = withGpu(parseIsolation('auto'));
  assert.ok(g.gpu && g.optionalControllers.has('devices'));
});

test('--isolation: bad input is a clear error', () => {
  const bad = (text: string, re: RegExp): void => {
    try {
      parseIsolation(text);
      assert.unreachable(text);
    } catch (err) {
      assert.instance(err, IsolationError);
      assert.is((err as IsolationError).code, 'BAD_ISOLATION');
      assert.match((err as Error).message, re);
    }
  };
  bad('', /no isolator named/);
  bad('cgroups/cpu,cgroups/bogus', /unknown isolator "cgroups\/bogus".*Use a comma-separated list/);
  bad('cgroups/cpu,auto', /the shortcut "auto" must come first/);
  bad('posix,cgroups/mem', /posix isolation cannot be combined with cgroups\/mem/);
});

// --- ports and GPUs ------------------------------------------------------------------------------

test('ports: in the order of the ranges; PORT0.., PORTS and PORT', () => {
  const ports = portsOf(parseResources('cpus:1;ports:[31000-31001,31005-31005]'));
  assert.equal(ports, [31000, 31001, 31005]);
  assert.equal(portEnvironment(ports), { PORTS: '31000,31001,31005', PORT: '31000', PORT0: '31000', PORT1: '31001', PORT2: '31005' });
  assert.equal(portEnvironment([]), {});
});

test('ports: two live containers never hold the same port', () => {
  const book = new PortBook();
  book.hold('c1', [31000, 31001]);
  try {
    book.hold('c2', [31001]);
    assert.unreachable('second holder');
  } catch (err) {
    assert.match((err as Error).message, /port 31001 is held by container c1/);
  }
  assert.is(book.heldBy(31001), 'c1');
  book.release('c1');
  book.hold('c2', [31001]);
  assert.is(book.heldBy(31001), 'c2');
});

test('gpus: lowest free indices; restore after a restart; shortage is an error', () => {
  const book = new GpuBook(3);
  assert.equal(book.allocate('a', 2), [0, 1]);
  assert.equal(book.allocate('b', 1), [2]);
  assert.throws(() => book.allocate('c', 1), /asks for 1 gpus, 0 of this agent's 3 are free/);
  book.release('a');
  assert.equal(book.free(), [0, 1]);
  const again = new GpuBook(3);
  again.restore('b', [2]);
  assert.equal(again.allocate('x', 2), [0, 1]);
  assert.throws(() => again.restore('y', [2]), /claimed by containers b and y/);
  assert.equal(gpuEnvironment([1, 0]), { CUDA_VISIBLE_DEVICES: '0,1', NVIDIA_VISIBLE_DEVICES: '0,1' });
  assert.equal(gpuEnvironment([]), { CUDA_VISIBLE_DEVICES: '', NVIDIA_VISIBLE_DEVICES: 'void' });
  assert.equal(gpuDenyRules([0, 1, 2], [1]), [
    { type: 'c', major: 195, minor: 0, access: 'rwm' },
    { type: 'c', major: 195, minor: 2, access: 'rwm' },
  ]);
});

// --- recovery ----------------------------------------------------------------------------------

test('recovery: given what the runtime dir and /proc say, when deciding, then launch / reattach / ended', () => {
  const d = (supervisorKnown: boolean, supervisorAlive: boolean, exitStatusWritten: boolean) => decideRecovery({ supervisorKnown, supervisorAlive, exitStatusWritten });
  assert.is(d(false, false, false), 'launch', 'checkpointed, never spawned');
  assert.is(d(false, false, true), 'ended', 'ran and ended before its supervisor was recorded');
  assert.is(d(true, true, false), 'reattach');
  assert.is(d(true, false, true), 'ended', 'ended while the agent was down: its real status');
  assert.is(d(true, true, true), 'ended', 'the status is written just before the supervisor exits');
  assert.is(d(true, false, false), 'ended', 'the supervisor was killed: status unknown');
});

test('terminal statuses: given an exit, then the Mesos state and reason', () => {
  const exit = (o: Partial<ExitInfo>): ExitInfo => ({ code: 0, signal: null, oomKilled: false, killedByUs: false, message: 'm', ...o });
  assert.equal(terminalFor(exit({})), { state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', message: 'm' });
  assert.equal(terminalFor(exit({ code: 3 })), { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: 'm' });
  assert.is(terminalFor(exit({ code: null, signal: 'SIGKILL', oomKilled: true })).reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  assert.is(terminalFor(exit({ limitation: { reason: 'REASON_CONTAINER_LIMITATION_DISK', message: 'x' } })).reason, 'REASON_CONTAINER_LIMITATION_DISK');
  assert.is(terminalFor(exit({ code: 143, killedByUs: true })).state, 'TASK_KILLED');
  assert.equal(terminalFor(exit({ code: null, statusUnknown: true })), { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'm' });
  // a limit wins over the kill that followed it
  assert.is(terminalFor(exit({ oomKilled: true, killedByUs: true })).state, 'TASK_FAILED');
});

test('exit status text: 128+N is signal N; a status file still being written is not read', () => {
  assert.equal(splitExitStatus(0), { code: 0, signal: null });
  assert.equal(splitExitStatus(3), { code: 3, signal: null });
  assert.equal(splitExitStatus(137), { code: null, signal: 'SIGKILL' });
  assert.equal(splitExitStatus(143), { code: null, signal: 'SIGTERM' });
  assert.equal(splitExitStatus(255), { code: 255, signal: null });
  assert.is(parseExitStatusText('0\n'), 0);
  assert.is(parseExitStatusText('137\n'), 137);
  assert.is(parseExitStatusText('13'), undefined);
  assert.is(parseExitStatusText(''), undefined);
  assert.is(parseExitStatusText(undefined), undefined);
});

test('ids: deterministic (RFC 4122 v5 shape), distinct per command, task and update', () => {
  const c1 = containerIdFor('a', 1, 'f', 't');
  assert.is(c1, containerIdFor('a', 1, 'f', 't'));
  assert.is.not(c1, containerIdFor('a', 2, 'f', 't'));
  assert.is.not(c1, containerIdFor('a', 1, 'f', 't2'));
  assert.match(c1, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is.not(statusUuidFor(c1, 'starting'), statusUuidFor(c1, 'running'));
  // RFC 4122 appendix B's example: the DNS namespace and "www.example.com"
  assert.is(uuidV5('www.example.com', Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex')), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

// --- fetcher -------------------------------------------------------------------------------------

test('fetcher: sources, names and archives', () => {
  assert.equal(uriSource('/opt/x.tgz'), { kind: 'file', path: '/opt/x.tgz' });
  assert.equal(uriSource('file:///opt/a%20b.zip'), { kind: 'file', path: '/opt/a b.zip' });
  assert.is(uriSource('https://h/p/x.tar.gz').kind, 'http');
  assert.throws(() => uriSource('ftp://h/x'), /scheme ftp is not supported/);
  assert.throws(() => uriSource('relative/path'), /neither an absolute path nor a URL/);
  assert.is(outputName({ value: 'https://h/dl/app.tar.gz?x=1' }), 'app.tar.gz');
  assert.is(outputName({ value: '/opt/bin/tool', outputFile: 'bin/t' }), 'bin/t');
  assert.throws(() => outputName({ value: 'https://h/' }), /names no file/);
  assert.is(archiveKind('a.TAR.GZ'), 'tar');
  assert.is(archiveKind('a.tgz'), 'tar');
  assert.is(archiveKind('a.tar.xz'), 'tar');
  assert.is(archiveKind('a.zip'), 'zip');
  assert.is(archiveKind('a.gz'), undefined);
});

// --- cgroup settings -------------------------------------------------------------------------------

test('cpu: shares always, a CFS quota with --cgroups-enable-cfs (v1 and v2)', () => {
  assert.equal(cpuWritesV1(0.5, false), [{ file: 'cpu.shares', value: '512' }]);
  assert.equal(cpuWritesV1(0.5, true), [
    { file: 'cpu.shares', value: '512' },
    { file: 'cpu.cfs_period_us', value: '100000' },
    { file: 'cpu.cfs_quota_us', value: '50000' },
  ]);
  assert.equal(cpuWritesV2(2, true), [
    { file: 'cpu.weight', value: '79' },
    { file: 'cpu.max', value: '200000 100000' },
  ]);
  assert.is(cfsQuotaUs(0.001), 1000, 'at least the kernel minimum');
  assert.is(parsePidsEvents('max 7\n'), 7);
  assert.is(parsePidsEvents(''), 0);
});

test('disk: du output and the limitation message', () => {
  assert.is(parseDuKb('2048\t/sb\n'), 2048);
  assert.is(parseDuKb(''), undefined);
  assert.is(diskLimitation(1024, 2048), null);
  assert.equal(diskLimitation(8 * 1024 * 1024, 2 * 1024 * 1024), { reason: 'REASON_CONTAINER_LIMITATION_DISK', message: 'Disk usage (8MB) exceeds quota (2MB)' });
});

// --- the scripts, run by /bin/sh -----------------------------------------------------------------

test('supervisor: reports the task pid (fd 3 and task.pid), waits, records the status, survives TERM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sup-'));
  try {
    const r = spawnSync('/bin/sh', ['-c', `exec 3>${dir}/fd3; exec /bin/sh -c '${supervisorScript().replace(/'/g, `'\\''`)}' mesos-supervisor ${dir} /bin/sh -c 'exit 7'`]);
    assert.is(r.status, 7);
    assert.is(readFileSync(join(dir, 'status'), 'utf8'), '7\n');
    assert.is(readFileSync(join(dir, 'task.pid'), 'utf8'), readFileSync(join(dir, 'fd3'), 'utf8'));
    // killed by a signal: 128+N
    const k = spawnSync('/bin/sh', ['-c', `exec 3>/dev/null; exec /bin/sh -c '${supervisorScript().replace(/'/g, `'\\''`)}' mesos-supervisor ${dir} /bin/sh -c 'kill -9 $$'`]);
    assert.is(k.status, 137);
    assert.is(readFileSync(join(dir, 'status'), 'utf8'), '137\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init: setup lines run first (a failing one stops with 125 and says which); with a pid namespace it forwards and waits', () => {
  const ok = execFileSync('/bin/sh', ['-c', initScript({ setup: ['echo setup'], pidNamespace: false }), 'mesos-init', '/bin/echo', 'task'], { encoding: 'utf8' });
  assert.is(ok, 'setup\ntask\n');
  const bad = spawnSync('/bin/sh', ['-c', initScript({ setup: ['false'], pidNamespace: false }), 'mesos-init', '/bin/echo', 'task'], { encoding: 'utf8' });
  assert.is(bad.status, 125);
  assert.match(bad.stderr, /mesos-init: setup failed: false/);
  assert.is(bad.stdout, '');
  const waited = spawnSync('/bin/sh', ['-c', initScript({ setup: [], pidNamespace: true }), 'mesos-init', '/bin/sh', '-c', 'exit 5']);
  assert.is(waited.status, 5);
});

test('launchArgv: supervisor, join, setsid, namespaces, privilege drop, loader variables after the drop', () => {
  const argv = launchArgv({
    runtimeDir: '/meta/c1',
    joinProcsFiles: ['/cg/cgroup.procs'],
    setsid: '/usr/bin/setsid',
    unshare: { bin: '/usr/bin/unshare', flags: ['--pid', '--fork'], init: { setup: [], pidNamespace: true } },
    privilegeDrop: ['/usr/bin/setpriv', '--reuid=1', '--'],
    afterDrop: { env: '/usr/bin/env', variables: { LD_PRELOAD: '/x.so' } },
    command: { value: 'echo hi', shell: true },
  });
  assert.equal(argv.slice(0, 2), ['/bin/sh', '-c']);
  assert.equal(argv.slice(3, 5), ['mesos-supervisor', '/meta/c1']);
  const rest = argv.slice(5);
  assert.equal(rest.slice(0, 2), ['/bin/sh', '-c']);
  assert.equal(rest.slice(3, 7), ['mesos-containerizer', '/usr/bin/setsid', '/usr/bin/unshare', '--pid']);
  assert.equal(rest.slice(-9), ['mesos-init', '/usr/bin/setpriv', '--reuid=1', '--', '/usr/bin/env', 'LD_PRELOAD=/x.so', '/bin/sh', '-c', 'echo hi']);
  assert.equal(splitEnvironment({ A: '1', LD_PRELOAD: 'x', GCONV_PATH: 'y' }, true), { chain: { A: '1' }, afterDrop: { LD_PRELOAD: 'x', GCONV_PATH: 'y' } });
  assert.equal(splitEnvironment({ A: '1', LD_PRELOAD: 'x' }, false), { chain: { A: '1', LD_PRELOAD: 'x' }, afterDrop: {} });
});

test.run();
