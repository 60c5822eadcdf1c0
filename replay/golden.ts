/**
 * Golden logs: logs recorded from real runs (test/fixtures/golden), with the state their fold gave
 * when they were recorded and samples of `/master/state` taken during the run. The `replay` test
 * tier folds each one again and compares; a change that makes the fold non-deterministic or stops
 * it from reading an old log fails the build.
 *
 * Files of a golden log NAME:
 *   NAME.jsonl         the log as stored (`mesos replay export --format jsonl --raw`)
 *   NAME.state.json    {seq, events, malformed, state}: the fold at the end, projection view
 *   NAME.samples.json  [{label, seq, state}]: /master/state during the run, with the sequence
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { State } from '../kernel/core/state.js';
import { foldTo } from './fold.js';
import { canonical } from './json.js';
import { fileSource } from './source.js';
import { SERVING_PROCESS_FIELDS, masterView } from './views.js';

export interface GoldenState {
  readonly seq: number;
  readonly events: number;
  readonly malformed: number;
  /** A hash of the projection after each entry (`seq:hash`), so a divergence is found where it starts. */
  readonly trace: readonly string[];
  readonly state: unknown;
}

export interface GoldenSample {
  readonly label: string;
  readonly seq: number;
  readonly state: Record<string, unknown>;
}

export const GOLDEN_DIR = join('test', 'fixtures', 'golden');

/** The names of the golden logs in a directory. */
export async function goldenNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)).sort();
}

/** Fold a golden log to its end, as the test tier does. */
export async function foldGolden(dir: string, name: string): Promise<{ golden: GoldenState; state: State }> {
  const source = await fileSource(join(dir, `${name}.jsonl`));
  const head = await source.head();
  const trace: string[] = [];
  const r = await foldTo(source, { to: head.last, after: (e, s) => void trace.push(`${e.seq}:${stateHash(s)}`) });
  return { golden: { seq: r.seq, events: r.events, malformed: r.codec.malformed, trace, state: canonical(r.state) }, state: r.state };
}

/** A short hash of the canonical projection. */
export const stateHash = (s: State): string => createHash('sha256').update(JSON.stringify(canonical(s))).digest('hex').slice(0, 16);

/** The first entry after which two traces differ, or null. */
export function firstDivergence(recorded: readonly string[], now: readonly string[]): string | null {
  for (let i = 0; i < Math.max(recorded.length, now.length); i++) {
    if (recorded[i] !== now[i]) return recorded[i]?.split(':')[0] ?? now[i]?.split(':')[0] ?? null;
  }
  return null;
}

export const writeGoldenState = (dir: string, name: string, g: GoldenState): Promise<void> => writeFile(join(dir, `${name}.state.json`), `${JSON.stringify(g, null, 1)}\n`);

export const readGoldenState = async (dir: string, name: string): Promise<GoldenState> => JSON.parse(await readFile(join(dir, `${name}.state.json`), 'utf8')) as GoldenState;

export async function readGoldenSamples(dir: string, name: string): Promise<GoldenSample[]> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.samples.json`), 'utf8')) as GoldenSample[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** `/master/state` without the fields that describe the serving process (not in the log). */
export function clusterPart(masterState: Record<string, unknown>): Record<string, unknown> {
  const out = { ...masterState };
  for (const f of SERVING_PROCESS_FIELDS) delete out[f];
  // The agents' capabilities are the serving build's too (see SERVING_PROCESS_FIELDS).
  if (Array.isArray(out.slaves)) {
    out.slaves = (out.slaves as Record<string, unknown>[]).map(({ capabilities: _c, ...rest }) => rest);
  }
  return out;
}

/** The replayed /master/state at a sample's sequence, for comparison with the sample. */
export async function replayedMasterState(dir: string, name: string, seq: number): Promise<Record<string, unknown>> {
  const source = await fileSource(join(dir, `${name}.jsonl`));
  const r = await foldTo(source, { to: seq });
  return masterView(r.state);
}

/** Paths where two JSON values differ (at most `max`), for failure messages. */
export function jsonDifferences(a: unknown, b: unknown, max = 10, path = ''): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string): void => {
    if (out.length >= max) return;
    if (x === y) return;
    if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') {
      out.push(`${p || '(root)'}: ${JSON.stringify(x)?.slice(0, 120)} ≠ ${JSON.stringify(y)?.slice(0, 120)}`);
      return;
    }
    if (Array.isArray(x) !== Array.isArray(y)) {
      out.push(`${p}: array ≠ object`);
      return;
    }
    const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
    for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], Array.isArray(x) ? `${p}[${k}]` : `${p}.${k}`);
  };
  walk(a, b, path);
  return out;
}
