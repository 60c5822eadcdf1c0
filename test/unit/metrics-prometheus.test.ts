/**
 * The master's Mesos metrics beyond the basics (per-framework, operations, messages, timers) folded
 * from events, and the Prometheus text written from them, read back with a real parser of the
 * exposition format (parse-prometheus-text-format).
 */
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterEvent } from '../../events/index.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import { moreMasterMetrics, timerKeys } from '../../kernel/shell/http/metrics-mesos.js';
import { createMetricsTally } from '../../kernel/shell/http/metrics-tally.js';
import { isCounter, promName, toPrometheus } from '../../kernel/shell/http/prometheus.js';
import { accepted, acceptedOps, agentRegistered, leaderElected, declined, frameworkSubscribed, killRequested, offersCreated, resetIds, status, suppressed } from '../helpers/events.js';

interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

function run(events: ClusterEvent[]) {
  const tally = createMetricsTally();
  let state = initialState();
  for (const e of events) {
    state = evolve(state, e);
    tally.onEvent(e);
  }
  return { state, tally };
}

function scenario(): ClusterEvent[] {
  resetIds();
  return [
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:8;mem:8192' }),
    frameworkSubscribed({ frameworkId: 'fw1', name: 'my fw', roles: ['web', 'ops/batch'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:1024', role: 'web' }),
    declined({ frameworkId: 'fw1', offerIds: ['o1'] }),
    offersCreated({ frameworkId: 'fw1', offers: [{ offerId: 'o2', agentId: 'a1', resources: 'cpus:4;mem:2048', role: 'web' }, { offerId: 'o3', agentId: 'a1', resources: 'cpus:1;mem:512', role: 'ops/batch' }] }),
    accepted({ frameworkId: 'fw1', offerIds: ['o2'], tasks: [{ taskId: 't1', agentId: 'a1', resources: 'cpus:1;mem:128' }, { taskId: 't2', agentId: 'a1', resources: 'cpus:1;mem:128' }] }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't1', state: 'RUNNING', uuid: 'u1' }),
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't2', state: 'FINISHED', uuid: 'u2' }),
    // The same terminal update again (a retry): counted once.
    status({ frameworkId: 'fw1', agentId: 'a1', taskId: 't2', state: 'FINISHED', uuid: 'u2' }),
    killRequested({ frameworkId: 'fw1', taskId: 't1' }),
    suppressed({ frameworkId: 'fw1', roles: ['ops/batch'] }),
  ];
}

test('per-framework keys are counted from the log, under the url-encoded name and the id', () => {
  const { state, tally } = run(scenario());
  const m = moreMasterMetrics(state, tally, []);
  const p = 'master/frameworks/my%20fw/fw1';
  assert.is(m[`${p}/subscribed`], 1);
  assert.is(m[`${p}/calls/subscribe`], 1);
  assert.is(m[`${p}/calls/decline`], 1);
  assert.is(m[`${p}/calls/accept`], 1);
  assert.is(m[`${p}/calls/kill`], 1);
  assert.is(m[`${p}/calls/suppress`], 1);
  assert.is(m[`${p}/calls`], 5);
  assert.is(m[`${p}/offers/sent`], 3);
  assert.is(m[`${p}/offers/declined`], 1);
  assert.is(m[`${p}/offers/accepted`], 1);
  assert.is(m[`${p}/events/offers`], 2);
  assert.is(m[`${p}/events/update`], 3);
  assert.is(m[`${p}/operations/launch`], 1);
  assert.is(m[`${p}/tasks/active/task_running`], 1);
  assert.is(m[`${p}/tasks/terminal/task_finished`], 1, 'a re-sent terminal update counts once');
  assert.is(m[`${p}/roles/web/suppressed`], 0);
  assert.is(m[`${p}/roles/ops/batch/suppressed`], 1);
  assert.is(m['master/messages_kill_task'], 1);
  assert.is(m['allocator/mesos/resources/cpus/offered_or_allocated'], 2, 'one task running (1 cpu) + the outstanding offer o3 (1 cpu)');
});

