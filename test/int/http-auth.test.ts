/**
 * HTTP authentication and authorization against a real master (and a real agent): with
 * --credentials, all three --authenticate_http_* flags and a non-permissive ACL file, every realm
 * answers 401 without (or with wrong) credentials; every ACL kind answers 403 naming the rule;
 * a denied task gets TASK_ERROR while the rest of its ACCEPT goes on; a framework is re-subscribed
 * only by the principal that registered it; and the state views are filtered by view_frameworks
 * and view_tasks.
 */
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { basicHeader } from '../../security/http/index.js';
import { parseAcls } from '../../security/http/acls.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { type Ev, HttpFramework, rawRequest, type RawResponse } from '../helpers/scheduler-http.js';
import { dynamic, scalar } from '../helpers/operator.js';
import { waitFor } from '../helpers/wait.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../agent/index.js';
import { FlagError } from '../../cli/flags.js';
import { loadHttpSecurity } from '../../cli/commands/master.js';

const SECRETS = { operator: 'op-secret', framework: 'fw-secret', alice: 'alice-secret' } as const;
type Who = keyof typeof SECRETS;
const auth = (who: Who): Record<string, string> => ({ Authorization: basicHeader(who, SECRETS[who]) });

const ACLS = {
  permissive: false,
  register_frameworks: [{ principals: { values: ['framework', 'alice'] }, roles: { values: ['*', 'web'] } }],
  run_tasks: [{ principals: { type: 'ANY' }, users: { values: ['root'] } }],
  teardown_frameworks: [{ principals: { values: ['operator'] }, framework_principals: { type: 'ANY' } }],
  reserve_resources: [{ principals: { values: ['operator'] }, roles: { values: ['web'] } }],
  unreserve_resources: [{ principals: { values: ['operator'] }, reserver_principals: { values: ['operator'] } }],
  create_volumes: [{ principals: { values: ['operator'] }, roles: { values: ['web'] } }],
  destroy_volumes: [{ principals: { values: ['operator'] }, creator_principals: { values: ['operator'] } }],
  get_quotas: [{ principals: { values: ['operator'] }, roles: { type: 'ANY' } }],
  update_quotas: [{ principals: { values: ['operator'] }, roles: { values: ['web'] } }],
  view_frameworks: [
    { principals: { values: ['operator'] }, users: { type: 'ANY' } },
    { principals: { type: 'ANY' }, users: { type: 'NONE' } },
  ],
  view_tasks: [{ principals: { values: ['operator'] }, users: { type: 'ANY' } }],
  mark_agents_gone: [{ principals: { values: ['operator'] }, agents: { type: 'ANY' } }],
  start_maintenances: [{ principals: { values: ['operator'] }, machines: { type: 'ANY' } }],
};

let cluster: TestCluster;
let base: string;
let agentId: string;
let fw: HttpFramework | undefined;
const frameworks: HttpFramework[] = [];

const get = (path: string, who?: Who, headers: Record<string, string> = {}): Promise<RawResponse> =>
  rawRequest(base, { method: 'GET', path, headers: { ...(who !== undefined ? auth(who) : {}), ...headers } });
const operator = (body: unknown, who?: Who, headers: Record<string, string> = {}): Promise<RawResponse> =>
  rawRequest(base, {
    path: '/api/v1',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(who !== undefined ? auth(who) : {}), ...headers },
    body: JSON.stringify(body),
  });
const subscribeBody = (info: Record<string, unknown>, frameworkId?: string) => ({
  type: 'SUBSCRIBE',
  ...(frameworkId !== undefined ? { framework_id: { value: frameworkId } } : {}),
  subscribe: { framework_info: { user: 'root', name: 'acl-test', ...info, ...(frameworkId !== undefined ? { id: { value: frameworkId } } : {}) } },
});
const scheduler = (body: unknown, who?: Who): Promise<RawResponse> =>
  rawRequest(base, {
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(who !== undefined ? auth(who) : {}) },
    body: JSON.stringify(body),
    timeoutMs: 5000,
  });

