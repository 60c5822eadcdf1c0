/**
 * Declarative files (cli/apply/): errors name the file, the line and the field; definitions
 * translate to Marathon and Chronos JSON; the plan diffs field by field, orders jobs parents
 * first, refuses cycles and duplicates, and prunes only what was applied from files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, parseSpecs } from '../../cli/apply/spec.js';
import { MANAGED_LABEL, isManaged, toChronosJob, toMarathonApp } from '../../cli/apply/translate.js';
import { type Desired, PlanError, formatPlan, plan } from '../../cli/apply/plan.js';

const WEB = `# the web tier
kind: service
name: /shop/web
command: ./serve --port $PORT0
resources:
  cpus: 0.5
  mem: 256
instances: 3
health:
  protocol: HTTP
  path: /health
constraints:
  - hostname:UNIQUE
update:
  minimumHealthCapacity: 0.5
`;

test('a valid service and a job parse, with the line each starts at', () => {
  const r = parseSpecs('shop.yaml', `${WEB}---\nkind: job\nname: report\ncommand: ./report\nschedule: R/2026-01-01T00:00:00Z/PT1H\n`);
  assert.equal(r.errors, []);
  assert.is(r.specs.length, 2);
  assert.equal(r.specs.map((s) => [s.spec.kind, s.source.line]), [['service', 2], ['job', 17]]);
});

test('errors name the file, the line, the column and the field, every one of them, in line order', () => {
  const text = ['kind: service', 'name: /web', 'command: sleep 1', 'resources:', '  cpus: lots', 'instanses: 3', 'health:', '  path: nope', 'constraints:', '  - rack:SOMETIMES'].join('\n');
  const r = parseSpecs('web.yaml', text);
  assert.is(r.specs.length, 0);
  const lines = r.errors.map(formatError);
  assert.is(lines.length, 4, lines.join('\n'));
  assert.match(lines[0]!, /^web\.yaml:5:9: resources\.cpus: .*number/);
  assert.match(lines[1]!, /^web\.yaml:6:1: instanses: unknown field 'instanses' \(did you mean 'instances'\?\)/);
  assert.match(lines[2]!, /^web\.yaml:8:9: health\.path: the path must start with \//);
  assert.match(lines[3]!, /^web\.yaml:10:5: constraints\.0\.1: /);
});

test('a missing field points at its mapping; top-level cpus is told to go under resources; JSON files have lines too', () => {
  const r = parseSpecs('j.yaml', 'kind: job\nname: nightly\ncommand: x\n');
  assert.equal(r.errors.map(formatError), ['j.yaml:1:1: schedule: give schedule, or after (the parent jobs)']);
  const j = parseSpecs('a.json', '{\n  "kind": "service",\n  "name": "a",\n  "command": "x",\n  "cpus": 2\n}');
  assert.equal(j.errors.map(formatError), ["a.json:5:3: cpus: unknown field 'cpus' (put it under resources: (resources: { cpus: … }))"]);
  const k = parseSpecs('k.yaml', 'kind: thing\nname: x\n');
  assert.match(formatError(k.errors[0]!), /^k\.yaml:1:7: kind: kind is 'service' or 'job'/);
});

test('YAML that does not parse, a duplicate key, a definition that is not a mapping', () => {
  assert.match(formatError(parseSpecs('b.yaml', 'kind: [\n').errors[0]!), /^b\.yaml:\d+:\d+: not valid YAML\/JSON: /);
  assert.match(formatError(parseSpecs('d.yaml', 'kind: job\nkind: service\n').errors[0]!), /^d\.yaml:2:1: not valid YAML\/JSON: .*[Uu]nique/);
  assert.match(formatError(parseSpecs('l.yaml', '- kind: job\n- 3\n').errors.at(-1)!), /^l\.yaml:2:3: 1: a definition is a mapping/);
});

test('schedules: ISO 8601 and cron are taken, anything else is refused with both forms named', () => {
  for (const s of ['R/2026-01-01T00:00:00Z/PT1H', 'R5//P1D', '*/5 * * * *', '0 0 * * 1-5']) {
    assert.equal(parseSpecs('s.yaml', `kind: job\nname: s\ncommand: x\nschedule: "${s}"\n`).errors, [], s);
  }
  const bad = parseSpecs('s.yaml', 'kind: job\nname: s\ncommand: x\nschedule: every day\n');
  assert.match(formatError(bad.errors[0]!), /^s\.yaml:4:11: schedule: a schedule is R\[n\]\/<start>\/<period>.*cron/);
  const bad2 = parseSpecs('s.yaml', 'kind: job\nname: s\ncommand: x\nschedule: R/yesterday/PT1H\n');
  assert.match(formatError(bad2.errors[0]!), /start of the schedule/);
});

