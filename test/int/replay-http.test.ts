/**
 * The history endpoints every `mesos master` serves (replay/http.ts), on a real master and log:
 * GET /replay/state?at= folds to the point as `mesos replay state --at` does, filtered by the view
 * ACLs for the principal; bad points are 400 with the reason; /replay/series gives totals over the
 * whole log. And the web UI's files: `/` and `/ui/…` are the app's index.html (no-cache), assets are
 * immutable with their content type, other unknown paths stay 404.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basicHeader, parseAcls } from '../../security/http/index.js';
import { replayRoutes } from '../../replay/index.js';
import { WEBUI_DIR } from '../../kernel/shell/http/static.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const SECRETS = { operator: 'op-secret', alice: 'alice-secret' } as const;
type Who = keyof typeof SECRETS;
let cluster: TestCluster;
let base: string;

const get = async (path: string, who?: Who, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> => {
  const r = await fetch(`${base}${path}`, { headers: { ...(who !== undefined ? { Authorization: basicHeader(who, SECRETS[who]) } : {}), ...headers } });
  return { status: r.status, text: await r.text(), headers: r.headers };
};
const op = async (body: unknown): Promise<number> =>
  (await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basicHeader('operator', SECRETS.operator) }, body: JSON.stringify(body) })).status;

test.before(async () => {
  cluster = await startCluster({
    agents: 0,
    master: {
      credentials: Object.entries(SECRETS).map(([principal, secret]) => ({ principal, secret })),
      authenticateHttpReadonly: true,
      authenticateHttpReadwrite: true,
      acls: parseAcls(JSON.stringify({ get_quotas: [{ principals: { values: ['operator'] }, roles: { type: 'ANY' } }, { principals: { type: 'ANY' }, roles: { type: 'NONE' } }] }), 'test acls'),
    },
    masterExtras: { routes: replayRoutes },
  });
  base = cluster.master.url;
});

test.after(async () => {
  await cluster?.stop();
});

test('/replay/state?at= is the state at that point, filtered by the ACLs; bad points are 400', async () => {
  const before = cluster.master.seq();
  assert.is(await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 3 }] } }), 200);
  assert.is(await op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'web', limits: { cpus: { value: 2 } } }] } }), 200);
  await waitFor(() => cluster.master.state().quotas.has('web' as never), 'the quota to be folded');
  const head = cluster.master.seq();
  assert.ok(head > before);

  const past = JSON.parse((await get(`/replay/state?at=${before}&view=operator`, 'operator')).text) as J;
  assert.is(past.seq, before);
  assert.is(past.view, 'operator');
  assert.is(past.head.last >= head, true);
  assert.equal(past.state.get_weights.weight_infos, []);
  assert.equal(past.state.get_quota.status.configs, []);

  const now = JSON.parse((await get('/replay/state?at=head&view=operator', 'operator')).text) as J;
  assert.is(now.seq, now.head.last);
  assert.equal(now.state.get_weights.weight_infos, [{ weight: 3, role: 'web' }]);
  assert.is(now.state.get_quota.status.configs[0].role, 'web');
  assert.ok(Array.isArray(now.state.get_state.get_tasks.tasks));

  // get_quotas lets only the operator see quota: alice gets the same point without it.
  const alice = JSON.parse((await get('/replay/state?at=head&view=operator', 'alice')).text) as J;
  assert.equal(alice.state.get_weights.weight_infos, [{ weight: 3, role: 'web' }]);
  assert.equal(alice.state.get_quota.status.configs, []);

  // The default view is /master/state's document, as `mesos replay state` prints it.
  const master = JSON.parse((await get(`/replay/state?at=${head}`, 'operator')).text) as J;
  assert.is(master.view, 'master');
  assert.ok(Array.isArray(master.state.frameworks) && Array.isArray(master.state.slaves));

  assert.is((await get('/replay/state?at=head')).status, 401, 'the readonly realm asks for credentials');
  const none = await get('/replay/state', 'operator');
  assert.is(none.status, 400);
  assert.match(none.text, /at= is required/);
  const bad = await get('/replay/state?at=yesterday', 'operator');
  assert.is(bad.status, 400);
  assert.match(bad.text, /not a sequence or a time/);
  const beyond = await get('/replay/state?at=999999', 'operator');
  assert.is(beyond.status, 400);
  assert.match(beyond.text, /the log ends at seq/);
  const view = await get('/replay/state?at=head&view=projection', 'operator');
  assert.is(view.status, 400);
  assert.match(view.text, /expected one of master, operator/);
});

test('/replay/series: the totals at points spread over the whole log', async () => {
  const r = JSON.parse((await get('/replay/series?points=5', 'operator')).text) as J;
  assert.is(r.head, cluster.master.seq());
  assert.ok(r.points.length >= 2 && r.points.length <= 6, `${r.points.length} points`);
  assert.is(r.points.at(-1).seq, r.head);
  for (let i = 1; i < r.points.length; i++) assert.ok(r.points[i].seq > r.points[i - 1].seq);
  assert.ok('cpus_total' in r.points[0].values && 'tasks_running' in r.points[0].values);
  assert.is((await get('/replay/series?points=1', 'operator')).status, 400);

  // The head moves (a weight is set): the next series folds only the new events; its first point
  // stays, and the new head is its last.
  const weightsBefore = r.points.at(-1).values;
  assert.is(await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'series', weight: 5 }] } }), 200);
  await waitFor(() => cluster.master.seq() > r.head, 'the weight to be folded');
  const again = JSON.parse((await get('/replay/series?points=5', 'operator')).text) as J;
  assert.is(again.head, cluster.master.seq());
  assert.ok(again.head > r.head);
  assert.is(again.points.at(-1).seq, again.head);
  assert.is(again.points[0].seq, r.points[0].seq, 'the first point stays where it was');
  assert.equal(Object.keys(again.points.at(-1).values), Object.keys(weightsBefore));
  // A request while the verify pass is on its way gets the same, consistent answer.
  const [a, b] = await Promise.all([get('/replay/series?points=5', 'operator'), get('/replay/verify', 'operator')]);
  assert.is(a.status, 200);
  assert.is(b.status, 200);
  assert.is((JSON.parse(a.text) as J).head, again.head);
});

test('the web UI: / and /ui/... are index.html, assets are cached for good, other paths stay 404', async () => {
  assert.ok(existsSync(join(WEBUI_DIR, 'index.html')), `the web UI is built into ${WEBUI_DIR} (npm run build)`);
  const root = await get('/');
  assert.is(root.status, 200, 'the app is open without credentials (it holds no cluster data)');
  assert.is(root.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.is(root.headers.get('cache-control'), 'no-cache');
  assert.match(root.text, /<div id="app">/);
  const deep = await get('/ui/tasks/some-framework/some-task');
  assert.is(deep.status, 200);
  assert.is(deep.text, root.text, 'a deep link is the same app');
  const again = await get('/', undefined, { 'If-None-Match': root.headers.get('etag') ?? '' });
  assert.is(again.status, 304);

  const js = readdirSync(join(WEBUI_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
  const asset = await get(`/assets/${js}`);
  assert.is(asset.status, 200);
  assert.is(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.is(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.ok(root.text.includes(`/assets/${js}`), 'index.html loads the built script');
  assert.is((await get('/assets/nope.js')).status, 404);
  const other = await get('/nope');
  assert.is(other.status, 404);
  assert.is(other.text, 'No such endpoint: /nope');
});

test.run();