function is401(r: RawResponse, realm: string, what: string): void {
  assert.is(r.status, 401, `${what} answered ${r.status}: ${r.body}`);
  assert.is(r.headers['www-authenticate'], `Basic realm="${realm}"`, what);
}
function is403(r: RawResponse, rule: RegExp, what: string): void {
  assert.is(r.status, 403, `${what} answered ${r.status}: ${r.body}`);
  assert.match(r.body, /denied by the ACL/, what);
  assert.match(r.body, rule, what);
}

test.before(async () => {
  cluster = await startCluster({
    agents: 1,
    master: {
      credentials: Object.entries(SECRETS).map(([principal, secret]) => ({ principal, secret })),
      authenticateHttpReadonly: true,
      authenticateHttpReadwrite: true,
      authenticateHttpFrameworks: true,
      acls: parseAcls(JSON.stringify(ACLS), 'test acls'),
    },
  });
  base = cluster.master.url;
  agentId = cluster.agents[0]!.agentId;
});

test.after(async () => {
  for (const f of frameworks) f.stream.close();
  await cluster?.stop();
});

test('every realm answers 401 without credentials or with a wrong secret; /health and /version stay open', async () => {
  is401(await get('/master/state'), 'mesos-master-readonly', 'GET /master/state');
  is401(await get('/master/tasks'), 'mesos-master-readonly', 'GET /master/tasks');
  is401(await get('/metrics/snapshot'), 'mesos-master-readonly', 'GET /metrics/snapshot');
  is401(await operator({ type: 'GET_HEALTH' }), 'mesos-master-readwrite', 'POST /api/v1');
  is401(await get('/master/quota'), 'mesos-master-readwrite', 'GET /master/quota');
  is401(await scheduler(subscribeBody({})), 'mesos-master-scheduler', 'SUBSCRIBE');
  is401(await get('/master/state', undefined, { Authorization: basicHeader('operator', 'wrong') }), 'mesos-master-readonly', 'a wrong secret');
  is401(await get('/master/state', undefined, { Authorization: basicHeader('mallory', 'op-secret') }), 'mesos-master-readonly', 'an unknown principal');
  is401(await operator({ type: 'GET_HEALTH' }, undefined, { Authorization: 'Bearer op-secret' }), 'mesos-master-readwrite', 'another scheme');
  assert.is((await get('/health')).status, 200);
  assert.is((await get('/version')).status, 200);
  assert.is((await get('/master/state', 'operator')).status, 200);
  assert.is((await operator({ type: 'GET_HEALTH' }, 'alice')).status, 200, 'any valid principal authenticates');
});

