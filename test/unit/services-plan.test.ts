/** The services framework's pure parts: validation, constraints, backoff and the rolling-upgrade plan. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateApp, type AppDefinition } from '../../frameworks/services/app.js';
import { refusedBy } from '../../frameworks/services/constraints.js';
import type { ServicesEvent } from '../../frameworks/services/events.js';
import { planApp } from '../../frameworks/services/plan.js';
import { evolve, initialState, launchDelayMs, type ServicesState } from '../../frameworks/services/state.js';

const app = (over: Record<string, unknown> = {}): AppDefinition => {
  const v = validateApp({ id: '/a', cmd: 'x', instances: 4, portDefinitions: [], ...over });
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  return v.app;
};
const fold = (events: ServicesEvent[]): ServicesState => events.reduce(evolve, initialState());
const launched = (taskId: string, cfg: string, at: number): ServicesEvent => ({ type: 'TaskLaunched', at, appId: '/a', taskId, agentId: 'ag', hostname: 'h', attributes: {}, configVersion: cfg, ports: [] });
const running = (taskId: string, healthy?: boolean): ServicesEvent => ({ type: 'TaskStatusChanged', at: 5, appId: '/a', taskId, state: 'TASK_RUNNING', ...(healthy !== undefined ? { healthy } : {}) });

test('unknown fields are kept; errors name the field', () => {
  const v = validateApp({ id: '/g/a', cmd: 'x', extra: { y: 1 } });
  assert.ok(v.ok && (v.app as Record<string, unknown>).extra !== undefined);
  const bad = validateApp({ id: '/g/a', cmd: 'x', constraints: [['hostname', 'MAX_PER', 'zero']] });
  assert.ok(!bad.ok && bad.error.details.some((d) => d.path.startsWith('/constraints')));
});

test('backoff grows by the factor and stops at maxLaunchDelaySeconds', () => {
  const a = app({ backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 5 });
  assert.equal([0, 1, 2, 3, 4].map((n) => launchDelayMs(a, n)), [0, 2000, 4000, 5000, 5000]);
});

test('UNIQUE hostname refuses a host that has a task; MAX_PER counts; UNLIKE matches a regex', () => {
  const h = (hostname: string, rack?: string): { hostname: string; attributes: Record<string, string> } => ({ hostname, attributes: rack !== undefined ? { rack } : {} });
  assert.ok(refusedBy([['hostname', 'UNIQUE']], h('a'), [h('a')], []) !== undefined);
  assert.is(refusedBy([['hostname', 'UNIQUE']], h('b'), [h('a')], []), undefined);
  assert.is(refusedBy([['rack', 'MAX_PER', '2']], h('c', 'r1'), [h('a', 'r1')], []), undefined);
  assert.ok(refusedBy([['rack', 'MAX_PER', '2']], h('c', 'r1'), [h('a', 'r1'), h('b', 'r1')], []) !== undefined);
  assert.ok(refusedBy([['rack', 'UNLIKE', 'r[0-9]']], h('c', 'r1'), [], []) !== undefined);
  assert.ok(refusedBy([['rack', 'GROUP_BY']], h('c', 'r1'), [h('a', 'r1')], [h('x', 'r2')]) !== undefined);
});

test('a rolling upgrade kills old tasks only while minimumHealthCapacity holds', () => {
  const v1 = app({ healthChecks: [{ protocol: 'COMMAND', command: { value: 'true' } }], upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } });
  const base: ServicesEvent[] = [{ type: 'AppDefined', at: 1, app: v1, version: 'v1', configVersion: 'v1', deploymentId: 'd1', kind: 'create' }];
  for (let i = 0; i < 4; i++) base.push(launched(`t${i}`, 'v1', 2 + i), running(`t${i}`, true));
  base.push({ type: 'DeploymentFinished', at: 9, appId: '/a', deploymentId: 'd1' });
  const s = fold([...base, { type: 'AppDefined', at: 10, app: { ...v1, cmd: 'y' }, version: 'v2', configVersion: 'v2', deploymentId: 'd2', kind: 'upgrade' }]);
  const p = planApp(s, '/a', 100);
  // 4 healthy, at least 2 must stay: 2 old go, and with no over-capacity nothing new starts until they have ended.
  assert.is(p.kill.length, 2);
  assert.is(p.launch, 0);
  assert.not.ok(p.done);
  const s2 = fold([...base, { type: 'AppDefined', at: 10, app: { ...v1, cmd: 'y' }, version: 'v2', configVersion: 'v2', deploymentId: 'd2', kind: 'upgrade' },
    ...p.kill.flatMap((k): ServicesEvent[] => [{ type: 'TaskKillIssued', at: 11, appId: '/a', taskId: k.taskId, why: 'x' }, { type: 'TaskStatusChanged', at: 12, appId: '/a', taskId: k.taskId, state: 'TASK_KILLED' }])]);
  const p2 = planApp(s2, '/a', 100);
  assert.is(p2.kill.length, 0, 'the 2 healthy old ones stay until new ones are healthy');
  assert.is(p2.launch, 2);
});

test('a failed task delays the next launch; scale down kills the newest first', () => {
  const a = app({ instances: 2, backoffSeconds: 10 });
  const s = fold([{ type: 'AppDefined', at: 1, app: a, version: 'v1', configVersion: 'v1', deploymentId: 'd1', kind: 'create' }, launched('old', 'v1', 2), running('old'), launched('x', 'v1', 3), { type: 'TaskStatusChanged', at: 1000, appId: '/a', taskId: 'x', state: 'TASK_FAILED' }]);
  const p = planApp(s, '/a', 2000);
  assert.is(p.launch, 0);
  assert.is(p.backoffUntil, 11_000);
  assert.is(planApp(s, '/a', 11_000).launch, 1);
  const s3 = fold([{ type: 'AppDefined', at: 1, app: { ...a, instances: 1 }, version: 'v1', configVersion: 'v1', deploymentId: 'd1', kind: 'create' }, launched('old', 'v1', 2), running('old'), launched('new', 'v1', 3), running('new')]);
  assert.equal(planApp(s3, '/a', 50).kill.map((k) => k.taskId), ['new']);
});

test.run();
