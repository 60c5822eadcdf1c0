/**
 * The jobs framework against a real cluster (nats-server, master, a real agent) through
 * Chronos's REST API: invalid jobs get Chronos's 400 with the field, cycles and unknown parents
 * are refused, a job every second runs with its child after it, a run-now runs, a job that can
 * never fit is accepted and shown waiting with the reason, a run killed through the API is not
 * retried, and the CLI drives the API.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JOBS_STREAM, jobsSubjects, startJobs, type JobsHandle } from '../../frameworks/jobs/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let jobs: JobsHandle;

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> => {
  const r = await fetch(`${jobs.url}${path}`, { method, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) });
  const text = await r.text();
  let json: unknown = text;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: r.status, json, text };
};
const job = async (name: string): Promise<any> => (await api('GET', `/v1/scheduler/job/${name}`)).json;
const history = async (name: string): Promise<any[]> => (await api('GET', `/v1/scheduler/job/${name}/history`)).json.runs;

test.before(async () => {
  cluster = await startCluster({ agents: 1 });
  const creds = cluster.secure !== undefined ? { creds: cluster.creds('framework', randomUUID(), { store: { stream: JOBS_STREAM, subjects: jobsSubjects.all } }) } : {};
  jobs = await startJobs({ nats: cluster.nats.url, ...creds, port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });
});
test.after(async () => {
  await jobs?.close().catch(() => undefined);
  await cluster?.stop();
});

test('an invalid job is 400 in Chronos error shape with each field; unreadable JSON is 400; nothing is stored', async () => {
  const r = await api('POST', '/v1/scheduler/iso8601', { name: 'bad name!', schedule: 'R/2026-13-01T00:00:00Z/PT1S', cpus: -1 });
  assert.is(r.status, 400);
  assert.is(r.json.status, 'Bad Request');
  const fields = (r.json.errors as Array<{ field: string }>).map((e) => e.field);
  assert.ok(fields.includes('name') && fields.includes('cpus') && fields.includes('command'), JSON.stringify(r.json));
  assert.match(r.json.message, /name: /);
  const s = await api('POST', '/v1/scheduler/iso8601', { name: 'badsched', command: 'true', schedule: 'R/2026-13-01T00:00:00Z/PT1S' });
  assert.is(s.status, 400);
  assert.equal(s.json.errors.map((e: { field: string }) => e.field), ['schedule']);
  const tz = await api('POST', '/v1/scheduler/iso8601', { name: 'badtz', command: 'true', schedule: 'R/2026-01-01T00:00:00Z/PT1S', scheduleTimeZone: 'Mars/Olympus' });
  assert.equal(tz.json.errors.map((e: { field: string }) => e.field), ['scheduleTimeZone']);
  assert.is((await api('POST', '/v1/scheduler/iso8601', '{"name": ')).status, 400);
  assert.equal((await api('GET', '/v1/scheduler/jobs')).json, []);
});

test('a job every second runs; its child runs after each success; unknown fields come back; history from the log', async () => {
  const start = new Date(Date.now() + 1500).toISOString();
  const p = await api('POST', '/v1/scheduler/iso8601', { name: 'tick', command: 'echo tick', schedule: `R/${start}/PT1S`, cpus: 0.1, mem: 16, disk: 0, epsilon: 'PT30S', owner: 'ops@example.org', myOwnField: { keep: [1, 2] } });
  assert.is(p.status, 204, p.text);
  const unknown = await api('POST', '/v1/scheduler/dependency', { name: 'tock', command: 'echo tock', parents: ['nope'] });
  assert.is(unknown.status, 400);
  assert.match(unknown.json.message, /unknown parent job 'nope'/);
  const c = await api('POST', '/v1/scheduler/dependency', { name: 'tock', command: 'echo tock', parents: ['tick'], cpus: 0.1, mem: 16 });
  assert.is(c.status, 204, c.text);
  const t = await job('tick');
  assert.equal(t.myOwnField, { keep: [1, 2] });
  assert.is(t.owner, 'ops@example.org');
  assert.is(t.schedule, `R/${start}/PT1S`);
  assert.is(t.epsilon, 'PT30S');
  assert.equal((await job('tock')).parents, ['tick']);
  await waitFor(async () => (await job('tock')).successCount >= 3, 'three runs of the child', 30_000);
  const runs = await history('tick');
  const done = runs.filter((r) => r.state === 'success');
  assert.ok(done.length >= 3, JSON.stringify(runs));
  // One run per instant, the instants a second apart from the start.
  const instants = done.map((r) => Date.parse(r.instant));
  assert.is(new Set(instants).size, instants.length);
  for (const i of instants) assert.is((i - Date.parse(start)) % 1000, 0);
  const first = done[0];
  assert.ok(first.taskId.startsWith('ct:') && first.agent !== null && first.start !== null && first.end !== null, JSON.stringify(first));
  assert.match(first.sandbox, /^\/ui\/tasks\//);
  const child = (await history('tock')).filter((r) => r.state === 'success');
  assert.ok(child.every((r) => r.trigger === 'dependency' && r.parentRuns.length === 1));
  assert.is(new Set(child.map((r) => r.parentRuns[0])).size, child.length, 'one child run per parent run');
  const dot = await api('GET', '/v1/scheduler/graph/dot');
  assert.match(dot.text, /digraph G \{/);
  assert.match(dot.text, /"tick" -> "tock";/);
});

test('a cycle is refused; a parent with children cannot be deleted; nothing half-applied', async () => {
  const cyc = await api('POST', '/v1/scheduler/dependency', { name: 'tick', command: 'echo', parents: ['tock'] });
  assert.is(cyc.status, 400);
  assert.match(cyc.json.message, /cycle/);
  assert.ok((await job('tick')).schedule !== undefined, 'tick is still the scheduled job');
  const del = await api('DELETE', '/v1/scheduler/job/tick');
  assert.is(del.status, 400);
  assert.match(del.json.message, /parent of 'tock'/);
  assert.is((await api('DELETE', '/v1/scheduler/job/tock')).status, 204);
  assert.is((await api('DELETE', '/v1/scheduler/job/tick')).status, 204);
  assert.is((await api('DELETE', '/v1/scheduler/job/tick')).status, 404);
  assert.equal((await api('GET', '/v1/scheduler/jobs')).json, []);
});

test('a job that can never fit is accepted and shown waiting with the reason; its instants are skipped after epsilon', async () => {
  const r = await api('POST', '/v1/scheduler/iso8601', { name: 'huge', command: 'true', schedule: `R/${new Date(Date.now() - 500).toISOString()}/PT1S`, cpus: 64, epsilon: 'PT2S' });
  assert.is(r.status, 204);
  await waitFor(async () => /insufficient cpus/.test((await job('huge')).waiting?.reason ?? ''), 'the reason it waits', 15_000);
  await waitFor(async () => (await history('huge')).some((x) => x.state === 'skipped' && /epsilon/.test(x.reason) && /insufficient cpus/.test(x.reason)), 'a skipped instant with the reason', 15_000);
  assert.is((await api('DELETE', '/v1/scheduler/job/huge')).status, 204);
});

test('a run killed through the API ends KILLED and is not retried', async () => {
  assert.is((await api('POST', '/v1/scheduler/iso8601', { name: 'sleeper', command: 'sleep 60', schedule: 'R0/2026-01-01T00:00:00Z/P1D', mem: 16, retries: 3 })).status, 204);
  assert.is((await api('PUT', '/v1/scheduler/job/sleeper')).status, 204);
  await waitFor(async () => (await history('sleeper')).some((r) => r.state === 'running' && r.attempts[0].state === 'TASK_RUNNING'), 'the run to be running', 20_000);
  assert.is((await api('DELETE', '/v1/scheduler/task/kill/sleeper')).status, 204);
  await waitFor(async () => (await history('sleeper'))[0]?.state === 'killed', 'the run killed', 20_000);
  const [run] = await history('sleeper');
  assert.is(run.attempts.length, 1, 'no retry');
  assert.is(run.attempts[0].state, 'TASK_KILLED');
  assert.is((await job('sleeper')).errorCount, 1);
  assert.is((await api('DELETE', '/v1/scheduler/job/sleeper')).status, 204);
});

test('mesos jobs list, run, show, history, delete drive the REST API', async () => {
  const run = (...args: string[]) => promisify(execFile)(process.execPath, ['dist/cli/mesos.js', 'jobs', ...args, '--url', jobs.url]);
  // A job that runs only when asked: R0 names no instant.
  assert.is((await api('POST', '/v1/scheduler/iso8601', { name: 'manual', command: 'echo by hand', schedule: 'R0/2026-01-01T00:00:00Z/P1D', mem: 16 })).status, 204);
  assert.match((await run('list')).stdout, /manual\s+idle/);
  assert.match((await run('run', 'manual')).stdout, /requested/);
  await waitFor(async () => (await job('manual')).successCount === 1, 'the manual run', 20_000);
  assert.match((await run('show', 'manual')).stdout, /"successCount": 1/);
  assert.match((await run('history', 'manual')).stdout, /success\s+manual/);
  await run('delete', 'manual');
  assert.is((await api('GET', '/v1/scheduler/job/manual')).status, 404);
  const err = await run('show', 'manual').catch((e: { stderr: string }) => e);
  assert.match((err as { stderr: string }).stderr, /404: Job 'manual' not found/);
});

test.run();
