/**
 * Chaos: kill a framework (SIGKILL) in the middle of its work and start it again: it subscribes
 * again within its failover timeout, keeps its tasks, reconciles what it had launched and finishes
 * its plan. Then kill an agent with tasks running (SIGKILL), together with the framework, and start
 * both again: the agent re-attaches to its tasks (they keep running; their later ends are
 * reported), the framework comes back; no task is lost or run twice. Masters, agents and the
 * framework are processes of their own; two masters, so that the standby's view is exercised too.
 * Afterwards the whole log is folded with the invariant checker.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { verifyLog } from '../../replay/index.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { type ChildProcessHandle, findLeader, type MasterProcess, spawnAgent, spawnFramework, spawnMaster } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
const dir = mkdtempSync(join(tmpdir(), 'mesos-chaos-af-'));
/** While this file exists the second test's tasks do not end (see its command). */
const HOLD = join(mkdtempSync('/var/tmp/mesos-chaos-af-'), 'hold');
const MASTER_ARGS = ['--leader-lease', '1s', '--allocation-interval', '100ms', '--framework-ping-timeout', '300ms', '--max-framework-ping-timeouts', '3'];
let nats: SecureTestNats;
let masters: MasterProcess[] = [];
const children: ChildProcessHandle[] = [];
const agentArgs: string[][] = [];
const agents: Array<ChildProcessHandle & { agentId: string }> = [];

test.before(async () => {
  nats = await withSecureNats();
  masters = await Promise.all([0, 1].map((i) => spawnMaster(nats.url, [...MASTER_ARGS, '--creds', nats.creds('master', `m${i}`)])));
  await waitFor(() => findLeader(masters), 'a leader', 20_000);
  const cgroupsRoot = `mesos-chaos-${randomUUID().slice(0, 8)}`;
  for (let i = 0; i < 2; i++) {
    agentArgs.push(['--creds', nats.creds('agent', `agent-${randomUUID()}`), '--work-dir', join(dir, `agent-${i}`), '--resources', 'cpus:4;mem:4096;disk:1024', '--cgroups-root', cgroupsRoot, '--kill-grace-period', '500ms']);
    const a = await spawnAgent(nats.url, agentArgs[i]!);
    agents.push(a);
    children.push(a);
  }
});

test.after(async () => {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGTERM');
      await Promise.race([c.exited, new Promise((r) => setTimeout(r, 10_000))]);
      c.proc.kill('SIGKILL');
    }
  }
  for (const m of masters) m.proc.kill('SIGKILL');
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dirname(HOLD), { recursive: true, force: true });
});

const leaderState = async (): Promise<{ frameworks: Array<{ id: string; active: boolean; tasks: Array<{ id: string; state: string }> }> }> => {
  const l = await findLeader(masters);
  if (l === undefined) throw new Error('no leader');
  return (await (await fetch(`${l.url}/master/state`)).json()) as never;
};

test('SIGKILL a framework mid-stream: it comes back within its failover timeout, keeps its tasks and finishes its plan', async () => {
  const frameworkId = `chaos-fw-${randomUUID().slice(0, 8)}`;
  const options = {
    nats: nats.url,
    creds: nats.creds('framework', frameworkId),
    frameworkId,
    name: 'chaos-framework',
    tasks: 60,
    prefix: 'job',
    command: 'sleep 0.5',
    resources: 'cpus:0.2;mem:32',
    perOffer: 8,
    failoverTimeoutMs: 60_000,
    journal: join(dir, 'framework.journal'),
  };
  const first = await spawnFramework(options);
  children.push(first);
  const finished = (h: ChildProcessHandle): Set<string> => new Set(h.events().filter((e) => e.ev === 'update' && e.state === 'TASK_FINISHED').map((e) => String(e.taskId)));
  await waitFor(() => finished(first).size >= 10, 'ten tasks to finish', 60_000, 50);
  const running = (await leaderState()).frameworks.find((f) => f.id === frameworkId)?.tasks.filter((t) => t.state === 'TASK_RUNNING').length ?? 0;
  first.proc.kill('SIGKILL');
  await first.exited;

  // Missed pings: disconnected, not removed; its tasks go on.
  await waitFor(async () => (await leaderState()).frameworks.find((f) => f.id === frameworkId)?.active === false || undefined, 'the framework to be disconnected', 15_000, 100);
  const during = (await leaderState()).frameworks.find((f) => f.id === frameworkId);
  assert.ok(during !== undefined, 'still a framework of the cluster (not removed)');

  const second = await spawnFramework(options);
  children.push(second);
  await waitFor(() => second.events().some((e) => e.ev === 'done'), 'the plan to finish', 120_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; the framework's last events ${JSON.stringify(second.events().slice(-3))}; its output: ${second.output().slice(-3000)}`);
  });
  await waitFor(async () => (await leaderState()).frameworks.find((f) => f.id === frameworkId)?.active === true || undefined, 'the framework to be active', 10_000, 100);

  const bus = await nats.bus('auditor', 'verify', log);
  try {
    const r = await verifyLog(bus);
    assert.equal(r.violations.map((v) => `${v.invariant}@${v.seq}: ${v.message}`), [], 'the log holds every invariant');
    const fw = r.state.frameworks.get(frameworkId as never);
    assert.ok(fw !== undefined);
    const states = new Map<string, string>();
    for (const key of fw.taskKeys) {
      const t = r.state.tasks.get(key)!;
      states.set(t.taskId, t.state);
    }
    for (const t of fw.completedTasks) states.set(t.taskId, t.state);
    const notFinished = [...Array.from({ length: 60 }, (_, i) => `job-${i}`)].filter((t) => states.get(t) !== 'TASK_FINISHED');
    assert.equal(notFinished, [], 'every task of the plan finished, by the log');
    process.stdout.write(`  framework killed with ${running} tasks running; ${r.events} events in the log\n`);
  } finally {
    await bus.close();
  }
});

