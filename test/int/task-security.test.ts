/**
 * What a task may do, through a real master and real agents (the tests run as root, so users are
 * really switched and cgroups really written): a task runs as its framework's user, or its
 * command's; root only on an agent started with --allow-root-tasks; an unknown user is a failed
 * launch, never a silent run as root. A task cannot leave its cgroups (cgroup namespace, cgroupfs
 * read-only in its mount namespace), and a task of another user cannot read its sandbox (0750).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type TaskStatus, isTerminal } from '../../events/index.js';
import { type AgentHandle, type AgentOptionsInput, startAgent } from '../../agent/index.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { type Scheduler, type TaskSpec, subscribe, toTaskInfo } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { killProcessesUnder, removeCgroupsUnder } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
let nats: SecureTestNats;
let master: MasterHandle;
let dir: string;
const cgroupsRoot = `mesos-test-${randomUUID().slice(0, 8)}`;
const agents: AgentHandle[] = [];
const seen: TaskStatus[] = [];
/** Defaults: switch users, no root tasks. */
let strict: AgentHandle;
/** --allow-root-tasks. */
let rooty: AgentHandle;
/** FrameworkInfo.user root; and nobody. */
let asRoot: Scheduler;
let asNobody: Scheduler;

async function addAgent(name: string, o: Partial<AgentOptionsInput>): Promise<AgentHandle> {
  const a = await startAgent({ nats: nats.url, creds: nats.creds('agent', `agent-${randomUUID()}`), workDir: join(dir, name), cgroupsRoot, killGracePeriodMs: 500, isolation: 'auto', resources: 'cpus:2;mem:1024;disk:1024', ...o }, log);
  agents.push(a);
  await waitFor(() => master.state().agents.get(a.agentId)?.status === 'ACTIVE', `agent ${name} to register`);
  return a;
}

async function framework(name: string, user: string): Promise<Scheduler> {
  const f = await subscribe({ ...nats.framework(), name, user, log });
  f.updates$.subscribe((u) => {
    seen.push(u);
    void f.acknowledge(u).catch(() => undefined);
  });
  return f;
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-tasksec-'));
  chmodSync(dir, 0o755); // reachable by every user: only the sandboxes' own mode keeps them out
  nats = await withSecureNats();
  master = await startMaster({ nats: nats.url, creds: nats.creds('master', 'm1'), port: 0, allocationIntervalMs: 100 }, log);
  await master.caughtUp;
  await waitFor(() => master.isLeader(), 'the master to lead');
  strict = await addAgent('strict', {});
  rooty = await addAgent('rooty', { allowRootTasks: true });
  asRoot = await framework('as-root', 'root');
  asNobody = await framework('as-nobody', 'nobody');
});

