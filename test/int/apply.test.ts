/**
 * `mesos apply` / `mesos diff` against a real cluster (nats-server, master, agents) and the
 * services framework in-process: a directory of YAML files applied, changed, re-applied with the
 * diff shown, pruned; a job file with no jobs API reachable sends nothing; an API refusal part way
 * says what was and was not applied; the CLI command as a user runs it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { runApply } from '../../cli/apply/run.js';
import { JOBS_STREAM, jobsSubjects, startJobs, type JobsHandle } from '../../frameworks/jobs/index.js';
import { startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { tasksOf } from '../../frameworks/services/state.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let svc: ServicesHandle;
let jobs: JobsHandle;
let dir: string;
/** A port nothing listens on (taken and freed at the start): the jobs API of a cluster that runs none. */
let NO_JOBS = '';

const web = (instances: number, cmd = 'sleep 600') => `kind: service
name: /shop/web
command: ${cmd}
resources:
  cpus: 0.1
  mem: 16
instances: ${instances}
ports: []
env:
  TIER: web
`;
const worker = `kind: service
name: /shop/worker
command: sleep 600
resources: { cpus: 0.1, mem: 16 }
ports: []
`;

const apply = async (o: { prune?: boolean; dryRun?: boolean; path?: string; jobsUrl?: string } = {}) => {
  const lines: string[] = [];
  const r = await runApply({ path: o.path ?? dir, servicesUrl: svc.url, jobsUrl: o.jobsUrl ?? NO_JOBS, prune: o.prune ?? false, dryRun: o.dryRun ?? false, out: (l) => lines.push(l) });
  return { code: r.code, text: lines.join('\n') };
};
const running = (id: string): number => tasksOf(svc.engine.state(), id).filter((t) => t.state === 'TASK_RUNNING').length;
const cmdOf = (id: string): string | undefined => svc.engine.state().apps.get(id)?.app.cmd;

test.before(async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  NO_JOBS = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));
  cluster = await startCluster({ agents: 1 });
  svc = await startServices({ nats: cluster.nats.url, ...cluster.services(), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });
  jobs = await startJobs({ nats: cluster.nats.url, creds: cluster.creds('framework', randomUUID(), { store: { stream: JOBS_STREAM, subjects: jobsSubjects.all } }), port: 0, user: 'root', failoverTimeoutMs: 600_000, log: cluster.log, tickMs: 100 });
  dir = join(cluster.dir, 'defs');
  mkdirSync(dir);
});
test.after(async () => {
  await jobs?.close().catch(() => undefined);
  await svc?.close().catch(() => undefined);
  await cluster?.stop();
});

test('a directory applied: both services created, the diff names their fields; jobs left out with a note', async () => {
  writeFileSync(join(dir, 'web.yaml'), web(2));
  writeFileSync(join(dir, 'worker.yml'), worker);
  const d = await apply({ dryRun: true });
  assert.is(d.code, 0, d.text);
  assert.ok(d.text.includes(`note: cannot reach the jobs API at ${NO_JOBS}: `), d.text);
  assert.match(d.text, /ECONNREFUSED.*: jobs left out \(no job in the files\)/);
  assert.match(d.text, /\+ service \/shop\/web: create  \(.*web\.yaml:1\)\n    \+ cmd: "sleep 600"\n    \+ cpus: 0\.1\n    \+ env\.TIER: "web"\n    \+ instances: 2/);
  assert.match(d.text, /2 to create, 0 to update, 0 to delete, 0 unchanged/);
  assert.is(svc.engine.state().apps.size, 0, 'diff changed nothing');
  const a = await apply();
  assert.is(a.code, 0, a.text);
  assert.match(a.text, /created service \/shop\/web \(version .*, deployment .*\)/);
  assert.match(a.text, /applied 2 changes/);
  await waitFor(() => running('/shop/web') === 2 && running('/shop/worker') === 1, 'the apps to run', 60_000);
  // Applied again as it is: nothing to do.
  const again = await apply();
  assert.match(again.text, /0 to create, 0 to update, 0 to delete, 2 unchanged\nnothing to apply/);
});

test('changed and re-applied: the diff shows each changed field, the app is rolled to the new command', async () => {
  writeFileSync(join(dir, 'web.yaml'), web(3, 'sleep 601').replace('TIER: web', 'TIER: front'));
  const d = await apply({ dryRun: true });
  assert.match(d.text, /~ service \/shop\/web: update  \(.*web\.yaml:1\)\n    ~ cmd: "sleep 600" → "sleep 601"\n    ~ env\.TIER: "web" → "front"\n    ~ instances: 2 → 3\n/);
  assert.match(d.text, /0 to create, 1 to update, 0 to delete, 1 unchanged/);
  const a = await apply();
  assert.is(a.code, 0, a.text);
  assert.match(a.text, /updated service \/shop\/web/);
  await waitFor(() => {
    const s = svc.engine.state();
    const cfg = s.apps.get('/shop/web')?.configVersion;
    const ts = tasksOf(s, '/shop/web');
    return ts.length === 3 && ts.every((t) => t.state === 'TASK_RUNNING' && t.configVersion === cfg) && s.deployments.length === 0;
  }, '3 tasks of the new command', 90_000);
  assert.is(cmdOf('/shop/web'), 'sleep 601');
});

