/**
 * Fencing at the agent, against a real nats-server: a command is carried out only if it carries the
 * epoch of the election in force where it sits in the log. A deposed leader's command appended
 * after a newer election, and a command of an epoch no election stands behind (a forgery), are
 * refused — logged, counted in the agent's /metrics/snapshot — and never run; a real agent proves it.
 * The bus is secured: the test appends as a master would (the one party that may append commands;
 * a forged epoch here stands for a master that lost the lease), the agents read with their own
 * credentials, the auditor reads what they reported.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentCommand, type AgentId, SCHEMA_VERSION, asAgentId, asFrameworkId, subjects } from '../../events/index.js';
import { type Bus, append, ensureStream, readLog } from '../../kernel/shell/bus.js';
import { type Refusal, startCommandInbox } from '../../agent/command-inbox.js';
import { startLeaderRecord } from '../../agent/leader-record.js';
import { type AgentHandle, startAgent } from '../../agent/index.js';
import { testLog } from '../helpers/cluster.js';
import { leaderElected } from '../helpers/events.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

let nats: SecureTestNats;
/** A master's connection: it appends elections and commands. */
let bus: Bus;
/** The auditor's: it reads what the agents reported. */
let reader: Bus;
let dir: string;
const log = testLog();
const FW = asFrameworkId(`fw-${randomUUID()}`);

const launch = (agentId: AgentId, agentSeq: number, epoch: number, taskId: string): AgentCommand => ({
  type: 'LaunchTasks',
  schemaVersion: SCHEMA_VERSION,
  id: `launch-${randomUUID()}`,
  time: Date.now(),
  epoch,
  agentId,
  agentSeq,
  frameworkId: FW,
  framework: { name: 'f', user: 'root', checkpoint: false },
  tasks: [{ taskId: taskId as never, name: taskId, agentId, resources: [{ name: 'cpus', type: 'SCALAR', scalar: 0.1 }], command: { value: 'true', shell: true } }],
});

const elect = (epoch: number) => append(bus.js, leaderElected(epoch, { id: `elected-${epoch}-${randomUUID()}`, time: Date.now() }));

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-fencing-'));
  nats = await withSecureNats();
  bus = await nats.bus('master', 'm1', log);
  reader = await nats.bus('auditor', 'reader', log);
  await ensureStream(bus.jsm);
  await elect(1);
  await elect(2);
});

test.after(async () => {
  await bus.close();
  await reader.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The task ids the agent reported any status of. */
async function reportedTasks(agentId: AgentId): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const e of readLog(reader, { filter: subjects.statusesFrom(agentId), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated') out.add(e.decoded.event.status.taskId);
  }
  return out;
}

test('a real agent refuses a launch of a stale epoch and one of a forged epoch, and runs the current leader\'s', async () => {
  let agent: AgentHandle | undefined;
  try {
    agent = await startAgent({ nats: nats.url, creds: nats.creds('agent', `fence-${randomUUID()}`), workDir: join(dir, 'agent'), resources: 'cpus:2;mem:512;disk:512', isolation: 'posix', cgroupsRoot: `fence-${randomUUID().slice(0, 8)}`, killGracePeriodMs: 200 }, log);
    const a = asAgentId(agent.agentId);
    const metrics = async (): Promise<Record<string, number>> => (await (await fetch(`http://127.0.0.1:${agent!.httpPort}/metrics/snapshot`)).json()) as Record<string, number>;

    // Epoch 1 was deposed by epoch 2 before this command was appended: a late write of the old leader.
    await append(bus.js, launch(a, 1, 1, 'stale'));
    await waitFor(async () => (await metrics())['slave/commands_refused_stale_epoch'] === 1, 'the stale command to be refused');
    // Epoch 9: nobody was ever elected with it.
    await append(bus.js, launch(a, 1, 9, 'forged'));
    await waitFor(async () => (await metrics())['slave/commands_refused_unknown_epoch'] === 1, 'the forged command to be refused');
    // The current leader's command, with the same agentSeq the refused ones claimed, runs.
    await append(bus.js, launch(a, 1, 2, 'good'));
    await waitFor(async () => (await reportedTasks(a)).has('good'), 'the current leader\'s task to run');
    const m = await metrics();
    assert.is(m['slave/commands_refused'], 2);
    assert.is(m['slave/commands_carried_out'], 1);
    const reported = await reportedTasks(a);
    assert.not.ok(reported.has('stale'), 'the stale command ran');
    assert.not.ok(reported.has('forged'), 'the forged command ran');
  } finally {
    await agent?.stop();
  }
});

test('the epoch is judged where the command sits in the log, not against the newest election', async () => {
  const a = asAgentId(`a-${randomUUID()}`);
  // The agent's own connection, as its inbox and leader record use it.
  const own = await nats.bus('agent', a, log);
  const base = (await (async () => {
    // Whatever epoch leads now: this test runs after others that elected.
    const r = startLeaderRecord(own, log);
    await r.refresh();
    const e = r.latestEpoch();
    r.stop();
    return e;
  })());
  // Appended by the leader of `base` before a newer election: valid where it sits.
  await append(bus.js, launch(a, 1, base, 'before-election'));
  await elect(base + 1);
  // The deposed leader writes again after the election: refused.
  await append(bus.js, launch(a, 2, base, 'after-election'));
  const leaders = startLeaderRecord(own, log);
  const handled: string[] = [];
  const refused: Refusal[] = [];
  const ib = startCommandInbox({
    bus: own,
    agentId: a,
    start: { lastCommandSeq: 0, catchupFromSeq: 1 },
    leaders,
    log,
    onRefused: (r) => refused.push(r),
    handle: async (c) => {
      if (c.type === 'LaunchTasks') handled.push(c.tasks[0]!.taskId);
    },
    persist: async () => undefined,
  });
  try {
    await ib.catchUp();
    assert.equal(handled, ['before-election']);
    assert.equal(refused.map((r) => [r.reason, r.command.type === 'LaunchTasks' ? r.command.tasks[0]!.taskId : '', r.leadingEpoch]), [['STALE_EPOCH', 'after-election', base + 1]]);
    // Live: the new leader's command is carried out, a forged epoch is refused.
    await own.nc.flush();
    await append(bus.js, launch(a, 2, base + 5, 'live-forged'));
    await waitFor(() => refused.length === 2, 'the live forged command to be refused');
    assert.is(refused[1]!.reason, 'UNKNOWN_EPOCH');
    await append(bus.js, launch(a, 2, base + 1, 'live-good'));
    await waitFor(() => handled.length === 2, 'the new leader\'s command');
    assert.equal(handled, ['before-election', 'live-good']);
    assert.equal(ib.refused(), { STALE_EPOCH: 1, UNKNOWN_EPOCH: 1 });
  } finally {
    await ib.stop();
    leaders.stop();
    await own.close();
  }
});

test.run();
