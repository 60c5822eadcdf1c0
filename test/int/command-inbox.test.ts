/**
 * An agent's launch stream against a real nats-server: commands already in the log are read at
 * start, live ones arrive by plain subscription, and each is carried out once, in agentSeq order,
 * whatever the order or duplication of delivery (gaps trigger a catch-up read). The bus is secured:
 * the test appends as the master, and each inbox reads with its own agent's credentials.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentCommand, type AgentId, SCHEMA_VERSION, asAgentId, asFrameworkId, subjects } from '../../events/index.js';
import { type Bus, append, ensureStream } from '../../kernel/shell/bus.js';
import { type CommandInbox, type InboxPosition, startCommandInbox } from '../../agent/command-inbox.js';
import { type LeaderRecord, startLeaderRecord } from '../../agent/leader-record.js';
import { leaderElected } from '../helpers/events.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

let nats: SecureTestNats;
/** The master's connection: it appends the commands. */
let bus: Bus;
/** The agents' own connections, one per inbox. */
const agentBuses: Bus[] = [];
let leaders: LeaderRecord;
const log = testLog();
const FW = asFrameworkId('fw-1');

const launch = (agentId: AgentId, agentSeq: number, epoch = 1, id = `launch-${agentId}-${agentSeq}`): AgentCommand => ({
  type: 'LaunchTasks',
  schemaVersion: SCHEMA_VERSION,
  id,
  time: Date.now(),
  epoch,
  agentId,
  agentSeq,
  frameworkId: FW,
  framework: { name: 'f', user: 'root', checkpoint: false },
  tasks: [
    {
      taskId: `t${agentSeq}` as never,
      name: `t${agentSeq}`,
      agentId,
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: 0.1 }],
      command: { value: 'true', shell: true },
    },
  ],
});

async function inbox(agentId: AgentId, handled: number[], start: InboxPosition = { lastCommandSeq: 0, catchupFromSeq: 1 }, saved: InboxPosition[] = []): Promise<CommandInbox> {
  const own = await nats.bus('agent', agentId, log);
  agentBuses.push(own);
  const ib = startCommandInbox({
    bus: own,
    agentId,
    start,
    leaders,
    log,
    handle: async (c) => {
      handled.push(c.agentSeq);
    },
    persist: async (p) => {
      saved.push(p);
    },
  });
  busOf.set(ib, own);
  return ib;
}
const busOf = new Map<CommandInbox, Bus>();
/** The inbox's subscription has reached the server (a flush of the agent's own connection). */
const subscribed = (ib: CommandInbox): Promise<void> => busOf.get(ib)!.nc.flush();

test.before(async () => {
  nats = await withSecureNats();
  bus = await nats.bus('master', 'm1', log);
  await ensureStream(bus.jsm);
  // Commands count only from an epoch an election in the log stands behind (command-fencing.test.ts).
  await append(bus.js, leaderElected(1, { time: Date.now() }));
  const watcher = await nats.bus('agent', 'leader-watcher', log);
  agentBuses.push(watcher);
  leaders = startLeaderRecord(watcher, log);
});

test.after(async () => {
  leaders.stop();
  await Promise.all(agentBuses.map((b) => b.close()));
  await bus.close();
  await nats.stop();
});

test('commands in the log before the agent starts are carried out at start, in order', async () => {
  const a = asAgentId(`a-${randomUUID()}`);
  await append(bus.js, launch(a, 1));
  await append(bus.js, launch(a, 2));
  const handled: number[] = [];
  const saved: InboxPosition[] = [];
  const ib = await inbox(a, handled, undefined, saved);
  await ib.catchUp();
  assert.equal(handled, [1, 2]);
  assert.is(ib.position().lastCommandSeq, 2);
  assert.ok(ib.position().catchupFromSeq > 1, 'the catch-up start moves past what was carried out');
  assert.equal(saved.at(-1), ib.position());
  await ib.stop();
});

test('live commands: a gap waits for the missing one; duplicates and other agents\' commands are ignored', async () => {
  const a = asAgentId(`a-${randomUUID()}`);
  const b = asAgentId(`b-${randomUUID()}`);
  const handled: number[] = [];
  const ib = await inbox(a, handled);
  await ib.catchUp();
  await subscribed(ib);
  await append(bus.js, launch(a, 1));
  await waitFor(() => handled.length === 1, 'command 1');
  await append(bus.js, launch(a, 3));
  await append(bus.js, launch(b, 2));
  // 3 cannot run before 2.
  await append(bus.js, launch(a, 2));
  await waitFor(() => handled.length === 3, 'commands 2 and 3');
  // The same command re-sent (another Nats-Msg-Id) is not run twice.
  await append(bus.js, launch(a, 2, 1, `again-${randomUUID()}`));
  await append(bus.js, launch(a, 4));
  await waitFor(() => handled.length >= 4, 'command 4');
  assert.equal(handled, [1, 2, 3, 4]);
  await ib.stop();
});

test('a command lost on the live path is found by the catch-up a ping triggers', async () => {
  const a = asAgentId(`a-${randomUUID()}`);
  // Appended while nobody listened: only the log has it, and this inbox has not read the log yet.
  await append(bus.js, launch(a, 1));
  const handled: number[] = [];
  const ib = await inbox(a, handled);
  await subscribed(ib);
  assert.equal(handled, []);
  // The leader's ping says the log holds command 1 for this agent.
  ib.noteLeaderSeq(1);
  await waitFor(() => handled.length === 1, 'the ping-triggered catch-up');
  assert.equal(handled, [1]);
  await ib.stop();
});

test('a malformed message on an agent\'s command subject is skipped', async () => {
  const a = asAgentId(`a-${randomUUID()}`);
  const handled: number[] = [];
  const ib = await inbox(a, handled);
  await ib.catchUp();
  await subscribed(ib);
  await bus.js.publish(subjects.agentCommand(a, 'launch'), new TextEncoder().encode('{"type":"LaunchTasks"}'));
  await append(bus.js, launch(a, 1));
  await waitFor(() => handled.length === 1, 'the good command');
  assert.equal(handled, [1]);
  await ib.stop();
});

test('a leader record that missed an election (a read that ended short) is read again before a command of the newer epoch is refused', async () => {
  // Last in this file: it appends the election of epoch 2.
  await append(bus.js, leaderElected(2, { time: Date.now() }));
  await leaders.refresh();
  // A record as a short read leaves it: it knows only epoch 1, and believes it has read to the head.
  let rechecked = 0;
  const missed: LeaderRecord = {
    latestEpoch: () => 1,
    epochAt: async () => 1,
    refresh: async () => undefined,
    recheck: async (seq) => {
      rechecked++;
      return leaders.recheck(seq);
    },
    elections: () => leaders.elections().filter((e) => e.epoch === 1),
    stop: () => undefined,
  };
  const a = asAgentId(`a-${randomUUID()}`);
  await append(bus.js, launch(a, 1, 2));
  const handled: number[] = [];
  const own = await nats.bus('agent', a, log);
  agentBuses.push(own);
  const ib = startCommandInbox({ bus: own, agentId: a, start: { lastCommandSeq: 0, catchupFromSeq: 1 }, leaders: missed, log, handle: async (c) => void handled.push(c.agentSeq), persist: async () => undefined });
  await ib.catchUp();
  assert.equal(handled, [1], 'the command of epoch 2 was carried out');
  assert.ok(rechecked >= 1, 'the record was read again');
  assert.equal(ib.refused(), { STALE_EPOCH: 0, UNKNOWN_EPOCH: 0 });
  await ib.stop();
});

test.run();
