/**
 * A framework that declines every offer with refuse_seconds 0 (a real master, emulated agents, the
 * native SDK): the resources it declines come back at the next allocation cycle of the interval, as
 * Mesos's allocator recovers them, not in a cycle of their own at once — so it gets at most one
 * offer per agent per allocation interval, and the log grows with the interval, not with the round
 * trip of a decline (7,932 offers in 10 s before; bench `declines` measures it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { waitFor } from '../helpers/wait.js';

const INTERVAL_MS = 300;
let cluster: TestCluster;
const agents: EmulatedAgent[] = [];
let fw: Scheduler;

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { allocationIntervalMs: INTERVAL_MS, offerTimeoutMs: null } });
  for (let i = 0; i < 2; i++) {
    const a = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:2;mem:1024');
    agents.push(a);
    await waitFor(() => cluster.master.state().agents.get(a.agentId)?.status === 'ACTIVE', 'an agent to register');
  }
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  for (const a of agents) await a.close().catch(() => undefined);
  await cluster?.stop();
});

test('declining everything with refuse_seconds 0: at most one offer per agent per allocation interval', async () => {
  fw = await subscribe({ ...cluster.framework(), name: 'decliner', log: cluster.log });
  const perAgent = new Map<string, number>();
  let firstAt: number | undefined;
  fw.offers$.subscribe((o) => {
    firstAt ??= Date.now();
    perAgent.set(o.agentId, (perAgent.get(o.agentId) ?? 0) + 1);
    void fw.decline([o.id], 0).catch(() => undefined);
  });
  const ROUNDS = 6;
  // Six offers of each agent: before the fix they came within milliseconds of each other.
  await waitFor(() => agents.every((a) => (perAgent.get(a.agentId) ?? 0) >= ROUNDS) || undefined, `${ROUNDS} offers of each agent`, 20_000);
  const elapsed = Date.now() - firstAt!;
  assert.ok(elapsed >= (ROUNDS - 2) * INTERVAL_MS, `${ROUNDS} offers per agent came within ${elapsed} ms, with an allocation interval of ${INTERVAL_MS} ms`);
  const bound = Math.floor(elapsed / INTERVAL_MS) + 2;
  for (const a of agents) {
    const n = perAgent.get(a.agentId) ?? 0;
    assert.ok(n <= bound, `agent ${a.agentId}: ${n} offers in ${elapsed} ms (at most ${bound} at one per ${INTERVAL_MS} ms interval)`);
  }
});

test.run();
