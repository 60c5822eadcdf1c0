// The containerizer against the real host: cgroups (v1 here, v2 where the host offers it) and
// the posix fallback. Needs root. Every test runs in a fresh temp work dir and a unique cgroups
// root (`mesos-test-<random>`), which must be completely gone at the end.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { findHostTools } from '../../agent/isolation/host-tools.js';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ContainerizerError,
  createContainerizer,
  type Container,
  type Containerizer,
  type ExitInfo,
  type LaunchSpec,
} from '../../agent/containerizer/index.js';
import { CgroupsV1Isolator } from '../../agent/isolation/cgroups-v1.js';
import { CgroupsV2Isolator } from '../../agent/isolation/cgroups-v2.js';
import { selectIsolator } from '../../agent/isolation/detect.js';
import { IsolationError } from '../../agent/isolation/errors.js';
import { cgroupV1Mounts, cgroupV2Mounts, readMounts } from '../../agent/isolation/mounts.js';
import { PosixIsolator } from '../../agent/isolation/posix.js';
import { readProcStat } from '../../agent/isolation/proc.js';
import type { Isolator } from '../../agent/isolation/types.js';
import { sandboxPath } from '../../agent/sandbox.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const ROOT = `mesos-test-${randomBytes(4).toString('hex')}`;

