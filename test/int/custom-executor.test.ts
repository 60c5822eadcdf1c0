/**
 * Custom executors end to end on a secured bus (every party with its own credentials): the
 * example executor (frameworks/examples/shell-executor.ts, written with the SDK) runs several
 * tasks of its scheduler in one container, the two exchange messages through the log, the
 * executor's resources show in /master/state while it runs and are let go when it is shut down
 * for having no tasks left; a killed task is killed by the executor; an executor killed mid-task
 * leaves its tasks TASK_FAILED with REASON_EXECUTOR_TERMINATED.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { isTerminal, type TaskStatus } from '../../events/index.js';
import { contains, parseResources, scalar } from '../../kernel/core/resources.js';
import { runShellExample, shellExecutorSpec } from '../../frameworks/examples/shell-scheduler.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { type Ev, HttpFramework } from '../helpers/scheduler-http.js';

let cluster: TestCluster;
/** Every scheduler a test opened: closed at the end even when a test failed half-way. */
const opened: Scheduler[] = [];

test.before(async () => {
  cluster = await startCluster({ agents: 1 });
});

test.after(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await cluster?.stop();
});

type J = Record<string, unknown>;
const masterState = async (): Promise<J> => (await (await fetch(`http://127.0.0.1:${cluster.master.port}/master/state`)).json()) as J;
const frameworkIn = (state: J, id: string): J | undefined => (state.frameworks as J[]).find((f) => f.id === id);

test('the example executor runs several tasks in one container and exchanges messages with its scheduler; its resources are held while it runs', async () => {
  const agent = cluster.agents[0]!;
  const FW = randomUUID();
  let sched: Scheduler | undefined;
  let seenInState: J | undefined;
  const pidsSeen = new Set<number>();
  const watching = setInterval(() => {
    for (const e of agent.executors()) if (e.pid !== undefined) pidsSeen.add(e.pid);
  }, 20);
  const run = runShellExample({
    nats: cluster.nats.url,
    creds: cluster.secure!.creds('framework', FW),
    tasks: 3,
    // Long enough for the ping and the state check; each task says which process runs it.
    // Each task checks the environment the agent gave its executor (the example passes it on), and fails if it is not Mesos's.
    taskCommand: (i) =>
      [
        `test "$MESOS_FRAMEWORK_ID" = ${FW}`,
        'test "$MESOS_EXECUTOR_ID" = shell-executor',
        `test "$MESOS_AGENT_ID" = ${agent.agentId}`,
        `test "$MESOS_AGENT_ENDPOINT" = ${agent.advertisedIp}:${agent.httpPort}`,
        'test "$MESOS_SANDBOX" = "$MESOS_DIRECTORY"',
        'test "$(pwd)" = "$MESOS_SANDBOX"',
        'test "$MESOS_HTTP_COMMAND_EXECUTOR" = 0',
        'test "$MESOS_CHECKPOINT" = 0',
        'test "$MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD" = 5secs',
        'test "$MESOS_SUBSCRIPTION_BACKOFF_MAX" = 2secs',
        'test "$MESOS_RECOVERY_TIMEOUT" = 900secs',
        `echo "task ${i} in $MESOS_SANDBOX"`,
        'sleep 4',
      ].join(' && '),
    log: cluster.log,
    out: () => undefined,
    onScheduler: (s) => {
      sched = s;
      opened.push(s);
    },
  });
  // While the tasks run: the executor is in /master/state with its own resources, counted in the framework's.
  await waitFor(async () => {
    const f = frameworkIn(await masterState(), FW);
    if (f !== undefined && (f.executors as J[]).length === 1 && (f.tasks as J[]).filter((t) => t.state === 'TASK_RUNNING').length === 3) seenInState = f;
    return seenInState !== undefined;
  }, 'the executor and its 3 running tasks in /master/state', 60_000);
  const ex = (seenInState!.executors as J[])[0]!;
  assert.is(ex.executor_id, 'shell-executor');
  assert.is(ex.slave_id, agent.agentId);
  assert.equal(ex.resources, { cpus: 0.1, mem: 128, disk: 0, gpus: 0 }, 'the executor holds its own resources');
  const used = seenInState!.used_resources as J;
  assert.ok(Math.abs((used.mem as number) - (128 + 3 * 16)) < 1e-9, `the framework uses the executor's mem and its tasks' (got ${String(used.mem)})`);
  for (const t of seenInState!.tasks as J[]) assert.is(t.executor_id, 'shell-executor', 'a task names its executor');

  const r = await run;
  clearInterval(watching);
  assert.ok(sched !== undefined);
  const finished = r.statuses.filter((s) => s.state === 'TASK_FINISHED');
  assert.is(finished.length, 3, `3 tasks finished (got ${r.statuses.map((s) => `${s.taskId}:${s.state}`).join(', ')})`);
  for (const s of finished) {
    assert.is(s.source, 'SOURCE_EXECUTOR', 'the executor reported it');
    assert.is(s.executorId, 'shell-executor');
  }
  assert.is(pidsSeen.size, 1, 'one executor process ran all three tasks');
  assert.ok(r.messages.includes('pong 3'), `the executor answered the scheduler's ping with its 3 running tasks (messages: ${r.messages.join(' | ')})`);
  assert.equal(r.messages.filter((m) => m.startsWith('exited ')).sort(), ['exited shell-1 0', 'exited shell-2 0', 'exited shell-3 0']);

  // No task left: the agent shuts the executor down and the master lets go of its resources.
  await waitFor(() => agent.executors().length === 0, 'the idle executor to be shut down', 30_000);
  await waitFor(async () => {
    const s = cluster.master.state();
    return [...s.executors.values()].every((e) => e.frameworkId !== FW);
  }, 'the master to release the executor', 30_000);
});

