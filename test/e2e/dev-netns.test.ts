/**
 * `mesos dev --netns on`: every master, agent and NATS node in a network namespace of its own on a
 * bridge; the URLs dev prints and writes (dev-state.json) are their namespaces' addresses and
 * answer from the host; a task runs (agent, master and NATS talk across the bridge). Every stop
 * route leaves no namespace, veth or bridge: SIGTERM removes them, and after a SIGKILLed dev the
 * next `mesos dev` on the machine (even without --netns) sweeps what it left, the processes still
 * running in them (its nats-server) included. A bad --netns value is a clear error.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DevState } from '../../chaos/dev-state.js';
import { MESOS, alive, assertNoNetworkLeft, assertNothingLeft, frameworkCreds, startDev, type DevProcess } from '../helpers/dev-process.js';
import { waitFor, within } from '../helpers/wait.js';

const started: DevProcess[] = [];

test.after(() => {
  for (const d of started) {
    if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
    rmSync(d.data, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});

test('a bad --netns value is refused with the choices', () => {
  const r = spawnSync(process.execPath, [MESOS, 'dev', '--netns', 'sometimes'], { encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stderr + r.stdout, /off, auto, on|off\|auto\|on/);
});

test('mesos dev --netns on: children in namespaces of their own, on their own addresses and the given ports, reachable from the host; a task runs; SIGTERM leaves no namespace, veth or bridge', async () => {
  // The default ports: on its own address each child has the whole port space, whatever else runs on the machine.
  const dev = await startDev(['--netns', 'on', '--agents', '2', '--no-frameworks', '--port', '5050', '--agent-port', '5060']);
  started.push(dev);
  const s = dev.state();
  assert.equal(s.children.filter((c) => c.role === 'agent').map((c) => c.port), [5060, 5061], '--agent-port BASE: BASE, BASE+1');
  assert.is(s.children.find((c) => c.role === 'master')!.port, 5050);
  assert.is(s.network, 'netns');
  for (const c of s.children) {
    assert.ok(c.netns !== undefined, `${c.name} runs in a namespace of its own`);
    assert.ok(c.url.includes(c.netns.addr), `${c.name}'s URL ${c.url} is its namespace's address ${c.netns.addr}`);
  }
  const ips = new Set(s.children.map((c) => c.netns!.addr));
  assert.is(ips.size, s.children.length, 'an address each');
  assert.match(s.nats, new RegExp(s.children.find((c) => c.role === 'nats')!.netns!.addr.replace(/\./g, '\\.')));
  const master = s.children.find((c) => c.role === 'master')!;
  assert.is((await fetch(`${master.url}/health`)).status, 200, 'the master answers from the host');
  const r = spawnSync(process.execPath, [MESOS, 'execute', '--creds', frameworkCreds(dev.data), '--nats', s.nats, '--name', 'hello', '--command', 'echo hello', '--timeout', '60s'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /TASK_FINISHED/);
  dev.proc.kill('SIGTERM');
  assert.is(await within(dev.exited, 40_000, 'mesos dev to stop on SIGTERM'), 0);
  assert.match(dev.output(), /netns: {2}removed \d+ network namespaces/);
  assertNothingLeft(s);
});

test('after a SIGKILLed mesos dev --netns, the next mesos dev sweeps its namespaces (and what runs in them), veths and bridge', async () => {
  // With the services framework, which runs in the host's namespace: it goes with the killed dev too.
  const dev = await startDev(['--netns', 'on', '--agents', '0', '--nats-nodes', '3', '--nats-port', '4222']);
  started.push(dev);
  const s: DevState = dev.state();
  assert.equal(s.children.filter((c) => c.role === 'nats').map((c) => c.port), [4222, 4223, 4224], '--nats-port N: N, N+1, N+2');
  assert.is(s.nats.split(',').length, 3, 'the state names every NATS server, comma separated');
  dev.proc.kill('SIGKILL');
  await dev.exited;
  const nats = s.children.find((c) => c.role === 'nats')!;
  // The nats-servers are not children that die with dev: they are still there, in their namespaces.
  await waitFor(() => s.children.filter((c) => c.role === 'master' || c.role === 'framework').every((c) => !alive(c.pid)), 'the killed dev\'s master and services framework to go with it', 15_000);
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(left.includes(nats.netns!.ns), 'the killed dev left its namespaces');
  assert.ok(alive(nats.pid), 'its nats-server still runs');
  const next = await startDev(['--agents', '0', '--no-frameworks']);
  started.push(next);
  assert.match(next.output(), /netns: {2}swept what an earlier mesos dev left: \d+ network namespaces, \d+ links/);
  assertNoNetworkLeft(s);
  await waitFor(() => s.children.every((c) => !alive(c.pid)), 'the killed dev\'s nats-servers to be gone', 5000);
  next.proc.kill('SIGINT');
  assert.is(await within(next.exited, 40_000, 'mesos dev to stop'), 0);
  for (const c of s.children) assert.is(alive(c.pid), false, `${c.name} (pid ${c.pid}) is gone`);
});

test.run();