test('offer operations are counted by type, and each is finished at once', () => {
  resetIds();
  const { state, tally } = run([
    leaderElected(1),
    agentRegistered({ agentId: 'a1', resources: 'cpus:8;mem:8192' }),
    frameworkSubscribed({ frameworkId: 'fw1', roles: ['web'] }),
    offersCreated({ frameworkId: 'fw1', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:1024', role: 'web' }),
    acceptedOps({ frameworkId: 'fw1', offerIds: ['o1'], operations: [{ type: 'RESERVE', resources: [{ name: 'cpus', type: 'SCALAR', scalar: 1, reservations: [{ type: 'DYNAMIC', role: 'web' }] }] } as never] }),
  ]);
  const m = moreMasterMetrics(state, tally, []);
  assert.is(m['master/operations/reserve/total'], 1);
  assert.is(m['master/operations/reserve/finished'], 1);
  assert.is(m['master/operations/reserve/pending'], 0);
  assert.is(m['master/operations/total'], 1);
  assert.is(m['master/operations/unreserve/total'], 0);
});

test('timers have /count, /min, /max and the percentiles Mesos writes', () => {
  const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i);
  const t = timerKeys('allocator/mesos/allocation_run_ms', samples);
  assert.is(t['allocator/mesos/allocation_run_ms/count'], 1000);
  assert.is(t['allocator/mesos/allocation_run_ms'], 1, 'the last value');
  assert.is(t['allocator/mesos/allocation_run_ms/min'], 1);
  assert.is(t['allocator/mesos/allocation_run_ms/max'], 1000);
  assert.is(t['allocator/mesos/allocation_run_ms/p50'], 501);
  assert.is(t['allocator/mesos/allocation_run_ms/p99'], 991);
  assert.is(t['allocator/mesos/allocation_run_ms/p999'], 1000);
  assert.equal(timerKeys('x', []), { 'x/count': 0 });
});

test('the Prometheus text parses with a real exposition-format parser; every family has HELP and TYPE; labels carry framework and role', () => {
  const { state, tally } = run(scenario());
  const m = {
    'master/tasks_running': 1,
    'master/tasks_finished': 4,
    'allocator/mesos/roles/ops/batch/shares/dominant': 0.25,
    'allocator/mesos/quota/roles/web/resources/cpus/guarantee': 2,
    ...moreMasterMetrics(state, tally, [3, 1, 2]),
  };
  const text = toPrometheus(m);
  const families = parse(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.ok(families.length > 10);
  for (const f of families) {
    assert.ok(f.help.length > 0, `${f.name} has # HELP`);
    assert.ok(['counter', 'gauge'].includes(f.type.toLowerCase()), `${f.name} has # TYPE`);
    assert.ok(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(f.name), f.name);
  }
  // Every sample in the text belongs to a family announced by # TYPE.
  const typed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
  const helped = new Set([...text.matchAll(/^# HELP (\S+) /gm)].map((x) => x[1]));
  assert.equal([...typed].sort(), [...helped].sort());
  assert.is(typed.size, families.length);

  assert.is(byName.get('mesos_master_tasks_running')!.type, 'GAUGE');
  assert.is(byName.get('mesos_master_tasks_running')!.metrics[0]!.value, '1');
  assert.is(byName.get('mesos_master_tasks_finished_total')!.type, 'COUNTER');
  const accepts = byName.get('mesos_master_frameworks_calls_accept_total')!;
  assert.equal(accepts.metrics[0]!.labels, { framework_name: 'my fw', framework_id: 'fw1' });
  assert.is(accepts.metrics[0]!.value, '1');
  const supp = byName.get('mesos_master_frameworks_roles_suppressed')!;
  assert.equal(
    supp.metrics.map((x) => [x.labels!['role'], x.value]).sort(),
    [['ops/batch', '1'], ['web', '0']],
  );
  assert.equal(byName.get('mesos_allocator_mesos_roles_shares_dominant')!.metrics[0]!.labels, { role: 'ops/batch' });
  assert.equal(byName.get('mesos_allocator_mesos_quota_roles_resources_guarantee')!.metrics[0]!.labels, { role: 'web', resource: 'cpus' });
  const timer = byName.get('mesos_allocator_mesos_allocation_run_ms')!;
  assert.equal(timer.metrics.map((x) => x.labels!['quantile']), ['0.5', '0.9', '0.95', '0.99', '0.999', '0.9999']);
  assert.is(byName.get('mesos_allocator_mesos_allocation_run_ms_count')!.metrics[0]!.value, '3');
});

test('label values are escaped so that the parser reads them back exactly', () => {
  const name = 'we"ird\\name\nx';
  const text = toPrometheus({ [`master/frameworks/${encodeURIComponent(name)}/fw9/calls/accept`]: 2 });
  const f = parse(text).find((x) => x.name === 'mesos_master_frameworks_calls_accept_total')!;
  assert.is(f.metrics[0]!.labels!['framework_name'], name);
});

test('names: Mesos key → mesos_… ; counters are told from gauges', () => {
  assert.is(promName('master/tasks_running'), 'mesos_master_tasks_running');
  assert.is(promName('slave/cpus_percent'), 'mesos_slave_cpus_percent');
  assert.ok(isCounter('master/tasks_failed'));
  assert.ok(!isCounter('master/tasks_running'));
  assert.ok(isCounter('slave/tasks_finished'));
  assert.ok(!isCounter('slave/tasks_staging'));
});

test.run();