/** A scheduler that launches `n` long tasks under the example executor; resolves with it once all run. */
async function longTasks(n: number): Promise<{ sched: Scheduler; statuses: TaskStatus[] }> {
  const FW = randomUUID();
  const sched = await subscribe({ nats: cluster.nats.url, creds: cluster.secure!.creds('framework', FW), name: 'long', log: cluster.log });
  opened.push(sched);
  const statuses: TaskStatus[] = [];
  sched.updates$.subscribe((s) => {
    statuses.push(s);
    void sched.acknowledge(s).catch(() => undefined);
  });
  const executor = shellExecutorSpec();
  const per = parseResources('cpus:0.1;mem:16');
  const offer = await firstValueFrom(sched.offers$.pipe(filter((o) => contains(o.resources, parseResources('cpus:0.5;mem:200'))), timeout(30_000)));
  await sched.accept(
    [offer.id],
    Array.from({ length: n }, (_, i) => ({ taskId: `long-${i + 1}`, agentId: offer.agentId, resources: per, executor, data: 'exec sleep 60' })),
  );
  await waitFor(() => new Set(statuses.filter((s) => s.state === 'TASK_RUNNING').map((s) => s.taskId)).size === n, `${n} long tasks running`, 60_000);
  return { sched, statuses };
}

test('a kill goes to the executor: the task is TASK_KILLED by it, the others run on', async () => {
  const { sched, statuses } = await longTasks(2);
  await sched.kill('long-1');
  await waitFor(() => statuses.some((s) => s.taskId === 'long-1' && isTerminal(s.state)), 'long-1 to end', 30_000);
  const end = statuses.find((s) => s.taskId === 'long-1' && isTerminal(s.state))!;
  assert.is(end.state, 'TASK_KILLED');
  assert.is(end.source, 'SOURCE_EXECUTOR', 'the executor killed it');
  assert.not.ok(statuses.some((s) => s.taskId === 'long-2' && isTerminal(s.state)), 'the other task runs on');
  await sched.teardown();
  await waitFor(() => cluster.agents[0]!.executors().length === 0, 'the executor to go with its framework', 30_000);
});

test('an executor killed mid-task: its tasks are TASK_FAILED with REASON_EXECUTOR_TERMINATED, its resources let go', async () => {
  const agent = cluster.agents[0]!;
  const { sched, statuses } = await longTasks(2);
  const ex = agent.executors().find((e) => e.frameworkId === sched.frameworkId)!;
  assert.ok(ex.pid !== undefined);
  // The whole container: the executor and its tasks' processes (as the OOM killer or an operator would).
  process.kill(ex.pid!, 'SIGKILL');
  await waitFor(() => ['long-1', 'long-2'].every((id) => statuses.some((s) => s.taskId === id && isTerminal(s.state))), 'both tasks to end', 30_000);
  for (const id of ['long-1', 'long-2']) {
    const end = statuses.find((s) => s.taskId === id && isTerminal(s.state))!;
    assert.is(end.state, 'TASK_FAILED', `${id}: ${end.state}`);
    assert.is(end.reason, 'REASON_EXECUTOR_TERMINATED');
    assert.is(end.source, 'SOURCE_AGENT');
  }
  await waitFor(() => ![...cluster.master.state().executors.values()].some((e) => e.frameworkId === sched.frameworkId), 'the master to release the executor', 30_000);
  const a = cluster.master.state().agents.get(agent.agentId)!;
  assert.ok(scalar(a.used, "mem") < 1, 'nothing of the executor is left in use on the agent');
  await sched.teardown();
});

