/**
 * The docs agree with the code on defaults: every flag row of the command tables in
 * docs/operations.md (`mesos dev`, `master`, `agent`, `execute`) against the flag definitions the
 * CLI parses (and every flag of those commands is documented); the health-check defaults and the
 * failover timeout default in docs/api.md against the schemas (events/); and what api.md says the
 * scheduler API refuses against what its converter actually refuses.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentFlags } from '../../cli/commands/agent.js';
import { devFlags } from '../../cli/commands/dev.js';
import { executeFlags } from '../../cli/commands/execute.js';
import { masterFlags } from '../../cli/commands/master.js';
import { type FlagSpec, parseDuration } from '../../cli/flags.js';
import { FrameworkInfo } from '../../events/catalogue.js';
import { HealthCheck } from '../../events/checks.js';
import { taskInfoFromMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { MesosTaskInfo, parseMessage } from '../../kernel/shell/scheduler-api/wire.js';

const docs = new URL('../../../docs/', import.meta.url);
const page = (name: string): string => readFileSync(new URL(name, docs), 'utf8');

/** The lines under a heading (matched by `pattern`) up to the next heading. */
function section(text: string, pattern: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{2,4} /.test(l) && pattern.test(l));
  if (start < 0) throw new Error(`no heading matching ${pattern}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^#{2,4} /.test(l));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Cells of a table row (a `\|` inside a cell is not a separator). */
const cells = (row: string): string[] =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));

interface Row {
  readonly flag: string;
  readonly documented: string;
}

/** `| `--a N`, `--b` | 1, off | … |` → [{a, 1}, {b, off}]; `--no-x` variants are the same flag. */
function flagRows(lines: readonly string[]): Row[] {
  const out: Row[] = [];
  for (const l of lines) {
    if (!l.startsWith('| `--')) continue;
    const [first, second] = cells(l);
    const names = [...new Set([...first!.matchAll(/`--(?:no-)?([a-z0-9-]+)/g)].map((m) => m[1]!))];
    const defaults = names.length > 1 ? second!.split(/\s*,\s*/) : [second!];
    names.forEach((flag, i) => out.push({ flag, documented: (defaults[i] ?? defaults[0]!).replace(/`/g, '').trim() }));
  }
  return out;
}

/** Words that describe a default the code computes (no literal default in the flag's definition). */
const DESCRIBED = /^(none|detected|any role|required|off)$|\s/;

/** Does the documented default say what the flag's definition says? Undefined if so, else why not. */
function mismatch(spec: FlagSpec, documented: string): string | undefined {
  const d = documented.toLowerCase();
  if (spec.required === true) return d === 'required' ? undefined : `is required, documented as "${documented}"`;
  if (d === 'required') return 'is documented as required but is not';
  const def = spec.default;
  if (def === undefined || def === null) {
    return DESCRIBED.test(d) ? undefined : `has no default in the code, documented as "${documented}"`;
  }
  switch (spec.type) {
    case 'bool':
      return (d === 'on') === def && (d === 'on' || d === 'off') ? undefined : `defaults to ${def ? 'on' : 'off'}, documented as "${documented}"`;
    case 'int':
    case 'number':
      return Number(documented) === def ? undefined : `defaults to ${def}, documented as "${documented}"`;
    case 'duration':
    case 'optional-duration': {
      if (d === 'none' || def === 'none') return d === String(def) ? undefined : `defaults to ${def}, documented as "${documented}"`;
      let ms: number;
      try {
        ms = parseDuration(documented);
      } catch {
        return `defaults to ${def}, documented as "${documented}" (not a duration)`;
      }
      return ms === parseDuration(String(def)) ? undefined : `defaults to ${def}, documented as "${documented}"`;
    }
    case 'string':
      return documented === String(def) ? undefined : `defaults to "${def}", documented as "${documented}"`;
  }
}

