// Test runner: runs each compiled uvu test file in its own process, tier by
// tier (unit, replay, int, chaos, e2e), and ends with one line `N passed, N failed`.
// `replay` folds the golden logs of test/fixtures/golden (no NATS needed).
//
// Usage: node dist/scripts/run-tests.js [tier|file-substring ...]
//   env MESOS_TEST_FILE_TIMEOUT_MS: per-file timeout (default 180000)

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const TIERS = ['unit', 'replay', 'int', 'chaos', 'e2e'] as const;
export type Tier = (typeof TIERS)[number];

// int and e2e: two files at once (each its own nats-server or `mesos dev`, free ports, its own dirs
// and netns subnet; most of their time is waiting on processes and timers, and they pass on a
// machine far busier than two at once make it; e2e: 147 s wall for 275 s of file time). chaos: one
// at a time, as its kills and partitions are timed against the cluster's own timeouts.
const CONCURRENCY: Record<Tier, number> = { unit: 2, replay: 2, int: 2, chaos: 1, e2e: 2 };

export interface UvuSummary {
  total: number;
  passed: number;
  skipped: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Parses uvu's closing summary (`Total: 3`, `Passed: 3`, `Skipped: 0`).
 * Returns undefined when no Total/Passed lines are present. When a file
 * prints several summaries (several test.run() calls) they are added up.
 */
export function parseUvuSummary(text: string): UvuSummary | undefined {
  const clean = stripAnsi(text).replace(/\r/g, '');
  const grab = (label: string): number[] => {
    const re = new RegExp(`^\\s*${label}:\\s*(\\d+)\\s*$`, 'gm');
    const out: number[] = [];
    for (const m of clean.matchAll(re)) out.push(Number(m[1]));
    return out;
  };
  const totals = grab('Total');
  const passes = grab('Passed');
  if (totals.length === 0 || passes.length === 0) return undefined;
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  return { total: sum(totals), passed: sum(passes), skipped: sum(grab('Skipped')) };
}

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  ok: boolean;
  output: string;
}

/** Turns a finished child's output and exit status into counts. */
export function judge(output: string, exitCode: number | null, timedOut: boolean): Omit<FileResult, 'file' | 'ms' | 'output'> {
  const s = parseUvuSummary(output);
  let passed = 0;
  let skipped = 0;
  let failed = 0;
  if (s) {
    passed = s.passed;
    skipped = s.skipped;
    failed = Math.max(0, s.total - s.passed - s.skipped);
  }
  const clean = exitCode === 0 && !timedOut;
  if (!clean && failed === 0) failed = 1; // crashed, timed out, or failed outside a test
  if (!s && clean) failed = 1; // exited 0 but ran no uvu suite we could read
  return { passed, failed, skipped, ok: failed === 0 };
}

function findRoot(): string {
  // this file is dist/scripts/run-tests.js (or scripts/run-tests.ts)
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function runFile(file: string, root: string, timeoutMs: number): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolveResult) => {
    const child = spawn(process.execPath, [file], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    let timedOut = false;
    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // group already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      output += `\n[run-tests] timed out after ${timeoutMs} ms; killing process group ${child.pid}\n`;
      killGroup('SIGKILL');
    }, timeoutMs);
    let settled = false;
    const finish = (code: number | null, note?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // leftovers (servers, agents) of this file must not outlive it
      killGroup('SIGKILL');
      if (note) output += note;
      const ms = Date.now() - started;
      resolveResult({ file: relative(root, file), ms, output, ...judge(output, code, timedOut) });
    };
    child.on('error', (err) => finish(null, `\n[run-tests] spawn error: ${err.message}\n`));
    child.on('close', (code, signal) =>
      finish(code, code === null && !timedOut ? `\n[run-tests] killed by ${signal ?? 'signal'}\n` : undefined),
    );
  });
}

function report(r: FileResult): void {
  if (r.ok) {
    const extra = r.skipped > 0 ? `, ${r.skipped} skipped` : '';
    process.stdout.write(`ok   ${r.file}  (${r.passed} passed${extra}, ${r.ms} ms)\n`);
  } else {
    process.stdout.write(`FAIL ${r.file}  (${r.passed} passed, ${r.failed} failed, ${r.ms} ms)\n`);
    process.stdout.write(r.output.endsWith('\n') || r.output === '' ? r.output : r.output + '\n');
  }
}

async function runPool(files: string[], concurrency: number, root: string, timeoutMs: number): Promise<FileResult[]> {
  const results: FileResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      const r = await runFile(file, root, timeoutMs);
      report(r);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, worker));
  return results;
}

export async function main(args: string[]): Promise<number> {
  const root = findRoot();
  const distTest = join(root, 'dist', 'test');
  const tierArgs = args.filter((a): a is Tier => (TIERS as readonly string[]).includes(a));
  const patterns = args.filter((a) => !(TIERS as readonly string[]).includes(a));
  const timeoutMs = Number(process.env.MESOS_TEST_FILE_TIMEOUT_MS) > 0 ? Number(process.env.MESOS_TEST_FILE_TIMEOUT_MS) : 180_000;

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let files = 0;
  for (const tier of TIERS) {
    if (tierArgs.length > 0 && !tierArgs.includes(tier)) continue;
    // Only compiled tests whose source still exists (a renamed test leaves its old .js in dist/).
    let list = walk(join(distTest, tier)).filter((f) => existsSync(join(root, relative(join(root, 'dist'), f)).replace(/\.js$/, '.ts')));
    if (patterns.length > 0) {
      list = list.filter((f) => {
        const rel = relative(root, f);
        return patterns.some((p) => rel.includes(p) || rel.includes(p.replace(/\.ts$/, '.js')));
      });
    }
    if (list.length === 0) continue;
    process.stdout.write(`# ${tier} (${list.length} file${list.length === 1 ? '' : 's'})\n`);
    for (const r of await runPool(list, CONCURRENCY[tier], root, timeoutMs)) {
      passed += r.passed;
      failed += r.failed;
      skipped += r.skipped;
      files++;
    }
  }
  if (files === 0) {
    process.stdout.write(`no test files found under ${relative(process.cwd(), distTest) || distTest}${args.length ? ` matching ${args.join(' ')}` : ''}\n`);
  }
  process.stdout.write(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  return failed > 0 || passed + failed === 0 ? 1 : 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stdout.write(`run-tests crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.stdout.write('0 passed, 1 failed\n');
      process.exitCode = 1;
    },
  );
}
