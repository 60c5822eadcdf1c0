// The pure parts of the agent's HTTP endpoint: the task history (launches and updates folded into
// Mesos's frameworks → executors → tasks, with completion), the /state JSON, statistics of a task
// group, flag durations, file modes and owner names, and where a read may stop in UTF-8 text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type EventOf, type FrameworkId, type TaskId, type TaskStatus, validate } from '../../events/index.js';
import { durationText } from '../../agent/http/flags-json.js';
import { idNames, utf8Boundary } from '../../agent/http/sandbox-files.js';
import { agentStateJson, commandExecutorName, type AgentIdentity } from '../../agent/http/state-json.js';
import { combineStats } from '../../agent/http/statistics.js';
import { createTaskHistory, HISTORY_LIMITS } from '../../agent/http/task-history.js';
import { parseResources } from '../../kernel/core/resources.js';

const A = 'agent-1' as AgentId;
const F = 'fw-1' as FrameworkId;
let seq = 0;

function launch(o: { tasks: Array<[string, string]>; executor?: string; role?: string; healthy?: boolean }): EventOf<'LaunchTasks'> {
  return validate({
    type: 'LaunchTasks',
    schemaVersion: 1,
    id: `l-${++seq}`,
    time: 1_700_000_000_000,
    epoch: 1,
    agentId: A,
    agentSeq: seq,
    frameworkId: F,
    framework: { name: 'web', user: 'root', checkpoint: true },
    ...(o.role !== undefined ? { role: o.role } : {}),
    ...(o.executor !== undefined ? { executor: { executorId: o.executor, resources: [...parseResources('cpus:0.1;mem:32')] } } : {}),
    tasks: o.tasks.map(([taskId, resources]) => ({
      taskId,
      name: taskId,
      agentId: A,
      resources: [...parseResources(resources)],
      command: { value: `run ${taskId}` },
      ...(o.healthy ? { healthCheck: { type: 'TCP', tcp: { port: 80 } } } : {}),
    })),
  }) as EventOf<'LaunchTasks'>;
}

const status = (taskId: string, state: TaskStatus['state'], extra: Partial<TaskStatus> = {}): TaskStatus => ({
  agentId: A,
  frameworkId: F,
  taskId: taskId as TaskId,
  state,
  source: 'SOURCE_EXECUTOR',
  timestamp: 1_700_000_001_000,
  containerId: `c-${taskId}`,
  ...extra,
});

const me = (o: Partial<AgentIdentity> = {}): AgentIdentity => ({
  id: A,
  hostname: 'h',
  ip: '10.0.0.3',
  port: 5051,
  version: '1.12.0',
  startTime: 1_700_000_000_000,
  resources: parseResources('cpus:4;mem:4096;disk:100;ports:[31000-31009];cpus(web):2'),
  attributes: [],
  workDir: '/w',
  isolation: 'cgroups-v1',
  flags: { port: '5051' },
  ...o,
});

test('history: a command task is its own executor; it moves to completed at its terminal update, and the framework with it', () => {
  const h = createTaskHistory();
  h.launched(launch({ tasks: [['t1', 'cpus:1;mem:128']], role: 'web' }));
  h.status(status('t1', 'TASK_STARTING'));
  h.status(status('t1', 'TASK_RUNNING', { healthy: true }));
  const [f] = h.frameworks();
  assert.is(f?.name, 'web');
  assert.is(f?.role, 'web');
  const e = f!.executors.get('t1')!;
  assert.is(e.containerId, 'c-t1');
  assert.equal(e.tasks.get('t1' as TaskId)!.statuses.map((s) => [s.state, s.healthy]), [
    ['TASK_STARTING', undefined],
    ['TASK_RUNNING', true],
  ]);
  h.status(status('t1', 'TASK_FINISHED'));
  assert.equal(h.frameworks(), []);
  const [done] = h.completedFrameworks();
  assert.equal(done!.completedExecutors.map((x) => x.completedTasks.map((t) => t.state)), [['TASK_FINISHED']]);
  // The framework comes back with a new task: live again, its past kept.
  h.launched(launch({ tasks: [['t2', 'cpus:1']] }));
  assert.is(h.completedFrameworks().length, 0);
  assert.is(h.frameworks()[0]!.completedExecutors.length, 1);
});

test('history: a task group shares its executor until the last of its tasks ends; repeated launches and unknown tasks change nothing', () => {
  const h = createTaskHistory();
  const cmd = launch({ executor: 'pod', tasks: [['a', 'cpus:1'], ['b', 'cpus:1']] });
  h.launched(cmd);
  h.launched(cmd);
  h.status(status('zzz', 'TASK_RUNNING'));
  const e = h.frameworks()[0]!.executors.get('pod')!;
  assert.is(e.tasks.size, 2);
  assert.ok(e.group !== undefined);
  h.status(status('a', 'TASK_FAILED'));
  assert.is(h.frameworks()[0]!.executors.get('pod')!.tasks.size, 1, 'b still runs');
  h.status(status('b', 'TASK_KILLED'));
  assert.equal(h.completedFrameworks()[0]!.completedExecutors[0]!.completedTasks.map((t) => t.taskId), ['a', 'b']);
});