test('operator calls: each ACL kind answers 403 naming the rule; the allowed principal passes', async () => {
  const agent = { value: agentId };
  const vol = scalar('disk', 64, { ...dynamic('web', 'operator'), disk: { persistence: { id: 'v1', principal: 'operator' }, volume: { container_path: 'data', mode: 'RW' } } });
  const calls: [string, Record<string, unknown>][] = [
    ['update_quotas', { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'web', limits: { cpus: { value: 1 } } }] } }],
    ['update_weights', { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 2 }] } }],
    ['reserve_resources', { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agent, resources: [scalar('cpus', 0.5, dynamic('web', 'alice'))] } }],
    ['unreserve_resources', { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: agent, resources: [scalar('cpus', 0.5, dynamic('web', 'operator'))] } }],
    ['create_volumes', { type: 'CREATE_VOLUMES', create_volumes: { agent_id: agent, volumes: [vol] } }],
    ['destroy_volumes', { type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: agent, volumes: [vol] } }],
    ['mark_agents_gone', { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: agent } }],
    ['start_maintenances', { type: 'START_MAINTENANCE', start_maintenance: { machines: [{ hostname: 'localhost' }] } }],
  ];
  for (const [rule, body] of calls) {
    is403(await operator(body, 'alice'), new RegExp(`Principal 'alice' .*(${rule}|no ${rule} rule matched)`), `${String(body.type)} by alice`);
  }
  assert.is(cluster.master.state().agents.get(agentId as never)?.gone, false, 'the denied MARK_AGENT_GONE did nothing');
  // The operator may, for the objects its rules name, and not for others.
  const quota = await operator(calls[0]![1], 'operator');
  assert.is(quota.status, 200, quota.body);
  is403(await operator({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'other' }] } }, 'operator'), /update the quota of role 'other'/, 'quota of another role');
  const reserve = await operator({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agent, resources: [scalar('cpus', 0.5, dynamic('web', 'operator'))] } }, 'operator');
  assert.is(reserve.status, 202, reserve.body);
  is403(await operator({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agent, resources: [scalar('cpus', 0.5, dynamic('db', 'operator'))] } }, 'operator'), /reserve resources for role 'db'/, 'reserve for another role');
  // get_quotas filters GET_QUOTA (and /master/quota) instead of refusing it.
  const roles = (r: RawResponse): string[] => ((JSON.parse(r.body) as Ev).get_quota?.status?.configs ?? []).map((c: Ev) => c.role);
  assert.equal(roles(await operator({ type: 'GET_QUOTA' }, 'operator')), ['web']);
  assert.equal(roles(await operator({ type: 'GET_QUOTA' }, 'alice')), []);
  assert.equal(((JSON.parse((await get('/master/quota', 'alice')).body) as Ev).configs ?? []).length, 0);
});

test('SUBSCRIBE: register_frameworks by role is 403 naming the rule; an allowed one is bound to its authenticated principal', async () => {
  const denied = await scheduler(subscribeBody({ roles: ['secret'], capabilities: [{ type: 'MULTI_ROLE' }] }), 'framework');
  is403(denied, /register a framework with role 'secret'.*register_frameworks|no register_frameworks rule matched/, 'SUBSCRIBE with role secret');
  assert.is(cluster.master.state().frameworks.size, 0, 'nothing was registered');
  const mismatch = await scheduler(subscribeBody({ principal: 'alice' }), 'framework');
  assert.is(mismatch.status, 400, mismatch.body);
  assert.match(mismatch.body, /Authenticated principal 'framework' does not match principal 'alice'/);

  fw = await HttpFramework.subscribe(base, { user: 'root', name: 'acl-test', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] }, { headers: auth('framework') });
  frameworks.push(fw);
  const f = await waitFor(() => cluster.master.state().frameworks.get(fw!.frameworkId as never), 'the framework in the projection');
  assert.is(f.authenticatedPrincipal, 'framework', 'the registration records the authenticated principal');
  assert.is(f.info.principal, 'framework', "FrameworkInfo.principal is filled in, as Mesos's");
});

test('ACCEPT: a task run_tasks denies gets TASK_ERROR (REASON_TASK_UNAUTHORIZED); the other task of the call runs', async () => {
  const offers = await fw!.takeOffers({ cpus: 0.2, mem: 64 });
  const offer = offers[0]!;
  const task = (id: string, extra: Record<string, unknown> = {}) => ({
    name: id,
    task_id: { value: id },
    agent_id: { value: offer.agent_id.value },
    resources: [scalar('cpus', 0.1), scalar('mem', 32)],
    command: { shell: true, value: 'sleep 30', ...extra },
  });
  const r = await fw!.call('ACCEPT', {
    accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task('t-ok'), task('t-nobody', { user: 'nobody' })] } }], filters: { refuse_seconds: 0 } },
  });
  assert.is(r.status, 202, r.body);
  const err = await fw!.status('t-nobody', 'TASK_ERROR');
  assert.is(err.reason, 'REASON_TASK_UNAUTHORIZED');
  assert.is(err.source, 'SOURCE_MASTER');
  assert.match(String(err.message), /run tasks as user 'nobody': denied by the ACL/);
  await fw!.status('t-ok', 'TASK_RUNNING');
  assert.is(cluster.master.state().tasks.size, 1, 'the denied task never reached the log');
});