// --- helpers ---------------------------------------------------------------------------------

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readText = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Gone, or a zombie (this host's pid 1 does not reap orphans; a zombie is not running). */
async function processGone(pid: number): Promise<boolean> {
  const s = await readProcStat(pid);
  return s === undefined || s.state === 'Z' || s.state === 'X';
}

interface Ctx {
  workDir: string;
  containerizer: Containerizer;
  isolator: Isolator;
  /** Every container launched by the current test, killed after it even if it failed. */
  launched: Container[];
}

/** A containerizer that remembers what it launched, so a failing test leaks nothing. */
function tracking(inner: Containerizer, launched: () => Container[]): Containerizer {
  return {
    ...inner,
    launch: async (sp) => {
      const c = await inner.launch(sp);
      launched().push(c);
      return c;
    },
  };
}

/** Container isolation each suite found left over at its end (must be none). */
const leftovers = new Map<string, string[]>();

let counter = 0;
function spec(ctx: Ctx, command: LaunchSpec['command'], extra: Partial<LaunchSpec> = {}): LaunchSpec {
  const containerId = `c${++counter}-${randomBytes(3).toString('hex')}`;
  const runtimeDir = join(ctx.workDir, 'meta', 'containers', containerId);
  mkdirSync(runtimeDir, { recursive: true });
  return {
    containerId,
    runtimeDir,
    sandbox: sandboxPath(ctx.workDir, 'agent-1', 'fw-1', `exec-${counter}`, containerId),
    command,
    limits: { cpus: 0.5, memMb: 64 },
    ...extra,
  };
}

const sh = (value: string, environment?: Record<string, string>): LaunchSpec['command'] =>
  environment === undefined ? { value, shell: true } : { value, shell: true, environment };

async function stdoutOf(s: LaunchSpec): Promise<string> {
  return readText(join(s.sandbox, 'stdout'));
}

/** Waits until the task printed `marker` on stdout (it is then past its setup, e.g. traps). */
async function ready(s: LaunchSpec, marker = 'ready'): Promise<void> {
  await waitFor(`"${marker}" in ${s.containerId} stdout`, async () => (await stdoutOf(s)).includes(marker));
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every cgroup directory `<mount>/<ROOT>` on the host (v1 hierarchies and v2 mounts). */
async function rootDirs(): Promise<string[]> {
  const mounts = await readMounts();
  const points = new Set([...cgroupV1Mounts(mounts).values(), ...cgroupV2Mounts(mounts)]);
  return [...points].map((m) => join(m, ROOT));
}

async function containerCgroupsGone(id: string): Promise<boolean> {
  for (const dir of await rootDirs()) if (await exists(join(dir, id))) return false;
  return true;
}

// --- shared behaviour, run for every isolator -----------------------------------------------

function behaviour(name: string, makeIsolator: () => Promise<Isolator>): Test<Ctx> {
  const s = suite<Ctx>(name, {} as Ctx);

  s.before(async (ctx) => {
    ctx.isolator = await makeIsolator();
    ctx.launched = [];
    ctx.containerizer = tracking(createContainerizer({ isolator: ctx.isolator, tools: await findHostTools(), log }), () => ctx.launched);
  });
  s.before.each(async (ctx) => {
    ctx.workDir = await mkdtemp(join(tmpdir(), 'containerizer-'));
  });
  s.after.each(async (ctx) => {
    await Promise.all(ctx.launched.map((c) => c.kill(0)));
    ctx.launched = [];
    await rm(ctx.workDir, { recursive: true, force: true });
  });
  s.after(async (ctx) => {
    // No assertion here (a throwing hook aborts uvu): record, clean up, check in the last suite.
    const left = await ctx.isolator.containers();
    leftovers.set(name, left);
    for (const id of left) await ctx.isolator.cleanup(id).catch(() => undefined);
    await ctx.isolator.removeRoot().catch(() => undefined);
  });

  s('echo hello: stdout in the sandbox, status 0, isolation removed', async (ctx) => {
    const sp = spec(ctx, sh('echo hello; echo oops >&2'));
    const c = await ctx.containerizer.launch(sp);
    assert.ok(c.pid > 1);
    const info = await withTimeout(c.exited, 10_000, 'exit');
    assert.equal(info, {
      code: 0,
      signal: null,
      oomKilled: false,
      killedByUs: false,
      message: 'Command exited with status 0',
    });
    assert.is(await stdoutOf(sp), 'hello\n');
    assert.is(await readText(join(sp.sandbox, 'stderr')), 'oops\n');
    assert.is((await stat(sp.sandbox)).mode & 0o777, 0o750, 'a sandbox is rwxr-x---: no other user reads it');
    assert.ok(await containerCgroupsGone(sp.containerId));
  });

  s('exit 3: status 3 in code and message', async (ctx) => {
    const c = await ctx.containerizer.launch(spec(ctx, sh('exit 3')));
    const info = await withTimeout(c.exited, 10_000, 'exit');
    assert.is(info.code, 3);
    assert.is(info.signal, null);
    assert.match(info.message, /status 3/);
  });

  s('non-shell command: value is the executable, arguments are the whole argv (argv[0] first), passed verbatim', async (ctx) => {
    const sp = spec(ctx, { value: '/usr/bin/printf', shell: false, arguments: ['printf', '<%s>', 'a b', "it's", '$HOME'] });
    const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 10_000, 'exit');
    assert.is(info.code, 0);
    assert.is(await stdoutOf(sp), "<a b><it's><$HOME>");
  });

  s('non-shell command that does not exist: exit 127', async (ctx) => {
    const sp = spec(ctx, { value: '/nonexistent/binary', shell: false });
    const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 10_000, 'exit');
    assert.is(info.code, 127);
  });

  s('environment: task variables, MESOS_SANDBOX/MESOS_DIRECTORY, default PATH, cwd', async (ctx) => {
    const sp = spec(
      ctx,
      sh('echo "FOO=$FOO"; echo "SB=$MESOS_SANDBOX"; echo "DIR=$MESOS_DIRECTORY"; echo "PATH=$PATH"; echo "PWD=$(pwd)"', {
        FOO: 'bar baz',
      }),
    );
    const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 10_000, 'exit');
    assert.is(info.code, 0);
    const out = await stdoutOf(sp);
    assert.match(out, /^FOO=bar baz$/m);
    assert.ok(out.includes(`SB=${sp.sandbox}\n`));
    assert.ok(out.includes(`DIR=${sp.sandbox}\n`));
    assert.ok(out.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'));
    assert.ok(out.includes(`PWD=${sp.sandbox}\n`));
  });

  s('kill: a task that traps TERM and exits 0 within the grace period', async (ctx) => {
    const sp = spec(ctx, sh('trap "echo terminating; exit 0" TERM; echo ready; sleep 100 & wait'));
    const c = await ctx.containerizer.launch(sp);
    await ready(sp);
    const t0 = Date.now();
    const info = await withTimeout(c.kill(10_000), 8_000, 'graceful kill');
    assert.ok(Date.now() - t0 < 8_000);
    assert.is(info.code, 0);
    assert.is(info.signal, null);
    assert.is(info.killedByUs, true);
    assert.is(info.oomKilled, false);
    assert.match(await stdoutOf(sp), /terminating/);
    // exactly one ExitInfo
    assert.is(await c.kill(0), info);
    assert.is(await c.exited, info);
  });

  s('kill: a task that ignores TERM is SIGKILLed after the grace period', async (ctx) => {
    const sp = spec(ctx, sh('trap "" TERM; echo ready; sleep 100'));
    const c = await ctx.containerizer.launch(sp);
    await ready(sp);
    const t0 = Date.now();
    const info = await withTimeout(c.kill(300), 5_000, 'forced kill');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 290, `killed after ${elapsed} ms, before the grace period`);
    assert.is(info.signal, 'SIGKILL');
    assert.is(info.code, null);
    assert.is(info.killedByUs, true);
    assert.is(info.message, 'Command terminated with signal SIGKILL');
  });

  s('kill: background children (one ignoring TERM) are all gone afterwards', async (ctx) => {
    const sp = spec(ctx, sh('(trap "" TERM; exec sleep 101) & sleep 102 & echo ready; wait'));
    const c = await ctx.containerizer.launch(sp);
    await ready(sp);
    const pids = await waitFor('3 processes in the container', async () => {
      const p = await ctx.isolator.pids(sp.containerId);
      return p.length >= 3 ? p : undefined;
    });
    assert.ok(pids.includes(c.pid));
    const info = await withTimeout(c.kill(2_000), 8_000, 'kill');
    assert.is(info.killedByUs, true);
    for (const pid of pids) assert.ok(await processGone(pid), `process ${pid} survived`);
    assert.ok(await containerCgroupsGone(sp.containerId));
  });

  s('natural exit: a background child left behind is killed', async (ctx) => {
    const sp = spec(ctx, sh('sleep 100 & echo $! > bg.pid; exit 0'));
    const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 10_000, 'exit');
    assert.is(info.code, 0);
    const bg = Number((await readText(join(sp.sandbox, 'bg.pid'))).trim());
    assert.ok(bg > 1);
    assert.ok(await processGone(bg), `background process ${bg} survived`);
  });

  s('usage while running', async (ctx) => {
    const sp = spec(ctx, sh('echo ready; sleep 100'), { limits: { cpus: 0.25, memMb: 48 } });
    const c = await ctx.containerizer.launch(sp);
    await ready(sp);
    const u = await c.usage();
    assert.is(u.cpusLimit, 0.25);
    assert.is(u.memLimitBytes, 48 * 1024 * 1024);
    assert.ok((u.processes ?? 0) >= 1, `processes: ${u.processes}`);
    assert.ok((u.memRssBytes ?? -1) >= 0);
    assert.ok(typeof u.cpuUserSecs === 'number');
    await c.kill(0);
  });

  s('a second launch of a running container id is refused', async (ctx) => {
    const sp = spec(ctx, sh('echo ready; sleep 100'));
    const c = await ctx.containerizer.launch(sp);
    try {
      await ctx.containerizer.launch(sp);
      assert.unreachable('second launch');
    } catch (err) {
      assert.instance(err, ContainerizerError);
      assert.is((err as ContainerizerError).code, 'CONTAINER_EXISTS');
    }
    await c.kill(0);
  });

  s('launch failure: invalid container id', async (ctx) => {
    const sp = { ...spec(ctx, sh('true')), containerId: '../escape' };
    try {
      await ctx.containerizer.launch(sp);
      assert.unreachable('launch');
    } catch (err) {
      assert.instance(err, ContainerizerError);
      assert.is((err as ContainerizerError).code, 'LAUNCH_FAILED');
      assert.is(((err as ContainerizerError).cause as IsolationError).code, 'INVALID_CONTAINER_ID');
    }
  });

  s('runs as another user when asked (agent is root)', async (ctx) => {
    const sp = spec(ctx, sh('id -u; id -g; echo "$USER $HOME"; touch own-file'), { user: 'nobody' });
    const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 10_000, 'exit');
    assert.is(info.code, 0, await readText(join(sp.sandbox, 'stderr')));
    assert.is(await stdoutOf(sp), '65534\n65534\nnobody /nonexistent\n');
    assert.is((await stat(join(sp.sandbox, 'own-file'))).uid, 65534);
  });

  s('unknown user: launch fails', async (ctx) => {
    try {
      await ctx.containerizer.launch(spec(ctx, sh('true'), { user: 'no-such-user-xyz' }));
      assert.unreachable('launch');
    } catch (err) {
      assert.is(((err as ContainerizerError).cause as IsolationError).code, 'USER_NOT_FOUND');
    }
  });

  return s;
}