test('an executor over its memory limit (a real cgroup limit: its resources plus its tasks\') is killed by the isolator: its tasks TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY', async () => {
  const agent = cluster.agents[0]!;
  assert.ok(agent.isolators.includes('cgroups/mem'), `this test needs the cgroups memory isolator (the agent has ${agent.isolators.join(',')}; ${agent.isolationFallback ?? ''})`);
  const FW = randomUUID();
  const sched = await subscribe({ nats: cluster.nats.url, creds: cluster.secure!.creds('framework', FW), name: 'oom', log: cluster.log });
  opened.push(sched);
  const statuses: TaskStatus[] = [];
  sched.updates$.subscribe((s) => {
    statuses.push(s);
    void sched.acknowledge(s).catch(() => undefined);
  });
  const offer = await firstValueFrom(sched.offers$.pipe(filter((o) => contains(o.resources, parseResources('cpus:0.3;mem:200'))), timeout(30_000)));
  const per = parseResources('cpus:0.1;mem:16');
  // The container's limit: 128 (the executor) + 2 × 16 MB. One task grows past it; the other sleeps.
  const hog = `exec ${process.execPath} -e "const a = []; setInterval(() => a.push(Buffer.alloc(32 << 20, 1)), 20)"`;
  await sched.accept([offer.id], [{ taskId: 'sleeper', agentId: offer.agentId, resources: per, executor: shellExecutorSpec(), data: 'exec sleep 120' }]);
  await waitFor(() => statuses.some((s) => s.taskId === 'sleeper' && s.state === 'TASK_RUNNING'), 'the sleeper to run', 60_000);
  const offer2 = await firstValueFrom(sched.offers$.pipe(filter((o) => o.agentId === offer.agentId && contains(o.resources, per)), timeout(30_000)));
  await sched.accept([offer2.id], [{ taskId: 'hog', agentId: offer.agentId, resources: per, executor: shellExecutorSpec(), data: hog }]);
  await waitFor(() => ['sleeper', 'hog'].every((id) => statuses.some((s) => s.taskId === id && isTerminal(s.state))), 'both tasks to end', 60_000);
  const sleeper = statuses.find((s) => s.taskId === 'sleeper' && isTerminal(s.state))!;
  assert.is(sleeper.state, 'TASK_FAILED');
  assert.is(sleeper.reason, 'REASON_CONTAINER_LIMITATION_MEMORY', `${sleeper.reason}: ${sleeper.message ?? ''}`);
  assert.is(sleeper.source, 'SOURCE_AGENT');
  assert.match(sleeper.message ?? '', /[Mm]emory/);
  // The hog itself: killed by the kernel; its executor may have reported that before the isolator ended the container.
  assert.is(statuses.find((s) => s.taskId === 'hog' && isTerminal(s.state))!.state, 'TASK_FAILED');
  await waitFor(() => !agent.executors().some((e) => e.frameworkId === FW), 'the executor to be gone', 30_000);
  await waitFor(() => ![...cluster.master.state().executors.values()].some((e) => e.frameworkId === FW), 'the master to release the executor', 30_000);
  await sched.teardown();
});

