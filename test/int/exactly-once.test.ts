/**
 * Exactly once across a crash between carrying out a launch and recording it: the task runner
 * checkpoints the launch before the command position is persisted. Here the "crash" is a commit
 * that fails right after the checkpoint; a new runner on the same work dir (the restarted agent)
 * finds the checkpoint and launches the task, and the same command delivered again (the position
 * was not persisted, so the inbox hands it over once more) changes nothing. Real nats-server for
 * the status updates (secured: the agent sends with its own credentials, the auditor reads), real
 * processes (posix isolation).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentCommand, type EventOf, SCHEMA_VERSION, asAgentId, asFrameworkId, subjects } from '../../events/index.js';
import { type Bus, ensureStream, readLog } from '../../kernel/shell/bus.js';
import { createContainerizer } from '../../agent/containerizer/index.js';
import { findHostTools } from '../../agent/isolation/host-tools.js';
import { PosixIsolator } from '../../agent/isolation/posix.js';
import { createStatusSender, type StatusSender } from '../../agent/status-sender.js';
import { openStatusQueue, type StatusQueue } from '../../agent/status-queue.js';
import { createTaskRunner, type TaskRunner } from '../../agent/task-runner.js';
import { killProcessesUnder } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
let nats: SecureTestNats;
/** The agent's connection (it sends the statuses). */
let bus: Bus;
/** The auditor's (it reads what reached the log). */
let reader: Bus;
let dir: string;
const agentId = asAgentId(`agent-${randomUUID()}`);
const frameworkId = asFrameworkId(`fw-${randomUUID()}`);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesos-once-'));
  nats = await withSecureNats();
  // The stream is the master's to create; the agent then appends to it.
  const master = await nats.bus('master', 'm1', log);
  await ensureStream(master.jsm);
  await master.close();
  bus = await nats.bus('agent', agentId, log);
  reader = await nats.bus('auditor', 'reader', log);
});

test.after(async () => {
  await killProcessesUnder(dir);
  await bus?.close();
  await reader?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const launchCmd: EventOf<'LaunchTasks'> = {
  type: 'LaunchTasks',
  schemaVersion: SCHEMA_VERSION,
  id: 'launch-1',
  time: Date.now(),
  epoch: 1,
  agentId,
  agentSeq: 1,
  frameworkId,
  framework: { name: 'f', user: 'root', checkpoint: true },
  tasks: [
    {
      taskId: 'once' as never,
      name: 'once',
      agentId,
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: 0.1 },
        { name: 'mem', type: 'SCALAR', scalar: 32 },
      ],
      command: { value: 'echo ran >> count; until [ -e go ]; do sleep 0.1; done', shell: true },
    },
  ],
};

async function runner(): Promise<{ runner: TaskRunner; sender: StatusSender; queue: StatusQueue }> {
  const metaDir = join(dir, 'meta');
  const queue = await openStatusQueue(metaDir);
  const sender = createStatusSender({ bus, agentId, queue, log });
  const containerizer = createContainerizer({ isolator: new PosixIsolator({ log }), tools: await findHostTools(), log });
  return { runner: createTaskRunner({ agentId, workDir: dir, metaDir, containerizer, statuses: sender, defaultGraceMs: 500, log, userPolicy: { switchUser: true, allowRootTasks: true } }), sender, queue };
}

async function statusesInLog(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(reader, { filter: subjects.statusesFrom(agentId), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated') out.push(e.decoded.event.status.state);
  }
  return out;
}

test('a crash after the launch is checkpointed but before it is recorded: launched once after the restart, the replayed command changes nothing', async () => {
  const first = await runner();
  try {
    await first.runner.launch(launchCmd, async () => {
      throw new Error('crash: the position was never persisted');
    });
    assert.unreachable('the commit failed');
  } catch (err) {
    assert.match((err as Error).message, /crash/);
  }
  assert.is(readdirSync(join(dir, 'meta', 'containers')).length, 1, 'the launch was checkpointed');
  assert.equal(first.runner.running().map((t) => t.container), [null], 'nothing was spawned');
  await first.sender.stop();
  await first.queue.close();

  // The restarted agent: recovery launches it; the inbox hands the same command over again.
  const second = await runner();
  const summary = await second.runner.recover();
  assert.equal(summary, { reattached: 0, ended: 0, relaunched: 1, discarded: 0 });
  let committed = 0;
  await second.runner.launch(launchCmd as AgentCommand & { type: 'LaunchTasks' }, async () => {
    committed++;
  });
  assert.is(committed, 1, 'the command counts as carried out');
  const t = await waitFor(() => second.runner.running().find((x) => x.container !== null), 'the task to run');
  assert.is(second.runner.running().length, 1);
  await waitFor(() => readFileSync(join(t.sandbox, 'count'), 'utf8') === 'ran\n', 'the command to run');
  writeFileSync(join(t.sandbox, 'go'), '');
  await waitFor(() => second.runner.running().length === 0, 'the task to end');
  // The terminal update is queued (durably) just after the task leaves the running list: wait for
  // it to reach the log, then check that nothing else did.
  await waitFor(async () => {
    await second.sender.flush();
    return (await statusesInLog()).includes('TASK_FINISHED') || undefined;
  }, 'TASK_FINISHED in the log');
  assert.equal(await statusesInLog(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  assert.is(readFileSync(join(t.sandbox, 'count'), 'utf8'), 'ran\n', 'it ran once');
  assert.equal(readdirSync(join(t.sandbox, '..')), [t.containerId], 'one container');
  await second.sender.stop();
  await second.queue.close();
});

test('a re-attached task does not queue its STARTING and RUNNING again, even when the queue no longer remembers them', async () => {
  const cmd: EventOf<'LaunchTasks'> = { ...launchCmd, id: 'launch-2', agentSeq: 2, tasks: [{ ...launchCmd.tasks[0]!, taskId: 'again' as never, name: 'again' }] };
  const first = await runner();
  await first.runner.launch(cmd, async () => undefined);
  const t = await waitFor(() => first.runner.running().find((x) => x.taskId === 'again' && x.state === 'TASK_RUNNING'), 'the task to run');
  await waitFor(() => existsSync(join(dir, 'meta', 'containers', t.containerId, 'reported.running')), 'RUNNING to be queued');
  await first.sender.flush();
  assert.equal(await statusesInLogOf('again'), ['TASK_STARTING', 'TASK_RUNNING']);
  await first.sender.stop();
  await first.queue.close();
  // As after more than 1,024 other deliveries: the queue has forgotten these two.
  rmSync(join(dir, 'meta', 'status-updates.log'));
  const second = await runner();
  const summary = await second.runner.recover();
  assert.is(summary.reattached, 1);
  assert.is(second.queue.pendingCount(), 0, 'nothing queued again');
  await second.sender.flush();
  assert.equal(await statusesInLogOf('again'), ['TASK_STARTING', 'TASK_RUNNING']);
  // (Both runners live in this process and follow the same supervisor, which a real restart
  // never has: the task is not finished here; the after hook kills it.)
  void t;
  await second.sender.stop();
  await second.queue.close();
});

async function statusesInLogOf(taskId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(reader, { filter: subjects.statusesFrom(agentId), untilHead: true })) {
    if (e.decoded.ok && e.decoded.event.type === 'TaskStatusUpdated' && e.decoded.event.status.taskId === taskId) out.push(e.decoded.event.status.state);
  }
  return out;
}

test.run();
