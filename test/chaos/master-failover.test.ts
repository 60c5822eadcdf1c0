/**
 * Chaos: kill -9 the leading master again and again while a framework launches and finishes
 * hundreds of short tasks; freeze the leader (SIGSTOP), let another take over, and thaw it
 * (SIGCONT). Every task must finish, none may be launched twice, no agent may ever be
 * over-committed, no update may be lost: checked by folding the whole log with the invariant
 * checker (replay/verify.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { readLog } from '../../kernel/shell/bus.js';
import { verifyLog } from '../../replay/index.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { findLeader, type MasterProcess, spawnMaster } from '../helpers/processes.js';
import { waitFor, within } from '../helpers/wait.js';
import { runWorkload } from '../helpers/workload.js';
import { HttpFramework } from '../helpers/scheduler-http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const log = testLog();
let nats: SecureTestNats;
let masters: MasterProcess[] = [];
const agents: AgentHandle[] = [];
let fw: Scheduler;
const dir = mkdtempSync(join(tmpdir(), 'mesos-chaos-'));
const MASTER_ARGS = ['--leader-lease', '500ms', '--allocation-interval', '100ms', '--snapshot-every', '200'];
/** Each master process with credentials of its own. */
const masterArgs = (): string[] => [...MASTER_ARGS, '--creds', nats.creds('master', `m-${randomUUID()}`)];

const alive = () => masters.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null);