// --- cgroups ---------------------------------------------------------------------------------

let cgroupsIsolator: Isolator | undefined;
const cgroups = behaviour('cgroups', async () => {
  const { isolator, fallbackReason } = await selectIsolator('cgroups', { cgroupsRoot: ROOT, log });
  assert.is(fallbackReason, undefined);
  assert.ok(isolator.kind === 'cgroups-v1' || isolator.kind === 'cgroups-v2');
  cgroupsIsolator = isolator;
  return isolator;
});

/** The file holding the container's CPU weight and its expected value for cpus = 0.5. */
function cpuFile(isolator: Isolator, id: string): { file: string; expected: string } {
  if (isolator instanceof CgroupsV1Isolator) {
    return { file: join(isolator.cgroupDir('cpu', id) ?? '', 'cpu.shares'), expected: '512' };
  }
  if (isolator instanceof CgroupsV2Isolator) return { file: join(isolator.cgroupDir(id), 'cpu.weight'), expected: '20' };
  throw new Error(`not a cgroups isolator: ${isolator.kind}`);
}

function memoryDir(isolator: Isolator, id: string): string {
  if (isolator instanceof CgroupsV1Isolator) return isolator.cgroupDir('memory', id) ?? '';
  if (isolator instanceof CgroupsV2Isolator) return isolator.cgroupDir(id);
  throw new Error(`not a cgroups isolator: ${isolator.kind}`);
}