test('a service becomes Marathon app JSON with the defaults the services framework applies, and the mark', () => {
  const spec = parseSpecs('w.yaml', WEB).specs[0]!.spec;
  assert.is(spec.kind, 'service');
  const t = toMarathonApp(spec as never);
  assert.ok(t.ok);
  if (!t.ok) return;
  assert.is(t.body.id, '/shop/web');
  assert.is(t.body.cmd, './serve --port $PORT0');
  assert.is(t.body.cpus, 0.5);
  assert.is(t.body.instances, 3);
  assert.equal(t.body.constraints, [['hostname', 'UNIQUE']]);
  assert.is(t.body.healthChecks[0]!.path, '/health');
  assert.is(t.body.healthChecks[0]!.intervalSeconds, 60, 'Marathon default');
  assert.is(t.body.upgradeStrategy.minimumHealthCapacity, 0.5);
  assert.is(t.body.upgradeStrategy.maximumOverCapacity, 1);
  assert.is(t.body.labels[MANAGED_LABEL], 'managed');
  assert.ok(isManaged(t.body));
});

test('what only the services schema catches comes back under the field of the file', () => {
  const spec = parseSpecs('w.yaml', 'kind: service\nname: w\ncommand: x\nports: [{port: 80}, {port: 80}]\n').specs[0]!.spec;
  const t = toMarathonApp(spec as never);
  assert.not.ok(t.ok);
  if (t.ok) return;
  assert.is(t.errors[0]!.field, 'ports.1.port');
  assert.match(t.errors[0]!.message, /given twice/);
});

test('a job becomes Chronos JSON: parents from after, env as environmentVariables, args without a shell', () => {
  const spec = parseSpecs('j.yaml', 'kind: job\nname: child\nargs: [/bin/echo, hi]\nafter: [parent]\nenv: {A: "1"}\nretries: 1\nresources: {cpus: 0.2}\n').specs[0]!.spec;
  const j = toChronosJob(spec as never);
  assert.equal({ ...j }, {
    name: 'child',
    command: '/bin/echo',
    shell: false,
    arguments: ['hi'],
    parents: ['parent'],
    cpus: 0.2,
    retries: 1,
    environmentVariables: [{ name: 'A', value: '1' }],
    labels: { [MANAGED_LABEL]: 'managed' },
  });
});

test('a cron schedule goes as cron, an ISO 8601 one as schedule; container and constraints on a job are refused, not ignored', () => {
  const cron = toChronosJob(parseSpecs('c.yaml', 'kind: job\nname: c\ncommand: x\nschedule: "*/5 * * * *"\n').specs[0]!.spec as never);
  assert.is(cron.cron, '*/5 * * * *');
  assert.is(cron.schedule, undefined);
  const iso = toChronosJob(parseSpecs('c.yaml', 'kind: job\nname: c\ncommand: x\nschedule: R3//PT1M\n').specs[0]!.spec as never);
  assert.is(iso.schedule, 'R3//PT1M');
  const r = parseSpecs('c.yaml', 'kind: job\nname: c\ncommand: x\nschedule: R//PT1M\ncontainer: { image: busybox }\nconstraints: [rack:EQUALS:a]\n');
  assert.equal(r.errors.map((e) => `${e.line}:${e.field}`), ['5:container', '6:constraints']);
  assert.match(r.errors[0]!.message, /does not run jobs in an image/);
});

test('an open-start schedule (R//P…) the jobs framework filled in is no change', () => {
  const desired = job('e');
  const open = { ...desired, schedule: 'R//PT2S' };
  const p = plan({ services: [], jobs: [{ body: open, source: { file: 'f.yaml', line: 1 } }] }, { jobs: [{ ...open, schedule: 'R/2026-12-07T10:00:00.000Z/PT2S', successCount: 3 }] }, false);
  assert.is(p.changes[0]!.action, 'unchanged');
  assert.is((p.changes[0]!.body as { schedule: string }).schedule, 'R/2026-12-07T10:00:00.000Z/PT2S', 'sent with the start it has');
  const q = plan({ services: [], jobs: [{ body: { ...open, schedule: 'R//PT3S' }, source: { file: 'f.yaml', line: 1 } }] }, { jobs: [{ ...open, schedule: 'R/2026-12-07T10:00:00.000Z/PT2S' }] }, false);
  assert.equal(q.changes[0]!.fields, [{ field: 'schedule', from: 'R/2026-12-07T10:00:00.000Z/PT2S', to: 'R//PT3S' }]);
  // A scheduled job turned dependent: the schedule is shown going.
  const dep = plan({ services: [], jobs: [{ body: job('d', ['e']), source: { file: 'f.yaml', line: 1 } }] }, { jobs: [{ ...job('e') }, { ...job('d') }] }, false);
  assert.equal(dep.changes.find((c) => c.name === 'd')!.fields.map((f) => f.field), ['parents', 'schedule']);
});

