/**
 * `mesos chaos` as CI runs it (issue 14): `mesos dev` with 3 masters, 3 NATS nodes and 3 agents
 * (dead children restarted after 2 s), then `mesos chaos --json` for 28 s, a fault every 4 s on
 * the leader, an agent or a NATS node, as real processes. The verdict: faults were injected, every
 * leader loss was followed by a new leader, no task lost or launched twice, no over-commit, the
 * log verified; every killed child was restarted (NATS nodes on their ports). Then SIGHUP (the
 * terminal closing) stops the cluster and nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChaosJson } from '../../chaos/verdict.js';
import { MESOS, alive, assertNothingLeft, startDev, type DevProcess } from '../helpers/dev-process.js';
import { within } from '../helpers/wait.js';

let dev: DevProcess | undefined;

test.after(() => {
  if (dev === undefined) return;
  if (dev.proc.exitCode === null) dev.proc.kill('SIGKILL');
  try {
    for (const c of dev.state().children) if (alive(c.pid)) process.kill(c.pid, 'SIGKILL');
  } catch {
    // the state file is gone with a clean stop
  }
  rmSync(dev.data, { recursive: true, force: true });
});

test('mesos chaos against mesos dev (3 masters, 3 NATS nodes, 3 agents): the verdict passes', async () => {
  // --netns auto: each child in a network namespace of its own where this machine allows it (root, ip,
  // nsenter), so that partitions are true ones; elsewhere the host's network and ss -K.
  dev = await startDev(['--masters', '3', '--agents', '3', '--nats-nodes', '3', '--restart-killed', '2s', '--netns', 'auto'], { timeoutMs: 180_000 });
  const first = dev.state();
  const netns = first.network === 'netns';
  if (process.getuid?.() === 0) assert.ok(netns, `as root, mesos dev --netns auto ran its children in namespaces:\n${dev.output()}`);
  if (netns) assert.ok(first.children.filter((c) => c.role !== 'framework').every((c) => c.netns !== undefined && c.url.includes(c.netns.addr)), 'every master, agent and NATS node serves on its namespace\'s address');
  const chaos = spawn(
    process.execPath,
    [MESOS, 'chaos', '--data', dev.data, '--duration', '28s', '--every', '4s', '--target', 'leader,leader,agent,nats', '--faults', 'kill,stop,partition', '--stop-for', '2s', '--partition-for', '2s', '--long-task', '3010ms', '--seed', '14', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  chaos.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  chaos.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await within(new Promise<number | null>((r) => chaos.once('exit', (c) => r(c))), 240_000, 'mesos chaos to end').catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; its stderr so far:\n${stderr}`);
  });
  process.stdout.write(stderr.split('\n').filter((l) => /^(faults|partitions|failovers|tasks|verify|verdict| {11}leader)/.test(l)).map((l) => `  ${l}\n`).join(''));
  // The exit code and stderr first: a run that ends without a verdict prints nothing on stdout.
  const last = stdout.trim().split('\n').pop() ?? '';
  assert.is(code, 0, `mesos chaos passes (exit ${code}); stdout: ${JSON.stringify(last)}\nstderr:\n${stderr}`);
  assert.ok(last.startsWith('{'), `mesos chaos printed its verdict as JSON on stdout (got ${JSON.stringify(last)}); stderr:\n${stderr}`);
  const v = JSON.parse(last) as ChaosJson;
  assert.ok(v.kills >= 4, `faults injected (${v.kills})`);
  assert.ok(v.failover_ms.p50 !== null && v.failover_ms.max !== null, 'at least one leader failover was measured');
  assert.ok(v.tasks.launched >= 20 && v.tasks.finished === v.tasks.launched, `every task finished: ${JSON.stringify(v.tasks)}`);
  assert.equal({ lost: v.tasks.lost, duplicated: v.tasks.duplicated, overcommits: v.overcommits, verify: v.verify }, { lost: 0, duplicated: 0, overcommits: 0, verify: 'ok' });
  // Partitions of namespaced children are true ones (their link down), never the ss -K approximation.
  if (netns) {
    assert.ok(v.partition === 'netns' || v.partition === 'none', `partitions made by ${v.partition}`);
    assert.ok(!/ss -K/.test(stderr.split('\n').filter((l) => /healed:/.test(l)).join('\n')), 'no partition was approximated');
  }

  // --restart-killed: every child is back, killed ones restarted (NATS nodes on their own ports).
  const before = dev.state();
  assert.ok(before.children.every((c) => c.alive), `every child alive again: ${JSON.stringify(before.children.map((c) => [c.name, c.alive]))}`);
  const killed = stderr.split('\n').filter((l) => /\] kill /.test(l)).length;
  assert.is(before.children.reduce((n, c) => n + c.restarts, 0), killed, `one restart per kill (${killed})`);
  assert.equal(before.children.filter((c) => c.role === 'nats').map((c) => c.port), first.children.filter((c) => c.role === 'nats').map((c) => c.port));
  dev.proc.kill('SIGHUP');
  assert.is(await within(dev.exited, 40_000, 'mesos dev to stop on SIGHUP'), 0);
  assertNothingLeft(before, 'sleep 3.01');
});

test.run();