cgroups('cpu weight and memory limit are set, and the command itself runs inside the cgroups', async (ctx) => {
  const sp = spec(ctx, sh('cat /proc/self/cgroup; echo ready; sleep 100'), { limits: { cpus: 0.5, memMb: 40 } });
  const c = await ctx.containerizer.launch(sp);
  await ready(sp);
  const { file, expected } = cpuFile(ctx.isolator, sp.containerId);
  assert.is((await readText(file)).trim(), expected);
  const mem = memoryDir(ctx.isolator, sp.containerId);
  const limit = ctx.isolator.kind === 'cgroups-v1' ? 'memory.limit_in_bytes' : 'memory.max';
  assert.is((await readText(join(mem, limit))).trim(), String(40 * 1024 * 1024));
  if (await exists(join(mem, 'memory.memsw.limit_in_bytes'))) {
    assert.is((await readText(join(mem, 'memory.memsw.limit_in_bytes'))).trim(), String(40 * 1024 * 1024));
  }
  assert.ok((await ctx.isolator.pids(sp.containerId)).includes(c.pid));
  // /proc/self/cgroup of the task's first command (the cat) already names the container
  const out = await stdoutOf(sp);
  const wanted = ctx.isolator.kind === 'cgroups-v1' ? [':memory:', ':cpu:', ':cpuacct:'] : ['0::'];
  for (const w of wanted) {
    const line = out.split('\n').find((l) => l.includes(w));
    assert.ok(line?.endsWith(`/${ROOT}/${sp.containerId}`), `cgroup line for ${w}: ${line}`);
  }
  await c.kill(0);
  assert.ok(await containerCgroupsGone(sp.containerId));
});

cgroups('memory limit: allocating 200 MB under a 32 MB limit is an OOM kill', async (ctx) => {
  const sp = spec(ctx, sh('python3 -c "b = bytearray(200*1024*1024); import time; time.sleep(5)"'), {
    limits: { cpus: 0.5, memMb: 32 },
  });
  const c = await ctx.containerizer.launch(sp);
  const info = await withTimeout(c.exited, 15_000, 'OOM kill');
  assert.is(info.oomKilled, true, JSON.stringify(info));
  assert.is(info.killedByUs, false);
  assert.match(info.message, /^Memory limit exceeded: Requested: 32MB/);
  assert.ok(await containerCgroupsGone(sp.containerId));
});