test('a file dropped from the directory: kept without --prune, removed with it; an app not made from files is never pruned', async () => {
  const manual = await fetch(`${svc.url}/v2/apps`, { method: 'POST', body: JSON.stringify({ id: '/manual', cmd: 'sleep 600', cpus: 0.1, mem: 16, portDefinitions: [] }) });
  assert.is(manual.status, 201);
  rmSync(join(dir, 'worker.yml'));
  const keep = await apply();
  assert.match(keep.text, /0 to create, 0 to update, 0 to delete, 1 unchanged/);
  assert.match(keep.text, /not from files .*service \/manual/);
  assert.ok(svc.engine.state().apps.has('/shop/worker'));
  const d = await apply({ prune: true, dryRun: true });
  assert.match(d.text, /- service \/shop\/worker: delete  \(no longer in the files: --prune\)/);
  assert.not.match(d.text, /- service \/manual/);
  const p = await apply({ prune: true });
  assert.is(p.code, 0, p.text);
  assert.match(p.text, /deleted service \/shop\/worker/);
  await waitFor(() => !svc.engine.state().apps.has('/shop/worker'), 'the pruned app to go', 60_000);
  assert.ok(svc.engine.state().apps.has('/manual'));
  assert.ok(svc.engine.state().apps.has('/shop/web'));
});

test('an invalid file anywhere in the directory: every error listed with its line, nothing sent', async () => {
  writeFileSync(join(dir, 'web.yaml'), web(5));
  writeFileSync(join(dir, 'bad.yaml'), 'kind: service\nname: /bad\ncommand: x\nresources:\n  cpus: -1\n');
  const r = await apply();
  assert.is(r.code, 1);
  assert.match(r.text, /error: an error; nothing was applied:\n.*bad\.yaml:5:9: resources\.cpus: /);
  assert.is(svc.engine.state().apps.get('/shop/web')!.app.instances, 3, 'web.yaml was not applied either');
  rmSync(join(dir, 'bad.yaml'));
});

test('a job file while no jobs API answers: refused before anything is sent', async () => {
  writeFileSync(join(dir, 'job.yaml'), 'kind: job\nname: nightly\ncommand: ./report\nschedule: "0 3 * * *"\n');
  const r = await apply();
  assert.is(r.code, 1);
  assert.ok(r.text.includes(`error: cannot reach the jobs API at ${NO_JOBS}`), r.text);
  assert.is(svc.engine.state().apps.get('/shop/web')!.app.instances, 3, 'the services change waited too');
  rmSync(join(dir, 'job.yaml'));
});

test('an API refusal part way: stops, says what was applied and what was not', async () => {
  // The framework runs with role * only: the server refuses role batch (our files cannot know that).
  writeFileSync(join(dir, 'zz-batch.yaml'), 'kind: service\nname: /zz/batch\ncommand: sleep 600\nrole: batch\nports: []\n');
  const r = await apply();
  assert.is(r.code, 1, r.text);
  assert.match(r.text, /updated service \/shop\/web/);
  assert.match(r.text, /error: create of service \/zz\/batch failed: the services API answered PUT \/v2\/apps\/zz\/batch with 422: Object is not valid\n    \/role: role 'batch'/);
  assert.match(r.text, /applied: update service \/shop\/web\nnot applied: create service \/zz\/batch/);
  rmSync(join(dir, 'zz-batch.yaml'));
});

test('the CLI: mesos diff -f prints the plan and exits 0; mesos apply -f a missing path exits 1 and says so', async () => {
  const mesos = join(process.cwd(), 'dist/cli/mesos.js');
  const run = promisify(execFile);
  writeFileSync(join(dir, 'web.yaml'), web(4));
  const d = await run(process.execPath, [mesos, 'diff', '-f', dir, '--services', svc.url, '--jobs', NO_JOBS]);
  assert.match(d.stdout, /~ service \/shop\/web: update[^\n]*\n    ~ instances: 5 → 4\n/);
  const missing = await run(process.execPath, [mesos, 'apply', '-f', join(dir, 'nope.yaml'), '--services', svc.url]).then(() => undefined, (e: { code: number; stdout: string }) => e);
  assert.ok(missing !== undefined);
  assert.is(missing!.code, 1);
  assert.match(missing!.stdout, /cannot read .*nope\.yaml: no such file or directory/);
});

const getJobs = async (): Promise<Array<Record<string, any>>> => (await (await fetch(`${jobs.url}/v1/scheduler/jobs`)).json()) as Array<Record<string, any>>;
const runsOf = async (name: string): Promise<Array<{ state: string }>> => ((await (await fetch(`${jobs.url}/v1/scheduler/job/${name}/history`)).json()) as { runs: Array<{ state: string }> }).runs;