test.before(async () => {
  nats = await withSecureNats();
  masters = await Promise.all([0, 1, 2].map(() => spawnMaster(nats.url, masterArgs())));
  await waitFor(() => findLeader(masters), 'a leader', 20_000);
  const cgroupsRoot = `mesos-chaos-${randomUUID().slice(0, 8)}`;
  for (let i = 0; i < 2; i++) {
    agents.push(
      await startAgent({ nats: nats.url, creds: nats.creds('agent', `agent-${randomUUID()}`), workDir: join(dir, `agent-${i}`), resources: 'cpus:4;mem:4096;disk:1024', cgroupsRoot, isolation: 'auto', killGracePeriodMs: 500, allowRootTasks: true }, log),
    );
  }
  fw = await subscribe({ ...nats.framework(), name: 'chaos', log });
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  for (const a of agents) await a.stop().catch(() => undefined);
  for (const m of masters) m.proc.kill('SIGKILL');
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The events that name a task (and every election), one line each: what a stuck task went through. */
async function logOf(taskId: string): Promise<string[]> {
  const bus = await nats.bus('auditor', 'trail', log);
  const lines: string[] = [];
  try {
    const needle = JSON.stringify(taskId);
    for await (const entry of readLog(bus, { untilHead: true })) {
      if (!entry.decoded.ok) continue;
      const e = entry.decoded.event as { type: string; epoch?: number; agentSeq?: number };
      if (e.type === 'LeaderElected' || new TextDecoder().decode(entry.data).includes(needle)) {
        lines.push(`  ${entry.seq} ${entry.subject} ${e.type}${e.epoch !== undefined ? ` epoch ${e.epoch}` : ''}${e.agentSeq !== undefined ? ` agentSeq ${e.agentSeq}` : ''}`);
      }
    }
  } finally {
    await bus.close();
  }
  return lines;
}

async function nextLeader(except: MasterProcess | undefined, timeoutMs = 10_000): Promise<{ leader: MasterProcess; ms: number }> {
  const t0 = Date.now();
  const leader = await waitFor(async () => {
    const l = await findLeader(alive());
    return l !== undefined && l !== except ? l : undefined;
  }, 'a new leader', timeoutMs, 50);
  return { leader, ms: Date.now() - t0 };
}

test('kill -9 the leader 10 times while 300 tasks run: all finish, none twice, no over-commit', async () => {
  const work = runWorkload(fw, { tasks: 300, resources: 'cpus:0.05;mem:16', command: 'true', perOffer: 20 });
  const takeovers: number[] = [];
  try {
    for (let kill = 0; kill < 10; kill++) {
      await waitFor(() => work.stats().finished >= (kill + 1) * 15 || work.stats().finished === 300, 'some progress before the next kill', 30_000, 50);
      const leader = await waitFor(() => findLeader(alive()), 'the current leader', 10_000, 50);
      leader.proc.kill('SIGKILL');
      await leader.exited;
      const { ms } = await nextLeader(leader);
      takeovers.push(ms);
      masters.push(await spawnMaster(nats.url, masterArgs())); // keep three
    }
    await within(work.done, 90_000, 'all 300 tasks to finish').catch(async (err: unknown) => {
      const stuck = work.unfinished();
      const first = stuck[0]?.split(':')[0];
      const trail = first === undefined ? '' : `; the log of ${first} and the elections:\n${(await logOf(first)).join('\n')}`;
      throw new Error(`${(err as Error).message}: ${JSON.stringify(work.stats())}; not finished: ${stuck.slice(0, 20).join('; ')}${trail}`);
    });
  } finally {
    work.stop(); // also when it failed: its subscriptions must not act on the next test's tasks
  }
  assert.equal(work.failures.map((f) => `${f.taskId} ${f.state} ${f.reason ?? ''}`), [], 'no task ended otherwise than FINISHED');
  for (const [taskId, states] of work.history) {
    assert.is(states.filter((s) => s === 'TASK_FINISHED').length >= 1, true, `${taskId} finished`);
  }
  const bus = await nats.bus('auditor', 'verify', log);
  try {
    const r = await verifyLog(bus);
    assert.equal(r.violations.map((v) => `${v.invariant}@${v.seq}: ${v.message}`), [], 'the log holds every invariant');
    assert.ok(r.state.epoch >= 11, `at least 11 epochs (${r.state.epoch})`);
    process.stdout.write(`  takeover after kill -9 (ms): ${takeovers.join(' ')}; ${r.events} events; ${work.stats().refusedRelaunches} tasks relaunched after a refused accept\n`);
  } finally {
    await bus.close();
  }
});

test('SIGSTOP the leader: another takes over; SIGCONT: the old one steps down and nothing is corrupted', async () => {
  const work = runWorkload(fw, { tasks: 60, resources: 'cpus:0.05;mem:16', command: 'true', perOffer: 10, prefix: 'frozen' });
  try {
    const leader = await waitFor(() => findLeader(alive()), 'the current leader', 10_000, 50);
    leader.proc.kill('SIGSTOP');
    const { leader: next } = await nextLeader(leader);
    await waitFor(() => work.stats().finished >= 20, 'tasks to run under the new leader', 30_000, 50);
    leader.proc.kill('SIGCONT');
    // The thawed master learns it lost the lease and the log has a newer epoch: it steps down.
    await waitFor(async () => (await leader.elected()) === false, 'the thawed master to step down', 10_000, 50);
    assert.is(await findLeader(alive()), next, 'exactly one leader, the new one');
    await within(work.done, 60_000, 'the tasks to finish').catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(work.stats())}; not finished: ${work.unfinished().slice(0, 20).join('; ')}`);
    });
  } finally {
    work.stop();
  }
  assert.equal(work.failures, []);
  const bus = await nats.bus('auditor', 'verify', log);
  try {
    const r = await verifyLog(bus);
    assert.equal(r.violations.map((v) => `${v.invariant}@${v.seq}: ${v.message}`), []);
  } finally {
    await bus.close();
  }
});

test('an HTTP framework on a frozen leader: when the thawed master sees the new election its stream ends; the framework subscribes to the new leader and is ACTIVE there', async () => {
  const leader = await waitFor(() => findLeader(alive()), 'the current leader', 10_000, 50);
  const fw = await HttpFramework.subscribe(leader.url, { user: 'root', name: 'http-on-old-leader', failover_timeout: 60 });
  leader.proc.kill('SIGSTOP');
  const { leader: next } = await nextLeader(leader);
  leader.proc.kill('SIGCONT');
  await fw.stream.end('the stream on the deposed master to end', 15_000);
  const again = await HttpFramework.subscribe(next.url, { user: 'root', name: 'http-on-old-leader', failover_timeout: 60 }, { frameworkId: fw.frameworkId });
  const state = (await (await fetch(`${next.url}/master/state`)).json()) as { frameworks: Array<{ id: string; active: boolean }> };
  assert.ok(state.frameworks.find((f) => f.id === fw.frameworkId)?.active, 'ACTIVE on the new leader');
  again.stream.close();
});

test.run();
