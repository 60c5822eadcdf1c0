/**
 * The house rules, checked on the sources (docs/architecture.md, "The folders"):
 * - no import circles anywhere;
 * - kernel/core is pure: it imports only events/ and kernel/core, loads no `node:` module and no
 *   NATS client (also not through what it imports), and reads no clock, timer or process state;
 * - each room imports only the rooms below it (MAY_IMPORT).
 * - the test suite runs on a secured bus: only the files in OPEN_BUS_FILES may start an open one.
 * A self-test runs the same checks over a small made-up tree, so that a check that cannot fail
 * would be noticed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cyclesOf, readGraph, type SourceFile } from '../helpers/import-graph.js';

// dist/test/unit/architecture.test.js -> the project's root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The rooms, lowest first. A file belongs to the longest room that prefixes its path. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  events: [],
  'kernel/core': ['events'],
  proto: ['events'],
  security: ['events', 'kernel/core'],
  'kernel/shell': ['events', 'kernel/core', 'proto', 'security'],
  agent: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security'],
  frameworks: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security'],
  // the services framework (Marathon-like) is built on the SDK of frameworks/
  'frameworks/services': ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'frameworks'],
  // the jobs framework (Chronos-like) too
  'frameworks/jobs': ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'frameworks'],
  replay: ['events', 'kernel/core', 'kernel/shell', 'security'],
  // the browser app talks to the master over HTTP only: it imports nothing of the server side
  webui: [],
  chaos: ['events', 'kernel/core', 'kernel/shell', 'frameworks', 'replay', 'security', 'cli/nats'],
  'cli/nats': ['events', 'kernel/core', 'kernel/shell', 'security'],
  cli: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'agent', 'frameworks', 'frameworks/services', 'frameworks/jobs', 'replay', 'webui', 'chaos', 'cli/nats'],
  bench: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'agent', 'frameworks', 'frameworks/services', 'frameworks/jobs', 'replay', 'webui', 'chaos', 'cli/nats', 'cli'],
  // record-golden.ts drives a live cluster with the test helpers to record the golden logs
  scripts: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'agent', 'frameworks', 'frameworks/services', 'frameworks/jobs', 'replay', 'webui', 'chaos', 'cli/nats', 'cli', 'test'],
  // the tests reuse the benchmarks' seeded random numbers (bench/prng.ts) and test the test runner
  test: ['events', 'kernel/core', 'kernel/shell', 'proto', 'security', 'agent', 'frameworks', 'frameworks/services', 'frameworks/jobs', 'replay', 'webui', 'chaos', 'cli/nats', 'cli', 'bench', 'scripts'],
};
const ROOMS = Object.keys(MAY_IMPORT).sort((a, b) => b.length - a.length);
const FOLDERS = [...new Set(Object.keys(MAY_IMPORT).map((r) => r.split('/')[0]!))];

const roomOf = (path: string): string | undefined => ROOMS.find((r) => path === r || path.startsWith(`${r}/`));

/** Package imports the pure core may load: the schema library, nothing with I/O. */
const CORE_PACKAGES = new Set(['zod']);
/** What pure code may not call: the clock, timers, the process, randomness. */
const CORE_CALLS: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew Date\s*\(\s*\)/, 'new Date()'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, 'a timer'],
  [/\bprocess\./, 'process'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\b(require|fetch)\s*\(/, 'require()/fetch()'],
];

interface Findings {
  readonly cycles: string[][];
  readonly layering: string[];
  readonly impure: string[];
}