test('LAUNCH_GROUP to a custom executor: the executor gets the group in one LAUNCH_GROUP (each task sees its whole group) and runs it; a second group joins it', async () => {
  const agent = cluster.agents[0]!;
  const FW = randomUUID();
  const sched = await subscribe({ nats: cluster.nats.url, creds: cluster.secure!.creds('framework', FW), name: 'group', log: cluster.log });
  opened.push(sched);
  try {
    const statuses: TaskStatus[] = [];
    sched.updates$.subscribe((s) => {
      statuses.push(s);
      void sched.acknowledge(s).catch(() => undefined);
    });
    const per = parseResources('cpus:0.1;mem:16');
    const offer = await firstValueFrom(sched.offers$.pipe(filter((o) => contains(o.resources, parseResources('cpus:0.5;mem:200'))), timeout(30_000)));
    // Each task exits 0 only if it was launched as part of its group (the example executor passes the group on).
    // The first group's tasks wait for the second group's task (in the executor's sandbox, their working dir): one executor runs both.
    const groupTask = (id: string, group: string, then: string): { taskId: string; agentId: typeof offer.agentId; resources: typeof per; data: string } => ({ taskId: id, agentId: offer.agentId, resources: per, data: `test "$TASK_GROUP_TASKS" = ${group} && ${then}` });
    const waitG3 = 'until [ -e g3-ran ]; do sleep 0.1; done';
    await sched.acceptOperations([offer.id], [{ type: 'LAUNCH_GROUP', executor: shellExecutorSpec(), tasks: [groupTask('g-1', 'g-1,g-2', waitG3), groupTask('g-2', 'g-1,g-2', waitG3)] }]);
    const pid = await waitFor(() => agent.executors().find((e) => e.frameworkId === FW)?.pid, 'the executor to start', 30_000);
    const offer2 = await firstValueFrom(sched.offers$.pipe(filter((o) => o.agentId === offer.agentId && contains(o.resources, per)), timeout(30_000)));
    await sched.acceptOperations([offer2.id], [{ type: 'LAUNCH_GROUP', executor: shellExecutorSpec(), tasks: [groupTask('g-3', 'g-3', 'touch g3-ran')] }]);
    await waitFor(() => ['g-1', 'g-2', 'g-3'].every((id) => statuses.some((s) => s.taskId === id && isTerminal(s.state))), 'the groups to end', 60_000);
    for (const id of ['g-1', 'g-2', 'g-3']) {
      const end = statuses.find((s) => s.taskId === id && isTerminal(s.state))!;
      assert.is(end.state, 'TASK_FINISHED', `${id}: ${end.state} ${end.message ?? ''}`);
      assert.is(end.source, 'SOURCE_EXECUTOR');
      assert.is(end.executorId, 'shell-executor');
    }
    assert.ok(agent.executors().every((e) => e.frameworkId !== FW || e.pid === pid), 'one executor ran both groups (the first group waited for the second)');
    await waitFor(() => !agent.executors().some((e) => e.frameworkId === FW), 'the idle executor to be shut down', 30_000);
  } finally {
    await sched.teardown();
  }
});

test('v1 scheduler API: a LAUNCH_GROUP whose executor is CUSTOM runs under it', async () => {
  const base = `http://127.0.0.1:${cluster.master.port}`;
  const fw = await HttpFramework.subscribe(base, { user: 'root', name: 'http-group' });
  try {
    const offers = await fw.takeOffers({ cpus: 0.3, mem: 160 }, 'offers', 30_000);
    const agentId = (offers[0]!.agent_id as Ev).value as string;
    const cmd = shellExecutorSpec().command as { value: string; arguments: string[] };
    const executor = {
      type: 'CUSTOM',
      executor_id: { value: 'http-group-exec' },
      command: { value: cmd.value, shell: false, arguments: cmd.arguments },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 128 } }],
    };
    const task = (id: string) => ({
      name: id,
      task_id: { value: id },
      agent_id: { value: agentId },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 16 } }],
      data: Buffer.from('test "$TASK_GROUP_TASKS" = hg-1,hg-2').toString('base64'),
    });
    const r = await fw.call('ACCEPT', { accept: { offer_ids: offers.map((o) => o.id), operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [task('hg-1'), task('hg-2')] } } }] } });
    assert.is(r.status, 202, r.body);
    for (const id of ['hg-1', 'hg-2']) {
      const end = await fw.status(id, (st) => st === 'TASK_FINISHED' || st === 'TASK_FAILED' || st === 'TASK_ERROR', { timeoutMs: 60_000 });
      assert.is(end.state, 'TASK_FINISHED', JSON.stringify(end));
      assert.equal(end.executor_id, { value: 'http-group-exec' });
    }
  } finally {
    await fw.call('TEARDOWN');
    fw.close();
  }
});

