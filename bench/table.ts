/** Plain-text table of benchmark results (stdout), one row per metric. */
import type { Metric } from './stats.js';
import type { BenchResult } from './types.js';

/** A number as a reader wants it: thousands separated, few decimals for small values. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${(s % 60).toFixed(0)} s`;
}

const HEAD = ['benchmark', 'metric', 'median', 'min … max', 'spread', 'runs', 'unit'] as const;
const RIGHT = new Set<number>([2, 3, 4, 5]);

function row(bench: string, label: string, m: Metric): string[] {
  return [bench, label, formatNumber(m.median), `${formatNumber(m.min)} … ${formatNumber(m.max)}`, formatPercent(m.spread), String(m.runs), m.unit];
}

export function renderTable(results: readonly BenchResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    let first = true;
    for (const [label, m] of Object.entries(r.metrics)) {
      rows.push(row(first ? r.name : '', label, m));
      first = false;
    }
  }
  const all = [[...HEAD], ...rows];
  const widths = HEAD.map((_, c) => Math.max(...all.map((r) => [...r[c]!].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (RIGHT.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line([...HEAD]), rule, ...rows.map(line)].join('\n');
}

/** The notes of each benchmark, with its parameters and wall time, under the table. */
export function renderNotes(results: readonly BenchResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const params = Object.entries(r.params)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    out.push(`${r.name} (${formatDuration(r.wallMs)}): ${params}`);
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}
