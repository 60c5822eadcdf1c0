/**
 * The endpoints the dashboard's pages and actions read, on a real master, agent and log:
 * GET /master/permissions (what a principal may do, by the ACLs; sign in first where the
 * read-write realm needs credentials), KILL_TASK (beyond Mesos's calls: authorized as
 * teardown_frameworks on the framework's principal), GET /master/masters (the leader and a
 * standby with their fold positions), GET /replay/timeline, /replay/why-pending, /replay/diff, and
 * /replay/verify kept up to date in passes that resume where the last stopped; the whole-log
 * endpoints refused under view ACLs to a principal who may not view everything.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTerminal } from '../../events/index.js';
import { type Scheduler, subscribe } from '../../frameworks/sdk/index.js';
import { type MasterHandle, startMaster } from '../../kernel/shell/master/index.js';
import { replayRoutes } from '../../replay/index.js';
import { basicHeader, parseAcls } from '../../security/http/index.js';
import { startCluster, testLog, type TestCluster } from '../helpers/cluster.js';
import { OfferQueue } from '../helpers/offers.js';
import { waitFor } from '../helpers/wait.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const SECRETS = { operator: 'op-secret', alice: 'alice-secret' } as const;
type Who = keyof typeof SECRETS;
let cluster: TestCluster;
let base: string;
let fw: Scheduler;
let offers: OfferQueue;

const acls = parseAcls(
  JSON.stringify({
    permissive: true,
    teardown_frameworks: [
      { principals: { values: ['operator'] }, framework_principals: { type: 'ANY' } },
      { principals: { type: 'ANY' }, framework_principals: { type: 'NONE' } },
    ],
    update_weights: [{ principals: { values: ['alice'] }, roles: { values: ['eng'] } }],
    view_tasks: [
      { principals: { values: ['operator'] }, users: { type: 'ANY' } },
      { principals: { type: 'ANY' }, users: { type: 'NONE' } },
    ],
  }),
  'test acls',
);

const get = async (path: string, who?: Who): Promise<{ status: number; text: string; json: () => J }> => {
  const r = await fetch(`${base}${path}`, { headers: who !== undefined ? { Authorization: basicHeader(who, SECRETS[who]) } : {} });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) as J };
};
const op = async (body: unknown, who: Who = 'operator'): Promise<{ status: number; text: string }> => {
  const r = await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basicHeader(who, SECRETS[who]) }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};

test.before(async () => {
  cluster = await startCluster({
    agents: 1,
    master: {
      credentials: Object.entries(SECRETS).map(([principal, secret]) => ({ principal, secret })),
      authenticateHttpReadwrite: true,
      acls,
    },
    masterExtras: { routes: replayRoutes },
  });
  base = cluster.master.url;
  fw = await subscribe({ ...cluster.framework(), name: 'endpoints', log: cluster.log });
  fw.updates$.subscribe((u) => void fw.acknowledge(u).catch(() => undefined));
  offers = new OfferQueue(fw);
});

test.after(async () => {
  await fw?.close();
  await cluster?.stop();
});

test('/master/permissions: by the ACLs, per action and object; sign in first where the read-write realm asks', async () => {
  const mine = (await get('/master/permissions?check=teardown_frameworks:x&check=update_weights:eng&check=update_weights:web&check=drain_agents', 'alice')).json();
  assert.is(mine.principal, 'alice');
  assert.equal(
    (mine.checks as J[]).map((c) => [c.action, c.object, c.allowed]),
    [
      ['teardown_frameworks', 'x', false],
      ['update_weights', 'eng', true],
      ['update_weights', 'web', true], // no rule matches: permissive
      ['drain_agents', null, true],
    ],
  );
  assert.match((mine.checks as J[])[0]!.why, /Principal 'alice' is not authorized to tear down frameworks of principal 'x'/);
  const op = (await get('/master/permissions?check=teardown_frameworks:x', 'operator')).json();
  assert.is(op.checks[0].allowed, true);
  assert.match(op.checks[0].why, /^allowed by teardown_frameworks\[0\]/);
  // No credentials: the operator API would answer 401 first.
  const anon = (await get('/master/permissions?check=drain_agents')).json();
  assert.is(anon.principal, null);
  assert.is(anon.checks[0].allowed, false);
  assert.match(anon.checks[0].why, /Sign in first/);
  // Every enforced action when none is named; a wrong one is a 400 that lists them.
  assert.ok(((await get('/master/permissions', 'operator')).json().checks as J[]).length >= 20);
  const bad = await get('/master/permissions?check=kill_tasks', 'operator');
  assert.is(bad.status, 400);
  assert.match(bad.text, /kill_tasks is not an action this master enforces; expected one of register_frameworks/);
});

test('KILL_TASK kills one task as its framework would, only for a principal that may tear it down', async () => {
  const offer = await offers.next();
  await fw.accept([offer.id], [{ taskId: 'victim', agentId: offer.agentId, resources: 'cpus:0.1;mem:32', command: 'sleep 300' }]);
  await waitFor(() => cluster.master.state().tasks.get(`${fw.frameworkId}/victim` as never)?.state === 'TASK_RUNNING', 'the victim to run', 30_000);
  const call = (taskId: string, frameworkId: string = fw.frameworkId) => ({ type: 'KILL_TASK', kill_task: { framework_id: { value: frameworkId }, task_id: { value: taskId } } });

  const denied = await op(call('victim'), 'alice');
  assert.is(denied.status, 403);
  assert.match(denied.text, /Principal 'alice' is not authorized to tear down frameworks/);
  assert.is((await op(call('nope'))).status, 404);
  assert.is((await op(call('victim', '00000000-0000-4000-8000-000000000000'))).status, 404);
  assert.is((await op({ type: 'KILL_TASK' })).status, 400);

  const killed = firstValueFrom(
    fw.updates$.pipe(
      filter((u) => u.taskId === 'victim' && isTerminal(u.state)),
      timeout(30_000),
    ),
  );
  const r = await op(call('victim'));
  assert.is(r.status, 202, r.text);
  assert.is((await killed).state, 'TASK_KILLED');
  // Until the framework's acknowledgement is folded the master still holds the terminal task (409, as it says);
  // after that it no longer knows it (404). Neither kills it again.
  const again = await op(call('victim'));
  if (again.status === 409) assert.match(again.text, /Task victim is already TASK_KILLED/);
  else assert.is(again.status, 404, `a completed task is not killed again: ${again.status} ${again.text}`);
  await waitFor(() => cluster.master.state().tasks.get(`${fw.frameworkId}/victim` as never) === undefined, 'the acknowledged task to be gone', 30_000);
  assert.is((await op(call('victim'))).status, 404, 'a completed, acknowledged task is not known');
});

test('/replay/timeline, /replay/why-pending and /replay/diff answer as the replay commands; a viewer who may not see everything is refused', async () => {
  const tl = (await get(`/replay/timeline?task=victim&framework=${fw.frameworkId}`, 'operator')).json();
  const types = (tl.lines as J[]).map((l) => l.type);
  assert.ok(types.includes('OffersAccepted') && types.includes('TaskKillRequested'), types.join(' '));
  const states = (tl.lines as J[]).filter((l) => l.type === 'TaskStatusUpdated').map((l) => l.event.status.state);
  assert.equal(states.slice(-1), ['TASK_KILLED']);
  assert.ok((tl.lines as J[]).every((l, i, all) => i === 0 || l.seq >= all[i - 1]!.seq), 'in log order');
  assert.is((await get('/replay/timeline', 'operator')).status, 400);

  const wp = (await get(`/replay/why-pending?framework=${fw.frameworkId}`, 'operator')).json();
  assert.is(wp.frameworks[0].frameworkId, fw.frameworkId);
  assert.match(wp.text, new RegExp(`framework ${fw.frameworkId} \\(endpoints\\)`));
  assert.is((await get('/replay/why-pending?framework=no-such-framework', 'operator')).status, 404);

  const start = (tl.lines as J[])[0]!.seq as number;
  const d = (await get(`/replay/diff?from=${start - 1}&to=head`, 'operator')).json();
  const victim = (d.tasks.launched as J[]).find((t) => t.taskId === 'victim');
  assert.ok(victim !== undefined, JSON.stringify(d.tasks));
  assert.equal(victim.states.slice(-1), ['TASK_KILLED']);
  assert.ok(victim.states.includes('TASK_RUNNING'));
  assert.is((await get('/replay/diff?from=head&to=1', 'operator')).status, 400);
  assert.match((await get('/replay/diff?from=soon', 'operator')).text, /from=/);

  // view_tasks lets only the operator see tasks: these read every task of the log.
  for (const path of [`/replay/timeline?task=victim`, '/replay/why-pending', '/replay/diff?from=1', '/replay/verify']) {
    const r = await get(path, 'alice');
    assert.is(r.status, 403, path);
    assert.match(r.text, /view every framework, task and executor/);
  }
});

test('/replay/verify: the whole log checked in the background, then only what it gained', async () => {
  const first = (await get('/replay/verify?wait=true', 'operator')).json();
  assert.is(first.running, false);
  assert.ok(first.checked_seq > 0 && first.checked_seq <= first.head);
  assert.equal(first.report.violations, []);
  assert.is(first.report.lastSeq, first.checked_seq);
  // The log grows; the next pass starts where the last stopped.
  assert.is((await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 2 }] } })).status, 200);
  const head = cluster.master.seq();
  const second = (await get('/replay/verify?wait=true', 'operator')).json();
  assert.ok(second.checked_seq >= head, `${second.checked_seq} >= ${head}`);
  assert.is(second.report.events, second.checked_seq, 'every event fed once');
  assert.equal(second.report.violations, []);
});

test('/master/masters: the leader and a standby, each with how far it has folded', async () => {
  const standby: MasterHandle = await startMaster(
    {
      nats: cluster.nats.url,
      port: 0,
      creds: cluster.creds('master', 'standby'),
      credentials: Object.entries(SECRETS).map(([principal, secret]) => ({ principal, secret })),
      authenticateHttpReadwrite: true,
      acls,
    },
    testLog(),
  );
  try {
    await standby.caughtUp;
    const m = await waitFor(async () => {
      const r = (await get('/master/masters', 'operator')).json();
      return (r.masters as J[]).length === 2 ? r : undefined;
    }, 'both masters to answer the roll call', 15_000, 200);
    assert.is(m.leader.master_id, cluster.master.masterId);
    assert.equal(
      (m.masters as J[]).map((x) => [x.master_id, x.leader]),
      [
        [cluster.master.masterId, true],
        [standby.masterId, false],
      ],
    );
    for (const x of m.masters as J[]) {
      assert.ok(x.seq <= m.head && x.lag === m.head - x.seq, JSON.stringify(x));
      assert.match(String(x.url), /^http:\/\/.+:\d+$/);
    }
    // A standby answers the same.
    const fromStandby = (await (await fetch(`${standby.url}/master/masters`)).json()) as J;
    assert.is((fromStandby.masters as J[]).length, 2);
  } finally {
    await standby.stop();
  }
});

test.run();