test.after(async () => {
  await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
  await killProcessesUnder(dir);
  await removeCgroupsUnder(cgroupsRoot);
  await asRoot?.close();
  await asNobody?.close();
  await master?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function launchOn(fw: Scheduler, agent: AgentHandle, tasks: TaskSpec[]): Promise<void> {
  const need = R.add(...tasks.map((t) => toTaskInfo(t).resources));
  // The other framework gives back what it holds (briefly), so that this one is offered the agent.
  const other = fw === asRoot ? asNobody : asRoot;
  const ids = await waitFor(async () => {
    const held = other.outstandingOffers().map((o) => o.id);
    if (held.length > 0) await other.decline(held, 1);
    const mine = fw.outstandingOffers().filter((o) => o.agentId === agent.agentId);
    return R.contains(R.add(...mine.map((o) => o.resources)), need) ? mine.map((o) => o.id) : undefined;
  }, `offers from ${agent.agentId}`, 20_000);
  await fw.accept(ids, tasks, { refuseSeconds: 0 });
}

const sh = (agent: AgentHandle, taskId: string, value: string, user?: string): TaskSpec => ({
  taskId,
  agentId: agent.agentId,
  resources: 'cpus:0.1;mem:32',
  command: { value, shell: true, ...(user !== undefined ? { user } : {}) },
});

const terminalOf = (taskId: string): Promise<TaskStatus> => waitFor(() => seen.find((s) => s.taskId === taskId && isTerminal(s.state)), `task ${taskId} to end`, 30_000);
const runningOf = (taskId: string): Promise<TaskStatus> => waitFor(() => seen.find((s) => s.taskId === taskId && s.state === 'TASK_RUNNING'), `task ${taskId} to run`, 30_000);

function finished(s: TaskStatus, what: string): void {
  assert.is(s.state, 'TASK_FINISHED', `${what}: ${s.state} ${s.reason ?? ''} ${s.message ?? ''}`);
}

// --- users ---------------------------------------------------------------------------------

test('a task runs as its framework\'s user (FrameworkInfo.user nobody)', async () => {
  await launchOn(asNobody, strict, [sh(strict, 'fw-user', 'test "$(id -u)" = 65534 && test "$(id -un)" = nobody && test "$USER" = nobody')]);
  finished(await terminalOf('fw-user'), 'as nobody');
});

test('CommandInfo.user overrides the framework\'s user', async () => {
  await launchOn(asRoot, strict, [sh(strict, 'cmd-user', 'test "$(id -u)" = 1 && test "$(id -un)" = daemon', 'daemon')]);
  finished(await terminalOf('cmd-user'), 'as daemon');
});

test('root is refused by an agent without --allow-root-tasks (TASK_FAILED saying what to do); runs where it is allowed', async () => {
  await launchOn(asRoot, strict, [sh(strict, 'root-refused', 'touch /tmp/should-not-exist-$$')]);
  const end = await terminalOf('root-refused');
  assert.is(end.state, 'TASK_FAILED');
  assert.is(end.source, 'SOURCE_AGENT');
  assert.match(end.message ?? '', /would run as root .*--allow-root-tasks/);
  // The same for a numeric root: uid 0 by any name.
  await launchOn(asNobody, strict, [sh(strict, 'uid-0', 'true', '0')]);
  assert.match((await terminalOf('uid-0')).message ?? '', /--allow-root-tasks/);
  await launchOn(asRoot, rooty, [sh(rooty, 'root-allowed', 'test "$(id -u)" = 0')]);
  finished(await terminalOf('root-allowed'), 'root on --allow-root-tasks');
});

test('a user that does not exist on the agent fails the launch (it never runs as the agent\'s user)', async () => {
  await launchOn(asRoot, rooty, [sh(rooty, 'ghost', 'true', 'no-such-user-here')]);
  const end = await terminalOf('ghost');
  assert.is(end.state, 'TASK_FAILED');
  assert.match(end.message ?? '', /user "no-such-user-here" does not exist on this agent/);
});

// --- cgroups --------------------------------------------------------------------------------

/** Fails (exit 1) if the task sees a cgroup path other than / or can write any cgroup filesystem. */
const ESCAPE = [
  "awk -F: '$3 != \"/\" { print \"sees \" $0; bad = 1 } END { exit bad }' /proc/self/cgroup || exit 1",
  'for d in /sys/fs/cgroup /sys/fs/cgroup/*; do',
  '  [ -e "$d/cgroup.procs" ] || continue',
  '  if (echo $$ > "$d/cgroup.procs") 2>/dev/null; then echo "moved into $d"; exit 1; fi',
  '  if mkdir "$d/escaped-$$" 2>/dev/null; then echo "made $d/escaped-$$"; rmdir "$d/escaped-$$"; exit 1; fi',
  'done',
  'echo contained',
].join('\n');

test('a task cannot leave its cgroups, even as root: cgroup namespace, cgroupfs read-only in its mount namespace', async () => {
  assert.ok(rooty.isolators.includes('namespaces/cgroup'), `auto takes namespaces/cgroup along: ${rooty.isolators.join(',')}`);
  await launchOn(asRoot, rooty, [sh(rooty, 'escape', ESCAPE)]);
  const end = await terminalOf('escape');
  const out = readFileSync(join(sandboxOf(rooty, asRoot, end), 'stdout'), 'utf8');
  finished(end, `stdout: ${out}`);
  assert.match(out, /contained/);
  // The host's cgroup filesystems stay writable (only the task's view is read-only).
  const mine = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - cgroup2? /.test(l));
  assert.ok(mine.length > 0 && mine.every((l) => l.split(' ')[5]!.split(',').includes('rw')), mine.join('\n'));
});

// --- sandboxes ------------------------------------------------------------------------------

function sandboxOf(agent: AgentHandle, fw: Scheduler, s: TaskStatus): string {
  return join(agent.workDir, 'slaves', agent.agentId, 'frameworks', fw.frameworkId, 'executors', s.taskId, 'runs', s.containerId!);
}

test('a sandbox is 0750 and owned by its task\'s user: a task of another user cannot read it', async () => {
  await launchOn(asNobody, strict, [sh(strict, 'holder', 'echo s3cret > secret && exec sleep 60')]);
  const running = await runningOf('holder');
  const box = sandboxOf(strict, asNobody, running);
  await waitFor(() => {
    try {
      return readFileSync(join(box, 'secret'), 'utf8') === 's3cret\n';
    } catch {
      return false;
    }
  }, 'the secret to be written');
  const st = statSync(box);
  assert.is(st.mode & 0o777, 0o750);
  assert.is(st.uid, 65534);
  await launchOn(asRoot, strict, [sh(strict, 'snoop', `if cat '${box}/secret'; then exit 1; fi; if ls '${box}'; then exit 1; fi; exit 0`, 'daemon')]);
  const snoop = await terminalOf('snoop');
  finished(snoop, `daemon read nobody's sandbox: ${readFileSync(join(sandboxOf(strict, asRoot, snoop), 'stdout'), 'utf8')}`);
  await asNobody.kill('holder');
  await terminalOf('holder');
});

test.run();
