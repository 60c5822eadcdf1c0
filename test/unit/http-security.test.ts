/**
 * security/http, pure parts: the credentials file parser (and the client's pick of a credential),
 * HTTP Basic checking, the realms that require authentication, the ACL evaluator against Mesos's
 * match/allow tables and first-match-wins order, and the view filter over a State.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AclsError,
  CredentialsError,
  MASTER_REALMS,
  authenticate,
  authorize,
  basicHeader,
  credentialStore,
  denial,
  parseAcls,
  parseCredentials,
  pickCredential,
  restricts,
  viewableState,
  authorizeOperations,
} from '../../security/http/index.js';
import type { Operation } from '../../events/index.js';
import { masterRealm } from '../../security/http/endpoints.js';
import { evolve, initialState } from '../../kernel/core/fold/index.js';
import * as E from '../helpers/events.js';

const refuses = (f: () => unknown, re: RegExp, Type: new (...a: never[]) => Error): void => {
  try {
    f();
  } catch (e) {
    assert.instance(e, Type);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected ${String(re)}`);
};

// ---------------------------------------------------------------------------------------------
// Credentials

test("credentials: Mesos's JSON is read; bad files say what is wrong and what the file should look like", () => {
  const c = parseCredentials('{"credentials":[{"principal":"ops","secret":"s1"},{"principal":"fw","secret":"s2"}]}', 'creds.json');
  assert.equal(c, [{ principal: 'ops', secret: 's1' }, { principal: 'fw', secret: 's2' }]);
  refuses(() => parseCredentials('{"credentials":[', 'f'), /f is not JSON.*should look like \{"credentials"/, CredentialsError);
  refuses(() => parseCredentials('{"credentials":[{"principal":"ops"}]}', 'f'), /credentials\.0\.secret/, CredentialsError);
  refuses(() => parseCredentials('{"credentials":[{"principal":"ops","secert":"x","secret":"y"}]}', 'f'), /secert/, CredentialsError);
  refuses(() => parseCredentials('{"credentials":[{"principal":"a:b","secret":"x"}]}', 'f'), /must not contain ":"/, CredentialsError);
  refuses(() => parseCredentials('{"credentials":[{"principal":"a","secret":"x"},{"principal":"a","secret":"y"}]}', 'f'), /'a' is listed more than once/, CredentialsError);
  refuses(() => parseCredentials('{"credentials":[]}', 'f'), /lists no credentials/, CredentialsError);
  refuses(() => parseCredentials('[{"principal":"a","secret":"x"}]', 'f'), /not a Mesos credentials file/, CredentialsError);
});

test('a client picks its credential: a single one, the named one, else operator', () => {
  const list = '{"credentials":[{"principal":"framework","secret":"f"},{"principal":"operator","secret":"o"}]}';
  assert.equal(pickCredential(list, 'f', undefined), { principal: 'operator', secret: 'o' });
  assert.equal(pickCredential(list, 'f', 'framework'), { principal: 'framework', secret: 'f' });
  assert.equal(pickCredential('{"principal":"x","secret":"y"}', 'f', undefined), { principal: 'x', secret: 'y' });
  refuses(() => pickCredential(list, 'f', 'nobody'), /no credential for principal 'nobody'/, CredentialsError);
  refuses(() => pickCredential('{"credentials":[{"principal":"a","secret":"1"},{"principal":"b","secret":"2"}]}', 'f', undefined), /say which with --principal/, CredentialsError);
});

// ---------------------------------------------------------------------------------------------
// Basic authentication and realms

const store = credentialStore([{ principal: 'ops', secret: 'right' }]);

test('HTTP Basic: the right secret passes; a wrong one, an unknown principal or another scheme does not', () => {
  assert.equal(store.check(basicHeader('ops', 'right')), { kind: 'ok', principal: 'ops' });
  assert.equal(store.check(basicHeader('ops', 'right ')).kind, 'refused');
  assert.equal(store.check(basicHeader('ops', 'righ')).kind, 'refused');
  assert.equal(store.check(basicHeader('nobody', 'right')).kind, 'refused');
  assert.equal(store.check('Bearer abc').kind, 'refused');
  assert.equal(store.check(`Basic ${Buffer.from('no-colon').toString('base64')}`).kind, 'refused');
  assert.equal(store.check(undefined).kind, 'absent');
  // A secret with a colon in it: only the first colon separates.
  assert.equal(credentialStore([{ principal: 'a', secret: 'x:y' }]).check(basicHeader('a', 'x:y')), { kind: 'ok', principal: 'a' });
});

test('realms: a required realm answers 401 with Basic realm="<Mesos realm>"; open endpoints and unrequired realms let anonymous requests in', () => {
  const cfg = { credentials: store, readonly: false, readwrite: true, frameworks: false, realmNames: MASTER_REALMS };
  const none = authenticate(cfg, 'readwrite', undefined);
  assert.is(none.ok, false);
  if (!none.ok) {
    assert.is(none.status, 401);
    assert.is(none.headers['WWW-Authenticate'], 'Basic realm="mesos-master-readwrite"');
  }
  const wrong = authenticate(cfg, 'readwrite', basicHeader('ops', 'nope'));
  assert.is(wrong.ok, false);
  assert.equal(authenticate(cfg, 'readwrite', basicHeader('ops', 'right')), { ok: true, principal: 'ops' });
  assert.equal(authenticate(cfg, 'readonly', undefined), { ok: true, principal: undefined });
  assert.equal(authenticate(cfg, 'scheduler', undefined), { ok: true, principal: undefined });
  assert.equal(authenticate(cfg, null, undefined), { ok: true, principal: undefined });
  // Credentials presented where none are required are still checked (the principal is used).
  assert.equal(authenticate(cfg, 'readonly', basicHeader('ops', 'right')), { ok: true, principal: 'ops' });
  assert.is(authenticate(cfg, 'readonly', basicHeader('ops', 'nope')).ok, false);
  const fw = authenticate({ ...cfg, frameworks: true }, 'scheduler', undefined);
  assert.is(!fw.ok && fw.headers['WWW-Authenticate'], 'Basic realm="mesos-master-scheduler"');
});

test("the master's endpoints are in Mesos's realms; an unlisted one is read-write", () => {
  assert.is(masterRealm('/api/v1'), 'readwrite');
  assert.is(masterRealm('/master/api/v1'), 'readwrite');
  assert.is(masterRealm('/api/v1/scheduler'), 'scheduler');
  assert.is(masterRealm('/master/quota'), 'readwrite');
  assert.is(masterRealm('/master/maintenance/schedule'), 'readwrite');
  assert.is(masterRealm('/master/maintenance/status'), 'readonly');
  assert.is(masterRealm('/master/state'), 'readonly');
  assert.is(masterRealm('/state'), 'readonly');
  assert.is(masterRealm('/master/tasks'), 'readonly');
  assert.is(masterRealm('/metrics/snapshot'), 'readonly');
  assert.is(masterRealm('/health'), null);
  assert.is(masterRealm('/master/redirect'), null);
  assert.is(masterRealm('/something/new'), 'readwrite');
});

// ---------------------------------------------------------------------------------------------
// ACLs

test("ACL file: Mesos's entities and actions are read; typos and bad rules are refused with the place", () => {
  const a = parseAcls(
    JSON.stringify({
      permissive: false,
      run_tasks: [{ principals: { values: ['ops'] }, users: { type: 'ANY' } }],
      access_sandboxes: [{ principals: { type: 'ANY' }, users: { type: 'ANY' } }],
    }),
    'acls.json',
  );
  assert.is(a.permissive, false);
  assert.is(a.rules.run_tasks?.length, 1);
  assert.equal(a.ignored, ['access_sandboxes']);
  refuses(() => parseAcls('{"run_task": []}', 'f'), /"run_task" is not a Mesos ACL action \(did you mean "run_tasks"\?\)/, AclsError);
  refuses(() => parseAcls('{"run_tasks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}]}', 'f'), /run_tasks\[0\]: unknown field "roles"/, AclsError);
  refuses(() => parseAcls('{"run_tasks": [{"principals": {"type": "ANY"}}]}', 'f'), /needs both "principals" and "users"/, AclsError);
  refuses(() => parseAcls('{"run_tasks": [{"principals": {"type": "SOMEONE"}, "users": {"type": "ANY"}}]}', 'f'), /run_tasks\[0\]\.principals/, AclsError);
  refuses(() => parseAcls('{"run_tasks": [{"principals": {}, "users": {"type": "ANY"}}]}', 'f'), /give "values"/, AclsError);
  refuses(() => parseAcls('{"permissive": "no"}', 'f'), /"permissive" must be true or false/, AclsError);
  refuses(() => parseAcls('[]', 'f'), /JSON object/, AclsError);
});

const acls = (o: unknown) => parseAcls(JSON.stringify(o), 'test');

test("ACL evaluation follows Mesos's match and allow tables", () => {
  const rule = (principals: unknown, users: unknown) => acls({ permissive: true, run_tasks: [{ principals, users }] });
  const some = { values: ['a'] };
  const any = { type: 'ANY' };
  const none = { type: 'NONE' };
  // SOME request subject.
  assert.is(authorize(rule(some, any), 'run_tasks', 'a', 'root').allowed, true);
  assert.is(authorize(rule(any, any), 'run_tasks', 'a', 'root').allowed, true);
  assert.is(authorize(rule(none, any), 'run_tasks', 'a', 'root').allowed, false, 'NONE matches every principal and allows none');
  assert.match(authorize(rule(some, any), 'run_tasks', 'b', 'root').rule, /permissive/, 'no match: the default decides');
  // ANY request subject (unauthenticated): matched by ANY and NONE rules, allowed only by ANY.
  assert.is(authorize(rule(any, any), 'run_tasks', undefined, 'root').allowed, true);
  assert.is(authorize(rule(none, any), 'run_tasks', undefined, 'root').allowed, false);
  assert.match(authorize(rule(some, any), 'run_tasks', undefined, 'root').rule, /permissive/, 'a SOME rule does not match an unauthenticated request');
  // Objects, alike: a NONE object matches every user and allows none.
  assert.is(authorize(rule(some, none), 'run_tasks', 'a', 'root').allowed, false);
  assert.is(authorize(rule(some, { values: ['root'] }), 'run_tasks', 'a', 'root').allowed, true);
  assert.match(authorize(rule(some, { values: ['root'] }), 'run_tasks', 'a', 'nobody').rule, /permissive/);
  // An object the request leaves open (ANY) is matched by ANY/NONE rules only.
  assert.is(authorize(rule(some, any), 'run_tasks', 'a', undefined).allowed, true);
  assert.match(authorize(rule(some, { values: ['root'] }), 'run_tasks', 'a', undefined).rule, /permissive/);
});

test('the first matching rule wins; with none, permissive decides; the denial names the rule', () => {
  const a = acls({
    permissive: false,
    run_tasks: [
      { principals: { values: ['ops'] }, users: { values: ['root'] } },
      { principals: { type: 'ANY' }, users: { type: 'NONE' } },
      { principals: { values: ['ops'] }, users: { type: 'ANY' } },
    ],
  });
  assert.is(authorize(a, 'run_tasks', 'ops', 'root').allowed, true);
  const d = authorize(a, 'run_tasks', 'ops', 'nobody');
  assert.is(d.allowed, false, 'the NONE rule comes before the rule that would allow it');
  assert.match(d.rule, /^run_tasks\[1\] /);
  assert.match(denial('run_tasks', 'ops', 'nobody', d), /Principal 'ops' is not authorized to run tasks as user 'nobody': denied by the ACL run_tasks\[1\]/);
  const p = authorize(a, 'teardown_frameworks', 'ops', 'x');
  assert.equal(p, { allowed: false, rule: '"permissive": false (no teardown_frameworks rule matched)' });
  assert.is(authorize(acls({}), 'teardown_frameworks', 'ops', 'x').allowed, true, 'permissive defaults to true');
  assert.match(denial('mark_agents_gone', undefined, undefined, p), /An unauthenticated request is not authorized to mark agents gone/);
});

test("role objects take Mesos's hierarchical 'eng/%'", () => {
  const a = acls({ permissive: false, register_frameworks: [{ principals: { type: 'ANY' }, roles: { values: ['eng/%', 'ops'] } }] });
  assert.is(authorize(a, 'register_frameworks', 'x', 'eng/web').allowed, true);
  assert.is(authorize(a, 'register_frameworks', 'x', 'eng/web/a').allowed, true);
  assert.is(authorize(a, 'register_frameworks', 'x', 'eng').allowed, false);
  assert.is(authorize(a, 'register_frameworks', 'x', 'engineering/x').allowed, false);
  assert.is(authorize(a, 'register_frameworks', 'x', 'ops').allowed, true);
});

test('restricts: only a non-permissive file or a NONE rule can deny anything', () => {
  assert.is(restricts(acls({ view_tasks: [{ principals: { values: ['a'] }, users: { values: ['b'] } }] }), 'view_tasks'), false);
  assert.is(restricts(acls({ view_tasks: [{ principals: { values: ['a'] }, users: { type: 'NONE' } }] }), 'view_tasks'), true);
  assert.is(restricts(acls({ permissive: false }), 'view_tasks'), true);
});

// ---------------------------------------------------------------------------------------------
// Views

test('views: frameworks and tasks a principal may not see are left out, without touching the projection', () => {
  let s = initialState();
  const fold = (...events: Parameters<typeof evolve>[1][]) => {
    for (const e of events) s = evolve(s, e);
  };
  fold(E.leaderElected(1), E.agentRegistered({ agentId: 'a1' }));
  fold(E.frameworkSubscribed({ frameworkId: 'fw-alice', user: 'alice' }), E.frameworkSubscribed({ frameworkId: 'fw-bob', user: 'bob' }));
  fold(E.offersCreated({ frameworkId: 'fw-alice', offerId: 'o1', agentId: 'a1', resources: 'cpus:2;mem:1024' }));
  const accept = E.accepted({
    frameworkId: 'fw-alice',
    offerIds: ['o1'],
    tasks: [
      { taskId: 't-alice', agentId: 'a1', resources: 'cpus:0.5;mem:64' },
      { taskId: 't-root', agentId: 'a1', resources: 'cpus:0.5;mem:64' },
    ],
  });
  const op = accept.operations[0]!;
  if (op.type !== 'LAUNCH') throw new Error('a LAUNCH');
  op.tasks[1] = { ...op.tasks[1]!, command: { ...op.tasks[1]!.command!, user: 'root' } };
  fold(accept);
  assert.is(s.tasks.size, 2, 'both tasks are in the projection');
  const a = acls({
    permissive: false,
    view_frameworks: [
      { principals: { values: ['alice'] }, users: { values: ['alice'] } },
      { principals: { values: ['admin'] }, users: { type: 'ANY' } },
    ],
    view_tasks: [{ principals: { type: 'ANY' }, users: { type: 'ANY' } }],
  });
  const forAlice = viewableState(s, a, 'alice');
  assert.equal([...forAlice.frameworks.keys()], ['fw-alice']);
  assert.equal([...forAlice.tasks.values()].map((t) => t.taskId).sort(), ['t-alice', 't-root']);
  const rootless = acls({
    permissive: false,
    view_frameworks: [{ principals: { type: 'ANY' }, users: { type: 'ANY' } }],
    view_tasks: [{ principals: { type: 'ANY' }, users: { values: ['alice'] } }],
  });
  const noRoot = viewableState(s, rootless, 'alice');
  assert.equal([...noRoot.tasks.values()].map((t) => t.taskId), ['t-alice'], 'the task run as root is hidden (view_tasks by its command user)');
  assert.equal([...noRoot.frameworks.get('fw-alice' as never)!.taskKeys].length, 1);
  assert.equal([...viewableState(s, a, 'admin').frameworks.keys()].sort(), ['fw-alice', 'fw-bob']);
  const anon = viewableState(s, a, undefined);
  assert.equal([...anon.frameworks.keys()], [], 'an unauthenticated request sees no framework');
  assert.is(anon.tasks.size, 0, 'nor their tasks');
  assert.is(anon.offers.size, 0, 'nor their offers');
  assert.is(s.frameworks.size, 2, 'the projection itself is unchanged');
  assert.is(s.frameworks.get('fw-alice' as never)!.taskKeys.size, 2);
  assert.is(viewableState(s, acls({}), undefined), s, 'no restricting ACL: the same state, no copy');
});

test("an ACCEPT's operations: denied tasks leave their LAUNCH (a whole LAUNCH_GROUP), denied reservations are dropped", () => {
  const a = acls({
    permissive: false,
    run_tasks: [{ principals: { values: ['fw'] }, users: { values: ['app'] } }],
    reserve_resources: [{ principals: { values: ['fw'] }, roles: { values: ['web'] } }],
    destroy_volumes: [{ principals: { values: ['fw'] }, creator_principals: { values: ['fw'] } }],
  });
  const task = (taskId: string, user?: string) => ({
    taskId,
    name: taskId,
    agentId: 'a1',
    resources: [{ name: 'cpus', type: 'SCALAR' as const, scalar: 0.1 }],
    command: { value: 'true', shell: true, ...(user !== undefined ? { user } : {}) },
  });
  const cpus = (role: string, principal?: string) => ({ name: 'cpus', type: 'SCALAR' as const, scalar: 1, reservations: [{ type: 'DYNAMIC' as const, role, ...(principal !== undefined ? { principal } : {}) }] });
  const ops = [
    { type: 'LAUNCH', tasks: [task('ok'), task('as-root', 'root')] },
    { type: 'LAUNCH_GROUP', executor: { executorId: 'ex', resources: [] }, tasks: [task('g1'), task('g2', 'root')] },
    { type: 'RESERVE', resources: [cpus('web', 'fw')] },
    { type: 'RESERVE', resources: [cpus('db', 'fw')] },
    { type: 'DESTROY', volumes: [{ name: 'disk', type: 'SCALAR' as const, scalar: 8, reservations: [{ type: 'DYNAMIC' as const, role: 'web' }], disk: { persistence: { id: 'v', principal: 'other' } } }] },
  ] as unknown as Operation[];
  const r = authorizeOperations(a, ops, 'fw', 'app');
  assert.equal(r.allowed.map((o) => o.type), ['LAUNCH', 'RESERVE']);
  assert.equal((r.allowed[0] as { tasks: { taskId: string }[] }).tasks.map((t) => t.taskId), ['ok']);
  assert.equal(r.deniedTasks.map((d) => [d.taskId, d.group]), [['as-root', false], ['g1', true], ['g2', true]]);
  assert.match(r.deniedTasks[0]!.why, /run tasks as user 'root'/);
  assert.match(r.deniedTasks[1]!.why, /^Task group is not authorized: /);
  assert.equal(r.droppedOperations.map((d) => d.type), ['RESERVE', 'DESTROY']);
  assert.match(r.droppedOperations[0]!.why, /reserve resources for role 'db'/);
  assert.match(r.droppedOperations[1]!.why, /destroy volumes created by principal 'other'/);
  const open = authorizeOperations(acls({}), ops, undefined, 'app');
  assert.is(open.allowed.length, ops.length, 'no ACLs: everything goes through unchanged');
});

test('the fold records the principal that registered a framework; a later subscription does not replace it', () => {
  let s = initialState();
  s = evolve(s, { ...E.frameworkSubscribed({ frameworkId: 'f1', principal: 'p1' }), authenticatedPrincipal: 'p1' });
  s = evolve(s, { ...E.frameworkSubscribed({ frameworkId: 'f1', principal: 'p2' }), authenticatedPrincipal: 'p2' });
  assert.is(s.frameworks.get('f1' as never)!.authenticatedPrincipal, 'p1');
  s = evolve(s, E.frameworkSubscribed({ frameworkId: 'f2' }));
  assert.is(s.frameworks.get('f2' as never)!.authenticatedPrincipal, undefined);
  assert.not.ok('authenticatedPrincipal' in s.frameworks.get('f2' as never)!, 'no key at all for an unauthenticated framework (old snapshots and logs fold alike)');
  s = evolve(s, { ...E.frameworkSubscribed({ frameworkId: 'f2' }), authenticatedPrincipal: 'late' });
  assert.is(s.frameworks.get('f2' as never)!.authenticatedPrincipal, 'late', 'an unauthenticated framework is bound by its first authenticated subscription');
});

test.run();