test('SIGKILL an agent with tasks running and the framework at once; both come back: the tasks are re-attached and finish, none lost, none run twice', async () => {
  const frameworkId = `chaos-fw2-${randomUUID().slice(0, 8)}`;
  const options = {
    nats: nats.url,
    creds: nats.creds('framework', frameworkId),
    frameworkId,
    name: 'chaos-framework-2',
    tasks: 60,
    prefix: 'work',
    // Held while the hold file exists: the tasks running when the agent is killed are still running
    // when it is back, however long its restart takes (a fixed 'sleep 5' was shorter than an agent's
    // restart on a loaded machine, where starting node alone takes seconds). Outside /tmp: a task
    // has a private /tmp.
    command: `sleep 1; while [ -e ${HOLD} ]; do sleep 0.1; done`,
    resources: 'cpus:0.2;mem:32',
    perOffer: 8,
    failoverTimeoutMs: 60_000,
    journal: join(dir, 'framework-2.journal'),
  };
  const first = await spawnFramework(options);
  children.push(first);
  const victim = agents[0]!;
  const runningOnVictim = async (): Promise<string[]> => {
    const st = (await leaderState()) as unknown as { frameworks: Array<{ id: string; tasks: Array<{ id: string; state: string; slave_id: string }> }> };
    return (st.frameworks.find((f) => f.id === frameworkId)?.tasks ?? []).filter((t) => t.state === 'TASK_RUNNING' && t.slave_id === victim.agentId).map((t) => t.id);
  };
  const finishedBy = (h: ChildProcessHandle): number => h.events().filter((e) => e.ev === 'update' && e.state === 'TASK_FINISHED').length;
  await waitFor(() => finishedBy(first) >= 8, 'eight tasks to finish', 60_000, 50);
  writeFileSync(HOLD, ''); // from now on no task ends until the killed agent is back
  const caught = await waitFor(async () => {
    const r = await runningOnVictim();
    return r.length >= 2 ? r : undefined;
  }, 'tasks running on the agent to be killed', 30_000, 50);

  const killedAt = Date.now();
  victim.proc.kill('SIGKILL');
  first.proc.kill('SIGKILL');
  await Promise.all([victim.exited, first.exited]);
  // Both come back: the agent on its work dir (the same agent), the framework with its id.
  const again = await spawnAgent(nats.url, agentArgs[0]!);
  children.push(again);
  agents[0] = again;
  assert.is(again.agentId, victim.agentId, 'the same agent');
  const reattached = /recovered: ([^)\n]*)/.exec(again.output())?.[1] ?? '';
  const stillRunning = Number(/(\d+) running/.exec(reattached)?.[1] ?? 0);
  assert.ok(stillRunning >= 1, `the restarted agent re-attached to running tasks (${reattached})`);
  rmSync(HOLD); // the held tasks may end now, reported by the re-attached agent
  const second = await spawnFramework(options);
  children.push(second);
  await waitFor(() => second.events().some((e) => e.ev === 'done'), 'the plan to finish', 120_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; the framework's last events ${JSON.stringify(second.events().slice(-3))}; its output: ${second.output().slice(-3000)}`);
  });
  const tookMs = Date.now() - killedAt;

  const bus = await nats.bus('auditor', 'verify-2', log);
  try {
    const r = await verifyLog(bus);
    assert.equal(r.violations.map((v) => `${v.invariant}@${v.seq}: ${v.message}`), [], 'the log holds every invariant (none launched twice, no over-commit, every update acknowledged or pending)');
    const fw = r.state.frameworks.get(frameworkId as never)!;
    const ends = new Map<string, string[]>();
    const record = (t: { taskId: string; statuses: ReadonlyArray<{ state: string }> }): void => void ends.set(t.taskId, t.statuses.map((x) => x.state));
    for (const key of fw.taskKeys) record(r.state.tasks.get(key)!);
    for (const t of fw.completedTasks) record(t);
    // Every task of the plan finished, and the ones that ran on the killed agent were not written off.
    const plan = Array.from({ length: 60 }, (_, i) => `work-${i}`);
    assert.equal(plan.filter((t) => ends.get(t)?.at(-1) !== 'TASK_FINISHED'), [], 'every task finished');
    for (const t of caught) {
      const states = ends.get(t) ?? [];
      assert.not.ok(states.some((x) => x === 'TASK_LOST' || x === 'TASK_FAILED' || x === 'TASK_KILLED'), `${t}, running on the killed agent, was kept: ${states.join(' → ')}`);
    }
    process.stdout.write(`  agent and framework killed with ${caught.length} tasks running on the agent (re-attached: ${reattached || '?'}); plan done ${tookMs} ms after the kill; ${r.events} events\n`);
  } finally {
    await bus.close();
  }
});

test.run();