cgroups('memory limit: an OOM-killed child destroys the whole container', async (ctx) => {
  const sp = spec(ctx, sh('python3 -c "b = bytearray(200*1024*1024)"; echo survived; sleep 100'), {
    limits: { cpus: 0.5, memMb: 32 },
  });
  const c = await ctx.containerizer.launch(sp);
  const info = await withTimeout(c.exited, 15_000, 'destroy on OOM');
  assert.is(info.oomKilled, true, JSON.stringify(info));
  assert.match(info.message, /Memory limit exceeded/);
});

cgroups('isolator: an existing container cgroup is never reused; cleanup is idempotent', async (ctx) => {
  const id = `reuse-${randomBytes(3).toString('hex')}`;
  await ctx.isolator.prepare(id, { cpus: 0.1, memMb: 32 });
  assert.equal(await ctx.isolator.containers(), [id]);
  try {
    await ctx.isolator.prepare(id, { cpus: 0.1, memMb: 32 });
    assert.unreachable('second prepare');
  } catch (err) {
    assert.is((err as IsolationError).code, 'CGROUP_EXISTS');
  }
  assert.equal(await ctx.isolator.containers(), [id], 'the failed prepare did not remove the existing cgroup');
  await ctx.isolator.cleanup(id);
  await ctx.isolator.cleanup(id);
  await ctx.isolator.cleanup('never-prepared');
  assert.ok(await containerCgroupsGone(id));
});

// --- posix -----------------------------------------------------------------------------------

const posix = behaviour('posix', async () => new PosixIsolator({ log, pollMs: 100 }));

posix('memory poll kills a container over its limit', async (ctx) => {
  const sp = spec(ctx, sh('python3 -c "b = bytearray(200*1024*1024); import time; time.sleep(30)"'), {
    limits: { cpus: 0.5, memMb: 32 },
  });
  const c = await ctx.containerizer.launch(sp);
  const info: ExitInfo = await withTimeout(c.exited, 15_000, 'RSS poll kill');
  assert.is(info.oomKilled, true, JSON.stringify(info));
  assert.is(info.signal, 'SIGKILL');
  assert.is(info.killedByUs, false);
  assert.match(info.message, /^Memory limit exceeded: Requested: 32MB Maximum Used: \d+/);
});

posix('a container under its limit is left alone', async (ctx) => {
  const sp = spec(ctx, sh('python3 -c "b = bytearray(8*1024*1024); print(\'ok\', flush=True)"; echo ready'), {
    limits: { cpus: 0.5, memMb: 64 },
  });
  const info = await withTimeout((await ctx.containerizer.launch(sp)).exited, 15_000, 'exit');
  assert.is(info.code, 0);
  assert.is(info.oomKilled, false);
});

// --- cgroup v2 on a fake cgroupfs ----------------------------------------------------------
// This host's cgroup2 mount has no controllers, so the v2 isolator cannot run for real here.
// On a plain directory laid out like cgroupfs it still shows which files it writes and reads
// (removal cannot work there: rmdir of a non-empty plain directory fails).

const v2fake = suite('cgroups-v2 (fake cgroupfs)');

