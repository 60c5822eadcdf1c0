/**
 * `mesos dev` as a chaos test attacks it (issue 14): a SIGKILLed master, agent or NATS node is
 * reported and left dead while the rest keep running (defect 5: one dead master used to stop
 * everything), and SIGTERM to `npx mesos dev` (the wrapper does not pass it on) stops everything,
 * leaving no process, cgroup or mount behind, not even the task of an agent that was SIGKILLed and
 * left dead. (`--restart-killed` and SIGHUP: test/chaos/mesos-chaos.test.ts; Ctrl-C:
 * test/e2e/dev-execute.test.ts.)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DevState } from '../../chaos/dev-state.js';
import { MESOS, alive, frameworkCreds, assertNothingLeft, pidsIn, pidsWith, startDev, type DevProcess } from '../helpers/dev-process.js';
import { waitFor, within } from '../helpers/wait.js';

const started: DevProcess[] = [];
const pidOf = (s: DevState, name: string): number => s.children.find((c) => c.name === name)!.pid;

const frameworks: ChildProcess[] = [];

test.after(async () => {
  for (const f of frameworks) if (f.exitCode === null) f.kill('SIGKILL');
  for (const d of started) {
    if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
    for (const c of (() => {
      try {
        return d.state().children;
      } catch {
        return [];
      }
    })())
      if (alive(c.pid)) process.kill(c.pid, 'SIGKILL');
    // Children killed just now may still be closing files in it.
    rmSync(d.data, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});

/** Starts a task that sleeps `secs` (a unique marker) and waits until it runs; returns the `mesos execute` process. */
async function sleeper(nats: string, secs: number, data: string) {
  const exec = spawn(process.execPath, [MESOS, 'execute', '--creds', frameworkCreds(data), '--nats', nats, '--name', `sleeper-${secs}`, '--command', `sleep ${secs}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  frameworks.push(exec);
  let out = '';
  exec.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('TASK_RUNNING'), `the sleeper to run: ${out}`, 30_000, 100);
  await waitFor(() => pidsWith(`sleep ${secs}`).length > 0, 'the sleeper process', 10_000, 50);
  return exec;
}

/** The framework goes (its command line names the task's command too); its task keeps running. */
async function stopFramework(exec: ChildProcess): Promise<void> {
  const gone = new Promise((r) => exec.once('exit', r));
  exec.kill('SIGKILL');
  await gone;
}

test('a SIGKILLed master, NATS node and agent are reported and left dead; the rest keep running; SIGTERM to `npx mesos dev` then stops everything', async () => {
  const dev = await startDev(['--masters', '2', '--agents', '2', '--nats-nodes', '3', '--no-frameworks'], { npx: true });
  started.push(dev);
  const s0 = dev.state();
  assert.is(s0.ready, true);
  assert.equal(s0.children.map((c) => c.name), ['nats-n1', 'nats-n2', 'nats-n3', 'master-1', 'master-2', 'agent-1', 'agent-2']);
  assert.is(s0.nats.split(',').length, 3, 'the state file gives all three NATS servers');
  const exec = await sleeper(s0.nats, 313, dev.data);

  process.kill(pidOf(s0, 'master-1'), 'SIGKILL');
  process.kill(pidOf(s0, 'nats-n2'), 'SIGKILL');
  await waitFor(() => (dev.output().match(/left dead/g) ?? []).length >= 2, `both deaths reported:\n${dev.output()}`, 10_000, 50);
  assert.match(dev.output(), /master-1 \(pid \d+\) exited \(SIGKILL\); left dead/);
  const agentHost = s0.children.find((c) => c.name === 'agent-1')!;
  // The other master leads, the agents stay registered, NATS serves with two nodes of three.
  const master2 = s0.children.find((c) => c.name === 'master-2')!;
  await waitFor(async () => ((await (await fetch(`${master2.url}/metrics/snapshot`)).json()) as Record<string, number>)['master/elected'] === 1, 'master-2 to lead', 30_000, 100);
  await waitFor(async () => ((await (await fetch(`${master2.url}/master/state`)).json()) as { activated_slaves: number }).activated_slaves === 2, 'both agents on master-2', 30_000, 100);
  const r = spawnSync(process.execPath, [MESOS, 'execute', '--creds', frameworkCreds(dev.data), '--nats', s0.nats, '--name', 'after-kills', '--command', 'true', '--timeout', '30s'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `a task runs after the kills: ${r.stdout}${r.stderr}`);
  assert.ok((await fetch(`${agentHost.url}/state`)).ok, 'agent-1 still serves');

  // The agent that runs the sleeper dies too; its task stays behind (an agent's tasks survive it).
  const withTask = dev.state().children.filter((c) => c.role === 'agent' && pidsIn(join(dev.data, 'agents', c.name.slice('agent-'.length))).length > 0);
  assert.is(withTask.length, 1, 'one agent runs the sleeper');
  process.kill(withTask[0]!.pid, 'SIGKILL');
  await waitFor(() => dev.state().children.find((c) => c.name === withTask[0]!.name)?.alive === false, 'the state file to mark the agent dead', 10_000, 50);
  const s1 = dev.state();
  assert.equal(s1.children.filter((c) => !c.alive).map((c) => c.name).sort(), ['master-1', 'nats-n2', withTask[0]!.name].sort());
  assert.is(dev.proc.exitCode, null, 'mesos dev still runs');
  assert.ok(pidsWith('sleep 313').length > 0, 'the dead agent\'s task still runs');

  await stopFramework(exec);
  dev.proc.kill('SIGTERM'); // the npx wrapper, not mesos dev itself
  await within(
    waitFor(() => s1.children.every((c) => !alive(c.pid)) && !alive(s1.pid) && pidsWith('sleep 313').length === 0, 'every process of the cluster to end', 45_000, 100),
    50_000,
    'the stop',
  );
  assertNothingLeft(s0, 'sleep 313');
});

test.run();
