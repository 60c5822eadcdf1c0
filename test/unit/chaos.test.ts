/**
 * The pure parts of `mesos chaos` and `mesos dev`: percentiles, the task tally (lost and
 * duplicated counted from status updates), the choice of targets, the verdict, and dev's flag checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DevChild, DevState } from '../../chaos/dev-state.js';
import { percentile, summarize } from '../../chaos/stats.js';
import { TaskTally } from '../../chaos/tally.js';
import { TargetError, chooseTarget, eligible, parseTargets, seededRandom } from '../../chaos/targets.js';
import { type ChaosResult, failures, render, toJson } from '../../chaos/verdict.js';
import { natsPortsOf, parseFaults, parseProcNetTcp, partitionHow, partitionPlan, partitionSupportFor, ssFilter } from '../../chaos/faults.js';
import { chaosUser } from '../../chaos/run.js';
import { checkNatsNodes, checkPortRanges, devCgroupsRoot } from '../../cli/commands/dev.js';
import { FlagError } from '../../cli/flags.js';
import type { TaskStatus } from '../../events/index.js';

test('percentile: nearest rank; p50/p99/max of a sample; none for no sample', () => {
  const xs = [5, 1, 4, 2, 3, 100, 7, 8, 6, 9];
  assert.is(percentile(xs, 50), 5);
  assert.is(percentile(xs, 99), 100);
  assert.is(percentile(xs, 90), 9);
  assert.is(percentile([42], 99), 42);
  assert.is(percentile([], 50), null);
  assert.equal(summarize([300, 100, 200]), { n: 3, p50: 200, p99: 300, max: 300 });
  assert.throws(() => percentile(xs, 0), /percentile/);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal([percentile(hundred, 50), percentile(hundred, 99)], [50, 99]);
});

const upd = (taskId: string, state: TaskStatus['state'], more: Partial<TaskStatus> = {}): TaskStatus =>
  ({ taskId, state, agentId: 'a1', frameworkId: 'f', source: 'SOURCE_EXECUTOR', timestamp: 1, ...more }) as TaskStatus;

test('tally: launched, finished, lost (failed or never ended), duplicated (two containers, two agents, two finishes)', () => {
  const t = new TaskTally();
  for (const id of ['ok', 'failed', 'open', 'twoContainers', 'twoAgents', 'twoFinishes', 'redelivered']) t.launched(id);
  t.update(upd('ok', 'TASK_RUNNING', { containerId: 'c1' }));
  t.update(upd('ok', 'TASK_FINISHED', { uuid: 'u1' }));
  t.update(upd('failed', 'TASK_FAILED', { reason: 'REASON_COMMAND_EXECUTOR_FAILED' }));
  t.update(upd('open', 'TASK_RUNNING'));
  t.update(upd('twoContainers', 'TASK_RUNNING', { containerId: 'c1' }));
  t.update(upd('twoContainers', 'TASK_RUNNING', { containerId: 'c2' }));
  t.update(upd('twoContainers', 'TASK_FINISHED', { uuid: 'u' }));
  t.update(upd('twoAgents', 'TASK_STARTING', { agentId: 'a1' } as Partial<TaskStatus>));
  t.update(upd('twoAgents', 'TASK_RUNNING', { agentId: 'a2' } as Partial<TaskStatus>));
  t.update(upd('twoAgents', 'TASK_FINISHED', { uuid: 'u' }));
  t.update(upd('twoFinishes', 'TASK_FINISHED', { uuid: 'x' }));
  t.update(upd('twoFinishes', 'TASK_FINISHED', { uuid: 'y' }));
  // The same update delivered again after a failover (same uuid) is not a duplicate.
  t.update(upd('redelivered', 'TASK_RUNNING', { containerId: 'c9' }));
  t.update(upd('redelivered', 'TASK_FINISHED', { uuid: 'z' }));
  t.update(upd('redelivered', 'TASK_FINISHED', { uuid: 'z' }));
  t.update(upd('not-ours', 'TASK_FAILED'));
  assert.equal(t.counts(), { launched: 7, finished: 5, lost: 2, duplicated: 3, open: 1, relaunched: 0 });
  assert.equal(t.failures.map((f) => f.taskId), ['failed']);
});

test('tally: a launch refused before it took effect (REASON_INVALID_OFFERS) is sent again and counted once', () => {
  const t = new TaskTally();
  t.launched('r');
  assert.is(t.update(upd('r', 'TASK_LOST', { reason: 'REASON_INVALID_OFFERS' })), true, 'send it again');
  t.launched('r');
  assert.is(t.isOpen('r'), true);
  t.update(upd('r', 'TASK_RUNNING', { containerId: 'c' }));
  t.update(upd('r', 'TASK_FINISHED', { uuid: 'u' }));
  assert.equal(t.counts(), { launched: 1, finished: 1, lost: 0, duplicated: 0, open: 0, relaunched: 1 });
  // Once it ran, INVALID_OFFERS is a loss like any other.
  t.launched('s');
  t.update(upd('s', 'TASK_RUNNING', { containerId: 'c' }));
  assert.is(t.update(upd('s', 'TASK_LOST', { reason: 'REASON_INVALID_OFFERS' })), false);
  assert.is(t.counts().lost, 1);
});

const child = (name: string, role: DevChild['role'], alive = true): DevChild => ({ name, role, pid: alive ? 100 + name.length : 0, alive, port: 1, url: 'http://x', restarts: 0 });
const cluster = (): DevChild[] => [
  child('nats-n1', 'nats'),
  child('nats-n2', 'nats'),
  child('nats-n3', 'nats'),
  child('master-1', 'master'),
  child('master-2', 'master'),
  child('agent-1', 'agent'),
  child('agent-2', 'agent'),
];

test('targets: parse random, leader, roles and names; refuse the unknown with the list', () => {
  const names = cluster().map((c) => c.name);
  assert.equal(parseTargets('random,leader,nats,agent-2', names), [{ kind: 'random' }, { kind: 'leader' }, { kind: 'role', role: 'nats' }, { kind: 'name', name: 'agent-2' }]);
  assert.throws(() => parseTargets('master-9', names), (e: unknown) => e instanceof TargetError && /master-9.*master-1, master-2/.test((e as Error).message));
  assert.throws(() => parseTargets(' , ', names), (e: unknown) => e instanceof TargetError);
});

test('targets: only a live child whose role keeps a quorum (NATS) or a live peer (masters, agents) is hit', () => {
  const all = cluster();
  assert.ok(eligible(all[0]!, all), 'a NATS node while all three are up');
  const oneDown = all.map((c) => (c.name === 'nats-n2' ? { ...c, alive: false, pid: 0 } : c));
  assert.not.ok(eligible(oneDown[0]!, oneDown), 'not a second NATS node');
  assert.not.ok(eligible(oneDown[1]!, oneDown), 'not a dead one');
  const lastMaster = all.map((c) => (c.name === 'master-2' ? { ...c, alive: false } : c));
  assert.not.ok(eligible(lastMaster.find((c) => c.name === 'master-1')!, lastMaster), 'not the last live master');
  assert.ok(eligible(lastMaster.find((c) => c.name === 'master-1')!, lastMaster, true), 'unless an outage is allowed');
  const single = [child('nats', 'nats'), child('master', 'master')];
  assert.not.ok(eligible(single[0]!, single), 'never a lone NATS server');
});

test('targets: choose picks the leader, a role, a name; a seeded choice repeats; none when nothing fits', () => {
  const all = cluster();
  const r = seededRandom(7);
  assert.is(chooseTarget([{ kind: 'leader' }], all, 'master-2', r)?.name, 'master-2');
  assert.is(chooseTarget([{ kind: 'leader' }], all, undefined, r), undefined, 'no leader known: no target');
  for (let i = 0; i < 20; i++) assert.is(chooseTarget([{ kind: 'role', role: 'agent' }], all, undefined, r)?.role, 'agent');
  assert.is(chooseTarget([{ kind: 'name', name: 'nats-n3' }], all, undefined, r)?.name, 'nats-n3');
  const seq = (seed: number) => {
    const g = seededRandom(seed);
    return Array.from({ length: 10 }, () => chooseTarget([{ kind: 'random' }], all, 'master-1', g)?.name);
  };
  assert.equal(seq(3), seq(3));
  assert.ok(new Set(seq(3)).size > 2, 'random spreads over the children');
  const dead = all.map((c) => ({ ...c, alive: false }));
  assert.is(chooseTarget([{ kind: 'random' }], dead, undefined, r), undefined);
});

const result = (over: Partial<ChaosResult> = {}): ChaosResult => ({
  durationMs: 30_000,
  injected: [{ fault: 'kill', target: 'master-1', role: 'master', leader: true, atMs: 5000 }],
  idleRounds: 0,
  failovers: [
    { target: 'master-1', fault: 'kill', electedMs: 300, servedMs: 350 },
    { target: 'master-2', fault: 'stop', electedMs: 900, servedMs: null },
  ],
  tasks: { launched: 10, finished: 10, lost: 0, duplicated: 0, open: 0, relaunched: 1 },
  failures: [],
  drained: true,
  verify: { events: 100, findings: [] },
  skipped: [],
  ...over,
});

test('verdict: the JSON CI asserts, and every way it fails', () => {
  assert.equal(toJson(result()), { kills: 1, failover_ms: { p50: 300, p99: 900, max: 900 }, tasks: { launched: 10, finished: 10, lost: 0, duplicated: 0 }, overcommits: 0, verify: 'ok', partition: 'none' });
  assert.equal(failures(result()), []);
  const bad = result({
    tasks: { launched: 10, finished: 7, lost: 2, duplicated: 1, open: 1, relaunched: 0 },
    verify: { events: 5, findings: [{ invariant: 'OVER_COMMIT', seq: 4, message: 'agent a1 holds more than it has' }, { invariant: 'LAUNCHED_TWICE', seq: 5, message: 'x' }] },
    failovers: [{ target: 'master-1', fault: 'kill', electedMs: null, servedMs: null }],
    injected: [],
  });
  const j = toJson(bad);
  assert.is(j.overcommits, 1);
  assert.is(j.verify, 'OVER_COMMIT@4: agent a1 holds more than it has (and 1 more)');
  assert.equal(j.failover_ms, { p50: null, p99: null, max: null });
  const why = failures(bad).join(' | ');
  for (const w of ['no fault was injected', '2 tasks lost', '1 tasks launched twice', '1 over-commits', 'replay verify: OVER_COMMIT', '1 leader losses without a new leader']) assert.ok(why.includes(w), `${w} in ${why}`);
  assert.match(toJson(result({ verify: { error: 'no NATS' } })).verify, /could not verify: no NATS/);
  // A stopped leader that still leads once resumed (frozen for less than its lease) lost nothing.
  const kept = result({ failovers: [{ target: 'master-1', fault: 'stop', electedMs: null, servedMs: null, kept: true }] });
  assert.equal(failures(kept), []);
  assert.ok(render(kept).some((l) => l.includes('1 stopped leaders kept the lead')));
});

test('partitions: a namespaced child is partitioned by its link (true), another by ss -K (approximated); the verdict and the JSON say which', () => {
  const c: DevChild = { name: 'master-1', role: 'master', pid: 1, alive: true, port: 5050, url: 'http://10.233.1.5:5050', restarts: 0 };
  assert.is(partitionHow(c), 'sever');
  assert.is(partitionHow({ ...c, netns: { ns: 'mesos-0123abcd-master-1', addr: '10.233.1.5', veth: 'msv0123abcd3' } }), 'netns');
  const real = partitionSupportFor('netns');
  assert.ok(real.ok && real.how === 'netns' && /real/.test(real.note), JSON.stringify(real));
  const approx = partitionSupportFor('host');
  if (approx.ok) assert.is(approx.how, 'sever');
  const netns = result({ partitions: [{ target: 'master-1', how: 'netns', cut: 0, downMs: 2003 }] });
  assert.is(toJson(netns).partition, 'netns');
  assert.ok(render(netns).some((l) => /partitions: 1 true \(network namespace.*2003 ms/.test(l)), render(netns).join('\n'));
  const sever = result({ partitions: [{ target: 'master-1', how: 'sever', cut: 12 }] });
  assert.is(toJson(sever).partition, 'sever');
  assert.ok(render(sever).some((l) => /partitions: 1 approximated, 12 NATS connections cut \(ss -K/.test(l)));
  assert.is(toJson(result({ partitions: [...netns.partitions!, ...sever.partitions!] })).partition, 'netns+sever');
  const broken = result({ partitions: [{ target: 'nats-n1', how: 'netns', cut: 0, error: 'ip link set msv0123abcd0 down: Operation not permitted' }] });
  assert.ok(failures(broken).some((f) => f.includes('1 partitions could not be made (ip link set')));
});

test('workload user: nobody when run as root (mesos dev\'s agents refuse root tasks), the SDK default otherwise, --user wins', () => {
  assert.is(chaosUser(undefined, 0), 'nobody');
  assert.is(chaosUser(undefined, 1000), undefined);
  assert.is(chaosUser('alice', 0), 'alice');
  assert.is(chaosUser(undefined, undefined), undefined);
});

test('faults: a list of kill, stop, partition', () => {
  assert.equal(parseFaults('kill, stop,kill'), ['kill', 'stop']);
  assert.throws(() => parseFaults('kill,nuke'), /kill, stop, partition.*nuke/);
});

const PROC_NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:9E36 0100007F:107E 01 00000000:00000000 00:00000000 00000000     0        0 501 1 0000000000000000 20 4 30 10 -1',
  '   1: 0100007F:9E38 0100007F:107F 01 00000000:00000000 00:00000000 00000000     0        0 502 1 0000000000000000 20 4 30 10 -1',
  '   2: 0100007F:13BA 0100007F:C738 01 00000000:00000000 00:00000000 00000000     0        0 503 1 0000000000000000 20 4 30 10 -1',
  '   3: 0100007F:107E 0100007F:9E36 01 00000000:00000000 00:00000000 00000000     0        0 701 1 0000000000000000 20 4 30 10 -1',
  '   4: 0100007F:184E 0100007F:9858 01 00000000:00000000 00:00000000 00000000     0        0 702 1 0000000000000000 20 4 30 10 -1',
  '   5: 00000000:107E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 700 1 0000000000000000 100 0 0 10 0',
  '',
].join('\n');

test('partition plan: a master or agent loses its connections to NATS client ports only; a NATS node every connection', () => {
  const conns = parseProcNetTcp(PROC_NET_TCP);
  assert.is(conns.length, 5, 'the listening socket (st 0A) is not a connection');
  assert.equal(conns[0], { localPort: 40502, peerPort: 4222, inode: 501 });
  const ports = natsPortsOf('nats://127.0.0.1:4222,nats://127.0.0.1:4223, 127.0.0.1:4224');
  assert.equal(ports, [4222, 4223, 4224]);
  const master = partitionPlan(conns, new Set([501, 502, 503]), 'master', ports);
  assert.equal(master.map((c) => c.inode), [501, 502]); // not its HTTP connection on 5050
  assert.equal(partitionPlan(conns, new Set([700, 701, 702]), 'nats', ports).map((c) => c.inode), [701, 702]);
  assert.equal(partitionPlan(conns, new Set([999]), 'agent', ports), []);
  assert.equal(ssFilter(master), ['(', 'sport', '=', ':40502', 'and', 'dport', '=', ':4222', ')', 'or', '(', 'sport', '=', ':40504', 'and', 'dport', '=', ':4223', ')']);
});

test('dev: --nats-nodes 1 or 3; master and agent port ranges may not overlap; a stable cgroup per data dir', () => {
  assert.is(checkNatsNodes(3), 3);
  assert.throws(() => checkNatsNodes(2), (e: unknown) => e instanceof FlagError && /quorum/.test((e as Error).message));
  checkPortRanges(5050, 3, 5060, 10);
  checkPortRanges(0, 3, 5050, 3);
  assert.throws(() => checkPortRanges(5050, 3, 5052, 2), /--agent-port 5052 .*overlaps.*5050\.\.5052.*--agent-port 5053/);
  assert.is(devCgroupsRoot('/tmp/a'), devCgroupsRoot('/tmp/a'));
  assert.not.equal(devCgroupsRoot('/tmp/a'), devCgroupsRoot('/tmp/b'));
  assert.match(devCgroupsRoot('/tmp/a'), /^mesos-dev-[0-9a-f]{8}$/);
});

test('dev state: the schema refuses a file that is not one', () => {
  assert.is(DevState.safeParse({ version: 1 }).success, false);
  const ok = { version: 1, pid: 1, data: '/d', logs: '/d/logs', nats: 'nats://x', natsNodes: 1, restartKilledMs: null, cgroupsRoot: 'r', ready: true, children: [child('master', 'master')] };
  assert.is(DevState.safeParse(ok).success, true);
});

test.run();