test('a re-SUBSCRIBE by another principal is 403 and leaves the framework on its stream; its own principal fails it over', async () => {
  const id = fw!.frameworkId;
  const other = await scheduler(subscribeBody({ roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] }, id), 'alice');
  assert.is(other.status, 403, other.body);
  assert.match(other.body, /registered by another principal/);
  assert.not.match(other.body, /'framework'/, 'the registering principal is not told to the caller');
  assert.is(fw!.stream.ended, false, 'the framework keeps its subscription');
  // A call on the framework's stream with another principal's credentials (Mesos: 400).
  const call = await fw!.call('REVIVE', { revive: {} }, auth('alice'));
  assert.is(call.status, 400, call.body);
  assert.match(call.body, /does not match principal 'framework'/);
  // Its own principal may fail it over.
  const again = await HttpFramework.subscribe(base, { user: 'root', name: 'acl-test', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] }, { headers: auth('framework'), frameworkId: id });
  frameworks.push(again);
  assert.is(again.frameworkId, id);
  fw = again;
});

test('views: /master/state, /master/frameworks, /master/tasks and GET_STATE/GET_FRAMEWORKS/GET_TASKS are filtered by view_frameworks and view_tasks', async () => {
  const id = fw!.frameworkId;
  const ids = (list: Ev[] | undefined): string[] => (list ?? []).map((f) => String(f.id ?? f.framework_info?.id?.value));
  const state = async (who: Who): Promise<Ev> => JSON.parse((await get('/master/state', who)).body) as Ev;
  const opState = await state('operator');
  assert.equal(ids(opState.frameworks), [id]);
  assert.equal((opState.frameworks as Ev[])[0]!.tasks.map((t: Ev) => t.id), ['t-ok']);
  assert.equal(ids((await state('alice')).frameworks), []);
  assert.equal(ids((JSON.parse((await get('/master/frameworks', 'alice')).body) as Ev).frameworks), []);
  assert.equal(ids((JSON.parse((await get('/master/frameworks', 'operator')).body) as Ev).frameworks), [id]);
  assert.equal((JSON.parse((await get('/master/tasks', 'alice')).body) as Ev).tasks, []);
  assert.ok(((JSON.parse((await get('/master/tasks', 'operator')).body) as Ev).tasks as Ev[]).some((t) => t.id === 't-ok'));
  const getFw = async (who: Who) => ((JSON.parse((await operator({ type: 'GET_FRAMEWORKS' }, who)).body) as Ev).get_frameworks.frameworks as Ev[]).length;
  assert.is(await getFw('operator'), 1);
  assert.is(await getFw('alice'), 0);
  const getTasks = async (who: Who) => ((JSON.parse((await operator({ type: 'GET_TASKS' }, who)).body) as Ev).get_tasks.tasks as Ev[]).length;
  assert.is(await getTasks('operator'), 1);
  assert.is(await getTasks('alice'), 0);
  const st = JSON.parse((await operator({ type: 'GET_STATE' }, 'alice')).body) as Ev;
  assert.equal(st.get_state.get_frameworks.frameworks, []);
  assert.equal(st.get_state.get_tasks.tasks, []);
  assert.is(st.get_state.get_agents.agents.length, 1, 'agents are not filtered');
});

test('TEARDOWN: teardown_frameworks denies alice (403) and allows the operator', async () => {
  const body = { type: 'TEARDOWN', teardown: { framework_id: { value: fw!.frameworkId } } };
  is403(await operator(body, 'alice'), /tear down frameworks of principal 'framework'/, 'TEARDOWN by alice');
  assert.ok(cluster.master.state().frameworks.has(fw!.frameworkId as never), 'still there');
  const ok = await operator(body, 'operator');
  assert.is(ok.status, 200, ok.body);
  await waitFor(() => !cluster.master.state().frameworks.has(fw!.frameworkId as never), 'the framework to be removed');
});

