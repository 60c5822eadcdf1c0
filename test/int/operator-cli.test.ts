/**
 * The operator commands of the `mesos` CLI against a real master (over the v1 operator API): what
 * they print, what they change, and their errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as R from '../../kernel/core/resources.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { op, scalar } from '../helpers/operator.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = new URL('../../cli/mesos.js', import.meta.url).pathname;
let cluster: TestCluster;
let agent: EmulatedAgent;

async function mesos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args, '--master', cluster.master.url]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test.before(async () => {
  cluster = await startCluster({ agents: 0 });
  agent = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:4096;disk:1024', { hostname: 'cli-host' });
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent');
});

test.after(async () => {
  await agent?.close();
  await cluster?.stop();
});

test('weights set / get and roles', async () => {
  const set = await mesos('weights', 'set', '--weights', 'eng=2,ops=0.5');
  assert.is(set.code, 0, set.stderr);
  assert.match(set.stdout, /weights set: eng=2, ops=0.5/);
  const get = await mesos('weights', 'get');
  assert.match(get.stdout, /eng\s+2/);
  assert.match((await mesos('roles')).stdout, /ROLE\s+WEIGHT/);
  const bad = await mesos('weights', 'set', '--weights', 'eng');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /not role=weight/);
});

test('quota set / get / remove, and a refusal printed with the master’s reason', async () => {
  const set = await mesos('quota', 'set', '--role', 'eng', '--limit', 'cpus:3;mem:2048', '--guarantee', 'cpus:1');
  assert.is(set.code, 0, set.stderr);
  const get = await mesos('quota', 'get');
  assert.match(get.stdout, /eng\s+cpus:1\s+cpus:3;mem:2048/);
  const json = await mesos('quota', 'get', '--json');
  assert.equal(JSON.parse(json.stdout).get_quota.status.configs[0].limits, { cpus: { value: 3 }, mem: { value: 2048 } });
  const refused = await mesos('quota', 'set', '--role', 'x', '--guarantee', 'cpus:1000');
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /answered 400: Invalid QuotaConfig: total quota guarantees/);
  assert.is((await mesos('quota', 'remove', '--role', 'eng')).code, 0);
  assert.match((await mesos('quota', 'get')).stdout, /no quota is set/);
});

test('reserve / unreserve', async () => {
  const r = await mesos('reserve', '--agent', agent.agentId, '--role', 'db', '--resources', 'cpus:1;mem:512', '--principal', 'ops');
  assert.is(r.code, 0, r.stderr);
  assert.equal(R.format(cluster.master.state().agents.get(agent.agentId)!.resources), 'cpus:3;cpus(db):1;disk:1024;mem:3584;mem(db):512');
  // Refining the dynamic reservation: the text form's (db) is found on the agent as DYNAMIC (by ops).
  const refine = await mesos('reserve', '--agent', agent.agentId, '--role', 'db/x', '--resources', 'cpus(db):1');
  assert.is(refine.code, 0, refine.stderr);
  const refined = cluster.master.state().agents.get(agent.agentId)!.resources.find((r) => r.name === 'cpus' && R.reservedRole(r) === 'db/x');
  assert.equal(refined?.reservations, [
    { type: 'DYNAMIC', role: 'db', principal: 'ops' },
    { type: 'DYNAMIC', role: 'db/x' },
  ]);
  // Asked through the API as a STATIC reservation, the 409 says what differs (not "cpus(db):1 is not there … there is cpus(db):1").
  const asStatic = await op(cluster.master.url, {
    type: 'RESERVE_RESOURCES',
    reserve_resources: {
      agent_id: { value: agent.agentId },
      source: [scalar('mem', 512, { reservations: [{ type: 'STATIC', role: 'db' }] })],
      resources: [scalar('mem', 512, { reservations: [{ type: 'STATIC', role: 'db' }, { type: 'DYNAMIC', role: 'db/y' }] })],
    },
  });
  assert.is(asStatic.status, 409, asStatic.text);
  assert.match(asStatic.text, /mem is asked for as STATIC for db, but the agent's mem for db is DYNAMIC for db \(principal ops\)/);
  const back = await mesos('unreserve', '--agent', agent.agentId, '--role', 'db/x', '--resources', 'cpus(db):1');
  assert.is(back.code, 0, back.stderr);
  const u = await mesos('unreserve', '--agent', agent.agentId, '--role', 'db', '--resources', 'cpus:1;mem:512', '--principal', 'ops');
  assert.is(u.code, 0, u.stderr);
  assert.equal(R.format(cluster.master.state().agents.get(agent.agentId)!.resources), 'cpus:4;disk:1024;mem:4096');
  const tooMuch = await mesos('reserve', '--agent', agent.agentId, '--role', 'db', '--resources', 'cpus:100');
  assert.is(tooMuch.code, 1);
  assert.match(tooMuch.stderr, /409: Insufficient resources on agent \S+: the agent holds cpus:4 unreserved, but not that much/);
});

test('agent deactivate / reactivate, maintenance, drain and agent-gone', async () => {
  assert.is((await mesos('agent', 'deactivate', '--agent', agent.agentId)).code, 0);
  assert.ok(cluster.master.state().agents.get(agent.agentId)!.deactivated);
  assert.is((await mesos('agent', 'reactivate', '--agent', agent.agentId)).code, 0);
  assert.not.ok(cluster.master.state().agents.get(agent.agentId)!.deactivated);
  const set = await mesos('maintenance', 'set', '--windows', 'cli-host@+1h/30m');
  assert.is(set.code, 0, set.stderr);
  assert.match((await mesos('maintenance', 'schedule')).stdout, /cli-host\s+\S+Z\s+1800s/);
  assert.match((await mesos('maintenance', 'status')).stdout, /cli-host\s+DRAINING/);
  assert.is((await mesos('maintenance', 'set', '--windows', '')).code, 0);
  const drain = await mesos('drain', '--agent', agent.agentId, '--max-grace-period', '5s');
  assert.is(drain.code, 0, drain.stderr);
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)!.drain?.state === 'DRAINED', 'the empty agent to be drained');
  assert.is((await mesos('agent-gone', '--agent', agent.agentId)).code, 0);
  assert.ok(cluster.master.state().agents.get(agent.agentId)!.gone);
  const unknown = await mesos('agent-gone', '--agent', 'nope');
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /404/);
});

test('an unreachable master is said so', async () => {
  const r = await run(process.execPath, [CLI, 'quota', 'get', '--master', 'http://127.0.0.1:1']).catch((e: { code: number; stderr: string }) => e);
  assert.is((r as { code: number }).code, 1);
  assert.match((r as { stderr: string }).stderr, /cannot reach the master/);
});

test.run();
