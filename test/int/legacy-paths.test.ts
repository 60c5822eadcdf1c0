/**
 * The paths of older Mesos releases that its web UI and old tools still read, on a real master and
 * a real agent: /master/state.json, /master/state-summary, /master/flags, /master/roles.json,
 * /slave(1)/state.json, /slave(1)/flags, /slave(1)/monitor/statistics, and /version with the real
 * build time; shapes compared with the recorded Mesos samples where there is one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, type Scheduler } from '../../frameworks/sdk/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { op } from '../helpers/operator.js';
import type { Ev } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

const SAMPLES = '/work/shared/reference/mesos-samples';
let cluster: TestCluster;
let fw: Scheduler;
const keys = (o: Ev): string[] => Object.keys(o).sort();
const get = async (base: string, path: string): Promise<{ status: number; json: Ev }> => {
  const r = await fetch(`${base}${path}`);
  const t = await r.text();
  return { status: r.status, json: t === '' ? {} : (JSON.parse(t) as Ev) };
};

test.before(async () => {
  cluster = await startCluster({ agents: 1, isolation: 'posix' });
  fw = await subscribe({ ...cluster.framework(), name: 'legacy', roles: ['*'], log: cluster.log });
  const offers = new OfferQueue(fw);
  const o = await offers.next();
  await fw.accept([o.id], [{ taskId: 'sleeper', agentId: cluster.agents[0]!.agentId, resources: 'cpus:0.2;mem:32', command: 'exec sleep 600' }]);
  await waitFor(() => cluster.master.state().tasks.get(`${fw.frameworkId}/sleeper` as never)?.state === 'TASK_RUNNING', 'the task to run');
});

test.after(async () => {
  await fw?.close().catch(() => undefined);
  await cluster?.stop();
});

test('/master/state.json and /state.json are /master/state; its top-level keys are a real Mesos master’s', async () => {
  const m = cluster.master.url;
  const a = (await get(m, '/master/state')).json;
  for (const p of ['/master/state.json', '/state.json']) {
    const b = await get(m, p);
    assert.is(b.status, 200, p);
    assert.equal(keys(b.json), keys(a), p);
    assert.equal(b.json.slaves, a.slaves, p);
  }
  if (existsSync(`${SAMPLES}/master-state.json`)) {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/master-state.json`, 'utf8')) as Ev;
    // Written by Mesos only when known (a git checkout, a log dir).
    const optional = new Set(['git_sha', 'git_branch', 'log_dir']);
    assert.equal(keys(a), keys(sample).filter((k) => !optional.has(k) || k in a));
    assert.equal(keys(a.slaves[0]).filter((k) => k in sample.slaves[0]), keys(sample.slaves[0]), 'every key of a Mesos agent entry');
  }
});

test('/master/state-summary: agents and frameworks with their task counts per state, as Mesos’s web UI reads them', async () => {
  const s = await get(cluster.master.url, '/master/state-summary');
  assert.is(s.status, 200);
  assert.equal(keys(s.json), ['frameworks', 'hostname', 'slaves']);
  const agentId = cluster.agents[0]!.agentId;
  const slave = (s.json.slaves as Ev[]).find((x) => x.id === agentId)!;
  for (const k of ['id', 'pid', 'hostname', 'registered_time', 'resources', 'used_resources', 'offered_resources', 'reserved_resources', 'unreserved_resources', 'attributes', 'active', 'deactivated', 'version', 'capabilities']) {
    assert.ok(k in slave, `agent summary has ${k}`);
  }
  assert.is(slave.TASK_RUNNING, 1);
  assert.is(slave.TASK_STAGING, 0);
  assert.equal(slave.framework_ids, [fw.frameworkId]);
  const f = (s.json.frameworks as Ev[]).find((x) => x.id === fw.frameworkId)!;
  assert.equal(keys(f), ['TASK_ERROR', 'TASK_FAILED', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_KILLING', 'TASK_LOST', 'TASK_RUNNING', 'TASK_STAGING', 'TASK_STARTING', 'TASK_UNREACHABLE', 'active', 'capabilities', 'connected', 'hostname', 'id', 'name', 'offered_resources', 'recovered', 'slave_ids', 'used_resources', 'webui_url'].sort());
  assert.is(f.name, 'legacy');
  assert.is(f.TASK_RUNNING, 1);
  assert.equal(f.slave_ids, [agentId]);
  assert.equal((await get(cluster.master.url, '/state-summary')).json.slaves.length, s.json.slaves.length);
});

test('/master/flags is {flags: {name: value}} as in Mesos (and /master/state’s flags); /master/roles.json is /master/roles', async () => {
  const m = cluster.master.url;
  const f = await get(m, '/master/flags');
  assert.equal(keys(f.json), ['flags']);
  assert.is(f.json.flags.allocation_interval, '0.1secs');
  assert.equal(f.json.flags, (await get(m, '/master/state')).json.flags);
  assert.equal((await get(m, '/flags')).json, f.json);
  if (existsSync(`${SAMPLES}/master-state.json`)) {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/master-state.json`, 'utf8')) as Ev;
    assert.is(typeof sample.flags.allocation_interval, 'string');
    assert.is(sample.flags.allocation_interval.endsWith('secs'), f.json.flags.allocation_interval.endsWith('secs'));
  }
  const roles = (await get(m, '/master/roles')).json;
  assert.equal((await get(m, '/master/roles.json')).json, roles);
  assert.equal((await get(m, '/roles.json')).json, roles);
  assert.ok((roles.roles as Ev[]).some((r) => r.name === '*'));
});

test('/version, GET_VERSION and the state carry the real build time (when this build was compiled)', async () => {
  const v = (await get(cluster.master.url, '/version')).json;
  const compiled = Math.floor(statSync(fileURLToPath(new URL('../../kernel/shell/http/build-info.js', import.meta.url))).mtimeMs / 1000);
  assert.is(v.build_time, compiled);
  assert.match(v.build_date, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.is(new Date(`${v.build_date.replace(' ', 'T')}Z`).getTime() / 1000, compiled);
  const g = await op(cluster.master.url, { type: 'GET_VERSION' });
  assert.is(g.json.get_version.version_info.build_time, compiled);
  assert.is((await get(cluster.master.url, '/master/state')).json.build_time, compiled);
  const agentUrl = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  assert.is((await get(agentUrl, '/version')).json.build_time, compiled);
});

test('the agent: /slave(1)/state.json, /slave(1)/flags, /slave(1)/monitor/statistics(.json) as Mesos’s agent serves them', async () => {
  const agentUrl = `http://127.0.0.1:${cluster.agents[0]!.httpPort}`;
  const st = (await get(agentUrl, '/state')).json;
  for (const p of ['/slave(1)/state', '/slave(1)/state.json']) assert.equal(keys((await get(agentUrl, p)).json), keys(st), p);
  if (existsSync(`${SAMPLES}/agent-state.json`)) {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/agent-state.json`, 'utf8')) as Ev;
    assert.equal(keys((await get(agentUrl, '/slave(1)/flags')).json), ['flags']);
    assert.equal(keys((await get(agentUrl, '/slave(1)/flags')).json.flags).filter((k) => k in sample.flags).length > 0, true, 'flags named as Mesos names them');
  }
  for (const p of ['/slave(1)/monitor/statistics', '/slave(1)/monitor/statistics.json']) {
    const stats = (await get(agentUrl, p)).json as unknown as Ev[];
    assert.ok(Array.isArray(stats), p);
    const e = stats.find((x) => x.executor_id === 'sleeper');
    assert.ok(e, `${p}: the running task's executor`);
    assert.equal(keys(e!).filter((k) => ['executor_id', 'executor_name', 'framework_id', 'source', 'statistics'].includes(k)), ['executor_id', 'executor_name', 'framework_id', 'source', 'statistics']);
    assert.is(e!.framework_id, fw.frameworkId);
    assert.is(typeof e!.statistics.timestamp, 'number');
  }
});

test.run();
