// Input that must never reach code that trusts it: ids that cannot name a directory (Mesos's
// validateID), JSON too deep to walk or with numbers a double cannot hold, a negative
// failover_timeout. Each is refused with the reason; none throws (which the HTTP shell answers 500).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AgentId, type EventOf, type FrameworkId, type TaskId, idError, validate } from '../../events/index.js';
import { refusalToStatuses } from '../../events/refusals.js';
import { parseCall } from '../../kernel/shell/scheduler-api/wire.js';
import { parseOperatorCall } from '../../kernel/shell/operator-api/wire.js';
import { jsonLimitError, MAX_JSON_DEPTH } from '../../kernel/shell/http/json-text.js';
import { attachedSandboxes } from '../../agent/http/index.js';
import { agentStateJson, type AgentIdentity } from '../../agent/http/state-json.js';
import { createTaskHistory } from '../../agent/http/task-history.js';
import { sandboxPath } from '../../agent/sandbox.js';
import { parseResources } from '../../kernel/core/resources.js';
import { acceptedOps, agentRegistered, frameworkSubscribed, given, leaderElected, offersCreated, owed, resetIds, when } from '../helpers/events.js';

const BAD_IDS = ['', '.', '..', 'a/b', 'a\\b', 'a b', 'tab\there', 'nl\n', 'nul\u0000', 'del\u007f', 'x'.repeat(256)];
const GOOD_IDS = ['t1', 'x'.repeat(255), 'web.1', 'a..b', 'ünï-cødé_1', 'task:7@host'];

test('idError: Mesos\'s rule (not empty, ≤ 255, not . or .., no / \\ whitespace or control characters)', () => {
  for (const id of BAD_IDS) assert.type(idError(id), 'string', `${JSON.stringify(id)} is refused`);
  for (const id of GOOD_IDS) assert.is(idError(id), undefined, `${JSON.stringify(id)} is fine`);
  assert.is(idError(''), 'ID must not be empty');
  assert.is(idError('..'), "'..' is disallowed");
  assert.match(idError('x'.repeat(256))!, /greater than 255 characters/);
  assert.match(idError('a\u0001')!, /'a\\u0001' contains invalid characters/);
});

// --- the fold: a bad id is refused before any launch is owed to an agent ----------------------

test.before.each(() => resetIds());