test('v1 scheduler API: a task with a custom ExecutorInfo runs under it; MESSAGE reaches the executor and its answer comes back as a MESSAGE event', async () => {
  const base = `http://127.0.0.1:${cluster.master.port}`;
  const fw = await HttpFramework.subscribe(base, { user: 'root', name: 'http-executor' });
  try {
    const offers = await fw.takeOffers({ cpus: 0.3, mem: 160 }, 'offers', 30_000);
    const agentId = (offers[0]!.agent_id as Ev).value as string;
    const spec = shellExecutorSpec();
    const cmd = spec.command as { value: string; arguments: string[] };
    const executor = {
      type: 'CUSTOM',
      executor_id: { value: 'http-exec' },
      command: { value: cmd.value, shell: false, arguments: cmd.arguments },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 128 } }],
    };
    const task = {
      name: 'h1',
      task_id: { value: 'h1' },
      agent_id: { value: agentId },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 16 } }],
      executor,
      data: Buffer.from('exec sleep 60').toString('base64'),
    };
    const r = await fw.call('ACCEPT', { accept: { offer_ids: offers.map((o) => o.id), operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } });
    assert.is(r.status, 202, r.body);
    const running = await fw.status('h1', 'TASK_RUNNING', { timeoutMs: 60_000 });
    assert.equal(running.executor_id, { value: 'http-exec' });
    assert.is(running.source, 'SOURCE_EXECUTOR');
    const m = await fw.call('MESSAGE', { message: { agent_id: { value: agentId }, executor_id: { value: 'http-exec' }, data: Buffer.from('hello').toString('base64') } });
    assert.is(m.status, 202, m.body);
    const back = await fw.stream.next((e) => e.type === 'MESSAGE', 'the executor to answer', { timeoutMs: 30_000 });
    assert.equal(back.e.message.executor_id, { value: 'http-exec' });
    assert.equal(back.e.message.agent_id, { value: agentId });
    assert.is(Buffer.from(back.e.message.data as string, 'base64').toString('utf8'), 'echo hello');
    // The framework acknowledged TASK_RUNNING (automatically): the agent told the executor (ACKNOWLEDGED).
    await waitFor(
      async () => {
        const from = fw.stream.log.length;
        await fw.call('MESSAGE', { message: { agent_id: { value: agentId }, executor_id: { value: 'http-exec' }, data: Buffer.from('acks').toString('base64') } });
        const answer = await fw.stream.next((e) => e.type === 'MESSAGE' && Buffer.from(e.message.data as string, 'base64').toString('utf8').startsWith('acks '), 'the acks answer', { from, timeoutMs: 30_000 });
        return Buffer.from(answer.e.message.data as string, 'base64').toString('utf8') === 'acks 1';
      },
      'the executor to hear of the acknowledgement of its TASK_RUNNING',
      30_000,
    );
    // KILL through the API: the executor kills it.
    assert.is((await fw.call('KILL', { kill: { task_id: { value: 'h1' }, agent_id: { value: agentId } } })).status, 202);
    const killed = await fw.status('h1', (st) => st === 'TASK_KILLED', { timeoutMs: 30_000 });
    assert.is(killed.source, 'SOURCE_EXECUTOR');
  } finally {
    await fw.call('TEARDOWN');
    fw.close();
  }
});

test('an executor that speaks only protobuf: SUBSCRIBED, LAUNCH and its UPDATEs in protobuf (Mesos\'s field numbers); malformed protobuf is a 400', async () => {
  const base = `http://127.0.0.1:${cluster.master.port}`;
  const fw = await HttpFramework.subscribe(base, { user: 'root', name: 'protobuf-executor' });
  try {
    const offers = await fw.takeOffers({ cpus: 0.3, mem: 160 }, 'offers', 30_000);
    const agentId = (offers[0]!.agent_id as Ev).value as string;
    const program = new URL('../helpers/protobuf-executor.js', import.meta.url).pathname;
    const executor = {
      type: 'CUSTOM',
      executor_id: { value: 'pb-exec' },
      command: { value: process.execPath, shell: false, arguments: [process.execPath, program] },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 128 } }],
    };
    const task = { name: 'p1', task_id: { value: 'p1' }, agent_id: { value: agentId }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 16 } }], executor };
    const r = await fw.call('ACCEPT', { accept: { offer_ids: offers.map((o) => o.id), operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } });
    assert.is(r.status, 202, r.body);
    const running = await fw.status('p1', 'TASK_RUNNING', { timeoutMs: 60_000 });
    assert.is(running.source, 'SOURCE_EXECUTOR');
    assert.match(running.message as string, /^subscribed as pb-exec in container \S+; task p1 with 2 resources$/);
    const finished = await fw.status('p1', 'TASK_FINISHED', { timeoutMs: 30_000 });
    assert.is(finished.message, 'done in protobuf');
    // Bad bytes: the reason, not a crash.
    const agent = cluster.agents[0]!;
    const bad = await fetch(`http://127.0.0.1:${agent.httpPort}/api/v1/executor`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0x05, 0x0a]) });
    assert.is(bad.status, 400);
    assert.match(await bad.text(), /Failed to parse body into mesos\.v1\.executor\.Call protobuf/);
  } finally {
    await fw.call('TEARDOWN');
    fw.close();
  }
});

test.run();