function check(graph: ReadonlyMap<string, SourceFile>): Findings {
  const layering: string[] = [];
  for (const f of graph.values()) {
    const from = roomOf(f.path);
    if (from === undefined) continue;
    for (const to of f.local) {
      const target = roomOf(to);
      if (target === undefined || target === from) continue;
      if (!MAY_IMPORT[from]!.includes(target)) layering.push(`${f.path} (${from}) imports ${to} (${target})`);
    }
  }
  // Purity of the core, through everything a core file loads at run time.
  const impure: string[] = [];
  const core = [...graph.values()].filter((f) => roomOf(f.path) === 'kernel/core');
  for (const start of core) {
    const seen = new Set<string>([start.path]);
    const queue = [start.path];
    while (queue.length > 0) {
      const f = graph.get(queue.shift()!);
      if (f === undefined) continue;
      const room = roomOf(f.path);
      if (room !== 'kernel/core' && room !== 'events') impure.push(`${start.path} reaches ${f.path} (${room})`);
      for (const p of f.packages) if (!CORE_PACKAGES.has(p)) impure.push(`${start.path}${f.path === start.path ? '' : ` (through ${f.path})`} loads '${p}'`);
      if (f.path === start.path || room === 'kernel/core') {
        for (const [re, what] of CORE_CALLS) if (re.test(f.code)) impure.push(`${f.path} uses ${what}`);
      }
      for (const next of f.local) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  }
  return { cycles: cyclesOf(graph), layering, impure: [...new Set(impure)] };
}

const graph = readGraph(ROOT, FOLDERS);
const findings = check(graph);

test('the tree is read: every room that exists has files, and the core is found', () => {
  assert.ok(graph.size > 250, `only ${graph.size} files read under ${ROOT}`);
  assert.ok(graph.has('kernel/core/fold/index.ts'));
  assert.ok(graph.has('kernel/shell/bus.ts'));
  const unplaced = [...graph.keys()].filter((p) => roomOf(p) === undefined);
  assert.equal(unplaced, [], 'files outside every room: add their room to MAY_IMPORT');
});

test('no import circles', () => {
  assert.equal(findings.cycles.map((c) => c.join(' -> ')), []);
});

test('kernel/core is pure: no node:, no NATS, no clock or timers, not even through what it imports', () => {
  assert.equal(findings.impure, []);
});

test('each room imports only the rooms below it', () => {
  assert.equal(findings.layering, []);
});

test('the checks find what they look for (a made-up tree with one of each fault)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arch-'));
  try {
    const put = (path: string, text: string): void => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    put('events/index.ts', "import { z } from 'zod';\nexport const a = z.string();\n");
    put('events/wire.ts', "import type { StreamConfig } from '@nats-io/jetstream';\nexport type S = StreamConfig;\n");
    put('kernel/core/a.ts', "import { b } from './b.js';\nimport { a } from '../../events/index.js';\nexport const x = () => b + a;\n");
    put('kernel/core/b.ts', "import { x } from './a.js';\n// Date.now() in a comment is fine\nexport const b = 1; export const y = x;\n");
    put('kernel/core/clock.ts', "export const now = () => Date.now();\n");
    put('kernel/core/io.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    put('kernel/core/up.ts', "import { s } from '../shell/s.js';\nexport const u = s;\n");
    put('kernel/shell/s.ts', "import { connect } from '@nats-io/transport-node';\nexport const s = connect;\n");
    put('agent/x.ts', "import { f } from '../frameworks/f.js';\nexport const g = f;\n");
    put('frameworks/f.ts', "export const f = 1;\n");
    const g = readGraph(dir, ['events', 'kernel', 'agent', 'frameworks']);
    const found = check(g);
    assert.equal(found.cycles, [['kernel/core/a.ts', 'kernel/core/b.ts']]);
    assert.ok(found.impure.includes('kernel/core/clock.ts uses Date.now()'), found.impure.join('\n'));
    assert.ok(found.impure.includes("kernel/core/io.ts loads 'node:fs'"), found.impure.join('\n'));
    assert.ok(found.impure.includes('kernel/core/up.ts reaches kernel/shell/s.ts (kernel/shell)'), found.impure.join('\n'));
    assert.ok(found.impure.some((l) => l.includes("loads '@nats-io/transport-node'")), found.impure.join('\n'));
    assert.not.ok(found.impure.some((l) => l.includes('b.ts uses')), 'a comment is not code');
    assert.not.ok(found.impure.some((l) => l.includes('@nats-io/jetstream')), 'a type-only import loads nothing');
    assert.ok(found.layering.includes('kernel/core/up.ts (kernel/core) imports kernel/shell/s.ts (kernel/shell)'));
    assert.ok(found.layering.includes('agent/x.ts (agent) imports frameworks/f.ts (frameworks)'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The suite is secure by default (test/helpers/nats.ts): every test starts nats-server in operator
 * mode and connects each party with its own credentials. These files alone may start an open bus
 * (no credentials at all), each for the reason given; a new test that needs one is added here.
 */
const OPEN_BUS_FILES: Readonly<Record<string, string>> = {
  'test/helpers/nats.ts': 'defines withOpenNats(), the explicit open bus',
  'test/helpers/cluster.ts': 'startCluster({ insecure: true }), for a test about the open bus',
  'test/int/nats-server.test.ts': 'about nats-server itself: our launcher, JetStream basics, a restart on the same store, clustering',
  'test/e2e/dev-insecure.test.ts': 'about `mesos dev --insecure`, the one open bus a user can ask for',
};

/** What in a source file opens an open bus: withOpenNats(), `insecure: true`, `--insecure`, a nats-server started without `auth`. */
export function openBusUses(source: string): string[] {
  // Comments say what the code does; only the code counts.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const uses: string[] = [];
  if (/\bwithOpenNats\s*\(/.test(code)) uses.push('withOpenNats()');
  if (/\binsecure\s*:\s*true\b/.test(code)) uses.push('insecure: true');
  if (/['"`]--insecure['"`]/.test(code)) uses.push('--insecure');
  for (const m of code.matchAll(/\b(startNatsServer|startNatsCluster)\s*\(/g)) {
    // The call's arguments, to its closing parenthesis.
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (; end < code.length; end++) {
      if (code[end] === '(') depth++;
      else if (code[end] === ')' && --depth === 0) break;
    }
    const args = code.slice(m.index + m[0].length, end);
    if (!/\bauth\b/.test(args)) uses.push(`${m[1]} without auth`);
  }
  return uses;
}

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourcesUnder(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('the tests, scripts and benchmarks run on a secured bus: only OPEN_BUS_FILES start an open one, and each of them still does', () => {
  const found = new Map<string, string[]>();
  for (const path of [...sourcesUnder('test'), ...sourcesUnder('scripts'), ...sourcesUnder('bench')]) {
    if (path === 'test/unit/architecture.test.ts') continue; // its samples below are strings, not buses
    const uses = openBusUses(readFileSync(join(ROOT, path), 'utf8'));
    if (uses.length > 0) found.set(path, uses);
  }
  const unlisted = [...found].filter(([p]) => OPEN_BUS_FILES[p] === undefined).map(([p, u]) => `${p}: ${u.join(', ')}`);
  assert.equal(unlisted, [], 'these files start an open bus: give each party credentials (withSecureNats, startCluster, testKeys), or list the file in OPEN_BUS_FILES with the reason');
  const stale = Object.keys(OPEN_BUS_FILES).filter((p) => !found.has(p));
  assert.equal(stale, [], 'listed in OPEN_BUS_FILES but no longer opening a bus: remove them');
});

test('the open-bus check finds each way of opening one, and not a secured server or a comment', () => {
  assert.equal(openBusUses('const n = await withOpenNats();'), ['withOpenNats()']);
  assert.equal(openBusUses('await startCluster({ agents: 1, insecure: true });'), ['insecure: true']);
  assert.equal(openBusUses("startDev(['--insecure', '--agents', '0'])"), ['--insecure']);
  assert.equal(openBusUses('const s = await startNatsServer({ storeDir, port: f(1) });'), ['startNatsServer without auth']);
  assert.equal(openBusUses('startNatsCluster({ size: 3 })'), ['startNatsCluster without auth']);
  assert.equal(openBusUses('const s = await startNatsServer({ storeDir, port: f(1), auth: keys.auth });'), []);
  assert.equal(openBusUses('startNatsCluster({\n  size: 3,\n  auth: serverAuth(ks),\n})'), []);
  assert.equal(openBusUses('import { startNatsServer } from "x";\nlet s: Awaited<ReturnType<typeof startNatsServer>>;'), []);
  assert.equal(openBusUses('// withOpenNats() is for the server tests\n/* insecure: true */\nconst x = withSecureNats();'), []);
});

test.run();