const withOffer = () =>
  given(
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:4;mem:4096' }),
    frameworkSubscribed({ frameworkId: 'fw1' }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:4;mem:4096' }),
  );

const task = (taskId: string) => ({ taskId, name: 'n', agentId: 'a1', resources: [...parseResources('cpus:1;mem:32')], command: { value: 'true' } });

test('accept: a task id Mesos refuses → TASK_INVALID (TASK_ERROR with the reason); never in a LaunchTasks; the valid task beside it goes ahead', () => {
  for (const id of ['..', '.', 'a/b', 'a\\b', 'a b', 'c\u0007']) {
    const s = when(withOffer(), acceptedOps({ frameworkId: 'fw1', offerIds: ['o1'], operations: [{ type: 'LAUNCH', tasks: [task('ok'), task(id)] }] }));
    const refused = owed(s, 'AcceptRefused');
    assert.is(refused.length, 1, JSON.stringify(id));
    assert.is(refused[0]!.code, 'TASK_INVALID');
    assert.match(refused[0]!.message, `task id ${JSON.stringify(id)} is invalid`);
    const launched = owed(s, 'LaunchTasks').flatMap((l) => l.tasks.map((t) => t.taskId));
    assert.equal(launched, ['ok'], 'only the valid task is sent to the agent');
    const statuses = refusalToStatuses({ ...refused[0]!, time: 1, schemaVersion: 1, epoch: 1 } as EventOf<'AcceptRefused'>, false);
    assert.equal(statuses.map((x) => [x.taskId, x.state, x.reason]), [[id, 'TASK_ERROR', 'REASON_TASK_INVALID']]);
  }
  const fine = when(withOffer(), acceptedOps({ frameworkId: 'fw1', offerIds: ['o1'], operations: [{ type: 'LAUNCH', tasks: [task('a..b')] }] }));
  assert.is(owed(fine, 'LaunchTasks').length, 1);
  assert.is(owed(fine, 'AcceptRefused').length, 0);
});

test('accept: a task group whose executor id is invalid → TASK_GROUP_INVALID', () => {
  const s = when(
    withOffer(),
    acceptedOps({
      frameworkId: 'fw1',
      offerIds: ['o1'],
      operations: [{ type: 'LAUNCH_GROUP', executor: { executorId: '..', resources: [...parseResources('cpus:0.1;mem:32')] }, tasks: [task('g1')] }],
    }),
  );
  const [r] = owed(s, 'AcceptRefused');
  assert.is(r?.code, 'TASK_GROUP_INVALID');
  assert.match(r!.message, 'executor id ".." is invalid');
  assert.equal(owed(s, 'LaunchTasks'), []);
});

// --- JSON bodies ---------------------------------------------------------------------------

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

test('JSON nested 20,000 deep is refused with the reason, not thrown (scheduler and operator calls)', () => {
  for (const deep of [deepArray(20_000), deepObject(20_000)]) {
    const sched = parseCall(`{"type":"SUBSCRIBE","subscribe":{"framework_info":${deep}}}`);
    assert.ok(!sched.ok && sched.error.startsWith('Failed to parse body into JSON: JSON is nested more than 100 levels deep'), JSON.stringify(sched).slice(0, 200));
    const op = parseOperatorCall(`{"type":"GET_HEALTH","x":${deep}}`);
    assert.ok(!op.ok && /nested more than 100 levels/.test(op.error));
  }
  // Brackets inside strings are not nesting; 100 levels is fine.
  assert.is(jsonLimitError(`{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`), undefined);
  assert.is(jsonLimitError(deepArray(MAX_JSON_DEPTH)), undefined);
  assert.type(jsonLimitError(deepArray(MAX_JSON_DEPTH + 1)), 'string');
});

test('a number no double holds (1e400) is refused; large finite ones and "Infinity" strings are not', () => {
  const body = (v: string) =>
    `{"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"web","limits":{"cpus":{"value":${v}}}}]}}`;
  for (const v of ['1e400', '-1e400', '1E+999', '9'.repeat(400)]) {
    const r = parseOperatorCall(body(v));
    assert.ok(!r.ok && /out of range/.test(r.error), `${v}: ${JSON.stringify(r)}`);
  }
  for (const v of ['1e300', '"Infinity"', '12.5', '-0']) assert.ok(parseOperatorCall(body(v)).ok, v);
  assert.is(jsonLimitError('{"s":"1e400"}'), undefined, 'inside a string it is text');
});

test('a negative failover_timeout is a bad call (SUBSCRIBE and UPDATE_FRAMEWORK)', () => {
  const sub = parseCall(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', failover_timeout: -1 } } }));
  assert.ok(!sub.ok && /failover_timeout' is -1: it must not be negative/.test(sub.error), JSON.stringify(sub));
  const fid = { value: '641e44fe-1d2e-40ba-a966-a4dfc091c8a8-0001' };
  const upd = parseCall(
    JSON.stringify({ type: 'UPDATE_FRAMEWORK', framework_id: fid, update_framework: { framework_info: { id: fid, user: 'u', name: 'n', failover_timeout: -0.5 } } }),
  );
  assert.ok(!upd.ok && /must not be negative/.test(upd.error));
  assert.ok(parseCall(JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', failover_timeout: 0 } } })).ok);
});

// --- the agent: a launch with a bad id (forged, or from an old log) does not break /state or /files

const A = 'agent-1' as AgentId;
const F = 'fw-1' as FrameworkId;

test('agent: sandbox paths refuse every id Mesos refuses', () => {
  for (const id of BAD_IDS) assert.throws(() => sandboxPath('/w', A, F, id, 'c1'), /cannot be used as a directory name/, JSON.stringify(id));
  assert.is(sandboxPath('/w', A, F, 'a..b', 'c1'), '/w/slaves/agent-1/frameworks/fw-1/executors/a..b/runs/c1');
});

test('agent: /state and /files keep answering when a launch named a task ".." or "a/b"', () => {
  const h = createTaskHistory();
  const launch = validate({
    type: 'LaunchTasks',
    schemaVersion: 1,
    id: 'l-1',
    time: 1,
    epoch: 1,
    agentId: A,
    agentSeq: 1,
    frameworkId: F,
    framework: { name: 'web', user: 'root', checkpoint: true },
    tasks: ['..', 'a/b', 'good'].map((taskId) => ({ taskId, name: taskId, agentId: A, resources: [...parseResources('cpus:1')], command: { value: 'true' } })),
  }) as EventOf<'LaunchTasks'>;
  h.launched(launch);
  for (const taskId of ['..', 'a/b', 'good']) {
    h.status({ agentId: A, frameworkId: F, taskId: taskId as TaskId, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', timestamp: 2, containerId: `c-${taskId.length}` });
  }
  const me: AgentIdentity = {
    id: A,
    hostname: 'h',
    ip: '127.0.0.1',
    port: 5051,
    version: '1.12.0',
    startTime: 1,
    resources: parseResources('cpus:4'),
    attributes: [],
    workDir: '/w',
    isolation: 'posix',
    flags: {},
  };
  const state = agentStateJson(me, h) as { frameworks: { executors: { id: string; directory: string }[] }[] };
  const dirs = Object.fromEntries(state.frameworks[0]!.executors.map((e) => [e.id, e.directory]));
  assert.equal(dirs, { '..': '', 'a/b': '', good: '/w/slaves/agent-1/frameworks/fw-1/executors/good/runs/c-4' });
  const files = attachedSandboxes(me, h);
  assert.equal([...files.keys()].sort(), ['/frameworks/fw-1/executors/good/runs/latest', '/w/slaves/agent-1/frameworks/fw-1/executors/good/runs/c-4']);
});

test.run();
