/**
 * Chaos for the services framework, with masters and agents as real processes (kill -9):
 * - an app of 5 instances with an HTTP health check keeps 5 healthy through task kills and an
 *   agent SIGKILL (its tasks are replaced on the other agent; when the agent comes back, the
 *   tasks it kept running are killed: never more than 5 counted, never two of one instance);
 * - a master failover together with a restart of the services framework: the same framework
 *   id, the same apps, versions and tasks afterwards (nothing lost, nothing relaunched), and it
 *   goes on working (a scale after both).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SERVICES_STREAM, servicesSubjects, startServices, type ServicesHandle } from '../../frameworks/services/index.js';
import { isHealthy, tasksOf } from '../../frameworks/services/state.js';
import { killProcessesUnder } from '../helpers/agent-process.js';
import { testLog } from '../helpers/cluster.js';
import { type SecureTestNats, withSecureNats } from '../helpers/nats.js';
import { type ChildProcessHandle, findLeader, type MasterProcess, spawnAgent, spawnMaster } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const log = testLog();
const dir = mkdtempSync(join(tmpdir(), 'mesos-chaos-svc-'));
const MASTER_ARGS = ['--leader-lease', '1s', '--allocation-interval', '100ms', '--agent-ping-timeout', '300ms', '--max-agent-ping-timeouts', '3'];
let nats: SecureTestNats;
let masters: MasterProcess[] = [];
const agentArgs: string[][] = [];
const agents: Array<ChildProcessHandle & { agentId: string }> = [];
const children: ChildProcessHandle[] = [];
let svc: ServicesHandle;
let svcCreds: string;

const server = (tag: string): string =>
  `${process.execPath} -e "require('http').createServer((q,s)=>s.end(JSON.stringify({pid:process.pid,tag:'${tag}'}))).listen(Number(process.env.PORT0),'127.0.0.1')"`;
const app = (instances: number) => ({
  id: '/web', cmd: server('v1'), cpus: 0.1, mem: 48, instances, backoffSeconds: 0.2,
  healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, delaySeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 10, maxConsecutiveFailures: 2 }],
});
const startSvc = (): Promise<ServicesHandle> => startServices({ nats: nats.url, creds: svcCreds, port: 0, user: 'root', failoverTimeoutMs: 600_000, log, tickMs: 100 });
const tasks = () => tasksOf(svc.engine.state(), '/web');
const healthy = (): number => {
  const a = svc.engine.state().apps.get('/web');
  return a === undefined ? 0 : tasks().filter((t) => isHealthy(a.app, t)).length;
};

test.before(async () => {
  nats = await withSecureNats();
  masters = await Promise.all([0, 1].map((i) => spawnMaster(nats.url, [...MASTER_ARGS, '--creds', nats.creds('master', `m${i}`)])));
  await waitFor(() => findLeader(masters), 'a leader', 20_000);
  const cgroupsRoot = `mesos-chaos-svc-${randomUUID().slice(0, 8)}`;
  // Disjoint port ranges: both agents are on this one host.
  for (const [i, ports] of ['[31000-31049]', '[31050-31099]'].entries()) {
    agentArgs.push(['--creds', nats.creds('agent', `agent-${randomUUID()}`), '--work-dir', join(dir, `agent-${i}`), '--resources', `cpus:2;mem:1024;disk:256;ports:${ports}`, '--cgroups-root', cgroupsRoot, '--kill-grace-period', '500ms']);
    const a = await spawnAgent(nats.url, agentArgs[i]!);
    agents.push(a);
    children.push(a);
  }
  svcCreds = nats.creds('framework', randomUUID(), { store: { stream: SERVICES_STREAM, subjects: servicesSubjects.all } });
  svc = await startSvc();
});

test.after(async () => {
  await svc?.close().catch(() => undefined);
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGTERM');
      await Promise.race([c.exited, new Promise((r) => setTimeout(r, 10_000))]);
      c.proc.kill('SIGKILL');
    }
  }
  for (const m of masters) m.proc.kill('SIGKILL');
  await killProcessesUnder(dir);
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('5 healthy through task kills and an agent SIGKILL; the agent back: its leftover tasks are killed, 5 remain', async () => {
  const put = await fetch(`${svc.url}/v2/apps/web`, { method: 'PUT', body: JSON.stringify(app(5)) });
  assert.is(put.status, 201);
  await waitFor(() => healthy() === 5, '5 healthy', 60_000);
  // Task kills.
  for (let round = 0; round < 2; round++) {
    const t = tasks()[round]!;
    const body = (await (await fetch(`http://127.0.0.1:${t.ports[0]}/`)).json()) as { pid: number };
    process.kill(body.pid, 'SIGKILL');
    await waitFor(() => !svc.engine.state().tasks.has(t.taskId), 'the killed task to end', 30_000);
    await waitFor(() => healthy() === 5 && tasks().length === 5, '5 healthy again', 60_000);
  }
  // An agent SIGKILL: make sure the victim holds tasks.
  const victim = agents.find((a) => tasks().some((t) => t.agentId === a.agentId))!;
  const onVictim = new Set(tasks().filter((t) => t.agentId === victim.agentId).map((t) => t.taskId));
  assert.ok(onVictim.size > 0);
  victim.proc.kill('SIGKILL');
  await victim.exited;
  await waitFor(() => tasks().every((t) => !onVictim.has(t.taskId)), 'the tasks of the killed agent to be given up', 60_000);
  await waitFor(() => healthy() === 5 && tasks().length === 5 && tasks().every((t) => t.agentId !== victim.agentId), '5 healthy on the other agent', 90_000);
  // The agent comes back on its work dir with the tasks it left running: they are not counted and are killed.
  const i = agents.indexOf(victim);
  const again = await spawnAgent(nats.url, agentArgs[i]!);
  agents[i] = again;
  children.push(again);
  assert.is(again.agentId, victim.agentId);
  const leader = (await findLeader(masters))!;
  let seen = '';
  await waitFor(async () => {
    const st = (await (await fetch(`${leader.url}/state`)).json()) as { frameworks: Array<{ id: string; tasks: Array<{ id: string; state: string }> }> };
    const fw = st.frameworks.find((f) => f.id === svc.engine.frameworkId);
    seen = JSON.stringify(fw?.tasks.map((t) => [t.id.slice(-6), t.state, onVictim.has(t.id)]));
    return fw !== undefined && fw.tasks.filter((t) => t.state === 'TASK_RUNNING').length === 5 && fw.tasks.every((t) => !onVictim.has(t.id));
  }, 'the cluster to run exactly the 5 counted tasks', 60_000).catch((err: Error) => {
    throw new Error(`${err.message}: the leader's tasks of the framework ${seen}; the agent's output ${again.output().slice(-2000)}`);
  });
  assert.is(healthy(), 5);
});

test('a master failover and a services restart at once: same framework, apps, versions and tasks; it goes on working', async () => {
  const before = svc.engine.state();
  const snapshot = {
    frameworkId: svc.engine.frameworkId,
    apps: [...before.apps.values()].map((a) => [a.app.id, a.version, a.configVersion, a.app.instances]),
    tasks: [...before.tasks.keys()].sort(),
  };
  const historyBefore = (await svc.engine.history('/web')).length;
  const leader = (await findLeader(masters))!;
  leader.proc.kill('SIGKILL');
  await svc.close();
  await leader.exited;
  const standby = masters.find((m) => m !== leader)!;
  await waitFor(() => standby.elected(), 'the standby to lead', 30_000);
  svc = await startSvc();
  const after = svc.engine.state();
  assert.equal(
    { frameworkId: svc.engine.frameworkId, apps: [...after.apps.values()].map((a) => [a.app.id, a.version, a.configVersion, a.app.instances]), tasks: [...after.tasks.keys()].sort() },
    snapshot,
    'the state folded from its log is the one before',
  );
  assert.ok((await svc.engine.history('/web')).length >= historyBefore, 'its history is all there');
  // Reconciled with the new leader: the same tasks, still running and healthy, none relaunched.
  await waitFor(() => healthy() === 5, '5 healthy after the failover', 60_000);
  assert.equal([...svc.engine.state().tasks.keys()].sort(), snapshot.tasks);
  // And it works: a scale to 6 launches one through the new leader.
  assert.is((await fetch(`${svc.url}/v2/apps/web`, { method: 'PUT', body: JSON.stringify({ instances: 6 }) })).status, 200);
  await waitFor(() => healthy() === 6, '6 healthy', 60_000);
  assert.ok(snapshot.tasks.every((id) => svc.engine.state().tasks.has(id)), 'the old tasks stayed');
});

test.run();
