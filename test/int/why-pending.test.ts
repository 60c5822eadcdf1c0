/**
 * Why-pending against a real cluster: a framework asks (REQUEST) for more memory than any agent
 * has; the leader records the reason in the log (DemandUnmet, once, not every cycle), and
 * `mesos replay why-pending` — the function and the command — names it. A framework in a role whose
 * quota limit is reached, and a suppressed one, get their own reasons.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runExecute } from '../../frameworks/execute.js';
import { runExecuteHttp } from '../../frameworks/execute-http.js';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { connectBus, readLog } from '../../kernel/shell/bus.js';
import { busSource } from '../../replay/index.js';
import { whyPending } from '../../replay/why-pending.js';
import { parseResources } from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { op } from '../helpers/operator.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
let cluster: TestCluster;
let agent: EmulatedAgent;
let big: Scheduler;

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { allocationIntervalMs: 100, whyPendingIntervalMs: 200 } });
  agent = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:1024;disk:1024');
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent');
  big = await subscribe({ ...cluster.framework(), name: 'bigmem', roles: ['analytics'], log: cluster.log });
});

test.after(async () => {
  await big?.close();
  await agent?.close();
  await cluster?.stop();
});

test('a task asking more memory than any agent has: the reason is recorded once and why-pending names it', async () => {
  await big.request([{ name: 'huge-task', resources: 'cpus:1;mem:100000' }]);
  const pending = await waitFor(() => {
    const p = cluster.master.state().pending.get(big.frameworkId);
    return p?.reasons.some((r) => r.code === 'NO_AGENT_LARGE_ENOUGH') ? p : undefined;
  }, 'the reason to be recorded');
  assert.equal(pending.reasons.map((r) => r.code), ['NO_AGENT_LARGE_ENOUGH']);
  assert.match(pending.reasons[0]!.message, /mem/);
  assert.match(pending.reasons[0]!.message, /100000/);
  assert.match(pending.reasons[0]!.message, /1024/);
  // Several explanation rounds later, still one record: the reasons did not change.
  const rounds = Date.now();
  await waitFor(() => Date.now() - rounds > 1200, 'a few explanation rounds', 5000, 100);
  const bus = await cluster.bus('auditor', 'reader');
  try {
    let records = 0;
    for await (const e of readLog(bus, { fromSeq: 1, untilHead: true })) {
      const ev = e.decoded.ok ? e.decoded.event : undefined;
      if (ev?.type === 'DemandUnmet' && ev.frameworkId === big.frameworkId && ev.reasons.some((r) => r.code === 'NO_AGENT_LARGE_ENOUGH')) records++;
    }
    assert.is(records, 1, 'one DemandUnmet while the reasons stay the same');
    // The function behind the command.
    const r = await whyPending(busSource(bus, cluster.nats.url, null), { framework: big.frameworkId, taskName: 'huge-task' });
    assert.is(r.frameworks.length, 1);
    const f = r.frameworks[0]!;
    assert.equal(f.demand, [{ name: 'huge-task', role: 'analytics', agentId: undefined, resources: 'cpus:1;mem:100000' }]);
    assert.equal(f.recorded.at(-1)!.reasons.map((y) => y.code), ['NO_AGENT_LARGE_ENOUGH']);
    assert.equal(f.now.map((x) => x.code), ['NO_AGENT_LARGE_ENOUGH']);
    // A demand not in the log, explained against the state.
    const hypo = await whyPending(busSource(bus, cluster.nats.url, null), { framework: 'bigmem', demand: parseResources('cpus:1;mem:512') });
    assert.equal(hypo.frameworks[0]!.now, [], 'that one fits an offer it holds: nothing in the way');
  } finally {
    await bus.close();
  }
});

test('mesos execute --resources mem:99999999 (native SDK and v1 HTTP): the task is recorded as demand, and why-pending answers for the plain framework', async () => {
  for (const via of ['nats', 'http'] as const) {
    const name = `huge-${via}`;
    const lines: string[] = [];
    const ac = new AbortController();
    const task = { name, command: 'true', resources: 'cpus:0.1;mem:99999999', role: '*', timeoutMs: null, out: (l: string) => lines.push(l), signal: ac.signal };
    const done = via === 'nats' ? runExecute({ ...task, ...cluster.framework(), log: cluster.log }) : runExecuteHttp({ ...task, master: cluster.master.url });
    try {
      const fw = await waitFor(() => [...cluster.master.state().frameworks.values()].find((f) => f.info.name === `${name} (mesos execute)`), `the ${via} framework`);
      await waitFor(() => cluster.master.state().pending.get(fw.id)?.reasons.some((r) => r.code === 'NO_AGENT_LARGE_ENOUGH') || undefined, `the reason for ${via} to be recorded`);
      const bus = await cluster.bus('auditor', 'reader');
      try {
        // As a user asks: no --framework, no --demand.
        const r = await whyPending(busSource(bus, cluster.nats.url, null));
        const f = r.frameworks.find((x) => x.frameworkId === fw.id);
        assert.ok(f, `why-pending reports the ${via} framework: ${JSON.stringify(r.frameworks.map((x) => x.name))}`);
        assert.equal(f!.demand.map((d) => d.resources), ['cpus:0.1;mem:99999999']);
        if (via === 'nats') assert.equal(f!.demand.map((d) => d.name), [name], 'the SDK names the request by the task');
        assert.equal(f!.now.map((x) => x.code), ['NO_AGENT_LARGE_ENOUGH']);
        assert.equal(f!.recorded.at(-1)!.reasons.map((x) => x.code), ['NO_AGENT_LARGE_ENOUGH']);
      } finally {
        await bus.close();
      }
    } finally {
      ac.abort();
      assert.is(await done, 130, lines.join('\n'));
    }
  }
});

test('the command prints the reason, as a person reads it and as JSON', async () => {
  const cli = new URL('../../cli/mesos.js', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, [cli, 'replay', 'why-pending', '--nats', cluster.nats.url, '--creds', cluster.creds('auditor', 'cli'), '--framework', big.frameworkId, '--task-name', 'huge-task']);
  assert.match(stdout, /NO_AGENT_LARGE_ENOUGH: no agent has enough mem for huge-task/);
  assert.match(stdout, /recorded at seq \d+/);
  const json = await run(process.execPath, [cli, 'replay', 'why-pending', '--nats', cluster.nats.url, '--creds', cluster.creds('auditor', 'cli'), '--json']);
  const r = JSON.parse(json.stdout) as { frameworks: { frameworkId: string; now: { code: string }[] }[] };
  assert.ok(r.frameworks.some((f) => f.frameworkId === big.frameworkId && f.now[0]?.code === 'NO_AGENT_LARGE_ENOUGH'));
  const missing = await run(process.execPath, [cli, 'replay', 'why-pending', '--nats', cluster.nats.url, '--creds', cluster.creds('auditor', 'cli'), '--framework', 'nosuch']).catch((e: { code: number; stderr: string }) => e);
  assert.is((missing as { code: number }).code, 3, 'not found: exit 3, as the other replay commands');
  assert.match((missing as { stderr: string }).stderr, /no framework nosuch/);
});

test('demand met: the record is cleared; a role at its quota limit and a suppressed framework get their reasons', async () => {
  // Withdrawing the demand clears the record (DemandUnmet with no reasons).
  await big.request([]);
  await waitFor(() => !cluster.master.state().pending.has(big.frameworkId), 'the record to be cleared');
  // A role with a limit of nothing: its framework (no stated demand, no offers) is held by quota.
  assert.is((await op(cluster.master.url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'frozen', limits: { cpus: { value: 0 }, mem: { value: 0 } } }] } })).status, 200);
  const frozen = await subscribe({ ...cluster.framework(), name: 'frozen', roles: ['frozen'], log: cluster.log });
  const quiet = await subscribe({ ...cluster.framework(), name: 'quiet', roles: ['analytics'], log: cluster.log });
  try {
    const held = await waitFor(() => cluster.master.state().pending.get(frozen.frameworkId), 'the frozen framework’s reason');
    assert.ok(held.reasons.some((r) => r.code === 'QUOTA_LIMIT'), JSON.stringify(held.reasons));
    await quiet.suppress();
    await quiet.request([{ name: 'later', resources: 'cpus:1' }]);
    const s = await waitFor(() => {
      const p = cluster.master.state().pending.get(quiet.frameworkId);
      return p?.reasons.some((r) => r.code === 'FRAMEWORK_SUPPRESSED') ? p : undefined;
    }, 'the suppressed framework’s reason');
    assert.equal(s.reasons.map((r) => r.code), ['FRAMEWORK_SUPPRESSED']);
  } finally {
    await frozen.close();
    await quiet.close();
  }
});

test.run();