test("an agent with --authenticate-http-readonly asks for credentials on its endpoints but /health and /version", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-auth-agent-'));
  const agent = await startAgent(
    {
      nats: cluster.nats.url,
      creds: cluster.creds('agent', randomUUID()),
      workDir: dir,
      resources: 'cpus:1;mem:256;disk:256;ports:[32000-32010]',
      isolation: 'posix',
      port: 0,
      httpCredentials: [{ principal: 'operator', secret: SECRETS.operator }],
      authenticateHttpReadonly: true,
    },
    cluster.log,
  );
  try {
    const url = `http://127.0.0.1:${agent.httpPort}`;
    const at = (path: string, who?: Who) => rawRequest(url, { method: 'GET', path, headers: who !== undefined ? auth(who) : {} });
    const r = await at('/state');
    assert.is(r.status, 401, r.body);
    assert.is(r.headers['www-authenticate'], 'Basic realm="mesos-agent-readonly"');
    assert.is((await at('/files/browse?path=/')).status, 401);
    assert.is((await at('/state', 'alice')).status, 401, "alice is not in the agent's credentials");
    assert.is((await at('/state', 'operator')).status, 200);
    assert.is((await at('/health')).status, 200);
    assert.is((await at('/version')).status, 200);
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an agent with --authenticate-http-readwrite asks for credentials on LAUNCH_NESTED_CONTAINER_SESSION (the readwrite realm), as on its other calls", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-auth-agent-'));
  const agent = await startAgent(
    {
      nats: cluster.nats.url,
      creds: cluster.creds('agent', randomUUID()),
      workDir: dir,
      resources: 'cpus:1;mem:256;disk:256;ports:[32011-32020]',
      isolation: 'posix',
      port: 0,
      httpCredentials: [{ principal: 'operator', secret: SECRETS.operator }],
      authenticateHttpReadwrite: true,
    },
    cluster.log,
  );
  try {
    const url = `http://127.0.0.1:${agent.httpPort}`;
    const body = JSON.stringify({
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: { container_id: { value: 's', parent: { value: 'not-running' } }, command: { value: 'touch /tmp/should-not-run' } },
    });
    const launch = (who?: Who) => rawRequest(url, { method: 'POST', path: '/api/v1', body, headers: { 'Content-Type': 'application/json', ...(who !== undefined ? auth(who) : {}) } });
    const anon = await launch();
    assert.is(anon.status, 401, anon.body);
    assert.is(anon.headers['www-authenticate'], 'Basic realm="mesos-agent-readwrite"');
    assert.is((await launch('alice')).status, 401, "alice is not in the agent's credentials");
    const op = await launch('operator');
    assert.is(op.status, 404, op.body);
    assert.match(op.body, /not-running is not a running container/);
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mesos master/agent: a bad --credentials or --acls file is refused with the reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-auth-files-'));
  const refused = (f: () => unknown, re: RegExp): void => {
    try {
      f();
    } catch (e) {
      assert.instance(e, FlagError);
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`expected ${String(re)}`);
  };
  try {
    const creds = join(dir, 'creds.json');
    writeFileSync(creds, JSON.stringify({ credentials: [{ principal: 'a', secret: 'b' }] }), { mode: 0o644 });
    chmodSync(creds, 0o644);
    refused(() => loadHttpSecurity(creds, undefined), /can be read by others \(mode 644\).*chmod 600/);
    chmodSync(creds, 0o600);
    assert.equal(loadHttpSecurity(creds, undefined).credentials, [{ principal: 'a', secret: 'b' }]);
    refused(() => loadHttpSecurity(join(dir, 'missing.json'), undefined), /--credentials .*missing\.json: no such file/);
    const acls = join(dir, 'acls.json');
    writeFileSync(acls, '{"run_task": []}');
    refused(() => loadHttpSecurity(undefined, acls), /"run_task" is not a Mesos ACL action \(did you mean "run_tasks"\?\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