const COMMANDS: ReadonlyArray<[string, RegExp, readonly FlagSpec[]]> = [
  ['dev', /A local cluster: `mesos dev`/, devFlags],
  ['master', /^### `mesos master`/, masterFlags],
  ['agent', /^### `mesos agent`/, agentFlags],
  ['execute', /^### `mesos execute`/, executeFlags],
];

test('docs/operations.md: every flag row of mesos dev/master/agent/execute has the default the code has', () => {
  const ops = page('operations.md');
  const problems: string[] = [];
  for (const [command, heading, specs] of COMMANDS) {
    const rows = flagRows(section(ops, heading));
    assert.ok(rows.length > 0, `a flag table for mesos ${command}`);
    for (const r of rows) {
      const spec = specs.find((s) => s.name === r.flag);
      if (spec === undefined) {
        problems.push(`mesos ${command} --${r.flag}: documented, but the command has no such flag`);
        continue;
      }
      const why = mismatch(spec, r.documented);
      if (why !== undefined) problems.push(`mesos ${command} --${r.flag} ${why}`);
    }
    for (const s of specs) if (!rows.some((r) => r.flag === s.name)) problems.push(`mesos ${command} --${s.name}: not documented in operations.md`);
  }
  assert.equal(problems, []);
});

test('the check itself catches a wrong default (a doc row saying 2s for a 1s flag)', () => {
  const spec = masterFlags.find((s) => s.name === 'allocation-interval')!;
  assert.is(mismatch(spec, '1s'), undefined);
  assert.is(mismatch(spec, '1000ms'), undefined);
  assert.ok(mismatch(spec, '2s'));
  const rows = flagRows(['| `--demo`, `--demo-tasks N` | off, 6 | x |', '| `--x A\\|B` | `a\\|b` | y |']);
  assert.equal(rows, [
    { flag: 'demo', documented: 'off' },
    { flag: 'demo-tasks', documented: '6' },
    { flag: 'x', documented: 'a|b' },
  ]);
});

test("docs/api.md: the health-check defaults are the schema's", () => {
  const api = page('api.md');
  const text = section(api, /^### Health checks and checks/).join(' ');
  const given = HealthCheck.parse({ type: 'COMMAND', command: { value: 'true' } });
  const expected: Record<string, number> = {
    delay_seconds: given.delayMs / 1000,
    interval_seconds: given.intervalMs / 1000,
    timeout_seconds: given.timeoutMs / 1000,
    consecutive_failures: given.consecutiveFailures,
    grace_period_seconds: given.gracePeriodMs / 1000,
  };
  const documented = Object.fromEntries([...text.matchAll(/`([a-z_]+)` (\d+(?:\.\d+)?)/g)].filter((m) => m[1]! in expected).map((m) => [m[1]!, Number(m[2])]));
  assert.equal(documented, expected);
});

test('docs/api.md: what it says the scheduler API refuses, the converter refuses (health checks and checks are accepted)', () => {
  const api = page('api.md').replace(/\n/g, ' ');
  const refused = /Refused with `TASK_ERROR` and the reason: ([^.]*)\./.exec(api)?.[1];
  assert.ok(refused !== undefined, 'the sentence listing what is refused');
  const withCheck = parseMessage(MesosTaskInfo, {
    name: 'hc',
    task_id: { value: 'hc' },
    agent_id: { value: 'a' },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
    command: { value: 'sleep 10' },
    health_check: { type: 'COMMAND', command: { value: 'true' } },
    check: { type: 'COMMAND', command: { command: { value: 'true' } } },
  });
  assert.ok(withCheck.ok, 'the TaskInfo parses');
  const converted = taskInfoFromMesos((withCheck as { ok: true; value: Parameters<typeof taskInfoFromMesos>[0] }).value);
  assert.ok(converted.ok, `a task with a health check and a check is accepted: ${converted.ok ? '' : converted.error}`);
  assert.not.match(refused!, /health check|checks/, 'api.md lists health checks among what is refused');
});

test("docs/api.md: the SDK's failoverTimeoutMs default is the schema's, and it is enforced", () => {
  const row = page('api.md')
    .split('\n')
    .find((l) => l.startsWith('| `failoverTimeoutMs`'));
  assert.ok(row !== undefined, 'the SDK option row');
  const [, documented, meaning] = cells(row!);
  assert.is(Number(documented), FrameworkInfo.parse({ name: 'x', user: 'u' }).failoverTimeoutMs);
  assert.not.match(meaning!, /not enforced/, 'the leader removes a framework whose failover timeout ran out (liveness.ts)');
});

test.run();