test('history: completed lists are bounded as Mesos bounds them', () => {
  const h = createTaskHistory();
  const n = HISTORY_LIMITS.completedExecutorsPerFramework + 5;
  h.launched(launch({ tasks: [['keep', 'cpus:1']] }));
  for (let i = 0; i < n; i++) {
    h.launched(launch({ tasks: [[`t${i}`, 'cpus:0.1']] }));
    h.status(status(`t${i}`, 'TASK_FINISHED'));
  }
  const f = h.frameworks()[0]!;
  assert.is(f.completedExecutors.length, HISTORY_LIMITS.completedExecutorsPerFramework);
  assert.is(f.completedExecutors[0]!.executorId, 't5', 'the oldest are dropped');
});

test('history: a running task it never saw launched (re-attached after a restart) is adopted', () => {
  const h = createTaskHistory();
  const info = launch({ tasks: [['r', 'cpus:1']] }).tasks[0]!;
  h.adopt({ frameworkId: F, taskId: 'r' as TaskId, executorId: 'r', containerId: 'c-r', state: 'TASK_RUNNING', info });
  h.adopt({ frameworkId: F, taskId: 'r' as TaskId, executorId: 'r', containerId: 'c-r', state: 'TASK_RUNNING', info });
  const e = h.frameworks()[0]!.executors.get('r')!;
  assert.is(e.tasks.get('r' as TaskId)!.state, 'TASK_RUNNING');
  assert.is(e.containerId, 'c-r');
});

test('/state JSON: Mesos fields, allocated resources by role, the isolation and why cgroups are not used', () => {
  const h = createTaskHistory();
  h.launched(launch({ tasks: [['t1', 'cpus:1;mem:128'], ['t2', 'cpus(web):0.5']], healthy: true }));
  h.status(status('t1', 'TASK_RUNNING'));
  const s = agentStateJson(me({ isolation: 'posix', isolationFallback: 'no cgroup v1 or v2 controllers are mounted' }), h);
  assert.is(s.pid, 'slave(1)@10.0.0.3:5051');
  assert.is(s.isolation, 'posix');
  assert.is(s.isolation_fallback, 'no cgroup v1 or v2 controllers are mounted');
  assert.equal(s.unreserved_resources, { disk: 100, mem: 4096, gpus: 0, cpus: 4, ports: '[31000-31009]' });
  assert.equal(s.reserved_resources, { web: { disk: 0, mem: 0, gpus: 0, cpus: 2 } });
  assert.equal(s.unreserved_resources_allocated, { disk: 0, mem: 128, gpus: 0, cpus: 1 });
  assert.equal(s.reserved_resources_allocated, { web: { disk: 0, mem: 0, gpus: 0, cpus: 0.5 } });
  const f = (s.frameworks as Array<Record<string, unknown>>)[0]!;
  const ex = (f.executors as Array<Record<string, unknown>>).find((e) => e.id === 't1')!;
  assert.is(ex.directory, `/w/slaves/${A}/frameworks/${F}/executors/t1/runs/c-t1`);
  const task = (ex.tasks as Array<Record<string, unknown>>)[0]!;
  assert.equal(task.health_check, { delay_seconds: 15, interval_seconds: 10, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 10, type: 'TCP', tcp: { port: 80, protocol: 'IPv4' } });
  assert.not.ok('isolation_fallback' in agentStateJson(me(), h), 'only when the agent fell back');
  assert.is(commandExecutorName({ taskId: 't' as TaskId, command: { value: 'echo hi', shell: true } }), "Command Executor (Task: t) (Command: sh -c 'echo hi')");
  assert.is(commandExecutorName({ taskId: 't' as TaskId, command: { value: '/bin/echo', shell: false, arguments: ['echo', 'a', 'b'] } }), 'Command Executor (Task: t) (Command: [/bin/echo, a, b])');
});

test('statistics: a task group\'s containers are added up; a value only when every container gave it', () => {
  const s = combineStats([
    { cpusLimit: 0.5, memLimitBytes: 100, timestamp: 10, memRssBytes: 40, cpuUserSecs: 1, cpuSystemSecs: 0.5, processes: 2 },
    { cpusLimit: 0.25, memLimitBytes: 50, timestamp: 11, memRssBytes: 5, cpuUserSecs: 2, cpuSystemSecs: 0.25, processes: 1, memTotalBytes: 9 },
  ]);
  assert.equal(s, { timestamp: 11, cpus_limit: 0.75, mem_limit_bytes: 150, processes: 3, cpus_user_time_secs: 3, cpus_system_time_secs: 0.75, mem_rss_bytes: 45 });
});

test('flags: durations as Mesos writes them', () => {
  assert.equal([3000, 500, 75_000, 120_000, 7_200_000, 86_400_000, 1500, 0].map(durationText), ['3secs', '500ms', '75secs', '2mins', '2hrs', '1days', '1500ms', '0ms']);
});

test('files: owner and group names from passwd/group lines; a read never ends inside a UTF-8 character', () => {
  const names = idNames('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n# junk\n\n');
  assert.equal([...names], [
    [0, 'root'],
    [65534, 'nobody'],
  ]);
  const text = Buffer.from('ab€cd'); // € is 3 bytes: e2 82 ac
  assert.is(utf8Boundary(text, 2), 2);
  assert.is(utf8Boundary(text, 3), 2, 'cut after the first byte of €');
  assert.is(utf8Boundary(text, 4), 2, 'cut after two bytes of €');
  assert.is(utf8Boundary(text, 5), 5, '€ complete');
  assert.is(utf8Boundary(Buffer.from('€'), 1), 1, 'a read too short for one character still moves on');
  assert.is(utf8Boundary(Buffer.from('😀x'), 4), 4);
  assert.is(utf8Boundary(Buffer.from('x😀'), 3), 1);
});

test.run();
