/**
 * UPDATE_FRAMEWORK and RECONCILE_OPERATIONS on the v1 scheduler API, against a real master and an
 * emulated agent: a framework changes its name and roles (the log and GET_FRAMEWORKS show it, its
 * held offers are rescinded, new offers come for the new role); the fields Mesos forbids changing
 * are refused with its reasons; operation reconciliation answers as Mesos's master does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type EmulatedAgent, startEmulatedAgent } from '../helpers/emulated-agent.js';
import { op } from '../helpers/operator.js';
import { HttpFramework } from '../helpers/scheduler-http.js';
import { waitFor } from '../helpers/wait.js';

let cluster: TestCluster;
let agent: EmulatedAgent;
let fw: HttpFramework;
const info = (extra: Record<string, unknown> = {}) => ({ user: 'root', name: 'before', roles: ['a'], capabilities: [{ type: 'MULTI_ROLE' }], ...extra });

test.before(async () => {
  cluster = await startCluster({ agents: 0, master: { allocationIntervalMs: 100 } });
  agent = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:4;mem:4096;disk:1024', { hostname: 'u1' });
  await waitFor(() => cluster.master.state().agents.get(agent.agentId)?.status === 'ACTIVE', 'the agent');
  fw = await HttpFramework.subscribe(cluster.master.url, info());
});

test.after(async () => {
  fw?.stream.close();
  await agent?.close();
  await cluster?.stop();
});

test('UPDATE_FRAMEWORK: a new name and roles take effect; held offers are rescinded; offers then come for the new role', async () => {
  const held = await fw.takeOffers({ cpus: 1 }, 'an offer for role a');
  assert.ok(held.every((o) => o.allocation_info?.role === 'a'));
  const from = fw.log.length;
  const r = await fw.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: info({ id: { value: fw.frameworkId }, name: 'after', roles: ['b'] }) } });
  assert.is(r.status, 200, r.body);
  for (const o of held) await fw.next((e) => e.type === 'RESCIND' && e.rescind.offer_id.value === o.id.value, `RESCIND of ${o.id.value}`, { from });
  const f = cluster.master.state().frameworks.get(fw.frameworkId as never)!;
  assert.is(f.info.name, 'after');
  assert.equal(f.info.roles, ['b']);
  const g = await op(cluster.master.url, { type: 'GET_FRAMEWORKS' });
  const mine = g.json.get_frameworks.frameworks.find((x: { framework_info: { id: { value: string } } }) => x.framework_info.id.value === fw.frameworkId);
  assert.is(mine.framework_info.name, 'after');
  await fw.next((e) => e.type === 'OFFERS' && e.offers.offers.some((o: { allocation_info?: { role: string } }) => o.allocation_info?.role === 'b'), 'an offer for role b', { from });
});

test('UPDATE_FRAMEWORK refuses what Mesos refuses: another id, user, principal or checkpoint, an invalid info', async () => {
  const id = { id: { value: fw.frameworkId } };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [info({ id: { value: 'someone-else' }, roles: ['b'] }), /differs from 'update_framework.framework_info.id'/],
    [info({ ...id, user: 'other', roles: ['b'] }), /Updating 'FrameworkInfo.user' is unsupported/],
    [info({ ...id, principal: 'p', roles: ['b'] }), /Changing framework's principal is not allowed/],
    [info({ ...id, checkpoint: true, roles: ['b'] }), /Updating 'FrameworkInfo.checkpoint' is unsupported/],
    [info({ ...id, roles: ['b', 'b/../x'] }), /Supplied FrameworkInfo is not valid/],
  ];
  for (const [fi, why] of cases) {
    const r = await fw.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: fi } });
    assert.is(r.status, 400, `${JSON.stringify(fi)}: ${r.body}`);
    assert.match(r.body, why);
  }
  assert.is(cluster.master.state().frameworks.get(fw.frameworkId as never)!.info.name, 'after', 'nothing changed');
});

test('RECONCILE_OPERATIONS: OPERATION_UNKNOWN on a registered or unknown agent, OPERATION_GONE_BY_OPERATOR on a gone one; none for an implicit call', async () => {
  const gone = await startEmulatedAgent(cluster.nats, cluster.log, 'cpus:1;mem:512;disk:64', { hostname: 'u2' });
  await waitFor(() => cluster.master.state().agents.get(gone.agentId)?.status === 'ACTIVE', 'the second agent');
  assert.is((await op(cluster.master.url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: gone.agentId } } })).status, 200);
  await gone.close();
  const from = fw.log.length;
  const r = await fw.call('RECONCILE_OPERATIONS', {
    reconcile_operations: {
      operations: [
        { operation_id: { value: 'op1' }, agent_id: { value: agent.agentId } },
        { operation_id: { value: 'op2' } },
        { operation_id: { value: 'op3' }, agent_id: { value: gone.agentId } },
        { operation_id: { value: 'op4' }, agent_id: { value: 'no-such-agent' } },
      ],
    },
  });
  assert.is(r.status, 202, r.body);
  const got: Record<string, string> = {};
  for (const id of ['op1', 'op2', 'op3', 'op4']) {
    const e = await fw.next((x) => x.type === 'UPDATE_OPERATION_STATUS' && x.update_operation_status.status.operation_id.value === id, `the status of ${id}`, { from });
    got[id] = e.e.update_operation_status.status.state;
    assert.is(e.e.update_operation_status.status.uuid, undefined, 'no acknowledgement wanted');
  }
  assert.equal(got, { op1: 'OPERATION_UNKNOWN', op2: 'OPERATION_UNKNOWN', op3: 'OPERATION_GONE_BY_OPERATOR', op4: 'OPERATION_UNKNOWN' });
  const before = fw.log.filter((x) => x.e.type === 'UPDATE_OPERATION_STATUS').length;
  assert.is((await fw.call('RECONCILE_OPERATIONS', { reconcile_operations: { operations: [] } })).status, 202);
  // The answers are written on the stream before the call returns: one to op5 after it proves there was none in between.
  assert.is((await fw.call('RECONCILE_OPERATIONS', { reconcile_operations: { operations: [{ operation_id: { value: 'op5' } }] } })).status, 202);
  await fw.next((x) => x.type === 'UPDATE_OPERATION_STATUS' && x.update_operation_status.status.operation_id.value === 'op5', 'the status of op5');
  assert.is(fw.log.filter((x) => x.e.type === 'UPDATE_OPERATION_STATUS').length, before + 1, 'the implicit call answered nothing');
});

test.run();