v2fake('prepare enables controllers top-down and writes memory.max and cpu.weight; oom, usage, watch read the v2 files', async () => {
  const mount = await mkdtemp(join(tmpdir(), 'fake-cgroup2-'));
  try {
    await writeFile(join(mount, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await writeFile(join(mount, 'cgroup.subtree_control'), 'memory\n');
    const iso = new CgroupsV2Isolator({ mount, root: '/mesos/agent-1/', log, oomPollMs: 20 });
    const prep = await iso.prepare('c1', { cpus: 0.5, memMb: 32 });
    const dir = join(mount, 'mesos', 'agent-1', 'c1');
    assert.equal(prep.joinProcsFiles, [join(dir, 'cgroup.procs')]);
    // only the missing controller was written at the mount; both below it (one write each)
    assert.is(await readText(join(mount, 'cgroup.subtree_control')), '+cpu');
    assert.is(await readText(join(mount, 'mesos', 'cgroup.subtree_control')), '+cpu');
    assert.is(await readText(join(mount, 'mesos', 'agent-1', 'cgroup.subtree_control')), '+cpu');
    assert.not.ok(await exists(join(dir, 'cgroup.subtree_control')), 'the leaf does not delegate');
    assert.is(await readText(join(dir, 'memory.max')), String(32 * 1024 * 1024));
    assert.is(await readText(join(dir, 'cpu.weight')), '20');
    assert.equal(await iso.containers(), ['c1']);
    try {
      await iso.prepare('c1', { cpus: 0.5, memMb: 32 });
      assert.unreachable('second prepare');
    } catch (err) {
      assert.is((err as IsolationError).code, 'CGROUP_EXISTS');
    }

    assert.is(await iso.oom('c1'), null);
    await writeFile(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 0\noom_kill 0\n');
    assert.is(await iso.oom('c1'), null);

    await writeFile(join(dir, 'memory.stat'), 'anon 1234\nfile 99\n');
    await writeFile(join(dir, 'memory.current'), '5678\n');
    await writeFile(join(dir, 'cpu.stat'), 'usage_usec 3500000\nuser_usec 2500000\nsystem_usec 1000000\n');
    assert.equal(await iso.usage('c1'), {
      memRssBytes: 1234,
      memTotalBytes: 5678,
      memLimitBytes: 32 * 1024 * 1024,
      cpuUserSecs: 2.5,
      cpuSystemSecs: 1,
      processes: 0,
    });

    const seen: unknown[] = [];
    iso.watch('c1', 1, (r) => seen.push(r));
    await writeFile(join(dir, 'memory.peak'), String(32 * 1024 * 1024));
    await writeFile(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n');
    const expected = { limitBytes: 32 * 1024 * 1024, maxUsedBytes: 32 * 1024 * 1024, evidence: 'oom-kill' };
    assert.equal(await iso.oom('c1'), expected);
    await waitFor('the limitation listener', async () => seen.length > 0);
    await new Promise((r) => setTimeout(r, 100)); // it must fire only once
    assert.equal(seen, [expected]);
  } finally {
    await rm(mount, { recursive: true, force: true });
  }
});

v2fake('cgroups/pids and --cgroups-enable-cfs on v2: pids.max and cpu.max "<quota> <period>"; pids.current in usage; pids.events counted', async () => {
  const mount = await mkdtemp(join(tmpdir(), 'fake-cgroup2-'));
  try {
    await writeFile(join(mount, 'cgroup.controllers'), 'cpu memory pids\n');
    await writeFile(join(mount, 'cgroup.subtree_control'), 'memory cpu\n');
    const iso = new CgroupsV2Isolator({ mount, root: 'mesos/agent-1', log, controllers: ['memory', 'cpu', 'pids'], enableCfs: true });
    assert.equal(iso.controllers(), ['memory', 'cpu', 'pids']);
    await iso.prepare('c1', { cpus: 0.25, memMb: 32, pids: 100 });
    const dir = join(mount, 'mesos', 'agent-1', 'c1');
    assert.is(await readText(join(mount, 'cgroup.subtree_control')), '+pids', 'only pids was missing at the mount');
    assert.is(await readText(join(dir, 'cpu.weight')), '10');
    assert.is(await readText(join(dir, 'cpu.max')), '25000 100000');
    assert.is(await readText(join(dir, 'pids.max')), '100');
    await writeFile(join(dir, 'memory.stat'), 'anon 1\n');
    await writeFile(join(dir, 'pids.current'), '7\n');
    assert.is((await iso.usage('c1')).threads, 7);
    await writeFile(join(dir, 'pids.events'), 'max 3\n');
    assert.is(await iso.pidsLimitHits('c1'), 3);
  } finally {
    await rm(mount, { recursive: true, force: true });
  }
});

v2fake('a controller that cannot be enabled is a clear error', async () => {
  const mount = await mkdtemp(join(tmpdir(), 'fake-cgroup2-'));
  try {
    // a directory where the subtree_control file should be: the write fails
    await writeFile(join(mount, 'cgroup.subtree_control'), '');
    await rm(join(mount, 'cgroup.subtree_control'));
    await mkdir(join(mount, 'cgroup.subtree_control'));
    const iso = new CgroupsV2Isolator({ mount, root: 'mesos', log });
    try {
      await iso.prepare('c1', { cpus: 1, memMb: 32 });
      assert.unreachable('prepare');
    } catch (err) {
      assert.is((err as IsolationError).code, 'CGROUP_WRITE_FAILED');
      assert.match((err as Error).message, /cannot enable the memory controller in .*cgroup\.subtree_control/);
    }
  } finally {
    await rm(mount, { recursive: true, force: true });
  }
});

// --- detection -------------------------------------------------------------------------------

const detect = suite('detect');

detect('auto picks cgroups on this host and leaves only its root', async () => {
  const root = `${ROOT}-auto/agent-1`;
  const { isolator, fallbackReason } = await selectIsolator('auto', { cgroupsRoot: root, log });
  assert.is(fallbackReason, undefined);
  assert.is(isolator.kind, cgroupsIsolator?.kind ?? isolator.kind);
  assert.equal(await isolator.containers(), []); // the probe is gone
  await isolator.removeRoot();
  const mounts = await readMounts();
  for (const m of [...cgroupV1Mounts(mounts).values(), ...cgroupV2Mounts(mounts)]) {
    assert.not.ok(await exists(join(m, `${ROOT}-auto`)), `${m}/${ROOT}-auto left behind`);
  }
});

detect('posix when asked', async () => {
  const { isolator, fallbackReason } = await selectIsolator('posix', { cgroupsRoot: ROOT, log });
  assert.is(isolator.kind, 'posix');
  assert.is(fallbackReason, undefined);
});

detect('an invalid cgroups root is an error', async () => {
  try {
    await selectIsolator('auto', { cgroupsRoot: '../x', log });
    assert.unreachable('selectIsolator');
  } catch (err) {
    assert.is((err as IsolationError).code, 'INVALID_CGROUPS_ROOT');
  }
});

/**
 * Runs selectIsolator as `nobody` in a child node process: cgroups are not writable there. The
 * child loads its modules as root and only then drops to nobody, so that it works wherever the
 * checkout lives (CI clones into a directory only root may read).
 */
function selectAsNobody(requested: string): Promise<{ ok: boolean; kind?: string; reason?: string; code?: string; message?: string }> {
  const detectUrl = new URL('../../agent/isolation/detect.js', import.meta.url).href;
  const pinoUrl = import.meta.resolve('pino');
  const script = `
    const { pino } = await import(${JSON.stringify(pinoUrl)});
    const { selectIsolator } = await import(${JSON.stringify(detectUrl)});
    process.setgroups([]);
    process.setgid(65534);
    process.setuid(65534);
    try {
      const r = await selectIsolator(${JSON.stringify(requested)}, { cgroupsRoot: ${JSON.stringify(`${ROOT}-nobody`)}, log: pino({ level: 'silent' }) });
      console.log(JSON.stringify({ ok: true, kind: r.isolator.kind, reason: r.fallbackReason }));
    } catch (err) {
      console.log(JSON.stringify({ ok: false, code: err.code, message: err.message }));
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: '/', timeout: 20_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean });
    });
  });
}

detect('not root: `cgroups` fails with a clear message, `auto` falls back to posix with a reason', async () => {
  const strict = await selectAsNobody('cgroups');
  assert.is(strict.ok, false);
  assert.is(strict.code, 'CGROUPS_UNAVAILABLE');
  assert.match(strict.message ?? '', new RegExp(`${ROOT}-nobody`)); // which path
  assert.match(strict.message ?? '', /not root/);
  assert.match(strict.message ?? '', /--isolation=posix/);
  const auto = await selectAsNobody('auto');
  assert.is(auto.ok, true);
  assert.is(auto.kind, 'posix');
  assert.match(auto.reason ?? '', /cgroups isolation is unavailable/);
  assert.match(auto.reason ?? '', /permission denied/i);
});

// --- final check: nothing left under the test roots ------------------------------------------

const finalCheck = suite('cleanup');
finalCheck('every container was cleaned up by the containerizer itself', () => {
  assert.equal([...leftovers.keys()].sort(), ['cgroups', 'posix']);
  for (const [suiteName, left] of leftovers) assert.equal(left, [], `${suiteName}: isolation left behind`);
});

finalCheck('no cgroup directory is left under the test roots in any hierarchy', async () => {
  for (const dir of await rootDirs()) {
    assert.not.ok(await exists(dir), `${dir} left behind`);
    assert.not.ok(await exists(`${dir}-auto`), `${dir}-auto left behind`);
    assert.not.ok(await exists(`${dir}-nobody`), `${dir}-nobody left behind`);
  }
});

cgroups.run();
posix.run();
v2fake.run();
detect.run();
finalCheck.run();