test('jobs beside services in one directory: created parent first, they run, changed, re-applied (diff shown), pruned child first', async () => {
  writeFileSync(join(dir, 'web.yaml'), web(5));
  writeFileSync(join(dir, 'jobs.yaml'), `kind: job
name: etl
command: echo extract
schedule: R//PT2S
resources: { cpus: 0.1, mem: 16, disk: 0 }
---
kind: job
name: report
command: echo report
after: [etl]
resources: { cpus: 0.1, mem: 16 }
retries: 1
---
kind: job
name: nightly
command: echo nightly
schedule: "0 3 * * *"
scheduleTimeZone: Europe/Paris
`);
  const a = await apply({ jobsUrl: jobs.url });
  assert.is(a.code, 0, a.text);
  assert.match(a.text, /\+ job etl: create[^\n]*\n(    .*\n)*    \+ schedule: "R\/\/PT2S"/);
  assert.match(a.text, /3 to create, 0 to update, 0 to delete, 1 unchanged/);
  // Parents first: etl before report.
  assert.ok(a.text.indexOf('created job etl') < a.text.indexOf('created job report'), a.text);
  const held = await getJobs();
  assert.equal(held.map((j) => j.name).sort(), ['etl', 'nightly', 'report']);
  assert.is(held.find((j) => j.name === 'nightly')!.cron, '0 3 * * *');
  assert.equal(held.find((j) => j.name === 'report')!.parents, ['etl']);
  assert.is(held.find((j) => j.name === 'etl')!.labels['mesos-apply'], 'managed');
  // They are real jobs: etl runs every 2 s, report after it.
  await waitFor(async () => (await runsOf('report')).some((r) => /FINISHED|success/i.test(r.state)), 'report to run after etl', 60_000);
  // Re-applied as it is: unchanged (the start the jobs framework wrote into R//PT2S is no change).
  const same = await apply({ jobsUrl: jobs.url, dryRun: true });
  assert.match(same.text, /0 to create, 0 to update, 0 to delete, 4 unchanged/, same.text);
  // Changed: the diff names the fields.
  writeFileSync(join(dir, 'jobs.yaml'), `kind: job
name: etl
command: echo extract v2
schedule: R//PT2S
resources: { cpus: 0.1, mem: 16, disk: 0 }
---
kind: job
name: report
command: echo report
after: [etl]
resources: { cpus: 0.1, mem: 16 }
retries: 3
`);
  const d = await apply({ jobsUrl: jobs.url, dryRun: true });
  assert.match(d.text, /~ job etl: update[^\n]*\n    ~ command: "echo extract" → "echo extract v2"\n/);
  assert.match(d.text, /~ job report: update[^\n]*\n    ~ retries: 1 → 3\n/);
  assert.not.match(d.text, /nightly/, 'no --prune: nightly is not touched');
  const c = await apply({ jobsUrl: jobs.url });
  assert.is(c.code, 0, c.text);
  const after = await getJobs();
  assert.is(after.find((j) => j.name === 'etl')!.command, 'echo extract v2');
  assert.is(after.find((j) => j.name === 'report')!.retries, 3);
  assert.ok(after.some((j) => j.name === 'nightly'));
  // Pruned: the two jobs dropped from the files go, the child before its parent; nightly stays.
  writeFileSync(join(dir, 'jobs.yaml'), 'kind: job\nname: nightly\ncommand: echo nightly\nschedule: "0 3 * * *"\nscheduleTimeZone: Europe/Paris\n');
  const p = await apply({ jobsUrl: jobs.url, prune: true });
  assert.is(p.code, 0, p.text);
  assert.ok(p.text.indexOf('deleted job report') < p.text.indexOf('deleted job etl'), p.text);
  assert.equal((await getJobs()).map((j) => j.name), ['nightly']);
  assert.ok(svc.engine.state().apps.has('/shop/web'), 'the service in the directory stays');
});

test('a job file whose parent exists nowhere, or that makes a cycle: refused before anything is sent', async () => {
  writeFileSync(join(dir, 'bad-jobs.yaml'), 'kind: job\nname: a\ncommand: x\nafter: [b]\n---\nkind: job\nname: b\ncommand: x\nafter: [a]\n');
  const r = await apply({ jobsUrl: jobs.url });
  assert.is(r.code, 1);
  assert.match(r.text, /error: .*bad-jobs\.yaml:\d+: after: a dependency cycle: a → b → a/);
  writeFileSync(join(dir, 'bad-jobs.yaml'), 'kind: job\nname: orphan\ncommand: x\nafter: [nobody]\n');
  const o = await apply({ jobsUrl: jobs.url });
  assert.match(o.text, /bad-jobs\.yaml:1: after: parent job 'nobody' is defined neither in the files nor in the jobs framework/);
  assert.equal((await getJobs()).map((j) => j.name), ['nightly']);
  rmSync(join(dir, 'bad-jobs.yaml'));
});

test.run();