const src = (line: number) => ({ file: 'f.yaml', line });
const app = (id: string, extra: Record<string, unknown> = {}) => {
  const t = toMarathonApp({ kind: 'service', name: id, command: 'sleep 1', resources: {}, instances: 1, ...extra } as never);
  if (!t.ok) throw new Error('bad');
  return t.body;
};

test('the plan: create, update field by field, unchanged, and prune only what files made', () => {
  const desired: Desired = { services: [{ body: app('/a', { instances: 2 }), source: src(1) }, { body: app('/b'), source: src(9) }, { body: app('/c', { instances: 3, env: { X: '2' } }), source: src(20) }], jobs: [] };
  const current = {
    services: [
      { ...app('/b'), version: 'v', tasksRunning: 1 },
      { ...app('/c', { env: { X: '1', Y: 'y' } }) },
      { ...app('/gone') },
      { id: '/manual', cmd: 'x', labels: {} },
    ] as Array<Record<string, unknown>>,
  };
  const p = plan(desired, current, true);
  assert.equal(p.changes.map((c) => [c.name, c.action]), [['/a', 'create'], ['/b', 'unchanged'], ['/c', 'update'], ['/gone', 'delete']]);
  const c = p.changes[2]!;
  assert.equal(c.fields, [{ field: 'env.X', from: '1', to: '2' }, { field: 'env.Y', from: 'y' }, { field: 'instances', from: 1, to: 3 }]);
  assert.equal(p.changes[0]!.fields, [{ field: 'cmd', to: 'sleep 1' }, { field: 'instances', to: 2 }, { field: `labels.${MANAGED_LABEL}`, to: 'managed' }]);
  assert.equal(p.unmanaged, [{ kind: 'service', name: '/manual' }]);
  const text = formatPlan(p);
  assert.match(text, /\+ service \/a: create  \(f\.yaml:1\)\n    \+ cmd: "sleep 1"\n    \+ instances: 2\n/);
  assert.match(text, /~ service \/c: update  \(f\.yaml:20\)\n    ~ env\.X: "1" → "2"\n    - env\.Y: "y"\n    ~ instances: 1 → 3/);
  assert.match(text, /- service \/gone: delete  \(no longer in the files: --prune\)/);
  assert.match(text, /1 to create, 1 to update, 1 to delete, 1 unchanged/);
  assert.match(text, /not from files .*service \/manual/);
  // Without --prune nothing goes.
  assert.not.ok(plan(desired, current, false).changes.some((c) => c.action === 'delete'));
});

const job = (name: string, parents?: string[]) => toChronosJob({ kind: 'job', name, command: 'x', resources: {}, ...(parents ? { after: parents } : { schedule: 'R/2026-01-01T00:00:00Z/PT1M' }) } as never);

test('jobs: parents are created before children, removed after them; a cycle and a missing parent are refused', () => {
  const p = plan({ services: [], jobs: [{ body: job('c', ['b']), source: src(1) }, { body: job('b', ['a']), source: src(5) }, { body: job('a'), source: src(9) }] }, { jobs: [] }, false);
  assert.equal(p.changes.map((c) => c.name), ['a', 'b', 'c']);
  const prune = plan({ services: [], jobs: [] }, { jobs: [{ ...job('x') }, { ...job('y', ['x']) }, { ...job('z', ['y']) }] }, true);
  assert.equal(prune.changes.map((c) => [c.name, c.action]), [['z', 'delete'], ['y', 'delete'], ['x', 'delete']]);
  assert.throws(() => plan({ services: [], jobs: [{ body: job('p', ['q']), source: src(1) }, { body: job('q', ['p']), source: src(7) }] }, {}, false), (e: Error) => e instanceof PlanError && /a dependency cycle: p → q → p/.test(e.message));
  assert.throws(() => plan({ services: [], jobs: [{ body: job('p', ['nobody']), source: src(3) }] }, { jobs: [] }, false), /f\.yaml:3: after: parent job 'nobody' is defined neither/);
  assert.throws(() => plan({ services: [], jobs: [{ body: job('k', ['x']), source: src(3) }] }, { jobs: [{ ...job('x') }] }, true), /runs after 'x', which --prune would remove/);
});

test('the same name twice in the desired state is refused, naming both places', () => {
  assert.throws(() => plan({ services: [{ body: app('/a'), source: src(1) }, { body: app('a'), source: { file: 'g.yaml', line: 4 } }], jobs: [] }, {}, false), /g\.yaml:4: name: service '\/a' is also defined at f\.yaml:1/);
});

test.run();
