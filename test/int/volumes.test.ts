/**
 * Reservations and persistent volumes from a framework's side, with a real agent: RESERVE and
 * CREATE as offer operations in one accept with a LAUNCH that writes into the volume; the volume
 * is offered again to the role once the task ends, and a second task (a restart) reads what the
 * first wrote; DESTROY and UNRESERVE give the disk back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter, firstValueFrom } from 'rxjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminal, type Operation, type Resource, type TaskStatus } from '../../events/index.js';
import { subscribe, type Offer, type Scheduler } from '../../frameworks/sdk/index.js';
import * as R from '../../kernel/core/resources.js';
import { volumePath } from '../../agent/volumes.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor, within } from '../helpers/wait.js';

let cluster: TestCluster;
let fw: Scheduler;
let offers: OfferQueue;

const ROLE = 'db';
const dyn = (text: string): Resource[] => R.parseResources(text).map((r) => ({ ...r, reservations: [{ type: 'DYNAMIC' as const, role: ROLE }] }));
const volume: Resource[] = [{ name: 'disk', type: 'SCALAR', scalar: 64, reservations: [{ type: 'DYNAMIC', role: ROLE }], disk: { persistence: { id: 'pgdata' }, volume: { containerPath: 'data', mode: 'RW' } } }];

test.before(async () => {
  cluster = await startCluster({ agents: 1, agentResources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]' });
  fw = await subscribe({ ...cluster.framework(), name: 'volumes', roles: [ROLE], log: cluster.log });
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  offers = new OfferQueue(fw);
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
});

const terminal = (taskId: string): Promise<TaskStatus> =>
  within(firstValueFrom(fw.updates$.pipe(filter((u) => u.taskId === taskId && isTerminal(u.state)))), 20_000, `task ${taskId} to end`);

/** The next offer that holds the volume (others are declined at once). */
async function offerWithVolume(): Promise<Offer> {
  return waitFor(async () => {
    const o = await offers.next('an offer', 10_000);
    if (o.resources.some((r) => R.isVolume(r))) return o;
    await fw.decline([o.id], 0);
    return undefined;
  }, 'an offer with the volume', 30_000);
}

test('RESERVE + CREATE + LAUNCH in one accept: the task writes into its volume', async () => {
  const o = await offers.next();
  const ops: Operation[] = [
    { type: 'RESERVE', resources: dyn('cpus:1;mem:256;disk:64') },
    { type: 'CREATE', volumes: volume },
  ];
  const done = terminal('writer');
  await fw.accept([o.id], [{ taskId: 'writer', agentId: o.agentId, resources: [...dyn('cpus:0.5;mem:64'), ...volume], command: 'echo hello-from-the-first-run > data/greeting' }], { operations: ops, refuseSeconds: 0 });
  const end = await done;
  assert.is(end.state, 'TASK_FINISHED', end.message);
  const agent = cluster.master.state().agents.get(o.agentId)!;
  assert.ok(agent.dynamic.some((r) => R.isVolume(r)), 'the volume is among the agent’s dynamic resources');
  const dir = volumePath(join(cluster.dir, 'agent-1'), ROLE, 'pgdata');
  assert.ok(existsSync(join(dir, 'greeting')), `the data is in ${dir}, outside the sandbox`);
});

test('the volume is offered to the role again, and a second task reads what the first wrote', async () => {
  const o = await offerWithVolume();
  assert.is(o.role, ROLE);
  const done = terminal('reader');
  await fw.accept(
    [o.id],
    [{ taskId: 'reader', agentId: o.agentId, resources: [...dyn('cpus:0.5;mem:64'), ...volume], command: 'test "$(cat data/greeting)" = hello-from-the-first-run' }],
    { refuseSeconds: 0 },
  );
  const end = await done;
  assert.is(end.state, 'TASK_FINISHED', `the second task read the volume: ${end.message ?? ''}`);
});

test('DESTROY then UNRESERVE give the disk back to everyone', async () => {
  // Everything reserved may be spread over several offers of the agent: accept them together.
  const want = R.add(dyn('cpus:1;mem:256'), volume);
  const held = await waitFor(() => {
    const mine = fw.outstandingOffers();
    return R.contains(R.add(...mine.map((o) => o.resources)), want) ? mine : undefined;
  }, 'offers holding all of the role’s reservations and the volume', 30_000);
  offers.drain();
  let refusal = '';
  const sub = fw.refusals$.subscribe((r) => (refusal = `${r.code}: ${r.message}`));
  const agentId = held[0]!.agentId;
  await fw.accept(
    held.map((o) => o.id),
    [],
    { operations: [{ type: 'DESTROY', volumes: volume }, { type: 'UNRESERVE', resources: dyn('cpus:1;mem:256;disk:64') }], refuseSeconds: 0 },
  );
  await waitFor(() => cluster.master.state().agents.get(agentId)!.dynamic.length === 0 || refusal !== '', 'the accept to be folded');
  sub.unsubscribe();
  assert.is(refusal, '');
  assert.equal(R.format(cluster.master.state().agents.get(agentId)!.resources), 'cpus:2;disk:1024;mem:1024;ports:[31000-31099]');
});

test('an invalid operation is dropped with OPERATION_INVALID (the refusal names it)', async () => {
  const o = await offers.next();
  const refused = firstValueFrom(fw.refusals$);
  await fw.accept([o.id], [], { operations: [{ type: 'CREATE', volumes: [{ ...volume[0]!, reservations: [{ type: 'DYNAMIC', role: 'someone-else' }] }] }] });
  const r = await within(refused, 10_000, 'the refusal');
  assert.is(r.code, 'OPERATION_INVALID');
  assert.is(r.operation, 0, 'only that operation was dropped');
  assert.match(r.message, /not for the offer's role|not there to convert/);
});

test.run();
